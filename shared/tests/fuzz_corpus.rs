//! Runs the committed cargo-fuzz corpora (fuzz/corpus/<target>/) through the same fuzz bodies
//! cargo-fuzz runs, on the stable toolchain, so every CI run replays every input the fuzzer ever
//! found interesting. A panic here is a decoder bug; reproduce it with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>` (docs/fuzzing.md).

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("corpus {} missing: {error}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    inputs.sort();
    // Bounded: cargo fuzz cmin keeps the corpora in the low thousands.
    assert!(
        inputs.len() > 100,
        "corpus {target} has only {} inputs",
        inputs.len()
    );
    assert!(
        inputs.len() < 20_000,
        "corpus {target} needs `cargo fuzz cmin`"
    );
    inputs
}

// Proves every committed SMPP corpus input decodes or fails cleanly, and round-trips when valid.
#[test]
fn smpp_corpus_replays_without_panic() {
    for (_path, bytes) in corpus("smpp_decode") {
        smsgw_shared::smpp::fuzz::fuzz_decode(&bytes);
    }
}

// Proves the same for the CMPP corpus in both protocol versions.
#[test]
fn cmpp_corpus_replays_without_panic() {
    for (_path, bytes) in corpus("cmpp_decode") {
        smsgw_shared::cmpp::fuzz::fuzz_decode(&bytes);
    }
}

// Proves the same for the text decoders, UDH and receipt parsers.
#[test]
fn text_corpus_replays_without_panic() {
    for (_path, bytes) in corpus("text_decode") {
        smsgw_shared::text::fuzz::fuzz_text(&bytes);
    }
}

// Proves every committed SMPP session corpus input (frames, timers, answers for both roles)
// runs without panic.
#[test]
fn smpp_session_corpus_replays_without_panic() {
    for (_path, bytes) in corpus("smpp_session") {
        smsgw_shared::smpp::fuzz::fuzz_session(&bytes);
    }
}

// Proves the same for the CMPP session corpus (both versions, both roles).
#[test]
fn cmpp_session_corpus_replays_without_panic() {
    for (_path, bytes) in corpus("cmpp_session") {
        smsgw_shared::cmpp::session::fuzz::fuzz_session(&bytes);
    }
}

// Proves every committed routing corpus input builds and answers like the reference model
// (including the non-digit ported number the fuzzer found, crash-15d86688...).
#[test]
fn route_corpus_replays_without_panic() {
    for (_path, bytes) in corpus("route") {
        smsgw_shared::route::fuzz::fuzz_route(&bytes);
    }
}
