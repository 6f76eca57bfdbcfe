//! The order one charge's events reach the merchant in (the events of a charge form one
//! message group of the delivery queue): after an outage of the merchant's endpoint (none set,
//! disabled by a 410, down), and after a dead letter of the charge and its replay. The
//! merchant notes each delivery as it arrives and how many of one charge overlap.

use std::sync::Arc;
use std::time::Duration;

use payorch::clock::Clock;
use payorch::config::Config;
use payorch::gateway::GatewayEvent;
use payorch::gateway::registry::Gateways;
use payorch::model::{ChargeStatus, GatewayId};
use payorch::orchestrator::{Applied, SharedGateways};
use payorch::runtime::Core;
use payorch::store::conformance::sample_charge;
use payorch::webhook::endpoint;

use super::{Fixture, charge_of, closed_url, fixture, settings};

impl Fixture {
    /// The types of `charge`'s events in the order they reached the merchant.
    fn arrived(&self, charge: &str) -> Vec<String> {
        self.seen()
            .into_iter()
            .filter(|(_, body)| charge_of(body.as_bytes()) == charge)
            .map(|(_, body)| {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                v["type"].as_str().unwrap().to_string()
            })
            .collect()
    }

    /// The most deliveries of `charge` the merchant ever had in progress at once.
    fn most_at_once(&self, charge: &str) -> u32 {
        let in_flight = self.merchant.in_flight.lock().unwrap();
        in_flight.get(charge).map_or(0, |(_, max)| *max)
    }

    /// Delivers until nothing is ready, moving time past any hold or retry wait between
    /// rounds; returns what was delivered.
    async fn drain(&self) -> u32 {
        let mut delivered = 0;
        for _ in 0..50 {
            let r = self.once().await;
            delivered += r.delivered;
            if r.received == 0 {
                let stats = self
                    .store
                    .queue_stats(None, self.clock.now())
                    .await
                    .unwrap();
                if stats.delayed == 0 {
                    return delivered;
                }
                self.advance(3600);
            }
        }
        panic!("the queue did not drain");
    }
}

/// The report: a charge partially refunded, then refunded, while the merchant's endpoint
/// could not take them; when it is back, the backlog must reach it in that order, one at a
/// time (a receiver applying them concurrently could still apply them out of order).
const HISTORY: [&str; 3] = [
    "charge.succeeded",
    "charge.partially_refunded",
    "charge.refunded",
];

/// How the merchant's endpoint was unusable while the backlog built up.
#[derive(Clone, Copy, Debug)]
enum Outage {
    /// No endpoint yet: `payorch webhook endpoint set` ends it.
    NoEndpoint,
    /// It answered 410 Gone, which disabled it: `webhook endpoint enable` ends it.
    Gone,
    /// Nothing listened (connection refused, retried on the schedule): it comes back.
    Down,
}

#[tokio::test]
async fn a_charge_s_backlog_reaches_the_merchant_in_order_after_an_outage() {
    for outage in [Outage::NoEndpoint, Outage::Gone, Outage::Down] {
        let f = fixture(settings(&[5, 300, 1800])).await;
        let closed = closed_url();
        match outage {
            Outage::NoEndpoint => {}
            Outage::Gone => {
                f.set_endpoint(&f.url).await;
                f.answer(410, None);
            }
            Outage::Down => f.set_endpoint(&closed).await,
        }
        // The events happen a few seconds apart while deliveries fail or are held; another
        // charge's events are interleaved with them.
        for kind in HISTORY {
            f.enqueue_event("ch_a", kind).await;
            f.enqueue_event("ch_b", kind).await;
            f.once().await;
            f.advance(4);
            f.once().await;
        }
        f.answer(200, None);
        match outage {
            Outage::NoEndpoint | Outage::Down => f.set_endpoint(&f.url).await,
            Outage::Gone => {
                endpoint::enable(f.store.as_ref(), &f.keys, &f.tenant, f.clock.now())
                    .await
                    .unwrap();
            }
        }
        // The merchant takes its time, so deliveries that overlap would show.
        *f.merchant.delay.lock().unwrap() = Duration::from_millis(50);
        f.advance(3600);
        f.drain().await;
        for charge in ["ch_a", "ch_b"] {
            let arrived = f.arrived(charge);
            // A 410 counts the first event's refused attempt as an arrival: skip it.
            let arrived = &arrived[arrived.len() - HISTORY.len()..];
            assert_eq!(
                arrived, HISTORY,
                "{outage:?}: {charge} in the order it happened"
            );
            assert_eq!(
                f.most_at_once(charge),
                1,
                "{outage:?}: one delivery of {charge} at a time"
            );
        }
    }
}

#[tokio::test]
async fn a_dead_letter_holds_its_charge_s_newer_events_until_it_is_replayed() {
    let f = fixture(settings(&[1])).await;
    f.set_endpoint(&closed_url()).await;
    let (first, _) = f.enqueue_event("ch_a", HISTORY[1]).await;
    assert_eq!(f.once().await.retried, 1);
    f.enqueue_event("ch_a", HISTORY[2]).await;
    f.advance(2);
    let r = f.once().await;
    assert_eq!(
        (r.received, r.dead),
        (1, 1),
        "only the first was tried: {r:?}"
    );

    // The endpoint is back: other charges flow, ch_a's refund waits behind its dead letter.
    f.set_endpoint(&f.url).await;
    f.enqueue_event("ch_b", HISTORY[0]).await;
    assert_eq!(f.drain().await, 1);
    assert!(f.arrived("ch_a").is_empty(), "{:?}", f.arrived("ch_a"));

    f.store.replay_dead(&first, f.clock.now()).await.unwrap();
    assert_eq!(f.drain().await, 2);
    assert_eq!(
        f.arrived("ch_a"),
        &HISTORY[1..],
        "the replay first, then the rest"
    );
}

/// A gateway's refund news about `charge`, as its adapter parses it.
fn refund_news(charge: &payorch::id::ChargeId, status: ChargeStatus, amount: i64) -> GatewayEvent {
    GatewayEvent {
        event_id: format!("evt_{}", payorch::id::new_ulid()),
        kind: "refund.updated".into(),
        reference: String::new(),
        charge_id: Some(charge.clone()),
        status: Some(status),
        amount_refunded: Some(amount),
        payment_reference: None,
        occurred_at: None,
        refunds: Vec::new(),
        fee: None,
    }
}

/// The report end to end: the orchestrator applies a partial and then a full refund while the
/// tenant has no endpoint; after `webhook endpoint set` the events arrive in that order.
#[tokio::test]
async fn refunds_applied_before_the_endpoint_was_set_arrive_in_order() {
    let f = fixture(settings(&[5])).await;
    let core = Core::assemble(
        Config::default(),
        f.store.clone(),
        Arc::new(SharedGateways(Arc::new(Gateways::default()))),
        f.clock.clone(),
    )
    .unwrap();
    let mut charge = sample_charge(&f.tenant, f.clock.now());
    charge.apply_status(ChargeStatus::Succeeded, charge.updated_at);
    f.store.create_charge(&charge).await.unwrap();
    for (status, amount) in [
        (ChargeStatus::PartiallyRefunded, 500),
        (ChargeStatus::Refunded, 1990),
    ] {
        let news = refund_news(&charge.id, status, amount);
        let applied = core
            .orchestrator
            .apply_gateway_event(&f.tenant, GatewayId::Efi, &news)
            .await
            .unwrap();
        assert_eq!(applied, Applied::Applied(status));
        f.once().await;
        f.advance(61);
    }
    f.set_endpoint(&f.url).await;
    *f.merchant.delay.lock().unwrap() = Duration::from_millis(50);
    f.advance(61);
    assert_eq!(f.drain().await, 2);
    let id = charge.id.to_string();
    assert_eq!(f.arrived(&id), &HISTORY[1..]);
    assert_eq!(f.most_at_once(&id), 1);
}
