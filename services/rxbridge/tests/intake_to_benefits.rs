//! From intake to benefits as separate `rxbridge` processes: an HL7 v2 order accepted by
//! intake over gRPC is checked by benefits against `payer-sim` through the CORE connector, and
//! `eligibility.checked.v1` arrives on the broker with the decision and the patient's cost.
//! The order names its payer the way the EHR does (IN1-3 `PAYER01`), which the benefits
//! configuration maps to the connected payer. With the payer failing, the check stays within
//! its retry budget and says `needs_attention`; once the payer recovers, benefits checks again
//! by itself and the prescription comes out `covered`.
//!
//! Then the PHI canary: a patient with unique synthetic values goes through the same flow, through
//! failing gRPC calls and into benefits' dead-letter queue, and none of its values (nor those of
//! the other patients) may appear in any log line, span, metric, gRPC error, dead letter (as
//! `rxbridge ops dlq list` shows it and as the broker holds it), event header or routing key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::print_stdout)] // the canary figure line is part of the report

mod support;

use std::time::Duration;

use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use prost::Message;
use rx_messaging::Topology;
use rx_proto::benefits::v1::benefits_service_client::BenefitsServiceClient;
use rx_proto::benefits::v1::{Coverage, Relationship, UpsertCoverageRequest};
use rx_proto::common::v1::{Date, PersonName};
use rx_proto::events::v1::{CoverageDecision, CoverageHint, EligibilityChecked, EventMeta, PrescriptionAccepted};
use rx_proto::intake::v1::intake_service_client::IntakeServiceClient;
use rx_proto::intake::v1::{DocumentFormat, GetPrescriptionRequest, PrescriptionStatus, SubmitDocumentRequest};
use rxbridge_tests::db::TestDb;
use support::canary;
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

/// What the observer saw of each event (routing key, properties, headers; not the payload).
type Seen = std::sync::Arc<std::sync::Mutex<Vec<Vec<String>>>>;

/// Every event the broker routes in `namespace`, through a private queue bound to all routing
/// keys: each event's routing key and headers are kept for the canary, and each
/// `eligibility.checked.v1` is passed on.
async fn observe(namespace: &str) -> (lapin::Connection, mpsc::UnboundedReceiver<EligibilityChecked>, Seen) {
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
            "#".into(),
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
    let seen = Seen::default();
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = consumer.next().await {
            let key = delivery.routing_key.as_str();
            kept.lock().unwrap().push(canary::delivery_strings(key, delivery.exchange.as_str(), &delivery.properties));
            let checked = (key == "eligibility.checked.v1")
                .then(|| EligibilityChecked::decode(delivery.data.as_slice()).expect("eligibility event"));
            let _ = delivery.ack(BasicAckOptions::default()).await;
            if checked.is_some_and(|event| tx.send(event).is_err()) {
                break;
            }
        }
    });
    (conn, rx, seen)
}

/// Publishes `payload` as `prescription.accepted.v1` straight to the events exchange, as a
/// broken producer would, and waits for the broker's confirm.
async fn publish_accepted(namespace: &str, message_id: &str, payload: Vec<u8>) {
    let conn = lapin::Connection::connect(&rxbridge_tests::amqp_url(), lapin::ConnectionProperties::default())
        .await
        .expect("amqp");
    let channel = conn.create_channel().await.unwrap();
    channel.confirm_select(ConfirmSelectOptions::default()).await.unwrap();
    let mut headers = FieldTable::default();
    headers.insert("clinic_id".into(), AMQPValue::LongString(LongString::from(CLINIC)));
    let properties = lapin::BasicProperties::default()
        .with_message_id(message_id.into())
        .with_type("prescription.accepted.v1".into())
        .with_content_type("application/x-protobuf".into())
        .with_headers(headers);
    let exchange = Topology::new(namespace).events_exchange();
    let confirm = channel
        .basic_publish(
            exchange.as_str().into(),
            "prescription.accepted.v1".into(),
            BasicPublishOptions::default(),
            &payload,
            properties,
        )
        .await
        .unwrap();
    assert!(confirm.await.unwrap().is_ack(), "the broker took the message");
    let _ = conn.close(200, "done".into()).await;
}

/// A gRPC error as a client sees it: code, message, metadata and details.
fn error_text(status: &tonic::Status) -> String {
    let details = String::from_utf8_lossy(status.details());
    format!("{:?} {} {:?} {details}", status.code(), status.message(), status.metadata())
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
    let (_observer, mut events, published) = observe(&namespace).await;
    // Every span both services make is exported to this collector and searched at the end;
    // exports are frequent and the queue large, so no span is dropped unseen.
    let (collector, otlp) = canary::Collector::start().await;
    env.push(("OTEL_EXPORTER_OTLP_ENDPOINT".into(), otlp));
    env.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "200".into()));
    env.push(("OTEL_BSP_MAX_QUEUE_SIZE".into(), "65536".into()));

    // Everything the services log, at debug level, is searched for patient data at the end.
    env.push(("RUST_LOG".into(), "debug,h2=info,hyper=info,tower=info".into()));
    let (mut intake_proc, intake_lines, intake_log) =
        support::spawn_logged(&["serve", "--target", "intake"], &env, 4).await;
    let (mut benefits_proc, benefits_lines, benefits_log) =
        support::spawn_logged(&["serve", "--target", "benefits"], &env, 2).await;
    let grpc = intake_lines
        .iter()
        .find_map(|l| l.split_once("intake grpc listening on ").map(|(_, a)| a.to_owned()))
        .expect("intake gRPC address");
    let mut intake = IntakeServiceClient::connect(format!("http://{grpc}")).await.expect("intake client");
    let submit_as = |format: DocumentFormat, content: Vec<u8>, key: &str| {
        let mut r = tonic::Request::new(SubmitDocumentRequest {
            content,
            format: format.into(),
            idempotency_key: key.into(),
            source_label: "ehr feed".into(),
        });
        r.metadata_mut().insert("x-clinic-id", CLINIC.parse().unwrap());
        r
    };
    let submit = |content: Vec<u8>, key: &str| submit_as(DocumentFormat::Hl7v2, content, key);

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

    // 4. The canary patient: values drawn for this run only, through the same flow (the payer
    // does not know the member, so benefits answers needs_attention)...
    let patient = canary::Patient::new();
    let birth = patient.birth_compact();
    let person = (patient.family.as_str(), patient.given.as_str(), birth.as_str());
    let order3 = order("RX0103", person, &patient.member_id);
    let rx3 =
        intake.submit_document(submit(order3.clone(), "rx-0103")).await.unwrap().into_inner().prescription.unwrap();
    assert_eq!(rx3.status(), PrescriptionStatus::Accepted, "{:?}", rx3.review_reasons);
    let unknown = next_for(&mut events, &rx3.id).await;
    assert_eq!(unknown.decision(), CoverageDecision::NeedsAttention, "{unknown:?}");

    // ...through gRPC calls that fail while carrying it: an HL7 order cut after IN1, a FHIR
    // Bundle holding only the Patient, its prescription read by another clinic...
    let mut errors = Vec::new();
    let cut: Vec<&[u8]> = order3.split(|b| *b == b'\r').take(3).collect();
    let cut = cut.join(&b'\r');
    let bundle = serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Patient", "name": [{"family": patient.family, "given": [patient.given]}],
        "birthDate": patient.birth_iso(), "identifier": [{"value": patient.member_id}]}}]});
    for (format, content, key) in [
        (DocumentFormat::Hl7v2, cut, "rx-0103-cut"),
        (DocumentFormat::FhirR4, serde_json::to_vec(&bundle).unwrap(), "rx-0103-patient"),
    ] {
        assert!(String::from_utf8_lossy(&content).contains(&patient.family), "the request carries the canary");
        let status = intake.submit_document(submit_as(format, content, key)).await.expect_err("unreadable");
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
        errors.push(error_text(&status));
    }
    let mut elsewhere = tonic::Request::new(GetPrescriptionRequest { prescription_id: rx3.id.clone() });
    elsewhere.metadata_mut().insert("x-clinic-id", "clinic-other".parse().unwrap());
    let status = intake.get_prescription(elsewhere).await.expect_err("another clinic's prescription");
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    errors.push(error_text(&status));
    // Benefits too: the patient's coverage with a birth date no calendar has.
    let grpc = benefits_lines
        .iter()
        .find_map(|l| l.split_once("benefits grpc listening on ").map(|(_, a)| a.to_owned()))
        .expect("benefits gRPC address");
    let mut benefits = BenefitsServiceClient::connect(format!("http://{grpc}")).await.expect("benefits client");
    let mut coverage = tonic::Request::new(UpsertCoverageRequest {
        coverage: Some(Coverage {
            patient_id: rx3.patient_id.clone(),
            payer_id: "SIMPAYER".into(),
            member_id: patient.member_id.clone(),
            relationship: Relationship::Subscriber.into(),
            patient_name: Some(PersonName { family: patient.family.clone(), given: patient.given.clone() }),
            patient_birth_date: Some(Date { year: patient.birth.0, month: 2, day: 31 }),
            ..Default::default()
        }),
    });
    coverage.metadata_mut().insert("x-clinic-id", CLINIC.parse().unwrap());
    let status = benefits.upsert_coverage(coverage).await.expect_err("no such date");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    errors.push(error_text(&status));

    // ...and into benefits' dead-letter queue: a broken producer's prescription.accepted.v1
    // names the patient but has no valid prescription id, so benefits rejects it as poison.
    let poison_id = uuid::Uuid::new_v4().to_string();
    let (year, month, day) = patient.birth;
    let poison = PrescriptionAccepted {
        meta: Some(EventMeta {
            event_id: poison_id.clone(),
            clinic_id: CLINIC.into(),
            occurred_at: "2026-11-20T10:15:00Z".into(),
        }),
        prescription_id: "not-a-uuid".into(),
        patient_id: rx3.patient_id.clone(),
        patient_name: Some(PersonName { family: patient.family.clone(), given: patient.given.clone() }),
        patient_birth_date: Some(Date { year, month, day }),
        coverage: Some(CoverageHint {
            payer_id: "PAYER01".into(),
            member_id: patient.member_id.clone(),
            ..Default::default()
        }),
        procedures: vec!["97124".into()],
        sessions: 8,
        ..Default::default()
    };
    publish_accepted(&namespace, &poison_id, poison.encode_to_vec()).await;
    // As operators see it: `rxbridge ops dlq list` (ids, routing keys, deaths, reasons).
    let listed = rxbridge_tests::eventually(WAIT, || {
        let (env, poison_id) = (env.clone(), poison_id.clone());
        async move {
            let out = support::rxbridge().args(["ops", "dlq", "list", "--target", "benefits"]).envs(env).output().await;
            let out = out.expect("ops dlq list");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            lines.iter().any(|l| l.contains(&poison_id)).then_some(lines)
        }
    })
    .await
    .expect("the canary event in benefits' dead-letter queue");
    let letter: serde_json::Value =
        serde_json::from_str(listed.iter().find(|l| l.contains(&poison_id)).unwrap()).expect("json line");
    assert_eq!(letter["routing_key"], "prescription.accepted.v1", "{letter}");
    assert_eq!(letter["reason"], "rejected", "{letter}");
    assert!(letter["death_count"].as_u64() >= Some(1), "{letter}");
    // As the broker holds it: every header (x-death included) and routing key of every dead
    // letter, read without taking them off the queue.
    let conn = lapin::Connection::connect(&rxbridge_tests::amqp_url(), lapin::ConnectionProperties::default())
        .await
        .expect("amqp");
    let dead = canary::peek(&conn, &Topology::new(&namespace).dead_letter_queue("benefits")).await;
    let _ = conn.close(200, "done".into()).await;
    let ours = dead
        .iter()
        .find(|m| m.properties.message_id().as_ref().is_some_and(|id| id.as_str() == poison_id))
        .expect("the canary event on the broker");
    // The payload does name the patient, so a header copying it would be found.
    assert!(String::from_utf8_lossy(&ours.data).contains(&patient.family), "the payload carries the canary");
    let mut dead_strings = Vec::new();
    for m in &dead {
        dead_strings.extend(canary::delivery_strings(m.routing_key.as_str(), m.exchange.as_str(), &m.properties));
    }
    assert!(dead_strings.iter().any(|s| s == "x-death"), "the death records were read: {dead_strings:?}");
    assert!(dead_strings.iter().any(|s| s == "prescription.accepted.v1"), "their routing keys were read");

    // The PHI canary: no name, birth date, member id or street of these synthetic patients in
    // any log line, metric (name, label or value), span, gRPC error, dead letter, or header or
    // routing key of any event the flow published.
    let metrics = |lines: &[String]| {
        lines.iter().find_map(|l| l.strip_prefix("metrics listening on ").map(str::to_owned)).expect("metrics")
    };
    let mut exposed = String::new();
    for addr in [metrics(&intake_lines), metrics(&benefits_lines)] {
        exposed.push_str(&admin(&addr, "GET", "/metrics", "").await);
    }
    assert!(exposed.contains("service=\"intake\""), "intake's metrics");
    assert!(exposed.contains("service=\"benefits\""), "benefits' metrics");
    // SIGTERM lets both services flush their last spans to the collector before they exit.
    for proc in [&mut intake_proc, &mut benefits_proc] {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(proc.id().expect("running")).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("sigterm");
        let status = tokio::time::timeout(WAIT, proc.wait()).await.expect("exit after SIGTERM").unwrap();
        assert!(status.success(), "exit status after SIGTERM: {status}");
    }
    let logs: Vec<String> = [intake_log, benefits_log].iter().flat_map(|l| l.lock().unwrap().clone()).collect();
    assert!(logs.len() > 50, "the services logged ({} lines)", logs.len());
    // Log lines carry the current span and its fields (`with_current_span`), e.g. intake's
    // submit span and its `channel`: the log search sees span fields too.
    let in_span =
        |l: &String| serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["span"]["channel"].is_string());
    assert!(logs.iter().any(in_span), "log lines carry span fields");
    // The collector sees every span, also those that logged nothing, with their events.
    let dropped = logs.iter().find(|l| l.contains("SpanDropping"));
    assert!(dropped.is_none(), "the exporter dropped spans: {dropped:?}");
    let spans = collector.spans();
    for service in ["rxbridge-intake", "rxbridge-benefits"] {
        assert!(spans.iter().any(|s| s.service == service), "spans of {service}");
    }
    assert!(spans.iter().any(|s| s.attributes.iter().any(|a| a.starts_with("channel="))), "intake's submit span");
    let consumed = format!("messaging.message_id={poison_id}");
    assert!(spans.iter().any(|s| s.attributes.contains(&consumed)), "benefits' span for the dead-lettered event");
    let span_text: Vec<String> =
        spans.iter().flat_map(|s| std::iter::once(s.name.clone()).chain(s.attributes.iter().cloned())).collect();
    let events_seen = published.lock().unwrap().clone();
    let keys: Vec<&str> = events_seen.iter().map(|e| e[0].as_str()).collect();
    assert!(keys.contains(&"prescription.accepted.v1") && keys.contains(&"eligibility.checked.v1"), "{keys:?}");
    let event_strings: Vec<String> = events_seen.concat();

    let fixed =
        ["SAMPLEPERSON", "TESTPATIENT", "19750930", "1975-09-30", "19800412", "1980-04-12", "SIM100001", "SIM100002"];
    let needles: Vec<String> =
        fixed.iter().chain(&["9 EXAMPLE AVE"]).map(|s| (*s).to_owned()).chain(patient.needles()).collect();
    let sources: [(&str, &[String]); 7] = [
        ("a log line", &logs),
        ("the metrics", std::slice::from_ref(&exposed)),
        ("a span", &span_text),
        ("a gRPC error", &errors),
        ("ops dlq list", &listed),
        ("a dead letter's headers", &dead_strings),
        ("an event's headers", &event_strings),
    ];
    for needle in &needles {
        for (place, texts) in &sources {
            let hit = texts.iter().find(|t| t.contains(needle.as_str()));
            assert!(hit.is_none(), "{needle} in {place}: {hit:?}");
        }
    }
    println!(
        "phi_canary log_lines={} metrics_bytes={} spans={} span_attributes={} grpc_errors={} dead_letters={} \
         dead_letter_header_values={} events={} event_header_values={} routing_keys={} hits=0",
        logs.len(),
        exposed.len(),
        spans.len(),
        spans.iter().map(|s| s.attributes.len()).sum::<usize>(),
        errors.len(),
        dead.len(),
        dead_strings.len(),
        events_seen.len(),
        event_strings.len(),
        events_seen.len() + dead.len(),
    );
    rxbridge_tests::delete_namespace(&namespace, &["benefits", "claims"]).await;
}
