#!/usr/bin/env python3
"""Opens N SMPP transceiver binds and holds them idle: bench/run's memory-per-session scenario.

    idle_binds.py --to HOST:PORT --system-id ID --password PW --binds N [--hold-s S]

Binds one connection after another (bind_transceiver, SMPP 3.4), prints one JSON line
{"bound": B, "refused": R, "failed": F} once every bind has been answered, then holds the
connections without sending anything until SIGTERM/SIGINT or --hold-s seconds have passed,
and closes them. The gateway config must not send enquire_link within the hold time (the
helper answers nothing). Standard library only; loopback addresses only.
"""
import argparse
import ipaddress
import json
import signal
import socket
import struct
import sys

BIND_TRANSCEIVER = 0x00000009
BIND_TRANSCEIVER_RESP = 0x80000009
INTERFACE_VERSION_34 = 0x34
HEADER_SIZE = 16


def bind_pdu(sequence_number, system_id, password):
    body = (system_id.encode() + b"\0" + password.encode() + b"\0" + b"\0"
            + bytes([INTERFACE_VERSION_34, 0, 0]) + b"\0")
    return struct.pack(">IIII", HEADER_SIZE + len(body), BIND_TRANSCEIVER, 0,
                       sequence_number) + body


def read_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed by the gateway")
        data += chunk
    return data


def bind(address, sequence_number, system_id, password):
    """Returns (socket, command_status); raises OSError when the connection fails."""
    sock = socket.create_connection(address, timeout=2)
    sock.sendall(bind_pdu(sequence_number, system_id, password))
    length, command_id, status, _ = struct.unpack(">IIII", read_exact(sock, HEADER_SIZE))
    if length < HEADER_SIZE or length > 1024 or command_id != BIND_TRANSCEIVER_RESP:
        raise ConnectionError(f"unexpected answer: command_id {command_id:#010x}")
    read_exact(sock, length - HEADER_SIZE)
    return sock, status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", required=True, help="HOST:PORT of the gateway (loopback)")
    parser.add_argument("--system-id", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--binds", type=int, required=True, help="1 to 10000")
    parser.add_argument("--hold-s", type=int, default=60, help="1 to 600 (default 60)")
    args = parser.parse_args()
    host, _, port = args.to.rpartition(":")
    if not ipaddress.ip_address(host.strip("[]")).is_loopback:
        parser.error("--to must be a loopback address")
    if not 1 <= args.binds <= 10_000 or not 1 <= args.hold_s <= 600:
        parser.error("--binds must be 1..=10000 and --hold-s 1..=600")
    address = (host.strip("[]"), int(port))

    # Block the stop signals first so one arriving while binding is not lost.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    held, refused, failed = [], 0, 0
    for index in range(args.binds):
        try:
            sock, status = bind(address, index + 1, args.system_id, args.password)
        except OSError as error:
            failed += 1
            print(f"idle_binds: bind {index}: {error}", file=sys.stderr)
            continue
        if status == 0:
            held.append(sock)
        else:
            refused += 1
            sock.close()
    print(json.dumps({"bound": len(held), "refused": refused, "failed": failed}), flush=True)
    signal.sigtimedwait(stop_signals, args.hold_s)
    for sock in held:
        sock.close()


if __name__ == "__main__":
    main()
