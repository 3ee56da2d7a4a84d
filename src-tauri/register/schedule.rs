use std::time::Duration;

/// How often a waiting sale is searched: about every second while the customer is likely
/// paying, slower after; given-up sales are still checked now and then for a late payment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    pub fast: Duration,
    pub fast_for: Duration,
    pub medium: Duration,
    pub medium_for: Duration,
    pub slow: Duration,
    /// A cancelled or expired sale is searched this often...
    pub late_every: Duration,
    /// ...for this long after its order's expiry.
    pub late_for: Duration,
    /// A payment Mercado Pago is still processing (it may take days) is looked at this often.
    pub pending_every: Duration,
    /// The longest wait after repeated errors.
    pub max_backoff: Duration,
    /// The longest `Retry-After` waited out; a longer one is cut to this (and a waiting sale's
    /// lifetime is kept whatever the wait).
    pub longest_retry_after: Duration,
    /// How long a request that changes the POS (an order put, an order withdrawn) whose answer
    /// was lost may still land at Mercado Pago. Meanwhile its sale holds the POS.
    pub pos_doubt: Duration,
    /// A sale that ended with a merchant order still `opened` (it may take a payment) is watched
    /// past its late window, up to this long.
    pub opened_at_most: Duration,
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            fast: Duration::from_secs(1),
            fast_for: Duration::from_secs(120),
            medium: Duration::from_secs(3),
            medium_for: Duration::from_secs(300),
            slow: Duration::from_secs(10),
            late_every: Duration::from_secs(15),
            late_for: Duration::from_secs(15 * 60),
            pending_every: Duration::from_secs(60),
            max_backoff: Duration::from_secs(30),
            longest_retry_after: Duration::from_secs(60),
            pos_doubt: Duration::from_secs(60),
            opened_at_most: Duration::from_secs(2 * 3600),
        }
    }
}

impl PollSchedule {
    /// The wait before the next search of a sale that has waited `age`, with ±5 % jitter so
    /// registers do not search in step. (A payment is seen on average half a period after it
    /// is made, and at worst a whole one: wider jitter only lengthens the worst case.)
    pub fn next(&self, age: Duration) -> Duration {
        let base = if age < self.fast_for {
            self.fast
        } else if age < self.medium_for {
            self.medium
        } else {
            self.slow
        };
        jitter(base)
    }

    /// The wait after `errors` failures in a row, or the server's `Retry-After` if longer (up
    /// to `longest_retry_after`: an hour-long one must not park a sale past its lifetime).
    pub fn backoff(&self, errors: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.fast.saturating_mul(1 << errors.min(10)).min(self.max_backoff);
        jitter(exp).max(retry_after.unwrap_or_default().min(self.longest_retry_after))
    }
}

fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.95 + 0.1 * fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_then_slower() {
        let s = PollSchedule::default();
        assert!(s.next(Duration::from_secs(10)) <= Duration::from_millis(1050));
        assert!(s.next(Duration::from_secs(200)) >= Duration::from_millis(2850));
        assert!(s.next(Duration::from_secs(400)) >= Duration::from_millis(9500));
        assert!(s.backoff(20, None) <= Duration::from_millis(31500));
        assert_eq!(s.backoff(0, Some(Duration::from_secs(40))), Duration::from_secs(40));
        assert_eq!(
            s.backoff(0, Some(Duration::from_secs(3600))),
            s.longest_retry_after,
            "an hour-long Retry-After is cut"
        );
    }
}
