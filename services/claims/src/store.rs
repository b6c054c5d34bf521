//! Every SQL statement of the claims service; database errors are translated here, once.

use rust_decimal::Decimal;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A database failure, split by whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error")]
    Other(#[source] sqlx::Error),
    #[error("stored value unreadable: {0}")]
    Corrupt(&'static str),
    /// A unique constraint refused the row (e.g. a session with the same idempotency key,
    /// recorded concurrently).
    #[error("conflicting row")]
    Conflict(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if rx_platform::db::is_transient(&e) {
            Self::Unavailable(e)
        } else if rx_platform::db::is_sqlstate(&e, "23505") {
            Self::Conflict(e)
        } else {
            Self::Other(e)
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

// Statements assembled with `format!` join only the constant column lists and fixed clauses
// below (never input), hence `AssertSqlSafe`.

/// Money columns are read as text and parsed exactly.
pub fn money(text: &str) -> StoreResult<Decimal> {
    text.parse().map_err(|_| StoreError::Corrupt("amount"))
}

/// A prescription as claims knows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrescriptionRow {
    pub id: Uuid,
    pub clinic_id: String,
    pub patient_id: Uuid,
    pub patient_family: String,
    pub patient_given: String,
    pub patient_birth_date: Option<Date>,
    pub patient_sex: String,
    /// JSON `{"line1", "line2", "city", "state", "postal_code"}`.
    pub patient_address: Option<String>,
    pub payer_id: String,
    pub payer_name: String,
    pub member_id: String,
    pub relationship: String,
    pub prescriber_npi: String,
    pub prescriber_family: String,
    pub prescriber_given: String,
    pub diagnoses: Vec<String>,
    pub procedures: Vec<String>,
    pub sessions: i32,
    pub valid_from: Date,
    pub valid_until: Date,
    /// JSON array of `{"region": .., "laterality": ..}`.
    pub body_sites: String,
}

const PRESCRIPTION_COLUMNS: &str = "id, clinic_id, patient_id, patient_family, patient_given, patient_birth_date, \
     patient_sex, patient_address::text AS patient_address, payer_id, payer_name, member_id, relationship, prescriber_npi, prescriber_family, prescriber_given, diagnoses, \
     procedures, sessions, valid_from, valid_until, body_sites::text AS body_sites";

/// Stores (or replaces, when intake sends it again after review) prescriptions' scope, in one
/// statement however many there are. Of several rows for one prescription the last wins, as if
/// each were stored in turn (one statement may not update a row twice).
pub async fn upsert_prescriptions(conn: &mut PgConnection, rows: &[PrescriptionRow]) -> StoreResult<()> {
    let mut latest: Vec<&PrescriptionRow> = Vec::with_capacity(rows.len());
    for row in rows {
        latest.retain(|kept| kept.id != row.id);
        latest.push(row);
    }
    let rows: Vec<serde_json::Value> = latest
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id, "clinic_id": p.clinic_id, "patient_id": p.patient_id,
                "patient_family": p.patient_family, "patient_given": p.patient_given,
                "patient_birth_date": p.patient_birth_date.map(|d| d.to_string()), "payer_id": p.payer_id,
                "payer_name": p.payer_name, "member_id": p.member_id, "relationship": p.relationship,
                "prescriber_npi": p.prescriber_npi, "prescriber_family": p.prescriber_family,
                "prescriber_given": p.prescriber_given, "diagnoses": p.diagnoses, "procedures": p.procedures,
                "sessions": p.sessions, "valid_from": p.valid_from.to_string(),
                "valid_until": p.valid_until.to_string(), "body_sites": p.body_sites,
                "patient_sex": p.patient_sex, "patient_address": p.patient_address,
            })
        })
        .collect();
    sqlx::query(
        "INSERT INTO prescriptions (id, clinic_id, patient_id, patient_family, patient_given, patient_birth_date,
             payer_id, payer_name, member_id, relationship, prescriber_npi, prescriber_family, prescriber_given,
             diagnoses, procedures, sessions, valid_from, valid_until, body_sites, patient_sex, patient_address)
         SELECT id, clinic_id, patient_id, patient_family, patient_given, patient_birth_date, payer_id, payer_name,
                member_id, relationship, prescriber_npi, prescriber_family, prescriber_given, diagnoses, procedures,
                sessions, valid_from, valid_until, body_sites::jsonb, patient_sex, patient_address::jsonb
         FROM jsonb_to_recordset($1) AS r (id uuid, clinic_id text, patient_id uuid, patient_family text,
             patient_given text, patient_birth_date date, payer_id text, payer_name text, member_id text,
             relationship text, prescriber_npi text, prescriber_family text, prescriber_given text,
             diagnoses text[], procedures text[], sessions int, valid_from date, valid_until date,
             body_sites text, patient_sex text, patient_address text)
         ON CONFLICT (id) DO UPDATE SET patient_family = EXCLUDED.patient_family,
             patient_sex = EXCLUDED.patient_sex, patient_address = EXCLUDED.patient_address,
             patient_given = EXCLUDED.patient_given, patient_birth_date = EXCLUDED.patient_birth_date,
             payer_id = EXCLUDED.payer_id, payer_name = EXCLUDED.payer_name, member_id = EXCLUDED.member_id,
             relationship = EXCLUDED.relationship, prescriber_npi = EXCLUDED.prescriber_npi,
             prescriber_family = EXCLUDED.prescriber_family, prescriber_given = EXCLUDED.prescriber_given,
             diagnoses = EXCLUDED.diagnoses, procedures = EXCLUDED.procedures, sessions = EXCLUDED.sessions,
             valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, body_sites = EXCLUDED.body_sites
         WHERE prescriptions.clinic_id = EXCLUDED.clinic_id",
    )
    .bind(sqlx::types::Json(rows))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn prescription(conn: &mut PgConnection, clinic: &str, id: Uuid) -> StoreResult<Option<PrescriptionRow>> {
    let sql = format!("SELECT {PRESCRIPTION_COLUMNS} FROM prescriptions WHERE id = $1 AND clinic_id = $2");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(clinic).fetch_optional(conn).await?)
}

/// The latest eligibility answer for a prescription.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CoverageRow {
    pub prescription_id: Uuid,
    pub clinic_id: String,
    pub patient_id: String,
    pub decision: String,
    pub checked_at: OffsetDateTime,
    pub payer_id: String,
}

/// Keeps the newest check of each prescription, in one statement however many there are: an
/// older answer, whether delivered late or beside a newer one in the same batch, does not
/// overwrite the newer one.
pub async fn upsert_coverages(conn: &mut PgConnection, rows: &[CoverageRow]) -> StoreResult<()> {
    let mut newest: Vec<&CoverageRow> = Vec::with_capacity(rows.len());
    for row in rows {
        match newest.iter_mut().find(|kept| kept.prescription_id == row.prescription_id) {
            Some(kept) if kept.checked_at <= row.checked_at => *kept = row,
            Some(_) => {}
            None => newest.push(row),
        }
    }
    sqlx::query(
        "INSERT INTO coverage_checks (prescription_id, clinic_id, patient_id, decision, checked_at, payer_id)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
         ON CONFLICT (prescription_id) DO UPDATE SET decision = EXCLUDED.decision,
             checked_at = EXCLUDED.checked_at, payer_id = EXCLUDED.payer_id, updated_at = now()
         WHERE coverage_checks.clinic_id = EXCLUDED.clinic_id AND coverage_checks.checked_at <= EXCLUDED.checked_at",
    )
    .bind(newest.iter().map(|c| c.prescription_id).collect::<Vec<_>>())
    .bind(newest.iter().map(|c| c.clinic_id.as_str()).collect::<Vec<_>>())
    .bind(newest.iter().map(|c| c.patient_id.as_str()).collect::<Vec<_>>())
    .bind(newest.iter().map(|c| c.decision.as_str()).collect::<Vec<_>>())
    .bind(newest.iter().map(|c| c.checked_at).collect::<Vec<_>>())
    .bind(newest.iter().map(|c| c.payer_id.as_str()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn coverage(conn: &mut PgConnection, clinic: &str, prescription: Uuid) -> StoreResult<Option<CoverageRow>> {
    Ok(sqlx::query_as(
        "SELECT prescription_id, clinic_id, patient_id, decision, checked_at, payer_id FROM coverage_checks
         WHERE prescription_id = $1 AND clinic_id = $2",
    )
    .bind(prescription)
    .bind(clinic)
    .fetch_optional(conn)
    .await?)
}

/// Serializes session recording per prescription (the count of used sessions must not race).
pub async fn lock_prescription(conn: &mut PgConnection, id: Uuid) -> StoreResult<()> {
    sqlx::query("SELECT id FROM prescriptions WHERE id = $1 FOR UPDATE").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn sessions_used(conn: &mut PgConnection, prescription: Uuid) -> StoreResult<u32> {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM sessions WHERE prescription_id = $1")
        .bind(prescription)
        .fetch_one(conn)
        .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub async fn session_by_key(conn: &mut PgConnection, clinic: &str, key: &str) -> StoreResult<Option<Uuid>> {
    let row: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM sessions WHERE clinic_id = $1 AND idempotency_key = $2")
        .bind(clinic)
        .bind(key)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

/// A billed or delivered line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRow {
    pub code: String,
    pub modifiers: Vec<String>,
    pub minutes: u32,
    pub units: u32,
    pub charge: Decimal,
}

#[derive(sqlx::FromRow)]
struct RawLine {
    code: String,
    modifiers: Vec<String>,
    minutes: i32,
    units: i32,
    charge: String,
}

impl RawLine {
    fn into_line(self) -> StoreResult<LineRow> {
        Ok(LineRow {
            code: self.code,
            modifiers: self.modifiers,
            minutes: u32::try_from(self.minutes).map_err(|_| StoreError::Corrupt("minutes"))?,
            units: u32::try_from(self.units).map_err(|_| StoreError::Corrupt("units"))?,
            charge: money(&self.charge)?,
        })
    }
}

/// Writes lines into `session_lines` or `claim_lines` (`owner` is the session or claim id).
pub async fn insert_lines(
    conn: &mut PgConnection,
    table: LineTable,
    owner: Uuid,
    clinic: &str,
    lines: &[LineRow],
) -> StoreResult<()> {
    let sql = match table {
        LineTable::Session => {
            "INSERT INTO session_lines (session_id, line_no, clinic_id, code, modifiers, minutes, units, charge)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric)"
        }
        LineTable::Claim => {
            "INSERT INTO claim_lines (claim_id, line_no, clinic_id, code, modifiers, minutes, units, charge)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric)"
        }
    };
    for (n, line) in (1i32..).zip(lines) {
        sqlx::query(sql)
            .bind(owner)
            .bind(n)
            .bind(clinic)
            .bind(&line.code)
            .bind(&line.modifiers)
            .bind(i32::try_from(line.minutes).unwrap_or(i32::MAX))
            .bind(i32::try_from(line.units).unwrap_or(i32::MAX))
            .bind(line.charge.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum LineTable {
    Session,
    Claim,
}

pub async fn lines(conn: &mut PgConnection, table: LineTable, owner: Uuid) -> StoreResult<Vec<LineRow>> {
    let sql = match table {
        LineTable::Session => {
            "SELECT code, modifiers, minutes, units, charge::text AS charge FROM session_lines
             WHERE session_id = $1 ORDER BY line_no"
        }
        LineTable::Claim => {
            "SELECT code, modifiers, minutes, units, charge::text AS charge FROM claim_lines
             WHERE claim_id = $1 ORDER BY line_no"
        }
    };
    let raw: Vec<RawLine> = sqlx::query_as(sql).bind(owner).fetch_all(conn).await?;
    raw.into_iter().map(RawLine::into_line).collect()
}

pub async fn delete_claim_lines(conn: &mut PgConnection, claim: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM claim_lines WHERE claim_id = $1").bind(claim).execute(conn).await?;
    Ok(())
}

/// A recorded session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub clinic_id: String,
    pub prescription_id: Uuid,
    pub claim_id: Uuid,
    pub date_of_service: Date,
    pub rendering_npi: String,
    pub place_of_service: String,
    pub body_sites: String,
    pub override_reason: Option<String>,
    pub overridden_rules: Vec<String>,
    pub idempotency_key: Option<String>,
}

pub async fn insert_session(conn: &mut PgConnection, s: &SessionRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id, clinic_id, prescription_id, claim_id, date_of_service, rendering_npi,
             place_of_service, body_sites, override_reason, overridden_rules, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)",
    )
    .bind(s.id)
    .bind(&s.clinic_id)
    .bind(s.prescription_id)
    .bind(s.claim_id)
    .bind(s.date_of_service)
    .bind(&s.rendering_npi)
    .bind(&s.place_of_service)
    .bind(&s.body_sites)
    .bind(&s.override_reason)
    .bind(&s.overridden_rules)
    .bind(&s.idempotency_key)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn session(conn: &mut PgConnection, clinic: &str, id: Uuid) -> StoreResult<Option<SessionRow>> {
    Ok(sqlx::query_as(
        "SELECT id, clinic_id, prescription_id, claim_id, date_of_service, rendering_npi, place_of_service,
             body_sites::text AS body_sites, override_reason, overridden_rules, idempotency_key
         FROM sessions WHERE id = $1 AND clinic_id = $2",
    )
    .bind(id)
    .bind(clinic)
    .fetch_optional(conn)
    .await?)
}

/// A claim and everything about it that changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    pub id: Uuid,
    pub clinic_id: String,
    pub prescription_id: Uuid,
    pub patient_id: Uuid,
    pub patient_control_number: String,
    pub payer_claim_control_number: Option<String>,
    pub state: String,
    pub frequency_code: String,
    pub attempts: i32,
    pub diagnoses: Vec<String>,
    pub prior_authorization: Option<String>,
    pub place_of_service: String,
    pub rendering_npi: String,
    pub date_of_service: Date,
    pub total_charge: Decimal,
    pub paid: Decimal,
    pub patient_responsibility: Decimal,
    pub scrub_findings: Vec<String>,
    pub next_action: String,
    pub last_group_control_number: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RawClaim {
    id: Uuid,
    clinic_id: String,
    prescription_id: Uuid,
    patient_id: Uuid,
    patient_control_number: String,
    payer_claim_control_number: Option<String>,
    state: String,
    frequency_code: String,
    attempts: i32,
    diagnoses: Vec<String>,
    prior_authorization: Option<String>,
    place_of_service: String,
    rendering_npi: String,
    date_of_service: Date,
    total_charge: String,
    paid: String,
    patient_responsibility: String,
    scrub_findings: Vec<String>,
    next_action: String,
    last_group_control_number: Option<i64>,
}

impl RawClaim {
    fn into_row(self) -> StoreResult<ClaimRow> {
        Ok(ClaimRow {
            id: self.id,
            clinic_id: self.clinic_id,
            prescription_id: self.prescription_id,
            patient_id: self.patient_id,
            patient_control_number: self.patient_control_number,
            payer_claim_control_number: self.payer_claim_control_number,
            state: self.state,
            frequency_code: self.frequency_code,
            attempts: self.attempts,
            diagnoses: self.diagnoses,
            prior_authorization: self.prior_authorization,
            place_of_service: self.place_of_service,
            rendering_npi: self.rendering_npi,
            date_of_service: self.date_of_service,
            total_charge: money(&self.total_charge)?,
            paid: money(&self.paid)?,
            patient_responsibility: money(&self.patient_responsibility)?,
            scrub_findings: self.scrub_findings,
            next_action: self.next_action,
            last_group_control_number: self.last_group_control_number,
        })
    }
}

const CLAIM_COLUMNS: &str = "id, clinic_id, prescription_id, patient_id, patient_control_number, \
     payer_claim_control_number, state, frequency_code, attempts, diagnoses, prior_authorization, place_of_service, \
     rendering_npi, date_of_service, total_charge::text AS total_charge, paid::text AS paid, \
     patient_responsibility::text AS patient_responsibility, scrub_findings, next_action, last_group_control_number";

/// A new patient control number (CLM01): `RX` and ten digits, never reused.
pub async fn next_patient_control_number(conn: &mut PgConnection) -> StoreResult<String> {
    let (n,): (i64,) = sqlx::query_as("SELECT nextval('claim_pcn_seq')").fetch_one(conn).await?;
    Ok(format!("RX{n:010}"))
}

pub async fn insert_claim(conn: &mut PgConnection, c: &ClaimRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO claims (id, clinic_id, prescription_id, patient_id, patient_control_number, state,
             frequency_code, attempts, diagnoses, prior_authorization, place_of_service, rendering_npi,
             date_of_service, total_charge)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::numeric)",
    )
    .bind(c.id)
    .bind(&c.clinic_id)
    .bind(c.prescription_id)
    .bind(c.patient_id)
    .bind(&c.patient_control_number)
    .bind(&c.state)
    .bind(&c.frequency_code)
    .bind(c.attempts)
    .bind(&c.diagnoses)
    .bind(&c.prior_authorization)
    .bind(&c.place_of_service)
    .bind(&c.rendering_npi)
    .bind(c.date_of_service)
    .bind(c.total_charge.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes every mutable field of the claim.
pub async fn save_claim(conn: &mut PgConnection, c: &ClaimRow) -> StoreResult<()> {
    sqlx::query(
        "UPDATE claims SET payer_claim_control_number = $2, state = $3, frequency_code = $4, attempts = $5,
             diagnoses = $6, prior_authorization = $7, total_charge = $8::numeric, paid = $9::numeric,
             patient_responsibility = $10::numeric, scrub_findings = $11, next_action = $12,
             last_group_control_number = $13, updated_at = now()
         WHERE id = $1",
    )
    .bind(c.id)
    .bind(&c.payer_claim_control_number)
    .bind(&c.state)
    .bind(&c.frequency_code)
    .bind(c.attempts)
    .bind(&c.diagnoses)
    .bind(&c.prior_authorization)
    .bind(c.total_charge.to_string())
    .bind(c.paid.to_string())
    .bind(c.patient_responsibility.to_string())
    .bind(&c.scrub_findings)
    .bind(&c.next_action)
    .bind(c.last_group_control_number)
    .execute(conn)
    .await?;
    Ok(())
}

/// How a claim is looked up.
#[derive(Debug, Clone, Copy)]
pub enum ClaimKey<'a> {
    Id(Uuid),
    PatientControlNumber(&'a str),
}

/// Loads a claim (of `clinic` when given), locked for update when `lock`.
pub async fn claim(
    conn: &mut PgConnection,
    clinic: Option<&str>,
    key: ClaimKey<'_>,
    lock: bool,
) -> StoreResult<Option<ClaimRow>> {
    let (column, value) = match key {
        ClaimKey::Id(id) => ("id = $1::uuid", id.to_string()),
        ClaimKey::PatientControlNumber(pcn) => ("patient_control_number = $1", pcn.to_owned()),
    };
    let sql = format!(
        "SELECT {CLAIM_COLUMNS} FROM claims WHERE {column} AND ($2::text IS NULL OR clinic_id = $2){}",
        if lock { " FOR UPDATE" } else { "" }
    );
    let raw: Option<RawClaim> =
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(value).bind(clinic).fetch_optional(conn).await?;
    raw.map(RawClaim::into_row).transpose()
}

/// Claims last sent in functional group `group` (a 999 answers per group), locked.
pub async fn claims_in_group(conn: &mut PgConnection, group: i64) -> StoreResult<Vec<ClaimRow>> {
    let sql = format!("SELECT {CLAIM_COLUMNS} FROM claims WHERE last_group_control_number = $1 FOR UPDATE");
    let raw: Vec<RawClaim> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(group).fetch_all(conn).await?;
    raw.into_iter().map(RawClaim::into_row).collect()
}

/// The clinics with claims last sent in functional group `group` (run as the routing task).
pub async fn clinics_of_group(conn: &mut PgConnection, group: i64) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT clinic_id FROM claims WHERE last_group_control_number = $1")
        .bind(group)
        .fetch_all(conn)
        .await?)
}

/// The clinic of the claim with this patient control number (run as the routing task).
pub async fn clinic_of_claim(conn: &mut PgConnection, pcn: &str) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT clinic_id FROM claims WHERE patient_control_number = $1 LIMIT 1")
        .bind(pcn)
        .fetch_optional(conn)
        .await?)
}

/// Claims in `state` (e.g. scrubbed ones waiting to be sent), oldest first.
pub async fn claim_ids_in_state(conn: &mut PgConnection, state: &str, limit: i64) -> StoreResult<Vec<(String, Uuid)>> {
    Ok(sqlx::query_as("SELECT clinic_id, id FROM claims WHERE state = $1 ORDER BY updated_at LIMIT $2")
        .bind(state)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// A clinic's claims of a patient or a prescription, newest first.
pub async fn list_claims(
    conn: &mut PgConnection,
    clinic: &str,
    patient: Option<Uuid>,
    prescription: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<ClaimRow>> {
    let sql = format!(
        "SELECT {CLAIM_COLUMNS} FROM claims WHERE clinic_id = $1 AND ($2::uuid IS NULL OR patient_id = $2)
         AND ($3::uuid IS NULL OR prescription_id = $3) ORDER BY created_at DESC, id LIMIT $4 OFFSET $5"
    );
    let raw: Vec<RawClaim> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(clinic)
        .bind(patient)
        .bind(prescription)
        .bind(limit)
        .bind(offset)
        .fetch_all(conn)
        .await?;
    raw.into_iter().map(RawClaim::into_row).collect()
}

pub async fn add_history(conn: &mut PgConnection, claim: &ClaimRow, cause: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO claim_history (claim_id, clinic_id, state, cause) VALUES ($1, $2, $3, $4)")
        .bind(claim.id)
        .bind(&claim.clinic_id)
        .bind(&claim.state)
        .bind(cause)
        .execute(conn)
        .await?;
    Ok(())
}

/// One history step: state, time, cause.
pub async fn history(conn: &mut PgConnection, claim: Uuid) -> StoreResult<Vec<(String, OffsetDateTime, String)>> {
    Ok(sqlx::query_as("SELECT state, at, cause FROM claim_history WHERE claim_id = $1 ORDER BY id")
        .bind(claim)
        .fetch_all(conn)
        .await?)
}

/// An X12 document waiting to be stored with the first claim it concerns.
#[derive(Debug)]
pub struct PendingDocument<'a> {
    kind: &'a str,
    direction: &'a str,
    content: &'a str,
    at_rest: &'a rx_seal::AtRest,
    id: Option<i64>,
}

impl<'a> PendingDocument<'a> {
    /// `at_rest`: how it is kept (X12 claims and remittances name patients: sealed).
    pub fn new(kind: &'a str, direction: &'a str, content: &'a str, at_rest: &'a rx_seal::AtRest) -> Self {
        Self { kind, direction, content, at_rest, id: None }
    }
}

/// Where a stored X12 document is bound when sealed: its clinic and id.
fn x12_aad(clinic_id: &str, id: i64) -> Vec<u8> {
    format!("{clinic_id}/x12-document/{id}").into_bytes()
}

/// Links the document to the claim, storing it (under the claim's clinic) the first time.
pub async fn attach_document(
    conn: &mut PgConnection,
    claim: &ClaimRow,
    document: &mut PendingDocument<'_>,
) -> StoreResult<()> {
    let id = match document.id {
        Some(id) => id,
        None => {
            // the id first: the sealed content is bound to it
            let id: i64 = sqlx::query_scalar("SELECT nextval(pg_get_serial_sequence('x12_documents', 'id'))")
                .fetch_one(&mut *conn)
                .await?;
            let sealed =
                document.at_rest.seal(document.content.as_bytes(), &x12_aad(&claim.clinic_id, id)).map_err(|e| {
                    tracing::error!(error = %e, "an X12 document cannot be sealed");
                    StoreError::Corrupt("X12 document could not be sealed")
                })?;
            sqlx::query(
                "INSERT INTO x12_documents (id, clinic_id, kind, direction, content) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(&claim.clinic_id)
            .bind(document.kind)
            .bind(document.direction)
            .bind(sealed)
            .execute(&mut *conn)
            .await?;
            document.id = Some(id);
            id
        }
    };
    sqlx::query(
        "INSERT INTO claim_artifacts (claim_id, document_id, clinic_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(claim.id)
    .bind(id)
    .bind(&claim.clinic_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves every stored X12 document to the keyring's current master key (sealing any stored
/// before encryption was on), `batch` rows per transaction. Safe while claims serves, and to
/// repeat.
pub async fn rewrap_x12(
    pool: &sqlx::PgPool,
    keyring: &rx_seal::Keyring,
    batch: i64,
) -> StoreResult<rx_seal::Rewrapped> {
    let mut done = rx_seal::Rewrapped::default();
    let mut after = 0_i64;
    loop {
        let mut tx = rx_platform::tenancy::begin_task(pool, rx_platform::tenancy::Task::Rewrap).await?;
        let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
            "SELECT id, clinic_id, content FROM x12_documents WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE",
        )
        .bind(after)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, clinic, content) in &rows {
            done.examined += 1;
            let rewrapped = keyring.rewrap(content, &x12_aad(clinic, *id)).map_err(|e| {
                tracing::error!(document_id = id, error = %e, "a stored X12 document cannot be re-wrapped");
                StoreError::Corrupt("X12 document does not open")
            })?;
            if let Some(new) = rewrapped {
                sqlx::query("UPDATE x12_documents SET content = $1 WHERE id = $2")
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

/// One artifact: kind, direction, time, content (opened).
pub async fn artifacts(
    conn: &mut PgConnection,
    claim: Uuid,
    at_rest: &rx_seal::AtRest,
) -> StoreResult<Vec<(String, String, OffsetDateTime, String)>> {
    let rows: Vec<(i64, String, String, String, OffsetDateTime, Vec<u8>)> = sqlx::query_as(
        "SELECT d.id, d.clinic_id, d.kind, d.direction, d.at, d.content
         FROM claim_artifacts a JOIN x12_documents d ON d.id = a.document_id
         WHERE a.claim_id = $1 ORDER BY d.id",
    )
    .bind(claim)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, clinic, kind, direction, at, content)| {
            let plain = at_rest.open(&content, &x12_aad(&clinic, id)).map_err(|e| {
                tracing::error!(document_id = id, error = %e, "a stored X12 document does not open");
                StoreError::Corrupt("X12 document does not open")
            })?;
            let text = String::from_utf8(plain).map_err(|_| StoreError::Corrupt("X12 document is not text"))?;
            Ok((kind, direction, at, text))
        })
        .collect()
}

/// A claim payment to record once.
#[derive(Debug, Clone)]
pub struct Posting<'a> {
    pub key: &'a str,
    pub claim: &'a ClaimRow,
    pub status: &'a str,
    pub charge: Decimal,
    pub paid: Decimal,
    pub patient_responsibility: Decimal,
    pub adjustments: Vec<String>,
}

pub async fn posting_exists(conn: &mut PgConnection, key: &str) -> StoreResult<bool> {
    let row: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM remittance_postings WHERE posting_key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// Records a posting; false when the same claim payment was posted before.
pub async fn insert_posting(conn: &mut PgConnection, p: &Posting<'_>) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO remittance_postings (posting_key, claim_id, clinic_id, status, charge, paid,
             patient_responsibility, adjustments)
         VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, $7::numeric, $8) ON CONFLICT (posting_key) DO NOTHING",
    )
    .bind(p.key)
    .bind(p.claim.id)
    .bind(&p.claim.clinic_id)
    .bind(p.status)
    .bind(p.charge.to_string())
    .bind(p.paid.to_string())
    .bind(p.patient_responsibility.to_string())
    .bind(&p.adjustments)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The next interchange (and group) control number for a trading partner: unique and
/// increasing, wrapping after 999999999.
pub async fn next_control_number(conn: &mut PgConnection, partner: &str) -> StoreResult<u32> {
    sqlx::query("INSERT INTO x12_control_numbers (partner) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(partner)
        .execute(&mut *conn)
        .await?;
    let (n,): (i64,) = sqlx::query_as(
        "UPDATE x12_control_numbers
         SET last_interchange = CASE WHEN last_interchange >= 999999999 THEN 1 ELSE last_interchange + 1 END
         WHERE partner = $1 RETURNING last_interchange",
    )
    .bind(partner)
    .fetch_one(conn)
    .await?;
    u32::try_from(n).map_err(|_| StoreError::Corrupt("control number"))
}

/// Patient totals over the claims that were not voided: (charged, paid by payers, owed by patient).
pub async fn patient_totals(conn: &mut PgConnection, clinic: &str, patient: Uuid) -> StoreResult<[Decimal; 3]> {
    let (charged, paid, owed): (String, String, String) = sqlx::query_as(
        "SELECT COALESCE(sum(total_charge), 0)::text, COALESCE(sum(paid), 0)::text,
             COALESCE(sum(patient_responsibility), 0)::text
         FROM claims WHERE clinic_id = $1 AND patient_id = $2 AND state <> 'voided'",
    )
    .bind(clinic)
    .bind(patient)
    .fetch_one(conn)
    .await?;
    Ok([money(&charged)?, money(&paid)?, money(&owed)?])
}
