//! The circuit breakers of one process, shared with every other instance through the store.
//!
//! The charge path calls [`Breakers::admit`] and [`Breakers::record`]: in memory, no store
//! round trip, but for one rare case: a half-open breaker with no probe permit in hand, where
//! the call claims one itself (one conditional write on the shared document, at most
//! [`PROBE_CLAIM_TIMEOUT`]; without it the first calls after open → half-open would be refused
//! as "every probe taken" until the next sync, although no probe ran). A background task
//! ([`Breakers::spawn_sync`], or [`Breakers::sync_now`] in tests) does the sharing, every
//! `breaker.sync_interval`:
//! - it reads each tenant's breaker documents and adopts transitions other instances (or
//!   operators) made;
//! - it persists this instance's own transitions with a conditional write on the epoch it saw,
//!   so when several instances trip at once exactly one write wins and the others adopt it;
//! - in half-open it claims probe permits for calls refused meanwhile (a claim on the call path
//!   that lost to the store) with a conditional write on the document, as the call path does,
//!   so the whole fleet admits at most `permitted_calls_in_half_open` probes, and reports probe
//!   results;
//! - it flushes aggregated outcomes to 10 s counter buckets (`gw:<gateway>`).
//!
//! When the store fails, every breaker keeps deciding from its last known state; the episode is
//! logged once and [`Breakers::store_degraded`] says so. Charges never wait on the breaker's
//! store beyond a half-open probe claim's [`PROBE_CLAIM_TIMEOUT`]; a claim that fails or times
//! out refuses the call as before (no permit, no probe: the budget holds).
//! Deciding is [`crate::breaker`]'s; the document format is [`shared`]'s.

pub mod shared;
mod sync;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::breaker::{
    Admission, Breaker, BreakerSettings, BreakerState, CallResult, Cause, Mode, ProbePermits,
    StateChange,
};
use crate::clock::{Clock, Timestamp};
use crate::id::AuditId;
use crate::model::{AttemptOutcome, GatewayId, TenantId};
use crate::store::{
    AuditAction, AuditEntry, AuditLog, CounterStore, Expect, StateKey, StateStore, Store,
    StoreError, Versioned,
};
use crate::tenancy::Actor;

pub use shared::{Aggregate, BreakerStatus, LastError, SharedBreaker};
use shared::{ProbeLedger, state_key};

/// Why an operator action on a breaker failed.
#[derive(Debug, thiserror::Error)]
pub enum BreakerError {
    #[error("cannot update the breaker state")]
    Store(#[from] StoreError),
    #[error(
        "the {gateway} breaker of tenant `{tenant}` kept changing while being updated; try again"
    )]
    Contended {
        tenant: TenantId,
        gateway: GatewayId,
    },
}

/// What an operator can make a breaker do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperatorCommand {
    /// `breaker open`: reject every call until `until` (then half-open) or until released.
    Open {
        until: Option<Timestamp>,
        reason: Option<String>,
    },
    /// `breaker close`: admit every call; outcomes no longer open it.
    Close { reason: Option<String> },
    /// `breaker auto`: back to automatic, closed with a fresh window.
    Auto { reason: Option<String> },
}

impl OperatorCommand {
    fn action(&self) -> AuditAction {
        match self {
            OperatorCommand::Open { .. } => AuditAction::BreakerOpen,
            OperatorCommand::Close { .. } => AuditAction::BreakerClose,
            OperatorCommand::Auto { .. } => AuditAction::BreakerAuto,
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            OperatorCommand::Open { reason, .. }
            | OperatorCommand::Close { reason }
            | OperatorCommand::Auto { reason } => reason.as_deref(),
        }
    }

    fn mode(&self) -> Mode {
        match self.clone() {
            OperatorCommand::Open { until, reason } => Mode::ForcedOpen { until, reason },
            OperatorCommand::Close { reason } => Mode::ForcedClosed { reason },
            OperatorCommand::Auto { .. } => Mode::Closed,
        }
    }
}

/// A transition this instance made that the store does not know yet.
#[derive(Clone, Debug)]
struct Pending {
    /// The shared epoch it was made from: it is written only if the document is still there.
    base_epoch: u64,
    mode: Mode,
    since: Timestamp,
}

/// One breaker of this process and what it knows of the shared document.
struct Entry {
    machine: Breaker,
    /// The shared epoch this machine follows (0: no document yet).
    epoch: u64,
    pending: Option<Pending>,
    /// The half-open period the probe counters below are for.
    round: Option<Timestamp>,
    /// Probe successes (and slow ones) of this instance already written to the ledger.
    reported: (u32, u32),
    /// Outcome aggregates not yet flushed, by bucket start (ms).
    unflushed: BTreeMap<i64, Aggregate>,
    last_error: Option<LastError>,
    /// When the last error this instance shared (the `gateway_error` document) happened.
    error_shared: Option<Timestamp>,
    /// The shared document as this instance last read or wrote it, with its version: what a
    /// probe claim on the call path writes over (usually still current: the move from open to
    /// half-open is made by time, not by a write).
    shared: Option<Versioned<SharedBreaker>>,
    /// A call is claiming a probe permit now; the others do not pile more writes on.
    claiming: bool,
}

type Table = HashMap<TenantId, HashMap<GatewayId, Entry>>;

/// The per-(tenant, gateway) breakers of one process. Cheap to share: wrap it in an `Arc`.
pub struct Breakers {
    state: Arc<dyn StateStore>,
    counters: Arc<dyn CounterStore>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    settings: BreakerSettings,
    instance: String,
    table: Mutex<Table>,
    degraded: AtomicBool,
}

impl Breakers {
    /// Breakers sharing state through `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: BreakerSettings) -> Self {
        let state: Arc<dyn StateStore> = store.clone();
        let counters: Arc<dyn CounterStore> = store.clone();
        let audit: Arc<dyn AuditLog> = store;
        Self::with_parts(state, counters, audit, clock, settings)
    }

    /// The same from separate store parts (tests wrap one to make it fail).
    pub fn with_parts(
        state: Arc<dyn StateStore>,
        counters: Arc<dyn CounterStore>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        settings: BreakerSettings,
    ) -> Self {
        Breakers {
            state,
            counters,
            audit,
            clock,
            settings,
            instance: format!("inst_{}", crate::id::new_ulid()),
            table: Mutex::new(HashMap::new()),
            degraded: AtomicBool::new(false),
        }
    }

    /// This process's id in shared documents and probe claims.
    pub fn instance_id(&self) -> &str {
        &self.instance
    }

    pub fn settings(&self) -> &BreakerSettings {
        &self.settings
    }

    /// The last sync could not reach the store: breakers decide from their last known state.
    pub fn store_degraded(&self) -> bool {
        self.degraded.load(Ordering::Relaxed)
    }

    /// The store failed (a sync, or a probe claim on the call path): breakers decide from
    /// their last known state, and no call tries a claim, until a sync succeeds. Logged once
    /// per episode.
    fn degrade(&self, error: &dyn std::fmt::Display) {
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %error, "breaker store unavailable: breakers decide from their last known state until it answers");
        }
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        // A panic while holding the lock leaves counters, never a broken invariant: go on.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn entry<'a>(
        &self,
        table: &'a mut Table,
        tenant: &TenantId,
        gateway: GatewayId,
    ) -> &'a mut Entry {
        if !table.contains_key(tenant) {
            table.insert(tenant.clone(), HashMap::new());
        }
        let now = self.clock.now();
        table
            .get_mut(tenant)
            .expect("inserted above")
            .entry(gateway)
            .or_insert_with(|| Entry {
                machine: Breaker::with_permits(
                    self.settings.for_gateway(gateway),
                    now,
                    ProbePermits::Granted,
                ),
                epoch: 0,
                pending: None,
                round: None,
                reported: (0, 0),
                unflushed: BTreeMap::new(),
                last_error: None,
                error_shared: None,
                shared: None,
                claiming: false,
            })
    }

    /// Syncs `tenant`'s breakers from the next sync on, even before its first call (serve
    /// watches every tenant at start so operator actions apply before any traffic).
    pub fn watch(&self, tenant: &TenantId) {
        self.lock().entry(tenant.clone()).or_default();
    }

    /// May the charge path call `gateway` for `tenant` now? In memory, but in one case: half-open
    /// with no probe permit in hand, the call claims one itself ([`Breakers::claim_probe`]: one
    /// conditional write on the shared document, within [`PROBE_CLAIM_TIMEOUT`]) rather than
    /// being refused until the next sync claims one. Whatever the store answers (or not), the
    /// decision is then made in memory: no permit, no probe. A failed claim marks the store
    /// degraded, and while it is no call tries one (the next sync that reaches the store
    /// claims for the calls refused meanwhile).
    pub async fn admit(&self, tenant: &TenantId, gateway: GatewayId) -> Admission {
        let claim = if self.store_degraded() {
            None
        } else {
            self.probe_claim_due(tenant, gateway)
        };
        if let Some(claim) = claim {
            let claiming = Claiming {
                breakers: self,
                tenant,
                gateway,
            };
            let claimed = tokio::time::timeout(PROBE_CLAIM_TIMEOUT, self.claim_probe(&claim)).await;
            match claimed {
                Ok(Ok(())) => {}
                Ok(Err(e)) => self.degrade(&e),
                Err(_) => self.degrade(&format_args!(
                    "no answer to a probe claim within {PROBE_CLAIM_TIMEOUT:?}"
                )),
            }
            drop(claiming);
        }
        self.admit_now(tenant, gateway)
    }

    /// The claim a call must make before it can be a probe: half-open, every permit this
    /// instance holds used, no transition of its own waiting to be written (the sync writes
    /// that first), and no other call claiming already. Marks the claim as under way.
    fn probe_claim_due(&self, tenant: &TenantId, gateway: GatewayId) -> Option<ProbeClaimDue> {
        let now = self.clock.now();
        let mut table = self.lock();
        let entry = self.entry(&mut table, tenant, gateway);
        entry.machine.tick(now);
        let (permits, admitted, _, _) = entry.machine.probe_counts();
        let due = entry.machine.state() == BreakerState::HalfOpen
            && admitted >= permits
            && entry.pending.is_none()
            && entry.epoch > 0
            && !entry.claiming;
        if !due {
            return None;
        }
        entry.claiming = true;
        Some(ProbeClaimDue {
            key: state_key(tenant, gateway),
            tenant: tenant.clone(),
            gateway,
            round: entry.machine.since(),
            epoch: entry.epoch,
            lease: entry.machine.config().wait_in_open.0,
            permitted: entry.machine.config().permitted_calls_in_half_open,
            cached: entry.shared.clone(),
        })
    }

    /// Claims one probe permit of `due`'s half-open period in the shared ledger (a conditional
    /// write on the version last seen; on a conflict, a fresh read and another try) and grants
    /// it here. Claims nothing when the fleet holds every permit already, or when the shared
    /// state moved on (another transition: the sync adopts it).
    async fn claim_probe(&self, due: &ProbeClaimDue) -> Result<(), StoreError> {
        let mut doc = due.cached.clone();
        for _ in 0..sync::ATTEMPTS {
            let current = match doc.take() {
                Some(d) => d,
                None => match self.state.get_state(&due.key).await? {
                    Some(raw) => SharedBreaker::decode(&due.key, raw)?,
                    None => return Ok(()),
                },
            };
            if current.value.epoch != due.epoch {
                return Ok(());
            }
            let now = self.clock.now();
            let mut ledger = current.value.probes.for_round(due.round, now, due.lease);
            if ledger.claims.len() >= usize::try_from(due.permitted).unwrap_or(usize::MAX) {
                self.remember(due, current);
                return Ok(());
            }
            ledger.claims.push(shared::ProbeClaim {
                instance: self.instance.clone(),
                at: now,
            });
            let next = SharedBreaker {
                probes: ledger,
                ..current.value.clone()
            };
            let expect = Expect::Version(current.version);
            match self.state.put_state(&due.key, &next.encode(), expect).await {
                Ok(version) => {
                    let mut table = self.lock();
                    let entry = self.entry(&mut table, &due.tenant, due.gateway);
                    entry.shared = Some(Versioned {
                        value: next,
                        version,
                    });
                    // The period may have ended meanwhile: the claim then lapses with its lease.
                    if entry.machine.state() == BreakerState::HalfOpen
                        && entry.machine.since() == due.round
                    {
                        entry.machine.grant_probes(1);
                    }
                    return Ok(());
                }
                Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Keeps `doc` as the shared document last seen.
    fn remember(&self, due: &ProbeClaimDue, doc: Versioned<SharedBreaker>) {
        let mut table = self.lock();
        self.entry(&mut table, &due.tenant, due.gateway).shared = Some(doc);
    }

    /// The in-memory decision of [`Breakers::admit`].
    fn admit_now(&self, tenant: &TenantId, gateway: GatewayId) -> Admission {
        let now = self.clock.now();
        let mut table = self.lock();
        let entry = self.entry(&mut table, tenant, gateway);
        let admission = entry.machine.admit(now);
        if !admission.is_allowed() {
            entry
                .unflushed
                .entry(shared::bucket_of(now).unix_millis())
                .or_default()
                .rejected += 1;
        }
        admission
    }

    /// Records a finished gateway call (rule 3 decides whether it is a failure; `error` is the
    /// failure's text for status). Do not record calls the breaker refused. In memory.
    pub fn record(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        outcome: AttemptOutcome,
        latency: Duration,
        error: Option<&str>,
    ) -> Option<StateChange> {
        let now = self.clock.now();
        let result = CallResult::from_outcome(outcome, latency);
        let mut table = self.lock();
        let entry = self.entry(&mut table, tenant, gateway);
        let slow = latency >= entry.machine.config().slow_call_duration.0;
        entry
            .unflushed
            .entry(shared::bucket_of(now).unix_millis())
            .or_default()
            .add_call(result.failure, slow, latency);
        if result.failure {
            entry.last_error = Some(LastError {
                message: error.unwrap_or(outcome.as_str()).to_string(),
                at: now,
            });
        }
        let change = entry.machine.record(result, now)?;
        if change.cause == Cause::Outcomes {
            let base_epoch = entry.pending.as_ref().map_or(entry.epoch, |p| p.base_epoch);
            entry.pending = Some(Pending {
                base_epoch,
                mode: entry.machine.mode().clone(),
                since: entry.machine.since(),
            });
            tracing::info!(%tenant, %gateway, from = %change.from, to = %change.to, "breaker state change");
        }
        Some(change)
    }

    /// This process's view: every breaker it knows, with its own window's rates.
    pub fn local_status(&self) -> Vec<BreakerStatus> {
        let now = self.clock.now();
        let mut table = self.lock();
        let mut out = Vec::new();
        for (tenant, gateways) in table.iter_mut() {
            for (gateway, entry) in gateways.iter_mut() {
                let snap = entry.machine.snapshot(now);
                let mut status =
                    BreakerStatus::from_shared(tenant, *gateway, entry.machine.config(), None, now);
                status.state = snap.mode.state();
                status.forced = status.state.is_forced();
                status.since = Some(snap.since);
                status.reason = snap.mode.reason().map(str::to_string);
                status.until = match snap.mode {
                    Mode::Open { until } => Some(until),
                    Mode::ForcedOpen { until, .. } => until,
                    _ => None,
                };
                status.last_error = entry.last_error.clone();
                out.push(status.with_counts(
                    snap.calls,
                    snap.failures,
                    snap.slow,
                    "this instance's window".into(),
                ));
            }
        }
        out.sort_by(|a, b| (&a.tenant, a.gateway).cmp(&(&b.tenant, b.gateway)));
        out
    }

    /// The fleet's view of `tenant`'s breakers (every gateway), from the store: shared state
    /// and the calls all instances flushed.
    pub async fn fleet_status(&self, tenant: &TenantId) -> Result<Vec<BreakerStatus>, StoreError> {
        let now = self.clock.now();
        let mut recent = BTreeMap::new();
        for gateway in GatewayId::ALL {
            let span = shared::status_span(&self.settings.for_gateway(gateway));
            let calls =
                shared::read_recent(self.counters.as_ref(), tenant, gateway, span, now).await?;
            recent.insert(gateway, calls);
        }
        self.fleet_status_from(tenant, &recent, now).await
    }

    /// [`Breakers::fleet_status`] with each gateway's calls over its status span
    /// ([`shared::status_span`]) already read by the caller (the dashboard reads an hour of
    /// counters once and derives the window from it). A gateway missing from `recent` had none.
    pub async fn fleet_status_from(
        &self,
        tenant: &TenantId,
        recent: &BTreeMap<GatewayId, Aggregate>,
        now: Timestamp,
    ) -> Result<Vec<BreakerStatus>, StoreError> {
        let docs = self.state.list_state(tenant, shared::KIND).await?;
        let errors = shared::read_errors(self.state.as_ref(), tenant).await?;
        let mut out = Vec::new();
        for gateway in GatewayId::ALL {
            let key = state_key(tenant, gateway);
            let doc = match docs.iter().find(|(name, _)| *name == key.name) {
                Some((_, v)) => Some(SharedBreaker::decode(&key, v.clone())?.value),
                None => None,
            };
            let config = self.settings.for_gateway(gateway);
            let span = shared::status_span(&config);
            let calls = recent.get(&gateway).copied().unwrap_or_default();
            let count = |v: i64| u64::try_from(v).unwrap_or(0);
            let mut status =
                BreakerStatus::from_shared(tenant, gateway, &config, doc.as_ref(), now);
            status.last_error = shared::newest(status.last_error, errors.get(&gateway).cloned());
            out.push(status.with_counts(
                count(calls.calls),
                count(calls.failures),
                count(calls.slow),
                format!("last {}", humantime::format_duration(span)),
            ));
        }
        Ok(out)
    }

    /// An operator action: writes the shared document at once (a conditional write, retried
    /// on conflict), applies it here, and appends an audit entry with the reason.
    pub async fn command(
        &self,
        actor: &Actor,
        tenant: &TenantId,
        gateway: GatewayId,
        command: OperatorCommand,
    ) -> Result<SharedBreaker, BreakerError> {
        let key = state_key(tenant, gateway);
        let mut previous = None;
        let mut written = None;
        for _ in 0..16 {
            let now = self.clock.now();
            let current = match self.state.get_state(&key).await? {
                Some(v) => Some(SharedBreaker::decode(&key, v)?),
                None => None,
            };
            let next = SharedBreaker {
                epoch: current.as_ref().map_or(0, |c| c.value.epoch) + 1,
                mode: command.mode(),
                since: now,
                changed_by: actor.0.clone(),
                last_error: current.as_ref().and_then(|c| c.value.last_error.clone()),
                probes: ProbeLedger::default(),
            };
            let expect = current
                .as_ref()
                .map_or(Expect::Absent, |c| Expect::Version(c.version));
            match self.state.put_state(&key, &next.encode(), expect).await {
                Ok(_) => {
                    previous = current.map(|c| c.value.mode.state());
                    written = Some(next);
                    break;
                }
                Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        let Some(doc) = written else {
            return Err(BreakerError::Contended {
                tenant: tenant.clone(),
                gateway,
            });
        };
        {
            let now = self.clock.now();
            let mut table = self.lock();
            let entry = self.entry(&mut table, tenant, gateway);
            sync::adopt(entry, &doc, now);
        }
        let until = match &doc.mode {
            Mode::ForcedOpen { until, .. } => *until,
            _ => None,
        };
        self.audit
            .append_audit(&AuditEntry {
                id: AuditId::generate(),
                tenant: tenant.clone(),
                at: doc.since,
                actor: actor.0.clone(),
                action: command.action(),
                target: gateway.as_str().into(),
                detail: serde_json::json!({
                    "from": previous.map_or("closed", |s| s.as_str()),
                    "to": doc.mode.state().as_str(),
                    "until": until,
                }),
                reason: command.reason().map(str::to_string),
            })
            .await?;
        tracing::info!(%tenant, %gateway, action = command.action().as_str(), actor = %actor.0, "breaker forced");
        Ok(doc)
    }

    /// Runs [`Breakers::sync_now`] every `breaker.sync_interval` until the returned handle (or
    /// every `Arc` of these breakers) is dropped.
    pub fn spawn_sync(self: &Arc<Self>) -> SyncTask {
        let weak: Weak<Self> = Arc::downgrade(self);
        let every = self.settings.sync_interval.0.0;
        let handle = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(breakers) = weak.upgrade() else {
                    break;
                };
                // Failures are logged once per episode and shown by store_degraded().
                let _ = breakers.sync_now().await;
            }
        });
        SyncTask(handle)
    }
}

/// How long a call waits for its half-open probe claim before it is refused as before (the
/// claim may still land; its permit then lapses with its lease). The store is not allowed to
/// hold a charge up for longer, and only one charge per breaker and instance waits that long
/// in an outage: the failed claim marks the store degraded, and the next calls do not try.
pub const PROBE_CLAIM_TIMEOUT: Duration = Duration::from_secs(2);

/// A probe claim a call is about to make, decided under the lock.
struct ProbeClaimDue {
    key: StateKey,
    tenant: TenantId,
    gateway: GatewayId,
    /// The half-open period (its start) the permit is for.
    round: Timestamp,
    /// The shared epoch this instance follows: the claim is written only on that document.
    epoch: u64,
    lease: Duration,
    permitted: u32,
    cached: Option<Versioned<SharedBreaker>>,
}

/// A call's probe claim under way; ends it (lets the next call claim) however the call ends,
/// also when the charge is dropped mid-claim.
struct Claiming<'a> {
    breakers: &'a Breakers,
    tenant: &'a TenantId,
    gateway: GatewayId,
}

impl Drop for Claiming<'_> {
    fn drop(&mut self) {
        let mut table = self.breakers.lock();
        self.breakers
            .entry(&mut table, self.tenant, self.gateway)
            .claiming = false;
    }
}

/// The background sync; stops when dropped.
pub struct SyncTask(tokio::task::JoinHandle<()>);

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}
