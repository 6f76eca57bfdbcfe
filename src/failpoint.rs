//! Named crash points in the money flows, so tests can kill a flow at every step and prove that
//! whoever resumes it charges nobody twice and loses nothing. Not a fault injector for gateways
//! (that is the sandbox's) and never armed in production: in a release build [`Failpoints::hit`]
//! is an empty inline function and arming does nothing.
//!
//! Two ways to arm a point, in debug builds (what `cargo test` builds):
//! - in-process, [`Failpoints::arm`] on one orchestrator's set: the flow **panics** there. The
//!   task running it dies mid-flow as a process would (nothing after the point runs, no error
//!   path writes anything); the test then assembles a new core over the same store and recovers.
//!   Each core has its own set, so tests running side by side do not disturb each other.
//! - in a real process, `PAYORCH_FAILPOINTS=charge.attempt_recorded` (comma-separated names; a
//!   `name@N` fires on the Nth hit) makes the process **abort** there, like `kill -9`.
//!
//! The points, in the order a flow meets them, are [`POINTS`]; `docs/ARCHITECTURE.md` says what
//! each one proves.

#[cfg(debug_assertions)]
use std::sync::Mutex;

/// Every crash point, in flow order.
pub const POINTS: &[&str] = &[
    CHARGE_STORED,
    CHARGE_ATTEMPT_RECORDED,
    CHARGE_GATEWAY_ANSWERED,
    CHARGE_FINAL_STORED,
    REFUND_RECORDED,
    REFUND_GATEWAY_ANSWERED,
    REFUND_FINAL_STORED,
    INBOUND_RECORDED,
    INBOUND_APPLIED,
    RECONCILE_GATEWAY_ANSWERED,
];

/// The pending charge is stored, with the write-ahead record of its first attempt.
pub const CHARGE_STORED: &str = "charge.stored";
/// An attempt is recorded (gateway and gateway key); its request has not left yet.
pub const CHARGE_ATTEMPT_RECORDED: &str = "charge.attempt_recorded";
/// The gateway answered; the answer is not stored yet.
pub const CHARGE_GATEWAY_ANSWERED: &str = "charge.gateway_answered";
/// The charge's outcome, its event and the event's delivery are stored (one commit); the
/// idempotency key is not completed yet.
pub const CHARGE_FINAL_STORED: &str = "charge.final_stored";
/// The refund is recorded as in flight on its charge; its request has not left yet.
pub const REFUND_RECORDED: &str = "refund.recorded";
/// The gateway answered the refund; the answer is not stored yet.
pub const REFUND_GATEWAY_ANSWERED: &str = "refund.gateway_answered";
/// The refund's outcome and its event are stored; the idempotency key is not completed yet.
pub const REFUND_FINAL_STORED: &str = "refund.final_stored";
/// A gateway webhook is stored (its dedupe record); it is not applied yet. For news decided
/// on the charge as read (it changes nothing, or it moves the charge: one commit with the
/// record), the record is already settled here, and both inbound points come after that commit.
pub const INBOUND_RECORDED: &str = "inbound.recorded";
/// The webhook's news is applied to the charge with its event; the webhook record still says
/// `received` (unless it was written settled, see [`INBOUND_RECORDED`]).
pub const INBOUND_APPLIED: &str = "inbound.applied";
/// The reconciler asked a gateway about an abandoned or unknown charge; the answer is not
/// stored yet.
pub const RECONCILE_GATEWAY_ANSWERED: &str = "reconcile.gateway_answered";

/// What an armed point does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Panic: the task running the flow dies there (in-process tests).
    Panic,
    /// Abort the process, as `kill -9` would (real-process tests).
    Abort,
    /// Wait there until [`Failpoints::release`]: a process that hangs, then carries on
    /// (in-process tests of what happens around a stalled holder).
    Pause,
}

#[cfg(debug_assertions)]
#[derive(Debug)]
struct Armed {
    name: String,
    action: Action,
    /// Hits to let pass before firing.
    skip: u32,
}

/// The armed crash points of one core.
#[derive(Debug, Default)]
pub struct Failpoints {
    #[cfg(debug_assertions)]
    armed: Mutex<Vec<Armed>>,
    /// Where a flow waits now (a `Pause`d point), and the signal that lets it go.
    #[cfg(debug_assertions)]
    pause: Pause,
    /// The points that fired, in order.
    #[cfg(debug_assertions)]
    fired: Mutex<Vec<&'static str>>,
}

#[cfg(debug_assertions)]
#[derive(Debug, Default)]
struct Pause {
    at: Mutex<Option<&'static str>>,
    reached: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl Failpoints {
    /// Nothing armed.
    pub fn none() -> Self {
        Failpoints::default()
    }

    /// The points named in `PAYORCH_FAILPOINTS` (debug builds), each aborting the process.
    /// Unknown names are refused, so a typo cannot make a crash test pass without crashing.
    pub fn from_env() -> Result<Self, String> {
        let set = Failpoints::none();
        #[cfg(debug_assertions)]
        if let Ok(spec) = std::env::var("PAYORCH_FAILPOINTS") {
            for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (name, nth) = match item.split_once('@') {
                    Some((name, n)) => (
                        name,
                        n.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                            format!("PAYORCH_FAILPOINTS: `{item}`: @N needs N >= 1")
                        })?,
                    ),
                    None => (item, 1),
                };
                if !POINTS.contains(&name) {
                    return Err(format!(
                        "PAYORCH_FAILPOINTS: unknown crash point `{name}` (known: {})",
                        POINTS.join(", ")
                    ));
                }
                set.arm_with(name, Action::Abort, nth - 1);
            }
        }
        Ok(set)
    }

    /// Arms `name` to panic at its next hit.
    pub fn arm(&self, name: &str) {
        self.arm_with(name, Action::Panic, 0);
    }

    /// Arms `name` to do `action` after letting `skip` hits pass.
    #[allow(unused_variables)]
    pub fn arm_with(&self, name: &str, action: Action, skip: u32) {
        #[cfg(debug_assertions)]
        self.armed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Armed {
                name: name.to_string(),
                action,
                skip,
            });
    }

    /// Disarms every point.
    pub fn clear(&self) {
        #[cfg(debug_assertions)]
        self.armed.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Waits until a flow is paused at a `Pause` point; returns the point.
    pub async fn paused(&self) -> &'static str {
        #[cfg(debug_assertions)]
        loop {
            let reached = self.pause.reached.notified();
            if let Some(at) = *self.pause.at.lock().unwrap_or_else(|p| p.into_inner()) {
                return at;
            }
            reached.await;
        }
        #[cfg(not(debug_assertions))]
        std::future::pending().await
    }

    /// Whether the armed point `name` has fired (a flow crashed or paused there).
    #[allow(unused_variables)]
    pub fn has_fired(&self, name: &str) -> bool {
        #[cfg(debug_assertions)]
        return self
            .fired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&name);
        #[cfg(not(debug_assertions))]
        false
    }

    /// Lets the flow paused at a `Pause` point carry on.
    pub fn release(&self) {
        #[cfg(debug_assertions)]
        self.pause.release.notify_one();
    }

    /// Marks the flow passing `name`: crashes or waits there when it is armed (debug builds
    /// only).
    #[inline(always)]
    #[allow(unused_variables)]
    pub async fn hit(&self, name: &'static str) {
        #[cfg(debug_assertions)]
        {
            let fire = {
                let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
                match armed.iter().position(|a| a.name == name) {
                    Some(i) if armed[i].skip > 0 => {
                        armed[i].skip -= 1;
                        None
                    }
                    Some(i) => Some(armed.remove(i).action),
                    None => None,
                }
            };
            if fire.is_some() {
                self.fired
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(name);
            }
            match fire {
                Some(Action::Panic) => panic!("payorch crash point `{name}`"),
                Some(Action::Abort) => {
                    eprintln!("payorch: crash point `{name}`: aborting");
                    std::process::abort()
                }
                Some(Action::Pause) => {
                    let released = self.pause.release.notified();
                    *self.pause.at.lock().unwrap_or_else(|p| p.into_inner()) = Some(name);
                    self.pause.reached.notify_waiters();
                    released.await;
                    *self.pause.at.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
                None => {}
            }
        }
    }
}
