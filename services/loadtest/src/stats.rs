//! Latency histograms (microseconds, HDR) and outcome counts per operation.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

/// One operation's figures.
#[derive(Debug)]
pub struct OpStats {
    pub latency: Histogram<u64>,
    pub ok: u64,
    /// Failures by gRPC code (or `transport`).
    pub errors: BTreeMap<String, u64>,
}

impl OpStats {
    fn new() -> Self {
        #[allow(clippy::expect_used, reason = "constant bounds that hdrhistogram accepts")]
        let latency = Histogram::new_with_bounds(1, 60_000_000, 3).expect("1 µs .. 60 s at 3 digits");
        Self { latency, ok: 0, errors: BTreeMap::new() }
    }
}

/// Every operation's figures, shared by the clients.
#[derive(Debug, Default)]
pub struct Recorder {
    ops: Mutex<BTreeMap<&'static str, OpStats>>,
}

impl Recorder {
    pub fn ok(&self, op: &'static str, took: Duration) {
        self.with(op, |s| {
            s.ok += 1;
            s.latency.saturating_record(micros(took));
        });
    }

    pub fn error(&self, op: &'static str, took: Duration, code: String) {
        self.with(op, |s| {
            *s.errors.entry(code).or_default() += 1;
            s.latency.saturating_record(micros(took));
        });
    }

    fn with(&self, op: &'static str, f: impl FnOnce(&mut OpStats)) {
        let mut ops = self.ops.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(ops.entry(op).or_insert_with(OpStats::new));
    }

    pub fn take(&self) -> BTreeMap<&'static str, OpStats> {
        std::mem::take(&mut *self.ops.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// A fresh histogram with the bounds every operation uses.
pub fn histogram() -> Histogram<u64> {
    OpStats::new().latency
}
