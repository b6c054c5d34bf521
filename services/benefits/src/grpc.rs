//! Thin gRPC adapter for the benefits API: read the request, convert it, call the checker or
//! the estimate, map errors once (see [`crate::error`]).

use benefits_domain::Procedure;
use rx_platform::audit::{AuditResource, CallEntry, commit_with};
use rx_proto::benefits::v1::benefits_service_server::{BenefitsService, BenefitsServiceServer};
use rx_proto::benefits::v1::*;
use rx_proto::common::v1::{Date as ProtoDate, PersonName};
use tonic::service::Routes;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::App;
use crate::error::ServiceError;
use crate::estimate;
use crate::store::{self, Coverage as StoredCoverage, NewCheck, Relationship as StoredRelationship, StoreError};
use crate::summary::{Decision, money};

#[derive(Debug, Clone)]
pub struct Benefits {
    app: App,
}

pub fn routes(base: Routes, app: App, max_message_bytes: usize) -> Routes {
    base.add_service(BenefitsServiceServer::new(Benefits { app }).max_decoding_message_size(max_message_bytes))
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

fn uuid(field: &str, value: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(value.trim()).map_err(|_| ServiceError::invalid(field, "must be a uuid"))
}

fn date(field: &str, d: Option<&ProtoDate>) -> Result<Option<time::Date>, ServiceError> {
    let Some(d) = d else { return Ok(None) };
    let month = u8::try_from(d.month).ok().and_then(|m| time::Month::try_from(m).ok());
    let day = u8::try_from(d.day).ok();
    match (month, day) {
        (Some(m), Some(day)) => time::Date::from_calendar_date(d.year, m, day)
            .map(Some)
            .map_err(|_| ServiceError::invalid(field, "not a calendar date")),
        _ => Err(ServiceError::invalid(field, "not a calendar date")),
    }
}

fn proto_date(d: Option<time::Date>) -> Option<ProtoDate> {
    d.map(|d| ProtoDate { year: d.year(), month: i32::from(u8::from(d.month())), day: i32::from(d.day()) })
}

/// EQ01 service type codes are one or two letters or digits.
fn service_type(value: &str) -> Result<&str, ServiceError> {
    let v = value.trim();
    if v.is_empty() || (v.len() <= 2 && v.chars().all(|c| c.is_ascii_alphanumeric())) {
        Ok(v)
    } else {
        Err(ServiceError::invalid("service_type", "must be an X12 service type code such as AE"))
    }
}

fn required(field: &str, value: &str) -> Result<String, ServiceError> {
    let v = value.trim();
    if v.is_empty() { Err(ServiceError::invalid(field, "is required")) } else { Ok(v.to_owned()) }
}

fn to_stored(clinic: &str, c: &Coverage) -> Result<StoredCoverage, ServiceError> {
    let patient = c.patient_name.clone().unwrap_or_default();
    let subscriber = c.subscriber_name.clone().unwrap_or_default();
    let relationship = match Relationship::try_from(c.relationship) {
        Ok(Relationship::Dependent) => StoredRelationship::Dependent,
        Ok(_) => StoredRelationship::Subscriber,
        Err(_) => return Err(ServiceError::invalid("coverage.relationship", "unknown value")),
    };
    Ok(StoredCoverage {
        clinic_id: clinic.to_owned(),
        patient_id: uuid("coverage.patient_id", &c.patient_id)?,
        payer_id: required("coverage.payer_id", &c.payer_id)?,
        member_id: required("coverage.member_id", &c.member_id)?,
        relationship,
        patient_family: required("coverage.patient_name.family", &patient.family)?,
        patient_given: patient.given.trim().to_owned(),
        patient_birth_date: date("coverage.patient_birth_date", c.patient_birth_date.as_ref())?,
        subscriber_family: subscriber.family.trim().to_owned(),
        subscriber_given: subscriber.given.trim().to_owned(),
        subscriber_birth_date: date("coverage.subscriber_birth_date", c.subscriber_birth_date.as_ref())?,
    })
}

fn to_proto(c: &StoredCoverage) -> Coverage {
    let name = |family: &str, given: &str| {
        (!family.is_empty()).then(|| PersonName { family: family.to_owned(), given: given.to_owned() })
    };
    Coverage {
        patient_id: c.patient_id.to_string(),
        payer_id: c.payer_id.clone(),
        member_id: c.member_id.clone(),
        relationship: match c.relationship {
            StoredRelationship::Subscriber => Relationship::Subscriber,
            StoredRelationship::Dependent => Relationship::Dependent,
        }
        .into(),
        patient_name: name(&c.patient_family, &c.patient_given),
        patient_birth_date: proto_date(c.patient_birth_date),
        subscriber_name: name(&c.subscriber_family, &c.subscriber_given),
        subscriber_birth_date: proto_date(c.subscriber_birth_date),
    }
}

/// The procedures of one session, checked field by field.
fn procedures(
    per_session: &[ProcedureMinutes],
    fees: &benefits_domain::FeeSchedule,
) -> Result<Vec<Procedure>, ServiceError> {
    if per_session.is_empty() {
        return Err(ServiceError::invalid("per_session", "at least one procedure is required"));
    }
    per_session
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let code = p.code.trim();
            if rx_codes::cpt::is_timed(code).is_none() {
                return Err(ServiceError::invalid(
                    format!("per_session[{i}].code"),
                    "not a known physical-medicine code",
                ));
            }
            if fees.fee(code).is_none() {
                return Err(ServiceError::invalid(format!("per_session[{i}].code"), "no fee in the schedule"));
            }
            if p.minutes == 0 || p.minutes > 480 {
                return Err(ServiceError::invalid(format!("per_session[{i}].minutes"), "must be 1 to 480"));
            }
            Ok(Procedure { code: code.to_owned(), minutes: p.minutes })
        })
        .collect()
}

impl Benefits {
    async fn upsert(&self, clinic: String, req: UpsertCoverageRequest) -> Result<Coverage, ServiceError> {
        let c = req.coverage.ok_or_else(|| ServiceError::invalid("coverage", "is required"))?;
        let stored = to_stored(&clinic, &c)?;
        store::upsert_coverage_pool(&self.app.pool, &stored).await?;
        Ok(to_proto(&stored))
    }

    /// A check, with the call's audit entry written in the transaction that ends it.
    async fn check(
        &self,
        clinic: String,
        req: CheckEligibilityRequest,
        audit: Option<CallEntry>,
    ) -> Result<EligibilitySummary, ServiceError> {
        let patient_id = uuid("patient_id", &req.patient_id)?;
        let resource = coverage_of(req.patient_id.clone());
        let asked = service_type(&req.service_type)?;
        let dos = date("date_of_service", req.date_of_service.as_ref())?;
        let checker = &self.app.checker;
        // the coverage and the day's cached answer in one clinic-scoped read
        let mut tx = rx_platform::tenancy::begin(&self.app.pool, &clinic).await.map_err(StoreError::from)?;
        let coverage =
            store::coverage_in(&mut tx, &clinic, patient_id).await?.ok_or(ServiceError::NotFound("coverage"))?;
        let st = checker.service_type(&coverage.payer_id, asked);
        let cached = if req.force_refresh { None } else { checker.cached_in(&mut tx, &coverage, &st).await? };
        // a cache hit is answered by this transaction, so its entry goes with it; a miss
        // holds nothing open across the payer call
        let audit_now = audit.as_ref().filter(|_| cached.is_some());
        commit_with(tx, audit_now, resource.clone()).await.map_err(StoreError::from)?;
        let performed = match cached {
            Some(hit) => hit,
            None => checker.ask_payer(&self.app.pool, &coverage, &st, dos).await?,
        };
        if !performed.from_cache {
            let mut tx = rx_platform::tenancy::begin(&self.app.pool, &clinic).await.map_err(StoreError::from)?;
            store::insert_check(
                &mut tx,
                &NewCheck {
                    id: performed.id,
                    clinic_id: &clinic,
                    patient_id,
                    prescription_id: None,
                    summary: &performed.summary,
                    checked_at: performed.checked_at,
                    from_cache: false,
                    artifacts: &performed.artifacts,
                    first_seen: None,
                },
                &checker.config.at_rest,
                None,
            )
            .await?;
            commit_with(tx, audit.as_ref(), resource).await.map_err(StoreError::from)?;
        }
        Ok(performed.summary.to_proto(&patient_id.to_string(), performed.from_cache))
    }

    async fn summary(
        &self,
        clinic: String,
        req: GetCoverageSummaryRequest,
    ) -> Result<EligibilitySummary, ServiceError> {
        let patient_id = uuid("patient_id", &req.patient_id)?;
        let latest = store::latest_check(&self.app.pool, &clinic, patient_id)
            .await?
            .ok_or(ServiceError::NotFound("eligibility summary"))?;
        Ok(latest.summary.to_proto(&patient_id.to_string(), true))
    }

    async fn estimate(&self, clinic: String, req: EstimateCostRequest) -> Result<CostEstimate, ServiceError> {
        let patient_id = uuid("patient_id", &req.patient_id)?;
        if req.sessions == 0 || req.sessions > 1000 {
            return Err(ServiceError::invalid("sessions", "must be 1 to 1000"));
        }
        let fees = self.app.fees(&clinic).await?;
        let procedures = procedures(&req.per_session, &fees)?;
        let latest = store::latest_check(&self.app.pool, &clinic, patient_id).await?.ok_or_else(|| {
            ServiceError::refused("ELIGIBILITY_NOT_CHECKED", "check the patient's eligibility before estimating")
        })?;
        let summary = latest.summary;
        let mut benefits = summary.in_network.benefits();
        match summary.decision {
            Decision::NeedsAttention => {
                return Err(ServiceError::refused(
                    "ELIGIBILITY_UNRESOLVED",
                    "the latest eligibility check needs attention; resolve it before estimating",
                ));
            }
            Decision::NotCovered => benefits.not_covered = true,
            Decision::Covered | Decision::PriorAuthRequired => {}
        }
        let e = estimate::price(&fees, &procedures, req.sessions, &benefits).map_err(|e| match e {
            benefits_domain::Error::Procedure { code, reason } => {
                let i = req.per_session.iter().position(|p| p.code.trim() == code).unwrap_or(0);
                ServiceError::invalid(format!("per_session[{i}].code"), reason)
            }
            other => ServiceError::invalid("per_session", other.to_string()),
        })?;
        Ok(CostEstimate {
            sessions: e
                .sessions
                .iter()
                .map(|s| SessionEstimate {
                    session: s.session,
                    charge: Some(money(s.charge)),
                    patient_pays: Some(money(s.patient_pays)),
                    plan_pays: Some(money(s.plan_pays)),
                    beyond_visit_limit: !s.covered && !benefits.not_covered,
                })
                .collect(),
            total_charge: Some(money(e.total.charge)),
            total_patient_pays: Some(money(e.total.patient_pays)),
            total_plan_pays: Some(money(e.total.plan_pays)),
        })
    }
}

/// What the audit trail names for a call about a patient's coverage.
fn coverage_of(patient: String) -> AuditResource {
    AuditResource { kind: "coverage", id: patient.clone(), patient_id: patient }
}

/// A reply marked for the audit trail with the patient whose coverage it concerns.
fn about_patient<T>(reply: T, patient: String) -> Response<T> {
    let mut response = Response::new(reply);
    response.extensions_mut().insert(coverage_of(patient));
    response
}

#[tonic::async_trait]
impl BenefitsService for Benefits {
    async fn upsert_coverage(&self, request: Request<UpsertCoverageRequest>) -> Result<Response<Coverage>, Status> {
        let clinic = clinic(&request)?;
        let patient = request.get_ref().coverage.as_ref().map(|c| c.patient_id.clone()).unwrap_or_default();
        Ok(about_patient(self.upsert(clinic, request.into_inner()).await?, patient))
    }

    async fn check_eligibility(
        &self,
        request: Request<CheckEligibilityRequest>,
    ) -> Result<Response<EligibilitySummary>, Status> {
        let clinic = clinic(&request)?;
        let patient = request.get_ref().patient_id.clone();
        let audit = CallEntry::of(&request);
        Ok(about_patient(self.check(clinic, request.into_inner(), audit).await?, patient))
    }

    async fn get_coverage_summary(
        &self,
        request: Request<GetCoverageSummaryRequest>,
    ) -> Result<Response<EligibilitySummary>, Status> {
        let clinic = clinic(&request)?;
        let patient = request.get_ref().patient_id.clone();
        Ok(about_patient(self.summary(clinic, request.into_inner()).await?, patient))
    }

    async fn estimate_cost(&self, request: Request<EstimateCostRequest>) -> Result<Response<CostEstimate>, Status> {
        let clinic = clinic(&request)?;
        let patient = request.get_ref().patient_id.clone();
        Ok(about_patient(self.estimate(clinic, request.into_inner()).await?, patient))
    }
}
