//! The SMPP session as a sans-IO state machine, for both ends of a bind (SMPP v3.4 §2.3-§2.9,
//! §4.1-§4.2, §4.11): the ESME that binds (our SMSC connectors, the bench load generator) and
//! the SMSC that accepts binds (our SP listener, the bench SMSC simulator).
//!
//! Call contract (the runtime only moves bytes and time):
//! 1. Split received bytes with [`crate::frame::Frames`] and pass each frame to
//!    [`Session::handle_frame`]; act on the returned [`Event`] (bind requests, requests to
//!    answer with [`Session::respond`], responses to our requests).
//! 2. Send with [`Session::send_request`] (windowed; the response or timeout comes back with the
//!    caller's `token`), answer with [`Session::respond`].
//! 3. Write [`Session::poll_transmit`] to the socket and report progress with
//!    [`Session::advance_transmit`].
//! 4. At [`Session::poll_timeout`], call [`Session::handle_timeout`] until it returns `None`.
//! 5. When [`Session::is_closed`], flush what is left of the transmit buffer, close the socket and
//!    take [`Session::drain_outstanding`]: requests that never got a response, to retry elsewhere.
//!
//! What the session does on its own: answers enquire_link, unbind (then closes), unknown
//! commands (generic_nack, `ESME_RINVCMDID`), undecodable requests (their response with the
//! decoder's status), requests in the wrong bind state (`ESME_RINVBNDSTS`), a second bind
//! (`ESME_RALYBND`) and requests over the peer window (`ESME_RTHROTTLED`); sends enquire_link
//! when the link is quiet and closes when the peer stops answering.
//!
//! Bounds: our outstanding requests ≤ `window_max`; peer requests awaiting our answer ≤
//! `peer_window_max`; the transmit buffer refuses new requests past `transmit_size_max` and closes
//! the session (peer not reading) past twice that.
//!
//! Time is milliseconds on any monotonic clock the caller chooses (`now_ms`).

use std::collections::HashMap;

use super::error::DecodeError;
use super::header::{CommandId, Header, SEQUENCE_NUMBER_MAX};
use super::pdu::{
    Bind, BindResp, Body, INTERFACE_VERSION_33, INTERFACE_VERSION_34, Pdu, decode, empty_response,
};
use super::status::CommandStatus;
use super::tlv::{Tlvs, tag};
use crate::deadlines::Deadlines;

/// Which end of the bind this session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The client that binds (SMPP's ESME).
    Esme,
    /// The server that accepts binds (SMPP's SMSC, or our gateway towards SPs).
    Smsc,
}

/// The three bind types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindMode {
    /// May submit, may not receive deliveries.
    Transmitter,
    /// May receive deliveries, may not submit.
    Receiver,
    /// Both.
    Transceiver,
}

impl BindMode {
    /// True when the ESME may send submit_sm, submit_multi, data_sm, query/cancel/replace.
    pub fn can_submit(self) -> bool {
        !matches!(self, BindMode::Receiver)
    }

    /// True when the SMSC may send deliver_sm and data_sm to the ESME.
    pub fn can_receive(self) -> bool {
        !matches!(self, BindMode::Transmitter)
    }

    fn of_request(command: CommandId) -> Option<BindMode> {
        match command {
            CommandId::bind_transmitter => Some(BindMode::Transmitter),
            CommandId::bind_receiver => Some(BindMode::Receiver),
            CommandId::bind_transceiver => Some(BindMode::Transceiver),
            _ => None,
        }
    }

    fn request_body<B>(self, bind: Bind<B>) -> Body<B> {
        match self {
            BindMode::Transmitter => Body::BindTransmitter(bind),
            BindMode::Receiver => Body::BindReceiver(bind),
            BindMode::Transceiver => Body::BindTransceiver(bind),
        }
    }

    fn response_body<B>(self, resp: BindResp<B>) -> Body<B> {
        match self {
            BindMode::Transmitter => Body::BindTransmitterResp(resp),
            BindMode::Receiver => Body::BindReceiverResp(resp),
            BindMode::Transceiver => Body::BindTransceiverResp(resp),
        }
    }
}

/// Timers and bounds of one session. [`SessionConfig::default`] holds production defaults;
/// tests shrink them to hit every bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our requests awaiting a response, at most (the peer's receive window).
    pub window_max: usize,
    /// Peer requests handed to the application and not yet answered, at most; over it the
    /// session answers `ESME_RTHROTTLED` itself.
    pub peer_window_max: usize,
    /// How long a request may wait for its response.
    pub response_timeout_ms: u64,
    /// Send enquire_link after this long without receiving anything.
    pub enquire_link_interval_ms: u64,
    /// Close after this long without receiving anything (must exceed the enquire_link interval
    /// plus the response timeout, so a live peer always has time to answer).
    pub idle_timeout_ms: u64,
    /// Time allowed from connect to a completed bind.
    pub bind_timeout_ms: u64,
    /// Bytes queued for the socket above which new requests are refused.
    pub transmit_size_max: usize,
}

impl Default for SessionConfig {
    fn default() -> SessionConfig {
        SessionConfig {
            window_max: 64,
            peer_window_max: 64,
            response_timeout_ms: 10_000,
            enquire_link_interval_ms: 30_000,
            idle_timeout_ms: 90_000,
            bind_timeout_ms: 10_000,
            transmit_size_max: 256 * 1024,
        }
    }
}

impl SessionConfig {
    /// The largest window a session accepts (sequence numbers stay unique far beyond it).
    pub const WINDOW_MAX: usize = 65_535;

    /// Checks the relations the session relies on; the config loader reports these by key.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.window_max == 0 || self.window_max > Self::WINDOW_MAX {
            return Err("window_max must be 1 to 65535");
        }
        if self.peer_window_max == 0 || self.peer_window_max > Self::WINDOW_MAX {
            return Err("peer_window_max must be 1 to 65535");
        }
        if self.response_timeout_ms == 0 || self.bind_timeout_ms == 0 {
            return Err("timeouts must be at least 1 ms");
        }
        if self.idle_timeout_ms <= self.enquire_link_interval_ms + self.response_timeout_ms {
            return Err(
                "idle_timeout_ms must exceed enquire_link_interval_ms + response_timeout_ms",
            );
        }
        if self.transmit_size_max < crate::limits::SMPP_PDU_SIZE_MAX as usize {
            return Err("transmit_size_max must hold at least one maximum-size PDU");
        }
        Ok(())
    }
}

/// What the session is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// SMSC side: waiting for the ESME's bind (or for the application to accept one).
    AwaitingBind,
    /// ESME side: our bind is sent.
    AwaitingBindResp,
    /// Bound; `interface_version` is the peer's (0x33 when it did not say).
    Bound {
        /// The bind type.
        mode: BindMode,
        /// The peer's SMPP version: TLVs are left out of what we send when below 0x34.
        interface_version: u8,
    },
    /// We sent unbind and wait for unbind_resp.
    AwaitingUnbindResp,
    /// Over; flush the transmit buffer and close the socket.
    Closed(CloseReason),
}

/// Why a session closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer unbound (we answered unbind_resp).
    PeerUnbound,
    /// We unbound and the peer answered (or timed out answering).
    Unbound,
    /// SMSC side: the application refused the bind with this status.
    BindRejected(CommandStatus),
    /// ESME side: the SMSC refused our bind with this status.
    BindRefused(CommandStatus),
    /// The byte stream broke (bad command_length); generic_nack was sent.
    Framing,
    /// No bind within `bind_timeout_ms`.
    BindTimeout,
    /// Nothing received for `idle_timeout_ms`.
    IdleTimeout,
    /// Our enquire_link got no response.
    EnquireLinkTimeout,
    /// The peer does not read: the transmit buffer passed twice its limit.
    PeerNotReading,
    /// The peer sent generic_nack to our bind or unbind, or a PDU no state allows.
    ProtocolViolation,
}

/// Why a send was refused. Nothing was queued.
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
    /// The session is not bound in a mode that allows this command (or is closed).
    #[error("{command:?} not allowed in state {state:?}")]
    WrongState {
        /// The command.
        command: CommandId,
        /// The state.
        state: State,
    },
    /// `respond` named a sequence_number with no unanswered request.
    #[error("no unanswered request with sequence_number {0}")]
    UnknownRequest(u32),
    /// The PDU could not be encoded (a field over its size).
    #[error("encode: {0}")]
    Encode(#[from] super::error::EncodeError),
}

/// One of our requests awaiting its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outstanding {
    /// The request's sequence_number.
    pub sequence_number: u32,
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
    /// SMSC side: answer with [`Session::accept_bind`] or [`Session::reject_bind`].
    BindRequest {
        /// The bind's sequence_number.
        sequence_number: u32,
        /// The bind type.
        mode: BindMode,
        /// The credentials and version.
        bind: Bind<&'a [u8]>,
    },
    /// ESME side: our bind was accepted.
    Bound {
        /// The bind type.
        mode: BindMode,
        /// The SMSC's version (sc_interface_version, or 0x33 when absent).
        interface_version: u8,
        /// The SMSC's system_id.
        system_id: &'a [u8],
    },
    /// A request the application must answer with [`Session::respond`] (submit_sm, deliver_sm,
    /// data_sm, submit_multi, query_sm, cancel_sm, replace_sm) or only take note of
    /// (alert_notification, outbind).
    Request(Pdu<&'a [u8]>),
    /// The response to one of our requests.
    Response {
        /// The request it answers.
        request: Outstanding,
        /// The response.
        pdu: Pdu<&'a [u8]>,
    },
    /// A response to one of our requests that could not be decoded; the request is over.
    MalformedResponse {
        /// The request it answers.
        request: Outstanding,
        /// Why it could not be decoded.
        error: DecodeError,
    },
    /// A response or generic_nack matching no outstanding request (late, or the peer's bug).
    UnexpectedResponse {
        /// Its command_id.
        command_id: u32,
        /// Its sequence_number.
        sequence_number: u32,
        /// Its command_status.
        command_status: CommandStatus,
    },
    /// The session answered a bad or disallowed PDU on its own with this status.
    Refused {
        /// The command_id received.
        command_id: u32,
        /// The status sent back.
        status: CommandStatus,
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

/// The token the session uses for its own enquire_link and unbind requests.
const INTERNAL_TOKEN: u64 = u64::MAX;

/// One SMPP session. See the module documentation for the call contract.
pub struct Session {
    role: Role,
    config: SessionConfig,
    state: State,
    /// Our interface_version (ESME: what we bind with; SMSC: what we answer with).
    interface_version: u8,
    next_sequence_number: u32,
    outstanding: HashMap<u32, Outstanding>,
    deadlines: Deadlines,
    /// Peer requests handed out and not yet answered: sequence_number → command.
    unanswered: HashMap<u32, CommandId>,
    /// SMSC side: the bind awaiting accept/reject.
    pending_bind: Option<(u32, BindMode, u8)>,
    transmit: Vec<u8>,
    transmit_start: usize,
    last_received_ms: u64,
    enquire_link_pending: bool,
    created_ms: u64,
}

impl Session {
    /// An ESME session that starts by sending `bind` as `mode`.
    pub fn new_esme(
        config: SessionConfig,
        mode: BindMode,
        bind: Bind<&[u8]>,
        now_ms: u64,
    ) -> Session {
        debug_assert!(config.validate().is_ok());
        let interface_version = bind.interface_version;
        let mut session = Session::new(
            Role::Esme,
            config,
            State::AwaitingBindResp,
            interface_version,
            now_ms,
        );
        // A fresh session has an empty window and buffer, so the bind always fits; an encode
        // error (an over-long field) closes the session at once.
        if session
            .queue_request(mode.request_body(bind), INTERNAL_TOKEN, now_ms)
            .is_err()
        {
            session.state = State::Closed(CloseReason::ProtocolViolation);
        }
        session
    }

    /// An SMSC session waiting for a bind; `interface_version` is what we announce (0x34 or
    /// 0x50).
    pub fn new_smsc(config: SessionConfig, interface_version: u8, now_ms: u64) -> Session {
        debug_assert!(config.validate().is_ok());
        Session::new(
            Role::Smsc,
            config,
            State::AwaitingBind,
            interface_version,
            now_ms,
        )
    }

    fn new(
        role: Role,
        config: SessionConfig,
        state: State,
        interface_version: u8,
        now_ms: u64,
    ) -> Session {
        Session {
            role,
            config,
            state,
            interface_version,
            next_sequence_number: 1,
            outstanding: HashMap::with_capacity(config.window_max.min(1024)),
            deadlines: Deadlines::new(config.window_max),
            unanswered: HashMap::with_capacity(config.peer_window_max.min(1024)),
            pending_bind: None,
            transmit: Vec::with_capacity(4096),
            transmit_start: 0,
            last_received_ms: now_ms,
            enquire_link_pending: false,
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

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed(_))
    }

    /// True when bound in any mode.
    pub fn is_bound(&self) -> bool {
        matches!(self.state, State::Bound { .. })
    }

    /// How many more requests fit in the window now.
    pub fn window_available(&self) -> usize {
        self.config.window_max - self.outstanding.len().min(self.config.window_max)
    }

    /// Changes both windows (e.g. to the account's once an SP's bind names it). Requests
    /// already outstanding or unanswered stay; new ones are checked against the new bounds.
    /// Each must be 1 to [`SessionConfig::WINDOW_MAX`]; other values are clamped into range.
    pub fn set_windows(&mut self, window_max: usize, peer_window_max: usize) {
        self.config.window_max = window_max.clamp(1, SessionConfig::WINDOW_MAX);
        self.config.peer_window_max = peer_window_max.clamp(1, SessionConfig::WINDOW_MAX);
        self.deadlines.set_window(self.config.window_max);
    }

    /// Our requests awaiting a response.
    pub fn outstanding_count(&self) -> usize {
        self.outstanding.len()
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

    /// Takes every request still awaiting a response (after a close, to retry them elsewhere).
    pub fn drain_outstanding(&mut self) -> Vec<Outstanding> {
        let mut requests: Vec<Outstanding> = self
            .outstanding
            .drain()
            .map(|(_, request)| request)
            .filter(|request| request.token != INTERNAL_TOKEN)
            .collect();
        self.deadlines.clear();
        requests.sort_by_key(|request| request.sent_at_ms);
        requests
    }

    /// The next time [`Session::handle_timeout`] has work, if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        match self.state {
            State::Closed(_) => None,
            State::AwaitingBind | State::AwaitingBindResp => {
                let bind_deadline = self.created_ms + self.config.bind_timeout_ms;
                Some(
                    self.next_response_deadline()
                        .map_or(bind_deadline, |next| next.min(bind_deadline)),
                )
            }
            State::Bound { .. } | State::AwaitingUnbindResp => {
                // Only a bound session probes; otherwise the idle timeout is the next quiet-link
                // event (a past probe time would wake the caller for nothing, again and again).
                let quiet = if self.enquire_link_pending || !self.is_bound() {
                    self.last_received_ms + self.config.idle_timeout_ms
                } else {
                    self.last_received_ms + self.config.enquire_link_interval_ms
                };
                Some(
                    self.next_response_deadline()
                        .map_or(quiet, |next| next.min(quiet)),
                )
            }
        }
    }

    fn next_response_deadline(&self) -> Option<u64> {
        self.deadlines
            .next_sent_at()
            .map(|sent_at_ms| sent_at_ms + self.config.response_timeout_ms)
    }

    /// Runs the timers due at `now_ms`. Call until it returns `None`.
    pub fn handle_timeout(&mut self, now_ms: u64) -> Option<TimerEvent> {
        if self.is_closed() {
            return None;
        }
        if matches!(self.state, State::AwaitingBind | State::AwaitingBindResp)
            && now_ms >= self.created_ms + self.config.bind_timeout_ms
        {
            return Some(TimerEvent::Closed(self.close(CloseReason::BindTimeout)));
        }
        while let Some(sequence_number) = self
            .deadlines
            .pop_expired(now_ms, self.config.response_timeout_ms)
        {
            let Some(request) = self.outstanding.remove(&sequence_number) else {
                continue; // Answered already: a stale deadline.
            };
            if request.token == INTERNAL_TOKEN {
                let reason = match request.command_id {
                    CommandId::enquire_link => CloseReason::EnquireLinkTimeout,
                    CommandId::unbind => CloseReason::Unbound,
                    _ => CloseReason::BindTimeout,
                };
                return Some(TimerEvent::Closed(self.close(reason)));
            }
            return Some(TimerEvent::RequestTimedOut(request));
        }
        if now_ms >= self.last_received_ms + self.config.idle_timeout_ms {
            return Some(TimerEvent::Closed(self.close(CloseReason::IdleTimeout)));
        }
        if self.is_bound()
            && !self.enquire_link_pending
            && now_ms >= self.last_received_ms + self.config.enquire_link_interval_ms
        {
            // A full window or buffer just means the link is busy, which is what we wanted to
            // know; the idle timeout still guards it.
            if self
                .queue_request(Body::<&[u8]>::EnquireLink, INTERNAL_TOKEN, now_ms)
                .is_ok()
            {
                self.enquire_link_pending = true;
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
        let Some(header) = Header::peek(frame) else {
            return Some(self.fail_framing());
        };
        match decode(frame) {
            Ok(pdu) => self.handle_pdu(header, pdu, now_ms),
            Err(error) => self.handle_decode_error(header, error),
        }
    }

    /// SMSC side: accepts the pending bind. `system_id` is ours, sent in the bind response.
    pub fn accept_bind(&mut self, system_id: &[u8]) -> Result<(), SendError> {
        let Some((sequence_number, mode, peer_version)) = self.pending_bind.take() else {
            return Err(SendError::WrongState {
                command: CommandId::bind_transceiver_resp,
                state: self.state,
            });
        };
        let mut tlvs = Tlvs::new();
        if peer_version >= INTERFACE_VERSION_34 {
            tlvs.push_u8(tag::sc_interface_version, self.interface_version)?;
        }
        let body = mode.response_body(BindResp {
            system_id: system_id.to_vec(),
            tlvs,
        });
        self.state = State::Bound {
            mode,
            interface_version: peer_version,
        };
        self.queue_response(sequence_number, CommandStatus::ESME_ROK, &body)
    }

    /// SMSC side: refuses the pending bind with `status` (e.g. `ESME_RINVPASWD`) and closes.
    pub fn reject_bind(&mut self, status: CommandStatus) -> Result<(), SendError> {
        let Some((sequence_number, mode, _)) = self.pending_bind.take() else {
            return Err(SendError::WrongState {
                command: CommandId::bind_transceiver_resp,
                state: self.state,
            });
        };
        assert!(!status.is_ok(), "reject_bind needs an error status");
        let body = mode.response_body(BindResp::<Vec<u8>>::default());
        self.queue_response(sequence_number, status, &body)?;
        self.close(CloseReason::BindRejected(status));
        Ok(())
    }

    /// Sends a request; returns its sequence_number. The response (or timeout) comes back with
    /// `token`.
    pub fn send_request<B: AsRef<[u8]>>(
        &mut self,
        body: Body<B>,
        token: u64,
        now_ms: u64,
    ) -> Result<u32, SendError> {
        assert!(token != INTERNAL_TOKEN, "token u64::MAX is reserved");
        let command = body.command_id();
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
        if self.transmit.len() - self.transmit_start > self.config.transmit_size_max {
            return Err(SendError::TransmitFull);
        }
        self.queue_request(body, token, now_ms)
    }

    /// Answers a peer request handed out as [`Event::Request`]. `body` must be the request's
    /// response (e.g. `Body::SubmitSmResp` for submit_sm).
    pub fn respond<B: AsRef<[u8]>>(
        &mut self,
        sequence_number: u32,
        status: CommandStatus,
        body: Body<B>,
    ) -> Result<(), SendError> {
        let Some(request) = self.unanswered.get(&sequence_number).copied() else {
            return Err(SendError::UnknownRequest(sequence_number));
        };
        assert_eq!(
            request.response(),
            Some(body.command_id()),
            "respond: wrong response type"
        );
        self.unanswered.remove(&sequence_number);
        if self.is_closed() {
            return Ok(()); // Nobody to answer; the request is forgotten with the session.
        }
        self.queue_response(sequence_number, status, &body)
    }

    /// Starts an orderly unbind (SMPP v3.4 §4.2). Outstanding requests stay outstanding until
    /// answered or timed out.
    pub fn unbind(&mut self, now_ms: u64) -> Result<(), SendError> {
        if !self.is_bound() {
            return Err(SendError::WrongState {
                command: CommandId::unbind,
                state: self.state,
            });
        }
        self.queue_request(Body::<&[u8]>::Unbind, INTERNAL_TOKEN, now_ms)?;
        self.state = State::AwaitingUnbindResp;
        Ok(())
    }

    fn handle_pdu<'a>(
        &mut self,
        header: Header,
        pdu: Pdu<&'a [u8]>,
        now_ms: u64,
    ) -> Option<Event<'a>> {
        let command = pdu.command_id();
        if command.is_response() {
            return self.handle_response(header, pdu);
        }
        if let Some(mode) = BindMode::of_request(command) {
            return self.handle_bind(header, mode, pdu);
        }
        match command {
            CommandId::enquire_link => {
                // Allowed in every open state (SMPP v3.4 §4.11).
                self.answer(
                    header.sequence_number,
                    CommandStatus::ESME_ROK,
                    &Body::<&[u8]>::EnquireLinkResp,
                );
                None
            }
            CommandId::unbind => {
                if self.is_bound() || matches!(self.state, State::AwaitingUnbindResp) {
                    self.answer(
                        header.sequence_number,
                        CommandStatus::ESME_ROK,
                        &Body::<&[u8]>::UnbindResp,
                    );
                    Some(Event::Closed(self.close(CloseReason::PeerUnbound)))
                } else {
                    self.refuse(header, CommandStatus::ESME_RINVBNDSTS)
                }
            }
            CommandId::outbind | CommandId::alert_notification => {
                // No response exists; hand them up when the direction is right.
                let expected = match command {
                    CommandId::outbind => {
                        self.role == Role::Esme
                            && matches!(self.state, State::AwaitingBindResp | State::AwaitingBind)
                    }
                    _ => self.role == Role::Esme && self.is_bound(),
                };
                if expected {
                    Some(Event::Request(pdu))
                } else {
                    None
                }
            }
            _ => self.handle_request(header, pdu, now_ms),
        }
    }

    fn handle_request<'a>(
        &mut self,
        header: Header,
        pdu: Pdu<&'a [u8]>,
        _now_ms: u64,
    ) -> Option<Event<'a>> {
        let command = pdu.command_id();
        let allowed = match (self.role, self.state) {
            (Role::Smsc, State::Bound { mode, .. }) => match command {
                CommandId::submit_sm
                | CommandId::submit_multi
                | CommandId::query_sm
                | CommandId::cancel_sm
                | CommandId::replace_sm => mode.can_submit(),
                CommandId::data_sm => true,
                _ => false,
            },
            (Role::Esme, State::Bound { mode, .. }) => match command {
                CommandId::deliver_sm => mode.can_receive(),
                CommandId::data_sm => true,
                _ => false,
            },
            _ => false,
        };
        if !allowed {
            return self.refuse(header, CommandStatus::ESME_RINVBNDSTS);
        }
        if self.unanswered.contains_key(&header.sequence_number) {
            // The peer reused a sequence_number still awaiting our answer: answering twice
            // under one number would confuse it, so refuse the second (and keep the first, which
            // the application will answer).
            return self.refuse(header, CommandStatus::ESME_RSYSERR);
        }
        if self.unanswered.len() >= self.config.peer_window_max {
            return self.refuse(header, CommandStatus::ESME_RTHROTTLED);
        }
        self.unanswered.insert(header.sequence_number, command);
        Some(Event::Request(pdu))
    }

    fn handle_bind<'a>(
        &mut self,
        header: Header,
        mode: BindMode,
        pdu: Pdu<&'a [u8]>,
    ) -> Option<Event<'a>> {
        if self.role == Role::Esme {
            return self.refuse(header, CommandStatus::ESME_RINVCMDID);
        }
        if self.state != State::AwaitingBind || self.pending_bind.is_some() {
            return self.refuse(header, CommandStatus::ESME_RALYBND);
        }
        let (Body::BindTransmitter(bind) | Body::BindReceiver(bind) | Body::BindTransceiver(bind)) =
            pdu.body
        else {
            unreachable!("of_request matched a bind command");
        };
        // Versions below 3.4 (including 0x00-0x32 from old ESMEs) are all 3.3 for our purposes.
        let peer_version = bind.interface_version;
        self.pending_bind = Some((header.sequence_number, mode, peer_version));
        Some(Event::BindRequest {
            sequence_number: header.sequence_number,
            mode,
            bind,
        })
    }

    fn handle_response<'a>(&mut self, header: Header, pdu: Pdu<&'a [u8]>) -> Option<Event<'a>> {
        let command = pdu.command_id();
        let request = match self.outstanding.get(&header.sequence_number) {
            Some(request)
                if command == CommandId::generic_nack
                    || request.command_id.response() == Some(command) =>
            {
                *request
            }
            _ => {
                return Some(Event::UnexpectedResponse {
                    command_id: header.command_id,
                    sequence_number: header.sequence_number,
                    command_status: header.command_status,
                });
            }
        };
        self.outstanding.remove(&header.sequence_number);
        self.deadlines.skip_answered(&self.outstanding);
        if request.token != INTERNAL_TOKEN {
            return Some(Event::Response { request, pdu });
        }
        match request.command_id {
            CommandId::enquire_link => {
                self.enquire_link_pending = false;
                None
            }
            CommandId::unbind => Some(Event::Closed(self.close(CloseReason::Unbound))),
            CommandId::bind_transmitter
            | CommandId::bind_receiver
            | CommandId::bind_transceiver => self.handle_bind_response(request, pdu),
            other => {
                unreachable!("internal requests are binds, enquire_link and unbind: {other:?}")
            }
        }
    }

    fn handle_bind_response<'a>(
        &mut self,
        request: Outstanding,
        pdu: Pdu<&'a [u8]>,
    ) -> Option<Event<'a>> {
        if !pdu.command_status.is_ok() {
            return Some(Event::Closed(
                self.close(CloseReason::BindRefused(pdu.command_status)),
            ));
        }
        let (Body::BindTransmitterResp(resp)
        | Body::BindReceiverResp(resp)
        | Body::BindTransceiverResp(resp)) = pdu.body
        else {
            // generic_nack with ESME_ROK: the peer is confused.
            return Some(Event::Closed(self.close(CloseReason::ProtocolViolation)));
        };
        let mode = BindMode::of_request(request.command_id).unwrap_or(BindMode::Transceiver);
        // SMPP v3.4 §5.3.2.25: no sc_interface_version means the SMSC speaks 3.3.
        let interface_version = resp
            .tlvs
            .sc_interface_version()
            .unwrap_or(INTERFACE_VERSION_33);
        self.state = State::Bound {
            mode,
            interface_version,
        };
        Some(Event::Bound {
            mode,
            interface_version,
            system_id: resp.system_id,
        })
    }

    fn handle_decode_error<'a>(&mut self, header: Header, error: DecodeError) -> Option<Event<'a>> {
        if error.is_fatal() {
            return Some(self.fail_framing());
        }
        let command = header.command();
        match command {
            Some(command) if command.is_response() => {
                let request = self.outstanding.remove(&header.sequence_number)?;
                if request.token == INTERNAL_TOKEN {
                    return Some(Event::Closed(self.close(CloseReason::ProtocolViolation)));
                }
                Some(Event::MalformedResponse { request, error })
            }
            _ => self.refuse(header, error.status()),
        }
    }

    /// Answers a request the session refuses on its own: its response with `status`, or
    /// generic_nack when the command is unknown or has no response.
    fn refuse<'a>(&mut self, header: Header, status: CommandStatus) -> Option<Event<'a>> {
        let response = header.command().and_then(CommandId::response);
        match response {
            Some(response) => self.answer_empty(header.sequence_number, status, response),
            None => self.answer(header.sequence_number, status, &Body::<&[u8]>::GenericNack),
        }
        Some(Event::Refused {
            command_id: header.command_id,
            status,
        })
    }

    fn fail_framing<'a>(&mut self) -> Event<'a> {
        self.answer(
            0,
            CommandStatus::ESME_RINVCMDLEN,
            &Body::<&[u8]>::GenericNack,
        );
        Event::Closed(self.close(CloseReason::Framing))
    }

    /// Queues a response with an empty body of the right type (for refusals).
    fn answer_empty(&mut self, sequence_number: u32, status: CommandStatus, response: CommandId) {
        let body = empty_response(response).unwrap_or(Body::GenericNack);
        self.answer(sequence_number, status, &body);
    }

    /// Queues a response the session itself sends; these are small and bounded by the peer's
    /// request rate, so they bypass the soft transmit limit (the hard limit still applies).
    fn answer<B: AsRef<[u8]>>(
        &mut self,
        sequence_number: u32,
        status: CommandStatus,
        body: &Body<B>,
    ) {
        // Session-made responses have empty or fixed fields, so encoding cannot fail.
        let _ = self.queue_response(sequence_number, status, body);
    }

    fn queue_response<B: AsRef<[u8]>>(
        &mut self,
        sequence_number: u32,
        status: CommandStatus,
        body: &Body<B>,
    ) -> Result<(), SendError> {
        let pdu = PduRef {
            sequence_number,
            command_status: status,
            body,
        };
        self.encode(pdu)?;
        if self.transmit.len() - self.transmit_start > 2 * self.config.transmit_size_max {
            self.close(CloseReason::PeerNotReading);
        }
        Ok(())
    }

    fn queue_request<B: AsRef<[u8]>>(
        &mut self,
        body: Body<B>,
        token: u64,
        now_ms: u64,
    ) -> Result<u32, SendError> {
        let sequence_number = self.take_sequence_number();
        let command_id = body.command_id();
        self.encode(PduRef {
            sequence_number,
            command_status: CommandStatus::ESME_ROK,
            body: &body,
        })?;
        self.outstanding.insert(
            sequence_number,
            Outstanding {
                sequence_number,
                command_id,
                token,
                sent_at_ms: now_ms,
            },
        );
        self.deadlines
            .push(now_ms, sequence_number, &self.outstanding);
        Ok(sequence_number)
    }

    fn encode<B: AsRef<[u8]>>(&mut self, pdu: PduRef<'_, B>) -> Result<(), SendError> {
        let version = match self.state {
            State::Bound {
                interface_version, ..
            } => interface_version,
            // Before the bind completes: binds and their responses carry no TLVs we must hide,
            // except sc_interface_version, which accept_bind adds only for 3.4+ peers.
            _ => INTERFACE_VERSION_34.max(self.interface_version),
        };
        pdu.encode_for(version, &mut self.transmit)?;
        Ok(())
    }

    fn take_sequence_number(&mut self) -> u32 {
        // Skip numbers still outstanding (possible only after 2^31 requests on one bind).
        loop {
            let sequence_number = self.next_sequence_number;
            self.next_sequence_number = if sequence_number >= SEQUENCE_NUMBER_MAX {
                1
            } else {
                sequence_number + 1
            };
            if !self.outstanding.contains_key(&sequence_number) {
                return sequence_number;
            }
        }
    }

    fn may_send(&self, command: CommandId) -> bool {
        match (self.role, self.state) {
            (Role::Esme, State::Bound { mode, .. }) => match command {
                CommandId::submit_sm
                | CommandId::submit_multi
                | CommandId::query_sm
                | CommandId::cancel_sm
                | CommandId::replace_sm => mode.can_submit(),
                CommandId::data_sm | CommandId::enquire_link => true,
                _ => false,
            },
            (Role::Smsc, State::Bound { mode, .. }) => match command {
                CommandId::deliver_sm => mode.can_receive(),
                CommandId::data_sm => mode.can_receive(),
                CommandId::enquire_link => true,
                CommandId::alert_notification => mode.can_receive(),
                _ => false,
            },
            _ => false,
        }
    }

    fn close(&mut self, reason: CloseReason) -> CloseReason {
        if !self.is_closed() {
            self.state = State::Closed(reason);
            self.pending_bind = None;
        }
        match self.state {
            State::Closed(reason) => reason,
            _ => unreachable!("set just above"),
        }
    }
}

/// A PDU to encode without building an owned [`Pdu`].
struct PduRef<'b, B> {
    sequence_number: u32,
    command_status: CommandStatus,
    body: &'b Body<B>,
}

impl<B: AsRef<[u8]>> PduRef<'_, B> {
    fn encode_for(
        &self,
        interface_version: u8,
        out: &mut Vec<u8>,
    ) -> Result<usize, super::error::EncodeError> {
        super::pdu::encode_body_for(
            self.sequence_number,
            self.command_status,
            self.body,
            interface_version,
            out,
        )
    }
}

#[cfg(test)]
mod tests;
