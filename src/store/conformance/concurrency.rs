//! Conformance cases under contention: many tasks racing on one key, one version, one counter
//! or one queue. Each asserts the exact outcome (one winner, an exact sum, each message once,
//! each message group in order), never a timing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::task::JoinSet;

use super::{
    T0, at, grouped_message, idempotency_record, ok, queue_message, sample_charge, tenant,
};
use crate::id::MessageId;
use crate::store::{
    Claim, CounterKey, Expect, StateKey, StateKind, Store, StoreError, StoreResult,
};

/// How many tasks race in each case.
const RACERS: usize = 16;

/// Runs `RACERS` copies of `race(store, i)` at once and returns their results in task order.
async fn race<S, T, F, Fut>(store: &Arc<S>, race: F) -> Vec<StoreResult<T>>
where
    S: Store + 'static,
    T: Send + 'static,
    F: Fn(Arc<S>, usize) -> Fut,
    Fut: Future<Output = StoreResult<T>> + Send + 'static,
{
    let mut tasks = JoinSet::new();
    for i in 0..RACERS {
        let fut = race(Arc::clone(store), i);
        tasks.spawn(async move { (i, fut.await) });
    }
    let mut results: Vec<_> = tasks.join_all().await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Asserts exactly one `Ok` and that every other result is the expected error; returns the
/// winner's index and value.
#[track_caller]
fn one_winner<T: std::fmt::Debug>(
    results: Vec<StoreResult<T>>,
    loser: impl Fn(&StoreError) -> bool,
) -> (usize, T) {
    let mut winner = None;
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(v) => {
                assert!(winner.is_none(), "two winners: {winner:?} and #{i} {v:?}");
                winner = Some((i, v));
            }
            Err(e) => assert!(loser(&e), "racer #{i} failed the wrong way: {e}"),
        }
    }
    winner.expect("exactly one racer must win")
}

pub async fn concurrent_idempotency_claims_one_wins<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let results = race(&store, |store, i| {
        let record =
            idempotency_record(&acme, "same-key", &format!("owner-{i}"), T0, at(86_400_000));
        async move { store.claim_idempotency_key(&record, T0).await }
    })
    .await;
    let mut claimed = Vec::new();
    let mut existing = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match ok(r, "claim") {
            Claim::Claimed { version } => claimed.push((i, version)),
            Claim::Existing(rec) => existing.push(rec.value),
        }
    }
    assert_eq!(claimed.len(), 1, "exactly one claimer wins: {claimed:?}");
    let stored = ok(store.get_idempotency_key(&acme, "same-key").await, "get").expect("stored");
    assert_eq!(stored.version, claimed[0].1);
    let winner = idempotency_record(
        &acme,
        "same-key",
        &format!("owner-{}", claimed[0].0),
        T0,
        at(86_400_000),
    );
    assert_eq!(stored.value, winner, "the stored record is the winner's");
    assert_eq!(existing.len(), RACERS - 1);
    assert!(
        existing.iter().all(|r| *r == winner),
        "every loser sees the winner's record"
    );
}

pub async fn concurrent_put_state_one_wins<S: Store + 'static>(store: Arc<S>) {
    let key = StateKey {
        tenant: tenant("acme"),
        kind: StateKind::Breaker,
        name: "stripe".into(),
    };
    let results = race(&store, |store, i| {
        let key = key.clone();
        async move {
            store
                .put_state(&key, &json!({ "writer": i }), Expect::Absent)
                .await
        }
    })
    .await;
    let (_, v) = one_winner(results, |e| matches!(e, StoreError::AlreadyExists { .. }));
    assert_eq!(v, 1);

    let results = race(&store, |store, i| {
        let key = key.clone();
        async move {
            store
                .put_state(
                    &key,
                    &json!({ "writer": i, "round": 2 }),
                    Expect::Version(1),
                )
                .await
        }
    })
    .await;
    let (winner, v) = one_winner(results, |e| {
        matches!(e, StoreError::Conflict { expected: 1, .. })
    });
    assert_eq!(v, 2);
    let stored = ok(store.get_state(&key).await, "get").expect("stored");
    assert_eq!(
        (stored.value, stored.version),
        (json!({ "writer": winner, "round": 2 }), 2)
    );
}

pub async fn concurrent_charge_updates_one_wins<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let charge = sample_charge(&acme, T0);
    ok(store.create_charge(&charge).await, "create");
    let results = race(&store, |store, i| {
        let mut update = charge.clone();
        update.description = Some(format!("writer {i}"));
        async move { store.update_charge(&update, 1).await }
    })
    .await;
    let (winner, v) = one_winner(results, |e| {
        matches!(e, StoreError::Conflict { expected: 1, .. })
    });
    assert_eq!(v, 2);
    let stored = ok(store.get_charge(&acme, &charge.id).await, "get").expect("stored");
    assert_eq!(stored.version, 2);
    assert_eq!(stored.value.description, Some(format!("writer {winner}")));
}

pub async fn concurrent_counter_adds_sum_exactly<S: Store + 'static>(store: Arc<S>) {
    const ADDS_PER_TASK: i64 = 10;
    let key = CounterKey {
        tenant: tenant("acme"),
        series: "gw:stripe".into(),
        bucket: T0,
    };
    let results = race(&store, |store, i| {
        let key = key.clone();
        async move {
            for _ in 0..ADDS_PER_TASK {
                let deltas =
                    BTreeMap::from([("calls".to_string(), 1), ("weight".to_string(), i as i64)]);
                store.add_counters(&key, &deltas, at(3_600_000)).await?;
            }
            Ok(())
        }
    })
    .await;
    for r in results {
        ok(r, "add");
    }
    let read = ok(
        store
            .read_counters(&key.tenant, "gw:stripe", T0, at(1))
            .await,
        "read",
    );
    let racers = RACERS as i64;
    let expected = BTreeMap::from([
        ("calls".to_string(), racers * ADDS_PER_TASK),
        (
            "weight".to_string(),
            ADDS_PER_TASK * racers * (racers - 1) / 2,
        ),
    ]);
    assert_eq!(read, vec![(T0, expected)], "no increment lost");
}

pub async fn concurrent_receivers_get_each_message_once<S: Store + 'static>(store: Arc<S>) {
    const MESSAGES: usize = 200;
    let acme = tenant("acme");
    let mut all = BTreeSet::new();
    for _ in 0..MESSAGES {
        let msg = queue_message(&acme, T0);
        ok(store.enqueue(&msg, Duration::ZERO).await, "enqueue");
        all.insert(msg.id);
    }
    // Every receiver drains until the queue looks empty at T0; nothing becomes visible again
    // because time never passes the visibility timeout.
    let results = race(&store, |store, _| async move {
        let mut mine = Vec::new();
        loop {
            let batch = store.receive(7, Duration::from_secs(30), T0).await?;
            if batch.is_empty() {
                return Ok(mine);
            }
            for got in batch {
                assert!(
                    store.ack(&got.message.id, &got.receipt).await?,
                    "fresh receipt refused"
                );
                assert_eq!(
                    got.receive_count, 1,
                    "{} was received before",
                    got.message.id
                );
                mine.push(got.message.id);
            }
        }
    })
    .await;
    let mut seen = BTreeSet::new();
    for r in results {
        for id in ok(r, "receiver") {
            assert!(seen.insert(id.clone()), "{id} was received twice");
        }
    }
    assert_eq!(seen, all, "every message received, none lost");
    let stats = ok(store.queue_stats(None, at(3_600_000)).await, "stats");
    assert_eq!((stats.ready, stats.delayed), (0, 0));
}

pub async fn concurrent_receivers_keep_each_group_in_order<S: Store + 'static>(store: Arc<S>) {
    const GROUPS: usize = 12;
    const PER_GROUP: usize = 5;
    let acme = tenant("acme");
    let mut expected: BTreeMap<String, Vec<MessageId>> = BTreeMap::new();
    for i in 0..PER_GROUP {
        for g in 0..GROUPS {
            let group = format!("ch_{g}");
            let msg = grouped_message(&acme, &group, at(i as i64));
            ok(store.enqueue(&msg, Duration::ZERO).await, "enqueue");
            expected.entry(group).or_default().push(msg.id);
        }
    }
    // Each receiver notes a message when it gets it, before its ack, so a group's notes are
    // in receive order: the next message of a group can only be received after that ack.
    let log = Arc::new(Mutex::new(Vec::new()));
    let results = race(&store, |store, _| {
        let log = Arc::clone(&log);
        async move {
            loop {
                let batch = store.receive(7, Duration::from_secs(30), at(10)).await?;
                if batch.is_empty() {
                    return Ok(());
                }
                for got in batch {
                    let group = got.message.group.clone().unwrap_or_default();
                    log.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((group, got.message.id.clone()));
                    assert!(
                        store.ack(&got.message.id, &got.receipt).await?,
                        "fresh receipt refused"
                    );
                }
            }
        }
    })
    .await;
    for r in results {
        ok(r, "receiver");
    }
    let mut received: BTreeMap<String, Vec<MessageId>> = BTreeMap::new();
    for (group, id) in log.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
        received.entry(group).or_default().push(id);
    }
    assert_eq!(received, expected, "each group received whole, in order");
}
