//! Services as separate processes: spawn the real binary, keep every line it prints (its JSON
//! logs and the addresses it reports), and kill it without warning when a test wants a crash.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How to start one process.
#[derive(Debug, Clone)]
pub struct ProcSpec {
    pub binary: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// How many "<name> listening on <addr>" lines to wait for before it counts as started.
    pub listeners: usize,
}

/// A running process and what it printed.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    /// Listener name (e.g. `intake grpc`, `metrics`) to address.
    pub listeners: HashMap<String, String>,
}

impl Proc {
    /// Starts the process and waits (up to a minute) until it reported its listeners.
    pub async fn start(spec: &ProcSpec) -> anyhow::Result<Self> {
        let mut child = Command::new(&spec.binary)
            .args(&spec.args)
            .envs(spec.env.iter().cloned())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sink = lines.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Some((name, addr)) = line.split_once(" listening on ") {
                    let _ = tx.send((name.to_owned(), addr.trim().to_owned()));
                }
                if let Ok(mut all) = sink.lock() {
                    all.push(line);
                }
            }
        });
        let mut listeners = HashMap::new();
        let started = tokio::time::timeout(Duration::from_secs(60), async {
            while listeners.len() < spec.listeners {
                match rx.recv().await {
                    Some((name, addr)) => {
                        listeners.insert(name, addr);
                    }
                    None => break,
                }
            }
        })
        .await;
        anyhow::ensure!(
            started.is_ok() && listeners.len() >= spec.listeners,
            "{:?} did not start: {listeners:?}",
            spec.args
        );
        Ok(Self { child, lines, listeners })
    }

    /// The address of a listener, e.g. `intake grpc`.
    pub fn addr(&self, name: &str) -> anyhow::Result<String> {
        self.listeners.get(name).cloned().ok_or_else(|| anyhow::anyhow!("no listener {name}: {:?}", self.listeners))
    }

    /// Every line printed so far that is a JSON object (the logs).
    pub fn logs(&self) -> Vec<serde_json::Value> {
        let lines = self.lines.lock().map(|l| l.clone()).unwrap_or_default();
        lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// Kills the process with SIGKILL (no shutdown, no drain) and waits for it to exit.
    pub async fn kill(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// The log lines whose message is `message` and whose field `field` equals `value`.
pub fn find<'a>(
    logs: &'a [serde_json::Value],
    message: &str,
    field: &str,
    value: &str,
) -> impl Iterator<Item = &'a serde_json::Value> {
    logs.iter().filter(move |l| l["fields"]["message"] == message && l["fields"][field] == value)
}

/// The trace id of the span a log line was written in, if that span recorded one.
pub fn trace_id(line: &serde_json::Value) -> Option<String> {
    line["span"]["trace_id"].as_str().map(str::to_owned)
}
