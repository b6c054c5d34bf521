//! `rxbridge serve --target all` as a real process: every service answers the standard health
//! check and lists itself through reflection, metrics are scraped, and SIGTERM stops it cleanly.

mod support;

use std::time::Duration;

use tokio_stream::StreamExt;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

async fn channel(addr: &str) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect")
}

async fn listed_services(addr: &str) -> Vec<String> {
    let mut client = ServerReflectionClient::new(channel(addr).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream =
        client.server_reflection_info(tokio_stream::iter([request])).await.expect("reflection").into_inner();
    let mut names = Vec::new();
    while let Some(Ok(response)) = stream.next().await {
        if let Some(MessageResponse::ListServicesResponse(list)) = response.message_response {
            names.extend(list.service.into_iter().map(|s| s.name));
        }
    }
    names
}

#[tokio::test]
async fn every_service_is_serving_lists_itself_and_stops_on_sigterm() {
    let mut running = support::start_all().await;
    let expected = [
        ("intake", "rxbridge.intake.v1.IntakeService"),
        ("benefits", "rxbridge.benefits.v1.BenefitsService"),
        ("claims", "rxbridge.claims.v1.ClaimsService"),
    ];
    for (name, service) in expected {
        let addr = &running.addrs[name];
        let mut health = HealthClient::new(channel(addr).await);
        for probe in ["", service] {
            let status = health
                .check(HealthCheckRequest { service: probe.to_owned() })
                .await
                .expect("health check")
                .into_inner()
                .status;
            assert_eq!(status, ServingStatus::Serving as i32, "{name} health for {probe:?}");
        }
        let listed = listed_services(addr).await;
        assert!(listed.iter().any(|s| s == service), "{name} does not list {service}: {listed:?}");
        assert!(listed.iter().any(|s| s == "grpc.health.v1.Health"), "{name} lists no health service");
    }

    let metrics = reqwest_like_get(&running.metrics, "/metrics").await;
    assert!(metrics.contains("grpc_server_requests_total"), "request counter missing:\n{metrics}");
    assert!(metrics.contains("outbox_backlog"), "outbox backlog gauge missing");

    let pid = running.child.id().expect("pid");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGTERM).expect("sigterm");
    let status = tokio::time::timeout(Duration::from_secs(30), running.child.wait())
        .await
        .expect("stopped in time")
        .expect("status");
    assert!(status.success(), "exit status after SIGTERM: {status}");
}

/// A minimal HTTP/1.0 GET, enough to scrape the metrics endpoint without another client crate.
async fn reqwest_like_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("metrics connect");
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes()).await.expect("write");
    let mut body = String::new();
    stream.read_to_string(&mut body).await.expect("read");
    body
}
