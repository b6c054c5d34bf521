//! Process settings from environment variables, with defaults that work on a developer's
//! machine (Postgres and RabbitMQ on localhost, trust authentication).

use std::collections::HashMap;
use std::net::SocketAddr;

use rx_platform::config::{self, ConfigError, Secret};

use crate::system::Service;

#[derive(Debug, Clone)]
pub struct Settings {
    pub amqp_url: Secret,
    /// Prefix of every exchange and queue name, so environments can share a broker.
    pub namespace: String,
    pub metrics_addr: SocketAddr,
    pub db_max_connections: u32,
    pub delivery_limit: u32,
    pub max_message_bytes: usize,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub drain_seconds: u64,
    services: HashMap<Service, ServiceSettings>,
}

#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// The runtime role's connection (row-level security binds it).
    pub database_url: Secret,
    /// The schema owner's connection, for `migrate` only.
    pub migration_url: Secret,
    pub grpc_addr: SocketAddr,
    /// Plaintext health service for Kubernetes' probes (they cannot speak TLS).
    pub health_addr: SocketAddr,
}

/// The health port's default: 100 above the gRPC port (50051 → 50151), or any free port when
/// the gRPC port is picked freely (0).
fn default_health_addr(grpc: SocketAddr) -> String {
    let port = if grpc.port() == 0 { 0 } else { grpc.port().saturating_add(100) };
    SocketAddr::new(grpc.ip(), port).to_string()
}

impl Settings {
    /// Reads the settings the given services need; names the variable of any bad value.
    pub fn from_env(services: &[Service]) -> Result<Self, ConfigError> {
        let mut per_service = HashMap::new();
        for &service in services {
            let prefix = service.env_prefix();
            let url = |variable: String, role: &str| {
                config::url_or(
                    &variable,
                    &format!("postgres://{role}@127.0.0.1:5432/rxbridge"),
                    &["postgres", "postgresql"],
                )
            };
            let database_url = url(format!("{prefix}_DATABASE_URL"), service.schema().app_role)?;
            let migration_url = url(format!("{prefix}_MIGRATION_DATABASE_URL"), service.schema().role)?;
            let grpc_addr = config::addr_or(&format!("{prefix}_GRPC_ADDR"), service.default_grpc_addr())?;
            let health_addr = config::addr_or(&format!("{prefix}_HEALTH_ADDR"), &default_health_addr(grpc_addr))?;
            per_service.insert(service, ServiceSettings { database_url, migration_url, grpc_addr, health_addr });
        }
        Ok(Self {
            amqp_url: config::url_or("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f", &["amqp", "amqps"])?,
            namespace: config::string_or("RXBRIDGE_NAMESPACE", "rxbridge"),
            metrics_addr: config::addr_or("METRICS_ADDR", "0.0.0.0:9464")?,
            db_max_connections: config::parse_or("DB_MAX_CONNECTIONS", 10)?,
            delivery_limit: config::parse_or("EVENT_DELIVERY_LIMIT", 10)?,
            max_message_bytes: config::parse_or(
                "GRPC_MAX_MESSAGE_BYTES",
                rx_platform::grpc::DEFAULT_MAX_MESSAGE_BYTES,
            )?,
            drain_seconds: config::parse_or("SHUTDOWN_DRAIN_SECONDS", 20)?,
            services: per_service,
        })
    }

    /// The settings as JSON, without credentials: what listens where, per service.
    pub fn describe(&self, services: &[Service]) -> anyhow::Result<serde_json::Value> {
        let mut per_service = serde_json::Map::new();
        for &service in services {
            let s = self.service(service)?;
            let mut listeners = serde_json::Map::new();
            listeners.insert("grpc".into(), s.grpc_addr.to_string().into());
            listeners.insert("health".into(), s.health_addr.to_string().into());
            for (name, addr) in service.extra_listeners()? {
                listeners.insert(name, addr.to_string().into());
            }
            per_service.insert(
                service.name().into(),
                serde_json::json!({
                    "schema": service.schema().schema,
                    "role": service.schema().app_role,
                    "migration_role": service.schema().role,
                    "listeners": listeners,
                }),
            );
        }
        let authentication = rx_platform::auth::Authenticator::describe_env()?;
        let transport = rx_platform::tls::Transport::describe_env()?;
        // How intake would store documents (checked like the JWKS: the key itself is a Secret).
        let documents = if rx_platform::config::var("DOCUMENT_KEYRING").is_some() {
            "sealed"
        } else if rx_platform::config::var("DOCUMENT_PLAINTEXT").is_some_and(|v| v == "true") {
            "plaintext"
        } else {
            "unconfigured"
        };
        Ok(serde_json::json!({
            "metrics": self.metrics_addr.to_string(),
            "namespace": self.namespace,
            "authentication": authentication,
            "transport": transport,
            "documents": documents,
            "services": per_service,
        }))
    }

    /// The settings of one service; `from_env` read them for every service it was given.
    pub fn service(&self, service: Service) -> anyhow::Result<&ServiceSettings> {
        self.services.get(&service).ok_or_else(|| anyhow::anyhow!("no settings were read for {}", service.name()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_health_port_sits_beside_the_grpc_port() {
        let at = |a: &str| super::default_health_addr(a.parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(at("0.0.0.0:50051"), "0.0.0.0:50151");
        assert_eq!(at("127.0.0.1:0"), "127.0.0.1:0");
    }
}
