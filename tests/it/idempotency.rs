//! Idempotency-Key semantics (`payorch::idempotency`) on a real SQLite store, with time driven
//! by a `ManualClock`: replay, mismatch, in-progress, tenancy, concurrency, TTL, lease recovery.

use std::sync::Arc;
use std::time::Duration;

use payorch::clock::{Clock, ManualClock, Timestamp};
use payorch::id::ChargeId;
use payorch::idempotency::{
    Begin, IdempotencyError, IdempotencyKeys, IdempotencySettings, Lease, request_hash,
};
use payorch::model::TenantId;
use payorch::store::sqlite::SqliteStore;
use payorch::store::{IdempotencyRecord, IdempotencyState, IdempotencyStore, Versioned};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::Barrier;

const CREATE: &str = "POST /v1/charges";
const TTL: Duration = Duration::from_secs(24 * 3600);
const LEASE: Duration = Duration::from_secs(60);
const MS: Duration = Duration::from_millis(1);

struct World {
    store: Arc<SqliteStore>,
    clock: Arc<ManualClock>,
    _dir: TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("payorch.db")).expect("open store");
        World {
            store: Arc::new(store),
            clock: Arc::new(ManualClock::new(Timestamp::from_unix_millis(
                1_800_000_000_000,
            ))),
            _dir: dir,
        }
    }

    /// A world, its instance `a`, and the tenant `acme`: what most cases start from.
    fn with_instance_a() -> (World, Arc<IdempotencyKeys>, TenantId) {
        let w = World::new();
        let keys = w.instance("a");
        (w, keys, tenant("acme"))
    }

    /// The stored record of `key`, read straight from the store.
    async fn record(&self, t: &TenantId, key: &str) -> Option<Versioned<IdempotencyRecord>> {
        self.store.get_idempotency_key(t, key).await.expect("get")
    }

    /// One instance of the service (one `serve` process) named `owner`.
    fn instance(&self, owner: &str) -> Arc<IdempotencyKeys> {
        self.instance_with(owner, TTL, LEASE)
    }

    fn instance_with(&self, owner: &str, ttl: Duration, lease: Duration) -> Arc<IdempotencyKeys> {
        let store: Arc<dyn IdempotencyStore> = self.store.clone();
        let clock: Arc<dyn Clock> = self.clock.clone();
        Arc::new(IdempotencyKeys::new(
            store,
            clock,
            IdempotencySettings {
                ttl,
                lease,
                owner: owner.into(),
            },
        ))
    }
}

fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).expect("tenant id")
}

fn charge_body(amount: i64) -> Value {
    json!({"amount": amount, "currency": "BRL", "method": "pix",
           "customer": {"name": "Maria Silva", "document": "529.982.247-25"},
           "metadata": {"order_id": "1234"}})
}

fn hash(body: &Value) -> String {
    request_hash(CREATE, body)
}

/// A short name for an outcome, for assertions and counts.
fn kind(b: &Begin) -> &'static str {
    match b {
        Begin::Proceed(_) => "proceed",
        Begin::Replay { .. } | Begin::ReplayEvent { .. } => "replay",
        Begin::InProgress => "in_progress",
        Begin::Mismatch => "mismatch",
        Begin::Recover(..) => "recover",
    }
}

async fn begin(keys: &IdempotencyKeys, t: &TenantId, key: &str, body: &Value) -> Begin {
    keys.begin(t, key, CREATE, &hash(body))
        .await
        .expect("begin")
}

async fn proceed(keys: &IdempotencyKeys, t: &TenantId, key: &str, body: &Value) -> Lease {
    match begin(keys, t, key, body).await {
        Begin::Proceed(lease) => lease,
        other => panic!("expected Proceed, got {other:?}"),
    }
}

/// Asserts that `body` under `key` now replays exactly `status` and `response`.
async fn assert_replays(
    keys: &IdempotencyKeys,
    t: &TenantId,
    key: &str,
    body: &Value,
    status: u16,
    response: &str,
) {
    assert_replay(&begin(keys, t, key, body).await, status, response);
}

async fn complete(lease: &mut Lease, status: u16, response: &str) {
    lease
        .complete(status, response.into())
        .await
        .expect("complete");
}

fn assert_replay(b: &Begin, status: u16, body: &str) {
    match b {
        Begin::Replay {
            status_code,
            body: got,
        } => {
            assert_eq!((*status_code, got.as_str()), (status, body));
        }
        other => panic!("expected Replay({status}), got {other:?}"),
    }
}

#[tokio::test]
async fn first_use_proceeds_and_the_same_request_replays_the_exact_response() {
    let (_w, keys, acme) = World::with_instance_a();
    let body = charge_body(1990);
    let mut lease = proceed(&keys, &acme, "k1", &body).await;
    let response = r#"{"id":"ch_1","object":"charge","status":"pending","amount":1990}"#;
    complete(&mut lease, 201, response).await;

    assert_replays(&keys, &acme, "k1", &body, 201, response).await;
    // The same body with its keys in another order, written by another client library.
    let reordered: Value = serde_json::from_str(
        r#"{"metadata":{"order_id":"1234"},"method":"pix","currency":"BRL",
            "customer":{"document":"529.982.247-25","name":"Maria Silva"},"amount":1990}"#,
    )
    .expect("json");
    assert_replays(&keys, &acme, "k1", &reordered, 201, response).await;
    // A failure response is replayed as faithfully as a success.
    let mut lease = proceed(&keys, &acme, "k2", &body).await;
    complete(&mut lease, 402, r#"{"error":{"code":"card_declined"}}"#).await;
    assert_replays(
        &keys,
        &acme,
        "k2",
        &body,
        402,
        r#"{"error":{"code":"card_declined"}}"#,
    )
    .await;
}

#[tokio::test]
async fn another_body_or_operation_under_the_same_key_is_a_mismatch() {
    let (_w, keys, acme) = World::with_instance_a();
    let body = charge_body(1990);
    let mut lease = proceed(&keys, &acme, "k1", &body).await;

    // While the first request is in flight, a different request is a mismatch, not a 409.
    assert_eq!(
        kind(&begin(&keys, &acme, "k1", &charge_body(1991)).await),
        "mismatch"
    );
    complete(&mut lease, 201, "{}").await;

    assert_eq!(
        kind(&begin(&keys, &acme, "k1", &charge_body(1991)).await),
        "mismatch"
    );
    let refund = keys
        .begin(
            &acme,
            "k1",
            "POST /v1/charges/ch_1/refunds",
            &request_hash("POST /v1/charges/ch_1/refunds", &body),
        )
        .await
        .expect("begin");
    assert_eq!(kind(&refund), "mismatch");
    // A matching hash under another operation name is still another operation.
    let relabelled = keys
        .begin(&acme, "k1", "POST /v1/other", &hash(&body))
        .await
        .expect("begin");
    assert_eq!(kind(&relabelled), "mismatch");
    // Mismatches changed nothing: the original still replays.
    assert_replays(&keys, &acme, "k1", &body, 201, "{}").await;
}

#[tokio::test]
async fn a_key_in_flight_is_in_progress_until_its_lease_passes_and_so_is_a_recovered_one() {
    let w = World::new();
    let acme = tenant("acme");
    let body = charge_body(1990);
    let _dead = proceed(&w.instance("a"), &acme, "k1", &body).await;
    let b = w.instance("b");
    assert_eq!(kind(&begin(&b, &acme, "k1", &body).await), "in_progress");
    // First the original holder's lease, then the recoverer's own (which also goes quiet).
    for holder in ["original", "recoverer"] {
        w.clock.advance(LEASE - MS);
        let before = kind(&begin(&b, &acme, "k1", &body).await);
        assert_eq!(
            before, "in_progress",
            "{holder}: 1 ms before the lease passes"
        );
        w.clock.advance(MS);
        let after = kind(&begin(&b, &acme, "k1", &body).await);
        assert_eq!(after, "recover", "{holder}: when the lease passes");
    }
}

#[tokio::test]
async fn two_tenants_with_the_same_key_are_independent() {
    let w = World::new();
    let keys = w.instance("a");
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let mut a = proceed(&keys, &acme, "shared", &charge_body(100)).await;
    // Another tenant's key is free even while acme's is in flight, and with another body.
    let mut g = proceed(&keys, &globex, "shared", &charge_body(200)).await;
    complete(&mut a, 201, "acme").await;
    complete(&mut g, 201, "globex").await;
    assert_replays(&keys, &acme, "shared", &charge_body(100), 201, "acme").await;
    assert_replays(&keys, &globex, "shared", &charge_body(200), 201, "globex").await;
    assert_eq!(
        kind(&begin(&keys, &acme, "shared", &charge_body(200)).await),
        "mismatch"
    );
}

/// Runs `bodies.len()` concurrent `begin`s for one key, released together by a barrier, each
/// from its own instance (as a fleet would). Returns (body index, outcome) per task.
async fn concurrent_begins(w: &World, key: &str, bodies: Vec<Value>) -> Vec<(usize, Begin)> {
    let barrier = Arc::new(Barrier::new(bodies.len()));
    let mut tasks = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let keys = w.instance(&format!("instance-{i}"));
        let barrier = Arc::clone(&barrier);
        let key = key.to_string();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let outcome = keys
                .begin(&tenant("acme"), &key, CREATE, &hash(&body))
                .await
                .expect("begin");
            (i, outcome)
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("task"));
    }
    outcomes
}

fn count(outcomes: &[(usize, Begin)], which: &str) -> usize {
    outcomes.iter().filter(|(_, b)| kind(b) == which).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_hundred_concurrent_duplicates_let_exactly_one_through() {
    let w = World::new();
    let body = charge_body(1990);
    let outcomes = concurrent_begins(&w, "k1", vec![body.clone(); 100]).await;
    assert_eq!(count(&outcomes, "proceed"), 1, "{outcomes:?}");
    assert_eq!(count(&outcomes, "in_progress"), 99, "{outcomes:?}");

    let mut lease = outcomes
        .into_iter()
        .find_map(|(_, b)| match b {
            Begin::Proceed(lease) => Some(lease),
            _ => None,
        })
        .expect("one proceeds");
    complete(&mut lease, 201, r#"{"id":"ch_first"}"#).await;

    let later = concurrent_begins(&w, "k1", vec![body; 100]).await;
    for (_, b) in &later {
        assert_replay(b, 201, r#"{"id":"ch_first"}"#);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_duplicates_mixed_with_another_body_are_mismatches() {
    let w = World::new();
    // Every seventh request sends another amount under the same key.
    let bodies: Vec<Value> = (0..100)
        .map(|i| charge_body(if i % 7 == 3 { 5000 } else { 1990 }))
        .collect();
    let hashes: Vec<String> = bodies.iter().map(hash).collect();
    let outcomes = concurrent_begins(&w, "k1", bodies).await;
    assert_eq!(count(&outcomes, "proceed"), 1, "{outcomes:?}");
    let winner = outcomes
        .iter()
        .find(|(_, b)| kind(b) == "proceed")
        .map(|(i, _)| hashes[*i].clone())
        .expect("a winner");
    for (i, b) in &outcomes {
        let expected = match kind(b) {
            "proceed" => continue,
            _ if hashes[*i] == winner => "in_progress",
            _ => "mismatch",
        };
        assert_eq!(kind(b), expected, "request {i}");
    }
    let mismatches = hashes.iter().filter(|h| **h != winner).count();
    assert!(mismatches > 0);
    assert_eq!(count(&outcomes, "mismatch"), mismatches);
}

#[tokio::test]
async fn a_key_is_free_again_after_its_ttl_and_purge_removes_it() {
    let (w, keys, acme) = World::with_instance_a();
    let body = charge_body(1990);
    complete(&mut proceed(&keys, &acme, "old", &body).await, 201, "first").await;

    w.clock.advance(TTL - MS);
    assert_replays(&keys, &acme, "old", &body, 201, "first").await;
    // A key used later, still live when "old" expires.
    complete(&mut proceed(&keys, &acme, "young", &body).await, 201, "y").await;
    w.clock.advance(MS);

    assert_eq!(keys.purge_expired().await.expect("purge"), 1);
    assert!(w.record(&acme, "old").await.is_none());
    assert!(w.record(&acme, "young").await.is_some());
    // Free again: even another body may use it now.
    let mut again = proceed(&keys, &acme, "old", &charge_body(42)).await;
    complete(&mut again, 201, "second").await;
    assert_replays(&keys, &acme, "old", &charge_body(42), 201, "second").await;
}

#[tokio::test]
async fn an_expired_key_is_free_without_purge_even_if_it_was_left_in_flight() {
    let (w, keys, acme) = World::with_instance_a();
    let _abandoned = proceed(&keys, &acme, "k1", &charge_body(1)).await;
    w.clock.advance(TTL);
    assert_eq!(
        kind(&begin(&keys, &acme, "k1", &charge_body(2)).await),
        "proceed"
    );
}

#[tokio::test]
async fn a_response_is_kept_at_least_ttl_after_it_was_stored() {
    let w = World::new();
    let hour = Duration::from_secs(3600);
    let keys = w.instance_with("a", TTL, hour);
    let acme = tenant("acme");
    let body = charge_body(1990);
    let mut lease = proceed(&keys, &acme, "slow", &body).await;
    // A holder that kept its lease alive for 10 hours (nobody recovered it) then completed.
    for _ in 0..10 {
        w.clock.advance(hour - MS);
        lease.extend().await.expect("extend");
    }
    complete(&mut lease, 201, "late").await;
    w.clock.advance(TTL - MS);
    assert_replays(&keys, &acme, "slow", &body, 201, "late").await;
    w.clock.advance(MS);
    assert_eq!(kind(&begin(&keys, &acme, "slow", &body).await), "proceed");
}

#[tokio::test]
async fn an_in_flight_key_does_not_expire_before_its_lease() {
    let w = World::new();
    // A TTL shorter than the lease (tests only; config refuses < 24h).
    let keys = w.instance_with("a", Duration::from_secs(30), LEASE);
    let acme = tenant("acme");
    let _lease = proceed(&keys, &acme, "k1", &charge_body(1)).await;
    w.clock.advance(Duration::from_secs(45));
    assert_eq!(
        kind(&begin(&keys, &acme, "k1", &charge_body(1)).await),
        "in_progress"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_dead_holder_is_recovered_by_exactly_one_caller_with_its_charge_id() {
    let w = World::new();
    let dead = w.instance("dead-host:1:aa");
    let acme = tenant("acme");
    let body = charge_body(1990);
    let mut old = proceed(&dead, &acme, "k1", &body).await;
    let charge = ChargeId::generate();
    old.attach_charge(charge.clone()).await.expect("attach");
    assert_eq!(old.charge_id(), Some(&charge));

    w.clock.advance(LEASE);
    let outcomes = concurrent_begins(&w, "k1", vec![body.clone(); 20]).await;
    assert_eq!(count(&outcomes, "recover"), 1, "{outcomes:?}");
    assert_eq!(count(&outcomes, "in_progress"), 19, "{outcomes:?}");
    let (mut recovered, previous) = outcomes
        .into_iter()
        .find_map(|(_, b)| match b {
            Begin::Recover(lease, record) => Some((lease, record)),
            _ => None,
        })
        .expect("one recovers");
    assert_eq!(previous.charge_id.as_ref(), Some(&charge));
    match &previous.state {
        IdempotencyState::InFlight { owner, .. } => assert!(owner.starts_with("dead-host:1:aa#")),
        other => panic!("expected in flight, got {other:?}"),
    }
    assert_eq!(recovered.charge_id(), Some(&charge));

    // The old holder wakes up: every write fails as lost and changes nothing.
    let before = w.record(&acme, "k1").await;
    for err in [
        old.complete(201, "stale".into())
            .await
            .expect_err("complete"),
        old.extend().await.map(|_| ()).expect_err("extend"),
        old.attach_charge(ChargeId::generate())
            .await
            .expect_err("attach"),
        old.release().await.expect_err("release"),
    ] {
        assert!(matches!(err, IdempotencyError::LeaseLost { .. }), "{err}");
        assert!(err.to_string().contains("k1"), "{err}");
    }
    assert_eq!(w.record(&acme, "k1").await, before);

    // The recoverer (having looked the charge up) completes; that is what replays.
    complete(&mut recovered, 201, "found at gateway").await;
    let keys = w.instance("b");
    assert_replays(&keys, &acme, "k1", &body, 201, "found at gateway").await;
}

#[tokio::test]
async fn extend_and_attach_charge_renew_the_lease() {
    let (w, keys, acme) = World::with_instance_a();
    let body = charge_body(1990);
    let mut lease = proceed(&keys, &acme, "k1", &body).await;
    let start = w.clock.now();
    assert_eq!(lease.lease_until(), Some(start.plus(LEASE)));

    w.clock.advance(Duration::from_secs(50));
    let until = lease.extend().await.expect("extend");
    assert_eq!(until, w.clock.now().plus(LEASE));
    w.clock.advance(Duration::from_secs(50));
    assert_eq!(kind(&begin(&keys, &acme, "k1", &body).await), "in_progress");
    lease
        .attach_charge(ChargeId::generate())
        .await
        .expect("attach");
    w.clock.advance(Duration::from_secs(50));
    assert_eq!(kind(&begin(&keys, &acme, "k1", &body).await), "in_progress");

    complete(&mut lease, 201, "done").await;
    assert_eq!(lease.lease_until(), None);
    let stored = w
        .store
        .get_idempotency_key(&acme, "k1")
        .await
        .expect("get")
        .expect("record");
    assert_eq!(stored.value.charge_id.as_ref(), lease.charge_id());
    assert!(matches!(
        stored.value.state,
        IdempotencyState::Completed {
            status_code: 201,
            ..
        }
    ));
}

async fn owner_of(w: &World, t: &TenantId, key: &str) -> String {
    let record = w.record(t, key).await;
    match record.map(|r| r.value.state) {
        Some(IdempotencyState::InFlight { owner, .. }) => owner,
        other => panic!("expected an in-flight record, got {other:?}"),
    }
}

#[tokio::test]
async fn release_frees_the_key_and_a_finished_lease_refuses_more_writes() {
    let (w, keys, acme) = World::with_instance_a();
    let mut rejected = proceed(&keys, &acme, "k1", &charge_body(-5)).await;
    let first_owner = owner_of(&w, &acme, "k1").await;
    rejected.release().await.expect("release");
    assert!(w.record(&acme, "k1").await.is_none());
    // The client fixes the body and retries with the same key.
    let mut fixed = proceed(&keys, &acme, "k1", &charge_body(5)).await;
    // Each lease of one process names itself apart, so a spent lease never matches a new one.
    let second_owner = owner_of(&w, &acme, "k1").await;
    assert!(first_owner.starts_with("a#") && second_owner.starts_with("a#"));
    assert_ne!(first_owner, second_owner);

    let err = rejected.complete(201, "x".into()).await.expect_err("spent");
    assert!(
        matches!(
            err,
            IdempotencyError::LeaseFinished {
                how: "released",
                ..
            }
        ),
        "{err}"
    );

    complete(&mut fixed, 201, "ok").await;
    let err = fixed
        .complete(500, "again".into())
        .await
        .expect_err("twice");
    assert!(
        matches!(
            err,
            IdempotencyError::LeaseFinished {
                how: "completed",
                ..
            }
        ),
        "{err}"
    );
    let err = fixed.release().await.expect_err("release after complete");
    assert!(
        matches!(err, IdempotencyError::LeaseFinished { .. }),
        "{err}"
    );
    assert_replays(&keys, &acme, "k1", &charge_body(5), 201, "ok").await;
}

#[tokio::test]
async fn a_stale_holder_cannot_overwrite_a_fresh_claim_at_the_same_version() {
    let w = World::new();
    let acme = tenant("acme");
    let body = charge_body(1990);
    // A claims (version 1) and stalls past its lease; B recovers and releases (nothing had
    // happened); C claims afresh, and the record is at version 1 again.
    let mut a = proceed(&w.instance("a"), &acme, "k1", &body).await;
    w.clock.advance(LEASE);
    let Begin::Recover(mut b, _) = begin(&w.instance("b"), &acme, "k1", &body).await else {
        panic!("b should recover");
    };
    b.release().await.expect("release");
    let _c = proceed(&w.instance("c"), &acme, "k1", &body).await;
    let before = w.record(&acme, "k1").await;
    assert_eq!(before.as_ref().map(|r| r.version), Some(1));

    let err = a
        .complete(201, "stale".into())
        .await
        .expect_err("stale holder");
    assert!(matches!(err, IdempotencyError::LeaseLost { .. }), "{err}");
    assert_eq!(w.record(&acme, "k1").await, before);
}

#[tokio::test]
async fn begin_refuses_an_invalid_key_and_stores_nothing() {
    let (w, keys, acme) = World::with_instance_a();
    for bad in ["", "bad\u{7}key", &"k".repeat(256)] {
        let err = keys
            .begin(&acme, bad, CREATE, &hash(&charge_body(1)))
            .await
            .expect_err(bad);
        match err {
            IdempotencyError::InvalidKey(v) => assert_eq!(v.param, "Idempotency-Key"),
            other => panic!("expected InvalidKey, got {other}"),
        }
        assert!(w.record(&acme, bad).await.is_none());
    }
}
