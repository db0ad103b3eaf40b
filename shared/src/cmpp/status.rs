//! Response status codes (CONNECT_RESP Status, SUBMIT_RESP / DELIVER_RESP / FWD_RESP Result,
//! CANCEL_RESP Success_Id; CMPP V3.0 §8.4.1.2, §8.4.3.2, §8.4.5.2, §8.4.6.2, §8.5.4.2) and the
//! one mapping from a [`DecodeError`] to the code a receiver answers with.
//!
//! Each code is a newtype over the wire value with a named constant per value the spec defines,
//! so a vendor code (V3.0 §8.7.2 reserves 100..=199) survives decode and encode unchanged. The
//! spec names its codes in Chinese; the constants are their English translations, with the
//! original in the doc comment. The field is 1 octet in 2.0 and 4 in 3.0; a code over 255
//! cannot be sent to a 2.0 peer ([`super::EncodeError::StatusOverWidth`]).
//!
//! Session-level rejections (repeated Sequence_Id: 3, flow control: 8) are decided by the
//! session, not by the codec, and use the same constants.

use std::fmt;

use super::DecodeError;

/// CMPP_CONNECT_RESP Status (V3.0 §8.4.1.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectStatus(pub u32);

impl ConnectStatus {
    /// 0 正确: connected.
    pub const OK: ConnectStatus = ConnectStatus(0);
    /// 1 消息结构错.
    pub const MESSAGE_STRUCTURE_ERROR: ConnectStatus = ConnectStatus(1);
    /// 2 非法源地址: unknown Source_Addr.
    pub const ILLEGAL_SOURCE_ADDR: ConnectStatus = ConnectStatus(2);
    /// 3 认证错: AuthenticatorSource does not match.
    pub const AUTH_ERROR: ConnectStatus = ConnectStatus(3);
    /// 4 版本太高: Version is higher than the server supports.
    pub const VERSION_TOO_HIGH: ConnectStatus = ConnectStatus(4);
    /// 5~ 其他错误: the first of the "other error" values.
    pub const OTHER_ERROR: ConnectStatus = ConnectStatus(5);

    /// The constant's name, or `None` for a value the spec only calls "other error".
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "OK",
            1 => "MESSAGE_STRUCTURE_ERROR",
            2 => "ILLEGAL_SOURCE_ADDR",
            3 => "AUTH_ERROR",
            4 => "VERSION_TOO_HIGH",
            _ => return None,
        })
    }
}

/// CMPP_SUBMIT_RESP Result (V3.0 §8.4.3.2). Values 9..=13 are defined in 3.0 only; 2.0 calls
/// every value from 9 "other error".
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubmitResult(pub u32);

impl SubmitResult {
    /// 0 正确: accepted.
    pub const OK: SubmitResult = SubmitResult(0);
    /// 1 消息结构错.
    pub const MESSAGE_STRUCTURE_ERROR: SubmitResult = SubmitResult(1);
    /// 2 命令字错: bad Command_Id.
    pub const COMMAND_ID_ERROR: SubmitResult = SubmitResult(2);
    /// 3 消息序号重复: Sequence_Id repeated.
    pub const SEQUENCE_ID_REPEATED: SubmitResult = SubmitResult(3);
    /// 4 消息长度错: Total_Length or Msg_Length wrong.
    pub const MSG_LENGTH_ERROR: SubmitResult = SubmitResult(4);
    /// 5 资费代码错: FeeCode wrong.
    pub const FEE_CODE_ERROR: SubmitResult = SubmitResult(5);
    /// 6 超过最大信息长: Msg_Content over the maximum.
    pub const MSG_LENGTH_OVER_MAX: SubmitResult = SubmitResult(6);
    /// 7 业务代码错: Service_Id wrong.
    pub const SERVICE_ID_ERROR: SubmitResult = SubmitResult(7);
    /// 8 流量控制错: over the flow limit.
    pub const FLOW_CONTROL_ERROR: SubmitResult = SubmitResult(8);
    /// 9 本网关不负责服务此计费号码 (3.0): this ISMG does not serve the charged number.
    pub const FEE_TERMINAL_NOT_SERVED: SubmitResult = SubmitResult(9);
    /// 10 Src_Id错误 (3.0).
    pub const SRC_ID_ERROR: SubmitResult = SubmitResult(10);
    /// 11 Msg_src错误 (3.0).
    pub const MSG_SRC_ERROR: SubmitResult = SubmitResult(11);
    /// 12 Fee_terminal_Id错误 (3.0).
    pub const FEE_TERMINAL_ID_ERROR: SubmitResult = SubmitResult(12);
    /// 13 Dest_terminal_Id错误 (3.0).
    pub const DEST_TERMINAL_ID_ERROR: SubmitResult = SubmitResult(13);

    /// The constant's name (3.0 meanings for 9..=13), or `None` for an undefined value.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0..=8 => COMMON_RESULT_NAMES[self.0 as usize],
            9 => "FEE_TERMINAL_NOT_SERVED",
            10 => "SRC_ID_ERROR",
            11 => "MSG_SRC_ERROR",
            12 => "FEE_TERMINAL_ID_ERROR",
            13 => "DEST_TERMINAL_ID_ERROR",
            _ => return None,
        })
    }
}

/// CMPP_DELIVER_RESP Result (V3.0 §8.4.5.2): the SP's answer to a DELIVER.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliverResult(pub u32);

impl DeliverResult {
    /// 0 正确: accepted.
    pub const OK: DeliverResult = DeliverResult(0);
    /// 1 消息结构错.
    pub const MESSAGE_STRUCTURE_ERROR: DeliverResult = DeliverResult(1);
    /// 2 命令字错.
    pub const COMMAND_ID_ERROR: DeliverResult = DeliverResult(2);
    /// 3 消息序号重复.
    pub const SEQUENCE_ID_REPEATED: DeliverResult = DeliverResult(3);
    /// 4 消息长度错.
    pub const MSG_LENGTH_ERROR: DeliverResult = DeliverResult(4);
    /// 5 资费代码错.
    pub const FEE_CODE_ERROR: DeliverResult = DeliverResult(5);
    /// 6 超过最大信息长.
    pub const MSG_LENGTH_OVER_MAX: DeliverResult = DeliverResult(6);
    /// 7 业务代码错.
    pub const SERVICE_ID_ERROR: DeliverResult = DeliverResult(7);
    /// 8 流量控制错.
    pub const FLOW_CONTROL_ERROR: DeliverResult = DeliverResult(8);
    /// 9~ 其他错误: the first of the "other error" values.
    pub const OTHER_ERROR: DeliverResult = DeliverResult(9);

    /// The constant's name, or `None` for a value the spec only calls "other error".
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0..=8 => Some(COMMON_RESULT_NAMES[self.0 as usize]),
            _ => None,
        }
    }
}

/// CMPP_FWD_RESP Result (V3.0 §8.5.4.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FwdResult(pub u32);

impl FwdResult {
    /// 0 正确: accepted.
    pub const OK: FwdResult = FwdResult(0);
    /// 1 消息结构错.
    pub const MESSAGE_STRUCTURE_ERROR: FwdResult = FwdResult(1);
    /// 2 命令字错.
    pub const COMMAND_ID_ERROR: FwdResult = FwdResult(2);
    /// 3 消息序号重复.
    pub const SEQUENCE_ID_REPEATED: FwdResult = FwdResult(3);
    /// 4 消息长度错.
    pub const MSG_LENGTH_ERROR: FwdResult = FwdResult(4);
    /// 5 资费代码错.
    pub const FEE_CODE_ERROR: FwdResult = FwdResult(5);
    /// 6 超过最大信息长.
    pub const MSG_LENGTH_OVER_MAX: FwdResult = FwdResult(6);
    /// 7 业务代码错.
    pub const SERVICE_ID_ERROR: FwdResult = FwdResult(7);
    /// 8 流量控制错.
    pub const FLOW_CONTROL_ERROR: FwdResult = FwdResult(8);
    /// 9 前转判断错: this SP's traffic should not come to this ISMG.
    pub const FWD_ROUTE_ERROR: FwdResult = FwdResult(9);
    /// 10~ 其他错误: the first of the "other error" values.
    pub const OTHER_ERROR: FwdResult = FwdResult(10);

    /// The constant's name, or `None` for a value the spec only calls "other error".
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0..=8 => Some(COMMON_RESULT_NAMES[self.0 as usize]),
            9 => Some("FWD_ROUTE_ERROR"),
            _ => None,
        }
    }
}

/// CMPP_CANCEL_RESP Success_Id (V3.0 §8.4.6.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CancelResult(pub u32);

impl CancelResult {
    /// 0 成功: cancelled.
    pub const SUCCESS: CancelResult = CancelResult(0);
    /// 1 失败: not cancelled.
    pub const FAILURE: CancelResult = CancelResult(1);

    /// The constant's name, or `None` for an undefined value.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("SUCCESS"),
            1 => Some("FAILURE"),
            _ => None,
        }
    }
}

/// The Result code a receiver answers a PDU it cannot decode with. Every [`DecodeError`]
/// variant is mapped here and only here; SUBMIT, DELIVER and FWD share codes 0..=8.
fn result_code(error: &DecodeError) -> u32 {
    match error {
        DecodeError::UnknownCommandId { .. } => 2,
        DecodeError::HeaderTruncated { .. }
        | DecodeError::TotalLengthMismatch { .. }
        | DecodeError::FieldTruncated { .. }
        | DecodeError::TrailingBytes { .. }
        | DecodeError::MsgLengthMismatch { .. } => 4,
        DecodeError::MsgLengthOverMax { .. } => 6,
        DecodeError::DestUsrTlInvalid { .. }
        | DecodeError::PkNumberInvalid { .. }
        | DecodeError::RegisteredDeliveryInvalid { .. }
        | DecodeError::StatusReportSize { .. } => 1,
    }
}

impl From<&DecodeError> for SubmitResult {
    fn from(error: &DecodeError) -> Self {
        SubmitResult(result_code(error))
    }
}

impl From<&DecodeError> for DeliverResult {
    fn from(error: &DecodeError) -> Self {
        DeliverResult(result_code(error))
    }
}

impl From<&DecodeError> for FwdResult {
    fn from(error: &DecodeError) -> Self {
        FwdResult(result_code(error))
    }
}

/// A CMPP_CONNECT that cannot be decoded is a message structure error, whatever the reason:
/// CONNECT_RESP has no length or command codes.
impl From<&DecodeError> for ConnectStatus {
    fn from(error: &DecodeError) -> Self {
        match error {
            DecodeError::HeaderTruncated { .. }
            | DecodeError::TotalLengthMismatch { .. }
            | DecodeError::UnknownCommandId { .. }
            | DecodeError::FieldTruncated { .. }
            | DecodeError::TrailingBytes { .. }
            | DecodeError::MsgLengthMismatch { .. }
            | DecodeError::MsgLengthOverMax { .. }
            | DecodeError::DestUsrTlInvalid { .. }
            | DecodeError::PkNumberInvalid { .. }
            | DecodeError::RegisteredDeliveryInvalid { .. }
            | DecodeError::StatusReportSize { .. } => ConnectStatus::MESSAGE_STRUCTURE_ERROR,
        }
    }
}

macro_rules! debug_with_name {
    ($($ty:ident),*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{}::{name}", stringify!($ty)),
                    None => write!(f, "{}({})", stringify!($ty), self.0),
                }
            }
        }
    )*};
}

debug_with_name!(
    ConnectStatus,
    SubmitResult,
    DeliverResult,
    FwdResult,
    CancelResult
);

/// Names of Result codes 0..=8, shared by SUBMIT_RESP, DELIVER_RESP and FWD_RESP.
const COMMON_RESULT_NAMES: [&str; 9] = [
    "OK",
    "MESSAGE_STRUCTURE_ERROR",
    "COMMAND_ID_ERROR",
    "SEQUENCE_ID_REPEATED",
    "MSG_LENGTH_ERROR",
    "FEE_CODE_ERROR",
    "MSG_LENGTH_OVER_MAX",
    "SERVICE_ID_ERROR",
    "FLOW_CONTROL_ERROR",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmpp::CommandId;

    // Proves each decode error maps to the Result code the spec assigns its cause: length
    // problems to 4, unknown commands to 2, over-long content to 6, bad values to 1, and that
    // CONNECT failures are always a structure error.
    #[test]
    fn decode_errors_map_to_spec_result_codes() {
        let cases = [
            (
                DecodeError::HeaderTruncated { size: 3 },
                SubmitResult::MSG_LENGTH_ERROR,
            ),
            (
                DecodeError::TotalLengthMismatch {
                    total_length: 40,
                    frame_size: 39,
                },
                SubmitResult::MSG_LENGTH_ERROR,
            ),
            (
                DecodeError::UnknownCommandId {
                    command_id: 3,
                    sequence_id: 1,
                },
                SubmitResult::COMMAND_ID_ERROR,
            ),
            (
                DecodeError::FieldTruncated { field: "src_id" },
                SubmitResult::MSG_LENGTH_ERROR,
            ),
            (
                DecodeError::TrailingBytes {
                    command_id: CommandId::CMPP_SUBMIT,
                    size: 1,
                },
                SubmitResult::MSG_LENGTH_ERROR,
            ),
            (
                DecodeError::MsgLengthMismatch {
                    msg_length: 5,
                    content_size: 4,
                },
                SubmitResult::MSG_LENGTH_ERROR,
            ),
            (
                DecodeError::MsgLengthOverMax {
                    msg_fmt: 8,
                    msg_length: 141,
                    max: 140,
                },
                SubmitResult::MSG_LENGTH_OVER_MAX,
            ),
            (
                DecodeError::DestUsrTlInvalid { got: 0, max: 100 },
                SubmitResult::MESSAGE_STRUCTURE_ERROR,
            ),
            (
                DecodeError::PkNumberInvalid {
                    pk_total: 1,
                    pk_number: 2,
                },
                SubmitResult::MESSAGE_STRUCTURE_ERROR,
            ),
            (
                DecodeError::RegisteredDeliveryInvalid { got: 2 },
                SubmitResult::MESSAGE_STRUCTURE_ERROR,
            ),
            (
                DecodeError::StatusReportSize {
                    size: 59,
                    expected: 60,
                },
                SubmitResult::MESSAGE_STRUCTURE_ERROR,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(SubmitResult::from(&error), expected, "{error}");
            assert_eq!(DeliverResult::from(&error).0, expected.0, "{error}");
            assert_eq!(FwdResult::from(&error).0, expected.0, "{error}");
            assert_eq!(
                ConnectStatus::from(&error),
                ConnectStatus::MESSAGE_STRUCTURE_ERROR
            );
        }
    }

    // Proves Debug names spec values and shows vendor values numerically, so logs stay readable.
    #[test]
    fn debug_names_known_codes_and_shows_unknown_ones() {
        assert_eq!(
            format!("{:?}", SubmitResult::FLOW_CONTROL_ERROR),
            "SubmitResult::FLOW_CONTROL_ERROR"
        );
        assert_eq!(format!("{:?}", SubmitResult(150)), "SubmitResult(150)");
        assert_eq!(format!("{:?}", DeliverResult(9)), "DeliverResult(9)");
        assert_eq!(
            format!("{:?}", FwdResult::FWD_ROUTE_ERROR),
            "FwdResult::FWD_ROUTE_ERROR"
        );
        assert_eq!(
            format!("{:?}", ConnectStatus::AUTH_ERROR),
            "ConnectStatus::AUTH_ERROR"
        );
        assert_eq!(
            format!("{:?}", CancelResult::FAILURE),
            "CancelResult::FAILURE"
        );
    }
}
