//! The gRPC API against the running server (tonic client), a real database and the payer
//! simulator: coverage, eligibility with its cache and `force_refresh`, summaries, estimates,
//! field-level INVALID_ARGUMENT details, and the circuit breaker failing fast while open.

mod support;

use rx_proto::benefits::v1::benefits_service_client::BenefitsServiceClient;
use rx_proto::benefits::v1::*;
use rx_proto::common::v1::{Date, PersonName};
use support::*;
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::StatusExt;
use uuid::Uuid;

const CLINIC: &str = "clinic-grpc";

async fn serve(h: &Harness, payer: rx_benefits::config::PayerConfig) -> BenefitsServiceClient<Channel> {
    serve_with(h, payer, rx_platform::grpc::Access::insecure_for_tests()).await
}

async fn serve_with(
    h: &Harness,
    payer: rx_benefits::config::PayerConfig,
    auth: rx_platform::grpc::Access,
) -> BenefitsServiceClient<Channel> {
    let app = support::app(h, payer);
    let standard = rx_platform::grpc::standard_services().expect("standard services");
    let routes = rx_benefits::routes_with(standard.routes, app, 1 << 20);
    let (listener, addr) = rx_platform::grpc::bind("127.0.0.1:0".parse().expect("addr")).await.expect("bind");
    tokio::spawn(rx_platform::grpc::serve(listener, routes, auth, h.shutdown.clone()));
    let channel = Channel::from_shared(format!("http://{addr}")).expect("uri").connect().await.expect("connect");
    BenefitsServiceClient::new(channel)
}

fn with_clinic<T>(msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert("x-clinic-id", CLINIC.parse().expect("metadata"));
    r
}

fn coverage(patient_id: &str, member_id: &str, birth: (i32, i32, i32)) -> Coverage {
    Coverage {
        patient_id: patient_id.into(),
        payer_id: "SIMPAYER".into(),
        member_id: member_id.into(),
        relationship: Relationship::Subscriber.into(),
        patient_name: Some(PersonName { family: "TESTPATIENT".into(), given: "ALEX".into() }),
        patient_birth_date: Some(Date { year: birth.0, month: birth.1, day: birth.2 }),
        ..Default::default()
    }
}

async fn register(client: &mut BenefitsServiceClient<Channel>, member_id: &str, birth: (i32, i32, i32)) -> String {
    let patient_id = Uuid::new_v4().to_string();
    client
        .upsert_coverage(with_clinic(UpsertCoverageRequest { coverage: Some(coverage(&patient_id, member_id, birth)) }))
        .await
        .expect("coverage stored");
    patient_id
}

fn check(patient_id: &str, force_refresh: bool) -> CheckEligibilityRequest {
    CheckEligibilityRequest { patient_id: patient_id.into(), force_refresh, ..Default::default() }
}

fn violations(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn check_eligibility_answers_then_serves_the_cache_until_forced() {
    let h = harness().await;
    let mut client = serve(&h, payer(h.sim)).await;
    let patient_id = register(&mut client, "SIM100001", (1980, 4, 12)).await;

    let before = sim_requests(h.sim).await;
    let first = client.check_eligibility(with_clinic(check(&patient_id, false))).await.expect("checked").into_inner();
    assert_eq!(first.decision, "covered");
    assert!(!first.cached);
    assert_eq!(first.active, Some(true));
    assert_eq!(first.plan_name, "SIM PPO GOLD");
    assert_eq!(first.service_type, "AE");
    let inn = first.in_network.clone().expect("in-network figures");
    assert_eq!(inn.copay.map(|m| m.amount), Some("25.00".into()));
    assert_eq!(inn.visits_remaining, Some(12));
    assert_eq!(first.out_of_network.and_then(|n| n.deductible_remaining).map(|m| m.amount), Some("1000.00".into()));
    assert_eq!(sim_requests(h.sim).await, before + 1);

    let cached = client.check_eligibility(with_clinic(check(&patient_id, false))).await.expect("cached").into_inner();
    assert!(cached.cached);
    assert_eq!(cached.decision, "covered");
    assert_eq!(sim_requests(h.sim).await, before + 1, "a cache hit does not call the payer");

    let forced = client.check_eligibility(with_clinic(check(&patient_id, true))).await.expect("forced").into_inner();
    assert!(!forced.cached);
    assert_eq!(sim_requests(h.sim).await, before + 2);
    assert_eq!(count(&h.inspect, "SELECT count(*) FROM x12_artifacts WHERE kind = '270'").await, 2);

    let summary = client
        .get_coverage_summary(with_clinic(GetCoverageSummaryRequest { patient_id: patient_id.clone() }))
        .await
        .expect("summary")
        .into_inner();
    assert_eq!(summary.decision, "covered");
    assert_eq!(summary.patient_id, patient_id);
}

#[tokio::test]
async fn every_check_is_audited_once_whether_cached_fresh_or_refused() {
    let h = harness().await;
    let mut access = rx_platform::grpc::Access::insecure_for_tests();
    access.audit = Some(h.pool.clone());
    let mut client = serve_with(&h, payer(h.sim), access).await;
    let patient_id = register(&mut client, "SIM100001", (1980, 4, 12)).await;

    // fresh (the entry goes with the check row), cached (with the read), unknown patient (refused)
    assert!(
        !client.check_eligibility(with_clinic(check(&patient_id, false))).await.expect("fresh").into_inner().cached
    );
    assert!(
        client.check_eligibility(with_clinic(check(&patient_id, false))).await.expect("cached").into_inner().cached
    );
    let stranger = Uuid::new_v4().to_string();
    let refused = client.check_eligibility(with_clinic(check(&stranger, false))).await.unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);

    let entries: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT clinic_id, resource_type, resource_id, patient_id, outcome FROM audit_log
         WHERE action LIKE '%/CheckEligibility' ORDER BY id",
    )
    .fetch_all(&h.inspect)
    .await
    .expect("audit entries");
    let about = |patient: &str, outcome: &str| {
        (CLINIC.to_owned(), "coverage".to_owned(), patient.to_owned(), patient.to_owned(), outcome.to_owned())
    };
    let refused = (CLINIC.to_owned(), String::new(), String::new(), String::new(), "NOT_FOUND".to_owned());
    assert_eq!(
        entries,
        vec![about(&patient_id, "OK"), about(&patient_id, "OK"), refused],
        "one entry per call, answers naming the patient"
    );
}

#[tokio::test]
async fn estimate_cost_prices_sessions_from_the_latest_answer() {
    let h = harness().await;
    let mut client = serve(&h, payer(h.sim)).await;
    let patient_id = register(&mut client, "SIM100002", (1975, 9, 30)).await;

    let refused = client
        .estimate_cost(with_clinic(EstimateCostRequest {
            patient_id: patient_id.clone(),
            per_session: vec![ProcedureMinutes { code: "97124".into(), minutes: 30 }],
            sessions: 2,
        }))
        .await
        .expect_err("no eligibility yet");
    assert_eq!(refused.code(), Code::FailedPrecondition);

    client.check_eligibility(with_clinic(check(&patient_id, false))).await.expect("checked");
    let e = client
        .estimate_cost(with_clinic(EstimateCostRequest {
            patient_id: patient_id.clone(),
            per_session: vec![ProcedureMinutes { code: "97124".into(), minutes: 30 }],
            sessions: 4,
        }))
        .await
        .expect("estimate")
        .into_inner();
    assert_eq!(e.sessions.len(), 4);
    assert_eq!(e.total_charge.map(|m| m.amount), Some("320.00".into()));
    assert_eq!(e.total_patient_pays.map(|m| m.amount), Some("224.00".into()));
    assert_eq!(e.total_plan_pays.map(|m| m.amount), Some("96.00".into()));
    assert!(e.sessions.iter().all(|s| !s.beyond_visit_limit));
}

#[tokio::test]
async fn bad_input_is_invalid_argument_with_the_field_named() {
    let h = harness().await;
    let mut client = serve(&h, payer(h.sim)).await;

    let e = client.check_eligibility(with_clinic(check("not-a-uuid", false))).await.expect_err("bad id");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(violations(&e), vec!["patient_id"]);

    let mut bad_type = check(&Uuid::new_v4().to_string(), false);
    bad_type.service_type = "NOT A CODE".into();
    let e = client.check_eligibility(with_clinic(bad_type)).await.expect_err("bad service type");
    assert_eq!(violations(&e), vec!["service_type"]);

    let e = client
        .estimate_cost(with_clinic(EstimateCostRequest {
            patient_id: Uuid::new_v4().to_string(),
            per_session: vec![
                ProcedureMinutes { code: "97124".into(), minutes: 30 },
                ProcedureMinutes { code: "99213".into(), minutes: 30 },
            ],
            sessions: 3,
        }))
        .await
        .expect_err("unknown code");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(violations(&e), vec!["per_session[1].code"]);

    let e = client
        .estimate_cost(with_clinic(EstimateCostRequest {
            patient_id: Uuid::new_v4().to_string(),
            per_session: vec![ProcedureMinutes { code: "97124".into(), minutes: 30 }],
            sessions: 0,
        }))
        .await
        .expect_err("no sessions");
    assert_eq!(violations(&e), vec!["sessions"]);

    let mut no_name = coverage(&Uuid::new_v4().to_string(), "SIM100001", (1980, 4, 12));
    no_name.patient_name = None;
    let e = client
        .upsert_coverage(with_clinic(UpsertCoverageRequest { coverage: Some(no_name) }))
        .await
        .expect_err("no name");
    assert_eq!(violations(&e), vec!["coverage.patient_name.family"]);

    let e = client.check_eligibility(Request::new(check(&Uuid::new_v4().to_string(), false))).await.expect_err("anon");
    assert_eq!(e.code(), Code::Unauthenticated);

    let e = client.check_eligibility(with_clinic(check(&Uuid::new_v4().to_string(), false))).await.expect_err("none");
    assert_eq!(e.code(), Code::NotFound);
}

#[tokio::test]
async fn the_circuit_opens_after_repeated_failures_and_fails_fast() {
    let h = harness().await;
    let mut p = payer(h.sim);
    p.breaker_failures = 3;
    p.breaker_cooldown_ms = 1_500;
    let mut client = serve(&h, p).await;
    let patient_id = register(&mut client, "SIM100001", (1980, 4, 12)).await;
    set_fault(h.sim, r#"{"mode": "http_503"}"#).await;

    let before = sim_requests(h.sim).await;
    let first = client.check_eligibility(with_clinic(check(&patient_id, true))).await.expect("answered").into_inner();
    assert_eq!((first.decision.as_str(), first.attention_reason.as_str()), ("needs_attention", "payer_unavailable"));
    assert_eq!(sim_requests(h.sim).await, before + 3, "the retry budget, then the circuit opened");

    // Open: the payer is not asked at all.
    set_fault(h.sim, r#"{"mode": "none"}"#).await;
    let open = client.check_eligibility(with_clinic(check(&patient_id, true))).await.expect("answered").into_inner();
    assert_eq!(open.attention_reason, "payer_unavailable");
    assert_eq!(sim_requests(h.sim).await, before + 3, "an open circuit fails fast");

    // After the cool-down one trial goes through and closes it.
    tokio::time::sleep(std::time::Duration::from_millis(1_700)).await;
    let healed = client.check_eligibility(with_clinic(check(&patient_id, true))).await.expect("answered").into_inner();
    assert_eq!(healed.decision, "covered");
    assert_eq!(sim_requests(h.sim).await, before + 4);
}

#[tokio::test]
async fn a_dependent_is_asked_for_under_the_subscriber() {
    let h = harness().await;
    let mut client = serve(&h, payer(h.sim)).await;
    let patient_id = Uuid::new_v4().to_string();
    let dependent = Coverage {
        relationship: Relationship::Dependent.into(),
        patient_name: Some(PersonName { family: "SAMPLEPERSON".into(), given: "KIDDO".into() }),
        patient_birth_date: Some(Date { year: 2015, month: 3, day: 3 }),
        subscriber_name: Some(PersonName { family: "SAMPLEPERSON".into(), given: "JORDAN".into() }),
        subscriber_birth_date: Some(Date { year: 1975, month: 9, day: 30 }),
        ..coverage(&patient_id, "SIM100002", (2015, 3, 3))
    };
    let stored = client
        .upsert_coverage(with_clinic(UpsertCoverageRequest { coverage: Some(dependent) }))
        .await
        .expect("stored")
        .into_inner();
    assert_eq!(stored.relationship(), Relationship::Dependent);
    assert_eq!(stored.subscriber_name.map(|n| n.given), Some("JORDAN".into()));

    let answer = client.check_eligibility(with_clinic(check(&patient_id, false))).await.expect("checked").into_inner();
    assert_eq!(answer.decision, "covered");
    let x270 = stored_x12(&h, "270").await.remove(0);
    assert!(x270.contains("HL*4*3*23*0"), "the patient is sent in a dependent loop");
    let x271 = stored_x12(&h, "271").await.remove(0);
    assert!(x271.contains("HL*4*3*23*0"), "the payer answered in the dependent loop");

    // Key rotation: a new current key, the old one kept; every stored X12 moves to the new key
    // once and still opens to the same text.
    let rotated = rx_seal::Keyring::from_json(&format!(
        r#"{{"current": "test-2", "keys": {{"test-1": "{}", "test-2": "cm90YXRlZC1iZW5lZml0cy10ZXN0LWtleS0zMi1ieXQ="}}}}"#,
        "dGVzdC1vbmx5LWJlbmVmaXRzLWtleS0zMi1ieXRlcyE="
    ))
    .expect("rotated keyring");
    let pass = rx_benefits::store::rewrap_artifacts(&h.pool, &rotated, 1).await.expect("rewrap");
    assert_eq!(pass, rx_seal::Rewrapped { examined: 2, rewrapped: 2 });
    let again = rx_benefits::store::rewrap_artifacts(&h.pool, &rotated, 1).await.expect("rewrap again");
    assert_eq!(again, rx_seal::Rewrapped { examined: 2, rewrapped: 0 });
    let rows: Vec<(uuid::Uuid, String, String, i32, Vec<u8>)> =
        sqlx::query_as("SELECT check_id, clinic_id, kind, attempt, content FROM x12_artifacts ORDER BY kind")
            .fetch_all(&h.inspect)
            .await
            .expect("stored x12");
    let opened: Vec<String> = rows
        .iter()
        .map(|(check, clinic, kind, attempt, blob)| {
            assert_eq!(rx_seal::Keyring::key_id(blob), Some("test-2"));
            let aad = rx_benefits::store::artifact_aad(clinic, *check, kind, *attempt);
            String::from_utf8(rotated.open(blob, &aad).expect("opens after rotation")).expect("text")
        })
        .collect();
    assert_eq!(opened, [x270, x271]);
}

#[tokio::test]
async fn concurrent_forced_checks_each_go_out_under_their_own_control_number() {
    let h = harness().await;
    let client = serve(&h, payer(h.sim)).await;
    let patient_id = register(&mut client.clone(), "SIM100001", (1980, 4, 12)).await;

    let checks: Vec<_> = (0..8)
        .map(|_| {
            let (mut client, patient_id) = (client.clone(), patient_id.clone());
            tokio::spawn(async move { client.check_eligibility(with_clinic(check(&patient_id, true))).await })
        })
        .collect();
    for c in checks {
        let answer = c.await.expect("task").expect("checked").into_inner();
        assert_eq!(answer.decision, "covered");
    }

    // ISA13 of every 270 sent: one number per interchange, none handed out twice
    let mut numbers: Vec<String> =
        stored_x12(&h, "270").await.iter().map(|x| x.split('*').nth(13).expect("ISA13").to_owned()).collect();
    assert_eq!(numbers.len(), 8);
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 8, "control numbers repeated: {numbers:?}");
}
