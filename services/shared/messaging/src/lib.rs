//! Events between services over RabbitMQ, without losing or doubling any:
//! a service writes its state change and the event in one Postgres transaction (the outbox),
//! a relay publishes outbox rows with publisher confirms, and consumers record each message id
//! in the same transaction as its effect (the inbox) and acknowledge only after commit.

pub mod amqp;
pub mod backoff;
pub mod consumer;
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
}
