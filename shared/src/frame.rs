//! Splits a byte stream into length-prefixed PDUs without copying or allocating.
//!
//! SMPP (v3.4 §3.2) and CMPP (v3.0 §7.4.1) both start every PDU with a 4-octet big-endian
//! total length that counts itself. The caller appends received bytes to its buffer and asks
//! [`next_frame`] how long the first complete PDU is; a partial PDU asks for more bytes, a
//! length outside `[min, max]` is a precise error, never a wait for bytes that will not come.
//!
//! Bounds: a frame is never longer than `max`, which callers take from [`crate::limits`] or
//! their config (checked against the same ceilings), so a receive buffer of that size always
//! makes progress.

use thiserror::Error;

/// The length limits of one protocol's frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Smallest legal total length (the bare header).
    pub size_min: u32,
    /// Largest total length accepted.
    pub size_max: u32,
}

impl FrameLimits {
    /// SMPP: 16-byte header, [`crate::limits::SMPP_PDU_SIZE_MAX`] at most.
    pub const SMPP: FrameLimits = FrameLimits {
        size_min: crate::limits::SMPP_PDU_SIZE_MIN,
        size_max: crate::limits::SMPP_PDU_SIZE_MAX,
    };
    /// CMPP: 12-byte header, [`crate::limits::CMPP_PDU_SIZE_MAX`] at most.
    pub const CMPP: FrameLimits = FrameLimits {
        size_min: crate::limits::CMPP_PDU_SIZE_MIN,
        size_max: crate::limits::CMPP_PDU_SIZE_MAX,
    };
}

/// Why a stream cannot be split any further. The stream is out of sync after either one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The length field is smaller than the protocol's header.
    #[error("PDU length {got} is below the {min}-byte header")]
    LengthUnder {
        /// The length field read from the stream.
        got: u32,
        /// The smallest legal length.
        min: u32,
    },
    /// The length field is larger than the configured maximum.
    #[error("PDU length {got} is over the maximum of {max} bytes")]
    LengthOver {
        /// The length field read from the stream.
        got: u32,
        /// The largest accepted length.
        max: u32,
    },
}

/// Returns the length of the complete PDU at the start of `buffer`, `Ok(None)` when more bytes
/// are needed, or an error when the length field is out of `limits`.
pub fn next_frame(buffer: &[u8], limits: FrameLimits) -> Result<Option<usize>, FrameError> {
    debug_assert!(limits.size_min >= 4);
    debug_assert!(limits.size_min <= limits.size_max);
    let Some(length_bytes) = buffer.first_chunk::<4>() else {
        return Ok(None);
    };
    let length = u32::from_be_bytes(*length_bytes);
    if length < limits.size_min {
        return Err(FrameError::LengthUnder {
            got: length,
            min: limits.size_min,
        });
    }
    if length > limits.size_max {
        return Err(FrameError::LengthOver {
            got: length,
            max: limits.size_max,
        });
    }
    let length = length as usize;
    if buffer.len() < length {
        return Ok(None);
    }
    Ok(Some(length))
}

/// Iterates over the complete PDUs at the start of a buffer; [`Frames::consumed`] tells the
/// caller how many bytes to drop afterwards. An error ends the iteration.
#[derive(Debug, Clone)]
pub struct Frames<'a> {
    buffer: &'a [u8],
    consumed: usize,
    limits: FrameLimits,
    failed: bool,
}

impl<'a> Frames<'a> {
    /// Starts splitting `buffer` under `limits`.
    pub fn new(buffer: &'a [u8], limits: FrameLimits) -> Frames<'a> {
        Frames {
            buffer,
            consumed: 0,
            limits,
            failed: false,
        }
    }

    /// Bytes taken by the frames returned so far.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The bytes not yet returned as frames (a partial PDU, or the bad bytes after an error).
    pub fn remainder(&self) -> &'a [u8] {
        &self.buffer[self.consumed..]
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<&'a [u8], FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = &self.buffer[self.consumed..];
        match next_frame(rest, self.limits) {
            Ok(None) => None,
            Ok(Some(length)) => {
                self.consumed += length;
                Some(Ok(&rest[..length]))
            }
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pdu(length: u32) -> Vec<u8> {
        let mut bytes = length.to_be_bytes().to_vec();
        bytes.resize(length as usize, 0xAB);
        bytes
    }

    // Proves a partial PDU asks for more bytes, at every cut point of the header and body.
    #[test]
    fn partial_pdu_needs_more_bytes() {
        let whole = pdu(20);
        for cut in 0..whole.len() {
            assert_eq!(
                next_frame(&whole[..cut], FrameLimits::SMPP),
                Ok(None),
                "cut={cut}"
            );
        }
        assert_eq!(next_frame(&whole, FrameLimits::SMPP), Ok(Some(20)));
    }

    // Proves several PDUs in one read come out one by one and the partial tail stays.
    #[test]
    fn many_pdus_in_one_read_split_in_order() {
        let mut stream = pdu(16);
        stream.extend(pdu(30));
        stream.extend(&pdu(17)[..9]);
        let mut frames = Frames::new(&stream, FrameLimits::SMPP);
        assert_eq!(frames.next().unwrap().unwrap().len(), 16);
        assert_eq!(frames.next().unwrap().unwrap().len(), 30);
        assert!(frames.next().is_none());
        assert_eq!(frames.consumed(), 46);
        assert_eq!(frames.remainder().len(), 9);
    }

    // Proves lengths under the header or over the maximum are errors, not waits.
    #[test]
    fn out_of_range_length_is_an_error() {
        let under = 15u32.to_be_bytes();
        assert_eq!(
            next_frame(&under, FrameLimits::SMPP),
            Err(FrameError::LengthUnder { got: 15, min: 16 })
        );
        let over = (crate::limits::SMPP_PDU_SIZE_MAX + 1).to_be_bytes();
        assert!(matches!(
            next_frame(&over, FrameLimits::SMPP),
            Err(FrameError::LengthOver { .. })
        ));
        let garbage = b"GET / HTTP/1.1\r\n";
        assert!(next_frame(garbage, FrameLimits::SMPP).is_err());
        let mut frames = Frames::new(garbage, FrameLimits::SMPP);
        assert!(frames.next().unwrap().is_err());
        assert!(frames.next().is_none(), "iteration ends after an error");
    }

    proptest! {
        // Proves that any byte stream cut at any point never panics and frames never exceed
        // the limit or the buffer.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut frames = Frames::new(&bytes, FrameLimits::CMPP);
            let mut total = 0usize;
            for frame in frames.by_ref() {
                match frame {
                    Ok(f) => {
                        prop_assert!(f.len() >= 12 && f.len() <= 8192);
                        total += f.len();
                    }
                    Err(_) => break,
                }
            }
            prop_assert_eq!(total, frames.consumed());
            prop_assert!(frames.consumed() <= bytes.len());
        }
    }
}
