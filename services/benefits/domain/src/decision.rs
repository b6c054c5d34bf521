//! Turns an interpreted answer into what the clinic must do next: treat, stop, ask for prior
//! authorisation, or look at the case.

use crate::response::MemberResponse;
use crate::select::ServiceBenefits;

/// Why a case needs a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttentionReason {
    /// AAA 75/67/77: the payer does not know the member or patient.
    MemberNotFound,
    /// Any other AAA; `retry` tells whether resubmitting unchanged may work later.
    Rejected { code: String, retry: bool },
    /// The payer says coverage is inactive.
    Inactive,
    /// The payer said neither active nor inactive.
    ActivityUnknown,
    /// The in-network visit allowance is used up.
    NoVisitsRemaining,
}

/// Outcome for one member and service type (in-network view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoverageDecision {
    Covered,
    NotCovered,
    PriorAuthRequired,
    NeedsAttention(AttentionReason),
}

/// Decides from the member's answer and the benefits picked for the service type. Rejections
/// come first (nothing else in the answer can be trusted), then activity, then the service.
pub fn decide(member: &MemberResponse<'_>, benefits: &ServiceBenefits) -> CoverageDecision {
    if member.rejections.iter().any(|r| r.is_member_not_found()) {
        return CoverageDecision::NeedsAttention(AttentionReason::MemberNotFound);
    }
    if let Some(r) = member.rejections.first() {
        return CoverageDecision::NeedsAttention(AttentionReason::Rejected { code: r.code.clone(), retry: r.retry });
    }
    match member.active {
        Some(false) => return CoverageDecision::NeedsAttention(AttentionReason::Inactive),
        None => return CoverageDecision::NeedsAttention(AttentionReason::ActivityUnknown),
        Some(true) => {}
    }
    let n = &benefits.in_network;
    if n.not_covered {
        return CoverageDecision::NotCovered;
    }
    if n.visits_remaining == Some(0) {
        return CoverageDecision::NeedsAttention(AttentionReason::NoVisitsRemaining);
    }
    if n.prior_auth_required == Some(true) {
        return CoverageDecision::PriorAuthRequired;
    }
    CoverageDecision::Covered
}
