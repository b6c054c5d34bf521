//! Keeps a slow or failing payer from hurting the rest: per payer, a concurrency limit (a
//! semaphore), a circuit breaker (opens after `breaker_failures` consecutive failed attempts,
//! lets one trial through after `breaker_cooldown_ms`), and per check a retry budget of
//! `max_attempts` with full-jitter exponential backoff for transient failures (timeouts,
//! connection errors, HTTP 5xx/429, a 271 saying AAA 42 "unable to respond now").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::{ConnectorError, PayerConnector};
use crate::config::PayerConfig;

/// One try at the payer: the 271 it returned (kept even when it said AAA 42) or the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub number: u32,
    /// When the 270 went out and when the attempt ended.
    pub sent_at: time::OffsetDateTime,
    pub ended_at: time::OffsetDateTime,
    pub x271: Option<String>,
    pub error: Option<ConnectorError>,
}

/// Every attempt of one check and its outcome: the usable 271, or the last error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub attempts: Vec<Attempt>,
    pub outcome: Result<String, ConnectorError>,
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    trial_running: bool,
}

impl Breaker {
    /// Whether an attempt may go out now; in half-open state, only one at a time.
    fn admit(&mut self, now: Instant) -> bool {
        match self.open_until {
            None => true,
            Some(until) if now < until => false,
            Some(_) if self.trial_running => false,
            Some(_) => {
                self.trial_running = true;
                true
            }
        }
    }

    fn succeeded(&mut self) {
        *self = Self::default();
    }

    fn failed(&mut self, payer: &PayerConfig, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        self.trial_running = false;
        if self.failures >= payer.breaker_failures {
            if self.open_until.is_none_or(|until| until <= now) {
                tracing::warn!(payer_id = %payer.payer_id, failures = self.failures, "payer circuit opened");
            }
            self.open_until = Some(now + Duration::from_millis(payer.breaker_cooldown_ms));
        }
    }
}

#[derive(Debug)]
struct Guard {
    breaker: Mutex<Breaker>,
    permits: Semaphore,
}

/// A connector with retries, a breaker and a concurrency limit per payer.
#[derive(Debug)]
pub struct Resilient {
    inner: Arc<dyn PayerConnector>,
    guards: Mutex<HashMap<String, Arc<Guard>>>,
}

/// Whether a 271 says "ask again later" (AAA with a transient reason such as 42).
fn says_retry(x271: &str) -> bool {
    benefits_domain::interpret_271(x271.as_bytes())
        .is_ok_and(|i| i.responses.iter().any(|m| m.rejections.iter().any(|r| r.retry)))
}

/// Full jitter: a random delay up to `base * 2^(attempt-1)`, capped at 5 s.
fn backoff(payer: &PayerConfig, attempt: u32) -> Duration {
    let ceiling = payer.backoff_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(10)).min(5_000);
    Duration::from_millis(rand::rng().random_range(0..=ceiling))
}

impl Resilient {
    pub fn new(inner: Arc<dyn PayerConnector>) -> Self {
        Self { inner, guards: Mutex::new(HashMap::new()) }
    }

    fn guard(&self, payer: &PayerConfig) -> Arc<Guard> {
        let mut guards = self.guards.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guards
            .entry(payer.payer_id.clone())
            .or_insert_with(|| {
                Arc::new(Guard {
                    breaker: Mutex::new(Breaker::default()),
                    permits: Semaphore::new(payer.max_concurrency),
                })
            })
            .clone()
    }

    /// Sends `x270` within the payer's retry budget. Never takes longer than
    /// `max_attempts * (2 * timeout) + backoffs` (waiting for a permit is bounded by the timeout).
    pub async fn call(&self, payer: &PayerConfig, x270: &str) -> Exchange {
        let guard = self.guard(payer);
        let mut attempts = Vec::new();
        let mut last = ConnectorError::CircuitOpen;
        for number in 1..=payer.max_attempts {
            if number > 1 {
                tokio::time::sleep(backoff(payer, number - 1)).await;
            }
            let admitted = guard.breaker.lock().map(|mut b| b.admit(Instant::now())).unwrap_or(false);
            if !admitted {
                metrics::counter!("benefits_payer_circuit_rejections_total", "payer_id" => payer.payer_id.clone())
                    .increment(1);
                last = ConnectorError::CircuitOpen;
                break;
            }
            let sent_at = time::OffsetDateTime::now_utc();
            let started = Instant::now();
            let result = match tokio::time::timeout(payer.timeout(), guard.permits.acquire()).await {
                Ok(Ok(_permit)) => self.inner.eligibility(payer, x270.to_owned()).await,
                _ => Err(ConnectorError::Timeout),
            };
            let (x271, error) = match result {
                Ok(x271) if says_retry(&x271) => (Some(x271), Some(ConnectorError::Unavailable271)),
                Ok(x271) => (Some(x271), None),
                Err(e) => (None, Some(e)),
            };
            if let Ok(mut b) = guard.breaker.lock() {
                if error.is_none() { b.succeeded() } else { b.failed(payer, Instant::now()) }
            }
            let outcome = match &error {
                None => "ok",
                Some(ConnectorError::Timeout) => "timeout",
                Some(ConnectorError::Unavailable271) => "aaa42",
                Some(ConnectorError::Http(_)) => "http_error",
                Some(ConnectorError::Connect(_)) => "connect_error",
                Some(_) => "error",
            };
            metrics::counter!("benefits_payer_attempts_total", "payer_id" => payer.payer_id.clone(), "outcome" => outcome)
                .increment(1);
            metrics::histogram!("benefits_payer_attempt_seconds", "payer_id" => payer.payer_id.clone())
                .record(started.elapsed().as_secs_f64());
            let ended_at = time::OffsetDateTime::now_utc();
            attempts.push(Attempt { number, sent_at, ended_at, x271: x271.clone(), error: error.clone() });
            match (x271, error) {
                (Some(x271), None) => return Exchange { attempts, outcome: Ok(x271) },
                (_, Some(e)) => {
                    tracing::info!(payer_id = %payer.payer_id, attempt = number, error = %e, "payer attempt failed");
                    let retry = e.is_transient();
                    last = e;
                    if !retry {
                        break;
                    }
                }
                (None, None) => break,
            }
        }
        Exchange { attempts, outcome: Err(last) }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use futures_util::future::BoxFuture;

    use super::*;

    /// Fails with `error` for the first `failures` calls, then answers "271".
    #[derive(Debug)]
    struct Scripted {
        failures: u32,
        error: ConnectorError,
        calls: AtomicU32,
    }

    impl PayerConnector for Scripted {
        fn eligibility<'a>(&'a self, _: &'a PayerConfig, _: String) -> BoxFuture<'a, Result<String, ConnectorError>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let out = if n < self.failures { Err(self.error.clone()) } else { Ok("271".to_owned()) };
            Box::pin(async move { out })
        }
    }

    fn payer() -> PayerConfig {
        let mut p = PayerConfig::new("P", "PLAN", "http://127.0.0.1:1/");
        p.backoff_ms = 1;
        p.breaker_failures = 4;
        p.breaker_cooldown_ms = 60_000;
        p
    }

    fn resilient(failures: u32, error: ConnectorError) -> (Arc<Scripted>, Resilient) {
        let s = Arc::new(Scripted { failures, error, calls: AtomicU32::new(0) });
        (s.clone(), Resilient::new(s))
    }

    #[tokio::test]
    async fn transient_failures_are_retried_within_budget() {
        let (s, r) = resilient(2, ConnectorError::Http(503));
        let ex = r.call(&payer(), "270").await;
        assert_eq!(ex.outcome, Ok("271".into()));
        assert_eq!(ex.attempts.len(), 3);
        assert_eq!(s.calls.load(Ordering::SeqCst), 3);

        let (s, r) = resilient(10, ConnectorError::Timeout);
        let ex = r.call(&payer(), "270").await;
        assert_eq!(ex.outcome, Err(ConnectorError::Timeout));
        assert_eq!(s.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn permanent_failures_are_not_retried() {
        let (s, r) = resilient(10, ConnectorError::Core { code: "Unauthorized".into(), message: None });
        let ex = r.call(&payer(), "270").await;
        assert!(matches!(ex.outcome, Err(ConnectorError::Core { .. })));
        assert_eq!(s.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_circuit_opens_then_fails_fast() {
        let (s, r) = resilient(100, ConnectorError::Http(500));
        let p = payer();
        let _ = r.call(&p, "270").await; // 3 failures
        let ex = r.call(&p, "270").await; // 1 more opens the circuit
        assert_eq!(ex.outcome, Err(ConnectorError::CircuitOpen));
        assert_eq!(s.calls.load(Ordering::SeqCst), 4);
        let ex = r.call(&p, "270").await;
        assert_eq!(ex.outcome, Err(ConnectorError::CircuitOpen));
        assert!(ex.attempts.is_empty());
        assert_eq!(s.calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_half_open_trial_closes_the_circuit_on_success() {
        let (s, r) = resilient(4, ConnectorError::Http(500));
        let mut p = payer();
        p.breaker_cooldown_ms = 0;
        let _ = r.call(&p, "270").await;
        let ex = r.call(&p, "270").await;
        assert_eq!(ex.outcome, Ok("271".into()));
        assert_eq!(s.calls.load(Ordering::SeqCst), 5);
    }
}
