//! `rxbridge benefits ...`: offline tools.

use std::path::PathBuf;

/// The benefits service's offline commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Reads a 271 file and prints each member's benefits for one service type as JSON.
    #[command(name = "read-271")]
    Read271 {
        /// X12 service type code to report (EB03), e.g. AE (physical medicine) or 30 (plan).
        #[arg(long, default_value = "AE")]
        service_type: String,
        /// The 271 file.
        file: PathBuf,
    },
}

/// The JSON report of a 271, or a one-line error naming what went wrong (never its content).
pub fn read_271_report(input: &[u8], service_type: &str) -> anyhow::Result<String> {
    let report =
        benefits_domain::read_271(input, service_type).map_err(|e| anyhow::anyhow!("not a readable 271: {e}"))?;
    Ok(report.to_json())
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Read271 { service_type, file } => {
                let bytes = std::fs::read(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                let json = read_271_report(&bytes, &service_type)?;
                #[allow(clippy::print_stdout)] // the command's output
                {
                    println!("{json}");
                }
                Ok(())
            }
        }
    }
}
