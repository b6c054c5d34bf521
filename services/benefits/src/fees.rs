//! Clinics' fee schedules as last read. Every prescription's estimate needs its clinic's fees,
//! which change seldom (a clinic's own are set by operators in `fee_schedules`, the rest is
//! configuration), and reading them was one more round trip in each consumer transaction. A
//! clinic's schedule is read again once it is [`FRESH_FOR`] old, so a change reaches every
//! replica's estimates within that time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use benefits_domain::FeeSchedule;

/// How long a clinic's schedule is used before it is read again.
pub const FRESH_FOR: Duration = Duration::from_secs(30);

/// The schedules read, one per clinic (a bounded set: the tenants).
#[derive(Debug)]
pub struct FeeCache {
    fresh_for: Duration,
    clinics: Mutex<HashMap<String, (Instant, FeeSchedule)>>,
}

impl Default for FeeCache {
    fn default() -> Self {
        Self::new(FRESH_FOR)
    }
}

impl FeeCache {
    pub fn new(fresh_for: Duration) -> Self {
        Self { fresh_for, clinics: Mutex::new(HashMap::new()) }
    }

    /// The clinic's schedule if it was read less than `fresh_for` ago.
    pub fn get(&self, clinic_id: &str) -> Option<FeeSchedule> {
        let clinics = self.clinics.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        clinics.get(clinic_id).filter(|(at, _)| at.elapsed() < self.fresh_for).map(|(_, fees)| fees.clone())
    }

    pub fn put(&self, clinic_id: &str, fees: &FeeSchedule) {
        let mut clinics = self.clinics.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        clinics.insert(clinic_id.to_owned(), (Instant::now(), fees.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(fee: i64) -> FeeSchedule {
        let mut fees = FeeSchedule::new();
        fees.insert("97124", rust_decimal::Decimal::new(fee, 0)).expect("a fee");
        fees
    }

    #[test]
    fn a_schedule_is_kept_per_clinic_while_fresh() {
        let cache = FeeCache::new(Duration::from_secs(60));
        assert_eq!(cache.get("a"), None);
        cache.put("a", &schedule(40));
        cache.put("b", &schedule(55));
        assert_eq!(cache.get("a"), Some(schedule(40)));
        assert_eq!(cache.get("b"), Some(schedule(55)));
        cache.put("a", &schedule(45));
        assert_eq!(cache.get("a"), Some(schedule(45)));
    }

    #[test]
    fn a_stale_schedule_is_read_again() {
        let cache = FeeCache::new(Duration::ZERO);
        cache.put("a", &schedule(40));
        assert_eq!(cache.get("a"), None);
    }
}
