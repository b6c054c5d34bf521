//! Billable 15-minute units of one timed procedure code from its minutes, for estimates.

/// Units for `minutes` of one timed code: the CMS 8-minute table of `rx_codes::units` applied
/// to a single code (multi-code days follow `rx_codes::units::units_for_day`).
pub fn units_for_minutes(minutes: u32) -> u32 {
    u32::try_from(rx_codes::units::cms_units_for_total(u64::from(minutes))).unwrap_or(u32::MAX)
}
