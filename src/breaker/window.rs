//! The sliding window of call outcomes a breaker judges: the last N calls, or the calls of the
//! last T seconds in one-second buckets. Pure counting: no I/O, no clock reads.

use std::collections::VecDeque;

use super::config::{BreakerConfig, SlidingWindow};
use crate::clock::Timestamp;

/// What the window holds right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub calls: u64,
    pub failures: u64,
    pub slow: u64,
}

impl Totals {
    /// Failures per thousand calls (0 with no calls): integer math, for display.
    pub fn failure_permille(&self) -> u32 {
        permille(self.failures, self.calls)
    }

    /// Slow calls per thousand calls.
    pub fn slow_permille(&self) -> u32 {
        permille(self.slow, self.calls)
    }
}

fn permille(part: u64, whole: u64) -> u32 {
    part.saturating_mul(1000)
        .checked_div(whole)
        .map_or(0, |p| u32::try_from(p).unwrap_or(1000))
}

/// `part` is at least `pct` percent of `whole` (integer math; false when `whole` is 0).
pub(super) fn reaches(part: u64, whole: u64, pct: u8) -> bool {
    whole > 0 && part.saturating_mul(100) >= u64::from(pct).saturating_mul(whole)
}

/// One second of a time-based window.
#[derive(Clone, Copy, Debug)]
pub(super) struct Second {
    second: i64,
    calls: u64,
    failures: u64,
    slow: u64,
}

#[derive(Clone, Debug)]
pub(super) enum Window {
    Count {
        size: usize,
        /// Per call: bit 0 failure, bit 1 slow. Oldest first.
        calls: VecDeque<u8>,
        failures: u64,
        slow: u64,
    },
    Time {
        span_secs: i64,
        /// Only the seconds that saw calls, oldest first.
        seconds: VecDeque<Second>,
    },
}

const FAILED: u8 = 1;
const SLOW: u8 = 2;

impl Window {
    pub(super) fn new(config: &BreakerConfig) -> Self {
        match config.sliding_window {
            SlidingWindow::Count => Window::Count {
                size: usize::try_from(config.window_size)
                    .unwrap_or(usize::MAX)
                    .max(1),
                calls: VecDeque::new(),
                failures: 0,
                slow: 0,
            },
            SlidingWindow::Time => Window::Time {
                span_secs: i64::try_from(config.window_duration.0.as_secs())
                    .unwrap_or(i64::MAX)
                    .max(1),
                seconds: VecDeque::new(),
            },
        }
    }

    /// Adds one call's outcome at `now`.
    pub(super) fn add(&mut self, now: Timestamp, failed: bool, slow: bool) {
        match self {
            Window::Count {
                size,
                calls,
                failures,
                slow: slow_count,
            } => {
                if calls.len() == *size
                    && let Some(old) = calls.pop_front()
                {
                    *failures -= u64::from(old & FAILED != 0);
                    *slow_count -= u64::from(old & SLOW != 0);
                }
                calls.push_back((u8::from(failed) * FAILED) | (u8::from(slow) * SLOW));
                *failures += u64::from(failed);
                *slow_count += u64::from(slow);
            }
            Window::Time { seconds, .. } => {
                let second = now.unix_seconds();
                match seconds.back_mut() {
                    // A clock that stepped back adds to the newest second rather than reorder.
                    Some(last) if last.second >= second => {
                        last.calls += 1;
                        last.failures += u64::from(failed);
                        last.slow += u64::from(slow);
                    }
                    _ => seconds.push_back(Second {
                        second,
                        calls: 1,
                        failures: u64::from(failed),
                        slow: u64::from(slow),
                    }),
                }
                self.evict(now);
            }
        }
    }

    /// Drops what a time-based window no longer covers at `now`.
    fn evict(&mut self, now: Timestamp) {
        if let Window::Time { span_secs, seconds } = self {
            let oldest_kept = now.unix_seconds() - *span_secs + 1;
            while seconds.front().is_some_and(|s| s.second < oldest_kept) {
                seconds.pop_front();
            }
        }
    }

    /// The window's totals at `now`.
    pub(super) fn totals(&mut self, now: Timestamp) -> Totals {
        self.evict(now);
        match self {
            Window::Count {
                calls,
                failures,
                slow,
                ..
            } => Totals {
                calls: calls.len() as u64,
                failures: *failures,
                slow: *slow,
            },
            Window::Time { seconds, .. } => seconds.iter().fold(Totals::default(), |t, s| Totals {
                calls: t.calls + s.calls,
                failures: t.failures + s.failures,
                slow: t.slow + s.slow,
            }),
        }
    }

    /// Forgets every call.
    pub(super) fn clear(&mut self) {
        match self {
            Window::Count {
                calls,
                failures,
                slow,
                ..
            } => {
                calls.clear();
                *failures = 0;
                *slow = 0;
            }
            Window::Time { seconds, .. } => seconds.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clock::HumanDuration;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_unix_millis(secs * 1000)
    }

    #[test]
    fn count_window_keeps_the_last_n() {
        let config = BreakerConfig {
            window_size: 3,
            minimum_calls: 1,
            ..Default::default()
        };
        let mut w = Window::new(&config);
        for failed in [true, true, false, false] {
            w.add(at(0), failed, false);
        }
        let t = w.totals(at(999));
        assert_eq!((t.calls, t.failures), (3, 1));
        assert_eq!(t.failure_permille(), 333);
    }

    #[test]
    fn time_window_forgets_old_seconds() {
        let config = BreakerConfig {
            sliding_window: SlidingWindow::Time,
            window_duration: HumanDuration(Duration::from_secs(10)),
            ..Default::default()
        };
        let mut w = Window::new(&config);
        w.add(at(100), true, true);
        w.add(at(105), false, false);
        w.add(at(105), true, false);
        assert_eq!(w.totals(at(109)).calls, 3);
        let t = w.totals(at(110));
        assert_eq!((t.calls, t.failures, t.slow), (2, 1, 0));
        assert_eq!(w.totals(at(115)).calls, 0);
    }

    #[test]
    fn thresholds_are_integer_percentages() {
        assert!(reaches(1, 2, 50));
        assert!(!reaches(49, 100, 50));
        assert!(reaches(100, 100, 100));
        assert!(!reaches(0, 0, 1));
    }
}
