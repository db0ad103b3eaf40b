//! SMPP command_status codes (SMPP v3.4 §5.1.3, SMPP v5.0 §4.7.6).
//!
//! `CommandStatus` is a newtype rather than a closed enum because the wire carries codes we do
//! not define (SMSC vendor codes 0x400-0x4FF and anything reserved): those must survive a
//! decode-encode round trip. Every standard code is a named constant, and [`CommandStatus::name`]
//! and [`CommandStatus::description`] give operators the spec's words.

use std::fmt;

/// One SMPP command_status value.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandStatus(pub u32);

macro_rules! statuses {
    ($($name:ident = $value:literal, $description:literal;)*) => {
        #[allow(non_upper_case_globals)]
        impl CommandStatus {
            $(
                #[doc = $description]
                pub const $name: CommandStatus = CommandStatus($value);
            )*

            /// Every code the specifications define, in numeric order.
            pub const ALL: &'static [CommandStatus] = &[$(CommandStatus::$name),*];

            /// The spec's name (`"ESME_RTHROTTLED"`), or `None` for a code it does not define.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }

            /// The spec's description, or a description of the range an undefined code is in.
            pub fn description(self) -> &'static str {
                match self.0 {
                    $($value => $description,)*
                    0x400..=0x4FF => "SMSC vendor-specific error",
                    _ => "reserved error code",
                }
            }
        }
    };
}

statuses! {
    ESME_ROK = 0x0000_0000, "No error";
    ESME_RINVMSGLEN = 0x0000_0001, "Message length is invalid";
    ESME_RINVCMDLEN = 0x0000_0002, "Command length is invalid";
    ESME_RINVCMDID = 0x0000_0003, "Invalid command ID";
    ESME_RINVBNDSTS = 0x0000_0004, "Incorrect bind status for given command";
    ESME_RALYBND = 0x0000_0005, "ESME already in bound state";
    ESME_RINVPRTFLG = 0x0000_0006, "Invalid priority flag";
    ESME_RINVREGDLVFLG = 0x0000_0007, "Invalid registered delivery flag";
    ESME_RSYSERR = 0x0000_0008, "System error";
    ESME_RINVSRCADR = 0x0000_000A, "Invalid source address";
    ESME_RINVDSTADR = 0x0000_000B, "Invalid destination address";
    ESME_RINVMSGID = 0x0000_000C, "Message ID is invalid";
    ESME_RBINDFAIL = 0x0000_000D, "Bind failed";
    ESME_RINVPASWD = 0x0000_000E, "Invalid password";
    ESME_RINVSYSID = 0x0000_000F, "Invalid system ID";
    ESME_RCANCELFAIL = 0x0000_0011, "Cancel SM failed";
    ESME_RREPLACEFAIL = 0x0000_0013, "Replace SM failed";
    ESME_RMSGQFUL = 0x0000_0014, "Message queue full";
    ESME_RINVSERTYP = 0x0000_0015, "Invalid service type";
    ESME_RINVNUMDESTS = 0x0000_0033, "Invalid number of destinations";
    ESME_RINVDLNAME = 0x0000_0034, "Invalid distribution list name";
    ESME_RINVDESTFLAG = 0x0000_0040, "Destination flag is invalid (submit_multi)";
    ESME_RINVSUBREP = 0x0000_0042, "Invalid submit with replace request";
    ESME_RINVESMCLASS = 0x0000_0043, "Invalid esm_class field data";
    ESME_RCNTSUBDL = 0x0000_0044, "Cannot submit to distribution list";
    ESME_RSUBMITFAIL = 0x0000_0045, "submit_sm or submit_multi failed";
    ESME_RINVSRCTON = 0x0000_0048, "Invalid source address TON";
    ESME_RINVSRCNPI = 0x0000_0049, "Invalid source address NPI";
    ESME_RINVDSTTON = 0x0000_0050, "Invalid destination address TON";
    ESME_RINVDSTNPI = 0x0000_0051, "Invalid destination address NPI";
    ESME_RINVSYSTYP = 0x0000_0053, "Invalid system_type field";
    ESME_RINVREPFLAG = 0x0000_0054, "Invalid replace_if_present flag";
    ESME_RINVNUMMSGS = 0x0000_0055, "Invalid number of messages";
    ESME_RTHROTTLED = 0x0000_0058, "Throttling error (ESME has exceeded allowed message limits)";
    ESME_RINVSCHED = 0x0000_0061, "Invalid scheduled delivery time";
    ESME_RINVEXPIRY = 0x0000_0062, "Invalid message validity period (expiry time)";
    ESME_RINVDFTMSGID = 0x0000_0063, "Predefined message invalid or not found";
    ESME_RX_T_APPN = 0x0000_0064, "ESME receiver temporary app error code";
    ESME_RX_P_APPN = 0x0000_0065, "ESME receiver permanent app error code";
    ESME_RX_R_APPN = 0x0000_0066, "ESME receiver reject message error code";
    ESME_RQUERYFAIL = 0x0000_0067, "query_sm request failed";
    ESME_RINVTLVSTREAM = 0x0000_00C0, "Error in the optional part of the PDU body";
    ESME_RTLVNOTALLWD = 0x0000_00C1, "Optional parameter (TLV) not allowed";
    ESME_RINVTLVLEN = 0x0000_00C2, "Invalid parameter length";
    ESME_RMISSINGTLV = 0x0000_00C3, "Expected optional parameter missing";
    ESME_RINVTLVVAL = 0x0000_00C4, "Invalid optional parameter value";
    ESME_RDELIVERYFAILURE = 0x0000_00FE, "Transaction delivery failure (data_sm)";
    ESME_RUNKNOWNERR = 0x0000_00FF, "Unknown error";
    ESME_RSERTYPUNAUTH = 0x0000_0100, "ESME not authorised to use specified service_type";
    ESME_RPROHIBITED = 0x0000_0101, "ESME prohibited from using specified operation";
    ESME_RSERTYPUNAVAIL = 0x0000_0102, "Specified service_type is unavailable";
    ESME_RSERTYPDENIED = 0x0000_0103, "Specified service_type is denied";
    ESME_RINVDCS = 0x0000_0104, "Invalid data coding scheme";
    ESME_RINVSRCADDRSUBUNIT = 0x0000_0105, "Source address sub-unit is invalid";
    ESME_RINVDSTADDRSUBUNIT = 0x0000_0106, "Destination address sub-unit is invalid";
    ESME_RINVBCASTFREQINT = 0x0000_0107, "Broadcast frequency interval is invalid";
    ESME_RINVBCASTALIAS_NAME = 0x0000_0108, "Broadcast alias name is invalid";
    ESME_RINVBCASTAREAFMT = 0x0000_0109, "Broadcast area format is invalid";
    ESME_RINVNUMBCAST_AREAS = 0x0000_010A, "Number of broadcast areas is invalid";
    ESME_RINVBCASTCNTTYPE = 0x0000_010B, "Broadcast content type is invalid";
    ESME_RINVBCASTMSGCLASS = 0x0000_010C, "Broadcast message class is invalid";
    ESME_RBCASTFAIL = 0x0000_010D, "broadcast_sm operation failed";
    ESME_RBCASTQUERYFAIL = 0x0000_010E, "query_broadcast_sm operation failed";
    ESME_RBCASTCANCELFAIL = 0x0000_010F, "cancel_broadcast_sm operation failed";
    ESME_RINVBCAST_REP = 0x0000_0110, "Number of repeated broadcasts is invalid";
    ESME_RINVBCASTSRVGRP = 0x0000_0111, "Broadcast service group is invalid";
    ESME_RINVBCASTCHANIND = 0x0000_0112, "Broadcast channel indicator is invalid";
}

#[allow(non_upper_case_globals)]
impl CommandStatus {
    /// SMPP 3.4's name for 0xC0 (5.0 calls it `ESME_RINVTLVSTREAM`).
    pub const ESME_RINVOPTPARSTREAM: CommandStatus = CommandStatus::ESME_RINVTLVSTREAM;
    /// SMPP 3.4's name for 0xC1 (5.0 calls it `ESME_RTLVNOTALLWD`).
    pub const ESME_ROPTPARNOTALLWD: CommandStatus = CommandStatus::ESME_RTLVNOTALLWD;
    /// SMPP 3.4's name for 0xC2 (5.0 calls it `ESME_RINVTLVLEN`).
    pub const ESME_RINVPARLEN: CommandStatus = CommandStatus::ESME_RINVTLVLEN;
    /// SMPP 3.4's name for 0xC3 (5.0 calls it `ESME_RMISSINGTLV`).
    pub const ESME_RMISSINGOPTPARAM: CommandStatus = CommandStatus::ESME_RMISSINGTLV;
    /// SMPP 3.4's name for 0xC4 (5.0 calls it `ESME_RINVTLVVAL`).
    pub const ESME_RINVOPTPARAMVAL: CommandStatus = CommandStatus::ESME_RINVTLVVAL;

    /// True for `ESME_ROK`.
    pub fn is_ok(self) -> bool {
        self == CommandStatus::ESME_ROK
    }

    /// True for codes after which a later retry of the same message may succeed (throttling,
    /// queue full, temporary application errors, system error). Failover logic uses this.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            CommandStatus::ESME_RTHROTTLED
                | CommandStatus::ESME_RMSGQFUL
                | CommandStatus::ESME_RX_T_APPN
                | CommandStatus::ESME_RSYSERR
        )
    }
}

impl fmt::Debug for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}(0x{:08X})", self.0),
            None => write!(f, "CommandStatus(0x{:08X})", self.0),
        }
    }
}

impl fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:08X}): {}", self.0, self.description()),
            None => write!(f, "0x{:08X}: {}", self.0, self.description()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Proves every defined code has a unique value, a name and a non-empty description, and that
    // the table is in numeric order (a typo in a value would break the order or uniqueness).
    #[test]
    fn every_code_is_named_unique_and_ordered() {
        for pair in CommandStatus::ALL.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} {:?}", pair[0], pair[1]);
        }
        for status in CommandStatus::ALL {
            assert!(status.name().is_some());
            assert!(!status.description().is_empty());
        }
        assert_eq!(CommandStatus::ALL.len(), 67);
    }

    // Proves the values operators see most often match the SMPP 3.4 table.
    #[test]
    fn well_known_codes_match_the_spec() {
        assert_eq!(CommandStatus::ESME_RTHROTTLED.0, 0x58);
        assert_eq!(CommandStatus::ESME_RMSGQFUL.0, 0x14);
        assert_eq!(CommandStatus::ESME_RINVDSTADR.0, 0x0B);
        assert_eq!(CommandStatus::ESME_RINVCMDID.0, 0x03);
        assert_eq!(CommandStatus(0x58).name(), Some("ESME_RTHROTTLED"));
        assert_eq!(CommandStatus(0x401).name(), None);
        assert_eq!(
            CommandStatus(0x401).description(),
            "SMSC vendor-specific error"
        );
        assert_eq!(
            format!("{:?}", CommandStatus::ESME_RINVPASWD),
            "ESME_RINVPASWD(0x0000000E)"
        );
    }
}
