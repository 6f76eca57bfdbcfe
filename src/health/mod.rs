//! The fleet-wide health of one tenant's gateways, as the dashboard shows it: a read model
//! over what every `serve` instance shares through the store (breaker documents, the 10 s
//! `gw:<gateway>` counter buckets, the routing table) plus the tenant's dead-letter queue.
//! Reads only; no terminal here (drawing is the binary's `tui/`).
//!
//! How the numbers are made, from one hour of counter buckets per gateway:
//! - **success / failure rate**: over the last minute (the six 10 s buckets before the current
//!   one, and the current one so far), of every call routed to the gateway, those its breaker
//!   refused included: the share that succeeded, and the share that failed or was refused. A
//!   breaker that opens turns the figures at once (refused calls used to count nowhere, so an
//!   open breaker's rate was made of the successes before the outage).
//! - **refused share** and **last success**: the last minute's share of calls the breaker
//!   refused, and the end of the newest bucket of the hour with a call that succeeded: what
//!   the dashboard says about an open breaker.
//! - **calls in window**: the breaker's status span (its time window, or the last minute for
//!   a count window), as `payorch breaker status` shows it.
//! - **p50 / p95**: over the last minute, from the latency histogram: the upper bound of the
//!   histogram bucket that holds the quantile ([`Quantile`]).
//! - **requests per second**: the calls of the previous 10 s bucket and of the current one so
//!   far, over the time they span (10 to 20 s): it follows a failover within seconds.
//! - **uptime over the last hour**: of the hour's 10 s buckets in which the gateway saw
//!   traffic (calls, or calls its breaker refused), the share in which it was usable: its
//!   breaker refused nothing and fewer than half of its calls failed. `None` without traffic.
//! - **series**: the last [`SERIES_BUCKETS`] buckets (the current one included), oldest first,
//!   for sparklines.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::clock::{Clock, Timestamp};
use crate::config::{Config, GatewaysConfig};
use crate::fleet::shared::{self, BUCKET};
use crate::fleet::{Aggregate, BreakerStatus, Breakers, LastError};
use crate::model::{GatewayId, TenantId};
use crate::routing::{Role, Routing, RoutingError, RoutingTable};
use crate::store::{Store, StoreError};

pub use crate::fleet::shared::Quantile;

/// How many buckets a gateway's series holds: five minutes of 10 s buckets.
pub const SERIES_BUCKETS: usize = 30;
/// How far back uptime looks.
pub const UPTIME_SPAN: Duration = Duration::from_secs(3600);
/// The span of the latency quantiles (p50, p95).
pub const MINUTE: Duration = Duration::from_secs(60);

/// Why health could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error(transparent)]
    Routing(#[from] RoutingError),
    #[error("cannot read the gateways' health")]
    Store(#[from] StoreError),
}

/// One counter bucket of a gateway, for sparklines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Point {
    pub calls: u64,
    pub failures: u64,
    /// Calls the breaker refused.
    pub rejected: u64,
}

/// One gateway of a tenant, fleet-wide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GatewayHealth {
    pub gateway: GatewayId,
    /// `gateways.<id>.enabled` in this process's config.
    pub enabled: bool,
    #[serde(serialize_with = "role_text")]
    pub role: Role,
    /// State, forced or not, and calls/failures over the breaker's window.
    pub breaker: BreakerStatus,
    /// The last minute: calls made, how many of them failed, calls the breaker refused.
    pub minute: Point,
    /// Of the last minute's calls (refused ones included), the share that succeeded:
    /// `1000 - failure_permille`; `None` without any.
    pub success_permille: Option<u32>,
    /// Of the last minute's calls (refused ones included), the share that failed or was
    /// refused, per mille, floored as the breaker's rate is.
    pub failure_permille: Option<u32>,
    /// Of the last minute's calls, the share the breaker refused, per mille.
    pub refused_permille: Option<u32>,
    /// When it last succeeded within the hour, to the 10 s bucket: the end of the newest
    /// bucket with a call that did not fail (at most `now`); `None` without one.
    pub last_success: Option<Timestamp>,
    /// Latency quantiles over the last minute; `None` without calls.
    pub p50: Option<Quantile>,
    pub p95: Option<Quantile>,
    /// Requests per second over the last 10-20 s, in thousandths (1500: 1.5 req/s).
    pub milli_rps: u64,
    /// Calls in the breaker's window.
    pub window_calls: u64,
    pub last_error: Option<LastError>,
    /// Uptime over the last hour, per mille (see the module docs); `None` without traffic.
    pub uptime_permille: Option<u32>,
    /// The last [`SERIES_BUCKETS`] buckets, oldest first.
    pub series: Vec<Point>,
}

fn role_text<S: serde::Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(role)
}

/// A tenant's dead-letter queue in two numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DlqSummary {
    /// Dead letters of the tenant.
    pub depth: u64,
    /// When the oldest one died.
    pub oldest_dead_at: Option<Timestamp>,
}

/// Everything the dashboard shows about a tenant's gateways, as of `at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TenantHealth {
    pub tenant: TenantId,
    pub at: Timestamp,
    pub routing: RoutingTable,
    /// Every gateway, in [`GatewayId::ALL`] order.
    pub gateways: Vec<GatewayHealth>,
    pub dlq: DlqSummary,
}

/// Reads tenants' health from the shared store.
pub struct HealthReader {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    breakers: Breakers,
    routing: Routing,
    gateways: GatewaysConfig,
}

impl HealthReader {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: &Config,
    ) -> Result<Self, RoutingError> {
        Ok(HealthReader {
            breakers: Breakers::new(store.clone(), clock.clone(), config.breaker.clone()),
            routing: Routing::new(store.clone(), clock.clone(), config)?,
            gateways: config.gateways.clone(),
            store,
            clock,
        })
    }

    /// `tenant`'s health now: one counters read per gateway (the last hour), the breaker
    /// documents, the routing table and the dead-letter queue.
    pub async fn read(&self, tenant: &TenantId) -> Result<TenantHealth, HealthError> {
        let now = self.clock.now();
        let routing = self.routing.current(tenant).await?.table;
        let mut hours = BTreeMap::new();
        for gateway in GatewayId::ALL {
            hours.insert(gateway, self.hour(tenant, gateway, now).await?);
        }
        let mut windows = BTreeMap::new();
        for gateway in GatewayId::ALL {
            let span = shared::status_span(&self.breakers.settings().for_gateway(gateway));
            let from = shared::bucket_of(now.minus(span));
            windows.insert(gateway, sum(&hours[&gateway], from, now.plus(BUCKET)));
        }
        let statuses = self
            .breakers
            .fleet_status_from(tenant, &windows, now)
            .await?;
        let gateways = statuses
            .into_iter()
            .map(|status| {
                let gateway = status.gateway;
                gateway_health(
                    status,
                    self.gateways.is_enabled(gateway),
                    routing.role(gateway),
                    &hours[&gateway],
                    now,
                )
            })
            .collect();
        Ok(TenantHealth {
            tenant: tenant.clone(),
            at: now,
            routing,
            gateways,
            dlq: self.dlq(tenant).await?,
        })
    }

    async fn hour(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        now: Timestamp,
    ) -> Result<Vec<(Timestamp, Aggregate)>, StoreError> {
        let from = shared::bucket_of(now.minus(UPTIME_SPAN));
        let buckets = self
            .store
            .read_counters(tenant, &shared::series(gateway), from, now.plus(BUCKET))
            .await?;
        Ok(buckets
            .iter()
            .map(|(at, fields)| (*at, Aggregate::from_fields(fields)))
            .collect())
    }

    async fn dlq(&self, tenant: &TenantId) -> Result<DlqSummary, StoreError> {
        let stats = self
            .store
            .queue_stats(Some(tenant), self.clock.now())
            .await?;
        Ok(DlqSummary {
            depth: stats.dead,
            oldest_dead_at: stats.oldest_dead_at,
        })
    }
}

/// The buckets with `from <= start < to`, merged.
fn sum(buckets: &[(Timestamp, Aggregate)], from: Timestamp, to: Timestamp) -> Aggregate {
    let mut total = Aggregate::default();
    for (_, a) in buckets.iter().filter(|(at, _)| from <= *at && *at < to) {
        total.merge(a);
    }
    total
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// One gateway's figures from its breaker status and its last hour of buckets (oldest first).
fn gateway_health(
    breaker: BreakerStatus,
    enabled: bool,
    role: Role,
    hour: &[(Timestamp, Aggregate)],
    now: Timestamp,
) -> GatewayHealth {
    let current = shared::bucket_of(now);
    let minute = sum(hour, current.minus(MINUTE), now.plus(BUCKET));
    let routed = count(minute.calls) + count(minute.rejected);
    let share = |part: u64| {
        (routed > 0).then(|| u32::try_from(part.min(routed) * 1000 / routed).unwrap_or(1000))
    };
    // Floored like the breaker's own rate; the success share is the rest.
    let failure_permille = share(count(minute.failures) + count(minute.rejected));
    let last_success = hour
        .iter()
        .filter(|(_, a)| a.calls > a.failures)
        .map(|(at, _)| at.plus(BUCKET).min(now))
        .max();
    // The previous bucket and the current one so far: a rate that follows a change within
    // seconds without jumping about on a half-filled bucket.
    let recent = sum(hour, current.minus(BUCKET), now.plus(BUCKET));
    let elapsed_ms = BUCKET.as_millis() as i64 + (now.unix_millis() - current.unix_millis());
    let milli_rps = count(recent.calls) * 1_000_000 / count(elapsed_ms.max(1));
    let series = (0..SERIES_BUCKETS)
        .rev()
        .map(|back| {
            let start = current.minus(BUCKET * u32::try_from(back).unwrap_or(0));
            let a = sum(hour, start, start.plus(BUCKET));
            Point {
                calls: count(a.calls),
                failures: count(a.failures),
                rejected: count(a.rejected),
            }
        })
        .collect();
    GatewayHealth {
        gateway: breaker.gateway,
        enabled,
        role,
        minute: Point {
            calls: count(minute.calls),
            failures: count(minute.failures),
            rejected: count(minute.rejected),
        },
        success_permille: failure_permille.map(|f| 1000 - f),
        failure_permille,
        refused_permille: share(count(minute.rejected)),
        last_success,
        p50: minute.quantile(500),
        p95: minute.quantile(950),
        milli_rps,
        window_calls: breaker.calls,
        last_error: breaker.last_error.clone(),
        uptime_permille: uptime(hour),
        series,
        breaker,
    }
}

/// Per mille of the active buckets in which the gateway was usable (see the module docs).
fn uptime(hour: &[(Timestamp, Aggregate)]) -> Option<u32> {
    let active: Vec<&Aggregate> = hour
        .iter()
        .map(|(_, a)| a)
        .filter(|a| a.calls > 0 || a.rejected > 0)
        .collect();
    if active.is_empty() {
        return None;
    }
    let usable = active
        .iter()
        .filter(|a| a.rejected == 0 && a.failures * 2 < a.calls)
        .count();
    u32::try_from(usable * 1000 / active.len()).ok()
}

#[cfg(test)]
mod tests;
