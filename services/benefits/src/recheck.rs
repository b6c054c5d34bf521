//! Prescriptions whose check ended `needs_attention` because the payer could not answer are
//! checked again by themselves once the payer is back: the front desk should not have to notice
//! an outage and press a button. Each recheck that gets an answer publishes a new
//! `eligibility.checked.v1` (claims keep the newest); one that still finds the payer down only
//! moves the next attempt further out.
//!
//! Competing replicas never recheck the same prescription at once: a replica claims due rows
//! with `FOR UPDATE SKIP LOCKED` and pushes their next attempt a lease ahead.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::events;
use crate::store::{self, DueRecheck, StoreError};
use crate::summary::{Decision, Summary, reason};

/// Attempts after the first check before a prescription is left to a person.
pub const MAX_ATTEMPTS: u32 = 12;
/// How long a claimed recheck is reserved for the replica that claimed it.
const LEASE: Duration = Duration::from_secs(300);
/// Prescriptions claimed per round.
const BATCH: i64 = 16;

/// Whether a summary says the payer could not answer now (rather than answering no).
pub fn retryable(summary: &Summary) -> bool {
    summary.decision == Decision::NeedsAttention
        && matches!(summary.attention_reason.as_str(), reason::PAYER_UNAVAILABLE | reason::UNREADABLE_RESPONSE)
}

/// Doubling delays from `base` (`BENEFITS_RECHECK_SECONDS`, 30 s by default), capped at an
/// hour: a short outage is caught within a minute, a long one costs a payer at most one
/// inquiry an hour per prescription.
pub fn delay(base: Duration, attempts: u32) -> Duration {
    base.saturating_mul(1 << attempts.min(12)).min(Duration::from_secs(3600))
}

/// Runs a round every `every` (also the base delay between attempts) until `stop`.
pub async fn run(app: App, every: Duration, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match round(&app, every).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rechecked = n, "eligibility rechecks done"),
            Err(e) => tracing::warn!(error = %e, "eligibility recheck round failed; retrying next round"),
        }
    }
}

/// Rechecks every due prescription once; returns how many were tried.
pub async fn round(app: &App, base: Duration) -> Result<usize, StoreError> {
    let due = store::claim_due_rechecks(&app.pool, BATCH, LEASE).await?;
    for item in &due {
        recheck(app, item, base).await?;
    }
    Ok(due.len())
}

async fn recheck(app: &App, item: &DueRecheck, base: Duration) -> Result<(), StoreError> {
    let pool: &PgPool = &app.pool;
    let Some(coverage) = store::coverage(pool, &item.clinic_id, item.patient_id).await? else {
        return settle(pool, item, None).await;
    };
    let service_type = app.checker.service_type(&coverage.payer_id, "");
    // A recheck exists because the payer did not answer: never reuse an older answer.
    let performed = app.checker.ask_payer(pool, &coverage, &service_type, None).await?;
    if retryable(&performed.summary) {
        let next = (item.attempts < MAX_ATTEMPTS).then(|| delay(base, item.attempts));
        if next.is_none() {
            tracing::warn!(prescription_id = %item.prescription_id, "payer still unavailable; rechecks given up");
        }
        return settle(pool, item, next).await;
    }
    let fees = app.fees(&item.clinic_id).await?;
    let mut tx = rx_platform::tenancy::begin(pool, &item.clinic_id).await?;
    events::announce(&mut tx, &fees, &item.seen(), None, &performed, base, &app.checker.config.at_rest).await?;
    // Answered: no more rechecks (the claim moved the next attempt a lease ahead).
    store::schedule_recheck(&mut tx, &item.clinic_id, item.prescription_id, None).await?;
    tx.commit().await?;
    Ok(())
}

async fn settle(pool: &PgPool, item: &DueRecheck, next: Option<Duration>) -> Result<(), StoreError> {
    let mut tx = rx_platform::tenancy::begin(pool, &item.clinic_id).await?;
    store::schedule_recheck(&mut tx, &item.clinic_id, item.prescription_id, next).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_thirty_seconds_up_to_an_hour() {
        let secs: Vec<u64> = (0..10).map(|a| delay(Duration::from_secs(30), a).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    }

    #[test]
    fn only_an_unanswering_payer_is_asked_again() {
        let at = "2026-01-15T09:30:00Z".to_owned();
        assert!(retryable(&Summary::needs_attention("P", "AE", reason::PAYER_UNAVAILABLE, at.clone())));
        assert!(retryable(&Summary::needs_attention("P", "AE", reason::UNREADABLE_RESPONSE, at.clone())));
        assert!(!retryable(&Summary::needs_attention("P", "AE", reason::MEMBER_NOT_FOUND, at.clone())));
        assert!(!retryable(&Summary::needs_attention("P", "AE", reason::PAYER_NOT_CONFIGURED, at)));
    }
}
