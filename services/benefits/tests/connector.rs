//! The CORE connector against the simulator over real HTTP: WS-Security credentials are
//! checked, and a 271 comes back that the domain reads.

use benefits_domain::interpret_271;
use rx_benefits::config::PayerConfig;
use rx_benefits::connector::{ConnectorError, CoreConnector, PayerConnector};
use rx_payer_sim::SimConfig;
use rx_payer_sim::eligibility::Credentials;

const PLANS: &str = include_str!("../../payer-sim/examples/plans.json");
const INQUIRY: &str = "ISA*00*          *00*          *ZZ*RXBRIDGE       *ZZ*SIMPAYER       *260115*0930*^*00501*000000001*0*T*:~\
GS*HS*RXBRIDGE*SIMPAYER*20260115*0930*1*X*005010X279A1~ST*270*0001*005010X279A1~BHT*0022*13*T1*20260115*0930~\
HL*1**20*1~NM1*PR*2*SIMULATED HEALTH PLAN*****PI*SIMPAYER~HL*2*1*21*1~NM1*1P*2*CLINIC*****XX*1234567893~\
HL*3*2*22*0~TRN*1*T1*9000000001~NM1*IL*1*TESTPATIENT*ALEX****MI*SIM100001~DMG*D8*19800412~EQ*AE~\
SE*12*0001~GE*1*1~IEA*1*000000001~";

async fn sim_with_credentials() -> std::net::SocketAddr {
    let mut config: SimConfig = serde_json::from_str(PLANS).expect("plans");
    config.eligibility.credentials = Some(Credentials { username: "clinic".into(), password: "s3cret".into() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, rx_payer_sim::router(config)).await });
    addr
}

#[tokio::test]
async fn credentials_are_required_and_a_readable_271_comes_back() {
    let addr = sim_with_credentials().await;
    let mut payer = PayerConfig::new("SIMPAYER", "SIMULATED HEALTH PLAN", &format!("http://{addr}/core/realtime"));
    let connector = CoreConnector::new();

    let refused = connector.eligibility(&payer, INQUIRY.to_owned()).await;
    assert!(matches!(refused, Err(ConnectorError::Core { ref code, .. }) if code == "Unauthorized"), "{refused:?}");

    payer.username = Some("clinic".into());
    payer.password = Some("s3cret".into());
    let x271 = connector.eligibility(&payer, INQUIRY.to_owned()).await.expect("answered");
    let i = interpret_271(x271.as_bytes()).expect("readable 271");
    let member = i.responses.first().expect("member answer");
    assert_eq!(member.active, Some(true));
    assert_eq!(member.traces, vec!["T1"]);
}

#[tokio::test]
async fn an_unreachable_payer_is_a_transient_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let payer = PayerConfig::new("SIMPAYER", "PLAN", &format!("http://{addr}/core/realtime"));
    let e = CoreConnector::new().eligibility(&payer, INQUIRY.to_owned()).await.expect_err("nobody listens");
    assert!(matches!(e, ConnectorError::Connect(_)));
    assert!(e.is_transient());
}

const TLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls");

/// A TLS front (the test certificate for `localhost`) relaying bytes to the plain simulator.
async fn tls_front(backend: std::net::SocketAddr) -> u16 {
    use tokio_rustls::rustls::ServerConfig;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(format!("{TLS_DIR}/payer.pem"))
        .expect("cert file")
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(format!("{TLS_DIR}/payer.key")).expect("key");
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn https_payers_are_verified_against_the_trusted_roots() {
    let backend = sim_with_credentials().await;
    let port = tls_front(backend).await;
    let mut payer =
        PayerConfig::new("SIMPAYER", "SIMULATED HEALTH PLAN", &format!("https://localhost:{port}/core/realtime"));
    payer.username = Some("clinic".into());
    payer.password = Some("s3cret".into());
    let connector = CoreConnector::new();

    // The test CA is not a public root: the handshake is refused.
    let untrusted = connector.eligibility(&payer, INQUIRY.to_owned()).await;
    assert!(matches!(untrusted, Err(ConnectorError::Connect(_))), "{untrusted:?}");

    payer.ca_file = Some(format!("{TLS_DIR}/ca.pem"));
    let x271 = connector.eligibility(&payer, INQUIRY.to_owned()).await.expect("answered over https");
    assert!(interpret_271(x271.as_bytes()).is_ok());
}

#[tokio::test]
async fn faults_can_come_from_the_simulator_config() {
    let mut config: SimConfig = serde_json::from_str(PLANS).expect("plans");
    config.eligibility.faults = serde_json::from_str(r#"{"mode": "http_503", "count": 1}"#).expect("fault setting");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, rx_payer_sim::router(config)).await });
    let payer = PayerConfig::new("SIMPAYER", "SIMULATED HEALTH PLAN", &format!("http://{addr}/core/realtime"));
    let connector = CoreConnector::new();
    assert_eq!(connector.eligibility(&payer, INQUIRY.to_owned()).await, Err(ConnectorError::Http(503)));
    assert!(connector.eligibility(&payer, INQUIRY.to_owned()).await.is_ok(), "the counted fault wore off");
}
