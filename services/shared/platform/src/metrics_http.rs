//! The Prometheus scrape endpoint (`GET /metrics`) on its own port, so operators can watch
//! request rates, outbox backlog, consumer lag and dead-letter depth without touching PHI.

use std::sync::OnceLock;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets in seconds, from sub-millisecond parsing to a slow payer.
const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0];

/// Installs the process-wide metrics recorder once and returns its handle.
pub fn recorder() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    handle
                }
                // Another recorder is installed (only in tests): render from a private one.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!("grpc_server_requests_total", "gRPC requests by service, method and status code");
    metrics::describe_histogram!("grpc_server_request_duration_seconds", "gRPC request latency by service and method");
    metrics::describe_gauge!("outbox_backlog", "events written to the outbox and not yet confirmed by the broker");
    metrics::describe_gauge!("outbox_oldest_unsent_seconds", "age of the oldest unsent outbox event");
    metrics::describe_counter!("outbox_published_total", "events the relay published with a broker confirm");
    metrics::describe_gauge!("consumer_queue_depth", "messages waiting in a service's event queue (consumer lag)");
    metrics::describe_gauge!("dead_letter_queue_depth", "messages in a service's dead-letter queue");
    metrics::describe_counter!(
        "consumer_messages_total",
        "consumed events by outcome (processed, duplicate, failed, rejected)"
    );
}

/// Serves `/metrics` on `listener` until `shutdown` is cancelled.
pub async fn serve(listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
    let handle = recorder();
    let app = Router::new().route("/metrics", get(move || std::future::ready(handle.render())));
    axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await
}
