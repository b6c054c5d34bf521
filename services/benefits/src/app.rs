//! What every entry point of the service shares: the pool and the checker with its payer
//! connections (so the API and the consumer share one circuit breaker per payer).

use std::sync::Arc;

use benefits_domain::FeeSchedule;
use sqlx::PgPool;

use crate::check::Checker;
use crate::config::BenefitsConfig;
use crate::connector::{CoreConnector, PayerConnector};
use crate::store::{self, StoreError};

#[derive(Debug, Clone)]
pub struct App {
    pub pool: PgPool,
    pub checker: Arc<Checker>,
}

impl App {
    pub fn new(pool: PgPool, config: Arc<BenefitsConfig>, connector: Arc<dyn PayerConnector>) -> Self {
        Self { pool, checker: Arc::new(Checker::new(config, connector)) }
    }

    pub fn from_checker(pool: PgPool, checker: Arc<Checker>) -> Self {
        Self { pool, checker }
    }

    /// The service as configured, speaking CORE real-time to every payer.
    pub fn with_core(pool: PgPool, config: BenefitsConfig) -> Self {
        Self::new(pool, Arc::new(config), Arc::new(CoreConnector::new()))
    }

    /// The fee schedule of a clinic: configured fees with the clinic's own on top.
    pub async fn fees(&self, clinic_id: &str) -> Result<FeeSchedule, StoreError> {
        let clinic = store::clinic_fees(&self.pool, clinic_id).await?;
        Ok(crate::estimate::fee_schedule(&self.checker.config.fees, &clinic))
    }

    /// [`App::fees`] in the caller's (clinic-scoped) transaction.
    pub async fn fees_in(&self, conn: &mut sqlx::PgConnection, clinic_id: &str) -> Result<FeeSchedule, StoreError> {
        let clinic = store::clinic_fees_in(conn, clinic_id).await?;
        Ok(crate::estimate::fee_schedule(&self.checker.config.fees, &clinic))
    }
}
