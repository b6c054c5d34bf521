//! Writing events into the service's outbox table inside the caller's transaction, so the
//! event exists if and only if the state change that caused it was committed.
//!
//! The table lives in each service's own schema (see `migrations/<service>/`); the pool's
//! search path makes the unqualified name resolve there.
//!
//! Waking the relay: a transaction that runs `NOTIFY` takes a cluster-wide lock at commit and
//! holds it through the WAL flush, so notifying transactions commit one at a time. The hot
//! paths therefore run inside [`waking_relays`], which wakes this process's relays after the
//! work committed instead; an event written anywhere else still notifies at commit. Either way
//! the relay's poll finds every row a wake-up missed (e.g. one written by another process).

use std::cell::Cell;
use std::future::Future;
use std::sync::LazyLock;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::event::{CLINIC_HEADER, NewEvent};

tokio::task_local! {
    /// Set inside [`waking_relays`]; true once the work enqueued an event.
    static ENQUEUED: Cell<bool>;
}

/// Counts wake-ups; every relay of the process watches it.
static WAKE: LazyLock<tokio::sync::watch::Sender<u64>> = LazyLock::new(|| tokio::sync::watch::Sender::new(0));

/// A relay's view of the in-process wake-ups.
pub(crate) fn wake_ups() -> tokio::sync::watch::Receiver<u64> {
    WAKE.subscribe()
}

/// Wakes every outbox relay of this process (they look for committed rows at once).
pub fn wake_relays() {
    WAKE.send_modify(|n| *n = n.wrapping_add(1));
}

/// Runs `work`, which writes events with [`enqueue`] and commits its transactions before it
/// returns, then wakes this process's relays if it wrote any: its transactions skip `NOTIFY`.
/// Work that fails is followed by a wake-up too (its commit may have gone through); a spurious
/// wake-up costs one empty look at the outbox.
pub async fn waking_relays<F: Future>(work: F) -> F::Output {
    let (output, enqueued) = ENQUEUED
        .scope(Cell::new(false), async {
            let output = work.await;
            (output, ENQUEUED.with(Cell::get))
        })
        .await;
    if enqueued {
        wake_relays();
    }
    output
}

/// An event ready for the outbox, for a caller that writes it within a statement of its own
/// (one round trip for its change and its event): the columns of the `outbox` row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: Uuid,
    pub routing_key: String,
    pub clinic_id: String,
    pub payload: Vec<u8>,
    /// Trace context and clinic, for the relay to put on the message.
    pub headers: serde_json::Value,
}

/// The row that records `event`, carrying the current span's trace context. The caller inserts
/// it and then calls [`written`] in the same transaction.
pub fn row(event: &NewEvent) -> OutboxRow {
    let mut headers = rx_platform::telemetry::current_context_headers();
    headers.insert(CLINIC_HEADER.to_owned(), event.clinic_id.clone());
    OutboxRow {
        id: Uuid::now_v7(),
        routing_key: event.routing_key.clone(),
        clinic_id: event.clinic_id.clone(),
        payload: event.payload.clone(),
        headers: serde_json::to_value(headers).unwrap_or_default(),
    }
}

/// Adds an event to the outbox in the caller's transaction; the relay is woken after commit
/// (see the module docs). The current span's trace context travels with the event.
pub async fn enqueue(conn: &mut PgConnection, event: &NewEvent) -> Result<Uuid, sqlx::Error> {
    let row = row(event);
    sqlx::query("INSERT INTO outbox (id, routing_key, clinic_id, payload, headers) VALUES ($1, $2, $3, $4, $5)")
        .bind(row.id)
        .bind(&row.routing_key)
        .bind(&row.clinic_id)
        .bind(&row.payload)
        .bind(&row.headers)
        .execute(&mut *conn)
        .await?;
    written(conn).await?;
    Ok(row.id)
}

/// Arranges the relay's wake-up for an [`OutboxRow`] the caller's transaction has written.
pub async fn written(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    if ENQUEUED.try_with(|e| e.set(true)).is_err() {
        // Outside `waking_relays`: delivered at commit, once per transaction however many
        // events it wrote.
        sqlx::query("SELECT pg_notify(current_schema() || '_outbox', '')").execute(&mut *conn).await?;
    }
    Ok(())
}

/// Unsent events and the age in seconds of the oldest, for metrics and `rxbridge ops outbox`.
pub async fn backlog(pool: &sqlx::PgPool) -> Result<(i64, f64), sqlx::Error> {
    let mut tx = rx_platform::tenancy::begin_task(pool, rx_platform::tenancy::Task::Relay).await?;
    let figures = sqlx::query_as(
        "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at))::float8, 0)
         FROM outbox WHERE published_at IS NULL",
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(figures)
}
