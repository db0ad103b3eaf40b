//! Connector tests: each bind talks to an in-memory SMSC (`Session::new_smsc`), bytes moved by
//! `Harness::run`, time advanced by hand. Tiny limits (window 2, queue 2-8) hit every bound.

use super::*;
use smsgw_shared::frame::{FrameLimits, Frames};
use smsgw_shared::smpp::session::{Event as SessionEvent, State};

/// One simulated SMSC end of a bind: what it received, in order, and which submits it has not
/// answered yet.
struct Smsc {
    session: Session,
    /// Tokens of every submit_sm received, in arrival order.
    received: Vec<u64>,
    /// (sequence_number, token) of unanswered submits, in arrival order.
    pending: Vec<(u32, u64)>,
}

struct Harness {
    connector: Connector,
    smscs: Vec<Option<Smsc>>,
    now_ms: u64,
    events: Vec<ConnectorEvent>,
}

fn session_config() -> SessionConfig {
    SessionConfig {
        window_max: 2,
        peer_window_max: 2,
        response_timeout_ms: 1_000,
        enquire_link_interval_ms: 5_000,
        idle_timeout_ms: 10_000,
        bind_timeout_ms: 2_000,
        transmit_size_max: smsgw_shared::limits::SMPP_PDU_SIZE_MAX as usize,
    }
}

fn settings(bind_count: usize, queue_max: usize, tps: u64) -> ConnectorSettings {
    ConnectorSettings {
        system_id: b"gw".to_vec(),
        password: b"pw".to_vec(),
        mode: BindMode::Transceiver,
        bind_count,
        session: session_config(),
        queue_max,
        share: CoreShare::from_rate_milli(tps * 1_000),
    }
}

/// A message whose short_message carries its token, so the SMSC can name what it got.
fn message(token: u64) -> Message {
    Message {
        token,
        submit_sm: Box::new(SubmitSm {
            destination_addr: b"8613800000000".to_vec(),
            short_message: token.to_be_bytes().to_vec(),
            ..SubmitSm::default()
        }),
    }
}

impl Harness {
    fn new(settings: ConnectorSettings) -> Harness {
        let bind_count = settings.bind_count;
        Harness {
            connector: Connector::new(settings, 7, 0),
            smscs: (0..bind_count).map(|_| None).collect(),
            now_ms: 0,
            events: Vec::new(),
        }
    }

    fn enqueue(&mut self, tokens: std::ops::Range<u64>) {
        for token in tokens {
            self.connector.enqueue(message(token)).unwrap();
        }
    }

    /// Opens every bind `poll_connect` hands out and runs until idle.
    fn connect(&mut self) {
        while let Some(bind) = self.connector.poll_connect(self.now_ms) {
            self.connector.handle_connected(bind, self.now_ms);
            self.smscs[bind] = Some(Smsc {
                session: Session::new_smsc(session_config(), 0x34, self.now_ms),
                received: Vec::new(),
                pending: Vec::new(),
            });
        }
        self.run();
    }

    /// Pumps and moves bytes both ways until nothing moves; fails after 32 rounds.
    fn run(&mut self) {
        for _ in 0..32 {
            self.connector.pump(self.now_ms);
            let mut moved = false;
            for bind in 0..self.smscs.len() {
                moved |= self.carry_to_smsc(bind);
                moved |= self.carry_to_connector(bind);
            }
            while let Some(event) = self.connector.poll_event() {
                self.events.push(event);
            }
            if !moved {
                return;
            }
        }
        panic!("not idle after 32 rounds");
    }

    fn carry_to_smsc(&mut self, bind: BindIndex) -> bool {
        let Some(smsc) = self.smscs[bind].as_mut() else {
            return false;
        };
        let bytes = self.connector.poll_transmit(bind).to_vec();
        self.connector.advance_transmit(bind, bytes.len());
        for frame in Frames::new(&bytes, FrameLimits::SMPP) {
            match smsc.session.handle_frame(frame.unwrap(), self.now_ms) {
                Some(SessionEvent::BindRequest { .. }) => {
                    smsc.session.accept_bind(b"smsc").unwrap()
                }
                Some(SessionEvent::Request(pdu)) => {
                    let Body::SubmitSm(submit_sm) = pdu.body else {
                        panic!("unexpected request {pdu:?}");
                    };
                    let token = u64::from_be_bytes(submit_sm.short_message.try_into().unwrap());
                    smsc.received.push(token);
                    smsc.pending.push((pdu.sequence_number, token));
                }
                None | Some(SessionEvent::Response { .. }) => {}
                Some(other) => panic!("unexpected SMSC event {other:?}"),
            }
        }
        !bytes.is_empty()
    }

    fn carry_to_connector(&mut self, bind: BindIndex) -> bool {
        let Some(smsc) = self.smscs[bind].as_mut() else {
            return false;
        };
        let bytes = smsc.session.poll_transmit().to_vec();
        smsc.session.advance_transmit(bytes.len());
        for frame in Frames::new(&bytes, FrameLimits::SMPP) {
            self.connector
                .handle_frame(bind, frame.unwrap(), self.now_ms);
        }
        !bytes.is_empty()
    }

    /// The SMSC of `bind` answers its oldest unanswered submit with `status`.
    fn answer(&mut self, bind: BindIndex, status: CommandStatus) {
        let smsc = self.smscs[bind].as_mut().unwrap();
        let (sequence_number, token) = smsc.pending.remove(0);
        let message_id = if status.is_ok() {
            format!("m{token}").into_bytes()
        } else {
            Vec::new()
        };
        let body = Body::SubmitSmResp(MessageIdResp {
            message_id,
            tlvs: Tlvs::new(),
        });
        smsc.session.respond(sequence_number, status, body).unwrap();
        self.run();
    }

    fn answer_all(&mut self, bind: BindIndex) {
        while !self.smscs[bind].as_ref().unwrap().pending.is_empty() {
            self.answer(bind, CommandStatus::ESME_ROK);
        }
    }

    fn received(&self, bind: BindIndex) -> &[u64] {
        &self.smscs[bind].as_ref().unwrap().received
    }

    fn advance_to(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        self.connector.handle_timeout(now_ms);
        self.run();
    }

    fn lose_bind(&mut self, bind: BindIndex) {
        self.smscs[bind] = None;
        self.connector.handle_disconnected(bind, self.now_ms);
        self.run();
    }

    fn take_events(&mut self) -> Vec<ConnectorEvent> {
        std::mem::take(&mut self.events)
    }
}

fn accepted(token: u64) -> ConnectorEvent {
    ConnectorEvent::Accepted {
        token,
        message_id: format!("m{token}").into_bytes(),
    }
}

// Proves the happy path: the bind connects and binds with the configured credentials, the
// queue drains in order within the window of 2, and each response becomes Accepted with the
// SMSC's message_id.
#[test]
fn bind_and_submit_flow_in_order_within_window() {
    let mut harness = Harness::new(settings(1, 8, 1_000));
    harness.enqueue(0..3);
    harness.connect();
    assert_eq!(harness.take_events(), [ConnectorEvent::Bound { bind: 0 }]);
    assert!(matches!(
        harness.connector.bind_state(0),
        BindState::Bound(_)
    ));
    assert_eq!(harness.received(0), [0, 1]);
    assert_eq!(harness.connector.in_flight_count(), 2);
    harness.answer_all(0);
    assert_eq!(harness.received(0), [0, 1, 2]);
    harness.answer_all(0);
    assert_eq!(
        harness.take_events(),
        [accepted(0), accepted(1), accepted(2)]
    );
    assert_eq!(harness.connector.queue_len(), 0);
    assert_eq!(harness.connector.in_flight_count(), 0);
}

// Proves a full queue hands the message back untouched (never dropped) and accepts again once
// room is made.
#[test]
fn enqueue_over_queue_max_returns_the_message() {
    let mut connector = Connector::new(settings(1, 2, 10), 1, 0);
    connector.enqueue(message(0)).unwrap();
    connector.enqueue(message(1)).unwrap();
    assert_eq!(
        connector.enqueue(message(2)),
        Err(EnqueueError::QueueFull(message(2)))
    );
    assert_eq!(connector.queue_len(), 2);
}

// Proves cancel takes back only what still waits in the queue and replace edits only that:
// with a window of 2, messages 0 and 1 are in flight (cannot be cancelled or replaced), 2 and 3
// queue; cancelling 2 and replacing 3's text leaves 3, edited, as the only one sent next.
#[test]
fn cancel_and_replace_touch_only_queued_messages() {
    let mut harness = Harness::new(settings(1, 8, 1_000));
    harness.enqueue(0..4);
    harness.connect();
    harness.take_events();
    assert_eq!(harness.received(0), [0, 1]);
    assert_eq!(harness.connector.cancel(0), None);
    assert!(!harness.connector.replace(1, |_| {}));
    assert_eq!(harness.connector.cancel(2), Some(message(2)));
    assert_eq!(harness.connector.cancel(2), None);
    assert!(harness.connector.replace(3, |message| {
        // The SMSC side of the harness reads the token from the text: 33 proves the edit.
        message.submit_sm.short_message = 33u64.to_be_bytes().to_vec();
    }));
    assert_eq!(harness.connector.queue_len(), 1);
    harness.answer_all(0);
    assert_eq!(harness.received(0), [0, 1, 33]);
}

// Proves the TPS bucket gates sends on a fake clock: at 1 TPS (burst 1) with room in the window,
// one message goes at 0 ms, none more until 1000 ms, and poll_timeout names that time.
#[test]
fn tps_bucket_gates_sends() {
    let mut harness = Harness::new(settings(1, 8, 1));
    harness.enqueue(0..3);
    harness.connect();
    assert_eq!(harness.received(0), [0]);
    harness.answer_all(0);
    assert_eq!(harness.connector.poll_timeout(0), Some(1_000));
    harness.advance_to(999);
    assert_eq!(harness.received(0), [0]);
    harness.advance_to(1_000);
    assert_eq!(harness.received(0), [0, 1]);
    harness.answer_all(0);
    harness.advance_to(2_000);
    assert_eq!(harness.received(0), [0, 1, 2]);
}

// Proves the adaptive slow-down: ESME_RTHROTTLED on message 0 pauses the whole bind (nothing
// is sent for 100 ms even with window room), puts 0 back at the front with the same token and
// a retry counted; consecutive throttles double the pause and a success resets it; after
// resuming, 0 still goes before 2 and each message is accepted exactly once.
#[test]
fn throttle_pauses_bind_and_resumes_in_order_without_duplicates() {
    let mut harness = Harness::new(settings(1, 8, 1_000));
    harness.enqueue(0..3);
    harness.connect();
    harness.take_events();
    assert_eq!(harness.received(0), [0, 1]);
    harness.answer(0, CommandStatus::ESME_RTHROTTLED);
    assert!(matches!(
        harness.connector.bind_state(0),
        BindState::Paused { until_ms: 100, .. }
    ));
    harness.answer(0, CommandStatus::ESME_ROK);
    assert_eq!(harness.take_events(), [accepted(1)]);
    // Window room, tokens, but paused: nothing goes out.
    assert_eq!(harness.received(0), [0, 1]);
    assert_eq!(harness.connector.queue_len(), 2);
    assert_eq!(harness.connector.retries_total(), 1);
    harness.advance_to(99);
    assert_eq!(harness.received(0), [0, 1]);
    harness.advance_to(100);
    assert_eq!(harness.received(0), [0, 1, 0, 2]);
    // 1's success reset the streak, so 0's second throttle pauses for the base 100 ms; 2 is
    // throttled while paused (streak 2), which doubles and extends the pause to 300 ms. Both go
    // back in order.
    harness.answer(0, CommandStatus::ESME_RTHROTTLED);
    assert!(matches!(
        harness.connector.bind_state(0),
        BindState::Paused { until_ms: 200, .. }
    ));
    harness.answer(0, CommandStatus::ESME_RMSGQFUL);
    assert!(matches!(
        harness.connector.bind_state(0),
        BindState::Paused { until_ms: 300, .. }
    ));
    harness.advance_to(299);
    assert_eq!(harness.received(0), [0, 1, 0, 2]);
    harness.advance_to(300);
    assert_eq!(harness.received(0), [0, 1, 0, 2, 0, 2]);
    harness.answer_all(0);
    assert_eq!(harness.take_events(), [accepted(0), accepted(2)]);
    // Success reset the streak: the next throttle pauses for the base 100 ms.
    harness.enqueue(3..4);
    harness.run();
    harness.answer(0, CommandStatus::ESME_RTHROTTLED);
    assert!(matches!(
        harness.connector.bind_state(0),
        BindState::Paused { until_ms: 400, .. }
    ));
}

// Proves a permanent error is surfaced as Rejected with the SMSC's status and not retried.
#[test]
fn permanent_error_is_rejected_once() {
    let mut harness = Harness::new(settings(1, 8, 1_000));
    harness.enqueue(0..1);
    harness.connect();
    harness.answer(0, CommandStatus::ESME_RINVDSTADR);
    assert_eq!(
        harness.take_events()[1..],
        [ConnectorEvent::Rejected {
            token: 0,
            status: CommandStatus::ESME_RINVDSTADR
        }]
    );
    assert_eq!(harness.received(0), [0]);
    assert_eq!(harness.connector.queue_len(), 0);
}

// Proves the never-twice-while-pending rule: a submit whose response times out on a live bind
// is surfaced as Uncertain and not resent, and its late response is ignored.
#[test]
fn response_timeout_is_uncertain_and_not_resent() {
    let mut harness = Harness::new(settings(1, 8, 1_000));
    harness.enqueue(0..1);
    harness.connect();
    harness.take_events();
    harness.advance_to(1_000);
    assert_eq!(
        harness.take_events(),
        [ConnectorEvent::Uncertain { token: 0 }]
    );
    harness.answer(0, CommandStatus::ESME_ROK);
    assert_eq!(harness.take_events(), []);
    assert_eq!(harness.received(0), [0]);
    assert_eq!(harness.connector.queue_len(), 0);
}

// Proves bind loss loses nothing: with two binds of window 2, the two messages in flight on
// bind 0 go back to the queue front in their original order when it drops, are re-sent on
// bind 1 as it frees room, and reach the reconnected bind 0 after its backoff; every token is
// accepted exactly once.
#[test]
fn bind_loss_requeues_in_flight_in_order() {
    let mut harness = Harness::new(settings(2, 8, 1_000));
    harness.enqueue(0..6);
    harness.connect();
    // Round robin: 0 and 2 on bind 0, 1 and 3 on bind 1.
    assert_eq!(harness.received(0), [0, 2]);
    assert_eq!(harness.received(1), [1, 3]);
    harness.lose_bind(0);
    let BindState::Disconnected {
        retry_at_ms,
        attempt: 1,
    } = *harness.connector.bind_state(0)
    else {
        panic!("bind 0 not disconnected");
    };
    assert_eq!(retry_at_ms, reconnect_delay_ms(7, 0, 1));
    assert_eq!(harness.connector.queue_len(), 4);
    harness.answer(1, CommandStatus::ESME_ROK);
    harness.answer(1, CommandStatus::ESME_ROK);
    // Bind 1 frees room: the requeued 0 and 2 go first, ahead of 4 and 5.
    assert_eq!(harness.received(1), [1, 3, 0, 2]);
    assert_eq!(harness.connector.poll_connect(retry_at_ms - 1), None);
    harness.now_ms = retry_at_ms;
    harness.connect();
    assert_eq!(harness.received(0), [4, 5]);
    harness.answer_all(0);
    harness.answer_all(1);
    let mut tokens: Vec<u64> = harness
        .take_events()
        .into_iter()
        .filter_map(|event| match event {
            ConnectorEvent::Accepted { token, .. } => Some(token),
            _ => None,
        })
        .collect();
    tokens.sort_unstable();
    assert_eq!(tokens, [0, 1, 2, 3, 4, 5]);
    assert_eq!(harness.connector.retries_total(), 2);
}

// Proves the reconnect schedule is a pure function of (seed, bind, attempt), doubles from the
// base, stays within [delay/2, delay] and never passes the maximum, even for huge attempts; and
// that the connector follows it, counting failed connects.
#[test]
fn backoff_schedule_is_deterministic_and_bounded() {
    for attempt in 1..=64u32 {
        let full_ms =
            (RECONNECT_DELAY_BASE_MS << (attempt - 1).min(16)).min(RECONNECT_DELAY_MAX_MS);
        for bind in 0..4 {
            let delay_ms = reconnect_delay_ms(42, bind, attempt);
            assert_eq!(delay_ms, reconnect_delay_ms(42, bind, attempt));
            assert!(
                delay_ms >= full_ms / 2,
                "attempt={attempt} delay_ms={delay_ms}"
            );
            assert!(delay_ms <= full_ms, "attempt={attempt} delay_ms={delay_ms}");
        }
    }
    assert!(reconnect_delay_ms(42, 0, u32::MAX) <= RECONNECT_DELAY_MAX_MS);
    // Jitter varies with the bind.
    assert!((0..8).any(|bind| reconnect_delay_ms(42, bind, 3) != reconnect_delay_ms(42, 0, 3)));

    let mut connector = Connector::new(settings(1, 2, 10), 42, 0);
    let mut now_ms = 0;
    for attempt in 1..=10u32 {
        assert_eq!(connector.poll_connect(now_ms), Some(0));
        assert_eq!(connector.poll_connect(now_ms), None);
        connector.handle_disconnected(0, now_ms);
        let BindState::Disconnected {
            retry_at_ms,
            attempt: seen,
        } = *connector.bind_state(0)
        else {
            panic!("not disconnected");
        };
        assert_eq!(seen, attempt);
        assert_eq!(retry_at_ms, now_ms + reconnect_delay_ms(42, 0, attempt));
        assert_eq!(connector.poll_timeout(now_ms), Some(retry_at_ms));
        now_ms = retry_at_ms;
    }
    assert_eq!(throttle_pause_ms(1), THROTTLE_PAUSE_BASE_MS);
    assert_eq!(throttle_pause_ms(2), 2 * THROTTLE_PAUSE_BASE_MS);
    assert_eq!(throttle_pause_ms(u32::MAX), THROTTLE_PAUSE_MAX_MS);
}

// Proves deliver_sm from the SMSC is surfaced with its bind and answered by the caller's status;
// an answer for a session that is gone is refused.
#[test]
fn deliver_sm_is_surfaced_and_answered_by_caller() {
    let mut harness = Harness::new(settings(1, 8, 1_000));
    harness.connect();
    harness.take_events();
    let smsc = harness.smscs[0].as_mut().unwrap();
    assert!(matches!(smsc.session.state(), State::Bound { .. }));
    let deliver_sm = SubmitSm {
        destination_addr: b"10086".to_vec(),
        esm_class: 0x04,
        ..SubmitSm::default()
    };
    smsc.session
        .send_request(Body::DeliverSm(deliver_sm), 9, 0)
        .unwrap();
    harness.run();
    let events = harness.take_events();
    let [ConnectorEvent::Delivery { request, pdu }] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(request.bind(), 0);
    assert_eq!(pdu.command_id(), CommandId::deliver_sm);
    assert!(
        harness
            .connector
            .respond_delivery(*request, CommandStatus::ESME_RMSGQFUL)
    );
    assert!(
        !harness
            .connector
            .respond_delivery(*request, CommandStatus::ESME_ROK)
    );
    let bytes = harness.connector.poll_transmit(0).to_vec();
    harness.connector.advance_transmit(0, bytes.len());
    let smsc = harness.smscs[0].as_mut().unwrap();
    let frame = Frames::new(&bytes, FrameLimits::SMPP)
        .next()
        .unwrap()
        .unwrap();
    let Some(SessionEvent::Response { request, pdu }) = smsc.session.handle_frame(frame, 0) else {
        panic!("no deliver_sm_resp");
    };
    assert_eq!(request.token, 9);
    assert_eq!(pdu.command_status, CommandStatus::ESME_RMSGQFUL);
}

// Proves a delivery whose session closed before the caller answered is reported as not
// answered (false), so it is not counted as acknowledged: the SMSC redelivers it.
#[test]
fn answering_a_delivery_after_the_session_closed_returns_false() {
    let mut harness = Harness::new(settings(1, 8, 1_000));
    harness.connect();
    harness.take_events();
    let smsc = harness.smscs[0].as_mut().unwrap();
    let deliver_sm = SubmitSm {
        destination_addr: b"10086".to_vec(),
        ..SubmitSm::default()
    };
    smsc.session
        .send_request(Body::DeliverSm(deliver_sm), 9, 0)
        .unwrap();
    harness.run();
    let events = harness.take_events();
    let [ConnectorEvent::Delivery { request, .. }] = events.as_slice() else {
        panic!("{events:?}");
    };
    // The SMSC unbinds before the caller answers: the connector's session closes.
    let mut unbind = Vec::new();
    Pdu::new(77, Body::<&[u8]>::Unbind)
        .encode(&mut unbind)
        .unwrap();
    harness.connector.handle_frame(0, &unbind, 0);
    assert!(
        !harness
            .connector
            .respond_delivery(*request, CommandStatus::ESME_ROK)
    );
}

// Proves binds are spread over the cores round robin and every bind lands on exactly one core.
#[test]
fn binds_spread_over_cores() {
    assert_eq!(
        (0..4)
            .map(|core| binds_on_core(6, 4, core))
            .collect::<Vec<_>>(),
        [2, 2, 1, 1]
    );
    assert_eq!(
        (0..4).map(|core| binds_on_core(1, 4, core)).sum::<usize>(),
        1
    );
}
