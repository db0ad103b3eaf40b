//! The per-core runtime: I/O backends behind one [`Driver`] interface, the timer wheel, and
//! listener set-up. The gateway loop ([`crate::gateway`]) drives them.

pub mod driver;
pub mod epoll;
pub mod listen;
pub mod timer;
pub mod uring;

pub use driver::{ConnId, Driver, IoEvent};

use std::os::fd::OwnedFd;

use crate::config::IoBackend;

/// The backend a node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// io_uring.
    IoUring,
    /// epoll.
    Epoll,
}

impl Backend {
    /// For logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::IoUring => "io_uring",
            Backend::Epoll => "epoll",
        }
    }
}

/// Picks the backend for `node.io_backend`: `auto` probes io_uring and falls back to epoll
/// with a log line saying why; `io_uring` fails when the probe fails.
pub fn choose_backend(wanted: IoBackend) -> Result<Backend, String> {
    match wanted {
        IoBackend::Epoll => Ok(Backend::Epoll),
        IoBackend::IoUring => uring::probe()
            .map(|()| Backend::IoUring)
            .map_err(|why| format!("io_backend = \"io_uring\" but io_uring is unavailable: {why}")),
        IoBackend::Auto => match uring::probe() {
            Ok(()) => Ok(Backend::IoUring),
            Err(why) => {
                eprintln!("smsgw: io_uring unavailable ({why}); using the epoll backend");
                Ok(Backend::Epoll)
            }
        },
    }
}

/// Opens `backend` on this thread, woken by `wake`.
pub fn open_driver(backend: Backend, wake: OwnedFd) -> Result<Box<dyn Driver>, String> {
    match backend {
        Backend::Epoll => epoll::EpollDriver::new(wake)
            .map(|driver| Box::new(driver) as Box<dyn Driver>)
            .map_err(|error| format!("epoll: {error}")),
        Backend::IoUring => uring::UringDriver::new(wake)
            .map(|driver| Box::new(driver) as Box<dyn Driver>)
            .map_err(|error| format!("io_uring: {error}")),
    }
}
