//! Fuzz body for the text module: one plain function, run by `cargo fuzz` and by a stable
//! `#[test]` over a fixed-seed batch (STYLE.md §7, "Property and fuzz").
//!
//! Every decoder and parser gets the bytes; whatever they accept must re-encode consistently.
//! Peer input must only ever produce values or typed errors, so any panic here is a bug.

use super::coding::Coding;
use super::reassembly::Reassembler;
use super::receipt::Receipt;
use super::split::{ConcatMode, Gsm7Packing, SplitOptions, split_binary, split_text};
use super::udh::{ConcatReference, Udh};
use super::{gsm7, latin1, ucs2};

/// Feeds `data` to every text decoder, the UDH parser, the receipt parser, the splitter and a
/// tiny reassembler, checking round-trip invariants on what they accept.
pub fn fuzz_text(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    fuzz_decoders(selector, rest);
    fuzz_udh(rest);
    if let Ok(receipt) = Receipt::parse_bytes(rest) {
        let formatted = receipt.to_string();
        let reparsed = Receipt::parse(&formatted);
        assert_eq!(reparsed.map(|again| again.id), Ok(receipt.id));
    }
    if let Ok(text) = std::str::from_utf8(rest) {
        fuzz_split(selector, text);
    }
    let _ = split_binary(rest, mode_of(selector));
    fuzz_reassembly(rest);
}

fn fuzz_decoders(selector: u8, octets: &[u8]) {
    if let Ok(text) = gsm7::decode_unpacked(octets) {
        // Whatever decodes is GSM text, though not always the same octets (fallbacks).
        assert!(gsm7::is_encodable(&text));
    }
    let septet_count = octets.len() * 8 / 7;
    let _ = gsm7::decode_packed(octets, septet_count, selector % 8);
    let _ = gsm7::unpack(octets, usize::from(selector), selector % 8);
    match ucs2::decode(octets) {
        Ok(text) => assert_eq!(ucs2::encode(&text), octets),
        Err(_) => {
            let _ = ucs2::decode_lossy(octets);
        }
    }
    let text = latin1::decode(octets);
    assert_eq!(latin1::encode(&text).ok().as_deref(), Some(octets));
    if let Ok(coding) = Coding::from_data_coding(selector) {
        let _ = coding.decode(octets);
    }
}

fn fuzz_udh(octets: &[u8]) {
    let Ok((udh, body)) = Udh::parse(octets) else {
        return;
    };
    assert_eq!(udh.size() + body.len(), octets.len());
    let tiled: usize = udh.ies().map(|ie| ie.data.len() + 2).sum();
    assert_eq!(tiled + 1, udh.size());
    if let Some(concat) = udh.concat() {
        assert!(concat.seqnum >= 1);
        assert!(concat.seqnum <= concat.total);
    }
    let _ = gsm7::decode_packed(body, body.len() * 8 / 7, udh.gsm7_fill_bits());
}

fn fuzz_split(selector: u8, text: &str) {
    let coding = Coding::choose(text);
    let options = SplitOptions {
        mode: mode_of(selector),
        gsm7_packing: if selector & 0x80 == 0 {
            Gsm7Packing::Unpacked
        } else {
            Gsm7Packing::Packed
        },
    };
    let Ok(parts) = split_text(text, coding, options) else {
        return;
    };
    let mut joined = String::with_capacity(text.len());
    for part in &parts {
        assert_eq!(part.esm_class_udhi, part.udh.is_some());
        let fill_bits = part.udh.map_or(0, |udh| gsm7::fill_bits_for(udh.size()));
        let piece = match (coding, options.gsm7_packing, part.septet_count) {
            (Coding::Gsm7, Gsm7Packing::Packed, Some(count)) => {
                gsm7::decode_packed(&part.payload, count, fill_bits).ok()
            }
            _ => coding.decode(&part.payload).ok(),
        };
        assert!(piece.is_some(), "a part of our own split failed to decode");
        joined.push_str(piece.as_deref().unwrap_or_default());
    }
    assert_eq!(joined, text);
}

fn mode_of(selector: u8) -> ConcatMode {
    match selector % 4 {
        0 => ConcatMode::Udh8 {
            reference: selector,
        },
        1 => ConcatMode::Udh16 {
            reference: u16::from(selector) << 8,
        },
        2 => ConcatMode::Sar {
            sar_msg_ref_num: u16::from(selector),
        },
        _ => ConcatMode::MessagePayload,
    }
}

/// Drives a 2-message reassembler with 4-octet records: key, reference, total, seqnum.
fn fuzz_reassembly(octets: &[u8]) {
    let mut table = Reassembler::new(2, 10);
    let mut now = 0u64;
    for record in octets.chunks_exact(4) {
        let (key, reference) = (record[0] % 3, ConcatReference::Ref8(record[1] % 3));
        let payload = &octets[..usize::from(record[3] & 0x0F).min(octets.len())];
        if let Ok(Some(completed)) =
            table.handle_part(key, reference, record[2] % 5, record[3] % 5, payload, now)
        {
            assert!(!completed.parts.is_empty());
        }
        assert!(table.len() <= 2);
        now += u64::from(record[0] & 0x07);
        while let Some(expired) = table.poll_expired(now) {
            assert!(expired.parts.len() < usize::from(expired.total));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::testing::SplitMix64;

    #[test]
    fn fuzz_text_survives_a_fixed_seed_batch() {
        // Proves the fuzz body holds on 4,000 seeded inputs: random bytes, plus mutated
        // receipts, UDH-prefixed data and GSM/UCS2 text, so each parser sees near-valid input.
        let seeds: [&[u8]; 4] = [
            b"id:123 sub:001 dlvrd:001 submit date:2403151230 done date:2403151231 stat:DELIVRD err:000 text:hi",
            &[0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, 0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37],
            "Hello {world} €5 ^~ Ünïcödé 😀 text".as_bytes(),
            &[0xD8, 0x3D, 0xDE, 0x00, 0x00, 0x41, 0x1B, 0x1B, 0x1B],
        ];
        let mut random = SplitMix64(0x5EED_7E47);
        for round in 0..4_000 {
            let mut data: Vec<u8> = if round % 2 == 0 {
                let length = random.below(320);
                (0..length).map(|_| random.next_u64() as u8).collect()
            } else {
                let mut data = seeds[random.below(seeds.len())].to_vec();
                for _ in 0..random.below(4) {
                    let position = random.below(data.len());
                    data[position] = random.next_u64() as u8;
                }
                data.insert(0, random.next_u64() as u8);
                data
            };
            if round % 7 == 0 {
                // Long text crosses part boundaries in every mode.
                data.extend(std::iter::repeat_n(b'a', random.below(700)));
            }
            fuzz_text(&data);
        }
    }
}
