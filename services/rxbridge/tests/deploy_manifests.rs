//! The Kubernetes manifests (`deploy/k8s`) run the binary they ship: both overlays are rendered
//! with `kubectl kustomize`, and every container of the rxbridge image is checked against this
//! very binary: its arguments parse, its environment passes `rxbridge config show`, every port
//! it declares (container, probe, Service) is one `config show` reports and every listener is
//! exposed, migration jobs connect as their own service's role, and the custom resources that
//! no schema validates (GRPCRoute, KEDA, ServiceMonitor, CloudNativePG) point at what exists.
//! Schema validation of the standard kinds is `make deploy-check`'s job.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rxbridge");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Renders a kustomization under deploy/k8s into its objects.
fn render(dir: &str) -> Vec<Value> {
    let path = repo_root().join("deploy/k8s").join(dir);
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&path)
        .output()
        .expect("kubectl is needed to render deploy/k8s (`kubectl kustomize`)");
    assert!(out.status.success(), "kubectl kustomize {dir}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("kustomize output is utf-8");
    text.split("\n---\n")
        .filter(|doc| !doc.trim().is_empty())
        .map(|doc| serde_norway::from_str::<Value>(doc).expect("kustomize output is yaml"))
        .collect()
}

/// One rendered overlay, plus the examples (CloudNativePG roles) that production relies on.
#[derive(Clone)]
struct Overlay {
    name: &'static str,
    objects: Vec<Value>,
    examples: Vec<Value>,
    /// Whether the overlay generates its Secrets (dev) or expects them to exist (prod).
    renders_secrets: bool,
}

impl Overlay {
    fn load(name: &'static str, renders_secrets: bool) -> Self {
        Self { name, objects: render(&format!("overlays/{name}")), examples: render("examples"), renders_secrets }
    }

    fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects.iter().filter(move |o| o["kind"] == kind)
    }

    fn find(&self, kind: &str, name: &str) -> Option<&Value> {
        self.objects.iter().find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
    }

    fn find_mut(&mut self, kind: &str, name: &str) -> &mut Value {
        self.objects
            .iter_mut()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .expect("the mutated object is rendered")
    }
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn items(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn is_rxbridge_image(image: &str) -> bool {
    let without_digest = image.split('@').next().unwrap_or_default();
    let last = without_digest.rsplit('/').next().unwrap_or_default();
    last.split(':').next() == Some("rxbridge")
}

/// The workloads' pod templates: (kind/name, pod spec, pod labels).
fn pods(overlay: &Overlay) -> Vec<(String, &Value, &Value)> {
    overlay
        .objects
        .iter()
        .filter(|o| matches!(str_of(&o["kind"]), "Deployment" | "StatefulSet" | "DaemonSet" | "Job"))
        .map(|o| {
            let id = format!("{}/{}", str_of(&o["kind"]), str_of(&o["metadata"]["name"]));
            (id, &o["spec"]["template"]["spec"], &o["spec"]["template"]["metadata"]["labels"])
        })
        .collect()
}

fn selects(selector: &Value, labels: &Value) -> bool {
    let Some(wanted) = selector.as_object() else { return false };
    !wanted.is_empty() && wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn base64_decode(text: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|b| *b != b'=' && !b.is_ascii_whitespace()) {
        let value = u32::try_from(ALPHABET.iter().position(|a| *a == byte)?).ok()?;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).ok()?);
        }
    }
    String::from_utf8(out).ok()
}

/// A value for a secret-backed variable when the overlay does not render the Secret.
fn placeholder(var: &str) -> String {
    match var {
        v if v.ends_with("_DATABASE_URL") => "postgres://placeholder:placeholder@postgres:5432/rxbridge".into(),
        "AMQP_URL" => "amqp://placeholder:placeholder@rabbitmq:5672/%2f".into(),
        _ => "placeholder".into(),
    }
}

/// Where a variable's value came from, for the checks that care (secrets must be secrets).
#[derive(Debug, Clone, PartialEq)]
enum Source {
    Literal,
    ConfigMap,
    Secret(String),
    Field,
}

/// The container's environment as Kubernetes would build it (envFrom first, env overrides).
fn environment(
    overlay: &Overlay,
    who: &str,
    pod: &Value,
    container: &Value,
    scratch: &Path,
    problems: &mut Vec<String>,
) -> BTreeMap<String, (String, Source)> {
    let mut env = BTreeMap::new();
    for from in items(&container["envFrom"]) {
        let name = str_of(&from["configMapRef"]["name"]);
        if name.is_empty() {
            problems.push(format!("{who}: envFrom other than a ConfigMap is not checked: {from}"));
            continue;
        }
        match overlay.find("ConfigMap", name) {
            Some(cm) => {
                for (k, v) in cm["data"].as_object().into_iter().flatten() {
                    env.insert(k.clone(), (str_of(v).to_owned(), Source::ConfigMap));
                }
            }
            None if from["configMapRef"]["optional"] == true => {}
            None => problems.push(format!("{who}: envFrom names a missing ConfigMap {name}")),
        }
    }
    for var in items(&container["env"]) {
        let name = str_of(&var["name"]).to_owned();
        let from = &var["valueFrom"];
        if let Some(value) = var["value"].as_str() {
            env.insert(name, (value.to_owned(), Source::Literal));
        } else if from["configMapKeyRef"].is_object() {
            let r = &from["configMapKeyRef"];
            let value =
                overlay.find("ConfigMap", str_of(&r["name"])).and_then(|cm| cm["data"][str_of(&r["key"])].as_str());
            match value {
                Some(v) => {
                    env.insert(name, (v.to_owned(), Source::ConfigMap));
                }
                None if r["optional"] == true => {}
                None => problems.push(format!("{who}: env {name} names a missing ConfigMap key {r}")),
            }
        } else if from["secretKeyRef"].is_object() {
            let r = &from["secretKeyRef"];
            let secret = str_of(&r["name"]).to_owned();
            if r["optional"] == true {
                continue; // may be absent at run time: the binary must start without it
            }
            let value = match overlay.find("Secret", &secret) {
                Some(s) => s["data"][str_of(&r["key"])]
                    .as_str()
                    .and_then(base64_decode)
                    .or_else(|| s["stringData"][str_of(&r["key"])].as_str().map(str::to_owned)),
                None if overlay.renders_secrets => None,
                None => Some(placeholder(&name)),
            };
            match value {
                Some(v) => {
                    env.insert(name, (v, Source::Secret(secret)));
                }
                None => problems.push(format!("{who}: env {name} names a missing Secret key {r}")),
            }
        } else if from["fieldRef"].is_object() || from["resourceFieldRef"].is_object() {
            env.insert(name, ("placeholder".to_owned(), Source::Field));
        } else {
            problems.push(format!("{who}: env {name} has no value"));
        }
    }
    materialize_files(overlay, who, pod, container, scratch, &mut env, problems);
    env
}

/// Variables naming a file under a mounted Secret or ConfigMap get a copy of that file in
/// `scratch`, so `config show` reads what the pod would. A volume the overlay does not render
/// stays absent when it is optional in an overlay that renders its Secrets (as in the pod);
/// otherwise (prod: Secrets come from outside) the variable is left out, unknowable here.
fn materialize_files(
    overlay: &Overlay,
    who: &str,
    pod: &Value,
    container: &Value,
    scratch: &Path,
    env: &mut BTreeMap<String, (String, Source)>,
    problems: &mut Vec<String>,
) {
    for (name, (value, _)) in env.clone() {
        let mount = items(&container["volumeMounts"]).iter().find_map(|m| {
            let base = str_of(&m["mountPath"]);
            let rest = value.strip_prefix(base)?.strip_prefix('/')?;
            Some((str_of(&m["name"]), rest.to_owned()))
        });
        let Some((volume, key)) = mount else { continue };
        let Some(volume) = items(&pod["volumes"]).iter().find(|v| v["name"] == volume) else { continue };
        let (kind, source, optional) = if volume["secret"].is_object() {
            ("Secret", str_of(&volume["secret"]["secretName"]), volume["secret"]["optional"] == true)
        } else if volume["configMap"].is_object() {
            ("ConfigMap", str_of(&volume["configMap"]["name"]), volume["configMap"]["optional"] == true)
        } else {
            continue;
        };
        let content = overlay.find(kind, source).and_then(|o| match kind {
            "Secret" => o["data"][key.as_str()].as_str().and_then(base64_decode),
            _ => o["data"][key.as_str()].as_str().map(str::to_owned),
        });
        match content {
            Some(text) => {
                let dir = scratch.join(who.replace(['/', ' '], "_")).join(&name);
                std::fs::create_dir_all(&dir).expect("scratch dir");
                let file = dir.join(key.replace('/', "_"));
                std::fs::write(&file, text).expect("scratch file");
                if let Some(entry) = env.get_mut(&name) {
                    entry.0 = file.display().to_string();
                }
            }
            None if overlay.renders_secrets && optional => {}
            None if overlay.renders_secrets => {
                problems.push(format!("{who}: {name} names {key} in {kind} {source}, which is not rendered"));
            }
            // The JWKS and TLS files are required: their variables stay (the binary checks a
            // file only when it can read it); other files fall back to their defaults.
            None if name == "AUTH_JWKS_FILE" || name.starts_with("TLS_") => {}
            None => {
                env.remove(&name);
            }
        }
    }
}

/// Runs the binary with exactly this environment.
fn run(args: &[&str], env: &BTreeMap<String, (String, Source)>) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, (v, _))| (k, v)))
        .output()
        .expect("run the rxbridge binary")
}

fn port_of(addr: &str) -> Option<u64> {
    addr.rsplit(':').next()?.parse().ok()
}

fn container_port(container: &Value, name_or_number: &Value) -> Option<u64> {
    if let Some(n) = name_or_number.as_u64() {
        return Some(n);
    }
    items(&container["ports"]).iter().find(|p| p["name"] == *name_or_number).and_then(|p| p["containerPort"].as_u64())
}

/// The user name of a connection URL (`scheme://user[:password]@host/...`).
fn url_user(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split_once('@')?.0;
    Some(userinfo.split(':').next().unwrap_or(userinfo))
}

/// What `config show` said about one serve/migrate container, for the cross-object checks.
struct Shown {
    target: String,
    config: Value,
    env: BTreeMap<String, (String, Source)>,
}

/// Checks one overlay; returns every problem found (empty when the manifests are right).
fn check(overlay: &Overlay) -> Vec<String> {
    let mut problems = Vec::new();
    let mut serving: BTreeMap<String, Shown> = BTreeMap::new(); // Deployment name -> its server
    let mut migrating: Vec<(String, Shown)> = Vec::new();
    static CHECKS: AtomicUsize = AtomicUsize::new(0);
    let n = CHECKS.fetch_add(1, Ordering::Relaxed);
    let scratch = std::env::temp_dir().join(format!("rxbridge-deploy-{}-{}-{n}", std::process::id(), overlay.name));
    let _ = std::fs::remove_dir_all(&scratch);
    for (id, pod, labels) in pods(overlay) {
        let all = items(&pod["initContainers"]).iter().chain(items(&pod["containers"]));
        for container in all.filter(|c| is_rxbridge_image(str_of(&c["image"]))) {
            let who = format!("{} {id}/{}", overlay.name, str_of(&container["name"]));
            let args: Vec<&str> = items(&container["args"]).iter().map(str_of).collect();
            if container["command"].is_array() {
                problems.push(format!("{who}: overrides the image's entrypoint"));
            }
            check_hardening(&who, pod, container, &mut problems);
            let mut with_help = args.clone();
            with_help.push("--help");
            let help = run(&with_help, &BTreeMap::new());
            if !help.status.success() {
                problems.push(format!(
                    "{who}: args {args:?} are not a valid command line: {}",
                    String::from_utf8_lossy(&help.stderr).trim()
                ));
                continue;
            }
            let env = environment(overlay, &who, pod, container, &scratch, &mut problems);
            match args.first().copied() {
                Some("serve" | "migrate") => {}
                Some("payer-sim") => {
                    let addr = args.iter().position(|a| *a == "--addr").and_then(|i| args.get(i + 1));
                    let declared: Vec<u64> =
                        items(&container["ports"]).iter().filter_map(|p| p["containerPort"].as_u64()).collect();
                    if addr.and_then(|a| port_of(a)).is_none_or(|p| declared != [p]) {
                        problems.push(format!("{who}: --addr {addr:?} and container ports {declared:?} differ"));
                    }
                    continue;
                }
                _ => continue,
            }
            let target = args.iter().position(|a| *a == "--target").and_then(|i| args.get(i + 1));
            let Some(target) = target.map(|t| (*t).to_owned()) else {
                problems.push(format!("{who}: no --target"));
                continue;
            };
            let shown = run(&["config", "show", "--target", &target], &env);
            if !shown.status.success() {
                problems.push(format!(
                    "{who}: `rxbridge config show --target {target}` fails with this environment: {}",
                    String::from_utf8_lossy(&shown.stderr).trim()
                ));
                continue;
            }
            let config: Value = serde_json::from_slice(&shown.stdout).expect("config show prints json");
            // the migration Job connects as the schema's owner, everything else as the runtime role
            let applies_migrations = args.first() == Some(&"migrate") && !args.contains(&"--wait");
            for service in config["services"].as_object().into_iter().flatten().map(|(name, _)| name) {
                let var = database_url_var(service, applies_migrations);
                if !matches!(env.get(&var), Some((_, Source::Secret(_)))) {
                    problems.push(format!("{who}: {var} is not set from a Secret"));
                }
            }
            let shown = Shown { target, config, env };
            if args.first() == Some(&"serve") {
                if !matches!(shown.env.get("AMQP_URL"), Some((_, Source::Secret(_)))) {
                    problems.push(format!("{who}: AMQP_URL is not set from a Secret"));
                }
                if shown.config["authentication"] != "jwt" {
                    problems.push(format!("{who}: callers are not authenticated with tokens (AUTH_JWKS_FILE)"));
                }
                if !matches!(shown.config["transport"].as_str(), Some("tls" | "mtls")) {
                    problems.push(format!("{who}: listeners would be plaintext (TLS_CERT_FILE, TLS_KEY_FILE)"));
                }
                for var in ["TLS_CERT_FILE", "TLS_KEY_FILE"] {
                    if let Some((path, _)) = shown.env.get(var)
                        && !mounted_from_secret(pod, container, var, path)
                    {
                        problems.push(format!("{who}: {var} is not in a mounted Secret"));
                    }
                }
                if shown.config["documents"] != "sealed" {
                    problems.push(format!("{who}: documents would not be encrypted (DOCUMENT_KEYRING)"));
                }
                check_ports(overlay, &who, labels, container, &shown.config, &mut problems);
                check_grace(&who, pod, container, &shown.env, &mut problems);
                serving.insert(id.trim_start_matches("Deployment/").to_owned(), shown);
            } else if !args.contains(&"--wait") {
                migrating.push((who, shown));
            }
        }
    }
    check_migrations(overlay, &serving, &migrating, &mut problems);
    check_routes(overlay, &serving, &mut problems);
    check_scaling(overlay, &serving, &mut problems);
    check_monitoring(overlay, &serving, &mut problems);
    let _ = std::fs::remove_dir_all(&scratch);
    problems
}

/// Whether the file `var` names lies under a volume mount of the container backed by a Secret.
/// The environment may point at a scratch copy, so the container's own value is read first.
fn mounted_from_secret(pod: &Value, container: &Value, var: &str, value: &str) -> bool {
    let original =
        items(&container["env"]).iter().find(|v| v["name"] == var).and_then(|v| v["value"].as_str()).unwrap_or(value);
    items(&container["volumeMounts"]).iter().any(|m| {
        original.strip_prefix(str_of(&m["mountPath"])).is_some_and(|rest| rest.starts_with('/'))
            && items(&pod["volumes"]).iter().any(|v| v["name"] == m["name"] && v["secret"].is_object())
    })
}

fn check_hardening(who: &str, pod: &Value, container: &Value, problems: &mut Vec<String>) {
    let sc = &container["securityContext"];
    let pod_sc = &pod["securityContext"];
    let hardened = sc["allowPrivilegeEscalation"] == false
        && sc["readOnlyRootFilesystem"] == true
        && sc["capabilities"]["drop"] == json!(["ALL"])
        && (pod_sc["runAsNonRoot"] == true || sc["runAsNonRoot"] == true)
        && pod_sc["seccompProfile"]["type"] == "RuntimeDefault";
    if !hardened {
        problems.push(format!("{who}: securityContext is not hardened"));
    }
    let tmp_volume = items(&container["volumeMounts"]).iter().find(|m| m["mountPath"] == "/tmp").map(|m| &m["name"]);
    let is_empty_dir = tmp_volume
        .is_some_and(|name| items(&pod["volumes"]).iter().any(|v| v["name"] == *name && v["emptyDir"].is_object()));
    if !is_empty_dir {
        problems.push(format!("{who}: /tmp is not an emptyDir"));
    }
}

/// Every declared port is a listener `config show` reports, and every listener is declared.
fn check_ports(
    overlay: &Overlay,
    who: &str,
    labels: &Value,
    container: &Value,
    config: &Value,
    problems: &mut Vec<String>,
) {
    let mut listeners: BTreeMap<u64, String> = BTreeMap::new();
    if let Some(p) = port_of(str_of(&config["metrics"])) {
        listeners.insert(p, "metrics".into());
    }
    for (service, s) in config["services"].as_object().into_iter().flatten() {
        for (name, addr) in s["listeners"].as_object().into_iter().flatten() {
            if let Some(p) = port_of(str_of(addr)) {
                listeners.insert(p, format!("{service} {name}"));
            }
        }
    }
    let declared: BTreeSet<u64> =
        items(&container["ports"]).iter().filter_map(|p| p["containerPort"].as_u64()).collect();
    for port in &declared {
        if !listeners.contains_key(port) {
            problems.push(format!("{who}: container port {port} is no listener of `config show` {listeners:?}"));
        }
    }
    for (port, what) in &listeners {
        if !declared.contains(port) {
            problems.push(format!("{who}: listener {what} ({port}) has no container port"));
        }
    }
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        let p = &container[probe];
        let port = [&p["grpc"]["port"], &p["httpGet"]["port"], &p["tcpSocket"]["port"]]
            .into_iter()
            .find(|v| !v.is_null())
            .and_then(|v| container_port(container, v));
        match port {
            Some(port) if p["grpc"].is_object() && listeners.get(&port).is_some_and(|l| l.ends_with(" grpc")) => {
                problems.push(format!("{who}: {probe} on the TLS port {port}: gRPC probes need the health port"));
            }
            Some(port) if listeners.contains_key(&port) => {}
            other => problems.push(format!("{who}: {probe} port {other:?} is no listener")),
        }
    }
    for service in overlay.of_kind("Service").filter(|s| selects(&s["spec"]["selector"], labels)) {
        for sp in items(&service["spec"]["ports"]) {
            let target = if sp["targetPort"].is_null() { &sp["port"] } else { &sp["targetPort"] };
            match container_port(container, target) {
                Some(port) if listeners.contains_key(&port) => {}
                other => problems.push(format!(
                    "{who}: Service/{} port {} targets {other:?}, no listener",
                    str_of(&service["metadata"]["name"]),
                    sp["name"]
                )),
            }
        }
    }
}

/// The pod outlives the drain: preStop sleep plus SHUTDOWN_DRAIN_SECONDS fit in the grace period.
fn check_grace(
    who: &str,
    pod: &Value,
    container: &Value,
    env: &BTreeMap<String, (String, Source)>,
    problems: &mut Vec<String>,
) {
    let drain: u64 = env.get("SHUTDOWN_DRAIN_SECONDS").and_then(|(v, _)| v.parse().ok()).unwrap_or(20);
    let pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"].as_u64().unwrap_or(0);
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
    if grace <= drain + pre_stop {
        problems.push(format!("{who}: terminationGracePeriodSeconds {grace} <= preStop {pre_stop} + drain {drain}"));
    }
}

/// The variable holding a service's database URL: the owner's for the migration Job.
fn database_url_var(service: &str, applies_migrations: bool) -> String {
    let kind = if applies_migrations { "MIGRATION_DATABASE_URL" } else { "DATABASE_URL" };
    format!("{}_{kind}", service.to_uppercase())
}

/// Checks that a Secret's URL connects as `role` (dev: the generated URL; prod: the
/// CloudNativePG managed role that uses the Secret).
fn check_secret_role(overlay: &Overlay, who: &str, url: &str, secret: &str, role: &str, problems: &mut Vec<String>) {
    if overlay.renders_secrets && url_user(url) != Some(role) {
        problems.push(format!("{who}: Secret {secret} connects as {:?}, not as role {role}", url_user(url)));
    }
    let managed = overlay
        .examples
        .iter()
        .filter(|o| o["kind"] == "Cluster")
        .flat_map(|c| items(&c["spec"]["managed"]["roles"]))
        .find(|r| r["passwordSecret"]["name"] == secret);
    match managed {
        Some(r) if r["name"] == role => {}
        Some(r) => problems.push(format!("{who}: CNPG role {} uses Secret {secret}; expected {role}", r["name"])),
        None if overlay.renders_secrets => {}
        None => problems.push(format!("{who}: no CNPG managed role uses Secret {secret}")),
    }
}

/// A migration job connects with its service's owner Secret as the schema's owner; the
/// Deployment with another Secret as the runtime role, which row-level security binds.
fn check_migrations(
    overlay: &Overlay,
    serving: &BTreeMap<String, Shown>,
    migrating: &[(String, Shown)],
    problems: &mut Vec<String>,
) {
    let mut migrated = BTreeSet::new();
    for (who, job) in migrating {
        for (service, s) in job.config["services"].as_object().into_iter().flatten() {
            migrated.insert(service.clone());
            let var = database_url_var(service, true);
            let Some((url, Source::Secret(secret))) = job.env.get(&var) else { continue };
            check_secret_role(overlay, who, url, secret, str_of(&s["migration_role"]), problems);
            let server = serving.iter().find(|(_, d)| d.config["services"].get(service).is_some());
            if let Some((name, d)) = server
                && let Some((served_url, Source::Secret(served_secret))) = d.env.get(&database_url_var(service, false))
            {
                if served_secret == secret {
                    problems.push(format!("{who}: Deployment {name} connects with the owner's Secret {secret}"));
                }
                check_secret_role(
                    overlay,
                    &format!("Deployment {name}"),
                    served_url,
                    served_secret,
                    str_of(&s["role"]),
                    problems,
                );
            }
            let others: Vec<&String> = job
                .env
                .keys()
                .filter(|k| k.ends_with("_DATABASE_URL") && **k != var && !k.starts_with("RXBRIDGE_ADMIN"))
                .collect();
            if !others.is_empty() {
                problems.push(format!("{who}: also carries another service's credentials {others:?}"));
            }
        }
    }
    for shown in serving.values() {
        for service in shown.config["services"].as_object().into_iter().flatten().map(|(n, _)| n) {
            if !migrated.contains(service) {
                problems.push(format!("{}: no migration Job for {service} (target {})", overlay.name, shown.target));
            }
        }
    }
}

/// The gRPC services each proto package declares: (package, service).
fn proto_services() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for service in ["intake", "benefits", "claims"] {
        let dir = repo_root().join("proto/rxbridge").join(service).join("v1");
        for entry in std::fs::read_dir(&dir).expect("proto dir").flatten() {
            let text = std::fs::read_to_string(entry.path()).expect("proto file");
            let package = text.lines().find_map(|l| l.strip_prefix("package ")).map(|p| p.trim_end_matches(';').trim());
            for line in text.lines().filter_map(|l| l.strip_prefix("service ")) {
                let name = line.split_whitespace().next().unwrap_or_default();
                found.push((service.to_owned(), format!("{}.{name}", package.unwrap_or_default())));
            }
        }
    }
    found
}

/// The GRPCRoute sends each proto service to the Deployment that serves it, on its gRPC port.
fn check_routes(overlay: &Overlay, serving: &BTreeMap<String, Shown>, problems: &mut Vec<String>) {
    let mut routed = BTreeMap::new();
    for route in overlay.of_kind("GRPCRoute") {
        for rule in items(&route["spec"]["rules"]) {
            for backend in items(&rule["backendRefs"]) {
                let (name, port) = (str_of(&backend["name"]), backend["port"].as_u64());
                let exposed = overlay
                    .find("Service", name)
                    .is_some_and(|s| items(&s["spec"]["ports"]).iter().any(|p| p["port"].as_u64() == port));
                let grpc_port = serving
                    .get(name)
                    .and_then(|d| d.config["services"][name]["listeners"]["grpc"].as_str())
                    .and_then(port_of);
                if !exposed || grpc_port != port {
                    problems.push(format!(
                        "{}: GRPCRoute backend {name}:{port:?} is not that service's grpc",
                        overlay.name
                    ));
                }
                for m in items(&rule["matches"]) {
                    routed.insert(str_of(&m["method"]["service"]).to_owned(), name.to_owned());
                }
            }
        }
    }
    for (service, grpc) in proto_services() {
        if routed.get(&grpc) != Some(&service) {
            problems.push(format!("{}: {grpc} is routed to {:?}, not {service}", overlay.name, routed.get(&grpc)));
        }
    }
}

/// HPAs and ScaledObjects scale Deployments that exist (never both), KEDA watches the queue the
/// service consumes, and every server has a PodDisruptionBudget.
fn check_scaling(overlay: &Overlay, serving: &BTreeMap<String, Shown>, problems: &mut Vec<String>) {
    let mut scaled = BTreeMap::new();
    for hpa in overlay.of_kind("HorizontalPodAutoscaler") {
        *scaled.entry(str_of(&hpa["spec"]["scaleTargetRef"]["name"]).to_owned()).or_insert(0) += 1;
    }
    for so in overlay.of_kind("ScaledObject") {
        let target = str_of(&so["spec"]["scaleTargetRef"]["name"]);
        *scaled.entry(target.to_owned()).or_insert(0) += 1;
        for trigger in items(&so["spec"]["triggers"]).iter().filter(|t| t["type"] == "rabbitmq") {
            let expected = serving.get(target).map(|d| format!("{}.{target}", str_of(&d.config["namespace"])));
            if expected.as_deref() != trigger["metadata"]["queueName"].as_str() {
                problems.push(format!(
                    "{}: ScaledObject/{target} watches {}, not {expected:?}",
                    overlay.name, trigger["metadata"]["queueName"]
                ));
            }
            let auth = str_of(&trigger["authenticationRef"]["name"]);
            match overlay.find("TriggerAuthentication", auth) {
                None => problems.push(format!("{}: TriggerAuthentication {auth} is missing", overlay.name)),
                Some(ta) => {
                    for r in items(&ta["spec"]["secretTargetRef"]) {
                        if overlay.renders_secrets && overlay.find("Secret", str_of(&r["name"])).is_none() {
                            problems.push(format!(
                                "{}: TriggerAuthentication {auth} names a missing Secret {}",
                                overlay.name, r["name"]
                            ));
                        }
                    }
                }
            }
        }
    }
    for name in serving.keys() {
        if scaled.get(name) != Some(&1) {
            problems.push(format!(
                "{}: Deployment/{name} has {:?} autoscalers, expected 1",
                overlay.name,
                scaled.get(name)
            ));
        }
        let labels = overlay.find("Deployment", name).map(|d| &d["spec"]["template"]["metadata"]["labels"]);
        let covered = labels.is_some_and(|l| {
            overlay.of_kind("PodDisruptionBudget").any(|p| selects(&p["spec"]["selector"]["matchLabels"], l))
        });
        if !covered {
            problems.push(format!("{}: Deployment/{name} has no PodDisruptionBudget", overlay.name));
        }
    }
    for name in scaled.keys() {
        if !serving.contains_key(name) {
            problems.push(format!("{}: an autoscaler targets {name}, which is no rxbridge server", overlay.name));
        }
    }
}

/// Every server's metrics port is scraped by a ServiceMonitor.
fn check_monitoring(overlay: &Overlay, serving: &BTreeMap<String, Shown>, problems: &mut Vec<String>) {
    for name in serving.keys() {
        let Some(labels) = overlay.find("Deployment", name).map(|d| &d["spec"]["template"]["metadata"]["labels"])
        else {
            continue;
        };
        let scraped = overlay.of_kind("Service").filter(|s| selects(&s["spec"]["selector"], labels)).any(|service| {
            overlay.of_kind("ServiceMonitor").any(|sm| {
                selects(&sm["spec"]["selector"]["matchLabels"], &service["metadata"]["labels"])
                    && items(&sm["spec"]["endpoints"]).iter().any(|e| {
                        items(&service["spec"]["ports"])
                            .iter()
                            .any(|p| p["name"] == e["port"] && p["port"].as_u64() == Some(9464))
                    })
            })
        });
        if !scraped {
            problems.push(format!("{}: Deployment/{name}'s metrics are scraped by no ServiceMonitor", overlay.name));
        }
    }
}

fn assert_clean(overlay: &Overlay) {
    let problems = check(overlay);
    assert!(problems.is_empty(), "{} overlay:\n{}", overlay.name, problems.join("\n"));
}

#[test]
fn the_dev_overlay_runs_the_binary_it_ships() {
    let dev = Overlay::load("dev", true);
    assert!(dev.find("Deployment", "payer-sim").is_some(), "dev runs the payer simulator");
    assert_clean(&dev);
}

#[test]
fn the_prod_overlay_runs_the_binary_it_ships() {
    let prod = Overlay::load("prod", false);
    assert!(prod.find("Deployment", "payer-sim").is_none(), "prod has no payer simulator");
    assert!(prod.of_kind("Secret").next().is_none(), "prod generates no Secret");
    assert_clean(&prod);
}

/// Whether `check` reports a problem containing every one of these fragments.
fn reports(overlay: &Overlay, fragments: &[&str]) -> bool {
    let problems = check(overlay);
    problems.iter().any(|p| fragments.iter().all(|f| p.contains(f)))
}

fn intake_container(overlay: &mut Overlay) -> &mut Value {
    &mut overlay.find_mut("Deployment", "intake")["spec"]["template"]["spec"]["containers"][0]
}

#[test]
fn the_check_catches_a_broken_deployment() {
    let pristine = Overlay::load("dev", true);
    assert!(check(&pristine).is_empty(), "the dev overlay itself is clean");
    let broken = |mutate: &dyn Fn(&mut Overlay)| {
        let mut overlay = pristine.clone();
        mutate(&mut overlay);
        overlay
    };

    // A container port nothing listens on.
    let wrong_port = broken(&|o| intake_container(o)["ports"][0]["containerPort"] = json!(50099));
    assert!(reports(&wrong_port, &["intake", "container port 50099 is no listener"]), "{:?}", check(&wrong_port));
    assert!(reports(&wrong_port, &["listener intake grpc (50051) has no container port"]));

    // A probe on a port nothing listens on.
    let wrong_probe = broken(&|o| intake_container(o)["readinessProbe"]["grpc"]["port"] = json!(50052));
    assert!(reports(&wrong_probe, &["readinessProbe port Some(50052) is no listener"]), "{:?}", check(&wrong_probe));

    // A flag the binary does not have.
    let unknown_flag = broken(&|o| {
        intake_container(o)["args"].as_array_mut().expect("args").push(json!("--no-such-flag"));
    });
    assert!(reports(&unknown_flag, &["intake", "not a valid command line"]), "{:?}", check(&unknown_flag));

    // The service's database URL missing (it would silently default to localhost).
    let missing_env = broken(&|o| {
        intake_container(o)["env"].as_array_mut().expect("env").retain(|v| v["name"] != "INTAKE_DATABASE_URL");
    });
    assert!(reports(&missing_env, &["Deployment/intake/intake", "INTAKE_DATABASE_URL is not set from a Secret"]));

    // Callers' keys or the document keyring missing: the server would refuse to start, or
    // store patients' documents unencrypted.
    for (var, says) in [("AUTH_JWKS_FILE", "not authenticated"), ("DOCUMENT_KEYRING", "not be encrypted")] {
        let missing = broken(&|o| {
            intake_container(o)["env"].as_array_mut().expect("env").retain(|v| v["name"] != var);
        });
        assert!(reports(&missing, &["Deployment/intake/intake", says]), "{var}: {:?}", check(&missing));
    }

    // Listeners in plaintext: no certificate, or the development flag.
    let plaintext = broken(&|o| {
        let env = intake_container(o)["env"].as_array_mut().expect("env");
        env.retain(|v| !str_of(&v["name"]).starts_with("TLS_"));
        env.push(json!({"name": "TLS_INSECURE_PLAINTEXT", "value": "true"}));
    });
    assert!(reports(&plaintext, &["Deployment/intake/intake", "plaintext"]), "{:?}", check(&plaintext));
    let no_certificate = broken(&|o| {
        intake_container(o)["env"].as_array_mut().expect("env").retain(|v| v["name"] != "TLS_CERT_FILE");
    });
    assert!(reports(&no_certificate, &["Deployment/intake/intake", "plaintext"]), "{:?}", check(&no_certificate));

    // The certificate not mounted from its Secret.
    let unmounted = broken(&|o| {
        intake_container(o)["volumeMounts"].as_array_mut().expect("mounts").retain(|m| m["name"] != "tls");
    });
    assert!(
        reports(&unmounted, &["Deployment/intake/intake", "TLS_CERT_FILE", "not in a mounted Secret"]),
        "{:?}",
        check(&unmounted)
    );

    // A probe on the TLS port (kubelet's gRPC probes speak plaintext).
    let tls_probe = broken(&|o| intake_container(o)["readinessProbe"]["grpc"]["port"] = json!(50051));
    assert!(reports(&tls_probe, &["readinessProbe", "TLS port"]), "{:?}", check(&tls_probe));

    // A malformed value in the ConfigMap: `config show` names the variable.
    let malformed = broken(&|o| {
        let cm = o
            .objects
            .iter_mut()
            .find(|c| c["kind"] == "ConfigMap" && str_of(&c["metadata"]["name"]).starts_with("rxbridge-config"));
        cm.expect("config map")["data"]["METRICS_ADDR"] = json!("not-an-address");
    });
    assert!(reports(&malformed, &["config show --target intake` fails", "METRICS_ADDR"]), "{:?}", check(&malformed));

    // A migration job using another service's credentials.
    let wrong_role = broken(&|o| {
        let benefits_secret =
            o.find("Deployment", "benefits").expect("benefits")["spec"]["template"]["spec"]["containers"][0]["env"]
                .as_array()
                .and_then(|env| env.iter().find(|v| v["name"] == "BENEFITS_DATABASE_URL"))
                .map(|v| v["valueFrom"]["secretKeyRef"]["name"].clone())
                .expect("benefits secret");
        let job = o.find_mut("Job", "intake-migrate");
        for var in job["spec"]["template"]["spec"]["containers"][0]["env"].as_array_mut().expect("env") {
            if var["name"] == "INTAKE_MIGRATION_DATABASE_URL" {
                var["valueFrom"]["secretKeyRef"]["name"] = benefits_secret.clone();
            }
        }
    });
    assert!(reports(&wrong_role, &["Job/intake-migrate", "rxbridge_intake"]), "{:?}", check(&wrong_role));

    // A Deployment connecting as the schema's owner (row-level security would not bind it
    // without FORCE, and it could change the schema).
    let as_owner = broken(&|o| {
        let job = o.find("Job", "intake-migrate").expect("job");
        let owner_secret = job["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .and_then(|env| env.iter().find(|v| v["name"] == "INTAKE_MIGRATION_DATABASE_URL"))
            .map(|v| v["valueFrom"]["secretKeyRef"]["name"].clone())
            .expect("owner secret");
        for var in intake_container(o)["env"].as_array_mut().expect("env") {
            if var["name"] == "INTAKE_DATABASE_URL" {
                var["valueFrom"]["secretKeyRef"]["name"] = owner_secret.clone();
            }
        }
    });
    assert!(reports(&as_owner, &["connects with the owner's Secret"]), "{:?}", check(&as_owner));

    // A payer list the benefits service refuses (the mounted Secret's file is read for real).
    let bad_payers = broken(&|o| {
        let secret = o
            .objects
            .iter_mut()
            .find(|c| c["kind"] == "Secret" && str_of(&c["metadata"]["name"]).starts_with("rxbridge-payers"));
        secret.expect("payers secret")["data"]["payers.json"] = json!("W3sicGF5ZXJfaWQiOiAiWCJ9XQ=="); // [{"payer_id": "X"}]
    });
    assert!(
        reports(&bad_payers, &["Deployment/benefits/benefits", "BENEFITS_PAYERS_FILE"]),
        "{:?}",
        check(&bad_payers)
    );

    // A gRPC service routed to the wrong Deployment.
    let misrouted = broken(&|o| {
        o.find_mut("GRPCRoute", "rxbridge")["spec"]["rules"][2]["backendRefs"][0] =
            json!({"name": "benefits", "port": 50052});
    });
    assert!(reports(&misrouted, &["rxbridge.claims.v1.ClaimsService is routed to"]), "{:?}", check(&misrouted));

    // A grace period the drain does not fit in.
    let short_grace = broken(&|o| {
        o.find_mut("Deployment", "claims")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = json!(20);
    });
    assert!(reports(&short_grace, &["Deployment/claims", "terminationGracePeriodSeconds 20"]));
}

#[test]
fn base64_decoding_matches_kustomize_secrets() {
    assert_eq!(base64_decode("cG9zdGdyZXM6Ly91QGgvZA==").as_deref(), Some("postgres://u@h/d"));
    assert_eq!(url_user("postgres://rxbridge_intake:pw@h:5432/rxbridge"), Some("rxbridge_intake"));
    assert_eq!(url_user("postgres://rxbridge_claims@h/rxbridge"), Some("rxbridge_claims"));
    assert!(is_rxbridge_image("registry.example.com/rxbridge/rxbridge:0.1.0"));
    assert!(is_rxbridge_image("rxbridge@sha256:abc"));
    assert!(!is_rxbridge_image("postgres:16.4-bookworm"));
}
