//! Writing events into the service's outbox table inside the caller's transaction, so the
//! event exists if and only if the state change that caused it was committed.
//!
//! The table lives in each service's own schema (see `migrations/<service>/`); the pool's
//! search path makes the unqualified name resolve there.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::event::{CLINIC_HEADER, NewEvent};

/// Adds an event to the outbox in the caller's transaction and wakes the relay on commit.
/// The current span's trace context travels with the event.
pub async fn enqueue(conn: &mut PgConnection, event: &NewEvent) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let mut headers = rx_platform::telemetry::current_context_headers();
    headers.insert(CLINIC_HEADER.to_owned(), event.clinic_id.clone());
    let headers = serde_json::to_value(headers).unwrap_or_default();
    sqlx::query("INSERT INTO outbox (id, routing_key, clinic_id, payload, headers) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(&event.routing_key)
        .bind(&event.clinic_id)
        .bind(&event.payload)
        .bind(headers)
        .execute(&mut *conn)
        .await?;
    // Delivered at commit, once per transaction however many events it wrote.
    sqlx::query("SELECT pg_notify(current_schema() || '_outbox', '')").execute(&mut *conn).await?;
    Ok(id)
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
