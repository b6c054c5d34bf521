//! Reads what the simulated payer needs from an 837P: per claim its CLM01, charge, frequency,
//! original payer claim number (REF*F8), the subscriber, and the service lines.

use rust_decimal::Decimal;

/// One service line (2400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub code: String,
    pub modifiers: Vec<String>,
    pub charge: Decimal,
    pub units: Decimal,
    /// DTP*472, CCYYMMDD.
    pub date: String,
    /// REF*6R.
    pub control: Option<String>,
}

/// One claim (2300) with the subscriber it was billed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedClaim {
    pub patient_control_number: String,
    pub charge: Decimal,
    /// CLM05-3: 1, 7 or 8.
    pub frequency: String,
    pub original_payer_claim_number: Option<String>,
    pub member_id: String,
    pub last_name: String,
    pub first_name: String,
    pub lines: Vec<Line>,
}

/// One transaction set of the submission, as a 999 acknowledges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedSet {
    pub control_number: String,
    pub claims: Vec<SubmittedClaim>,
}

/// One functional group: its GS06 and sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedGroup {
    pub control_number: String,
    pub sets: Vec<SubmittedSet>,
}

/// The submission as read: who sent it (ISA06, ISA08 reversed in answers) and its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub sender: String,
    pub receiver: String,
    pub submitter_name: String,
    pub billing_name: String,
    pub billing_npi: String,
    pub groups: Vec<SubmittedGroup>,
}

fn amount(text: Option<&str>) -> Decimal {
    text.and_then(|t| t.trim().parse().ok()).unwrap_or_default()
}

/// Reads an 837P interchange; `Err` names what made it unreadable.
pub fn read(x12: &str) -> Result<Submission, String> {
    let doc = rx_x12::read(x12.as_bytes()).map_err(|e| e.to_string())?;
    let first = doc.interchanges.first().ok_or("no interchange")?;
    let mut out = Submission {
        sender: first.sender_id().to_owned(),
        receiver: first.receiver_id().to_owned(),
        submitter_name: String::new(),
        billing_name: String::new(),
        billing_npi: String::new(),
        groups: Vec::new(),
    };
    for interchange in &doc.interchanges {
        for group in &interchange.groups {
            let mut g = SubmittedGroup { control_number: group.control_number.to_owned(), sets: Vec::new() };
            for tx in &group.transactions {
                if tx.id != "837" {
                    return Err(format!("transaction set {} is not an 837", tx.id));
                }
                let mut set = SubmittedSet { control_number: tx.control_number.to_owned(), claims: Vec::new() };
                let (mut member, mut last, mut first) = (String::new(), String::new(), String::new());
                for seg in &tx.segments {
                    match (seg.id(), seg.element(1)) {
                        ("NM1", Some("41")) => out.submitter_name = seg.element_or_empty(3).to_owned(),
                        ("NM1", Some("85")) => {
                            out.billing_name = seg.element_or_empty(3).to_owned();
                            out.billing_npi = seg.element_or_empty(9).to_owned();
                        }
                        ("NM1", Some("IL")) => {
                            member = seg.element_or_empty(9).to_owned();
                            last = seg.element_or_empty(3).to_owned();
                            first = seg.element_or_empty(4).to_owned();
                        }
                        ("CLM", _) => set.claims.push(SubmittedClaim {
                            patient_control_number: seg.element_or_empty(1).to_owned(),
                            charge: amount(seg.element(2)),
                            frequency: seg.component(5, 3).unwrap_or("1").to_owned(),
                            original_payer_claim_number: None,
                            member_id: member.clone(),
                            last_name: last.clone(),
                            first_name: first.clone(),
                            lines: Vec::new(),
                        }),
                        ("REF", Some("F8")) => {
                            if let Some(c) = set.claims.last_mut() {
                                c.original_payer_claim_number = seg.element(2).map(str::to_owned);
                            }
                        }
                        ("SV1", _) => {
                            if let Some(c) = set.claims.last_mut() {
                                let mut parts = seg.components(1);
                                let _qualifier = parts.next();
                                let code = parts.next().unwrap_or_default().to_owned();
                                let modifiers = parts.take(4).filter(|m| !m.is_empty()).map(str::to_owned).collect();
                                c.lines.push(Line {
                                    code,
                                    modifiers,
                                    charge: amount(seg.element(2)),
                                    units: amount(seg.element(4)),
                                    date: String::new(),
                                    control: None,
                                });
                            }
                        }
                        ("DTP", Some("472")) => {
                            if let Some(l) = set.claims.last_mut().and_then(|c| c.lines.last_mut()) {
                                l.date = seg.element_or_empty(3).to_owned();
                            }
                        }
                        ("REF", Some("6R")) => {
                            if let Some(l) = set.claims.last_mut().and_then(|c| c.lines.last_mut()) {
                                l.control = seg.element(2).map(str::to_owned);
                            }
                        }
                        _ => {}
                    }
                }
                g.sets.push(set);
            }
            out.groups.push(g);
        }
    }
    if out.groups.is_empty() {
        return Err("no functional group".into());
    }
    Ok(out)
}
