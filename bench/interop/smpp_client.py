#!/usr/bin/env python3
"""Third-party SMPP interop client for smsgw and `smsgw-bench smsc-sim`.

Uses python-smpplib (pinned in requirements.txt), not our codec, so a test that passes proves
our server speaks SMPP as someone else's client expects. It binds as a transceiver, submits
--count messages alternating a short GSM text and a long (~300 character) GSM text that smpplib
splits into parts with an 8-bit concatenation UDH (smpplib.gsm.make_parts), asks for delivery
receipts, and matches each receipt (deliver_sm with esm_class message type 0x04) to the
message ids from submit_sm_resp, by the receipted_message_id TLV or else the "id:" field of the
receipt text (SMPP 3.4 Appendix B).

Prints one JSON line:
  {"submitted":..,"acked_ok":..,"receipts":..,"matched":..,"unmatched":..,...}
where submitted counts submit_sm PDUs (one per part), acked_ok those answered ESME_ROK,
receipts the receipts received, matched the acked message ids that got a receipt, and
unmatched the receipts whose id matched none.

Exit status: 0 only if every submit_sm was acked OK and every acked message id got a matching
receipt; 1 otherwise (including bind failure or a lost connection); 2 for bad arguments. Every
wait is bounded (--submit-timeout-s, --receipt-wait-s), and only loopback addresses are used
unless --allow-non-loopback is given.
"""

import argparse
import ipaddress
import json
import logging
import re
import select
import socket
import sys
import time

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

SHORT_TEXT = "smsgw interop: short GSM text, one part."

LONG_TEXT = (
    "smsgw interop: long GSM text. This message is longer than one short message can carry, "
    "so smpplib splits it into parts with a concatenation header, and the server must accept "
    "each part, give each its own message id and send one delivery receipt per part. "
    "Only GSM basic characters are used."
)

# esm_class bits 2-5: message type; 0x04 is an SMSC delivery receipt (SMPP 3.4 section 5.2.12).
ESM_CLASS_TYPE_MASK = 0x3C
ESM_CLASS_TYPE_DELIVERY_RECEIPT = 0x04

COUNT_MAX = 10_000
WINDOW_MAX = 100
WAIT_S_MAX = 600
POLL_S = 0.2

RECEIPT_ID = re.compile(rb"id:(\S+)")


def main(argv=None):
    args = parse_args(argv)
    try:
        check_loopback(args.host, args.port, args.allow_non_loopback)
    except ValueError as error:
        print(f"smpp_client: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.ERROR
    )
    run = Run(args)
    try:
        run.execute()
    except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as error:
        run.failure = f"{type(error).__name__}: {error}"
    finally:
        run.close()
    result = run.result()
    print(json.dumps(result, separators=(",", ":")))
    return 0 if result["ok"] else 1


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Bind to an SMPP server with smpplib, submit messages, match receipts.",
        epilog="Example: smpp_client.py --port 2775 --system-id acme --password secret1 "
        "--count 10 --receipt-wait-s 10",
    )
    parser.add_argument("--host", default="127.0.0.1", help="server host (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, required=True, help="server port")
    parser.add_argument("--system-id", required=True, help="SMPP system_id")
    parser.add_argument("--password", required=True, help="SMPP password")
    parser.add_argument(
        "--count",
        type=bounded_int(1, COUNT_MAX),
        default=10,
        help=f"messages to submit, alternating short and long (1 to {COUNT_MAX}, default 10)",
    )
    parser.add_argument(
        "--receipt-wait-s",
        type=bounded_int(0, WAIT_S_MAX),
        default=10,
        help=f"seconds to wait for receipts after the last response (0 to {WAIT_S_MAX}, "
        "default 10)",
    )
    parser.add_argument(
        "--submit-timeout-s",
        type=bounded_int(1, WAIT_S_MAX),
        default=30,
        help=f"seconds allowed for binding, submitting and all responses (1 to {WAIT_S_MAX}, "
        "default 30)",
    )
    parser.add_argument(
        "--window",
        type=bounded_int(1, WINDOW_MAX),
        default=10,
        help=f"submit_sm outstanding at once (1 to {WINDOW_MAX}, default 10)",
    )
    parser.add_argument("--source-addr", default="12345", help="source_addr (default 12345)")
    parser.add_argument(
        "--destination-addr",
        default="254700000001",
        help="destination_addr (default 254700000001)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log every PDU smpplib sends and reads"
    )
    parser.add_argument(
        "--allow-non-loopback",
        action="store_true",
        help="allow a host outside 127.0.0.0/8 and ::1",
    )
    return parser.parse_args(argv)


def port_number(text):
    return bounded_int(1, 65535)(text)


def bounded_int(low, high):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not in {low}..={high}")
        return value

    return parse


def check_loopback(host, port, allow_non_loopback):
    """Raises ValueError unless every address host resolves to is loopback (or allowed)."""
    if allow_non_loopback:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ValueError(f"cannot resolve {host!r}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_loopback:
            raise ValueError(
                f"refusing {address}: not a loopback address (127.0.0.0/8 or ::1); "
                "pass --allow-non-loopback to use it"
            )


def normalize_id(message_id):
    """Case- and leading-zero-insensitive form of a message id."""
    text = message_id.strip().lower()
    return text.lstrip("0") or "0"


def as_text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


class Run:
    """One bind: submits, responses and receipts, with their counts."""

    def __init__(self, args):
        self.args = args
        self.client = smpplib.client.Client(
            args.host,
            args.port,
            timeout=max(POLL_S, 5),
            allow_unknown_opt_params=True,
        )
        self.client.set_message_sent_handler(self.on_submit_sm_resp)
        self.client.set_message_received_handler(self.on_deliver_sm)
        self.client.set_error_pdu_handler(self.on_error_pdu)
        self.messages = 0
        self.submitted = 0
        self.acked_ok = 0
        self.errors = 0
        self.receipts = 0
        self.unmatched = 0
        self.duplicates = 0
        self.failure = None
        # sequence_number -> True for submit_sm without a response yet.
        self.pending = {}
        # normalized message id -> matched yet?
        self.acked_ids = {}
        # integer value of hex-looking ids -> normalized id, for receipts that write ids in
        # decimal while submit_sm_resp wrote hex.
        self.acked_by_hex_value = {}
        self.bound = False

    def execute(self):
        submit_deadline = time.monotonic() + self.args.submit_timeout_s
        self.client.connect()
        self.client.bind_transceiver(
            system_id=self.args.system_id, password=self.args.password
        )
        self.bound = True
        for index in range(self.args.count):
            text = SHORT_TEXT if index % 2 == 0 else LONG_TEXT
            parts, data_coding, esm_class = smpplib.gsm.make_parts(text)
            self.messages += 1
            for part in parts:
                while len(self.pending) >= self.args.window:
                    if not self.pump(submit_deadline):
                        raise TimeoutError("window did not open before --submit-timeout-s")
                pdu = self.client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_UNK,
                    source_addr_npi=smpplib.consts.SMPP_NPI_UNK,
                    source_addr=self.args.source_addr,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr=self.args.destination_addr,
                    short_message=part,
                    data_coding=data_coding,
                    esm_class=esm_class,
                    registered_delivery=True,
                )
                self.pending[pdu.sequence] = True
                self.submitted += 1
        while self.pending:
            if not self.pump(submit_deadline):
                raise TimeoutError(f"{len(self.pending)} submit_sm unanswered")
        receipt_deadline = time.monotonic() + self.args.receipt_wait_s
        while self.matched() < len(self.acked_ids):
            if not self.pump(receipt_deadline):
                break

    def pump(self, deadline):
        """Handles PDUs for up to POLL_S; False once the deadline passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        # smpplib has no public way to wait for data; poll() in smpplib itself selects on this.
        readable, _, _ = select.select([self.client._socket], [], [], min(POLL_S, remaining))
        if readable:
            self.client.read_once(auto_send_enquire_link=False)
        return True

    def on_submit_sm_resp(self, pdu, **_kwargs):
        self.pending.pop(pdu.sequence, None)
        if pdu.status != smpplib.consts.SMPP_ESME_ROK:
            self.errors += 1
            return
        message_id = as_text(pdu.message_id)
        if not message_id:
            self.errors += 1
            return
        self.acked_ok += 1
        key = normalize_id(message_id)
        self.acked_ids.setdefault(key, False)
        if re.fullmatch(r"[0-9a-f]+", key):
            self.acked_by_hex_value.setdefault(int(key, 16), key)

    def on_error_pdu(self, pdu):
        # submit_sm_resp errors are also passed to on_submit_sm_resp, which counts them.
        if pdu.command == "submit_sm_resp":
            return
        self.pending.pop(pdu.sequence, None)
        self.errors += 1

    def on_deliver_sm(self, pdu, **_kwargs):
        esm_class = int(pdu.esm_class or 0)
        if esm_class & ESM_CLASS_TYPE_MASK != ESM_CLASS_TYPE_DELIVERY_RECEIPT:
            return smpplib.consts.SMPP_ESME_ROK
        self.receipts += 1
        key = self.receipt_key(pdu)
        if key is None:
            self.unmatched += 1
        elif self.acked_ids[key]:
            self.duplicates += 1
        else:
            self.acked_ids[key] = True
        return smpplib.consts.SMPP_ESME_ROK

    def receipt_key(self, pdu):
        """The acked id a receipt refers to, or None."""
        candidates = []
        tlv_id = as_text(getattr(pdu, "receipted_message_id", None)).rstrip("\x00")
        if tlv_id:
            candidates.append(tlv_id)
        text_id = RECEIPT_ID.search(pdu.short_message or b"")
        if text_id:
            candidates.append(text_id.group(1).decode("latin-1"))
        for candidate in candidates:
            key = normalize_id(candidate)
            if key in self.acked_ids:
                return key
            if key.isdigit() and int(key) in self.acked_by_hex_value:
                return self.acked_by_hex_value[int(key)]
        return None

    def matched(self):
        return sum(1 for matched in self.acked_ids.values() if matched)

    def close(self):
        if self.client._socket is None:
            return
        if self.bound:
            try:
                self.client.unbind()
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
                pass
        self.client.disconnect()

    def result(self):
        matched = self.matched()
        ok = (
            self.failure is None
            and self.submitted > 0
            and self.acked_ok == self.submitted
            and matched == len(self.acked_ids)
            and len(self.acked_ids) == self.acked_ok
        )
        result = {
            "submitted": self.submitted,
            "acked_ok": self.acked_ok,
            "receipts": self.receipts,
            "matched": matched,
            "unmatched": self.unmatched,
            "messages": self.messages,
            "errors": self.errors,
            "duplicate_receipts": self.duplicates,
            "ok": ok,
        }
        if self.failure is not None:
            result["failure"] = self.failure
        return result


if __name__ == "__main__":
    sys.exit(main())
