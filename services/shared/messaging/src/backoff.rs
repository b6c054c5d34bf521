//! Exponential backoff with full jitter, for reconnecting to a broker or database that went away.

use std::time::Duration;

/// Delays that grow from `initial` to `max`, each drawn at random below the current ceiling
/// so that many replicas reconnecting at once do not arrive together.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max, attempt: 0 }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling =
            self.initial.saturating_mul(1u32.checked_shl(self.attempt.min(16)).unwrap_or(u32::MAX)).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::random_range(millis / 2..=millis))
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(100), Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_but_stay_under_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let first = b.next_delay();
        assert!(first <= Duration::from_millis(100));
        for _ in 0..40 {
            assert!(b.next_delay() <= Duration::from_secs(2));
        }
        // After many attempts the floor (half the cap) is reached.
        assert!(b.next_delay() >= Duration::from_secs(1));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
