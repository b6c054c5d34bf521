//! The input files rxbridge's benches and the Python peers both read: generated interchanges of
//! 1, 100 and 10,000 transactions (271, 837P, 835) and batches of HL7 v2 ORM^O01 messages, built
//! from the synthetic fixtures, plus the public HL7 v2 samples. A `manifest.json` lists them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use rx_x12::{ControlNumbers, Envelope, FunctionalGroup, OwnedSegment, PartyId, TransactionSet, Usage};
use serde::{Deserialize, Serialize};

/// Batch sizes: one transaction, a clinic's morning, an EHR replaying a day.
pub const SIZES: [usize; 3] = [1, 100, 10_000];

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// One input file: what it holds and how many items (messages, transactions, claims).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Input {
    pub name: String,
    /// `hl7v2` (messages separated by a line feed, segments by a carriage return) or `x12`.
    pub kind: String,
    pub items: usize,
    pub path: PathBuf,
    /// pyx12 4.0.0 validates this file (837P and 835 5010; not 5010 271s).
    #[serde(default)]
    pub pyx12_validates: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub inputs: Vec<Input>,
}

impl Manifest {
    pub fn get(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join("manifest.json");
        let text = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// Writes every input file and the manifest into `dir`.
pub fn generate(dir: &Path) -> Result<Manifest> {
    generate_sizes(dir, &SIZES)
}

/// [`generate`] for chosen batch sizes.
pub fn generate_sizes(dir: &Path, sizes: &[usize]) -> Result<Manifest> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut inputs = Vec::new();
    let mut put = |name: String, kind: &str, items: usize, validates: bool, bytes: &[u8]| -> Result<()> {
        let ext = if kind == "x12" { "x12" } else { "hl7" };
        let path = dir.join(format!("{name}.{ext}"));
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        let path = path.canonicalize().unwrap_or(path);
        inputs.push(Input { name, kind: kind.into(), items, path, pyx12_validates: validates });
        Ok(())
    };
    let orm = fixture("synthetic/hl7v2_orm_o01_massage_order_v23.hl7")?;
    let x271 = fixture("synthetic/271_massage_benefits.x12")?;
    let x835 = fixture("synthetic/835_massage_remit_balanced.x12")?;
    for &n in sizes {
        put(format!("hl7v2_orm_{n}"), "hl7v2", n, false, hl7_batch(&orm, n).as_bytes())?;
        put(format!("x12_271_{n}"), "x12", n, false, &replicate(&x271, "HB", "005010X279A1", n)?)?;
        put(format!("x12_837p_{n}"), "x12", n, true, build_837p(n)?.as_bytes())?;
        put(format!("x12_835_{n}"), "x12", n, true, &replicate(&x835, "HP", "005010X221A1", n)?)?;
    }
    let (public, count) = public_hl7()?;
    put("hl7v2_public_samples".into(), "hl7v2", count, false, public.as_bytes())?;
    let manifest = Manifest { inputs };
    let path = dir.join("manifest.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(manifest)
}

fn fixture(path: &str) -> Result<Vec<u8>> {
    std::fs::read(format!("{FIXTURES}/{path}")).with_context(|| format!("reading fixture {path}"))
}

/// `n` copies of the synthetic order, each with its own control id and placer number, one a line.
fn hl7_batch(orm: &[u8], n: usize) -> String {
    let text = rx_hl7v2::decode(orm);
    let text = text.trim_end_matches(['\r', '\n']);
    let mut out = String::with_capacity((text.len() + 1) * n);
    for i in 0..n {
        out.push_str(&text.replace("MSG0001", &format!("MSG{i:07}")).replace("RX0001", &format!("RX{i:07}")));
        out.push('\n');
    }
    out
}

/// Every public HL7 v2 sample of `tests/fixtures/hl7v2`, split into messages, one a line.
fn public_hl7() -> Result<(String, usize)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(format!("{FIXTURES}/hl7v2"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "hl7"))
        .collect();
    names.sort();
    let mut out = String::new();
    let mut count = 0;
    for path in names {
        let bytes = std::fs::read(&path)?;
        let text = rx_hl7v2::decode(&bytes);
        let mut message = String::new();
        for seg in text.split(['\r', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
            // batch envelopes are not messages
            if ["FHS", "BHS", "BTS", "FTS"].iter().any(|h| seg.starts_with(h)) {
                continue;
            }
            if seg.starts_with("MSH") && !message.is_empty() {
                out.push_str(message.trim_end_matches('\r'));
                out.push('\n');
                count += 1;
                message.clear();
            }
            message.push_str(seg);
            message.push('\r');
        }
        if !message.is_empty() {
            out.push_str(message.trim_end_matches('\r'));
            out.push('\n');
            count += 1;
        }
    }
    Ok((out, count))
}

/// An interchange holding `n` copies of the one transaction set of `sample`.
fn replicate(sample: &[u8], functional_id: &str, version: &str, n: usize) -> Result<Vec<u8>> {
    let doc = rx_x12::read(sample).map_err(|e| anyhow!("reading sample: {e}"))?;
    let (_, t) = doc.transactions().next().ok_or_else(|| anyhow!("sample holds no transaction"))?;
    let body: Vec<OwnedSegment> = t.segments.iter().map(OwnedSegment::from_segment).collect();
    // ST03 only where the sample has it (the 835 guide does not use it)
    let tx = TransactionSet::new(t.id, t.implementation_ref, body);
    let group = FunctionalGroup::new(functional_id, version, vec![tx; n]);
    let mut env = Envelope::new(
        PartyId::new("ZZ", "PAYER01"),
        PartyId::new("ZZ", "CLINIC01"),
        time::macros::datetime!(2026-01-15 09:30),
        Usage::Test,
    );
    env.line_break = true;
    let text = rx_x12::write(&env, &[group], ControlNumbers { interchange: 1, group: 1, first_transaction: 1 })
        .map_err(|e| anyhow!("writing interchange: {e}"))?;
    Ok(text.into_bytes())
}

/// `n` synthetic claims built by rxbridge itself, one claim a transaction.
fn build_837p(n: usize) -> Result<String> {
    claims_for_837p(n).build().map_err(|e| anyhow!("building 837P: {e}"))
}

/// What the `x12_837p_<n>` input is built from, so the bench times the very same build.
#[derive(Debug)]
pub struct ClaimsInput {
    batch: claims_domain::claim::ClaimBatch,
    fees: claims_domain::fees::FeeSchedule,
    envelope: Envelope,
}

impl ClaimsInput {
    /// The interchange: one claim a transaction.
    pub fn build(&self) -> Result<String, claims_domain::ClaimsError> {
        let numbers = crate::synthetic_claims::numbers(1);
        claims_domain::build837::build_837p_split(&self.batch, &self.fees, &self.envelope, numbers, 1)
    }
}

/// `n` claims of the synthetic massage clinic (every third for a dependant).
pub fn claims_for_837p(n: usize) -> ClaimsInput {
    use crate::synthetic_claims as c;
    ClaimsInput { batch: c::batch(c::many_claims(n)), fees: c::fees(), envelope: c::envelope() }
}

/// Reads one input's HL7 v2 messages (one a line).
pub fn hl7_messages(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split(|b| *b == b'\n').filter(|m| !m.is_empty()).collect()
}
