//! The claim lifecycle as an explicit state machine.
//!
//! ```text
//! draft ──scrub_passed──▶ scrubbed ──submit──▶ submitted ──ack_accepted (999)──▶ acknowledged
//!   ▲                        │ edit                 │ ack_rejected (999)            │
//!   └────────────────────────┘                      ▼                               │ claim_accepted (277CA)
//!   ▲                                           rejected ◀── claim_rejected (277CA) ┤
//!   └────────── edit (resubmitted as a new original, frequency 1) ──┘               ▼
//!                                                                               accepted
//!                       remit_paid / remit_partially_paid / remit_denied (835) ───┘
//!                                   ▼
//!                     paid | partially_paid | denied ──correct──▶ corrected ──scrub_passed──▶ scrubbed
//!        accepted | paid | partially_paid | denied ──void──▶ voided (terminal)
//! ```
//!
//! A claim rejected by a 999 or 277CA never reached adjudication, so the payer has no claim
//! control number for it: it goes back to draft and is sent again as an original (frequency 1).
//! A claim the payer adjudicated is corrected as a replacement (frequency 7) or voided
//! (frequency 8), both carrying the payer claim control number (REF*F8). Payers that send no
//! 277CA are allowed for: an 835 may move an acknowledged claim straight to its outcome.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where a claim is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    Draft,
    Scrubbed,
    Submitted,
    Acknowledged,
    Accepted,
    Rejected,
    Paid,
    PartiallyPaid,
    Denied,
    Corrected,
    Voided,
}

/// Something that happened to a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimEvent {
    /// The scrubber found nothing blocking.
    ScrubPassed,
    /// The claim was changed; a new scrub is needed.
    Edit,
    /// The 837P carrying the claim was handed to the clearinghouse.
    Submit,
    /// A 999 accepted the transaction set (IK5 A or E).
    AckAccepted,
    /// A 999 rejected the transaction set (IK5 R, M, W or X).
    AckRejected,
    /// A 277CA accepted the claim into adjudication (category A1/A2).
    ClaimAccepted,
    /// A 277CA rejected the claim (category A3, A4, A6, A7, A8).
    ClaimRejected,
    /// An 835 paid the claim in full (no adjustment but contractual ones).
    RemitPaid,
    /// An 835 paid part of the claim.
    RemitPartiallyPaid,
    /// An 835 denied the claim (CLP02 4 or nothing paid).
    RemitDenied,
    /// A replacement claim (frequency 7) is prepared for an adjudicated claim.
    Correct,
    /// A void (frequency 8) is sent for an adjudicated claim.
    Void,
}

impl ClaimState {
    /// The stable name stored and shown (`partially_paid`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scrubbed => "scrubbed",
            Self::Submitted => "submitted",
            Self::Acknowledged => "acknowledged",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Paid => "paid",
            Self::PartiallyPaid => "partially_paid",
            Self::Denied => "denied",
            Self::Corrected => "corrected",
            Self::Voided => "voided",
        }
    }

    /// Whether no event can move the claim any more.
    pub fn is_terminal(self) -> bool {
        self == Self::Voided
    }
}

impl ClaimEvent {
    /// The stable name of the event (`ack_accepted`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScrubPassed => "scrub_passed",
            Self::Edit => "edit",
            Self::Submit => "submit",
            Self::AckAccepted => "ack_accepted",
            Self::AckRejected => "ack_rejected",
            Self::ClaimAccepted => "claim_accepted",
            Self::ClaimRejected => "claim_rejected",
            Self::RemitPaid => "remit_paid",
            Self::RemitPartiallyPaid => "remit_partially_paid",
            Self::RemitDenied => "remit_denied",
            Self::Correct => "correct",
            Self::Void => "void",
        }
    }
}

impl fmt::Display for ClaimState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ClaimEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CLM05-3: what a submitted claim does to the payer's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimFrequency {
    /// 1: a new claim.
    Original,
    /// 7: replaces an adjudicated claim (needs the payer claim control number).
    Replacement,
    /// 8: voids an adjudicated claim (needs the payer claim control number).
    Void,
}

impl ClaimFrequency {
    /// The X12 code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Original => "1",
            Self::Replacement => "7",
            Self::Void => "8",
        }
    }

    /// Whether the 837P must carry REF*F8 with the payer claim control number.
    pub fn needs_payer_claim_number(self) -> bool {
        self != Self::Original
    }
}

/// The event does not apply to the claim in its current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("claim in state {from} cannot take event {event}")]
pub struct InvalidTransition {
    pub from: ClaimState,
    pub event: ClaimEvent,
}

/// The state after `event`, or why the event does not apply.
pub fn transition(from: ClaimState, event: ClaimEvent) -> Result<ClaimState, InvalidTransition> {
    use ClaimEvent as E;
    use ClaimState as S;
    let to = match (from, event) {
        (S::Draft | S::Corrected, E::ScrubPassed) => S::Scrubbed,
        (S::Scrubbed | S::Rejected | S::Corrected, E::Edit) => S::Draft,
        (S::Scrubbed, E::Submit) => S::Submitted,
        (S::Submitted, E::AckAccepted) => S::Acknowledged,
        (S::Submitted, E::AckRejected) => S::Rejected,
        (S::Acknowledged, E::ClaimAccepted) => S::Accepted,
        (S::Acknowledged, E::ClaimRejected) => S::Rejected,
        (S::Acknowledged | S::Accepted, E::RemitPaid) => S::Paid,
        (S::Acknowledged | S::Accepted, E::RemitPartiallyPaid) => S::PartiallyPaid,
        (S::Acknowledged | S::Accepted, E::RemitDenied) => S::Denied,
        (S::Paid | S::PartiallyPaid | S::Denied, E::Correct) => S::Corrected,
        (S::Accepted | S::Paid | S::PartiallyPaid | S::Denied, E::Void) => S::Voided,
        _ => return Err(InvalidTransition { from, event }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::ClaimEvent as E;
    use super::ClaimState as S;
    use super::*;

    const STATES: [ClaimState; 11] = [
        S::Draft,
        S::Scrubbed,
        S::Submitted,
        S::Acknowledged,
        S::Accepted,
        S::Rejected,
        S::Paid,
        S::PartiallyPaid,
        S::Denied,
        S::Corrected,
        S::Voided,
    ];
    const EVENTS: [ClaimEvent; 12] = [
        E::ScrubPassed,
        E::Edit,
        E::Submit,
        E::AckAccepted,
        E::AckRejected,
        E::ClaimAccepted,
        E::ClaimRejected,
        E::RemitPaid,
        E::RemitPartiallyPaid,
        E::RemitDenied,
        E::Correct,
        E::Void,
    ];

    fn run(events: &[ClaimEvent]) -> Result<ClaimState, InvalidTransition> {
        events.iter().try_fold(S::Draft, |s, e| transition(s, *e))
    }

    #[test]
    fn happy_path_to_paid() {
        let path = [E::ScrubPassed, E::Submit, E::AckAccepted, E::ClaimAccepted, E::RemitPaid];
        assert_eq!(run(&path), Ok(S::Paid));
    }

    #[test]
    fn denied_then_corrected_and_resubmitted() {
        let path = [
            E::ScrubPassed,
            E::Submit,
            E::AckAccepted,
            E::ClaimAccepted,
            E::RemitDenied,
            E::Correct,
            E::ScrubPassed,
            E::Submit,
        ];
        assert_eq!(run(&path), Ok(S::Submitted));
    }

    #[test]
    fn rejected_goes_back_to_draft_not_to_corrected() {
        let path = [E::ScrubPassed, E::Submit, E::AckRejected];
        assert_eq!(run(&path), Ok(S::Rejected));
        assert_eq!(
            transition(S::Rejected, E::Correct),
            Err(InvalidTransition { from: S::Rejected, event: E::Correct })
        );
        assert_eq!(transition(S::Rejected, E::Edit), Ok(S::Draft));
        let path = [E::ScrubPassed, E::Submit, E::AckAccepted, E::ClaimRejected, E::Edit];
        assert_eq!(run(&path), Ok(S::Draft));
    }

    #[test]
    fn illegal_transitions_are_refused() {
        let refused = [
            (S::Draft, E::Submit),
            (S::Draft, E::RemitPaid),
            (S::Scrubbed, E::AckAccepted),
            (S::Submitted, E::RemitPaid),
            (S::Submitted, E::Void),
            (S::Paid, E::AckAccepted),
            (S::Paid, E::Submit),
            (S::Accepted, E::Correct),
            (S::Rejected, E::Void),
            (S::Corrected, E::Submit),
        ];
        for (from, event) in refused {
            assert_eq!(transition(from, event), Err(InvalidTransition { from, event }));
        }
        let msg = transition(S::Draft, E::Submit).map_err(|e| e.to_string());
        assert_eq!(msg, Err("claim in state draft cannot take event submit".into()));
    }

    #[test]
    fn voided_is_terminal() {
        assert!(S::Voided.is_terminal());
        for event in EVENTS {
            assert!(transition(S::Voided, event).is_err(), "{event}");
        }
    }

    #[test]
    fn void_is_allowed_only_after_adjudication_or_acceptance() {
        let allowed: Vec<ClaimState> = STATES.into_iter().filter(|s| transition(*s, E::Void).is_ok()).collect();
        assert_eq!(allowed, [S::Accepted, S::Paid, S::PartiallyPaid, S::Denied]);
    }

    #[test]
    fn every_state_is_reachable_from_draft() {
        let mut seen = vec![S::Draft];
        let mut frontier = vec![S::Draft];
        while let Some(s) = frontier.pop() {
            for e in EVENTS {
                if let Ok(t) = transition(s, e)
                    && !seen.contains(&t)
                {
                    seen.push(t);
                    frontier.push(t);
                }
            }
        }
        for s in STATES {
            assert!(seen.contains(&s), "{s} unreachable");
        }
    }

    #[test]
    fn frequency_codes() {
        assert_eq!(ClaimFrequency::Original.code(), "1");
        assert_eq!(ClaimFrequency::Replacement.code(), "7");
        assert_eq!(ClaimFrequency::Void.code(), "8");
        assert!(!ClaimFrequency::Original.needs_payer_claim_number());
        assert!(ClaimFrequency::Replacement.needs_payer_claim_number());
    }

    #[test]
    fn names_are_stable_and_match_serde() {
        for s in STATES {
            assert_eq!(serde_json::to_value(s).ok(), Some(serde_json::Value::from(s.as_str())));
        }
        for e in EVENTS {
            assert_eq!(serde_json::to_value(e).ok(), Some(serde_json::Value::from(e.as_str())));
        }
    }
}
