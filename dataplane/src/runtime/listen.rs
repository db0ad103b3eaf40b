//! Listening sockets: one per core per address, SO_REUSEPORT so the kernel spreads connections
//! over the cores.

use std::io;
use std::net::{SocketAddr, TcpListener};

use socket2::{Domain, Protocol, Socket, Type};

/// Listen backlog per socket.
pub const BACKLOG: i32 = 1024;

/// A non-blocking listener on `addr` with SO_REUSEADDR and SO_REUSEPORT, so every core binds the
/// same address.
pub fn reuseport_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.set_cloexec(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}
