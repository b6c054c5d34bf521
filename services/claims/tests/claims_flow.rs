//! The claims service end to end over real Postgres, RabbitMQ and the payer simulator: events
//! in through the broker, sessions recorded over gRPC, 837Ps sent to the simulated
//! clearinghouse, and its 999/277CA/835 fetched and applied by the poller.
//!
//! Set `DUMP_837_DIR` to write every 837P these tests send into that directory (for x12valid).

use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use rx_claims::clearinghouse::CoreHttp;
use rx_claims::config::Settings;
use rx_claims::{ClaimsApp, events};
use rx_messaging::{NewEvent, Relay, RelayConfig, Topology, Workers};
use rx_proto::claims::v1::claims_service_client::ClaimsServiceClient;
use rx_proto::claims::v1::*;
use rx_proto::common::v1 as common;
use rx_proto::events::v1::{
    CoverageDecision, CoverageHint, EligibilityChecked, EventMeta, PostalAddress, PrescriptionAccepted,
};
use rxbridge_tests::db::TestDb;
use rxbridge_tests::{amqp_url, eventually, unique_namespace};
use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Code, Request};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(30);
const CLINIC: &str = "clinic-test-1";
const PRESCRIBER_NPI: &str = "1245319599";
const THERAPIST_NPI: &str = "1003000126";

/// Members the simulator treats differently (synthetic ids).
const SIM_CONFIG: &str = r#"{"clearinghouse": {
    "default": {"outcome": "pay"},
    "by_member_id": {
        "MEMPAY001": {"outcome": "pay", "contractual": "10.00", "patient_responsibility": {"PR-2": "12.50", "PR-3": "20.00"}},
        "MEMDENY01": {"outcome": "deny", "carc": "CO-16"},
        "MEMREJ001": [{"outcome": "reject", "category": "A7", "status": "21"}, {"outcome": "pay", "patient_responsibility": {"PR-1": "5.25"}}],
        "MEM999R01": [{"outcome": "reject_transaction", "code": "5"}, {"outcome": "pay"}]
    },
    "replacement": {"outcome": "pay", "patient_responsibility": {"PR-3": "15.00"}}
}}"#;

struct Harness {
    pool: PgPool,
    /// The administrator's view of the schema (every clinic), for assertions.
    inspect: PgPool,
    topology: Topology,
    client: ClaimsServiceClient<Channel>,
    stop: CancellationToken,
    _tasks: JoinSet<()>,
    _db: TestDb,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start() -> anyhow::Result<Harness> {
    if std::env::var("CLAIMS_TEST_LOGS").is_ok() {
        static TELEMETRY: std::sync::OnceLock<Option<rx_platform::telemetry::Telemetry>> = std::sync::OnceLock::new();
        TELEMETRY.get_or_init(|| rx_platform::telemetry::init("claims-flow-test").ok());
    }
    let db = TestDb::create().await?;
    let pool = db.service_pool(rx_platform::db::CLAIMS, rx_claims::migrator()).await?;
    let stop = CancellationToken::new();
    let mut tasks = JoinSet::new();

    let sim_config: rx_payer_sim::SimConfig = serde_json::from_str(SIM_CONFIG)?;
    let sim_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sim_addr = sim_listener.local_addr()?;
    let sim_stop = stop.clone();
    tasks.spawn(async move {
        let _ = axum::serve(sim_listener, rx_payer_sim::router(sim_config))
            .with_graceful_shutdown(sim_stop.cancelled_owned())
            .await;
    });

    // X12 kept of claims is sealed with a test-only key
    let keyring = rx_seal::Keyring::from_json(
        r#"{"current": "test-1", "keys": {"test-1": "dGVzdC1vbmx5LWNsYWltcy1rZXktMzItYnl0ZXMtb2s="}}"#,
    )?;
    let mut settings =
        Settings { poll_seconds: 1, at_rest: rx_seal::AtRest::Sealed(Arc::new(keyring)), ..Settings::default() };
    settings.clearinghouse_url = format!("http://{sim_addr}/core/batch");
    let connector = CoreHttp::new(
        &settings.clearinghouse_url,
        &settings.practice.interchange_sender,
        &settings.practice.interchange_receiver,
    )?;
    let app = ClaimsApp::new(pool.clone(), settings, Arc::new(connector));

    let topology = Topology::new(unique_namespace());
    let namespace = topology.clone();
    let relay = Relay::new(
        pool.clone(),
        topology.clone(),
        RelayConfig {
            service: "claims".into(),
            schema: rx_platform::db::CLAIMS.schema.into(),
            amqp_url: amqp_url(),
            batch_size: 100,
            poll_interval: Duration::from_millis(200),
            retention: Duration::from_secs(3600),
            consumers: vec![rx_claims::consumer_spec(5)],
        },
    );
    tasks.spawn(relay.run(stop.clone()));
    let mut workers = Workers {
        pool: pool.clone(),
        topology,
        amqp_url: amqp_url(),
        delivery_limit: 5,
        stop: stop.clone(),
        set: &mut tasks,
    };
    rx_claims::start_with(&mut workers, app.clone());

    let standard = rx_platform::grpc::standard_services()?;
    let routes = rx_claims::grpc::routes(standard.routes, app, rx_platform::grpc::DEFAULT_MAX_MESSAGE_BYTES);
    let (listener, addr) = rx_platform::grpc::bind("127.0.0.1:0".parse()?).await?;
    let grpc_stop = stop.clone();
    let audit_pool = pool.clone();
    tasks.spawn(async move {
        let mut auth = rx_platform::grpc::Access::insecure_for_tests();
        auth.audit = Some(audit_pool);
        let _ = rx_platform::grpc::serve(listener, routes, auth, grpc_stop).await;
    });
    let client = ClaimsServiceClient::connect(format!("http://{addr}")).await?;
    let inspect = db.inspector(rx_platform::db::CLAIMS).await?;
    Ok(Harness { pool, inspect, topology: namespace, client, stop, _tasks: tasks, _db: db })
}

impl Harness {
    /// Stops the workers and deletes this test's queues and exchanges, so the broker does not
    /// collect quorum queues run after run.
    async fn finish(self) -> anyhow::Result<()> {
        self.stop.cancel();
        let conn = lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default()).await?;
        let channel = conn.create_channel().await?;
        let t = &self.topology;
        for queue in [t.queue("claims"), t.dead_letter_queue("claims")] {
            channel.queue_delete(queue.as_str().into(), lapin::options::QueueDeleteOptions::default()).await?;
        }
        for exchange in [t.events_exchange(), t.dead_letter_exchange()] {
            channel.exchange_delete(exchange.as_str().into(), lapin::options::ExchangeDeleteOptions::default()).await?;
        }
        conn.close(0, "done".into()).await?;
        Ok(())
    }
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn proto_date(d: Date) -> common::Date {
    common::Date { year: d.year(), month: i32::from(u8::from(d.month())), day: i32::from(d.day()) }
}

fn site(region: &str, laterality: &str) -> common::BodySite {
    common::BodySite { region: region.into(), laterality: laterality.into() }
}

fn meta() -> Option<EventMeta> {
    Some(EventMeta { event_id: Uuid::now_v7().to_string(), clinic_id: CLINIC.into(), occurred_at: String::new() })
}

/// A prescription for `member` (and its coverage check unless `decision` is None), fed through
/// the outbox, the broker and the claims consumer.
async fn prescribe(h: &Harness, member: &str, decision: Option<CoverageDecision>) -> anyhow::Result<(Uuid, Uuid)> {
    prescribe_with(h, member, decision, true).await
}

async fn prescribe_with(
    h: &Harness,
    member: &str,
    decision: Option<CoverageDecision>,
    with_address: bool,
) -> anyhow::Result<(Uuid, Uuid)> {
    let (prescription, patient) = (Uuid::now_v7(), Uuid::now_v7());
    let accepted = PrescriptionAccepted {
        meta: meta(),
        prescription_id: prescription.to_string(),
        patient_id: patient.to_string(),
        patient_name: Some(common::PersonName { family: "TESTPATIENT".into(), given: "AVERY".into() }),
        patient_birth_date: Some(common::Date { year: 1980, month: 1, day: 1 }),
        coverage: Some(CoverageHint {
            payer_id: "PAYERSIM".into(),
            payer_name: "SIMULATED HEALTH PLAN".into(),
            member_id: member.into(),
            relationship: "subscriber".into(),
        }),
        prescriber_npi: PRESCRIBER_NPI.into(),
        prescriber_name: Some(common::PersonName { family: "EXAMPLEDOC".into(), given: "JORDAN".into() }),
        diagnoses: vec!["M54.50".into(), "M62.830".into(), "M54.2".into()],
        procedures: vec!["97124".into(), "97140".into()],
        sessions: 2,
        body_sites: vec![site("lumbar spine", ""), site("neck", "")],
        valid_from: Some(proto_date(today() - time::Duration::days(20))),
        valid_until: Some(proto_date(today() + time::Duration::days(60))),
        patient_address: with_address.then(|| PostalAddress {
            line1: "1 SAMPLE ROAD".into(),
            city: "SPRINGFIELD".into(),
            state: "IL".into(),
            postal_code: "62702".into(),
            ..Default::default()
        }),
        patient_sex: "F".into(),
        ..Default::default()
    };
    let mut tx = rx_platform::tenancy::begin(&h.pool, CLINIC).await?;
    let event = |key: &str, payload: Vec<u8>| NewEvent { routing_key: key.into(), clinic_id: CLINIC.into(), payload };
    rx_messaging::outbox::enqueue(&mut tx, &event(events::PRESCRIPTION_ACCEPTED, accepted.encode_to_vec())).await?;
    if let Some(decision) = decision {
        let checked = EligibilityChecked {
            meta: meta(),
            prescription_id: prescription.to_string(),
            patient_id: patient.to_string(),
            decision: decision.into(),
            checked_at: OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?,
            payer_id: "PAYERSIM".into(),
            ..Default::default()
        };
        rx_messaging::outbox::enqueue(&mut tx, &event(events::ELIGIBILITY_CHECKED, checked.encode_to_vec())).await?;
    }
    tx.commit().await?;
    let pool = h.inspect.clone();
    let stored = eventually(WAIT, || {
        let pool = pool.clone();
        async move {
            let n: Option<(i64,)> = sqlx::query_as(
                "SELECT count(*) FROM prescriptions p LEFT JOIN coverage_checks c ON c.prescription_id = p.id
                 WHERE p.id = $1 AND ($2 OR c.prescription_id IS NOT NULL)",
            )
            .bind(prescription)
            .bind(decision.is_none())
            .fetch_optional(&pool)
            .await
            .ok()
            .flatten();
            n.filter(|(n,)| *n == 1)
        }
    })
    .await;
    anyhow::ensure!(stored.is_some(), "the consumer did not store the prescription");
    Ok((prescription, patient))
}

fn with_clinic<T>(message: T) -> Request<T> {
    let mut r = Request::new(message);
    r.metadata_mut().insert("x-clinic-id", CLINIC.parse().expect("ascii"));
    r
}

fn session(prescription: Uuid, day: Date, sites: Vec<common::BodySite>, key: &str) -> RecordSessionRequest {
    RecordSessionRequest {
        prescription_id: prescription.to_string(),
        date_of_service: Some(proto_date(day)),
        rendering_npi: THERAPIST_NPI.into(),
        place_of_service: "11".into(),
        procedures: vec![
            ProcedureMinutes { code: "97124".into(), minutes: 38, modifiers: vec![] },
            ProcedureMinutes { code: "97140".into(), minutes: 15, modifiers: vec![] },
        ],
        body_sites: sites,
        override_reason: String::new(),
        idempotency_key: key.into(),
    }
}

async fn get(h: &Harness, claim: &str) -> anyhow::Result<Claim> {
    let mut client = h.client.clone();
    Ok(client.get_claim(with_clinic(GetClaimRequest { claim_id: claim.into() })).await?.into_inner())
}

/// Waits until the claim reaches `state` (the poller runs every second).
async fn wait_for(h: &Harness, claim: &str, state: &str) -> anyhow::Result<Claim> {
    let found = eventually(WAIT, || async move { get(h, claim).await.ok().filter(|c| c.state == state) }).await;
    match found {
        Some(c) => Ok(c),
        None => anyhow::bail!("claim never reached {state}: now {:?}", get(h, claim).await.map(|c| c.state)),
    }
}

fn amount(m: &Option<common::Money>) -> String {
    m.as_ref().map(|m| m.amount.clone()).unwrap_or_default()
}

fn states(c: &Claim) -> Vec<&str> {
    c.history.iter().map(|e| e.state.as_str()).collect()
}

/// Writes the claim's 837Ps into `DUMP_837_DIR` when set.
fn dump_837(c: &Claim) -> anyhow::Result<()> {
    let Ok(dir) = std::env::var("DUMP_837_DIR") else { return Ok(()) };
    std::fs::create_dir_all(&dir)?;
    for (n, a) in c.artifacts.iter().filter(|a| a.kind == "837P").enumerate() {
        std::fs::write(format!("{dir}/{}-{}-{}.x12", c.patient_control_number, c.id, n + 1), &a.content)?;
    }
    if let Ok(dir) = std::env::var("DUMP_ANSWERS_DIR") {
        std::fs::create_dir_all(&dir)?;
        for (n, a) in c.artifacts.iter().enumerate().filter(|(_, a)| a.direction == "inbound") {
            std::fs::write(format!("{dir}/{}-{}-{n}.{}", c.id, a.kind, a.kind.to_lowercase()), &a.content)?;
        }
    }
    Ok(())
}

async fn outbox_keys(h: &Harness) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT routing_key FROM outbox ORDER BY id").fetch_all(&h.inspect).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[tokio::test]
async fn sessions_outside_the_scope_are_refused_with_the_rule_named() -> anyhow::Result<()> {
    let h = start().await?;
    let (rx, _) = prescribe(&h, "MEMPAY001", Some(CoverageDecision::Covered)).await?;
    let mut client = h.client.clone();
    let yesterday = today() - time::Duration::days(1);

    let early = session(rx, today() - time::Duration::days(40), vec![site("lower back", "")], "");
    let err = client.record_session(with_clinic(early)).await.err().map(|s| (s.code(), s.message().to_owned()));
    let (code, message) = err.ok_or_else(|| anyhow::anyhow!("a session before the prescription was accepted"))?;
    assert_eq!(code, Code::FailedPrecondition);
    assert!(message.contains("outside_window"), "{message}");

    let ankle = session(rx, yesterday, vec![site("ankle", "left")], "");
    let status = client.record_session(with_clinic(ankle.clone())).await.err();
    assert!(status.as_ref().is_some_and(|s| s.message().contains("body_site_outside_scope")), "{status:?}");

    let (unverified, _) = prescribe(&h, "MEMPAY001", None).await?;
    let status =
        client.record_session(with_clinic(session(unverified, yesterday, vec![site("neck", "")], ""))).await.err();
    assert!(status.as_ref().is_some_and(|s| s.message().contains("coverage_unverified")), "{status:?}");

    let status = client.record_session(Request::new(session(rx, yesterday, vec![site("neck", "")], ""))).await.err();
    assert_eq!(status.map(|s| s.code()), Some(Code::Unauthenticated));

    let bad = RecordSessionRequest { rendering_npi: "12".into(), ..session(rx, yesterday, vec![], "") };
    let status = client.record_session(with_clinic(bad)).await.err();
    assert_eq!(status.map(|s| s.code()), Some(Code::InvalidArgument));

    // an override with a reason is recorded, and says which rule it overrode
    let overridden = RecordSessionRequest { override_reason: "physician added the ankle by phone".into(), ..ankle };
    let s = client.record_session(with_clinic(overridden)).await?.into_inner();
    assert_eq!(s.overridden_rules, ["body_site_outside_scope"]);
    let claim = get(&h, &s.claim_id).await?;
    assert!(claim.history.first().is_some_and(|e| e.cause.contains("body_site_outside_scope")));

    // the same idempotency key returns the same session and creates no second claim
    let first = client.record_session(with_clinic(session(rx, yesterday, vec![site("neck", "")], "key-1"))).await?;
    let again = client.record_session(with_clinic(session(rx, yesterday, vec![site("neck", "")], "key-1"))).await?;
    assert_eq!(first.get_ref().id, again.get_ref().id);
    assert_eq!(first.get_ref().claim_id, again.get_ref().claim_id);

    // every call is on record once: refusals with their code, recorded sessions (the entry
    // written with the session) and the repeat (answered from the first) naming their session
    let trail: Vec<(String, String)> = sqlx::query_as(
        "SELECT outcome, resource_id FROM audit_log WHERE action LIKE '%/RecordSession' AND clinic_id = $1 ORDER BY id",
    )
    .bind(CLINIC)
    .fetch_all(&h.inspect)
    .await?;
    let refused = |code: &str| (code.to_owned(), String::new());
    let recorded = |id: &str| ("OK".to_owned(), id.to_owned());
    let expected = vec![
        refused("FAILED_PRECONDITION"),
        refused("FAILED_PRECONDITION"),
        refused("FAILED_PRECONDITION"),
        refused("INVALID_ARGUMENT"),
        recorded(&s.id),
        recorded(&first.get_ref().id),
        recorded(&first.get_ref().id),
    ];
    assert_eq!(trail, expected);

    // a prescription whose event carried no address: the claim is kept as a draft, not sent
    let (no_address, _) = prescribe_with(&h, "MEMPAY001", Some(CoverageDecision::Covered), false).await?;
    let s = client.record_session(with_clinic(session(no_address, yesterday, vec![site("neck", "")], ""))).await?;
    let draft = get(&h, &s.get_ref().claim_id).await?;
    assert_eq!(draft.state, "draft");
    assert!(
        draft.scrub_findings.iter().any(|f| f.starts_with("patient_address_missing")),
        "{:?}",
        draft.scrub_findings
    );
    assert!(draft.artifacts.is_empty());

    // two sessions were prescribed and both are used now
    let third = client.record_session(with_clinic(session(rx, yesterday, vec![site("neck", "")], "key-2"))).await.err();
    assert!(third.as_ref().is_some_and(|s| s.message().contains("sessions_exhausted")), "{third:?}");
    h.finish().await
}

#[tokio::test]
async fn a_claim_goes_from_draft_to_paid_and_a_repeated_835_changes_nothing() -> anyhow::Result<()> {
    let h = start().await?;
    let (rx, patient) = prescribe(&h, "MEMPAY001", Some(CoverageDecision::Covered)).await?;
    let mut client = h.client.clone();
    let day = today() - time::Duration::days(1);
    let s =
        client.record_session(with_clinic(session(rx, day, vec![site("lower back", "")], "pay-1"))).await?.into_inner();
    // 38 + 15 minutes: 4 units by the 8-minute rule, 3 of massage, 1 of manual therapy
    let units: Vec<(String, u32, String)> =
        s.lines.iter().map(|l| (l.code.clone(), l.units, amount(&l.charge))).collect();
    assert_eq!(units, [("97124".to_owned(), 3, "120.00".to_owned()), ("97140".to_owned(), 1, "45.00".to_owned())]);

    let claim = wait_for(&h, &s.claim_id, "paid").await?;
    dump_837(&claim)?;
    assert_eq!(states(&claim), ["draft", "scrubbed", "submitted", "acknowledged", "accepted", "paid"]);
    assert_eq!(amount(&claim.total_charge), "165.00");
    // 165.00 - 10.00 contractual - 12.50 coinsurance - 20.00 copay
    assert_eq!(amount(&claim.paid), "122.50");
    assert_eq!(amount(&claim.patient_responsibility), "32.50");
    assert!(claim.payer_claim_control_number.starts_with("SIM"));
    let kinds: Vec<&str> = claim.artifacts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["837P", "999", "277CA", "835"]);
    // what the API opened is stored sealed: no readable X12 in the table
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT content FROM x12_documents").fetch_all(&h.inspect).await?;
    assert!(stored.len() >= 4);
    for blob in &stored {
        assert_eq!(rx_seal::Keyring::key_id(blob), Some("test-1"));
        assert!(!blob.windows(4).any(|w| w == b"ISA*"), "readable X12 stored");
    }
    let remit = claim.artifacts.iter().find(|a| a.kind == "835").map(|a| a.content.clone()).unwrap_or_default();

    // the poller posted this 835 already: posting it again applies nothing
    let again =
        client.post_remittance(with_clinic(PostRemittanceRequest { content: remit.clone().into_bytes() })).await?;
    assert_eq!((again.get_ref().applied, again.get_ref().already_posted, again.get_ref().unmatched), (0, 1, 0));
    let other_clinic = {
        let mut r = Request::new(PostRemittanceRequest { content: remit.into_bytes() });
        r.metadata_mut().insert("x-clinic-id", "another-clinic".parse()?);
        client.post_remittance(r).await?.into_inner()
    };
    assert_eq!(other_clinic.unmatched, 1);
    let after = get(&h, &s.claim_id).await?;
    assert_eq!((amount(&after.paid), after.history.len()), ("122.50".to_owned(), claim.history.len()));

    let balance =
        client.get_patient_balance(with_clinic(GetPatientBalanceRequest { patient_id: patient.to_string() })).await?;
    assert_eq!(amount(&balance.get_ref().balance), "32.50");
    assert_eq!(amount(&balance.get_ref().total_charged), "165.00");
    assert_eq!(amount(&balance.get_ref().total_paid_by_payers), "122.50");

    let keys = outbox_keys(&h).await?;
    assert_eq!(keys.iter().filter(|k| *k == events::CLAIM_SUBMITTED).count(), 1);
    assert_eq!(keys.iter().filter(|k| *k == events::CLAIM_PAID).count(), 1);

    let listed = client
        .list_claims(with_clinic(ListClaimsRequest { patient_id: patient.to_string(), ..Default::default() }))
        .await?;
    assert_eq!(listed.get_ref().claims.len(), 1);

    // a void after payment is sent as frequency 8 with the payer's claim number
    let voided = client
        .void_claim(with_clinic(VoidClaimRequest { claim_id: s.claim_id.clone(), reason: "billed in error".into() }))
        .await?;
    assert_eq!((voided.get_ref().state.as_str(), voided.get_ref().frequency_code.as_str()), ("voided", "8"));
    let void_837 = voided.get_ref().artifacts.iter().rfind(|a| a.kind == "837P").map(|a| a.content.clone());
    assert!(void_837.as_deref().is_some_and(|t| t.contains(":B:8*") && t.contains(&format!("REF*F8*{}", claim.payer_claim_control_number))));
    dump_837(voided.get_ref())?;
    let balance =
        client.get_patient_balance(with_clinic(GetPatientBalanceRequest { patient_id: patient.to_string() })).await?;
    assert_eq!(amount(&balance.get_ref().balance), "0.00");
    h.finish().await
}

#[tokio::test]
async fn a_denied_claim_is_corrected_resubmitted_as_a_replacement_and_paid() -> anyhow::Result<()> {
    let h = start().await?;
    let (rx, patient) = prescribe(&h, "MEMDENY01", Some(CoverageDecision::Covered)).await?;
    let mut client = h.client.clone();
    let day = today() - time::Duration::days(2);
    let s = client.record_session(with_clinic(session(rx, day, vec![site("neck", "")], ""))).await?.into_inner();
    let denied = wait_for(&h, &s.claim_id, "denied").await?;
    assert_eq!(denied.next_action, "fix_and_resubmit");
    assert!(denied.history.last().is_some_and(|e| e.cause.contains("CO-16")), "{:?}", denied.history);
    assert_eq!(amount(&denied.paid), "0.00");

    let corrected = client
        .correct_claim(with_clinic(CorrectClaimRequest {
            claim_id: s.claim_id.clone(),
            prior_authorization: "AUTH12345".into(),
            reason: "added the prior authorization the payer asked for".into(),
            ..Default::default()
        }))
        .await?
        .into_inner();
    assert_eq!(corrected.frequency_code, "7");
    let paid = wait_for(&h, &s.claim_id, "paid").await?;
    dump_837(&paid)?;
    assert_eq!(paid.attempts, 2);
    let replacement = paid.artifacts.iter().rfind(|a| a.kind == "837P").map(|a| a.content.clone()).unwrap_or_default();
    assert!(replacement.contains(":B:7*"), "{replacement}");
    assert!(replacement.contains(&format!("REF*F8*{}", denied.payer_claim_control_number)), "{replacement}");
    assert!(replacement.contains("REF*G1*AUTH12345"), "{replacement}");
    assert_eq!(
        states(&paid),
        [
            "draft",
            "scrubbed",
            "submitted",
            "acknowledged",
            "accepted",
            "denied",
            "corrected",
            "scrubbed",
            "submitted",
            "acknowledged",
            "accepted",
            "paid"
        ]
    );
    assert_eq!(amount(&paid.patient_responsibility), "15.00");
    assert_eq!(amount(&paid.paid), "150.00");
    let balance =
        client.get_patient_balance(with_clinic(GetPatientBalanceRequest { patient_id: patient.to_string() })).await?;
    assert_eq!(amount(&balance.get_ref().balance), "15.00");
    let keys = outbox_keys(&h).await?;
    assert_eq!(keys.iter().filter(|k| *k == events::CLAIM_DENIED).count(), 1);
    h.finish().await
}

#[tokio::test]
async fn a_claim_rejected_at_the_277ca_is_fixed_and_resent_as_an_original() -> anyhow::Result<()> {
    let h = start().await?;
    let (rx, _) = prescribe(&h, "MEMREJ001", Some(CoverageDecision::Covered)).await?;
    let mut client = h.client.clone();
    let s = client
        .record_session(with_clinic(session(rx, today() - time::Duration::days(1), vec![site("lower back", "")], "")))
        .await?
        .into_inner();
    let rejected = wait_for(&h, &s.claim_id, "rejected").await?;
    assert!(rejected.history.last().is_some_and(|e| e.cause.contains("A7:21")), "{:?}", rejected.history);
    assert!(outbox_keys(&h).await?.iter().any(|k| k == events::CLAIM_REJECTED));

    let fixed = client
        .correct_claim(with_clinic(CorrectClaimRequest {
            claim_id: s.claim_id.clone(),
            diagnoses: vec!["M54.2".into()],
            reason: "principal diagnosis corrected".into(),
            ..Default::default()
        }))
        .await?
        .into_inner();
    assert_eq!(fixed.frequency_code, "1");
    let paid = wait_for(&h, &s.claim_id, "paid").await?;
    dump_837(&paid)?;
    assert_eq!(paid.attempts, 2);
    let resent = paid.artifacts.iter().rfind(|a| a.kind == "837P").map(|a| a.content.clone()).unwrap_or_default();
    assert!(resent.contains(":B:1*") && !resent.contains("REF*F8"), "{resent}");
    assert!(resent.contains("HI*ABK:M542~") || resent.contains("HI*ABK:M542\n"), "{resent}");
    assert_eq!(amount(&paid.patient_responsibility), "5.25");
    assert_eq!(amount(&paid.paid), "159.75");
    h.finish().await
}

#[tokio::test]
async fn a_claim_whose_transaction_the_999_rejects_is_fixed_and_resent() -> anyhow::Result<()> {
    let h = start().await?;
    let (rx, _) = prescribe(&h, "MEM999R01", Some(CoverageDecision::Covered)).await?;
    let mut client = h.client.clone();
    let s = client
        .record_session(with_clinic(session(rx, today() - time::Duration::days(1), vec![site("neck", "")], "")))
        .await?
        .into_inner();
    let rejected = wait_for(&h, &s.claim_id, "rejected").await?;
    assert_eq!(states(&rejected), ["draft", "scrubbed", "submitted", "rejected"]);
    assert_eq!(rejected.history.last().map(|e| e.cause.as_str()), Some("999 rejected 5"));
    assert_eq!(rejected.artifacts.iter().map(|a| a.kind.as_str()).collect::<Vec<_>>(), ["837P", "999"]);

    let fixed = CorrectClaimRequest { claim_id: s.claim_id.clone(), reason: "resent".into(), ..Default::default() };
    assert_eq!(client.correct_claim(with_clinic(fixed)).await?.get_ref().frequency_code, "1");
    let paid = wait_for(&h, &s.claim_id, "paid").await?;
    dump_837(&paid)?;
    assert_eq!((paid.attempts, amount(&paid.paid)), (2, "165.00".to_owned()));
    // a claim that is not rejected or adjudicated cannot be corrected
    let again = CorrectClaimRequest { claim_id: s.claim_id.clone(), reason: "again".into(), ..Default::default() };
    let voided =
        client.void_claim(with_clinic(VoidClaimRequest { claim_id: s.claim_id.clone(), reason: "x".into() })).await?;
    let refused = client.correct_claim(with_clinic(again)).await.err();
    assert_eq!(voided.get_ref().state, "voided");
    assert_eq!(refused.map(|e| e.code()), Some(Code::FailedPrecondition));
    h.finish().await
}
