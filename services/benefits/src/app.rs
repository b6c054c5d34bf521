//! What every entry point of the service shares: the pool and the checker with its payer
//! connections (so the API and the consumer share one circuit breaker per payer).

use std::sync::Arc;

use benefits_domain::FeeSchedule;
use sqlx::PgPool;

use crate::check::Checker;
use crate::config::BenefitsConfig;
use crate::connector::{CoreConnector, PayerConnector};
use crate::fees::FeeCache;
use crate::store::{self, StoreError};

#[derive(Debug, Clone)]
pub struct App {
    pub pool: PgPool,
    pub checker: Arc<Checker>,
    fees: Arc<FeeCache>,
}

impl App {
    pub fn new(pool: PgPool, config: Arc<BenefitsConfig>, connector: Arc<dyn PayerConnector>) -> Self {
        Self::from_checker(pool, Arc::new(Checker::new(config, connector)))
    }

    pub fn from_checker(pool: PgPool, checker: Arc<Checker>) -> Self {
        Self { pool, checker, fees: Arc::new(FeeCache::default()) }
    }

    /// The service as configured, speaking CORE real-time to every payer.
    pub fn with_core(pool: PgPool, config: BenefitsConfig) -> Self {
        Self::new(pool, Arc::new(config), Arc::new(CoreConnector::new()))
    }

    /// The fee schedule of a clinic: configured fees with the clinic's own on top (as read
    /// within the last [`crate::fees::FRESH_FOR`]).
    pub async fn fees(&self, clinic_id: &str) -> Result<FeeSchedule, StoreError> {
        if let Some(fees) = self.fees.get(clinic_id) {
            return Ok(fees);
        }
        let clinic = store::clinic_fees(&self.pool, clinic_id).await?;
        Ok(self.keep_fees(clinic_id, &clinic))
    }

    /// [`App::fees`], read (when not fresh) in the caller's clinic-scoped transaction.
    pub async fn fees_in(&self, conn: &mut sqlx::PgConnection, clinic_id: &str) -> Result<FeeSchedule, StoreError> {
        if let Some(fees) = self.fees.get(clinic_id) {
            return Ok(fees);
        }
        let clinic = store::clinic_fees_in(conn, clinic_id).await?;
        Ok(self.keep_fees(clinic_id, &clinic))
    }

    fn keep_fees(
        &self,
        clinic_id: &str,
        clinic: &std::collections::BTreeMap<String, rust_decimal::Decimal>,
    ) -> FeeSchedule {
        let fees = crate::estimate::fee_schedule(&self.checker.config.fees, clinic);
        self.fees.put(clinic_id, &fees);
        fees
    }
}
