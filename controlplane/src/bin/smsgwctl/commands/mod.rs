//! One module per `smsgwctl` noun.

pub mod status;

use std::time::Duration;

use smsgw_controlplane::proto::control_client::ControlClient;
use tonic::transport::Channel;

/// An operator-facing failure: printed as one line, exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The endpoint is not a valid URI.
    #[error("invalid --endpoint {endpoint:?}: {reason}")]
    Endpoint {
        /// What was given.
        endpoint: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The control plane could not be reached.
    #[error(
        "cannot reach the control plane at {endpoint}: {reason} (is smsgw-control or `smsgw run` with [control] listen running?)"
    )]
    Unreachable {
        /// Where.
        endpoint: String,
        /// The transport's words.
        reason: String,
    },
    /// The control plane answered with an error.
    #[error("the control plane refused: {0}")]
    Refused(String),
}

/// Connects to `endpoint` within `timeout`.
pub async fn connect(
    endpoint: &str,
    timeout: Duration,
) -> Result<ControlClient<Channel>, CommandError> {
    let channel = Channel::from_shared(endpoint.to_string())
        .map_err(|error| CommandError::Endpoint {
            endpoint: endpoint.to_string(),
            reason: error.to_string(),
        })?
        .connect_timeout(timeout)
        .timeout(timeout)
        .connect()
        .await
        .map_err(|error| CommandError::Unreachable {
            endpoint: endpoint.to_string(),
            reason: error_chain(&error),
        })?;
    Ok(ControlClient::new(channel))
}

/// Joins an error and its sources into one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
