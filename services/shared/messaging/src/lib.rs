//! Events between services over RabbitMQ, without losing or doubling any:
//! a service writes its state change and the event in one Postgres transaction (the outbox),
//! a relay publishes outbox rows with publisher confirms, and consumers record each message id
//! in the same transaction as its effect (the inbox) and acknowledge only after commit.

pub mod amqp;
pub mod backoff;
pub mod consumer;
pub mod dead_letters;
pub mod event;
pub mod outbox;
pub mod relay;
pub mod topology;

pub use consumer::{Consumer, ConsumerConfig, Handler, HandlerError};
pub use event::{Event, NewEvent};
pub use relay::{Relay, RelayConfig};
pub use topology::{ConsumerSpec, Topology};

/// Failures of the messaging backbone itself.
#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the broker did not confirm a publish")]
    NotConfirmed,
    #[error("the broker returned a replayed message: no queue is bound to its routing key")]
    Unroutable,
    #[error("dead-letter queue {0} does not exist (has its consumer ever started?)")]
    NoQueue(String),
    /// A broker operation did not finish in time: the connection is treated as lost.
    #[error("the broker did not answer {0} in time")]
    TimedOut(&'static str),
    #[error("the broker connection was lost")]
    ConnectionLost,
}

/// The longest wait for one broker operation (a declaration, an acknowledgement, a batch's
/// confirms) before the connection is given up and made again.
pub(crate) const BROKER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits for a broker operation at most `limit`. lapin can leave a future pending forever
/// when the connection dies under it; a bound turns that into an error the reconnect loop
/// handles.
pub(crate) async fn within<T, E: Into<MessagingError>>(
    limit: std::time::Duration,
    what: &'static str,
    operation: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, MessagingError> {
    match tokio::time::timeout(limit, operation).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(MessagingError::TimedOut(what)),
    }
}

/// What a service needs to start its background parts (outbox relay, event consumer, extra
/// listeners) inside a `serve` process; they stop when `stop` is cancelled.
#[derive(Debug)]
pub struct Workers<'a> {
    pub pool: sqlx::PgPool,
    pub topology: Topology,
    pub amqp_url: String,
    pub delivery_limit: u32,
    pub stop: tokio_util::sync::CancellationToken,
    pub set: &'a mut tokio::task::JoinSet<()>,
}

impl Workers<'_> {
    /// A consumer configuration with the process defaults.
    pub fn consumer_config(&self, service: &str, spec: ConsumerSpec) -> ConsumerConfig {
        ConsumerConfig {
            service: service.to_owned(),
            spec,
            amqp_url: self.amqp_url.clone(),
            prefetch: 32,
            // About half a minute of in-place retries (backoff up to 5 s): a database that is
            // away briefly does not push messages towards the dead-letter queue.
            transient_attempts: 16,
            batch: 1,
        }
    }

    /// Starts a consumer of `spec` with `handler`.
    pub fn spawn_consumer<H: Handler>(&mut self, service: &str, spec: ConsumerSpec, handler: H) {
        let config = self.consumer_config(service, spec);
        self.spawn_consumer_with(config, handler);
    }

    /// Starts a consumer with `config` (from [`Self::consumer_config`], adjusted).
    pub fn spawn_consumer_with<H: Handler>(&mut self, config: ConsumerConfig, handler: H) {
        let consumer = Consumer::new(self.pool.clone(), self.topology.clone(), config, handler);
        self.set.spawn(consumer.run(self.stop.clone()));
    }
}
