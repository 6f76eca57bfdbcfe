//! The delivery queue on SQS with real time: the conformance suite's
//! [`WALL_CLOCK_SENSITIVE`] cases, which move `now` past visibility timeouts that SQS runs on
//! the wall clock, re-told with short real timeouts; and what only this backend has (the
//! outbox relay, the copy of a dead letter in the SQS dead-letter queue).
//!
//! No case assumes speed: each waits by polling `receive` (its first `ReceiveMessage` is a 1 s
//! long poll, so a poll is never a busy loop) up to a generous bound, and "not yet" is only
//! asserted for a call whose own `now` was before the moment in question.
//!
//! [`WALL_CLOCK_SENSITIVE`]: payorch::store::conformance::WALL_CLOCK_SENSITIVE

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use payorch::clock::{Clock, SystemClock, Timestamp};
use payorch::store::conformance::{grouped_message, queue_message, tenant};
use payorch::store::dynamo::DynamoStore;
use payorch::store::{DeadLetter, DeliveryQueue, QueueStats, Received};

use super::aws;

/// The short visibility timeout of these cases (SQS counts whole seconds).
const VISIBILITY: Duration = Duration::from_secs(2);
/// The longest any case polls for a message before failing.
const PATIENCE: Duration = Duration::from_secs(90);

fn now() -> Timestamp {
    SystemClock.now()
}

/// Polls `receive` until it hands out something; returns it with the `now` it was given.
async fn receive_next(store: &DynamoStore, what: &str) -> (Timestamp, Vec<Received>) {
    let started = Instant::now();
    loop {
        let at = now();
        let got = store
            .receive(10, VISIBILITY, at)
            .await
            .unwrap_or_else(|e| panic!("receive ({what}): {e}"));
        if !got.is_empty() {
            return (at, got);
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{what}: nothing received within {PATIENCE:?}"
        );
    }
}

/// Receives once at the wall clock; asserts nothing comes if that `now` is before `until`.
async fn nothing_before(store: &DynamoStore, until: Timestamp, what: &str) {
    let at = now();
    let got = store.receive(10, VISIBILITY, at).await.expect("receive");
    if at < until {
        assert!(got.is_empty(), "{what}: received {got:?} before it was due");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_delay_hides_until_due() {
    let (store, _settings) = aws::fresh_store().await;
    let msg = queue_message(&tenant("acme"), now());
    store.enqueue(&msg, VISIBILITY).await.expect("enqueue");
    let due = msg.enqueued_at.plus(VISIBILITY);
    nothing_before(&store, due, "a delayed message").await;
    let (at, got) = receive_next(&store, "the delayed message").await;
    assert!(at >= due, "received at {at}, due at {due}");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message, msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_visibility_timeout_and_stale_receipts() {
    let (store, _settings) = aws::fresh_store().await;
    let msg = queue_message(&tenant("acme"), now());
    store.enqueue(&msg, Duration::ZERO).await.expect("enqueue");
    let (first_at, mut got) = receive_next(&store, "the first receive").await;
    let first = got.remove(0);
    nothing_before(&store, first_at.plus(VISIBILITY), "a message in flight").await;
    let (second_at, mut got) = receive_next(&store, "the receive after the timeout").await;
    let second = got.remove(0);
    assert!(second_at >= first_at.plus(VISIBILITY));
    assert_eq!(
        (second.message.id.clone(), second.receive_count),
        (msg.id.clone(), 2)
    );
    assert_ne!(first.receipt, second.receipt);

    // The first consumer's receipt is stale now: every use of it is refused, changing nothing.
    assert!(!store.ack(&msg.id, &first.receipt).await.expect("stale ack"));
    let stale = store.retry_later(&msg.id, &first.receipt, Duration::ZERO, "boom", now());
    assert!(!stale.await.expect("stale retry"));
    let stale = store.dead_letter(&msg.id, &first.receipt, "boom", now());
    assert!(!stale.await.expect("stale dead-letter"));
    assert_eq!(store.get_dead(&msg.id).await.expect("get dead"), None);
    let stats = store.queue_stats(None, second_at).await.expect("stats");
    assert_eq!((stats.ready, stats.delayed, stats.dead), (0, 1, 0));

    assert!(
        store
            .ack(&msg.id, &second.receipt)
            .await
            .expect("current receipt still works")
    );
    let after = store.receive(10, VISIBILITY, now()).await.expect("receive");
    assert!(after.is_empty(), "an acked message is gone: {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_retry_later_hides_and_records_the_error() {
    let (store, _settings) = aws::fresh_store().await;
    let msg = queue_message(&tenant("acme"), now());
    store.enqueue(&msg, Duration::ZERO).await.expect("enqueue");
    let got = store
        .receive(10, Duration::from_secs(60), now())
        .await
        .expect("receive");
    assert_eq!(got.len(), 1, "{got:?}");
    let error = "merchant answered 503";
    let retried_at = now();
    let retry = store.retry_later(&msg.id, &got[0].receipt, VISIBILITY, error, retried_at);
    assert!(retry.await.expect("retry later"));
    let due = retried_at.plus(VISIBILITY);
    nothing_before(&store, due, "a message waiting for its retry").await;
    let (at, got) = receive_next(&store, "the retry").await;
    assert!(at >= due, "received at {at}, due at {due}");
    assert_eq!(
        (got[0].receive_count, got[0].last_error.as_deref()),
        (2, Some(error))
    );
    assert!(store.ack(&msg.id, &got[0].receipt).await.expect("ack"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_stats_count_where_messages_are() {
    let (store, _settings) = aws::fresh_store().await;
    let t0 = now();
    assert_eq!(
        store.queue_stats(None, t0).await.expect("empty"),
        QueueStats::default()
    );
    let acme = tenant("acme");
    for delay in [0, 0, 60] {
        let msg = queue_message(&acme, t0);
        let delay = Duration::from_secs(delay);
        store.enqueue(&msg, delay).await.expect("enqueue");
    }
    let mut got = store.receive(1, VISIBILITY, now()).await.expect("receive");
    let first = got.pop().expect("one visible message");
    let dead_at = now();
    let dead = store.dead_letter(&first.message.id, &first.receipt, "x", dead_at);
    assert!(dead.await.expect("dead"));

    // Stats are read at the caller's `now`: no waiting needed for "later".
    let expected = QueueStats {
        ready: 1,
        delayed: 1,
        dead: 1,
        oldest_dead_at: Some(dead_at),
    };
    assert_eq!(store.queue_stats(None, t0).await.expect("stats"), expected);
    let later = store
        .queue_stats(None, t0.plus(Duration::from_secs(60)))
        .await
        .expect("stats later");
    assert_eq!(
        (later.ready, later.delayed),
        (2, 0),
        "the delayed one is due"
    );

    let other = tenant("other");
    let theirs = queue_message(&other, t0);
    store
        .enqueue(&theirs, Duration::ZERO)
        .await
        .expect("enqueue for another tenant");
    assert_eq!(
        store.queue_stats(Some(&acme), t0).await.expect("acme's"),
        expected
    );
    assert_eq!(
        store.queue_stats(Some(&other), t0).await.expect("other's"),
        QueueStats {
            ready: 1,
            ..QueueStats::default()
        }
    );
    let all = store.queue_stats(None, t0).await.expect("everyone's");
    assert_eq!((all.ready, all.delayed, all.dead), (2, 1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_group_waits_for_a_retry_and_a_lapsed_receipt() {
    let (store, _settings) = aws::fresh_store().await;
    let acme = tenant("acme");
    let a1 = grouped_message(&acme, "ch_a", now());
    let a2 = grouped_message(&acme, "ch_a", now());
    for m in [&a1, &a2] {
        store.enqueue(m, Duration::ZERO).await.expect("enqueue");
    }
    let (_, got) = receive_next(&store, "the group's first").await;
    assert_eq!(
        ids(&got),
        vec![a1.id.clone()],
        "one batch, one message of a group"
    );
    let retry = store.retry_later(&a1.id, &got[0].receipt, VISIBILITY, "HTTP 503", now());
    assert!(retry.await.expect("retry later"));

    // The retry comes first (a2 waits for it); its consumer then vanishes and its
    // visibility lapses: a1 again, not a2.
    let (_, got) = receive_next(&store, "a1's retry").await;
    assert_eq!(ids(&got), vec![a1.id.clone()], "a2 waits for a1's retry");
    assert_eq!(got[0].receive_count, 2);
    let (_, got) = receive_next(&store, "a1 after its receipt lapsed").await;
    assert_eq!(ids(&got), vec![a1.id.clone()], "a1 again, not a2");
    assert_eq!(got[0].receive_count, 3);
    assert!(store.ack(&a1.id, &got[0].receipt).await.expect("ack"));

    let (_, got) = receive_next(&store, "a2 after a1's ack").await;
    assert_eq!(ids(&got), vec![a2.id.clone()]);
    assert!(store.ack(&a2.id, &got[0].receipt).await.expect("ack"));
}

/// A message committed whose ticket never reached SQS (the process died between the commit
/// and the send) is still delivered: the outbox relay sends its ticket. Without the relay
/// this waits in vain.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_a_lost_send_is_relayed_from_the_outbox() {
    let (store, _settings) = aws::fresh_store().await;
    let msg = queue_message(&tenant("acme"), now());
    payorch::store::dynamo::lose_next_send(&msg.id);
    store.enqueue(&msg, Duration::ZERO).await.expect("enqueue");
    let (_, got) = receive_next(&store, "the message whose send was lost").await;
    assert_eq!(ids(&got), vec![msg.id.clone()]);
    assert_eq!(got[0].receive_count, 1);
    assert!(store.ack(&msg.id, &got[0].receipt).await.expect("ack"));
}

/// `dead_letter` leaves a copy (the dead letter's JSON) in the SQS dead-letter queue, for AWS
/// tooling and alarms; the table keeps the letter payorch lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_a_dead_letter_is_copied_to_the_sqs_dead_letter_queue() {
    let (store, _settings) = aws::fresh_store().await;
    let msg = queue_message(&tenant("acme"), now());
    store.enqueue(&msg, Duration::ZERO).await.expect("enqueue");
    let (_, got) = receive_next(&store, "the message").await;
    let dead_at = now();
    let dead = store.dead_letter(&msg.id, &got[0].receipt, "gave up after 8 tries", dead_at);
    assert!(dead.await.expect("dead-letter"));

    let sqs = store.sqs_client();
    let started = Instant::now();
    let copy = loop {
        let out = sqs
            .receive_message()
            .queue_url(store.dead_letter_queue_url())
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive from the SQS dead-letter queue");
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            break m;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "no copy in the SQS dead-letter queue"
        );
    };
    let letter: DeadLetter =
        serde_json::from_str(copy.body().expect("a body")).expect("the copy is a dead letter");
    assert_eq!(
        letter,
        DeadLetter {
            message: msg.clone(),
            receive_count: 1,
            last_error: "gave up after 8 tries".into(),
            dead_at,
        }
    );
    assert_eq!(
        store.get_dead(&msg.id).await.expect("get dead"),
        Some(letter),
        "the table holds the same letter"
    );
}

/// Every receive is decided by the message's item, so a second ticket for one message (a
/// relay racing a slow send, a release racing a parked ticket's return) never hands it out
/// twice, and is deleted once the message is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_a_duplicate_ticket_is_harmless() {
    let (store, _settings) = aws::fresh_store().await;
    let msg = queue_message(&tenant("acme"), now());
    store.enqueue(&msg, Duration::ZERO).await.expect("enqueue");
    let sqs = store.sqs_client();
    sqs.send_message()
        .queue_url(store.queue_url())
        .message_body(msg.id.to_string())
        .send()
        .await
        .expect("send a duplicate ticket");

    // A claim hidden for 10 s: the duplicate is then hidden for the claim's remainder.
    let claim = Duration::from_secs(10);
    let got_at = now();
    let got = store.receive(10, claim, got_at).await.expect("receive");
    assert_eq!(ids(&got), vec![msg.id.clone()], "handed out once");
    assert_eq!(got[0].receive_count, 1);
    let again_at = now();
    let again = store.receive(10, claim, again_at).await.expect("receive");
    if again_at < got_at.plus(claim) {
        assert!(
            again.is_empty(),
            "the duplicate hands out nothing: {again:?}"
        );
    }
    // (Only on a machine too slow to receive twice in 10 s is the message handed out again.)
    let current = again.first().unwrap_or(&got[0]);
    assert!(store.ack(&msg.id, &current.receipt).await.expect("ack"));

    // The duplicate comes back (it was hidden for the claim's remainder), finds the message
    // gone, and is deleted: the queue empties.
    let started = Instant::now();
    loop {
        let got = store.receive(10, VISIBILITY, now()).await.expect("receive");
        assert!(got.is_empty(), "an acked message is gone: {got:?}");
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(store.queue_url())
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .unwrap_or_default();
        let left: u64 = attributes
            .values()
            .map(|v| v.parse::<u64>().expect("a count"))
            .sum();
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{left} tickets still in the queue"
        );
    }
}

/// A parked message whose ticket SQS lost (here: the whole queue purged; on AWS, a ticket
/// redriven after many receives) is still delivered once its group's head is acked: the
/// release makes a new ticket when the old one is gone, and keeps the outbox mark until the
/// message is claimed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_a_released_message_whose_ticket_is_gone_is_still_delivered() {
    let (store, _settings) = aws::fresh_store().await;
    let acme = tenant("acme");
    let a1 = grouped_message(&acme, "ch_a", now());
    let a2 = grouped_message(&acme, "ch_a", now());
    for m in [&a1, &a2] {
        store.enqueue(m, Duration::ZERO).await.expect("enqueue");
    }
    // a1 is handed out; a2's ticket is parked behind it (hidden for the park time).
    let claim = Duration::from_secs(60);
    let got = store.receive(10, claim, now()).await.expect("receive");
    assert_eq!(ids(&got), vec![a1.id.clone()]);
    let parked = store.receive(10, claim, now()).await.expect("receive");
    assert!(parked.is_empty(), "a2 waits behind a1: {parked:?}");

    store
        .sqs_client()
        .purge_queue()
        .queue_url(store.queue_url())
        .send()
        .await
        .expect("purge the SQS queue");
    assert!(store.ack(&a1.id, &got[0].receipt).await.expect("ack a1"));
    let (_, got) = receive_next(&store, "a2 after a1's ack").await;
    assert_eq!(ids(&got), vec![a2.id.clone()]);
    assert_eq!(got[0].receive_count, 1);
    assert!(store.ack(&a2.id, &got[0].receipt).await.expect("ack a2"));
}

fn ids(got: &[Received]) -> Vec<payorch::id::MessageId> {
    got.iter().map(|r| r.message.id.clone()).collect()
}
