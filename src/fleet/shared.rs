//! The shared form of one breaker: the state document every instance reads and conditionally
//! writes (`StateStore`, kind `breaker`, name = the gateway), and the counter series the
//! instances flush their outcome aggregates to (`gw:<gateway>`, 10 s buckets).
//!
//! Only the format, its decoding and the fleet-wide read model live here; deciding is
//! `crate::breaker`'s job and syncing is `sync.rs`'s.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::breaker::{BreakerConfig, BreakerState, Mode, ProbePermits, SlidingWindow, Totals};
use crate::clock::Timestamp;
use crate::model::{GatewayId, TenantId};
use crate::store::{
    CounterKey, CounterStore, StateDoc, StateKey, StateKind, StateStore, StoreError, Versioned,
};

/// The state-document kind for breakers.
pub const KIND: StateKind = StateKind::Breaker;
/// Width of a counter bucket.
pub const BUCKET: Duration = Duration::from_secs(10);
/// How long counter buckets are kept.
pub const COUNTER_RETENTION: Duration = Duration::from_secs(24 * 3600);
/// Upper bounds (ms, exclusive) of the latency histogram's fields; the last field is the rest.
/// Fine enough for a p50/p95 a person reads (see [`Aggregate::quantile`]).
pub const LATENCY_BOUNDS_MS: [u64; 10] = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];
/// The counter field of each histogram slot: one per bound, then the rest.
pub const LATENCY_FIELDS: [&str; 11] = [
    "latency_lt_10ms",
    "latency_lt_25ms",
    "latency_lt_50ms",
    "latency_lt_100ms",
    "latency_lt_250ms",
    "latency_lt_500ms",
    "latency_lt_1s",
    "latency_lt_2500ms",
    "latency_lt_5s",
    "latency_lt_10s",
    "latency_ge_10s",
];

/// A latency quantile as the histogram knows it: at most a bucket's upper bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantile {
    /// Below this many milliseconds (the upper bound of the bucket holding the q-th call).
    Below(u64),
    /// At or over the last bound ([`LATENCY_BOUNDS_MS`]'s last).
    AtLeast(u64),
}

/// The state-document kind of a gateway's newest failure, fleet-wide (name = the gateway).
/// Apart from the breaker's document, so sharing an error never races a state transition.
pub const ERROR_KIND: StateKind = StateKind::GatewayError;
/// An instance shares a newer failure at most this often per gateway.
pub const ERROR_SHARE_EVERY: Duration = Duration::from_secs(2);

/// The counter series of a gateway's calls.
pub fn series(gateway: GatewayId) -> String {
    format!("gw:{gateway}")
}

pub fn state_key(tenant: &TenantId, gateway: GatewayId) -> StateKey {
    StateDoc::Breaker(gateway).key(tenant)
}

pub fn error_key(tenant: &TenantId, gateway: GatewayId) -> StateKey {
    StateDoc::GatewayError(gateway).key(tenant)
}

/// The newer of two failures.
pub fn newest(a: Option<LastError>, b: Option<LastError>) -> Option<LastError> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.at > a.at { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Every gateway's shared newest failure for `tenant` (undecodable documents are skipped: the
/// error text is for people, never for a decision).
pub async fn read_errors(
    state: &dyn StateStore,
    tenant: &TenantId,
) -> Result<BTreeMap<GatewayId, LastError>, StoreError> {
    Ok(state
        .list_state(tenant, ERROR_KIND)
        .await?
        .into_iter()
        .filter_map(|(name, v)| {
            let Ok(StateDoc::GatewayError(gateway)) = StateDoc::parse(ERROR_KIND, &name) else {
                return None;
            };
            Some((gateway, serde_json::from_value(v.value).ok()?))
        })
        .collect())
}

/// The most recent breaker failure seen, with its error text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    pub message: String,
    pub at: Timestamp,
}

/// One instance's claim on a half-open probe permit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeClaim {
    pub instance: String,
    pub at: Timestamp,
}

/// Half-open's fleet-wide probe budget: who holds which permit, and the results so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeLedger {
    /// The half-open period (its start) these belong to; a ledger of another period is void.
    pub round: Option<Timestamp>,
    pub claims: Vec<ProbeClaim>,
    pub succeeded: u32,
    pub slow: u32,
}

impl ProbeLedger {
    pub fn is_empty(&self) -> bool {
        self.round.is_none()
    }

    /// The ledger for the half-open period that began at `round`, with claims older than
    /// `lease` dropped (their instance is presumed gone; the permit is free again).
    pub fn for_round(&self, round: Timestamp, now: Timestamp, lease: Duration) -> ProbeLedger {
        if self.round != Some(round) {
            return ProbeLedger {
                round: Some(round),
                ..ProbeLedger::default()
            };
        }
        let mut fresh = self.clone();
        fresh.claims.retain(|c| now < c.at.plus(lease));
        fresh
    }
}

/// The document one breaker's instances share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedBreaker {
    /// Grows by one on every state transition (not on probe claims or results): what an
    /// instance's pending transition is based on.
    pub epoch: u64,
    #[serde(flatten)]
    pub mode: Mode,
    pub since: Timestamp,
    /// The instance (`inst_…`) or operator (`cli:…`) that made the transition.
    pub changed_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<LastError>,
    #[serde(default, skip_serializing_if = "ProbeLedger::is_empty")]
    pub probes: ProbeLedger,
}

impl SharedBreaker {
    pub fn decode(
        key: &StateKey,
        v: Versioned<serde_json::Value>,
    ) -> Result<Versioned<Self>, StoreError> {
        serde_json::from_value(v.value)
            .map(|value| Versioned {
                value,
                version: v.version,
            })
            .map_err(|e| {
                StoreError::Corrupt(format!(
                    "breaker state of `{}` for tenant `{}`: {e}",
                    key.name, key.tenant
                ))
            })
    }

    pub fn encode(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Calls aggregated over one counter bucket, as flushed to (and read back from) the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Aggregate {
    pub calls: i64,
    pub failures: i64,
    pub slow: i64,
    /// Calls the breaker refused (they never reached the gateway).
    pub rejected: i64,
    pub latency_ms_sum: i64,
    /// Calls per [`LATENCY_FIELDS`] slot.
    pub latency: [i64; 11],
}

impl Aggregate {
    pub fn add_call(&mut self, failed: bool, slow: bool, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.calls += 1;
        self.failures += i64::from(failed);
        self.slow += i64::from(slow);
        self.latency_ms_sum = self
            .latency_ms_sum
            .saturating_add(i64::try_from(ms).unwrap_or(i64::MAX));
        let slot = LATENCY_BOUNDS_MS
            .iter()
            .position(|b| ms < *b)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        self.latency[slot] += 1;
    }

    pub fn merge(&mut self, other: &Aggregate) {
        self.calls += other.calls;
        self.failures += other.failures;
        self.slow += other.slow;
        self.rejected += other.rejected;
        self.latency_ms_sum = self.latency_ms_sum.saturating_add(other.latency_ms_sum);
        for (a, b) in self.latency.iter_mut().zip(other.latency) {
            *a += b;
        }
    }

    /// The `permille`-th per-mille latency quantile (500: p50, 950: p95) of the calls in the
    /// histogram, as the upper bound of the bucket that holds it; `None` without calls.
    pub fn quantile(&self, permille: u32) -> Option<Quantile> {
        let total: i64 = self.latency.iter().map(|n| (*n).max(0)).sum();
        if total <= 0 {
            return None;
        }
        // The rank of the q-th call, 1-based: ceil(total * q / 1000), at least 1.
        let rank = (total * i64::from(permille.min(1000)) + 999) / 1000;
        let rank = rank.max(1);
        let mut seen = 0;
        for (slot, n) in self.latency.iter().enumerate() {
            seen += (*n).max(0);
            if seen >= rank {
                return Some(match LATENCY_BOUNDS_MS.get(slot) {
                    Some(bound) => Quantile::Below(*bound),
                    None => Quantile::AtLeast(LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.len() - 1]),
                });
            }
        }
        None
    }

    /// The counter fields, without zeros.
    pub fn to_fields(self) -> BTreeMap<String, i64> {
        let mut f: BTreeMap<String, i64> = [
            ("calls", self.calls),
            ("failures", self.failures),
            ("slow", self.slow),
            ("rejected", self.rejected),
            ("latency_ms_sum", self.latency_ms_sum),
        ]
        .into_iter()
        .chain(LATENCY_FIELDS.into_iter().zip(self.latency))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        f.retain(|_, v| *v != 0);
        f
    }

    pub fn from_fields(f: &BTreeMap<String, i64>) -> Self {
        let get = |k: &str| f.get(k).copied().unwrap_or(0);
        Aggregate {
            calls: get("calls"),
            failures: get("failures"),
            slow: get("slow"),
            rejected: get("rejected"),
            latency_ms_sum: get("latency_ms_sum"),
            latency: LATENCY_FIELDS.map(get),
        }
    }
}

/// The start of the counter bucket holding `t`.
pub fn bucket_of(t: Timestamp) -> Timestamp {
    let width = i64::try_from(BUCKET.as_millis()).unwrap_or(10_000);
    Timestamp::from_unix_millis(t.unix_millis().div_euclid(width) * width)
}

/// The span status reports rates over: a time window's own span, else the last 60 s.
pub fn status_span(config: &BreakerConfig) -> Duration {
    match config.sliding_window {
        SlidingWindow::Time => config.window_duration.0,
        SlidingWindow::Count => Duration::from_secs(60),
    }
}

/// Adds `calls` to `gateway`'s counter bucket that starts at `bucket` (kept for
/// [`COUNTER_RETENTION`]): what every instance's sync flushes, and all the read side sees.
pub async fn flush(
    counters: &dyn CounterStore,
    tenant: &TenantId,
    gateway: GatewayId,
    bucket: Timestamp,
    calls: &Aggregate,
) -> Result<(), StoreError> {
    let key = CounterKey {
        tenant: tenant.clone(),
        series: series(gateway),
        bucket,
    };
    let expires = bucket.plus(COUNTER_RETENTION);
    counters
        .add_counters(&key, &calls.to_fields(), expires)
        .await
}

/// Fleet-wide calls of the last `span`, from the flushed counters.
pub async fn read_recent(
    counters: &dyn CounterStore,
    tenant: &TenantId,
    gateway: GatewayId,
    span: Duration,
    now: Timestamp,
) -> Result<Aggregate, StoreError> {
    let from = bucket_of(now.minus(span));
    let to = now.plus(BUCKET);
    let mut total = Aggregate::default();
    for (_, fields) in counters
        .read_counters(tenant, &series(gateway), from, to)
        .await?
    {
        total.merge(&Aggregate::from_fields(&fields));
    }
    Ok(total)
}

/// How a breaker stands, for `payorch breaker status`, `gateway list` and the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreakerStatus {
    pub tenant: TenantId,
    pub gateway: GatewayId,
    /// The effective state now (an `open` whose wait has passed shows as `half_open`).
    pub state: BreakerState,
    pub forced: bool,
    /// When the state began; `None` for a breaker that never changed state.
    pub since: Option<Timestamp>,
    /// When an open (or a timed forced open) ends.
    pub until: Option<Timestamp>,
    pub reason: Option<String>,
    pub changed_by: Option<String>,
    /// Calls over `window_secs`: fleet-wide from the counters (store view) or this instance's
    /// window (in-process view).
    pub calls: u64,
    pub failures: u64,
    pub slow: u64,
    /// Per mille: 125 is 12.5 %.
    pub failure_permille: u32,
    pub slow_permille: u32,
    pub window: String,
    pub last_error: Option<LastError>,
}

impl BreakerStatus {
    /// The effective state of a shared document (or of none: closed) as of `now`.
    pub fn from_shared(
        tenant: &TenantId,
        gateway: GatewayId,
        config: &BreakerConfig,
        shared: Option<&SharedBreaker>,
        now: Timestamp,
    ) -> Self {
        let mut machine =
            crate::breaker::Breaker::with_permits(config.clone(), now, ProbePermits::Granted);
        if let Some(s) = shared {
            machine.adopt(s.mode.clone(), s.since, now);
        }
        let mode = machine.mode().clone();
        BreakerStatus {
            tenant: tenant.clone(),
            gateway,
            state: mode.state(),
            forced: mode.state().is_forced(),
            since: shared.map(|_| machine.since()),
            until: match &mode {
                Mode::Open { until } => Some(*until),
                Mode::ForcedOpen { until, .. } => *until,
                _ => None,
            },
            reason: mode.reason().map(str::to_string),
            changed_by: shared.map(|s| s.changed_by.clone()),
            calls: 0,
            failures: 0,
            slow: 0,
            failure_permille: 0,
            slow_permille: 0,
            window: String::new(),
            last_error: shared.and_then(|s| s.last_error.clone()),
        }
    }

    /// Fills in the rates from calls, failures and slow calls.
    pub fn with_counts(mut self, calls: u64, failures: u64, slow: u64, window: String) -> Self {
        let totals = Totals {
            calls,
            failures,
            slow,
        };
        self.failure_permille = totals.failure_permille();
        self.slow_permille = totals.slow_permille();
        self.calls = calls;
        self.failures = failures;
        self.slow = slow;
        self.window = window;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_latencies(ms: &[u64]) -> Aggregate {
        let mut a = Aggregate::default();
        for m in ms {
            a.add_call(false, false, Duration::from_millis(*m));
        }
        a
    }

    #[test]
    fn latencies_land_in_the_bucket_below_their_bound() {
        let a = with_latencies(&[0, 9, 10, 99, 100, 9_999, 10_000, 60_000]);
        let f = a.to_fields();
        assert_eq!(f["latency_lt_10ms"], 2);
        assert_eq!(f["latency_lt_25ms"], 1);
        assert_eq!(f["latency_lt_100ms"], 1);
        assert_eq!(f["latency_lt_250ms"], 1);
        assert_eq!(f["latency_lt_10s"], 1);
        assert_eq!(f["latency_ge_10s"], 2);
        assert!(!f.contains_key("latency_lt_50ms"), "zeros are left out");
    }

    #[test]
    fn fields_round_trip() {
        let mut a = with_latencies(&[3, 30, 300, 3_000, 30_000]);
        a.failures = 2;
        a.slow = 1;
        a.rejected = 4;
        assert_eq!(Aggregate::from_fields(&a.to_fields()), a);
        assert_eq!(
            Aggregate::from_fields(&BTreeMap::new()),
            Aggregate::default()
        );
    }

    #[test]
    fn quantiles_are_the_upper_bound_of_the_bucket_holding_the_call() {
        assert_eq!(Aggregate::default().quantile(500), None);
        // 10 calls: 6 under 10 ms, 3 under 250 ms, 1 over 10 s.
        let a = with_latencies(&[1, 2, 3, 4, 5, 6, 120, 130, 140, 12_000]);
        assert_eq!(a.quantile(500), Some(Quantile::Below(10)));
        assert_eq!(a.quantile(600), Some(Quantile::Below(10)));
        assert_eq!(a.quantile(610), Some(Quantile::Below(250)));
        assert_eq!(a.quantile(900), Some(Quantile::Below(250)));
        assert_eq!(a.quantile(950), Some(Quantile::AtLeast(10_000)));
        assert_eq!(
            a.quantile(0),
            Some(Quantile::Below(10)),
            "p0 is the first call"
        );
        let one = with_latencies(&[700]);
        assert_eq!(one.quantile(500), Some(Quantile::Below(1000)));
        assert_eq!(one.quantile(950), Some(Quantile::Below(1000)));
    }
}
