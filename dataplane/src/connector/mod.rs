//! One SMSC connector's binds on this core, as a sans-IO state machine: reconnect with backoff,
//! a bounded FIFO of submits, TPS and window gating, adaptive slow-down on the SMSC's
//! throttling errors, and requeueing of what a lost bind had in flight (DESIGN.md §3, "Flow
//! control", SMSC side; SMPP v3.4 §4.4 submit_sm, §4.6 deliver_sm, §5.1.3 command_status).
//!
//! # Call contract
//!
//! The runtime owns the sockets and the clock; [`Connector`] owns the SMPP sessions.
//! 1. [`Connector::poll_connect`] names a bind whose reconnect time has come: open a TCP
//!    connection, then call [`Connector::handle_connected`] (or [`Connector::handle_disconnected`]
//!    when the connect fails).
//! 2. Split received bytes into frames and pass each to [`Connector::handle_frame`].
//! 3. Call [`Connector::pump`] after anything that may free room (an enqueue, a response, a
//!    timer), write [`Connector::poll_transmit`] to each bind's socket and report progress with
//!    [`Connector::advance_transmit`].
//! 4. At [`Connector::poll_timeout`], call [`Connector::handle_timeout`].
//! 5. Drain [`Connector::poll_event`] after every `handle_*` and `pump` call. On
//!    [`ConnectorEvent::Closed`], flush what is left of that bind's transmit buffer, close the
//!    socket and call [`Connector::handle_disconnected`].
//! 6. [`ConnectorEvent::Delivery`] (receipts and MO) must be answered by the caller with
//!    [`Connector::respond_delivery`]: the receipts/MO module decides the status, because a full
//!    receipt or MO queue is answered `ESME_RMSGQFUL` so the SMSC redelivers later.
//!
//! # Delivery guarantees
//!
//! - Never lost: a message leaves the connector only as an event naming its token
//!   ([`ConnectorEvent::Accepted`], [`ConnectorEvent::Rejected`], [`ConnectorEvent::Uncertain`])
//!   or back to the caller as [`EnqueueError::QueueFull`].
//! - Never twice while pending: a message is in at most one place at a time (the queue or one
//!   session's window). It is sent again only after its first try is answered with
//!   `ESME_RTHROTTLED`/`ESME_RMSGQFUL`, or after the bind carrying it is gone.
//! - The trade-off: a submit whose response times out on a live bind is **not** resent (the
//!   SMSC may have accepted it; a resend could deliver it twice); it is surfaced as
//!   [`ConnectorEvent::Uncertain`] and the caller settles it (a later receipt, or a failure CDR).
//!   A bind that is lost with submits still awaiting responses is different: those submits are
//!   requeued and resent, which is at-least-once (the SMSC may have accepted some before the
//!   connection broke). Losing them instead would break "never lost" for every message in every
//!   window on each disconnect; a duplicate on a rare disconnect is the lesser harm.
//! - Order: the queue is kept sorted by enqueue order, and a message put back (throttled, or
//!   from a lost bind) goes back to its place by that order, ahead of everything enqueued after
//!   it. With a window above one, submits in flight together may still be accepted out of
//!   order, as on any windowed SMPP link.
//!
//! # Bounds
//!
//! - Queue: at most `queue_max` messages accepted by [`Connector::enqueue`]; messages put back
//!   from the windows may take it over that by at most `binds × window` (they were already
//!   accepted, so they are never refused).
//! - In flight: at most `window` per bind (the session's window).
//! - Retries: a message put back more than [`RETRY_COUNT_MAX`] times is given up (see
//!   [`ConnectorEvent::Rejected`] and [`ConnectorEvent::Uncertain`]).
//! - Reconnect delay: within [`RECONNECT_DELAY_MAX_MS`]; throttle pause: within
//!   [`THROTTLE_PAUSE_MAX_MS`].
//! - Events: at most one per message plus one per bind state change between drains.
//!
//! Time is milliseconds on any monotonic clock the caller chooses (`now_ms`); randomness (the
//! reconnect jitter) comes from the seed given to [`Connector::new`].

use std::collections::{HashMap, VecDeque};

use smsgw_shared::smpp::CommandId;
use smsgw_shared::smpp::pdu::{Bind, Body, INTERFACE_VERSION_34, MessageIdResp, Pdu, SubmitSm};
use smsgw_shared::smpp::session::{
    BindMode, CloseReason, Event, SendError, Session, SessionConfig, TimerEvent,
};
use smsgw_shared::smpp::status::CommandStatus;
use smsgw_shared::smpp::tlv::Tlvs;

use crate::config::{self, Config};
use crate::flow::TokenBucket;
use crate::flow::share::CoreShare;

/// Index of a bind within one core's [`Connector`] (0-based).
pub type BindIndex = usize;

/// One message for the SMSC: the caller's opaque token and the submit_sm to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The caller's handle; every outcome event names it.
    pub token: u64,
    /// The body sent as submit_sm (sequence_number is the session's).
    /// Boxed: messages move through the queue and the windows; a pointer moves cheaper.
    pub submit_sm: Box<SubmitSm<Vec<u8>>>,
}

/// What a connector on this core needs from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorSettings {
    /// Our system_id at the SMSC.
    pub system_id: Vec<u8>,
    /// Our password at the SMSC.
    pub password: Vec<u8>,
    /// The bind type of every session.
    pub mode: BindMode,
    /// Binds this core keeps open (may be 0 when the connector has fewer binds than cores).
    pub bind_count: usize,
    /// Timers and window of each session.
    pub session: SessionConfig,
    /// Messages [`Connector::enqueue`] accepts before answering [`EnqueueError::QueueFull`].
    pub queue_max: usize,
    /// This core's part of the connector's TPS.
    pub share: CoreShare,
}

impl ConnectorSettings {
    /// The settings of `connector` on core `core_index` of `core_count`.
    ///
    /// Bind `i` of the connector lives on core `i % core_count`, so the first
    /// `min(binds, core_count)` cores hold binds; the TPS is split evenly over those cores only
    /// (a core without binds gets rate 0 and sends nothing, so no rate is stranded there).
    pub fn from_config(
        config: &Config,
        connector: &config::Connector,
        core_count: usize,
        core_index: usize,
    ) -> ConnectorSettings {
        assert!(core_index < core_count, "core_index={core_index}");
        let binds = connector.binds as usize;
        let bind_count = binds_on_core(binds, core_count, core_index);
        let cores_with_binds = binds.min(core_count);
        let share = if bind_count == 0 {
            CoreShare::from_rate_milli(0)
        } else {
            CoreShare::even(u64::from(connector.tps), cores_with_binds, core_index)
        };
        ConnectorSettings {
            system_id: connector.system_id.as_bytes().to_vec(),
            password: connector.password.expose().as_bytes().to_vec(),
            mode: connector.bind,
            bind_count,
            session: config.limits.connector_session(connector),
            queue_max: config.limits.connector_queue_max as usize,
            share,
        }
    }
}

/// How many of `binds` binds core `core_index` of `core_count` holds (bind `i` on core
/// `i % core_count`).
pub fn binds_on_core(binds: usize, core_count: usize, core_index: usize) -> usize {
    assert!(core_count >= 1);
    assert!(core_index < core_count, "core_index={core_index}");
    binds / core_count + usize::from(core_index < binds % core_count)
}

/// What a bind waits for.
pub enum BindState {
    /// Waiting for `retry_at_ms` to connect again; `attempt` connections failed in a row
    /// (0 before the first).
    Disconnected {
        /// When [`Connector::poll_connect`] hands this bind out.
        retry_at_ms: u64,
        /// Consecutive failed connections (reset when a bind succeeds).
        attempt: u32,
    },
    /// Handed out by [`Connector::poll_connect`]; waiting for the TCP connection.
    Connecting,
    /// Connected; waiting for bind_resp.
    AwaitingBindResp(Session),
    /// Bound; submits flow when the window and TPS allow.
    Bound(Session),
    /// Bound, but the SMSC throttled us: nothing is sent on this bind until `until_ms`.
    /// Responses, deliveries and enquire_link still flow.
    Paused {
        /// The live session.
        session: Session,
        /// When sending resumes.
        until_ms: u64,
    },
}

/// An outcome or a bind change for the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorEvent {
    /// The SMSC accepted the message with this id (for receipt correlation).
    Accepted {
        /// The message's token.
        token: u64,
        /// The SMSC's message_id.
        message_id: Vec<u8>,
    },
    /// The SMSC refused the message: any status other than `ESME_ROK`, `ESME_RTHROTTLED` and
    /// `ESME_RMSGQFUL`, or one of those two after [`RETRY_COUNT_MAX`] put-backs. The caller
    /// may fail over when `status.is_transient()`. Also `ESME_RSUBMITFAIL` for a message that
    /// cannot be encoded.
    Rejected {
        /// The message's token.
        token: u64,
        /// The SMSC's status (or ours, see above).
        status: CommandStatus,
    },
    /// The outcome is unknown and the message is not resent: its response timed out or could
    /// not be decoded on a live bind, or it was requeued from lost binds more than
    /// [`RETRY_COUNT_MAX`] times.
    Uncertain {
        /// The message's token.
        token: u64,
    },
    /// The SMSC sent deliver_sm or data_sm (a receipt or MO); answer it with
    /// [`Connector::respond_delivery`].
    Delivery {
        /// Which request to answer.
        request: DeliveryRequest,
        /// The request.
        pdu: Pdu<Vec<u8>>,
    },
    /// The bind completed; submits may flow on it.
    Bound {
        /// The bind.
        bind: BindIndex,
    },
    /// The session closed: flush, close the socket, call [`Connector::handle_disconnected`].
    Closed {
        /// The bind.
        bind: BindIndex,
        /// Why.
        reason: CloseReason,
    },
}

/// Names a deliver_sm or data_sm to answer, on the session it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryRequest {
    bind: BindIndex,
    generation: u64,
    sequence_number: u32,
    command_id: CommandId,
}

impl DeliveryRequest {
    /// The bind it came on.
    pub fn bind(self) -> BindIndex {
        self.bind
    }
}

/// Why [`Connector::enqueue`] refused a message; the message comes back untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnqueueError {
    /// `queue_max` messages are waiting. The route fails over, or the SP is answered
    /// `ESME_RMSGQFUL`.
    #[error("connector queue full")]
    QueueFull(Message),
}

/// One connector's binds, queue and TPS on this core. See the module documentation for the
/// call contract.
pub struct Connector {
    settings: ConnectorSettings,
    seed: u64,
    binds: Vec<BindSlot>,
    /// Waiting messages, sorted by `order` (enqueue order).
    queue: VecDeque<Queued>,
    bucket: TokenBucket,
    events: VecDeque<ConnectorEvent>,
    /// The next enqueue order; also the session token of a send (never `u64::MAX`).
    next_order: u64,
    /// The bind [`Connector::pump`] tries first (round robin).
    cursor: BindIndex,
    retries_total: u64,
    generation_next: u64,
    /// Set by [`Connector::stop`]: no more connects, no more sends.
    stopping: bool,
}

impl Connector {
    /// A connector whose binds all connect at once (the first [`Connector::poll_connect`]
    /// calls); `seed` drives the reconnect jitter.
    pub fn new(settings: ConnectorSettings, seed: u64, now_ms: u64) -> Connector {
        assert!(settings.queue_max >= 1);
        debug_assert!(settings.session.validate().is_ok());
        let binds = (0..settings.bind_count)
            .map(|_| BindSlot {
                state: BindState::Disconnected {
                    retry_at_ms: now_ms,
                    attempt: 0,
                },
                in_flight: HashMap::with_capacity(settings.session.window_max.min(1024)),
                throttle_streak: 0,
                attempt: 0,
                generation: 0,
            })
            .collect();
        Connector {
            bucket: settings.share.bucket(now_ms),
            queue: VecDeque::with_capacity(settings.queue_max.min(QUEUE_CAPACITY_INITIAL)),
            settings,
            seed,
            binds,
            events: VecDeque::new(),
            next_order: 0,
            cursor: 0,
            retries_total: 0,
            generation_next: 1,
            stopping: false,
        }
    }

    /// Appends a message to the queue, or hands it back when `queue_max` are waiting.
    // The message comes back by value, not boxed: a full queue under overload must not allocate.
    #[allow(clippy::result_large_err)]
    pub fn enqueue(&mut self, message: Message) -> Result<(), EnqueueError> {
        if self.queue.len() >= self.settings.queue_max {
            return Err(EnqueueError::QueueFull(message));
        }
        let order = self.next_order;
        self.next_order += 1;
        self.queue.push_back(Queued {
            message,
            order,
            retry_count: 0,
        });
        Ok(())
    }

    /// Takes a message out of the queue if it is still waiting there (cancel_sm). A message in
    /// a session's window has left for the SMSC and cannot be taken back: `None`.
    pub fn cancel(&mut self, token: u64) -> Option<Message> {
        let at = self
            .queue
            .iter()
            .position(|queued| queued.message.token == token)?;
        self.queue.remove(at).map(|queued| queued.message)
    }

    /// Lets `edit` change a message still waiting in the queue (replace_sm); false when it is
    /// not queued (already sent, or unknown).
    pub fn replace(&mut self, token: u64, edit: impl FnOnce(&mut Message)) -> bool {
        match self
            .queue
            .iter_mut()
            .find(|queued| queued.message.token == token)
        {
            Some(queued) => {
                edit(&mut queued.message);
                true
            }
            None => false,
        }
    }

    /// Moves queued messages into bound, unpaused binds with window space, one TPS token each,
    /// round robin over the binds. Stops when the queue is empty, no bind has room, or the
    /// bucket is empty.
    pub fn pump(&mut self, now_ms: u64) {
        if self.stopping {
            return;
        }
        // Each turn sends or gives up one message or stops, so the loop ends within the queue's
        // length.
        while !self.queue.is_empty() {
            let Some(bind) = self.next_ready_bind() else {
                break;
            };
            if !self.bucket.try_take(now_ms) {
                break;
            }
            let Some(queued) = self.queue.pop_front() else {
                unreachable!("the loop condition checked the queue");
            };
            self.send(bind, queued, now_ms);
        }
    }

    /// Handles one whole frame received on `bind`.
    pub fn handle_frame(&mut self, bind: BindIndex, frame: &[u8], now_ms: u64) {
        let slot = &mut self.binds[bind];
        let Some(session) = slot.session_mut() else {
            return; // Bytes after the runtime reported the disconnect: nobody to give them to.
        };
        let Some(event) = session.handle_frame(frame, now_ms) else {
            return;
        };
        match event {
            Event::Bound { .. } => {
                slot.take_session(BindState::Bound);
                slot.attempt = 0;
                self.events.push_back(ConnectorEvent::Bound { bind });
            }
            Event::Response { request, pdu } => {
                let message_id = match pdu.body {
                    Body::SubmitSmResp(resp) => Some(resp.message_id.to_vec()),
                    _ => None, // generic_nack
                };
                self.handle_response(
                    bind,
                    request.sequence_number,
                    pdu.command_status,
                    message_id,
                    now_ms,
                );
            }
            Event::MalformedResponse { request, .. } => {
                if let Some(queued) = self.binds[bind].in_flight.remove(&request.sequence_number) {
                    self.events.push_back(ConnectorEvent::Uncertain {
                        token: queued.message.token,
                    });
                }
            }
            Event::Request(pdu) => {
                // alert_notification and outbind need no answer and mean nothing to a bound
                // connector; the session lets no other request through to an ESME.
                let command_id = pdu.command_id();
                if matches!(command_id, CommandId::deliver_sm | CommandId::data_sm) {
                    let request = DeliveryRequest {
                        bind,
                        generation: slot.generation,
                        sequence_number: pdu.sequence_number,
                        command_id,
                    };
                    self.events.push_back(ConnectorEvent::Delivery {
                        request,
                        pdu: pdu.into_owned(),
                    });
                }
            }
            Event::Closed(reason) => {
                self.events
                    .push_back(ConnectorEvent::Closed { bind, reason });
            }
            // A late response (after its timeout: the message is already Uncertain), or a peer
            // PDU the session answered on its own.
            Event::UnexpectedResponse { .. } | Event::Refused { .. } => {}
            Event::BindRequest { .. } => {
                unreachable!("an ESME session never reports bind requests")
            }
        }
    }

    /// Answers a [`ConnectorEvent::Delivery`]. Returns false when its session is gone (the
    /// SMSC redelivers an unanswered deliver_sm on another bind).
    pub fn respond_delivery(&mut self, request: DeliveryRequest, status: CommandStatus) -> bool {
        let slot = &mut self.binds[request.bind];
        if slot.generation != request.generation {
            return false;
        }
        let Some(session) = slot.session_mut() else {
            return false;
        };
        if session.is_closed() {
            // The session accepts answers after it closed but never sends them: say so, so the
            // caller does not count the delivery as acknowledged (the SMSC redelivers).
            return false;
        }
        let body = MessageIdResp::<&[u8]>::default();
        let body = match request.command_id {
            CommandId::deliver_sm => Body::DeliverSmResp(body),
            CommandId::data_sm => Body::DataSmResp(body),
            other => unreachable!("deliveries are deliver_sm and data_sm: {other:?}"),
        };
        match session.respond(request.sequence_number, status, body) {
            Ok(()) => true,
            // Answered already, or the response could not be queued: the SMSC redelivers.
            Err(SendError::UnknownRequest(_) | SendError::Encode(_)) => false,
            Err(other) => unreachable!("respond only fails as above: {other:?}"),
        }
    }

    /// Graceful stop (call once the queue has drained, or at the deadline): every bound
    /// session is sent unbind, nothing more is sent or connected. Sessions end with
    /// [`ConnectorEvent::Closed`] when the SMSC answers (or its timers run out). Returns how
    /// many binds are still connected.
    pub fn stop(&mut self, now_ms: u64) -> usize {
        self.stopping = true;
        let mut open = 0;
        for slot in &mut self.binds {
            match &mut slot.state {
                BindState::Bound(session) | BindState::Paused { session, .. } => {
                    if session.is_bound() {
                        let _ = session.unbind(now_ms);
                    }
                    open += 1;
                }
                BindState::AwaitingBindResp(_) | BindState::Connecting => open += 1,
                BindState::Disconnected { .. } => {}
            }
        }
        open
    }

    /// Binds not in [`BindState::Disconnected`].
    pub fn connected_count(&self) -> usize {
        self.binds
            .iter()
            .filter(|slot| !matches!(slot.state, BindState::Disconnected { .. }))
            .count()
    }

    /// Names a bind whose reconnect time has come and marks it connecting; the runtime opens
    /// its TCP connection. Call until it returns `None`.
    pub fn poll_connect(&mut self, now_ms: u64) -> Option<BindIndex> {
        if self.stopping {
            return None;
        }
        let bind = self.binds.iter().position(|slot| {
            matches!(slot.state, BindState::Disconnected { retry_at_ms, .. } if retry_at_ms <= now_ms)
        })?;
        let slot = &mut self.binds[bind];
        let BindState::Disconnected { attempt, .. } = slot.state else {
            unreachable!("found above");
        };
        slot.attempt = attempt;
        slot.state = BindState::Connecting;
        Some(bind)
    }

    /// The TCP connection of `bind` is up: starts its session, which queues the bind request.
    pub fn handle_connected(&mut self, bind: BindIndex, now_ms: u64) {
        let generation = self.generation_next;
        self.generation_next += 1;
        let slot = &mut self.binds[bind];
        assert!(matches!(slot.state, BindState::Connecting), "bind={bind}");
        assert!(slot.in_flight.is_empty());
        let request = Bind {
            system_id: self.settings.system_id.as_slice(),
            password: self.settings.password.as_slice(),
            system_type: &[][..],
            interface_version: INTERFACE_VERSION_34,
            addr_ton: 0,
            addr_npi: 0,
            address_range: &[][..],
        };
        let session = Session::new_esme(self.settings.session, self.settings.mode, request, now_ms);
        slot.generation = generation;
        slot.state = BindState::AwaitingBindResp(session);
    }

    /// The connection of `bind` failed or is closed: its in-flight submits go back to the queue
    /// in their original order, and the reconnect is scheduled with backoff.
    pub fn handle_disconnected(&mut self, bind: BindIndex, now_ms: u64) {
        let slot = &mut self.binds[bind];
        assert!(
            !matches!(slot.state, BindState::Disconnected { .. }),
            "bind={bind} already disconnected"
        );
        let bound = matches!(slot.state, BindState::Bound(_) | BindState::Paused { .. });
        let attempt = if bound {
            1
        } else {
            slot.attempt.saturating_add(1)
        };
        let retry_at_ms = now_ms + reconnect_delay_ms(self.seed, bind, attempt);
        slot.state = BindState::Disconnected {
            retry_at_ms,
            attempt,
        };
        slot.attempt = attempt;
        slot.throttle_streak = 0;
        let in_flight: Vec<Queued> = slot.in_flight.drain().map(|(_, queued)| queued).collect();
        for mut queued in in_flight {
            queued.retry_count += 1;
            self.retries_total += 1;
            if queued.retry_count > RETRY_COUNT_MAX {
                self.events.push_back(ConnectorEvent::Uncertain {
                    token: queued.message.token,
                });
            } else {
                self.requeue(queued);
            }
        }
    }

    /// Runs the timers due at `now_ms`: response timeouts, enquire_link, idle and bind
    /// timeouts in each session, and the end of throttle pauses.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        for bind in 0..self.binds.len() {
            let slot = &mut self.binds[bind];
            if let BindState::Paused { until_ms, .. } = slot.state
                && until_ms <= now_ms
            {
                slot.take_session(BindState::Bound);
            }
            let (BindState::AwaitingBindResp(session)
            | BindState::Bound(session)
            | BindState::Paused { session, .. }) = &mut slot.state
            else {
                continue;
            };
            // Each turn removes one outstanding request or closes the session, so this ends
            // within the window.
            while let Some(event) = session.handle_timeout(now_ms) {
                match event {
                    TimerEvent::RequestTimedOut(request) => {
                        if let Some(queued) = slot.in_flight.remove(&request.sequence_number) {
                            self.events.push_back(ConnectorEvent::Uncertain {
                                token: queued.message.token,
                            });
                        }
                    }
                    TimerEvent::Closed(reason) => {
                        self.events
                            .push_back(ConnectorEvent::Closed { bind, reason });
                    }
                }
            }
        }
    }

    /// The next time [`Connector::handle_timeout`], [`Connector::poll_connect`] or
    /// [`Connector::pump`] has work, if any.
    pub fn poll_timeout(&self, now_ms: u64) -> Option<u64> {
        let mut next: Option<u64> = None;
        let mut earliest = |at_ms: u64| next = Some(next.map_or(at_ms, |next| next.min(at_ms)));
        for slot in &self.binds {
            match &slot.state {
                BindState::Disconnected { retry_at_ms, .. } => earliest(*retry_at_ms),
                BindState::Connecting => {}
                BindState::AwaitingBindResp(session) | BindState::Bound(session) => {
                    if let Some(at_ms) = session.poll_timeout() {
                        earliest(at_ms);
                    }
                }
                BindState::Paused { session, until_ms } => {
                    earliest(*until_ms);
                    if let Some(at_ms) = session.poll_timeout() {
                        earliest(at_ms);
                    }
                }
            }
        }
        if !self.queue.is_empty()
            && self.next_ready_bind_peek().is_some()
            && let Some(at_ms) = self.bucket.next_ready_ms(now_ms)
        {
            earliest(at_ms);
        }
        next
    }

    /// Takes the next event.
    pub fn poll_event(&mut self) -> Option<ConnectorEvent> {
        self.events.pop_front()
    }

    /// Bytes to write to `bind`'s socket.
    pub fn poll_transmit(&self, bind: BindIndex) -> &[u8] {
        self.binds[bind]
            .session()
            .map_or(&[][..], Session::poll_transmit)
    }

    /// Drops the first `size` bytes of [`Connector::poll_transmit`] after the socket took them.
    pub fn advance_transmit(&mut self, bind: BindIndex, size: usize) {
        match self.binds[bind].session_mut() {
            Some(session) => session.advance_transmit(size),
            None => assert_eq!(size, 0, "bind={bind} has no session"),
        }
    }

    /// The state of `bind`.
    pub fn bind_state(&self, bind: BindIndex) -> &BindState {
        &self.binds[bind].state
    }

    /// Binds on this core.
    pub fn bind_count(&self) -> usize {
        self.binds.len()
    }

    /// Messages waiting in the queue.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// Messages sent and awaiting a response, over all binds.
    pub fn in_flight_count(&self) -> usize {
        self.binds.iter().map(|slot| slot.in_flight.len()).sum()
    }

    /// Messages put back (throttled, or from a lost bind) since start, for metrics.
    pub fn retries_total(&self) -> u64 {
        self.retries_total
    }

    fn send(&mut self, bind: BindIndex, queued: Queued, now_ms: u64) {
        let slot = &mut self.binds[bind];
        let BindState::Bound(session) = &mut slot.state else {
            unreachable!("next_ready_bind returns bound binds");
        };
        let Some(submit_sm) = borrow_submit_sm(&queued.message.submit_sm) else {
            self.events.push_back(ConnectorEvent::Rejected {
                token: queued.message.token,
                status: CommandStatus::ESME_RSUBMITFAIL,
            });
            return;
        };
        match session.send_request(Body::SubmitSm(submit_sm), queued.order, now_ms) {
            Ok(sequence_number) => {
                let previous = slot.in_flight.insert(sequence_number, queued);
                assert!(previous.is_none(), "sequence_number={sequence_number}");
            }
            Err(SendError::Encode(_)) => {
                self.events.push_back(ConnectorEvent::Rejected {
                    token: queued.message.token,
                    status: CommandStatus::ESME_RSUBMITFAIL,
                });
            }
            Err(other) => {
                unreachable!("next_ready_bind checked state, window and buffer: {other:?}")
            }
        }
    }

    fn handle_response(
        &mut self,
        bind: BindIndex,
        sequence_number: u32,
        status: CommandStatus,
        message_id: Option<Vec<u8>>,
        now_ms: u64,
    ) {
        let slot = &mut self.binds[bind];
        // Every non-internal outstanding request of the session was put in in_flight by send,
        // and leaves both together (response, timeout, or disconnect).
        let Some(mut queued) = slot.in_flight.remove(&sequence_number) else {
            unreachable!("response to a submit not in flight: {sequence_number}");
        };
        let token = queued.message.token;
        match status {
            CommandStatus::ESME_ROK => {
                slot.throttle_streak = 0;
                self.events.push_back(match message_id {
                    Some(message_id) => ConnectorEvent::Accepted { token, message_id },
                    None => ConnectorEvent::Uncertain { token }, // generic_nack with ESME_ROK
                });
            }
            CommandStatus::ESME_RTHROTTLED | CommandStatus::ESME_RMSGQFUL => {
                slot.throttle_streak = slot.throttle_streak.saturating_add(1);
                let until_ms = now_ms + throttle_pause_ms(slot.throttle_streak);
                match &mut slot.state {
                    BindState::Paused {
                        until_ms: paused, ..
                    } => *paused = (*paused).max(until_ms),
                    BindState::Bound(_) => {
                        slot.take_session(|session| BindState::Paused { session, until_ms });
                    }
                    BindState::AwaitingBindResp(_)
                    | BindState::Disconnected { .. }
                    | BindState::Connecting => {
                        unreachable!("submits are in flight only on bound binds")
                    }
                }
                queued.retry_count += 1;
                self.retries_total += 1;
                if queued.retry_count > RETRY_COUNT_MAX {
                    self.events
                        .push_back(ConnectorEvent::Rejected { token, status });
                } else {
                    self.requeue(queued);
                }
            }
            _ => self
                .events
                .push_back(ConnectorEvent::Rejected { token, status }),
        }
    }

    /// Puts a message back at its place by enqueue order (ahead of all later ones).
    fn requeue(&mut self, queued: Queued) {
        let index = self
            .queue
            .partition_point(|other| other.order < queued.order);
        if let Some(next) = self.queue.get(index) {
            assert!(
                next.order != queued.order,
                "order={} queued twice",
                queued.order
            );
        }
        self.queue.insert(index, queued);
    }

    fn next_ready_bind(&mut self) -> Option<BindIndex> {
        let bind = self.next_ready_bind_peek()?;
        self.cursor = (bind + 1) % self.binds.len();
        Some(bind)
    }

    fn next_ready_bind_peek(&self) -> Option<BindIndex> {
        let count = self.binds.len();
        (0..count)
            .map(|offset| (self.cursor + offset) % count)
            .find(|&bind| self.binds[bind].ready(&self.settings))
    }
}

/// Milliseconds before reconnect attempt `attempt` (1-based: 1 after the first failure) of
/// `bind`: exponential from [`RECONNECT_DELAY_BASE_MS`] to [`RECONNECT_DELAY_MAX_MS`], with
/// equal jitter (half the delay fixed, half drawn from `seed`, `bind` and `attempt`), so binds
/// and cores that fail together spread their retries.
pub fn reconnect_delay_ms(seed: u64, bind: BindIndex, attempt: u32) -> u64 {
    assert!(attempt >= 1);
    let shift = (attempt - 1).min(RECONNECT_SHIFT_MAX);
    let delay_ms = (RECONNECT_DELAY_BASE_MS << shift).min(RECONNECT_DELAY_MAX_MS);
    let half_ms = delay_ms / 2;
    let draw = splitmix64(seed ^ splitmix64(bind as u64) ^ splitmix64(u64::from(attempt) << 32));
    let jitter_ms = draw % (delay_ms - half_ms + 1);
    let result_ms = half_ms + jitter_ms;
    assert!(result_ms <= RECONNECT_DELAY_MAX_MS);
    result_ms
}

/// How long a bind pauses after the `streak`-th throttle in a row (1-based): doubling from
/// [`THROTTLE_PAUSE_BASE_MS`] up to [`THROTTLE_PAUSE_MAX_MS`].
pub fn throttle_pause_ms(streak: u32) -> u64 {
    assert!(streak >= 1);
    let shift = (streak - 1).min(THROTTLE_SHIFT_MAX);
    (THROTTLE_PAUSE_BASE_MS << shift).min(THROTTLE_PAUSE_MAX_MS)
}

/// A message with its place in the queue's order and its put-back count.
struct Queued {
    message: Message,
    order: u64,
    retry_count: u32,
}

/// One bind: its state, the messages its session has in flight (by sequence_number) and its
/// throttle streak.
struct BindSlot {
    state: BindState,
    in_flight: HashMap<u32, Queued>,
    /// Throttling responses in a row (reset by `ESME_ROK` or a new session).
    throttle_streak: u32,
    /// Consecutive failed connections, carried through Connecting and AwaitingBindResp.
    attempt: u32,
    /// Which session this is, so an answer to a delivery never reaches a later session.
    generation: u64,
}

impl BindSlot {
    fn session(&self) -> Option<&Session> {
        match &self.state {
            BindState::AwaitingBindResp(session)
            | BindState::Bound(session)
            | BindState::Paused { session, .. } => Some(session),
            BindState::Disconnected { .. } | BindState::Connecting => None,
        }
    }

    fn session_mut(&mut self) -> Option<&mut Session> {
        match &mut self.state {
            BindState::AwaitingBindResp(session)
            | BindState::Bound(session)
            | BindState::Paused { session, .. } => Some(session),
            BindState::Disconnected { .. } | BindState::Connecting => None,
        }
    }

    /// Moves the session into the state `next` builds. Only called with a session present.
    fn take_session(&mut self, next: impl FnOnce(Session) -> BindState) {
        let state = std::mem::replace(&mut self.state, BindState::Connecting);
        self.state = match state {
            BindState::AwaitingBindResp(session)
            | BindState::Bound(session)
            | BindState::Paused { session, .. } => next(session),
            BindState::Disconnected { .. } | BindState::Connecting => {
                unreachable!("take_session without a session")
            }
        };
    }

    fn ready(&self, settings: &ConnectorSettings) -> bool {
        let BindState::Bound(session) = &self.state else {
            return false;
        };
        session.is_bound()
            && settings.mode.can_submit()
            && session.window_available() > 0
            && session.poll_transmit().len() <= settings.session.transmit_size_max
    }
}

/// A view of an owned submit_sm for encoding without copying. `None` when its TLV region is not
/// a valid TLV stream (it was built outside the decoder).
pub(crate) fn borrow_submit_sm(submit_sm: &SubmitSm<Vec<u8>>) -> Option<SubmitSm<&[u8]>> {
    Some(SubmitSm {
        service_type: &submit_sm.service_type,
        source_addr_ton: submit_sm.source_addr_ton,
        source_addr_npi: submit_sm.source_addr_npi,
        source_addr: &submit_sm.source_addr,
        dest_addr_ton: submit_sm.dest_addr_ton,
        dest_addr_npi: submit_sm.dest_addr_npi,
        destination_addr: &submit_sm.destination_addr,
        esm_class: submit_sm.esm_class,
        protocol_id: submit_sm.protocol_id,
        priority_flag: submit_sm.priority_flag,
        schedule_delivery_time: &submit_sm.schedule_delivery_time,
        validity_period: &submit_sm.validity_period,
        registered_delivery: submit_sm.registered_delivery,
        replace_if_present_flag: submit_sm.replace_if_present_flag,
        data_coding: submit_sm.data_coding,
        sm_default_msg_id: submit_sm.sm_default_msg_id,
        short_message: &submit_sm.short_message,
        tlvs: Tlvs::parse(submit_sm.tlvs.raw(), 0).ok()?,
    })
}

/// SplitMix64 (Steele, Lea, Flood 2014): a fixed mixing function, so jitter is a pure function
/// of its inputs.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// First reconnect delay, before jitter.
///
/// Cost: none. At the bound: the first retry after a failure waits 0.5 to 1 s. Why: long enough
/// not to hammer an SMSC that refuses us, short enough that a blip costs about a second.
pub const RECONNECT_DELAY_BASE_MS: u64 = 1_000;

/// Longest reconnect delay, jitter included.
///
/// Cost: none. At the bound: a dead SMSC is tried every 30 to 60 s. Why: SMSCs often count
/// failed binds and lock accounts that retry faster; a minute keeps recovery time acceptable.
pub const RECONNECT_DELAY_MAX_MS: u64 = 60_000;

/// First throttle pause.
///
/// Cost: none. At the bound: the bind sends nothing for 100 ms after a throttling response.
/// Why: SMSCs count TPS per second; a tenth of one lets a short burst drain.
pub const THROTTLE_PAUSE_BASE_MS: u64 = 100;

/// Longest throttle pause.
///
/// Cost: none. At the bound: a bind throttled again and again sends one try every 10 s.
/// Why: longer would push queued messages past SP response deadlines for no gain.
pub const THROTTLE_PAUSE_MAX_MS: u64 = 10_000;

/// Most times one message is put back (throttled, or requeued from a lost bind) before it is
/// given up.
///
/// Cost: none. At the bound: throttled → [`ConnectorEvent::Rejected`] with the SMSC's status
/// (transient, so the route may fail over); lost bind → [`ConnectorEvent::Uncertain`]. Why: at
/// the longest pause, 16 tries is minutes, beyond any SP's patience.
pub const RETRY_COUNT_MAX: u32 = 16;

/// Initial queue allocation; the queue grows towards `queue_max` only under backlog.
const QUEUE_CAPACITY_INITIAL: usize = 1_024;

/// Shifts past which the delays are at their maximum anyway (and `<<` cannot overflow).
const RECONNECT_SHIFT_MAX: u32 = 16;
const THROTTLE_SHIFT_MAX: u32 = 16;

// The doubled delays reach their maximum before the shift stops growing.
const _: () = assert!(RECONNECT_DELAY_BASE_MS << RECONNECT_SHIFT_MAX >= RECONNECT_DELAY_MAX_MS);
const _: () = assert!(THROTTLE_PAUSE_BASE_MS << THROTTLE_SHIFT_MAX >= THROTTLE_PAUSE_MAX_MS);
// The first delays are below their maxima.
const _: () = assert!(RECONNECT_DELAY_BASE_MS <= RECONNECT_DELAY_MAX_MS);
const _: () = assert!(THROTTLE_PAUSE_BASE_MS <= THROTTLE_PAUSE_MAX_MS);

#[cfg(test)]
mod tests;
