//! Payer connections: the [`PayerConnector`] trait (a 270 in, a 271 out), its CAQH CORE
//! real-time implementation over HTTP(S) and the resilience around it (timeouts, bounded
//! retries with jitter, a circuit breaker and a concurrency limit per payer).

mod core_http;
mod resilience;

pub use core_http::CoreConnector;
pub use resilience::{Attempt, Exchange, Resilient};

use futures_util::future::BoxFuture;

use crate::config::PayerConfig;

/// Why a payer call gave no usable 271.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    #[error("payer did not answer within the time limit")]
    Timeout,
    #[error("cannot reach the payer: {0}")]
    Connect(String),
    #[error("payer answered http status {0}")]
    Http(u16),
    #[error("unreadable core envelope: {0}")]
    Envelope(String),
    #[error("core error {code}")]
    Core { code: String, message: Option<String> },
    #[error("payer unable to respond now (aaa 42)")]
    Unavailable271,
    #[error("circuit open for this payer")]
    CircuitOpen,
}

impl ConnectorError {
    /// Failures worth another attempt: the payer's momentary state, not our request.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout | Self::Connect(_) | Self::Unavailable271 => true,
            Self::Http(status) => *status >= 500 || *status == 429,
            Self::Envelope(_) | Self::Core { .. } | Self::CircuitOpen => false,
        }
    }
}

/// Sends one 270 to a payer and returns its 271 text.
pub trait PayerConnector: Send + Sync + std::fmt::Debug {
    fn eligibility<'a>(
        &'a self,
        payer: &'a PayerConfig,
        x12_270: String,
    ) -> BoxFuture<'a, Result<String, ConnectorError>>;
}
