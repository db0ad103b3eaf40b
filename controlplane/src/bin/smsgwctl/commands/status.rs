//! `smsgwctl status`: the control plane's health and stored configuration version.

use std::time::Duration;

use smsgw_controlplane::proto::GetHealthRequest;

use super::{CommandError, connect};

/// Runs `status` and prints a table or JSON.
pub async fn run(endpoint: &str, timeout: Duration, json: bool) -> Result<(), CommandError> {
    let mut client = connect(endpoint, timeout).await?;
    let health = client
        .get_health(GetHealthRequest {})
        .await
        .map_err(|status| CommandError::Refused(status.message().to_string()))?
        .into_inner();
    if json {
        let value = serde_json::json!({
            "endpoint": endpoint,
            "server_version": health.server_version,
            "config_version": health.config_version,
        });
        println!("{value}");
    } else {
        println!("{:<16} {}", "ENDPOINT", endpoint);
        println!("{:<16} {}", "SERVER VERSION", health.server_version);
        println!("{:<16} {}", "CONFIG VERSION", health.config_version);
    }
    Ok(())
}
