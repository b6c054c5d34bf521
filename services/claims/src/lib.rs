//! The claims service: records sessions within the prescription's scope, bills them as X12
//! 837P, and follows acknowledgments and remittances until the claim is paid.

pub mod events;
pub mod grpc;

use rx_messaging::ConsumerSpec;
use rx_platform::db::{CLAIMS, ServiceSchema};
use sqlx::PgPool;
use tonic::service::Routes;

pub const SCHEMA: ServiceSchema = CLAIMS;

pub const GRPC_SERVICES: &[&str] = &[rx_proto::claims::v1::claims_service_server::SERVICE_NAME];

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../../migrations/claims")
}

/// Adds the service's gRPC API to `base` (the health and reflection services).
pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    grpc::routes(base, pool, max_message_bytes)
}

/// The events claims consumes: the prescription's scope, and the coverage check.
pub fn consumer_spec(delivery_limit: u32) -> ConsumerSpec {
    ConsumerSpec {
        name: "claims".into(),
        bindings: vec![events::PRESCRIPTION_ACCEPTED.into(), events::ELIGIBILITY_CHECKED.into()],
        delivery_limit,
    }
}

pub mod cli;

/// Starts claims' background parts: the consumer of prescriptions and eligibility results.
pub async fn start(workers: &mut rx_messaging::Workers<'_>) -> anyhow::Result<Vec<(String, std::net::SocketAddr)>> {
    workers.spawn_consumer("claims", consumer_spec(workers.delivery_limit), events::ClaimsEventHandler);
    Ok(Vec::new())
}

/// The extra listeners (besides gRPC and metrics) this service opens with the current
/// environment, by name; `rxbridge config show` reports them so deployments can be checked.
pub fn extra_listeners() -> Result<Vec<(String, std::net::SocketAddr)>, rx_platform::config::ConfigError> {
    Ok(Vec::new())
}
