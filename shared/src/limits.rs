//! Compile-time limits shared by the codecs, the sessions and the runtime.
//!
//! Each limit says what it costs, what happens when it is reached and why the default. Run-time
//! limits in the typed config are checked against these ceilings at load time.

/// Largest SMPP command_length the gateway accepts, in bytes.
///
/// Cost: one receive buffer per session must hold a whole PDU, so this bounds per-session memory.
/// At the bound: the frame splitter returns `FrameError::LengthOver` and the session answers
/// `generic_nack` with `ESME_RINVCMDLEN` (0x02) and closes, because the stream is out of sync.
/// Why: the largest legal SMPP PDU is a submit_multi with 255 full SME addresses and a
/// 65,535-octet message_payload, 71,747 octets; 72,000 holds it with a few optional TLVs.
pub const SMPP_PDU_SIZE_MAX: u32 = 72_000;

/// Smallest SMPP command_length: the 16-byte header alone (e.g. enquire_link).
pub const SMPP_PDU_SIZE_MIN: u32 = 16;

/// Largest CMPP Total_Length accepted, in bytes.
///
/// Cost and behaviour as [`SMPP_PDU_SIZE_MAX`]; at the bound the CMPP session closes the
/// connection (CMPP has no generic_nack). Why: a CMPP 3.0 SUBMIT with 100 destinations and a
/// 255-octet message is under 4 KiB; 8 KiB leaves room for FWD and vendor extensions.
pub const CMPP_PDU_SIZE_MAX: u32 = 8_192;

/// Smallest CMPP Total_Length: the 12-byte header alone (e.g. CMPP_ACTIVE_TEST).
pub const CMPP_PDU_SIZE_MIN: u32 = 12;

/// Most destinations in one SMPP submit_multi (number_of_dests is one octet; SMPP 3.4 §4.5.1).
pub const SUBMIT_MULTI_DESTS_MAX: usize = 255;

/// Most TLVs the decoder reads from one PDU before answering `ESME_RINVTLVSTREAM`-style errors.
///
/// Cost: the owned form keeps one `Tlv` per entry. At the bound: decode fails with
/// `TooManyTlvs`. Why: a real PDU carries a dozen at most; 64 stops hostile TLV floods.
pub const TLVS_PER_PDU_MAX: usize = 64;

/// Most parts a long message is split into (the UDH's total-parts field is one octet).
pub const CONCAT_PARTS_MAX: usize = 255;

/// Receive buffers must hold one whole PDU of either protocol.
pub const RECV_BUFFER_SIZE: usize = 72 * 1024;

const _: () = assert!(SMPP_PDU_SIZE_MAX as usize <= RECV_BUFFER_SIZE);
const _: () = assert!(CMPP_PDU_SIZE_MAX as usize <= RECV_BUFFER_SIZE);
const _: () = assert!(SMPP_PDU_SIZE_MIN < SMPP_PDU_SIZE_MAX);
