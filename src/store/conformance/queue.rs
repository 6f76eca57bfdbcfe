//! Conformance cases for the delivery queue and its dead-letter queue, one consumer at a
//! time: visibility, receipts, retries, dead letters and replay.

use std::sync::Arc;
use std::time::Duration;

use super::{T0, at, ok, queue_message, tenant};
use crate::id::MessageId;
use crate::store::{QueueStats, Received, Store, StoreError};

const VISIBILITY: Duration = Duration::from_secs(30);

/// Receives exactly one message at `now`, panicking otherwise.
async fn receive_one<S: Store>(store: &S, now: i64) -> Received {
    let mut got = ok(store.receive(10, VISIBILITY, at(now)).await, "receive");
    assert_eq!(
        got.len(),
        1,
        "expected one message at T0+{now}ms, got {got:?}"
    );
    got.remove(0)
}

async fn receive_none<S: Store>(store: &S, now: i64) {
    let got = ok(store.receive(10, VISIBILITY, at(now)).await, "receive");
    assert!(
        got.is_empty(),
        "expected nothing visible at T0+{now}ms, got {got:?}"
    );
}

pub async fn queue_enqueue_receive_ack<S: Store + 'static>(store: Arc<S>) {
    let msg = queue_message(&tenant("acme"), T0);
    ok(store.enqueue(&msg, Duration::ZERO).await, "enqueue");
    let r = store.enqueue(&msg, Duration::ZERO).await;
    assert!(matches!(r, Err(StoreError::AlreadyExists { .. })), "{r:?}");

    let got = receive_one(&*store, 0).await;
    assert_eq!(
        (
            got.message.clone(),
            got.receive_count,
            got.last_error.clone()
        ),
        (msg.clone(), 1, None)
    );
    receive_none(&*store, 1).await;
    assert!(!ok(
        store.ack(&msg.id, "not-a-receipt").await,
        "ack with a wrong receipt"
    ));
    assert!(ok(store.ack(&msg.id, &got.receipt).await, "ack"));
    assert!(
        !ok(store.ack(&msg.id, &got.receipt).await, "ack twice"),
        "the message is gone"
    );
    receive_none(&*store, 3_600_000).await;
    assert!(!ok(
        store.ack(&MessageId::generate(), "x").await,
        "ack unknown"
    ));
}

pub async fn queue_delay_hides_until_due<S: Store + 'static>(store: Arc<S>) {
    let msg = queue_message(&tenant("acme"), T0);
    ok(store.enqueue(&msg, Duration::from_secs(5)).await, "enqueue");
    receive_none(&*store, 4_999).await;
    assert_eq!(
        receive_one(&*store, 5_000).await.message,
        msg,
        "visible at enqueued_at + delay"
    );
}

pub async fn queue_receive_oldest_first_up_to_max<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let msgs: Vec<_> = (0..5).map(|i| queue_message(&acme, at(i))).collect();
    for m in &msgs {
        ok(store.enqueue(m, Duration::ZERO).await, "enqueue");
    }
    let first = ok(store.receive(2, VISIBILITY, at(10)).await, "receive 2");
    let rest = ok(store.receive(10, VISIBILITY, at(10)).await, "receive rest");
    let order: Vec<_> = first
        .iter()
        .chain(&rest)
        .map(|r| r.message.id.clone())
        .collect();
    assert_eq!(first.len(), 2, "at most max");
    assert_eq!(
        order,
        msgs.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
        "oldest first"
    );
}

pub async fn queue_visibility_timeout_and_stale_receipts<S: Store + 'static>(store: Arc<S>) {
    let msg = queue_message(&tenant("acme"), T0);
    ok(store.enqueue(&msg, Duration::ZERO).await, "enqueue");
    let first = receive_one(&*store, 0).await;
    receive_none(&*store, 29_999).await;
    let second = receive_one(&*store, 30_000).await;
    assert_eq!(second.receive_count, 2);
    assert_ne!(first.receipt, second.receipt);

    // The first consumer's receipt is stale now: every use of it is refused, changing nothing.
    assert!(!ok(store.ack(&msg.id, &first.receipt).await, "stale ack"));
    let stale = store.retry_later(&msg.id, &first.receipt, Duration::ZERO, "boom", at(30_001));
    assert!(!ok(stale.await, "stale retry"));
    let stale = store.dead_letter(&msg.id, &first.receipt, "boom", at(30_001));
    assert!(!ok(stale.await, "stale dead-letter"));
    assert_eq!(ok(store.get_dead(&msg.id).await, "get dead"), None);
    receive_none(&*store, 30_001).await;
    let stats = ok(store.queue_stats(None, at(30_001)).await, "stats");
    assert_eq!((stats.ready, stats.delayed, stats.dead), (0, 1, 0));

    assert!(ok(
        store.ack(&msg.id, &second.receipt).await,
        "current receipt still works"
    ));
    receive_none(&*store, 3_600_000).await;
}

pub async fn queue_retry_later_hides_and_records_the_error<S: Store + 'static>(store: Arc<S>) {
    let msg = queue_message(&tenant("acme"), T0);
    ok(store.enqueue(&msg, Duration::ZERO).await, "enqueue");
    let got = receive_one(&*store, 0).await;
    let error = "merchant answered 503";
    let retry = store.retry_later(
        &msg.id,
        &got.receipt,
        Duration::from_secs(300),
        error,
        at(100),
    );
    assert!(ok(retry.await, "retry later"));
    receive_none(&*store, 300_099).await;
    let again = receive_one(&*store, 300_100).await;
    assert_eq!(
        (again.receive_count, again.last_error.as_deref()),
        (2, Some(error))
    );
    assert!(ok(store.ack(&msg.id, &again.receipt).await, "ack"));
}

pub async fn queue_dead_letter_and_replay<S: Store + 'static>(store: Arc<S>) {
    let msg = queue_message(&tenant("acme"), T0);
    ok(store.enqueue(&msg, Duration::ZERO).await, "enqueue");
    let got = receive_one(&*store, 0).await;
    let dead = store.dead_letter(&msg.id, &got.receipt, "gave up after 8 tries", at(50));
    assert!(ok(dead.await, "dead-letter"));
    receive_none(&*store, 86_400_000).await;
    assert!(!ok(
        store.ack(&msg.id, &got.receipt).await,
        "ack after dead-letter"
    ));
    let letter = ok(store.get_dead(&msg.id).await, "get dead").expect("dead letter stored");
    assert_eq!(letter.message, msg);
    assert_eq!(
        (letter.receive_count, letter.last_error.as_str()),
        (1, "gave up after 8 tries")
    );
    assert_eq!(letter.dead_at, at(50));
    let r = store.enqueue(&msg, Duration::ZERO).await;
    assert!(
        matches!(r, Err(StoreError::AlreadyExists { .. })),
        "id of a dead letter: {r:?}"
    );

    ok(store.replay_dead(&msg.id, at(1_000)).await, "replay");
    assert_eq!(ok(store.get_dead(&msg.id).await, "get dead"), None);
    receive_none(&*store, 999).await;
    let replayed = receive_one(&*store, 1_000).await;
    assert_eq!(
        (replayed.message, replayed.receive_count),
        (msg.clone(), 1),
        "count reset"
    );
    let r = store.replay_dead(&msg.id, at(2_000)).await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
}

pub async fn queue_list_and_purge_dead<S: Store + 'static>(store: Arc<S>) {
    let mut letters = Vec::new();
    for (i, slug) in ["acme", "globex", "acme"].into_iter().enumerate() {
        let msg = queue_message(&tenant(slug), T0);
        ok(store.enqueue(&msg, Duration::ZERO).await, "enqueue");
        let got = receive_one(&*store, 0).await;
        let dead_at = at(100 * (i as i64 + 1));
        assert!(ok(
            store
                .dead_letter(&msg.id, &got.receipt, "4xx", dead_at)
                .await,
            "dead"
        ));
        letters.push(msg.id);
    }
    let ids =
        |v: Vec<crate::store::DeadLetter>| v.into_iter().map(|d| d.message.id).collect::<Vec<_>>();
    let all = ok(store.list_dead(None, None, 0).await, "list all");
    assert_eq!(
        ids(all),
        vec![letters[2].clone(), letters[1].clone(), letters[0].clone()]
    );
    let acme = ok(
        store.list_dead(Some(&tenant("acme")), None, 0).await,
        "list acme",
    );
    assert_eq!(ids(acme), vec![letters[2].clone(), letters[0].clone()]);
    let since = ok(store.list_dead(None, Some(at(200)), 0).await, "list since");
    assert_eq!(
        ids(since),
        vec![letters[2].clone(), letters[1].clone()],
        "since is inclusive"
    );
    let one = ok(store.list_dead(None, None, 1).await, "list one");
    assert_eq!(ids(one), vec![letters[2].clone()]);

    ok(store.purge_dead(&letters[1]).await, "purge");
    assert_eq!(ok(store.get_dead(&letters[1]).await, "get purged"), None);
    let r = store.purge_dead(&letters[1]).await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    assert_eq!(ok(store.list_dead(None, None, 0).await, "list").len(), 2);
    receive_none(&*store, 86_400_000).await;
}

pub async fn queue_stats_count_where_messages_are<S: Store + 'static>(store: Arc<S>) {
    assert_eq!(
        ok(store.queue_stats(None, T0).await, "empty"),
        QueueStats::default()
    );
    let acme = tenant("acme");
    for delay in [0, 0, 60] {
        let msg = queue_message(&acme, T0);
        ok(
            store.enqueue(&msg, Duration::from_secs(delay)).await,
            "enqueue",
        );
    }
    let mut got = ok(store.receive(1, VISIBILITY, T0).await, "receive");
    let first = got.pop().expect("one visible message");
    assert!(ok(
        store
            .dead_letter(&first.message.id, &first.receipt, "x", at(7))
            .await,
        "dead"
    ));

    let stats = ok(store.queue_stats(None, at(10)).await, "stats");
    assert_eq!(
        stats,
        QueueStats {
            ready: 1,
            delayed: 1,
            dead: 1,
            oldest_dead_at: Some(at(7))
        }
    );
    let stats = ok(store.queue_stats(None, at(60_000)).await, "stats later");
    assert_eq!(
        (stats.ready, stats.delayed),
        (2, 0),
        "the delayed one is due"
    );

    // One tenant's view counts only its own messages and dead letters.
    let other = tenant("other");
    ok(
        store
            .enqueue(&queue_message(&other, T0), Duration::ZERO)
            .await,
        "enqueue for another tenant",
    );
    let mine = ok(store.queue_stats(Some(&acme), at(10)).await, "acme's");
    assert_eq!(
        mine,
        QueueStats {
            ready: 1,
            delayed: 1,
            dead: 1,
            oldest_dead_at: Some(at(7))
        }
    );
    let theirs = ok(store.queue_stats(Some(&other), at(10)).await, "other's");
    assert_eq!(
        theirs,
        QueueStats {
            ready: 1,
            ..QueueStats::default()
        }
    );
    let all = ok(store.queue_stats(None, at(10)).await, "everyone's");
    assert_eq!((all.ready, all.delayed, all.dead), (2, 1, 1));
}
