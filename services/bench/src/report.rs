//! The one markdown table of `make bench`: a figure a row (what, rxbridge, peer or ceiling,
//! ratio, target). Criterion runs on one thread, so its rates are per core; each peer runs in
//! one Python process, so its rates are per core too.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::criterion_results::{self, Estimate};
use crate::inputs::SIZES;
use crate::peers::{self, PeerRate};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Criterion's output directory (`<target dir>/criterion`)
    #[arg(long, default_value = "target/criterion")]
    pub criterion: PathBuf,
    /// The peers' rates (`run_peers.py --out`)
    #[arg(long, default_value = "target/bench/peers.jsonl")]
    pub peers: PathBuf,
    /// `rxbridge loadtest --json` output, if a load run took place
    #[arg(long)]
    pub loadtest: Option<PathBuf>,
    /// `rxbridge loadtest --mix 40,20,0,0,0 --json` output: submissions alone, as fast as they go
    #[arg(long)]
    pub loadtest_burst: Option<PathBuf>,
    /// `rxbridge loadtest --rate N --json` output: the same mix at a fixed offered rate
    #[arg(long)]
    pub loadtest_paced: Option<PathBuf>,
    /// `rx-bench ceilings` output, if the ceilings were measured
    #[arg(long)]
    pub ceilings: Option<PathBuf>,
    /// Milliseconds from spawning each service to its gRPC port listening (`NAME\tMS` lines)
    #[arg(long)]
    pub startup: Option<PathBuf>,
    /// payer-sim's fixed latency during the load run, for the uncached eligibility target
    #[arg(long)]
    pub payer_latency_ms: Option<f64>,
    /// Where the markdown goes
    #[arg(long, default_value = "target/bench/report.md")]
    pub out: PathBuf,
    /// Free text naming the machine and the date, put above the table
    #[arg(long, default_value = "")]
    pub machine: String,
}

/// One row of the table.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub what: String,
    pub rxbridge: String,
    pub other: String,
    pub ratio: String,
    pub target: String,
}

/// A per-core target of the issue, in items per second.
#[derive(Debug, Clone, Copy)]
struct Target {
    per_core: f64,
}

impl Target {
    fn judge(self, rate: f64) -> String {
        let verdict = if rate >= self.per_core { "met" } else { "missed" };
        format!("≥ {}/s per core: {verdict}", thousands(self.per_core))
    }
}

/// A comparison: one rxbridge benchmark against one peer operation on the same input file.
struct Compare {
    what: String,
    unit: &'static str,
    rx_id: String,
    peer: &'static str,
    op: &'static str,
    input: String,
    target: Option<Target>,
}

fn comparisons() -> Vec<Compare> {
    let mut out = Vec::new();
    let mut push = |what: String, unit, rx_id: String, peer, op, input: String, target| {
        out.push(Compare { what, unit, rx_id, peer, op, input, target })
    };
    let t = |per_core| Some(Target { per_core });
    for n in SIZES {
        let input = format!("hl7v2_orm_{n}");
        let what = format!("HL7 v2 parse + map, {n} ORM^O01 (vs parse only)");
        push(what, "msg", format!("hl7v2_parse_map/{input}"), "python-hl7", "parse", input.clone(), t(100_000.0));
        for peer in ["python-hl7", "hl7apy"] {
            let what = format!("HL7 v2 parse, {n} ORM^O01");
            push(what, "msg", format!("hl7v2_parse/{input}"), peer, "parse", input.clone(), None);
        }
    }
    for peer in ["python-hl7", "hl7apy"] {
        let input = "hl7v2_public_samples".to_string();
        let what = "HL7 v2 parse, public samples (ADT, ORM, ORU, SIU, …)".to_string();
        push(what, "msg", format!("hl7v2_parse/{input}"), peer, "parse", input, None);
    }
    for n in SIZES {
        let input = format!("x12_271_{n}");
        let what = format!("271 read + interpret, {n} transactions (vs tokenize)");
        push(what, "tx", format!("read_271_interpret/{input}"), "pyx12", "tokenize", input.clone(), t(50_000.0));
        let what = format!("271 tokenize, {n} transactions");
        push(what, "tx", format!("x12_tokenize/{input}"), "pyx12", "tokenize", input, None);
    }
    for n in SIZES {
        let input = format!("x12_837p_{n}");
        let what = format!("837P build, {n} claims (vs validate)");
        push(what, "claim", format!("build_837p_claims/{input}"), "pyx12", "validate", input.clone(), t(20_000.0));
        let what = format!("837P tokenize, {n} claims");
        push(what, "claim", format!("x12_tokenize/{input}"), "pyx12", "tokenize", input, None);
    }
    for n in SIZES {
        let input = format!("x12_835_{n}");
        let what = format!("835 read, {n} claims (vs validate)");
        push(what, "claim", format!("read_835/{input}"), "pyx12", "validate", input.clone(), t(50_000.0));
        let what = format!("835 tokenize, {n} claims");
        push(what, "claim", format!("x12_tokenize/{input}"), "pyx12", "tokenize", input, None);
    }
    out
}

/// Builds the table, writes it to `args.out` and returns it.
pub fn write(args: &Args) -> Result<String> {
    let estimates = criterion_results::read_all(&args.criterion)?;
    let peer_rates = peers::read(&args.peers)?;
    let mut rows = Vec::new();
    let mut used = BTreeSet::new();
    for c in comparisons() {
        let rx = estimates.get(&c.rx_id);
        if rx.is_some() {
            used.insert(c.rx_id.clone());
        }
        rows.push(compare_row(&c, rx, peers::find(&peer_rates, c.peer, c.op, &c.input)));
    }
    for (id, e) in &estimates {
        if !used.contains(id) {
            rows.push(other_row(e));
        }
    }
    rows.extend(crate::load_rows::rows(
        args.loadtest.as_deref(),
        args.loadtest_burst.as_deref(),
        args.loadtest_paced.as_deref(),
        args.ceilings.as_deref(),
        args.startup.as_deref(),
        args.payer_latency_ms,
    )?);
    let table = render(&args.machine, &rows);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, &table).with_context(|| format!("writing {}", args.out.display()))?;
    Ok(table)
}

fn compare_row(c: &Compare, rx: Option<&Estimate>, peer: Option<&PeerRate>) -> Row {
    let rx_rate = rx.and_then(Estimate::rate);
    let peer_label = |op: &str| format!("{} {}", peer.map_or(c.peer, |p| p.peer.as_str()), op);
    Row {
        what: c.what.clone(),
        rxbridge: rx_rate.map_or("not run".into(), |r| format!("{} {}/s", thousands(r), c.unit)),
        other: match peer {
            None => format!("{}: not run", peer_label(c.op)),
            Some(p) if p.skipped => format!(
                "{}: skipped, one pass ≈ {:.0} s",
                peer_label(c.op),
                p.estimated_pass_seconds.unwrap_or(f64::NAN)
            ),
            Some(p) => format!("{}: {} {}/s", peer_label(c.op), thousands(p.rate), c.unit),
        },
        ratio: match (rx_rate, peer) {
            (Some(r), Some(p)) if !p.skipped && p.rate > 0.0 => ratio(r / p.rate),
            _ => String::new(),
        },
        target: match (c.target, rx_rate) {
            (Some(t), Some(r)) => t.judge(r),
            (Some(t), None) => format!("≥ {}/s per core", thousands(t.per_core)),
            _ => String::new(),
        },
    }
}

fn other_row(e: &Estimate) -> Row {
    let rxbridge = match e.rate() {
        Some(r) => format!("{}/s", thousands(r)),
        None => duration(e.ns_per_iter),
    };
    Row { what: format!("criterion `{}`", e.full_id), rxbridge, ..Row::default() }
}

fn render(machine: &str, rows: &[Row]) -> String {
    let mut s = String::new();
    if !machine.is_empty() {
        let _ = writeln!(s, "{machine}\n");
    }
    s.push_str("| what | rxbridge | peer or ceiling | ratio | target |\n|---|---|---|---|---|\n");
    for r in rows {
        let _ = writeln!(s, "| {} | {} | {} | {} | {} |", r.what, r.rxbridge, r.other, r.ratio, r.target);
    }
    s.push_str(
        "\nLibrary rows: criterion runs on one thread and each peer in one Python process, so both are \
         per-core rates, measured on the same input files in the same run; ratio = rxbridge / peer. \
         \"vs tokenize\" / \"vs validate\" rows compare different work (rxbridge does more, or the \
         peer does) and say so.\n",
    );
    s
}

/// `12,345` (no decimals above 100, two significant decimals below).
pub fn thousands(x: f64) -> String {
    if x < 100.0 {
        return format!("{x:.2}");
    }
    let digits = format!("{:.0}", x.round());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

pub fn ratio(x: f64) -> String {
    if x >= 10.0 { format!("{x:.0}×") } else { format!("{x:.2}×") }
}

fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s/iter", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms/iter", ns / 1e6)
    } else {
        format!("{:.2} µs/iter", ns / 1e3)
    }
}
