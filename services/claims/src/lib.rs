//! The claims service: records sessions within the prescription's scope, bills them as X12
//! 837P, and follows acknowledgments and remittances until the claim is paid.

pub mod claim837;
pub mod clearinghouse;
pub mod cli;
pub mod config;
pub mod error;
pub mod events;
pub mod grpc;
pub mod responses;
pub mod service;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use rx_messaging::ConsumerSpec;
use rx_platform::db::{CLAIMS, ServiceSchema};
use sqlx::PgPool;
use tonic::service::Routes;

pub use service::ClaimsApp;

pub const SCHEMA: ServiceSchema = CLAIMS;

pub const GRPC_SERVICES: &[&str] = &[rx_proto::claims::v1::claims_service_server::SERVICE_NAME];

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../../migrations/claims")
}

/// The app with the settings from the environment and the CORE HTTP clearinghouse.
pub fn app_from_env(pool: PgPool) -> anyhow::Result<ClaimsApp> {
    let settings = config::Settings::from_env()?;
    let connector = clearinghouse::CoreHttp::new(
        &settings.clearinghouse_url,
        &settings.practice.interchange_sender,
        &settings.practice.interchange_receiver,
    )?;
    Ok(ClaimsApp::new(pool, settings, Arc::new(connector)))
}

/// Adds the service's gRPC API to `base` (the health and reflection services). A malformed
/// setting is reported here and stops start-up in [`start`], which `serve` calls next.
pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    let app = app_from_env(pool.clone()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "claims settings invalid, using defaults until start-up stops");
        let settings = config::Settings::default();
        ClaimsApp::new(pool, settings, Arc::new(clearinghouse::CoreHttp::local_default()))
    });
    grpc::routes(base, app, max_message_bytes)
}

/// The events claims consumes: the prescription's scope, and the coverage check.
pub fn consumer_spec(delivery_limit: u32) -> ConsumerSpec {
    ConsumerSpec {
        name: "claims".into(),
        bindings: vec![events::PRESCRIPTION_ACCEPTED.into(), events::ELIGIBILITY_CHECKED.into()],
        delivery_limit,
    }
}

/// Starts claims' background parts: the consumer of prescriptions and eligibility results, and
/// the clearinghouse poller (every `CLAIMS_POLL_SECONDS`; 0 turns it off).
pub async fn start(workers: &mut rx_messaging::Workers<'_>) -> anyhow::Result<Vec<(String, std::net::SocketAddr)>> {
    let app = app_from_env(workers.pool.clone())?;
    start_with(workers, app);
    Ok(Vec::new())
}

/// [`start`] with an app built by the caller (tests point it at their own clearinghouse).
pub fn start_with(workers: &mut rx_messaging::Workers<'_>, app: ClaimsApp) {
    let mut consumer = workers.consumer_config("claims", consumer_spec(workers.delivery_limit));
    // each event is a row or two written and nothing called: a burst's events of one clinic
    // share a transaction (and its commit)
    consumer.batch = 16;
    workers.spawn_consumer_with(consumer, events::ClaimsEventHandler);
    let every = app.settings.poll_seconds;
    if every > 0 {
        workers.set.spawn(responses::run_poller(app, Duration::from_secs(every), workers.stop.clone()));
    }
}

/// The extra listeners (besides gRPC and metrics) this service opens with the current
/// environment, by name; `rxbridge config show` reports them so deployments can be checked.
pub fn extra_listeners() -> Result<Vec<(String, std::net::SocketAddr)>, rx_platform::config::ConfigError> {
    Ok(Vec::new())
}
