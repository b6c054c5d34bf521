//! `rxbridge claims ...` and `rxbridge x12 ...`: offline tools that need no database.

use std::path::PathBuf;

use claims_domain::units::{CodeMinutes, UnitRule, units_for_entries};

/// The claims service's offline commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Turns minutes per procedure code into billing units, e.g. `units 97124=38 97140=15`.
    Units {
        /// `CODE=MINUTES` pairs.
        #[arg(required = true)]
        entries: Vec<String>,
        /// How minutes become units: `cms` (8-minute rule on the day's total) or `per-code`.
        #[arg(long, default_value = "cms")]
        rule: String,
    },
}

impl Command {
    #[allow(clippy::print_stdout)] // a command-line tool prints its answer
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Units { entries, rule } => println!("{}", units_json(&entries, &rule)?),
        }
        Ok(())
    }
}

/// `rxbridge x12 ...`: reading what payers send back.
#[derive(Debug, clap::Subcommand)]
pub enum X12Command {
    /// Prints a JSON summary of a 999, 277CA or 835 file.
    Read {
        /// The X12 file.
        file: PathBuf,
    },
}

impl X12Command {
    #[allow(clippy::print_stdout)] // a command-line tool prints its answer
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Read { file } => {
                let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
                println!("{}", x12_summary_json(&bytes)?);
            }
        }
        Ok(())
    }
}

/// The JSON `rxbridge claims units` prints: total minutes, total units, units per code.
pub fn units_json(entries: &[String], rule: &str) -> anyhow::Result<String> {
    let rule = UnitRule::parse(rule)?;
    let entries = entries.iter().map(|e| CodeMinutes::parse(e)).collect::<Result<Vec<_>, _>>()?;
    let day = units_for_entries(&entries, rule)?;
    Ok(serde_json::to_string(&day)?)
}

/// The JSON summary `rxbridge x12 read` prints for an acknowledgment or remittance.
pub fn x12_summary_json(content: &[u8]) -> anyhow::Result<String> {
    let summary = claims_domain::summarize(content)?;
    Ok(serde_json::to_string_pretty(&summary)?)
}
