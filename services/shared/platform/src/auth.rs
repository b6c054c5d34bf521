//! Who is calling, and what they may do. Clinic software and integrators present a bearer JWT
//! (RS256 or ES256) signed by a configured issuer; it names the caller (`sub`), their clinic
//! (`clinic_id`) and their roles (`roles`). The issuer's public keys come from a JWKS file
//! (a Kubernetes secret or config map), so keys rotate by adding the new key to the set before
//! the issuer signs with it and removing the old one after its tokens expired.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `AUTH_JWKS_FILE` | required (or `AUTH_JWKS_URL`) | the issuer's public keys (JWKS JSON) |
//! | `AUTH_JWKS_URL` | unset | the keys fetched over HTTPS instead, and refreshed (see [`crate::jwks`]) |
//! | `AUTH_ISSUER` | required | expected `iss` |
//! | `AUTH_AUDIENCE` | `rxbridge` | expected `aud` |
//! | `AUTH_LEEWAY_SECONDS` | `60` | clock skew allowed on `exp` and `nbf` |
//! | `AUTH_INSECURE_DEV_HEADERS` | unset | `true`: no tokens; the clinic, subject and roles come from `x-clinic-id`, `x-subject`, `x-roles` headers, for local development only (warned at start-up) |
//! | `TLS_CLIENT_IDENTITIES` | unset | client certificates that identify a system (see [`ClientIdentities`]) |
//!
//! A caller with a verified client certificate (see [`crate::tls`]) and no bearer token is the
//! system the certificate is mapped to; a certificate mapped to no system is UNAUTHENTICATED.
//! With both, the token names the caller (a user acting through the integrator's connection),
//! but it must be of the certificate's clinic: a mapped certificate pins the connection to
//! its clinic.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::config::{ConfigError, var};
use crate::jwks::JwksUrl;
use crate::tls::PeerCert;

/// A role a token grants. Roles decide which calls a caller may make (see [`allowed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A physician system or interface engine pushing prescriptions.
    Integrator,
    /// Front desk: registers coverage, checks eligibility, reads prescriptions.
    FrontDesk,
    /// Clinical staff working the review queue.
    Reviewer,
    /// A therapist recording delivered sessions.
    Therapist,
    /// Billing staff working claims and remittances.
    Billing,
    /// Compliance officers reading the audit trail (no patient data in it).
    Compliance,
    /// Operators: metrics and dead-letter queues, no patient data.
    Ops,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Integrator,
        Role::FrontDesk,
        Role::Reviewer,
        Role::Therapist,
        Role::Billing,
        Role::Compliance,
        Role::Ops,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "integrator" => Role::Integrator,
            "front_desk" => Role::FrontDesk,
            "reviewer" => Role::Reviewer,
            "therapist" => Role::Therapist,
            "billing" => Role::Billing,
            "compliance" => Role::Compliance,
            "ops" => Role::Ops,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Integrator => "integrator",
            Role::FrontDesk => "front_desk",
            Role::Reviewer => "reviewer",
            Role::Therapist => "therapist",
            Role::Billing => "billing",
            Role::Compliance => "compliance",
            Role::Ops => "ops",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub clinic_id: String,
    pub roles: Vec<Role>,
}

impl Caller {
    /// The roles, comma-separated (as the `x-roles` metadata handlers read).
    pub fn roles_text(&self) -> String {
        self.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// Why a caller was turned away. The texts go back to callers: they say what is wrong with
/// the credentials, never which key or clinic exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("a bearer token is required")]
    Missing,
    #[error("the bearer token is malformed")]
    Malformed,
    #[error("the token is signed with an unknown key or algorithm")]
    UnknownKey,
    #[error("the token's signature is invalid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not yet valid")]
    NotYetValid,
    #[error("the token is for another audience")]
    WrongAudience,
    #[error("the token is from another issuer")]
    WrongIssuer,
    #[error("the token names no clinic or subject")]
    NoClinic,
    #[error("the caller's roles do not allow this call")]
    Forbidden,
    #[error("the client certificate is not registered")]
    UnknownCertificate,
    #[error("the bearer token is for another clinic than the client certificate")]
    CertificateMismatch,
}

impl AuthError {
    /// The gRPC status for this failure: PERMISSION_DENIED for a known caller asking too
    /// much, UNAUTHENTICATED for everything else.
    pub fn status(&self) -> tonic::Status {
        match self {
            AuthError::Forbidden => tonic::Status::permission_denied(self.to_string()),
            _ => tonic::Status::unauthenticated(self.to_string()),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    clinic_id: String,
    #[serde(default)]
    roles: Vec<String>,
    /// Seconds since the epoch, as in the token (validated by `jsonwebtoken` first).
    #[serde(default)]
    exp: Option<f64>,
    #[serde(default)]
    nbf: Option<f64>,
}

/// Verifies callers.
#[derive(Clone)]
pub struct Authenticator {
    mode: Arc<Mode>,
    identities: Option<Arc<ClientIdentities>>,
}

/// Which system a client certificate stands for, from a JSON file keyed by a certificate's
/// DNS subject alternative name or its subject CN:
/// `{"ehr.clinic-a.example": {"clinic_id": "clinic-a", "roles": ["integrator"]}}`
/// (`roles` defaults to `["integrator"]`). The caller's subject is `cert:<name>`.
#[derive(Debug, Clone, Default)]
pub struct ClientIdentities {
    by_name: HashMap<String, Caller>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityEntry {
    clinic_id: String,
    #[serde(default)]
    roles: Option<Vec<String>>,
}

impl ClientIdentities {
    /// Parses the JSON text; an empty clinic or an unknown role is an error, not ignored.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let entries: HashMap<String, IdentityEntry> =
            serde_json::from_str(text).map_err(|e| format!("not an identities map: {e}"))?;
        let mut by_name = HashMap::new();
        for (name, entry) in entries {
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() || entry.clinic_id.trim().is_empty() {
                return Err("every entry needs a certificate name and a clinic_id".into());
            }
            let texts = entry.roles.unwrap_or_else(|| vec!["integrator".into()]);
            let roles = texts
                .iter()
                .map(|r| Role::parse(r).ok_or_else(|| format!("{name}: unknown role {r:?}")))
                .collect::<Result<Vec<_>, _>>()?;
            let caller =
                Caller { subject: format!("cert:{name}"), clinic_id: entry.clinic_id.trim().to_owned(), roles };
            by_name.insert(name, caller);
        }
        Ok(Self { by_name })
    }

    /// The system a verified certificate is mapped to, by its first name that is listed.
    pub fn caller(&self, cert: &PeerCert) -> Option<Caller> {
        cert.names().find_map(|n| self.by_name.get(&n.to_ascii_lowercase())).cloned()
    }
}

enum Mode {
    Jwt(JwtVerifier),
    DevHeaders,
}

struct JwtVerifier {
    /// The current keys; replaced whole when a refresh from `source` succeeds.
    keys: RwLock<Arc<JwkSet>>,
    source: Option<JwksUrl>,
    issuer: String,
    audience: String,
    leeway: u64,
    verified: Mutex<Verified>,
}

/// Tokens verified lately. Clinic software sends the same token on every call until it
/// expires; checking its signature once instead of per call takes the RSA arithmetic (the
/// costliest code of the services under load) off the path. A token is taken from memory only
/// while it is within its `exp`/`nbf` window and only under the keys it was verified with: a
/// key set replaced by a refresh forgets every token.
#[derive(Default)]
struct Verified {
    keys: Option<Arc<JwkSet>>,
    by_token: HashMap<String, Remembered>,
}

struct Remembered {
    caller: Caller,
    exp: u64,
    nbf: Option<u64>,
}

/// Tokens held at most; past it the expired ones go, and if that is not enough, all.
const VERIFIED_LIMIT: usize = 4096;

impl Verified {
    fn recall(&mut self, keys: &Arc<JwkSet>, token: &str, now: u64, leeway: u64) -> Option<Caller> {
        if !self.keys.as_ref().is_some_and(|k| Arc::ptr_eq(k, keys)) {
            self.by_token.clear();
            self.keys = Some(keys.clone());
            return None;
        }
        let r = self.by_token.get(token)?;
        if r.valid_at(now, leeway) {
            Some(r.caller.clone())
        } else {
            // verified again from scratch, which gives the precise refusal
            self.by_token.remove(token);
            None
        }
    }

    fn remember(&mut self, keys: &Arc<JwkSet>, token: &str, caller: &Caller, claims: &Claims, now: u64, leeway: u64) {
        if !self.keys.as_ref().is_some_and(|k| Arc::ptr_eq(k, keys)) {
            return;
        }
        let seconds = |v: Option<f64>| v.filter(|t| t.is_finite() && *t >= 0.0).map(|t| t as u64);
        let Some(exp) = seconds(claims.exp) else { return };
        if self.by_token.len() >= VERIFIED_LIMIT {
            self.by_token.retain(|_, r| r.valid_at(now, leeway));
            if self.by_token.len() >= VERIFIED_LIMIT {
                self.by_token.clear();
            }
        }
        let remembered = Remembered { caller: caller.clone(), exp, nbf: seconds(claims.nbf) };
        self.by_token.insert(token.to_owned(), remembered);
    }
}

impl Remembered {
    /// The same window `jsonwebtoken` checks: not expired and not before `nbf`, give or take
    /// the leeway.
    fn valid_at(&self, now: u64, leeway: u64) -> bool {
        self.exp >= now.saturating_sub(leeway) && self.nbf.is_none_or(|nbf| nbf <= now.saturating_add(leeway))
    }
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.mode {
            Mode::Jwt(v) => f
                .debug_struct("Authenticator")
                .field("issuer", &v.issuer)
                .field("audience", &v.audience)
                .field("keys", &v.current().keys.len())
                .field("source", &v.source)
                .finish(),
            Mode::DevHeaders => f.write_str("Authenticator(insecure dev headers)"),
        }
    }
}

/// The algorithm a key is for: its `alg`, else what its type implies; only RS256 and ES256
/// are accepted (no `none`, no HMAC secrets shared with clients).
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    use jsonwebtoken::jwk::AlgorithmParameters;
    match jwk.common.key_algorithm {
        Some(KeyAlgorithm::RS256) => Some(Algorithm::RS256),
        Some(KeyAlgorithm::ES256) => Some(Algorithm::ES256),
        Some(_) => None,
        None => match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
            AlgorithmParameters::EllipticCurve(_) => Some(Algorithm::ES256),
            _ => None,
        },
    }
}

/// How many keys of the set can verify tokens.
fn usable_keys(keys: &JwkSet) -> usize {
    keys.keys.iter().filter(|k| key_algorithm(k).is_some() && DecodingKey::from_jwk(k).is_ok()).count()
}

impl Authenticator {
    /// Verifies RS256/ES256 tokens against `jwks` (JSON text).
    pub fn jwt(jwks: &str, issuer: &str, audience: &str, leeway_seconds: u64) -> Result<Self, String> {
        let keys: JwkSet = serde_json::from_str(jwks).map_err(|e| format!("not a JWKS: {e}"))?;
        if usable_keys(&keys) == 0 {
            return Err("the JWKS has no RS256 or ES256 key".into());
        }
        Self::jwt_with(keys, None, issuer, audience, leeway_seconds)
    }

    fn jwt_with(
        keys: JwkSet,
        source: Option<JwksUrl>,
        issuer: &str,
        audience: &str,
        leeway_seconds: u64,
    ) -> Result<Self, String> {
        if issuer.trim().is_empty() || audience.trim().is_empty() {
            return Err("issuer and audience must be set".into());
        }
        let verifier = JwtVerifier {
            keys: RwLock::new(Arc::new(keys)),
            source,
            issuer: issuer.trim().to_owned(),
            audience: audience.trim().to_owned(),
            leeway: leeway_seconds,
            verified: Mutex::new(Verified::default()),
        };
        Ok(Self { mode: Arc::new(Mode::Jwt(verifier)), identities: None })
    }

    /// Also accepts callers by their client certificate (see [`ClientIdentities`]).
    #[must_use]
    pub fn with_identities(mut self, identities: ClientIdentities) -> Self {
        self.identities = Some(Arc::new(identities));
        self
    }

    /// The identities from `TLS_CLIENT_IDENTITIES`, if set.
    pub fn identities_from_env() -> Result<Option<ClientIdentities>, ConfigError> {
        let Some(path) = var("TLS_CLIENT_IDENTITIES") else { return Ok(None) };
        let malformed = |reason: String| ConfigError::Malformed { name: "TLS_CLIENT_IDENTITIES".into(), reason };
        let text = std::fs::read_to_string(&path).map_err(|e| malformed(format!("cannot read the file: {e}")))?;
        ClientIdentities::from_json(&text).map(Some).map_err(malformed)
    }

    /// Trusts the `x-clinic-id`, `x-subject` and `x-roles` headers: local development and
    /// in-process tests only.
    pub fn insecure_dev_headers() -> Self {
        Self { mode: Arc::new(Mode::DevHeaders), identities: None }
    }

    /// From the environment (see the module table).
    pub fn from_env() -> Result<Self, ConfigError> {
        let malformed = |name: &str, reason: String| ConfigError::Malformed { name: name.into(), reason };
        if var("AUTH_INSECURE_DEV_HEADERS").is_some_and(|v| v == "true") {
            tracing::warn!(
                "AUTH_INSECURE_DEV_HEADERS=true: callers are NOT authenticated; never use this with real data"
            );
            let auth = Self::insecure_dev_headers();
            return Ok(match Self::identities_from_env()? {
                Some(ids) => auth.with_identities(ids),
                None => auth,
            });
        }
        let url = JwksUrl::from_env()?;
        let path = match (var("AUTH_JWKS_FILE"), &url) {
            (Some(_), Some(_)) => {
                return Err(malformed("AUTH_JWKS_URL", "set AUTH_JWKS_FILE or AUTH_JWKS_URL, not both".into()));
            }
            (None, None) => return Err(ConfigError::Missing { name: "AUTH_JWKS_FILE (or AUTH_JWKS_URL)".into() }),
            (path, _) => path,
        };
        let issuer = var("AUTH_ISSUER").ok_or_else(|| ConfigError::Missing { name: "AUTH_ISSUER".into() })?;
        let audience = var("AUTH_AUDIENCE").unwrap_or_else(|| "rxbridge".into());
        let leeway = match var("AUTH_LEEWAY_SECONDS") {
            Some(s) => s.trim().parse().map_err(|_| malformed("AUTH_LEEWAY_SECONDS", "expected seconds".into()))?,
            None => 60,
        };
        let auth = match path {
            Some(path) => {
                let jwks = std::fs::read_to_string(&path)
                    .map_err(|e| malformed("AUTH_JWKS_FILE", format!("cannot read the file: {e}")))?;
                Self::jwt(&jwks, &issuer, &audience, leeway).map_err(|e| malformed("AUTH_JWKS_FILE", e))?
            }
            // No keys until `start_key_refresh` fetched them: every token is refused until then.
            None => Self::jwt_with(JwkSet { keys: Vec::new() }, url, &issuer, &audience, leeway)
                .map_err(|e| malformed("AUTH_ISSUER", e))?,
        };
        Ok(match Self::identities_from_env()? {
            Some(ids) => auth.with_identities(ids),
            None => auth,
        })
    }

    /// How callers would be authenticated with these settings, checked without needing the key
    /// file (`rxbridge config show` uses this where the Secret holding it is not at hand):
    /// `jwt` (a JWKS file that can be read must hold a usable key), `insecure_dev_headers`, or
    /// `unconfigured` (fine for migrations; `serve` refuses to start).
    pub fn describe_env() -> Result<&'static str, ConfigError> {
        if var("AUTH_INSECURE_DEV_HEADERS").is_some_and(|v| v == "true") {
            return Ok("insecure_dev_headers");
        }
        if var("AUTH_JWKS_URL").is_some() {
            JwksUrl::from_env()?;
            var("AUTH_ISSUER").ok_or_else(|| ConfigError::Missing { name: "AUTH_ISSUER".into() })?;
            return Ok("jwt");
        }
        let Some(path) = var("AUTH_JWKS_FILE") else { return Ok("unconfigured") };
        if std::path::Path::new(&path).exists() {
            Self::from_env()?;
        } else if var("AUTH_ISSUER").is_none() {
            return Err(ConfigError::Missing { name: "AUTH_ISSUER".into() });
        }
        Ok("jwt")
    }

    /// With `AUTH_JWKS_URL`: fetches the keys (a failure, or a set without a usable key, is an
    /// error naming the variable: start-up stops) and refreshes them until `stop`, keeping the
    /// last good set when a refresh fails. Without it, nothing to do.
    pub async fn start_key_refresh(&self, stop: tokio_util::sync::CancellationToken) -> Result<(), ConfigError> {
        let Mode::Jwt(verifier) = &*self.mode else { return Ok(()) };
        let Some(source) = verifier.source.clone() else { return Ok(()) };
        let first = source.fetch().await.and_then(|keys| match usable_keys(&keys) {
            0 => Err("the JWKS has no RS256 or ES256 key".to_owned()),
            _ => Ok(keys),
        });
        let keys = first.map_err(|reason| ConfigError::Malformed {
            name: "AUTH_JWKS_URL".into(),
            reason: format!("cannot fetch the keys: {reason}"),
        })?;
        verifier.replace(keys);
        let mode = self.mode.clone();
        tokio::spawn(async move {
            let Mode::Jwt(verifier) = &*mode else { return };
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(source.refresh) => {}
                }
                match source.fetch().await {
                    Ok(keys) if usable_keys(&keys) > 0 => verifier.replace(keys),
                    Ok(_) => refresh_failed("no usable key in the fetched set"),
                    Err(reason) => refresh_failed(&reason),
                }
            }
        });
        Ok(())
    }

    /// The system a verified client certificate is mapped to.
    pub fn certificate_caller(&self, cert: &PeerCert) -> Result<Caller, AuthError> {
        self.identities.as_ref().and_then(|ids| ids.caller(cert)).ok_or(AuthError::UnknownCertificate)
    }

    /// The caller of a request that may come with a verified client certificate (see the
    /// module notes for how a certificate and a token combine).
    pub fn authenticate_peer(&self, headers: &http::HeaderMap, cert: Option<&PeerCert>) -> Result<Caller, AuthError> {
        let credential = match &*self.mode {
            Mode::Jwt(_) => "authorization",
            Mode::DevHeaders => "x-clinic-id",
        };
        let Some(cert) = cert else { return self.authenticate(headers) };
        if headers.get(credential).is_none() {
            return self.certificate_caller(cert);
        }
        let caller = self.authenticate(headers)?;
        match self.identities.as_ref().and_then(|ids| ids.caller(cert)) {
            Some(system) if system.clinic_id != caller.clinic_id => Err(AuthError::CertificateMismatch),
            _ => Ok(caller),
        }
    }

    /// The caller an `authorization` header (and, in dev mode, the `x-*` headers) names.
    pub fn authenticate(&self, headers: &http::HeaderMap) -> Result<Caller, AuthError> {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default();
        match &*self.mode {
            Mode::DevHeaders => {
                let clinic_id = text("x-clinic-id").to_owned();
                if clinic_id.is_empty() {
                    return Err(AuthError::NoClinic);
                }
                let roles_text = text("x-roles");
                let roles = if roles_text.is_empty() {
                    Role::ALL.to_vec()
                } else {
                    roles_text.split(',').filter_map(Role::parse).collect()
                };
                let subject = match text("x-subject") {
                    "" => "unknown".to_owned(),
                    s => s.to_owned(),
                };
                Ok(Caller { subject, clinic_id, roles })
            }
            Mode::Jwt(v) => {
                let value = text("authorization");
                if value.is_empty() {
                    return Err(AuthError::Missing);
                }
                let token = value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
                    .ok_or(AuthError::Malformed)?;
                v.verify(token.trim())
            }
        }
    }
}

fn refresh_failed(reason: &str) {
    metrics::counter!("auth_jwks_refresh_failures_total").increment(1);
    tracing::warn!(%reason, "jwks refresh failed; keeping the last good keys");
}

impl JwtVerifier {
    fn current(&self) -> Arc<JwkSet> {
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn replace(&self, keys: JwkSet) {
        tracing::info!(keys = keys.keys.len(), "jwks keys loaded");
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(keys);
    }

    fn verified(&self) -> std::sync::MutexGuard<'_, Verified> {
        self.verified.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let keys = self.current();
        let now = jsonwebtoken::get_current_timestamp();
        if let Some(caller) = self.verified().recall(&keys, token, now, self.leeway) {
            return Ok(caller);
        }
        let (caller, claims) = self.verify_signed(&keys, token)?;
        self.verified().remember(&keys, token, &caller, &claims, now, self.leeway);
        Ok(caller)
    }

    fn verify_signed(&self, keys: &JwkSet, token: &str) -> Result<(Caller, Claims), AuthError> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        // With a kid, that key; without one, the first key of the token's algorithm.
        let jwk = match &header.kid {
            Some(kid) => keys.find(kid),
            None => keys.keys.iter().find(|k| key_algorithm(k) == Some(header.alg)),
        }
        .ok_or(AuthError::UnknownKey)?;
        let alg = key_algorithm(jwk).filter(|a| *a == header.alg).ok_or(AuthError::UnknownKey)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| AuthError::UnknownKey)?;
        let mut validation = Validation::new(alg);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.set_audience(&[self.audience.as_str()]);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidAudience => AuthError::WrongAudience,
            ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
            ErrorKind::InvalidSignature => AuthError::BadSignature,
            _ => AuthError::Malformed,
        })?;
        let claims = data.claims;
        if claims.clinic_id.trim().is_empty() || claims.sub.trim().is_empty() {
            return Err(AuthError::NoClinic);
        }
        let roles: HashSet<Role> = claims.roles.iter().filter_map(|r| Role::parse(r)).collect();
        let mut roles: Vec<Role> = roles.into_iter().collect();
        roles.sort_by_key(|r| r.as_str());
        let caller =
            Caller { subject: claims.sub.trim().to_owned(), clinic_id: claims.clinic_id.trim().to_owned(), roles };
        Ok((caller, claims))
    }
}

/// Calls anyone may make without a token: health checks and reflection (no patient data).
pub fn is_public(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

/// The roles that may call a gRPC method (`/package.Service/Method`). Unknown methods
/// allow nobody: a new RPC is closed until it is listed here.
pub fn allowed(path: &str) -> &'static [Role] {
    use Role::*;
    let method = path.trim_start_matches('/');
    match method {
        "rxbridge.intake.v1.IntakeService/SubmitDocument" => &[Integrator, FrontDesk, Reviewer],
        "rxbridge.intake.v1.IntakeService/GetPrescription" => &[Integrator, FrontDesk, Reviewer, Therapist, Billing],
        "rxbridge.intake.v1.IntakeService/ListPatientPrescriptions" => &[FrontDesk, Reviewer, Therapist, Billing],
        m if m.starts_with("rxbridge.intake.v1.ReviewService/") => &[Reviewer],
        "rxbridge.benefits.v1.BenefitsService/UpsertCoverage" => &[FrontDesk, Billing],
        "rxbridge.benefits.v1.BenefitsService/CheckEligibility" => &[FrontDesk, Billing],
        "rxbridge.benefits.v1.BenefitsService/GetCoverageSummary" => &[FrontDesk, Therapist, Billing],
        "rxbridge.benefits.v1.BenefitsService/EstimateCost" => &[FrontDesk, Billing],
        "rxbridge.claims.v1.ClaimsService/RecordSession" => &[Therapist, FrontDesk, Billing],
        "rxbridge.claims.v1.ClaimsService/GetPatientBalance" => &[FrontDesk, Billing],
        m if m.starts_with("rxbridge.claims.v1.ClaimsService/") => &[Billing],
        m if m.ends_with("AuditService/QueryAudit") => &[Compliance, Ops],
        _ => &[],
    }
}

/// Whether the caller's roles allow the call.
pub fn permits(caller: &Caller, path: &str) -> bool {
    let may = allowed(path);
    caller.roles.iter().any(|r| may.contains(r))
}

/// Authenticates and authorizes one call.
pub fn authorize(auth: &Authenticator, path: &str, headers: &http::HeaderMap) -> Result<Caller, AuthError> {
    authorize_peer(auth, path, headers, None)
}

/// Authenticates (by token or client certificate) and authorizes one call.
pub fn authorize_peer(
    auth: &Authenticator,
    path: &str,
    headers: &http::HeaderMap,
    cert: Option<&PeerCert>,
) -> Result<Caller, AuthError> {
    let caller = auth.authenticate_peer(headers, cert)?;
    if permits(&caller, path) { Ok(caller) } else { Err(AuthError::Forbidden) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_is_open_to_some_role_and_ops_reads_no_patient_data() {
        let rpcs = [
            "/rxbridge.intake.v1.IntakeService/SubmitDocument",
            "/rxbridge.intake.v1.IntakeService/GetPrescription",
            "/rxbridge.intake.v1.ReviewService/Approve",
            "/rxbridge.benefits.v1.BenefitsService/CheckEligibility",
            "/rxbridge.claims.v1.ClaimsService/RecordSession",
            "/rxbridge.claims.v1.ClaimsService/PostRemittance",
        ];
        for rpc in rpcs {
            assert!(!allowed(rpc).is_empty(), "{rpc}");
            assert!(!allowed(rpc).contains(&Role::Ops), "{rpc} is patient data");
        }
        assert!(!allowed("/rxbridge.benefits.v1.BenefitsService/CheckEligibility").contains(&Role::Integrator));
        assert!(allowed("/rxbridge.intake.v1.IntakeService/NewMethod").is_empty(), "closed by default");
        assert!(is_public("/grpc.health.v1.Health/Check"));
        assert!(!is_public("/rxbridge.intake.v1.IntakeService/GetPrescription"));
    }

    #[test]
    fn dev_headers_need_a_clinic_and_parse_roles() {
        let auth = Authenticator::insecure_dev_headers();
        let mut headers = http::HeaderMap::new();
        assert_eq!(auth.authenticate(&headers), Err(AuthError::NoClinic));
        headers.insert("x-clinic-id", http::HeaderValue::from_static("c1"));
        headers.insert("x-roles", http::HeaderValue::from_static("billing, nonsense"));
        let caller = auth.authenticate(&headers).expect("caller");
        assert_eq!((caller.clinic_id.as_str(), caller.subject.as_str()), ("c1", "unknown"));
        assert_eq!(caller.roles, [Role::Billing]);
        let path = "/rxbridge.intake.v1.ReviewService/Approve";
        assert_eq!(authorize(&auth, path, &headers), Err(AuthError::Forbidden));
    }

    #[test]
    fn certificates_map_to_systems_and_pin_their_clinic() {
        let ids = ClientIdentities::from_json(
            r#"{"EHR.clinic-a.test": {"clinic_id": "clinic-a"}, "lab": {"clinic_id": "b", "roles": ["reviewer"]}}"#,
        )
        .expect("identities");
        let auth = Authenticator::insecure_dev_headers().with_identities(ids);
        let cert = PeerCert { dns_names: vec!["ehr.clinic-a.test".into()], common_name: Some("x".into()) };
        let caller = auth.authenticate_peer(&http::HeaderMap::new(), Some(&cert)).expect("mapped");
        assert_eq!((caller.subject.as_str(), caller.clinic_id.as_str()), ("cert:ehr.clinic-a.test", "clinic-a"));
        assert_eq!(caller.roles, [Role::Integrator]);
        let stranger = PeerCert { dns_names: vec![], common_name: Some("nobody".into()) };
        assert_eq!(
            auth.authenticate_peer(&http::HeaderMap::new(), Some(&stranger)),
            Err(AuthError::UnknownCertificate)
        );
        let mut other_clinic = http::HeaderMap::new();
        other_clinic.insert("x-clinic-id", http::HeaderValue::from_static("clinic-b"));
        assert_eq!(auth.authenticate_peer(&other_clinic, Some(&cert)), Err(AuthError::CertificateMismatch));
        assert!(ClientIdentities::from_json(r#"{"a": {"clinic_id": "c", "roles": ["root"]}}"#).is_err());
    }

    const ISSUER: &str = "https://auth.rxbridge.test/";

    fn signed(exp: u64) -> String {
        let key = include_bytes!("../../../../tests/fixtures/auth/rs256-test-key.pem");
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some("test-rs256".into());
        let claims = serde_json::json!({
            "sub": "desk-1", "clinic_id": "clinic-a", "roles": ["front_desk"],
            "iss": ISSUER, "aud": "rxbridge", "exp": exp,
        });
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(key).expect("test key");
        jsonwebtoken::encode(&header, &claims, &key).expect("signed")
    }

    fn bearer(token: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert("authorization", http::HeaderValue::from_str(&format!("Bearer {token}")).expect("header"));
        headers
    }

    fn verifier(auth: &Authenticator) -> &JwtVerifier {
        match &*auth.mode {
            Mode::Jwt(v) => v,
            Mode::DevHeaders => panic!("a JWT authenticator"),
        }
    }

    #[test]
    fn a_verified_token_is_remembered_but_not_past_a_key_change() {
        let jwks = include_str!("../../../../tests/fixtures/auth/jwks.json");
        let auth = Authenticator::jwt(jwks, ISSUER, "rxbridge", 0).expect("authenticator");
        let token = signed(jsonwebtoken::get_current_timestamp() + 3600);
        let first = auth.authenticate(&bearer(&token)).expect("verified");
        assert_eq!((first.subject.as_str(), first.clinic_id.as_str()), ("desk-1", "clinic-a"));
        let again = auth.authenticate(&bearer(&token)).expect("remembered");
        assert_eq!(again, first);
        let held = |auth: &Authenticator| verifier(auth).verified.lock().expect("lock").by_token.len();
        assert_eq!(held(&auth), 1);

        // the issuer's RSA key is withdrawn: the remembered token goes with it
        let mut keys: JwkSet = serde_json::from_str(jwks).expect("jwks");
        keys.keys.retain(|k| k.common.key_id.as_deref() != Some("test-rs256"));
        verifier(&auth).replace(keys);
        assert_eq!(auth.authenticate(&bearer(&token)), Err(AuthError::UnknownKey));
        assert_eq!(held(&auth), 0);

        // a token that is not exactly the one verified is verified on its own
        let mut tampered = token.clone();
        tampered.pop();
        assert!(auth.authenticate(&bearer(&tampered)).is_err());
    }

    #[test]
    fn a_remembered_token_is_used_only_inside_its_exp_and_nbf_window() {
        let keys = Arc::new(JwkSet { keys: Vec::new() });
        let caller = Caller { subject: "desk-1".into(), clinic_id: "clinic-a".into(), roles: vec![Role::FrontDesk] };
        let claims = |exp: f64, nbf: Option<f64>| Claims {
            sub: "desk-1".into(),
            clinic_id: "clinic-a".into(),
            roles: Vec::new(),
            exp: Some(exp),
            nbf,
        };
        let mut verified = Verified::default();
        assert_eq!(verified.recall(&keys, "t", 1_000, 0), None, "nothing yet");
        verified.remember(&keys, "t", &caller, &claims(1_010.0, Some(1_000.0)), 1_000, 0);
        assert_eq!(verified.recall(&keys, "t", 1_010, 0), Some(caller.clone()), "up to exp");
        assert_eq!(verified.recall(&keys, "t", 1_011, 5), Some(caller.clone()), "within the leeway");
        assert_eq!(verified.recall(&keys, "t", 1_011, 0), None, "expired");
        assert_eq!(verified.recall(&keys, "t", 1_005, 0), None, "forgotten once expired");

        verified.remember(&keys, "early", &caller, &claims(2_000.0, Some(1_500.0)), 1_000, 0);
        assert_eq!(verified.recall(&keys, "early", 1_400, 0), None, "not before nbf");

        verified.remember(&keys, "no-exp", &caller, &Claims { exp: None, ..claims(0.0, None) }, 1_000, 0);
        assert_eq!(verified.recall(&keys, "no-exp", 1_000, 0), None, "a token without exp is never remembered");
    }

    #[test]
    fn a_jwks_without_usable_keys_is_refused() {
        assert!(Authenticator::jwt(r#"{"keys": []}"#, "iss", "aud", 0).is_err());
        assert!(Authenticator::jwt("not json", "iss", "aud", 0).is_err());
    }
}
