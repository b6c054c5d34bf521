//! `rxbridge benefits ...`: offline tools.

/// The benefits service's offline commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {}
    }
}
