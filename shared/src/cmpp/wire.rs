// HOT PATH: every body field goes through here. Banned here: allocation on the read side,
// blocking I/O, locks, per-PDU logging.
//! Field readers and writers shared by the PDU codecs (CMPP V3.0 §8.1 basic types).
//!
//! Integers are big-endian ("Unsigned Integer"); fixed-length octet strings are NUL-padded on
//! the right. Readers return views into the body and name the field on a short body; writers
//! append to the caller's `Vec` and refuse values that do not fit.

use super::octets::{Octets, TerminalIds, trim_nul_padding};
use super::{CmppVersion, CommandId, DEST_USR_TL_MAX, DecodeError, EncodeError};

/// Reads fields from the front of a body.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Reader<'a> {
        Reader { rest: body }
    }

    /// Octets not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The next `size` octets as they are on the wire.
    pub(crate) fn bytes(
        &mut self,
        field: &'static str,
        size: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let Some((head, rest)) = self.rest.split_at_checked(size) else {
            return Err(DecodeError::FieldTruncated { field });
        };
        self.rest = rest;
        Ok(head)
    }

    /// A fixed-length octet string without its NUL padding.
    pub(crate) fn fixed(
        &mut self,
        field: &'static str,
        size: usize,
    ) -> Result<Octets<'a>, DecodeError> {
        Ok(Octets::borrowed(trim_nul_padding(self.bytes(field, size)?)))
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let Some((&value, rest)) = self.rest.split_first() else {
            return Err(DecodeError::FieldTruncated { field });
        };
        self.rest = rest;
        Ok(value)
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let Some((value, rest)) = self.rest.split_first_chunk::<4>() else {
            return Err(DecodeError::FieldTruncated { field });
        };
        self.rest = rest;
        Ok(u32::from_be_bytes(*value))
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let Some((value, rest)) = self.rest.split_first_chunk::<8>() else {
            return Err(DecodeError::FieldTruncated { field });
        };
        self.rest = rest;
        Ok(u64::from_be_bytes(*value))
    }

    pub(crate) fn array16(&mut self, field: &'static str) -> Result<[u8; 16], DecodeError> {
        let Some((value, rest)) = self.rest.split_first_chunk::<16>() else {
            return Err(DecodeError::FieldTruncated { field });
        };
        self.rest = rest;
        Ok(*value)
    }

    /// A response status: one octet in 2.0, four in 3.0.
    pub(crate) fn status(
        &mut self,
        field: &'static str,
        version: CmppVersion,
    ) -> Result<u32, DecodeError> {
        match version {
            CmppVersion::V2_0 => self.u8(field).map(u32::from),
            CmppVersion::V3_0 => self.u32(field),
        }
    }

    /// DestUsr_tl followed by that many terminal numbers of `size` octets each.
    pub(crate) fn terminal_ids(
        &mut self,
        count_field: &'static str,
        ids_field: &'static str,
        size: usize,
    ) -> Result<TerminalIds<'a>, DecodeError> {
        let count = self.u8(count_field)?;
        if count == 0 || count > DEST_USR_TL_MAX {
            return Err(DecodeError::DestUsrTlInvalid {
                got: count,
                max: DEST_USR_TL_MAX,
            });
        }
        let raw = self.bytes(ids_field, usize::from(count) * size)?;
        Ok(TerminalIds::packed(raw, size))
    }

    /// Msg_Length, then Msg_Content, where Total_Length must leave exactly `trailer_size`
    /// octets after the content (the Reserve or LinkID field).
    pub(crate) fn msg_content(&mut self, trailer_size: usize) -> Result<&'a [u8], DecodeError> {
        let msg_length = self.u8("msg_length")?;
        let content_size = self.remaining().saturating_sub(trailer_size);
        if usize::from(msg_length) + trailer_size != self.remaining() {
            return Err(DecodeError::MsgLengthMismatch {
                msg_length,
                content_size,
            });
        }
        self.bytes("msg_content", usize::from(msg_length))
    }

    /// Ends the body: any octet left over is an error.
    pub(crate) fn finish(self, command_id: CommandId) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                command_id,
                size: self.rest.len(),
            })
        }
    }
}

/// Checks Pk_total and Pk_number (both count from 1, V3.0 §8.4.3.1).
pub(crate) fn check_pk(pk_total: u8, pk_number: u8) -> Result<(), DecodeError> {
    if pk_number == 0 || pk_number > pk_total {
        return Err(DecodeError::PkNumberInvalid {
            pk_total,
            pk_number,
        });
    }
    Ok(())
}

/// The encoder's side of [`check_pk`].
pub(crate) fn check_pk_encode(pk_total: u8, pk_number: u8) -> Result<(), EncodeError> {
    check_pk(pk_total, pk_number).map_err(|_| EncodeError::PkNumberInvalid {
        pk_total,
        pk_number,
    })
}

pub(crate) fn put_u8(out: &mut Vec<u8>, value: u8) {
    out.push(value);
}

pub(crate) fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

pub(crate) fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// Appends `value` NUL-padded to `size` octets, or refuses an overlong value.
pub(crate) fn put_fixed(
    out: &mut Vec<u8>,
    field: &'static str,
    value: &[u8],
    size: usize,
) -> Result<(), EncodeError> {
    if value.len() > size {
        return Err(EncodeError::FieldTooLong {
            field,
            size: value.len(),
            max: size,
        });
    }
    out.extend_from_slice(value);
    out.resize(out.len() + (size - value.len()), 0);
    Ok(())
}

/// Appends a response status at the version's width.
pub(crate) fn put_status(
    out: &mut Vec<u8>,
    field: &'static str,
    value: u32,
    version: CmppVersion,
) -> Result<(), EncodeError> {
    match version {
        CmppVersion::V2_0 => {
            let Ok(octet) = u8::try_from(value) else {
                return Err(EncodeError::StatusOverWidth {
                    field,
                    value,
                    version,
                });
            };
            put_u8(out, octet);
        }
        CmppVersion::V3_0 => put_u32(out, value),
    }
    Ok(())
}

/// Appends DestUsr_tl and the terminal numbers, each NUL-padded to `size` octets.
pub(crate) fn put_terminal_ids(
    out: &mut Vec<u8>,
    field: &'static str,
    ids: &TerminalIds<'_>,
    size: usize,
) -> Result<(), EncodeError> {
    let count = ids.len();
    let Ok(count_octet) = u8::try_from(count) else {
        return Err(EncodeError::DestUsrTlInvalid {
            count,
            max: usize::from(DEST_USR_TL_MAX),
        });
    };
    if count_octet == 0 || count_octet > DEST_USR_TL_MAX {
        return Err(EncodeError::DestUsrTlInvalid {
            count,
            max: usize::from(DEST_USR_TL_MAX),
        });
    }
    put_u8(out, count_octet);
    for id in ids.iter() {
        put_fixed(out, field, id, size)?;
    }
    Ok(())
}

/// Appends Msg_Length and Msg_Content, refusing content over `max` octets.
pub(crate) fn put_msg_content(
    out: &mut Vec<u8>,
    content: &[u8],
    max: u8,
) -> Result<(), EncodeError> {
    let size = content.len();
    let Some(msg_length) = u8::try_from(size).ok().filter(|&length| length <= max) else {
        return Err(EncodeError::MsgContentTooLong {
            size,
            max: usize::from(max),
        });
    };
    put_u8(out, msg_length);
    out.extend_from_slice(content);
    Ok(())
}

/// Refuses a field of the other version that is set, so no value is dropped silently.
pub(crate) fn require_absent(
    field: &'static str,
    is_absent: bool,
    version: CmppVersion,
) -> Result<(), EncodeError> {
    if is_absent {
        Ok(())
    } else {
        Err(EncodeError::FieldNotInVersion { field, version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves a short body names the field it ends in, and that leftovers are reported.
    #[test]
    fn reader_names_truncated_field_and_trailing_bytes() {
        let mut reader = Reader::new(&[1, 2, 3]);
        assert_eq!(reader.u8("pk_total"), Ok(1));
        assert_eq!(
            reader.u32("smsc_sequence"),
            Err(DecodeError::FieldTruncated {
                field: "smsc_sequence"
            })
        );
        assert_eq!(
            reader.finish(CommandId::CMPP_CANCEL),
            Err(DecodeError::TrailingBytes {
                command_id: CommandId::CMPP_CANCEL,
                size: 2
            })
        );
    }

    // Proves fixed fields are NUL-padded on encode and an overlong value is refused, not cut.
    #[test]
    fn put_fixed_pads_and_refuses_overlong() {
        let mut out = Vec::new();
        put_fixed(&mut out, "fee_code", b"05", 6).unwrap();
        assert_eq!(out, b"05\0\0\0\0");
        assert_eq!(
            put_fixed(&mut out, "fee_type", b"123", 2),
            Err(EncodeError::FieldTooLong {
                field: "fee_type",
                size: 3,
                max: 2
            })
        );
    }

    // Proves Msg_Length is checked against the room Total_Length leaves, in both directions.
    #[test]
    fn msg_content_length_must_match_total_length() {
        // Msg_Length 3, content "abc", 2-octet trailer.
        let body = [3, b'a', b'b', b'c', 0, 0];
        assert_eq!(Reader::new(&body).msg_content(2), Ok(&b"abc"[..]));
        assert_eq!(
            Reader::new(&body[..5]).msg_content(2),
            Err(DecodeError::MsgLengthMismatch {
                msg_length: 3,
                content_size: 2
            })
        );
        let mut long = body.to_vec();
        long.push(0);
        assert_eq!(
            Reader::new(&long).msg_content(2),
            Err(DecodeError::MsgLengthMismatch {
                msg_length: 3,
                content_size: 4
            })
        );
    }
}
