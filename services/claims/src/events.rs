//! What claims consumes (accepted prescriptions: their scope; eligibility results) and the
//! events it publishes through its outbox.

use prost::Message;
use rx_messaging::{Event, Handler, HandlerError, NewEvent};
use rx_proto::common::v1 as common;
use rx_proto::events::v1::{CoverageDecision, EligibilityChecked, EventMeta, PrescriptionAccepted};
use sqlx::PgConnection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::store::{self, CoverageRow, PrescriptionRow, StoreError};

pub const PRESCRIPTION_ACCEPTED: &str = "prescription.accepted.v1";
pub const ELIGIBILITY_CHECKED: &str = "eligibility.checked.v1";
pub const CLAIM_SUBMITTED: &str = "claim.submitted.v1";
pub const CLAIM_REJECTED: &str = "claim.rejected.v1";
pub const CLAIM_DENIED: &str = "claim.denied.v1";
pub const CLAIM_PAID: &str = "claim.paid.v1";

#[derive(Debug, Clone, Default)]
pub struct ClaimsEventHandler;

impl From<StoreError> for HandlerError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(e) => Self::Transient(e.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// The rows events carry: prescriptions' scope and their eligibility answers.
#[derive(Debug, Default)]
struct Rows {
    prescriptions: Vec<PrescriptionRow>,
    coverages: Vec<CoverageRow>,
}

impl Rows {
    /// Adds what `event` carries; an event that cannot be read is poison.
    fn add(&mut self, event: &Event) -> Result<(), HandlerError> {
        let poison = |e: prost::DecodeError| HandlerError::Poison(format!("undecodable {}: {e}", event.routing_key));
        match event.routing_key.as_str() {
            PRESCRIPTION_ACCEPTED => {
                let accepted = PrescriptionAccepted::decode(event.payload.as_slice()).map_err(poison)?;
                let row = prescription_row(&event.clinic_id, &accepted).map_err(HandlerError::Poison)?;
                tracing::info!(prescription_id = %row.id, "prescription scope stored");
                self.prescriptions.push(row);
            }
            ELIGIBILITY_CHECKED => {
                let checked = EligibilityChecked::decode(event.payload.as_slice()).map_err(poison)?;
                let row = coverage_row(&event.clinic_id, &checked).map_err(HandlerError::Poison)?;
                tracing::info!(prescription_id = %row.prescription_id, decision = %row.decision, "coverage stored");
                self.coverages.push(row);
            }
            other => return Err(HandlerError::Poison(format!("unexpected routing key {other}"))),
        }
        Ok(())
    }

    /// Writes them: one statement per kind, however many events.
    async fn store(&self, tx: &mut PgConnection) -> Result<(), HandlerError> {
        if !self.prescriptions.is_empty() {
            store::upsert_prescriptions(tx, &self.prescriptions).await?;
        }
        if !self.coverages.is_empty() {
            store::upsert_coverages(tx, &self.coverages).await?;
        }
        Ok(())
    }
}

impl Handler for ClaimsEventHandler {
    async fn handle(&self, tx: &mut PgConnection, event: &Event) -> Result<(), HandlerError> {
        self.handle_all(tx, &[(event, tracing::Span::current())]).await
    }

    async fn handle_all(&self, tx: &mut PgConnection, events: &[(&Event, tracing::Span)]) -> Result<(), HandlerError> {
        let mut rows = Rows::default();
        for (event, span) in events {
            span.in_scope(|| rows.add(event))?;
        }
        rows.store(tx).await
    }
}

fn uuid_field(value: &str, field: &str) -> Result<Uuid, String> {
    Uuid::parse_str(value.trim()).map_err(|_| format!("{field} is not a uuid"))
}

pub fn date_of(date: Option<&common::Date>) -> Option<time::Date> {
    let d = date?;
    let month = time::Month::try_from(u8::try_from(d.month).ok()?).ok()?;
    time::Date::from_calendar_date(d.year, month, u8::try_from(d.day).ok()?).ok()
}

/// Body sites as stored: `[{"region": .., "laterality": ..}]`.
pub fn sites_json(sites: &[common::BodySite]) -> String {
    let list: Vec<serde_json::Value> =
        sites.iter().map(|s| serde_json::json!({"region": s.region, "laterality": s.laterality})).collect();
    serde_json::Value::Array(list).to_string()
}

/// The clinic comes from the event header (checked against the payload's meta when present).
fn prescription_row(clinic: &str, p: &PrescriptionAccepted) -> Result<PrescriptionRow, String> {
    let clinic = clinic_of(clinic, p.meta.as_ref())?;
    let name = p.patient_name.clone().unwrap_or_default();
    let prescriber = p.prescriber_name.clone().unwrap_or_default();
    let coverage = p.coverage.clone().unwrap_or_default();
    let valid_from = date_of(p.valid_from.as_ref()).ok_or("valid_from is missing or invalid")?;
    let valid_until = date_of(p.valid_until.as_ref()).ok_or("valid_until is missing or invalid")?;
    Ok(PrescriptionRow {
        id: uuid_field(&p.prescription_id, "prescription_id")?,
        clinic_id: clinic,
        patient_id: uuid_field(&p.patient_id, "patient_id")?,
        patient_family: name.family,
        patient_given: name.given,
        patient_birth_date: date_of(p.patient_birth_date.as_ref()),
        patient_sex: p.patient_sex.trim().to_ascii_uppercase(),
        patient_address: p.patient_address.as_ref().filter(|a| !a.line1.trim().is_empty()).map(|a| {
            serde_json::json!({
                "line1": a.line1.trim(), "line2": a.line2.trim(), "city": a.city.trim(),
                "state": a.state.trim(), "postal_code": a.postal_code.trim(),
            })
            .to_string()
        }),
        payer_id: coverage.payer_id,
        payer_name: coverage.payer_name,
        member_id: coverage.member_id,
        relationship: coverage.relationship,
        prescriber_npi: p.prescriber_npi.trim().to_owned(),
        prescriber_family: prescriber.family,
        prescriber_given: prescriber.given,
        diagnoses: p.diagnoses.clone(),
        procedures: p.procedures.clone(),
        sessions: i32::try_from(p.sessions).map_err(|_| "sessions out of range")?,
        valid_from,
        valid_until,
        body_sites: sites_json(&p.body_sites),
    })
}

fn coverage_row(clinic: &str, c: &EligibilityChecked) -> Result<CoverageRow, String> {
    let decision = match c.decision() {
        CoverageDecision::Covered => "covered",
        CoverageDecision::NotCovered => "not_covered",
        CoverageDecision::PriorAuthRequired => "prior_auth_required",
        CoverageDecision::NeedsAttention | CoverageDecision::Unspecified => "needs_attention",
    };
    let checked_at = OffsetDateTime::parse(c.checked_at.trim(), &Rfc3339).map_err(|_| "checked_at is not rfc 3339")?;
    Ok(CoverageRow {
        prescription_id: uuid_field(&c.prescription_id, "prescription_id")?,
        clinic_id: clinic_of(clinic, c.meta.as_ref())?,
        patient_id: c.patient_id.clone(),
        decision: decision.to_owned(),
        checked_at,
        payer_id: c.payer_id.clone(),
    })
}

fn clinic_of(header: &str, meta: Option<&EventMeta>) -> Result<String, String> {
    let from_meta = meta.map(|m| m.clinic_id.trim()).filter(|c| !c.is_empty());
    match (header.trim(), from_meta) {
        ("", None) => Err("the event names no clinic".into()),
        ("", Some(m)) => Ok(m.to_owned()),
        (h, Some(m)) if h != m => Err("clinic header and payload disagree".into()),
        (h, _) => Ok(h.to_owned()),
    }
}

/// The metadata of an event claims publishes.
pub fn meta(clinic: &str) -> EventMeta {
    EventMeta {
        event_id: Uuid::now_v7().to_string(),
        clinic_id: clinic.to_owned(),
        occurred_at: OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
    }
}

/// Writes an event into the outbox inside the caller's transaction.
pub async fn publish(
    conn: &mut PgConnection,
    routing_key: &str,
    clinic: &str,
    message: &impl Message,
) -> Result<(), StoreError> {
    let event = NewEvent {
        routing_key: routing_key.to_owned(),
        clinic_id: clinic.to_owned(),
        payload: message.encode_to_vec(),
    };
    rx_messaging::outbox::enqueue(conn, &event).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clinic_must_agree_between_header_and_payload() {
        let meta = |c: &str| EventMeta { clinic_id: c.into(), ..Default::default() };
        assert_eq!(clinic_of("c1", Some(&meta("c1"))), Ok("c1".into()));
        assert_eq!(clinic_of("", Some(&meta("c1"))), Ok("c1".into()));
        assert_eq!(clinic_of("c1", None), Ok("c1".into()));
        assert!(clinic_of("c1", Some(&meta("c2"))).is_err());
        assert!(clinic_of("", None).is_err());
    }

    #[test]
    fn proto_dates_convert_or_are_refused() {
        let d = |y, m, day| common::Date { year: y, month: m, day };
        assert_eq!(
            date_of(Some(&d(2026, 2, 28))),
            time::Date::from_calendar_date(2026, time::Month::February, 28).ok()
        );
        assert_eq!(date_of(Some(&d(2026, 2, 30))), None);
        assert_eq!(date_of(Some(&d(2026, 13, 1))), None);
        assert_eq!(date_of(None), None);
    }
}
