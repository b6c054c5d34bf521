//! The simulated payer's answers as real X12, written with rx-x12: a 999 per submitted group,
//! a 277CA per submission, and an 835 per adjudicated claim.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rx_x12::{ControlNumbers, Envelope, FunctionalGroup, OwnedSegment, PartyId, TransactionSet, Usage};
use time::PrimitiveDateTime;

use super::read837::{Submission, SubmittedClaim};

/// The payer as its answers name it.
#[derive(Debug, Clone)]
pub struct PayerInfo {
    pub name: String,
    pub id: String,
}

/// What happened to one claim at the front door (277CA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Front {
    Accepted { payer_claim_number: String },
    Rejected { category: String, status: String },
}

/// One adjustment on a line: group, reason, amount.
pub type Cas = (String, String, Decimal);

/// How a claim was adjudicated (835).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjudication {
    pub denied: bool,
    pub payer_claim_number: String,
    /// Adjustments per line, in line order.
    pub line_adjustments: Vec<Vec<Cas>>,
}

fn amt(d: Decimal) -> String {
    d.round_dp(2).normalize().to_string()
}

fn envelope(sub: &Submission, at: PrimitiveDateTime) -> Envelope {
    // answers go back the other way
    let mut e = Envelope::new(PartyId::new("ZZ", &sub.receiver), PartyId::new("ZZ", &sub.sender), at, Usage::Test);
    e.line_break = true;
    e
}

fn ymd(at: PrimitiveDateTime) -> String {
    format!("{:04}{:02}{:02}", at.year(), u8::from(at.month()), at.day())
}

/// 999: each set accepted (IK5 A) unless `rejected` names it by (GS06, ST02) with its IK501
/// code; the group is accepted, partially accepted or rejected accordingly (AK9).
pub fn ack_999(
    sub: &Submission,
    rejected: &HashMap<(String, String), String>,
    at: PrimitiveDateTime,
    control: u32,
) -> Result<String, rx_x12::Error> {
    let mut sets = Vec::new();
    for group in &sub.groups {
        let mut body =
            vec![OwnedSegment::new("AK1").element("HC").element(&group.control_number).element("005010X222A1")];
        let mut accepted = 0usize;
        for set in &group.sets {
            body.push(OwnedSegment::new("AK2").element("837").element(&set.control_number).element("005010X222A1"));
            match rejected.get(&(group.control_number.clone(), set.control_number.clone())) {
                Some(code) => body.push(OwnedSegment::new("IK5").element("R").element(code)),
                None => {
                    accepted += 1;
                    body.push(OwnedSegment::new("IK5").element("A"));
                }
            }
        }
        let n = group.sets.len();
        let status = match accepted {
            0 => "R",
            a if a == n => "A",
            _ => "P",
        };
        body.push(
            OwnedSegment::new("AK9")
                .element(status)
                .element(n.to_string())
                .element(n.to_string())
                .element(accepted.to_string()),
        );
        sets.push(TransactionSet::new("999", Some("005010X231A1"), body));
    }
    let group = FunctionalGroup::new("FA", "005010X231A1", sets);
    rx_x12::write(
        &envelope(sub, at),
        &[group],
        ControlNumbers { interchange: control, group: control, first_transaction: 1 },
    )
}

/// 277CA: batch totals at receiver and billing-provider level, then one patient-level loop
/// per claim with its STC and, when accepted, the payer claim number (REF*1K).
pub fn ack_277ca(
    sub: &Submission,
    claims: &[(&SubmittedClaim, Front)],
    payer: &PayerInfo,
    at: PrimitiveDateTime,
    control: u32,
) -> Result<String, rx_x12::Error> {
    let date = ymd(at);
    let reference = format!("SIM277{control}");
    let accepted: Vec<_> = claims.iter().filter(|(_, f)| matches!(f, Front::Accepted { .. })).collect();
    let total = |list: &[&(&SubmittedClaim, Front)]| amt(list.iter().map(|(c, _)| c.charge).sum());
    let rejected: Vec<_> = claims.iter().filter(|(_, f)| matches!(f, Front::Rejected { .. })).collect();
    let mut body = vec![
        OwnedSegment::new("BHT")
            .element("0085")
            .element("08")
            .element(&reference)
            .element(&date)
            .element("1200")
            .element("TH"),
        OwnedSegment::new("HL").element("1").empty().element("20").element("1"),
        OwnedSegment::new("NM1")
            .element("PR")
            .element("2")
            .element(&payer.name)
            .empty()
            .empty()
            .empty()
            .empty()
            .element("PI")
            .element(&payer.id),
        OwnedSegment::new("TRN").element("1").element(&reference),
        OwnedSegment::new("DTP").element("050").element("D8").element(&date),
        OwnedSegment::new("DTP").element("009").element("D8").element(&date),
        OwnedSegment::new("HL").element("2").element("1").element("21").element("1"),
        OwnedSegment::new("NM1")
            .element("41")
            .element("2")
            .element(&sub.submitter_name)
            .empty()
            .empty()
            .empty()
            .empty()
            .element("46")
            .element(&sub.sender),
        OwnedSegment::new("TRN").element("2").element(&reference),
        OwnedSegment::new("STC")
            .composite(["A1", "19"])
            .element(&date)
            .element("WQ")
            .element(total(&claims.iter().collect::<Vec<_>>())),
        OwnedSegment::new("QTY").element("90").element(accepted.len().to_string()),
        OwnedSegment::new("QTY").element("AA").element(rejected.len().to_string()),
        OwnedSegment::new("AMT").element("YU").element(total(&accepted)),
        OwnedSegment::new("AMT").element("YY").element(total(&rejected)),
        OwnedSegment::new("HL").element("3").element("2").element("19").element("1"),
        OwnedSegment::new("NM1")
            .element("85")
            .element("2")
            .element(&sub.billing_name)
            .empty()
            .empty()
            .empty()
            .empty()
            .element("XX")
            .element(&sub.billing_npi),
        OwnedSegment::new("TRN").element("1").element(&reference),
        OwnedSegment::new("STC")
            .composite(["A1", "19"])
            .empty() // STC02 is not used at billing-provider level
            .element("WQ")
            .element(total(&claims.iter().collect::<Vec<_>>())),
        OwnedSegment::new("QTY").element("QA").element(accepted.len().to_string()),
        OwnedSegment::new("AMT").element("YU").element(total(&accepted)),
    ];
    for (n, (claim, front)) in (4u32..).zip(claims) {
        body.push(OwnedSegment::new("HL").element(n.to_string()).element("3").element("PT"));
        body.push(
            OwnedSegment::new("NM1")
                .element("QC")
                .element("1")
                .element(&claim.last_name)
                .element(&claim.first_name)
                .empty()
                .empty()
                .empty()
                .element("MI")
                .element(&claim.member_id),
        );
        body.push(OwnedSegment::new("TRN").element("2").element(&claim.patient_control_number));
        match front {
            Front::Accepted { payer_claim_number } => {
                body.push(
                    OwnedSegment::new("STC")
                        .composite(["A2", "20"])
                        .element(&date)
                        .element("WQ")
                        .element(amt(claim.charge)),
                );
                body.push(OwnedSegment::new("REF").element("1K").element(payer_claim_number));
            }
            Front::Rejected { category, status } => {
                body.push(
                    OwnedSegment::new("STC")
                        .composite([category.as_str(), status.as_str()])
                        .element(&date)
                        .element("U")
                        .element(amt(claim.charge)),
                );
            }
        }
        let first = claim.lines.first().map(|l| l.date.clone()).unwrap_or_else(|| date.clone());
        body.push(OwnedSegment::new("DTP").element("472").element("D8").element(first));
    }
    let group = FunctionalGroup::new("HN", "005010X214", vec![TransactionSet::new("277", Some("005010X214"), body)]);
    rx_x12::write(
        &envelope(sub, at),
        &[group],
        ControlNumbers { interchange: control, group: control, first_transaction: 1 },
    )
}

/// 835 for one adjudicated claim (ST03 is not used in 005010X221A1): payment (BPR, TRN), payer and payee, the CLP with its lines
/// (SVC), their adjustments (CAS) and allowed amounts (AMT*B6). It balances by construction.
pub fn remit_835(
    sub: &Submission,
    claim: &SubmittedClaim,
    adjudication: &Adjudication,
    payer: &PayerInfo,
    at: PrimitiveDateTime,
    control: u32,
) -> Result<String, rx_x12::Error> {
    let date = ymd(at);
    let mut paid_total = Decimal::ZERO;
    let mut patient_total = Decimal::ZERO;
    let mut lines = Vec::new();
    for (line, cas) in
        claim.lines.iter().zip(adjudication.line_adjustments.iter().chain(std::iter::repeat(&Vec::new())))
    {
        let adjusted: Decimal = cas.iter().map(|(_, _, a)| *a).sum();
        let contractual: Decimal = cas.iter().filter(|(g, _, _)| g == "CO").map(|(_, _, a)| *a).sum();
        let paid = line.charge - adjusted;
        paid_total += paid;
        patient_total += cas.iter().filter(|(g, _, _)| g == "PR").map(|(_, _, a)| *a).sum::<Decimal>();
        let mut composite = vec!["HC".to_owned(), line.code.clone()];
        composite.extend(line.modifiers.iter().cloned());
        lines.push(
            OwnedSegment::new("SVC")
                .composite(composite)
                .element(amt(line.charge))
                .element(amt(paid))
                .empty()
                .element(amt(line.units)),
        );
        lines.push(OwnedSegment::new("DTM").element("472").element(&line.date));
        for (group, reason, amount) in cas {
            lines.push(OwnedSegment::new("CAS").element(group).element(reason).element(amt(*amount)));
        }
        if let Some(control) = &line.control {
            lines.push(OwnedSegment::new("REF").element("6R").element(control));
        }
        if !adjudication.denied {
            lines.push(OwnedSegment::new("AMT").element("B6").element(amt(line.charge - contractual)));
        }
    }
    let trace = format!("SIMEFT{control:09}");
    let bpr = if paid_total > Decimal::ZERO {
        OwnedSegment::new("BPR")
            .element("I")
            .element(amt(paid_total))
            .element("C")
            .element("ACH")
            .element("CCP")
            .element("01")
            .element("011000015")
            .element("DA")
            .element("123456789")
            .element("1512345678")
            .empty()
            .element("01")
            .element("011000028")
            .element("DA")
            .element("987654321")
            .element(&date)
    } else {
        let mut s = OwnedSegment::new("BPR").element("H").element("0").element("C").element("NON");
        for _ in 0..11 {
            s = s.empty();
        }
        s.element(&date)
    };
    let status = if adjudication.denied { "4" } else { "1" };
    let mut body = vec![
        bpr,
        OwnedSegment::new("TRN").element("1").element(&trace).element("1512345678"),
        OwnedSegment::new("DTM").element("405").element(&date),
        OwnedSegment::new("N1").element("PR").element(&payer.name),
        OwnedSegment::new("N3").element("1 PAYER PLAZA"),
        OwnedSegment::new("N4").element("SPRINGFIELD").element("IL").element("62701"),
        OwnedSegment::new("PER").element("BL").element("PROVIDER SERVICES").element("TE").element("5555550199"),
        OwnedSegment::new("N1").element("PE").element(&sub.billing_name).element("XX").element(&sub.billing_npi),
        OwnedSegment::new("LX").element("1"),
        OwnedSegment::new("CLP")
            .element(&claim.patient_control_number)
            .element(status)
            .element(amt(claim.charge))
            .element(amt(paid_total))
            .element(amt(patient_total))
            .element("12")
            .element(&adjudication.payer_claim_number)
            .element("11")
            .element(&claim.frequency),
        OwnedSegment::new("NM1")
            .element("QC")
            .element("1")
            .element(&claim.last_name)
            .element(&claim.first_name)
            .empty()
            .empty()
            .empty()
            .element("MI")
            .element(&claim.member_id),
    ];
    body.extend(lines);
    let group = FunctionalGroup::new("HP", "005010X221A1", vec![TransactionSet::new("835", None, body)]);
    rx_x12::write(
        &envelope(sub, at),
        &[group],
        ControlNumbers { interchange: control, group: control, first_transaction: 1 },
    )
}
