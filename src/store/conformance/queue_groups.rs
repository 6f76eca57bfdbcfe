//! Conformance cases for message groups (FIFO per group, as SQS FIFO's `MessageGroupId`): a
//! group's messages are received one at a time, in the order the queue took them; a retry or
//! a dead letter holds the group; a replay returns to its place; a purge releases the group.
//! Other groups and ungrouped messages are never held back.

use std::sync::Arc;
use std::time::Duration;

use super::{at, grouped_message, ok, queue_message, tenant};
use crate::id::MessageId;
use crate::store::{QueueMessage, Received, Store};

const VISIBILITY: Duration = Duration::from_secs(30);

/// Enqueues each message, visible at once.
async fn enqueue_all<S: Store>(store: &S, messages: &[&QueueMessage]) {
    for m in messages {
        ok(store.enqueue(m, Duration::ZERO).await, "enqueue");
    }
}

/// Everything receivable at `now` (up to 10), by message id, in the order received.
pub(super) async fn receive_ids<S: Store>(store: &S, now: i64) -> (Vec<MessageId>, Vec<Received>) {
    let got = ok(store.receive(10, VISIBILITY, at(now)).await, "receive");
    (got.iter().map(|r| r.message.id.clone()).collect(), got)
}

/// Acks a received message, which must still hold its receipt.
async fn ack<S: Store>(store: &S, r: &Received) {
    assert!(
        ok(store.ack(&r.message.id, &r.receipt).await, "ack"),
        "fresh receipt of {} refused",
        r.message.id
    );
}

/// Receives at `now` exactly `expected` (nothing else is receivable) and acks it.
async fn receive_and_ack<S: Store>(store: &S, now: i64, expected: &QueueMessage) {
    let (ids, got) = receive_ids(store, now).await;
    assert_eq!(
        ids,
        vec![expected.id.clone()],
        "only {} is receivable",
        expected.id
    );
    ack(store, &got[0]).await;
}

/// The received message with id `id`.
fn take<'a>(got: &'a [Received], id: &MessageId) -> &'a Received {
    got.iter()
        .find(|r| r.message.id == *id)
        .unwrap_or_else(|| panic!("{id} was not received"))
}

pub async fn queue_group_hands_out_one_message_at_a_time_in_order<S: Store + 'static>(
    store: Arc<S>,
) {
    let acme = tenant("acme");
    let a1 = grouped_message(&acme, "ch_a", at(0));
    let a2 = grouped_message(&acme, "ch_a", at(1));
    let b1 = grouped_message(&acme, "ch_b", at(2));
    let loose = queue_message(&acme, at(3));
    let a3 = grouped_message(&acme, "ch_a", at(4));
    enqueue_all(&*store, &[&a1, &a2, &b1, &loose, &a3]).await;

    let (ids, got) = receive_ids(&*store, 10).await;
    assert_eq!(
        ids,
        vec![a1.id.clone(), b1.id.clone(), loose.id.clone()],
        "one batch holds only the oldest message of each group; others are unaffected"
    );
    let (ids, _) = receive_ids(&*store, 10).await;
    assert!(ids.is_empty(), "a2 waits while a1 is in flight: {ids:?}");
    assert_eq!(take(&got, &a1.id).message.group.as_deref(), Some("ch_a"));

    ack(&*store, take(&got, &b1.id)).await;
    let (ids, _) = receive_ids(&*store, 10).await;
    assert!(
        ids.is_empty(),
        "acking another group releases nothing of ch_a"
    );

    ack(&*store, take(&got, &a1.id)).await;
    receive_and_ack(&*store, 10, &a2).await;
    receive_and_ack(&*store, 10, &a3).await;
}

pub async fn queue_group_order_is_the_queue_s_not_the_sender_s_clock<S: Store + 'static>(
    store: Arc<S>,
) {
    let acme = tenant("acme");
    // The second sender's clock is behind: its message still comes second.
    let first = grouped_message(&acme, "ch_a", at(5_000));
    let second = grouped_message(&acme, "ch_a", at(0));
    enqueue_all(&*store, &[&first, &second]).await;
    receive_and_ack(&*store, 6_000, &first).await;
    receive_and_ack(&*store, 6_000, &second).await;
}

pub async fn queue_group_waits_for_a_retry_and_a_lapsed_receipt<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let a1 = grouped_message(&acme, "ch_a", at(0));
    let a2 = grouped_message(&acme, "ch_a", at(1));
    enqueue_all(&*store, &[&a1, &a2]).await;

    let (_, got) = receive_ids(&*store, 10).await;
    let retry = store.retry_later(
        &a1.id,
        &got[0].receipt,
        Duration::from_secs(300),
        "HTTP 503",
        at(20),
    );
    assert!(ok(retry.await, "retry later"));
    let (ids, _) = receive_ids(&*store, 1_000).await;
    assert!(ids.is_empty(), "a2 waits for a1's retry: {ids:?}");

    // The retry comes first; its consumer then vanishes and its visibility lapses.
    let (ids, got) = receive_ids(&*store, 300_020).await;
    assert_eq!(ids, vec![a1.id.clone()]);
    assert_eq!(got[0].receive_count, 2);
    let (ids, _) = receive_ids(&*store, 300_020 + 29_999).await;
    assert!(ids.is_empty(), "a2 waits for a1 in flight: {ids:?}");
    let (ids, got) = receive_ids(&*store, 300_020 + 30_000).await;
    assert_eq!(ids, vec![a1.id.clone()], "a1 again, not a2");
    ack(&*store, &got[0]).await;
    receive_and_ack(&*store, 330_020, &a2).await;
}

/// Receives `id` (the only receivable message) and dead-letters it.
async fn kill<S: Store>(store: &S, id: &MessageId, now: i64) {
    let (ids, got) = receive_ids(store, now).await;
    assert_eq!(ids, vec![id.clone()]);
    let dead = store.dead_letter(id, &got[0].receipt, "gave up", at(now + 1));
    assert!(ok(dead.await, "dead-letter"));
}

pub async fn queue_group_is_held_by_its_dead_letter_until_a_replay<S: Store + 'static>(
    store: Arc<S>,
) {
    let acme = tenant("acme");
    let a1 = grouped_message(&acme, "ch_a", at(0));
    let a2 = grouped_message(&acme, "ch_a", at(1));
    enqueue_all(&*store, &[&a1, &a2]).await;
    kill(&*store, &a1.id, 10).await;

    let b1 = grouped_message(&acme, "ch_b", at(20));
    let a3 = grouped_message(&acme, "ch_a", at(20));
    enqueue_all(&*store, &[&b1, &a3]).await;
    let (ids, got) = receive_ids(&*store, 86_400_000).await;
    assert_eq!(
        ids,
        vec![b1.id.clone()],
        "a2 and a3 wait behind the dead a1; ch_b does not"
    );
    ack(&*store, &got[0]).await;

    // The replay puts a1 back in its place, ahead of the messages it held.
    ok(store.replay_dead(&a1.id, at(100)).await, "replay");
    let (ids, got) = receive_ids(&*store, 100).await;
    assert_eq!(ids, vec![a1.id.clone()]);
    assert_eq!(got[0].receive_count, 1, "a fresh start");
    ack(&*store, &got[0]).await;
    receive_and_ack(&*store, 100, &a2).await;
    receive_and_ack(&*store, 100, &a3).await;
}

pub async fn queue_group_is_released_by_purging_its_dead_letter<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let a1 = grouped_message(&acme, "ch_a", at(0));
    let a2 = grouped_message(&acme, "ch_a", at(1));
    enqueue_all(&*store, &[&a1, &a2]).await;
    kill(&*store, &a1.id, 10).await;
    let (ids, _) = receive_ids(&*store, 20).await;
    assert!(ids.is_empty(), "held: {ids:?}");

    ok(store.purge_dead(&a1.id).await, "purge");
    receive_and_ack(&*store, 20, &a2).await;

    // A dead letter alone in its group holds what is enqueued after it, too.
    let a3 = grouped_message(&acme, "ch_a", at(30));
    enqueue_all(&*store, &[&a3]).await;
    kill(&*store, &a3.id, 30).await;
    let a4 = grouped_message(&acme, "ch_a", at(40));
    enqueue_all(&*store, &[&a4]).await;
    let (ids, _) = receive_ids(&*store, 40).await;
    assert!(ids.is_empty(), "a4 waits behind the dead a3: {ids:?}");
    ok(store.purge_dead(&a3.id).await, "purge");
    receive_and_ack(&*store, 40, &a4).await;
}
