//! Settings read from environment variables, with local defaults, so a missing or malformed
//! value stops start-up with a message naming the variable.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

/// A setting that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {name} is required but not set")]
    Missing { name: String },
    #[error("environment variable {name} is malformed: {reason}")]
    Malformed { name: String, reason: String },
}

/// Reads an optional variable; empty counts as unset.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Reads a variable or returns the default.
pub fn string_or(name: &str, default: &str) -> String {
    var(name).unwrap_or_else(|| default.to_owned())
}

/// Reads a required variable.
pub fn required(name: &str) -> Result<String, ConfigError> {
    var(name).ok_or_else(|| ConfigError::Missing { name: name.to_owned() })
}

/// Reads and parses a variable, falling back to `default` when unset.
pub fn parse_or<T>(name: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Malformed { name: name.to_owned(), reason: e.to_string() }),
    }
}

/// Reads a listen address such as `0.0.0.0:50051`.
pub fn addr_or(name: &str, default: &str) -> Result<SocketAddr, ConfigError> {
    parse_addr(name, &string_or(name, default), default)
}

fn parse_addr(name: &str, raw: &str, default: &str) -> Result<SocketAddr, ConfigError> {
    raw.parse().map_err(|e: std::net::AddrParseError| ConfigError::Malformed {
        name: name.to_owned(),
        reason: format!("{e} (expected host:port, e.g. {default})"),
    })
}

/// Reads a URL-like value and checks its scheme.
pub fn url_or(name: &str, default: &str, schemes: &[&str]) -> Result<Secret, ConfigError> {
    let raw = string_or(name, default);
    let scheme = raw.split("://").next().unwrap_or_default();
    if !raw.contains("://") || !schemes.contains(&scheme) {
        return Err(ConfigError::Malformed {
            name: name.to_owned(),
            reason: format!("expected a URL starting with {}", schemes.join("://, ") + "://"),
        });
    }
    Ok(Secret::new(raw))
}

/// A value that may hold credentials (database and broker URLs, keys): it never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How stored documents are kept, from `DOCUMENT_KEYRING` (JSON, see `rx_seal::Keyring`) or,
/// for local development only, `DOCUMENT_PLAINTEXT=true` (warned); neither is an error.
pub fn documents_at_rest() -> Result<rx_seal::AtRest, ConfigError> {
    if let Some(json) = var("DOCUMENT_KEYRING") {
        let keyring = rx_seal::Keyring::from_json(&json)
            .map_err(|e| ConfigError::Malformed { name: "DOCUMENT_KEYRING".into(), reason: e.to_string() })?;
        Ok(rx_seal::AtRest::Sealed(std::sync::Arc::new(keyring)))
    } else if var("DOCUMENT_PLAINTEXT").is_some_and(|v| v == "true") {
        tracing::warn!("DOCUMENT_PLAINTEXT=true: documents are stored unencrypted; never use this with real data");
        Ok(rx_seal::AtRest::Plaintext)
    } else {
        Err(ConfigError::Missing { name: "DOCUMENT_KEYRING".into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("postgres://u:hunter2@h/db");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn malformed_address_names_the_variable() {
        let err = parse_addr("INTAKE_GRPC_ADDR", "not-an-address", "0.0.0.0:1").unwrap_err().to_string();
        assert!(err.contains("INTAKE_GRPC_ADDR"), "{err}");
    }

    #[test]
    fn url_scheme_is_checked() {
        let err =
            url_or("RXBRIDGE_TEST_ONLY_UNSET_URL", "mysql://x", &["postgres", "postgresql"]).unwrap_err().to_string();
        assert!(err.contains("RXBRIDGE_TEST_ONLY_UNSET_URL"), "{err}");
    }
}
