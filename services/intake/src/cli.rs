//! `rxbridge intake ...`: offline tools for integrators debugging a feed.

use std::io::Write;
use std::path::PathBuf;

use intake_domain::{IntakeReport, ValidationConfig, validate};
use rx_ocr::Limits;
use time::{Date, OffsetDateTime};

use crate::error::ServiceError;
use crate::reader::{Requested, read_blocking};

/// Intake's offline commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Reads one document (fax, FHIR R4 JSON or HL7 v2) and prints what intake would make of
    /// it as one JSON object; exits non-zero with a one-line error when it is unreadable.
    Parse {
        /// The document's format, or auto to detect it.
        #[arg(long, value_enum, default_value = "auto")]
        format: Requested,
        /// Validate as of this day (YYYY-MM-DD) instead of today.
        #[arg(long)]
        today: Option<String>,
        /// The document.
        file: PathBuf,
    },
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Parse { format, today, file } => {
                let today = match today {
                    Some(t) => Some(
                        intake_domain::parse_fhir_date(&t)
                            .filter(|_| t.len() == 10)
                            .ok_or_else(|| anyhow::anyhow!("--today must be YYYY-MM-DD"))?,
                    ),
                    None => None,
                };
                let bytes =
                    tokio::fs::read(&file).await.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                let report = tokio::task::spawn_blocking(move || parse_report(&bytes, format, today)).await??;
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", report.to_json_pretty())?;
                Ok(())
            }
        }
    }
}

/// Why the offline tool could not read a document: one line, no patient data.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

/// What `rxbridge intake parse` prints for `bytes`: the report of a readable document
/// (accepted or needing review), or the reason it is unreadable. Blocking (fax OCR).
pub fn parse_report(bytes: &[u8], format: Requested, today: Option<Date>) -> Result<IntakeReport, ParseError> {
    let read = read_blocking(bytes, format, &Limits::default()).map_err(|e| {
        ParseError(match e {
            ServiceError::Unreadable(u) => format!("unreadable document ({}): {}", u.field, u.reason),
            other => other.to_string(),
        })
    })?;
    let today = today.unwrap_or_else(|| OffsetDateTime::now_utc().date());
    let validation = validate(&read.prescription, &ValidationConfig::default(), today);
    Ok(IntakeReport::new(&read.prescription, &validation))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[test]
    fn parse_takes_a_format_a_day_and_a_file() {
        let cli =
            Cli::try_parse_from(["rxbridge", "parse", "--format", "hl7v2", "--today", "2026-02-15", "a.hl7"]).unwrap();
        let Command::Parse { format, today, file } = cli.command;
        assert_eq!((format, today.as_deref(), file.to_str()), (Requested::Hl7v2, Some("2026-02-15"), Some("a.hl7")));
        let Command::Parse { format, .. } = Cli::try_parse_from(["rxbridge", "parse", "f.pdf"]).unwrap().command;
        assert_eq!(format, Requested::Auto);
        assert!(Cli::try_parse_from(["rxbridge", "parse", "--format", "x12", "f"]).is_err());
    }

    #[test]
    fn unreadable_input_is_one_line_naming_the_field() {
        let e = parse_report(b"MSH|^~\\&|A|B|C|D|20260101||ORM^O01|1|T|2.3\r", Requested::Auto, None).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("unreadable document (content):"), "{text}");
        assert!(!text.contains('\n'));
    }
}
