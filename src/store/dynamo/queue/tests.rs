//! `enqueue_in` (the outbox the charge path commits its news through), on the AWS emulator
//! named by `PAYORCH_TEST_AWS_ENDPOINT` (see `tests/it/common/aws.rs`): the message and the
//! caller's items are one commit, all or nothing.

use std::time::Duration;

use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};

use super::super::item::s;
use super::super::{AwsSettings, DynamoStore, StaticCredentials, admin};
use crate::store::conformance::{T0, at, grouped_message, tenant};
use crate::store::{DeliveryQueue, QueueStats, StoreError};

/// A store on its own table and queues on the emulator.
async fn fresh() -> DynamoStore {
    let endpoint = std::env::var("PAYORCH_TEST_AWS_ENDPOINT")
        .expect("PAYORCH_TEST_AWS_ENDPOINT names the AWS emulator (see tests/it/common/aws.rs)");
    let tag = crate::id::new_ulid().to_string().to_lowercase();
    let settings = AwsSettings {
        region: Some("us-east-1".into()),
        table: format!("payorch-unit-{tag}"),
        queue: format!("payorch-unit-q-{tag}"),
        dead_letter_queue: format!("payorch-unit-dlq-{tag}"),
        endpoint_url: Some(endpoint),
    };
    let credentials = StaticCredentials {
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
    };
    admin::init(&settings, Some(&credentials))
        .await
        .expect("aws init on the emulator");
    DynamoStore::connect(&settings, Some(&credentials))
        .await
        .expect("connect to the emulator")
}

/// A put of a record `pk` that must not exist yet.
fn put_new(store: &DynamoStore, pk: &str) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(&store.settings.table)
        .item("pk", s(pk))
        .item("sk", s("X"))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("a complete put");
    TransactWriteItem::builder().put(put).build()
}

/// A check that record `pk` exists.
fn exists(store: &DynamoStore, pk: &str) -> TransactWriteItem {
    let check = ConditionCheck::builder()
        .table_name(&store.settings.table)
        .key("pk", s(pk))
        .key("sk", s("X"))
        .condition_expression("attribute_exists(pk)")
        .build()
        .expect("a complete check");
    TransactWriteItem::builder().condition_check(check).build()
}

async fn record_exists(store: &DynamoStore, pk: &str) -> bool {
    let out = store
        .ddb
        .get_item()
        .table_name(&store.settings.table)
        .key("pk", s(pk))
        .key("sk", s("X"))
        .consistent_read(true)
        .send()
        .await
        .expect("get");
    out.item.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_in_commits_the_message_with_the_callers_items_or_nothing() {
    let store = fresh().await;
    let acme = tenant("acme");

    // The caller's condition fails: neither its items nor the message (nor its lane) exist.
    let lost = grouped_message(&acme, "ch_a", T0);
    let with = vec![put_new(&store, "REC#1"), exists(&store, "REC#missing")];
    let r = store.enqueue_in(&lost, Duration::ZERO, with).await;
    assert!(matches!(r, Ok(Err(1))), "{r:?}");
    assert!(!record_exists(&store, "REC#1").await, "nothing written");
    assert!(
        store
            .message_item(lost.id.as_str())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.lane("ch_a").await.unwrap().is_empty(),
        "no lane entry"
    );
    let stats = store.queue_stats(None, at(10)).await.expect("stats");
    assert_eq!(stats, QueueStats::default());

    // It holds: the items and the message are there, and the message is delivered.
    let kept = grouped_message(&acme, "ch_a", T0);
    let with = vec![put_new(&store, "REC#1")];
    let r = store.enqueue_in(&kept, Duration::ZERO, with).await;
    assert!(matches!(r, Ok(Ok(()))), "{r:?}");
    assert!(record_exists(&store, "REC#1").await);
    let got = store
        .receive(10, Duration::from_secs(30), at(10))
        .await
        .expect("receive");
    let ids: Vec<_> = got.iter().map(|r| r.message.id.clone()).collect();
    assert_eq!(ids, vec![kept.id.clone()], "only the committed message");

    // A duplicate message id is AlreadyExists, and the caller's items are not written.
    let with = vec![put_new(&store, "REC#2")];
    let r = store.enqueue_in(&kept, Duration::ZERO, with).await;
    assert!(matches!(r, Err(StoreError::AlreadyExists { .. })), "{r:?}");
    assert!(!record_exists(&store, "REC#2").await, "nothing written");
    assert_eq!(store.lane("ch_a").await.unwrap(), vec![kept.id.to_string()]);

    // The group's last ack takes its lane item with it: no lane per charge is left behind.
    assert!(store.ack(&kept.id, &got[0].receipt).await.expect("ack"));
    let lane = store
        .ddb
        .get_item()
        .table_name(&store.settings.table)
        .set_key(Some(super::lane_key("ch_a")))
        .consistent_read(true)
        .send()
        .await
        .expect("get the lane");
    assert_eq!(lane.item, None, "the empty lane is deleted");
}
