//! Benefits settings from the environment: payer connections, the provider asking, the cache
//! lifetime and the fee schedule. A malformed setting stops start-up naming the variable.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `BENEFITS_PAYERS` | one payer `SIMPAYER` at the local payer-sim | JSON array of [`PayerConfig`]; `aliases` map the ids and names documents use to it |
//! | `BENEFITS_PAYERS_FILE` | unset | path of a file holding that JSON (wins over `BENEFITS_PAYERS`) |
//! | `BENEFITS_PROVIDER_NAME` | `RXBRIDGE CLINIC` | NM103 of the information receiver (2100B) |
//! | `BENEFITS_PROVIDER_NPI` | `1234567893` | NM109 (XX) of the information receiver |
//! | `BENEFITS_TRACE_ORIGINATOR` | `9000000001` | TRN03: 10 characters |
//! | `BENEFITS_CACHE_SECONDS` | unset = same UTC day | how long an answer is reused |
//! | `BENEFITS_RECHECK_SECONDS` | `30` | how often prescriptions the payer could not answer are checked again (first delay; doubling to an hour); `0` turns rechecks off |
//! | `BENEFITS_FEE_SCHEDULE` | built-in defaults | JSON `{"97124": "40.00", ...}` per unit, merged over defaults |

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::Decimal;
use rx_platform::config::{ConfigError, var};
use serde::Deserialize;

/// One payer connection (CORE real-time over HTTP(S)).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerConfig {
    /// The id clinics and prescriptions use for the payer; also NM109 of the 270's payer loop.
    pub payer_id: String,
    /// NM103 of the payer loop.
    pub name: String,
    /// The CORE real-time endpoint, `https://...` (or `http://` for a local simulator).
    pub endpoint: String,
    /// CORE SenderID and the ISA06 sender id.
    #[serde(default = "default_sender")]
    pub sender_id: String,
    /// CORE ReceiverID and the ISA08 receiver id; the payer id when absent.
    #[serde(default)]
    pub receiver_id: Option<String>,
    /// ISA05/ISA07 qualifier.
    #[serde(default = "default_qualifier")]
    pub isa_qualifier: String,
    /// WS-Security UsernameToken credentials, sent when both are set.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// Per-attempt time limit; CORE allows a payer 20 s.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts per check, first included.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Base of the jittered exponential backoff between attempts.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    /// Concurrent requests to this payer at most.
    #[serde(default = "default_concurrency")]
    pub max_concurrency: usize,
    /// Consecutive failed attempts that open the circuit.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    /// How long an open circuit fails fast before letting one trial through.
    #[serde(default = "default_cooldown_ms")]
    pub breaker_cooldown_ms: u64,
    /// EQ01 service types asked, in order; the first is the default for checks.
    #[serde(default = "default_service_types")]
    pub service_types: Vec<String>,
    /// ISA15 `P` for production traffic, else test.
    #[serde(default)]
    pub production: bool,
    /// Other ids and names documents use for this payer (an EHR's IN1-3 code, the plan name
    /// printed on a fax, a FHIR payor identifier): a prescription naming one of them is checked
    /// with this payer. Compared without case, spaces or punctuation.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A PEM file of extra root certificates to trust for this payer's HTTPS endpoint (a
    /// private CA); the Mozilla roots are always trusted.
    #[serde(default)]
    pub ca_file: Option<String>,
}

impl std::fmt::Debug for PayerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayerConfig")
            .field("payer_id", &self.payer_id)
            .field("endpoint", &self.endpoint)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

fn default_sender() -> String {
    "RXBRIDGE".into()
}
fn default_qualifier() -> String {
    "ZZ".into()
}
fn default_timeout_ms() -> u64 {
    20_000
}
fn default_attempts() -> u32 {
    3
}
fn default_backoff_ms() -> u64 {
    200
}
fn default_concurrency() -> usize {
    8
}
fn default_breaker_failures() -> u32 {
    5
}
fn default_cooldown_ms() -> u64 {
    30_000
}
fn default_service_types() -> Vec<String> {
    vec!["AE".into(), "30".into()]
}

impl PayerConfig {
    /// A payer at `endpoint` with every default (used for the local simulator and in tests).
    pub fn new(payer_id: &str, name: &str, endpoint: &str) -> Self {
        Self {
            payer_id: payer_id.into(),
            name: name.into(),
            endpoint: endpoint.into(),
            sender_id: default_sender(),
            receiver_id: None,
            isa_qualifier: default_qualifier(),
            username: None,
            password: None,
            timeout_ms: default_timeout_ms(),
            max_attempts: default_attempts(),
            backoff_ms: default_backoff_ms(),
            max_concurrency: default_concurrency(),
            breaker_failures: default_breaker_failures(),
            breaker_cooldown_ms: default_cooldown_ms(),
            service_types: default_service_types(),
            production: false,
            aliases: Vec::new(),
            ca_file: None,
        }
    }

    pub fn receiver(&self) -> &str {
        self.receiver_id.as_deref().unwrap_or(&self.payer_id)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The service type a check asks about when the caller names none.
    pub fn default_service_type(&self) -> &str {
        self.service_types.first().map_or("AE", String::as_str)
    }

    fn validate(&self) -> Result<(), String> {
        if self.payer_id.trim().is_empty() || self.name.trim().is_empty() {
            return Err("payer_id and name must not be empty".into());
        }
        if !(self.endpoint.starts_with("http://") || self.endpoint.starts_with("https://")) {
            return Err(format!("payer {}: endpoint must start with http:// or https://", self.payer_id));
        }
        if self.max_attempts == 0 || self.max_concurrency == 0 || self.breaker_failures == 0 {
            return Err(format!("payer {}: attempts, concurrency and breaker_failures must be > 0", self.payer_id));
        }
        if self.service_types.is_empty() {
            return Err(format!("payer {}: at least one service type is needed", self.payer_id));
        }
        if let Some(path) = &self.ca_file {
            load_roots(path).map_err(|e| format!("payer {}: ca_file: {e}", self.payer_id))?;
        }
        Ok(())
    }
}

/// The certificates of a PEM file (at least one).
pub fn load_roots(path: &str) -> Result<Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>>, String> {
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err("no certificate in the file".into());
    }
    Ok(certs)
}

/// Everything the benefits service reads from the environment.
#[derive(Debug, Clone)]
pub struct BenefitsConfig {
    pub payers: Vec<PayerConfig>,
    pub provider_name: String,
    pub provider_npi: String,
    pub trace_originator: String,
    /// `None`: answers are reused for the rest of the UTC day they were given.
    pub cache_for: Option<Duration>,
    pub fees: BTreeMap<String, Decimal>,
    /// Round interval and first delay of automatic rechecks; zero: no rechecks.
    pub recheck_every: Duration,
    /// How the raw 270/271 of each check are kept (`DOCUMENT_KEYRING`, as intake's documents).
    pub at_rest: rx_seal::AtRest,
}

/// Per-unit charges used when neither the environment nor the clinic's table names a code.
pub const DEFAULT_FEES: &[(&str, &str)] = &[
    ("97124", "40.00"),
    ("97140", "45.00"),
    ("97110", "42.00"),
    ("97112", "44.00"),
    ("97530", "46.00"),
    ("97010", "15.00"),
];

fn malformed(name: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Malformed { name: name.to_owned(), reason: reason.into() }
}

/// Parses a payer list (the JSON of `BENEFITS_PAYERS`).
pub fn parse_payers(json: &str) -> Result<Vec<PayerConfig>, String> {
    let payers: Vec<PayerConfig> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    for p in &payers {
        p.validate()?;
    }
    Ok(payers)
}

/// Parses a fee schedule (`{"97124": "40.00"}`) over the defaults.
pub fn parse_fees(json: Option<&str>) -> Result<BTreeMap<String, Decimal>, String> {
    let mut fees: BTreeMap<String, Decimal> =
        DEFAULT_FEES.iter().filter_map(|(c, f)| f.parse().ok().map(|f| ((*c).to_owned(), f))).collect();
    if let Some(json) = json {
        let given: BTreeMap<String, Decimal> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        for (code, fee) in given {
            if fee.is_sign_negative() {
                return Err(format!("fee of {code} is negative"));
            }
            fees.insert(code, fee);
        }
    }
    Ok(fees)
}

impl BenefitsConfig {
    /// The settings with local defaults: one payer, the payer simulator at 127.0.0.1:8090.
    pub fn local(payers: Vec<PayerConfig>) -> Self {
        Self {
            payers,
            provider_name: "RXBRIDGE CLINIC".into(),
            provider_npi: "1234567893".into(),
            trace_originator: "9000000001".into(),
            cache_for: None,
            fees: parse_fees(None).unwrap_or_default(),
            recheck_every: Duration::from_secs(30),
            at_rest: rx_seal::AtRest::Plaintext,
        }
    }

    /// The settings with the document keys (`DOCUMENT_KEYRING`, or `DOCUMENT_PLAINTEXT=true`
    /// for local development), as the running service needs them.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut c = Self::settings_from_env()?;
        c.at_rest = rx_platform::config::documents_at_rest()?;
        Ok(c)
    }

    /// The settings without the document keys (what `rxbridge config show` checks).
    pub fn settings_from_env() -> Result<Self, ConfigError> {
        let payers = if let Some(path) = var("BENEFITS_PAYERS_FILE") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| malformed("BENEFITS_PAYERS_FILE", format!("cannot read the file: {e}")))?;
            parse_payers(&text).map_err(|e| malformed("BENEFITS_PAYERS_FILE", e))?
        } else if let Some(json) = var("BENEFITS_PAYERS") {
            parse_payers(&json).map_err(|e| malformed("BENEFITS_PAYERS", e))?
        } else {
            vec![PayerConfig::new("SIMPAYER", "SIMULATED HEALTH PLAN", "http://127.0.0.1:8090/core/realtime")]
        };
        let mut c = Self::local(payers);
        if let Some(name) = var("BENEFITS_PROVIDER_NAME") {
            c.provider_name = name;
        }
        if let Some(npi) = var("BENEFITS_PROVIDER_NPI") {
            rx_codes::npi::Npi::parse(&npi).map_err(|e| malformed("BENEFITS_PROVIDER_NPI", e.to_string()))?;
            c.provider_npi = npi;
        }
        if let Some(t) = var("BENEFITS_TRACE_ORIGINATOR") {
            if t.len() != 10 {
                return Err(malformed("BENEFITS_TRACE_ORIGINATOR", "must be 10 characters"));
            }
            c.trace_originator = t;
        }
        if let Some(secs) = var("BENEFITS_CACHE_SECONDS") {
            let secs: u64 = secs.trim().parse().map_err(|_| malformed("BENEFITS_CACHE_SECONDS", "expected seconds"))?;
            c.cache_for = Some(Duration::from_secs(secs));
        }
        if let Some(secs) = var("BENEFITS_RECHECK_SECONDS") {
            let secs: u64 =
                secs.trim().parse().map_err(|_| malformed("BENEFITS_RECHECK_SECONDS", "expected seconds"))?;
            c.recheck_every = Duration::from_secs(secs);
        }
        c.fees =
            parse_fees(var("BENEFITS_FEE_SCHEDULE").as_deref()).map_err(|e| malformed("BENEFITS_FEE_SCHEDULE", e))?;
        Ok(c)
    }

    pub fn payer(&self, payer_id: &str) -> Option<&PayerConfig> {
        self.payers.iter().find(|p| p.payer_id == payer_id)
    }

    /// The configured payer a document means by the id and name it gives: the id as a payer id,
    /// then the id or the name as a payer's name or alias. `None` when nothing matches.
    pub fn resolve_payer(&self, id: &str, name: &str) -> Option<&PayerConfig> {
        if let Some(p) = self.payer(id.trim()) {
            return Some(p);
        }
        let wanted: Vec<String> = [id, name].iter().map(|s| payer_key(s)).filter(|k| !k.is_empty()).collect();
        self.payers.iter().find(|p| {
            std::iter::once(&p.payer_id)
                .chain(std::iter::once(&p.name))
                .chain(&p.aliases)
                .any(|known| wanted.contains(&payer_key(known)))
        })
    }
}

/// A payer id or name reduced to its letters and digits, upper case.
fn payer_key(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_name_payers_by_id_name_or_alias() {
        let payers = parse_payers(
            r#"[{"payer_id":"SIMPAYER","name":"SIMULATED HEALTH PLAN","endpoint":"http://x","aliases":["PAYER01","Synthetic Health Plan"]},
                {"payer_id":"P2","name":"OTHER PLAN","endpoint":"http://y"}]"#,
        )
        .expect("valid");
        let c = BenefitsConfig::local(payers);
        let id = |i: &str, n: &str| c.resolve_payer(i, n).map(|p| p.payer_id.as_str());
        assert_eq!(id("SIMPAYER", ""), Some("SIMPAYER"));
        assert_eq!(id("PAYER01", "whatever"), Some("SIMPAYER"), "an EHR's own payer code");
        assert_eq!(id("", "synthetic health plan."), Some("SIMPAYER"), "a plan name as printed");
        assert_eq!(id("", "Simulated Health-Plan"), Some("SIMPAYER"), "the configured name");
        assert_eq!(id("", "Other Plan"), Some("P2"));
        assert_eq!(id("UNKNOWN", "Nobody Insurance"), None);
        assert_eq!(id("", ""), None, "blank names match nothing");
    }

    #[test]
    fn payers_take_defaults_and_are_checked() {
        let p = parse_payers(r#"[{"payer_id":"P1","name":"PLAN","endpoint":"https://payer.example/core"}]"#)
            .expect("valid");
        assert_eq!(p[0].timeout_ms, 20_000);
        assert_eq!(p[0].max_attempts, 3);
        assert_eq!(p[0].receiver(), "P1");
        assert!(parse_payers(r#"[{"payer_id":"P1","name":"PLAN","endpoint":"ftp://x"}]"#).is_err());
        assert!(parse_payers(r#"[{"payer_id":"P1","name":"PLAN","endpoint":"http://x","bogus":1}]"#).is_err());
        assert!(parse_payers(r#"[{"payer_id":"P1","name":"PLAN","endpoint":"http://x","max_attempts":0}]"#).is_err());
        let missing_ca = r#"[{"payer_id":"P1","name":"PLAN","endpoint":"https://x","ca_file":"/nonexistent.pem"}]"#;
        assert!(parse_payers(missing_ca).is_err());
        let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/ca.pem");
        let with_ca = format!(r#"[{{"payer_id":"P1","name":"PLAN","endpoint":"https://x","ca_file":"{ca}"}}]"#);
        assert!(parse_payers(&with_ca).is_ok());
    }

    #[test]
    fn fees_merge_over_defaults_and_refuse_negatives() {
        let fees = parse_fees(Some(r#"{"97124": "55.50", "97999": "10"}"#)).expect("valid");
        assert_eq!(fees.get("97124"), Some(&Decimal::new(5550, 2)));
        assert_eq!(fees.get("97140"), Some(&Decimal::new(4500, 2)));
        assert_eq!(fees.get("97999"), Some(&Decimal::new(10, 0)));
        assert!(parse_fees(Some(r#"{"97124": "-1"}"#)).is_err());
        assert!(parse_fees(Some("[1]")).is_err());
    }
}
