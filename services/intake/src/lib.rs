//! The intake service: receives prescriptions (fax, FHIR R4, HL7 v2), turns them into one
//! canonical validated prescription, keeps the original, and announces the outcome as events.
//!
//! Channels: gRPC (`IntakeService`, `ReviewService`), FHIR REST (see [`fhir`]) and MLLP (see
//! [`mllp`]). Fax OCR runs on the blocking pool, one document per core at a time; Debian's
//! Tesseract uses OpenMP, so deployments set `OMP_THREAD_LIMIT=1` to keep concurrent pages from
//! oversubscribing the cores.
//!
//! Environment (besides the platform's):
//! - `INTAKE_FHIR_ADDR` (default `0.0.0.0:8080`): FHIR REST listener.
//! - `INTAKE_MLLP_ADDR` (default `0.0.0.0:2575`): HL7 v2 MLLP listener.
//! - `INTAKE_MLLP_CLINIC_ID` (default `default`): the clinic MLLP messages belong to when
//!   senders are not identified by client certificates (mutual TLS maps them to clinics).
//! - `INTAKE_NPI_CHECK` (`strict` default, or `shape` for test traffic whose NPIs fail the
//!   check digit).

pub mod app;
pub mod canonical;
pub mod cli;
pub mod error;
pub mod events;
pub mod fhir;
pub mod grpc;
pub mod mllp;
pub mod patient_ids;
pub mod reader;
pub mod store;

use std::net::SocketAddr;

use rx_platform::config::ConfigError;
use rx_platform::db::{INTAKE, ServiceSchema};
use sqlx::PgPool;
use tonic::service::Routes;

pub use app::{App, IntakeConfig};

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

fn config() -> IntakeConfig {
    IntakeConfig::from_env().unwrap_or_else(|e| {
        tracing::error!(error = %e, "intake configuration invalid; using defaults until start-up fails");
        IntakeConfig::default()
    })
}

/// Adds the service's gRPC API to `base` (the health and reflection services).
pub fn routes(base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
    grpc::routes(base, App::new(pool, config()), max_message_bytes)
}

/// The gRPC API for an explicitly built [`App`] (tests, embedding).
pub fn routes_with(base: Routes, app: App, max_message_bytes: usize) -> Routes {
    grpc::routes(base, app, max_message_bytes)
}

/// The clinic MLLP messages are filed under when certificates do not name the sender.
pub fn mllp_clinic() -> String {
    rx_platform::config::string_or("INTAKE_MLLP_CLINIC_ID", "default")
}

/// Starts intake's extra listeners (FHIR REST and MLLP) with the process's authenticator and
/// transport (read once, by `serve`) and returns where they listen. Intake consumes no events.
pub async fn start(
    workers: &mut rx_messaging::Workers<'_>,
    auth: rx_platform::auth::Authenticator,
    transport: rx_platform::tls::Transport,
) -> anyhow::Result<Vec<(String, SocketAddr)>> {
    let config = IntakeConfig::from_env().map_err(|e| anyhow::anyhow!("intake: {e}"))?;
    let app = App::new(workers.pool.clone(), config);
    start_with(workers, app, auth, transport).await
}

/// Starts the listeners with an explicitly built [`App`], at the addresses from the environment.
pub async fn start_with(
    workers: &mut rx_messaging::Workers<'_>,
    app: App,
    auth: rx_platform::auth::Authenticator,
    transport: rx_platform::tls::Transport,
) -> anyhow::Result<Vec<(String, SocketAddr)>> {
    let addrs = extra_listeners().map_err(|e| anyhow::anyhow!("intake: {e}"))?;
    start_at(workers, app, auth, transport, addrs, mllp_clinic()).await
}

/// Binds `fhir` and `mllp` at the given addresses (port 0 picks a free one) and serves them
/// over `transport` until the workers stop; returns the addresses really bound.
pub async fn start_at(
    workers: &mut rx_messaging::Workers<'_>,
    app: App,
    auth: rx_platform::auth::Authenticator,
    transport: rx_platform::tls::Transport,
    listeners: Vec<(String, SocketAddr)>,
    mllp_clinic_id: String,
) -> anyhow::Result<Vec<(String, SocketAddr)>> {
    let mut bound = Vec::with_capacity(listeners.len());
    for (name, addr) in listeners {
        if name == "fhir" {
            let (listener, local) =
                fhir::bind(addr).await.map_err(|e| anyhow::anyhow!("intake fhir listener on {addr}: {e}"))?;
            workers.set.spawn(fhir::serve(
                listener,
                app.clone(),
                auth.clone(),
                transport.clone(),
                workers.stop.clone(),
            ));
            bound.push((name, local));
        } else {
            let (listener, local) =
                mllp::bind(addr).await.map_err(|e| anyhow::anyhow!("intake mllp listener on {addr}: {e}"))?;
            let access = mllp::MllpAccess {
                transport: transport.clone(),
                auth: auth.clone(),
                clinic_id: mllp_clinic_id.clone(),
            };
            workers.set.spawn(mllp::serve(listener, app.clone(), access, workers.stop.clone()));
            bound.push((name, local));
        }
    }
    Ok(bound)
}

/// The extra listeners (besides gRPC and metrics) this service opens with the current
/// environment, by name; `rxbridge config show` reports them so deployments can be checked.
pub fn extra_listeners() -> Result<Vec<(String, SocketAddr)>, ConfigError> {
    IntakeConfig::settings_from_env()?;
    Ok(vec![
        ("fhir".to_owned(), rx_platform::config::addr_or("INTAKE_FHIR_ADDR", "0.0.0.0:8080")?),
        ("mllp".to_owned(), rx_platform::config::addr_or("INTAKE_MLLP_ADDR", "0.0.0.0:2575")?),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    #[test]
    fn extra_listeners_are_fhir_then_mllp() {
        let names: Vec<String> =
            super::extra_listeners().expect("defaults parse").into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["fhir", "mllp"]);
    }
}
