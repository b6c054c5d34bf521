//! Batch claims: CORE `X12_837_Request_005010X222A1` in; 999, 277CA and 835 back.
//!
//! HTTP protocol (one endpoint, SOAP 1.2 with CORE rule 2.2.0 envelopes, see [`crate::core`]):
//!
//! * `POST /core/batch` with a `COREEnvelopeBatchSubmission` (PayloadType
//!   `X12_837_Request_005010X222A1`, ProcessingMode `Batch`, PayloadID, TimeStamp, SenderID,
//!   ReceiverID, CORERuleVersion, Payload = the 837P) answers a
//!   `COREEnvelopeBatchSubmissionResponse` receipt (PayloadType `X12_BatchReceiptConfirmation`,
//!   ErrorCode `Success`, or `PayloadContentInvalid` when the 837P cannot be read). The
//!   simulator adjudicates at once and queues a 999, a 277CA and, for adjudicated claims, 835s.
//! * `POST /core/batch` with a `COREEnvelopeBatchResultsRetrievalRequest` whose PayloadType is
//!   `X12_999_RetrievalRequest_005010X231A1`, `X12_277CA_RetrievalRequest_005010X214` or
//!   `X12_835_RetrievalRequest_005010X221A1` answers a `COREEnvelopeBatchResultsRetrievalResponse`
//!   carrying every queued document of that kind (several interchanges one after the other in
//!   one Payload) and removes them from the queue; no Payload when none is waiting.
//!
//! Outcomes come from [`Config`] (key `clearinghouse` of the simulator's file): a rule per
//! patient control number, else per member id, else the default (pay in full). A rule is one
//! outcome or a list applied to the first, second, ... submission of the same claim (the last
//! repeats). Outcomes: `accept`, `reject_transaction` (999 IK5 R), `reject` (277CA A7),
//! `deny` (835 with a CARC), `pay` (835 with contractual and patient amounts). `replacement`
//! overrides the rule for frequency-7 claims. Voids (frequency 8) are accepted with no
//! remittance. Example:
//!
//! ```json
//! {"clearinghouse": {
//!   "default": {"outcome": "pay", "contractual": "10.00", "patient_responsibility": {"PR-3": "20.00"}},
//!   "by_member_id": {"MEM0002": [{"outcome": "deny", "carc": "CO-16"}]},
//!   "by_patient_control_number": {"RX0000000007": {"outcome": "reject", "category": "A7", "status": "21"}},
//!   "replacement": {"outcome": "pay"}
//! }}
//! ```

mod answers;
mod read837;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use rust_decimal::Decimal;
use serde::Deserialize;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::SimConfig;
use crate::core::{self, CoreEnvelope};
use answers::{Adjudication, Cas, Front, PayerInfo};
use read837::SubmittedClaim;

/// PayloadType of a batch 837P.
pub const SUBMISSION: &str = "X12_837_Request_005010X222A1";
/// Retrieval PayloadTypes and the kind of document each returns.
pub const RETRIEVALS: [(&str, &str); 3] = [
    ("X12_999_RetrievalRequest_005010X231A1", "X12_999_Response_005010X231A1"),
    ("X12_277CA_RetrievalRequest_005010X214", "X12_277CA_Response_005010X214"),
    ("X12_835_RetrievalRequest_005010X221A1", "X12_835_Response_005010X221A1"),
];
const SUBMISSION_ROOT: &str = "COREEnvelopeBatchSubmission";
const SUBMISSION_RESPONSE_ROOT: &str = "COREEnvelopeBatchSubmissionResponse";
const RETRIEVAL_ROOT: &str = "COREEnvelopeBatchResultsRetrievalRequest";
const RETRIEVAL_RESPONSE_ROOT: &str = "COREEnvelopeBatchResultsRetrievalResponse";

/// What the payer does with a claim.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// Accepted into adjudication (277CA A2); no remittance yet.
    Accept,
    /// The whole transaction set is rejected in the 999 (IK5 R with an IK501 syntax error
    /// code, default 5); nothing reaches adjudication.
    RejectTransaction {
        #[serde(default = "default_ik5")]
        code: String,
    },
    /// Rejected at the 277CA with a claim status category and code (default A7:21).
    Reject {
        #[serde(default = "default_category")]
        category: String,
        #[serde(default = "default_status")]
        status: String,
    },
    /// Accepted, then denied in full with a CARC such as `CO-16`, `CO-50`, `CO-97`, `CO-197`.
    Deny { carc: String },
    /// Accepted and paid: the charge less the contractual reduction (CO-45) and what the
    /// patient owes, keyed `PR-1` (deductible), `PR-2` (coinsurance), `PR-3` (copay).
    Pay {
        #[serde(default)]
        patient_responsibility: BTreeMap<String, Decimal>,
        #[serde(default)]
        contractual: Decimal,
    },
}

fn default_ik5() -> String {
    "5".into()
}

fn default_category() -> String {
    "A7".into()
}

fn default_status() -> String {
    "21".into()
}

/// One outcome, or one per submission of the same claim.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Rule {
    One(Outcome),
    Sequence(Vec<Outcome>),
}

impl Rule {
    fn for_attempt(&self, attempt: usize) -> Option<&Outcome> {
        match self {
            Self::One(o) => Some(o),
            Self::Sequence(list) => list.get(attempt).or_else(|| list.last()),
        }
    }
}

/// Outcomes the simulated payer gives claims.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// When no other rule matches; pay in full when absent.
    #[serde(default)]
    pub default: Option<Rule>,
    #[serde(default)]
    pub by_patient_control_number: BTreeMap<String, Rule>,
    #[serde(default)]
    pub by_member_id: BTreeMap<String, Rule>,
    /// The outcome of every replacement (frequency 7), e.g. pay once a denial was corrected.
    #[serde(default)]
    pub replacement: Option<Outcome>,
    #[serde(default)]
    pub payer_name: Option<String>,
    #[serde(default)]
    pub payer_id: Option<String>,
}

impl Config {
    fn outcome(&self, claim: &SubmittedClaim, attempt: usize) -> Outcome {
        if claim.frequency == "7"
            && let Some(o) = &self.replacement
        {
            return o.clone();
        }
        let rule = self
            .by_patient_control_number
            .get(&claim.patient_control_number)
            .or_else(|| self.by_member_id.get(&claim.member_id))
            .or(self.default.as_ref());
        rule.and_then(|r| r.for_attempt(attempt))
            .cloned()
            .unwrap_or(Outcome::Pay { patient_responsibility: BTreeMap::new(), contractual: Decimal::ZERO })
    }
}

#[derive(Debug, Default)]
struct Queues {
    /// Waiting documents per retrieval kind (index into [`RETRIEVALS`]).
    pending: [Vec<String>; 3],
    /// Submissions seen per patient control number.
    attempts: HashMap<String, usize>,
    next_control: u32,
    next_claim: u64,
}

#[derive(Debug)]
struct Sim {
    config: Arc<SimConfig>,
    queues: Mutex<Queues>,
}

pub fn router(config: Arc<SimConfig>) -> Router {
    let sim = Arc::new(Sim { config, queues: Mutex::new(Queues::default()) });
    Router::new().route("/core/batch", post(batch)).with_state(sim)
}

fn now() -> (PrimitiveDateTime, String) {
    let now = OffsetDateTime::now_utc();
    let stamp = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    (PrimitiveDateTime::new(now.date(), now.time()), stamp)
}

fn soap(body: String) -> Response {
    ([(header::CONTENT_TYPE, core::SOAP12_CONTENT_TYPE)], body).into_response()
}

fn fault(reason: &str) -> Response {
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, core::SOAP12_CONTENT_TYPE)], core::soap_fault(true, reason))
        .into_response()
}

async fn batch(State(sim): State<Arc<Sim>>, body: String) -> Response {
    if let Ok(request) = CoreEnvelope::from_soap(&body, SUBMISSION_ROOT) {
        return submit(&sim, request);
    }
    match CoreEnvelope::from_soap(&body, RETRIEVAL_ROOT) {
        Ok(request) => retrieve(&sim, request),
        Err(e) => fault(&e.to_string()),
    }
}

fn answer(
    request: &CoreEnvelope,
    payload_type: &str,
    payload: Option<String>,
    error: (&str, Option<String>),
) -> CoreEnvelope {
    let (_, stamp) = now();
    CoreEnvelope {
        payload_type: payload_type.to_owned(),
        processing_mode: core::BATCH.to_owned(),
        payload_id: request.payload_id.clone(),
        timestamp: stamp,
        sender_id: request.receiver_id.clone(),
        receiver_id: request.sender_id.clone(),
        rule_version: core::CORE_RULE_VERSION.to_owned(),
        payload,
        error_code: Some(error.0.to_owned()),
        error_message: error.1,
        extra: Vec::new(),
    }
}

fn submit(sim: &Sim, request: CoreEnvelope) -> Response {
    const RECEIPT: &str = "X12_BatchReceiptConfirmation";
    if request.payload_type != SUBMISSION {
        let reply = answer(&request, RECEIPT, None, ("PayloadTypeNotSupported", Some(request.payload_type.clone())));
        return soap(reply.to_soap(SUBMISSION_RESPONSE_ROOT, None));
    }
    let result = request
        .payload
        .as_deref()
        .ok_or_else(|| "no payload".to_owned())
        .and_then(read837::read)
        .and_then(|submission| adjudicate(sim, &submission).map_err(|e| e.to_string()));
    let reply = match result {
        Ok(()) => answer(&request, RECEIPT, None, (core::SUCCESS, None)),
        Err(reason) => {
            tracing::info!(reason = %reason, "837P refused");
            answer(&request, RECEIPT, None, ("PayloadContentInvalid", Some(reason)))
        }
    };
    soap(reply.to_soap(SUBMISSION_RESPONSE_ROOT, None))
}

fn retrieve(sim: &Sim, request: CoreEnvelope) -> Response {
    let Some(index) = RETRIEVALS.iter().position(|(kind, _)| *kind == request.payload_type) else {
        let reply =
            answer(&request, core::CORE_ERROR, None, ("PayloadTypeNotSupported", Some(request.payload_type.clone())));
        return soap(reply.to_soap(RETRIEVAL_RESPONSE_ROOT, None));
    };
    let documents = match sim.queues.lock() {
        Ok(mut q) => q.pending.get_mut(index).map(std::mem::take).unwrap_or_default(),
        Err(_) => return fault("simulator state unavailable"),
    };
    let payload = (!documents.is_empty()).then(|| documents.concat());
    let response_type = RETRIEVALS.get(index).map_or("", |(_, r)| r);
    soap(answer(&request, response_type, payload, (core::SUCCESS, None)).to_soap(RETRIEVAL_RESPONSE_ROOT, None))
}

/// Splits `CO-16` into group and reason (`CO` when no group is given).
fn carc(text: &str) -> (String, String) {
    match text.trim().split_once('-') {
        Some((g, r)) => (g.trim().to_ascii_uppercase(), r.trim().to_owned()),
        None => ("CO".to_owned(), text.trim().to_owned()),
    }
}

/// Spreads claim-level amounts over the lines, first line first, never past a line's charge.
fn spread(claim: &SubmittedClaim, amounts: &[(String, String, Decimal)]) -> Vec<Vec<Cas>> {
    let mut room: Vec<Decimal> = claim.lines.iter().map(|l| l.charge).collect();
    let mut out: Vec<Vec<Cas>> = vec![Vec::new(); claim.lines.len()];
    for (group, reason, amount) in amounts {
        let mut left = *amount;
        for (space, cas) in room.iter_mut().zip(out.iter_mut()) {
            if left <= Decimal::ZERO {
                break;
            }
            let take = left.min(*space);
            if take > Decimal::ZERO {
                cas.push((group.clone(), reason.clone(), take));
                *space -= take;
                left -= take;
            }
        }
    }
    out
}

fn adjudicate(sim: &Sim, submission: &read837::Submission) -> Result<(), rx_x12::Error> {
    let config = &sim.config.clearinghouse;
    let payer = PayerInfo {
        name: config.payer_name.clone().unwrap_or_else(|| "SIMULATED HEALTH PLAN".into()),
        id: config.payer_id.clone().unwrap_or_else(|| submission.receiver.clone()),
    };
    let (at, _) = now();
    let Ok(mut q) = sim.queues.lock() else {
        return Ok(());
    };
    let mut fronts = Vec::new();
    let mut remits = Vec::new();
    let mut set_rejections: HashMap<(String, String), String> = HashMap::new();
    for group in &submission.groups {
        for set in &group.sets {
            let mut decided = Vec::new();
            for claim in &set.claims {
                let attempt = q.attempts.entry(claim.patient_control_number.clone()).or_default();
                let n = *attempt;
                *attempt += 1;
                let outcome = if claim.frequency == "8" { Outcome::Accept } else { config.outcome(claim, n) };
                if let Outcome::RejectTransaction { code } = &outcome {
                    set_rejections.insert((group.control_number.clone(), set.control_number.clone()), code.clone());
                }
                decided.push((claim, outcome));
            }
            if set_rejections.contains_key(&(group.control_number.clone(), set.control_number.clone())) {
                continue; // a rejected transaction set is not adjudicated at all
            }
            for (claim, outcome) in decided {
                q.next_claim += 1;
                let number = format!("SIM{:010}", q.next_claim);
                let front = match &outcome {
                    Outcome::Reject { category, status } => {
                        Front::Rejected { category: category.clone(), status: status.clone() }
                    }
                    _ => Front::Accepted { payer_claim_number: number.clone() },
                };
                fronts.push((claim, front));
                if let Some(a) = adjudication(claim, outcome, number) {
                    remits.push((claim, a));
                }
            }
        }
    }
    q.next_control += 1;
    let ack = answers::ack_999(submission, &set_rejections, at, q.next_control)?;
    let ca = if fronts.is_empty() {
        None
    } else {
        q.next_control += 1;
        Some(answers::ack_277ca(submission, &fronts, &payer, at, q.next_control)?)
    };
    let mut remit_texts = Vec::new();
    for (claim, a) in &remits {
        q.next_control += 1;
        remit_texts.push(answers::remit_835(submission, claim, a, &payer, at, q.next_control)?);
    }
    let [p999, p277, p835] = &mut q.pending;
    p999.push(ack);
    p277.extend(ca);
    p835.extend(remit_texts);
    Ok(())
}

/// The remittance an outcome leads to, if any.
fn adjudication(claim: &SubmittedClaim, outcome: Outcome, number: String) -> Option<Adjudication> {
    match outcome {
        Outcome::Accept | Outcome::Reject { .. } | Outcome::RejectTransaction { .. } => None,
        Outcome::Deny { carc: code } => {
            let (group, reason) = carc(&code);
            let lines = claim.lines.iter().map(|l| vec![(group.clone(), reason.clone(), l.charge)]).collect();
            Some(Adjudication { denied: true, payer_claim_number: number, line_adjustments: lines })
        }
        Outcome::Pay { patient_responsibility, contractual } => {
            let mut amounts = vec![("CO".to_owned(), "45".to_owned(), contractual)];
            for (key, amount) in patient_responsibility {
                let (group, reason) = carc(&key);
                amounts.push((if group == "CO" { "PR".to_owned() } else { group }, reason, amount));
            }
            Some(Adjudication { denied: false, payer_claim_number: number, line_adjustments: spread(claim, &amounts) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(pcn: &str, member: &str, frequency: &str) -> SubmittedClaim {
        SubmittedClaim {
            patient_control_number: pcn.into(),
            charge: Decimal::new(12000, 2),
            frequency: frequency.into(),
            original_payer_claim_number: None,
            member_id: member.into(),
            last_name: "TEST".into(),
            first_name: "PAT".into(),
            lines: vec![
                read837::Line {
                    code: "97124".into(),
                    modifiers: vec!["GP".into()],
                    charge: Decimal::new(8000, 2),
                    units: Decimal::TWO,
                    date: "20260110".into(),
                    control: None,
                },
                read837::Line {
                    code: "97140".into(),
                    modifiers: vec![],
                    charge: Decimal::new(4000, 2),
                    units: Decimal::ONE,
                    date: "20260110".into(),
                    control: None,
                },
            ],
        }
    }

    #[test]
    fn config_rules_pick_by_claim_then_member_then_default_and_by_attempt() -> Result<(), serde_json::Error> {
        let config: Config = serde_json::from_str(
            r#"{"default": {"outcome": "accept"},
                "by_member_id": {"M1": [{"outcome": "deny", "carc": "CO-16"}, {"outcome": "pay"}]},
                "by_patient_control_number": {"P9": {"outcome": "reject", "status": "562"}},
                "replacement": {"outcome": "pay", "patient_responsibility": {"PR-2": "10.00"}}}"#,
        )?;
        assert_eq!(config.outcome(&claim("P1", "M0", "1"), 0), Outcome::Accept);
        assert_eq!(config.outcome(&claim("P1", "M1", "1"), 0), Outcome::Deny { carc: "CO-16".into() });
        assert!(matches!(config.outcome(&claim("P1", "M1", "1"), 5), Outcome::Pay { .. }));
        assert_eq!(
            config.outcome(&claim("P9", "M1", "1"), 0),
            Outcome::Reject { category: "A7".into(), status: "562".into() }
        );
        let owed = BTreeMap::from([("PR-2".to_owned(), Decimal::new(1000, 2))]);
        assert_eq!(
            config.outcome(&claim("P1", "M1", "7"), 0),
            Outcome::Pay { patient_responsibility: owed, contractual: Decimal::ZERO }
        );
        Ok(())
    }

    #[test]
    fn amounts_spread_over_lines_without_exceeding_a_charge() {
        let c = claim("P1", "M1", "1");
        let spread = spread(
            &c,
            &[("CO".into(), "45".into(), Decimal::new(9000, 2)), ("PR".into(), "3".into(), Decimal::new(2000, 2))],
        );
        assert_eq!(spread[0], vec![("CO".to_owned(), "45".to_owned(), Decimal::new(8000, 2))]);
        assert_eq!(
            spread[1],
            vec![
                ("CO".to_owned(), "45".to_owned(), Decimal::new(1000, 2)),
                ("PR".to_owned(), "3".to_owned(), Decimal::new(2000, 2))
            ]
        );
    }

    #[test]
    fn carc_texts_split_into_group_and_reason() {
        assert_eq!(carc("CO-197"), ("CO".to_owned(), "197".to_owned()));
        assert_eq!(carc("pr-1"), ("PR".to_owned(), "1".to_owned()));
        assert_eq!(carc("50"), ("CO".to_owned(), "50".to_owned()));
    }
}
