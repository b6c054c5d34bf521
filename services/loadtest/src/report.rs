//! The load run's figures: a table for people and JSON for `make bench`'s report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::Args;
use crate::events::Tracker;
use crate::procs::Usage;
use crate::stats::Recorder;

/// Throughput and latency of one kind of request (or of the whole path).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figures {
    pub name: String,
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
    pub rate_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Figures {
    fn new(name: &str, h: &Histogram<u64>, ok: u64, errors: BTreeMap<String, u64>, secs: f64) -> Self {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Self {
            name: name.to_owned(),
            ok,
            errors,
            rate_per_s: ok as f64 / secs.max(0.001),
            p50_ms: ms(0.50),
            p90_ms: ms(0.90),
            p99_ms: ms(0.99),
            max_ms: h.max() as f64 / 1000.0,
        }
    }
}

/// Process usage as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProcessFigures {
    pub name: String,
    pub pid: u32,
    pub rss_peak_mb: f64,
    pub rss_end_mb: f64,
    pub cpu_percent: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub clients: usize,
    /// Requests per second asked for; 0 is as fast as it goes.
    pub rate: f64,
    pub duration_s: f64,
    pub rpcs: Vec<Figures>,
    /// Submission start to `eligibility.checked.v1`, for accepted submissions; its rate counts
    /// events from the start of the run to its end or to the last one matched, if later.
    pub end_to_end: Option<Figures>,
    /// Accepted submissions whose event never came within the drain time.
    pub unmatched: usize,
    pub accepted: u64,
    pub needs_review: u64,
    pub processes: Vec<ProcessFigures>,
}

impl Report {
    pub(crate) fn build(
        args: &Args,
        recorder: &Recorder,
        tracker: &Tracker,
        start: Instant,
        elapsed: Duration,
        usage: Vec<Usage>,
        [accepted, needs_review]: [u64; 2],
    ) -> Self {
        let secs = elapsed.as_secs_f64();
        let rpcs =
            recorder.take().into_iter().map(|(name, s)| Figures::new(name, &s.latency, s.ok, s.errors, secs)).collect();
        let (e2e, unmatched, last) = tracker.finish();
        let end_to_end = (!args.amqp_url.is_empty()).then(|| {
            let span = last.map_or(secs, |l| l.saturating_duration_since(start).as_secs_f64().max(secs));
            Figures::new("submit → eligibility.checked.v1", &e2e, e2e.len(), BTreeMap::new(), span)
        });
        let processes = usage
            .into_iter()
            .map(|u| ProcessFigures {
                name: u.name,
                pid: u.pid,
                rss_peak_mb: u.rss_peak_mb,
                rss_end_mb: u.rss_end_mb,
                cpu_percent: u.cpu_percent,
            })
            .collect();
        Self {
            clients: args.clients,
            rate: args.rate,
            duration_s: secs,
            rpcs,
            end_to_end,
            unmatched,
            accepted,
            needs_review,
            processes,
        }
    }

    /// The human table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let pace = if self.rate > 0.0 { format!("{:.0} req/s", self.rate) } else { "as fast as it goes".into() };
        let _ = writeln!(s, "{} clients, {pace}, {:.1} s", self.clients, self.duration_s);
        let _ = writeln!(
            s,
            "{:<36} {:>8} {:>7} {:>9} {:>8} {:>8} {:>8} {:>8}",
            "request", "ok", "errors", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms"
        );
        for f in self.rpcs.iter().chain(self.end_to_end.as_ref()) {
            let errors: u64 = f.errors.values().sum();
            let _ = writeln!(
                s,
                "{:<36} {:>8} {:>7} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                f.name, f.ok, errors, f.rate_per_s, f.p50_ms, f.p90_ms, f.p99_ms, f.max_ms
            );
        }
        for f in &self.rpcs {
            for (code, n) in &f.errors {
                let _ = writeln!(s, "  {}: {n} × {code}", f.name);
            }
        }
        let _ = writeln!(
            s,
            "submissions accepted {}, needing review {}, accepted without an eligibility event {}",
            self.accepted, self.needs_review, self.unmatched
        );
        if !self.processes.is_empty() {
            let _ = writeln!(
                s,
                "{:<12} {:>8} {:>14} {:>13} {:>10}",
                "process", "pid", "RSS peak MB", "RSS end MB", "CPU %"
            );
            for p in &self.processes {
                let _ = writeln!(
                    s,
                    "{:<12} {:>8} {:>14.1} {:>13.1} {:>10.1}",
                    p.name, p.pid, p.rss_peak_mb, p.rss_end_mb, p.cpu_percent
                );
            }
        }
        s
    }
}
