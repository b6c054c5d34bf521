//! Real-time eligibility: CORE `X12_270_Request_005010X279A1` in, `X12_271_Response_005010X279A1` out.

use std::sync::Arc;

use axum::Router;
use serde::Deserialize;

use crate::SimConfig;

/// Plans and members the simulated payer knows.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Config {}

pub fn router(_config: Arc<SimConfig>) -> Router {
    Router::new()
}
