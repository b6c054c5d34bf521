//! A JSON-ready summary of an incoming 999, 277CA or 835, for the offline tool
//! `rxbridge x12 read FILE`: accepted and rejected sets with their errors, claim statuses, and
//! per claim the amount paid, adjustments by group and reason, and patient responsibility.
//! Patient names, dates of birth and member ids are never part of it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::ack277::{AckOutcome, ClaimAck, ClaimAcknowledgment, LevelStatus, Status, read_277ca};
use crate::ack999::{AckStatus, ImplementationAck, SegmentError, read_999};
use crate::denial::AdjustmentGroup;
use crate::error::ClaimsError;
use crate::remit835::{BalanceIssue, ProviderAdjustment, Remittance, read_835};
use crate::x12read::read;

/// What [`summarize`] found, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
pub enum Summary {
    /// Implementation (999) or functional (997) acknowledgments.
    #[serde(rename = "999")]
    Ack999 { warnings: Vec<String>, acknowledgments: Vec<AckSummary> },
    /// Claim acknowledgments (277CA; 277 claim status replies read the same way).
    #[serde(rename = "277CA")]
    Ack277 { warnings: Vec<String>, acknowledgments: Vec<ClaimAckSummary> },
    /// Remittance advices.
    #[serde(rename = "835")]
    Remit835 { warnings: Vec<String>, remittances: Vec<RemitSummary> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckSummary {
    pub transaction_type: String,
    pub groups: Vec<GroupSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    pub functional_id: String,
    pub group_control_number: String,
    pub status: AckStatus,
    pub sets_included: Option<u32>,
    pub sets_received: Option<u32>,
    pub sets_accepted: Option<u32>,
    /// ST02 of the accepted transaction sets.
    pub accepted: Vec<String>,
    /// ST02 of the rejected transaction sets.
    pub rejected: Vec<String>,
    pub errors: Vec<SetErrors>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetErrors {
    pub control_number: String,
    pub status: AckStatus,
    pub error_codes: Vec<String>,
    pub segment_errors: Vec<SegmentError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimAckSummary {
    pub version: String,
    pub reference: Option<String>,
    pub accepted: usize,
    pub rejected: usize,
    pub received: usize,
    pub batch_statuses: Vec<LevelStatus>,
    pub claims: Vec<ClaimAckLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimAckLine {
    pub patient_control_number: Option<String>,
    pub outcome: AckOutcome,
    pub payer_claim_control_number: Option<String>,
    /// `category:status[:entity]` of every STC, e.g. `A7:562:85`.
    pub statuses: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemitSummary {
    pub trace_number: Option<String>,
    pub payer_id: Option<String>,
    pub payment_amount: Decimal,
    pub payment_method: Option<String>,
    pub payment_date: Option<String>,
    pub claims: Vec<ClaimPaymentSummary>,
    pub provider_adjustments: Vec<ProviderAdjustment>,
    pub balance_issues: Vec<BalanceIssue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimPaymentSummary {
    pub patient_control_number: String,
    pub payer_claim_control_number: Option<String>,
    pub status: String,
    pub charge: Decimal,
    pub paid: Decimal,
    pub patient_responsibility: Option<Decimal>,
    /// Claim and line adjustments added up: group → reason → amount.
    pub adjustments: BTreeMap<AdjustmentGroup, BTreeMap<String, Decimal>>,
    /// The lifecycle event the payment stands for (`remit_paid`...), if any.
    pub event: Option<&'static str>,
    /// Distinct next actions the adjustments call for, in order of first appearance.
    pub next_actions: Vec<&'static str>,
    pub posting_key: String,
}

/// Detects the kind of input by its first functional group (GS01 `FA`, `HN`, `HP`) and
/// summarizes it. A fuzz entry point: never panics, whatever the bytes.
pub fn summarize(input: &[u8]) -> Result<Summary, ClaimsError> {
    let (doc, _) = read(input)?;
    let kind = doc.transactions().next().map(|(g, t)| (g.functional_id.to_owned(), t.id.to_owned()));
    match kind.as_ref().map(|(g, t)| (g.as_str(), t.as_str())) {
        Some(("FA", _)) => {
            let p = read_999(input)?;
            Ok(Summary::Ack999 {
                acknowledgments: p.transactions.iter().map(ack_summary).collect(),
                warnings: p.warnings,
            })
        }
        Some(("HN", _)) => {
            let p = read_277ca(input)?;
            Ok(Summary::Ack277 {
                acknowledgments: p.transactions.iter().map(claim_ack_summary).collect(),
                warnings: p.warnings,
            })
        }
        Some(("HP", _)) => {
            let p = read_835(input)?;
            Ok(Summary::Remit835 {
                remittances: p.transactions.iter().map(remit_summary).collect(),
                warnings: p.warnings,
            })
        }
        Some((g, t)) => {
            Err(ClaimsError::WrongTransaction { expected: "999, 277CA or 835", found: format!("GS01 {g} / ST01 {t}") })
        }
        None => Err(ClaimsError::WrongTransaction {
            expected: "999, 277CA or 835",
            found: "no transaction set".to_string(),
        }),
    }
}

fn ack_summary(ack: &ImplementationAck) -> AckSummary {
    let groups = ack
        .groups
        .iter()
        .map(|g| {
            let ids = |accepted: bool| {
                g.transactions
                    .iter()
                    .filter(|t| t.status.is_accepted() == accepted)
                    .map(|t| t.control_number.clone())
                    .collect()
            };
            GroupSummary {
                functional_id: g.functional_id.clone(),
                group_control_number: g.group_control_number.clone(),
                status: g.status,
                sets_included: g.sets_included,
                sets_received: g.sets_received,
                sets_accepted: g.sets_accepted,
                accepted: ids(true),
                rejected: ids(false),
                errors: g
                    .transactions
                    .iter()
                    .filter(|t| !t.segment_errors.is_empty() || !t.error_codes.is_empty())
                    .map(|t| SetErrors {
                        control_number: t.control_number.clone(),
                        status: t.status,
                        error_codes: t.error_codes.clone(),
                        segment_errors: t.segment_errors.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    AckSummary { transaction_type: ack.transaction_type.clone(), groups }
}

fn claim_ack_summary(ack: &ClaimAcknowledgment) -> ClaimAckSummary {
    let count = |o: AckOutcome| ack.claims.iter().filter(|c| c.outcome == o).count();
    ClaimAckSummary {
        version: ack.version.clone(),
        reference: ack.reference.clone(),
        accepted: count(AckOutcome::Accepted),
        rejected: count(AckOutcome::Rejected),
        received: count(AckOutcome::Received),
        batch_statuses: ack.batch_statuses.clone(),
        claims: ack.claims.iter().map(claim_ack_line).collect(),
    }
}

fn claim_ack_line(c: &ClaimAck) -> ClaimAckLine {
    ClaimAckLine {
        patient_control_number: c.patient_control_number.clone(),
        outcome: c.outcome,
        payer_claim_control_number: c.payer_claim_control_number.clone(),
        statuses: c.statuses.iter().flat_map(status_codes).collect(),
    }
}

fn status_codes(s: &Status) -> Vec<String> {
    s.codes
        .iter()
        .map(|c| {
            [Some(c.category.as_str()), c.status.as_deref(), c.entity.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect()
}

fn remit_summary(r: &Remittance) -> RemitSummary {
    let claims = r
        .claims
        .iter()
        .map(|c| {
            let mut adjustments: BTreeMap<AdjustmentGroup, BTreeMap<String, Decimal>> = BTreeMap::new();
            for a in c.all_adjustments() {
                *adjustments.entry(a.group).or_default().entry(a.reason.clone()).or_default() += a.amount;
            }
            let mut next_actions: Vec<&'static str> = Vec::new();
            for advice in c.advice() {
                let code = advice.action.code();
                if !next_actions.contains(&code) {
                    next_actions.push(code);
                }
            }
            ClaimPaymentSummary {
                patient_control_number: c.patient_control_number.clone(),
                payer_claim_control_number: c.payer_claim_control_number.clone(),
                status: c.status.clone(),
                charge: c.charge,
                paid: c.paid,
                patient_responsibility: c.patient_responsibility,
                adjustments,
                event: c.event().map(|e| e.as_str()),
                next_actions,
                posting_key: c.posting_key.clone(),
            }
        })
        .collect();
    RemitSummary {
        trace_number: r.trace_number.clone(),
        payer_id: r.payer_id.clone(),
        payment_amount: r.payment.amount,
        payment_method: r.payment.method.clone(),
        payment_date: r.payment.date.clone(),
        claims,
        provider_adjustments: r.provider_adjustments.clone(),
        balance_issues: r.balance_issues(),
    }
}
