//! Starting the real `rxbridge` binary against a fresh database and broker namespace.
#![allow(dead_code)] // each test binary uses part of this module

pub mod canary;

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use rx_platform::db::{BENEFITS, CLAIMS, INTAKE};
use rxbridge_tests::db::TestDb;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `rxbridge serve` and the addresses it reported.
pub struct Running {
    pub child: Child,
    pub addrs: HashMap<String, String>,
    pub metrics: String,

    pub db: TestDb,
}

/// The environment that points the binary at `db` and a private broker namespace.
pub fn env_for(db: &TestDb) -> Vec<(String, String)> {
    vec![
        ("INTAKE_DATABASE_URL".into(), db.url_for(INTAKE).expose().to_owned()),
        ("BENEFITS_DATABASE_URL".into(), db.url_for(BENEFITS).expose().to_owned()),
        ("CLAIMS_DATABASE_URL".into(), db.url_for(CLAIMS).expose().to_owned()),
        ("INTAKE_MIGRATION_DATABASE_URL".into(), db.owner_url_for(INTAKE).expose().to_owned()),
        ("BENEFITS_MIGRATION_DATABASE_URL".into(), db.owner_url_for(BENEFITS).expose().to_owned()),
        ("CLAIMS_MIGRATION_DATABASE_URL".into(), db.owner_url_for(CLAIMS).expose().to_owned()),
        ("INTAKE_GRPC_ADDR".into(), "127.0.0.1:0".into()),
        ("BENEFITS_GRPC_ADDR".into(), "127.0.0.1:0".into()),
        ("CLAIMS_GRPC_ADDR".into(), "127.0.0.1:0".into()),
        ("METRICS_ADDR".into(), "127.0.0.1:0".into()),
        ("RXBRIDGE_NAMESPACE".into(), rxbridge_tests::unique_namespace()),
        // Callers name their clinic in headers; tests/auth.rs runs the services with real tokens.
        ("AUTH_INSECURE_DEV_HEADERS".into(), "true".into()),
        // Listeners are plaintext; tests/tls.rs runs the services over TLS and mutual TLS.
        ("TLS_INSECURE_PLAINTEXT".into(), "true".into()),
        // Documents are sealed as in production, with a synthetic test key.
        (
            "DOCUMENT_KEYRING".into(),
            r#"{"current": "test-1", "keys": {"test-1": "dGVzdC1vbmx5LWtleS1mb3ItcnhicmlkZ2UtdGVzdHM="}}"#.into(),
        ),
    ]
}

pub fn rxbridge() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rxbridge"));
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// Migrates and starts `serve --target all`, waiting until every service reported its address.
pub async fn start_all() -> Running {
    let db = TestDb::create().await.expect("test database");
    let env = env_for(&db);
    let status = rxbridge().args(["migrate", "--target", "all"]).envs(env.clone()).status().await.expect("migrate");
    assert!(status.success(), "migrate failed");
    let mut child = rxbridge()
        .args(["serve", "--target", "all"])
        .envs(env)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut addrs = HashMap::new();
    let mut metrics = String::new();
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        while addrs.len() < 3 {
            let Ok(Some(line)) = lines.next_line().await else { break };
            if let Some((name, addr)) = line.split_once(" grpc listening on ") {
                addrs.insert(name.to_owned(), addr.to_owned());
            } else if let Some(addr) = line.strip_prefix("metrics listening on ") {
                metrics = addr.to_owned();
            }
        }
    })
    .await;
    assert!(read.is_ok() && addrs.len() == 3, "the services did not report their addresses: {addrs:?}");
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Running { child, addrs, metrics, db }
}

/// Spawns `rxbridge ARGS` with `env` and waits until it printed `lines` lines containing
/// " listening on "; returns the child and those lines.
pub async fn spawn_until_listening(args: &[&str], env: &[(String, String)], lines: usize) -> (Child, Vec<String>) {
    let (child, seen, _) = spawn_logged(args, env, lines).await;
    (child, seen)
}

/// Migrates every schema of `db` and starts `payer-sim` with the example plans on a free port;
/// returns the environment for the services, the simulator process and its address.
pub async fn migrated_with_payer_sim(db: &TestDb) -> (Vec<(String, String)>, Child, String) {
    let env = env_for(db);
    let status = rxbridge().args(["migrate", "--target", "all"]).envs(env.clone()).status().await.expect("migrate");
    assert!(status.success(), "migrate failed");
    let plans = concat!(env!("CARGO_MANIFEST_DIR"), "/../payer-sim/examples/plans.json");
    let (sim, lines) = spawn_until_listening(&["payer-sim", "--config", plans, "--addr", "127.0.0.1:0"], &env, 1).await;
    let addr = lines[0].rsplit(' ').next().expect("payer-sim address").to_owned();
    (env, sim, addr)
}

/// Every line a process wrote to stdout and stderr, kept for searching (the PHI canary).
pub type Lines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Like [`spawn_until_listening`], keeping every output line in the returned [`Lines`].
pub async fn spawn_logged(args: &[&str], env: &[(String, String)], lines: usize) -> (Child, Vec<String>, Lines) {
    let mut child = rxbridge()
        .args(args)
        .envs(env.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn rxbridge");
    let kept: Lines = Lines::default();
    let stderr = child.stderr.take().expect("stderr");
    let into = kept.clone();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            into.lock().expect("lines").push(line);
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while seen.len() < lines {
            let Ok(Some(line)) = reader.next_line().await else { break };
            if line.contains(" listening on ") {
                seen.push(line.clone());
            }
            kept.lock().expect("lines").push(line);
        }
    })
    .await;
    assert!(read.is_ok() && seen.len() == lines, "rxbridge {args:?} did not start: {seen:?}");
    let into = kept.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = reader.next_line().await {
            into.lock().expect("lines").push(line);
        }
    });
    (child, seen, kept)
}
