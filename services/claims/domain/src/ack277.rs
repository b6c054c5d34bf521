//! Reads 277CA claim acknowledgments (005010X214): per claim, our patient control number
//! (TRN*2 in the claim's HL loop), the payer's claim control number (REF*1K), the STC statuses
//! and whether the claim was accepted into adjudication or rejected.
//!
//! Claim loops are the HL loops at patient level (`PT`); 277 claim-status replies (005010X212)
//! put the same content at subscriber/dependent level (`22`/`23`) and are read the same way.
//! Statuses at receiver (`21`) or billing-provider (`19`) level can reject a whole batch and are
//! returned separately.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::ClaimsError;
use crate::lifecycle::ClaimEvent;
use crate::x12read::{Parsed, optional_amount, owned, read, required, transactions};

/// What a claim status category means for the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AckOutcome {
    /// A2 (or A5 split): accepted into adjudication.
    Accepted,
    /// A3, A4, A6, A7, A8, E0, E3: returned, to be fixed and sent again.
    Rejected,
    /// A0/A1 and anything else: received, no decision yet.
    Received,
}

impl AckOutcome {
    fn of_category(category: &str) -> Self {
        match category {
            "A2" | "A5" => Self::Accepted,
            "A3" | "A4" | "A6" | "A7" | "A8" | "E0" | "E3" => Self::Rejected,
            _ => Self::Received,
        }
    }

    /// The lifecycle event this outcome stands for, if any.
    pub fn event(self) -> Option<ClaimEvent> {
        match self {
            Self::Accepted => Some(ClaimEvent::ClaimAccepted),
            Self::Rejected => Some(ClaimEvent::ClaimRejected),
            Self::Received => None,
        }
    }
}

/// One status code triple of an STC segment (STC01, STC10 or STC11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCode {
    /// Category, e.g. `A2` accepted, `A7` rejected for invalid information.
    pub category: String,
    /// Status, e.g. `20` accepted for processing, `562` entity's NPI.
    pub status: Option<String>,
    /// Entity the status is about, e.g. `85` billing provider.
    pub entity: Option<String>,
}

/// One STC segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub codes: Vec<StatusCode>,
    /// STC02, CCYYMMDD.
    pub effective_date: Option<String>,
    /// STC03 action code (`WQ` accept, `U` reject).
    pub action: Option<String>,
    /// STC04 total charge the status applies to.
    pub amount: Option<Decimal>,
    /// STC12 free-form message.
    pub message: Option<String>,
}

impl Status {
    /// The outcome of the status: rejected if any code rejects, accepted if any accepts.
    pub fn outcome(&self) -> AckOutcome {
        let outcomes: Vec<AckOutcome> = self.codes.iter().map(|c| AckOutcome::of_category(&c.category)).collect();
        if outcomes.contains(&AckOutcome::Rejected) {
            AckOutcome::Rejected
        } else if outcomes.contains(&AckOutcome::Accepted) {
            AckOutcome::Accepted
        } else {
            AckOutcome::Received
        }
    }
}

/// The acknowledgment of one claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimAck {
    /// TRN02 of the claim loop: our CLM01.
    pub patient_control_number: Option<String>,
    /// REF*1K: needed later for replacements and voids.
    pub payer_claim_control_number: Option<String>,
    /// REF*D9: clearinghouse trace number.
    pub clearinghouse_trace: Option<String>,
    pub statuses: Vec<Status>,
    pub outcome: AckOutcome,
    /// DTP*472, `CCYYMMDD` or `CCYYMMDD-CCYYMMDD`.
    pub service_date: Option<String>,
}

/// A status given for a whole level above the claims (receiver `21`, provider `19`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelStatus {
    pub level: String,
    /// TRN02 at that level (for the receiver: our BHT03 batch reference).
    pub trace: Option<String>,
    pub statuses: Vec<Status>,
}

/// One 277 transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimAcknowledgment {
    /// GS08, `005010X214` for a 277CA.
    pub version: String,
    /// BHT03.
    pub reference: Option<String>,
    pub batch_statuses: Vec<LevelStatus>,
    pub claims: Vec<ClaimAck>,
}

/// Reads every 277 transaction of the input. The fuzz entry point for 277CAs: never panics.
pub fn read_277ca(input: &[u8]) -> Result<Parsed<ClaimAcknowledgment>, ClaimsError> {
    let (doc, warnings) = read(input)?;
    let mut out = Vec::new();
    for (group, tx) in transactions(&doc, "HN", &["277"], "277CA claim acknowledgment")? {
        let tree = rx_x12::HlTree::build(&tx.segments)?;
        let reference = tree.header.iter().find(|s| s.id() == "BHT").and_then(|s| owned(s, 3));
        let mut ack = ClaimAcknowledgment {
            version: group.version.to_owned(),
            reference,
            batch_statuses: Vec::new(),
            claims: Vec::new(),
        };
        for l in &tree.loops {
            let body = cut_at_service_lines(l.body());
            let statuses = body.iter().filter(|s| s.id() == "STC").map(read_stc).collect::<Result<Vec<_>, _>>()?;
            let trace = body.iter().find(|s| s.id() == "TRN").and_then(|s| owned(s, 2));
            match l.level {
                "PT" | "22" | "23" if has_claim_trace(body) => {
                    ack.claims.push(claim(body, statuses, trace));
                }
                "21" | "19" if !statuses.is_empty() => {
                    ack.batch_statuses.push(LevelStatus { level: l.level.to_owned(), trace, statuses });
                }
                _ => {}
            }
        }
        out.push(ack);
    }
    Ok(Parsed { transactions: out, warnings })
}

/// A claim loop carries `TRN*2`; a 277 subscriber level without one has no claim.
fn has_claim_trace(body: &[rx_x12::Segment<'_>]) -> bool {
    body.iter().any(|s| s.id() == "TRN" && s.element(1) == Some("2"))
}

/// Segments of the claim itself: line-level loops (2220, starting at SVC) are left out.
fn cut_at_service_lines<'s, 'a>(body: &'s [rx_x12::Segment<'a>]) -> &'s [rx_x12::Segment<'a>] {
    let end = body.iter().position(|s| s.id() == "SVC").unwrap_or(body.len());
    body.get(..end).unwrap_or(body)
}

fn claim(body: &[rx_x12::Segment<'_>], statuses: Vec<Status>, trace: Option<String>) -> ClaimAck {
    let reference =
        |q: &str| body.iter().find(|s| s.id() == "REF" && s.element(1) == Some(q)).and_then(|s| owned(s, 2));
    let outcomes: Vec<AckOutcome> = statuses.iter().map(Status::outcome).collect();
    let outcome = if outcomes.contains(&AckOutcome::Rejected) {
        AckOutcome::Rejected
    } else if outcomes.contains(&AckOutcome::Accepted) {
        AckOutcome::Accepted
    } else {
        AckOutcome::Received
    };
    let service_date = body.iter().find(|s| s.id() == "DTP" && s.element(1) == Some("472")).and_then(|s| owned(s, 3));
    ClaimAck {
        patient_control_number: trace,
        payer_claim_control_number: reference("1K"),
        clearinghouse_trace: reference("D9"),
        statuses,
        outcome,
        service_date,
    }
}

fn read_stc(seg: &rx_x12::Segment<'_>) -> Result<Status, ClaimsError> {
    required(seg, "STC", 1)?;
    let codes = [1, 10, 11]
        .into_iter()
        .filter_map(|n| {
            let category = seg.component(n, 1)?;
            Some(StatusCode {
                category: category.to_owned(),
                status: seg.component(n, 2).map(str::to_owned),
                entity: seg.component(n, 3).map(str::to_owned),
            })
        })
        .collect();
    Ok(Status {
        codes,
        effective_date: owned(seg, 2),
        action: owned(seg, 3),
        amount: optional_amount(seg, "STC", 4)?,
        message: owned(seg, 12),
    })
}
