//! What tests need to run against the real Postgres and RabbitMQ on this machine without
//! stepping on each other: a fresh database per test with the service roles and schemas, a
//! unique broker namespace, and a TCP proxy that can cut or restore a connection on demand.

pub mod db;
pub mod procs;
pub mod proxy;

/// The AMQP URL of the local broker (override with `AMQP_URL`).
pub fn amqp_url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A broker namespace no other test uses.
pub fn unique_namespace() -> String {
    format!("test-{}", uuid::Uuid::new_v4().simple())
}

/// Polls `check` every 50 ms until it returns `Some` or `limit` passes.
pub async fn eventually<T, F, Fut>(limit: std::time::Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Deletes what the services declare under `namespace` on the broker: each consumer's queue and
/// dead-letter queue, and both exchanges. Tests call it at the end so they leave nothing behind.
pub async fn delete_namespace(namespace: &str, consumers: &[&str]) {
    use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
    let Ok(conn) = lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default()).await else {
        return;
    };
    for consumer in consumers {
        for queue in [format!("{namespace}.{consumer}"), format!("{namespace}.{consumer}.dlq")] {
            // A failed delete closes the channel, so each gets its own.
            if let Ok(channel) = conn.create_channel().await {
                let _ = channel.queue_delete(queue.as_str().into(), QueueDeleteOptions::default()).await;
            }
        }
    }
    for exchange in [format!("{namespace}.events"), format!("{namespace}.dlx")] {
        if let Ok(channel) = conn.create_channel().await {
            let _ = channel.exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default()).await;
        }
    }
    let _ = conn.close(200, "done".into()).await;
}
