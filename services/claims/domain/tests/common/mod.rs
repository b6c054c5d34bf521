//! Synthetic claims shared by the integration tests and benches: the massage clinic of
//! `tests/fixtures/synthetic/837p_massage_*.x12`, made-up patients only.
#![allow(dead_code)]

use claims_domain::build837::{ControlNumbers, Envelope, PartyId, Usage};
use claims_domain::claim::{
    Address, BillingProvider, Claim, ClaimBatch, DependentPatient, Payer, PayerResponsibility, PersonName, Receiver,
    ReferringProvider, RenderingProvider, ServiceLine, Sex, Submitter, Subscriber,
};
use claims_domain::fees::FeeSchedule;
use claims_domain::lifecycle::ClaimFrequency;
use rust_decimal::Decimal;
use time::macros::{date, datetime};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures");

pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{path}")).unwrap_or_default()
}

pub fn fees() -> FeeSchedule {
    let mut f = FeeSchedule::new();
    for (code, cents) in [("97124", 5500), ("97140", 8000), ("97110", 6000), ("97010", 2000)] {
        // the codes and amounts are constants, so this cannot fail
        let _ = f.set(code, Decimal::new(cents, 2));
    }
    f
}

/// The fixtures' envelope: test usage, default delimiters, a line break after each segment.
pub fn envelope() -> Envelope {
    let mut e = Envelope::new(
        PartyId::new("ZZ", "SUBMIT01"),
        PartyId::new("ZZ", "PAYER01"),
        datetime!(2026-01-15 09:30),
        Usage::Test,
    );
    e.line_break = true;
    e
}

pub fn numbers(n: u32) -> ControlNumbers {
    ControlNumbers { interchange: n, group: n, first_transaction: 1 }
}

fn name(last: &str, first: &str) -> PersonName {
    PersonName { last: last.into(), first: first.into(), middle: None }
}

fn address(line1: &str, zip: &str) -> Address {
    Address {
        line1: line1.into(),
        line2: None,
        city: "SPRINGFIELD".into(),
        state: "IL".into(),
        postal_code: zip.into(),
    }
}

pub fn line(code: &str, units: u32, minutes: u32, pointers: &[u8], control: &str) -> ServiceLine {
    ServiceLine {
        procedure_code: code.into(),
        modifiers: vec!["GP".into()],
        units,
        minutes: Some(minutes),
        place_of_service: None,
        diagnosis_pointers: pointers.to_vec(),
        date_of_service: date!(2026 - 01 - 10),
        line_control_number: Some(control.into()),
    }
}

/// The claim of `837p_massage_original_freq1.x12`: subscriber is the patient, two lines.
pub fn claim() -> Claim {
    Claim {
        patient_control_number: "PCN0001".into(),
        frequency: ClaimFrequency::Original,
        payer_claim_control_number: None,
        place_of_service: "11".into(),
        onset_date: Some(date!(2025 - 12 - 01)),
        referral_number: Some("REFNUM12345".into()),
        prior_authorization: None,
        diagnoses: vec!["M54.50".into(), "M62.830".into(), "M54.2".into()],
        subscriber: Subscriber {
            name: name("TESTPATIENT", "AVERY"),
            member_id: "MEM0000001".into(),
            address: Some(address("1 SAMPLE ROAD", "62702")),
            birth_date: Some(date!(1980 - 01 - 01)),
            sex: Some(Sex::Female),
            group_number: Some("GRP0001".into()),
            responsibility: PayerResponsibility::Primary,
            claim_filing_code: "CI".into(),
        },
        patient: None,
        payer: Payer { name: "SYNTHETIC HEALTH PLAN".into(), payer_id: "PAYER01".into() },
        referring: Some(ReferringProvider { name: name("EXAMPLEDOC", "JORDAN"), npi: "1122334455".into() }),
        rendering: Some(RenderingProvider {
            name: name("THERAPIST", "CASEY"),
            npi: "1555000110".into(),
            taxonomy: "225700000X".into(),
        }),
        lines: vec![line("97124", 2, 38, &[1, 2], "LINE0001"), line("97140", 1, 15, &[1, 3], "LINE0002")],
    }
}

/// A claim for the subscriber's child (2000C/2010CA), one line.
pub fn dependent_claim() -> Claim {
    let mut c = claim();
    c.patient_control_number = "PCN0002".into();
    c.subscriber.address = None;
    c.subscriber.birth_date = None;
    c.subscriber.sex = None;
    c.patient = Some(DependentPatient {
        relationship: "19".into(),
        name: name("TESTPATIENT", "BLAKE"),
        address: address("1 SAMPLE ROAD", "62702"),
        birth_date: date!(2012 - 06 - 15),
        sex: Sex::Male,
    });
    c.prior_authorization = Some("AUTH556677".into());
    c.diagnoses = vec!["M25.571".into()];
    c.lines = vec![line("97110", 2, 30, &[1], "LINE0003")];
    c
}

pub fn replacement_claim() -> Claim {
    let mut c = claim();
    c.frequency = ClaimFrequency::Replacement;
    c.payer_claim_control_number = Some("PAYERCLM778899".into());
    c
}

pub fn void_claim() -> Claim {
    let mut c = claim();
    c.frequency = ClaimFrequency::Void;
    c.payer_claim_control_number = Some("PAYERCLM778899".into());
    c
}

pub fn batch(claims: Vec<Claim>) -> ClaimBatch {
    ClaimBatch {
        reference: "BATCH0001".into(),
        submitter: Submitter {
            name: "SYNTHETIC MASSAGE CLINIC".into(),
            id: "SUBMIT01".into(),
            contact_name: "BILLING DESK".into(),
            phone: "5555550100".into(),
        },
        receiver: Receiver { name: "SYNTHETIC HEALTH PLAN".into(), id: "PAYER01".into() },
        billing_provider: BillingProvider {
            name: "SYNTHETIC MASSAGE CLINIC".into(),
            npi: "1748392010".into(),
            taxonomy: "225700000X".into(),
            address: Address {
                line1: "100 EXAMPLE STREET".into(),
                line2: None,
                city: "SPRINGFIELD".into(),
                state: "IL".into(),
                postal_code: "627010001".into(),
            },
            tax_id: "990000001".into(),
        },
        claims,
    }
}

/// `n` claims with distinct patient control numbers, for batches and benches.
pub fn many_claims(n: usize) -> Vec<Claim> {
    (0..n)
        .map(|i| {
            let mut c = if i % 3 == 2 { dependent_claim() } else { claim() };
            c.patient_control_number = format!("PCN{i:07}");
            c
        })
        .collect()
}
