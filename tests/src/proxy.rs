//! A TCP proxy the test controls: forward, cut every connection, refuse new ones, or delay,
//! so tests can take a broker or database away mid-flight and give it back.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A running proxy in front of `upstream`.
#[derive(Debug)]
pub struct TcpProxy {
    pub addr: SocketAddr,
    state: Arc<State>,
    stop: CancellationToken,
}

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    open: AtomicBool,
    delay_ms: AtomicU64,
    // Extra delay of what the client sends (acknowledgements, publishes) only.
    upstream_delay_ms: AtomicU64,
    // Bumped on every cut; connections from an older generation close.
    generation: tokio::sync::watch::Sender<u64>,
}

impl TcpProxy {
    /// Starts a proxy on a free local port.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Self::serve(listener, upstream)
    }

    /// Starts a proxy on a given port (to bring back an address that was refusing).
    pub async fn start_on(addr: SocketAddr, upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Self::serve(listener, upstream)
    }

    fn serve(listener: TcpListener, upstream: SocketAddr) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (generation, _) = tokio::sync::watch::channel(0);
        let state = Arc::new(State {
            upstream,
            open: AtomicBool::new(true),
            delay_ms: AtomicU64::new(0),
            upstream_delay_ms: AtomicU64::new(0),
            generation,
        });
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(listener, state.clone(), stop.clone()));
        Ok(Self { addr, state, stop })
    }

    /// Closes every open connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.state.open.store(false, Ordering::SeqCst);
        self.state.generation.send_modify(|g| *g += 1);
    }

    /// Accepts and forwards connections again.
    pub fn restore(&self) {
        self.state.open.store(true, Ordering::SeqCst);
    }

    /// Delays each forwarded chunk by `delay` (zero to stop delaying).
    pub fn set_delay(&self, delay: Duration) {
        self.state.delay_ms.store(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// Delays only what clients send upstream, on top of `set_delay`: with a long delay the
    /// server's side keeps flowing while the client's acknowledgements never arrive (a
    /// one-way black hole). Applies to chunks read after the call.
    pub fn set_upstream_delay(&self, delay: Duration) {
        self.state.upstream_delay_ms.store(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.stop.cancel();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, stop: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((mut client, _)) = accepted else { continue };
        if !state.open.load(Ordering::SeqCst) {
            let _ = client.shutdown().await;
            continue;
        }
        let state = state.clone();
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(state.upstream).await else { return };
            let mut cut = state.generation.subscribe();
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            let delay = || Duration::from_millis(state.delay_ms.load(Ordering::SeqCst));
            let upstream_delay =
                || delay().saturating_add(Duration::from_millis(state.upstream_delay_ms.load(Ordering::SeqCst)));
            tokio::select! {
                _ = pipe(&mut cr, &mut sw, upstream_delay) => {}
                _ = pipe(&mut sr, &mut cw, delay) => {}
                _ = cut.changed() => {}
            }
        });
    }
}

async fn pipe<R, W, D>(reader: &mut R, writer: &mut W, delay: D) -> std::io::Result<()>
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
    D: Fn() -> Duration,
{
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        let d = delay();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
        writer.write_all(buf.get(..n).unwrap_or_default()).await?;
    }
}
