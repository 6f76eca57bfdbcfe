//! The outbound delivery worker against a local merchant receiver (axum) that verifies the
//! Standard Webhooks signature. Time is a ManualClock and the worker is driven with
//! `deliver_once`, so retry schedules run without sleeping. `order.rs`: the order one charge's
//! events reach the merchant in; `batch.rs`: a batch's acks, made together after its POSTs.

mod batch;
mod order;
mod targets;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use payorch::clock::{Clock, ManualClock, Timestamp};
use payorch::datakey::{DataKey, DataKeys};
use payorch::egress::TargetPolicy;
use payorch::id::{ChargeId, EventId, MessageId};
use payorch::model::TenantId;
use payorch::secret::Secret;
use payorch::store::sqlite::SqliteStore;
use payorch::store::{QueueMessage, Store};
use payorch::webhook::endpoint;
use payorch::webhook::outbound::{Deliverer, DeliveryLog, DeliveryReport, DeliverySettings};
use payorch::webhook::signing::{self, DEFAULT_TOLERANCE, Delivery};

/// The merchant: verifies every delivery, answers with the configured status.
struct Merchant {
    clock: Arc<ManualClock>,
    secrets: Mutex<Vec<Secret>>,
    answer: Mutex<(u16, Option<&'static str>)>,
    /// (webhook-id, body) of every verified delivery, whatever the answer.
    seen: Mutex<Vec<(String, String)>>,
    bad_signatures: Mutex<u32>,
    /// How long the merchant thinks before answering.
    delay: Mutex<Duration>,
    /// Per charge: deliveries in progress now, and the most there ever were at once.
    in_flight: Mutex<HashMap<String, (u32, u32)>>,
    /// While set, each delivery (once noted in `seen`) waits for a permit before answering.
    gate: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
}

/// The charge an event body is about (`data.charge.id`).
fn charge_of(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    v["data"]["charge"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn receive(State(m): State<Arc<Merchant>>, headers: HeaderMap, body: Bytes) -> Response {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let secrets = m.secrets.lock().unwrap().clone();
    let refs: Vec<&Secret> = secrets.iter().collect();
    let delivery = Delivery {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body: &body,
    };
    if signing::verify(&refs, delivery, m.clock.now(), DEFAULT_TOLERANCE).is_err() {
        *m.bad_signatures.lock().unwrap() += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    m.seen.lock().unwrap().push((
        h("webhook-id").unwrap_or_default().to_string(),
        String::from_utf8_lossy(&body).into_owned(),
    ));
    let charge = charge_of(&body);
    {
        let mut in_flight = m.in_flight.lock().unwrap();
        let (now, max) = in_flight.entry(charge.clone()).or_default();
        *now += 1;
        *max = (*max).max(*now);
    }
    let delay = *m.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let gate = m.gate.lock().unwrap().clone();
    if let Some(gate) = gate {
        gate.acquire().await.unwrap().forget();
    }
    if let Some((now, _)) = m.in_flight.lock().unwrap().get_mut(&charge) {
        *now -= 1;
    }
    let (status, retry_after) = *m.answer.lock().unwrap();
    let mut response = (StatusCode::from_u16(status).unwrap(), "merchant says").into_response();
    if let Some(ra) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static(ra));
    }
    response
}

/// A URL on a port nobody listens on: connections are refused.
fn closed_url() -> String {
    format!("{}/hooks", crate::common::refused_base())
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    merchant: Arc<Merchant>,
    url: String,
    tenant: TenantId,
    deliverer: Deliverer,
    /// The data key of this fixture, in memory: tests never touch the OS keyring here.
    keys: Arc<DataKeys>,
}

fn settings(schedule: &[u64]) -> DeliverySettings {
    DeliverySettings {
        retry_schedule: schedule.iter().map(|s| Duration::from_secs(*s)).collect(),
        attempt_timeout: Duration::from_secs(5),
        // The merchant listens on loopback, over plain http.
        targets: TargetPolicy::ALLOW_PRIVATE,
        ..DeliverySettings::default()
    }
}

async fn fixture(settings: DeliverySettings) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::open(&dir.path().join("payorch.db")).unwrap());
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(
        1_790_000_000_000,
    )));
    let merchant = Arc::new(Merchant {
        clock: clock.clone(),
        secrets: Mutex::new(Vec::new()),
        answer: Mutex::new((200, None)),
        seen: Mutex::new(Vec::new()),
        bad_signatures: Mutex::new(0),
        delay: Mutex::new(Duration::ZERO),
        in_flight: Mutex::new(HashMap::new()),
        gate: Mutex::new(None),
    });
    let app = Router::new()
        .route("/hooks", post(receive))
        .with_state(merchant.clone());
    let url = format!("http://{}/hooks", crate::common::scripted::serve(app).await);
    let tenant = TenantId::default_tenant();
    let keys = Arc::new(DataKeys::in_memory(vec![DataKey::generate().unwrap()]));
    let deliverer = Deliverer::new(store.clone(), clock.clone(), settings, keys.clone()).unwrap();
    Fixture {
        _dir: dir,
        store,
        clock,
        merchant,
        url,
        tenant,
        deliverer,
        keys,
    }
}

impl Fixture {
    /// Points the tenant's endpoint at `url` and tells the merchant its secret.
    async fn set_endpoint(&self, url: &str) {
        let (e, _) = endpoint::set(
            self.store.as_ref(),
            &self.keys,
            &self.tenant,
            url,
            TargetPolicy::ALLOW_PRIVATE,
            self.clock.now(),
        )
        .await
        .unwrap();
        *self.merchant.secrets.lock().unwrap() = vec![e.secret];
    }

    /// Enqueues an event of a charge of its own, as the orchestrator does; returns (message
    /// id, event id).
    async fn enqueue(&self) -> (MessageId, String) {
        let charge = ChargeId::generate().to_string();
        self.enqueue_event(&charge, "charge.succeeded").await
    }

    /// Enqueues the event `kind` of charge `charge`, as the orchestrator does (in the charge's
    /// message group).
    async fn enqueue_event(&self, charge: &str, kind: &str) -> (MessageId, String) {
        let event_id = EventId::generate().to_string();
        let body = serde_json::json!({
            "id": event_id,
            "type": kind,
            "tenant": self.tenant,
            "created_at": self.clock.now(),
            "data": {"charge": {"id": charge, "amount": 1050}},
        })
        .to_string();
        let message = QueueMessage {
            id: MessageId::generate(),
            tenant: self.tenant.clone(),
            body,
            enqueued_at: self.clock.now(),
            group: Some(charge.to_string()),
        };
        self.store.enqueue(&message, Duration::ZERO).await.unwrap();
        (message.id, event_id)
    }

    async fn once(&self) -> DeliveryReport {
        self.deliverer.deliver_once().await.unwrap()
    }

    fn answer(&self, status: u16, retry_after: Option<&'static str>) {
        *self.merchant.answer.lock().unwrap() = (status, retry_after);
    }

    fn seen(&self) -> Vec<(String, String)> {
        self.merchant.seen.lock().unwrap().clone()
    }

    fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }
}

#[tokio::test]
async fn a_2xx_acks_the_event_signed_with_its_event_id() {
    let f = fixture(settings(&[5])).await;
    f.set_endpoint(&f.url).await;
    let (_, event_id) = f.enqueue().await;
    let r = f.once().await;
    assert_eq!((r.received, r.delivered), (1, 1), "{r:?}");
    let seen = f.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, event_id, "webhook-id is the event id");
    assert!(seen[0].1.contains("charge.succeeded"));
    let stats = f.store.queue_stats(None, f.clock.now()).await.unwrap();
    assert_eq!((stats.ready, stats.delayed, stats.dead), (0, 0, 0));
    assert_eq!(*f.merchant.bad_signatures.lock().unwrap(), 0);
}

#[tokio::test]
async fn failures_follow_the_schedule_then_the_dlq_then_replay_delivers() {
    let f = fixture(settings(&[5, 300])).await;
    f.set_endpoint(&f.url).await;
    f.answer(500, None);
    let (msg, event_id) = f.enqueue().await;

    assert_eq!(f.once().await.retried, 1);
    // Hidden until the first retry's wait (5 s ± 20%) has passed.
    f.advance(3);
    assert_eq!(f.once().await.received, 0);
    f.advance(4);
    assert_eq!(f.once().await.retried, 1);
    f.advance(200);
    assert_eq!(f.once().await.received, 0);
    f.advance(200);
    assert_eq!(f.once().await.dead, 1, "three attempts, then the DLQ");

    let dead = f.store.get_dead(&msg).await.unwrap().expect("dead letter");
    let log = DeliveryLog::decode(&dead.last_error);
    assert_eq!(log.failures, 3);
    assert_eq!(log.attempts.len(), 3);
    assert!(log.attempts.iter().all(|a| a.status == Some(500)));
    assert!(log.last_error.starts_with("HTTP 500"), "{}", log.last_error);
    // Every retry carried the same webhook-id.
    assert!(f.seen().iter().all(|(id, _)| *id == event_id));
    assert_eq!(f.seen().len(), 3);

    f.answer(204, None);
    f.store.replay_dead(&msg, f.clock.now()).await.unwrap();
    let r = f.once().await;
    assert_eq!(r.delivered, 1, "{r:?}");
    let stats = f.store.queue_stats(None, f.clock.now()).await.unwrap();
    assert_eq!((stats.ready, stats.delayed, stats.dead), (0, 0, 0));
}

#[tokio::test]
async fn connection_refused_is_retried_then_dead_then_delivered_once_the_receiver_is_up() {
    let f = fixture(settings(&[1])).await;
    f.set_endpoint(&closed_url()).await;
    let (msg, _) = f.enqueue().await;
    assert_eq!(f.once().await.retried, 1);
    f.advance(2);
    assert_eq!(f.once().await.dead, 1);
    let dead = f.store.get_dead(&msg).await.unwrap().unwrap();
    let log = DeliveryLog::decode(&dead.last_error);
    assert!(
        log.last_error.contains("cannot connect"),
        "{}",
        log.last_error
    );
    assert_eq!(log.attempts[0].status, None);

    f.set_endpoint(&f.url).await;
    f.store.replay_dead(&msg, f.clock.now()).await.unwrap();
    assert_eq!(f.once().await.delivered, 1);
    assert_eq!(f.seen().len(), 1);
}

#[tokio::test]
async fn retry_after_and_429_push_the_retry_back() {
    let f = fixture(settings(&[5, 5])).await;
    f.set_endpoint(&f.url).await;
    f.answer(503, Some("120"));
    f.enqueue().await;
    assert_eq!(f.once().await.retried, 1);
    f.advance(10);
    assert_eq!(
        f.once().await.received,
        0,
        "Retry-After: 120 beats the 5 s schedule"
    );
    f.advance(111);
    f.answer(429, None);
    assert_eq!(f.once().await.retried, 1);
    f.advance(30);
    assert_eq!(
        f.once().await.received,
        0,
        "a 429 backs off at least a minute"
    );
    f.advance(31);
    f.answer(200, None);
    assert_eq!(f.once().await.delivered, 1);
}

#[tokio::test]
async fn a_timeout_is_retried_no_sooner_than_a_minute_later() {
    let f = fixture(DeliverySettings {
        attempt_timeout: Duration::from_millis(300),
        ..settings(&[5])
    })
    .await;
    f.set_endpoint(&f.url).await;
    *f.merchant.delay.lock().unwrap() = Duration::from_secs(3);
    let (msg, _) = f.enqueue().await;
    assert_eq!(f.once().await.retried, 1);
    f.advance(30);
    assert_eq!(
        f.once().await.received,
        0,
        "a timeout backs off at least a minute"
    );
    *f.merchant.delay.lock().unwrap() = Duration::ZERO;
    f.advance(31);
    assert_eq!(f.once().await.delivered, 1);
    assert!(f.store.get_dead(&msg).await.unwrap().is_none());
}

#[tokio::test]
async fn gone_disables_the_endpoint_and_keeps_the_event_until_it_is_enabled() {
    let f = fixture(settings(&[5])).await;
    f.set_endpoint(&f.url).await;
    f.answer(410, None);
    let (msg, _) = f.enqueue().await;
    assert_eq!(f.once().await.held, 1);
    let (e, _) = endpoint::get(f.store.as_ref(), &f.keys, &f.tenant)
        .await
        .unwrap()
        .unwrap();
    assert!(!e.enabled);
    assert!(e.disabled_reason.unwrap().contains("410"));

    // Far past the whole schedule: still kept, not posted, not dead.
    for _ in 0..5 {
        f.advance(3600);
        assert_eq!(f.once().await.held, 1);
    }
    assert_eq!(f.seen().len(), 1);
    assert!(f.store.get_dead(&msg).await.unwrap().is_none());

    f.answer(200, None);
    endpoint::enable(f.store.as_ref(), &f.keys, &f.tenant, f.clock.now())
        .await
        .unwrap();
    f.advance(61);
    assert_eq!(f.once().await.delivered, 1);
}

#[tokio::test]
async fn no_endpoint_keeps_the_event() {
    let f = fixture(settings(&[])).await;
    let (msg, _) = f.enqueue().await;
    for _ in 0..3 {
        assert_eq!(f.once().await.held, 1);
        f.advance(61);
    }
    assert!(f.store.get_dead(&msg).await.unwrap().is_none());
    f.set_endpoint(&f.url).await;
    assert_eq!(f.once().await.delivered, 1);
}

#[tokio::test]
async fn after_a_rotation_both_old_and_new_secrets_verify() {
    let f = fixture(settings(&[5])).await;
    f.set_endpoint(&f.url).await;
    // The merchant still knows only the old secret.
    let rotated = endpoint::rotate_secret(
        f.store.as_ref(),
        &f.keys,
        &f.tenant,
        Duration::from_secs(3600),
        f.clock.now(),
    )
    .await
    .unwrap();
    f.enqueue().await;
    assert_eq!(f.once().await.delivered, 1);
    // Then only the new one.
    *f.merchant.secrets.lock().unwrap() = vec![rotated.secret];
    f.enqueue().await;
    assert_eq!(f.once().await.delivered, 1);
    // After the overlap, a merchant with only the old secret rejects deliveries.
    *f.merchant.secrets.lock().unwrap() = vec![rotated.previous_secret.unwrap()];
    f.advance(3601);
    f.enqueue().await;
    assert_eq!(f.once().await.retried, 1);
    assert_eq!(*f.merchant.bad_signatures.lock().unwrap(), 1);
}

#[tokio::test]
async fn two_deliverers_never_deliver_the_same_attempt_twice() {
    let f = fixture(settings(&[5])).await;
    f.set_endpoint(&f.url).await;
    for _ in 0..20 {
        f.enqueue().await;
    }
    let other = Deliverer::new(
        f.store.clone(),
        f.clock.clone(),
        settings(&[5]),
        f.keys.clone(),
    )
    .unwrap();
    let (a, b) = tokio::join!(f.deliverer.deliver_once(), other.deliver_once());
    let (a, b) = (a.unwrap(), b.unwrap());
    let (a2, b2) = tokio::join!(f.deliverer.deliver_once(), other.deliver_once());
    let total = a.delivered + b.delivered + a2.unwrap().delivered + b2.unwrap().delivered;
    assert_eq!(total, 20);
    let mut ids: Vec<String> = f.seen().into_iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "each event delivered exactly once");
}

#[tokio::test]
async fn the_spawned_worker_delivers_and_stops_when_dropped() {
    let f = fixture(settings(&[5])).await;
    f.set_endpoint(&f.url).await;
    let s = DeliverySettings {
        poll_interval: Duration::from_millis(20),
        ..settings(&[5])
    };
    let worker = payorch::webhook::outbound::spawn_delivery_worker(
        f.store.clone(),
        f.clock.clone(),
        s,
        f.keys.clone(),
    );
    f.enqueue().await;
    for _ in 0..250 {
        if !f.seen().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(f.seen().len(), 1);
    worker.shutdown().await;
    f.enqueue().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(f.seen().len(), 1, "a stopped worker delivers nothing");
}
