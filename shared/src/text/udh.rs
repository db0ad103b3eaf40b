//! The user data header of a short message (3GPP TS 23.040 §9.2.3.24): UDHL, then information
//! elements (IEI, length, data). Concatenation IEs are understood (§9.2.3.24.1 IEI 0x00, 8-bit
//! reference; §9.2.3.24.8 IEI 0x08, 16-bit reference); every other IE is kept as bytes.
//!
//! Parsing borrows from the input and allocates nothing. A header that runs past the data, or an
//! IE that runs past the header, is a typed error. Spec tolerances kept: a concatenation IE with
//! a zero total, or a sequence number of zero or over the total, is ignored (§9.2.3.24.1); when
//! a non-repeatable IE repeats, or both concatenation IEs appear, the last one wins
//! (§9.2.3.24).

use thiserror::Error;

use super::gsm7;

/// The reference that ties the parts of one concatenated message together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConcatReference {
    /// IEI 0x00.
    Ref8(u8),
    /// IEI 0x08, or SMPP's sar_msg_ref_num.
    Ref16(u16),
}

/// One part's place in a concatenated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    /// The message reference.
    pub reference: ConcatReference,
    /// Parts in the message (1 to 255).
    pub total: u8,
    /// This part's sequence number (1 to `total`).
    pub seqnum: u8,
}

/// One information element, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ie<'a> {
    /// The information element identifier.
    pub iei: u8,
    /// Its data (IEDL octets).
    pub data: &'a [u8],
}

/// A parsed user data header, borrowed from the user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udh<'a> {
    /// The IE octets (after UDHL).
    ies: &'a [u8],
    concat: Option<Concat>,
}

/// Why a user data header cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum UdhError {
    /// UDHI is set but the user data is empty.
    #[error("user data header indicator set but the user data is empty")]
    Empty,
    /// UDHL announces more octets than the user data holds.
    #[error("UDHL {udhl} is over the {available} octets after it")]
    LengthOver {
        /// The UDHL octet.
        udhl: u8,
        /// Octets after UDHL.
        available: usize,
    },
    /// An IE's header or data runs past the end of the UDH.
    #[error("information element 0x{iei:02X} at UDH offset {offset} runs past the header")]
    IeTruncated {
        /// The IEI octet at `offset`.
        iei: u8,
        /// Offset of the IE within the IE octets.
        offset: usize,
    },
    /// A concatenation IE whose length is not 3 (IEI 0x00) or 4 (IEI 0x08).
    #[error("concatenation element 0x{iei:02X} has length {length}")]
    ConcatLength {
        /// The IEI.
        iei: u8,
        /// Its IEDL.
        length: u8,
    },
}

impl<'a> Udh<'a> {
    /// Parses the header at the start of `user_data`; returns it and the short message after it.
    pub fn parse(user_data: &'a [u8]) -> Result<(Udh<'a>, &'a [u8]), UdhError> {
        let (&udhl, rest) = user_data.split_first().ok_or(UdhError::Empty)?;
        if usize::from(udhl) > rest.len() {
            return Err(UdhError::LengthOver {
                udhl,
                available: rest.len(),
            });
        }
        let (ies, body) = rest.split_at(usize::from(udhl));
        let mut concat = None;
        let mut offset = 0;
        // Bounded: each IE advances `offset` by at least 2 and `ies` is at most 255 octets.
        while offset < ies.len() {
            let iei = ies[offset];
            let Some(&length) = ies.get(offset + 1) else {
                return Err(UdhError::IeTruncated { iei, offset });
            };
            let data_start = offset + 2;
            let Some(data) = ies.get(data_start..data_start + usize::from(length)) else {
                return Err(UdhError::IeTruncated { iei, offset });
            };
            match iei {
                IEI_CONCAT_8 | IEI_CONCAT_16 => {
                    // The last concatenation IE wins; an ignorable one clears an earlier one.
                    concat = parse_concat(iei, data)?;
                }
                // Either way: every other IE is kept as bytes for `ies()`.
                _ => {}
            }
            offset = data_start + data.len();
        }
        Ok((Udh { ies, concat }, body))
    }

    /// The header's size in octets, UDHL octet included.
    pub fn size(&self) -> usize {
        self.ies.len() + 1
    }

    /// The concatenation IE, if a usable one is present.
    pub fn concat(&self) -> Option<Concat> {
        self.concat
    }

    /// Fill bits between this header and the first septet of GSM 7-bit packed text.
    pub fn gsm7_fill_bits(&self) -> u8 {
        gsm7::fill_bits_for(self.size())
    }

    /// Septets this header and its fill bits take of a GSM 7-bit TP-UDL.
    pub fn gsm7_septet_count(&self) -> usize {
        (self.size() * 8).div_ceil(7)
    }

    /// Every IE, in order (including the concatenation IE).
    pub fn ies(&self) -> IeIter<'a> {
        IeIter { rest: self.ies }
    }
}

/// Iterates over the IEs of a parsed header (already validated by [`Udh::parse`]).
#[derive(Debug, Clone)]
pub struct IeIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for IeIter<'a> {
    type Item = Ie<'a>;

    fn next(&mut self) -> Option<Ie<'a>> {
        let (&iei, rest) = self.rest.split_first()?;
        let (&length, rest) = rest.split_first()?;
        let data = rest.get(..usize::from(length))?;
        self.rest = &rest[data.len()..];
        Some(Ie { iei, data })
    }
}

/// The concatenation header we write: IEI 0x00 (6 octets) or 0x08 (7 octets), UDHL included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConcatUdh {
    octets: [u8; 7],
    size: u8,
}

impl ConcatUdh {
    /// Builds the header for part `seqnum` of `total` (both 1-based, as on the wire).
    ///
    /// Panics if `seqnum` is 0 or over `total`: the splitter numbers parts itself.
    pub fn new(reference: ConcatReference, total: u8, seqnum: u8) -> ConcatUdh {
        assert!(seqnum >= 1, "seqnum={seqnum}");
        assert!(seqnum <= total, "seqnum={seqnum} total={total}");
        match reference {
            ConcatReference::Ref8(reference) => ConcatUdh {
                octets: [0x05, IEI_CONCAT_8, 0x03, reference, total, seqnum, 0],
                size: 6,
            },
            ConcatReference::Ref16(reference) => {
                let [high, low] = reference.to_be_bytes();
                ConcatUdh {
                    octets: [0x06, IEI_CONCAT_16, 0x04, high, low, total, seqnum],
                    size: 7,
                }
            }
        }
    }

    /// The header octets, UDHL first.
    pub fn as_bytes(&self) -> &[u8] {
        &self.octets[..usize::from(self.size)]
    }

    /// The header's size in octets (6 or 7).
    pub fn size(&self) -> usize {
        usize::from(self.size)
    }
}

fn parse_concat(iei: u8, data: &[u8]) -> Result<Option<Concat>, UdhError> {
    let (reference, total, seqnum) = match (iei, data) {
        (IEI_CONCAT_8, &[reference, total, seqnum]) => {
            (ConcatReference::Ref8(reference), total, seqnum)
        }
        (IEI_CONCAT_16, &[high, low, total, seqnum]) => (
            ConcatReference::Ref16(u16::from_be_bytes([high, low])),
            total,
            seqnum,
        ),
        _ => {
            return Err(UdhError::ConcatLength {
                iei,
                // An IE's data is at most 253 octets (UDHL is one octet), so this never clamps.
                length: u8::try_from(data.len()).unwrap_or(u8::MAX),
            });
        }
    };
    // TS 23.040 §9.2.3.24.1: zero total, or seqnum zero or over total, ignores the whole IE.
    if total == 0 || seqnum == 0 || seqnum > total {
        return Ok(None);
    }
    Ok(Some(Concat {
        reference,
        total,
        seqnum,
    }))
}

/// IEI of concatenated short messages with an 8-bit reference.
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI of concatenated short messages with a 16-bit reference.
pub const IEI_CONCAT_16: u8 = 0x08;

/// Size of the concatenation UDH for an 8-bit reference, UDHL included.
pub const CONCAT_8_UDH_SIZE: usize = 6;
/// Size of the concatenation UDH for a 16-bit reference, UDHL included.
pub const CONCAT_16_UDH_SIZE: usize = 7;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn concat_8_bit_header_parses_field_by_field() {
        // Proves IEI 0x00 parsing on a spec-shaped header, and that the body follows it.
        let user_data = [
            0x05, // UDHL: 5 octets of IEs
            0x00, // IEI: concatenated short messages, 8-bit reference
            0x03, // IEDL
            0x2A, // reference 42
            0x03, // 3 parts
            0x02, // this is part 2
            b'h', b'i',
        ];
        let (udh, body) = Udh::parse(&user_data).unwrap();
        assert_eq!(body, b"hi");
        assert_eq!(udh.size(), 6);
        assert_eq!(udh.gsm7_fill_bits(), 1);
        assert_eq!(udh.gsm7_septet_count(), 7);
        assert_eq!(
            udh.concat(),
            Some(Concat {
                reference: ConcatReference::Ref8(42),
                total: 3,
                seqnum: 2
            })
        );
        assert_eq!(
            ConcatUdh::new(ConcatReference::Ref8(42), 3, 2).as_bytes(),
            &user_data[..6]
        );
    }

    #[test]
    fn concat_16_bit_header_keeps_other_ies() {
        // Proves IEI 0x08 parsing next to an unknown IE (port addressing 0x05), which is kept.
        let user_data = [
            0x0C, // UDHL: 12 octets
            0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, // IEI 0x05: ports 2948 -> 9200
            0x08, // IEI: concatenated, 16-bit reference
            0x04, // IEDL
            0x12, 0x34, // reference 0x1234
            0x02, // 2 parts
            0x01, // part 1
        ];
        let (udh, body) = Udh::parse(&user_data).unwrap();
        assert!(body.is_empty());
        assert_eq!(udh.gsm7_fill_bits(), 1); // 13 octets = 104 bits; 105 is 15 septets
        let ies: Vec<Ie<'_>> = udh.ies().collect();
        assert_eq!(ies.len(), 2);
        assert_eq!(
            ies[0],
            Ie {
                iei: 0x05,
                data: &[0x0B, 0x84, 0x23, 0xF0]
            }
        );
        assert_eq!(
            udh.concat(),
            Some(Concat {
                reference: ConcatReference::Ref16(0x1234),
                total: 2,
                seqnum: 1
            })
        );
        let written = ConcatUdh::new(ConcatReference::Ref16(0x1234), 2, 1);
        assert_eq!(
            written.as_bytes(),
            &[0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01]
        );
    }

    #[test]
    fn malformed_headers_are_typed_errors() {
        // Proves each structural fault has its own error: empty data, UDHL past the data, an
        // IE header cut short, IE data cut short, and a concat IE of the wrong length.
        assert_eq!(Udh::parse(&[]), Err(UdhError::Empty));
        assert_eq!(
            Udh::parse(&[0x05, 0x00, 0x03]),
            Err(UdhError::LengthOver {
                udhl: 5,
                available: 2
            })
        );
        assert_eq!(
            Udh::parse(&[0x01, 0x00]),
            Err(UdhError::IeTruncated {
                iei: 0x00,
                offset: 0
            })
        );
        assert_eq!(
            Udh::parse(&[0x04, 0x00, 0x03, 0x01, 0x02]),
            Err(UdhError::IeTruncated {
                iei: 0x00,
                offset: 0
            })
        );
        assert_eq!(
            Udh::parse(&[0x04, 0x00, 0x02, 0x01, 0x02]),
            Err(UdhError::ConcatLength {
                iei: 0x00,
                length: 2
            })
        );
    }

    #[test]
    fn unusable_concat_values_are_ignored_as_spec_says() {
        // Proves TS 23.040 §9.2.3.24.1: total 0, seqnum 0 or seqnum > total leave no concat
        // info but keep the IE; an empty header (UDHL 0) is valid.
        for (total, seqnum) in [(0, 0), (3, 0), (3, 4)] {
            let user_data = [0x05, 0x00, 0x03, 0x01, total, seqnum];
            let (udh, _) = Udh::parse(&user_data).unwrap();
            assert_eq!(udh.concat(), None);
            assert_eq!(udh.ies().count(), 1);
        }
        let (udh, body) = Udh::parse(&[0x00, 0x41]).unwrap();
        assert_eq!((udh.size(), udh.concat(), body), (1, None, &[0x41][..]));
    }

    #[test]
    fn repeated_concat_ie_uses_the_last() {
        // Proves the last-occurrence rule for a repeated non-repeatable IE.
        let user_data = [
            0x0B, 0x00, 0x03, 0x01, 0x02, 0x01, // 8-bit ref 1, part 1 of 2
            0x08, 0x04, 0x00, 0x09, 0x03, 0x02, // 16-bit ref 9, part 2 of 3
        ];
        let (udh, _) = Udh::parse(&user_data).unwrap();
        assert_eq!(
            udh.concat(),
            Some(Concat {
                reference: ConcatReference::Ref16(9),
                total: 3,
                seqnum: 2
            })
        );
    }

    proptest! {
        #[test]
        fn random_user_data_parses_or_fails_typed(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            // Proves hostile input never panics, and a parsed header accounts for every octet:
            // header size + body == input, and the IEs tile the header exactly.
            if let Ok((udh, body)) = Udh::parse(&data) {
                prop_assert_eq!(udh.size() + body.len(), data.len());
                let tiled: usize = udh.ies().map(|ie| ie.data.len() + 2).sum();
                prop_assert_eq!(tiled + 1, udh.size());
            }
        }

        #[test]
        fn written_concat_headers_parse_back(reference in any::<u16>(), total in 1u8..=255, seqnum_seed in any::<u8>(), wide in any::<bool>()) {
            // Proves ConcatUdh and Udh::parse agree for every reference, total and seqnum.
            let seqnum = seqnum_seed % total + 1;
            let reference = if wide {
                ConcatReference::Ref16(reference)
            } else {
                ConcatReference::Ref8(reference as u8)
            };
            let header = ConcatUdh::new(reference, total, seqnum);
            let (udh, body) = Udh::parse(header.as_bytes()).unwrap();
            prop_assert!(body.is_empty());
            prop_assert_eq!(udh.concat(), Some(Concat { reference, total, seqnum }));
        }
    }
}
