//! `rxbridge claims ...`: offline tools.

/// The claims service's offline commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {}
    }
}

/// `rxbridge x12 ...`: reading what payers send back.
#[derive(Debug, clap::Subcommand)]
pub enum X12Command {}

impl X12Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {}
    }
}
