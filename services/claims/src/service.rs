//! The claims use cases, transport-free: record a session (scope, units, charges, a draft
//! claim scrubbed and sent), read claims, correct, void, balance. gRPC calls these.

use std::sync::Arc;

use claims_domain::body_site::BodySite;
use claims_domain::lifecycle::{ClaimEvent, ClaimFrequency, ClaimState, transition};
use claims_domain::scope::{
    self, CoverageCheck, OverrideReason, PrescriptionScope, ScopeDecision, ScopePolicy, SessionRequest,
};
use claims_domain::scrub::{ScrubContext, scrub};
use claims_domain::units::units_for_day;
use rust_decimal::Decimal;
use rx_platform::audit::{AuditResource, CallEntry};
use rx_proto::events::v1::ClaimSubmitted;
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::claim837;
use crate::clearinghouse::Clearinghouse;
use crate::config::Settings;
use crate::error::ServiceError;
use crate::events;
use crate::store::{self, ClaimKey, ClaimRow, LineRow, LineTable, PrescriptionRow, SessionRow};

pub type Result<T> = std::result::Result<T, ServiceError>;

/// Minutes spent on one code, as the caller reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureInput {
    pub code: String,
    pub minutes: u32,
    pub modifiers: Vec<String>,
}

/// A session to record, already checked for shape.
#[derive(Debug, Clone)]
pub struct SessionInput {
    pub prescription_id: Uuid,
    pub date_of_service: Date,
    pub rendering_npi: String,
    pub place_of_service: String,
    pub procedures: Vec<ProcedureInput>,
    pub body_sites: Vec<BodySite>,
    /// The sites as given, stored for the audit.
    pub body_sites_json: String,
    pub override_reason: Option<OverrideReason>,
    pub idempotency_key: Option<String>,
}

/// A recorded session with its lines.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub session: SessionRow,
    pub lines: Vec<LineRow>,
}

/// A claim with its lines, history and artifacts.
#[derive(Debug, Clone)]
pub struct ClaimView {
    pub claim: ClaimRow,
    pub lines: Vec<LineRow>,
    pub history: Vec<(String, OffsetDateTime, String)>,
    pub artifacts: Vec<(String, String, OffsetDateTime, String)>,
}

/// What a correction changes.
#[derive(Debug, Clone, Default)]
pub struct Correction {
    pub diagnoses: Vec<String>,
    pub procedures: Vec<ProcedureInput>,
    pub prior_authorization: Option<String>,
    pub reason: String,
}

/// The patient's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub charged: Decimal,
    pub paid_by_payers: Decimal,
    pub owed_by_patient: Decimal,
}

/// The claims service: a pool, its settings and a clearinghouse.
#[derive(Debug, Clone)]
pub struct ClaimsApp {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub clearinghouse: Arc<dyn Clearinghouse>,
}

pub fn parse_state(state: &str) -> Result<ClaimState> {
    serde_json::from_value(serde_json::Value::String(state.to_owned()))
        .map_err(|_| ServiceError::Store(store::StoreError::Corrupt("claim state")))
}

/// Moves the claim by `event` and records the step.
pub async fn step(conn: &mut PgConnection, claim: &mut ClaimRow, event: ClaimEvent, cause: &str) -> Result<()> {
    let to = transition(parse_state(&claim.state)?, event)
        .map_err(|e| ServiceError::refused("invalid_transition", e.to_string()))?;
    claim.state = to.as_str().to_owned();
    store::save_claim(conn, claim).await?;
    store::add_history(conn, claim, cause).await?;
    Ok(())
}

impl ClaimsApp {
    pub fn new(pool: PgPool, settings: Settings, clearinghouse: Arc<dyn Clearinghouse>) -> Self {
        Self { pool, settings: Arc::new(settings), clearinghouse }
    }

    /// Lines with units by the payer's rule and charges from the fee schedule.
    fn price(&self, procedures: &[ProcedureInput]) -> Result<Vec<LineRow>> {
        if procedures.is_empty() {
            return Err(ServiceError::invalid("procedures", "at least one procedure is required"));
        }
        let entries: Vec<(&str, u32)> = procedures.iter().map(|p| (p.code.as_str(), p.minutes)).collect();
        let day = units_for_day(&entries, self.settings.practice.unit_rule)
            .map_err(|e| ServiceError::invalid("procedures", e.to_string()))?;
        let mut lines: Vec<LineRow> = Vec::new();
        for p in procedures {
            let code = p.code.trim().to_ascii_uppercase();
            if let Some(line) = lines.iter_mut().find(|l| l.code == code) {
                line.minutes = line.minutes.saturating_add(p.minutes);
                continue;
            }
            let mut modifiers: Vec<String> =
                p.modifiers.iter().map(|m| m.trim().to_ascii_uppercase()).filter(|m| !m.is_empty()).collect();
            if !modifiers.iter().any(|m| m == "GP") {
                // therapy services under a physical-therapy plan of care carry GP
                modifiers.push("GP".to_owned());
            }
            lines.push(LineRow { code, modifiers, minutes: p.minutes, units: 0, charge: Decimal::ZERO });
        }
        for line in &mut lines {
            line.units = u32::try_from(day.units_for(&line.code)).unwrap_or(u32::MAX);
            line.charge = self
                .settings
                .fees
                .line_charge(&line.code, line.units)
                .map_err(|e| ServiceError::invalid("procedures", e.to_string()))?;
        }
        lines.retain(|l| l.units > 0);
        if lines.is_empty() {
            return Err(ServiceError::refused("no_billable_units", "the minutes given earn no billable unit"));
        }
        Ok(lines)
    }

    /// A transaction that sees only this clinic's rows (row-level security).
    pub async fn scoped(&self, clinic: &str) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(rx_platform::tenancy::begin(&self.pool, clinic).await.map_err(store::StoreError::from)?)
    }

    /// Records a session and drafts its claim; the call's audit entry, if given, is written in
    /// the same transaction.
    pub async fn record_session(
        &self,
        clinic: &str,
        input: SessionInput,
        audit: Option<CallEntry>,
    ) -> Result<SessionView> {
        let mut tx = self.scoped(clinic).await?;
        if let Some(key) = &input.idempotency_key
            && let Some(existing) = store::session_by_key(&mut tx, clinic, key).await?
        {
            drop(tx);
            return self.session_view(clinic, existing).await;
        }
        let prescription = store::prescription(&mut tx, clinic, input.prescription_id)
            .await?
            .ok_or(ServiceError::NotFound("prescription"))?;
        store::lock_prescription(&mut tx, prescription.id).await?;
        let used = store::sessions_used(&mut tx, prescription.id).await?;
        let coverage = store::coverage(&mut tx, clinic, prescription.id).await?;
        let (check, prior_auth_required) = match &coverage {
            None => (CoverageCheck::Unverified, false),
            Some(c) => {
                let checked_on = c.checked_at.date();
                match c.decision.as_str() {
                    "covered" => (CoverageCheck::Verified { checked_on, active: true }, false),
                    "prior_auth_required" => (CoverageCheck::Verified { checked_on, active: true }, true),
                    "not_covered" => (CoverageCheck::Verified { checked_on, active: false }, false),
                    _ => (CoverageCheck::Unverified, false),
                }
            }
        };
        let scope = PrescriptionScope {
            written_on: prescription.valid_from,
            treatment_ends_on: prescription.valid_until,
            sessions_prescribed: u32::try_from(prescription.sessions).unwrap_or(0),
            sessions_used: used,
            sites: claim837::stored_sites(&prescription.body_sites),
            prior_auth_required,
            prior_auth: None,
        };
        let policy =
            ScopePolicy { coverage_max_age_days: self.settings.coverage_max_age_days, allow_unspecified_sites: false };
        let request = SessionRequest { date_of_service: input.date_of_service, sites: input.body_sites.clone() };
        let decision =
            scope::decide(&scope, check, &request, &policy, input.override_reason.clone()).map_err(|e| match e {
                claims_domain::ClaimsError::OutOfScope { violations } => ServiceError::OutOfScope { violations },
                other => ServiceError::refused("scope", other.to_string()),
            })?;
        let (overridden, override_reason) = match decision {
            ScopeDecision::Allowed => (Vec::new(), None),
            ScopeDecision::Overridden { violations, reason } => {
                let mut rules: Vec<String> = violations.iter().map(|v| v.rule.code().to_owned()).collect();
                rules.dedup();
                (rules, Some(reason.as_str().to_owned()))
            }
        };
        let lines = self.price(&input.procedures)?;
        let mut claim = ClaimRow {
            id: Uuid::now_v7(),
            clinic_id: clinic.to_owned(),
            prescription_id: prescription.id,
            patient_id: prescription.patient_id,
            patient_control_number: store::next_patient_control_number(&mut tx).await?,
            payer_claim_control_number: None,
            state: ClaimState::Draft.as_str().to_owned(),
            frequency_code: ClaimFrequency::Original.code().to_owned(),
            attempts: 0,
            diagnoses: prescription.diagnoses.clone(),
            prior_authorization: None,
            place_of_service: input.place_of_service.clone(),
            rendering_npi: input.rendering_npi.clone(),
            date_of_service: input.date_of_service,
            total_charge: lines.iter().map(|l| l.charge).sum(),
            paid: Decimal::ZERO,
            patient_responsibility: Decimal::ZERO,
            scrub_findings: Vec::new(),
            next_action: String::new(),
            last_group_control_number: None,
        };
        store::insert_claim(&mut tx, &claim).await?;
        store::insert_lines(&mut tx, LineTable::Claim, claim.id, clinic, &lines).await?;
        let session = SessionRow {
            id: Uuid::now_v7(),
            clinic_id: clinic.to_owned(),
            prescription_id: prescription.id,
            claim_id: claim.id,
            date_of_service: input.date_of_service,
            rendering_npi: input.rendering_npi,
            place_of_service: input.place_of_service,
            body_sites: input.body_sites_json,
            override_reason,
            overridden_rules: overridden.clone(),
            idempotency_key: input.idempotency_key,
        };
        match store::insert_session(&mut tx, &session).await {
            Err(store::StoreError::Conflict(_)) if session.idempotency_key.is_some() => {
                // the same key was recorded concurrently: answer with that session
                drop(tx);
                let key = session.idempotency_key.as_deref().unwrap_or_default();
                let mut conn = self.scoped(clinic).await?;
                let existing = store::session_by_key(&mut conn, clinic, key).await?;
                drop(conn);
                return match existing {
                    Some(id) => self.session_view(clinic, id).await,
                    None => Err(ServiceError::refused("idempotency_conflict", "the session was recorded concurrently")),
                };
            }
            other => other?,
        }
        store::insert_lines(&mut tx, LineTable::Session, session.id, clinic, &lines).await?;
        let cause = if overridden.is_empty() {
            "session recorded".to_owned()
        } else {
            format!("session recorded with scope override: {}", overridden.join(", "))
        };
        store::add_history(&mut tx, &claim, &cause).await?;
        let clean = self.scrub_claim(&mut tx, &prescription, &mut claim, &lines).await?;
        let resource = AuditResource { kind: "session", id: session.id.to_string(), patient_id: String::new() };
        rx_platform::audit::commit_with(tx, audit.as_ref(), resource).await.map_err(store::StoreError::from)?;
        tracing::info!(claim_id = %claim.id, session_id = %session.id, clean, "session recorded");
        if clean {
            self.try_submit(clinic, claim.id).await;
        }
        Ok(SessionView { session, lines })
    }

    /// Scrubs the claim; when nothing blocks, moves it to scrubbed. Returns whether it did.
    async fn scrub_claim(
        &self,
        conn: &mut PgConnection,
        prescription: &PrescriptionRow,
        claim: &mut ClaimRow,
        lines: &[LineRow],
    ) -> Result<bool> {
        let practice = &self.settings.practice;
        let domain = claim837::domain_claim(prescription, claim, lines, practice);
        let ctx = ScrubContext {
            today: OffsetDateTime::now_utc().date(),
            prescription: Some(claim837::prescription_facts(prescription)),
            payer: practice.payer_rules(),
        };
        let findings = scrub(&domain, &practice.billing_provider.npi, &ctx);
        claim.scrub_findings = findings.iter().map(|f| format!("{}: {}", f.code.code(), f.message)).collect();
        claim.scrub_findings.extend(claim837::demographics_findings(prescription));
        if !claim.scrub_findings.is_empty() {
            store::save_claim(conn, claim).await?;
            return Ok(false);
        }
        step(conn, claim, ClaimEvent::ScrubPassed, "scrub passed").await?;
        Ok(true)
    }

    /// Sends a scrubbed claim now; on failure it stays scrubbed and the poller retries.
    pub async fn try_submit(&self, clinic: &str, claim: Uuid) {
        if let Err(e) = self.submit(clinic, claim).await {
            tracing::warn!(claim_id = %claim, error = %e, "claim not sent yet, will retry");
        }
    }

    /// Builds the 837P for a scrubbed claim, hands it to the clearinghouse and records it.
    pub async fn submit(&self, clinic: &str, claim_id: Uuid) -> Result<()> {
        let mut tx = self.scoped(clinic).await?;
        let Some(mut claim) = store::claim(&mut tx, Some(clinic), ClaimKey::Id(claim_id), true).await? else {
            return Err(ServiceError::NotFound("claim"));
        };
        if claim.state != ClaimState::Scrubbed.as_str() {
            return Ok(()); // sent by someone else meanwhile
        }
        self.send_837(&mut tx, &mut claim).await?;
        step(&mut tx, &mut claim, ClaimEvent::Submit, "837P sent").await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        tracing::info!(claim_id = %claim.id, attempt = claim.attempts, "claim submitted");
        Ok(())
    }

    /// Writes and sends the 837P of the claim as it is now, records the artifact, counts the
    /// attempt and publishes `claim.submitted.v1`. The caller moves the state.
    async fn send_837(&self, conn: &mut PgConnection, claim: &mut ClaimRow) -> Result<()> {
        let prescription = store::prescription(conn, &claim.clinic_id, claim.prescription_id)
            .await?
            .ok_or(ServiceError::NotFound("prescription"))?;
        let lines = store::lines(conn, LineTable::Claim, claim.id).await?;
        let practice = &self.settings.practice;
        let domain = claim837::domain_claim(&prescription, claim, &lines, practice);
        let batch = claim837::batch(domain, practice);
        let number = store::next_control_number(conn, &practice.interchange_receiver).await?;
        let now = OffsetDateTime::now_utc();
        let usage = if practice.test_usage { rx_x12::Usage::Test } else { rx_x12::Usage::Production };
        let envelope = rx_x12::Envelope::new(
            rx_x12::PartyId::new("ZZ", &practice.interchange_sender),
            rx_x12::PartyId::new("ZZ", &practice.interchange_receiver),
            time::PrimitiveDateTime::new(now.date(), now.time()),
            usage,
        );
        let numbers = rx_x12::ControlNumbers { interchange: number, group: number, first_transaction: 1 };
        let x12 = claims_domain::build837::build_837p(&batch, &self.settings.fees, &envelope, numbers)
            .map_err(|e| ServiceError::refused("invalid_837p", e.to_string()))?;
        self.clearinghouse.submit_batch(&x12).await.map_err(ServiceError::ClearinghouseUnavailable)?;
        let mut document = store::PendingDocument::new("837P", "outbound", &x12, &self.settings.at_rest);
        store::attach_document(conn, claim, &mut document).await?;
        claim.attempts += 1;
        claim.last_group_control_number = Some(i64::from(number));
        let event = ClaimSubmitted {
            meta: Some(events::meta(&claim.clinic_id)),
            claim_id: claim.id.to_string(),
            prescription_id: claim.prescription_id.to_string(),
            patient_control_number: claim.patient_control_number.clone(),
            frequency_code: claim.frequency_code.clone(),
            attempt: u32::try_from(claim.attempts).unwrap_or(0),
        };
        events::publish(conn, events::CLAIM_SUBMITTED, &claim.clinic_id, &event).await?;
        Ok(())
    }

    pub async fn session_view(&self, clinic: &str, id: Uuid) -> Result<SessionView> {
        let mut conn = self.scoped(clinic).await?;
        let session = store::session(&mut conn, clinic, id).await?.ok_or(ServiceError::NotFound("session"))?;
        let lines = store::lines(&mut conn, LineTable::Session, id).await?;
        Ok(SessionView { session, lines })
    }

    pub async fn claim_view(&self, clinic: &str, id: Uuid) -> Result<ClaimView> {
        let mut conn = self.scoped(clinic).await?;
        let claim = store::claim(&mut conn, Some(clinic), ClaimKey::Id(id), false)
            .await?
            .ok_or(ServiceError::NotFound("claim"))?;
        view(&mut conn, claim, &self.settings.at_rest).await
    }

    pub async fn list_claims(
        &self,
        clinic: &str,
        patient: Option<Uuid>,
        prescription: Option<Uuid>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ClaimView>> {
        let mut conn = self.scoped(clinic).await?;
        let rows = store::list_claims(&mut conn, clinic, patient, prescription, limit, offset).await?;
        let mut out = Vec::with_capacity(rows.len());
        for claim in rows {
            // lists carry history but not the X12 documents (GetClaim has them)
            let lines = store::lines(&mut conn, LineTable::Claim, claim.id).await?;
            let history = store::history(&mut conn, claim.id).await?;
            out.push(ClaimView { claim, lines, history, artifacts: Vec::new() });
        }
        Ok(out)
    }

    /// Corrects a claim: after adjudication as a replacement (frequency 7, REF*F8), after a
    /// 999/277CA rejection as a fixed original; then scrubs and sends it again.
    pub async fn correct(&self, clinic: &str, id: Uuid, correction: Correction) -> Result<ClaimView> {
        let mut tx = self.scoped(clinic).await?;
        let mut claim = store::claim(&mut tx, Some(clinic), ClaimKey::Id(id), true)
            .await?
            .ok_or(ServiceError::NotFound("claim"))?;
        let state = parse_state(&claim.state)?;
        let reason = format!("corrected: {}", correction.reason.trim());
        match state {
            ClaimState::Paid | ClaimState::PartiallyPaid | ClaimState::Denied => {
                if claim.payer_claim_control_number.is_none() {
                    return Err(ServiceError::refused(
                        "payer_claim_number_missing",
                        "a replacement needs the payer claim control number",
                    ));
                }
                claim.frequency_code = ClaimFrequency::Replacement.code().to_owned();
                step(&mut tx, &mut claim, ClaimEvent::Correct, &reason).await?;
            }
            ClaimState::Rejected | ClaimState::Scrubbed | ClaimState::Draft => {
                claim.frequency_code = ClaimFrequency::Original.code().to_owned();
                if state == ClaimState::Draft {
                    store::add_history(&mut tx, &claim, &reason).await?;
                } else {
                    step(&mut tx, &mut claim, ClaimEvent::Edit, &reason).await?;
                }
            }
            other => {
                return Err(ServiceError::refused(
                    "not_correctable",
                    format!("a claim in state {other} cannot be corrected"),
                ));
            }
        }
        if !correction.diagnoses.is_empty() {
            claim.diagnoses = correction.diagnoses.iter().map(|d| d.trim().to_ascii_uppercase()).collect();
        }
        if let Some(auth) = correction.prior_authorization {
            claim.prior_authorization = Some(auth);
        }
        let lines = if correction.procedures.is_empty() {
            store::lines(&mut tx, LineTable::Claim, claim.id).await?
        } else {
            let lines = self.price(&correction.procedures)?;
            store::delete_claim_lines(&mut tx, claim.id).await?;
            store::insert_lines(&mut tx, LineTable::Claim, claim.id, clinic, &lines).await?;
            claim.total_charge = lines.iter().map(|l| l.charge).sum();
            lines
        };
        claim.next_action.clear();
        let prescription = store::prescription(&mut tx, clinic, claim.prescription_id)
            .await?
            .ok_or(ServiceError::NotFound("prescription"))?;
        let clean = self.scrub_claim(&mut tx, &prescription, &mut claim, &lines).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        if clean {
            self.try_submit(clinic, claim.id).await;
        }
        self.claim_view(clinic, id).await
    }

    /// Voids an accepted or adjudicated claim: frequency 8 sent at once.
    pub async fn void(&self, clinic: &str, id: Uuid, reason: &str) -> Result<ClaimView> {
        let mut tx = self.scoped(clinic).await?;
        let mut claim = store::claim(&mut tx, Some(clinic), ClaimKey::Id(id), true)
            .await?
            .ok_or(ServiceError::NotFound("claim"))?;
        transition(parse_state(&claim.state)?, ClaimEvent::Void)
            .map_err(|e| ServiceError::refused("not_voidable", e.to_string()))?;
        if claim.payer_claim_control_number.is_none() {
            return Err(ServiceError::refused(
                "payer_claim_number_missing",
                "a void needs the payer claim control number",
            ));
        }
        claim.frequency_code = ClaimFrequency::Void.code().to_owned();
        self.send_837(&mut tx, &mut claim).await?;
        step(&mut tx, &mut claim, ClaimEvent::Void, &format!("voided: {}", reason.trim())).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        self.claim_view(clinic, id).await
    }

    pub async fn balance(&self, clinic: &str, patient: Uuid) -> Result<Balance> {
        let mut conn = self.scoped(clinic).await?;
        let [charged, paid_by_payers, owed_by_patient] = store::patient_totals(&mut conn, clinic, patient).await?;
        Ok(Balance { charged, paid_by_payers, owed_by_patient })
    }

    /// Sends claims left scrubbed (the clearinghouse was down when they were recorded).
    pub async fn retry_unsent(&self) -> Result<usize> {
        let mut tx = rx_platform::tenancy::begin_task(&self.pool, rx_platform::tenancy::Task::Resubmit)
            .await
            .map_err(store::StoreError::from)?;
        let waiting = store::claim_ids_in_state(&mut tx, ClaimState::Scrubbed.as_str(), 100).await?;
        tx.commit().await.map_err(store::StoreError::from)?;
        let mut sent = 0;
        for (clinic, id) in waiting {
            if self.submit(&clinic, id).await.is_ok() {
                sent += 1;
            }
        }
        Ok(sent)
    }
}

async fn view(conn: &mut PgConnection, claim: ClaimRow, at_rest: &rx_seal::AtRest) -> Result<ClaimView> {
    let lines = store::lines(conn, LineTable::Claim, claim.id).await?;
    let history = store::history(conn, claim.id).await?;
    let artifacts = store::artifacts(conn, claim.id, at_rest).await?;
    Ok(ClaimView { claim, lines, history, artifacts })
}
