//! The system under faults, as separate processes against the real Postgres and RabbitMQ:
//! prescriptions stream in over MLLP while the broker connection is cut, a service is killed
//! with SIGKILL and restarted, or the payer answers 503. Each test prints one line
//!
//! `fault=<name> sent=N accepted=N lost=0 duplicated=0 recovered=N max_delay_ms=N`
//!
//! and asserts that nothing accepted by intake was lost on its way to an eligibility check and
//! a claims scope, and that no prescription was checked twice. `lost` counts accepted
//! prescriptions without an eligibility event or without claims' scope and coverage;
//! `duplicated` counts second eligibility events of one decision for one prescription;
//! `recovered` counts prescriptions that completed after the fault began; `max_delay_ms` is the
//! longest time from intake's acceptance to claims knowing the coverage.
//!
//! Sizes: quick by default (`make test`); `RXBRIDGE_SOAK=1` runs 2,000 prescriptions per fault
//! with 10-second outages (`make soak`).

#![allow(clippy::print_stdout)] // the figure line is each test's report

mod e2e;
mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use e2e::{Options, Referral, System, Target};
use prost::Message;
use rx_platform::db::{BENEFITS, CLAIMS, INTAKE};
use rx_proto::events::v1::EligibilityChecked;
use rxbridge_tests::eventually;
use rxbridge_tests::proxy::TcpProxy;
use sqlx::PgPool;
use uuid::Uuid;

const SIM_CONFIG: &str = r#"{
  "eligibility": {
    "payer_id": "SIMPAYER",
    "payer_name": "SIMULATED HEALTH PLAN",
    "members": [
      {"member_id": "FLT000001", "family": "FAULTCASE", "given": "RIVER", "birth_date": "1982-02-02", "plan_name": "SIM PPO GOLD",
       "benefits": [{"service_type": "AE", "in_network": {"copay": "20.00", "visit_limit": 60, "visits_used": 0}}]}
    ]
  }
}"#;

/// How big a run is.
struct Size {
    prescriptions: usize,
    outage: Duration,
    settle: Duration,
}

fn size() -> Size {
    if std::env::var("RXBRIDGE_SOAK").is_ok_and(|v| !v.is_empty() && v != "0") {
        Size { prescriptions: 2000, outage: Duration::from_secs(10), settle: Duration::from_secs(900) }
    } else {
        Size { prescriptions: 80, outage: Duration::from_secs(3), settle: Duration::from_secs(180) }
    }
}

/// Benefits keeps the default pool (10): its consumer runs at most half the pool's handlers at
/// once, each holding its transaction's connection and taking at most one more (see
/// `a_burst_of_events_does_not_starve_benefits_of_connections`).
const BENEFITS_POOL: u32 = 10;

/// Benefits' pool as above; intake and claims need few connections here (one MLLP sender, one
/// transaction per event), and Postgres on this machine allows a hundred in all.
fn pools_of_size() -> Vec<(Target, u32)> {
    vec![(Target::Benefits, BENEFITS_POOL), (Target::Intake, 4), (Target::Claims, 4)]
}

fn referral_er7(i: usize) -> String {
    let control = format!("FLT{i:06}");
    let order = format!("RXF{i:06}");
    Referral {
        control_id: &control,
        family: "FAULTCASE",
        given: "RIVER",
        birth_date: "19820202",
        member_id: "FLT000001",
        order: &order,
    }
    .to_er7()
}

async fn wait_until_sent(sent: &AtomicUsize, count: usize) {
    let reached =
        eventually(Duration::from_secs(600), || async { (sent.load(Ordering::SeqCst) >= count).then_some(()) });
    assert!(reached.await.is_some(), "the sender stalled before {count} referrals");
}

struct Pools {
    intake: PgPool,
    benefits: PgPool,
    claims: PgPool,
}

async fn pools(system: &System) -> Pools {
    // counted across clinics, as the administrator (row-level security binds the services' roles)
    let connect = |s| {
        let db = system.db.clone();
        async move { db.inspector(s).await.expect("pool") }
    };
    Pools { intake: connect(INTAKE).await, benefits: connect(BENEFITS).await, claims: connect(CLAIMS).await }
}

async fn db_now(pool: &PgPool) -> time::OffsetDateTime {
    sqlx::query_scalar("SELECT now()").fetch_one(pool).await.expect("now")
}

/// Accepted prescriptions and when intake stored them.
async fn accepted(pools: &Pools) -> HashMap<Uuid, time::OffsetDateTime> {
    let rows: Vec<(Uuid, time::OffsetDateTime)> =
        sqlx::query_as("SELECT id, created_at FROM prescriptions WHERE status = 'accepted'")
            .fetch_all(&pools.intake)
            .await
            .unwrap_or_default();
    rows.into_iter().collect()
}

/// When claims knew both the scope and a covered eligibility answer, per prescription.
async fn completed(pools: &Pools) -> HashMap<Uuid, time::OffsetDateTime> {
    let rows: Vec<(Uuid, time::OffsetDateTime)> = sqlx::query_as(
        "SELECT p.id, greatest(p.received_at, c.updated_at) FROM prescriptions p
         JOIN coverage_checks c ON c.prescription_id = p.id WHERE c.decision = 'covered'",
    )
    .fetch_all(&pools.claims)
    .await
    .unwrap_or_default();
    rows.into_iter().collect()
}

/// Eligibility events per prescription and decision, from benefits' outbox.
async fn eligibility_events(pools: &Pools) -> HashMap<(String, i32), usize> {
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE routing_key = 'eligibility.checked.v1'")
            .fetch_all(&pools.benefits)
            .await
            .unwrap_or_default();
    let mut counts = HashMap::new();
    for p in payloads {
        if let Ok(e) = EligibilityChecked::decode(p.as_slice()) {
            *counts.entry((e.prescription_id, e.decision)).or_insert(0) += 1;
        }
    }
    counts
}

/// Nothing left to do: every outbox sent and both queues empty, twice in a row a second apart.
async fn quiescent(system: &System, pools: &Pools) -> bool {
    let unsent = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap_or(-1)
    };
    let mut previous = None;
    for _ in 0..2 {
        let state = (
            unsent(pools.intake.clone()).await,
            unsent(pools.benefits.clone()).await,
            unsent(pools.claims.clone()).await,
            queue_depth(&system.namespace, "benefits").await,
            queue_depth(&system.namespace, "claims").await,
            inbox(&pools.benefits).await,
            inbox(&pools.claims).await,
        );
        if (state.0, state.1, state.2, state.3, state.4) != (0, 0, 0, Some(0), Some(0)) {
            return false;
        }
        if previous.is_some_and(|p| p != state) {
            return false;
        }
        previous = Some(state);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    true
}

async fn inbox(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM inbox").fetch_one(pool).await.unwrap_or(-1)
}

async fn queue_depth(namespace: &str, consumer: &str) -> Option<u32> {
    let conn =
        lapin::Connection::connect(&rxbridge_tests::amqp_url(), lapin::ConnectionProperties::default()).await.ok()?;
    let channel = conn.create_channel().await.ok()?;
    let topology = rx_messaging::Topology::new(namespace);
    let depth = topology.depth(&channel, &topology.queue(consumer)).await.ok();
    let _ = conn.close(200, "done".into()).await;
    depth
}

/// Waits for every accepted prescription to complete, then counts and prints the figures.
async fn report(name: &str, system: &System, pools: &Pools, sent: usize, acked: usize, fault_at: time::OffsetDateTime) {
    report_with(name, system, pools, (sent, acked), fault_at, None).await;
}

/// As `report`, with `recovered` given by the test when it counts something more telling.
async fn report_with(
    name: &str,
    system: &System,
    pools: &Pools,
    (sent, acked): (usize, usize),
    fault_at: time::OffsetDateTime,
    recovered_override: Option<usize>,
) {
    let limit = size().settle;
    let done = eventually(limit, || async {
        let accepted = accepted(pools).await;
        let completed = completed(pools).await;
        (accepted.len() == acked && accepted.keys().all(|id| completed.contains_key(id))).then_some(())
    })
    .await;
    let settled = eventually(limit, || async { quiescent(system, pools).await.then_some(()) }).await;

    let accepted = accepted(pools).await;
    let completed = completed(pools).await;
    let events = eligibility_events(pools).await;
    let covered = i32::from(rx_proto::events::v1::CoverageDecision::Covered);
    let lost = accepted
        .keys()
        .filter(|id| !completed.contains_key(id) || !events.contains_key(&(id.to_string(), covered)))
        .count();
    // A payer that could not answer is asked again, so `needs_attention` may repeat; any other
    // decision twice for one prescription is a double effect.
    let attention = i32::from(rx_proto::events::v1::CoverageDecision::NeedsAttention);
    let duplicated: usize =
        events.iter().filter(|((_, decision), _)| *decision != attention).map(|(_, n)| n.saturating_sub(1)).sum();
    let recovered = recovered_override
        .unwrap_or_else(|| completed.iter().filter(|(id, at)| accepted.contains_key(id) && **at > fault_at).count());
    let max_delay_ms = accepted
        .iter()
        .filter_map(|(id, at)| completed.get(id).map(|done| (*done - *at).whole_milliseconds()))
        .max()
        .unwrap_or(0);
    println!(
        "fault={name} sent={sent} accepted={} lost={lost} duplicated={duplicated} recovered={recovered} max_delay_ms={max_delay_ms}",
        accepted.len()
    );
    if done.is_none() || settled.is_none() || lost > 0 || duplicated > 0 {
        dump_warnings(system);
    }
    assert_eq!(acked, sent, "intake refused referrals during the fault");
    assert_eq!(accepted.len(), acked, "intake acknowledged referrals it did not store as accepted");
    assert!(done.is_some(), "not every accepted prescription completed");
    assert!(settled.is_some(), "the system did not settle: outbox or queues never drained");
    assert_eq!(lost, 0, "fault {name} lost prescriptions");
    assert_eq!(duplicated, 0, "fault {name} duplicated eligibility checks");
    // Every message reached each consumer's inbox exactly once.
    assert_eq!(inbox(&pools.benefits).await, accepted.len() as i64);
    let eligibility_total: usize = events.values().sum();
    assert_eq!(inbox(&pools.claims).await, (accepted.len() + eligibility_total) as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_connection_cut_twice_mid_flight() {
    let size = size();
    let broker: std::net::SocketAddr = "127.0.0.1:5672".parse().expect("addr");
    let proxy = TcpProxy::start(broker).await.expect("proxy");
    let via_proxy = format!("amqp://guest:guest@{}/%2f", proxy.addr);
    let options = Options {
        sim_config: SIM_CONFIG.into(),
        db_max_connections: pools_of_size(),
        amqp_urls: [Target::Intake, Target::Benefits, Target::Claims].map(|t| (t, via_proxy.clone())).to_vec(),
        ..Options::default()
    };
    let system = System::start(options).await.expect("system");
    let pools = pools(&system).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = IntakeLink::new(&system).send_all(size.prescriptions, sent.clone());

    wait_until_sent(&sent, size.prescriptions * 3 / 10).await;
    let fault_at = db_now(&pools.intake).await;
    proxy.cut();
    // Operators see the outage: intake keeps accepting while nothing can be published.
    let backlog =
        eventually(Duration::from_secs(60), || async { ops_backlog(&system, "intake").await.filter(|n| *n > 0) });
    let backlog = backlog.await;
    // ... and so does Prometheus: intake's backlog gauge rises during the outage.
    let metrics = system.intake.addr("metrics").expect("intake metrics");
    let gauge = eventually(Duration::from_secs(30), || async {
        outbox_backlog_gauge(&metrics, "intake").await.filter(|n| *n > 0.0)
    })
    .await;
    tokio::time::sleep(size.outage).await;
    proxy.restore();
    assert!(backlog.is_some(), "`rxbridge ops outbox` showed no backlog while the broker was away");
    assert!(gauge.is_some(), "the outbox_backlog gauge did not rise while the broker was away");
    wait_until_sent(&sent, size.prescriptions * 6 / 10).await;
    proxy.cut();
    tokio::time::sleep(size.outage).await;
    proxy.restore();

    let acked = sender.await.expect("sender");
    report("broker_cut", &system, &pools, size.prescriptions, acked, fault_at).await;
    system.finish().await;
}

/// The `outbox_backlog` gauge of `service` on a Prometheus endpoint.
async fn outbox_backlog_gauge(addr: &str, service: &str) -> Option<f64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET /metrics HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await.ok()?;
    let series = format!("outbox_backlog{{service=\"{service}\"}} ");
    body.lines().find_map(|l| l.strip_prefix(series.as_str())).and_then(|v| v.trim().parse().ok())
}

async fn kill_mid_flight(name: &str, target: Target) {
    let size = size();
    let options = Options { sim_config: SIM_CONFIG.into(), db_max_connections: pools_of_size(), ..Options::default() };
    let mut system = System::start(options.clone()).await.expect("system");
    let pools = pools(&system).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = IntakeLink::new(&system).send_all(size.prescriptions, sent.clone());

    wait_until_sent(&sent, size.prescriptions * 3 / 10).await;
    let fault_at = db_now(&pools.intake).await;
    system.kill_and_restart(target, &options).await.expect("restart");
    wait_until_sent(&sent, size.prescriptions * 6 / 10).await;
    system.kill_and_restart(target, &options).await.expect("restart");

    let acked = sender.await.expect("sender");
    report(name, &system, &pools, size.prescriptions, acked, fault_at).await;
    system.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn benefits_killed_mid_flight_and_restarted() {
    kill_mid_flight("benefits_sigkill", Target::Benefits).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_killed_mid_flight_and_restarted() {
    kill_mid_flight("claims_sigkill", Target::Claims).await;
}

/// A consumer that dies after its commit and before its acknowledgement: benefits reaches the
/// broker through a proxy that stops passing what benefits sends (acks, publishes) while
/// deliveries keep arriving; every event it commits from then on is committed but unacked.
/// Killed in that state and restarted, it receives those events again and must drop each as a
/// duplicate: `recovered` counts the duplicates the new process acknowledged without effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_dying_after_commit_before_ack_gets_the_message_again() {
    let size = size();
    let broker: std::net::SocketAddr = "127.0.0.1:5672".parse().expect("addr");
    let proxy = TcpProxy::start(broker).await.expect("proxy");
    let options = Options {
        sim_config: SIM_CONFIG.into(),
        db_max_connections: pools_of_size(),
        amqp_urls: vec![(Target::Benefits, format!("amqp://guest:guest@{}/%2f", proxy.addr))],
        ..Options::default()
    };
    let mut system = System::start(options.clone()).await.expect("system");
    let pools = pools(&system).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = IntakeLink::new(&system).send_all(size.prescriptions, sent.clone());

    wait_until_sent(&sent, size.prescriptions * 3 / 10).await;
    proxy.set_upstream_delay(Duration::from_secs(3600));
    let fault_at = db_now(&pools.intake).await;
    let held_from = inbox(&pools.benefits).await;
    // Deliveries already on their way keep arriving and are committed; their acks are held.
    let committed = eventually(Duration::from_secs(60), || async {
        let now = inbox(&pools.benefits).await;
        (now > held_from).then_some(now)
    })
    .await
    .expect("benefits committed nothing while its acknowledgements were held");
    let unacked = usize::try_from(committed - held_from).unwrap_or_default();
    system.kill(Target::Benefits).await;
    proxy.set_upstream_delay(Duration::ZERO);
    system.restart(Target::Benefits, &options).await.expect("restart");

    let acked = sender.await.expect("sender");
    let pools_ref = &pools;
    let duplicates = || {
        let logs = system.benefits.logs();
        logs.iter().filter(|l| l["fields"]["message"] == "duplicate delivery acknowledged without effect").count()
    };
    let redelivered = eventually(size.settle, || async { (duplicates() >= unacked).then_some(()) }).await;
    report_with("commit_before_ack", &system, pools_ref, (size.prescriptions, acked), fault_at, Some(duplicates()))
        .await;
    assert!(redelivered.is_some(), "{unacked} committed but unacknowledged events were not delivered again");
    system.finish().await;
}

/// The payer answers 503 to everything for a while: checks stay within their retry budget and
/// come out `needs_attention`, the circuit opens, and benefits checks those prescriptions again
/// by itself once the payer is back; each ends `covered` exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payer_answering_503_for_a_while() {
    let size = size();
    let mut payer = serde_json::Map::new();
    for (k, v) in [("timeout_ms", 2000), ("max_attempts", 2), ("backoff_ms", 20), ("breaker_cooldown_ms", 1000)] {
        payer.insert(k.into(), v.into());
    }
    let options = Options {
        sim_config: SIM_CONFIG.into(),
        db_max_connections: pools_of_size(),
        payer,
        // Every prescription asks the payer (no answer reused from earlier the same day), and
        // unanswered ones are asked again a second later.
        env: vec![("BENEFITS_CACHE_SECONDS".into(), "0".into()), ("BENEFITS_RECHECK_SECONDS".into(), "1".into())],
        ..Options::default()
    };
    let system = System::start(options).await.expect("system");
    let pools = pools(&system).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = IntakeLink::new(&system).send_all(size.prescriptions, sent.clone());

    wait_until_sent(&sent, size.prescriptions * 3 / 10).await;
    let fault_at = db_now(&pools.intake).await;
    let status = sim_admin(&system.sim_addr, r#"{"mode":"http_503","latency_ms":0}"#).await;
    assert!(status.starts_with("HTTP/1.1 2"), "payer-sim refused the fault: {status}");
    wait_until_sent(&sent, size.prescriptions * 6 / 10).await;
    tokio::time::sleep(size.outage).await;
    let status = sim_admin(&system.sim_addr, r#"{"mode":"none","latency_ms":0}"#).await;
    assert!(status.starts_with("HTTP/1.1 2"), "payer-sim kept the fault: {status}");

    let acked = sender.await.expect("sender");
    let attention = i32::from(rx_proto::events::v1::CoverageDecision::NeedsAttention);
    report("payer_503", &system, &pools, size.prescriptions, acked, fault_at).await;
    let events = eligibility_events(&pools).await;
    // Prescriptions answered `needs_attention` during the outage and `covered` after it.
    let rechecked = events.keys().filter(|(_, decision)| *decision == attention).count();
    assert!(rechecked > 0, "no check met the payer's outage: the fault was not exercised");
    system.finish().await;
}

/// Every service's database connections go through a proxy that is cut twice: transactions
/// die mid-flight, pools reconnect; intake answers AE meanwhile and the sender resends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_cut_twice_mid_transaction() {
    let size = size();
    let postgres: std::net::SocketAddr = "127.0.0.1:5432".parse().expect("addr");
    let proxy = TcpProxy::start(postgres).await.expect("proxy");
    let db = rxbridge_tests::db::TestDb::create().await.expect("database");
    let via_proxy =
        |s: rx_platform::db::ServiceSchema| db.url_for(s).expose().replace("127.0.0.1:5432", &proxy.addr.to_string());
    let options = Options {
        sim_config: SIM_CONFIG.into(),
        db_max_connections: pools_of_size(),
        env: vec![
            ("INTAKE_DATABASE_URL".into(), via_proxy(INTAKE)),
            ("BENEFITS_DATABASE_URL".into(), via_proxy(BENEFITS)),
            ("CLAIMS_DATABASE_URL".into(), via_proxy(CLAIMS)),
        ],
        ..Options::default()
    };
    let system = System::start_on(db.clone(), options).await.expect("system");
    let pools = pools(&system).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = IntakeLink::new(&system).send_all(size.prescriptions, sent.clone());

    wait_until_sent(&sent, size.prescriptions * 3 / 10).await;
    let fault_at = db_now(&pools.intake).await;
    proxy.cut();
    tokio::time::sleep(size.outage).await;
    proxy.restore();
    wait_until_sent(&sent, size.prescriptions * 6 / 10).await;
    proxy.cut();
    tokio::time::sleep(size.outage).await;
    proxy.restore();

    let acked = sender.await.expect("sender");
    report("postgres_cut", &system, &pools, size.prescriptions, acked, fault_at).await;
    system.finish().await;
}

/// The unsent events of a service as `rxbridge ops outbox` reports them.
async fn ops_backlog(system: &System, service: &str) -> Option<i64> {
    let out = support::rxbridge()
        .args(["ops", "outbox", "--target", service])
        .envs(system.env.iter().cloned())
        .output()
        .await
        .ok()?;
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    line["backlog"].as_i64()
}

/// Sets the payer simulator's fault; returns the status line.
async fn sim_admin(sim: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(sim).await else { return "unreachable".into() };
    let request = format!(
        "POST /admin/faults HTTP/1.1\r\nhost: {sim}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return "write failed".into();
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response).await;
    response.lines().next().unwrap_or_default().to_owned()
}

/// How often a sender tries one referral before giving up on it.
const RESENDS: usize = 100;

/// Intake's MLLP address: the sender outlives restarts of the other services.
struct IntakeLink(String);

impl IntakeLink {
    fn new(system: &System) -> Self {
        Self(system.intake.addr("intake mllp").expect("intake mllp address"))
    }

    /// Sends every referral, one after the other, counting as it goes; returns how many were
    /// acknowledged with AA. Intake does not depend on the broker, so no fault may refuse one.
    fn send_all(self, n: usize, sent: Arc<AtomicUsize>) -> tokio::task::JoinHandle<usize> {
        tokio::spawn(async move {
            let mut accepted = 0;
            for i in 0..n {
                // As an MLLP sender does: a message answered AE (a temporary failure, e.g. the
                // database away) or not answered at all is sent again, a few times.
                for _ in 0..RESENDS {
                    match e2e::mllp_to(&self.0, &referral_er7(i)).await {
                        Ok(ack) if ack.contains("MSA|AA") => {
                            accepted += 1;
                            break;
                        }
                        Ok(ack) if ack.contains("MSA|AR") => break,
                        _ => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
                sent.store(i + 1, Ordering::SeqCst);
            }
            accepted
        })
    }
}

/// Prints the services' warnings (ids and errors only: logs carry no patient data), to show
/// why a run did not settle.
fn dump_warnings(system: &System) {
    for (name, process) in [("intake", &system.intake), ("benefits", &system.benefits), ("claims", &system.claims)] {
        for line in process.logs().iter().filter(|l| l["level"] != "INFO") {
            eprintln!("{name}: {} {} {}", line["timestamp"], line["level"], line["fields"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_events_does_not_starve_benefits_of_connections() {
    let size = size();
    // The default pool (10) with the default prefetch (32).
    let options = Options { sim_config: SIM_CONFIG.into(), ..Options::default() };
    let mut system = System::start(options.clone()).await.expect("system");
    let pools = pools(&system).await;
    system.kill(Target::Benefits).await;
    let sent = Arc::new(AtomicUsize::new(0));
    let acked = IntakeLink::new(&system).send_all(size.prescriptions, sent).await.expect("sender");
    let fault_at = db_now(&pools.intake).await;
    system.restart(Target::Benefits, &options).await.expect("restart");
    report("benefits_burst", &system, &pools, size.prescriptions, acked, fault_at).await;
    let starved = system
        .benefits
        .logs()
        .iter()
        .filter(|l| l["fields"]["message"] == "event handling failed; returned to the queue")
        .count();
    assert_eq!(starved, 0, "benefits handed events back for want of a database connection");
    system.finish().await;
}
