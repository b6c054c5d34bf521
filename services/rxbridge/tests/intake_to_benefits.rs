//! From intake to benefits as separate `rxbridge` processes: an HL7 v2 order accepted by
//! intake over gRPC is checked by benefits against `payer-sim` through the CORE connector, and
//! `eligibility.checked.v1` arrives on the broker with the decision and the patient's cost.
//! The order names its payer the way the EHR does (IN1-3 `PAYER01`), which the benefits
//! configuration maps to the connected payer. With the payer failing, the check stays within
//! its retry budget and says `needs_attention`; once the payer recovers, benefits checks again
//! by itself and the prescription comes out `covered`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::print_stdout)] // the canary figure line is part of the report

mod support;

use std::time::Duration;

use lapin::options::{BasicAckOptions, BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use prost::Message;
use rx_messaging::Topology;
use rx_proto::events::v1::{CoverageDecision, EligibilityChecked};
use rx_proto::intake::v1::intake_service_client::IntakeServiceClient;
use rx_proto::intake::v1::{DocumentFormat, PrescriptionStatus, SubmitDocumentRequest};
use rxbridge_tests::db::TestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;

const CLINIC: &str = "clinic-intake-benefits";
const WAIT: Duration = Duration::from_secs(60);

/// A synthetic massage order (ORM^O01) for a payer-sim member, naming the payer as the EHR
/// does: IN1-3 `PAYER01`, IN1-4 the plan name, IN1-36 the member id.
fn order(control: &str, patient: (&str, &str, &str), member: &str) -> Vec<u8> {
    let (family, given, dob) = patient;
    let mut in1 = vec!["IN1", "1", "PPO", "PAYER01", "SYNTHETIC HEALTH PLAN"];
    in1.extend(std::iter::repeat_n("", 31));
    in1.push(member);
    [
        format!("MSH|^~\\&|EHR|SYNTHCLINIC|MASSAGE|SYNTHMT|20261120101500||ORM^O01|{control}|T|2.3"),
        format!("PID|1||{control}^^^SYNTHCLINIC^MR||{family}^{given}||{dob}|M|||9 EXAMPLE AVE^^SPRINGFIELD^IL^62704"),
        in1.join("|"),
        format!(
            "ORC|NW|{control}^EHR|||IP||^2 per week x 4 weeks^^20261123^20261221^R||20261120101500|||1122334455^EXAMPLEDOC^JORDAN^^^^^^NPI"
        ),
        format!("OBR|1|{control}^EHR||97124^MASSAGE THERAPY^C4|||20261120101500"),
        "DG1|1||M54.50^Low back pain, unspecified^I10|||W".to_owned(),
        "NTE|1||Therapeutic massage, lumbar, 60 minutes per session. SYNTHETIC TEST DATA".to_owned(),
    ]
    .join("\r")
    .into_bytes()
}

/// One HTTP/1.1 request to payer-sim's admin API; returns the body.
async fn admin(sim: &str, method: &str, path: &str, body: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(sim).await.expect("payer-sim admin");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {sim}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()
}

async fn payer_requests(sim: &str) -> u64 {
    let stats: serde_json::Value = serde_json::from_str(&admin(sim, "GET", "/admin/stats", "").await).unwrap();
    stats["eligibility_requests"].as_u64().unwrap()
}

/// Every `eligibility.checked.v1` the broker routes in `namespace`, through a private queue.
async fn observe(namespace: &str) -> (lapin::Connection, mpsc::UnboundedReceiver<EligibilityChecked>) {
    let conn = lapin::Connection::connect(&rxbridge_tests::amqp_url(), lapin::ConnectionProperties::default())
        .await
        .expect("amqp");
    let channel = conn.create_channel().await.unwrap();
    let topology = Topology::new(namespace);
    topology.declare_exchanges(&channel).await.unwrap();
    let queue = format!("{namespace}-observer");
    let exclusive = QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() };
    channel.queue_declare(queue.as_str().into(), exclusive, FieldTable::default()).await.unwrap();
    channel
        .queue_bind(
            queue.as_str().into(),
            topology.events_exchange().as_str().into(),
            "eligibility.checked.v1".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut consumer = channel
        .basic_consume(queue.as_str().into(), "observer".into(), BasicConsumeOptions::default(), FieldTable::default())
        .await
        .unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = consumer.next().await {
            let event = EligibilityChecked::decode(delivery.data.as_slice()).expect("eligibility event");
            let _ = delivery.ack(BasicAckOptions::default()).await;
            if tx.send(event).is_err() {
                break;
            }
        }
    });
    (conn, rx)
}

/// The next eligibility event for `prescription_id` (others are dropped).
async fn next_for(
    events: &mut mpsc::UnboundedReceiver<EligibilityChecked>,
    prescription_id: &str,
) -> EligibilityChecked {
    tokio::time::timeout(WAIT, async {
        loop {
            let e = events.recv().await.expect("observer running");
            if e.prescription_id == prescription_id {
                return e;
            }
        }
    })
    .await
    .expect("eligibility.checked.v1 for the prescription")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_order_is_checked_with_the_payer_and_rechecked_after_an_outage() {
    let db = TestDb::create().await.expect("database");
    let (mut env, _sim, sim) = support::migrated_with_payer_sim(&db).await;
    // Two attempts of at most 2 s each per check; rechecks every second while testing.
    env.push((
        "BENEFITS_PAYERS".into(),
        format!(
            r#"[{{"payer_id":"SIMPAYER","name":"SIMULATED HEALTH PLAN","endpoint":"http://{sim}/core/realtime",
                 "aliases":["PAYER01"],"timeout_ms":2000,"max_attempts":2,"backoff_ms":20,"breaker_failures":50}}]"#
        ),
    ));
    env.push(("BENEFITS_RECHECK_SECONDS".into(), "1".into()));
    env.push(("INTAKE_FHIR_ADDR".into(), "127.0.0.1:0".into()));
    env.push(("INTAKE_MLLP_ADDR".into(), "127.0.0.1:0".into()));
    let namespace = env.iter().find(|(k, _)| k == "RXBRIDGE_NAMESPACE").map(|(_, v)| v.clone()).unwrap();
    let (_observer, mut events) = observe(&namespace).await;

    // Everything the services log, at debug level, is searched for patient data at the end.
    env.push(("RUST_LOG".into(), "debug,h2=info,hyper=info,tower=info".into()));
    let (_intake, intake_lines, intake_log) = support::spawn_logged(&["serve", "--target", "intake"], &env, 4).await;
    let (_benefits, benefits_lines, benefits_log) =
        support::spawn_logged(&["serve", "--target", "benefits"], &env, 2).await;
    let grpc = intake_lines
        .iter()
        .find_map(|l| l.split_once("intake grpc listening on ").map(|(_, a)| a.to_owned()))
        .expect("intake gRPC address");
    let mut intake = IntakeServiceClient::connect(format!("http://{grpc}")).await.expect("intake client");
    let submit = |content: Vec<u8>, key: &str| {
        let mut r = tonic::Request::new(SubmitDocumentRequest {
            content,
            format: DocumentFormat::Hl7v2.into(),
            idempotency_key: key.into(),
            source_label: "ehr feed".into(),
        });
        r.metadata_mut().insert("x-clinic-id", CLINIC.parse().unwrap());
        r
    };

    // 1. A covered member with coinsurance 20 % and 200.00 of deductible left.
    let order1 = order("RX0101", ("SAMPLEPERSON", "JORDAN", "19750930"), "SIM100002");
    let rx = intake.submit_document(submit(order1, "rx-0101")).await.unwrap().into_inner().prescription.unwrap();
    assert_eq!(rx.status(), PrescriptionStatus::Accepted, "{:?}", rx.review_reasons);
    let checked = next_for(&mut events, &rx.id).await;
    assert_eq!(checked.decision(), CoverageDecision::Covered, "{checked:?}");
    assert_eq!(checked.payer_id, "SIMPAYER", "the document's PAYER01 is the configured SIMPAYER");
    assert_eq!(checked.patient_id, rx.patient_id);
    assert_eq!(checked.visits_remaining, Some(28));
    // 60 minutes = 4 units of 97124 at 40.00 = 160.00 a session, 8 sessions: the first
    // session goes to the deductible (160.00), the second pays its last 40.00 plus 20 % of
    // 120.00, the other six 20 % of 160.00: 160.00 + 64.00 + 6 x 32.00 = 416.00.
    let money = |m: Option<&rx_proto::common::v1::Money>| m.map(|m| m.amount.clone());
    assert_eq!(money(checked.estimated_patient_cost_per_session.as_ref()).as_deref(), Some("160.00"));
    assert_eq!(money(checked.estimated_patient_cost_total.as_ref()).as_deref(), Some("416.00"));

    // 2. The payer answers 503: two attempts, then needs_attention without blocking the queue.
    admin(&sim, "POST", "/admin/faults", r#"{"mode":"http_503","latency_ms":0}"#).await;
    let before = payer_requests(&sim).await;
    let order2 = order("RX0102", ("TESTPATIENT", "ALEX", "19800412"), "SIM100001");
    let rx2 = intake.submit_document(submit(order2, "rx-0102")).await.unwrap().into_inner().prescription.unwrap();
    assert_eq!(rx2.status(), PrescriptionStatus::Accepted, "{:?}", rx2.review_reasons);
    let down = next_for(&mut events, &rx2.id).await;
    assert_eq!(down.decision(), CoverageDecision::NeedsAttention, "{down:?}");
    assert_eq!(down.attention_reason, "payer_unavailable");
    assert!(down.estimated_patient_cost_per_session.is_none());
    // The first check made exactly its two attempts; rechecks each make at most two more.
    let attempts = payer_requests(&sim).await - before;
    assert!((2..=2 + 2 * 3).contains(&attempts), "{attempts} payer requests for one check and its rechecks");

    // 3. The payer recovers: benefits asks again by itself and publishes the answer.
    admin(&sim, "POST", "/admin/faults", r#"{"mode":"none","latency_ms":0}"#).await;
    let up = next_for(&mut events, &rx2.id).await;
    assert_eq!(up.decision(), CoverageDecision::Covered, "{up:?}");
    assert_eq!(money(up.estimated_patient_cost_per_session.as_ref()).as_deref(), Some("25.00"), "the copay");
    assert!(up.checked_at > down.checked_at);

    // The PHI canary: no name, birth date, member id or street of these synthetic patients in
    // any log line, or in any metric (name, label or value) the services expose.
    let metrics = |lines: &[String]| {
        lines.iter().find_map(|l| l.strip_prefix("metrics listening on ").map(str::to_owned)).expect("metrics")
    };
    let mut exposed = String::new();
    for addr in [metrics(&intake_lines), metrics(&benefits_lines)] {
        exposed.push_str(&admin(&addr, "GET", "/metrics", "").await);
    }
    let logs: Vec<String> = [intake_log, benefits_log].iter().flat_map(|l| l.lock().unwrap().clone()).collect();
    assert!(logs.len() > 50, "the services logged ({} lines)", logs.len());
    let canaries =
        ["SAMPLEPERSON", "TESTPATIENT", "19750930", "1975-09-30", "19800412", "1980-04-12", "SIM100001", "SIM100002"];
    for canary in canaries.iter().chain(&["9 EXAMPLE AVE"]) {
        let hits: Vec<&String> = logs.iter().filter(|l| l.contains(canary)).collect();
        assert!(hits.is_empty(), "{canary} in the logs: {:?}", hits.first());
        assert!(!exposed.contains(canary), "{canary} in the metrics");
    }
    println!("phi_canary log_lines={} metrics_bytes={} hits=0", logs.len(), exposed.len());
}
