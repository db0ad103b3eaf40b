//! The gRPC service `smsgw.control.v1.Control` over the [`Store`].
//!
//! The foundation serves health only; the control-plane issue adds accounts, connectors,
//! routes and the Watch stream on the same service.

use std::net::SocketAddr;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::proto::control_server::{Control, ControlServer};
use crate::proto::{GetHealthRequest, GetHealthResponse};
use crate::store::Store;

/// The service implementation.
pub struct ControlService {
    store: Arc<Store>,
}

impl ControlService {
    /// A service answering from `store`.
    pub fn new(store: Arc<Store>) -> ControlService {
        ControlService { store }
    }

    /// The tonic server wrapper for this service.
    pub fn into_server(self) -> ControlServer<ControlService> {
        ControlServer::new(self)
    }
}

#[tonic::async_trait]
impl Control for ControlService {
    async fn get_health(
        &self,
        _request: Request<GetHealthRequest>,
    ) -> Result<Response<GetHealthResponse>, Status> {
        let config_version = self
            .store
            .config_version()
            .map_err(|error| Status::internal(error.to_string()))?;
        Ok(Response::new(GetHealthResponse {
            server_version: env!("CARGO_PKG_VERSION").to_string(),
            config_version,
        }))
    }
}

/// Serves the control API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Arc<Store>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    tonic::transport::Server::builder()
        .add_service(ControlService::new(store).into_server())
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// Binds `address` and returns the listener and the address actually bound (for port 0).
pub async fn bind(address: SocketAddr) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}
