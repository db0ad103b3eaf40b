//! Routing through the running gateway over loopback: the longest matching prefix picks the
//! connector, a route fails over to its next connector when the first cannot connect, and a
//! destination no route covers is refused; submit_multi is routed per destination. Each SMSC is
//! a recording SMSC, so the tests see where every message went. Each scenario runs on every
//! available I/O backend.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod gateway_support;

use gateway_support::{
    RecordingSmsc, SmscOptions, WAIT, account, backends, connector, receipted_id, refusing_addr,
    route, start_gateway, text_id, text_submit,
};
use smsgw_dataplane::client::Client;
use smsgw_shared::smpp::CommandStatus;
use smsgw_shared::smpp::pdu::{Body, DestAddresses, SubmitMulti};
use smsgw_shared::smpp::session::BindMode;

/// Destinations the SMSC behind `smsc` accepted, in order.
fn destinations(smsc: &RecordingSmsc) -> Vec<String> {
    smsc.state()
        .accepted
        .iter()
        .map(|accepted| String::from_utf8_lossy(&accepted.submit_sm.destination_addr).into_owned())
        .collect()
}

// Proves the longest prefix wins: with routes 254 -> b and 2547 -> a, destinations under 2547
// reach SMSC a and the other 254 destinations reach SMSC b, each exactly once; a destination
// that no route covers (there is no default route) is answered ESME_RINVDSTADR (0x0B) with no
// message id and reaches no SMSC.
#[test]
fn longest_prefix_chooses_the_connector_and_no_route_is_refused() {
    for backend in backends() {
        let smsc_a = RecordingSmsc::start(SmscOptions::default());
        let smsc_b = RecordingSmsc::start(SmscOptions::default());
        let body = [
            account("acme", "tps = 1000"),
            connector("a", smsc_a.addr, "binds = 1"),
            connector("b", smsc_b.addr, "binds = 1"),
            route("254", &["b"]),
            route("2547", &["a"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 1, &body);
        gateway.wait_bound(0, 1);
        gateway.wait_bound(1, 1);
        let mut client =
            Client::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let to_a = ["254711000001", "254799000002", "2547"];
        let to_b = ["254811000003", "254100000004", "254"];
        for destination in to_a.iter().chain(&to_b) {
            let response = client
                .request(text_submit(destination, "route me", false), WAIT)
                .unwrap();
            assert_eq!(
                response.status,
                CommandStatus::ESME_ROK,
                "{backend}: {destination}"
            );
        }
        let response = client
            .request(text_submit("447700900123", "nowhere", false), WAIT)
            .unwrap();
        assert_eq!(response.status, CommandStatus::ESME_RINVDSTADR, "{backend}");
        assert_eq!(response.message_id(), "", "{backend}: no id when refused");
        smsc_a.wait_accepted(to_a.len(), WAIT);
        smsc_b.wait_accepted(to_b.len(), WAIT);
        let mut got_a = destinations(&smsc_a);
        let mut got_b = destinations(&smsc_b);
        got_a.sort();
        got_b.sort();
        let mut want_a: Vec<String> = to_a.iter().map(ToString::to_string).collect();
        let mut want_b: Vec<String> = to_b.iter().map(ToString::to_string).collect();
        want_a.sort();
        want_b.sort();
        assert_eq!(got_a, want_a, "{backend}: 2547 prefix to a");
        assert_eq!(got_b, want_b, "{backend}: other 254 to b");
        client.unbind();
        let counters = gateway.join();
        assert_eq!(counters.no_route, 1, "{backend}: {counters:?}");
        assert_eq!(counters.submits_accepted, 6, "{backend}: {counters:?}");
        assert_eq!(counters.submits_refused, 1, "{backend}: {counters:?}");
    }
}

// Proves failover: the route's first connector points at an address that refuses connections,
// so it never binds; every message goes to the second connector's SMSC (once each) and is
// answered ESME_ROK.
#[test]
fn route_fails_over_when_the_first_connector_is_down() {
    for backend in backends() {
        let smsc = RecordingSmsc::start(SmscOptions::default());
        let body = [
            account("acme", "tps = 1000"),
            connector("down", refusing_addr(), "binds = 1"),
            connector("up", smsc.addr, "binds = 1"),
            route("", &["down", "up"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 1, &body);
        gateway.wait_bound(1, 1);
        assert_eq!(
            gateway.bound(0),
            0,
            "{backend}: the first connector is down"
        );
        let mut client =
            Client::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let count = 5;
        for index in 0..count {
            let destination = format!("25470000000{index}");
            let response = client
                .request(text_submit(&destination, "failover", false), WAIT)
                .unwrap();
            assert_eq!(response.status, CommandStatus::ESME_ROK, "{backend}");
        }
        let accepted = smsc.wait_accepted(count, WAIT);
        assert_eq!(accepted.len(), count, "{backend}: all on the second, once");
        client.unbind();
        let counters = gateway.join();
        assert!(counters.connect_failures >= 1, "{backend}: {counters:?}");
        assert_eq!(
            counters.upstream_accepted, count as u64,
            "{backend}: {counters:?}"
        );
    }
}

// Proves submit_multi is routed per destination: with routes 254 -> b and 2547 -> a, one
// submit_multi to a 2547 number, a 254 number, a number no route covers and a distribution list
// is answered ESME_ROK with one message id; unsuccess_sme lists exactly the unroutable number
// (ESME_RINVDSTADR) and the list (ESME_RINVDESTFLAG); each SMSC gets its destination once as
// submit_sm with the text intact; the SP gets one receipt per delivered destination, each with
// that message id. A submit_multi with no placeable destination is refused with the first
// destination's status and no id.
#[test]
fn submit_multi_routes_each_destination_and_lists_the_failures() {
    for backend in backends() {
        let options = SmscOptions {
            receipts: true,
            ..SmscOptions::default()
        };
        let smsc_a = RecordingSmsc::start(options);
        let smsc_b = RecordingSmsc::start(options);
        let body = [
            account("acme", "tps = 1000"),
            connector("a", smsc_a.addr, "binds = 1"),
            connector("b", smsc_b.addr, "binds = 1"),
            route("254", &["b"]),
            route("2547", &["a"]),
        ]
        .concat();
        let gateway = start_gateway(backend, 2, &body);
        gateway.wait_bound(0, 1);
        gateway.wait_bound(1, 1);
        let mut client =
            Client::bind(gateway.addr, BindMode::Transceiver, "acme", "secret1", 0x34).unwrap();
        let multi = |destinations: &[&str], list: Option<&str>| {
            let mut dest_addresses = DestAddresses::new();
            for destination in destinations {
                dest_addresses
                    .push_sme(1, 1, destination.as_bytes())
                    .unwrap();
            }
            if let Some(list) = list {
                dest_addresses
                    .push_distribution_list(list.as_bytes())
                    .unwrap();
            }
            Body::SubmitMulti(SubmitMulti {
                source_addr_ton: 5,
                source_addr: b"ACME".to_vec(),
                dest_addresses,
                registered_delivery: 1,
                short_message: b"to many".to_vec(),
                ..SubmitMulti::default()
            })
        };
        let request = multi(
            &["254711000010", "254811000011", "447700900001"],
            Some("friends"),
        );
        let response = client.request(request, WAIT).unwrap();
        assert_eq!(response.status, CommandStatus::ESME_ROK, "{backend}");
        let Body::SubmitMultiResp(resp) = &response.pdu.body else {
            panic!("{backend}: {:?}", response.pdu.body)
        };
        let id = String::from_utf8_lossy(&resp.message_id).into_owned();
        assert_eq!(id.len(), 16, "{backend}: {id:?}");
        let mut failed: Vec<(String, CommandStatus)> = resp
            .unsuccess_smes
            .iter()
            .map(|sme| {
                (
                    String::from_utf8_lossy(sme.destination_addr).into_owned(),
                    sme.error_status_code,
                )
            })
            .collect();
        failed.sort();
        assert_eq!(
            failed,
            vec![
                ("447700900001".to_string(), CommandStatus::ESME_RINVDSTADR),
                ("friends".to_string(), CommandStatus::ESME_RINVDESTFLAG),
            ],
            "{backend}"
        );
        for (smsc, destination) in [(&smsc_a, "254711000010"), (&smsc_b, "254811000011")] {
            let accepted = smsc.wait_accepted(1, WAIT);
            assert_eq!(accepted.len(), 1, "{backend}: {destination} once");
            let submit_sm = &accepted[0].submit_sm;
            assert_eq!(
                submit_sm.destination_addr,
                destination.as_bytes(),
                "{backend}"
            );
            assert_eq!(submit_sm.source_addr, b"ACME", "{backend}");
            assert_eq!(submit_sm.short_message, b"to many", "{backend}");
            assert_eq!(submit_sm.registered_delivery, 1, "{backend}");
        }
        let receipts = client.wait_deliveries(2, WAIT);
        assert_eq!(receipts.len(), 2, "{backend}: one receipt per destination");
        let mut handsets = Vec::new();
        for receipt in &receipts {
            assert_eq!(text_id(receipt), id, "{backend}");
            assert_eq!(receipted_id(receipt), Some(id.clone()), "{backend}");
            handsets.push(String::from_utf8_lossy(&receipt.source_addr).into_owned());
        }
        handsets.sort();
        assert_eq!(handsets, ["254711000010", "254811000011"], "{backend}");

        let response = client
            .request(multi(&["447700900002"], None), WAIT)
            .unwrap();
        assert_eq!(response.status, CommandStatus::ESME_RINVDSTADR, "{backend}");
        let Body::SubmitMultiResp(resp) = &response.pdu.body else {
            panic!("{backend}: {:?}", response.pdu.body)
        };
        assert!(resp.message_id.is_empty(), "{backend}: no id when refused");
        client.unbind();
        let counters = gateway.join();
        assert_eq!(counters.submits_accepted, 1, "{backend}: {counters:?}");
        assert_eq!(counters.submits_refused, 1, "{backend}: {counters:?}");
        assert_eq!(counters.upstream_accepted, 2, "{backend}: {counters:?}");
    }
}
