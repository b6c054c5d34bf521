//! The intake service: receives prescriptions (fax, FHIR R4, HL7 v2), turns them into one
//! canonical validated prescription, keeps the original, and announces the outcome as events.

pub mod grpc;

use rx_platform::db::{INTAKE, ServiceSchema};
use sqlx::PgPool;
use tonic::service::Routes;

/// The service's database schema and role.
pub const SCHEMA: ServiceSchema = INTAKE;

/// The gRPC services this process answers for (as the health service names them).
pub const GRPC_SERVICES: &[&str] = &[
    rx_proto::intake::v1::intake_service_server::SERVICE_NAME,
    rx_proto::intake::v1::review_service_server::SERVICE_NAME,
];

/// The service's migrations, embedded in the binary.
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../../migrations/intake")
}

/// Adds the service's gRPC API to `base` (the health and reflection services).
pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    grpc::routes(base, pool, max_message_bytes)
}

pub mod cli;

/// Starts intake's background parts and extra listeners; returns what listens where, for the
/// operator (e.g. `("fhir", addr)`). Intake consumes no events.
pub async fn start(workers: &mut rx_messaging::Workers<'_>) -> anyhow::Result<Vec<(String, std::net::SocketAddr)>> {
    let _ = workers;
    Ok(Vec::new())
}

/// The extra listeners (besides gRPC and metrics) this service opens with the current
/// environment, by name; `rxbridge config show` reports them so deployments can be checked.
pub fn extra_listeners() -> Result<Vec<(String, std::net::SocketAddr)>, rx_platform::config::ConfigError> {
    Ok(Vec::new())
}
