//! The peers' figures, as `services/bench/peers/run_peers.py` writes them (one JSON a line).

use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct PeerRate {
    /// Name and version, e.g. `pyx12 4.0.0`.
    pub peer: String,
    /// `parse`, `tokenize` or `validate`.
    pub op: String,
    pub input: String,
    pub items: usize,
    pub rate: f64,
    /// Not run: the smaller input's rate said one pass would take too long.
    #[serde(default)]
    pub skipped: bool,
    #[serde(default)]
    pub estimated_pass_seconds: Option<f64>,
}

pub fn read(path: &Path) -> Result<Vec<PeerRate>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("parsing a line of {}", path.display())))
        .collect()
}

/// The rate of one peer operation on one input, if it ran.
pub fn find<'a>(rates: &'a [PeerRate], peer_prefix: &str, op: &str, input: &str) -> Option<&'a PeerRate> {
    rates.iter().find(|r| r.peer.starts_with(peer_prefix) && r.op == op && r.input == input)
}
