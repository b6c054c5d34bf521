//! Connecting to RabbitMQ with heartbeats on, retrying with backoff until the broker answers
//! or the process is told to stop.

use std::time::Duration;

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

/// How long one attempt (TCP, TLS and the AMQP handshake) may take. A broker or balancer that
/// accepts the connection and never finishes the handshake, or a handshake lapin never resolves,
/// would otherwise hold the service (and its shutdown) for good. An abandoned attempt's socket
/// stays with lapin's I/O thread until the peer closes it (RabbitMQ closes an unfinished
/// handshake after its `handshake_timeout`, 10 s by default): lapin offers no handle to close it.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// Connects, retrying with backoff; `None` when shutdown came first.
pub async fn connect(url: &str, name: &str, shutdown: &CancellationToken) -> Option<Connection> {
    connect_within(url, name, shutdown, ATTEMPT_TIMEOUT).await
}

/// [`connect`] with each attempt abandoned after `attempt_timeout`.
async fn connect_within(
    url: &str,
    name: &str,
    shutdown: &CancellationToken,
    attempt_timeout: Duration,
) -> Option<Connection> {
    let url = with_heartbeat(url);
    let mut backoff = Backoff::default();
    loop {
        let props = ConnectionProperties::default().with_connection_name(name.into());
        let attempt = tokio::select! {
            () = shutdown.cancelled() => return None,
            attempt = tokio::time::timeout(attempt_timeout, Connection::connect(&url, props)) => attempt,
        };
        let error = match attempt {
            Ok(Ok(conn)) => return Some(conn),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", attempt_timeout.as_millis()),
        };
        let delay = backoff.next_delay();
        tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, connection = name, "broker unreachable");
        tokio::select! {
            () = shutdown.cancelled() => return None,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A broker address that accepts the TCP connection and closes it at once (a proxy or
    /// load balancer whose broker is away): the attempts fail and are retried, and a shutdown
    /// still ends them.
    #[tokio::test]
    async fn a_connection_closed_during_the_handshake_is_retried_and_shutdown_still_ends_it() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
        let addr = listener.local_addr().expect("addr");
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(socket);
            }
        });
        let shutdown = CancellationToken::new();
        let url = format!("amqp://guest:guest@{addr}/%2f");
        let stop = shutdown.clone();
        let attempt = tokio::spawn(async move { connect(&url, "closed-test", &stop).await });
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        shutdown.cancel();
        let ended = tokio::time::timeout(std::time::Duration::from_secs(5), attempt).await;
        assert!(matches!(ended, Ok(Ok(None))), "connect did not end on shutdown");
        assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) >= 2, "the closed connection was not retried");
    }

    /// A broker address that accepts the TCP connection and then says nothing (a balancer whose
    /// broker hangs, or a handshake lapin never resolves): each attempt is abandoned after its
    /// timeout and another made, and a shutdown in the middle of an attempt ends it at once.
    #[tokio::test]
    async fn a_handshake_without_an_answer_is_abandoned_retried_and_shutdown_ends_it() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("listener");
        let addr = listener.local_addr().expect("addr");
        let (accepted_tx, mut accepted) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
                let _ = accepted_tx.send(());
            }
        });
        let url = format!("amqp://guest:guest@{addr}/%2f");
        // short attempts: the first is given up and a second one made
        let shutdown = CancellationToken::new();
        let (stop, target) = (shutdown.clone(), url.clone());
        let retrying =
            tokio::spawn(
                async move { connect_within(&target, "silent-test", &stop, Duration::from_millis(300)).await },
            );
        assert!(
            next_accept(&mut accepted).await && next_accept(&mut accepted).await,
            "the silent attempt was not retried"
        );
        shutdown.cancel();
        assert!(matches!(tokio::time::timeout(Duration::from_secs(2), retrying).await, Ok(Ok(None))));
        // a long attempt: a shutdown while it waits on the silent broker ends it at once
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        let waiting =
            tokio::spawn(async move { connect_within(&url, "silent-test", &stop, Duration::from_secs(600)).await });
        while accepted.try_recv().is_ok() {}
        assert!(next_accept(&mut accepted).await, "no attempt was made");
        shutdown.cancel();
        let ended = tokio::time::timeout(Duration::from_secs(2), waiting).await;
        assert!(matches!(ended, Ok(Ok(None))), "connect did not end on shutdown during an attempt");
    }

    async fn next_accept(accepted: &mut tokio::sync::mpsc::UnboundedReceiver<()>) -> bool {
        matches!(tokio::time::timeout(Duration::from_secs(10), accepted.recv()).await, Ok(Some(())))
    }

    #[test]
    fn heartbeat_is_added_once() {
        assert_eq!(with_heartbeat("amqp://h:5672/%2f"), "amqp://h:5672/%2f?heartbeat=10");
        assert_eq!(with_heartbeat("amqp://h/%2f?x=1"), "amqp://h/%2f?x=1&heartbeat=10");
        assert_eq!(with_heartbeat("amqp://h/%2f?heartbeat=5"), "amqp://h/%2f?heartbeat=5");
    }

    #[test]
    fn amqps_urls_select_tls_on_5671() {
        let uri: lapin::uri::AMQPUri = with_heartbeat("amqps://u:p@mq.example/%2f").parse().expect("amqps url");
        assert_eq!(uri.scheme, lapin::uri::AMQPScheme::AMQPS);
        assert_eq!((uri.authority.port, uri.query.heartbeat), (5671, Some(10)));
    }

    /// amqps goes through rustls with the ring provider: against the local broker's plaintext
    /// port the TLS handshake fails with an error (no crypto-provider panic, no hang).
    #[tokio::test]
    async fn amqps_runs_a_real_tls_handshake() {
        let url = "amqps://guest:guest@127.0.0.1:5672/%2f?connection_timeout=5000";
        let props = ConnectionProperties::default().with_connection_name("tls-check".into());
        let attempt = tokio::time::timeout(std::time::Duration::from_secs(15), Connection::connect(url, props)).await;
        assert!(matches!(attempt, Ok(Err(_))), "a TLS error from a plaintext port");
    }
}
