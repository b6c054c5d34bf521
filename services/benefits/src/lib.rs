//! The benefits service: real-time eligibility (X12 270/271) through payer connections, turned
//! into plain answers and cost estimates; checks every accepted prescription by itself.

pub mod events;
pub mod grpc;

use rx_messaging::ConsumerSpec;
use rx_platform::db::{BENEFITS, ServiceSchema};
use sqlx::PgPool;
use tonic::service::Routes;

pub const SCHEMA: ServiceSchema = BENEFITS;

pub const GRPC_SERVICES: &[&str] = &[rx_proto::benefits::v1::benefits_service_server::SERVICE_NAME];

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../../migrations/benefits")
}

/// Adds the service's gRPC API to `base` (the health and reflection services).
pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    grpc::routes(base, pool, max_message_bytes)
}

/// The events benefits consumes.
pub fn consumer_spec(delivery_limit: u32) -> ConsumerSpec {
    ConsumerSpec { name: "benefits".into(), bindings: vec![events::PRESCRIPTION_ACCEPTED.into()], delivery_limit }
}

pub mod cli;

/// Starts benefits' background parts: the consumer of accepted prescriptions.
pub async fn start(workers: &mut rx_messaging::Workers<'_>) -> anyhow::Result<Vec<(String, std::net::SocketAddr)>> {
    workers.spawn_consumer("benefits", consumer_spec(workers.delivery_limit), events::PrescriptionAcceptedHandler);
    Ok(Vec::new())
}

/// The extra listeners (besides gRPC and metrics) this service opens with the current
/// environment, by name; `rxbridge config show` reports them so deployments can be checked.
pub fn extra_listeners() -> Result<Vec<(String, std::net::SocketAddr)>, rx_platform::config::ConfigError> {
    Ok(Vec::new())
}
