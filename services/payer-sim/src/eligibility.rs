//! Real-time eligibility: CORE `X12_270_Request_005010X279A1` in, `X12_271_Response_005010X279A1` out.
//!
//! HTTP protocol: `POST /core/realtime` with a SOAP 1.2 `COREEnvelopeRealTimeRequest` (see
//! [`crate::core`]) answers a `COREEnvelopeRealTimeResponse` whose Payload is a 271 built from
//! the configured members: benefits per service type and network, AAA*N**75*C for an unknown
//! member, AAA*N**71*C when the birth date does not match. When [`Config::credentials`] is set,
//! the request must carry them as a WS-Security `UsernameToken` (else ErrorCode `Unauthorized`).
//! Faults (see [`crate::faults`]) come from [`Config::faults`] and `POST /admin/faults`.

mod answer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rust_decimal::Decimal;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::SimConfig;
use crate::core::{self, CoreEnvelope};
use crate::faults::{FaultMode, FaultSpec, Faults};

/// The path of the real-time endpoint.
pub const PATH: &str = "/core/realtime";

/// Plans and members the simulated payer knows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// NM109 of the payer loop in answers.
    #[serde(default = "default_payer_id")]
    pub payer_id: String,
    #[serde(default = "default_payer_name")]
    pub payer_name: String,
    /// Required WS-Security credentials, if any.
    #[serde(default)]
    pub credentials: Option<Credentials>,
    /// The fault active at start.
    #[serde(default)]
    pub faults: FaultSpec,
    #[serde(default)]
    pub members: Vec<Member>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            payer_id: default_payer_id(),
            payer_name: default_payer_name(),
            credentials: None,
            faults: FaultSpec::default(),
            members: Vec::new(),
        }
    }
}

fn default_payer_id() -> String {
    "SIMPAYER".into()
}

fn default_payer_name() -> String {
    "SIMULATED HEALTH PLAN".into()
}

/// Username and password a client must send.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).finish_non_exhaustive()
    }
}

/// One insured person (synthetic data only).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub member_id: String,
    pub family: String,
    #[serde(default)]
    pub given: Option<String>,
    /// `YYYY-MM-DD`; when set, an inquiry with another birth date is refused (AAA 71).
    #[serde(default)]
    pub birth_date: Option<String>,
    /// When set, only inquiries to this payer id find the member.
    #[serde(default)]
    pub payer_id: Option<String>,
    #[serde(default)]
    pub plan_name: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub benefits: Vec<ServiceBenefit>,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member").field("active", &self.active).finish_non_exhaustive()
    }
}

fn yes() -> bool {
    true
}

/// What the plan pays for one service type (EB03), per network.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceBenefit {
    pub service_type: String,
    #[serde(default)]
    pub in_network: Tier,
    #[serde(default)]
    pub out_of_network: Option<Tier>,
}

/// The figures of one network tier; the simulator derives what is left from used amounts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(default)]
    pub copay: Option<Decimal>,
    /// A fraction such as 0.20.
    #[serde(default)]
    pub coinsurance: Option<Decimal>,
    #[serde(default)]
    pub deductible: Option<Decimal>,
    /// How much of the deductible the member has met this year.
    #[serde(default)]
    pub deductible_met: Option<Decimal>,
    #[serde(default)]
    pub out_of_pocket: Option<Decimal>,
    #[serde(default)]
    pub out_of_pocket_met: Option<Decimal>,
    #[serde(default)]
    pub visit_limit: Option<u32>,
    #[serde(default)]
    pub visits_used: Option<u32>,
    #[serde(default)]
    pub auth_required: bool,
    #[serde(default)]
    pub not_covered: bool,
}

struct Sim {
    config: Arc<SimConfig>,
    faults: Arc<Faults>,
    control: AtomicU32,
}

/// The real-time endpoint plus the fault admin endpoints.
pub fn router(config: Arc<SimConfig>) -> Router {
    let faults = Arc::new(Faults::new(config.eligibility.faults));
    let sim = Arc::new(Sim { config, faults: faults.clone(), control: AtomicU32::new(0) });
    Router::new().route(PATH, post(realtime)).with_state(sim).merge(crate::faults::admin_router(faults))
}

fn soap(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, core::SOAP12_CONTENT_TYPE)], body).into_response()
}

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// An answer envelope echoing the request's ids.
fn answer(req: &CoreEnvelope, payload_type: &str, payload: Option<String>, error: (&str, Option<&str>)) -> String {
    CoreEnvelope {
        payload_type: payload_type.into(),
        processing_mode: core::REAL_TIME.into(),
        payload_id: req.payload_id.clone(),
        timestamp: now_rfc3339(),
        sender_id: req.receiver_id.clone(),
        receiver_id: req.sender_id.clone(),
        rule_version: core::CORE_RULE_VERSION.into(),
        payload,
        error_code: Some(error.0.into()),
        error_message: error.1.map(str::to_owned),
        extra: Vec::new(),
    }
    .to_soap(core::REAL_TIME_RESPONSE, None)
}

async fn realtime(State(sim): State<Arc<Sim>>, body: String) -> Response {
    let arrived = std::time::Instant::now();
    let (mode, latency) = sim.faults.next();
    crate::faults::hold(arrived, latency).await;
    match mode {
        FaultMode::Http503 => {
            return soap(StatusCode::SERVICE_UNAVAILABLE, core::soap_fault(false, "payer temporarily unavailable"));
        }
        FaultMode::Timeout => {
            tokio::time::sleep(crate::faults::HANG).await;
            return soap(StatusCode::GATEWAY_TIMEOUT, core::soap_fault(false, "payer did not answer"));
        }
        _ => {}
    }
    let req = match CoreEnvelope::from_soap(&body, core::REAL_TIME_REQUEST) {
        Ok(r) => r,
        Err(e) => return soap(StatusCode::BAD_REQUEST, core::soap_fault(true, &e.to_string())),
    };
    if let Some(expected) = &sim.config.eligibility.credentials {
        let ok = core::username_token(&body)
            .is_some_and(|t| t.username == expected.username && t.password == expected.password);
        if !ok {
            let xml = answer(&req, core::CORE_ERROR, None, ("Unauthorized", Some("invalid or missing credentials")));
            return soap(StatusCode::UNAUTHORIZED, xml);
        }
    }
    if req.payload_type != core::X12_270_REQUEST || req.processing_mode != core::REAL_TIME {
        let xml = answer(&req, core::CORE_ERROR, None, ("PayloadTypeIncorrect", Some("expected a real-time 270")));
        return soap(StatusCode::BAD_REQUEST, xml);
    }
    if mode == FaultMode::Malformed {
        let xml = answer(&req, core::X12_271_RESPONSE, Some("THIS IS NOT X12".into()), (core::SUCCESS, None));
        return soap(StatusCode::OK, xml);
    }
    let x12 = req.payload.clone().unwrap_or_default();
    let control = sim.control.fetch_add(1, Ordering::SeqCst) % 999_999_999 + 1;
    match answer::respond(&sim.config.eligibility, x12.as_bytes(), mode == FaultMode::Aaa42, control) {
        Ok(x271) => soap(StatusCode::OK, answer(&req, core::X12_271_RESPONSE, Some(x271), (core::SUCCESS, None))),
        Err(reason) => {
            let xml = answer(&req, core::CORE_ERROR, None, ("PayloadContentInvalid", Some(reason)));
            soap(StatusCode::BAD_REQUEST, xml)
        }
    }
}
