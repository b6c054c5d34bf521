//! Resident memory and CPU of the service processes, sampled from /proc once a second.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

/// Linux reports CPU time in clock ticks of 1/100 s on every architecture we run on.
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Debug, Clone)]
pub struct Watched {
    pub name: String,
    pub pid: u32,
}

/// What one process used during the run.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub name: String,
    pub pid: u32,
    pub rss_peak_mb: f64,
    pub rss_end_mb: f64,
    /// Mean CPU over the run, in percent of one core.
    pub cpu_percent: f64,
}

/// `NAME=PID` pairs, plus every `rxbridge serve --target X` found when `find` is set.
pub fn resolve(pairs: &[String], find: bool) -> anyhow::Result<Vec<Watched>> {
    let mut out = Vec::new();
    for p in pairs {
        let (name, pid) = p.split_once('=').ok_or_else(|| anyhow::anyhow!("--pid wants NAME=PID, got {p}"))?;
        out.push(Watched { name: name.to_owned(), pid: pid.trim().parse()? });
    }
    if find {
        for entry in std::fs::read_dir("/proc")?.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else { continue };
            let args: Vec<String> = cmd.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            let is_rxbridge = args.first().is_some_and(|a| a.ends_with("rxbridge"));
            if is_rxbridge && args.iter().any(|a| a == "serve") {
                let target = args.iter().skip_while(|a| *a != "--target").nth(1).cloned().unwrap_or_default();
                out.push(Watched { name: target, pid });
            }
        }
    }
    Ok(out)
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()?;
    Some(kb / 1024.0)
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name may hold spaces: fields start after its closing parenthesis
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Samples until `stop` fires, then returns each process's usage.
pub async fn sample(watched: Vec<Watched>, stop: tokio::sync::oneshot::Receiver<()>) -> Vec<Usage> {
    let start = Instant::now();
    let first: BTreeMap<u32, u64> = watched.iter().filter_map(|w| Some((w.pid, cpu_ticks(w.pid)?))).collect();
    let mut peak: BTreeMap<u32, f64> = BTreeMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {
                for w in &watched {
                    if let Some(mb) = rss_mb(w.pid) {
                        let p = peak.entry(w.pid).or_default();
                        *p = p.max(mb);
                    }
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64().max(0.001);
    watched
        .iter()
        .map(|w| {
            let used = cpu_ticks(w.pid).zip(first.get(&w.pid)).map_or(0, |(now, then)| now.saturating_sub(*then));
            let end = rss_mb(w.pid).unwrap_or(0.0);
            Usage {
                name: w.name.clone(),
                pid: w.pid,
                rss_peak_mb: peak.get(&w.pid).copied().unwrap_or(0.0).max(end),
                rss_end_mb: end,
                cpu_percent: used as f64 / TICKS_PER_SECOND / secs * 100.0,
            }
        })
        .collect()
}
