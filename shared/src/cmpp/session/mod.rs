//! The CMPP session as a sans-IO state machine, for both ends of a connection (CMPP V3.0
//! §8.4.1 CONNECT, §8.4.2 TERMINATE, §8.4.3 SUBMIT, §8.4.5 DELIVER, §8.4.7 ACTIVE_TEST; 2.0
//! §7.4.x): the SP that connects (our CMPP connectors, the bench load generator) and the ISMG
//! that accepts connections (our SP listener, the bench ISMG simulator).
//!
//! Call contract (the runtime only moves bytes and time), the same as the SMPP session's:
//! 1. Split received bytes with [`crate::frame::Frames`] under
//!    [`crate::frame::FrameLimits::CMPP`] and pass each frame to [`Session::handle_frame`] (a
//!    length the splitter refuses is passed as the rest of the buffer, which closes the
//!    session); act on the returned [`Event`].
//! 2. Send with [`Session::send_request`] (windowed; the response or timeout comes back with the
//!    caller's `token`), answer requests with [`Session::respond`].
//! 3. Write [`Session::poll_transmit`] to the socket and report progress with
//!    [`Session::advance_transmit`].
//! 4. At [`Session::poll_timeout`], call [`Session::handle_timeout`] until it returns `None`.
//! 5. When [`Session::is_closed`], flush what is left of the transmit buffer, close the socket and
//!    take [`Session::drain_outstanding`]: requests that never got a response, to retry elsewhere.
//!
//! Connecting. The SP session sends CMPP_CONNECT at creation (AuthenticatorSource from the
//! shared secret and the caller's MMDDHHMMSS timestamp) and, on a CONNECT_RESP with Status 0,
//! checks AuthenticatorISMG; a mismatch closes the session (the server does not know our
//! secret). The ISMG session hands the CONNECT up as [`Event::ConnectRequest`]; the application
//! looks up the secret by Source_Addr and calls [`Session::accept_connect`], which checks
//! AuthenticatorSource itself (a mismatch is answered Status 3 and closes), or
//! [`Session::reject_connect`] (e.g. Status 2 for an unknown Source_Addr), which closes.
//! Timestamp freshness is the application's call: the session has no wall clock.
//!
//! Version negotiation. The ISMG answers with the lower of the client's Version and its own
//! (and the per-peer cap given to `accept_connect`), in that version's CONNECT_RESP layout, and
//! both sides then speak it. The V3.0 text calls CONNECT_RESP's Version "the highest version
//! the server supports"; answering the version actually used instead is what deployed ISMGs do
//! and lets clients that compare Version with their own accept it. The SP side takes the lower
//! of what it asked for and what the server answered, so a spec-literal server works too. A
//! Version whose major nibble is above 3 is treated as 3.0 (the client is newer than us); below
//! 2 there is no layout we speak, and the ISMG session refuses it with Status 5 (other error).
//!
//! What the session does on its own: answers ACTIVE_TEST (in every state) and TERMINATE (then
//! closes); refuses requests it cannot hand up, with the request's own response: SUBMIT,
//! DELIVER and FWD with Result 2 (command word error) in the wrong state or direction, Result 3
//! for a Sequence_Id still awaiting our answer, Result 8 (flow control) over the peer window,
//! and the decoder's mapped code (`status.rs`) when the body cannot be decoded; CANCEL with
//! Success_Id 1; QUERY with an all-zero QUERY_RESP (it has no result field); a CONNECT in the
//! wrong state with Status 5. CMPP has no generic_nack, so a frame the session cannot answer at
//! all, an unknown Command_Id or a Total_Length that breaks the stream, closes the connection.
//! FWD belongs to ISMG↔ISMG links and is refused here. It sends ACTIVE_TEST when the link is
//! quiet and closes when the peer stops answering.
//!
//! Bounds: our outstanding requests ≤ `window_max` (plus the session's own CONNECT,
//! ACTIVE_TEST and TERMINATE); peer requests awaiting our answer ≤ `peer_window_max`; the
//! transmit buffer refuses new requests past `transmit_size_max` and closes the session (peer
//! not reading) past twice that; the deadline FIFO holds at most four windows.
//!
//! Time is milliseconds on any monotonic clock the caller chooses (`now_ms`).

pub mod fuzz;

use std::collections::HashMap;

use super::{
    ActiveTestResp, CancelResp, CancelResult, CmppVersion, CommandId, Connect, ConnectResp,
    ConnectStatus, DecodeError, DeliverResp, DeliverResult, EncodeError, FwdResp, FwdResult,
    HEADER_SIZE, Header, Octets, Pdu, QueryResp, SubmitResp, SubmitResult, authenticator_ismg,
    authenticator_source, decode, encode, verify_authenticator_ismg, verify_authenticator_source,
};
use crate::deadlines::Deadlines;

/// Which end of the connection this session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The client that connects and submits (CMPP's SP).
    Sp,
    /// The server that accepts connections and delivers (CMPP's ISMG, or our gateway towards
    /// SPs).
    Ismg,
}

/// Timers and bounds of one session. [`SessionConfig::default`] holds production defaults;
/// tests shrink them to hit every bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our requests awaiting a response, at most. Cost: one `Outstanding` (32 bytes) and one
    /// deadline entry each. At the bound [`Session::send_request`] returns
    /// [`SendError::WindowFull`]. Why 16: the sliding window the CMPP text recommends (W = 16).
    pub window_max: usize,
    /// Peer requests handed to the application and not yet answered, at most. Cost: one map
    /// entry (8 bytes) each. Over it the session answers Result 8 (flow control) itself. Why
    /// 16: the peer's recommended window; raise it for SPs that pipeline deeper.
    pub peer_window_max: usize,
    /// How long a request may wait for its response; the CMPP text's T = 60 s.
    pub response_timeout_ms: u64,
    /// Send ACTIVE_TEST after this long without receiving anything; the CMPP text's C = 3 min.
    pub active_test_interval_ms: u64,
    /// Close after this long without receiving anything (must exceed the ACTIVE_TEST interval
    /// plus the response timeout, so a live peer always has time to answer). The default is
    /// C + 3 × T, the CMPP text's N = 3 probes.
    pub idle_timeout_ms: u64,
    /// Time allowed from connection to a completed CONNECT.
    pub connect_timeout_ms: u64,
    /// Bytes queued for the socket above which new requests are refused
    /// ([`SendError::TransmitFull`]); past twice this the session closes (peer not reading).
    /// Cost: up to twice this per connection. Why 256 KiB: about 1,700 full SUBMITs, far more
    /// than a window, so only a peer that stopped reading reaches it.
    pub transmit_size_max: usize,
}

impl Default for SessionConfig {
    fn default() -> SessionConfig {
        SessionConfig {
            window_max: 16,
            peer_window_max: 16,
            response_timeout_ms: 60_000,
            active_test_interval_ms: 180_000,
            idle_timeout_ms: 360_000,
            connect_timeout_ms: 10_000,
            transmit_size_max: 256 * 1024,
        }
    }
}

impl SessionConfig {
    /// The largest window a session accepts (Sequence_Ids stay unique far beyond it).
    pub const WINDOW_MAX: usize = 65_535;

    /// Checks the relations the session relies on; the config loader reports these by key.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.window_max == 0 || self.window_max > Self::WINDOW_MAX {
            return Err("window_max must be 1 to 65535");
        }
        if self.peer_window_max == 0 || self.peer_window_max > Self::WINDOW_MAX {
            return Err("peer_window_max must be 1 to 65535");
        }
        if self.response_timeout_ms == 0 || self.connect_timeout_ms == 0 {
            return Err("timeouts must be at least 1 ms");
        }
        if self.idle_timeout_ms <= self.active_test_interval_ms + self.response_timeout_ms {
            return Err(
                "idle_timeout_ms must exceed active_test_interval_ms + response_timeout_ms",
            );
        }
        if self.transmit_size_max < crate::limits::CMPP_PDU_SIZE_MAX as usize {
            return Err("transmit_size_max must hold at least one maximum-size PDU");
        }
        Ok(())
    }
}

/// What the SP session connects with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpConnect<'a> {
    /// Source_Addr: the SP_Id (at most 6 octets).
    pub source_addr: &'a [u8],
    /// The shared secret; hashed into AuthenticatorSource, never sent.
    pub shared_secret: &'a [u8],
    /// The version to ask for.
    pub version: CmppVersion,
    /// The Timestamp field, MMDDHHMMSS (see [`crate::cmpp::timestamp`]).
    pub timestamp: u32,
}

/// What the session is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// ISMG side: waiting for the SP's CONNECT (or for the application to accept one).
    AwaitingConnect,
    /// SP side: our CONNECT is sent.
    AwaitingConnectResp,
    /// Connected, speaking `version`.
    Connected {
        /// The negotiated version.
        version: CmppVersion,
    },
    /// We sent TERMINATE and wait for TERMINATE_RESP; peer requests are still handed up.
    AwaitingTerminateResp,
    /// Over; flush the transmit buffer and close the socket.
    Closed(CloseReason),
}

/// Why a session closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer sent TERMINATE (we answered TERMINATE_RESP).
    PeerTerminated,
    /// We sent TERMINATE and the peer answered (or timed out answering).
    Terminated,
    /// ISMG side: the CONNECT was refused with this Status (by the application, or Status 3
    /// by [`Session::accept_connect`] on a wrong secret).
    ConnectRejected(ConnectStatus),
    /// SP side: the ISMG refused our CONNECT with this Status.
    ConnectRefused(ConnectStatus),
    /// SP side: CONNECT_RESP's AuthenticatorISMG does not match our secret.
    AuthenticatorIsmgMismatch,
    /// The byte stream broke (Total_Length out of range or disagreeing with the frame).
    Framing,
    /// A Command_Id this codec does not know; CMPP has no generic_nack to answer it with.
    UnknownCommand {
        /// The Command_Id received.
        command_id: u32,
    },
    /// No CONNECT completed within `connect_timeout_ms`.
    ConnectTimeout,
    /// Nothing received for `idle_timeout_ms`.
    IdleTimeout,
    /// Our ACTIVE_TEST got no response.
    ActiveTestTimeout,
    /// The peer does not read: the transmit buffer passed twice its limit.
    PeerNotReading,
    /// A CONNECT_RESP that cannot be decoded or names a version below 2.0, or a response to the
    /// session's own requests that makes no sense.
    ProtocolViolation,
}

/// Why a call was refused. Nothing was queued unless the variant says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// `window_max` requests are already outstanding; wait for responses.
    #[error("window full: {window_max} requests outstanding")]
    WindowFull {
        /// The window.
        window_max: usize,
    },
    /// The transmit buffer is over its limit; write to the socket first.
    #[error("transmit buffer full")]
    TransmitFull,
    /// This role may not send this command in this state (or the session is closed).
    #[error("{command:?} not allowed in state {state:?}")]
    WrongState {
        /// The command.
        command: CommandId,
        /// The state.
        state: State,
    },
    /// `respond` named a Sequence_Id with no unanswered request.
    #[error("no unanswered request with Sequence_Id {0}")]
    UnknownRequest(u32),
    /// `accept_connect`: AuthenticatorSource does not match the secret. CONNECT_RESP Status 3
    /// was queued and the session closed.
    #[error("AuthenticatorSource does not match the shared secret; refused with Status 3")]
    AuthenticatorSourceMismatch,
    /// The PDU could not be encoded in the negotiated version (a field over its size, or a
    /// field of the other version).
    #[error("encode: {0}")]
    Encode(#[from] EncodeError),
}

/// One of our requests awaiting its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outstanding {
    /// The request's Sequence_Id.
    pub sequence_id: u32,
    /// The request's command.
    pub command_id: CommandId,
    /// The caller's token from [`Session::send_request`].
    pub token: u64,
    /// When it was queued.
    pub sent_at_ms: u64,
}

/// What a received frame means to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// ISMG side: answer with [`Session::accept_connect`] or [`Session::reject_connect`].
    ConnectRequest {
        /// The CONNECT's Sequence_Id.
        sequence_id: u32,
        /// Source_Addr: the SP_Id.
        source_addr: Octets<'a>,
        /// AuthenticatorSource, checked by `accept_connect`.
        authenticator_source: [u8; 16],
        /// The Version octet the client asked for, raw.
        version: u8,
        /// The Timestamp field, MMDDHHMMSS (for a freshness check against the caller's clock).
        timestamp: u32,
    },
    /// SP side: our CONNECT was accepted and AuthenticatorISMG checked.
    Connected {
        /// The negotiated version.
        version: CmppVersion,
    },
    /// A request the application must answer with [`Session::respond`] (SUBMIT, QUERY and
    /// CANCEL at the ISMG, DELIVER at the SP).
    Request {
        /// Its Sequence_Id, to pass to `respond`.
        sequence_id: u32,
        /// The request.
        pdu: Pdu<'a>,
    },
    /// The response to one of our requests.
    Response {
        /// The request it answers.
        request: Outstanding,
        /// The response.
        pdu: Pdu<'a>,
    },
    /// A response to one of our requests that could not be decoded; the request is over.
    MalformedResponse {
        /// The request it answers.
        request: Outstanding,
        /// Why it could not be decoded.
        error: DecodeError,
    },
    /// A response matching no outstanding request (late, or the peer's bug).
    UnexpectedResponse {
        /// Its Command_Id.
        command_id: CommandId,
        /// Its Sequence_Id.
        sequence_id: u32,
    },
    /// The session answered a request on its own with this Status or Result.
    Refused {
        /// The request's Command_Id.
        command_id: CommandId,
        /// The Status, Result or Success_Id sent back (0 for the zero QUERY_RESP).
        result: u32,
    },
    /// The session closed (see [`State::Closed`]).
    Closed(CloseReason),
}

/// What a timer produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerEvent {
    /// A request got no response within `response_timeout_ms`; it is no longer outstanding.
    RequestTimedOut(Outstanding),
    /// The session closed.
    Closed(CloseReason),
}

/// The token the session uses for its own CONNECT, ACTIVE_TEST and TERMINATE.
const INTERNAL_TOKEN: u64 = u64::MAX;

/// Result codes the session decides itself. SUBMIT_RESP, DELIVER_RESP and FWD_RESP share the
/// values 0..=8 (V3.0 §8.4.3.2, §8.4.5.2, §8.5.4.2), so one constant serves all three.
const RESULT_COMMAND_ID_ERROR: u32 = SubmitResult::COMMAND_ID_ERROR.0;
const RESULT_SEQUENCE_ID_REPEATED: u32 = SubmitResult::SEQUENCE_ID_REPEATED.0;
const RESULT_FLOW_CONTROL_ERROR: u32 = SubmitResult::FLOW_CONTROL_ERROR.0;

const _: () = assert!(RESULT_COMMAND_ID_ERROR == DeliverResult::COMMAND_ID_ERROR.0);
const _: () = assert!(RESULT_COMMAND_ID_ERROR == FwdResult::COMMAND_ID_ERROR.0);
const _: () = assert!(RESULT_SEQUENCE_ID_REPEATED == DeliverResult::SEQUENCE_ID_REPEATED.0);
const _: () = assert!(RESULT_SEQUENCE_ID_REPEATED == FwdResult::SEQUENCE_ID_REPEATED.0);
const _: () = assert!(RESULT_FLOW_CONTROL_ERROR == DeliverResult::FLOW_CONTROL_ERROR.0);
const _: () = assert!(RESULT_FLOW_CONTROL_ERROR == FwdResult::FLOW_CONTROL_ERROR.0);

/// One CMPP session. See the module documentation for the call contract.
pub struct Session {
    role: Role,
    config: SessionConfig,
    state: State,
    /// The layout frames are decoded and encoded in: the negotiated version once connected,
    /// before that the version asked for (SP) or the lower of it and ours (ISMG).
    version: CmppVersion,
    /// ISMG side: the highest version we speak.
    version_max: CmppVersion,
    next_sequence_id: u32,
    outstanding: HashMap<u32, Outstanding>,
    deadlines: Deadlines,
    /// Peer requests handed out and not yet answered: Sequence_Id → command.
    unanswered: HashMap<u32, CommandId>,
    /// ISMG side: the CONNECT awaiting accept/reject.
    pending_connect: Option<PendingConnect>,
    /// SP side: what checking CONNECT_RESP needs, dropped once it arrives.
    sp_connect: Option<SpConnectState>,
    transmit: Vec<u8>,
    transmit_start: usize,
    last_received_ms: u64,
    active_test_pending: bool,
    created_ms: u64,
}

impl Session {
    /// An SP session that starts by sending CMPP_CONNECT. Fails when a field does not fit its
    /// CONNECT field (Source_Addr over 6 octets).
    pub fn new_sp(
        config: SessionConfig,
        connect: SpConnect<'_>,
        now_ms: u64,
    ) -> Result<Session, SendError> {
        debug_assert!(config.validate().is_ok());
        let mut session = Session::new(
            Role::Sp,
            config,
            State::AwaitingConnectResp,
            connect.version,
            now_ms,
        );
        let authenticator_source = authenticator_source(
            connect.source_addr,
            connect.shared_secret,
            connect.timestamp,
        );
        let request = Pdu::Connect(Connect {
            source_addr: Octets::borrowed(connect.source_addr),
            authenticator_source,
            version: connect.version.version_octet(),
            timestamp: connect.timestamp,
        });
        // A fresh session has an empty window and buffer, so only an encode error can fail.
        session.queue_request(&request, INTERNAL_TOKEN, now_ms)?;
        session.sp_connect = Some(SpConnectState {
            authenticator_source,
            shared_secret: connect.shared_secret.to_vec(),
            requested: connect.version,
        });
        Ok(session)
    }

    /// An ISMG session waiting for a CONNECT; `version_max` is the highest version we speak
    /// (frames before the CONNECT are answered in its layout).
    pub fn new_ismg(config: SessionConfig, version_max: CmppVersion, now_ms: u64) -> Session {
        debug_assert!(config.validate().is_ok());
        let mut session = Session::new(
            Role::Ismg,
            config,
            State::AwaitingConnect,
            version_max,
            now_ms,
        );
        session.version_max = version_max;
        session
    }

    fn new(
        role: Role,
        config: SessionConfig,
        state: State,
        version: CmppVersion,
        now_ms: u64,
    ) -> Session {
        Session {
            role,
            config,
            state,
            version,
            version_max: version,
            next_sequence_id: 1,
            outstanding: HashMap::with_capacity(config.window_max.min(1024) + 2),
            deadlines: Deadlines::new(config.window_max),
            unanswered: HashMap::with_capacity(config.peer_window_max.min(1024)),
            pending_connect: None,
            sp_connect: None,
            transmit: Vec::with_capacity(4096),
            transmit_start: 0,
            last_received_ms: now_ms,
            active_test_pending: false,
            created_ms: now_ms,
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Which end this is.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The version frames are encoded in: the negotiated one once connected.
    pub fn version(&self) -> CmppVersion {
        self.version
    }

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// True when connected.
    pub fn is_connected(&self) -> bool {
        matches!(self.state, State::Connected { .. })
    }

    /// How many more requests fit in the window now.
    pub fn window_available(&self) -> usize {
        self.config.window_max - self.outstanding.len().min(self.config.window_max)
    }

    /// Our requests awaiting a response (including the session's own).
    pub fn outstanding_count(&self) -> usize {
        self.outstanding.len()
    }

    /// Peer requests handed out and not yet answered.
    pub fn unanswered_count(&self) -> usize {
        self.unanswered.len()
    }

    /// Bytes to write to the socket.
    pub fn poll_transmit(&self) -> &[u8] {
        &self.transmit[self.transmit_start..]
    }

    /// Drops the first `size` bytes of [`Session::poll_transmit`] after the socket took them.
    pub fn advance_transmit(&mut self, size: usize) {
        let available = self.transmit.len() - self.transmit_start;
        assert!(size <= available, "size={size} available={available}");
        self.transmit_start += size;
        if self.transmit_start == self.transmit.len() {
            self.transmit.clear();
            self.transmit_start = 0;
        } else if self.transmit_start > self.transmit.len() / 2 {
            self.transmit.drain(..self.transmit_start);
            self.transmit_start = 0;
        }
    }

    /// Takes every request still awaiting a response (after a close, to retry them elsewhere),
    /// oldest first; the session's own requests are not among them.
    pub fn drain_outstanding(&mut self) -> Vec<Outstanding> {
        let mut requests: Vec<Outstanding> = self
            .outstanding
            .drain()
            .map(|(_, request)| request)
            .filter(|request| request.token != INTERNAL_TOKEN)
            .collect();
        self.deadlines.clear();
        requests.sort_by_key(|request| (request.sent_at_ms, request.sequence_id));
        requests
    }

    /// The next time [`Session::handle_timeout`] has work, if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        let quiet = match self.state {
            State::Closed(_) => return None,
            State::AwaitingConnect | State::AwaitingConnectResp => {
                self.created_ms + self.config.connect_timeout_ms
            }
            State::Connected { .. } | State::AwaitingTerminateResp => {
                // Only a connected session with room in its buffer probes (see handle_timeout);
                // otherwise the idle timeout is the next quiet-link event (a past probe time
                // would wake the caller for nothing, again and again).
                if self.active_test_pending
                    || !self.is_connected()
                    || self.transmit_over_soft_limit()
                {
                    self.last_received_ms + self.config.idle_timeout_ms
                } else {
                    self.last_received_ms + self.config.active_test_interval_ms
                }
            }
        };
        Some(
            self.next_response_deadline()
                .map_or(quiet, |next| next.min(quiet)),
        )
    }

    /// Runs the timers due at `now_ms`. Call until it returns `None`.
    pub fn handle_timeout(&mut self, now_ms: u64) -> Option<TimerEvent> {
        if self.is_closed() {
            return None;
        }
        if matches!(
            self.state,
            State::AwaitingConnect | State::AwaitingConnectResp
        ) && now_ms >= self.created_ms + self.config.connect_timeout_ms
        {
            return Some(TimerEvent::Closed(self.close(CloseReason::ConnectTimeout)));
        }
        while let Some(sequence_id) = self
            .deadlines
            .pop_expired(now_ms, self.config.response_timeout_ms)
        {
            let Some(request) = self.outstanding.remove(&sequence_id) else {
                continue; // Answered already: a stale deadline.
            };
            if request.token == INTERNAL_TOKEN {
                let reason = match request.command_id {
                    CommandId::CMPP_ACTIVE_TEST => CloseReason::ActiveTestTimeout,
                    CommandId::CMPP_TERMINATE => CloseReason::Terminated,
                    _ => CloseReason::ConnectTimeout,
                };
                return Some(TimerEvent::Closed(self.close(reason)));
            }
            return Some(TimerEvent::RequestTimedOut(request));
        }
        if now_ms >= self.last_received_ms + self.config.idle_timeout_ms {
            return Some(TimerEvent::Closed(self.close(CloseReason::IdleTimeout)));
        }
        if self.is_connected()
            && !self.active_test_pending
            && now_ms >= self.last_received_ms + self.config.active_test_interval_ms
        {
            // A full buffer just means the link is busy, which is what we wanted to know; the
            // idle timeout still guards it.
            if !self.transmit_over_soft_limit()
                && self
                    .queue_request(&Pdu::ActiveTest, INTERNAL_TOKEN, now_ms)
                    .is_ok()
            {
                self.active_test_pending = true;
            }
        }
        None
    }

    /// Handles one whole received frame (from [`crate::frame::Frames`]).
    pub fn handle_frame<'a>(&mut self, frame: &'a [u8], now_ms: u64) -> Option<Event<'a>> {
        if self.is_closed() {
            return None;
        }
        self.last_received_ms = now_ms;
        let header = match Header::decode(frame) {
            Ok(header) => header,
            Err(DecodeError::UnknownCommandId { command_id, .. }) => {
                return Some(Event::Closed(
                    self.close(CloseReason::UnknownCommand { command_id }),
                ));
            }
            Err(_) => return Some(Event::Closed(self.close(CloseReason::Framing))),
        };
        if header.command_id == CommandId::CMPP_CONNECT_RESP
            && self.state == State::AwaitingConnectResp
        {
            return self.handle_connect_resp(header, frame);
        }
        match decode(frame, self.version) {
            Ok((_, pdu)) => self.handle_pdu(header, frame, pdu),
            Err(error) => self.handle_decode_error(header, frame, error),
        }
    }

    /// ISMG side: accepts the pending CONNECT if its AuthenticatorSource matches
    /// `shared_secret`, speaking the lower of the client's version, `version` (a per-peer cap)
    /// and our own; returns the version. On a mismatch answers Status 3, closes and returns
    /// [`SendError::AuthenticatorSourceMismatch`].
    pub fn accept_connect(
        &mut self,
        shared_secret: &[u8],
        version: CmppVersion,
    ) -> Result<CmppVersion, SendError> {
        let Some(pending) = self.pending_connect.take() else {
            return Err(SendError::WrongState {
                command: CommandId::CMPP_CONNECT_RESP,
                state: self.state,
            });
        };
        if !verify_authenticator_source(
            &pending.authenticator_source,
            &pending.source_addr,
            shared_secret,
            pending.timestamp,
        ) {
            self.answer_connect_refusal(pending.sequence_id, ConnectStatus::AUTH_ERROR);
            self.close(CloseReason::ConnectRejected(ConnectStatus::AUTH_ERROR));
            return Err(SendError::AuthenticatorSourceMismatch);
        }
        let version = lower(lower(pending.requested, version), self.version_max);
        let status = ConnectStatus::OK;
        let response = Pdu::ConnectResp(ConnectResp {
            status,
            authenticator_ismg: authenticator_ismg(
                version,
                status,
                &pending.authenticator_source,
                shared_secret,
            ),
            version: version.version_octet(),
        });
        self.version = version;
        self.state = State::Connected { version };
        self.queue_response(pending.sequence_id, &response)?;
        Ok(version)
    }

    /// ISMG side: refuses the pending CONNECT with `status` (e.g.
    /// [`ConnectStatus::ILLEGAL_SOURCE_ADDR`]) and closes.
    pub fn reject_connect(&mut self, status: ConnectStatus) -> Result<(), SendError> {
        assert!(status != ConnectStatus::OK, "reject_connect needs an error");
        let Some(pending) = self.pending_connect.take() else {
            return Err(SendError::WrongState {
                command: CommandId::CMPP_CONNECT_RESP,
                state: self.state,
            });
        };
        self.answer_connect_refusal(pending.sequence_id, status);
        self.close(CloseReason::ConnectRejected(status));
        Ok(())
    }

    /// Sends a request (SP: SUBMIT, QUERY, CANCEL, ACTIVE_TEST; ISMG: DELIVER, ACTIVE_TEST) in
    /// the negotiated version; returns its Sequence_Id. The response (or timeout) comes back
    /// with `token`.
    pub fn send_request(
        &mut self,
        pdu: &Pdu<'_>,
        token: u64,
        now_ms: u64,
    ) -> Result<u32, SendError> {
        assert!(token != INTERNAL_TOKEN, "token u64::MAX is reserved");
        let command = pdu.command_id();
        assert!(
            !command.is_response(),
            "send_request takes requests: {command:?}"
        );
        if !self.may_send(command) {
            return Err(SendError::WrongState {
                command,
                state: self.state,
            });
        }
        if self.outstanding.len() >= self.config.window_max {
            return Err(SendError::WindowFull {
                window_max: self.config.window_max,
            });
        }
        if self.transmit_over_soft_limit() {
            return Err(SendError::TransmitFull);
        }
        self.queue_request(pdu, token, now_ms)
    }

    /// Answers a peer request handed out as [`Event::Request`]. `response` must be the
    /// request's response (e.g. `Pdu::SubmitResp` for a SUBMIT). When it cannot be encoded the
    /// request stays unanswered, so the caller can answer again.
    pub fn respond(&mut self, sequence_id: u32, response: &Pdu<'_>) -> Result<(), SendError> {
        let Some(request) = self.unanswered.get(&sequence_id).copied() else {
            return Err(SendError::UnknownRequest(sequence_id));
        };
        assert_eq!(
            request.response(),
            Some(response.command_id()),
            "respond: wrong response type"
        );
        if !self.is_closed() {
            // Nobody to answer when closed; the request is forgotten with the session.
            self.queue_response(sequence_id, response)?;
        }
        self.unanswered.remove(&sequence_id);
        Ok(())
    }

    /// Starts an orderly close with CMPP_TERMINATE (V3.0 §8.4.2). Outstanding requests stay
    /// outstanding until answered or timed out.
    pub fn terminate(&mut self, now_ms: u64) -> Result<(), SendError> {
        if !self.is_connected() {
            return Err(SendError::WrongState {
                command: CommandId::CMPP_TERMINATE,
                state: self.state,
            });
        }
        self.queue_request(&Pdu::Terminate, INTERNAL_TOKEN, now_ms)?;
        self.state = State::AwaitingTerminateResp;
        Ok(())
    }

    fn handle_pdu<'a>(&mut self, header: Header, frame: &[u8], pdu: Pdu<'a>) -> Option<Event<'a>> {
        if header.command_id.is_response() {
            return self.handle_response(header, pdu);
        }
        match pdu {
            Pdu::ActiveTest => {
                self.answer_active_test(header.sequence_id);
                None
            }
            Pdu::Terminate => Some(self.answer_terminate(header.sequence_id)),
            Pdu::Connect(connect) => self.handle_connect(header, frame, connect),
            pdu => self.handle_request(header, frame, pdu),
        }
    }

    fn handle_connect<'a>(
        &mut self,
        header: Header,
        frame: &[u8],
        connect: Connect<'a>,
    ) -> Option<Event<'a>> {
        if self.role != Role::Ismg
            || self.state != State::AwaitingConnect
            || self.pending_connect.is_some()
        {
            return self.refuse(header, frame, ConnectStatus::OTHER_ERROR.0);
        }
        let Some(requested) = version_layout(connect.version) else {
            // Below 2.0: no layout we speak, and no Status says "too low".
            self.answer_connect_refusal(header.sequence_id, ConnectStatus::OTHER_ERROR);
            return Some(Event::Closed(
                self.close(CloseReason::ConnectRejected(ConnectStatus::OTHER_ERROR)),
            ));
        };
        // Answer (and refuse anything before the answer) in the layout the client will speak.
        self.version = lower(requested, self.version_max);
        self.pending_connect = Some(PendingConnect {
            sequence_id: header.sequence_id,
            source_addr: connect.source_addr.to_vec(),
            authenticator_source: connect.authenticator_source,
            timestamp: connect.timestamp,
            requested,
        });
        Some(Event::ConnectRequest {
            sequence_id: header.sequence_id,
            source_addr: connect.source_addr,
            authenticator_source: connect.authenticator_source,
            version: connect.version,
            timestamp: connect.timestamp,
        })
    }

    fn handle_connect_resp<'a>(&mut self, header: Header, frame: &[u8]) -> Option<Event<'a>> {
        let is_ours = self
            .outstanding
            .get(&header.sequence_id)
            .is_some_and(|request| request.command_id == CommandId::CMPP_CONNECT);
        if !is_ours {
            return Some(Event::UnexpectedResponse {
                command_id: header.command_id,
                sequence_id: header.sequence_id,
            });
        }
        self.outstanding.remove(&header.sequence_id);
        self.deadlines.skip_answered(&self.outstanding);
        let Some(connect) = self.sp_connect.take() else {
            return Some(Event::Closed(self.close(CloseReason::ProtocolViolation)));
        };
        // Header::decode succeeded, so the frame holds at least the header.
        let body = &frame[HEADER_SIZE..];
        let Ok((layout, response)) = ConnectResp::decode_either_layout(body) else {
            return Some(Event::Closed(self.close(CloseReason::ProtocolViolation)));
        };
        if response.status != ConnectStatus::OK {
            return Some(Event::Closed(
                self.close(CloseReason::ConnectRefused(response.status)),
            ));
        }
        let Some(offered) = version_layout(response.version) else {
            return Some(Event::Closed(self.close(CloseReason::ProtocolViolation)));
        };
        // Status is hashed in the form it had on the wire, which the layout tells.
        if !verify_authenticator_ismg(
            &response.authenticator_ismg,
            layout,
            response.status,
            &connect.authenticator_source,
            &connect.shared_secret,
        ) {
            return Some(Event::Closed(
                self.close(CloseReason::AuthenticatorIsmgMismatch),
            ));
        }
        let version = lower(connect.requested, offered);
        self.version = version;
        self.state = State::Connected { version };
        Some(Event::Connected { version })
    }

    fn handle_request<'a>(
        &mut self,
        header: Header,
        frame: &[u8],
        pdu: Pdu<'a>,
    ) -> Option<Event<'a>> {
        let command = header.command_id;
        let open = matches!(
            self.state,
            State::Connected { .. } | State::AwaitingTerminateResp
        );
        let allowed = open
            && match self.role {
                Role::Ismg => matches!(
                    command,
                    CommandId::CMPP_SUBMIT | CommandId::CMPP_QUERY | CommandId::CMPP_CANCEL
                ),
                Role::Sp => command == CommandId::CMPP_DELIVER,
            };
        if !allowed {
            return self.refuse(header, frame, RESULT_COMMAND_ID_ERROR);
        }
        if self.unanswered.contains_key(&header.sequence_id) {
            // Answering twice under one Sequence_Id would confuse the peer: refuse the second.
            return self.refuse(header, frame, RESULT_SEQUENCE_ID_REPEATED);
        }
        if self.unanswered.len() >= self.config.peer_window_max {
            return self.refuse(header, frame, RESULT_FLOW_CONTROL_ERROR);
        }
        self.unanswered.insert(header.sequence_id, command);
        assert!(self.unanswered.len() <= self.config.peer_window_max);
        Some(Event::Request {
            sequence_id: header.sequence_id,
            pdu,
        })
    }

    fn handle_response<'a>(&mut self, header: Header, pdu: Pdu<'a>) -> Option<Event<'a>> {
        let Some(request) = self.take_outstanding(header) else {
            return Some(Event::UnexpectedResponse {
                command_id: header.command_id,
                sequence_id: header.sequence_id,
            });
        };
        if request.token != INTERNAL_TOKEN {
            return Some(Event::Response { request, pdu });
        }
        match request.command_id {
            CommandId::CMPP_ACTIVE_TEST => {
                self.active_test_pending = false;
                None
            }
            CommandId::CMPP_TERMINATE => Some(Event::Closed(self.close(CloseReason::Terminated))),
            // Our CONNECT is answered in `handle_connect_resp`, and it is the only other
            // internal request; a CONNECT_RESP reaching here came in another state.
            _ => Some(Event::Closed(self.close(CloseReason::ProtocolViolation))),
        }
    }

    /// Removes and returns the outstanding request `header` answers, if it is one.
    fn take_outstanding(&mut self, header: Header) -> Option<Outstanding> {
        let request = *self.outstanding.get(&header.sequence_id)?;
        if request.command_id.response() != Some(header.command_id) {
            return None;
        }
        self.outstanding.remove(&header.sequence_id);
        self.deadlines.skip_answered(&self.outstanding);
        Some(request)
    }

    fn handle_decode_error<'a>(
        &mut self,
        header: Header,
        frame: &[u8],
        error: DecodeError,
    ) -> Option<Event<'a>> {
        let command = header.command_id;
        if command.is_response() {
            let Some(request) = self.take_outstanding(header) else {
                return Some(Event::UnexpectedResponse {
                    command_id: command,
                    sequence_id: header.sequence_id,
                });
            };
            if request.token == INTERNAL_TOKEN {
                return Some(Event::Closed(self.close(CloseReason::ProtocolViolation)));
            }
            return Some(Event::MalformedResponse { request, error });
        }
        match command {
            // Bodyless requests with a body: the intent is clear, so honour it.
            CommandId::CMPP_ACTIVE_TEST => {
                self.answer_active_test(header.sequence_id);
                None
            }
            CommandId::CMPP_TERMINATE => Some(self.answer_terminate(header.sequence_id)),
            CommandId::CMPP_CONNECT
                if self.role == Role::Ismg
                    && self.state == State::AwaitingConnect
                    && self.pending_connect.is_none() =>
            {
                let status = ConnectStatus::from(&error);
                self.answer_connect_refusal(header.sequence_id, status);
                Some(Event::Closed(
                    self.close(CloseReason::ConnectRejected(status)),
                ))
            }
            CommandId::CMPP_CONNECT => self.refuse(header, frame, ConnectStatus::from(&error).0),
            CommandId::CMPP_DELIVER => self.refuse(header, frame, DeliverResult::from(&error).0),
            CommandId::CMPP_FWD => self.refuse(header, frame, FwdResult::from(&error).0),
            _ => self.refuse(header, frame, SubmitResult::from(&error).0),
        }
    }

    /// Answers a request the session refuses on its own with its response carrying `result`
    /// (see [`refusal`]).
    fn refuse<'a>(&mut self, header: Header, frame: &[u8], result: u32) -> Option<Event<'a>> {
        let Some(response) = refusal(header.command_id, frame, result, self.version_max) else {
            unreachable!("only requests with a response are refused: {header:?}");
        };
        self.answer(header.sequence_id, &response);
        let result = match response {
            Pdu::QueryResp(_) => 0,
            Pdu::CancelResp(resp) => resp.success_id.0,
            _ => result,
        };
        Some(Event::Refused {
            command_id: header.command_id,
            result,
        })
    }

    fn answer_active_test(&mut self, sequence_id: u32) {
        self.answer(sequence_id, &Pdu::ActiveTestResp(ActiveTestResp::default()));
    }

    fn answer_terminate<'a>(&mut self, sequence_id: u32) -> Event<'a> {
        self.answer(sequence_id, &Pdu::TerminateResp);
        Event::Closed(self.close(CloseReason::PeerTerminated))
    }

    /// Queues a CONNECT_RESP refusing with `status` (AuthenticatorISMG empty, as V3.0 §8.4.1.2
    /// says for a failed authentication; Version our highest).
    fn answer_connect_refusal(&mut self, sequence_id: u32, status: ConnectStatus) {
        debug_assert!(status != ConnectStatus::OK);
        let response = Pdu::ConnectResp(ConnectResp {
            status,
            authenticator_ismg: [0; 16],
            version: self.version_max.version_octet(),
        });
        self.answer(sequence_id, &response);
    }

    /// Queues a response the session itself sends; these are small and bounded by the peer's
    /// request rate, so they bypass the soft transmit limit (the hard limit still applies).
    fn answer(&mut self, sequence_id: u32, response: &Pdu<'_>) {
        // Session-made responses have empty or fixed fields and codes of at most 8, so
        // encoding cannot fail in either version.
        let _ = self.queue_response(sequence_id, response);
    }

    fn queue_response(&mut self, sequence_id: u32, response: &Pdu<'_>) -> Result<(), SendError> {
        debug_assert!(response.command_id().is_response());
        encode(response, sequence_id, self.version, &mut self.transmit)?;
        if self.transmit.len() - self.transmit_start > 2 * self.config.transmit_size_max {
            self.close(CloseReason::PeerNotReading);
        }
        Ok(())
    }

    fn queue_request(&mut self, pdu: &Pdu<'_>, token: u64, now_ms: u64) -> Result<u32, SendError> {
        let sequence_id = self.take_sequence_id();
        let command_id = pdu.command_id();
        encode(pdu, sequence_id, self.version, &mut self.transmit)?;
        let previous = self.outstanding.insert(
            sequence_id,
            Outstanding {
                sequence_id,
                command_id,
                token,
                sent_at_ms: now_ms,
            },
        );
        assert!(previous.is_none(), "sequence_id={sequence_id}");
        self.deadlines.push(now_ms, sequence_id, &self.outstanding);
        Ok(sequence_id)
    }

    fn take_sequence_id(&mut self) -> u32 {
        // Skip ids still outstanding (possible only after 2^32 requests on one connection);
        // the window bounds how many can be skipped.
        loop {
            let sequence_id = self.next_sequence_id;
            self.next_sequence_id = sequence_id.checked_add(1).unwrap_or(1);
            if !self.outstanding.contains_key(&sequence_id) {
                return sequence_id;
            }
        }
    }

    fn transmit_over_soft_limit(&self) -> bool {
        self.transmit.len() - self.transmit_start > self.config.transmit_size_max
    }

    fn may_send(&self, command: CommandId) -> bool {
        if !self.is_connected() {
            return false;
        }
        match self.role {
            Role::Sp => matches!(
                command,
                CommandId::CMPP_SUBMIT
                    | CommandId::CMPP_QUERY
                    | CommandId::CMPP_CANCEL
                    | CommandId::CMPP_ACTIVE_TEST
            ),
            Role::Ismg => matches!(
                command,
                CommandId::CMPP_DELIVER | CommandId::CMPP_ACTIVE_TEST
            ),
        }
    }

    fn next_response_deadline(&self) -> Option<u64> {
        self.deadlines
            .next_sent_at()
            .map(|sent_at_ms| sent_at_ms + self.config.response_timeout_ms)
    }

    fn close(&mut self, reason: CloseReason) -> CloseReason {
        if let State::Closed(earlier) = self.state {
            return earlier;
        }
        self.state = State::Closed(reason);
        self.pending_connect = None;
        self.sp_connect = None;
        reason
    }
}

/// ISMG side: the CONNECT the application has not answered yet.
struct PendingConnect {
    sequence_id: u32,
    source_addr: Vec<u8>,
    authenticator_source: [u8; 16],
    timestamp: u32,
    /// The layout the client asked for.
    requested: CmppVersion,
}

/// SP side: what checking CONNECT_RESP needs.
struct SpConnectState {
    authenticator_source: [u8; 16],
    shared_secret: Vec<u8>,
    requested: CmppVersion,
}

/// The response the session sends when it refuses a request with `result`, `None` for
/// commands it never refuses this way (responses, ACTIVE_TEST, TERMINATE).
///
/// DELIVER_RESP and FWD_RESP echo the request's Msg_Id (and FWD's Pk fields) when the frame is
/// long enough to hold them, decodable or not, so the peer can tell which message failed.
fn refusal(
    command: CommandId,
    frame: &[u8],
    result: u32,
    version_max: CmppVersion,
) -> Option<Pdu<'static>> {
    Some(match command {
        CommandId::CMPP_CONNECT => Pdu::ConnectResp(ConnectResp {
            status: ConnectStatus(result),
            authenticator_ismg: [0; 16],
            version: version_max.version_octet(),
        }),
        CommandId::CMPP_SUBMIT => Pdu::SubmitResp(SubmitResp {
            msg_id: 0,
            result: SubmitResult(result),
        }),
        CommandId::CMPP_DELIVER => Pdu::DeliverResp(DeliverResp {
            msg_id: peek_u64(frame, HEADER_SIZE + DELIVER_MSG_ID_OFFSET),
            result: DeliverResult(result),
        }),
        CommandId::CMPP_FWD => Pdu::FwdResp(FwdResp {
            msg_id: peek_u64(frame, HEADER_SIZE + FWD_MSG_ID_OFFSET),
            pk_total: peek_u8(frame, HEADER_SIZE + FWD_MSG_ID_OFFSET + 8),
            pk_number: peek_u8(frame, HEADER_SIZE + FWD_MSG_ID_OFFSET + 9),
            result: FwdResult(result),
        }),
        // QUERY_RESP has no result field: zero counts are the only answer it can carry.
        CommandId::CMPP_QUERY => Pdu::QueryResp(QueryResp::default()),
        CommandId::CMPP_CANCEL => Pdu::CancelResp(CancelResp {
            success_id: CancelResult::FAILURE,
        }),
        CommandId::CMPP_TERMINATE
        | CommandId::CMPP_ACTIVE_TEST
        | CommandId::CMPP_CONNECT_RESP
        | CommandId::CMPP_TERMINATE_RESP
        | CommandId::CMPP_SUBMIT_RESP
        | CommandId::CMPP_DELIVER_RESP
        | CommandId::CMPP_QUERY_RESP
        | CommandId::CMPP_CANCEL_RESP
        | CommandId::CMPP_ACTIVE_TEST_RESP
        | CommandId::CMPP_FWD_RESP => return None,
    })
}

/// The big-endian u64 at `offset`, or 0 when the frame is too short.
fn peek_u64(frame: &[u8], offset: usize) -> u64 {
    frame
        .get(offset..)
        .and_then(|rest| rest.first_chunk::<8>())
        .map_or(0, |bytes| u64::from_be_bytes(*bytes))
}

/// The octet at `offset`, or 0 when the frame is too short.
fn peek_u8(frame: &[u8], offset: usize) -> u8 {
    frame.get(offset).copied().unwrap_or(0)
}

/// The layout a Version octet asks for: 0x2X is 2.0, 0x3X and anything newer is 3.0 (the
/// highest we speak), and below 2.0 there is none.
fn version_layout(octet: u8) -> Option<CmppVersion> {
    match octet >> 4 {
        0..=1 => None,
        2 => Some(CmppVersion::V2_0),
        _ => Some(CmppVersion::V3_0),
    }
}

/// The lower of two versions.
fn lower(a: CmppVersion, b: CmppVersion) -> CmppVersion {
    if a.version_octet() <= b.version_octet() {
        a
    } else {
        b
    }
}

/// Msg_Id is DELIVER's first field (V3.0 §8.4.5.1).
const DELIVER_MSG_ID_OFFSET: usize = 0;
/// Msg_Id follows Source_Id (6), Destination_Id (6), NodesCount (1) and Msg_Fwd_Type (1) in
/// FWD (V3.0 §8.5.4.1), then Pk_total and Pk_number.
const FWD_MSG_ID_OFFSET: usize = 14;

#[cfg(test)]
mod tests;
