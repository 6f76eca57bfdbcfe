//! The background half of [`Breakers`]: adopt other instances' transitions, persist this
//! instance's with conditional writes, claim half-open probe permits, flush outcome counters.
//!
//! Planning happens under the in-memory lock and never awaits; store calls happen outside it.

use std::collections::HashMap;
use std::time::Duration;

use super::shared::{self, Aggregate, LastError, ProbeClaim, SharedBreaker, state_key};
use super::{Breakers, Entry, Pending};
use crate::breaker::{BreakerState, Mode};
use crate::clock::Timestamp;
use crate::model::{GatewayId, TenantId};
use crate::store::{Expect, StateDoc, StoreError, Versioned};

/// Unflushed buckets older than this are dropped (the store was down too long to matter).
const MAX_UNFLUSHED_AGE: Duration = Duration::from_secs(3600);
/// Conditional-write attempts per breaker per sync before leaving it to the next sync.
pub(super) const ATTEMPTS: usize = 4;

/// One unflushed bucket of one gateway: (gateway, bucket start ms, aggregate).
type Batch = (GatewayId, i64, Aggregate);

/// What one breaker's sync must write, decided under the lock.
enum Plan {
    Nothing,
    /// Persist this instance's transition.
    Transition(SharedBreaker, Expect),
    /// Claim `granted` probe permits and report probe results up to `reported`.
    Probes {
        next: SharedBreaker,
        version: u64,
        granted: u32,
        reported: (u32, u32),
    },
}

/// Takes a shared document's state: a new epoch replaces whatever this instance thought.
pub(super) fn adopt(entry: &mut Entry, doc: &SharedBreaker, now: Timestamp) {
    if let Some(change) = entry.machine.adopt(doc.mode.clone(), doc.since, now) {
        tracing::info!(from = %change.from, to = %change.to, by = %doc.changed_by, "breaker state adopted");
    }
    entry.epoch = doc.epoch;
    entry.pending = None;
}

fn plan(
    entry: &mut Entry,
    doc: Option<&Versioned<SharedBreaker>>,
    instance: &str,
    now: Timestamp,
) -> Plan {
    entry.machine.tick(now);
    entry.shared = doc.cloned();
    let doc_epoch = doc.map_or(0, |d| d.value.epoch);
    if doc_epoch != entry.epoch {
        if entry.pending.take().is_some() {
            tracing::debug!("another instance changed the breaker first; adopting its state");
        }
        if let Some(d) = doc {
            adopt(entry, &d.value, now);
        }
    }
    let expect = doc.map_or(Expect::Absent, |d| Expect::Version(d.version));
    if let Some(p) = &entry.pending {
        return Plan::Transition(
            SharedBreaker {
                epoch: doc_epoch + 1,
                mode: p.mode.clone(),
                since: p.since,
                changed_by: instance.to_string(),
                last_error: entry
                    .last_error
                    .clone()
                    .or_else(|| doc.and_then(|d| d.value.last_error.clone())),
                probes: Default::default(),
            },
            expect,
        );
    }
    let Some(doc) = doc else { return Plan::Nothing };
    if entry.machine.state() != BreakerState::HalfOpen {
        return Plan::Nothing;
    }
    let round = entry.machine.since();
    if entry.round != Some(round) {
        entry.round = Some(round);
        entry.reported = (0, 0);
    }
    let lease = entry.machine.config().wait_in_open.0;
    let mut ledger = doc.value.probes.for_round(round, now, lease);
    let others = (
        ledger.succeeded.saturating_sub(entry.reported.0),
        ledger.slow.saturating_sub(entry.reported.1),
    );
    if entry
        .machine
        .credit_probes(others.0, others.1, now)
        .is_some()
    {
        // Other instances' probes completed the budget: this instance writes the transition.
        entry.pending = Some(Pending {
            base_epoch: entry.epoch,
            mode: entry.machine.mode().clone(),
            since: entry.machine.since(),
        });
        return plan(entry, Some(doc), instance, now);
    }
    let permitted = entry.machine.config().permitted_calls_in_half_open;
    let free = permitted.saturating_sub(u32::try_from(ledger.claims.len()).unwrap_or(u32::MAX));
    let granted = entry.machine.probe_demand().min(free);
    let (_, _, succeeded, slow) = entry.machine.probe_counts();
    if granted == 0 && (succeeded, slow) == entry.reported {
        return Plan::Nothing;
    }
    ledger.claims.extend((0..granted).map(|_| ProbeClaim {
        instance: instance.to_string(),
        at: now,
    }));
    ledger.succeeded += succeeded.saturating_sub(entry.reported.0);
    ledger.slow += slow.saturating_sub(entry.reported.1);
    Plan::Probes {
        next: SharedBreaker {
            probes: ledger,
            ..doc.value.clone()
        },
        version: doc.version,
        granted,
        reported: (succeeded, slow),
    }
}

impl Breakers {
    /// One sync of every breaker this process knows (and of every watched tenant's shared
    /// documents), then a flush of the outcome counters. Errors leave the breakers deciding
    /// from their last known state; the first is returned (and logged once per episode).
    pub async fn sync_now(&self) -> Result<(), StoreError> {
        let tenants: Vec<TenantId> = self.lock().keys().cloned().collect();
        let mut first_error = None;
        for tenant in tenants {
            if let Err(e) = self.sync_tenant(&tenant).await {
                first_error.get_or_insert(e);
            }
            if let Err(e) = self.flush(&tenant).await {
                first_error.get_or_insert(e);
            }
            if let Err(e) = self.share_errors(&tenant).await {
                first_error.get_or_insert(e);
            }
        }
        match first_error {
            Some(e) => {
                self.degrade(&e);
                Err(e)
            }
            None => {
                if self
                    .degraded
                    .swap(false, std::sync::atomic::Ordering::Relaxed)
                {
                    tracing::info!("breaker store answers again: breakers are shared again");
                }
                Ok(())
            }
        }
    }

    async fn sync_tenant(&self, tenant: &TenantId) -> Result<(), StoreError> {
        let mut docs: HashMap<GatewayId, Versioned<SharedBreaker>> = HashMap::new();
        let mut first_error = None;
        for (name, raw) in self.state.list_state(tenant, shared::KIND).await? {
            let Ok(StateDoc::Breaker(gateway)) = StateDoc::parse(shared::KIND, &name) else {
                continue;
            };
            match SharedBreaker::decode(&state_key(tenant, gateway), raw) {
                Ok(doc) => {
                    docs.insert(gateway, doc);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let mut gateways: Vec<GatewayId> = docs.keys().copied().collect();
        if let Some(known) = self.lock().get(tenant) {
            gateways.extend(known.keys().copied());
        }
        gateways.sort_unstable();
        gateways.dedup();
        for gateway in gateways {
            if let Err(e) = self.sync_one(tenant, gateway, docs.remove(&gateway)).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn sync_one(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        mut doc: Option<Versioned<SharedBreaker>>,
    ) -> Result<(), StoreError> {
        let key = state_key(tenant, gateway);
        for _ in 0..ATTEMPTS {
            let now = self.clock.now();
            let plan = {
                let mut table = self.lock();
                let entry = self.entry(&mut table, tenant, gateway);
                plan(entry, doc.as_ref(), &self.instance, now)
            };
            let (next, expect) = match &plan {
                Plan::Nothing => return Ok(()),
                Plan::Transition(next, expect) => (next, *expect),
                Plan::Probes { next, version, .. } => (next, Expect::Version(*version)),
            };
            match self.state.put_state(&key, &next.encode(), expect).await {
                Ok(version) => {
                    let mut table = self.lock();
                    let entry = self.entry(&mut table, tenant, gateway);
                    match plan {
                        Plan::Transition(next, _) => written_transition(entry, &next, &mut doc),
                        Plan::Probes {
                            next,
                            granted,
                            reported,
                            ..
                        } => {
                            entry.machine.grant_probes(granted);
                            entry.machine.take_probe_demand();
                            entry.reported = reported;
                            doc = Some(Versioned {
                                value: next,
                                version,
                            });
                        }
                        Plan::Nothing => {}
                    }
                    if let Some(d) = doc.as_mut() {
                        d.version = version;
                    }
                    entry.shared = doc.clone();
                    // Anything left (a rebased pending transition) goes out next sync.
                    return Ok(());
                }
                Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. }) => {
                    doc = match self.state.get_state(&key).await? {
                        Some(raw) => Some(SharedBreaker::decode(&key, raw)?),
                        None => None,
                    };
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes the unflushed outcome aggregates of `tenant`'s breakers to the counter buckets.
    async fn flush(&self, tenant: &TenantId) -> Result<(), StoreError> {
        let now = self.clock.now();
        let oldest = now.minus(MAX_UNFLUSHED_AGE).unix_millis();
        let mut batches: Vec<Batch> = Vec::new();
        if let Some(gateways) = self.lock().get_mut(tenant) {
            for (gateway, entry) in gateways.iter_mut() {
                let taken = std::mem::take(&mut entry.unflushed);
                batches.extend(
                    taken
                        .into_iter()
                        .filter(|(bucket, _)| *bucket >= oldest)
                        .map(|(bucket, agg)| (*gateway, bucket, agg)),
                );
            }
        }
        let mut failed: Option<(StoreError, Vec<Batch>)> = None;
        let mut rest = batches.into_iter();
        for (gateway, bucket, agg) in rest.by_ref() {
            let at = Timestamp::from_unix_millis(bucket);
            if let Err(e) = shared::flush(self.counters.as_ref(), tenant, gateway, at, &agg).await {
                failed = Some((e, vec![(gateway, bucket, agg)]));
                break;
            }
        }
        let Some((error, mut unsent)) = failed else {
            return Ok(());
        };
        unsent.extend(rest);
        if let Some(gateways) = self.lock().get_mut(tenant) {
            for (gateway, bucket, agg) in unsent {
                if let Some(entry) = gateways.get_mut(&gateway) {
                    entry.unflushed.entry(bucket).or_default().merge(&agg);
                }
            }
        }
        Err(error)
    }
}

impl Breakers {
    /// Writes each gateway's newest failure this instance saw to the `gateway_error` document
    /// when it is newer than what is there (at most every [`shared::ERROR_SHARE_EVERY`]), so
    /// `breaker status` and the dashboard show the last error of every instance, also of
    /// failures that changed no state. A lost race leaves it to the next sync.
    async fn share_errors(&self, tenant: &TenantId) -> Result<(), StoreError> {
        let due: Vec<(GatewayId, LastError)> = match self.lock().get(tenant) {
            Some(gateways) => gateways
                .iter()
                .filter_map(|(gateway, entry)| {
                    let error = entry.last_error.clone()?;
                    let due = entry
                        .error_shared
                        .is_none_or(|at| error.at >= at.plus(shared::ERROR_SHARE_EVERY));
                    due.then_some((*gateway, error))
                })
                .collect(),
            None => return Ok(()),
        };
        for (gateway, error) in due {
            let key = shared::error_key(tenant, gateway);
            let current = self.state.get_state(&key).await?;
            // An unreadable document is replaced: it only ever holds text for people.
            let newer = current.as_ref().is_none_or(|c| {
                !matches!(serde_json::from_value::<LastError>(c.value.clone()),
                    Ok(shared) if shared.at >= error.at)
            });
            if newer {
                let expect = current.map_or(Expect::Absent, |c| Expect::Version(c.version));
                let value = serde_json::to_value(&error)
                    .map_err(|e| StoreError::Backend(format!("cannot encode an error: {e}")))?;
                match self.state.put_state(&key, &value, expect).await {
                    Ok(_) => {}
                    Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(e),
                }
            }
            if let Some(entry) = self
                .lock()
                .get_mut(tenant)
                .and_then(|g| g.get_mut(&gateway))
            {
                entry.error_shared = Some(error.at);
            }
        }
        Ok(())
    }
}

/// This instance's transition is now the shared state.
fn written_transition(
    entry: &mut Entry,
    next: &SharedBreaker,
    doc: &mut Option<Versioned<SharedBreaker>>,
) {
    entry.epoch = next.epoch;
    // A transition made while the write was in flight stays pending, on the new epoch.
    entry.pending = entry
        .pending
        .take()
        .filter(|p| p.mode != next.mode || p.since != next.since)
        .map(|p| Pending {
            base_epoch: next.epoch,
            ..p
        });
    if next.mode == Mode::Closed {
        entry.round = None;
    }
    *doc = Some(Versioned {
        value: next.clone(),
        version: 0,
    });
}
