//! The intake service assembled in-process for tests: a fresh database, the outbox relay, an
//! observer consuming `prescription.*.v1` in a private broker namespace, the gRPC server on
//! port 0 and the FHIR and MLLP listeners on port 0; plus small HTTP and MLLP clients.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rx_intake::{App, IntakeConfig};
use rx_messaging::{
    Consumer, ConsumerConfig, ConsumerSpec, Event, Handler, HandlerError, Relay, RelayConfig, Topology,
};
use rx_platform::db::INTAKE;
use rx_proto::intake::v1::intake_service_client::IntakeServiceClient;
use rx_proto::intake::v1::review_service_client::ReviewServiceClient;
use rxbridge_tests::db::TestDb;
use rxbridge_tests::{amqp_url, unique_namespace};
use sqlx::{PgConnection, PgPool};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub const WAIT: Duration = Duration::from_secs(30);
pub const CLINIC: &str = "clinic-intake-test";
pub const MLLP_CLINIC: &str = "clinic-mllp";

/// Events the observer received: (routing key, clinic, payload).
#[derive(Clone, Default)]
pub struct Observed(pub Arc<Mutex<Vec<Delivered>>>);

/// Routing key, clinic and payload of a delivered event.
pub type Delivered = (String, String, Vec<u8>);

impl Handler for Observed {
    async fn handle(&self, _tx: &mut PgConnection, event: &Event) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push((event.routing_key.clone(), event.clinic_id.clone(), event.payload.clone()));
        Ok(())
    }
}

impl Observed {
    /// Payloads of events with this routing key.
    pub fn with_key(&self, key: &str) -> Vec<Vec<u8>> {
        self.0.lock().unwrap().iter().filter(|(k, _, _)| k == key).map(|(_, _, p)| p.clone()).collect()
    }
}

pub struct Harness {
    pub db: TestDb,
    pub pool: PgPool,
    /// The administrator's view of the schema (every clinic), for assertions.
    pub inspect: PgPool,
    pub app: App,
    pub grpc: SocketAddr,
    pub fhir: SocketAddr,
    pub mllp: SocketAddr,
    pub observed: Observed,
    pub stop: CancellationToken,
    pub set: JoinSet<()>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// A "today" within the age limit of every synthetic sample.
pub fn config() -> IntakeConfig {
    IntakeConfig {
        today: Some(time::macros::date!(2026 - 02 - 15)),
        keyring: Some(std::sync::Arc::new(keyring())),
        ..IntakeConfig::default()
    }
}

/// A synthetic test keyring (the documents are sealed as in production).
pub fn keyring() -> rx_seal::Keyring {
    rx_seal::Keyring::from_json(TEST_KEYRING).expect("test keyring")
}

pub const TEST_KEYRING: &str =
    r#"{"current": "test-1", "keys": {"test-1": "dGVzdC1vbmx5LWtleS1mb3ItcnhicmlkZ2UtdGVzdHM="}}"#;

pub async fn harness() -> Harness {
    let db = TestDb::create().await.expect("test database");
    let pool = db.service_pool(INTAKE, rx_intake::migrator()).await.expect("migrated pool");
    let app = App::new(pool.clone(), config());
    let topology = Topology::new(unique_namespace());
    let stop = CancellationToken::new();
    let mut set = JoinSet::new();
    let spec = ConsumerSpec { name: "observer".into(), bindings: vec!["prescription.*.v1".into()], delivery_limit: 5 };
    let relay = Relay::new(
        pool.clone(),
        topology.clone(),
        RelayConfig {
            service: "intake".into(),
            schema: INTAKE.schema.into(),
            amqp_url: amqp_url(),
            batch_size: 100,
            poll_interval: Duration::from_millis(200),
            retention: Duration::from_secs(3600),
            consumers: vec![spec.clone()],
        },
    );
    set.spawn(relay.run(stop.clone()));
    let observed = Observed::default();
    let consumer = Consumer::new(
        pool.clone(),
        topology.clone(),
        ConsumerConfig {
            service: "observer".into(),
            spec,
            amqp_url: amqp_url(),
            prefetch: 10,
            transient_attempts: 3,
            batch: 1,
        },
        observed.clone(),
    );
    set.spawn(consumer.run(stop.clone()));

    let standard = rx_platform::grpc::standard_services().expect("standard services");
    let routes = rx_intake::routes_with(standard.routes, app.clone(), 26 << 20);
    let (listener, grpc) = rx_platform::grpc::bind("127.0.0.1:0".parse().unwrap()).await.expect("bind grpc");
    let grpc_stop = stop.clone();
    set.spawn(async move {
        let auth = rx_platform::grpc::Access::insecure_for_tests();
        let _ = rx_platform::grpc::serve(listener, routes, auth, grpc_stop).await;
    });

    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut workers = rx_messaging::Workers {
        pool: pool.clone(),
        topology,
        amqp_url: amqp_url(),
        delivery_limit: 5,
        stop: stop.clone(),
        set: &mut set,
    };
    let bound = rx_intake::start_at(
        &mut workers,
        app.clone(),
        rx_platform::auth::Authenticator::insecure_dev_headers(),
        rx_platform::tls::Transport::Plaintext,
        vec![("fhir".into(), any), ("mllp".into(), any)],
        MLLP_CLINIC.into(),
    )
    .await
    .expect("listeners");
    let addr = |name: &str| bound.iter().find(|(n, _)| n == name).map(|(_, a)| *a).expect("listener bound");
    let (fhir, mllp) = (addr("fhir"), addr("mllp"));
    assert_ne!(fhir.port(), 0);
    assert_ne!(mllp.port(), 0);
    let inspect = db.inspector(INTAKE).await.expect("inspector");
    Harness { db, pool, inspect, app, grpc, fhir, mllp, observed, stop, set }
}

pub async fn intake_client(h: &Harness) -> IntakeServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", h.grpc)).unwrap().connect().await.expect("connect");
    IntakeServiceClient::new(channel).max_decoding_message_size(64 << 20)
}

pub async fn review_client(h: &Harness) -> ReviewServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", h.grpc)).unwrap().connect().await.expect("connect");
    ReviewServiceClient::new(channel).max_decoding_message_size(64 << 20)
}

/// A request carrying the clinic (and optionally the acting subject).
pub fn req<T>(msg: T, subject: Option<&str>) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut().insert("x-clinic-id", CLINIC.parse().unwrap());
    if let Some(s) = subject {
        r.metadata_mut().insert("x-subject", s.parse().unwrap());
    }
    r
}

pub fn fixture(rel: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures")).join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn bundle() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/domain/tests/data/fhir_bundle_massage_prescription.json"))
        .expect("bundle sample")
}

pub const ORM: &str = "synthetic/hl7v2_orm_o01_massage_order_v23.hl7";

/// One HTTP/1 POST; returns status, headers and body.
pub async fn post(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, http::HeaderMap, serde_json::Value) {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect fhir");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.expect("handshake");
    tokio::spawn(conn);
    let mut req = http::Request::builder().method("POST").uri(path).header(http::header::HOST, addr.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = sender.send_request(req.body(Full::new(Bytes::from(body))).unwrap()).await.expect("response");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, headers, json)
}

/// Sends MLLP-framed messages on one connection and reads one ACK per message.
pub async fn mllp_exchange(addr: SocketAddr, messages: &[&[u8]]) -> Vec<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect mllp");
    let mut acks = Vec::new();
    for m in messages {
        stream.write_all(&rx_hl7v2::mllp::encode(m)).await.expect("send");
        let mut buf = Vec::new();
        let decoder = rx_hl7v2::mllp::Decoder::default();
        loop {
            if let Some(frame) = decoder.decode(&buf).expect("well-framed ack") {
                acks.push(String::from_utf8_lossy(frame.payload).into_owned());
                break;
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(WAIT, stream.read(&mut chunk)).await.expect("ack in time").expect("read");
            assert!(n > 0, "connection closed before the ack");
            buf.extend_from_slice(chunk.get(..n).unwrap());
        }
    }
    acks
}

pub async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect("count query")
}
