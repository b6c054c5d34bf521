//! `rxbridge payer-sim --config FILE --addr HOST:PORT`.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Runs the payer simulator until Ctrl-C or SIGTERM.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plans-and-members file (JSON); without it the simulator knows no members.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub addr: SocketAddr,
}

impl Args {
    /// Serves until shutdown; reports the bound address through `on_bound`.
    pub async fn run(self, on_bound: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
        let config = match &self.config {
            Some(path) => {
                serde_json::from_slice(&std::fs::read(path)?).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            }
            None => crate::SimConfig::default(),
        };
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        on_bound(listener.local_addr()?);
        let shutdown = rx_platform::shutdown::on_signal();
        axum::serve(listener, crate::router(config)).with_graceful_shutdown(shutdown.cancelled_owned()).await?;
        Ok(())
    }
}
