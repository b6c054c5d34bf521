//! Criterion's own results, read from `<target>/criterion/**/new/{benchmark,estimates}.json`
//! rather than from its console text.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// One benchmark's figure: time per iteration and, when declared, items per iteration.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub full_id: String,
    pub ns_per_iter: f64,
    pub items_per_iter: Option<u64>,
}

impl Estimate {
    /// Items per second on the one thread criterion runs on (so: per core).
    pub fn rate(&self) -> Option<f64> {
        let items = self.items_per_iter? as f64;
        (self.ns_per_iter > 0.0).then(|| items * 1e9 / self.ns_per_iter)
    }
}

#[derive(Deserialize)]
struct Benchmark {
    full_id: String,
    throughput: Option<Throughput>,
}

#[derive(Deserialize)]
enum Throughput {
    Elements(u64),
    Bytes(serde::de::IgnoredAny),
    BytesDecimal(serde::de::IgnoredAny),
    ElementsAndBytes { elements: u64 },
}

#[derive(Deserialize)]
struct Estimates {
    mean: PointEstimate,
    slope: Option<PointEstimate>,
}

#[derive(Deserialize)]
struct PointEstimate {
    point_estimate: f64,
}

/// Every benchmark under `criterion_dir`, by full id (`group/function[/value]`).
pub fn read_all(criterion_dir: &Path) -> Result<BTreeMap<String, Estimate>> {
    let mut out = BTreeMap::new();
    if criterion_dir.is_dir() {
        walk(criterion_dir, &mut out)?;
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut BTreeMap<String, Estimate>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some(e) = read_one(&path)? {
                out.insert(e.full_id.clone(), e);
            }
        } else if path.file_name().is_some_and(|n| n != "base" && n != "change" && n != "report") {
            walk(&path, out)?;
        }
    }
    Ok(())
}

fn read_one(new_dir: &Path) -> Result<Option<Estimate>> {
    let (b, e) = (new_dir.join("benchmark.json"), new_dir.join("estimates.json"));
    if !b.is_file() || !e.is_file() {
        return Ok(None);
    }
    let bench: Benchmark =
        serde_json::from_slice(&std::fs::read(&b)?).with_context(|| format!("parsing {}", b.display()))?;
    let est: Estimates =
        serde_json::from_slice(&std::fs::read(&e)?).with_context(|| format!("parsing {}", e.display()))?;
    let items_per_iter = match bench.throughput {
        Some(Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n }) => Some(n),
        Some(Throughput::Bytes(_) | Throughput::BytesDecimal(_)) | None => None,
    };
    let ns_per_iter = est.slope.map_or(est.mean.point_estimate, |s| s.point_estimate);
    Ok(Some(Estimate { full_id: bench.full_id, ns_per_iter, items_per_iter }))
}
