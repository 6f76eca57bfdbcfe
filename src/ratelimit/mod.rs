//! Request rate limits for `payorch serve` (issue 12): token buckets (GCRA, from the `governor`
//! crate) per API key, per tenant, and per (tenant, gateway) for gateway webhooks in.
//!
//! - A merchant API request passes its key's bucket, then its tenant's: a key over its own
//!   limit is refused without spending the tenant's budget, so one noisy key cannot use up what
//!   its tenant's other keys share more than its own limit allows.
//! - A key's bucket follows its own `rate_limit` when it has one (`payorch apikey update
//!   --rate-limit`; its burst is then one period's worth, `200/s` → 200), else `[limits] key`
//!   and `key_burst`. `off` exempts the key; the tenant's limit still applies. Keys that share
//!   a policy share one keyed limiter; a key whose override changes starts a fresh bucket.
//! - Gateway webhooks have buckets of their own, so a webhook flood cannot starve charges and
//!   a charge burst cannot delay payment confirmations.
//!
//! Only authenticated callers reach a bucket (the server checks keys and webhook signatures
//! first), so the keyed maps are bounded by the number of API keys, tenants and gateways.
//!
//! The buckets live in this process's memory and run on the injected [`Clock`], so tests move
//! time by hand. A fleet of N instances (`[limits] instances = N`) gives each 1/N of every
//! rate and burst: per instance with the limit divided, not shared through the store (a shared
//! counter would cost a store write per request).
//! No HTTP here: the server turns a [`Refused`] into a 429 and [`Standing`]s into headers.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{NotUntil, Quota, RateLimiter};

use crate::clock::Clock;
use crate::config::LimitsConfig;
use crate::id::ApiKeyId;
use crate::model::{ApiKey, GatewayId, Rate, RateLimit, TenantId};

/// Which bucket a request was counted against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The API key's own.
    Key,
    /// All of the tenant's keys together.
    Tenant,
    /// One gateway's webhooks to one tenant.
    Inbound,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Key => "key",
            Scope::Tenant => "tenant",
            Scope::Inbound => "inbound",
        }
    }
}

/// Where a caller stands in one bucket after a request: what the RateLimit headers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub scope: Scope,
    /// Requests allowed per window (the rate's count, divided among instances).
    pub quota: u32,
    /// The window, seconds.
    pub window_secs: u64,
    /// Requests that may be sent right now.
    pub remaining: u32,
    /// Whole seconds until the bucket is full again (until the next request is allowed when
    /// `remaining` is 0).
    pub reset_secs: u64,
}

/// A request over a limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The bucket that refused it.
    pub scope: Scope,
    /// Whole seconds, rounded up, until a retry can pass (at least 1).
    pub retry_after_secs: u64,
    /// Every bucket the request was checked against, the refusing one last.
    pub standings: Vec<Standing>,
}

/// A bucket's shape after dividing among instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Policy {
    quota: u32,
    window_secs: u64,
    burst: u32,
    /// One request's worth of refill.
    per_request: Duration,
}

impl Policy {
    fn new(rate: Rate, burst: u32, instances: u32) -> Policy {
        let instances = instances.max(1);
        let quota = (rate.count.get() / instances).max(1);
        let window = rate.period.duration();
        Policy {
            quota,
            window_secs: window.as_secs(),
            burst: (burst / instances).max(1),
            per_request: (window / quota).max(Duration::from_nanos(1)),
        }
    }

    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.per_request)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

/// The core's clock as governor's: time since the Unix epoch.
#[derive(Clone)]
struct CoreClock(Arc<dyn Clock>);

impl governor::clock::Clock for CoreClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now().unix_millis()).unwrap_or(0))
    }
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, CoreClock, StateInformationMiddleware>;

/// One policy's buckets, keyed.
struct Buckets<K: Clone + std::hash::Hash + Eq> {
    policy: Policy,
    limiter: Keyed<K>,
}

impl<K: Clone + std::hash::Hash + Eq> Buckets<K> {
    fn new(policy: Policy, clock: &CoreClock) -> Self {
        Buckets {
            policy,
            limiter: RateLimiter::<K, _, _, governor::middleware::NoOpMiddleware<Duration>>::new(
                policy.quota(),
                Default::default(),
                clock.clone(),
            )
            .with_middleware::<StateInformationMiddleware>(),
        }
    }

    fn check(&self, key: &K, scope: Scope, clock: &CoreClock) -> Result<Standing, Standing> {
        use governor::clock::Clock as _;
        let p = self.policy;
        match self.limiter.check_key(key) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                let missing = p.burst.saturating_sub(remaining);
                Ok(Standing {
                    scope,
                    quota: p.quota,
                    window_secs: p.window_secs,
                    remaining,
                    reset_secs: whole_seconds_up(p.per_request * missing),
                })
            }
            Err(not_until) => Err(Standing {
                scope,
                quota: p.quota,
                window_secs: p.window_secs,
                remaining: 0,
                reset_secs: wait(&not_until, clock.now()),
            }),
        }
    }
}

/// Seconds until `not_until` passes, rounded up, at least 1.
fn wait(not_until: &NotUntil<Duration>, now: Duration) -> u64 {
    whole_seconds_up(not_until.wait_time_from(now)).max(1)
}

fn whole_seconds_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Every bucket of one `serve` process.
pub struct RateLimits {
    clock: CoreClock,
    settings: LimitsConfig,
    /// Key buckets, one keyed limiter per distinct policy (the default and each override).
    keys: Mutex<HashMap<Policy, Arc<Buckets<ApiKeyId>>>>,
    tenants: Option<Buckets<TenantId>>,
    inbound: Option<Buckets<(TenantId, GatewayId)>>,
}

impl RateLimits {
    pub fn new(settings: &LimitsConfig, clock: Arc<dyn Clock>) -> Self {
        let clock = CoreClock(clock);
        let n = settings.instances;
        let policy = |limit: RateLimit, burst| limit.rate().map(|r| Policy::new(r, burst, n));
        RateLimits {
            tenants: policy(settings.tenant, settings.tenant_burst)
                .map(|p| Buckets::new(p, &clock)),
            inbound: policy(settings.inbound, settings.inbound_burst)
                .map(|p| Buckets::new(p, &clock)),
            keys: Mutex::new(HashMap::new()),
            settings: settings.clone(),
            clock,
        }
    }

    /// Counts one merchant API request of `key`: its key's bucket, then its tenant's. `Ok`
    /// with where it stands in each limited bucket, or why it was refused.
    pub fn check_api(&self, key: &ApiKey) -> Result<Vec<Standing>, Refused> {
        let mut standings = Vec::with_capacity(2);
        if let Some(buckets) = self.key_buckets(key) {
            let standing = buckets.check(&key.id, Scope::Key, &self.clock);
            push(&mut standings, standing)?;
        }
        if let Some(buckets) = &self.tenants {
            let standing = buckets.check(&key.tenant, Scope::Tenant, &self.clock);
            push(&mut standings, standing)?;
        }
        Ok(standings)
    }

    /// Counts one webhook from `gateway` to `tenant`.
    pub fn check_inbound(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
    ) -> Result<Vec<Standing>, Refused> {
        let mut standings = Vec::with_capacity(1);
        if let Some(buckets) = &self.inbound {
            let standing = buckets.check(&(tenant.clone(), gateway), Scope::Inbound, &self.clock);
            push(&mut standings, standing)?;
        }
        Ok(standings)
    }

    /// The buckets `key` is counted in; `None` when its limit is off.
    fn key_buckets(&self, key: &ApiKey) -> Option<Arc<Buckets<ApiKeyId>>> {
        let s = &self.settings;
        let policy = match key.rate_limit {
            Some(limit) => {
                let rate = limit.rate()?;
                Policy::new(rate, rate.count.get(), s.instances)
            }
            None => Policy::new(s.key.rate()?, s.key_burst, s.instances),
        };
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            keys.entry(policy)
                .or_insert_with(|| Arc::new(Buckets::new(policy, &self.clock)))
                .clone(),
        )
    }
}

fn push(
    standings: &mut Vec<Standing>,
    standing: Result<Standing, Standing>,
) -> Result<(), Refused> {
    match standing {
        Ok(s) => {
            standings.push(s);
            Ok(())
        }
        Err(s) => {
            standings.push(s);
            Err(Refused {
                scope: s.scope,
                retry_after_secs: s.reset_secs,
                standings: std::mem::take(standings),
            })
        }
    }
}

#[cfg(test)]
mod tests;
