//! Integration tests of the io_uring driver (`smsgw_dataplane::ring`) over real loopback TCP,
//! timers and an eventfd. Every wait is bounded in rounds and time; nothing sleeps to
//! synchronise. `scripts/valgrind-ring.sh` also runs these under memcheck.
// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

// Wrapped in `mod ring` so `cargo test ring` (the documented filter) selects every test here.
mod ring {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsFd, OwnedFd};
    use std::sync::Arc;
    use std::time::Duration;

    use smsgw_dataplane::ring::{
        Completion, Output, Ring, RingError, RingOptions, SubmitError, Token, WakeFd,
    };

    /// Rounds of `submit_and_wait` a test waits before failing; each round waits at most
    /// `ROUND_WAIT`, so a broken test fails in seconds instead of hanging.
    const ROUNDS_MAX: u32 = 100;
    const ROUND_WAIT: Duration = Duration::from_millis(100);
    const LONG: Duration = Duration::from_secs(3600);

    fn ring(options: RingOptions) -> Ring {
        Ring::new(8, options).unwrap()
    }

    /// Submits and waits until the ring hands back one completion.
    fn next(ring: &mut Ring) -> Completion {
        for _ in 0..ROUNDS_MAX {
            if let Some(completion) = ring.next_completion() {
                return completion;
            }
            ring.submit_and_wait(1, Some(ROUND_WAIT)).unwrap();
            // A blocking sleep between rounds: under valgrind a thread waiting in
            // io_uring_enter holds the tool's lock, so another thread (the waker in
            // eventfd_wakes_the_ring_from_another_thread) may otherwise never get to run.
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("no completion after {ROUNDS_MAX} rounds");
    }

    /// A connected pair: the std client and the server side accepted through the ring.
    fn accept_pair(ring: &mut Ring) -> (TcpStream, OwnedFd) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let accept = ring.accept_multi(listener.as_fd()).unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let completion = next(ring);
        assert_eq!(completion.token, accept);
        assert!(completion.more, "multishot accept stays armed");
        let Ok(Output::Accept { fd }) = completion.result else {
            panic!("{completion:?}")
        };
        // Disarm the multishot accept before the listener closes; its final CQE is ECANCELED.
        assert!(ring.cancel(accept).unwrap());
        let cancelled = next(ring);
        assert_eq!(cancelled.token, accept);
        assert!(!cancelled.more);
        let error = cancelled.result.unwrap_err().error;
        assert_eq!(error.raw_os_error(), Some(libc_ecanceled()));
        (client, fd)
    }

    fn libc_ecanceled() -> i32 {
        // ECANCELED on Linux (every architecture Rust supports); tests do not link libc.
        125
    }

    fn recv(ring: &mut Ring, fd: &OwnedFd, buffer: Vec<u8>, offset: usize) -> (Vec<u8>, usize) {
        let token = ring.recv(fd.as_fd(), buffer, offset).unwrap();
        let completion = next(ring);
        assert_eq!(completion.token, token);
        let Ok(Output::Recv {
            buffer,
            offset: got_offset,
            len,
        }) = completion.result
        else {
            panic!("{completion:?}")
        };
        assert_eq!(got_offset, offset);
        (buffer, len)
    }

    fn echo_round_trip(options: RingOptions) {
        let mut ring = ring(options);
        let (mut client, fd) = accept_pair(&mut ring);
        client.write_all(b"hello").unwrap();
        let (mut buffer, len) = recv(&mut ring, &fd, vec![0; 64], 0);
        assert_eq!(&buffer[..len], b"hello");
        buffer.truncate(len);
        let send = ring.send(fd.as_fd(), buffer, 0).unwrap();
        let completion = next(&mut ring);
        assert_eq!(completion.token, send);
        let Ok(Output::Send { sent, .. }) = completion.result else {
            panic!("{completion:?}")
        };
        assert_eq!(sent, 5);
        let mut echoed = [0; 5];
        client.read_exact(&mut echoed).unwrap();
        assert_eq!(&echoed, b"hello");
        let close = ring.close(fd).unwrap();
        let completion = next(&mut ring);
        assert_eq!(completion.token, close);
        assert!(matches!(completion.result, Ok(Output::Close)));
        assert_eq!(
            client.read(&mut echoed).unwrap(),
            0,
            "the ring's close reached the peer"
        );
        assert_eq!(ring.in_flight_count(), 0);
    }

    // Proves the whole data path over real TCP: multishot accept hands out an OwnedFd and stays
    // armed, recv and send move bytes through owned buffers, and close through the ring reaches the
    // peer as EOF. Default setup.
    #[test]
    fn loopback_echo_through_the_ring() {
        echo_round_trip(RingOptions::default());
    }

    // Proves the same path with SINGLE_ISSUER | DEFER_TASKRUN, where completions are posted only
    // while this thread waits in submit_and_wait.
    #[test]
    fn loopback_echo_with_single_issuer_defer_taskrun() {
        echo_round_trip(RingOptions {
            single_issuer: true,
            ..RingOptions::default()
        });
    }

    // Proves partial reads accumulate: a message arriving in two writes is assembled by
    // resubmitting recv at the advanced offset, and a window smaller than the data takes only
    // what fits, leaving the rest for the next recv.
    #[test]
    fn partial_reads_accumulate_at_the_offset() {
        let mut ring = ring(RingOptions::default());
        let (mut client, fd) = accept_pair(&mut ring);
        client.write_all(b"hel").unwrap();
        let (buffer, first) = recv(&mut ring, &fd, vec![0; 8], 0);
        assert_eq!(first, 3);
        client.write_all(b"lo").unwrap();
        let (buffer, second) = recv(&mut ring, &fd, buffer, first);
        assert_eq!(second, 2);
        assert_eq!(&buffer[..first + second], b"hello");

        client.write_all(b"0123456789").unwrap();
        let (buffer, len) = recv(&mut ring, &fd, vec![0; 4], 0);
        assert_eq!((len, &buffer[..]), (4, &b"0123"[..]));
        let (buffer, len) = recv(&mut ring, &fd, vec![0; 16], 0);
        assert_eq!(&buffer[..len], b"456789");
    }

    // Proves partial sends are reported, not hidden: a 32 MiB send to a peer that is not reading
    // cannot fit loopback's socket buffers, so the first completion reports fewer bytes;
    // resubmitting from `offset + sent` delivers every byte, in order.
    #[test]
    fn partial_send_reports_bytes_sent_and_resumes() {
        const SIZE: usize = 32 << 20;
        let mut ring = ring(RingOptions::default());
        let (mut client, fd) = accept_pair(&mut ring);
        let payload: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
        let token = ring.send(fd.as_fd(), payload, 0).unwrap();
        let completion = next(&mut ring);
        assert_eq!(completion.token, token);
        let Ok(Output::Send {
            buffer,
            offset: 0,
            sent,
        }) = completion.result
        else {
            panic!("{completion:?}")
        };
        assert!(sent > 0);
        assert!(sent < SIZE, "sent={sent}: expected a partial send");

        // Single-threaded on purpose: the client reads exactly what each completion reports as
        // sent (those bytes are already in the socket buffers, so the read cannot block), and
        // memcheck serialises threads, which would stall a reader thread behind our waits.
        let mut received = vec![0; SIZE];
        client.read_exact(&mut received[..sent]).unwrap();
        let (mut buffer, mut offset, mut sends_count) = (buffer, sent, 1);
        while offset < SIZE {
            assert!(sends_count < 100_000, "send loop bound");
            ring.send(fd.as_fd(), buffer, offset).unwrap();
            let completion = next(&mut ring);
            let Ok(Output::Send {
                buffer: back, sent, ..
            }) = completion.result
            else {
                panic!("{completion:?}")
            };
            client
                .read_exact(&mut received[offset..offset + sent])
                .unwrap();
            (buffer, offset, sends_count) = (back, offset + sent, sends_count + 1);
        }
        assert!(received == buffer, "every byte arrives in order");
    }

    // Proves a timeout op fires and reports success, and that a cancelled long timeout completes
    // with ECANCELED instead of waiting an hour.
    #[test]
    fn timeout_fires_and_cancel_ends_a_long_one() {
        let mut ring = ring(RingOptions::default());
        let short = ring.timeout(Duration::from_millis(10)).unwrap();
        let completion = next(&mut ring);
        assert_eq!(completion.token, short);
        assert!(matches!(completion.result, Ok(Output::Timeout)));

        let long = ring.timeout(LONG).unwrap();
        assert!(ring.cancel(long).unwrap());
        let completion = next(&mut ring);
        assert_eq!(completion.token, long);
        let error = completion.result.unwrap_err().error;
        assert_eq!(error.raw_os_error(), Some(libc_ecanceled()));
        // The token is spent: it names nothing in flight any more.
        assert!(!ring.cancel(long).unwrap());
        assert!(!ring.abandon(long));
    }

    // Proves an orphaned recv keeps owning its buffer until the kernel writes into it: after
    // `abandon`, same-sized allocations never get the buffer's address (it was not freed), the
    // kernel's later write lands in the buffer and not in those canaries, the completion is not
    // handed to the caller, and only then is the slot (and buffer) released.
    #[test]
    fn orphaned_recv_frees_its_buffer_only_on_completion() {
        const SIZE: usize = 4096;
        let mut ring = ring(RingOptions::default());
        let (mut client, fd) = accept_pair(&mut ring);
        let buffer = vec![0u8; SIZE];
        let address = buffer.as_ptr() as usize;
        let token = ring.recv(fd.as_fd(), buffer, 0).unwrap();
        ring.submit_and_wait(0, None).unwrap();
        assert!(ring.abandon(token));
        assert_eq!(ring.in_flight_count(), 1);

        let canaries: Vec<Vec<u8>> = (0..64).map(|_| vec![0xAA; SIZE]).collect();
        assert!(
            canaries
                .iter()
                .all(|canary| canary.as_ptr() as usize != address)
        );
        client.write_all(&[0x55; SIZE]).unwrap();
        for round in 0.. {
            assert!(round < ROUNDS_MAX, "orphaned recv never completed");
            if ring.in_flight_count() == 0 {
                break;
            }
            ring.submit_and_wait(1, Some(ROUND_WAIT)).unwrap();
            assert!(
                ring.next_completion().is_none(),
                "orphaned completions are not returned"
            );
        }
        assert!(
            canaries
                .iter()
                .all(|canary| canary.iter().all(|&byte| byte == 0xAA))
        );
        // The slot is reusable and the connection still works.
        client.write_all(b"after").unwrap();
        let (buffer, len) = recv(&mut ring, &fd, vec![0; SIZE], 0);
        assert_eq!(&buffer[..len], b"after");
    }

    // Proves the slab bound: with two slots, a third submission is refused with SlabFull and the
    // caller's buffer comes back untouched; once one operation completes the slot is usable again.
    // Dropping the ring with an hour-long timeout in flight cancels and reaps it (memcheck's leak
    // check covers that no slot memory is lost).
    #[test]
    fn full_slab_refuses_and_returns_the_buffer() {
        let mut ring = ring(RingOptions {
            in_flight_max: 2,
            ..RingOptions::default()
        });
        let first = ring.timeout(LONG).unwrap();
        let _second = ring.timeout(LONG).unwrap();
        let refused = ring.timeout(LONG).unwrap_err();
        assert!(matches!(
            refused.error,
            SubmitError::SlabFull { in_flight_max: 2 }
        ));

        let (_client, server) = std::os::unix::net::UnixStream::pair().unwrap();
        let refused = ring
            .recv(server.as_fd(), b"keep me".to_vec(), 0)
            .unwrap_err();
        assert!(matches!(refused.error, SubmitError::SlabFull { .. }));
        assert_eq!(refused.returned, b"keep me");

        assert!(ring.cancel(first).unwrap());
        assert_eq!(next(&mut ring).token, first);
        let third: Token = ring.timeout(Duration::from_millis(1)).unwrap();
        assert_eq!(next(&mut ring).token, third);
        assert_eq!(ring.in_flight_count(), 1);
    }

    // Proves an empty window is refused before anything is submitted: a recv of 0 bytes would
    // complete with 0, which reads as "peer closed".
    #[test]
    fn empty_recv_window_is_refused() {
        let mut ring = ring(RingOptions::default());
        let (_client, server) = std::os::unix::net::UnixStream::pair().unwrap();
        let refused = ring.recv(server.as_fd(), vec![0; 4], 4).unwrap_err();
        assert!(matches!(
            refused.error,
            SubmitError::EmptyWindow { offset: 4, len: 4 }
        ));
        assert_eq!(ring.in_flight_count(), 0);
    }

    // Proves another thread can wake this ring: an armed eventfd read completes with the count the
    // other thread wrote, while this thread waits in submit_and_wait.
    #[test]
    fn eventfd_wakes_the_ring_from_another_thread() {
        let mut ring = ring(RingOptions::default());
        let wake = Arc::new(WakeFd::new().unwrap());
        let token = ring.read_eventfd(wake.as_fd()).unwrap();
        ring.submit_and_wait(0, None).unwrap();
        let waker = {
            let wake = Arc::clone(&wake);
            std::thread::spawn(move || wake.wake().unwrap())
        };
        let completion = next(&mut ring);
        waker.join().unwrap();
        assert_eq!(completion.token, token);
        assert!(matches!(
            completion.result,
            Ok(Output::EventFd { count: 1 })
        ));
    }

    fn econnrefused() -> i32 {
        // ECONNREFUSED on Linux (every architecture Rust supports).
        111
    }

    fn enobufs() -> i32 {
        // ENOBUFS on Linux (every architecture Rust supports).
        105
    }

    /// A ring with `count` provided buffers of `size` bytes and a multishot recv armed on the
    /// server side of a fresh loopback pair.
    fn provided_pair(count: u16, size: usize) -> (Ring, TcpStream, OwnedFd, Token) {
        let mut ring = ring(RingOptions::default());
        ring.register_provided_buffers(count, size).unwrap();
        let (client, fd) = accept_pair(&mut ring);
        let token = ring.recv_multi(fd.as_fd()).unwrap();
        (ring, client, fd, token)
    }

    /// Waits for the next completion of the multishot recv and returns its bytes, recycled.
    fn recv_provided(ring: &mut Ring, token: Token) -> (Vec<u8>, bool) {
        let completion = next(ring);
        assert_eq!(completion.token, token);
        let Ok(Output::RecvProvided {
            buffer: Some(buffer),
        }) = completion.result
        else {
            panic!("{completion:?}")
        };
        let bytes = ring.provided_bytes(&buffer).to_vec();
        assert_eq!(bytes.len(), buffer.len());
        ring.recycle(buffer);
        (bytes, completion.more)
    }

    // Proves the connect op: a socket connects to a listening port (the listener sees it), and a
    // connect to a closed port completes with ECONNREFUSED. The sockaddr lives in the op, so
    // nothing here keeps it alive.
    #[test]
    fn connect_reaches_a_listener_and_reports_refusal() {
        let mut ring = ring(RingOptions::default());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let socket = stream_socket();
        let token = ring
            .connect(socket.as_fd(), listener.local_addr().unwrap())
            .unwrap();
        let completion = next(&mut ring);
        assert_eq!(completion.token, token);
        assert!(
            matches!(completion.result, Ok(Output::Connect)),
            "{completion:?}"
        );
        let (_server, peer) = listener.accept().unwrap();
        assert_eq!(peer, socket.local_addr().unwrap().as_socket().unwrap());

        let closed = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let socket = stream_socket();
        let token = ring.connect(socket.as_fd(), closed).unwrap();
        let completion = next(&mut ring);
        assert_eq!(completion.token, token);
        let error = completion.result.unwrap_err().error;
        assert_eq!(error.raw_os_error(), Some(econnrefused()));
        assert_eq!(ring.in_flight_count(), 0);
    }

    fn stream_socket() -> socket2::Socket {
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap()
    }

    // Proves a multishot recv over provided buffers: it stays armed across arrivals, data larger
    // than a buffer is split across buffers in order, every buffer comes back through recycle, and
    // EOF ends the request with `buffer: None`.
    #[test]
    fn multishot_recv_fills_provided_buffers_in_order() {
        const SIZE: usize = 16;
        let (mut ring, mut client, _fd, token) = provided_pair(4, SIZE);
        client.write_all(b"hello").unwrap();
        assert_eq!(recv_provided(&mut ring, token), (b"hello".to_vec(), true));

        // Three buffers' worth: the kernel may fill them all before the drain recycles any,
        // and the fourth stays free (more would end the recv with ENOBUFS, tested below).
        let payload: Vec<u8> = (0..3 * SIZE as u8).collect();
        client.write_all(&payload).unwrap();
        let mut received = Vec::new();
        for round in 0.. {
            assert!(round < ROUNDS_MAX, "payload incomplete: {}", received.len());
            if received.len() == payload.len() {
                break;
            }
            let (bytes, more) = recv_provided(&mut ring, token);
            assert!(more);
            assert!(bytes.len() <= SIZE);
            received.extend_from_slice(&bytes);
        }
        assert_eq!(received, payload);

        drop(client);
        let completion = next(&mut ring);
        assert_eq!(completion.token, token);
        assert!(!completion.more);
        assert!(matches!(
            completion.result,
            Ok(Output::RecvProvided { buffer: None })
        ));
        assert_eq!(ring.in_flight_count(), 0);
    }

    // Proves exhaustion is reported, not hidden: with both buffers held by the caller, the next
    // arrival ends the recv with ENOBUFS; after recycling and re-arming, the bytes still waiting
    // in the socket arrive.
    #[test]
    fn multishot_recv_ends_with_enobufs_when_every_buffer_is_held() {
        let (mut ring, mut client, fd, token) = provided_pair(2, 4);
        let mut held = Vec::new();
        client.write_all(b"abcd").unwrap();
        for payload in [b"efgh", b"ijkl"] {
            let completion = next(&mut ring);
            assert_eq!(completion.token, token);
            let Ok(Output::RecvProvided {
                buffer: Some(buffer),
            }) = completion.result
            else {
                panic!("{completion:?}")
            };
            held.push(buffer);
            client.write_all(payload).unwrap();
        }
        let completion = next(&mut ring);
        assert_eq!(completion.token, token);
        assert!(!completion.more);
        let error = completion.result.unwrap_err().error;
        assert_eq!(error.raw_os_error(), Some(enobufs()));
        assert_eq!(ring.provided_bytes(&held[0]), b"abcd");
        assert_eq!(ring.provided_bytes(&held[1]), b"efgh");
        for buffer in held {
            ring.recycle(buffer);
        }
        let token = ring.recv_multi(fd.as_fd()).unwrap();
        assert_eq!(recv_provided(&mut ring, token).0, b"ijkl");
    }

    // Proves an orphaned multishot recv gives its buffers back: after `abandon`, an arrival is
    // not returned to the caller, yet both buffers are free again once the recv is cancelled (a
    // new recv fills both). With nothing else in flight, the one CQE the wait returns for must be
    // the orphan's, so the order is deterministic.
    #[test]
    fn orphaned_multishot_recv_recycles_its_buffers() {
        let (mut ring, mut client, fd, token) = provided_pair(2, 4);
        ring.submit_and_wait(0, None).unwrap();
        assert!(ring.abandon(token));
        client.write_all(b"lost").unwrap();
        ring.submit_and_wait(1, Some(LONG)).unwrap();
        assert!(ring.next_completion().is_none(), "orphans are not returned");
        assert_eq!(ring.in_flight_count(), 1, "the multishot recv stays armed");
        assert!(ring.cancel(token).unwrap());
        for round in 0.. {
            assert!(round < ROUNDS_MAX, "the orphan never completed");
            if ring.in_flight_count() == 0 {
                break;
            }
            ring.submit_and_wait(1, Some(ROUND_WAIT)).unwrap();
            assert!(ring.next_completion().is_none());
        }

        let token = ring.recv_multi(fd.as_fd()).unwrap();
        let mut held = Vec::new();
        for payload in [b"abcd", b"efgh"] {
            client.write_all(payload).unwrap();
            let completion = next(&mut ring);
            assert_eq!(completion.token, token);
            let Ok(Output::RecvProvided {
                buffer: Some(buffer),
            }) = completion.result
            else {
                panic!("{completion:?}")
            };
            assert_eq!(ring.provided_bytes(&buffer), payload);
            held.push(buffer);
        }
        for buffer in held {
            ring.recycle(buffer);
        }
    }

    // Proves the provided-buffer API refuses misuse with typed errors: a count that is not a
    // power of two, and a multishot recv before any buffers are registered.
    #[test]
    fn provided_buffers_refuse_bad_sizes_and_missing_registration() {
        let mut ring = ring(RingOptions::default());
        let (_client, server) = std::os::unix::net::UnixStream::pair().unwrap();
        let refused = ring.recv_multi(server.as_fd()).unwrap_err();
        assert!(matches!(refused.error, SubmitError::NoProvidedBuffers));
        let error = ring.register_provided_buffers(3, 64).unwrap_err();
        assert!(matches!(
            error,
            RingError::ProvidedBuffersOutOfRange { count: 3, .. }
        ));
        assert!(error.to_string().contains("power of two"), "{error}");
        ring.register_provided_buffers(4, 64).unwrap();
    }

    // Proves the ring can be dropped with a multishot recv in flight and a buffer still held by
    // the caller: Drop cancels and reaps the recv, unregisters the group and frees it (memcheck's
    // leak check covers the allocations).
    #[test]
    fn ring_drops_with_a_multishot_recv_in_flight() {
        let (mut ring, mut client, _fd, token) = provided_pair(2, 8);
        client.write_all(b"held").unwrap();
        let completion = next(&mut ring);
        assert_eq!(completion.token, token);
        let Ok(Output::RecvProvided {
            buffer: Some(buffer),
        }) = completion.result
        else {
            panic!("{completion:?}")
        };
        assert_eq!(ring.provided_bytes(&buffer), b"held");
        assert_eq!(ring.in_flight_count(), 1);
        drop(ring);
        // The handle outlives its ring; it names no memory, so it is inert.
        assert_eq!(buffer.len(), 4);
    }

    // Proves start-up refuses out-of-range sizes with the numbers in the message.
    #[test]
    fn out_of_range_sizes_fail_with_numbers() {
        let error = Ring::new(0, RingOptions::default()).unwrap_err();
        assert!(matches!(
            error,
            RingError::EntriesOutOfRange {
                entries: 0,
                max: 4096
            }
        ));
        assert!(error.to_string().contains("4096"), "{error}");
        let options = RingOptions {
            in_flight_max: 0,
            ..RingOptions::default()
        };
        let error = Ring::new(8, options).unwrap_err();
        assert!(matches!(
            error,
            RingError::InFlightMaxOutOfRange {
                in_flight_max: 0,
                ..
            }
        ));
    }
}
