//! `rxbridge intake ...`: offline tools for integrators debugging a feed.

/// Intake's offline commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {}
    }
}
