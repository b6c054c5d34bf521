//! The outbox relay: publishes committed outbox rows to the events exchange with publisher
//! confirms, and marks them sent only after the broker confirmed them. If the broker or the
//! process dies in between, the rows are published again and consumers drop the repeat.
//! Several replicas can run at once: each batch is claimed with `FOR UPDATE SKIP LOCKED`.
//!
//! Where a look starts: published rows keep their entry in the partial index of unsent rows
//! until vacuum removes it, so a look from the start of that index steps over every row sent
//! since the last vacuum (thousands under load, more with each second). A look therefore starts
//! a little before the oldest row the previous look found ([`Cursor`]); a row whose id is older
//! than that (its transaction committed long after taking the id, a replica locked it, its
//! writer's clock lags) is found by a look from the start, made at least every `poll_interval`.

use std::time::{Duration, Instant};

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel};
use rx_platform::tenancy::{self, Task};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::backoff::Backoff;
use crate::topology::{ConsumerSpec, Topology};
use crate::{BROKER_TIMEOUT, MessagingError, within};

/// How the relay runs.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Service name, for logs and metric labels.
    pub service: String,
    /// The service's schema: its notification channel is `<schema>_outbox`.
    pub schema: String,
    pub amqp_url: String,
    /// Rows published per transaction.
    pub batch_size: i64,
    /// How often to look for rows when no notification arrives (covers missed notifications).
    pub poll_interval: Duration,
    /// How long published rows are kept (for audits and replays) before they are pruned.
    pub retention: Duration,
    /// Every consumer of the system: their queues are declared before anything is published,
    /// so an event is never dropped for want of a queue when a producer starts first.
    pub consumers: Vec<ConsumerSpec>,
}

/// Publishes the outbox of one service.
#[derive(Debug)]
pub struct Relay {
    pool: PgPool,
    topology: Topology,
    config: RelayConfig,
}

type OutboxRow = (Uuid, String, Vec<u8>, serde_json::Value);

/// How far before the oldest row of the last look the next one starts: longer than a writer's
/// transaction takes from its event's id (a UUIDv7, stamped at enqueue) to its commit.
const LOOK_BACK: Duration = Duration::from_secs(2);

/// Where the next look at the outbox starts.
#[derive(Debug)]
struct Cursor {
    from: Uuid,
    last_full_look: Option<Instant>,
}

impl Cursor {
    fn new() -> Self {
        Self { from: Uuid::nil(), last_full_look: None }
    }

    /// The id to look from now: the start of the outbox when a full look is due.
    fn start(&mut self, every: Duration) -> Uuid {
        if self.last_full_look.is_none_or(|at| at.elapsed() >= every) {
            self.last_full_look = Some(Instant::now());
            return Uuid::nil();
        }
        self.from
    }

    /// Moves the start to [`LOOK_BACK`] before `oldest`, the first row a look found.
    fn found(&mut self, oldest: Uuid) {
        self.from = before(oldest, LOOK_BACK);
    }
}

/// The smallest UUIDv7 stamped `by` earlier than `id` (nil for an id that is not a v7).
fn before(id: Uuid, by: Duration) -> Uuid {
    let Some(stamp) = id.get_timestamp() else { return Uuid::nil() };
    let (secs, nanos) = stamp.to_unix();
    let millis = u128::from(secs) * 1000 + u128::from(nanos / 1_000_000);
    // a v7 id is its 48-bit Unix millisecond stamp followed by version and random bits
    Uuid::from_u128(millis.saturating_sub(by.as_millis()) << 80)
}

impl Relay {
    pub fn new(pool: PgPool, topology: Topology, config: RelayConfig) -> Self {
        Self { pool, topology, config }
    }

    /// Runs until `shutdown` is cancelled, reconnecting to the broker and database as needed.
    pub async fn run(self, shutdown: CancellationToken) {
        let wake = std::sync::Arc::new(Notify::new());
        let listener = tokio::spawn(listen(
            self.pool.clone(),
            format!("{}_outbox", self.config.schema),
            wake.clone(),
            shutdown.clone(),
        ));
        // The backlog gauges come from the database, so they keep moving while the broker is
        // away: that is when operators need them.
        let gauges = tokio::spawn(report_backlog(self.pool.clone(), self.config.service.clone(), shutdown.clone()));
        let mut backoff = Backoff::default();
        let name = format!("rxbridge-{}-relay", self.config.service);
        while let Some(connection) = crate::amqp::connect(&self.config.amqp_url, &name, &shutdown).await {
            match self.publish_until_error(&connection, &wake, &shutdown, &mut backoff).await {
                Ok(()) => {
                    let _ = within(BROKER_TIMEOUT, "connection close", connection.close(200, "shutdown".into())).await;
                    break;
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %e, service = %self.config.service, retry_in_ms = delay.as_millis() as u64, "outbox relay lost the broker");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
        let _ = listener.await;
        let _ = gauges.await;
    }

    async fn publish_until_error(
        &self,
        connection: &lapin::Connection,
        wake: &Notify,
        shutdown: &CancellationToken,
        backoff: &mut Backoff,
    ) -> Result<(), MessagingError> {
        let channel = within(BROKER_TIMEOUT, "channel open", connection.create_channel()).await?;
        within(BROKER_TIMEOUT, "confirm mode", channel.confirm_select(ConfirmSelectOptions::default())).await?;
        within(BROKER_TIMEOUT, "exchange declarations", self.topology.declare_exchanges(&channel)).await?;
        for spec in &self.config.consumers {
            within(BROKER_TIMEOUT, "queue declarations", self.topology.declare_consumer(&channel, spec)).await?;
        }
        let mut last_housekeeping = Instant::now() - Duration::from_secs(3600);
        let mut local = crate::outbox::wake_ups();
        let mut cursor = Cursor::new();
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            if last_housekeeping.elapsed() > Duration::from_secs(5) {
                self.housekeeping().await;
                last_housekeeping = Instant::now();
            }
            // Seen before looking: a commit after this point wakes the wait below.
            local.borrow_and_update();
            // a batch whose confirms never come (the connection died under them) is given up:
            // its rows stay unsent and go out again on the next connection
            match within(BROKER_TIMEOUT, "an outbox batch", self.publish_batch(&channel, &mut cursor)).await {
                Ok(0) => {
                    backoff.reset();
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = wake.notified() => {}
                        _ = local.changed() => {}
                        () = tokio::time::sleep(self.config.poll_interval) => {}
                    }
                }
                Ok(_) => backoff.reset(),
                Err(MessagingError::Database(e)) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %e, service = %self.config.service, "outbox relay cannot read the outbox");
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = tokio::time::sleep(delay) => {}
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// Publishes one batch, looking from where `cursor` says; returns how many rows it sent.
    async fn publish_batch(&self, channel: &Channel, cursor: &mut Cursor) -> Result<usize, MessagingError> {
        let mut tx = tenancy::begin_task(&self.pool, Task::Relay).await?;
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT id, routing_key, payload, headers FROM outbox
             WHERE published_at IS NULL AND id >= $2 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(self.config.batch_size)
        .bind(cursor.start(self.config.poll_interval))
        .fetch_all(&mut *tx)
        .await?;
        let Some(oldest) = rows.first() else {
            tx.rollback().await?;
            return Ok(0);
        };
        cursor.found(oldest.0);
        let exchange = self.topology.events_exchange();
        let mut confirms = Vec::with_capacity(rows.len());
        for (id, routing_key, payload, headers) in &rows {
            let properties = properties(*id, routing_key, headers);
            let confirm = channel
                .basic_publish(
                    exchange.as_str().into(),
                    routing_key.as_str().into(),
                    BasicPublishOptions::default(),
                    payload,
                    properties,
                )
                .await?;
            confirms.push(confirm);
        }
        for confirm in confirms {
            if confirm.await?.is_nack() {
                return Err(MessagingError::NotConfirmed);
            }
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)").bind(&ids).execute(&mut *tx).await?;
        tx.commit().await?;
        metrics::counter!("outbox_published_total", "service" => self.config.service.clone())
            .increment(ids.len() as u64);
        Ok(ids.len())
    }

    /// Prunes rows published longer ago than the retention.
    async fn housekeeping(&self) {
        let retention = format!("{} seconds", self.config.retention.as_secs());
        if let Ok(mut tx) = tenancy::begin_task(&self.pool, Task::Relay).await {
            let pruned = sqlx::query("DELETE FROM outbox WHERE published_at < now() - $1::interval")
                .bind(&retention)
                .execute(&mut *tx)
                .await;
            if pruned.is_ok() {
                let _ = tx.commit().await;
            }
        }
        let _ = sqlx::query("DELETE FROM inbox WHERE processed_at < now() - $1::interval")
            .bind(&retention)
            .execute(&self.pool)
            .await;
    }
}

fn properties(id: Uuid, routing_key: &str, headers: &serde_json::Value) -> BasicProperties {
    let mut table = FieldTable::default();
    if let Some(map) = headers.as_object() {
        for (k, v) in map {
            if let Some(s) = v.as_str() {
                table.insert(ShortString::from(k.as_str()), AMQPValue::LongString(LongString::from(s)));
            }
        }
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    BasicProperties::default()
        .with_message_id(id.to_string().into())
        .with_type(routing_key.into())
        .with_content_type("application/x-protobuf".into())
        .with_delivery_mode(2)
        .with_timestamp(now)
        .with_headers(table)
}

/// Forwards `NOTIFY <channel>` to `wake`; reconnects on its own when the database drops.
async fn listen(pool: PgPool, channel: String, wake: std::sync::Arc<Notify>, shutdown: CancellationToken) {
    let mut backoff = Backoff::default();
    while !shutdown.is_cancelled() {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(_) => {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(backoff.next_delay()) => continue,
                }
            }
        };
        if listener.listen(&channel).await.is_err() {
            continue;
        }
        backoff.reset();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                received = listener.recv() => match received {
                    Ok(_) => wake.notify_one(),
                    Err(_) => break,
                },
            }
        }
    }
}

/// Sets `outbox_backlog` and `outbox_oldest_unsent_seconds` every two seconds until `shutdown`.
async fn report_backlog(pool: sqlx::PgPool, service: String, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(2));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        if let Ok((count, oldest)) = crate::outbox::backlog(&pool).await {
            metrics::gauge!("outbox_backlog", "service" => service.clone()).set(count as f64);
            metrics::gauge!("outbox_oldest_unsent_seconds", "service" => service.clone()).set(oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_starts_a_little_before_the_oldest_row_found() {
        let id = Uuid::now_v7();
        let start = before(id, Duration::from_secs(2));
        let stamp = |u: Uuid| u.as_u128() >> 80;
        assert!(start < id);
        assert_eq!(stamp(id) - stamp(start), 2000);
        // every id stamped in the same millisecond as the start sorts at or after it
        assert!(before(id, Duration::ZERO) <= id);
        assert_eq!(before(Uuid::new_v4(), Duration::from_secs(2)), Uuid::nil(), "not a v7: from the start");
    }

    #[test]
    fn a_look_from_the_start_comes_at_least_every_poll_interval() {
        let mut cursor = Cursor::new();
        let every = Duration::from_secs(3600);
        assert_eq!(cursor.start(every), Uuid::nil(), "the first look is a full one");
        let found = Uuid::now_v7();
        cursor.found(found);
        let from = cursor.start(every);
        assert!(from > Uuid::nil() && from < found);
        assert_eq!(cursor.start(Duration::ZERO), Uuid::nil(), "a full look is due");
    }
}
