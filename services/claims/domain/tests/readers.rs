//! 999, 277CA and 835 readers over the repository fixtures: every file reads (the `neg_*` ones
//! fail with a clear error), and the synthetic files plus a public 835 are checked field by
//! field.

mod common;

use claims_domain::ack277::{AckOutcome, read_277ca};
use claims_domain::ack999::{AckStatus, read_999};
use claims_domain::denial::{AdjustmentGroup, NextAction};
use claims_domain::lifecycle::ClaimEvent;
use claims_domain::reconcile::{SubmittedClaimRef, reconcile};
use claims_domain::remit835::read_835;
use claims_domain::{Summary, summarize};
use common::{FIXTURES, fixture};
use proptest::prelude::*;
use rust_decimal::Decimal;

type Res = Result<(), Box<dyn std::error::Error>>;

fn d(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

fn files(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("{FIXTURES}/{dir}"))
        .map(|rd| rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.retain(|n| n.ends_with(".x12"));
    names.sort();
    names
}

#[test]
fn every_fixture_reads_and_negatives_fail_clearly() {
    let mut read = 0;
    for dir in ["x12/835", "x12/999", "x12/277ca"] {
        let names = files(dir);
        assert!(names.len() >= 5, "fixtures of {dir} not found");
        for name in names {
            let result = summarize(&fixture(&format!("{dir}/{name}")));
            if name.starts_with("neg_") {
                assert!(result.is_err(), "{dir}/{name} should be refused");
            } else {
                assert!(result.is_ok(), "{dir}/{name}: {:?}", result.err());
                read += 1;
            }
        }
    }
    for name in [
        "835_massage_remit_balanced.x12",
        "277ca_one_accepted_one_rejected.x12",
        "999_accepted_837p.x12",
        "999_rejected_837p.x12",
        "837p_massage_original_freq1.x12.997",
    ] {
        assert!(summarize(&fixture(&format!("synthetic/{name}"))).is_ok(), "{name}");
        read += 1;
    }
    assert!(read >= 25, "only {read} files read");
}

#[test]
fn negative_fixtures_name_their_problem() {
    let err = |path: &str| summarize(&fixture(path)).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(err("x12/835/neg_badx12_error_validation.x12"), "expected 999, 277CA or 835, found GS01 HPO / ST01 835");
    assert_eq!(
        err("x12/277ca/neg_oopfactory_5010_bogeyone_277ca_truncated.x12"),
        "x12: truncated input: missing SE for the envelope opened at segment 2 (byte 181)"
    );
    assert_eq!(
        err("x12/277ca/neg_oopfactory_5010_latitude81uk_277ca_malformed.x12"),
        "x12: ISA segment malformed at segment 0 (byte 3): elements do not have their fixed widths"
    );
    // an 837 is not something to summarize
    assert_eq!(
        err("synthetic/837p_massage_original_freq1.x12"),
        "expected 999, 277CA or 835, found GS01 HC / ST01 837"
    );
    assert_eq!(
        summarize(b"hello").err().map(|e| e.to_string()).as_deref(),
        Some("x12: not x12: the input does not start with an ISA segment")
    );
    // each reader refuses the others' transactions
    let remit = fixture("synthetic/835_massage_remit_balanced.x12");
    assert_eq!(
        read_999(&remit).err().map(|e| e.to_string()).as_deref(),
        Some("expected 999 or 997 acknowledgment, found GS01 HP / ST01 835")
    );
    assert!(read_277ca(&remit).is_err());
    assert!(read_835(&fixture("synthetic/999_accepted_837p.x12")).is_err());
}

#[test]
fn envelope_bookkeeping_errors_are_warnings() -> Res {
    let parsed = read_999(&fixture("x12/999/imsweb_999_accepted.x12"))?;
    assert_eq!(
        parsed.warnings,
        ["IEA02 control number 000000001 does not match ISA13 000000286 at segment 9 (byte 282)"]
    );
    assert_eq!(parsed.transactions.len(), 1);
    Ok(())
}

#[test]
fn synthetic_835_field_by_field() -> Res {
    let parsed = read_835(&fixture("synthetic/835_massage_remit_balanced.x12"))?;
    assert!(parsed.warnings.is_empty());
    let [r] = parsed.transactions.as_slice() else { return Err("one remittance expected".into()) };
    assert_eq!(r.payment.handling, "I");
    assert_eq!(r.payment.amount, d(11300));
    assert_eq!(r.payment.method.as_deref(), Some("ACH"));
    assert_eq!(r.payment.date.as_deref(), Some("20260130"));
    assert_eq!(r.trace_number.as_deref(), Some("EFT0000123"));
    assert_eq!(r.payer_id.as_deref(), Some("1512345678"));
    assert_eq!(r.payer_name.as_deref(), Some("SYNTHETIC HEALTH PLAN"));
    assert_eq!(r.payee_id.as_deref(), Some("1748392010"));
    let [c] = r.claims.as_slice() else { return Err("one claim expected".into()) };
    assert_eq!(c.patient_control_number, "PCN0001");
    assert_eq!(c.status, "1");
    assert_eq!((c.charge, c.paid, c.patient_responsibility), (d(19000), d(11300), Some(d(3700))));
    assert_eq!(c.filing_indicator.as_deref(), Some("12"));
    assert_eq!(c.payer_claim_control_number.as_deref(), Some("PAYERCLM778899"));
    assert_eq!(c.frequency.as_deref(), Some("1"));
    assert!(c.adjustments.is_empty());
    assert_eq!(c.services.len(), 2);
    let s = &c.services[0];
    assert_eq!((s.qualifier.as_str(), s.procedure_code.as_str()), ("HC", "97124"));
    assert_eq!(s.modifiers, ["GP"]);
    assert_eq!((s.charge, s.paid, s.units), (d(11000), d(6500), Decimal::from(2)));
    assert_eq!(s.service_date.as_deref(), Some("20260110"));
    assert_eq!(s.line_control_number.as_deref(), Some("LINE0001"));
    assert_eq!(s.allowed, Some(d(9000)));
    let adj: Vec<(AdjustmentGroup, &str, Decimal)> =
        s.adjustments.iter().map(|a| (a.group, a.reason.as_str(), a.amount)).collect();
    assert_eq!(adj, [(AdjustmentGroup::Co, "45", d(2000)), (AdjustmentGroup::Pr, "3", d(2500))]);
    let s = &c.services[1];
    assert_eq!((s.charge, s.paid, s.units), (d(8000), d(4800), Decimal::ONE));
    assert_eq!(s.remarks, ["N130"]);
    assert_eq!(c.adjusted(AdjustmentGroup::Pr), d(3700));
    assert_eq!(c.adjusted(AdjustmentGroup::Co), d(4000));
    assert!(r.balance_issues().is_empty());
    assert_eq!(c.event(), Some(ClaimEvent::RemitPaid));
    let actions: Vec<NextAction> = c.advice().iter().map(|a| a.action).collect();
    assert_eq!(
        actions,
        [
            NextAction::ContractualAdjustment,
            NextAction::BillPatient,
            NextAction::ContractualAdjustment,
            NextAction::BillPatient
        ]
    );
    assert_eq!(c.posting_key, "1512345678/EFT0000123/PAYERCLM778899/PCN0001/1#1");
    Ok(())
}

#[test]
fn synthetic_835_summary_json() -> Res {
    let json = serde_json::to_value(summarize(&fixture("synthetic/835_massage_remit_balanced.x12"))?)?;
    assert_eq!(json["kind"], "835");
    let claim = &json["remittances"][0]["claims"][0];
    assert_eq!(claim["paid"], "113");
    assert_eq!(claim["patient_responsibility"], "37");
    assert_eq!(claim["adjustments"], serde_json::json!({"CO": {"45": "40"}, "PR": {"2": "12", "3": "25"}}));
    assert_eq!(claim["event"], "remit_paid");
    assert_eq!(claim["next_actions"], serde_json::json!(["contractual_adjustment", "bill_patient"]));
    // no patient names or member ids in the summary
    let text = json.to_string();
    for phi in ["TESTPATIENT", "AVERY", "MEM0000001"] {
        assert!(!text.contains(phi), "{phi} leaked into the summary");
    }
    Ok(())
}

#[test]
fn public_835_tigershark_example_3() -> Res {
    let parsed = read_835(&fixture("x12/835/tigershark_5010_835_example_3.x12"))?;
    let r = parsed.transactions.first().ok_or("no remittance")?;
    assert_eq!((r.payment.amount, r.payment.method.as_deref()), (d(5744), Some("CHK")));
    assert_eq!(r.trace_number.as_deref(), Some("123456789"));
    assert_eq!(r.claims.len(), 2);
    let denied = &r.claims[0];
    assert_eq!(denied.patient_control_number, "EDI DENIAL");
    assert_eq!((denied.charge, denied.paid, denied.patient_responsibility), (d(108800), d(0), Some(d(108800))));
    assert_eq!(denied.services[0].procedure_code, "00220");
    assert_eq!(denied.services[0].modifiers, ["P2"]);
    assert_eq!(denied.services[0].units, Decimal::from(8));
    assert_eq!(denied.services[0].service_date.as_deref(), Some("20090113"));
    let paid = &r.claims[1];
    assert_eq!(paid.payer_claim_control_number.as_deref(), Some("CLAIMNUMBER2"));
    assert_eq!((paid.charge, paid.paid, paid.patient_responsibility), (d(10000), d(5744), Some(d(3000))));
    let s = &paid.services[0];
    assert_eq!((s.procedure_code.as_str(), s.charge, s.paid, s.units), ("97110", d(10000), d(5744), Decimal::from(2)));
    assert_eq!(s.allowed, Some(d(8744)));
    let adj: Vec<(AdjustmentGroup, &str, Decimal)> =
        s.adjustments.iter().map(|a| (a.group, a.reason.as_str(), a.amount)).collect();
    assert_eq!(adj, [(AdjustmentGroup::Pr, "3", d(3000)), (AdjustmentGroup::Co, "45", d(1256))]);
    assert!(r.balance_issues().is_empty());
    assert_eq!(paid.event(), Some(ClaimEvent::RemitPaid));
    Ok(())
}

#[test]
fn denial_835_maps_to_fix_and_resubmit() -> Res {
    let parsed = read_835(&fixture("x12/835/pyx12_835_mult_loops.x12"))?;
    let c = parsed.transactions.first().and_then(|r| r.claims.first()).ok_or("no claim")?;
    assert_eq!(c.status, "4");
    assert_eq!(c.event(), Some(ClaimEvent::RemitDenied));
    let first = c.advice().into_iter().next().ok_or("no advice")?;
    assert_eq!(
        (first.group, first.reason.as_str(), first.action),
        (AdjustmentGroup::Co, "16", NextAction::FixAndResubmit)
    );
    assert_eq!(first.remarks.first().map(|r| r.code.as_str()), Some("N14"));
    Ok(())
}

#[test]
fn cas_with_several_triplets_and_plb() -> Res {
    let parsed = read_835(&fixture("x12/835/badx12_x221_dollars_and_data_sent_together.x12"))?;
    let r = parsed.transactions.first().ok_or("no remittance")?;
    assert_eq!(r.provider_adjustments.len(), 1);
    let plb = &r.provider_adjustments[0];
    assert_eq!((plb.reason.as_str(), plb.reference.as_deref(), plb.amount), ("CV", Some("CP"), d(-127)));
    assert!(r.balance_issues().is_empty(), "{:?}", r.balance_issues());
    // a CAS with two triplets gives two adjustments
    let text = "ISA*00*          *00*          *ZZ*PAYER01        *ZZ*CLINIC01       *260115*0930*^*00501*000000001*0*T*:~GS*HP*PAYER01*CLINIC01*20260115*0930*1*X*005010X221A1~ST*835*0001~BPR*I*50*C*CHK************20260130~TRN*1*CHK1*1512345678~LX*1~CLP*PCN9*1*100*50*30*12*PCL9~CAS*PR*1*20**2*10~CAS*CO*45*20~SE*8*0001~GE*1*1~IEA*1*000000001~";
    let c = read_835(text.as_bytes())?
        .transactions
        .into_iter()
        .next()
        .and_then(|r| r.claims.into_iter().next())
        .ok_or("no claim")?;
    let adj: Vec<(&str, Decimal)> = c.adjustments.iter().map(|a| (a.reason.as_str(), a.amount)).collect();
    assert_eq!(adj, [("1", d(2000)), ("2", d(1000)), ("45", d(2000))]);
    Ok(())
}

#[test]
fn bad_amounts_and_misplaced_segments_are_refused() {
    let base = |body: &str| {
        let n = body.matches('~').count() + 2;
        format!(
            "ISA*00*          *00*          *ZZ*PAYER01        *ZZ*CLINIC01       *260115*0930*^*00501*000000001*0*T*:~GS*HP*PAYER01*CLINIC01*20260115*0930*1*X*005010X221A1~ST*835*0001~{body}SE*{n}*0001~GE*1*1~IEA*1*000000001~"
        )
    };
    let err = |body: &str| read_835(base(body).as_bytes()).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(err("BPR*I*1O0*C~"), "BPR02 is not a valid number at segment 3 (byte 172)");
    assert_eq!(err("TRN*1*X~"), "BPR segment is missing");
    assert_eq!(err("BPR*I*0*C~CAS*CO*45*1~"), "CAS segment out of place at segment 4 (byte 182)");
    assert_eq!(err("BPR*I*0*C~CLP*P*1*10*0~CAS*ZZ*45*10~"), "CAS01 holds an unknown code at segment 5 (byte 195)");
    assert_eq!(err("BPR*I*0*C~CLP*P*1*10*0~CAS*CO~"), "CAS02 is missing at segment 5 (byte 195)");
}

#[test]
fn posting_keys_are_distinct_and_stable() -> Res {
    let bytes = fixture("x12/835/badx12_x221_multiple_claims_single_check.x12");
    let keys = |b: &[u8]| -> Result<Vec<String>, claims_domain::ClaimsError> {
        Ok(read_835(b)?.transactions.iter().flat_map(|r| r.claims.iter().map(|c| c.posting_key.clone())).collect())
    };
    let first = keys(&bytes)?;
    let mut unique = first.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), first.len(), "keys collide: {first:?}");
    // the file repeats CLP01 and CLP07 for a family: the occurrence tells them apart
    assert!(first.contains(&"1512345678/12345/119932404007801/7722337/1#2".to_string()));
    assert_eq!(keys(&bytes)?, first, "reading the same 835 again gives the same keys");
    Ok(())
}

#[test]
fn reconciliation_by_payer_number_then_claim_number() -> Res {
    let r = read_835(&fixture("synthetic/835_massage_remit_balanced.x12"))?.transactions.remove(0);
    let submitted = [
        SubmittedClaimRef { patient_control_number: "PCN0002", payer_claim_control_number: None },
        SubmittedClaimRef { patient_control_number: "PCN0001", payer_claim_control_number: None },
    ];
    let rec = reconcile(&submitted, &r);
    assert_eq!(rec.matched, [(1, 0)]);
    assert_eq!(rec.unpaid_claims, [0]);
    assert!(rec.unmatched_payments.is_empty());
    // a known payer claim number wins over the claim number
    let submitted = [
        SubmittedClaimRef { patient_control_number: "PCN0001", payer_claim_control_number: Some("OTHER") },
        SubmittedClaimRef { patient_control_number: "RESENT-7", payer_claim_control_number: Some("PAYERCLM778899") },
    ];
    assert_eq!(reconcile(&submitted, &r).matched, [(1, 0)]);
    let rec = reconcile(&[], &r);
    assert_eq!(rec.unmatched_payments, [0]);
    assert_eq!(r.by_patient_control_number("PCN0001").count(), 1);
    assert_eq!(r.by_payer_claim_number("PAYERCLM778899").count(), 1);
    assert_eq!(r.by_payer_claim_number("NOPE").count(), 0);
    Ok(())
}

#[test]
fn synthetic_277ca_one_accepted_one_rejected() -> Res {
    let parsed = read_277ca(&fixture("synthetic/277ca_one_accepted_one_rejected.x12"))?;
    let [ack] = parsed.transactions.as_slice() else { return Err("one 277 expected".into()) };
    assert_eq!(ack.version, "005010X214");
    assert_eq!(ack.reference.as_deref(), Some("ACK0001"));
    assert_eq!(ack.claims.len(), 2);
    let ok = &ack.claims[0];
    assert_eq!(ok.patient_control_number.as_deref(), Some("PCN0001"));
    assert_eq!(ok.outcome, AckOutcome::Accepted);
    assert_eq!(ok.payer_claim_control_number.as_deref(), Some("PAYERCLM778899"));
    assert_eq!(ok.service_date.as_deref(), Some("20260110"));
    let stc = &ok.statuses[0];
    assert_eq!(
        (stc.codes[0].category.as_str(), stc.codes[0].status.as_deref(), stc.codes[0].entity.as_deref()),
        ("A2", Some("20"), None)
    );
    assert_eq!(
        (stc.effective_date.as_deref(), stc.action.as_deref(), stc.amount),
        (Some("20260116"), Some("WQ"), Some(d(19000)))
    );
    let bad = &ack.claims[1];
    assert_eq!(bad.patient_control_number.as_deref(), Some("PCN0002"));
    assert_eq!(bad.outcome, AckOutcome::Rejected);
    assert_eq!(bad.payer_claim_control_number, None);
    assert_eq!(bad.statuses[0].codes[0].entity.as_deref(), Some("DN"));
    assert_eq!(bad.statuses[0].action.as_deref(), Some("U"));
    assert_eq!(ok.outcome.event(), Some(ClaimEvent::ClaimAccepted));
    assert_eq!(bad.outcome.event(), Some(ClaimEvent::ClaimRejected));
    // receiver level: TRN*2 echoes our BHT03 batch reference
    let receiver = ack.batch_statuses.iter().find(|b| b.level == "21").ok_or("no receiver status")?;
    assert_eq!(receiver.trace.as_deref(), Some("BATCH0001"));
    let Summary::Ack277 { acknowledgments, .. } = summarize(&fixture("synthetic/277ca_one_accepted_one_rejected.x12"))?
    else {
        return Err("not a 277 summary".into());
    };
    assert_eq!((acknowledgments[0].accepted, acknowledgments[0].rejected), (1, 1));
    assert_eq!(acknowledgments[0].claims[1].statuses, ["A7:562:DN"]);
    Ok(())
}

#[test]
fn public_277ca_with_pipe_component_separator() -> Res {
    let parsed = read_277ca(&fixture("x12/277ca/imsweb_277ca_rejected_emedny.x12"))?;
    let c = &parsed.transactions[0].claims[0];
    assert_eq!(c.outcome, AckOutcome::Rejected);
    assert_eq!(c.statuses[0].codes[0].status.as_deref(), Some("562"));
    assert_eq!(c.statuses[0].codes[0].entity.as_deref(), Some("85"));
    assert_eq!(c.payer_claim_control_number.as_deref(), Some("1107000000001120"));
    Ok(())
}

#[test]
fn synthetic_999_rejected_field_by_field() -> Res {
    let parsed = read_999(&fixture("synthetic/999_rejected_837p.x12"))?;
    let g = &parsed.transactions[0].groups[0];
    assert_eq!(
        (g.functional_id.as_str(), g.group_control_number.as_str(), g.version.as_deref()),
        ("HC", "1", Some("005010X222A1"))
    );
    assert_eq!(g.status, AckStatus::Rejected);
    assert_eq!((g.sets_included, g.sets_received, g.sets_accepted), (Some(1), Some(1), Some(0)));
    let t = &g.transactions[0];
    assert_eq!((t.transaction_id.as_str(), t.control_number.as_str()), ("837", "0001"));
    assert_eq!(t.status, AckStatus::Rejected);
    assert_eq!(t.error_codes, ["5"]);
    let e = &t.segment_errors[0];
    assert_eq!(
        (e.segment_id.as_str(), e.position, e.loop_id.as_deref(), e.code.as_deref()),
        ("CLM", Some(20), Some("2300"), Some("8"))
    );
    assert_eq!(e.context, ["CLM01:PCN0001"]);
    let el = &e.element_errors[0];
    assert_eq!(
        (el.position, el.component, el.data_element.as_deref(), el.code.as_str()),
        (Some(5), Some(3), Some("1325"), "7")
    );
    assert_eq!(el.bad_value.as_deref(), Some("9"));
    // the offending value stays out of the JSON
    let json = serde_json::to_string(&summarize(&fixture("synthetic/999_rejected_837p.x12"))?)?;
    assert!(!json.contains("bad_value"));
    Ok(())
}

#[test]
fn synthetic_999_accepted() -> Res {
    let parsed = read_999(&fixture("synthetic/999_accepted_837p.x12"))?;
    let g = &parsed.transactions[0].groups[0];
    assert_eq!(g.status, AckStatus::Accepted);
    assert_eq!(g.transactions[0].status, AckStatus::Accepted);
    assert!(g.transactions[0].segment_errors.is_empty());
    assert!(g.status.is_accepted());
    Ok(())
}

#[test]
fn partially_accepted_999_lists_each_set() -> Res {
    let Summary::Ack999 { acknowledgments, .. } = summarize(&fixture("x12/999/oopfactory_wisconsin_dhs_999.x12"))?
    else {
        return Err("not a 999 summary".into());
    };
    let g = &acknowledgments[0].groups[0];
    assert_eq!(g.status, AckStatus::PartiallyAccepted);
    assert_eq!(g.accepted, ["0001"]);
    assert_eq!(g.rejected, ["002", "0003"]);
    Ok(())
}

#[test]
fn reads_a_997_with_ak3_ak4_ak5() -> Res {
    let text = "ISA*00*          *00*          *ZZ*PAYER01        *ZZ*SUBMIT01       *260115*0930*U*00401*000000007*0*T*:~GS*FA*PAYER01*SUBMIT01*20260115*0930*7*X*004010~ST*997*0001~AK1*HC*1~AK2*837*0001~AK3*NM1*12*2010*8~AK4*9*67*7*XX~AK5*R*5~AK9*R*1*1*0~SE*8*0001~GE*1*7~IEA*1*000000007~";
    let parsed = read_999(text.as_bytes())?;
    let ack = &parsed.transactions[0];
    assert_eq!(ack.transaction_type, "997");
    let t = &ack.groups[0].transactions[0];
    assert_eq!(t.status, AckStatus::Rejected);
    assert_eq!(t.segment_errors[0].segment_id, "NM1");
    assert_eq!(t.segment_errors[0].element_errors[0].position, Some(9));
    assert_eq!(t.segment_errors[0].element_errors[0].code, "7");
    Ok(())
}

#[test]
fn ak_segments_out_of_order_are_refused() {
    let text = "ISA*00*          *00*          *ZZ*PAYER01        *ZZ*SUBMIT01       *260115*0930*^*00501*000000001*0*T*:~GS*FA*PAYER01*SUBMIT01*20260115*0930*1*X*005010X231A1~ST*999*0001*005010X231A1~IK5*A~SE*3*0001~GE*1*1~IEA*1*000000001~";
    assert_eq!(
        read_999(text.as_bytes()).err().map(|e| e.to_string()).as_deref(),
        Some("IK5 segment out of place at segment 3 (byte 185)")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary edits of real inputs never panic the readers (what the fuzz targets will do
    /// at scale).
    #[test]
    fn readers_never_panic_on_mutated_inputs(
        which in 0usize..4,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let path = ["synthetic/835_massage_remit_balanced.x12", "synthetic/277ca_one_accepted_one_rejected.x12", "synthetic/999_rejected_837p.x12", "x12/835/tigershark_5010_835_example_3.x12"][which];
        let mut bytes = fixture(path);
        prop_assume!(!bytes.is_empty());
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        let _ = summarize(&bytes);
        let _ = read_835(&bytes);
        let _ = read_277ca(&bytes);
        let _ = read_999(&bytes);
    }
}
