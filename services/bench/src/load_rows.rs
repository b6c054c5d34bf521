//! Rows of the load run (`rxbridge loadtest --json`) and of the ceilings (`rx-bench ceilings`):
//! latency per RPC, the end-to-end rate as a fraction of the rate the ceilings allow, and each
//! service's memory and CPU.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::ceilings::Ceilings;
use crate::report::{Row, ratio, thousands};

/// Commits on the path from a submission to its `eligibility.checked.v1`, counted in the code:
/// intake's submit transaction (document, pages, patient, prescription, outbox row and the
/// call's audit entry: `services/intake/src/app.rs`, `submit`) and benefits' consumer
/// transaction (inbox, check, coverage and outbox row: `services/shared/messaging/src/consumer.rs`,
/// `handle_once`, with `services/benefits/src/events.rs`), as when each message is applied
/// alone; under load benefits applies a clinic's waiting messages in one transaction, so the
/// run commits fewer than this. Not counted: the control number
/// taken when the payer is asked (the load's members are mostly answered from the day's
/// cache), the relays' `UPDATE outbox SET published_at` (once per batch) and claims' two
/// consumers beside the path (batched under load: ~0.5 commits per prescription in a
/// submissions-only run).
pub const COMMITS_PER_PRESCRIPTION: f64 = 2.0;
/// Confirmed publishes on the same path: `prescription.accepted.v1` and `eligibility.checked.v1`.
pub const PUBLISHES_PER_PRESCRIPTION: f64 = 2.0;
/// Deliveries on the same path and beside it: benefits takes the first event, claims takes both.
pub const DELIVERIES_PER_PRESCRIPTION: f64 = 3.0;

#[derive(Debug, Deserialize)]
struct Load {
    clients: usize,
    /// Requests per second offered over all clients; 0 when the run went as fast as it could.
    #[serde(default)]
    rate: f64,
    duration_s: f64,
    rpcs: Vec<Figures>,
    end_to_end: Option<Figures>,
    unmatched: usize,
    accepted: u64,
    processes: Vec<Process>,
}

#[derive(Debug, Deserialize)]
struct Figures {
    name: String,
    ok: u64,
    errors: BTreeMap<String, u64>,
    rate_per_s: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

#[derive(Debug, Deserialize)]
struct Process {
    name: String,
    rss_peak_mb: f64,
    cpu_percent: f64,
}

fn read_json<T: serde::de::DeserializeOwned>(path: Option<&Path>) -> Result<Option<T>> {
    match path {
        Some(p) if p.is_file() => {
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            Ok(Some(serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", p.display()))?))
        }
        _ => Ok(None),
    }
}

/// Every row the files that exist give: the run as fast as it goes with the whole mix, the run
/// of submissions alone (a morning's batch of faxes and referrals: the shape the ceiling
/// describes), both for throughput, then the run at a fixed offered rate (latency when the
/// system is not saturated).
pub fn rows(
    loadtest: Option<&Path>,
    burst: Option<&Path>,
    paced: Option<&Path>,
    ceilings: Option<&Path>,
    startup: Option<&Path>,
    payer_latency_ms: Option<f64>,
) -> Result<Vec<Row>> {
    let ceilings: Option<Ceilings> = read_json(ceilings)?;
    let mut rows = Vec::new();
    for run in [loadtest, burst, paced] {
        if let Some(load) = read_json::<Load>(run)? {
            load_rows(&load, ceilings.as_ref(), payer_latency_ms, &mut rows);
        }
    }
    if let Some(path) = startup.filter(|p| p.is_file()) {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (name, ms) in text.lines().filter_map(|l| l.split_once('\t')) {
            let ms: f64 = ms.trim().parse().unwrap_or(f64::NAN);
            rows.push(Row {
                what: format!("start-up: {name}, spawn to gRPC listening (after migrations)"),
                rxbridge: format!("{ms:.0} ms"),
                target: judge_below(ms, 1000.0, "< 1 s"),
                ..Row::default()
            });
        }
    }
    if let Some(c) = &ceilings {
        ceiling_rows(c, &mut rows);
    }
    Ok(rows)
}

fn load_rows(load: &Load, ceilings: Option<&Ceilings>, payer_latency_ms: Option<f64>, rows: &mut Vec<Row>) {
    let paced = load.rate > 0.0;
    let submissions_only = !load.rpcs.is_empty() && load.rpcs.iter().all(|f| f.name.starts_with("SubmitDocument"));
    let what = if submissions_only { "submissions only, " } else { "" };
    let run = if paced {
        format!("{} clients, {what}{:.0} requests/s offered, {:.0} s", load.clients, load.rate, load.duration_s)
    } else {
        format!("{} clients, {what}as fast as it goes, {:.0} s", load.clients, load.duration_s)
    };
    for f in &load.rpcs {
        let errors: u64 = f.errors.values().sum();
        let target = if f.name.contains("cached") && !f.name.contains("force") {
            judge_below(f.p99_ms, 20.0, "p99 < 20 ms")
        } else if f.name.contains("force_refresh") {
            payer_latency_ms.map_or_else(String::new, |l| {
                judge_below(f.p99_ms, l + 10.0, &format!("p99 < payer {l:.0} ms + 10 ms"))
            })
        } else {
            String::new()
        };
        rows.push(Row {
            what: format!("load: {} ({run})", f.name),
            rxbridge: format!(
                "{}/s ok ({} errors); p50 {:.1} / p90 {:.1} / p99 {:.1} / max {:.1} ms",
                thousands(f.rate_per_s),
                errors,
                f.p50_ms,
                f.p90_ms,
                f.p99_ms,
                f.max_ms
            ),
            target,
            ..Row::default()
        });
    }
    if let Some(e) = &load.end_to_end {
        rows.push(Row {
            what: format!("load: end to end, submit → eligibility.checked.v1, latency ({run})"),
            rxbridge: format!(
                "{} of {} accepted; p50 {:.1} / p90 {:.1} / p99 {:.1} / max {:.1} ms",
                e.ok, load.accepted, e.p50_ms, e.p90_ms, e.p99_ms, e.max_ms
            ),
            other: format!("{} without an event after the drain", load.unmatched),
            ..Row::default()
        });
        if paced {
            // the rate is the one offered, not the system's: no ceiling to compare with
            return;
        }
        let implied = ceilings.map(|c| {
            let pg = c.postgres_commits_per_s / COMMITS_PER_PRESCRIPTION;
            let mq = c.rabbitmq_confirmed_publish_per_s / PUBLISHES_PER_PRESCRIPTION;
            let consume = c.rabbitmq_consume_per_s / DELIVERIES_PER_PRESCRIPTION;
            (pg, mq, consume)
        });
        let (other, r, half) = match implied {
            Some((pg, mq, consume)) => {
                let ceiling = pg.min(mq).min(consume);
                let what = if ceiling == pg {
                    format!(
                        "Postgres ceiling {}/s ÷ {COMMITS_PER_PRESCRIPTION} commits",
                        thousands(pg * COMMITS_PER_PRESCRIPTION)
                    )
                } else if ceiling == mq {
                    format!("RabbitMQ publish ceiling ÷ {PUBLISHES_PER_PRESCRIPTION} publishes")
                } else {
                    format!("RabbitMQ consume ceiling ÷ {DELIVERIES_PER_PRESCRIPTION} deliveries")
                };
                let fraction = e.rate_per_s / ceiling;
                (format!("{}/s ({what})", thousands(ceiling)), ratio(fraction), Some(fraction >= 0.5))
            }
            None => ("ceilings not measured".into(), String::new(), None),
        };
        let sustained = e.rate_per_s >= 500.0;
        rows.push(Row {
            what: format!("load: end-to-end rate, prescriptions/s ({run})"),
            rxbridge: format!("{}/s", thousands(e.rate_per_s)),
            other,
            ratio: r,
            target: format!(
                "≥ 500/s: {}; ≥ 0.5 of ceiling: {}",
                if sustained { "met" } else { "missed" },
                half.map_or("not measured", |h| if h { "met" } else { "missed" })
            ),
        });
    }
    for p in &load.processes {
        rows.push(Row {
            what: format!("load: {} process, peak RSS and mean CPU ({run})", p.name),
            rxbridge: format!("{:.1} MB, {:.0} % of a core", p.rss_peak_mb, p.cpu_percent),
            target: judge_below(p.rss_peak_mb, 100.0, "RSS < 100 MB"),
            ..Row::default()
        });
    }
}

fn ceiling_rows(c: &Ceilings, rows: &mut Vec<Row>) {
    {
        rows.push(Row {
            what: format!(
                "ceiling: Postgres commits, one row + one outbox row, {} connections",
                c.postgres_concurrency
            ),
            other: format!("{}/s", thousands(c.postgres_commits_per_s)),
            ..Row::default()
        });
        rows.push(Row {
            what: "ceiling: RabbitMQ confirmed publish, quorum queue, one publisher".into(),
            other: format!("{}/s", thousands(c.rabbitmq_confirmed_publish_per_s)),
            ..Row::default()
        });
        rows.push(Row {
            what: "ceiling: RabbitMQ consume + ack, same queue, at the same time".into(),
            other: format!("{}/s", thousands(c.rabbitmq_consume_per_s)),
            ..Row::default()
        });
    }
}

fn judge_below(value: f64, limit: f64, label: &str) -> String {
    format!("{label}: {}", if value < limit { "met" } else { "missed" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(name: &str, rate: f64) -> Figures {
        Figures {
            name: name.into(),
            ok: 100,
            errors: BTreeMap::new(),
            rate_per_s: rate,
            p50_ms: 1.0,
            p90_ms: 2.0,
            p99_ms: 3.0,
            max_ms: 4.0,
        }
    }

    fn run(rpcs: &[&str], end_to_end: f64) -> Load {
        Load {
            clients: 16,
            rate: 0.0,
            duration_s: 20.0,
            rpcs: rpcs.iter().map(|n| figures(n, 1.0)).collect(),
            end_to_end: Some(figures("submit → eligibility.checked.v1", end_to_end)),
            unmatched: 0,
            accepted: 100,
            processes: vec![Process { name: "intake".into(), rss_peak_mb: 40.0, cpu_percent: 20.0 }],
        }
    }

    const CEILINGS: Ceilings = Ceilings {
        postgres_concurrency: 16,
        postgres_commits_per_s: 3000.0,
        rabbitmq_publishers: 1,
        rabbitmq_confirmed_publish_per_s: 10_000.0,
        rabbitmq_consume_per_s: 10_000.0,
    };

    fn rate_row(load: &Load) -> Row {
        let mut rows = Vec::new();
        load_rows(load, Some(&CEILINGS), Some(20.0), &mut rows);
        rows.into_iter().find(|r| r.what.starts_with("load: end-to-end rate")).unwrap()
    }

    #[test]
    fn a_run_of_submissions_alone_says_so_and_is_judged_against_the_ceiling() {
        let row = rate_row(&run(&["SubmitDocument (HL7 v2)", "SubmitDocument (FHIR)"], 900.0));
        assert!(row.what.contains("submissions only, as fast as it goes"), "{}", row.what);
        // 3,000 commits/s ÷ 2 commits = 1,500 prescriptions/s; 900 is 0.6 of it
        assert!(row.other.starts_with("1,500/s (Postgres ceiling"), "{}", row.other);
        assert_eq!(row.target, "≥ 500/s: met; ≥ 0.5 of ceiling: met");
    }

    #[test]
    fn a_mixed_run_is_not_called_submissions_only() {
        let row = rate_row(&run(&["SubmitDocument (HL7 v2)", "CheckEligibility (cached)"], 400.0));
        assert!(!row.what.contains("submissions only"), "{}", row.what);
        assert_eq!(row.target, "≥ 500/s: missed; ≥ 0.5 of ceiling: missed");
    }
}
