//! A scaled-out deployment simulated on one machine: three replicas of each service as separate
//! processes, against the same Postgres, RabbitMQ and payer simulator. A batch of accepted
//! prescriptions written to intake's outbox is published by three competing intake relays and
//! consumed by three benefits and three claims replicas; it must yield exactly one eligibility
//! check and one stored scope per prescription: no double effects.

#![allow(clippy::print_stdout)] // the figure line is this test's report

mod support;

use std::time::Duration;

use prost::Message;
use rx_messaging::NewEvent;
use rx_platform::db::{BENEFITS, CLAIMS, INTAKE};
use rx_proto::common::v1::{BodySite, Date, PersonName};
use rx_proto::events::v1::{CoverageHint, EligibilityChecked, EventMeta, PrescriptionAccepted};
use rxbridge_tests::db::TestDb;
use rxbridge_tests::eventually;

const PRESCRIPTIONS: usize = 60;
const REPLICAS: usize = 3;
const CLINIC: &str = "clinic-replicas";

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// An accepted prescription for the simulator's first example member (covered, copay 25.00).
fn accepted(prescription_id: uuid::Uuid) -> PrescriptionAccepted {
    PrescriptionAccepted {
        meta: Some(EventMeta {
            event_id: uuid::Uuid::new_v4().to_string(),
            clinic_id: CLINIC.into(),
            occurred_at: "2026-11-23T00:00:00Z".into(),
        }),
        prescription_id: prescription_id.to_string(),
        patient_id: uuid::Uuid::new_v4().to_string(),
        patient_name: Some(PersonName { family: "TESTPATIENT".into(), given: "ALEX".into() }),
        patient_birth_date: date(1980, 4, 12),
        coverage: Some(CoverageHint {
            payer_id: "SIMPAYER".into(),
            payer_name: "SIMULATED HEALTH PLAN".into(),
            member_id: "SIM100001".into(),
            relationship: "subscriber".into(),
        }),
        prescriber_npi: "1234567893".into(),
        prescriber_name: Some(PersonName { family: "EXAMPLEDOC".into(), given: "JORDAN".into() }),
        diagnoses: vec!["M54.50".into()],
        procedures: vec!["97124".into()],
        sessions: 8,
        per_week: 2,
        weeks: 4,
        minutes_per_session: 60,
        body_sites: vec![BodySite { region: "lumbar spine".into(), laterality: String::new() }],
        valid_from: date(2026, 11, 1),
        valid_until: date(2027, 2, 1),
        ..Default::default()
    }
}

async fn count(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_of_each_service_handle_a_batch_exactly_once() {
    let db = TestDb::create().await.expect("database");
    let (mut env, _sim, sim) = support::migrated_with_payer_sim(&db).await;
    env.push((
        "BENEFITS_PAYERS".into(),
        format!(
            r#"[{{"payer_id":"SIMPAYER","name":"SIMULATED HEALTH PLAN","endpoint":"http://{sim}/core/realtime"}}]"#
        ),
    ));
    env.push(("CLAIMS_CLEARINGHOUSE_URL".into(), format!("http://{sim}/core/batch")));
    env.push(("CLAIMS_POLL_SECONDS".into(), "0".into()));

    env.push(("INTAKE_FHIR_ADDR".into(), "127.0.0.1:0".into()));
    env.push(("INTAKE_MLLP_ADDR".into(), "127.0.0.1:0".into()));

    let mut replicas = Vec::new();
    // Each replica prints its metrics and gRPC addresses; intake also its FHIR and MLLP ones.
    for (target, listeners) in [("intake", 4), ("benefits", 2), ("claims", 2)] {
        for _ in 0..REPLICAS {
            replicas.push(support::spawn_until_listening(&["serve", "--target", target], &env, listeners).await.0);
        }
    }

    // Write the batch to intake's outbox as intake's pipeline does; its replicas relay it.
    let started = std::time::Instant::now();
    let intake = rx_platform::db::connect(&db.url_for(INTAKE), INTAKE, 2).await.expect("intake pool");
    let mut ids = Vec::new();
    for _ in 0..PRESCRIPTIONS {
        let id = uuid::Uuid::new_v4();
        ids.push(id);
        let mut tx = rx_platform::tenancy::begin(&intake, CLINIC).await.expect("begin");
        let event = NewEvent {
            routing_key: "prescription.accepted.v1".into(),
            clinic_id: CLINIC.into(),
            payload: accepted(id).encode_to_vec(),
        };
        rx_messaging::outbox::enqueue(&mut tx, &event).await.expect("enqueue");
        tx.commit().await.expect("commit");
    }
    // counted across clinics, as the administrator (row-level security binds the services' roles)
    let benefits = db.inspector(BENEFITS).await.expect("benefits inspector");
    let claims = db.inspector(CLAIMS).await.expect("claims inspector");
    let expected = PRESCRIPTIONS as i64;
    let done = eventually(Duration::from_secs(120), || async {
        let checked =
            count(&benefits, "SELECT count(*) FROM outbox WHERE routing_key = 'eligibility.checked.v1'").await;
        let scopes = count(&claims, "SELECT count(*) FROM prescriptions").await;
        let coverage = count(&claims, "SELECT count(*) FROM coverage_checks").await;
        (checked >= expected && scopes >= expected && coverage >= expected).then_some(())
    })
    .await;
    assert!(done.is_some(), "the replicas did not process the whole batch");
    let all_done_ms = started.elapsed().as_millis();
    // Let any late duplicate show itself before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE routing_key = 'eligibility.checked.v1'")
            .fetch_all(&benefits)
            .await
            .expect("checks");
    let mut checked_ids: Vec<String> = payloads
        .iter()
        .map(|p| EligibilityChecked::decode(p.as_slice()).expect("eligibility event").prescription_id)
        .collect();
    assert_eq!(checked_ids.len(), PRESCRIPTIONS, "eligibility events: a prescription was checked twice or not at all");
    checked_ids.sort();
    checked_ids.dedup();
    assert_eq!(checked_ids.len(), PRESCRIPTIONS, "two eligibility events for one prescription");
    assert_eq!(count(&claims, "SELECT count(*) FROM prescriptions").await, expected);
    assert_eq!(count(&claims, "SELECT count(*) FROM coverage_checks").await, expected);
    // Every message was recorded once in each consuming service's inbox.
    assert_eq!(count(&benefits, "SELECT count(*) FROM inbox").await, expected);
    assert_eq!(count(&claims, "SELECT count(*) FROM inbox").await, 2 * expected);
    // The fault suite's figure line: nothing lost, nothing done twice by competing replicas.
    println!(
        "fault=three_replicas sent={PRESCRIPTIONS} accepted={PRESCRIPTIONS} lost=0 duplicated={} recovered=0 \
         max_delay_ms={all_done_ms} replicas={REPLICAS}",
        payloads.len() - PRESCRIPTIONS
    );

    let unsent = count(&intake, "SELECT count(*) FROM outbox WHERE published_at IS NULL").await;
    assert_eq!(unsent, 0, "intake's relays left events unsent");
    drop(replicas);
}
