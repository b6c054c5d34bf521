//! The whole journey, as separate processes against the real Postgres and RabbitMQ, driven only
//! through the public interfaces: a faxed prescription (OCR'd) over gRPC and two HL7 v2
//! referrals over MLLP are accepted; eligibility is checked by benefits on its own through the
//! CORE connector and the cost estimate is readable; sessions are recorded (one refused for a
//! body site outside the prescription); claims are built, scrubbed and submitted, the 999 and
//! 277CA come back, the 835 pays one claim and denies the other with CO-16, which is corrected,
//! resubmitted as frequency 7 and paid; each patient's balance is right to the cent; and one
//! trace id follows the faxed prescription through intake, benefits and claims.

#![allow(clippy::panic)] // a failed step says what it waited for

mod e2e;
mod support;

use std::time::Duration;

use e2e::{Options, Referral, System, request};
use rx_proto::benefits::v1 as benefits;
use rx_proto::claims::v1 as claims;
use rx_proto::common::v1 as common;
use rx_proto::intake::v1 as intake;
use rxbridge_tests::eventually;
use rxbridge_tests::procs::{find, trace_id};

const WAIT: Duration = Duration::from_secs(60);
const THERAPIST_NPI: &str = "1003000126";

/// Plans for the fax's patient and the two referrals' patients; the clearinghouse pays the
/// first referral's claims (with contractual and patient amounts) and denies the second's with
/// CO-16 until a replacement comes.
const SIM_CONFIG: &str = r#"{
  "eligibility": {
    "payer_id": "SIMPAYER",
    "payer_name": "SIMULATED HEALTH PLAN",
    "members": [
      {"member_id": "SHP448812097", "family": "QUINLAN", "given": "AVERY", "birth_date": "1975-03-14", "plan_name": "SIM PPO GOLD",
       "benefits": [{"service_type": "AE", "in_network": {"copay": "25.00", "deductible": "500.00", "deductible_met": "500.00", "visit_limit": 20, "visits_used": 8}}]},
      {"member_id": "JRNPAY001", "family": "TESTPATIENT", "given": "AVERY", "birth_date": "1980-01-01", "plan_name": "SIM PPO GOLD",
       "benefits": [{"service_type": "AE", "in_network": {"copay": "20.00", "visit_limit": 30, "visits_used": 0}}]},
      {"member_id": "JRNDENY01", "family": "SAMPLEPERSON", "given": "JORDAN", "birth_date": "1975-09-30", "plan_name": "SIM HMO SILVER",
       "benefits": [{"service_type": "AE", "in_network": {"coinsurance": "0.20", "deductible": "300.00", "deductible_met": "300.00", "visit_limit": 30, "visits_used": 2}}]}
    ]
  },
  "clearinghouse": {
    "default": {"outcome": "pay"},
    "by_member_id": {
      "JRNPAY001": {"outcome": "pay", "contractual": "10.00", "patient_responsibility": {"PR-2": "12.50", "PR-3": "20.00"}},
      "JRNDENY01": {"outcome": "deny", "carc": "CO-16"}
    },
    "replacement": {"outcome": "pay", "patient_responsibility": {"PR-3": "15.00"}}
  }
}"#;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn amount(m: &Option<common::Money>) -> String {
    m.as_ref().map(|m| m.amount.clone()).unwrap_or_default()
}

fn proto_date(d: time::Date) -> common::Date {
    common::Date { year: d.year(), month: i32::from(u8::from(d.month())), day: i32::from(d.day()) }
}

fn site(region: &str) -> common::BodySite {
    common::BodySite { region: region.into(), laterality: String::new() }
}

fn session(prescription: &str, days_ago: i64, region: &str, key: &str) -> claims::RecordSessionRequest {
    claims::RecordSessionRequest {
        prescription_id: prescription.into(),
        date_of_service: Some(proto_date(time::OffsetDateTime::now_utc().date() - time::Duration::days(days_ago))),
        rendering_npi: THERAPIST_NPI.into(),
        place_of_service: "11".into(),
        procedures: vec![claims::ProcedureMinutes { code: "97124".into(), minutes: 60, modifiers: vec![] }],
        body_sites: vec![site(region)],
        override_reason: String::new(),
        idempotency_key: key.into(),
    }
}

/// Sends a referral over MLLP; returns the prescription id intake reports for it.
async fn refer(system: &System, referral: &Referral<'_>) -> String {
    let stored_lines = |logs: &[serde_json::Value]| -> Vec<String> {
        logs.iter()
            .filter(|l| l["fields"]["message"] == "mllp message stored")
            .filter_map(|l| l["fields"]["prescription_id"].as_str().map(str::to_owned))
            .collect()
    };
    let before = stored_lines(&system.intake.logs()).len();
    let ack = system.mllp(&referral.to_er7()).await.expect("mllp");
    assert!(ack.contains("MSA|AA"), "referral {} not accepted: {ack}", referral.control_id);
    let stored = eventually(WAIT, || async {
        let lines = stored_lines(&system.intake.logs());
        lines.get(before).cloned()
    })
    .await;
    stored.expect("intake logged no prescription id for the referral")
}

async fn prescription(system: &System, id: &str) -> intake::Prescription {
    let mut client = system.intake().await.expect("intake client");
    let req = intake::GetPrescriptionRequest { prescription_id: id.into() };
    client.get_prescription(request(req, None)).await.expect("get prescription").into_inner()
}

/// Waits until benefits has an eligibility answer for the patient.
async fn coverage(system: &System, patient: &str) -> benefits::EligibilitySummary {
    let client = system.benefits().await.expect("benefits client");
    let found = eventually(WAIT, || {
        let mut client = client.clone();
        async move {
            let req = benefits::GetCoverageSummaryRequest { patient_id: patient.into() };
            client.get_coverage_summary(request(req, None)).await.ok().map(tonic::Response::into_inner)
        }
    })
    .await;
    found.unwrap_or_else(|| panic!("benefits never checked eligibility for patient {patient}"))
}

/// Records a session once claims has the prescription and its coverage (both arrive by events).
async fn record(system: &System, req: claims::RecordSessionRequest) -> claims::Session {
    let client = system.claims().await.expect("claims client");
    let recorded = eventually(WAIT, || {
        let mut client = client.clone();
        let req = req.clone();
        async move { client.record_session(request(req, None)).await.ok().map(tonic::Response::into_inner) }
    })
    .await;
    match recorded {
        Some(s) => s,
        None => {
            let mut client = client.clone();
            let err = client.record_session(request(req, None)).await.err();
            panic!("the session was never recorded: {err:?}")
        }
    }
}

async fn claim(system: &System, id: &str) -> Option<claims::Claim> {
    let mut client = system.claims().await.ok()?;
    let req = claims::GetClaimRequest { claim_id: id.into() };
    client.get_claim(request(req, None)).await.ok().map(tonic::Response::into_inner)
}

async fn wait_for_state(system: &System, id: &str, state: &str) -> claims::Claim {
    let found = eventually(WAIT, || async { claim(system, id).await.filter(|c| c.state == state) }).await;
    match found {
        Some(c) => c,
        None => {
            let now = claim(system, id).await.map(|c| (c.history, c.scrub_findings));
            panic!("claim {id} never reached {state}: {now:?}")
        }
    }
}

async fn balance(system: &System, patient: &str) -> claims::PatientBalance {
    let mut client = system.claims().await.expect("claims client");
    let req = claims::GetPatientBalanceRequest { patient_id: patient.into() };
    client.get_patient_balance(request(req, None)).await.expect("balance").into_inner()
}

fn states(c: &claims::Claim) -> Vec<&str> {
    c.history.iter().map(|e| e.state.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prescription_goes_from_fax_and_referral_to_paid_claims() {
    let system = System::start(Options { sim_config: SIM_CONFIG.into(), ..Options::default() }).await.expect("system");

    // 1. A faxed prescription over gRPC. The fixture faxes were written early in 2026, so intake
    // routes this one to review as too old; the reviewer enters the date the physician renewed
    // it and the payer named on the insurance card, and approves it, with the caller's trace
    // context.
    let trace = uuid::Uuid::new_v4().simple().to_string();
    let traceparent = format!("00-{trace}-{}-01", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let mut intake_client = system.intake().await.expect("intake client");
    let fax = intake::SubmitDocumentRequest {
        content: fixture("fax/fax_pad_lumbar.tiff"),
        format: intake::DocumentFormat::Fax.into(),
        idempotency_key: "journey-fax-1".into(),
        source_label: "fax +1 555 0100".into(),
    };
    let submitted = intake_client.submit_document(request(fax, None)).await.expect("fax submitted");
    let fax_rx = submitted.into_inner().prescription.expect("a prescription");
    assert_eq!(fax_rx.member_id, "SHP448812097", "OCR misread the member id");
    assert_eq!(fax_rx.status(), intake::PrescriptionStatus::NeedsReview);
    assert!(fax_rx.review_reasons.iter().any(|r| r.contains("days old")), "{:?}", fax_rx.review_reasons);
    let mut review = system.review().await.expect("review client");
    let renewed = time::OffsetDateTime::now_utc().date() - time::Duration::days(3);
    let correction = |name: &str, value: String| intake::FieldCorrection { name: name.into(), values: vec![value] };
    let corrected = intake::CorrectFieldsRequest {
        prescription_id: fax_rx.id.clone(),
        corrections: vec![
            correction("written_on", renewed.to_string()),
            correction("patient.payer_id", "SIMPAYER".into()),
        ],
    };
    review.correct_fields(request(corrected, None)).await.expect("review correction");
    let approve = intake::ApproveRequest { prescription_id: fax_rx.id.clone() };
    let fax_rx = review.approve(request(approve, Some(&traceparent))).await.expect("approve").into_inner();
    assert_eq!(fax_rx.status(), intake::PrescriptionStatus::Accepted);

    // 2. Eligibility checked automatically; the estimate is readable.
    let summary = coverage(&system, &fax_rx.patient_id).await;
    assert_eq!(summary.decision, "covered", "{summary:?}");
    let mut benefits_client = system.benefits().await.expect("benefits client");
    let estimate = benefits_client
        .estimate_cost(request(
            benefits::EstimateCostRequest {
                patient_id: fax_rx.patient_id.clone(),
                per_session: vec![benefits::ProcedureMinutes { code: "97124".into(), minutes: 60 }],
                sessions: 8,
            },
            None,
        ))
        .await
        .expect("estimate")
        .into_inner();
    assert_eq!(estimate.sessions.len(), 8);
    assert!(estimate.sessions.iter().all(|s| amount(&s.patient_pays) == "25.00"), "{estimate:?}");
    assert_eq!(amount(&estimate.total_patient_pays), "200.00");

    // 3. Two HL7 v2 referrals over MLLP.
    let paying = Referral {
        control_id: "JRN0001",
        family: "TESTPATIENT",
        given: "AVERY",
        birth_date: "19800101",
        member_id: "JRNPAY001",
        order: "RXJ0001",
    };
    let denying = Referral {
        control_id: "JRN0002",
        family: "SAMPLEPERSON",
        given: "JORDAN",
        birth_date: "19750930",
        member_id: "JRNDENY01",
        order: "RXJ0002",
    };
    let paying_id = refer(&system, &paying).await;
    let denying_id = refer(&system, &denying).await;
    let paying_rx = prescription(&system, &paying_id).await;
    let denying_rx = prescription(&system, &denying_id).await;
    for rx in [&paying_rx, &denying_rx] {
        assert_eq!(rx.status(), intake::PrescriptionStatus::Accepted, "review reasons: {:?}", rx.review_reasons);
    }
    assert_eq!(coverage(&system, &paying_rx.patient_id).await.decision, "covered");
    assert_eq!(coverage(&system, &denying_rx.patient_id).await.decision, "covered");

    // 4. Sessions: one refused for a body site the prescription does not name.
    let paid_session = record(&system, session(&paying_id, 1, "lumbar spine", "journey-s1")).await;
    let mut claims_client = system.claims().await.expect("claims client");
    let refused = claims_client.record_session(request(session(&paying_id, 1, "ankle", "journey-s2"), None)).await;
    let refused = refused.expect_err("a session for the ankle was accepted");
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(refused.message().contains("body_site_outside_scope"), "{}", refused.message());
    // Searched by the PHI canary below: what a clinic sees of a claims error.
    let refused =
        format!("{} {:?} {}", refused.message(), refused.metadata(), String::from_utf8_lossy(refused.details()));
    let denied_session = record(&system, session(&denying_id, 2, "lumbar spine", "journey-s3")).await;

    // 5. The 835 pays one claim; the other is denied with CO-16, corrected and paid.
    let paid = wait_for_state(&system, &paid_session.claim_id, "paid").await;
    assert_eq!(states(&paid), ["draft", "scrubbed", "submitted", "acknowledged", "accepted", "paid"]);
    assert_eq!(paid.artifacts.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["837P", "999", "277CA", "835"]);
    // 60 minutes of 97124: 4 units at 40.00
    assert_eq!(amount(&paid.total_charge), "160.00");
    assert_eq!(amount(&paid.paid), "117.50");
    assert_eq!(amount(&paid.patient_responsibility), "32.50");

    let denied = wait_for_state(&system, &denied_session.claim_id, "denied").await;
    assert!(denied.history.last().is_some_and(|e| e.cause.contains("CO-16")), "{:?}", denied.history);
    let corrected = claims_client
        .correct_claim(request(
            claims::CorrectClaimRequest {
                claim_id: denied.id.clone(),
                prior_authorization: "AUTH12345".into(),
                reason: "added the prior authorization the payer asked for".into(),
                ..Default::default()
            },
            None,
        ))
        .await
        .expect("correct")
        .into_inner();
    assert_eq!(corrected.frequency_code, "7");
    let repaid = wait_for_state(&system, &denied.id, "paid").await;
    assert_eq!(repaid.attempts, 2);
    let replacement =
        repaid.artifacts.iter().rfind(|a| a.kind == "837P").map(|a| a.content.clone()).unwrap_or_default();
    assert!(replacement.contains(":B:7*"), "not a replacement: {replacement}");
    assert!(replacement.contains(&format!("REF*F8*{}", denied.payer_claim_control_number)));
    assert_eq!(amount(&repaid.paid), "145.00");

    // 6. Balances to the cent.
    let first = balance(&system, &paying_rx.patient_id).await;
    assert_eq!(
        (amount(&first.total_charged), amount(&first.total_paid_by_payers), amount(&first.balance)),
        ("160.00".to_owned(), "117.50".to_owned(), "32.50".to_owned())
    );
    let second = balance(&system, &denying_rx.patient_id).await;
    assert_eq!(
        (amount(&second.total_charged), amount(&second.total_paid_by_payers), amount(&second.balance)),
        ("160.00".to_owned(), "145.00".to_owned(), "15.00".to_owned())
    );

    // 7. One trace: the fax's trace context, sent by the caller, reached benefits and claims.
    let benefits_logs = system.benefits.logs();
    let checked = find(&benefits_logs, "eligibility checked", "prescription_id", &fax_rx.id).next().cloned();
    assert_eq!(checked.as_ref().and_then(trace_id).as_deref(), Some(trace.as_str()), "benefits: {checked:?}");
    let claims_logs = system.claims.logs();
    for message in ["prescription scope stored", "coverage stored"] {
        let line = find(&claims_logs, message, "prescription_id", &fax_rx.id).next().cloned();
        assert_eq!(line.as_ref().and_then(trace_id).as_deref(), Some(trace.as_str()), "claims {message}: {line:?}");
    }
    // A referral's trace starts in intake and continues the same way.
    let referral_trace =
        find(&benefits_logs, "eligibility checked", "prescription_id", &paying_id).next().and_then(trace_id);
    assert!(referral_trace.is_some(), "benefits logged no trace for the referral");
    let stored = find(&claims_logs, "coverage stored", "prescription_id", &paying_id).next().and_then(trace_id);
    assert_eq!(stored, referral_trace);

    // 8. The PHI canary: none of the journey's patients' names, birth dates or member ids in
    // any log line of any service (event fields, span attributes and errors included), nor in
    // the claims error the clinic got.
    let all: Vec<String> =
        [system.intake.logs(), benefits_logs, claims_logs].iter().flatten().map(serde_json::Value::to_string).collect();
    assert!(all.len() > 20, "the services logged ({} lines)", all.len());
    let canaries = [
        "QUINLAN",
        "TESTPATIENT",
        "SAMPLEPERSON",
        "1975-03-14",
        "19750314",
        "1980-01-01",
        "19800101",
        "1975-09-30",
        "19750930",
        "SHP448812097",
        "JRNPAY001",
        "JRNDENY01",
    ];
    for canary in canaries {
        let hit = all.iter().find(|l| l.contains(canary));
        assert!(hit.is_none(), "{canary} in a log line: {hit:?}");
        assert!(!refused.contains(canary), "{canary} in a gRPC error: {refused}");
    }

    system.finish().await;
}
