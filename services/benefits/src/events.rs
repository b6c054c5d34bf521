//! What benefits consumes and publishes: each `prescription.accepted.v1` is checked with the
//! payer and answered with `eligibility.checked.v1` (written to the outbox in the consumer's
//! transaction, together with the coverage, the check and its raw X12).
//!
//! The payer call happens before any write, bounded by the payer's timeout and retry budget;
//! a payer still unavailable after that gives `needs_attention` / `payer_unavailable` rather
//! than failing the message. A redelivery after a crash may call the payer again but records
//! and publishes once (the inbox).

use prost::Message;
use rx_messaging::{Event, Handler, HandlerError, NewEvent};
use rx_proto::events::v1::{CoverageHint, EligibilityChecked, EventMeta, PrescriptionAccepted};
use sqlx::PgConnection;
use time::OffsetDateTime;
use tracing::Instrument;
use uuid::Uuid;

use crate::app::App;
use crate::check::Performed;
use crate::config::BenefitsConfig;
use crate::estimate;
use crate::store::{self, Coverage, FirstSeen, NewCheck, Relationship, SeenPrescription};
use crate::summary::{Decision, Summary, money};

pub const PRESCRIPTION_ACCEPTED: &str = "prescription.accepted.v1";
pub const ELIGIBILITY_CHECKED: &str = "eligibility.checked.v1";

/// `needs_attention` reason when neither the event nor the store names the coverage.
pub const COVERAGE_MISSING: &str = "coverage_missing";

/// Handles `prescription.accepted.v1`.
#[derive(Debug, Clone)]
pub struct PrescriptionAcceptedHandler {
    app: App,
}

impl PrescriptionAcceptedHandler {
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

fn date(d: Option<&rx_proto::common::v1::Date>) -> Option<time::Date> {
    let d = d?;
    let month = time::Month::try_from(u8::try_from(d.month).ok()?).ok()?;
    time::Date::from_calendar_date(d.year, month, u8::try_from(d.day).ok()?).ok()
}

/// The coverage the prescription's hint describes, when it names a payer and a member. The
/// document's payer id or name is mapped to the configured payer it means (its id or an alias);
/// one no configuration knows is kept as written, so the check says `payer_not_configured`.
fn from_hint(
    config: &BenefitsConfig,
    clinic: &str,
    patient_id: Uuid,
    a: &PrescriptionAccepted,
    hint: &CoverageHint,
) -> Option<Coverage> {
    let named = |s: &str| !s.trim().is_empty();
    if !(named(&hint.payer_id) || named(&hint.payer_name)) || !named(&hint.member_id) {
        return None;
    }
    let payer_id = match config.resolve_payer(&hint.payer_id, &hint.payer_name) {
        Some(p) => p.payer_id.clone(),
        None if named(&hint.payer_id) => hint.payer_id.trim().to_owned(),
        None => hint.payer_name.trim().to_owned(),
    };
    let name = a.patient_name.clone().unwrap_or_default();
    Some(Coverage {
        clinic_id: clinic.to_owned(),
        patient_id,
        payer_id,
        member_id: hint.member_id.trim().to_owned(),
        relationship: if hint.relationship == "dependent" { Relationship::Dependent } else { Relationship::Subscriber },
        patient_family: name.family,
        patient_given: name.given,
        patient_birth_date: date(a.patient_birth_date.as_ref()),
        subscriber_family: String::new(),
        subscriber_given: String::new(),
        subscriber_birth_date: None,
    })
}

fn poison(what: &str) -> HandlerError {
    HandlerError::Poison(format!("{PRESCRIPTION_ACCEPTED}: {what}"))
}

/// Patient cost per session and in total, when the decision allows an estimate.
fn patient_costs(
    app_fees: &benefits_domain::FeeSchedule,
    seen: &SeenPrescription<'_>,
    summary: &Summary,
) -> Option<(rust_decimal::Decimal, rust_decimal::Decimal)> {
    let mut benefits = match summary.decision {
        Decision::NeedsAttention => return None,
        _ => summary.in_network.benefits(),
    };
    if summary.decision == Decision::NotCovered {
        benefits.not_covered = true;
    }
    let procedures = estimate::session_procedures(seen.procedures, seen.minutes_per_session);
    if procedures.is_empty() || seen.sessions == 0 {
        return None;
    }
    match estimate::price(app_fees, &procedures, seen.sessions, &benefits) {
        Ok(e) => Some((e.first_session()?.patient_pays, e.total.patient_pays)),
        Err(e) => {
            tracing::warn!(prescription_id = %seen.prescription_id, error = %e, "no estimate for the prescription");
            None
        }
    }
}

/// Records a check of a prescription and writes its `eligibility.checked.v1` to the outbox,
/// in the caller's transaction. Used for the first check (`first_seen`: the prescription is
/// recorded with it) and for every later recheck.
pub async fn announce(
    tx: &mut PgConnection,
    fees: &benefits_domain::FeeSchedule,
    seen: &SeenPrescription<'_>,
    first_seen: Option<FirstSeen<'_>>,
    performed: &Performed,
    recheck_base: std::time::Duration,
    at_rest: &rx_seal::AtRest,
) -> Result<(), store::StoreError> {
    let now = OffsetDateTime::now_utc();
    let summary = &performed.summary;
    let costs = patient_costs(fees, seen, summary);
    let checked = EligibilityChecked {
        meta: Some(EventMeta {
            event_id: Uuid::now_v7().to_string(),
            clinic_id: seen.clinic_id.to_owned(),
            occurred_at: now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        }),
        prescription_id: seen.prescription_id.to_string(),
        patient_id: seen.patient_id.to_string(),
        decision: summary.decision.to_event().into(),
        attention_reason: summary.attention_reason.clone(),
        visits_remaining: summary.in_network.visits_remaining,
        estimated_patient_cost_per_session: costs.map(|c| money(c.0)),
        estimated_patient_cost_total: costs.map(|c| money(c.1)),
        checked_at: summary.checked_at.clone(),
        payer_id: summary.payer_id.clone(),
    };
    let event = rx_messaging::outbox::row(&NewEvent {
        routing_key: ELIGIBILITY_CHECKED.into(),
        clinic_id: seen.clinic_id.to_owned(),
        payload: checked.encode_to_vec(),
    });
    store::insert_check(
        tx,
        &NewCheck {
            id: performed.id,
            clinic_id: seen.clinic_id,
            patient_id: seen.patient_id,
            prescription_id: Some(seen.prescription_id),
            summary,
            checked_at: if performed.from_cache { now } else { performed.checked_at },
            from_cache: performed.from_cache,
            artifacts: &performed.artifacts,
            first_seen,
        },
        at_rest,
        Some(&event),
    )
    .await?;
    // A payer that could not answer is asked again later (see `recheck`, which also clears the
    // schedule once an answer came).
    let retry = crate::recheck::retryable(summary);
    if retry {
        let first = crate::recheck::delay(recheck_base, 0);
        store::schedule_recheck(tx, seen.clinic_id, seen.prescription_id, Some(first)).await?;
    }
    tracing::info!(
        prescription_id = %seen.prescription_id,
        check_id = %performed.id,
        decision = summary.decision.as_str(),
        from_cache = performed.from_cache,
        recheck = retry,
        "eligibility checked"
    );
    Ok(())
}

/// What the handler read for one event before any write: the prescription, the coverage to
/// check and, when the day's cache had the answer, that check.
struct Read {
    clinic: String,
    accepted: PrescriptionAccepted,
    prescription_id: Uuid,
    patient_id: Uuid,
    /// The coverage the event named (stored with the prescription).
    hinted: Option<Coverage>,
    /// The coverage to check: the event's, else the one on file.
    coverage: Option<Coverage>,
    service_type: String,
    cached: Option<Performed>,
}

impl PrescriptionAcceptedHandler {
    /// Decodes an event and finds the coverage it names; `cached` is left for [`Self::read_all`].
    async fn read(&self, tx: &mut PgConnection, event: &Event) -> Result<Read, HandlerError> {
        if event.routing_key != PRESCRIPTION_ACCEPTED {
            return Err(HandlerError::Poison(format!("unexpected routing key {}", event.routing_key)));
        }
        let a = PrescriptionAccepted::decode(event.payload.as_slice()).map_err(|_| poison("undecodable"))?;
        let clinic = if event.clinic_id.is_empty() {
            a.meta.as_ref().map(|m| m.clinic_id.clone()).unwrap_or_default()
        } else {
            event.clinic_id.clone()
        };
        if clinic.is_empty() {
            return Err(poison("no clinic id"));
        }
        let prescription_id =
            Uuid::parse_str(&a.prescription_id).map_err(|_| poison("prescription_id is not a uuid"))?;
        let patient_id = Uuid::parse_str(&a.patient_id).map_err(|_| poison("patient_id is not a uuid"))?;
        let checker = &self.app.checker;
        let hinted = a.coverage.as_ref().and_then(|h| from_hint(&checker.config, &clinic, patient_id, &a, h));
        let coverage = match &hinted {
            Some(c) => Some(c.clone()),
            None => store::coverage_in(tx, &clinic, patient_id).await?,
        };
        let service_type = coverage.as_ref().map(|c| checker.service_type(&c.payer_id, "")).unwrap_or_default();
        Ok(Read { clinic, accepted: a, prescription_id, patient_id, hinted, coverage, service_type, cached: None })
    }

    /// Reads every event (each in its span), then the day's cached answers for all of them in
    /// one statement, in the clinic-scoped transaction.
    async fn read_all(
        &self,
        tx: &mut PgConnection,
        events: &[(&Event, tracing::Span)],
    ) -> Result<Vec<Read>, HandlerError> {
        let mut reads = Vec::with_capacity(events.len());
        for (event, span) in events {
            reads.push(self.read(tx, event).instrument(span.clone()).await?);
        }
        let asked: Vec<(usize, (&Coverage, &str))> = reads
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.coverage.as_ref().map(|c| (i, (c, r.service_type.as_str()))))
            .collect();
        let keys: Vec<(&Coverage, &str)> = asked.iter().map(|(_, key)| *key).collect();
        let hits = self.app.checker.cached_all_in(tx, &keys).await?;
        let slots: Vec<usize> = asked.iter().map(|(i, _)| *i).collect();
        for (i, hit) in slots.into_iter().zip(hits) {
            reads[i].cached = hit;
        }
        Ok(reads)
    }

    /// The check of a read event: the cached one, else the payer's answer (the one wait).
    async fn perform(&self, read: &Read) -> Result<Performed, HandlerError> {
        if let Some(hit) = &read.cached {
            return Ok(hit.clone());
        }
        if let Some(c) = &read.coverage {
            return Ok(self.app.checker.ask_payer(&self.app.pool, c, &read.service_type, None).await?);
        }
        let now = OffsetDateTime::now_utc();
        let payer_id = read.accepted.coverage.as_ref().map(|h| h.payer_id.clone()).unwrap_or_default();
        let at = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        Ok(Performed {
            id: Uuid::now_v7(),
            summary: Summary::needs_attention(&payer_id, "AE", COVERAGE_MISSING, at),
            checked_at: now,
            from_cache: false,
            artifacts: Vec::new(),
        })
    }

    /// Records the prescription (with the coverage the event named) and its check, and writes
    /// `eligibility.checked.v1`.
    async fn write(&self, tx: &mut PgConnection, read: &Read, performed: &Performed) -> Result<(), HandlerError> {
        let fees = self.app.fees_in(tx, &read.clinic).await?;
        let seen = SeenPrescription {
            clinic_id: &read.clinic,
            prescription_id: read.prescription_id,
            patient_id: read.patient_id,
            procedures: &read.accepted.procedures,
            minutes_per_session: read.accepted.minutes_per_session,
            sessions: read.accepted.sessions,
        };
        // recorded with the check, with the coverage the event named, if any
        let first_seen = FirstSeen { prescription: &seen, coverage: read.hinted.as_ref() };
        let config = &self.app.checker.config;
        announce(tx, &fees, &seen, Some(first_seen), performed, config.recheck_every, &config.at_rest).await?;
        Ok(())
    }
}

impl Handler for PrescriptionAcceptedHandler {
    async fn handle(&self, tx: &mut PgConnection, event: &Event) -> Result<(), HandlerError> {
        self.handle_all(tx, &[(event, tracing::Span::current())]).await
    }

    /// Reads every event, asks the payer for all the cache did not answer at once (the batch
    /// waits for the slowest answer, not their sum), then writes: no lock is held while waiting.
    async fn handle_all(&self, tx: &mut PgConnection, events: &[(&Event, tracing::Span)]) -> Result<(), HandlerError> {
        let reads = self.read_all(tx, events).await?;
        let performed = futures_util::future::try_join_all(
            reads.iter().zip(events).map(|(read, (_, span))| self.perform(read).instrument(span.clone())),
        )
        .await?;
        for ((read, performed), (_, span)) in reads.iter().zip(&performed).zip(events) {
            self.write(tx, read, performed).instrument(span.clone()).await?;
        }
        Ok(())
    }
}
