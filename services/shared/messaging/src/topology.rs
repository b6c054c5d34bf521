//! Names and declarations of the exchanges and queues: one topic exchange for domain events,
//! one durable quorum queue per consuming service bound by routing key, and a dead-letter
//! exchange with one dead-letter queue per consumer.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

/// Where events go, under a namespace (so tests and environments can share one broker).
#[derive(Debug, Clone)]
pub struct Topology {
    namespace: String,
}

/// What one consuming service listens to.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// The consumer's name, e.g. `benefits`; names its queues.
    pub name: String,
    /// Routing keys to bind, e.g. `prescription.accepted.v1`.
    pub bindings: Vec<String>,
    /// Deliveries after which a message that keeps failing is dead-lettered. RabbitMQ 3.10
    /// sets no limit on quorum queues by default, so a poison message would loop forever.
    pub delivery_limit: u32,
}

impl Topology {
    pub fn new(namespace: impl Into<String>) -> Self {
        Self { namespace: namespace.into() }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The topic exchange every domain event is published to.
    pub fn events_exchange(&self) -> String {
        format!("{}.events", self.namespace)
    }

    /// The direct exchange rejected messages are dead-lettered to, keyed by consumer name.
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.namespace)
    }

    pub fn queue(&self, consumer: &str) -> String {
        format!("{}.{consumer}", self.namespace)
    }

    pub fn dead_letter_queue(&self, consumer: &str) -> String {
        format!("{}.{consumer}.dlq", self.namespace)
    }

    /// Declares both exchanges (idempotent).
    pub async fn declare_exchanges(&self, channel: &Channel) -> lapin::Result<()> {
        let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
        channel
            .exchange_declare(self.events_exchange().into(), ExchangeKind::Topic, durable, FieldTable::default())
            .await?;
        channel
            .exchange_declare(self.dead_letter_exchange().into(), ExchangeKind::Direct, durable, FieldTable::default())
            .await
    }

    /// Declares a consumer's quorum queue, its dead-letter queue and their bindings (idempotent).
    pub async fn declare_consumer(&self, channel: &Channel, spec: &ConsumerSpec) -> lapin::Result<()> {
        self.declare_exchanges(channel).await?;
        let durable = QueueDeclareOptions { durable: true, ..Default::default() };

        let dlq = self.dead_letter_queue(&spec.name);
        channel.queue_declare(dlq.clone().into(), durable, quorum_args()).await?;
        channel
            .queue_bind(
                dlq.into(),
                self.dead_letter_exchange().into(),
                spec.name.clone().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;

        let mut args = quorum_args();
        args.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongInt(i32::try_from(spec.delivery_limit).unwrap_or(i32::MAX)),
        );
        args.insert("x-dead-letter-exchange".into(), long_string(&self.dead_letter_exchange()));
        args.insert("x-dead-letter-routing-key".into(), long_string(&spec.name));
        let queue = self.queue(&spec.name);
        channel.queue_declare(queue.clone().into(), durable, args).await?;
        for key in &spec.bindings {
            channel
                .queue_bind(
                    queue.clone().into(),
                    self.events_exchange().into(),
                    ShortString::from(key.as_str()),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        Ok(())
    }

    /// Messages waiting in a queue, by a passive declare (no side effects).
    pub async fn depth(&self, channel: &Channel, queue: &str) -> lapin::Result<u32> {
        let passive = QueueDeclareOptions { passive: true, durable: true, ..Default::default() };
        let q = channel.queue_declare(queue.into(), passive, FieldTable::default()).await?;
        Ok(q.message_count())
    }
}

fn quorum_args() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), long_string("quorum"));
    args
}

fn long_string(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_live_under_the_namespace() {
        let t = Topology::new("rxbridge");
        assert_eq!(t.events_exchange(), "rxbridge.events");
        assert_eq!(t.queue("benefits"), "rxbridge.benefits");
        assert_eq!(t.dead_letter_queue("benefits"), "rxbridge.benefits.dlq");
    }
}
