//! Builds 837P (005010X222A1) interchanges from [`ClaimBatch`]es.
//!
//! Layout per transaction: BHT, submitter (1000A) and receiver (1000B), one billing provider
//! (2000A/2010AA), then for each claim a subscriber level (2000B with 2010BA/2010BB), a patient
//! level (2000C/2010CA) when the patient is a dependent, and the claim (2300) with referring
//! (2310A) and rendering (2310B) providers and its lines (2400). Charges come from the
//! [`FeeSchedule`]. Envelopes, counts and control numbers are rx-x12's; the caller allocates the
//! control numbers. Large batches are split into several transactions of at most
//! [`MAX_CLAIMS_PER_TRANSACTION`] claims (the implementation guide's recommended limit).
//!
//! The builder refuses claims that would make structurally invalid X12 (no lines, too many
//! diagnoses, a pointer to no diagnosis, a replacement without payer claim number...). Business
//! checks (NPI check digits, units against minutes, timely filing) are the scrubber's.

use rust_decimal::Decimal;
pub use rx_x12::{ControlNumbers, Envelope, PartyId, Usage};
use rx_x12::{FunctionalGroup, OwnedSegment, TransactionSet};
use time::PrimitiveDateTime;

use crate::claim::{
    Address, BillingProvider, Claim, ClaimBatch, DependentPatient, PersonName, ServiceLine, x12_amount, x12_date,
};
use crate::error::ClaimsError;
use crate::fees::FeeSchedule;

/// GS08 / ST03 of the 837P.
pub const IMPLEMENTATION_GUIDE: &str = "005010X222A1";
/// Claims per transaction set the implementation guide recommends not to exceed.
pub const MAX_CLAIMS_PER_TRANSACTION: usize = 5000;
/// Service lines per claim the 837P allows.
pub const MAX_LINES_PER_CLAIM: usize = 50;
/// Diagnosis codes per claim (HI composites) the 837P allows.
pub const MAX_DIAGNOSES: usize = 12;

/// Builds one interchange holding every claim of the batch (one functional group, as many
/// transactions as [`MAX_CLAIMS_PER_TRANSACTION`] requires).
pub fn build_837p(
    batch: &ClaimBatch,
    fees: &FeeSchedule,
    envelope: &Envelope,
    numbers: ControlNumbers,
) -> Result<String, ClaimsError> {
    build_837p_split(batch, fees, envelope, numbers, MAX_CLAIMS_PER_TRANSACTION)
}

/// [`build_837p`] with a chosen number of claims per transaction (some receivers want fewer).
pub fn build_837p_split(
    batch: &ClaimBatch,
    fees: &FeeSchedule,
    envelope: &Envelope,
    numbers: ControlNumbers,
    claims_per_transaction: usize,
) -> Result<String, ClaimsError> {
    if batch.claims.is_empty() {
        return Err(ClaimsError::InvalidClaim { claim: 0, reason: "the batch holds no claim" });
    }
    let per = claims_per_transaction.clamp(1, MAX_CLAIMS_PER_TRANSACTION);
    let mut transactions = Vec::with_capacity(batch.claims.len().div_ceil(per));
    for (n, chunk) in batch.claims.chunks(per).enumerate() {
        let reference = if n == 0 { batch.reference.clone() } else { format!("{}-{}", batch.reference, n + 1) };
        let first_index = n * per;
        let body = transaction_body(batch, chunk, first_index, fees, envelope.date_time, &reference)?;
        transactions.push(TransactionSet::new("837", Some(IMPLEMENTATION_GUIDE), body));
    }
    let group = FunctionalGroup::new("HC", IMPLEMENTATION_GUIDE, transactions);
    Ok(rx_x12::write(envelope, &[group], numbers)?)
}

/// The segments between ST and SE for `claims` (a slice of `batch.claims` starting at
/// `first_index`, used only to name the claim in errors).
pub fn transaction_body(
    batch: &ClaimBatch,
    claims: &[Claim],
    first_index: usize,
    fees: &FeeSchedule,
    created: PrimitiveDateTime,
    reference: &str,
) -> Result<Vec<OwnedSegment>, ClaimsError> {
    let mut out = Vec::with_capacity(12 + claims.len() * 24);
    out.push(
        OwnedSegment::new("BHT")
            .element("0019")
            .element("00")
            .element(reference)
            .element(x12_date(created.date()))
            .element(format!("{:02}{:02}", created.hour(), created.minute()))
            .element("CH"),
    );
    let s = &batch.submitter;
    out.push(org_name("41", &s.name, "46", &s.id));
    out.push(OwnedSegment::new("PER").element("IC").element(&s.contact_name).element("TE").element(&s.phone));
    out.push(org_name("40", &batch.receiver.name, "46", &batch.receiver.id));
    billing_provider(&batch.billing_provider, &mut out);
    let mut next_hl = 2u32;
    for (i, claim) in claims.iter().enumerate() {
        claim_segments(claim, first_index + i, fees, &mut next_hl, &mut out)?;
    }
    Ok(out)
}

fn billing_provider(bp: &BillingProvider, out: &mut Vec<OwnedSegment>) {
    out.push(hl(1, None, "20", true));
    out.push(OwnedSegment::new("PRV").element("BI").element("PXC").element(&bp.taxonomy));
    out.push(org_name("85", &bp.name, "XX", &bp.npi));
    address(&bp.address, out);
    out.push(OwnedSegment::new("REF").element("EI").element(&bp.tax_id));
}

fn claim_segments(
    claim: &Claim,
    index: usize,
    fees: &FeeSchedule,
    next_hl: &mut u32,
    out: &mut Vec<OwnedSegment>,
) -> Result<(), ClaimsError> {
    let invalid = |reason: &'static str| ClaimsError::InvalidClaim { claim: index, reason };
    check_structure(claim).map_err(invalid)?;
    let diagnoses = claim
        .diagnoses
        .iter()
        .map(|d| rx_codes::icd10::normalize(d.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| invalid("a diagnosis code is not in ICD-10-CM form"))?;
    let charges =
        claim.lines.iter().map(|l| fees.line_charge(&l.procedure_code, l.units)).collect::<Result<Vec<_>, _>>()?;
    let total: Decimal = charges.iter().sum();

    let subscriber_hl = *next_hl;
    *next_hl += 1;
    let sub = &claim.subscriber;
    out.push(hl(subscriber_hl, Some(1), "22", claim.patient.is_some()));
    out.push(
        OwnedSegment::new("SBR")
            .element(sub.responsibility.code())
            .optional(claim.patient.is_none().then_some("18"))
            .optional(sub.group_number.as_deref())
            .empty()
            .empty()
            .empty()
            .empty()
            .empty()
            .element(&sub.claim_filing_code),
    );
    out.push(person_name("IL", &sub.name, Some(("MI", sub.member_id.as_str()))));
    if let Some(a) = &sub.address {
        address(a, out);
    }
    if let Some(dob) = sub.birth_date {
        let sex = sub.sex.map_or("U", |s| s.code());
        out.push(OwnedSegment::new("DMG").element("D8").element(x12_date(dob)).element(sex));
    }
    out.push(org_name("PR", &claim.payer.name, "PI", &claim.payer.payer_id));
    if let Some(patient) = &claim.patient {
        let patient_hl = *next_hl;
        *next_hl += 1;
        dependent(patient, patient_hl, subscriber_hl, out);
    }

    out.push(
        OwnedSegment::new("CLM")
            .element(&claim.patient_control_number)
            .element(x12_amount(total))
            .empty()
            .empty()
            .composite([claim.place_of_service.as_str(), "B", claim.frequency.code()])
            .element("Y")
            .element("A")
            .element("Y")
            .element("Y"),
    );
    if let Some(onset) = claim.onset_date {
        out.push(OwnedSegment::new("DTP").element("431").element("D8").element(x12_date(onset)));
    }
    // 2300 REF order of the implementation guide: 9F, G1, F8
    for (qualifier, value) in [
        ("9F", claim.referral_number.as_deref()),
        ("G1", claim.prior_authorization.as_deref()),
        ("F8", claim.payer_claim_control_number.as_deref().filter(|_| claim.frequency.needs_payer_claim_number())),
    ] {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            out.push(OwnedSegment::new("REF").element(qualifier).element(v));
        }
    }
    let mut hi = OwnedSegment::new("HI");
    for (i, code) in diagnoses.iter().enumerate() {
        let qualifier = if i == 0 { "ABK" } else { "ABF" };
        hi = hi.composite([qualifier, code.as_str()]);
    }
    out.push(hi);
    if let Some(r) = &claim.referring {
        out.push(person_name("DN", &r.name, Some(("XX", r.npi.as_str()))));
    }
    if let Some(r) = &claim.rendering {
        out.push(person_name("82", &r.name, Some(("XX", r.npi.as_str()))));
        out.push(OwnedSegment::new("PRV").element("PE").element("PXC").element(&r.taxonomy));
    }
    for (n, (line, charge)) in claim.lines.iter().zip(charges).enumerate() {
        service_line(claim, n + 1, line, charge, out);
    }
    Ok(())
}

fn service_line(claim: &Claim, number: usize, line: &ServiceLine, charge: Decimal, out: &mut Vec<OwnedSegment>) {
    out.push(OwnedSegment::new("LX").element(number.to_string()));
    let procedure = std::iter::once("HC")
        .chain(std::iter::once(line.procedure_code.as_str()))
        .chain(line.modifiers.iter().map(String::as_str));
    let pos = line.place_of_service.as_deref().filter(|p| *p != claim.place_of_service);
    out.push(
        OwnedSegment::new("SV1")
            .composite(procedure)
            .element(x12_amount(charge))
            .element("UN")
            .element(line.units.to_string())
            .optional(pos)
            .empty()
            .composite(line.diagnosis_pointers.iter().map(u8::to_string)),
    );
    out.push(OwnedSegment::new("DTP").element("472").element("D8").element(x12_date(line.date_of_service)));
    if let Some(control) = line.line_control_number.as_deref().filter(|c| !c.trim().is_empty()) {
        out.push(OwnedSegment::new("REF").element("6R").element(control.trim()));
    }
}

/// Structural rules of the 837P a claim must meet to be written at all.
fn check_structure(claim: &Claim) -> Result<(), &'static str> {
    if claim.patient_control_number.trim().is_empty() {
        return Err("the patient control number is empty");
    }
    if claim.lines.is_empty() {
        return Err("the claim has no service line");
    }
    if claim.lines.len() > MAX_LINES_PER_CLAIM {
        return Err("the claim has more than 50 service lines");
    }
    if claim.diagnoses.is_empty() {
        return Err("the claim has no diagnosis");
    }
    if claim.diagnoses.len() > MAX_DIAGNOSES {
        return Err("the claim has more than 12 diagnoses");
    }
    if claim.frequency.needs_payer_claim_number()
        && claim.payer_claim_control_number.as_deref().is_none_or(|n| n.trim().is_empty())
    {
        return Err("a replacement or void needs the payer claim control number");
    }
    if claim.patient.is_none() && (claim.subscriber.address.is_none() || claim.subscriber.birth_date.is_none()) {
        return Err("the subscriber is the patient, so address and birth date are required");
    }
    for line in &claim.lines {
        if line.modifiers.len() > 4 {
            return Err("a service line has more than four modifiers");
        }
        if line.units == 0 {
            return Err("a service line bills zero units");
        }
        let pointers = &line.diagnosis_pointers;
        if pointers.is_empty() || pointers.len() > 4 {
            return Err("a service line needs one to four diagnosis pointers");
        }
        if pointers.iter().any(|p| *p == 0 || usize::from(*p) > claim.diagnoses.len()) {
            return Err("a diagnosis pointer names no diagnosis of the claim");
        }
    }
    Ok(())
}

fn dependent(p: &DependentPatient, id: u32, parent: u32, out: &mut Vec<OwnedSegment>) {
    out.push(hl(id, Some(parent), "23", false));
    out.push(OwnedSegment::new("PAT").element(&p.relationship));
    out.push(person_name("QC", &p.name, None));
    address(&p.address, out);
    out.push(OwnedSegment::new("DMG").element("D8").element(x12_date(p.birth_date)).element(p.sex.code()));
}

fn hl(id: u32, parent: Option<u32>, level: &str, children: bool) -> OwnedSegment {
    OwnedSegment::new("HL")
        .element(id.to_string())
        .optional(parent.map(|p| p.to_string()))
        .element(level)
        .element(if children { "1" } else { "0" })
}

fn org_name(entity: &str, name: &str, qualifier: &str, id: &str) -> OwnedSegment {
    OwnedSegment::new("NM1")
        .element(entity)
        .element("2")
        .element(name)
        .empty()
        .empty()
        .empty()
        .empty()
        .element(qualifier)
        .element(id)
}

fn person_name(entity: &str, name: &PersonName, id: Option<(&str, &str)>) -> OwnedSegment {
    let seg = OwnedSegment::new("NM1")
        .element(entity)
        .element("1")
        .element(&name.last)
        .element(&name.first)
        .optional(name.middle.as_deref())
        .empty()
        .empty();
    match id {
        Some((qualifier, value)) => seg.element(qualifier).element(value),
        None => seg,
    }
}

fn address(a: &Address, out: &mut Vec<OwnedSegment>) {
    out.push(OwnedSegment::new("N3").element(&a.line1).optional(a.line2.as_deref()));
    out.push(OwnedSegment::new("N4").element(&a.city).element(&a.state).element(&a.postal_code));
}
