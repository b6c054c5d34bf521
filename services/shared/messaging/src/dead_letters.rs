//! Operators' handling of a consumer's dead-letter queue: list what is there (ids and death
//! records only, never payloads: they carry patient data), replay messages to the exchange and
//! routing key they were first published with, and purge.
//!
//! Messages are taken with `basic.get` and no auto-ack, so nothing leaves the queue until it
//! is acknowledged: a replayed message is acknowledged only after the broker confirmed its
//! republication, and everything else is handed back. If the tool dies midway, the broker
//! returns the unacknowledged messages to the queue by itself.

use lapin::Confirmation;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ConnectionProperties};

use crate::MessagingError;
use crate::topology::Topology;

/// One dead-lettered message as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The event id (the producer's outbox row id); `None` for a message published without one.
    pub message_id: Option<String>,
    /// Where the message was first published: a replay sends it there again.
    pub exchange: String,
    pub routing_key: String,
    /// How many times it was dead-lettered, over every queue it died in.
    pub death_count: u64,
    /// Why it died last: `rejected` (poison), `delivery_limit`, `expired`, ...
    pub reason: String,
    /// When it first died, in seconds since the Unix epoch.
    pub first_death_at: Option<u64>,
}

impl DeadLetter {
    /// The first death as an RFC 3339 UTC time.
    pub fn first_death_rfc3339(&self) -> Option<String> {
        let secs = i64::try_from(self.first_death_at?).ok()?;
        let at = time::OffsetDateTime::from_unix_timestamp(secs).ok()?;
        at.format(&time::format_description::well_known::Rfc3339).ok()
    }
}

/// Which dead letters a replay takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    One(String),
    All,
}

/// What a replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Republished, confirmed, and removed from the dead-letter queue.
    pub replayed: usize,
    /// Selected but left in place: no death record tells where they came from.
    pub skipped: usize,
}

/// An open dead-letter queue of one consumer.
#[derive(Debug)]
pub struct DeadLetters {
    connection: Connection,
    channel: Channel,
    queue: String,
}

impl DeadLetters {
    /// Connects once (no retry: an operator's command should fail fast) and checks that the
    /// consumer's dead-letter queue exists.
    pub async fn open(amqp_url: &str, topology: &Topology, consumer: &str) -> Result<Self, MessagingError> {
        let props = ConnectionProperties::default().with_connection_name("rxbridge-ops".into());
        let connection = Connection::connect(amqp_url, props).await?;
        let queue = topology.dead_letter_queue(consumer);
        let probe = connection.create_channel().await?;
        if topology.depth(&probe, &queue).await.is_err() {
            let _ = connection.close(200, "done".into()).await;
            return Err(MessagingError::NoQueue(queue));
        }
        let channel = connection.create_channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        Ok(Self { connection, channel, queue })
    }

    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// Every message in the queue, oldest first; the queue is left as it was.
    pub async fn list(&self) -> Result<Vec<DeadLetter>, MessagingError> {
        let deliveries = self.take_all().await?;
        let letters = deliveries.iter().map(describe).collect();
        for delivery in &deliveries {
            hand_back(delivery).await?;
        }
        Ok(letters)
    }

    /// Republishes the selected messages where they were first published and removes each from
    /// the queue once the broker confirmed it. A message confirmed but not yet removed when the
    /// connection drops stays here too: consumers drop the second copy by its id.
    pub async fn replay(&self, selection: &Selection) -> Result<Replayed, MessagingError> {
        let deliveries = self.take_all().await?;
        let mut report = Replayed::default();
        let mut failure = None;
        for delivery in &deliveries {
            let letter = describe(delivery);
            let selected = match selection {
                Selection::All => true,
                Selection::One(id) => letter.message_id.as_deref() == Some(id.as_str()),
            };
            if !selected || failure.is_some() {
                hand_back(delivery).await?;
                continue;
            }
            if letter.exchange.is_empty() && letter.routing_key.is_empty() {
                report.skipped += 1;
                hand_back(delivery).await?;
                continue;
            }
            match self.republish(delivery, &letter).await {
                Ok(()) => {
                    delivery.ack(BasicAckOptions::default()).await?;
                    report.replayed += 1;
                }
                Err(e) => {
                    hand_back(delivery).await?;
                    failure = Some(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Deletes every message in the queue; returns how many there were.
    pub async fn purge(&self) -> Result<u32, MessagingError> {
        Ok(self.channel.queue_purge(self.queue.as_str().into(), Default::default()).await?)
    }

    pub async fn close(self) {
        let _ = self.channel.close(200, "done".into()).await;
        let _ = self.connection.close(200, "done".into()).await;
    }

    /// Takes every message without acknowledging it: each is held until acked or handed back.
    async fn take_all(&self) -> Result<Vec<Delivery>, MessagingError> {
        let mut taken = Vec::new();
        while let Some(message) =
            self.channel.basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: false }).await?
        {
            taken.push(message.delivery);
        }
        Ok(taken)
    }

    async fn republish(&self, delivery: &Delivery, letter: &DeadLetter) -> Result<(), MessagingError> {
        let properties = delivery.properties.clone().with_headers(without_broker_headers(&delivery.properties));
        let confirm = self
            .channel
            .basic_publish(
                letter.exchange.as_str().into(),
                letter.routing_key.as_str().into(),
                // Mandatory: a message no queue takes comes back, and then stays dead-lettered.
                BasicPublishOptions { mandatory: true, ..Default::default() },
                &delivery.data,
                properties,
            )
            .await?
            .await?;
        match confirm {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(_)) => Err(MessagingError::Unroutable),
            Confirmation::Nack(_) | Confirmation::NotRequested => Err(MessagingError::NotConfirmed),
        }
    }
}

async fn hand_back(delivery: &Delivery) -> Result<(), MessagingError> {
    delivery.nack(BasicNackOptions { requeue: true, multiple: false }).await?;
    Ok(())
}

/// The application's headers (trace context, clinic), without the broker's death records and
/// delivery counters, so a replayed message starts afresh.
fn without_broker_headers(properties: &lapin::BasicProperties) -> FieldTable {
    let mut table = FieldTable::default();
    if let Some(headers) = properties.headers() {
        for (key, value) in headers {
            if !key.as_str().starts_with("x-") {
                table.insert(key.clone(), value.clone());
            }
        }
    }
    table
}

/// Reads the broker's `x-death` records: entries are most recent first, and the oldest one
/// names the exchange and routing keys the message was originally published with.
pub fn describe(delivery: &Delivery) -> DeadLetter {
    let headers = delivery.properties.headers().clone().unwrap_or_default();
    read_deaths(delivery.properties.message_id().as_ref().map(|id| id.as_str()), &headers)
}

fn read_deaths(message_id: Option<&str>, headers: &FieldTable) -> DeadLetter {
    let deaths: Vec<&FieldTable> = match headers.inner().get("x-death") {
        Some(AMQPValue::FieldArray(entries)) => entries
            .as_slice()
            .iter()
            .filter_map(|e| match e {
                AMQPValue::FieldTable(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let oldest = deaths.last();
    let exchange = headers
        .inner()
        .get("x-first-death-exchange")
        .and_then(text)
        .or_else(|| oldest.and_then(|t| t.inner().get("exchange")).and_then(text))
        .unwrap_or_default();
    let routing_key = oldest
        .and_then(|t| t.inner().get("routing-keys"))
        .and_then(|keys| match keys {
            AMQPValue::FieldArray(a) => a.as_slice().first().and_then(text),
            _ => None,
        })
        .unwrap_or_default();
    DeadLetter {
        message_id: message_id.map(str::to_owned),
        exchange,
        routing_key,
        death_count: deaths.iter().filter_map(|t| t.inner().get("count").and_then(number)).sum(),
        reason: deaths.first().and_then(|t| t.inner().get("reason")).and_then(text).unwrap_or_default(),
        first_death_at: deaths.iter().filter_map(|t| t.inner().get("time").and_then(number)).min(),
    }
}

fn text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

fn number(value: &AMQPValue) -> Option<u64> {
    match value {
        AMQPValue::Timestamp(n) => Some(*n),
        AMQPValue::LongLongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::LongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::LongUInt(n) => Some(u64::from(*n)),
        AMQPValue::ShortInt(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use lapin::types::{FieldArray, LongString};

    use super::*;

    fn s(v: &str) -> AMQPValue {
        AMQPValue::LongString(LongString::from(v))
    }

    fn death(queue: &str, reason: &str, count: i64, time: u64, exchange: &str, key: &str) -> AMQPValue {
        let mut t = FieldTable::default();
        t.insert("queue".into(), s(queue));
        t.insert("reason".into(), s(reason));
        t.insert("count".into(), AMQPValue::LongLongInt(count));
        t.insert("time".into(), AMQPValue::Timestamp(time));
        t.insert("exchange".into(), s(exchange));
        t.insert("routing-keys".into(), AMQPValue::FieldArray(FieldArray::from(vec![s(key)])));
        AMQPValue::FieldTable(t)
    }

    #[test]
    fn the_oldest_death_names_where_the_message_came_from() {
        let mut headers = FieldTable::default();
        headers.insert("x-first-death-exchange".into(), s("ns.events"));
        headers.insert("traceparent".into(), s("00-abc-def-01"));
        headers.insert(
            "x-death".into(),
            AMQPValue::FieldArray(FieldArray::from(vec![
                death("ns.claims", "rejected", 1, 2_000, "ns.events", "eligibility.checked.v1"),
                death("ns.benefits", "delivery_limit", 2, 1_000, "ns.events", "prescription.accepted.v1"),
            ])),
        );
        let letter = read_deaths(Some("id-1"), &headers);
        assert_eq!(letter.message_id.as_deref(), Some("id-1"));
        assert_eq!(letter.exchange, "ns.events");
        assert_eq!(letter.routing_key, "prescription.accepted.v1");
        assert_eq!(letter.death_count, 3);
        assert_eq!(letter.reason, "rejected");
        assert_eq!(letter.first_death_at, Some(1_000));
        assert_eq!(letter.first_death_rfc3339().as_deref(), Some("1970-01-01T00:16:40Z"));
    }

    #[test]
    fn a_message_without_death_records_has_nowhere_to_go_back_to() {
        let letter = read_deaths(None, &FieldTable::default());
        assert_eq!(letter.message_id, None);
        assert!(letter.exchange.is_empty() && letter.routing_key.is_empty());
        assert_eq!(letter.death_count, 0);
        assert_eq!(letter.first_death_at, None);
    }

    #[test]
    fn broker_headers_are_dropped_before_a_replay() {
        let mut headers = FieldTable::default();
        headers.insert("x-death".into(), AMQPValue::FieldArray(FieldArray::default()));
        headers.insert("x-delivery-count".into(), AMQPValue::LongInt(3));
        headers.insert("clinic_id".into(), s("clinic-a"));
        let kept = without_broker_headers(&lapin::BasicProperties::default().with_headers(headers));
        let keys: Vec<&str> = kept.inner().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, vec!["clinic_id"]);
    }
}
