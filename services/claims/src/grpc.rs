//! Thin gRPC adapter for the claims API: proto in, domain call, proto out; errors are mapped
//! once in `error.rs`.

use claims_domain::body_site::BodySite;
use claims_domain::scope::OverrideReason;
use rx_platform::audit::{CallEntry, concerning};
use rx_proto::claims::v1::claims_service_server::{ClaimsService, ClaimsServiceServer};
use rx_proto::claims::v1::*;
use rx_proto::common::v1 as common;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tonic::service::Routes;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::error::ServiceError;
use crate::events::{date_of, sites_json};
use crate::service::{ClaimView, ClaimsApp, Correction, ProcedureInput, SessionInput};
use crate::store::LineRow;

/// The gRPC face of [`ClaimsApp`].
#[derive(Debug, Clone)]
pub struct Claims {
    app: ClaimsApp,
}

pub fn routes(base: Routes, app: ClaimsApp, max_message_bytes: usize) -> Routes {
    base.add_service(ClaimsServiceServer::new(Claims { app }).max_decoding_message_size(max_message_bytes))
}

/// The caller's clinic. Until authentication lands it comes from the `x-clinic-id` metadata;
/// this is the one place to replace.
fn clinic<T>(request: &Request<T>) -> Result<String, ServiceError> {
    request
        .metadata()
        .get("x-clinic-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or(ServiceError::Unauthenticated)
}

fn uuid(field: &'static str, value: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(value.trim()).map_err(|_| ServiceError::invalid(field, "must be a uuid"))
}

fn optional_uuid(field: &'static str, value: &str) -> Result<Option<Uuid>, ServiceError> {
    if value.trim().is_empty() { Ok(None) } else { uuid(field, value).map(Some) }
}

fn procedures(field: &'static str, list: &[ProcedureMinutes]) -> Result<Vec<ProcedureInput>, ServiceError> {
    list.iter()
        .map(|p| {
            let code = p.code.trim().to_ascii_uppercase();
            if code.is_empty() {
                return Err(ServiceError::invalid(field, "a procedure code is empty"));
            }
            Ok(ProcedureInput { code, minutes: p.minutes, modifiers: p.modifiers.clone() })
        })
        .collect()
}

fn session_input(r: RecordSessionRequest) -> Result<SessionInput, ServiceError> {
    let date_of_service = date_of(r.date_of_service.as_ref())
        .ok_or_else(|| ServiceError::invalid("date_of_service", "a valid date is required"))?;
    let npi = r.rendering_npi.trim();
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServiceError::invalid("rendering_npi", "must be 10 digits"));
    }
    let pos = if r.place_of_service.trim().is_empty() { "11" } else { r.place_of_service.trim() };
    if pos.len() != 2 || !pos.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServiceError::invalid("place_of_service", "must be a 2-digit CMS place-of-service code"));
    }
    let body_sites = r
        .body_sites
        .iter()
        .map(|s| BodySite::parse(&format!("{} {}", s.laterality, s.region)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ServiceError::invalid("body_sites", "a body site is not recognised"))?;
    let override_reason = if r.override_reason.trim().is_empty() {
        None
    } else {
        Some(
            OverrideReason::parse(&r.override_reason)
                .map_err(|e| ServiceError::invalid("override_reason", e.to_string()))?,
        )
    };
    let key = r.idempotency_key.trim();
    Ok(SessionInput {
        prescription_id: uuid("prescription_id", &r.prescription_id)?,
        date_of_service,
        rendering_npi: npi.to_owned(),
        place_of_service: pos.to_owned(),
        procedures: procedures("procedures", &r.procedures)?,
        body_sites,
        body_sites_json: sites_json(&r.body_sites),
        override_reason,
        idempotency_key: (!key.is_empty()).then(|| key.to_owned()),
    })
}

fn proto_date(d: time::Date) -> common::Date {
    common::Date { year: d.year(), month: i32::from(u8::from(d.month())), day: i32::from(d.day()) }
}

fn money(amount: rust_decimal::Decimal) -> Option<common::Money> {
    Some(common::Money { amount: format!("{:.2}", amount.round_dp(2)) })
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

fn service_lines(lines: &[LineRow]) -> Vec<ServiceLine> {
    lines
        .iter()
        .map(|l| ServiceLine {
            code: l.code.clone(),
            modifiers: l.modifiers.clone(),
            minutes: l.minutes,
            units: l.units,
            charge: money(l.charge),
        })
        .collect()
}

fn claim_message(v: ClaimView) -> Claim {
    let c = v.claim;
    Claim {
        id: c.id.to_string(),
        prescription_id: c.prescription_id.to_string(),
        patient_control_number: c.patient_control_number,
        payer_claim_control_number: c.payer_claim_control_number.unwrap_or_default(),
        state: c.state,
        frequency_code: c.frequency_code,
        attempts: u32::try_from(c.attempts).unwrap_or(0),
        lines: service_lines(&v.lines),
        total_charge: money(c.total_charge),
        paid: money(c.paid),
        patient_responsibility: money(c.patient_responsibility),
        scrub_findings: c.scrub_findings,
        next_action: c.next_action,
        history: v.history.into_iter().map(|(state, at, cause)| ClaimEvent { state, at: rfc3339(at), cause }).collect(),
        artifacts: v
            .artifacts
            .into_iter()
            .map(|(kind, direction, at, content)| Artifact { kind, direction, at: rfc3339(at), content })
            .collect(),
    }
}

#[tonic::async_trait]
impl ClaimsService for Claims {
    async fn record_session(&self, request: Request<RecordSessionRequest>) -> Result<Response<Session>, Status> {
        let clinic = clinic(&request)?;
        let audit = CallEntry::of(&request);
        let input = session_input(request.into_inner())?;
        let view = self.app.record_session(&clinic, input, audit).await?;
        let s = view.session;
        let id = s.id;
        let session = Response::new(Session {
            id: s.id.to_string(),
            prescription_id: s.prescription_id.to_string(),
            date_of_service: Some(proto_date(s.date_of_service)),
            lines: service_lines(&view.lines),
            claim_id: s.claim_id.to_string(),
            overridden_rules: s.overridden_rules,
        });
        Ok(concerning(session, "session", id, ""))
    }

    async fn list_claims(&self, request: Request<ListClaimsRequest>) -> Result<Response<ListClaimsResponse>, Status> {
        let clinic = clinic(&request)?;
        let r = request.into_inner();
        let patient = optional_uuid("patient_id", &r.patient_id)?;
        let prescription = optional_uuid("prescription_id", &r.prescription_id)?;
        if patient.is_none() && prescription.is_none() {
            return Err(ServiceError::invalid("patient_id", "a patient or a prescription is required").into());
        }
        let page = r.page.unwrap_or_default();
        let size = match page.page_size {
            0 => 50,
            n => i64::from(n.min(500)),
        };
        let offset: i64 = if page.page_token.is_empty() {
            0
        } else {
            page.page_token.parse().map_err(|_| ServiceError::invalid("page.page_token", "not a token we issued"))?
        };
        let views = self.app.list_claims(&clinic, patient, prescription, size + 1, offset).await?;
        let more = i64::try_from(views.len()).unwrap_or(0) > size;
        let claims: Vec<Claim> =
            views.into_iter().take(usize::try_from(size).unwrap_or(50)).map(claim_message).collect();
        let next_page_token = if more { (offset + size).to_string() } else { String::new() };
        let about = patient.or(prescription).map(|u| u.to_string()).unwrap_or_default();
        let reply = Response::new(ListClaimsResponse { claims, next_page_token });
        Ok(concerning(reply, "claims", about, patient.map(|p| p.to_string()).unwrap_or_default()))
    }

    async fn get_claim(&self, request: Request<GetClaimRequest>) -> Result<Response<Claim>, Status> {
        let clinic = clinic(&request)?;
        let id = uuid("claim_id", &request.get_ref().claim_id)?;
        Ok(concerning(Response::new(claim_message(self.app.claim_view(&clinic, id).await?)), "claim", id, ""))
    }

    async fn correct_claim(&self, request: Request<CorrectClaimRequest>) -> Result<Response<Claim>, Status> {
        let clinic = clinic(&request)?;
        let r = request.into_inner();
        let id = uuid("claim_id", &r.claim_id)?;
        if r.reason.trim().is_empty() {
            return Err(ServiceError::invalid("reason", "a correction needs a reason").into());
        }
        let auth = r.prior_authorization.trim();
        let correction = Correction {
            diagnoses: r.diagnoses.iter().map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()).collect(),
            procedures: procedures("procedures", &r.procedures)?,
            prior_authorization: (!auth.is_empty()).then(|| auth.to_owned()),
            reason: r.reason,
        };
        Ok(concerning(Response::new(claim_message(self.app.correct(&clinic, id, correction).await?)), "claim", id, ""))
    }

    async fn void_claim(&self, request: Request<VoidClaimRequest>) -> Result<Response<Claim>, Status> {
        let clinic = clinic(&request)?;
        let r = request.into_inner();
        let id = uuid("claim_id", &r.claim_id)?;
        if r.reason.trim().is_empty() {
            return Err(ServiceError::invalid("reason", "a void needs a reason").into());
        }
        Ok(concerning(Response::new(claim_message(self.app.void(&clinic, id, &r.reason).await?)), "claim", id, ""))
    }

    async fn post_remittance(
        &self,
        request: Request<PostRemittanceRequest>,
    ) -> Result<Response<PostRemittanceResponse>, Status> {
        let clinic = clinic(&request)?;
        let r = request.into_inner();
        let outcome = self.app.post_remittance(Some(&clinic), &r.content).await?;
        Ok(Response::new(PostRemittanceResponse {
            applied: outcome.applied,
            already_posted: outcome.already_posted,
            unmatched: outcome.unmatched,
        }))
    }

    async fn get_patient_balance(
        &self,
        request: Request<GetPatientBalanceRequest>,
    ) -> Result<Response<PatientBalance>, Status> {
        let clinic = clinic(&request)?;
        let patient_id = request.into_inner().patient_id;
        let patient = uuid("patient_id", &patient_id)?;
        let b = self.app.balance(&clinic, patient).await?;
        let reply = Response::new(PatientBalance {
            patient_id,
            balance: money(b.owed_by_patient),
            total_charged: money(b.charged),
            total_paid_by_payers: money(b.paid_by_payers),
        });
        Ok(concerning(reply, "balance", patient, patient))
    }
}
