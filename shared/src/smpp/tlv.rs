//! SMPP optional parameters (TLVs): SMPP v3.4 §5.3 and SMPP v5.0 §4.8.
//!
//! A PDU keeps its TLV region as the raw bytes it arrived in ([`Tlvs`]), validated once at
//! decode time. Typed accessors parse a value on demand, unknown tags survive a round trip
//! byte-exact, and the borrowed form allocates nothing. Every standard tag has a constant in
//! [`tag`] and an accessor named after it.
//!
//! HOT PATH: the validator and accessors do not allocate.

use super::error::{DecodeError, EncodeError};
use crate::limits::TLVS_PER_PDU_MAX;

/// The shape a standard TLV's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvKind {
    /// A 1-octet integer.
    U8,
    /// A 2-octet big-endian integer.
    U16,
    /// A 4-octet big-endian integer.
    U32,
    /// A C-octet string of at most this many octets including the NUL. The NUL is tolerated
    /// missing (many SMSCs omit it) and stripped by the accessor.
    COctet(u16),
    /// An octet string of `min..=max` octets.
    Octets(u16, u16),
}

impl TlvKind {
    fn accepts(self, length: u16) -> bool {
        match self {
            TlvKind::U8 => length == 1,
            TlvKind::U16 => length == 2,
            TlvKind::U32 => length == 4,
            TlvKind::COctet(size_max) => length <= size_max,
            TlvKind::Octets(min, max) => (min..=max).contains(&length),
        }
    }
}

macro_rules! tlv_table {
    ($($name:ident = $tag:literal : $kind:ident $(($($arg:literal),*))? ;)*) => {
        /// The standard TLV tags by spec name.
        #[allow(non_upper_case_globals)]
        pub mod tag {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                pub const $name: u16 = $tag;
            )*
        }

        /// The spec name and value shape of a standard tag; `None` for other tags, which are
        /// kept without checks.
        pub fn definition(tag: u16) -> Option<(&'static str, TlvKind)> {
            match tag {
                $($tag => Some((stringify!($name), TlvKind::$kind $(($($arg),*))?)),)*
                _ => None,
            }
        }

        /// Every standard tag, in numeric order.
        pub const STANDARD_TAGS: &[u16] = &[$($tag),*];

        impl<B: AsRef<[u8]>> Tlvs<B> {
            $(
                tlv_accessor!($name, $tag, $kind);
            )*
        }
    };
}

macro_rules! tlv_accessor {
    ($name:ident, $tag:literal, U8) => {
        #[doc = concat!("The `", stringify!($name), "` TLV's value.")]
        pub fn $name(&self) -> Option<u8> {
            self.get($tag).and_then(|value| value.first().copied())
        }
    };
    ($name:ident, $tag:literal, U16) => {
        #[doc = concat!("The `", stringify!($name), "` TLV's value.")]
        pub fn $name(&self) -> Option<u16> {
            let value = self.get($tag)?;
            Some(u16::from_be_bytes([*value.first()?, *value.get(1)?]))
        }
    };
    ($name:ident, $tag:literal, U32) => {
        #[doc = concat!("The `", stringify!($name), "` TLV's value.")]
        pub fn $name(&self) -> Option<u32> {
            let value = self.get($tag)?;
            Some(u32::from_be_bytes(*value.first_chunk::<4>()?))
        }
    };
    ($name:ident, $tag:literal, COctet) => {
        #[doc = concat!("The `", stringify!($name), "` TLV's value without its NUL.")]
        pub fn $name(&self) -> Option<&[u8]> {
            self.get($tag).map(strip_nul)
        }
    };
    ($name:ident, $tag:literal, Octets) => {
        #[doc = concat!("The `", stringify!($name), "` TLV's value.")]
        pub fn $name(&self) -> Option<&[u8]> {
            self.get($tag)
        }
    };
}

tlv_table! {
    dest_addr_subunit = 0x0005: U8;
    dest_network_type = 0x0006: U8;
    dest_bearer_type = 0x0007: U8;
    dest_telematics_id = 0x0008: U16;
    source_addr_subunit = 0x000D: U8;
    source_network_type = 0x000E: U8;
    source_bearer_type = 0x000F: U8;
    // 1 octet in SMPP v3.4 §5.3.2.9, 2 octets in v5.0 (like dest_telematics_id): accept both.
    source_telematics_id = 0x0010: Octets(1, 2);
    qos_time_to_live = 0x0017: U32;
    payload_type = 0x0019: U8;
    additional_status_info_text = 0x001D: COctet(256);
    receipted_message_id = 0x001E: COctet(65);
    ms_msg_wait_facilities = 0x0030: U8;
    privacy_indicator = 0x0201: U8;
    source_subaddress = 0x0202: Octets(2, 23);
    dest_subaddress = 0x0203: Octets(2, 23);
    user_message_reference = 0x0204: U16;
    user_response_code = 0x0205: U8;
    source_port = 0x020A: U16;
    destination_port = 0x020B: U16;
    sar_msg_ref_num = 0x020C: U16;
    language_indicator = 0x020D: U8;
    sar_total_segments = 0x020E: U8;
    sar_segment_seqnum = 0x020F: U8;
    sc_interface_version = 0x0210: U8;
    callback_num_pres_ind = 0x0302: U8;
    callback_num_atag = 0x0303: Octets(0, 65);
    number_of_messages = 0x0304: U8;
    callback_num = 0x0381: Octets(4, 19);
    dpf_result = 0x0420: U8;
    set_dpf = 0x0421: U8;
    ms_availability_status = 0x0422: U8;
    network_error_code = 0x0423: Octets(3, 3);
    message_payload = 0x0424: Octets(0, 65535);
    delivery_failure_reason = 0x0425: U8;
    more_messages_to_send = 0x0426: U8;
    message_state = 0x0427: U8;
    congestion_state = 0x0428: U8;
    ussd_service_op = 0x0501: U8;
    broadcast_channel_indicator = 0x0600: U8;
    broadcast_content_type = 0x0601: Octets(3, 3);
    broadcast_content_type_info = 0x0602: Octets(0, 255);
    broadcast_message_class = 0x0603: U8;
    broadcast_rep_num = 0x0604: U16;
    broadcast_frequency_interval = 0x0605: Octets(3, 3);
    broadcast_area_identifier = 0x0606: Octets(1, 100);
    broadcast_error_status = 0x0607: U32;
    broadcast_area_success = 0x0608: U8;
    broadcast_end_time = 0x0609: COctet(17);
    broadcast_service_group = 0x060A: Octets(0, 255);
    billing_identification = 0x060B: Octets(0, 1024);
    source_network_id = 0x060D: COctet(65);
    dest_network_id = 0x060E: COctet(65);
    source_node_id = 0x060F: Octets(6, 6);
    dest_node_id = 0x0610: Octets(6, 6);
    dest_addr_np_resolution = 0x0611: U8;
    dest_addr_np_information = 0x0612: Octets(10, 10);
    dest_addr_np_country = 0x0613: Octets(1, 5);
    display_time = 0x1201: U8;
    sms_signal = 0x1203: U16;
    ms_validity = 0x1204: Octets(1, 4);
    alert_on_message_delivery = 0x130C: Octets(0, 1);
    its_reply_type = 0x1380: U8;
    its_session_info = 0x1383: Octets(2, 2);
}

/// One TLV as a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: u16,
    /// The value (for C-octet kinds, with its NUL when the sender sent one).
    pub value: &'a [u8],
}

/// The TLV region of one PDU, kept as raw bytes that are known to be a well-formed TLV
/// stream. `B` is `&[u8]` for the borrowed decode path and `Vec<u8>` for the owned form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Tlvs<B> {
    raw: B,
}

impl<'a> Tlvs<&'a [u8]> {
    /// Validates a TLV region: whole TLVs only, at most [`TLVS_PER_PDU_MAX`], and standard tags
    /// with lengths their definition allows. `base_offset` is where `raw` starts in the PDU,
    /// for error offsets.
    pub fn parse(raw: &'a [u8], base_offset: usize) -> Result<Tlvs<&'a [u8]>, DecodeError> {
        let mut position = 0;
        let mut count = 0;
        while position < raw.len() {
            let Some(head) = raw[position..].first_chunk::<4>() else {
                return Err(DecodeError::TlvStream {
                    offset: base_offset + position,
                });
            };
            let tag = u16::from_be_bytes([head[0], head[1]]);
            let length = u16::from_be_bytes([head[2], head[3]]);
            let end = position + 4 + usize::from(length);
            if end > raw.len() {
                return Err(DecodeError::TlvStream {
                    offset: base_offset + position,
                });
            }
            if let Some((_, kind)) = definition(tag)
                && !kind.accepts(length)
            {
                return Err(DecodeError::TlvLength { tag, length });
            }
            count += 1;
            if count > TLVS_PER_PDU_MAX {
                return Err(DecodeError::TooManyTlvs {
                    max: TLVS_PER_PDU_MAX,
                });
            }
            position = end;
        }
        Ok(Tlvs { raw })
    }

    /// Copies the region into an owned form.
    pub fn into_owned(self) -> Tlvs<Vec<u8>> {
        Tlvs {
            raw: self.raw.to_vec(),
        }
    }
}

impl Tlvs<Vec<u8>> {
    /// An empty TLV region.
    pub fn new() -> Tlvs<Vec<u8>> {
        Tlvs { raw: Vec::new() }
    }

    /// Appends a TLV. Standard tags must have a value of their defined shape.
    pub fn push(&mut self, tag: u16, value: &[u8]) -> Result<&mut Self, EncodeError> {
        let length = u16::try_from(value.len()).map_err(|_| EncodeError::TlvTooLong {
            tag,
            size: value.len(),
        })?;
        if let Some((_, kind)) = definition(tag)
            && !kind.accepts(length)
        {
            return Err(EncodeError::TlvLength {
                tag,
                size: value.len(),
            });
        }
        self.raw.extend_from_slice(&tag.to_be_bytes());
        self.raw.extend_from_slice(&length.to_be_bytes());
        self.raw.extend_from_slice(value);
        Ok(self)
    }

    /// Appends a 1-octet TLV.
    pub fn push_u8(&mut self, tag: u16, value: u8) -> Result<&mut Self, EncodeError> {
        self.push(tag, &[value])
    }

    /// Appends a 2-octet TLV.
    pub fn push_u16(&mut self, tag: u16, value: u16) -> Result<&mut Self, EncodeError> {
        self.push(tag, &value.to_be_bytes())
    }

    /// Appends a 4-octet TLV.
    pub fn push_u32(&mut self, tag: u16, value: u32) -> Result<&mut Self, EncodeError> {
        self.push(tag, &value.to_be_bytes())
    }

    /// Appends a C-octet string TLV, adding the NUL. A NUL inside `value` is refused: the peer
    /// would take it for the end of the string.
    pub fn push_c_octet(&mut self, tag: u16, value: &[u8]) -> Result<&mut Self, EncodeError> {
        if value.contains(&0) {
            return Err(EncodeError::TlvEmbeddedNul(tag));
        }
        let mut with_nul = [0u8; 257];
        if value.len() < with_nul.len() {
            with_nul[..value.len()].copy_from_slice(value);
            self.push(tag, &with_nul[..=value.len()])
        } else {
            Err(EncodeError::TlvTooLong {
                tag,
                size: value.len(),
            })
        }
    }

    /// Removes every TLV with `tag`.
    pub fn remove(&mut self, tag: u16) {
        let mut kept = Vec::with_capacity(self.raw.len());
        for tlv in self.iter().filter(|tlv| tlv.tag != tag) {
            kept.extend_from_slice(&tlv.tag.to_be_bytes());
            // A value in a Tlvs came through push or parse, so it fits in u16.
            kept.extend_from_slice(&(tlv.value.len() as u16).to_be_bytes());
            kept.extend_from_slice(tlv.value);
        }
        self.raw = kept;
    }
}

impl<B> Tlvs<B> {
    /// Changes the byte container; the bytes themselves must stay the same (the region was
    /// validated), which is why this is crate-private.
    pub(crate) fn map<C>(self, f: &mut impl FnMut(B) -> C) -> Tlvs<C> {
        Tlvs { raw: f(self.raw) }
    }
}

impl<B: AsRef<[u8]>> Tlvs<B> {
    /// The raw region as on the wire.
    pub fn raw(&self) -> &[u8] {
        self.raw.as_ref()
    }

    /// True when there are no TLVs.
    pub fn is_empty(&self) -> bool {
        self.raw.as_ref().is_empty()
    }

    /// Iterates over the TLVs in wire order.
    pub fn iter(&self) -> TlvIter<'_> {
        TlvIter {
            raw: self.raw.as_ref(),
        }
    }

    /// The value of the first TLV with `tag`.
    pub fn get(&self, tag: u16) -> Option<&[u8]> {
        self.iter().find(|tlv| tlv.tag == tag).map(|tlv| tlv.value)
    }

    /// Copies the region into an owned form.
    pub fn to_owned_tlvs(&self) -> Tlvs<Vec<u8>> {
        Tlvs {
            raw: self.raw.as_ref().to_vec(),
        }
    }
}

/// Iterator over a validated TLV region.
#[derive(Debug, Clone)]
pub struct TlvIter<'a> {
    raw: &'a [u8],
}

impl<'a> Iterator for TlvIter<'a> {
    type Item = Tlv<'a>;

    fn next(&mut self) -> Option<Tlv<'a>> {
        // The region was validated (parse) or built (push), so a short TLV cannot occur; stop
        // rather than panic if it ever did.
        let head = self.raw.first_chunk::<4>()?;
        let tag = u16::from_be_bytes([head[0], head[1]]);
        let length = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let value = self.raw.get(4..4 + length)?;
        self.raw = &self.raw[4 + length..];
        Some(Tlv { tag, value })
    }
}

fn strip_nul(value: &[u8]) -> &[u8] {
    value.strip_suffix(&[0]).unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves the standard table is sorted and unique, so `definition` has one answer per tag.
    #[test]
    fn standard_tags_are_unique_and_sorted() {
        for pair in STANDARD_TAGS.windows(2) {
            assert!(pair[0] < pair[1], "0x{:04X} 0x{:04X}", pair[0], pair[1]);
        }
        assert_eq!(
            definition(tag::message_payload).unwrap().0,
            "message_payload"
        );
        assert_eq!(definition(0x1400), None);
    }

    // Proves a region with known, unknown and C-octet TLVs parses and the accessors type it.
    #[test]
    fn accessors_read_typed_values_and_keep_unknown_tags() {
        let raw = [
            0x04, 0x27, 0x00, 0x01, 0x02, // message_state = 2 (DELIVERED)
            0x00, 0x1E, 0x00, 0x04, b'a', b'b', b'c', 0x00, // receipted_message_id "abc"
            0x14, 0x00, 0x00, 0x02, 0xCA, 0xFE, // vendor tag 0x1400, kept as is
            0x02, 0x0C, 0x00, 0x02, 0x12, 0x34, // sar_msg_ref_num = 0x1234
        ];
        let tlvs = Tlvs::parse(&raw, 0).unwrap();
        assert_eq!(tlvs.message_state(), Some(2));
        assert_eq!(tlvs.receipted_message_id(), Some(&b"abc"[..]));
        assert_eq!(tlvs.sar_msg_ref_num(), Some(0x1234));
        assert_eq!(tlvs.get(0x1400), Some(&[0xCA, 0xFE][..]));
        assert_eq!(tlvs.message_payload(), None);
        assert_eq!(tlvs.iter().count(), 4);
        assert_eq!(tlvs.raw(), raw);
    }

    // Proves malformed regions are rejected with the right error: a cut header, a value past
    // the end, a known tag with a wrong length, and a flood of TLVs.
    #[test]
    fn malformed_regions_are_rejected() {
        assert_eq!(
            Tlvs::parse(&[0x04, 0x27, 0x00], 10),
            Err(DecodeError::TlvStream { offset: 10 })
        );
        assert_eq!(
            Tlvs::parse(&[0x04, 0x27, 0x00, 0x02, 0x01], 0),
            Err(DecodeError::TlvStream { offset: 0 })
        );
        assert_eq!(
            Tlvs::parse(&[0x04, 0x27, 0x00, 0x02, 0x01, 0x02], 0),
            Err(DecodeError::TlvLength {
                tag: 0x0427,
                length: 2
            })
        );
        let flood: Vec<u8> = (0..=TLVS_PER_PDU_MAX)
            .flat_map(|_| [0x14, 0x00, 0x00, 0x00])
            .collect();
        assert_eq!(
            Tlvs::parse(&flood, 0),
            Err(DecodeError::TooManyTlvs {
                max: TLVS_PER_PDU_MAX
            })
        );
    }

    // Proves the builder checks standard shapes and that remove drops only the named tag.
    #[test]
    fn builder_checks_shapes_and_remove_keeps_others() {
        let mut tlvs = Tlvs::new();
        tlvs.push_u8(tag::message_state, 2).unwrap();
        tlvs.push_c_octet(tag::receipted_message_id, b"7F").unwrap();
        tlvs.push_u16(tag::user_message_reference, 9).unwrap();
        assert!(tlvs.push_u16(tag::message_state, 2).is_err());
        assert_eq!(tlvs.receipted_message_id(), Some(&b"7F"[..]));
        tlvs.remove(tag::receipted_message_id);
        assert_eq!(tlvs.receipted_message_id(), None);
        assert_eq!(tlvs.message_state(), Some(2));
        assert_eq!(tlvs.user_message_reference(), Some(9));
        let reparsed = Tlvs::parse(tlvs.raw(), 0).unwrap();
        assert_eq!(reparsed.into_owned(), tlvs);
    }
}
