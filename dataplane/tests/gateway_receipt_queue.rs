//! The delivery queue's bound: receipts for an SP that is not bound wait in a bounded queue.
//! Once it is full, a receipt whose correlator shard is on the core that received it is
//! answered `ESME_RMSGQFUL` before it is matched (the mapping survives for the SMSC's
//! redelivery); one whose shard is on another core was already answered OK and is counted
//! `delivery_queue_full` (docs/architecture.md, "What is deliberately not there yet"). Every
//! receipt is accounted for, and when the SP binds a receiver what was queued arrives.

#![allow(clippy::unwrap_used)]

mod gateway_support;

use std::time::Duration;

use gateway_support::{
    RecordingSmsc, SmscOptions, WAIT, account, backends, connector, route, start_gateway,
    text_submit, wait_until,
};
use smsgw_dataplane::client::Client;
use smsgw_shared::smpp::session::BindMode;
use smsgw_shared::smpp::status::CommandStatus;

const MESSAGES: usize = 12;

// Proves the bound: with room for one receipt per core for the account (queue of 8 over two
// cores, a quarter per account), 12 receipts for an unbound SP are answered OK or
// ESME_RMSGQFUL (at least one refusal), at most two are kept, and every one is either
// delivered once the SP binds a receiver or counted as refused/dropped.
#[test]
fn a_full_delivery_queue_answers_the_smsc_0x14_and_keeps_what_it_took() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions {
            receipts: true,
            ..SmscOptions::default()
        });
        let body = format!(
            "[limits]\nreceipt_queue_max = 4\nmo_queue_max = 4\n{}{}{}",
            account("acme", ""),
            connector("smsc", smsc.addr, "binds = 2"),
            route("", &["smsc"])
        );
        let gateway = start_gateway(backend, 2, &body);
        gateway.wait_bound(0, 2);
        let mut sender =
            Client::bind(gateway.addr, BindMode::Transmitter, "acme", "secret1", 0x34).unwrap();
        for index in 0..MESSAGES {
            let response = sender
                .request(
                    text_submit("254700000001", &format!("m{index}"), true),
                    WAIT,
                )
                .unwrap();
            assert_eq!(response.status, CommandStatus::ESME_ROK, "{backend}");
        }
        wait_until("every receipt answered", WAIT, || {
            smsc.state().delivery_results.len() >= MESSAGES
        });
        let results = smsc.state().delivery_results.clone();
        let ok = results
            .iter()
            .filter(|(_, status)| *status == CommandStatus::ESME_ROK)
            .count();
        assert!(
            results
                .iter()
                .all(|(_, status)| *status == CommandStatus::ESME_ROK
                    || *status == CommandStatus::ESME_RMSGQFUL),
            "{backend}: {results:?}"
        );
        assert!(
            ok < MESSAGES,
            "{backend}: at least one refusal: {results:?}"
        );
        let mut receiver =
            Client::bind(gateway.addr, BindMode::Receiver, "acme", "secret1", 0x34).unwrap();
        let delivered = receiver.wait_deliveries(2, WAIT).len();
        assert!(
            (1..=2).contains(&delivered),
            "{backend}: {delivered} delivered"
        );
        assert!(
            receiver
                .wait_deliveries(1, Duration::from_millis(300))
                .is_empty(),
            "{backend}: nothing beyond what was taken"
        );
        sender.unbind();
        receiver.unbind();
        let counters = gateway.join();
        assert_eq!(
            counters.delivery_queue_full as usize + delivered,
            MESSAGES,
            "{backend}: every receipt delivered or counted"
        );
    }
}
