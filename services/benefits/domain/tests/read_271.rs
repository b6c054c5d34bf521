//! 271 interpretation, field by field, against the synthetic and public samples.

use std::fs;
use std::path::Path;
use std::str::FromStr;

use benefits_domain::{
    AttentionReason, CoverageDecision, Error, MemberResponse, RejectLevel, Relationship, benefits_for, decide,
    interpret_271, read_271,
};
use rust_decimal::Decimal;
use serde_json::json;
use time::macros::date;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/fixtures");

fn fixture(rel: &str) -> Vec<u8> {
    fs::read(Path::new(FIXTURES).join(rel)).expect("fixture readable")
}

fn dec(s: &str) -> Option<Decimal> {
    Decimal::from_str(s).ok()
}

fn only<'a>(responses: &'a [MemberResponse<'a>]) -> &'a MemberResponse<'a> {
    assert_eq!(responses.len(), 1, "expected exactly one member response");
    &responses[0]
}

#[test]
fn synthetic_massage_benefits_field_by_field() {
    let bytes = fixture("synthetic/271_massage_benefits.x12");
    let i = interpret_271(&bytes).expect("reads");
    assert!(i.warnings.is_empty());
    let m = only(&i.responses);
    assert_eq!(m.relationship, Relationship::Subscriber);
    assert_eq!(m.member_id, Some("MEM0000001"));
    assert_eq!((m.name.family, m.name.given), (Some("TESTPATIENT"), Some("AVERY")));
    assert_eq!(m.birth_date, Some(date!(1980 - 01 - 01)));
    assert_eq!(m.traces, ["TRACE0001"]);
    assert_eq!(m.active, Some(true));
    assert_eq!(m.plan, Some("SYNTHETIC PPO GOLD"));
    assert_eq!((m.plan_begin, m.plan_end), (Some(date!(2026 - 01 - 01)), None));
    assert_eq!(m.payer, Some("SYNTHETIC HEALTH PLAN"));
    assert!(m.rejections.is_empty());
    let debug = format!("{m:?}");
    assert!(!debug.contains("TESTPATIENT") && !debug.contains("MEM0000001") && !debug.contains("1980"), "{debug}");
    assert_eq!(m.benefits.len(), 14);
    assert_eq!(m.benefits[5].service_types().collect::<Vec<_>>(), ["98", "AE"]);
    assert_eq!((m.benefits[5].code, m.benefits[5].amount, m.benefits[5].time_period), ("B", dec("25"), Some("27")));
    let mh = &m.benefits[13];
    assert_eq!((mh.code, mh.messages.as_slice()), ("I", ["MENTAL HEALTH CARVED OUT"].as_slice()));
    assert_eq!(mh.related.len(), 1);
    assert_eq!((mh.related[0].entity, mh.related[0].name), ("VN", Some("SYNTHETIC BEHAVIORAL HEALTH")));

    let ae = benefits_for(m, "AE");
    let inn = &ae.in_network;
    assert_eq!(inn.copay, dec("25"));
    assert_eq!(inn.coinsurance, dec("0.2"));
    assert_eq!(inn.deductible, dec("500"), "plan-level (30) deductible applies to AE");
    assert_eq!(inn.deductible_remaining, dec("320"));
    assert_eq!(inn.family_deductible, dec("1500"));
    assert_eq!(inn.family_deductible_remaining, None);
    assert_eq!(inn.out_of_pocket, dec("3000"));
    assert_eq!(inn.out_of_pocket_remaining, None);
    assert_eq!(inn.visits_limit, Some(20));
    assert_eq!(inn.visits_remaining, Some(14));
    assert_eq!(inn.prior_auth_required, Some(false));
    assert!(!inn.not_covered);
    let out = &ae.out_of_network;
    assert_eq!(out.copay, dec("60"));
    assert_eq!(out.coinsurance, dec("0.4"));
    assert_eq!(out.deductible_remaining, None, "deductibles are in-network only (EB12 Y)");
    assert_eq!((out.visits_limit, out.visits_remaining), (Some(20), Some(14)), "EB12 W applies to both");
    assert_eq!(out.prior_auth_required, Some(false));

    let chiro = benefits_for(m, "33");
    assert_eq!((chiro.in_network.visits_limit, chiro.in_network.prior_auth_required), (Some(12), Some(true)));
    assert_eq!(chiro.out_of_network.visits_limit, None);
    assert!(benefits_for(m, "MH").in_network.not_covered);

    assert_eq!(decide(m, &ae), CoverageDecision::Covered);
    assert_eq!(decide(m, &chiro), CoverageDecision::PriorAuthRequired);
    assert_eq!(decide(m, &benefits_for(m, "MH")), CoverageDecision::NotCovered);
}

#[test]
fn synthetic_report_serialises_to_the_agreed_json() {
    let report = read_271(&fixture("synthetic/271_massage_benefits.x12"), "AE").expect("reads");
    let value = serde_json::to_value(&report).expect("serialises");
    let expected = json!({"responses": [{
        "member_id": "MEM0000001",
        "name": {"family": "TESTPATIENT", "given": "AVERY"},
        "active": true,
        "plan": "SYNTHETIC PPO GOLD",
        "rejections": [],
        "benefits": {"service_type": "AE",
            "in_network": {"copay": "25.00", "coinsurance": "0.20", "deductible_remaining": "320.00",
                           "visits_limit": 20, "visits_remaining": 14, "prior_auth_required": false},
            "out_of_network": {"copay": "60.00", "coinsurance": "0.40", "deductible_remaining": null,
                               "visits_limit": 20, "visits_remaining": 14, "prior_auth_required": false}}
    }]});
    assert_eq!(value, expected);
    assert!(report.to_json().starts_with("{\n  \"responses\""));
}

#[test]
fn subscriber_not_found_aaa75() {
    let bytes = fixture("synthetic/271_subscriber_not_found_aaa75.x12");
    let report = read_271(&bytes, "AE").expect("reads");
    let value = serde_json::to_value(&report).expect("serialises");
    let nulls = json!({"copay": null, "coinsurance": null, "deductible_remaining": null,
                       "visits_limit": null, "visits_remaining": null, "prior_auth_required": null});
    assert_eq!(
        value,
        json!({"responses": [{
            "member_id": "MEM9999999",
            "name": {"family": "TESTPATIENT", "given": "AVERY"},
            "active": null,
            "plan": null,
            "rejections": [{"code": "75", "description": "Subscriber/Insured Not Found", "retry": false}],
            "benefits": {"service_type": "AE", "in_network": nulls, "out_of_network": nulls}
        }]})
    );
    let i = interpret_271(&bytes).expect("reads");
    let m = only(&i.responses);
    let r = &m.rejections[0];
    assert_eq!((r.follow_up.as_deref(), r.valid_request, r.level), (Some("C"), Some(true), RejectLevel::Subscriber));
    assert_eq!(decide(m, &benefits_for(m, "AE")), CoverageDecision::NeedsAttention(AttentionReason::MemberNotFound));
}

#[test]
fn aaa_72_73_58_are_data_errors_without_retry() {
    let bytes = fixture("x12/271/tigershark_4010_271_aaa_72_73_58.x12");
    let i = interpret_271(&bytes).expect("reads");
    let m = only(&i.responses);
    assert_eq!(m.member_id, Some("R11111111"));
    assert_eq!((m.name.family, m.name.given), (None, None));
    let codes: Vec<(&str, bool)> = m.rejections.iter().map(|r| (r.code.as_str(), r.retry)).collect();
    assert_eq!(codes, [("72", false), ("73", false), ("73", false), ("58", false)]);
    assert_eq!(m.rejections[0].description, Some("Invalid/Missing Subscriber/Insured ID"));
    assert_eq!(m.active, None);
    assert_eq!(
        decide(m, &benefits_for(m, "AE")),
        CoverageDecision::NeedsAttention(AttentionReason::Rejected { code: "72".into(), retry: false })
    );
}

#[test]
fn aaa_42_is_transient_unless_the_payer_says_it_will_answer() {
    let bytes = fixture("x12/271/oopfactory_hipaa_5010_error_without_benefit.x12");
    let i = interpret_271(&bytes).expect("reads");
    let m = only(&i.responses);
    let seen: Vec<(&str, Option<&str>, bool, RejectLevel)> =
        m.rejections.iter().map(|r| (r.code.as_str(), r.follow_up.as_deref(), r.retry, r.level)).collect();
    assert_eq!(
        seen,
        [
            ("80", Some("P"), true, RejectLevel::Source),
            ("79", Some("N"), false, RejectLevel::Source),
            ("79", Some("N"), false, RejectLevel::Source),
            ("80", Some("P"), true, RejectLevel::Source),
            ("41", Some("C"), false, RejectLevel::Receiver),
            ("41", Some("C"), false, RejectLevel::Receiver),
            ("42", Some("Y"), false, RejectLevel::Subscriber),
        ]
    );
    // a plain AAA 42 with resubmission allowed is retryable
    let text = String::from_utf8(fixture("synthetic/271_subscriber_not_found_aaa75.x12")).expect("ascii");
    let retry = read_271(text.replace("AAA*Y**75*C", "AAA*Y**42*R").as_bytes(), "AE").expect("reads");
    assert!(retry.responses[0].rejections[0].retry);
}

#[test]
fn error_only_response_at_provider_level() {
    let bytes =
        fixture("x12/271/badx12_x279_error_response_from_payer_to_clinic_not_eligible_for_inquiries_with_payer.x12");
    let i = interpret_271(&bytes).expect("reads");
    let m = only(&i.responses);
    assert_eq!(m.member_id, None);
    assert_eq!(m.rejections.len(), 1);
    assert_eq!((m.rejections[0].code.as_str(), m.rejections[0].level), ("50", RejectLevel::Receiver));
    assert_eq!(m.rejections[0].description, Some("Provider Ineligible for Inquiries"));
}

#[test]
fn dependent_benefits_tigershark_4010() {
    let bytes = fixture("x12/271/tigershark_4010_271_dependent_benefits.x12");
    let i = interpret_271(&bytes).expect("reads despite the sample's wrong SE01");
    assert!(i.warnings.iter().any(|w| matches!(w, rx_x12::Error::CountMismatch { .. })));
    let m = only(&i.responses);
    assert_eq!(m.relationship, Relationship::Dependent);
    assert_eq!(m.member_id, Some("111111111"), "a dependent reports the subscriber's id");
    assert_eq!((m.name.family, m.name.given), (Some("DOE"), Some("JANE")));
    assert_eq!(m.birth_date, Some(date!(1937 - 03 - 05)));
    assert_eq!(m.active, Some(true));
    assert_eq!(m.plan, Some("Aetna Choice POS II"));
    assert_eq!(m.plan_begin, Some(date!(2011 - 08 - 01)));
    assert_eq!(m.payer, Some("COMMERCIAL SAMPLE"));
    let b = benefits_for(m, "30");
    assert_eq!(b.in_network.deductible, dec("200"));
    assert_eq!(b.in_network.deductible_remaining, dec("78.8"));
    assert_eq!(b.in_network.family_deductible, dec("600"));
    assert_eq!(b.in_network.family_deductible_remaining, dec("186.89"));
    assert_eq!(b.in_network.out_of_pocket, None, "the G segments are out-of-network (EB12 N)");
    assert_eq!(b.out_of_network.out_of_pocket, dec("1000"));
    assert_eq!(b.out_of_network.out_of_pocket_remaining, dec("1000"));
    let report = read_271(&bytes, "30").expect("reads");
    assert_eq!(report.responses[0].benefits.in_network.deductible_remaining.as_deref(), Some("78.80"));
}

#[test]
fn dependent_response_badx12_5010() {
    let bytes =
        fixture("x12/271/badx12_x279_response_to_generic_request_by_physician_for_patient_dependent_eligibility.x12");
    let i = interpret_271(&bytes).expect("reads");
    let m = only(&i.responses);
    assert_eq!(m.relationship, Relationship::Dependent);
    assert_eq!(m.member_id, Some("123456789"));
    assert_eq!((m.name.family, m.name.given), (Some("SMITH"), Some("MARY")));
    assert_eq!(m.plan, Some("GOLD 123 PLAN"));
    assert_eq!(m.plan_begin, Some(date!(2006 - 01 - 01)));
    let office = benefits_for(m, "98");
    assert_eq!((office.in_network.copay, office.out_of_network.copay), (dec("10"), dec("30")));
    let pcp = m.benefits.iter().find(|b| b.code == "L").expect("EB*L");
    assert!(pcp.related.is_empty(), "the 2120 PCP follows the last EB, not EB*L");
    assert_eq!(m.benefits.last().map(|b| b.related.len()), Some(1));
    assert_eq!(benefits_for(m, "AE").in_network.copay, None, "no AE or plan-level copay");
}

#[test]
fn dependent_rejections_inherit_the_subscribers() {
    let bytes = fixture("x12/271/tigershark_4010_271_dependent_rejection.x12");
    let i = interpret_271(&bytes).expect("reads");
    let m = only(&i.responses);
    assert_eq!(m.relationship, Relationship::Dependent);
    assert_eq!(m.rejections.len(), 1);
    assert_eq!((m.rejections[0].code.as_str(), m.rejections[0].level), ("72", RejectLevel::Subscriber));
    let bytes = fixture("x12/271/oopfactory_hipaa_5010_dependent_aaa58.x12");
    let i = interpret_271(&bytes).expect("reads");
    let dep = i.responses.iter().find(|r| r.relationship == Relationship::Dependent).expect("dependent");
    assert_eq!(dep.rejections[0].code, "58");
    assert_eq!(dep.rejections[0].level, RejectLevel::Dependent);
}

#[test]
fn pipe_separated_5010_example() {
    let bytes = fixture("x12/271/tigershark_5010_271_example_1.x12");
    let i = interpret_271(&bytes).expect("reads");
    let m = &i.responses[0];
    assert_eq!(m.active, Some(true));
    let office = benefits_for(m, "98");
    assert_eq!(office.in_network.coinsurance, dec("0.1"));
    let chiro = benefits_for(m, "33");
    assert_eq!(chiro.in_network.copay, dec("20"));
    assert_eq!(benefits_for(m, "30").in_network.out_of_pocket_remaining, dec("2100"));
}

#[test]
fn every_271_fixture_reads() {
    let dir = Path::new(FIXTURES).join("x12/271");
    let mut files: Vec<_> = fs::read_dir(&dir).expect("dir").flatten().map(|e| e.path()).collect();
    files.push(Path::new(FIXTURES).join("synthetic/271_massage_benefits.x12"));
    files.push(Path::new(FIXTURES).join("synthetic/271_subscriber_not_found_aaa75.x12"));
    assert!(files.len() >= 18);
    for path in files {
        let name = path.display().to_string();
        let bytes = fs::read(&path).expect("fixture");
        let report = read_271(&bytes, "AE").map_err(|e| format!("{name}: {e}")).expect("reads");
        assert!(!report.responses.is_empty(), "{name}: no response");
        assert!(serde_json::to_string(&report).is_ok());
    }
}

#[test]
fn non_271_inputs_fail_clearly() {
    assert_eq!(
        read_271(&fixture("synthetic/270_massage_inquiry.x12"), "AE"),
        Err(Error::NoTransaction { expected: "271" })
    );
    assert!(matches!(read_271(b"hello", "AE"), Err(Error::X12(rx_x12::Error::NotX12))));
    let truncated = fixture("x12/277ca/neg_oopfactory_5010_bogeyone_277ca_truncated.x12");
    assert!(matches!(read_271(&truncated, "AE"), Err(Error::X12(rx_x12::Error::Truncated { .. }))));
}

mod robustness {
    use benefits_domain::{interpret_271, parse_270, read_271};
    use proptest::prelude::*;

    const SYNTHETIC: &[u8] = include_bytes!("../../../../tests/fixtures/synthetic/271_massage_benefits.x12");

    proptest! {
        #[test]
        fn mutated_271s_never_panic(edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
            let mut bytes = SYNTHETIC.to_vec();
            for (i, b) in edits {
                let len = bytes.len();
                if let Some(x) = bytes.get_mut(i % len) {
                    *x = b;
                }
            }
            if cut % 3 == 0 {
                bytes.truncate(cut % SYNTHETIC.len());
            }
            let _ = read_271(&bytes, "AE");
            let _ = interpret_271(&bytes);
            let _ = parse_270(&bytes);
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = read_271(&bytes, "AE");
        }
    }
}

mod decisions {
    use benefits_domain::{AttentionReason, CoverageDecision, benefits_for, decide, interpret_271};

    const SYNTHETIC: &str = include_str!("../../../../tests/fixtures/synthetic/271_massage_benefits.x12");

    fn decision_for(text: &str) -> CoverageDecision {
        let i = interpret_271(text.as_bytes()).expect("reads");
        let m = &i.responses[0];
        decide(m, &benefits_for(m, "AE"))
    }

    #[test]
    fn inactive_coverage_needs_attention() {
        let text = SYNTHETIC
            .replace("EB*1*IND*30*PR*SYNTHETIC", "EB*6*IND*30*PR*SYNTHETIC")
            .replace("EB*1*IND*33*PR~", "EB*6*IND*33*PR~");
        assert_eq!(decision_for(&text), CoverageDecision::NeedsAttention(AttentionReason::Inactive));
    }

    #[test]
    fn unknown_activity_needs_attention() {
        let text = SYNTHETIC
            .replace("EB*1*IND*30*PR*SYNTHETIC", "EB*P*IND*30*PR*SYNTHETIC")
            .replace("EB*1*IND*33*PR~", "EB*P*IND*33*PR~");
        assert_eq!(decision_for(&text), CoverageDecision::NeedsAttention(AttentionReason::ActivityUnknown));
    }

    #[test]
    fn used_up_visits_need_attention() {
        let text = SYNTHETIC.replace("**29***VS*14*N*W~", "**29***VS*0*N*W~");
        assert_eq!(decision_for(&text), CoverageDecision::NeedsAttention(AttentionReason::NoVisitsRemaining));
    }

    #[test]
    fn ae_specific_prior_auth_wins() {
        let text = SYNTHETIC.replace("EB*F*IND*AE^PT*PR**22***VS*20*N*W~", "EB*F*IND*AE^PT*PR**22***VS*20*Y*W~");
        assert_eq!(decision_for(&text), CoverageDecision::PriorAuthRequired);
    }
}
