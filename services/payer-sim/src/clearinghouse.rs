//! Batch claims: CORE `X12_837_Request_005010X222A1` in; 999, 277CA and 835 back.

use std::sync::Arc;

use axum::Router;
use serde::Deserialize;

use crate::SimConfig;

/// Outcomes the simulated payer gives claims.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Config {}

pub fn router(_config: Arc<SimConfig>) -> Router {
    Router::new()
}
