//! Connecting to RabbitMQ with heartbeats on, retrying with backoff until the broker answers
//! or the process is told to stop.

use lapin::{Connection, ConnectionProperties};
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;

/// Adds a 10-second heartbeat to a URL that sets none, so a dead broker is noticed quickly.
pub fn with_heartbeat(url: &str) -> String {
    if url.contains("heartbeat=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&heartbeat=10")
    } else {
        format!("{url}?heartbeat=10")
    }
}

/// Connects, retrying with backoff; `None` when shutdown came first.
pub async fn connect(url: &str, name: &str, shutdown: &CancellationToken) -> Option<Connection> {
    let url = with_heartbeat(url);
    let mut backoff = Backoff::default();
    loop {
        let props = ConnectionProperties::default().with_connection_name(name.into());
        match Connection::connect(&url, props).await {
            Ok(conn) => return Some(conn),
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, connection = name, "broker unreachable");
                tokio::select! {
                    () = shutdown.cancelled() => return None,
                    () = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_is_added_once() {
        assert_eq!(with_heartbeat("amqp://h:5672/%2f"), "amqp://h:5672/%2f?heartbeat=10");
        assert_eq!(with_heartbeat("amqp://h/%2f?x=1"), "amqp://h/%2f?x=1&heartbeat=10");
        assert_eq!(with_heartbeat("amqp://h/%2f?heartbeat=5"), "amqp://h/%2f?heartbeat=5");
    }
}
