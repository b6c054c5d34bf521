//! The plain answer of one eligibility check, as stored (JSON in `eligibility_checks.summary`)
//! and as the API and events show it: decision, reason and the in/out-of-network figures.

use rust_decimal::Decimal;
use rx_proto::benefits::v1 as api;
use rx_proto::common::v1::Money;
use serde::{Deserialize, Serialize};

use benefits_domain::{AttentionReason, CoverageDecision, MemberResponse, NetworkBenefits, ServiceBenefits};

/// What the clinic should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Covered,
    NotCovered,
    PriorAuthRequired,
    NeedsAttention,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Covered => "covered",
            Self::NotCovered => "not_covered",
            Self::PriorAuthRequired => "prior_auth_required",
            Self::NeedsAttention => "needs_attention",
        }
    }

    pub fn to_event(self) -> rx_proto::events::v1::CoverageDecision {
        use rx_proto::events::v1::CoverageDecision as E;
        match self {
            Self::Covered => E::Covered,
            Self::NotCovered => E::NotCovered,
            Self::PriorAuthRequired => E::PriorAuthRequired,
            Self::NeedsAttention => E::NeedsAttention,
        }
    }
}

/// Stable reason codes of `needs_attention`.
pub mod reason {
    pub const PAYER_UNAVAILABLE: &str = "payer_unavailable";
    pub const PAYER_NOT_CONFIGURED: &str = "payer_not_configured";
    pub const PAYER_ERROR: &str = "payer_error";
    pub const UNREADABLE_RESPONSE: &str = "payer_response_unreadable";
    pub const MEMBER_NOT_FOUND: &str = "member_not_found";
    pub const COVERAGE_INCOMPLETE: &str = "coverage_incomplete";
    pub const ACTIVITY_UNKNOWN: &str = "activity_unknown";
    pub const NO_VISITS_REMAINING: &str = "no_visits_remaining";
    pub const NO_ANSWER_FOR_MEMBER: &str = "no_answer_for_member";
}

/// One network tier's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSummary {
    pub copay: Option<Decimal>,
    pub coinsurance: Option<Decimal>,
    pub deductible: Option<Decimal>,
    pub deductible_remaining: Option<Decimal>,
    pub out_of_pocket_remaining: Option<Decimal>,
    pub visits_limit: Option<u32>,
    pub visits_remaining: Option<u32>,
    pub prior_auth_required: bool,
    pub not_covered: bool,
}

impl From<&NetworkBenefits> for NetworkSummary {
    fn from(n: &NetworkBenefits) -> Self {
        Self {
            copay: n.copay,
            coinsurance: n.coinsurance,
            deductible: n.deductible,
            deductible_remaining: n.deductible_remaining,
            out_of_pocket_remaining: n.out_of_pocket_remaining,
            visits_limit: n.visits_limit,
            visits_remaining: n.visits_remaining,
            prior_auth_required: n.prior_auth_required == Some(true),
            not_covered: n.not_covered,
        }
    }
}

impl NetworkSummary {
    /// The figures the estimate needs, back in the domain's type.
    pub fn benefits(&self) -> NetworkBenefits {
        NetworkBenefits {
            copay: self.copay,
            coinsurance: self.coinsurance,
            deductible: self.deductible,
            deductible_remaining: self.deductible_remaining,
            out_of_pocket_remaining: self.out_of_pocket_remaining,
            visits_limit: self.visits_limit,
            visits_remaining: self.visits_remaining,
            prior_auth_required: Some(self.prior_auth_required),
            not_covered: self.not_covered,
            ..NetworkBenefits::default()
        }
    }

    fn to_proto(&self) -> api::NetworkBenefits {
        api::NetworkBenefits {
            copay: self.copay.map(money),
            coinsurance: self.coinsurance.map(|c| c.normalize().to_string()).unwrap_or_default(),
            deductible: self.deductible.map(money),
            deductible_remaining: self.deductible_remaining.map(money),
            out_of_pocket_remaining: self.out_of_pocket_remaining.map(money),
            visits_limit: self.visits_limit,
            visits_remaining: self.visits_remaining,
            prior_auth_required: self.prior_auth_required,
            not_covered: self.not_covered,
        }
    }
}

/// Money as the API writes it: two decimals.
pub fn money(d: Decimal) -> Money {
    Money { amount: format!("{:.2}", d.round_dp(2)) }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectionSummary {
    pub code: String,
    pub description: String,
    pub retry: bool,
}

/// The stored answer of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub payer_id: String,
    pub service_type: String,
    pub active: Option<bool>,
    pub plan_name: String,
    pub in_network: NetworkSummary,
    pub out_of_network: NetworkSummary,
    pub rejections: Vec<RejectionSummary>,
    pub decision: Decision,
    pub attention_reason: String,
    /// RFC 3339 UTC.
    pub checked_at: String,
    /// False when no usable 271 came back: such answers are never reused from the cache.
    pub payer_answered: bool,
}

/// The decision and reason code for a domain decision.
pub fn decision_of(d: &CoverageDecision) -> (Decision, &'static str) {
    match d {
        CoverageDecision::Covered => (Decision::Covered, ""),
        CoverageDecision::NotCovered => (Decision::NotCovered, ""),
        CoverageDecision::PriorAuthRequired => (Decision::PriorAuthRequired, ""),
        CoverageDecision::NeedsAttention(r) => match r {
            AttentionReason::MemberNotFound => (Decision::NeedsAttention, reason::MEMBER_NOT_FOUND),
            // The payer itself said "ask later" and the retry budget is spent.
            AttentionReason::Rejected { retry: true, .. } => (Decision::NeedsAttention, reason::PAYER_UNAVAILABLE),
            AttentionReason::Rejected { .. } => (Decision::NeedsAttention, "payer_rejected"),
            // The events contract: inactive coverage is "not covered".
            AttentionReason::Inactive => (Decision::NotCovered, "coverage_inactive"),
            AttentionReason::ActivityUnknown => (Decision::NeedsAttention, reason::ACTIVITY_UNKNOWN),
            AttentionReason::NoVisitsRemaining => (Decision::NeedsAttention, reason::NO_VISITS_REMAINING),
        },
    }
}

impl Summary {
    /// The summary of a member's answer.
    pub fn from_answer(
        payer_id: &str,
        member: &MemberResponse<'_>,
        benefits: &ServiceBenefits,
        decision: &CoverageDecision,
        checked_at: String,
    ) -> Self {
        let (decision, attention) = decision_of(decision);
        Self {
            payer_id: payer_id.to_owned(),
            service_type: benefits.service_type.clone(),
            active: member.active,
            plan_name: member.plan.unwrap_or_default().to_owned(),
            in_network: (&benefits.in_network).into(),
            out_of_network: (&benefits.out_of_network).into(),
            rejections: member
                .rejections
                .iter()
                .map(|r| RejectionSummary {
                    code: r.code.clone(),
                    description: r.description.unwrap_or_default().to_owned(),
                    retry: r.retry,
                })
                .collect(),
            decision,
            attention_reason: attention.to_owned(),
            checked_at,
            payer_answered: true,
        }
    }

    /// A check that got no usable answer.
    pub fn needs_attention(payer_id: &str, service_type: &str, reason: &str, checked_at: String) -> Self {
        Self {
            payer_id: payer_id.to_owned(),
            service_type: service_type.to_owned(),
            active: None,
            plan_name: String::new(),
            in_network: NetworkSummary::default(),
            out_of_network: NetworkSummary::default(),
            rejections: Vec::new(),
            decision: Decision::NeedsAttention,
            attention_reason: reason.to_owned(),
            checked_at,
            payer_answered: false,
        }
    }

    pub fn to_proto(&self, patient_id: &str, cached: bool) -> api::EligibilitySummary {
        api::EligibilitySummary {
            patient_id: patient_id.to_owned(),
            payer_id: self.payer_id.clone(),
            active: self.active,
            plan_name: self.plan_name.clone(),
            service_type: self.service_type.clone(),
            in_network: Some(self.in_network.to_proto()),
            out_of_network: Some(self.out_of_network.to_proto()),
            rejections: self
                .rejections
                .iter()
                .map(|r| api::Rejection { code: r.code.clone(), description: r.description.clone(), retry: r.retry })
                .collect(),
            decision: self.decision.as_str().to_owned(),
            attention_reason: self.attention_reason.clone(),
            checked_at: self.checked_at.clone(),
            cached,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_survive_json_and_money_has_cents() {
        let mut s = Summary::needs_attention("P", "AE", reason::PAYER_UNAVAILABLE, "2026-01-15T09:30:00Z".into());
        s.in_network.copay = Some(Decimal::new(25, 0));
        s.in_network.coinsurance = Some(Decimal::new(20, 2));
        let json = serde_json::to_value(&s).expect("serializable");
        assert_eq!(json["decision"], "needs_attention");
        let back: Summary = serde_json::from_value(json).expect("deserializable");
        assert_eq!(back, s);
        let p = back.to_proto("pid", true);
        assert_eq!(p.in_network.as_ref().and_then(|n| n.copay.as_ref()).map(|m| m.amount.as_str()), Some("25.00"));
        assert_eq!(p.in_network.map(|n| n.coinsurance), Some("0.2".to_owned()));
        assert!(p.cached);
    }

    #[test]
    fn domain_decisions_map_to_contract_codes() {
        let retry = CoverageDecision::NeedsAttention(AttentionReason::Rejected { code: "42".into(), retry: true });
        assert_eq!(decision_of(&retry), (Decision::NeedsAttention, reason::PAYER_UNAVAILABLE));
        let inactive = CoverageDecision::NeedsAttention(AttentionReason::Inactive);
        assert_eq!(decision_of(&inactive).0, Decision::NotCovered);
        assert_eq!(decision_of(&CoverageDecision::PriorAuthRequired).0.as_str(), "prior_auth_required");
    }
}
