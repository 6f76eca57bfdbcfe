//! When the delivery worker tries again: the merchant's `Retry-After` and the jitter that
//! spreads retries out.

use std::time::{Duration, SystemTime};

use crate::clock::Timestamp;

/// `Retry-After`: delay-seconds or an HTTP date, as a wait from `now`.
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let ms = at.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_millis();
    let at = Timestamp::from_unix_millis(i64::try_from(ms).ok()?);
    Some(at.since(now))
}

/// `base` varied randomly by up to `percent` either way.
pub(super) fn jitter(base: Duration, percent: u32) -> Duration {
    if percent == 0 || base.is_zero() {
        return base;
    }
    let span = u64::from(percent.min(100)) * 2 + 1;
    let Ok(r) = getrandom::u64() else {
        return base;
    };
    let factor = 100 - u64::from(percent.min(100)) + r % span; // percent of base
    let ms = u64::try_from(base.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(ms.saturating_mul(factor) / 100)
}
