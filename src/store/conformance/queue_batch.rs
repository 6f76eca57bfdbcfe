//! Conformance cases for `ack_many`, the delivery worker's batch of acks: one answer per
//! message as `ack` would give it (stale, unknown and repeated receipts refused, the rest
//! acknowledged), nothing acknowledged twice, and each group's next message released as by
//! `ack`, in order. No case moves `now` past a visibility timeout (the DynamoDB + SQS backend
//! runs them too).

use std::sync::Arc;
use std::time::Duration;

use super::queue_groups::receive_ids;
use super::{at, grouped_message, ok, queue_message, tenant};
use crate::id::MessageId;
use crate::store::{Received, Store};

/// The received message with id `id`, as an `ack_many` pair.
fn pair(got: &[Received], id: &MessageId) -> (MessageId, String) {
    let r = got
        .iter()
        .find(|r| r.message.id == *id)
        .unwrap_or_else(|| panic!("{id} was not received"));
    (r.message.id.clone(), r.receipt.clone())
}

pub async fn queue_ack_many_answers_each_receipt<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let msgs: Vec<_> = (0..3).map(|i| queue_message(&acme, at(i))).collect();
    for m in &msgs {
        ok(store.enqueue(m, Duration::ZERO).await, "enqueue");
    }
    assert_eq!(
        ok(store.ack_many(&[]).await, "ack nothing"),
        Vec::<bool>::new()
    );
    let (ids, got) = receive_ids(&*store, 10).await;
    assert_eq!(ids.len(), 3, "all three received: {ids:?}");
    let [a, b, c] = [0, 1, 2].map(|i| pair(&got, &msgs[i].id));

    let answers = ok(
        store
            .ack_many(&[
                a.clone(),
                (b.0.clone(), "not-the-receipt".into()),
                c.clone(),
                a.clone(),
                (MessageId::generate(), "x".into()),
            ])
            .await,
        "ack many",
    );
    assert_eq!(
        answers,
        vec![true, false, true, false, false],
        "a and c acknowledged once each; b's wrong receipt, a's repeat and an unknown id refused"
    );
    assert!(!ok(store.ack(&a.0, &a.1).await, "ack a again"), "a is gone");
    assert!(!ok(store.ack(&c.0, &c.1).await, "ack c again"), "c is gone");
    assert!(
        ok(store.ack(&b.0, &b.1).await, "ack b with its receipt"),
        "b was left as it was: its own receipt still acknowledges it"
    );
    let (ids, _) = receive_ids(&*store, 10).await;
    assert!(ids.is_empty(), "nothing left: {ids:?}");
}

pub async fn queue_ack_many_releases_each_group_in_order<S: Store + 'static>(store: Arc<S>) {
    let acme = tenant("acme");
    let a1 = grouped_message(&acme, "ch_a", at(0));
    let a2 = grouped_message(&acme, "ch_a", at(1));
    let a3 = grouped_message(&acme, "ch_a", at(2));
    let b1 = grouped_message(&acme, "ch_b", at(3));
    let b2 = grouped_message(&acme, "ch_b", at(4));
    for m in [&a1, &a2, &a3, &b1, &b2] {
        ok(store.enqueue(m, Duration::ZERO).await, "enqueue");
    }
    let (ids, got) = receive_ids(&*store, 10).await;
    assert_eq!(
        ids,
        vec![a1.id.clone(), b1.id.clone()],
        "one head per group"
    );
    let answers = ok(
        store
            .ack_many(&[pair(&got, &a1.id), pair(&got, &b1.id)])
            .await,
        "ack both heads",
    );
    assert_eq!(answers, vec![true, true]);

    let (ids, got) = receive_ids(&*store, 20).await;
    assert_eq!(
        ids,
        vec![a2.id.clone(), b2.id.clone()],
        "each group's next message, and only that"
    );
    let a2_stale = (a2.id.clone(), "stale".to_string());
    let answers = ok(
        store.ack_many(&[a2_stale, pair(&got, &b2.id)]).await,
        "ack a2 stale, b2",
    );
    assert_eq!(answers, vec![false, true]);
    let (ids, _) = receive_ids(&*store, 30).await;
    assert!(
        ids.is_empty(),
        "a3 waits: a2 is still in flight, not acknowledged: {ids:?}"
    );

    let answers = ok(
        store.ack_many(&[pair(&got, &a2.id)]).await,
        "ack a2 with its receipt",
    );
    assert_eq!(answers, vec![true]);
    let (ids, got) = receive_ids(&*store, 40).await;
    assert_eq!(ids, vec![a3.id.clone()]);
    assert_eq!(
        ok(store.ack_many(&[pair(&got, &a3.id)]).await, "ack a3"),
        vec![true]
    );
}
