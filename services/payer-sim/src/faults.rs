//! Fault injection: how the simulated payer misbehaves (latency, HTTP 503, AAA 42, malformed
//! answers, hanging) and the admin endpoint tests use to switch faults at run time.
//!
//! `POST /admin/faults` with `{"mode": "http_503"|"aaa42"|"timeout"|"malformed"|"none",
//! "latency_ms": N, "count": optional}` replaces the current fault; `count` limits it to the
//! next N requests, after which the payer behaves again. `GET /admin/faults` returns the
//! current fault and `GET /admin/stats` how many eligibility requests arrived.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// What goes wrong with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub enum FaultMode {
    /// Answer normally.
    #[default]
    #[serde(rename = "none")]
    None,
    /// HTTP 503 Service Unavailable with a SOAP fault.
    #[serde(rename = "http_503")]
    Http503,
    /// A well-formed 271 whose payer loop carries AAA*Y**42*R (unable to respond now).
    #[serde(rename = "aaa42")]
    Aaa42,
    /// Never answer (until the hang limit): the client's timeout must fire.
    #[serde(rename = "timeout")]
    Timeout,
    /// A CORE envelope whose payload is not X12.
    #[serde(rename = "malformed")]
    Malformed,
}

/// The fault setting, as the config file and the admin endpoint write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    #[serde(default)]
    pub mode: FaultMode,
    /// Delay added before every answer (also when `mode` is `none`).
    #[serde(default)]
    pub latency_ms: u64,
    /// How many more requests get `mode`; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// How long a hanging request waits before it answers after all; bounded so a graceful
/// shutdown of the simulator does not wait forever.
pub const HANG: Duration = Duration::from_secs(120);

/// The live fault state of one simulator.
#[derive(Debug, Default)]
pub struct Faults {
    spec: Mutex<FaultSpec>,
    requests: AtomicU64,
}

impl Faults {
    pub fn new(spec: FaultSpec) -> Self {
        Self { spec: Mutex::new(spec), requests: AtomicU64::new(0) }
    }

    pub fn set(&self, spec: FaultSpec) {
        if let Ok(mut s) = self.spec.lock() {
            *s = spec;
        }
    }

    pub fn current(&self) -> FaultSpec {
        self.spec.lock().map(|s| *s).unwrap_or_default()
    }

    /// Counts one request and returns the fault it gets and the latency to add, using up
    /// one of a limited fault's `count`.
    pub fn next(&self) -> (FaultMode, Duration) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let Ok(mut s) = self.spec.lock() else { return (FaultMode::None, Duration::ZERO) };
        let latency = Duration::from_millis(s.latency_ms);
        let mode = match s.count {
            Some(0) => FaultMode::None,
            Some(n) => {
                s.count = Some(n - 1);
                s.mode
            }
            None => s.mode,
        };
        (mode, latency)
    }

    /// Requests seen since start.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Tokio's timer fires up to ~2 ms after a deadline (millisecond ticks, rounded up when set
/// and again when the runtime parks); the last stretch of a hold is slept on a blocking thread
/// instead, whose sleep is precise to tens of microseconds.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// Holds an answer until `latency` after the request `arrived`, so the configured latency is
/// the one a client sees rather than the latency plus the timer's slack.
pub async fn hold(arrived: Instant, latency: Duration) {
    if latency.is_zero() {
        return;
    }
    let deadline = arrived + latency;
    if let Some(coarse) = deadline.checked_sub(TIMER_SLACK)
        && coarse > Instant::now()
    {
        tokio::time::sleep_until(coarse.into()).await;
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

/// Request counters `GET /admin/stats` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub eligibility_requests: u64,
}

/// `GET|POST /admin/faults` and `GET /admin/stats` for the given fault state.
pub fn admin_router(faults: Arc<Faults>) -> Router {
    Router::new().route("/admin/faults", get(current).post(set)).route("/admin/stats", get(stats)).with_state(faults)
}

async fn current(State(f): State<Arc<Faults>>) -> Json<FaultSpec> {
    Json(f.current())
}

async fn set(State(f): State<Arc<Faults>>, Json(spec): Json<FaultSpec>) -> Json<FaultSpec> {
    tracing::info!(mode = ?spec.mode, latency_ms = spec.latency_ms, count = ?spec.count, "payer-sim fault set");
    f.set(spec);
    Json(spec)
}

async fn stats(State(f): State<Arc<Faults>>) -> Json<Stats> {
    Json(Stats { eligibility_requests: f.requests() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_is_never_held_for_less_than_the_latency() {
        for ms in [1, 2, 3, 15] {
            let arrived = Instant::now();
            hold(arrived, Duration::from_millis(ms)).await;
            assert!(arrived.elapsed() >= Duration::from_millis(ms), "{ms} ms held for {:?}", arrived.elapsed());
        }
    }

    #[test]
    fn a_counted_fault_wears_off() {
        let f = Faults::new(FaultSpec { mode: FaultMode::Http503, latency_ms: 5, count: Some(2) });
        assert_eq!(f.next(), (FaultMode::Http503, Duration::from_millis(5)));
        assert_eq!(f.next().0, FaultMode::Http503);
        assert_eq!(f.next().0, FaultMode::None);
        assert_eq!(f.requests(), 3);
    }

    #[test]
    fn modes_use_the_documented_names() {
        let spec: FaultSpec = serde_json::from_str(r#"{"mode":"http_503","latency_ms":3}"#).expect("valid");
        assert_eq!(spec, FaultSpec { mode: FaultMode::Http503, latency_ms: 3, count: None });
        for (name, mode) in
            [("aaa42", FaultMode::Aaa42), ("timeout", FaultMode::Timeout), ("malformed", FaultMode::Malformed)]
        {
            let s: FaultSpec = serde_json::from_str(&format!(r#"{{"mode":"{name}"}}"#)).expect("valid");
            assert_eq!(s.mode, mode);
        }
        assert!(serde_json::from_str::<FaultSpec>(r#"{"mode":"explode"}"#).is_err());
    }
}
