//! The consumer against the real Postgres and RabbitMQ and the in-process payer simulator: an
//! accepted prescription in, `eligibility.checked.v1` out (read from benefits' outbox) with the
//! right decision and estimate; payer faults end in `needs_attention` within the retry budget
//! and recover on the next check; a redelivered message is recorded and published once.

mod support;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use prost::Message;
use rx_benefits::App;
use rx_messaging::{Consumer, ConsumerConfig, Topology};
use rx_proto::common::v1::{Date, PersonName};
use rx_proto::events::v1::{CoverageDecision, CoverageHint, EligibilityChecked, EventMeta, PrescriptionAccepted};
use rxbridge_tests::{amqp_url, eventually, unique_namespace};
use sqlx::PgPool;
use support::*;
use uuid::Uuid;

const CLINIC: &str = "clinic-test";

struct Flow {
    h: Harness,
    topology: Topology,
}

async fn flow(payer: impl FnOnce(std::net::SocketAddr) -> rx_benefits::config::PayerConfig) -> Flow {
    let h = harness().await;
    let app: App = support::app(&h, payer(h.sim));
    let topology = Topology::new(unique_namespace());
    let consumer = Consumer::new(
        h.pool.clone(),
        topology.clone(),
        ConsumerConfig {
            service: "benefits".into(),
            spec: rx_benefits::consumer_spec(5),
            amqp_url: amqp_url(),
            prefetch: 4,
            transient_attempts: 3,
            batch: 1,
        },
        rx_benefits::events::PrescriptionAcceptedHandler::new(app),
    );
    tokio::spawn(consumer.run(h.shutdown.clone()));
    Flow { h, topology }
}

fn accepted(
    member_id: &str,
    birth: (i32, i32, i32),
    procedures: &[&str],
    minutes: u32,
    sessions: u32,
) -> PrescriptionAccepted {
    PrescriptionAccepted {
        meta: Some(EventMeta {
            event_id: Uuid::new_v4().to_string(),
            clinic_id: CLINIC.into(),
            occurred_at: String::new(),
        }),
        prescription_id: Uuid::new_v4().to_string(),
        patient_id: Uuid::new_v4().to_string(),
        patient_name: Some(PersonName { family: "TESTPATIENT".into(), given: "ALEX".into() }),
        patient_birth_date: Some(Date { year: birth.0, month: birth.1, day: birth.2 }),
        coverage: Some(CoverageHint {
            payer_id: "SIMPAYER".into(),
            payer_name: "SIMULATED HEALTH PLAN".into(),
            member_id: member_id.into(),
            relationship: "subscriber".into(),
        }),
        procedures: procedures.iter().map(|p| (*p).to_owned()).collect(),
        sessions,
        minutes_per_session: minutes,
        ..Default::default()
    }
}

/// Publishes straight to the exchange (declaring the queue first), as intake's relay would.
async fn publish(topology: &Topology, message_id: &str, event: &PrescriptionAccepted) {
    let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.expect("connect broker");
    let channel = conn.create_channel().await.expect("channel");
    topology.declare_exchanges(&channel).await.expect("exchanges");
    topology.declare_consumer(&channel, &rx_benefits::consumer_spec(5)).await.expect("queue");
    channel.confirm_select(ConfirmSelectOptions::default()).await.expect("confirms");
    let mut headers = FieldTable::default();
    headers.insert("clinic_id".into(), lapin::types::AMQPValue::LongString(CLINIC.into()));
    channel
        .basic_publish(
            topology.events_exchange().into(),
            rx_benefits::events::PRESCRIPTION_ACCEPTED.into(),
            BasicPublishOptions::default(),
            &event.encode_to_vec(),
            BasicProperties::default().with_message_id(message_id.into()).with_headers(headers),
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
    let _ = conn.close(200, "done".into()).await;
}

/// The `eligibility.checked.v1` events in benefits' outbox for a prescription.
async fn checked(pool: &PgPool, prescription_id: &str) -> Vec<EligibilityChecked> {
    let rows: Vec<Vec<u8>> = sqlx::query_scalar("SELECT payload FROM outbox WHERE routing_key = $1 ORDER BY id")
        .bind(rx_benefits::events::ELIGIBILITY_CHECKED)
        .fetch_all(pool)
        .await
        .expect("outbox rows");
    rows.iter()
        .filter_map(|p| EligibilityChecked::decode(p.as_slice()).ok())
        .filter(|e| e.prescription_id == prescription_id)
        .collect()
}

async fn run(f: &Flow, event: &PrescriptionAccepted) -> EligibilityChecked {
    publish(&f.topology, &Uuid::new_v4().to_string(), event).await;
    let pool = f.h.inspect.clone();
    let id = event.prescription_id.clone();
    eventually(WAIT, || async { checked(&pool, &id).await.into_iter().next() })
        .await
        .expect("no eligibility.checked.v1 was written for the prescription")
}

fn amount(m: &Option<rx_proto::common::v1::Money>) -> Option<&str> {
    m.as_ref().map(|m| m.amount.as_str())
}

#[tokio::test]
async fn an_accepted_prescription_is_checked_and_answered_with_an_estimate() {
    let f = flow(payer).await;
    // SIM100001: copay 25, deductible met, 12 visits left. 97124 for 30 minutes = 2 units of 40.
    let event = accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 6);
    let out = run(&f, &event).await;
    assert_eq!(out.decision(), CoverageDecision::Covered);
    assert_eq!(out.attention_reason, "");
    assert_eq!(out.visits_remaining, Some(12));
    assert_eq!(amount(&out.estimated_patient_cost_per_session), Some("25.00"));
    assert_eq!(amount(&out.estimated_patient_cost_total), Some("150.00"));
    assert_eq!(out.payer_id, "SIMPAYER");
    assert_eq!(out.patient_id, event.patient_id);
    assert!(time::OffsetDateTime::parse(&out.checked_at, &time::format_description::well_known::Rfc3339).is_ok());

    let pool = &f.h.inspect;
    assert_eq!(count(pool, "SELECT count(*) FROM x12_artifacts WHERE kind = '270'").await, 1);
    assert_eq!(count(pool, "SELECT count(*) FROM x12_artifacts WHERE kind = '271'").await, 1);
    let x271 = stored_x12(&f.h, "271").await.remove(0);
    assert!(x271.starts_with("ISA") && x271.contains("EB*B*IND*AE"), "the raw 271 is stored as received");
    let linked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM eligibility_checks c JOIN prescriptions_seen p USING (clinic_id, prescription_id)
         WHERE c.decision = 'covered' AND p.sessions = 6",
    )
    .fetch_one(pool)
    .await
    .expect("linked check");
    assert_eq!(linked, 1);
    assert_eq!(count(pool, "SELECT count(*) FROM coverages WHERE member_id = 'SIM100001'").await, 1);
}

#[tokio::test]
async fn plan_figures_drive_decisions_and_the_deductible_drains_first() {
    let f = flow(payer).await;
    // SIM100002: 20 % after a deductible with 200 left; 80 per session.
    let out = run(&f, &accepted("SIM100002", (1975, 9, 30), &["97124"], 30, 4)).await;
    assert_eq!(out.decision(), CoverageDecision::Covered);
    assert_eq!(amount(&out.estimated_patient_cost_per_session), Some("80.00"));
    // 80 + 80 + (40 + 8) + 16
    assert_eq!(amount(&out.estimated_patient_cost_total), Some("224.00"));

    let out = run(&f, &accepted("SIM100003", (1990, 1, 1), &["97124"], 30, 2)).await;
    assert_eq!(out.decision(), CoverageDecision::PriorAuthRequired);

    let out = run(&f, &accepted("SIM100004", (1966, 6, 6), &["97124"], 30, 2)).await;
    assert_eq!(out.decision(), CoverageDecision::NotCovered);
    assert_eq!(amount(&out.estimated_patient_cost_total), Some("160.00"), "not covered: the patient pays all");

    let out = run(&f, &accepted("NOSUCHMEMBER", (1966, 6, 6), &["97124"], 30, 2)).await;
    assert_eq!(out.decision(), CoverageDecision::NeedsAttention);
    assert_eq!(out.attention_reason, "member_not_found");
    assert_eq!(out.estimated_patient_cost_total, None);
}

#[tokio::test]
async fn an_unavailable_payer_gives_needs_attention_within_budget_then_recovers() {
    let f = flow(payer).await;
    set_fault(f.h.sim, r#"{"mode": "http_503"}"#).await;
    let before = sim_requests(f.h.sim).await;
    let out = run(&f, &accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 6)).await;
    assert_eq!(out.decision(), CoverageDecision::NeedsAttention);
    assert_eq!(out.attention_reason, "payer_unavailable");
    assert_eq!(sim_requests(f.h.sim).await - before, 3, "three attempts, the retry budget");
    assert_eq!(count(&f.h.inspect, "SELECT count(*) FROM x12_artifacts WHERE kind = '270'").await, 3);
    assert_eq!(count(&f.h.inspect, "SELECT count(*) FROM x12_artifacts WHERE kind = '271'").await, 0);

    // The payer recovers: the next check is answered (a failed answer is never cached).
    set_fault(f.h.sim, r#"{"mode": "none"}"#).await;
    let mut again = accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 6);
    again.patient_id = out.patient_id.clone();
    let out = run(&f, &again).await;
    assert_eq!(out.decision(), CoverageDecision::Covered);
}

#[tokio::test]
async fn a_payer_that_hangs_times_out_within_budget() {
    let f = flow(|sim| {
        let mut p = payer(sim);
        p.timeout_ms = 300;
        p
    })
    .await;
    set_fault(f.h.sim, r#"{"mode": "timeout"}"#).await;
    let before = sim_requests(f.h.sim).await;
    let out = run(&f, &accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 6)).await;
    assert_eq!(out.decision(), CoverageDecision::NeedsAttention);
    assert_eq!(out.attention_reason, "payer_unavailable");
    assert_eq!(sim_requests(f.h.sim).await - before, 3);
}

#[tokio::test]
async fn aaa42_is_retried_and_every_271_is_kept() {
    let f = flow(payer).await;
    set_fault(f.h.sim, r#"{"mode": "aaa42"}"#).await;
    let out = run(&f, &accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 6)).await;
    assert_eq!(out.decision(), CoverageDecision::NeedsAttention);
    assert_eq!(out.attention_reason, "payer_unavailable");
    assert_eq!(count(&f.h.inspect, "SELECT count(*) FROM x12_artifacts WHERE kind = '271'").await, 3);
}

#[tokio::test]
async fn a_malformed_answer_needs_attention_without_retrying() {
    let f = flow(payer).await;
    set_fault(f.h.sim, r#"{"mode": "malformed", "count": 1}"#).await;
    let before = sim_requests(f.h.sim).await;
    let out = run(&f, &accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 6)).await;
    assert_eq!(out.decision(), CoverageDecision::NeedsAttention);
    assert_eq!(out.attention_reason, "payer_response_unreadable");
    assert_eq!(sim_requests(f.h.sim).await - before, 1);
}

#[tokio::test]
async fn a_redelivered_prescription_is_recorded_and_published_once() {
    let f = flow(payer).await;
    let event = accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 6);
    let message_id = Uuid::new_v4().to_string();
    publish(&f.topology, &message_id, &event).await;
    let pool = f.h.inspect.clone();
    let id = event.prescription_id.clone();
    assert!(eventually(WAIT, || async { checked(&pool, &id).await.into_iter().next() }).await.is_some());
    publish(&f.topology, &message_id, &event).await;
    let drained = eventually(WAIT, || async {
        let conn = Connection::connect(&amqp_url(), ConnectionProperties::default()).await.ok()?;
        let channel = conn.create_channel().await.ok()?;
        let depth = f.topology.depth(&channel, &f.topology.queue("benefits")).await.ok();
        let _ = conn.close(200, "done".into()).await;
        (depth == Some(0)).then_some(())
    })
    .await;
    assert!(drained.is_some(), "the duplicate was not consumed");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(checked(&pool, &id).await.len(), 1, "one event per message");
    assert_eq!(count(&pool, "SELECT count(*) FROM eligibility_checks").await, 1);
}

fn event(payload: Vec<u8>) -> rx_messaging::Event {
    rx_messaging::Event {
        id: Uuid::now_v7().to_string(),
        routing_key: rx_benefits::events::PRESCRIPTION_ACCEPTED.into(),
        clinic_id: CLINIC.into(),
        payload,
        headers: Default::default(),
        redelivered: false,
    }
}

#[tokio::test]
async fn a_batch_gives_each_prescription_its_own_answer_and_a_poison_one_writes_nothing() {
    use rx_messaging::Handler;
    let h = harness().await;
    let handler = rx_benefits::events::PrescriptionAcceptedHandler::new(support::app(&h, payer(h.sim)));
    let mut uncovered = accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 2);
    uncovered.coverage = None;
    // (event, decision, cost per session): payer answers, one for a member the payer does not
    // know, and one naming no coverage (nothing to ask)
    let expected = [
        (accepted("SIM100001", (1980, 4, 12), &["97124"], 30, 6), CoverageDecision::Covered, Some("25.00")),
        (accepted("SIM100003", (1990, 1, 1), &["97124"], 30, 2), CoverageDecision::PriorAuthRequired, Some("40.00")),
        (accepted("SIM100004", (1966, 6, 6), &["97124"], 30, 2), CoverageDecision::NotCovered, Some("80.00")),
        (accepted("NOSUCHMEMBER", (1966, 6, 6), &["97124"], 30, 2), CoverageDecision::NeedsAttention, None),
        (uncovered, CoverageDecision::NeedsAttention, None),
    ];
    let events: Vec<_> = expected.iter().map(|(a, ..)| event(a.encode_to_vec())).collect();
    let spans: Vec<_> = events.iter().map(|e| (e, tracing::Span::none())).collect();
    let asked_before = sim_requests(h.sim).await;
    let mut tx = rx_platform::tenancy::begin(&h.pool, CLINIC).await.expect("begin");
    handler.handle_all(&mut tx, &spans).await.expect("the batch is applied");
    tx.commit().await.expect("commit");

    assert_eq!(sim_requests(h.sim).await - asked_before, 4, "one payer call per coverage, none without one");
    for (a, decision, per_session) in &expected {
        let out = checked(&h.inspect, &a.prescription_id).await;
        assert_eq!(out.len(), 1, "one eligibility.checked.v1 per prescription");
        assert_eq!((out[0].decision(), amount(&out[0].estimated_patient_cost_per_session)), (*decision, *per_session));
        assert_eq!(out[0].patient_id, a.patient_id);
    }
    assert_eq!(checked(&h.inspect, &expected[4].0.prescription_id).await[0].attention_reason, "coverage_missing");

    // a batch with an undecodable message fails whole: the consumer then goes one by one
    let good = accepted("SIM100002", (1975, 9, 30), &["97124"], 30, 4);
    let events = [event(good.encode_to_vec()), event(b"\xffnot protobuf".to_vec())];
    let spans: Vec<_> = events.iter().map(|e| (e, tracing::Span::none())).collect();
    let mut tx = rx_platform::tenancy::begin(&h.pool, CLINIC).await.expect("begin");
    let failed = handler.handle_all(&mut tx, &spans).await;
    assert!(matches!(failed, Err(rx_messaging::HandlerError::Poison(_))), "{failed:?}");
    drop(tx);
    assert!(checked(&h.inspect, &good.prescription_id).await.is_empty(), "nothing of a failed batch is written");
}
