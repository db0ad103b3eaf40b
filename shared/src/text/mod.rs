//! Text coding for short messages: the GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1),
//! UCS2 (UTF-16BE), Latin-1, the SMPP `data_coding` mapping (SMPP 3.4 §5.2.19, TS 23.038 §4),
//! splitting and reassembling concatenated messages (TS 23.040 §9.2.3.24.1 and §9.2.3.24.8,
//! SMPP 3.4 SAR TLVs and message_payload), user data headers (TS 23.040 §9.2.3.24), and
//! delivery receipt text (SMPP 3.4 Appendix B).
//!
//! Nothing here does I/O: the reassembler takes `now` in milliseconds. Every decoder and parser
//! takes hostile bytes and answers with a value or a typed error; [`fuzz::fuzz_text`] proves it.
//! `docs/text.md` lists what is supported and the tolerance choices.
//!
//! - [`gsm7`]: character tables, septet counting, packed and unpacked encoding and decoding.
//! - [`ucs2`], [`latin1`]: the other two text codings.
//! - [`coding`]: [`Coding`], `data_coding` values, choosing a coding for a text.
//! - [`split`]: part budgets, [`split_text`], [`split_binary`], [`count_parts`].
//! - [`udh`]: parsing a user data header, writing concatenation headers.
//! - [`reassembly`]: the bounded sans-IO [`Reassembler`].
//! - [`receipt`]: formatting and tolerant parsing of receipt text.

pub mod coding;
pub mod fuzz;
pub mod gsm7;
pub mod latin1;
pub mod reassembly;
pub mod receipt;
pub mod split;
pub mod ucs2;
pub mod udh;

#[cfg(test)]
mod testing;

pub use coding::{Coding, CodingError, DataCodingMap, TextError};
pub use gsm7::{Gsm7Error, GsmChar};
pub use latin1::Latin1Error;
pub use reassembly::{Completed, Expired, PART_SIZE_MAX, Reassembler, ReassemblyError};
pub use receipt::{
    IdCase, IdNormalization, IdRadix, Receipt, ReceiptDate, ReceiptError, Stat, id_value,
    normalize_id,
};
pub use split::{
    ConcatMode, Gsm7Packing, Part, Sar, SplitError, SplitOptions, count_parts, split_binary,
    split_text, unit_capacity,
};
pub use ucs2::Ucs2Error;
pub use udh::{Concat, ConcatReference, ConcatUdh, Ie, Udh, UdhError};
