//! The benefits service: real-time eligibility (X12 270/271) through payer connections, turned
//! into plain answers and cost estimates; checks every accepted prescription by itself.

pub mod app;
pub mod check;
pub mod cli;
pub mod config;
pub mod connector;
pub mod control_numbers;
pub mod error;
pub mod estimate;
pub mod events;
pub mod fees;
pub mod grpc;
pub mod recheck;
pub mod store;
pub mod summary;

use std::sync::{Arc, OnceLock};

use rx_messaging::ConsumerSpec;
use rx_platform::db::{BENEFITS, ServiceSchema};
use sqlx::PgPool;
use tonic::service::Routes;

pub use app::App;
use check::Checker;
use config::BenefitsConfig;
use connector::CoreConnector;

pub const SCHEMA: ServiceSchema = BENEFITS;

pub const GRPC_SERVICES: &[&str] = &[rx_proto::benefits::v1::benefits_service_server::SERVICE_NAME];

pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../../migrations/benefits")
}

/// The process's one checker, so the API and the consumer share each payer's circuit
/// breaker and concurrency limit. Configured from the environment on first use.
fn shared_checker() -> Result<Arc<Checker>, rx_platform::config::ConfigError> {
    static CHECKER: OnceLock<Arc<Checker>> = OnceLock::new();
    if let Some(c) = CHECKER.get() {
        return Ok(c.clone());
    }
    let config = BenefitsConfig::from_env()?;
    Ok(CHECKER.get_or_init(|| Arc::new(Checker::new(Arc::new(config), Arc::new(CoreConnector::new())))).clone())
}

/// Adds the service's gRPC API to `base` (the health and reflection services). A bad
/// configuration is reported by [`start`], which stops the process.
pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    let checker = shared_checker().unwrap_or_else(|e| {
        tracing::error!(error = %e, "benefits configuration invalid; using local defaults until start-up fails");
        Arc::new(Checker::new(Arc::new(BenefitsConfig::local(Vec::new())), Arc::new(CoreConnector::new())))
    });
    grpc::routes(base, App::from_checker(pool, checker), max_message_bytes)
}

/// The gRPC API for an explicitly built [`App`] (tests, embedding).
pub fn routes_with(base: Routes, app: App, max_message_bytes: usize) -> Routes {
    grpc::routes(base, app, max_message_bytes)
}

/// Prescriptions of one clinic the consumer checks in one transaction when they are waiting.
pub const CONSUMER_BATCH: usize = 16;

/// The events benefits consumes.
pub fn consumer_spec(delivery_limit: u32) -> ConsumerSpec {
    ConsumerSpec { name: "benefits".into(), bindings: vec![events::PRESCRIPTION_ACCEPTED.into()], delivery_limit }
}

/// Starts benefits' background parts: the consumer of accepted prescriptions and the rechecks.
pub async fn start(workers: &mut rx_messaging::Workers<'_>) -> anyhow::Result<Vec<(String, std::net::SocketAddr)>> {
    let checker = shared_checker().map_err(|e| anyhow::anyhow!("benefits: {e}"))?;
    let app = App::from_checker(workers.pool.clone(), checker);
    start_with(workers, app).await
}

/// Starts the consumer with an explicitly built [`App`].
pub async fn start_with(
    workers: &mut rx_messaging::Workers<'_>,
    app: App,
) -> anyhow::Result<Vec<(String, std::net::SocketAddr)>> {
    let every = app.checker.config.recheck_every;
    if !every.is_zero() {
        workers.set.spawn(recheck::run(app.clone(), every, workers.stop.clone()));
    }
    let mut consumer = workers.consumer_config("benefits", consumer_spec(workers.delivery_limit));
    // a burst's prescriptions of one clinic share a transaction and its commit; the handler
    // asks the payer for all of them at once, before the batch's first write
    consumer.batch = CONSUMER_BATCH;
    workers.spawn_consumer_with(consumer, events::PrescriptionAcceptedHandler::new(app));
    Ok(Vec::new())
}

/// The extra listeners (besides gRPC and metrics) this service opens with the current
/// environment, by name; `rxbridge config show` reports them so deployments can be checked.
/// Also validates the benefits settings, so a bad one is reported before serving.
pub fn extra_listeners() -> Result<Vec<(String, std::net::SocketAddr)>, rx_platform::config::ConfigError> {
    BenefitsConfig::settings_from_env()?;
    Ok(Vec::new())
}
