//! Reads 999 implementation acknowledgments (and the older 997): which functional groups and
//! transaction sets of our 837P the receiver accepted or rejected, and why.
//!
//! Loop layout: `AK1` opens a group answer, `AK2` a transaction-set answer holding `IK3`
//! segment errors (each with `CTX` context and `IK4` element errors) closed by `IK5`; `AK9`
//! closes the group answer. The 997 uses `AK3`/`AK4`/`AK5` for `IK3`/`IK4`/`IK5`. Offending
//! data values (IK404/AK404) are kept out of serialized output: they may be patient data.

use serde::Serialize;

use crate::error::ClaimsError;
use crate::x12read::{Parsed, optional_count, owned, read, required, transactions};

/// An IK5/AK5 or AK9 disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    /// A
    Accepted,
    /// E: accepted, but errors were noted.
    AcceptedWithErrors,
    /// P (AK9 only): some transaction sets were rejected.
    PartiallyAccepted,
    /// R
    Rejected,
    /// M: rejected, message authentication code failed.
    RejectedAuthentication,
    /// W: rejected, assurance failed validity tests.
    RejectedAssurance,
    /// X: rejected, content could not be analyzed after decryption.
    RejectedContent,
}

impl AckStatus {
    fn parse(code: &str) -> Option<Self> {
        Some(match code.trim() {
            "A" => Self::Accepted,
            "E" => Self::AcceptedWithErrors,
            "P" => Self::PartiallyAccepted,
            "R" => Self::Rejected,
            "M" => Self::RejectedAuthentication,
            "W" => Self::RejectedAssurance,
            "X" => Self::RejectedContent,
            _ => return None,
        })
    }

    /// Whether the acknowledged data goes on to the payer (A or E; P for a group means some).
    pub fn is_accepted(self) -> bool {
        matches!(self, Self::Accepted | Self::AcceptedWithErrors)
    }
}

/// One acknowledgment transaction (999 or 997): its group answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImplementationAck {
    /// `999` or `997`.
    pub transaction_type: String,
    pub groups: Vec<GroupAck>,
}

/// The answer for one functional group we sent (AK1..AK9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupAck {
    /// AK101, e.g. `HC` for 837.
    pub functional_id: String,
    /// AK102: our GS06.
    pub group_control_number: String,
    /// AK103, e.g. `005010X222A1`.
    pub version: Option<String>,
    pub status: AckStatus,
    pub sets_included: Option<u32>,
    pub sets_received: Option<u32>,
    pub sets_accepted: Option<u32>,
    /// AK905..AK909 functional group syntax error codes.
    pub error_codes: Vec<String>,
    pub transactions: Vec<TransactionAck>,
}

/// The answer for one transaction set we sent (AK2..IK5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionAck {
    /// AK201, e.g. `837`.
    pub transaction_id: String,
    /// AK202: our ST02.
    pub control_number: String,
    pub implementation_ref: Option<String>,
    pub status: AckStatus,
    /// IK502..IK506 transaction set syntax error codes.
    pub error_codes: Vec<String>,
    pub segment_errors: Vec<SegmentError>,
}

/// An IK3/AK3 segment error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentError {
    /// IK301: id of the segment in error, e.g. `CLM`.
    pub segment_id: String,
    /// IK302: position of the segment from ST (ST is 1).
    pub position: Option<u32>,
    /// IK303: loop identifier, e.g. `2300`.
    pub loop_id: Option<String>,
    /// IK304: segment syntax error code (`8` = segment has data element errors).
    pub code: Option<String>,
    /// CTX segments: business unit context such as `CLM01:PCN0001` (our claim id).
    pub context: Vec<String>,
    pub element_errors: Vec<ElementError>,
}

/// An IK4/AK4 element error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElementError {
    /// IK401-1: element position in the segment.
    pub position: Option<u32>,
    /// IK401-2: component position within a composite.
    pub component: Option<u32>,
    /// IK401-3: repetition number.
    pub repetition: Option<u32>,
    /// IK402: data element reference number.
    pub data_element: Option<String>,
    /// IK403: element syntax error code (`7` invalid code value...).
    pub code: String,
    /// IK404: a copy of the bad data; possibly PHI, so never serialized or logged.
    #[serde(skip)]
    pub bad_value: Option<String>,
}

/// Reads every 999 or 997 transaction of the input. The fuzz entry point for 999s: never
/// panics, whatever the bytes.
pub fn read_999(input: &[u8]) -> Result<Parsed<ImplementationAck>, ClaimsError> {
    let (doc, warnings) = read(input)?;
    let mut out = Vec::new();
    for (_, tx) in transactions(&doc, "FA", &["999", "997"], "999 or 997 acknowledgment")? {
        out.push(read_one(tx.id, &tx.segments)?);
    }
    Ok(Parsed { transactions: out, warnings })
}

fn read_one(id: &str, segments: &[rx_x12::Segment<'_>]) -> Result<ImplementationAck, ClaimsError> {
    let mut groups: Vec<GroupAck> = Vec::new();
    let mut open: Option<GroupAck> = None;
    for seg in segments {
        match seg.id() {
            "AK1" => {
                if let Some(g) = open.take() {
                    groups.push(g);
                }
                open = Some(GroupAck {
                    functional_id: required(seg, "AK1", 1)?.to_owned(),
                    group_control_number: required(seg, "AK1", 2)?.to_owned(),
                    version: owned(seg, 3),
                    // until AK9 says otherwise
                    status: AckStatus::Rejected,
                    sets_included: None,
                    sets_received: None,
                    sets_accepted: None,
                    error_codes: Vec::new(),
                    transactions: Vec::new(),
                });
            }
            "AK2" => {
                let g = open.as_mut().ok_or(ClaimsError::UnexpectedSegment { segment: "AK2", at: seg.position() })?;
                g.transactions.push(TransactionAck {
                    transaction_id: required(seg, "AK2", 1)?.to_owned(),
                    control_number: required(seg, "AK2", 2)?.to_owned(),
                    implementation_ref: owned(seg, 3),
                    status: AckStatus::Rejected,
                    error_codes: Vec::new(),
                    segment_errors: Vec::new(),
                });
            }
            "IK3" | "AK3" => {
                let name = if seg.id() == "IK3" { "IK3" } else { "AK3" };
                let t = current_transaction(&mut open, name, seg)?;
                t.segment_errors.push(SegmentError {
                    segment_id: required(seg, name, 1)?.to_owned(),
                    position: optional_count(seg, name, 2)?,
                    loop_id: owned(seg, 3),
                    code: owned(seg, 4),
                    context: Vec::new(),
                    element_errors: Vec::new(),
                });
            }
            "CTX" => {
                // CTX before any IK3 is transaction-level context; it is kept with the next
                // segment error only when one is open.
                if let Some(e) =
                    open.as_mut().and_then(|g| g.transactions.last_mut()).and_then(|t| t.segment_errors.last_mut())
                {
                    e.context
                        .push(seg.elements().iter().filter(|v| !v.is_empty()).copied().collect::<Vec<_>>().join(" "));
                }
            }
            "IK4" | "AK4" => {
                let name = if seg.id() == "IK4" { "IK4" } else { "AK4" };
                let t = current_transaction(&mut open, name, seg)?;
                let e = t
                    .segment_errors
                    .last_mut()
                    .ok_or(ClaimsError::UnexpectedSegment { segment: name, at: seg.position() })?;
                let part = |n: usize| -> Result<Option<u32>, ClaimsError> {
                    seg.component(1, n)
                        .map(|c| {
                            c.trim().parse::<u32>().map_err(|_| ClaimsError::InvalidNumber {
                                segment: name,
                                element: 1,
                                at: seg.position(),
                            })
                        })
                        .transpose()
                };
                e.element_errors.push(ElementError {
                    position: part(1)?,
                    component: part(2)?,
                    repetition: part(3)?,
                    data_element: owned(seg, 2),
                    code: required(seg, name, 3)?.to_owned(),
                    bad_value: owned(seg, 4),
                });
            }
            "IK5" | "AK5" => {
                let name = if seg.id() == "IK5" { "IK5" } else { "AK5" };
                let t = current_transaction(&mut open, name, seg)?;
                t.status = status(seg, name, 1)?;
                t.error_codes = (2..=6).filter_map(|n| owned(seg, n)).collect();
            }
            "AK9" => {
                let g = open.as_mut().ok_or(ClaimsError::UnexpectedSegment { segment: "AK9", at: seg.position() })?;
                g.status = status(seg, "AK9", 1)?;
                g.sets_included = optional_count(seg, "AK9", 2)?;
                g.sets_received = optional_count(seg, "AK9", 3)?;
                g.sets_accepted = optional_count(seg, "AK9", 4)?;
                g.error_codes = (5..=9).filter_map(|n| owned(seg, n)).collect();
            }
            _ => {}
        }
    }
    if let Some(g) = open.take() {
        groups.push(g);
    }
    Ok(ImplementationAck { transaction_type: id.to_owned(), groups })
}

fn current_transaction<'g>(
    open: &'g mut Option<GroupAck>,
    name: &'static str,
    seg: &rx_x12::Segment<'_>,
) -> Result<&'g mut TransactionAck, ClaimsError> {
    open.as_mut()
        .and_then(|g| g.transactions.last_mut())
        .ok_or(ClaimsError::UnexpectedSegment { segment: name, at: seg.position() })
}

fn status(seg: &rx_x12::Segment<'_>, name: &'static str, element: usize) -> Result<AckStatus, ClaimsError> {
    let code = required(seg, name, element)?;
    AckStatus::parse(code).ok_or(ClaimsError::InvalidCode { segment: name, element, at: seg.position() })
}
