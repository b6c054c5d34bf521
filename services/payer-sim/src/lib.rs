//! `rxbridge payer-sim`: a payer and clearinghouse that speak the CAQH CORE connectivity
//! protocol (real-time 270/271; batch 837P with 999, 277CA and 835 back), answering from a
//! plans-and-members file and injecting faults on demand. Tests, the demo and the load
//! benchmark use it; a clinic can try rxbridge with it before it has a payer contract.

pub mod clearinghouse;
pub mod cli;
pub mod core;
pub mod eligibility;
pub mod faults;

use std::sync::Arc;

use axum::Router;
use serde::Deserialize;

/// The simulator's configuration file (JSON): members and plans for eligibility, outcomes
/// for claims.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    #[serde(default)]
    pub eligibility: eligibility::Config,
    #[serde(default)]
    pub clearinghouse: clearinghouse::Config,
}

/// Builds the simulator's HTTP routes.
pub fn router(config: SimConfig) -> Router {
    let config = Arc::new(config);
    Router::new().merge(eligibility::router(config.clone())).merge(clearinghouse::router(config))
}
