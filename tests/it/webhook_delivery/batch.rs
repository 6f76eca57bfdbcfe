//! A batch's deliveries are acknowledged together once its POSTs are answered (one
//! `ack_many`): every 2xx of the batch is acknowledged, a receipt that went stale meanwhile
//! acknowledges nothing (another receiver has the message and delivers it: at least once), and
//! the batch size is the worker's setting.

use std::sync::Arc;
use std::time::Duration;

use payorch::clock::Clock;
use payorch::config::WebhooksConfig;
use payorch::webhook::outbound::{Deliverer, DeliverySettings};

use super::{fixture, settings};

#[tokio::test]
async fn a_batch_acknowledges_every_2xx_and_takes_the_configured_size() {
    let f = fixture(DeliverySettings {
        batch_size: 7,
        ..settings(&[5])
    })
    .await;
    f.set_endpoint(&f.url).await;
    for _ in 0..10 {
        f.enqueue().await;
    }
    let r = f.once().await;
    assert_eq!(
        (r.received, r.delivered, r.lost_receipt),
        (7, 7, 0),
        "{r:?}"
    );
    let r = f.once().await;
    assert_eq!((r.received, r.delivered), (3, 3), "{r:?}");
    let stats = f.store.queue_stats(None, f.clock.now()).await.unwrap();
    assert_eq!((stats.ready, stats.delayed), (0, 0), "all acknowledged");
    assert_eq!(f.seen().len(), 10, "each POSTed once");

    let from_config = DeliverySettings::from_config(&WebhooksConfig {
        batch_size: 300,
        concurrency: 6,
        ..WebhooksConfig::default()
    });
    assert_eq!((from_config.batch_size, from_config.concurrency), (300, 6));
}

#[tokio::test]
async fn receipts_that_went_stale_during_the_posts_acknowledge_nothing() {
    let f = fixture(settings(&[5])).await;
    f.set_endpoint(&f.url).await;
    for _ in 0..3 {
        f.enqueue().await;
    }
    // The merchant holds the first worker's three POSTs unanswered.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    *f.merchant.gate.lock().unwrap() = Some(gate.clone());
    let first = Deliverer::new(
        f.store.clone(),
        f.clock.clone(),
        settings(&[5]),
        f.keys.clone(),
    )
    .unwrap();
    let slow = tokio::spawn(async move { first.deliver_once().await.unwrap() });
    for _ in 0..1000 {
        if f.seen().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(f.seen().len(), 3, "the first worker's POSTs arrived");

    // Past the visibility timeout, another worker receives and delivers all three.
    f.advance(3600);
    *f.merchant.gate.lock().unwrap() = None;
    let r = f.once().await;
    assert_eq!((r.received, r.delivered), (3, 3), "{r:?}");

    gate.add_permits(3);
    let r = slow.await.unwrap();
    assert_eq!(
        (r.received, r.delivered, r.lost_receipt),
        (3, 0, 3),
        "stale receipts acknowledge nothing: {r:?}"
    );
    let stats = f.store.queue_stats(None, f.clock.now()).await.unwrap();
    assert_eq!((stats.ready, stats.delayed, stats.dead), (0, 0, 0));
    let mut ids: Vec<String> = f.seen().into_iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        ids.len(),
        3,
        "three events, each delivered twice (at least once)"
    );
}
