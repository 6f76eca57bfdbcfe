//! The fleet layer: two `Breakers` instances (two `serve` processes) sharing one SQLite store,
//! driven by a `ManualClock` and explicit `sync_now()` calls (nothing sleeps).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use payorch::breaker::{Admission, BreakerSettings, BreakerState, Rejection};
use payorch::clock::{Clock, ManualClock, Timestamp};
use payorch::fleet::{Breakers, LastError, OperatorCommand};
use payorch::id::AuditId;
use payorch::model::{AttemptOutcome, GatewayId, TenantId};
use payorch::store::sqlite::SqliteStore;
use payorch::store::{
    AuditEntry, AuditLog, CounterKey, CounterStore, Expect, Page, StateKey, StateKind, StateStore,
    Store, StoreError, StoreResult, Versioned,
};
use payorch::tenancy::Actor;

const STRIPE: GatewayId = GatewayId::Stripe;

fn settings() -> BreakerSettings {
    toml::from_str(
        "window_size = 10\nminimum_calls = 4\nwait_in_open = \"30s\"\npermitted_calls_in_half_open = 3\n",
    )
    .expect("settings")
}

fn acme() -> TenantId {
    TenantId::parse("acme").expect("tenant")
}

/// A store whose state, counter and audit calls can be made to fail, like a network partition.
struct Flaky {
    inner: Arc<dyn Store>,
    down: AtomicBool,
}

impl Flaky {
    fn check(&self) -> StoreResult<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("partitioned by the test".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl StateStore for Flaky {
    async fn get_state(&self, key: &StateKey) -> StoreResult<Option<Versioned<serde_json::Value>>> {
        self.check()?;
        self.inner.get_state(key).await
    }
    async fn put_state(
        &self,
        key: &StateKey,
        value: &serde_json::Value,
        expect: Expect,
    ) -> StoreResult<u64> {
        self.check()?;
        self.inner.put_state(key, value, expect).await
    }
    async fn list_state(
        &self,
        tenant: &TenantId,
        kind: StateKind,
    ) -> StoreResult<Vec<(String, Versioned<serde_json::Value>)>> {
        self.check()?;
        self.inner.list_state(tenant, kind).await
    }
    async fn delete_state(&self, key: &StateKey, expected: u64) -> StoreResult<()> {
        self.check()?;
        self.inner.delete_state(key, expected).await
    }
}

#[async_trait]
impl CounterStore for Flaky {
    async fn add_counters(
        &self,
        key: &CounterKey,
        deltas: &BTreeMap<String, i64>,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner.add_counters(key, deltas, expires_at).await
    }
    async fn read_counters(
        &self,
        tenant: &TenantId,
        series: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<(Timestamp, BTreeMap<String, i64>)>> {
        self.check()?;
        self.inner.read_counters(tenant, series, from, to).await
    }
}

#[async_trait]
impl AuditLog for Flaky {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.check()?;
        self.inner.append_audit(entry).await
    }
    async fn list_audit(
        &self,
        tenant: Option<&TenantId>,
        starting_after: Option<&AuditId>,
        limit: u32,
    ) -> StoreResult<Page<AuditEntry>> {
        self.check()?;
        self.inner.list_audit(tenant, starting_after, limit).await
    }
}

struct Fleet {
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    /// What keeps the store alive: its temp dir, or its table's settings.
    _guard: Box<dyn std::any::Any + Send>,
}

impl Fleet {
    /// Instances sharing one SQLite file.
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SqliteStore::open(&dir.path().join("payorch.db")).expect("store"));
        Fleet::with_store(store, Box::new(dir))
    }

    /// Instances sharing one DynamoDB table (the emulator).
    async fn on_dynamodb() -> Self {
        let (store, settings) = crate::common::aws::fresh_store().await;
        Fleet::with_store(Arc::new(store), Box::new(settings))
    }

    fn with_store(store: Arc<dyn Store>, guard: Box<dyn std::any::Any + Send>) -> Self {
        Fleet {
            store,
            clock: Arc::new(ManualClock::new(Timestamp::from_unix_millis(
                1_800_000_000_000,
            ))),
            _guard: guard,
        }
    }

    fn instance(&self) -> Breakers {
        let store: Arc<dyn Store> = self.store.clone();
        let clock: Arc<dyn Clock> = self.clock.clone();
        Breakers::new(store, clock, settings())
    }

    fn flaky_instance(&self) -> (Breakers, Arc<Flaky>) {
        let flaky = Arc::new(Flaky {
            inner: self.store.clone(),
            down: AtomicBool::new(false),
        });
        let clock: Arc<dyn Clock> = self.clock.clone();
        let b = Breakers::with_parts(
            flaky.clone(),
            flaky.clone(),
            flaky.clone(),
            clock,
            settings(),
        );
        (b, flaky)
    }

    async fn doc(&self, gateway: GatewayId) -> Versioned<serde_json::Value> {
        let key = StateKey {
            tenant: acme(),
            kind: StateKind::Breaker,
            name: gateway.as_str().into(),
        };
        self.store
            .get_state(&key)
            .await
            .expect("read")
            .expect("a shared document")
    }
}

async fn trip(b: &Breakers) {
    for _ in 0..4 {
        assert!(b.admit(&acme(), STRIPE).await.is_allowed());
        b.record(
            &acme(),
            STRIPE,
            AttemptOutcome::UnavailableNotSent,
            Duration::from_millis(3),
            Some("connection refused"),
        );
    }
    assert!(
        !b.admit(&acme(), STRIPE).await.is_allowed(),
        "tripped locally"
    );
}

/// Two instances whose stripe breaker a tripped (b adopted it), at the end of the wait in open.
async fn half_open_fleet() -> (Fleet, Breakers, Breakers) {
    half_open(Fleet::new()).await
}

/// [`half_open_fleet`] on `fleet`'s store.
async fn half_open(fleet: Fleet) -> (Fleet, Breakers, Breakers) {
    let (a, b) = (fleet.instance(), fleet.instance());
    trip(&a).await;
    a.sync_now().await.expect("a");
    b.watch(&acme());
    b.sync_now().await.expect("b");
    fleet.clock.advance(Duration::from_secs(30));
    (fleet, a, b)
}

/// How many of `calls` calls through `i` are admitted as probes.
async fn probes(i: &Breakers, calls: usize) -> usize {
    let mut admitted = 0;
    for _ in 0..calls {
        if i.admit(&acme(), STRIPE).await == Admission::Probe {
            admitted += 1;
        }
    }
    admitted
}

fn state(b: &Breakers) -> BreakerState {
    b.local_status()
        .into_iter()
        .find(|s| s.gateway == STRIPE)
        .map(|s| s.state)
        .expect("a stripe breaker")
}

#[tokio::test]
async fn a_trip_by_one_instance_is_adopted_by_the_other_after_a_sync() {
    a_trip_by_one_instance_is_adopted_by_the_other_after_a_sync_on(Fleet::new()).await;
}

async fn a_trip_by_one_instance_is_adopted_by_the_other_after_a_sync_on(fleet: Fleet) {
    let (a, b) = (fleet.instance(), fleet.instance());
    b.watch(&acme());
    trip(&a).await;
    assert!(
        b.admit(&acme(), STRIPE).await.is_allowed(),
        "b has not synced yet"
    );
    a.sync_now().await.expect("a syncs");
    b.sync_now().await.expect("b syncs");
    assert_eq!(
        b.admit(&acme(), STRIPE).await,
        Admission::Rejected {
            reason: Rejection::Open,
            retry_at: Some(fleet.clock.now().plus(Duration::from_secs(30)))
        }
    );
    let doc = fleet.doc(STRIPE).await;
    assert_eq!(doc.value["state"], "open");
    assert_eq!(doc.value["changed_by"], a.instance_id());
    assert_eq!(doc.value["last_error"]["message"], "connection refused");

    // The fleet view reads the shared state and the flushed counters.
    let status = b.fleet_status(&acme()).await.expect("status");
    let stripe = status.iter().find(|s| s.gateway == STRIPE).expect("stripe");
    assert_eq!(
        (stripe.state, stripe.calls, stripe.failures),
        (BreakerState::Open, 4, 4)
    );
    assert_eq!(stripe.failure_permille, 1000);
    let efi = status
        .iter()
        .find(|s| s.gateway == GatewayId::Efi)
        .expect("efi");
    assert_eq!(
        (efi.state, efi.calls, efi.since),
        (BreakerState::Closed, 0, None)
    );
}

/// Stripe's last error in `b`'s fleet view; its breaker must still be closed.
async fn last_error_seen_by(b: &Breakers) -> Option<LastError> {
    let status = b.fleet_status(&acme()).await.expect("status");
    let stripe = status.into_iter().find(|s| s.gateway == STRIPE).unwrap();
    assert_eq!(stripe.state, BreakerState::Closed);
    stripe.last_error
}

#[tokio::test]
async fn a_failure_that_changes_no_state_is_still_the_fleets_last_error() {
    let fleet = Fleet::new();
    let (a, b) = (fleet.instance(), fleet.instance());
    // One failure among successes: the breaker stays closed, no breaker document is written.
    for outcome in [
        AttemptOutcome::Success,
        AttemptOutcome::UnavailableAmbiguous,
    ] {
        assert!(a.admit(&acme(), STRIPE).await.is_allowed());
        a.record(
            &acme(),
            STRIPE,
            outcome,
            Duration::from_millis(40),
            Some("timeout after 3 s"),
        );
    }
    a.sync_now().await.expect("a");
    let failed_at = fleet.clock.now();
    let last = last_error_seen_by(&b)
        .await
        .expect("another instance sees a's last error");
    assert_eq!(
        (last.message.as_str(), last.at),
        ("timeout after 3 s", failed_at)
    );

    // A newer failure replaces it (once the sharing interval has passed), an older one never.
    fleet.clock.advance(Duration::from_secs(5));
    b.record(
        &acme(),
        STRIPE,
        AttemptOutcome::UnavailableNotSent,
        Duration::from_millis(2),
        Some("connection refused"),
    );
    b.sync_now().await.expect("b");
    a.sync_now()
        .await
        .expect("a again: its error is older and is not written back");
    let last = last_error_seen_by(&a).await.expect("the newest");
    assert_eq!(last.message, "connection refused");
}

#[tokio::test]
async fn when_two_instances_trip_at_once_exactly_one_write_wins() {
    when_two_instances_trip_at_once_exactly_one_write_wins_on(Fleet::new()).await;
}

async fn when_two_instances_trip_at_once_exactly_one_write_wins_on(fleet: Fleet) {
    let (a, b) = (fleet.instance(), fleet.instance());
    trip(&a).await;
    fleet.clock.advance(Duration::from_millis(7));
    trip(&b).await;
    let (ra, rb) = tokio::join!(a.sync_now(), b.sync_now());
    ra.expect("a");
    rb.expect("b");
    a.sync_now().await.expect("a again");
    b.sync_now().await.expect("b again");
    let doc = fleet.doc(STRIPE).await;
    assert_eq!(doc.version, 1, "one transition, one write: {doc:?}");
    assert_eq!(doc.value["epoch"], 1);
    let winner = doc.value["changed_by"].as_str().expect("changed_by");
    assert!(winner == a.instance_id() || winner == b.instance_id());
    // Both follow the winner's open period.
    let until = doc.value["until"].as_str().expect("until");
    for i in [&a, &b] {
        let s = i
            .local_status()
            .into_iter()
            .find(|s| s.gateway == STRIPE)
            .expect("stripe");
        assert_eq!(s.state, BreakerState::Open);
        assert_eq!(s.until.map(|t| t.to_rfc3339()).as_deref(), Some(until));
    }
}

#[tokio::test]
async fn half_open_probes_are_claimed_within_one_fleet_budget_then_close_it() {
    let (fleet, a, b) = half_open_fleet().await;
    // Calls claim permits as they come, syncs claim for calls refused meanwhile: either way
    // the fleet admits exactly the budget.
    let (pa, pb) = (probes(&a, 5).await, probes(&b, 5).await);
    a.sync_now().await.expect("a");
    b.sync_now().await.expect("b");
    let (pa2, pb2) = (probes(&a, 5).await, probes(&b, 5).await);
    assert_eq!(
        pa + pb + pa2 + pb2,
        3,
        "the fleet admits exactly the budget: {pa} {pb} {pa2} {pb2}"
    );
    let claims = fleet.doc(STRIPE).await.value["probes"]["claims"]
        .as_array()
        .map(Vec::len);
    assert_eq!(claims, Some(3));

    // Every probe succeeds, wherever it ran: after the syncs both instances are closed.
    for (i, n) in [(&a, pa + pa2), (&b, pb + pb2)] {
        for _ in 0..n {
            i.record(
                &acme(),
                STRIPE,
                AttemptOutcome::Success,
                Duration::from_millis(20),
                None,
            );
        }
    }
    for _ in 0..2 {
        a.sync_now().await.expect("a");
        b.sync_now().await.expect("b");
    }
    assert_eq!(
        (state(&a), state(&b)),
        (BreakerState::Closed, BreakerState::Closed)
    );
    let doc = fleet.doc(STRIPE).await;
    assert_eq!(
        (doc.value["state"].as_str(), doc.value["epoch"].as_u64()),
        (Some("closed"), Some(2))
    );
}

#[tokio::test]
async fn a_failed_probe_anywhere_reopens_it_for_the_fleet() {
    let (fleet, a, b) = half_open_fleet().await;
    assert_eq!(b.admit(&acme(), STRIPE).await, Admission::Probe);
    b.record(
        &acme(),
        STRIPE,
        AttemptOutcome::Auth,
        Duration::from_millis(5),
        Some("401"),
    );
    b.sync_now().await.expect("b reopens");
    a.sync_now().await.expect("a adopts");
    assert_eq!(state(&a), BreakerState::Open);
    let doc = fleet.doc(STRIPE).await;
    assert_eq!(doc.value["changed_by"], b.instance_id());
    assert_eq!(doc.value["last_error"]["message"], "401");
}

#[tokio::test]
async fn an_operator_force_open_is_obeyed_by_every_instance_after_a_sync() {
    let fleet = Fleet::new();
    let (a, b) = (fleet.instance(), fleet.instance());
    b.watch(&acme());
    let until = fleet.clock.now().plus(Duration::from_secs(600));
    let actor = Actor("cli:ops".into());
    a.command(
        &actor,
        &acme(),
        STRIPE,
        OperatorCommand::Open {
            until: Some(until),
            reason: Some("stripe incident".into()),
        },
    )
    .await
    .expect("force open");
    let rejected = Admission::Rejected {
        reason: Rejection::ForcedOpen,
        retry_at: Some(until),
    };
    assert_eq!(
        a.admit(&acme(), STRIPE).await,
        rejected,
        "at once where it was issued"
    );
    b.sync_now().await.expect("b");
    assert_eq!(b.admit(&acme(), STRIPE).await, rejected);
    // Failures meanwhile change nothing; the end of the forced period is half-open, where
    // the next call claims a probe permit.
    fleet.clock.advance(Duration::from_secs(600));
    assert_eq!(b.admit(&acme(), STRIPE).await, Admission::Probe);

    b.command(
        &actor,
        &acme(),
        STRIPE,
        OperatorCommand::Auto { reason: None },
    )
    .await
    .expect("auto");
    a.sync_now().await.expect("a");
    assert_eq!(a.admit(&acme(), STRIPE).await, Admission::Allowed);
    let audit = fleet
        .store
        .list_audit(Some(&acme()), None, 10)
        .await
        .expect("audit");
    let actions: Vec<(&str, Option<&str>)> = audit
        .items
        .iter()
        .map(|e| (e.action.as_str(), e.reason.as_deref()))
        .collect();
    assert_eq!(
        actions,
        [
            ("breaker.auto", None),
            ("breaker.open", Some("stripe incident"))
        ]
    );
}

#[tokio::test]
async fn a_broken_store_never_blocks_admissions_and_is_caught_up_later() {
    let fleet = Fleet::new();
    let (a, flaky) = fleet.flaky_instance();
    let b = fleet.instance();
    b.watch(&acme());
    flaky.down.store(true, Ordering::SeqCst);
    assert!(a.admit(&acme(), GatewayId::Efi).await.is_allowed());
    let err = a.sync_now().await.expect_err("the store is down");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(a.store_degraded());
    // It still decides, from what it knows: efi admits, stripe trips and rejects.
    trip(&a).await;
    a.sync_now().await.expect_err("still down");
    assert!(a.admit(&acme(), GatewayId::Efi).await.is_allowed());
    assert!(!a.admit(&acme(), STRIPE).await.is_allowed());

    // Back up: the transition and the counted calls reach the store; b adopts the state.
    flaky.down.store(false, Ordering::SeqCst);
    a.sync_now().await.expect("caught up");
    assert!(!a.store_degraded());
    b.sync_now().await.expect("b");
    assert!(!b.admit(&acme(), STRIPE).await.is_allowed());
    let status = b.fleet_status(&acme()).await.expect("status");
    let stripe = status.iter().find(|s| s.gateway == STRIPE).expect("stripe");
    assert_eq!((stripe.calls, stripe.failures), (4, 4));
}

#[tokio::test]
async fn declines_never_open_it() {
    let fleet = Fleet::new();
    let a = fleet.instance();
    for _ in 0..50 {
        assert!(a.admit(&acme(), STRIPE).await.is_allowed());
        a.record(
            &acme(),
            STRIPE,
            AttemptOutcome::Declined,
            Duration::from_millis(40),
            None,
        );
    }
    assert_eq!(state(&a), BreakerState::Closed);
    a.sync_now().await.expect("sync");
    let status = a.fleet_status(&acme()).await.expect("status");
    let stripe = status.iter().find(|s| s.gateway == STRIPE).expect("stripe");
    assert_eq!((stripe.calls, stripe.failures), (50, 0));
}

#[tokio::test]
async fn the_first_call_after_the_wait_in_open_is_a_probe_without_waiting_for_a_sync() {
    the_first_call_after_the_wait_in_open_is_a_probe_without_waiting_for_a_sync_on(Fleet::new())
        .await;
}

async fn the_first_call_after_the_wait_in_open_is_a_probe_without_waiting_for_a_sync_on(
    fleet: Fleet,
) {
    let (fleet, a, b) = half_open(fleet).await;
    // No sync since the wait ended: the call path claims a permit itself (issue 15).
    assert_eq!(a.admit(&acme(), STRIPE).await, Admission::Probe);
    let claims = fleet.doc(STRIPE).await.value["probes"]["claims"].clone();
    assert_eq!(
        claims.as_array().map(|c| c.len()),
        Some(1),
        "the claim is in the shared ledger at once: {claims}"
    );
    assert_eq!(claims[0]["instance"], a.instance_id());

    // The two instances, taking turns and never syncing, admit the budget (3) between them and
    // not one probe more; the refusals then say so truthfully.
    let mut admitted = 1;
    for _ in 0..4 {
        admitted += probes(&b, 1).await + probes(&a, 1).await;
    }
    assert_eq!(admitted, 3, "the fleet admits exactly the budget");
    assert_eq!(
        b.admit(&acme(), STRIPE).await,
        Admission::Rejected {
            reason: Rejection::ProbesTaken,
            retry_at: None
        }
    );
    let doc = fleet.doc(STRIPE).await;
    assert_eq!(
        doc.value["probes"]["claims"].as_array().map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn concurrent_first_calls_on_two_instances_never_exceed_the_probe_budget() {
    concurrent_first_calls_on_two_instances_never_exceed_the_probe_budget_on(Fleet::new()).await;
}

async fn concurrent_first_calls_on_two_instances_never_exceed_the_probe_budget_on(fleet: Fleet) {
    let (fleet, a, b) = half_open(fleet).await;
    let (a, b) = (Arc::new(a), Arc::new(b));
    let mut calls = Vec::new();
    for i in 0..16 {
        let instance = if i % 2 == 0 { a.clone() } else { b.clone() };
        calls.push(tokio::spawn(async move {
            instance.admit(&acme(), STRIPE).await
        }));
    }
    let mut admitted = 0;
    for call in calls {
        let admission = call.await.expect("the call");
        match admission {
            Admission::Probe => admitted += 1,
            Admission::Rejected {
                reason: Rejection::ProbesTaken,
                ..
            } => {}
            other => panic!("half-open admits probes or refuses them: {other:?}"),
        }
    }
    assert!(
        (1..=3).contains(&admitted),
        "some call is a probe at once, and at most the budget: {admitted}"
    );
    let claims = fleet.doc(STRIPE).await.value["probes"]["claims"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(claims, admitted, "every probe admitted holds a claim");
}

#[tokio::test]
async fn a_broken_store_in_half_open_refuses_the_call_instead_of_blocking_it() {
    let fleet = Fleet::new();
    let (a, flaky) = fleet.flaky_instance();
    trip(&a).await;
    a.sync_now().await.expect("a shares the trip");
    fleet.clock.advance(Duration::from_secs(30));
    flaky.down.store(true, Ordering::SeqCst);
    assert_eq!(
        a.admit(&acme(), STRIPE).await,
        Admission::Rejected {
            reason: Rejection::ProbesTaken,
            retry_at: None
        },
        "no claim, no probe: the fleet budget holds"
    );
    assert!(a.store_degraded(), "and says the store is down");
    // Back up: the sync claims a permit for the refused call, which the next call uses
    // without claiming another.
    flaky.down.store(false, Ordering::SeqCst);
    a.sync_now().await.expect("a claims");
    assert_eq!(a.admit(&acme(), STRIPE).await, Admission::Probe);
    let claims = fleet.doc(STRIPE).await.value["probes"]["claims"].clone();
    assert_eq!(claims.as_array().map(Vec::len), Some(1), "{claims}");
}

/// The same cases on DynamoDB: the shared documents and the probe claims are conditional
/// writes there too, and the fleet admits at most the budget.
mod on_dynamodb {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_trip_by_one_instance_is_adopted_by_the_other_after_a_sync() {
        super::a_trip_by_one_instance_is_adopted_by_the_other_after_a_sync_on(
            Fleet::on_dynamodb().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn when_two_instances_trip_at_once_exactly_one_write_wins() {
        super::when_two_instances_trip_at_once_exactly_one_write_wins_on(
            Fleet::on_dynamodb().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_call_after_the_wait_in_open_is_a_probe_without_waiting_for_a_sync() {
        super::the_first_call_after_the_wait_in_open_is_a_probe_without_waiting_for_a_sync_on(
            Fleet::on_dynamodb().await,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_first_calls_on_two_instances_never_exceed_the_probe_budget() {
        super::concurrent_first_calls_on_two_instances_never_exceed_the_probe_budget_on(
            Fleet::on_dynamodb().await,
        )
        .await;
    }
}
