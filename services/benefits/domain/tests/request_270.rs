//! 270 building: byte-exact against the synthetic inquiry, strict envelope round trip, and
//! reading back every 270 fixture.

use std::fs;
use std::path::Path;

use benefits_domain::{
    Dependent, EligibilityRequest, Error, PayerProfile, Provider, ProviderId, ProviderKind, Subscriber, Trace,
    build_270, parse_270,
};
use proptest::prelude::*;
use rx_codes::npi::Npi;
use rx_x12::{ControlNumbers, Envelope, PartyId, Usage};
use time::macros::{date, datetime};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures");

fn envelope() -> Envelope {
    let mut env = Envelope::new(
        PartyId::new("ZZ", "CLINIC01"),
        PartyId::new("ZZ", "PAYER01"),
        datetime!(2026-01-15 09:30),
        Usage::Test,
    );
    env.line_break = true;
    env
}

fn numbers() -> ControlNumbers {
    ControlNumbers { interchange: 1, group: 1, first_transaction: 1 }
}

fn synthetic_request() -> EligibilityRequest {
    let mut payer = PayerProfile::new("SYNTHETIC HEALTH PLAN", "PAYER01");
    payer.service_types = ["30", "AE", "PT", "98"].map(String::from).to_vec();
    payer.repeat_in_one_eq = true;
    EligibilityRequest {
        payer,
        provider: Provider {
            kind: ProviderKind::Provider,
            organization: true,
            name: "SYNTHETIC MASSAGE CLINIC".into(),
            given: None,
            id: ProviderId::Npi(Npi::parse_with("1748392010", rx_codes::npi::NpiCheck::ShapeOnly).expect("npi shape")),
        },
        subscriber: Subscriber {
            member_id: Some("MEM0000001".into()),
            family: "TESTPATIENT".into(),
            given: Some("AVERY".into()),
            birth_date: Some(date!(1980 - 01 - 01)),
        },
        dependent: None,
        trace: Trace { reference: "TRACE0001".into(), originator: "9990000001".into() },
        inquiry_reference: Some("INQ0001".into()),
        service_date: Some(date!(2026 - 01 - 15)),
    }
}

#[test]
fn builds_the_synthetic_inquiry_byte_for_byte() {
    let text = build_270(&[synthetic_request()], &envelope(), numbers()).expect("builds");
    let expected = fs::read_to_string(Path::new(FIXTURES).join("synthetic/270_massage_inquiry.x12")).expect("fixture");
    assert_eq!(text, expected);
}

#[test]
fn default_profile_sends_ae_then_30_as_separate_eq_loops() {
    let mut r = synthetic_request();
    r.payer = PayerProfile::new("SYNTHETIC HEALTH PLAN", "PAYER01");
    let text = build_270(&[r], &envelope(), numbers()).expect("builds");
    assert!(text.contains("DTP*291*D8*20260115~\nEQ*AE~\nEQ*30~\nSE*14*0001~"), "{text}");
}

#[test]
fn dependent_inquiry_has_hl_23_with_trace_and_eq() {
    let mut r = synthetic_request();
    r.dependent = Some(Dependent {
        family: "TESTPATIENT".into(),
        given: Some("JORDAN".into()),
        birth_date: Some(date!(2012 - 06 - 30)),
    });
    let text = build_270(std::slice::from_ref(&r), &envelope(), numbers()).expect("builds");
    assert!(text.contains("HL*3*2*22*1~\nNM1*IL*1*TESTPATIENT*AVERY****MI*MEM0000001~\nDMG*D8*19800101~\nHL*4*3*23*0~\nTRN*1*TRACE0001*9990000001~\nNM1*03*1*TESTPATIENT*JORDAN~\nDMG*D8*20120630~\nDTP*291*D8*20260115~\nEQ*30^AE^PT^98~"), "{text}");
    let back = parse_270(text.as_bytes()).expect("reads back");
    assert_eq!(back, vec![r]);
}

#[test]
fn refuses_unusable_requests() {
    let mut r = synthetic_request();
    r.trace.originator = "123".into();
    assert!(matches!(build_270(&[r], &envelope(), numbers()), Err(Error::InvalidInput { .. })));
    let mut r = synthetic_request();
    r.subscriber.family = "O*NEIL".into();
    assert!(matches!(build_270(&[r], &envelope(), numbers()), Err(Error::X12(rx_x12::Error::DelimiterInValue { .. }))));
    assert!(build_270(&[], &envelope(), numbers()).is_err());
}

#[test]
fn every_270_fixture_reads_and_the_negative_fails_clearly() {
    let dir = Path::new(FIXTURES).join("x12/270");
    let mut files: Vec<_> = fs::read_dir(&dir).expect("dir").flatten().map(|e| e.path()).collect();
    files.push(Path::new(FIXTURES).join("synthetic/270_massage_inquiry.x12"));
    files.sort();
    assert!(files.len() >= 7);
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let bytes = fs::read(&path).expect("fixture");
        if name.starts_with("neg_") {
            // HL/NM1 segments sit between GS and ST: outside any transaction set
            let err = parse_270(&bytes).expect_err(&name);
            assert!(matches!(err, Error::X12(rx_x12::Error::OutsideEnvelope { .. })), "{name}: {err}");
            continue;
        }
        let requests = parse_270(&bytes).map_err(|e| format!("{name}: {e}")).expect("reads");
        assert!(!requests.is_empty(), "{name}");
        for r in &requests {
            assert!(!r.payer.service_types.is_empty(), "{name}: no EQ");
            assert!(!r.trace.reference.is_empty() || name.contains("4010"), "{name}: no trace");
        }
    }
}

#[test]
fn reads_a_public_dependent_inquiry() {
    let path = Path::new(FIXTURES)
        .join("x12/270/badx12_x279_generic_request_by_physician_for_patient_dependent_eligibility.x12");
    let requests = parse_270(&fs::read(path).expect("fixture")).expect("reads");
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert!(r.dependent.is_some());
    assert_eq!(r.payer.payer_id, "842610001");
    assert_eq!(r.provider.kind, ProviderKind::Provider);
}

fn name() -> impl Strategy<Value = String> {
    "[A-Z][A-Z '.-]{0,20}"
}

proptest! {
    #[test]
    fn generated_270s_round_trip_with_correct_counts(
        family in name(),
        given in proptest::option::of(name()),
        member in proptest::option::of("[A-Z0-9]{1,20}"),
        types in proptest::collection::vec("[A-Z0-9]{1,2}", 1..5),
        one_eq in any::<bool>(),
        with_dependent in any::<bool>(),
        count in 1usize..4,
        first in 1u32..9000,
    ) {
        let mut r = synthetic_request();
        r.subscriber.family = family.clone();
        r.subscriber.given = given.clone();
        r.subscriber.member_id = member;
        r.payer.service_types = types;
        r.payer.repeat_in_one_eq = one_eq;
        if with_dependent {
            r.dependent = Some(Dependent { family, given, birth_date: None });
        }
        let requests = vec![r; count];
        let text = build_270(&requests, &envelope(), ControlNumbers { interchange: first, group: first, first_transaction: first })
            .expect("builds");
        let doc = rx_x12::read(text.as_bytes()).expect("strict read: counts and control numbers match");
        prop_assert_eq!(doc.transactions().count(), count);
        let mut back = parse_270(text.as_bytes()).expect("parses");
        // a single service type cannot tell one EQ with repetitions from one EQ per type
        for (b, r) in back.iter_mut().zip(&requests) {
            if r.payer.service_types.len() == 1 {
                b.payer.repeat_in_one_eq = r.payer.repeat_in_one_eq;
            }
        }
        prop_assert_eq!(back, requests);
    }
}
