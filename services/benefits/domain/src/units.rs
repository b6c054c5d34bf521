//! Billable 15-minute units of one timed procedure code from its minutes (CMS 8-minute table
//! applied to a single code): < 8 -> 0, 8-22 -> 1, 23-37 -> 2, 38-52 -> 3, ...

/// Units for `minutes` of one timed code. Multi-code days follow the total-minutes rule in
/// `rx_codes::units`; this per-code table is what an estimate needs.
pub fn units_for_minutes(minutes: u32) -> u32 {
    if minutes < 8 { 0 } else { (minutes.saturating_add(7)) / 15 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_cms_table_at_every_boundary() {
        let table = [
            (0, 0),
            (7, 0),
            (8, 1),
            (22, 1),
            (23, 2),
            (37, 2),
            (38, 3),
            (52, 3),
            (53, 4),
            (67, 4),
            (68, 5),
            (113, 8),
            (127, 8),
            (128, 9),
        ];
        for (minutes, units) in table {
            assert_eq!(units_for_minutes(minutes), units, "{minutes} minutes");
        }
    }

    #[test]
    fn never_overflows() {
        assert!(units_for_minutes(u32::MAX) > 0);
    }
}
