use std::time::Duration;

/// When and how often a call that is safe to repeat is tried again: 429 (after its
/// `Retry-After`), 5xx, timeouts and connection errors, with capped exponential backoff and
/// jitter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured in place; a longer one ends the call as RateLimited.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        }
    }

    /// The wait before try number `attempt + 1` (`attempt` ≥ 1), or None to stop.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        if let Some(wait) = retry_after {
            return (wait <= self.max_retry_after).then_some(wait);
        }
        let exp = self.base_delay.saturating_mul(1 << (attempt - 1).min(16));
        let capped = exp.min(self.max_delay);
        // Full jitter on the upper half keeps registers that failed together from retrying together.
        let half = capped / 2;
        Some(half + half.mul_f64(fastrand::f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_stops() {
        let p = RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(4),
            ..Default::default()
        };
        let d1 = p.delay(1, None).unwrap();
        assert!(d1 >= Duration::from_millis(500) && d1 <= Duration::from_secs(1));
        let d5 = p.delay(5, None).unwrap();
        assert!(d5 >= Duration::from_secs(2) && d5 <= Duration::from_secs(4));
        assert_eq!(p.delay(6, None), None);
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_limit() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, Some(Duration::from_secs(2))), Some(Duration::from_secs(2)));
        assert_eq!(p.delay(1, Some(Duration::from_secs(600))), None);
        assert_eq!(RetryPolicy::never().delay(1, None), None);
    }
}
