//! The circuit-breaker state machine of one (tenant, gateway): outcomes and `now` in, state out.
//!
//! Pure: no I/O, no clock reads (every method takes `now`), no async, no floats. Sharing state
//! between instances is [`crate::fleet`]'s job; this file only decides.
//!
//! The behaviour is resilience4j's:
//! - **closed**: calls are admitted and their outcomes enter a sliding window (the last N
//!   calls, or the last T seconds). Once the window holds `minimum_calls`, the breaker opens
//!   when failures reach `failure_rate_threshold` percent of the window or slow calls (at least
//!   `slow_call_duration`) reach `slow_call_rate_threshold` percent. Which outcomes are failures
//!   is rule 3 ([`AttemptOutcome::is_breaker_failure`]): declines and invalid requests are not.
//! - **open** until `wait_in_open` has passed: every call is rejected.
//! - **half-open**: `permitted_calls_in_half_open` probes are admitted, the rest rejected.
//!   *Any failed probe reopens it at once.* When every permitted probe has completed without a
//!   failure it closes, unless the probes' slow-call rate reaches `slow_call_rate_threshold`,
//!   which reopens it. With `max_wait_in_half_open` set, probes still missing after that long
//!   reopen it.
//! - **forced open** (an operator): every call is rejected. With an end time it then goes to
//!   **half-open**, not straight to closed, so a gateway that is still down is not flooded.
//! - **forced closed** (an operator): every call is admitted, outcomes are still counted for
//!   status, but nothing opens it. [`Breaker::release`] returns to automatic: closed, with a fresh
//!   window.

mod config;
mod window;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use config::{
    BreakerConfig, BreakerConfigError, BreakerOverrides, BreakerSettings, SlidingWindow,
    SyncInterval,
};
pub use window::Totals;
use window::{Window, reaches};

use crate::clock::Timestamp;
use crate::model::AttemptOutcome;

/// The states, without their data: for display, status and [`StateChange`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
    ForcedOpen,
    ForcedClosed,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
            BreakerState::ForcedOpen => "forced_open",
            BreakerState::ForcedClosed => "forced_closed",
        }
    }

    /// Set by an operator rather than by outcomes.
    pub fn is_forced(self) -> bool {
        matches!(self, BreakerState::ForcedOpen | BreakerState::ForcedClosed)
    }
}

impl std::fmt::Display for BreakerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a breaker is, with what that state needs. This is also the shared form other
/// instances adopt (`crate::fleet`), so half-open's counters are not in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Mode {
    Closed,
    /// Rejecting until `until`, then half-open.
    Open {
        until: Timestamp,
    },
    /// Admitting probes (since the time in [`Breaker::since`]).
    HalfOpen,
    ForcedOpen {
        /// When it goes to half-open by itself; `None`: until an operator acts.
        until: Option<Timestamp>,
        reason: Option<String>,
    },
    ForcedClosed {
        reason: Option<String>,
    },
}

impl Mode {
    pub fn state(&self) -> BreakerState {
        match self {
            Mode::Closed => BreakerState::Closed,
            Mode::Open { .. } => BreakerState::Open,
            Mode::HalfOpen => BreakerState::HalfOpen,
            Mode::ForcedOpen { .. } => BreakerState::ForcedOpen,
            Mode::ForcedClosed { .. } => BreakerState::ForcedClosed,
        }
    }

    /// The operator's reason, for forced states.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Mode::ForcedOpen { reason, .. } | Mode::ForcedClosed { reason } => reason.as_deref(),
            _ => None,
        }
    }
}

/// One finished call, as the breaker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallResult {
    /// Counts against the gateway (rule 3).
    pub failure: bool,
    pub duration: Duration,
}

impl CallResult {
    /// Classifies an attempt's outcome by rule 3: declines and invalid requests are healthy.
    pub fn from_outcome(outcome: AttemptOutcome, duration: Duration) -> Self {
        CallResult {
            failure: outcome.is_breaker_failure(),
            duration,
        }
    }
}

/// Why a call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// Open after too many failures or slow calls.
    Open,
    /// Half-open, and every probe permit is taken.
    ProbesTaken,
    /// An operator forced it open.
    ForcedOpen,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rejection::Open => "open after failures",
            Rejection::ProbesTaken => "half-open, every probe taken",
            Rejection::ForcedOpen => "forced open by an operator",
        })
    }
}

/// The answer to "may I call this gateway now?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Allowed,
    /// Allowed as one of half-open's probe calls: its outcome decides the breaker.
    Probe,
    Rejected {
        reason: Rejection,
        /// When asking again may succeed; `None`: not known (forced open with no end, or
        /// waiting for probes).
        retry_at: Option<Timestamp>,
    },
}

impl Admission {
    pub fn is_allowed(&self) -> bool {
        !matches!(self, Admission::Rejected { .. })
    }
}

/// What made a state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Call outcomes: a threshold crossed, a probe failed, the probes succeeded.
    Outcomes,
    /// Time passed: the wait in open (or a forced open's end) or the half-open limit.
    Time,
    /// An operator (or another instance's shared state).
    Command,
}

/// A transition, as returned by the methods that make one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    pub from: BreakerState,
    pub to: BreakerState,
    pub cause: Cause,
    pub at: Timestamp,
}

/// Where half-open's probe permits come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbePermits {
    /// This breaker alone decides: `permitted_calls_in_half_open` permits.
    Local,
    /// A fleet shares the budget: permits are granted by [`Breaker::grant_probes`] after a
    /// claim on the shared state, and other instances' probe results arrive by
    /// [`Breaker::credit_probes`].
    Granted,
}

/// Half-open's bookkeeping, reset on every entry into half-open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Probes {
    permits: u32,
    admitted: u32,
    succeeded: u32,
    slow: u32,
    /// Successful (and slow) probes completed elsewhere in the fleet.
    credited: u32,
    credited_slow: u32,
    /// Calls refused for want of a permit since the last [`Breaker::take_probe_demand`].
    demand: u32,
}

/// A point-in-time view of a breaker, for status and serde.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerSnapshot {
    #[serde(flatten)]
    pub mode: Mode,
    pub since: Timestamp,
    /// Calls in the window now (closed and forced closed; the window restarts on a transition).
    pub calls: u64,
    pub failures: u64,
    pub slow: u64,
    /// Per mille of the window's calls: 125 is 12.5 %.
    pub failure_permille: u32,
    pub slow_permille: u32,
    /// Half-open only: probes admitted here and completed successfully (here and elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probes_admitted: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probes_succeeded: Option<u32>,
}

/// One circuit breaker.
#[derive(Clone, Debug)]
pub struct Breaker {
    config: BreakerConfig,
    mode: Mode,
    since: Timestamp,
    window: Window,
    probes: Probes,
    permits: ProbePermits,
}

impl Breaker {
    /// A closed breaker that decides alone.
    pub fn new(config: BreakerConfig, now: Timestamp) -> Self {
        Self::with_permits(config, now, ProbePermits::Local)
    }

    /// A closed breaker whose half-open probe permits come from `permits`.
    pub fn with_permits(config: BreakerConfig, now: Timestamp, permits: ProbePermits) -> Self {
        Breaker {
            window: Window::new(&config),
            config,
            mode: Mode::Closed,
            since: now,
            probes: Probes::default(),
            permits,
        }
    }

    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    pub fn state(&self) -> BreakerState {
        self.mode.state()
    }

    /// When the current state began.
    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// Applies the transitions that time alone makes (open → half-open, a forced open's end,
    /// half-open's time limit), as of `now`.
    pub fn tick(&mut self, now: Timestamp) -> Option<StateChange> {
        let from = self.state();
        let mut changed = false;
        // A loop: a long gap may pass several deadlines (open → half-open → open → …).
        for _ in 0..64 {
            match &self.mode {
                Mode::Open { until }
                | Mode::ForcedOpen {
                    until: Some(until), ..
                } if now >= *until => {
                    let at = *until;
                    self.enter_half_open(at);
                }
                Mode::HalfOpen => match self.config.max_wait_in_half_open {
                    Some(max) if now >= self.since.plus(max.0) => {
                        let at = self.since.plus(max.0);
                        self.enter(
                            Mode::Open {
                                until: at.plus(self.config.wait_in_open.0),
                            },
                            at,
                        );
                    }
                    _ => break,
                },
                _ => break,
            }
            changed = true;
        }
        changed.then(|| StateChange {
            from,
            to: self.state(),
            cause: Cause::Time,
            at: self.since,
        })
    }

    /// May a call go to the gateway now? Counts a probe when it admits one.
    pub fn admit(&mut self, now: Timestamp) -> Admission {
        self.tick(now);
        match &self.mode {
            Mode::Closed | Mode::ForcedClosed { .. } => Admission::Allowed,
            Mode::Open { until } => Admission::Rejected {
                reason: Rejection::Open,
                retry_at: Some(*until),
            },
            Mode::ForcedOpen { until, .. } => Admission::Rejected {
                reason: Rejection::ForcedOpen,
                retry_at: *until,
            },
            Mode::HalfOpen => {
                if self.probes.admitted < self.probes.permits {
                    self.probes.admitted += 1;
                    Admission::Probe
                } else {
                    self.probes.demand = self.probes.demand.saturating_add(1);
                    Admission::Rejected {
                        reason: Rejection::ProbesTaken,
                        retry_at: None,
                    }
                }
            }
        }
    }

    /// Records a finished call. Results that arrive while open (calls admitted before it
    /// opened) are ignored, as are results in half-open beyond the probes admitted.
    pub fn record(&mut self, result: CallResult, now: Timestamp) -> Option<StateChange> {
        self.tick(now);
        let slow = result.duration >= self.config.slow_call_duration.0;
        match self.mode {
            Mode::Closed => {
                self.window.add(now, result.failure, slow);
                let t = self.window.totals(now);
                let trips = t.calls >= u64::from(self.config.minimum_calls)
                    && (reaches(t.failures, t.calls, self.config.failure_rate_threshold)
                        || reaches(t.slow, t.calls, self.config.slow_call_rate_threshold));
                trips.then(|| self.open_now(now))
            }
            Mode::ForcedClosed { .. } => {
                self.window.add(now, result.failure, slow);
                None
            }
            Mode::Open { .. } | Mode::ForcedOpen { .. } => None,
            Mode::HalfOpen => {
                if self.probes.succeeded >= self.probes.admitted {
                    return None; // not a probe of this half-open period
                }
                if result.failure {
                    return Some(self.open_now(now));
                }
                self.probes.succeeded += 1;
                self.probes.slow += u32::from(slow);
                self.settle_probes(now)
            }
        }
    }

    /// Closes (or reopens on slow probes) once every permitted probe has succeeded.
    fn settle_probes(&mut self, now: Timestamp) -> Option<StateChange> {
        let permitted = self.config.permitted_calls_in_half_open;
        let done = self.probes.succeeded + self.probes.credited;
        if done < permitted {
            return None;
        }
        let slow = self.probes.slow + self.probes.credited_slow;
        if reaches(
            u64::from(slow),
            u64::from(done),
            self.config.slow_call_rate_threshold,
        ) {
            return Some(self.open_now(now));
        }
        let from = self.state();
        self.enter(Mode::Closed, now);
        Some(StateChange {
            from,
            to: BreakerState::Closed,
            cause: Cause::Outcomes,
            at: now,
        })
    }

    fn open_now(&mut self, now: Timestamp) -> StateChange {
        let from = self.state();
        self.enter(
            Mode::Open {
                until: now.plus(self.config.wait_in_open.0),
            },
            now,
        );
        StateChange {
            from,
            to: BreakerState::Open,
            cause: Cause::Outcomes,
            at: now,
        }
    }

    fn enter_half_open(&mut self, at: Timestamp) {
        self.enter(Mode::HalfOpen, at);
        self.probes = Probes {
            permits: match self.permits {
                ProbePermits::Local => self.config.permitted_calls_in_half_open,
                ProbePermits::Granted => 0,
            },
            ..Probes::default()
        };
    }

    /// Every transition goes through here: new state, new start time, a fresh window.
    fn enter(&mut self, mode: Mode, at: Timestamp) {
        self.mode = mode;
        self.since = at;
        self.window.clear();
        self.probes = Probes::default();
    }

    fn command(&mut self, mode: Mode, now: Timestamp) -> Option<StateChange> {
        let from = self.state();
        if self.mode == mode {
            return None;
        }
        self.enter(mode, now);
        Some(StateChange {
            from,
            to: self.state(),
            cause: Cause::Command,
            at: now,
        })
    }

    /// An operator forces it open: every call is rejected until `until` (then half-open), or
    /// until an operator acts.
    pub fn force_open(
        &mut self,
        until: Option<Timestamp>,
        reason: Option<String>,
        now: Timestamp,
    ) -> Option<StateChange> {
        self.command(Mode::ForcedOpen { until, reason }, now)
    }

    /// An operator forces it closed: every call is admitted, nothing opens it.
    pub fn force_closed(&mut self, reason: Option<String>, now: Timestamp) -> Option<StateChange> {
        self.command(Mode::ForcedClosed { reason }, now)
    }

    /// Back to automatic: closed, with a fresh window.
    pub fn release(&mut self, now: Timestamp) -> Option<StateChange> {
        let from = self.state();
        self.enter(Mode::Closed, now);
        (from != BreakerState::Closed).then_some(StateChange {
            from,
            to: BreakerState::Closed,
            cause: Cause::Command,
            at: now,
        })
    }

    /// Takes the state another instance decided (shared through the store). A different
    /// state or start time is a new period: the window and probe counts start afresh.
    /// Adopting what this breaker already derived (e.g. an `open` whose wait it has seen end)
    /// changes nothing.
    pub fn adopt(&mut self, mode: Mode, since: Timestamp, now: Timestamp) -> Option<StateChange> {
        self.tick(now);
        let mut incoming = Breaker {
            mode,
            since,
            ..Breaker::with_permits(self.config.clone(), since, self.permits)
        };
        if incoming.mode == Mode::HalfOpen {
            incoming.enter_half_open(since);
        }
        incoming.tick(now);
        if incoming.mode == self.mode && incoming.since == self.since {
            return None;
        }
        let from = self.state();
        *self = incoming;
        Some(StateChange {
            from,
            to: self.state(),
            cause: Cause::Command,
            at: now,
        })
    }

    /// Fleet: this instance won `n` more probe permits (never more than the budget).
    pub fn grant_probes(&mut self, n: u32) {
        if self.mode == Mode::HalfOpen {
            self.probes.permits = self
                .probes
                .permits
                .saturating_add(n)
                .min(self.config.permitted_calls_in_half_open);
        }
    }

    /// Fleet: the number of probes that succeeded elsewhere (and how many of them were slow),
    /// as totals for the current half-open period. May close the breaker.
    pub fn credit_probes(
        &mut self,
        succeeded: u32,
        slow: u32,
        now: Timestamp,
    ) -> Option<StateChange> {
        if self.mode != Mode::HalfOpen {
            return None;
        }
        self.probes.credited = succeeded;
        self.probes.credited_slow = slow;
        self.settle_probes(now)
    }

    /// Fleet: calls refused for want of a probe permit since the last take.
    pub fn probe_demand(&self) -> u32 {
        self.probes.demand
    }

    /// Fleet: the same, resetting the count.
    pub fn take_probe_demand(&mut self) -> u32 {
        std::mem::take(&mut self.probes.demand)
    }

    /// Half-open: (permits held, probes admitted, probes succeeded here, of them slow).
    pub fn probe_counts(&self) -> (u32, u32, u32, u32) {
        let p = &self.probes;
        (p.permits, p.admitted, p.succeeded, p.slow)
    }

    /// The current state and window, as of `now`.
    pub fn snapshot(&mut self, now: Timestamp) -> BreakerSnapshot {
        self.tick(now);
        let t = self.window.totals(now);
        let half_open = self.mode == Mode::HalfOpen;
        BreakerSnapshot {
            mode: self.mode.clone(),
            since: self.since,
            calls: t.calls,
            failures: t.failures,
            slow: t.slow,
            failure_permille: t.failure_permille(),
            slow_permille: t.slow_permille(),
            probes_admitted: half_open.then_some(self.probes.admitted),
            probes_succeeded: half_open.then_some(self.probes.succeeded + self.probes.credited),
        }
    }
}

#[cfg(test)]
mod tests;
