//! Reads 835 remittance advices (005010X221A1, 004010 tolerated): the payment (BPR, TRN), each
//! claim payment (CLP with its CAS adjustments and SVC lines) and provider-level adjustments
//! (PLB). Amounts are exact decimals. Balancing is checked but reported, not enforced, so a
//! payer's rounding slip does not hide the rest of the remittance.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::denial::{AdjustmentGroup, DenialAdvice, NextAction, next_action};
use crate::error::ClaimsError;
use crate::lifecycle::ClaimEvent;
use crate::x12read::{Parsed, amount, optional_amount, owned, read, required, transactions};

/// BPR: the money movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    /// BPR01: `I` payment with advice, `H` advice only, `C` payment only...
    pub handling: String,
    /// BPR02 total paid.
    pub amount: Decimal,
    /// BPR03 `C` credit or `D` debit.
    pub credit_debit: Option<String>,
    /// BPR04 `ACH`, `CHK`, `NON`, `FWT`, `BOP`.
    pub method: Option<String>,
    /// BPR16 payment (effective) date, CCYYMMDD.
    pub date: Option<String>,
}

/// One CAS adjustment (a CAS segment holds up to six).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adjustment {
    pub group: AdjustmentGroup,
    /// CARC, e.g. `45`.
    pub reason: String,
    pub amount: Decimal,
    pub quantity: Option<Decimal>,
}

/// One SVC line and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePayment {
    /// SVC01-1, `HC` for CPT/HCPCS.
    pub qualifier: String,
    pub procedure_code: String,
    pub modifiers: Vec<String>,
    pub charge: Decimal,
    pub paid: Decimal,
    /// SVC05, 1 when absent.
    pub units: Decimal,
    /// DTM*472 (or DTM*150 when a range is given).
    pub service_date: Option<String>,
    /// REF*6R: the line control number we sent in the 837P.
    pub line_control_number: Option<String>,
    /// AMT*B6.
    pub allowed: Option<Decimal>,
    pub adjustments: Vec<Adjustment>,
    /// LQ*HE remark codes.
    pub remarks: Vec<String>,
}

/// One CLP: the payer's decision on one claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimPayment {
    /// CLP01: our CLM01.
    pub patient_control_number: String,
    /// CLP02: 1/2/3 processed as primary/secondary/tertiary, 4 denied, 19-21 forwarded, 22
    /// reversal, 23 not our claim, 25 predetermination.
    pub status: String,
    pub charge: Decimal,
    pub paid: Decimal,
    /// CLP05.
    pub patient_responsibility: Option<Decimal>,
    /// CLP06 claim filing indicator.
    pub filing_indicator: Option<String>,
    /// CLP07: the payer's claim number, for replacements and voids.
    pub payer_claim_control_number: Option<String>,
    /// CLP09 frequency code.
    pub frequency: Option<String>,
    /// Claim-level CAS.
    pub adjustments: Vec<Adjustment>,
    /// MOA03..MOA07 remark codes.
    pub remarks: Vec<String>,
    pub services: Vec<ServicePayment>,
    /// Stable identity of this claim payment; posting the same 835 twice repeats it.
    pub posting_key: String,
}

/// A PLB adjustment (positive amounts reduce the payment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderAdjustment {
    pub provider_id: String,
    /// PLB02 fiscal period date.
    pub fiscal_period: Option<String>,
    /// PLB03-1 etc., e.g. `WO` overpayment recovery, `CV` capital pass-through, `L6` interest.
    pub reason: String,
    pub reference: Option<String>,
    pub amount: Decimal,
}

/// One 835 transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remittance {
    pub payment: Payment,
    /// TRN02: check or EFT trace number.
    pub trace_number: Option<String>,
    /// TRN03: payer identifier (1 + EIN usually).
    pub payer_id: Option<String>,
    /// N1*PR N102.
    pub payer_name: Option<String>,
    /// N1*PE N104 (NPI or TIN).
    pub payee_id: Option<String>,
    pub claims: Vec<ClaimPayment>,
    pub provider_adjustments: Vec<ProviderAdjustment>,
}

/// A balancing rule of the 835 that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceIssue {
    /// `service`, `claim`, `patient_responsibility` or `payment`.
    pub rule: &'static str,
    /// 0-based claim index, when the rule is about a claim or line.
    pub claim: Option<usize>,
    /// 0-based service line index within the claim.
    pub line: Option<usize>,
    pub expected: Decimal,
    pub found: Decimal,
}

/// Reads every 835 transaction of the input. The fuzz entry point for 835s: never panics.
pub fn read_835(input: &[u8]) -> Result<Parsed<Remittance>, ClaimsError> {
    let (doc, mut warnings) = read(input)?;
    let mut out = Vec::new();
    for (_, tx) in transactions(&doc, "HP", &["835"], "835 remittance advice")? {
        out.push(read_one(&tx.segments, &mut warnings)?);
    }
    Ok(Parsed { transactions: out, warnings })
}

/// Where CAS, DTM, REF and AMT segments go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Header,
    Claim,
    Service,
}

fn read_one(segments: &[rx_x12::Segment<'_>], warnings: &mut Vec<String>) -> Result<Remittance, ClaimsError> {
    let bpr = segments.iter().find(|s| s.id() == "BPR").ok_or(ClaimsError::MissingSegment { segment: "BPR" })?;
    let mut remit = Remittance {
        payment: Payment {
            handling: required(bpr, "BPR", 1)?.to_owned(),
            amount: amount(bpr, "BPR", 2)?,
            credit_debit: owned(bpr, 3),
            method: owned(bpr, 4),
            date: owned(bpr, 16),
        },
        trace_number: None,
        payer_id: None,
        payer_name: None,
        payee_id: None,
        claims: Vec::new(),
        provider_adjustments: Vec::new(),
    };
    let mut level = Level::Header;
    for seg in segments {
        match (seg.id(), level) {
            ("TRN", Level::Header) => {
                remit.trace_number = owned(seg, 2);
                remit.payer_id = owned(seg, 3);
            }
            ("N1", Level::Header) => match seg.element(1) {
                Some("PR") => remit.payer_name = owned(seg, 2),
                Some("PE") => remit.payee_id = owned(seg, 4),
                _ => {}
            },
            ("LX", _) => level = Level::Header,
            ("CLP", _) => {
                remit.claims.push(read_clp(seg, warnings)?);
                level = Level::Claim;
            }
            ("SVC", Level::Claim | Level::Service) => {
                let svc = read_svc(seg)?;
                if let Some(c) = remit.claims.last_mut() {
                    c.services.push(svc);
                }
                level = Level::Service;
            }
            ("SVC", Level::Header) => {
                return Err(ClaimsError::UnexpectedSegment { segment: "SVC", at: seg.position() });
            }
            ("CAS", Level::Header) => {
                return Err(ClaimsError::UnexpectedSegment { segment: "CAS", at: seg.position() });
            }
            ("CAS", _) => {
                let adjustments = read_cas(seg)?;
                if let Some(c) = remit.claims.last_mut() {
                    match (level, c.services.last_mut()) {
                        (Level::Service, Some(s)) => s.adjustments.extend(adjustments),
                        _ => c.adjustments.extend(adjustments),
                    }
                }
            }
            ("MOA", Level::Claim) => {
                if let Some(c) = remit.claims.last_mut() {
                    c.remarks.extend((3..=7).filter_map(|n| owned(seg, n)));
                }
            }
            ("DTM" | "REF" | "AMT" | "LQ", Level::Service) => {
                if let Some(s) = remit.claims.last_mut().and_then(|c| c.services.last_mut()) {
                    service_detail(seg, s)?;
                }
            }
            ("PLB", _) => {
                remit.provider_adjustments.extend(read_plb(seg)?);
                level = Level::Header;
            }
            _ => {}
        }
    }
    assign_posting_keys(&mut remit);
    Ok(remit)
}

/// CLP03 and CLP04 are required, but some payers' reversal lines leave them out: read as zero
/// with a warning (the balance check then shows the gap) rather than refuse the whole 835.
fn read_clp(seg: &rx_x12::Segment<'_>, warnings: &mut Vec<String>) -> Result<ClaimPayment, ClaimsError> {
    let mut tolerant = |element: usize| -> Result<Decimal, ClaimsError> {
        match amount(seg, "CLP", element) {
            Err(e @ ClaimsError::MissingElement { .. }) => {
                warnings.push(e.to_string());
                Ok(Decimal::ZERO)
            }
            other => other,
        }
    };
    let charge = tolerant(3)?;
    let paid = tolerant(4)?;
    Ok(ClaimPayment {
        patient_control_number: required(seg, "CLP", 1)?.to_owned(),
        status: required(seg, "CLP", 2)?.to_owned(),
        charge,
        paid,
        patient_responsibility: optional_amount(seg, "CLP", 5)?,
        filing_indicator: owned(seg, 6),
        payer_claim_control_number: owned(seg, 7),
        frequency: owned(seg, 9),
        adjustments: Vec::new(),
        remarks: Vec::new(),
        services: Vec::new(),
        posting_key: String::new(),
    })
}

fn read_svc(seg: &rx_x12::Segment<'_>) -> Result<ServicePayment, ClaimsError> {
    let missing = ClaimsError::MissingElement { segment: "SVC", element: 1, at: seg.position() };
    let qualifier = seg.component(1, 1).ok_or(missing.clone())?.to_owned();
    let procedure_code = seg.component(1, 2).ok_or(missing)?.to_owned();
    let modifiers = (3..=6).filter_map(|c| seg.component(1, c)).map(str::to_owned).collect();
    Ok(ServicePayment {
        qualifier,
        procedure_code,
        modifiers,
        charge: amount(seg, "SVC", 2)?,
        paid: amount(seg, "SVC", 3)?,
        units: optional_amount(seg, "SVC", 5)?.unwrap_or(Decimal::ONE),
        service_date: None,
        line_control_number: None,
        allowed: None,
        adjustments: Vec::new(),
        remarks: Vec::new(),
    })
}

fn service_detail(seg: &rx_x12::Segment<'_>, s: &mut ServicePayment) -> Result<(), ClaimsError> {
    match (seg.id(), seg.element(1)) {
        ("DTM", Some("472")) => s.service_date = owned(seg, 2),
        ("DTM", Some("150")) if s.service_date.is_none() => s.service_date = owned(seg, 2),
        ("REF", Some("6R")) => s.line_control_number = owned(seg, 2),
        ("AMT", Some("B6")) => s.allowed = Some(amount(seg, "AMT", 2)?),
        ("LQ", Some("HE" | "RX")) => s.remarks.extend(owned(seg, 2)),
        _ => {}
    }
    Ok(())
}

/// CAS01 group, then up to six (reason, amount, quantity) triplets from CAS02.
fn read_cas(seg: &rx_x12::Segment<'_>) -> Result<Vec<Adjustment>, ClaimsError> {
    let at = seg.position();
    let group = AdjustmentGroup::parse(required(seg, "CAS", 1)?).map_err(|_| ClaimsError::InvalidCode {
        segment: "CAS",
        element: 1,
        at,
    })?;
    let mut out = Vec::new();
    for first in [2, 5, 8, 11, 14, 17] {
        let Some(reason) = seg.element(first) else { continue };
        out.push(Adjustment {
            group,
            reason: reason.to_owned(),
            amount: amount(seg, "CAS", first + 1)?,
            quantity: optional_amount(seg, "CAS", first + 2)?,
        });
    }
    if out.is_empty() {
        return Err(ClaimsError::MissingElement { segment: "CAS", element: 2, at });
    }
    Ok(out)
}

/// PLB01 provider, PLB02 period, then up to six (reason[:reference], amount) pairs from PLB03.
fn read_plb(seg: &rx_x12::Segment<'_>) -> Result<Vec<ProviderAdjustment>, ClaimsError> {
    let provider_id = required(seg, "PLB", 1)?.to_owned();
    let fiscal_period = owned(seg, 2);
    let mut out = Vec::new();
    for first in [3, 5, 7, 9, 11, 13] {
        let Some(reason) = seg.component(first, 1) else { continue };
        out.push(ProviderAdjustment {
            provider_id: provider_id.clone(),
            fiscal_period: fiscal_period.clone(),
            reason: reason.to_owned(),
            reference: seg.component(first, 2).map(str::to_owned),
            amount: amount(seg, "PLB", first + 1)?,
        });
    }
    Ok(out)
}

/// `TRN03/TRN02/CLP07/CLP01/CLP02#n`: payer, check, payer claim number, our claim number and
/// status (a reversal and its correction share the rest), then the occurrence of that same
/// tuple in the remittance, since payers do repeat it (one CLP per patient of a family).
fn assign_posting_keys(remit: &mut Remittance) {
    let trn = format!("{}/{}", remit.payer_id.as_deref().unwrap_or(""), remit.trace_number.as_deref().unwrap_or(""));
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(remit.claims.len());
    for c in &mut remit.claims {
        let base = format!(
            "{trn}/{}/{}/{}",
            c.payer_claim_control_number.as_deref().unwrap_or(""),
            c.patient_control_number,
            c.status
        );
        let n = seen.entry(base.clone()).or_default();
        *n += 1;
        c.posting_key = format!("{base}#{n}");
    }
}

impl ClaimPayment {
    /// Every adjustment of the claim, claim-level first, then line by line.
    pub fn all_adjustments(&self) -> impl Iterator<Item = &Adjustment> {
        self.adjustments.iter().chain(self.services.iter().flat_map(|s| s.adjustments.iter()))
    }

    /// Sum of the adjustments of one group (claim and lines).
    pub fn adjusted(&self, group: AdjustmentGroup) -> Decimal {
        self.all_adjustments().filter(|a| a.group == group).map(|a| a.amount).sum()
    }

    /// What to do about each adjustment, with the claim's and the line's remark codes.
    pub fn advice(&self) -> Vec<DenialAdvice> {
        let claim_remarks: Vec<&str> = self.remarks.iter().map(String::as_str).collect();
        let mut out: Vec<DenialAdvice> =
            self.adjustments.iter().map(|a| next_action(a.group, &a.reason, &claim_remarks)).collect();
        for s in &self.services {
            let remarks: Vec<&str> =
                claim_remarks.iter().copied().chain(s.remarks.iter().map(String::as_str)).collect();
            out.extend(s.adjustments.iter().map(|a| next_action(a.group, &a.reason, &remarks)));
        }
        out
    }

    /// The lifecycle event this payment means for the claim; `None` for reversals (22),
    /// forwarded or predetermination answers, which need a person.
    pub fn event(&self) -> Option<ClaimEvent> {
        match self.status.as_str() {
            "4" => return Some(ClaimEvent::RemitDenied),
            "1" | "2" | "3" | "19" | "20" | "21" => {}
            _ => return None,
        }
        let routine =
            |a: &DenialAdvice| matches!(a.action, NextAction::BillPatient | NextAction::ContractualAdjustment);
        let has_denial = self.advice().iter().any(|a| !routine(a));
        let patient_owes = self.adjusted(AdjustmentGroup::Pr) > Decimal::ZERO;
        Some(if self.paid > Decimal::ZERO {
            if has_denial { ClaimEvent::RemitPartiallyPaid } else { ClaimEvent::RemitPaid }
        } else if patient_owes && !has_denial {
            // processed, the whole allowed amount went to the deductible or the copay
            ClaimEvent::RemitPaid
        } else {
            ClaimEvent::RemitDenied
        })
    }
}

impl Remittance {
    /// The claim payments for one of our claims (CLP01 = CLM01).
    pub fn by_patient_control_number<'s>(&'s self, pcn: &'s str) -> impl Iterator<Item = &'s ClaimPayment> {
        self.claims.iter().filter(move |c| c.patient_control_number == pcn)
    }

    /// The claim payments for a payer claim number (CLP07).
    pub fn by_payer_claim_number<'s>(&'s self, number: &'s str) -> impl Iterator<Item = &'s ClaimPayment> {
        self.claims.iter().filter(move |c| c.payer_claim_control_number.as_deref() == Some(number))
    }

    /// The balancing rules of the 835 that do not hold.
    pub fn balance_issues(&self) -> Vec<BalanceIssue> {
        let mut out = Vec::new();
        for (ci, c) in self.claims.iter().enumerate() {
            for (li, s) in c.services.iter().enumerate() {
                let adj: Decimal = s.adjustments.iter().map(|a| a.amount).sum();
                if s.charge - adj != s.paid {
                    out.push(BalanceIssue {
                        rule: "service",
                        claim: Some(ci),
                        line: Some(li),
                        expected: s.charge - adj,
                        found: s.paid,
                    });
                }
            }
            let adj: Decimal = c.all_adjustments().map(|a| a.amount).sum();
            if c.charge - adj != c.paid {
                out.push(BalanceIssue {
                    rule: "claim",
                    claim: Some(ci),
                    line: None,
                    expected: c.charge - adj,
                    found: c.paid,
                });
            }
            let pr = c.adjusted(AdjustmentGroup::Pr);
            let declared = c.patient_responsibility.unwrap_or(Decimal::ZERO);
            if declared != pr {
                out.push(BalanceIssue {
                    rule: "patient_responsibility",
                    claim: Some(ci),
                    line: None,
                    expected: pr,
                    found: declared,
                });
            }
        }
        let paid: Decimal = self.claims.iter().map(|c| c.paid).sum();
        let plb: Decimal = self.provider_adjustments.iter().map(|p| p.amount).sum();
        if paid - plb != self.payment.amount {
            out.push(BalanceIssue {
                rule: "payment",
                claim: None,
                line: None,
                expected: paid - plb,
                found: self.payment.amount,
            });
        }
        out
    }
}
