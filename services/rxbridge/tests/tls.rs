//! Transport security as deployed: every listener speaks TLS with the test CA's server
//! certificate (tests/fixtures/tls, test-only), client certificates are verified against that
//! CA and mapped to clinics by `TLS_CLIENT_IDENTITIES`, and probes get a plaintext port that
//! serves health only. Real processes, real handshakes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rx_proto::intake::v1::intake_service_client::IntakeServiceClient;
use rx_proto::intake::v1::{DocumentFormat, GetPrescriptionRequest, SubmitDocumentRequest};
use rxbridge_tests::db::TestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

const ISSUER: &str = "https://auth.rxbridge.test/";

fn fixture(dir: &str, name: &str) -> String {
    format!("{}/../../tests/fixtures/{dir}/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn tls_file(name: &str) -> String {
    fixture("tls", name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(tls_file(name)).unwrap()
}

/// An RS256 bearer token of the test issuer.
fn token(clinic: &str, roles: &[&str]) -> String {
    signed(Algorithm::RS256, clinic, roles)
}

/// A bearer token of the test issuer signed with its RS256 or ES256 test key.
fn signed(alg: Algorithm, clinic: &str, roles: &[&str]) -> String {
    let (file, kid) = match alg {
        Algorithm::ES256 => ("es256-test-key.pem", "test-es256"),
        _ => ("rs256-test-key.pem", "test-rs256"),
    };
    let pem = std::fs::read(fixture("auth", file)).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = serde_json::json!({
        "iss": ISSUER, "aud": "rxbridge", "sub": format!("user-at-{clinic}"), "clinic_id": clinic,
        "roles": roles, "iat": now, "exp": now + 300,
    });
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    };
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// The services' environment over mutual TLS with real tokens.
fn tls_env(db: &TestDb) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = support::env_for(db)
        .into_iter()
        .filter(|(k, _)| k != "AUTH_INSECURE_DEV_HEADERS" && k != "TLS_INSECURE_PLAINTEXT")
        .collect();
    env.extend([
        ("AUTH_JWKS_FILE".to_owned(), fixture("auth", "jwks.json")),
        ("AUTH_ISSUER".to_owned(), ISSUER.to_owned()),
        ("TLS_CERT_FILE".to_owned(), tls_file("server.pem")),
        ("TLS_KEY_FILE".to_owned(), tls_file("server-key.pem")),
        ("TLS_CLIENT_CA_FILE".to_owned(), tls_file("ca.pem")),
        ("TLS_CLIENT_IDENTITIES".to_owned(), tls_file("identities.json")),
        ("INTAKE_FHIR_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("INTAKE_MLLP_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("INTAKE_HEALTH_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("INTAKE_NPI_CHECK".to_owned(), "shape".to_owned()),
    ]);
    env
}

/// A gRPC channel over TLS trusting the test CA, with a client certificate if named.
async fn tls_channel(addr: &str, client: Option<&str>) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read("ca.pem"))).domain_name("localhost");
    if let Some(name) = client {
        tls = tls.identity(Identity::from_pem(read(&format!("{name}.pem")), read(&format!("{name}-key.pem"))));
    }
    Channel::from_shared(format!("https://{addr}")).unwrap().tls_config(tls)?.connect().await
}

/// A TLS stream to `addr` trusting the test CA, presenting the named client certificate.
async fn tls_stream(
    addr: &str,
    client: Option<&str>,
    alpn: &[u8],
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(&read("ca.pem")).unwrap()).unwrap();
    let builder = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match client {
        Some(name) => {
            let chain = CertificateDer::pem_slice_iter(&read(&format!("{name}.pem"))).map(Result::unwrap).collect();
            let key = PrivateKeyDer::from_pem_slice(&read(&format!("{name}-key.pem"))).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    if !alpn.is_empty() {
        config.alpn_protocols = vec![alpn.to_vec()];
    }
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await
}

/// Sends one MLLP frame and returns what came back before the connection ended or the frame
/// closed (empty when the server refused the connection).
async fn mllp_exchange(addr: &str, client: Option<&str>, message: &[u8]) -> String {
    let Ok(mut stream) = tls_stream(addr, client, b"").await else { return String::new() };
    let mut frame = vec![0x0b];
    frame.extend_from_slice(message);
    frame.extend_from_slice(&[0x1c, 0x0d]);
    if stream.write_all(&frame).await.is_err() || stream.flush().await.is_err() {
        return String::new();
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(&[0x1c, 0x0d]) {
        match tokio::time::timeout(std::time::Duration::from_secs(20), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// One HTTP/1.1 POST of a FHIR Bundle over TLS; returns the status code and the response.
async fn post_fhir(addr: &str, client: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut stream = tls_stream(addr, client, b"http/1.1").await.unwrap();
    let head = format!(
        "POST /fhir/r4/Bundle HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/fhir+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response).into_owned();
    (response.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0), response)
}

fn with_token<T>(msg: T, token: Option<&str>) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    if let Some(t) = token {
        r.metadata_mut().insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    r
}

fn orm() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/synthetic/hl7v2_orm_o01_massage_order_v23.hl7"
    ))
    .unwrap()
}

fn submit(content: Vec<u8>, label: &str) -> SubmitDocumentRequest {
    SubmitDocumentRequest {
        content,
        format: DocumentFormat::Hl7v2.into(),
        idempotency_key: String::new(),
        source_label: label.into(),
    }
}

/// The synthetic ORM with its own control id, so each send is a new message.
fn orm_numbered(n: u32) -> Vec<u8> {
    let text = String::from_utf8(orm()).unwrap();
    let mut fields: Vec<String> = text.lines().next().unwrap().split('|').map(str::to_owned).collect();
    fields[9] = format!("TLS{n}");
    let first = fields.join("|");
    let rest: Vec<&str> = text.lines().skip(1).collect();
    ([first.as_str()].into_iter().chain(rest)).collect::<Vec<_>>().join("\r").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listener_speaks_tls_and_client_certificates_name_the_clinic() {
    let db = TestDb::create().await.expect("database");
    let env = tls_env(&db);
    let status =
        support::rxbridge().args(["migrate", "--target", "intake"]).envs(env.clone()).status().await.expect("migrate");
    assert!(status.success());
    let shown = support::rxbridge().args(["config", "show", "--target", "intake"]).envs(env.clone()).output();
    let shown: serde_json::Value = serde_json::from_slice(&shown.await.unwrap().stdout).expect("config show json");
    assert_eq!(shown["transport"], "mtls");
    let (_serve, lines, logs) = support::spawn_logged(&["serve", "--target", "intake"], &env, 5).await;
    let addr = |what: &str| {
        lines.iter().find_map(|l| l.split_once(&format!("{what} listening on ")).map(|(_, a)| a.to_owned())).unwrap()
    };
    let grpc = addr("intake grpc");

    // A bearer token over TLS, no client certificate: works as before.
    let clinic_b = token("clinic-b", &["integrator"]);
    let mut by_token = IntakeServiceClient::new(tls_channel(&grpc, None).await.expect("tls handshake"));
    let of_b = by_token.submit_document(with_token(submit(orm(), "tls jwt"), Some(&clinic_b))).await.expect("jwt call");
    let of_b = of_b.into_inner().prescription.unwrap().id;

    // Plaintext against the TLS port fails.
    let plain = Channel::from_shared(format!("http://{grpc}")).unwrap().connect_lazy();
    let e = IntakeServiceClient::new(plain)
        .get_prescription(with_token(GetPrescriptionRequest { prescription_id: of_b.clone() }, Some(&clinic_b)))
        .await
        .unwrap_err();
    assert_ne!(e.code(), Code::Ok);
    assert_ne!(e.code(), Code::NotFound, "a plaintext call never reaches the service: {e:?}");

    // A mapped client certificate and no token: the integrator of clinic-a.
    let mut mapped = IntakeServiceClient::new(tls_channel(&grpc, Some("client-mapped")).await.expect("mtls"));
    let of_a = mapped.submit_document(submit(orm_numbered(1), "tls cert")).await.expect("certificate caller");
    let of_a = of_a.into_inner().prescription.unwrap().id;
    let get = |id: &str| GetPrescriptionRequest { prescription_id: id.to_owned() };
    assert!(mapped.get_prescription(get(&of_a)).await.is_ok(), "reads what it submitted");
    let e = mapped.get_prescription(get(&of_b)).await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound, "clinic-b's record does not exist for clinic-a's system");
    // A token of another clinic over clinic-a's certificate is refused.
    let e = mapped.get_prescription(with_token(get(&of_b), Some(&clinic_b))).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");

    // A certificate of the CA that maps to no system.
    let mut unmapped = IntakeServiceClient::new(tls_channel(&grpc, Some("client-unmapped")).await.expect("mtls"));
    let e = unmapped.get_prescription(get(&of_a)).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    assert!(e.message().contains("certificate"), "{}", e.message());

    // A certificate from another CA: the handshake fails, nothing is served.
    let foreign = match tls_channel(&grpc, Some("client-foreign")).await {
        Err(_) => None,
        Ok(channel) => Some(IntakeServiceClient::new(channel).get_prescription(get(&of_a)).await),
    };
    if let Some(answer) = foreign {
        let e = answer.expect_err("a foreign certificate is refused");
        assert!(!matches!(e.code(), Code::NotFound | Code::Unauthenticated), "refused at the handshake: {e:?}");
    }

    // MLLP over mutual TLS: the certificate names the clinic; no certificate, no connection.
    let mllp = addr("intake mllp");
    let ack = mllp_exchange(&mllp, Some("client-mapped"), &orm_numbered(2)).await;
    assert!(ack.contains("MSA|AA"), "{ack}");
    let refused = mllp_exchange(&mllp, None, &orm_numbered(3)).await;
    assert!(!refused.contains("MSA"), "no certificate, no answer: {refused}");
    let refused = mllp_exchange(&mllp, Some("client-foreign"), &orm_numbered(4)).await;
    assert!(!refused.contains("MSA"), "a foreign certificate, no answer: {refused}");
    let refused = mllp_exchange(&mllp, Some("client-unmapped"), &orm_numbered(5)).await;
    assert!(!refused.contains("MSA"), "an unmapped certificate, no answer: {refused}");

    // FHIR REST over TLS, authenticated by the certificate.
    let bundle = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../intake/domain/tests/data/fhir_bundle_massage_prescription.json"
    ))
    .unwrap();
    let (code, body) = post_fhir(&addr("intake fhir"), Some("client-mapped"), &bundle).await;
    assert_eq!(code, 201, "{body}");
    let (code, body) = post_fhir(&addr("intake fhir"), Some("client-unmapped"), &bundle).await;
    assert_eq!(code, 401, "{body}");

    // Where it all landed (seen across clinics, as the administrator), and the audit trail
    // names the certificate.
    let pool = db.inspector(rx_platform::db::INTAKE).await.unwrap();
    let clinics: Vec<(String, i64)> =
        sqlx::query_as("SELECT clinic_id, count(*) FROM prescriptions GROUP BY clinic_id ORDER BY clinic_id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(clinics, [("clinic-a".to_owned(), 3), ("clinic-b".to_owned(), 1)], "grpc, mllp and fhir of clinic-a");
    let mllp_audit: Vec<(String, String)> =
        sqlx::query_as("SELECT clinic_id, subject FROM audit_log WHERE action = 'mllp/hl7v2'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(mllp_audit, [("clinic-a".to_owned(), "cert:ehr.clinic-a.test".to_owned())]);
    let by_cert: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT action, outcome FROM audit_log WHERE subject = 'cert:ehr.clinic-a.test' ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let calls: Vec<&str> = by_cert.iter().map(|(a, _)| a.as_str()).collect();
    assert!(
        calls.iter().any(|a| a.ends_with("SubmitDocument")) && calls.iter().any(|a| a.starts_with("fhir/")),
        "gRPC and FHIR calls are audited under the certificate: {by_cert:?}"
    );
    pool.close().await;

    // Probes: plaintext health on its own port, and nothing else there.
    let health = Channel::from_shared(format!("http://{}", addr("intake health"))).unwrap().connect().await.unwrap();
    let mut probe = tonic_health::pb::health_client::HealthClient::new(health.clone());
    let check = tonic_health::pb::HealthCheckRequest { service: "rxbridge.intake.v1.IntakeService".into() };
    let serving = probe.check(check).await.expect("health over plaintext").into_inner();
    assert_eq!(serving.status(), tonic_health::pb::health_check_response::ServingStatus::Serving);
    let e = IntakeServiceClient::new(health).get_prescription(get(&of_a)).await.unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented, "the health port serves no API: {e:?}");

    // The server says why it refused (reasons and addresses, never content).
    let logs = logs.lock().unwrap().join("\n");
    assert!(logs.contains("tls handshake failed") && logs.contains("mllp connection refused"), "{logs}");
    assert!(!logs.contains("TESTPATIENT"), "no patient data in the logs");
}

#[tokio::test]
async fn serve_refuses_to_start_without_tls_or_the_explicit_plaintext_flag() {
    let out = support::rxbridge()
        .args(["serve", "--target", "benefits"])
        .env("AUTH_INSECURE_DEV_HEADERS", "true")
        .env_remove("TLS_INSECURE_PLAINTEXT")
        .env_remove("TLS_CERT_FILE")
        .env("METRICS_ADDR", "127.0.0.1:0")
        .env("BENEFITS_GRPC_ADDR", "127.0.0.1:0")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS_CERT_FILE") && err.contains("TLS_INSECURE_PLAINTEXT"), "{err}");
    let shown = support::rxbridge()
        .args(["config", "show", "--target", "benefits"])
        .env("TLS_INSECURE_PLAINTEXT", "true")
        .output()
        .await
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["transport"], "insecure_plaintext");
}

#[tokio::test]
async fn postgres_connections_use_tls_when_the_url_asks() {
    let db = TestDb::create().await.expect("database");
    let schema = rx_platform::db::INTAKE;
    let url = rx_platform::config::Secret::new(format!("{}?sslmode=require", db.url_for(schema).expose()));
    let pool = rx_platform::db::connect(&url, schema, 1).await.expect("connects with sslmode=require");
    let ssl: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetch_one(&pool).await.unwrap();
    assert!(ssl, "the connection is encrypted");
    pool.close().await;
}

/// What the test issuer answers: an HTTP status and a body, changed while the service runs.
type Answer = Arc<std::sync::Mutex<(u16, String)>>;

/// A small HTTPS server (the test CA's server certificate) answering every request with
/// `answer`; returns its address and a count of requests served.
async fn issuer(answer: Answer) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let chain = CertificateDer::pem_slice_iter(&read("server.pem")).map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_slice(&read("server-key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, answer, count) = (acceptor.clone(), answer.clone(), count.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(n) if n > 0 => request.extend_from_slice(&buf[..n]),
                        _ => return,
                    }
                }
                let (status, body) = answer.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(body.as_bytes()).await;
                let _ = tls.shutdown().await;
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
    });
    (addr, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_keys_are_fetched_over_https_refreshed_and_kept_through_an_outage() {
    let full: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("auth", "jwks.json")).unwrap()).unwrap();
    let mut rs256_only = full.clone();
    rs256_only["keys"].as_array_mut().unwrap().retain(|k| k["kid"] == "test-rs256");
    let answer: Answer = Arc::new(std::sync::Mutex::new((200, rs256_only.to_string())));
    let (issuer_addr, served) = issuer(answer.clone()).await;

    let db = TestDb::create().await.expect("database");
    let mut env: Vec<(String, String)> =
        support::env_for(&db).into_iter().filter(|(k, _)| k != "AUTH_INSECURE_DEV_HEADERS").collect();
    let status =
        support::rxbridge().args(["migrate", "--target", "intake"]).envs(env.clone()).status().await.expect("migrate");
    assert!(status.success());
    env.extend([
        (
            "AUTH_JWKS_URL".to_owned(),
            format!("https://localhost:{}/jwks.json", issuer_addr.rsplit(':').next().unwrap()),
        ),
        ("AUTH_ISSUER".to_owned(), ISSUER.to_owned()),
        ("AUTH_JWKS_REFRESH_SECONDS".to_owned(), "1".to_owned()),
        ("INTAKE_FHIR_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
        ("INTAKE_MLLP_ADDR".to_owned(), "127.0.0.1:0".to_owned()),
    ]);

    // The issuer's certificate must verify: without its CA, start-up stops naming the variable.
    let untrusted = support::rxbridge().args(["serve", "--target", "intake"]).envs(env.clone()).output().await.unwrap();
    assert!(!untrusted.status.success());
    let err = String::from_utf8_lossy(&untrusted.stderr);
    assert!(err.contains("AUTH_JWKS_URL") && err.contains("tls"), "{err}");

    env.push(("AUTH_JWKS_CA_FILE".to_owned(), tls_file("ca.pem")));
    let (_serve, lines) = support::spawn_until_listening(&["serve", "--target", "intake"], &env, 5).await;
    let grpc = lines.iter().find_map(|l| l.split_once("intake grpc listening on ").map(|(_, a)| a.to_owned())).unwrap();
    let intake = IntakeServiceClient::new(Channel::from_shared(format!("http://{grpc}")).unwrap().connect_lazy());
    let missing = GetPrescriptionRequest { prescription_id: uuid::Uuid::new_v4().to_string() };
    let code = |alg: Algorithm| {
        let mut client = intake.clone();
        let request = with_token(missing.clone(), Some(&signed(alg, "clinic-a", &["front_desk"])));
        async move { client.get_prescription(request).await.map_or_else(|e| e.code(), |_| Code::Ok) }
    };
    // NOT_FOUND: the token was accepted and the (random) prescription does not exist.
    assert_eq!(code(Algorithm::RS256).await, Code::NotFound, "the fetched key verifies");
    assert_eq!(code(Algorithm::ES256).await, Code::Unauthenticated, "a key not published yet");

    // The issuer publishes its ES256 key: picked up by a refresh, no restart.
    answer.lock().unwrap().1 = full.to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while code(Algorithm::ES256).await != Code::NotFound {
        assert!(std::time::Instant::now() < deadline, "the new key was never fetched");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // The issuer fails: refreshes fail, the last good keys stay.
    answer.lock().unwrap().0 = 503;
    let before = served.load(std::sync::atomic::Ordering::SeqCst);
    while served.load(std::sync::atomic::Ordering::SeqCst) < before + 2 {
        assert!(std::time::Instant::now() < deadline + std::time::Duration::from_secs(10), "no refresh attempted");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(code(Algorithm::ES256).await, Code::NotFound, "kept through the outage");
    assert_eq!(code(Algorithm::RS256).await, Code::NotFound);
}
