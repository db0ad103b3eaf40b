//! Fuzz body for the CMPP decoder, as a plain function: `cargo fuzz` calls [`fuzz_decode`] with
//! its inputs, and a stable `#[test]` runs it over a fixed-seed batch (CI smoke).
//!
//! Property: for any byte stream, splitting it into frames and decoding each frame in both
//! versions never panics, and every frame that decodes re-encodes to the same bytes and decodes
//! back to the same PDU. The frame splitter bounds every frame by
//! [`crate::limits::CMPP_PDU_SIZE_MAX`], so the work per input is bounded by its size.

use super::{CmppVersion, decode, encode};
use crate::frame::{FrameLimits, Frames};

/// Splits `data` into CMPP frames and checks decode/encode round trips in both versions.
///
/// Panics (the fuzzer's signal) when a decoded PDU does not re-encode to its frame.
pub fn fuzz_decode(data: &[u8]) {
    let mut encoded = Vec::new();
    for frame in Frames::new(data, FrameLimits::CMPP) {
        let Ok(frame) = frame else {
            // The splitter ends the stream on a bad length; nothing more to decode.
            return;
        };
        for version in CmppVersion::ALL {
            let Ok((header, pdu)) = decode(frame, version) else {
                continue;
            };
            encoded.clear();
            if let Err(error) = encode(&pdu, header.sequence_id, version, &mut encoded) {
                panic!("decoded {pdu:?} does not re-encode in {version}: {error}");
            }
            assert_eq!(
                encoded, frame,
                "re-encoding {pdu:?} changed the frame in {version}"
            );
            match decode(&encoded, version) {
                Ok((_, again)) => assert_eq!(again, pdu, "round trip changed the PDU in {version}"),
                Err(error) => panic!("re-encoded {pdu:?} does not decode in {version}: {error}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::testing::examples;
    use crate::cmpp::{CommandId, HEADER_SIZE, Pdu};

    /// Inputs in the smoke batch; enough to reach every rejection path, small enough for CI.
    const SMOKE_INPUT_COUNT: usize = 20_000;

    /// SplitMix64: a tiny deterministic generator, so the batch is the same on every run.
    struct SplitMix64(u64);

    impl SplitMix64 {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, bound: usize) -> usize {
            (self.next() % bound as u64) as usize
        }
    }

    /// Valid frames of every PDU type in both versions, to mutate.
    fn seeds() -> Vec<Vec<u8>> {
        let mut seeds = Vec::new();
        for version in CmppVersion::ALL {
            let mut pdus = examples(version);
            pdus.extend([Pdu::Terminate, Pdu::ActiveTest]);
            for pdu in pdus {
                let mut frame = Vec::new();
                encode(&pdu, 1, version, &mut frame).unwrap();
                seeds.push(frame);
            }
        }
        seeds
    }

    /// One generated input: random bytes, a random body behind a real header, or a mutated
    /// valid frame (octets changed, cut, extended, Total_Length fixed up or not), sometimes
    /// several frames in a row.
    fn input(rng: &mut SplitMix64, seeds: &[Vec<u8>]) -> Vec<u8> {
        let mut data = Vec::new();
        for _ in 0..=rng.below(3) {
            let mut frame = match rng.below(3) {
                0 => (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
                1 => {
                    let command_id = CommandId::ALL[rng.below(CommandId::ALL.len())];
                    let body_size = rng.below(320);
                    let mut frame = Vec::with_capacity(HEADER_SIZE + body_size);
                    frame.extend_from_slice(&((HEADER_SIZE + body_size) as u32).to_be_bytes());
                    frame.extend_from_slice(&(command_id as u32).to_be_bytes());
                    frame.extend_from_slice(&[0, 0, 0, 1]);
                    frame.extend((0..body_size).map(|_| rng.next() as u8));
                    frame
                }
                _ => seeds[rng.below(seeds.len())].clone(),
            };
            for _ in 0..rng.below(4) {
                mutate(rng, &mut frame);
            }
            data.extend_from_slice(&frame);
        }
        data
    }

    fn mutate(rng: &mut SplitMix64, frame: &mut Vec<u8>) {
        if frame.is_empty() {
            return;
        }
        match rng.below(4) {
            0 => {
                let index = rng.below(frame.len());
                frame[index] = rng.next() as u8;
            }
            1 => frame.truncate(rng.below(frame.len())),
            2 => frame.extend((0..rng.below(24)).map(|_| rng.next() as u8)),
            _ => {}
        }
        if frame.len() >= 4 && rng.below(2) == 0 {
            let size = (frame.len() as u32).to_be_bytes();
            frame[..4].copy_from_slice(&size);
        }
    }

    // Proves the fuzz body holds (no panic, byte-exact round trips) over a fixed-seed batch of
    // random and mutated inputs, and that the batch reaches both the accept and reject paths.
    #[test]
    fn fuzz_decode_smoke_fixed_seed_batch() {
        let seeds = seeds();
        let mut rng = SplitMix64(0x0C3A_u64 << 32 | 0x2024);
        let mut decoded = 0usize;
        let mut rejected = 0usize;
        for _ in 0..SMOKE_INPUT_COUNT {
            let data = input(&mut rng, &seeds);
            fuzz_decode(&data);
            for frame in Frames::new(&data, FrameLimits::CMPP).flatten() {
                match decode(frame, CmppVersion::V3_0) {
                    Ok(_) => decoded += 1,
                    Err(_) => rejected += 1,
                }
            }
        }
        assert!(decoded > SMOKE_INPUT_COUNT / 20, "decoded={decoded}");
        assert!(rejected > SMOKE_INPUT_COUNT / 20, "rejected={rejected}");
    }

    // Proves the fuzz body accepts the valid seeds themselves, concatenated into one stream.
    #[test]
    fn fuzz_decode_accepts_concatenated_valid_frames() {
        let stream: Vec<u8> = seeds().concat();
        fuzz_decode(&stream);
        let count = Frames::new(&stream, FrameLimits::CMPP).count();
        assert_eq!(count, seeds().len());
    }
}
