//! A small blocking SMPP ESME over `std::net`, driving the same sans-IO [`Session`] as the
//! gateway: `smsgw demo` sends its messages with it, and the integration tests use it as an
//! SP. Not a load generator (that is `smsgw-bench load`): one request at a time unless the
//! caller pipelines with [`Client::send`] and [`Client::wait_responses`].
//!
//! Received deliver_sm/data_sm are answered `ESME_ROK` (or with the status set by
//! [`Client::set_delivery_status`]) and kept in [`Client::deliveries`].

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use smsgw_shared::frame::{FrameLimits, Frames};
use smsgw_shared::smpp::CommandId;
use smsgw_shared::smpp::pdu::{Bind, Body, DeliverSm, MessageIdResp, Pdu};
use smsgw_shared::smpp::session::{BindMode, CloseReason, Event, Session, SessionConfig};
use smsgw_shared::smpp::status::CommandStatus;

/// A response to one of our requests.
#[derive(Debug, Clone)]
pub struct Response {
    /// The token given to [`Client::send`].
    pub token: u64,
    /// Its command_status.
    pub status: CommandStatus,
    /// Its body.
    pub pdu: Pdu<Vec<u8>>,
}

impl Response {
    /// The message_id of a submit_sm_resp or data_sm_resp (empty otherwise).
    pub fn message_id(&self) -> String {
        match &self.pdu.body {
            Body::SubmitSmResp(MessageIdResp { message_id, .. })
            | Body::DataSmResp(MessageIdResp { message_id, .. }) => {
                String::from_utf8_lossy(message_id).into_owned()
            }
            _ => String::new(),
        }
    }
}

/// A blocking ESME.
pub struct Client {
    stream: TcpStream,
    session: Session,
    epoch: Instant,
    rx: Vec<u8>,
    responses: Vec<Response>,
    deliveries: Vec<DeliverSm<Vec<u8>>>,
    delivery_status: CommandStatus,
    bound: Option<Result<u8, CommandStatus>>,
    closed: bool,
    next_token: u64,
}

impl Client {
    /// Connects and binds; fails with the bind status when refused.
    pub fn bind(
        addr: SocketAddr,
        mode: BindMode,
        system_id: &str,
        password: &str,
        interface_version: u8,
    ) -> io::Result<Client> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_millis(50)))?;
        let epoch = Instant::now();
        let config = SessionConfig {
            window_max: 1024,
            peer_window_max: 1024,
            ..SessionConfig::default()
        };
        let session = Session::new_esme(
            config,
            mode,
            Bind {
                system_id: system_id.as_bytes(),
                password: password.as_bytes(),
                system_type: b"",
                interface_version,
                addr_ton: 0,
                addr_npi: 0,
                address_range: b"",
            },
            0,
        );
        let mut client = Client {
            stream,
            session,
            epoch,
            rx: Vec::new(),
            responses: Vec::new(),
            deliveries: Vec::new(),
            delivery_status: CommandStatus::ESME_ROK,
            bound: None,
            closed: false,
            next_token: 1,
        };
        client.flush()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while client.bound.is_none() {
            if Instant::now() > deadline || client.closed {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no bind response"));
            }
            client.pump_once()?;
        }
        match client.bound {
            Some(Ok(_)) => Ok(client),
            Some(Err(status)) => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "bind refused: {:#010x} {}",
                    status.0,
                    status.name().unwrap_or("vendor status")
                ),
            )),
            None => unreachable!("loop above"),
        }
    }

    /// The bind refusal status from an error of [`Client::bind`], if it was one.
    pub fn refusal_status(error: &io::Error) -> Option<u32> {
        let text = error.to_string();
        let hex = text.strip_prefix("bind refused: 0x")?.get(..8)?;
        u32::from_str_radix(hex, 16).ok()
    }

    /// The SMSC's interface version from bind_resp.
    pub fn peer_version(&self) -> Option<u8> {
        self.bound.and_then(Result::ok)
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Answers deliveries with `status` from now on.
    pub fn set_delivery_status(&mut self, status: CommandStatus) {
        self.delivery_status = status;
    }

    /// Sends a request without waiting; its response comes with the returned token.
    pub fn send(&mut self, body: Body<Vec<u8>>) -> io::Result<u64> {
        let token = self.next_token;
        self.next_token += 1;
        let now = self.now();
        self.session
            .send_request(body, token, now)
            .map_err(|error| io::Error::other(error.to_string()))?;
        self.flush()?;
        Ok(token)
    }

    /// Sends raw bytes (for malformed-PDU tests).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends a request and waits up to `timeout` for its response.
    pub fn request(&mut self, body: Body<Vec<u8>>, timeout: Duration) -> io::Result<Response> {
        let token = self.send(body)?;
        self.wait_response(token, timeout)
    }

    /// Waits for the response to `token`.
    pub fn wait_response(&mut self, token: u64, timeout: Duration) -> io::Result<Response> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = self.responses.iter().position(|r| r.token == token) {
                return Ok(self.responses.remove(at));
            }
            if self.closed {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "session closed",
                ));
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "no response"));
            }
            self.pump_once()?;
        }
    }

    /// Waits until `count` responses are held (or `timeout`); returns them all.
    pub fn wait_responses(&mut self, count: usize, timeout: Duration) -> Vec<Response> {
        let deadline = Instant::now() + timeout;
        while self.responses.len() < count && Instant::now() < deadline && !self.closed {
            if self.pump_once().is_err() {
                break;
            }
        }
        std::mem::take(&mut self.responses)
    }

    /// Waits until `count` deliveries were received (or `timeout`); returns them all.
    pub fn wait_deliveries(&mut self, count: usize, timeout: Duration) -> Vec<DeliverSm<Vec<u8>>> {
        let deadline = Instant::now() + timeout;
        while self.deliveries.len() < count && Instant::now() < deadline && !self.closed {
            if self.pump_once().is_err() {
                break;
            }
        }
        std::mem::take(&mut self.deliveries)
    }

    /// Deliveries received so far (taken).
    pub fn deliveries(&mut self) -> Vec<DeliverSm<Vec<u8>>> {
        std::mem::take(&mut self.deliveries)
    }

    /// Whether the session is closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Unbinds and waits for the answer (best effort).
    pub fn unbind(mut self) {
        let now = self.now();
        if self.session.unbind(now).is_ok() {
            let _ = self.flush();
            let deadline = Instant::now() + Duration::from_secs(2);
            while !self.closed && Instant::now() < deadline {
                if self.pump_once().is_err() {
                    break;
                }
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let pending = self.session.poll_transmit();
        if !pending.is_empty() {
            self.stream.write_all(pending)?;
            let size = pending.len();
            self.session.advance_transmit(size);
        }
        Ok(())
    }

    /// Reads once (up to the 50 ms read timeout) and handles what came.
    fn pump_once(&mut self) -> io::Result<()> {
        let mut buffer = [0u8; 65_536];
        match self.stream.read(&mut buffer) {
            Ok(0) => {
                self.closed = true;
                return Ok(());
            }
            Ok(size) => self.rx.extend_from_slice(&buffer[..size]),
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(error) => {
                self.closed = true;
                return Err(error);
            }
        }
        let now = self.now();
        let rx = std::mem::take(&mut self.rx);
        let mut frames = Frames::new(&rx, FrameLimits::SMPP);
        for frame in frames.by_ref() {
            let Ok(frame) = frame else {
                self.closed = true;
                break;
            };
            match self.session.handle_frame(frame, now) {
                Some(Event::Bound {
                    interface_version, ..
                }) => self.bound = Some(Ok(interface_version)),
                Some(Event::Response { request, pdu }) => {
                    if matches!(
                        request.command_id,
                        CommandId::bind_transmitter
                            | CommandId::bind_receiver
                            | CommandId::bind_transceiver
                    ) && !pdu.command_status.is_ok()
                    {
                        self.bound = Some(Err(pdu.command_status));
                    }
                    self.responses.push(Response {
                        token: request.token,
                        status: pdu.command_status,
                        pdu: pdu.into_owned(),
                    });
                }
                Some(Event::Request(pdu)) => {
                    let sequence_number = pdu.sequence_number;
                    match pdu.body {
                        Body::DeliverSm(deliver) => {
                            let owned = Pdu::new(0, Body::DeliverSm(deliver)).into_owned();
                            if let Body::DeliverSm(deliver) = owned.body {
                                self.deliveries.push(deliver);
                            }
                            let _ = self.session.respond(
                                sequence_number,
                                self.delivery_status,
                                Body::<&[u8]>::DeliverSmResp(MessageIdResp::default()),
                            );
                        }
                        Body::DataSm(_) => {
                            let _ = self.session.respond(
                                sequence_number,
                                self.delivery_status,
                                Body::<&[u8]>::DataSmResp(MessageIdResp::default()),
                            );
                        }
                        _ => {}
                    }
                }
                Some(Event::Closed(reason)) => {
                    if let CloseReason::BindRejected(status) | CloseReason::BindRefused(status) =
                        reason
                        && self.bound.is_none()
                    {
                        self.bound = Some(Err(status));
                    }
                    self.closed = true;
                }
                _ => {}
            }
        }
        let consumed = frames.consumed();
        self.rx = rx[consumed..].to_vec();
        if self.session.is_closed() {
            self.closed = true;
        }
        if let Some(event) = self.session.handle_timeout(now) {
            let _ = event;
        }
        self.flush()
    }

    /// The command of a request token's response, for tests.
    pub fn command_of(response: &Response) -> CommandId {
        response.pdu.body.command_id()
    }
}
