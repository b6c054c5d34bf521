//! Every SQL statement of the benefits service; database errors are translated here, once.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rx_messaging::outbox::OutboxRow;
use sqlx::{PgConnection, PgPool, Row};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::summary::Summary;

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Connection trouble or a serialization conflict: worth retrying.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if rx_platform::db::is_transient(&e) { Self::Unavailable(e) } else { Self::Database(e) }
    }
}

impl From<StoreError> for rx_messaging::HandlerError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(e) => Self::Transient(e.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// How the patient relates to the policy holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relationship {
    Subscriber,
    Dependent,
}

impl Relationship {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subscriber => "subscriber",
            Self::Dependent => "dependent",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "dependent" { Self::Dependent } else { Self::Subscriber }
    }
}

/// A patient's coverage (PHI: its `Debug` shows ids only).
#[derive(Clone, PartialEq, Eq)]
pub struct Coverage {
    pub clinic_id: String,
    pub patient_id: Uuid,
    pub payer_id: String,
    pub member_id: String,
    pub relationship: Relationship,
    pub patient_family: String,
    pub patient_given: String,
    pub patient_birth_date: Option<Date>,
    pub subscriber_family: String,
    pub subscriber_given: String,
    pub subscriber_birth_date: Option<Date>,
}

impl std::fmt::Debug for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coverage")
            .field("patient_id", &self.patient_id)
            .field("payer_id", &self.payer_id)
            .field("relationship", &self.relationship)
            .finish_non_exhaustive()
    }
}

/// The statement that stores a patient's coverage from parameters `$1`–`$11` (see
/// [`upsert_coverage`]), when `$guard` (SQL ending in `AND`, or empty) holds: used alone and
/// with a prescription's first check in [`insert_check`].
macro_rules! upsert_coverage_sql {
    ($guard:literal) => {
        concat!(
            "INSERT INTO coverages (clinic_id, patient_id, payer_id, member_id, relationship, patient_family,
             patient_given, patient_birth_date, subscriber_family, subscriber_given, subscriber_birth_date)
         SELECT $1::text, $2::uuid, $3::text, $4::text, $5::text, $6::text, $7::text, $8::date, $9::text,
                $10::text, $11::date
         WHERE ",
            $guard,
            " NOT EXISTS (
             SELECT FROM coverages WHERE clinic_id = $1 AND patient_id = $2
                 AND (payer_id, member_id, relationship, patient_family, patient_given, patient_birth_date,
                      subscriber_family, subscriber_given, subscriber_birth_date)
                     IS NOT DISTINCT FROM ($3, $4, $5, $6, $7, $8, $9, $10, $11))
         ON CONFLICT (clinic_id, patient_id) DO UPDATE SET payer_id = EXCLUDED.payer_id,
             member_id = EXCLUDED.member_id, relationship = EXCLUDED.relationship,
             patient_family = EXCLUDED.patient_family, patient_given = EXCLUDED.patient_given,
             patient_birth_date = EXCLUDED.patient_birth_date, subscriber_family = EXCLUDED.subscriber_family,
             subscriber_given = EXCLUDED.subscriber_given, subscriber_birth_date = EXCLUDED.subscriber_birth_date,
             updated_at = now()"
        )
    };
}

/// Stores a patient's coverage. A coverage already stored exactly so is left alone: an upsert
/// would lock the patient's row until the caller commits, and every prescription of that
/// patient (the consumer writes the coverage each one names) would queue behind it.
pub async fn upsert_coverage(conn: &mut PgConnection, c: &Coverage) -> Result<(), StoreError> {
    bind_coverage(sqlx::query(upsert_coverage_sql!("")), Some(c)).execute(conn).await?;
    Ok(())
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds a coverage (or, for none, nulls) as `$1`–`$11` of `upsert_coverage_sql!`.
fn bind_coverage<'q>(query: PgQuery<'q>, c: Option<&'q Coverage>) -> PgQuery<'q> {
    query
        .bind(c.map(|c| &c.clinic_id))
        .bind(c.map(|c| c.patient_id))
        .bind(c.map(|c| &c.payer_id))
        .bind(c.map(|c| &c.member_id))
        .bind(c.map(|c| c.relationship.as_str()))
        .bind(c.map(|c| &c.patient_family))
        .bind(c.map(|c| &c.patient_given))
        .bind(c.and_then(|c| c.patient_birth_date))
        .bind(c.map(|c| &c.subscriber_family))
        .bind(c.map(|c| &c.subscriber_given))
        .bind(c.and_then(|c| c.subscriber_birth_date))
}

pub async fn upsert_coverage_pool(pool: &PgPool, c: &Coverage) -> Result<(), StoreError> {
    let mut tx = rx_platform::tenancy::begin(pool, &c.clinic_id).await?;
    upsert_coverage(&mut tx, c).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn coverage(pool: &PgPool, clinic_id: &str, patient_id: Uuid) -> Result<Option<Coverage>, StoreError> {
    let mut tx = rx_platform::tenancy::begin(pool, clinic_id).await?;
    let found = coverage_in(&mut tx, clinic_id, patient_id).await?;
    tx.commit().await?;
    Ok(found)
}

/// The patient's coverage, read in the caller's (clinic-scoped) transaction.
pub async fn coverage_in(
    conn: &mut PgConnection,
    clinic_id: &str,
    patient_id: Uuid,
) -> Result<Option<Coverage>, StoreError> {
    let row = sqlx::query(
        "SELECT payer_id, member_id, relationship, patient_family, patient_given, patient_birth_date,
                subscriber_family, subscriber_given, subscriber_birth_date
         FROM coverages WHERE clinic_id = $1 AND patient_id = $2",
    )
    .bind(clinic_id)
    .bind(patient_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Coverage {
        clinic_id: clinic_id.to_owned(),
        patient_id,
        payer_id: r.try_get("payer_id")?,
        member_id: r.try_get("member_id")?,
        relationship: Relationship::parse(r.try_get::<&str, _>("relationship")?),
        patient_family: r.try_get("patient_family")?,
        patient_given: r.try_get("patient_given")?,
        patient_birth_date: r.try_get("patient_birth_date")?,
        subscriber_family: r.try_get("subscriber_family")?,
        subscriber_given: r.try_get("subscriber_given")?,
        subscriber_birth_date: r.try_get("subscriber_birth_date")?,
    }))
}

/// Reserves the next `count` interchange control numbers of a trading partner and returns
/// them; each number is reserved once, also across processes. Numbers stay within ISA13's nine
/// digits: a block that would pass 999,999,999 starts again at 1. Run on the pool, so the block
/// is committed before any of its numbers goes out.
pub async fn reserve_control_numbers(
    pool: &PgPool,
    partner: &str,
    count: u32,
) -> Result<std::ops::RangeInclusive<u32>, StoreError> {
    let count = i32::try_from(count.clamp(1, 1_000_000)).unwrap_or(1);
    let last: i32 = sqlx::query_scalar(
        "INSERT INTO control_numbers (partner, last) VALUES ($1, $2)
         ON CONFLICT (partner) DO UPDATE
             SET last = CASE WHEN control_numbers.last > 999999999 - $2 THEN $2 ELSE control_numbers.last + $2 END
         RETURNING last",
    )
    .bind(partner)
    .bind(count)
    .fetch_one(pool)
    .await?;
    let last = u32::try_from(last).map_err(|_| StoreError::Corrupt("negative control number".into()))?;
    let count = u32::try_from(count).unwrap_or(1);
    Ok(last - (count - 1)..=last)
}

/// A stored check.
#[derive(Debug, Clone)]
pub struct StoredCheck {
    pub id: Uuid,
    pub summary: Summary,
    pub checked_at: OffsetDateTime,
}

fn stored(r: &sqlx::postgres::PgRow) -> Result<StoredCheck, StoreError> {
    let summary: serde_json::Value = r.try_get("summary")?;
    Ok(StoredCheck {
        id: r.try_get("id")?,
        summary: serde_json::from_value(summary).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        checked_at: r.try_get("checked_at")?,
    })
}

/// What an answer is cached under.
#[derive(Debug, Clone, Copy)]
pub struct CacheKey<'a> {
    pub clinic_id: &'a str,
    pub patient_id: Uuid,
    pub payer_id: &'a str,
    pub service_type: &'a str,
}

/// The newest answered check since `since` (the cache) for each key, in the caller's
/// clinic-scoped transaction and one statement: an answer (or none) per key, in order.
pub async fn cached_checks_in(
    conn: &mut PgConnection,
    keys: &[CacheKey<'_>],
    since: OffsetDateTime,
) -> Result<Vec<Option<StoredCheck>>, StoreError> {
    let rows = sqlx::query(
        "SELECT k.n, c.id, c.summary, c.checked_at
         FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[])
             WITH ORDINALITY AS k (clinic_id, patient_id, payer_id, service_type, n)
         CROSS JOIN LATERAL (
             SELECT id, summary, checked_at FROM eligibility_checks
             WHERE clinic_id = k.clinic_id AND patient_id = k.patient_id AND payer_id = k.payer_id
               AND service_type = k.service_type AND payer_answered AND NOT from_cache AND checked_at >= $5
             ORDER BY checked_at DESC LIMIT 1) c",
    )
    .bind(keys.iter().map(|k| k.clinic_id).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.patient_id).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.payer_id).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.service_type).collect::<Vec<_>>())
    .bind(since)
    .fetch_all(&mut *conn)
    .await?;
    let mut found = vec![None; keys.len()];
    for row in &rows {
        let n: i64 = row.try_get("n")?;
        let slot = usize::try_from(n - 1).ok().and_then(|i| found.get_mut(i));
        let slot = slot.ok_or(StoreError::Corrupt("cache row for no key".into()))?;
        *slot = Some(stored(row)?);
    }
    Ok(found)
}

/// The newest check of a patient, whatever its payer or service type.
pub async fn latest_check(pool: &PgPool, clinic_id: &str, patient_id: Uuid) -> Result<Option<StoredCheck>, StoreError> {
    let mut tx = rx_platform::tenancy::begin(pool, clinic_id).await?;
    let row = sqlx::query(
        "SELECT id, summary, checked_at FROM eligibility_checks WHERE clinic_id = $1 AND patient_id = $2
         ORDER BY checked_at DESC, id DESC LIMIT 1",
    )
    .bind(clinic_id)
    .bind(patient_id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.as_ref().map(stored).transpose()
}

/// One raw X12 document of a check.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub kind: &'static str,
    pub attempt: i32,
    pub content: String,
    pub recorded_at: OffsetDateTime,
}

/// A check to record, with its raw X12.
#[derive(Debug, Clone)]
pub struct NewCheck<'a> {
    pub id: Uuid,
    pub clinic_id: &'a str,
    pub patient_id: Uuid,
    pub prescription_id: Option<Uuid>,
    pub summary: &'a Summary,
    pub checked_at: OffsetDateTime,
    pub from_cache: bool,
    pub artifacts: &'a [Artifact],
    /// Set for a prescription's first check: the prescription is recorded with it.
    pub first_seen: Option<FirstSeen<'a>>,
}

/// A prescription benefits sees for the first time, with the coverage its event named (stored
/// for the patient), recorded in the statement of its first check.
#[derive(Debug, Clone, Copy)]
pub struct FirstSeen<'a> {
    pub prescription: &'a SeenPrescription<'a>,
    pub coverage: Option<&'a Coverage>,
}

/// Where a check's X12 artifact is bound when sealed: its clinic, check, kind and attempt.
pub fn artifact_aad(clinic_id: &str, check_id: Uuid, kind: &str, attempt: i32) -> Vec<u8> {
    format!("{clinic_id}/eligibility-check/{check_id}/{kind}/{attempt}").into_bytes()
}

/// Records a check, its raw X12 (sealed: a 270/271 names the patient), the event that
/// announces it, if any, and for a first check the prescription and its coverage, in one
/// statement: the rows travel and commit together.
pub async fn insert_check(
    conn: &mut PgConnection,
    c: &NewCheck<'_>,
    at_rest: &rx_seal::AtRest,
    event: Option<&OutboxRow>,
) -> Result<(), StoreError> {
    let summary = serde_json::to_value(c.summary).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let sealed = c
        .artifacts
        .iter()
        .map(|a| at_rest.seal(a.content.as_bytes(), &artifact_aad(c.clinic_id, c.id, a.kind, a.attempt)))
        .collect::<Result<Vec<Vec<u8>>, _>>()
        .map_err(|e| StoreError::Corrupt(format!("sealing an X12 artifact: {e}")))?;
    let kinds: Vec<&str> = c.artifacts.iter().map(|a| a.kind).collect();
    let attempts: Vec<i32> = c.artifacts.iter().map(|a| a.attempt).collect();
    let recorded: Vec<OffsetDateTime> = c.artifacts.iter().map(|a| a.recorded_at).collect();
    let seen = c.first_seen.map(|f| f.prescription);
    let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let query = sqlx::query(concat!(
        "WITH coverage AS (",
        upsert_coverage_sql!("$1::text IS NOT NULL AND"),
        "),
         seen AS (
             INSERT INTO prescriptions_seen (clinic_id, prescription_id, patient_id, procedures,
                                             minutes_per_session, sessions)
             SELECT $12::text, $13::uuid, $14::uuid, $15::text[], $16::int, $17::int WHERE $13::uuid IS NOT NULL
             ON CONFLICT (clinic_id, prescription_id) DO NOTHING),
         checked AS (
             INSERT INTO eligibility_checks (id, clinic_id, patient_id, payer_id, service_type, prescription_id,
                 decision, attention_reason, summary, checked_at, from_cache, payer_answered)
             VALUES ($18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)
             RETURNING id, clinic_id),
         event AS (
             INSERT INTO outbox (id, routing_key, clinic_id, payload, headers)
             SELECT $34, $35, $36, $37, $38 WHERE $34::uuid IS NOT NULL)
         INSERT INTO x12_artifacts (check_id, clinic_id, kind, attempt, content, recorded_at)
         SELECT checked.id, checked.clinic_id, a.kind, a.attempt, a.content, a.recorded_at
         FROM checked, unnest($30::text[], $31::int[], $32::bytea[], $33::timestamptz[])
             AS a (kind, attempt, content, recorded_at)"
    ));
    bind_coverage(query, c.first_seen.and_then(|f| f.coverage))
        .bind(seen.map(|p| p.clinic_id))
        .bind(seen.map(|p| p.prescription_id))
        .bind(seen.map(|p| p.patient_id))
        .bind(seen.map(|p| p.procedures))
        .bind(seen.map(|p| count(p.minutes_per_session)))
        .bind(seen.map(|p| count(p.sessions)))
        .bind(c.id)
        .bind(c.clinic_id)
        .bind(c.patient_id)
        .bind(&c.summary.payer_id)
        .bind(&c.summary.service_type)
        .bind(c.prescription_id)
        .bind(c.summary.decision.as_str())
        .bind(&c.summary.attention_reason)
        .bind(summary)
        .bind(c.checked_at)
        .bind(c.from_cache)
        .bind(c.summary.payer_answered)
        .bind(kinds)
        .bind(attempts)
        .bind(sealed)
        .bind(recorded)
        .bind(event.map(|e| e.id))
        .bind(event.map(|e| e.routing_key.as_str()))
        .bind(event.map(|e| e.clinic_id.as_str()))
        .bind(event.map(|e| e.payload.as_slice()))
        .bind(event.map(|e| &e.headers))
        .execute(&mut *conn)
        .await?;
    if event.is_some() {
        rx_messaging::outbox::written(conn).await?;
    }
    Ok(())
}

/// A prescription as benefits saw it.
#[derive(Debug, Clone)]
pub struct SeenPrescription<'a> {
    pub clinic_id: &'a str,
    pub prescription_id: Uuid,
    pub patient_id: Uuid,
    pub procedures: &'a [String],
    pub minutes_per_session: u32,
    pub sessions: u32,
}

/// Sets when a prescription's check is tried again (`None`: settled, no more rechecks).
pub async fn schedule_recheck(
    conn: &mut PgConnection,
    clinic_id: &str,
    prescription_id: Uuid,
    after: Option<std::time::Duration>,
) -> Result<(), StoreError> {
    let seconds = after.map(|d| d.as_secs_f64());
    sqlx::query(
        "UPDATE prescriptions_seen
         SET recheck_at = now() + make_interval(secs => $3),
             recheck_attempts = CASE WHEN $3 IS NULL THEN recheck_attempts ELSE recheck_attempts + 1 END
         WHERE clinic_id = $1 AND prescription_id = $2",
    )
    .bind(clinic_id)
    .bind(prescription_id)
    .bind(seconds)
    .execute(conn)
    .await?;
    Ok(())
}

/// A prescription due for a recheck, as claimed by one replica.
#[derive(Debug, Clone)]
pub struct DueRecheck {
    pub clinic_id: String,
    pub prescription_id: Uuid,
    pub patient_id: Uuid,
    pub procedures: Vec<String>,
    pub minutes_per_session: u32,
    pub sessions: u32,
    pub attempts: u32,
}

impl DueRecheck {
    pub fn seen(&self) -> SeenPrescription<'_> {
        SeenPrescription {
            clinic_id: &self.clinic_id,
            prescription_id: self.prescription_id,
            patient_id: self.patient_id,
            procedures: &self.procedures,
            minutes_per_session: self.minutes_per_session,
            sessions: self.sessions,
        }
    }
}

/// Claims up to `limit` prescriptions whose recheck is due: their next attempt moves `lease`
/// ahead, so competing replicas skip them and a replica that dies mid-way leaves them to be
/// tried again once the lease runs out.
pub async fn claim_due_rechecks(
    pool: &PgPool,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<DueRecheck>, StoreError> {
    let mut tx = rx_platform::tenancy::begin_task(pool, rx_platform::tenancy::Task::Recheck).await?;
    let rows = sqlx::query(
        "UPDATE prescriptions_seen p SET recheck_at = now() + make_interval(secs => $2)
         FROM (SELECT clinic_id, prescription_id FROM prescriptions_seen
               WHERE recheck_at <= now() ORDER BY recheck_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
         WHERE p.clinic_id = due.clinic_id AND p.prescription_id = due.prescription_id
         RETURNING p.clinic_id, p.prescription_id, p.patient_id, p.procedures, p.minutes_per_session, p.sessions,
                   p.recheck_attempts",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let number = |v: i32| u32::try_from(v).unwrap_or_default();
    rows.iter()
        .map(|r| {
            Ok(DueRecheck {
                clinic_id: r.try_get("clinic_id")?,
                prescription_id: r.try_get("prescription_id")?,
                patient_id: r.try_get("patient_id")?,
                procedures: r.try_get("procedures")?,
                minutes_per_session: number(r.try_get("minutes_per_session")?),
                sessions: number(r.try_get("sessions")?),
                attempts: number(r.try_get("recheck_attempts")?),
            })
        })
        .collect()
}

/// The clinic's own per-unit fees (override the configured ones).
pub async fn clinic_fees(pool: &PgPool, clinic_id: &str) -> Result<BTreeMap<String, Decimal>, StoreError> {
    let mut tx = rx_platform::tenancy::begin(pool, clinic_id).await?;
    let fees = clinic_fees_in(&mut tx, clinic_id).await?;
    tx.commit().await?;
    Ok(fees)
}

/// [`clinic_fees`] in the caller's (clinic-scoped) transaction.
pub async fn clinic_fees_in(conn: &mut PgConnection, clinic_id: &str) -> Result<BTreeMap<String, Decimal>, StoreError> {
    let rows = sqlx::query("SELECT procedure_code, per_unit::text AS fee FROM fee_schedules WHERE clinic_id = $1")
        .bind(clinic_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let code: String = r.try_get("procedure_code")?;
            let fee: String = r.try_get("fee")?;
            let fee = fee.parse().map_err(|_| StoreError::Corrupt("fee is not a decimal".into()))?;
            Ok((code, fee))
        })
        .collect()
}

/// Moves every stored 270/271 to the keyring's current master key (sealing any stored before
/// encryption was on), `batch` rows per transaction. Safe while benefits serves, and to repeat.
pub async fn rewrap_artifacts(
    pool: &PgPool,
    keyring: &rx_seal::Keyring,
    batch: i64,
) -> Result<rx_seal::Rewrapped, StoreError> {
    let mut done = rx_seal::Rewrapped::default();
    let mut after = 0_i64;
    loop {
        let mut tx = rx_platform::tenancy::begin_task(pool, rx_platform::tenancy::Task::Rewrap).await?;
        let rows: Vec<(i64, Uuid, String, String, i32, Vec<u8>)> = sqlx::query_as(
            "SELECT id, check_id, clinic_id, kind, attempt, content FROM x12_artifacts
             WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE",
        )
        .bind(after)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, check, clinic, kind, attempt, content) in &rows {
            done.examined += 1;
            let rewrapped = keyring
                .rewrap(content, &artifact_aad(clinic, *check, kind, *attempt))
                .map_err(|e| StoreError::Corrupt(format!("X12 artifact {id}: {e}")))?;
            if let Some(new) = rewrapped {
                sqlx::query("UPDATE x12_artifacts SET content = $1 WHERE id = $2")
                    .bind(new)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                done.rewrapped += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(done)
}
