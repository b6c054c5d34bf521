//! The three services as this binary knows them: names, schemas, migrations, routes, and who
//! consumes which events (the queue topology every relay declares before publishing).

use rx_messaging::ConsumerSpec;
use rx_platform::db::ServiceSchema;
use sqlx::PgPool;
use tonic::service::Routes;

use crate::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Intake,
    Benefits,
    Claims,
}

impl Service {
    pub fn name(self) -> &'static str {
        self.schema().schema
    }

    pub fn env_prefix(self) -> &'static str {
        match self {
            Self::Intake => "INTAKE",
            Self::Benefits => "BENEFITS",
            Self::Claims => "CLAIMS",
        }
    }

    pub fn default_grpc_addr(self) -> &'static str {
        match self {
            Self::Intake => "0.0.0.0:50051",
            Self::Benefits => "0.0.0.0:50052",
            Self::Claims => "0.0.0.0:50053",
        }
    }

    pub fn schema(self) -> ServiceSchema {
        match self {
            Self::Intake => rx_intake::SCHEMA,
            Self::Benefits => rx_benefits::SCHEMA,
            Self::Claims => rx_claims::SCHEMA,
        }
    }

    pub fn migrator(self) -> sqlx::migrate::Migrator {
        match self {
            Self::Intake => rx_intake::migrator(),
            Self::Benefits => rx_benefits::migrator(),
            Self::Claims => rx_claims::migrator(),
        }
    }

    pub fn grpc_services(self) -> &'static [&'static str] {
        match self {
            Self::Intake => rx_intake::GRPC_SERVICES,
            Self::Benefits => rx_benefits::GRPC_SERVICES,
            Self::Claims => rx_claims::GRPC_SERVICES,
        }
    }

    pub fn routes(self, base: Routes, pool: PgPool, max_message_bytes: usize) -> Routes {
        match self {
            Self::Intake => rx_intake::routes(base, pool, max_message_bytes),
            Self::Benefits => rx_benefits::routes(base, pool, max_message_bytes),
            Self::Claims => rx_claims::routes(base, pool, max_message_bytes),
        }
    }

    /// Starts the service's background parts (consumers, extra listeners); returns the listeners.
    /// Intake's listeners use the process's `auth` and `transport`.
    pub async fn start(
        self,
        workers: &mut rx_messaging::Workers<'_>,
        auth: &rx_platform::auth::Authenticator,
        transport: &rx_platform::tls::Transport,
    ) -> anyhow::Result<Vec<(String, std::net::SocketAddr)>> {
        match self {
            Self::Intake => rx_intake::start(workers, auth.clone(), transport.clone()).await,
            Self::Benefits => rx_benefits::start(workers).await,
            Self::Claims => rx_claims::start(workers).await,
        }
    }

    pub fn extra_listeners(self) -> Result<Vec<(String, std::net::SocketAddr)>, rx_platform::config::ConfigError> {
        match self {
            Self::Intake => rx_intake::extra_listeners(),
            Self::Benefits => rx_benefits::extra_listeners(),
            Self::Claims => rx_claims::extra_listeners(),
        }
    }

    /// The service's pool, as its runtime role.
    pub async fn connect(self, settings: &Settings) -> anyhow::Result<PgPool> {
        self.connect_to(&settings.service(self)?.database_url, settings.db_max_connections).await
    }

    /// One connection as the schema's owner, to apply migrations.
    pub async fn connect_as_owner(self, settings: &Settings) -> anyhow::Result<PgPool> {
        self.connect_to(&settings.service(self)?.migration_url, 1).await
    }

    async fn connect_to(self, url: &rx_platform::config::Secret, max: u32) -> anyhow::Result<PgPool> {
        rx_platform::db::connect(url, self.schema(), max)
            .await
            .map_err(|e| anyhow::anyhow!("{}: cannot connect to the database: {e}", self.name()))
    }
}

/// Every consumer in the system, whichever services this process runs.
pub fn consumers(delivery_limit: u32) -> Vec<ConsumerSpec> {
    vec![rx_benefits::consumer_spec(delivery_limit), rx_claims::consumer_spec(delivery_limit)]
}
