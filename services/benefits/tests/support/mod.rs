//! Shared setup for the benefits tests: a fresh database, the payer simulator in-process on
//! 127.0.0.1:0 with the example plans, and small HTTP and broker helpers.

#![allow(dead_code)] // each test binary uses a different part

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rx_benefits::App;
use rx_benefits::config::{BenefitsConfig, PayerConfig};
use rx_payer_sim::SimConfig;
use rxbridge_tests::db::TestDb;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub const PLANS: &str = include_str!("../../../payer-sim/examples/plans.json");
pub const WAIT: Duration = Duration::from_secs(30);

pub struct Harness {
    pub db: TestDb,
    pub pool: PgPool,
    /// The administrator's view of the schema (every clinic), for assertions.
    pub inspect: PgPool,
    pub sim: SocketAddr,
    pub shutdown: CancellationToken,
}

/// Starts the simulator with the example plans; returns its address.
pub async fn start_sim(shutdown: &CancellationToken) -> SocketAddr {
    let config: SimConfig = serde_json::from_str(PLANS).expect("example plans parse");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind simulator");
    let addr = listener.local_addr().expect("simulator address");
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ =
            axum::serve(listener, rx_payer_sim::router(config)).with_graceful_shutdown(stop.cancelled_owned()).await;
    });
    addr
}

pub async fn harness() -> Harness {
    let db = TestDb::create().await.expect("test database");
    let pool = db.service_pool(rx_platform::db::BENEFITS, rx_benefits::migrator()).await.expect("migrated pool");
    let shutdown = CancellationToken::new();
    let sim = start_sim(&shutdown).await;
    let inspect = db.inspector(rx_platform::db::BENEFITS).await.expect("inspector");
    Harness { db, pool, inspect, sim, shutdown }
}

/// The simulator as a payer with test-sized limits: short timeout and backoff, a breaker that
/// does not open unless a test asks for it.
pub fn payer(sim: SocketAddr) -> PayerConfig {
    let mut p = PayerConfig::new("SIMPAYER", "SIMULATED HEALTH PLAN", &format!("http://{sim}/core/realtime"));
    p.timeout_ms = 400;
    p.backoff_ms = 10;
    p.breaker_failures = 1000;
    p.breaker_cooldown_ms = 500;
    p
}

/// A synthetic test-only master key: the raw X12 of every check is stored sealed with it.
pub fn keyring() -> rx_seal::Keyring {
    rx_seal::Keyring::from_json(
        r#"{"current": "test-1", "keys": {"test-1": "dGVzdC1vbmx5LWJlbmVmaXRzLWtleS0zMi1ieXRlcyE="}}"#,
    )
    .expect("test keyring")
}

pub fn app(h: &Harness, payer: PayerConfig) -> App {
    let mut config = BenefitsConfig::local(vec![payer]);
    config.at_rest = rx_seal::AtRest::Sealed(Arc::new(keyring()));
    App::with_core(h.pool.clone(), config)
}

/// The stored X12 of one kind (`270`, `271`), opened; each must be sealed at rest and name
/// nothing readable without the key.
pub async fn stored_x12(h: &Harness, kind: &str) -> Vec<String> {
    let rows: Vec<(uuid::Uuid, String, i32, Vec<u8>)> = sqlx::query_as(
        "SELECT check_id, clinic_id, attempt, content FROM x12_artifacts WHERE kind = $1 ORDER BY recorded_at, attempt",
    )
    .bind(kind)
    .fetch_all(&h.inspect)
    .await
    .expect("stored x12");
    rows.iter()
        .map(|(check, clinic, attempt, sealed)| {
            assert_eq!(rx_seal::Keyring::key_id(sealed), Some("test-1"), "the {kind} is sealed at rest");
            assert!(!sealed.windows(3).any(|w| w == b"ISA"), "no readable X12 in the stored bytes");
            let aad = rx_benefits::store::artifact_aad(clinic, *check, kind, *attempt);
            String::from_utf8(keyring().open(sealed, &aad).expect("opens with its key and record")).expect("text")
        })
        .collect()
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// One HTTP/1 request to the simulator; returns status and body.
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect simulator");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.expect("handshake");
    tokio::spawn(conn);
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, addr.to_string())
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("request");
    let resp = sender.send_request(req).await.expect("response");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Switches the simulator's fault (`{"mode": ...}`).
pub async fn set_fault(sim: SocketAddr, json: &str) {
    let (status, _) = http(sim, "POST", "/admin/faults", json).await;
    assert_eq!(status, 200, "the simulator refused the fault setting");
}

/// Eligibility requests the simulator has received.
pub async fn sim_requests(sim: SocketAddr) -> u64 {
    let (_, body) = http(sim, "GET", "/admin/stats", "").await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("stats json");
    v["eligibility_requests"].as_u64().expect("request count")
}

pub async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect("count query")
}

pub fn shared<T>(v: T) -> Arc<T> {
    Arc::new(v)
}
