//! The idempotent consumer: each message id is recorded in the service's inbox table in the
//! same transaction as the handler's effect, and the message is acknowledged only after that
//! commit. A redelivered message finds its id already there and has no second effect.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions,
};
use lapin::types::FieldTable;
use sqlx::{PgConnection, PgPool};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::backoff::Backoff;
use crate::event::Event;
use crate::topology::{ConsumerSpec, Topology};
use crate::{BROKER_TIMEOUT, MessagingError, within};

/// Why a handler did not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The database or a dependency is briefly unavailable: retried in place with backoff,
    /// then handed back to the broker.
    #[error("transient: {0}")]
    Transient(String),
    /// The handler failed: the message goes back to the queue and, after the queue's delivery
    /// limit, to the dead-letter queue.
    #[error("failed: {0}")]
    Failed(String),
    /// The message can never be handled (undecodable, wrong version): dead-lettered at once.
    #[error("poison: {0}")]
    Poison(String),
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        if rx_platform::db::is_transient(&e) { Self::Transient(e.to_string()) } else { Self::Failed(e.to_string()) }
    }
}

/// Applies one event inside the consumer's transaction. Everything it writes through `tx`
/// commits together with the inbox record, or not at all.
pub trait Handler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;

    /// Applies a batch's events (each with the span it is handled in) in one transaction. By
    /// default one after the other; a handler that waits on something slow overrides it to do
    /// every wait before the batch's first write, so the batch holds no lock while it waits.
    fn handle_all<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [(&'a Event, tracing::Span)],
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a {
        async move {
            for (event, span) in events {
                self.handle(&mut *tx, event).instrument(span.clone()).await?;
            }
            Ok(())
        }
    }
}

/// How a consumer runs.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Service name, for logs and metric labels.
    pub service: String,
    pub spec: ConsumerSpec,
    pub amqp_url: String,
    /// Unacknowledged messages in flight at once.
    pub prefetch: u16,
    /// Attempts in place for transient errors before the message goes back to the broker.
    pub transient_attempts: u32,
    /// Deliveries of one clinic applied in one transaction when several are already waiting
    /// (1: each alone). Saves a transaction and its commit per message under load; a batch
    /// that fails is applied again message by message. A batch holds its transaction for all
    /// its messages: only for handlers that wait on nothing slow, or whose
    /// [`Handler::handle_all`] does its waits at once and before writing.
    pub batch: usize,
}

/// Consumes one service's queue.
#[derive(Debug)]
pub struct Consumer<H> {
    pool: PgPool,
    topology: Topology,
    config: ConsumerConfig,
    handler: Arc<H>,
}

/// What happened to one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Processed,
    Duplicate,
}

impl<H: Handler> Consumer<H> {
    pub fn new(pool: PgPool, topology: Topology, config: ConsumerConfig, handler: H) -> Self {
        Self { pool, topology, config, handler: Arc::new(handler) }
    }

    /// Runs until `shutdown` is cancelled: stops taking deliveries, finishes the ones in
    /// flight, then closes. Reconnects with backoff when the broker goes away.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = Backoff::default();
        let name = format!("rxbridge-{}-consumer", self.config.service);
        while let Some(connection) = crate::amqp::connect(&self.config.amqp_url, &name, &shutdown).await {
            match self.consume_until_error(&connection, &shutdown).await {
                Ok(()) => {
                    let _ = within(BROKER_TIMEOUT, "connection close", connection.close(200, "shutdown".into())).await;
                    return;
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %e, service = %self.config.service, retry_in_ms = delay.as_millis() as u64, "consumer lost the broker");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    async fn consume_until_error(
        &self,
        connection: &lapin::Connection,
        shutdown: &CancellationToken,
    ) -> Result<(), MessagingError> {
        let channel = within(BROKER_TIMEOUT, "channel open", connection.create_channel()).await?;
        within(BROKER_TIMEOUT, "qos", channel.basic_qos(self.config.prefetch, BasicQosOptions::default())).await?;
        within(BROKER_TIMEOUT, "queue declarations", self.topology.declare_consumer(&channel, &self.config.spec))
            .await?;
        let queue = self.topology.queue(&self.config.spec.name);
        let tag = format!("{}-{}", self.config.service, uuid::Uuid::new_v4());
        let consume = channel.basic_consume(
            queue.as_str().into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        );
        let mut deliveries = within(BROKER_TIMEOUT, "consume", consume).await?;
        tracing::info!(service = %self.config.service, queue = %queue, "consuming");
        let mut in_flight = JoinSet::new();
        // A handler holds its transaction's connection and may take one more from the pool:
        // more handlers at once than half the pool would leave them all waiting for a second
        // connection (and hand their messages back towards the dead-letter queue).
        let limit = usize::try_from(self.pool.options().get_max_connections() / 2).unwrap_or(1).max(1);
        let mut monitor = tokio::time::interval(Duration::from_secs(5));
        let result = loop {
            tokio::select! {
                () = shutdown.cancelled() => {
                    let cancel = channel.basic_cancel(tag.as_str().into(), BasicCancelOptions::default());
                    let _ = within(BROKER_TIMEOUT, "consumer cancel", cancel).await;
                    break Ok(());
                }
                _ = monitor.tick() => {
                    // a connection whose I/O ended without closing the delivery stream would
                    // otherwise leave this loop waiting for deliveries that never come
                    if !connection.status().connected() {
                        break Err(MessagingError::ConnectionLost);
                    }
                    self.report_depths(&channel).await;
                }
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                next = deliveries.next(), if in_flight.len() < limit => match next {
                    Some(Ok(delivery)) => {
                        // the deliveries already here join this one; none is waited for
                        let mut batch = vec![delivery];
                        let mut ended = None;
                        while batch.len() < self.config.batch {
                            match deliveries.next().now_or_never() {
                                Some(Some(Ok(d))) => batch.push(d),
                                Some(Some(Err(e))) => {
                                    ended = Some(MessagingError::from(e));
                                    break;
                                }
                                Some(None) => {
                                    ended = Some(MessagingError::ConnectionLost);
                                    break;
                                }
                                None => break,
                            }
                        }
                        let pool = self.pool.clone();
                        let handler = self.handler.clone();
                        let config = self.config.clone();
                        in_flight.spawn(async move { process_batch(&pool, handler.as_ref(), &config, batch).await });
                        if let Some(e) = ended {
                            break Err(e);
                        }
                    }
                    Some(Err(e)) => break Err(e.into()),
                    None => break Err(MessagingError::ConnectionLost),
                }
            }
        };
        // Let the handlers in flight finish and acknowledge before the channel closes; one that
        // is still running after the bound is stopped (its transaction rolls back and the broker
        // delivers the message again).
        let drained = tokio::time::timeout(BROKER_TIMEOUT, async { while in_flight.join_next().await.is_some() {} });
        if drained.await.is_err() {
            tracing::warn!(service = %self.config.service, stopped = in_flight.len(), "handlers did not finish in time");
            in_flight.shutdown().await;
        }
        let _ = within(BROKER_TIMEOUT, "channel close", channel.close(200, "done".into())).await;
        result
    }

    async fn report_depths(&self, channel: &lapin::Channel) {
        let name = &self.config.spec.name;
        let queue = self.topology.queue(name);
        if let Ok(depth) = within(BROKER_TIMEOUT, "queue depth", self.topology.depth(channel, &queue)).await {
            metrics::gauge!("consumer_queue_depth", "service" => self.config.service.clone()).set(f64::from(depth));
        }
        let dead_letters = self.topology.dead_letter_queue(name);
        if let Ok(depth) = within(BROKER_TIMEOUT, "queue depth", self.topology.depth(channel, &dead_letters)).await {
            metrics::gauge!("dead_letter_queue_depth", "service" => self.config.service.clone()).set(f64::from(depth));
        }
    }
}

/// The span a message is handled in, continuing the trace that wrote it.
fn consume_span(event: &Event) -> tracing::Span {
    let span = tracing::info_span!(
        "consume",
        otel.name = %event.routing_key,
        messaging.destination = %event.routing_key,
        messaging.message_id = %event.id,
        trace_id = tracing::field::Empty,
    );
    rx_platform::telemetry::continue_trace(&span, &rx_platform::telemetry::MapCarrier(event.headers.clone()));
    span
}

/// Tells the broker what became of a delivery (an answer it never takes, its connection gone,
/// is dropped after the bound: the broker redelivers and the inbox drops the repeat).
async fn answer(service: &str, delivery: &Delivery, outcome: Result<Outcome, HandlerError>) {
    let label = match outcome {
        Ok(Outcome::Processed) => {
            let _ = within(BROKER_TIMEOUT, "ack", delivery.ack(BasicAckOptions::default())).await;
            "processed"
        }
        Ok(Outcome::Duplicate) => {
            tracing::info!("duplicate delivery acknowledged without effect");
            let _ = within(BROKER_TIMEOUT, "ack", delivery.ack(BasicAckOptions::default())).await;
            "duplicate"
        }
        Err(HandlerError::Poison(reason)) => {
            tracing::warn!(%reason, "poison message dead-lettered");
            let _ = within(BROKER_TIMEOUT, "reject", delivery.reject(BasicRejectOptions { requeue: false })).await;
            "rejected"
        }
        Err(e) => {
            tracing::warn!(error = %e, "event handling failed; returned to the queue");
            let nack = delivery.nack(BasicNackOptions { requeue: true, multiple: false });
            let _ = within(BROKER_TIMEOUT, "nack", nack).await;
            "failed"
        }
    };
    metrics::counter!("consumer_messages_total", "service" => service.to_owned(), "outcome" => label).increment(1);
}

async fn process<H: Handler>(pool: &PgPool, handler: &H, config: &ConsumerConfig, delivery: Delivery) {
    let Some(event) = Event::from_delivery(&delivery) else {
        tracing::warn!(service = %config.service, "message without id dead-lettered");
        let _ = within(BROKER_TIMEOUT, "reject", delivery.reject(BasicRejectOptions { requeue: false })).await;
        metrics::counter!("consumer_messages_total", "service" => config.service.clone(), "outcome" => "rejected")
            .increment(1);
        return;
    };
    let span = consume_span(&event);
    async {
        let outcome = handle_with_retries(pool, handler, &event, config.transient_attempts).await;
        answer(&config.service, &delivery, outcome).await;
    }
    .instrument(span)
    .await;
}

/// Applies the deliveries of each clinic in one transaction; one that cannot join a batch, a
/// clinic with a single delivery and a batch that fails go through [`process`] one by one.
async fn process_batch<H: Handler>(pool: &PgPool, handler: &H, config: &ConsumerConfig, deliveries: Vec<Delivery>) {
    metrics::histogram!("consumer_batch_messages", "service" => config.service.clone()).record(deliveries.len() as f64);
    let mut waiting: Vec<(Event, Delivery)> = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        match Event::from_delivery(&delivery) {
            Some(event) if !event.clinic_id.is_empty() => waiting.push((event, delivery)),
            _ => process(pool, handler, config, delivery).await,
        }
    }
    while let Some(clinic) = waiting.first().map(|(e, _)| e.clinic_id.clone()) {
        let (group, rest): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|(e, _)| e.clinic_id == clinic);
        waiting = rest;
        if group.len() > 1 {
            let events: Vec<(&Event, tracing::Span)> = group.iter().map(|(e, _)| (e, consume_span(e))).collect();
            match crate::outbox::waking_relays(apply_together(pool, handler, &clinic, &events)).await {
                Ok(outcomes) => {
                    for (((_, span), (_, delivery)), outcome) in events.iter().zip(&group).zip(outcomes) {
                        answer(&config.service, delivery, Ok(outcome)).instrument(span.clone()).await;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::info!(error = %e, messages = group.len(), "a batch failed; its messages go one by one");
                }
            }
        }
        for (_, delivery) in group {
            process(pool, handler, config, delivery).await;
        }
    }
}

/// Applies events of one clinic in one transaction: one inbox insert for all, each fresh one
/// handled in its own span, one commit. Any failure rolls all of them back.
async fn apply_together<H: Handler>(
    pool: &PgPool,
    handler: &H,
    clinic: &str,
    events: &[(&Event, tracing::Span)],
) -> Result<Vec<Outcome>, HandlerError> {
    let mut tx = rx_platform::tenancy::begin(pool, clinic).await?;
    let ids: Vec<&str> = events.iter().map(|(e, _)| e.id.as_str()).collect();
    let keys: Vec<&str> = events.iter().map(|(e, _)| e.routing_key.as_str()).collect();
    let mut fresh: std::collections::HashSet<String> = sqlx::query_scalar(
        "INSERT INTO inbox (message_id, routing_key) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT DO NOTHING RETURNING message_id",
    )
    .bind(&ids)
    .bind(&keys)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    let mut outcomes = Vec::with_capacity(events.len());
    let mut applied = Vec::with_capacity(events.len());
    for (event, span) in events {
        // a message id twice in one batch takes effect once, like a redelivery
        if fresh.remove(&event.id) {
            applied.push((*event, span.clone()));
            outcomes.push(Outcome::Processed);
        } else {
            outcomes.push(Outcome::Duplicate);
        }
    }
    handler.handle_all(&mut tx, &applied).await?;
    tx.commit().await?;
    Ok(outcomes)
}

async fn handle_with_retries<H: Handler>(
    pool: &PgPool,
    handler: &H,
    event: &Event,
    attempts: u32,
) -> Result<Outcome, HandlerError> {
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(5));
    let mut attempt = 1;
    loop {
        // The event the handler writes is published as soon as its transaction commits.
        match crate::outbox::waking_relays(handle_once(pool, handler, event)).await {
            Err(HandlerError::Transient(reason)) if attempt < attempts => {
                tracing::info!(%reason, attempt, "transient failure; retrying");
                tokio::time::sleep(backoff.next_delay()).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn handle_once<H: Handler>(pool: &PgPool, handler: &H, event: &Event) -> Result<Outcome, HandlerError> {
    if event.clinic_id.is_empty() {
        // every event we publish names its clinic; one that does not cannot be kept apart
        return Err(HandlerError::Poison("event without a clinic id header".into()));
    }
    // the handler sees and writes only the clinic the event belongs to (set with the begin, in
    // one round trip; the inbox itself holds no patient data)
    let mut tx = rx_platform::tenancy::begin(pool, &event.clinic_id).await?;
    let fresh = sqlx::query("INSERT INTO inbox (message_id, routing_key) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(&event.id)
        .bind(&event.routing_key)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if !fresh {
        tx.rollback().await?;
        return Ok(Outcome::Duplicate);
    }
    handler.handle(&mut tx, event).await?;
    tx.commit().await?;
    Ok(Outcome::Processed)
}
