//! A fresh database per test, bootstrapped like production: one role and schema per service.

use rx_platform::config::Secret;
use rx_platform::db::ServiceSchema;
use sqlx::PgPool;

/// The administrator connection used to create test databases (override with
/// `RXBRIDGE_ADMIN_DATABASE_URL`).
pub fn admin_url() -> String {
    std::env::var("RXBRIDGE_ADMIN_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database created for one test; names start with `rxbridge_test_` so `make test` can
/// drop leftovers from earlier runs.
#[derive(Debug, Clone)]
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    /// Creates the database with the roles and schemas of every service.
    pub async fn create() -> anyhow::Result<Self> {
        let name = format!("rxbridge_test_{}", uuid::Uuid::new_v4().simple());
        rx_platform::db::bootstrap(&Secret::new(admin_url()), &name).await?;
        Ok(Self { name })
    }

    /// The URL a service's runtime role connects with (trust authentication on this machine);
    /// row-level security binds it.
    pub fn url_for(&self, service: ServiceSchema) -> Secret {
        Secret::new(format!("postgres://{}@127.0.0.1:5432/{}", service.app_role, self.name))
    }

    /// The URL of the schema's owner, which applies the migrations.
    pub fn owner_url_for(&self, service: ServiceSchema) -> Secret {
        Secret::new(format!("postgres://{}@127.0.0.1:5432/{}", service.role, self.name))
    }

    /// The administrator's URL for this database (to inspect or to break things).
    pub fn admin_url(&self) -> Secret {
        let base = admin_url();
        let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
        Secret::new(format!("{server}/{}", self.name))
    }

    /// A pool of the schema's owner (to create test-only tables; row-level security binds it
    /// too).
    pub async fn owner_pool(&self, service: ServiceSchema) -> anyhow::Result<PgPool> {
        Ok(rx_platform::db::connect(&self.owner_url_for(service), service, 2).await?)
    }

    /// A pool for looking at what a test wrote, across clinics: the administrator (a superuser,
    /// whom row-level security does not bind), with the service's schema on its search path.
    pub async fn inspector(&self, service: ServiceSchema) -> anyhow::Result<PgPool> {
        Ok(rx_platform::db::connect(&self.admin_url(), service, 2).await?)
    }

    /// A pool for a service's runtime role, with its migrations applied by the owner.
    pub async fn service_pool(
        &self,
        service: ServiceSchema,
        migrator: sqlx::migrate::Migrator,
    ) -> anyhow::Result<PgPool> {
        let owner = rx_platform::db::connect(&self.owner_url_for(service), service, 1).await?;
        rx_platform::db::migrate(&owner, service, migrator).await?;
        owner.close().await;
        Ok(rx_platform::db::connect(&self.url_for(service), service, 8).await?)
    }
}
