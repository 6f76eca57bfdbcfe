//! Gateway webhooks into a running `payorch serve`: the real `serve --sandbox` in front of the
//! real `payorch sandbox`, for each of Stripe, Efí and Asaas. A Pix charge paid at the fake
//! becomes `succeeded` through the gateway's own signed webhook; redeliveries are no-ops; a bad
//! signature or secret is a 401 that stores nothing; malformed and huge bodies are refused; a
//! webhook for an unknown charge is recorded; a late older status does not move a charge back.

use crate::common;

use std::time::{Duration, Instant};

use payorch::clock::{Clock, SystemClock};
use payorch::model::TenantId;
use payorch::secret::Secret;
use payorch::store::sqlite::SqliteStore;
use payorch::store::{InboundStatus, InboundWebhook, InboundWebhookStore};
use serde_json::{Value, json};

use common::stack::ServeStack;

/// The shared stack (a sandbox and a serve on one fresh data dir, with an API key; both killed
/// on drop) with this test's calls.
struct Stack(ServeStack);

impl std::ops::Deref for Stack {
    type Target = ServeStack;
    fn deref(&self) -> &ServeStack {
        &self.0
    }
}

impl Stack {
    fn start() -> Stack {
        let mut stack = ServeStack::new("");
        // A fresh connection per request: the server closes one whose body it refused
        // unread (413), and a pooled connection reused after that could fail.
        stack.http = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        stack.start_serve();
        Stack(stack)
    }

    /// A Pix charge of R$ 19,90 pinned to `gateway`: (id, gateway reference).
    async fn pix_charge(&self, gateway: &str) -> (String, String) {
        self.pix_charge_of(gateway, 1990).await
    }

    async fn pix_charge_of(&self, gateway: &str, amount: i64) -> (String, String) {
        let body = json!({"amount": amount, "currency": "BRL", "method": "pix",
            "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
            "gateway": gateway});
        let resp = self
            .http
            .post(format!("{}/v1/charges", self.url()))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", format!("in-{}", payorch::id::new_ulid()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST /v1/charges");
        assert_eq!(resp.status().as_u16(), 201);
        let v: Value = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("json");
        assert_eq!(v["gateway"], gateway, "{v}");
        (
            v["id"].as_str().expect("id").to_string(),
            v["gateway_reference"]
                .as_str()
                .expect("reference")
                .to_string(),
        )
    }

    async fn charge(&self, id: &str) -> Value {
        let bytes = self
            .http
            .get(format!("{}/v1/charges/{id}", self.url()))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("GET")
            .bytes()
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("json")
    }

    /// Polls the charge until it has `status`; a hang guard, not a timing assertion.
    async fn wait_for(&self, id: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.charge(id).await;
            if v["status"] == status {
                return v;
            }
            assert!(Instant::now() < deadline, "never became {status}: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn refund(&self, id: &str, key: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/v1/charges/{id}/refunds", self.url()))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST refund");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.url()))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("text")
    }

    /// Polls `/metrics` until it contains `line`: the counter is bumped after the charge
    /// update and its event are written, so a charge can read as applied a moment before.
    async fn wait_for_metric(&self, line: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let metrics = self.metrics().await;
            if metrics.contains(line) || Instant::now() >= deadline {
                return metrics;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls the inbound records until one of `gw` is applied (its status is set after the
    /// charge update and its event are written); returns the records either way.
    async fn wait_for_applied(&self, gw: &str) -> Vec<InboundWebhook> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let inbound = self.inbound().await;
            let applied = inbound
                .iter()
                .any(|w| w.gateway.as_str() == gw && w.status == InboundStatus::Applied);
            if applied || Instant::now() >= deadline {
                return inbound;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The inbound records serve stored, read from its SQLite file.
    async fn inbound(&self) -> Vec<InboundWebhook> {
        let store = SqliteStore::open(&self.env.data_dir().join("payorch.db")).expect("store");
        store
            .list_inbound(&TenantId::default_tenant(), 1000)
            .await
            .expect("list")
    }

    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.url()))
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let resp = req.send().await.expect("POST webhook");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// How one gateway's webhooks are made by hand, the gateway's way.
trait Hooks {
    const NAME: &'static str;
    /// The path Efí and the others post to.
    fn path(&self) -> String {
        format!("/webhooks/default/{}", Self::NAME)
    }
    /// A body reporting `kind` (`paid` or `late`, an older open status) for a charge.
    fn body(&self, event_id: &str, charge: &str, reference: &str, late: bool) -> Vec<u8>;
    /// Authentic headers (and query, in the path) for `body`.
    fn auth(&self, body: &[u8]) -> (String, Vec<(&'static str, String)>);
    /// The same with a wrong secret.
    fn forged(&self, body: &[u8]) -> (String, Vec<(&'static str, String)>);
    /// Whether the gateway has an older open status to report late.
    fn has_late_status(&self) -> bool {
        true
    }
}

struct Stripe;
impl Stripe {
    fn sign(body: &[u8], secret: &str) -> String {
        let t = SystemClock.now().unix_seconds();
        let v1 =
            payorch::gateway::stripe::webhook_signature(&Secret::new(secret.to_string()), t, body);
        format!("t={t},v1={v1}")
    }
}
impl Hooks for Stripe {
    const NAME: &'static str = "stripe";
    fn body(&self, event_id: &str, charge: &str, reference: &str, late: bool) -> Vec<u8> {
        let (kind, status) = if late {
            ("payment_intent.requires_action", "requires_action")
        } else {
            ("payment_intent.succeeded", "succeeded")
        };
        json!({"id": event_id, "object": "event", "type": kind,
               "created": SystemClock.now().unix_seconds(),
               "data": {"object": {"id": reference, "object": "payment_intent", "status": status,
                        "amount": 1990, "currency": "brl",
                        "metadata": {"payorch_charge_id": charge}}}})
        .to_string()
        .into_bytes()
    }
    fn auth(&self, body: &[u8]) -> (String, Vec<(&'static str, String)>) {
        let secret = payorch::sandbox::stripe::SANDBOX_WEBHOOK_SECRET;
        (
            self.path(),
            vec![("stripe-signature", Self::sign(body, secret))],
        )
    }
    fn forged(&self, body: &[u8]) -> (String, Vec<(&'static str, String)>) {
        (
            self.path(),
            vec![("stripe-signature", Self::sign(body, "whsec_not_the_secret"))],
        )
    }
}

struct Efi;
impl Hooks for Efi {
    const NAME: &'static str = "efi";
    fn path(&self) -> String {
        "/webhooks/default/efi/pix".into()
    }
    fn body(&self, event_id: &str, _charge: &str, reference: &str, _late: bool) -> Vec<u8> {
        json!({"pix": [{"endToEndId": event_id, "txid": reference, "valor": "19.90",
                        "horario": "2024-01-01T12:00:00.000Z"}]})
        .to_string()
        .into_bytes()
    }
    fn auth(&self, _body: &[u8]) -> (String, Vec<(&'static str, String)>) {
        let hmac = payorch::sandbox::efi::WEBHOOK_HMAC;
        (format!("{}?hmac={hmac}", self.path()), vec![])
    }
    fn forged(&self, _body: &[u8]) -> (String, Vec<(&'static str, String)>) {
        (format!("{}?hmac=not-the-secret", self.path()), vec![])
    }
    /// Efí's Pix webhooks only report payments and devoluções.
    fn has_late_status(&self) -> bool {
        false
    }
}

struct Asaas;
impl Hooks for Asaas {
    const NAME: &'static str = "asaas";
    fn body(&self, event_id: &str, charge: &str, reference: &str, late: bool) -> Vec<u8> {
        let (event, status) = if late {
            ("PAYMENT_UPDATED", "PENDING")
        } else {
            ("PAYMENT_RECEIVED", "RECEIVED")
        };
        json!({"id": event_id, "event": event, "dateCreated": "2024-01-01 12:00:00",
               "payment": {"id": reference, "status": status, "value": 19.90,
                           "externalReference": charge}})
        .to_string()
        .into_bytes()
    }
    fn auth(&self, _body: &[u8]) -> (String, Vec<(&'static str, String)>) {
        let token = payorch::sandbox::asaas::SANDBOX_WEBHOOK_TOKEN;
        (self.path(), vec![("asaas-access-token", token.to_string())])
    }
    fn forged(&self, _body: &[u8]) -> (String, Vec<(&'static str, String)>) {
        (
            self.path(),
            vec![("asaas-access-token", "not-the-token".to_string())],
        )
    }
}

/// An event id of the gateway's shape, fresh.
fn event_id(gateway: &str) -> String {
    let ulid = payorch::id::new_ulid().to_string();
    match gateway {
        "efi" => format!("E00000000{}", &ulid[..23]),
        _ => format!("evt_{ulid}"),
    }
}

async fn the_whole_inbound_path<H: Hooks>(hooks: H) {
    let stack = Stack::start();
    let gw = H::NAME;
    stack.sandbox(&[
        "webhook",
        gw,
        &format!("{}/webhooks/default/{gw}", stack.url()),
    ]);

    // Paid at the fake: its own signed webhook makes the charge succeeded.
    let (id, reference) = stack.pix_charge(gw).await;
    stack.sandbox(&["pay", &reference]);
    let paid = stack.wait_for(&id, "succeeded").await;
    let applied = stack.wait_for_applied(gw).await;
    assert!(
        applied
            .iter()
            .any(|w| w.gateway.as_str() == gw && w.status == InboundStatus::Applied),
        "{applied:?}"
    );

    // A redelivered webhook: 200 both times, recorded once, nothing changes.
    let body = hooks.body(&event_id(gw), &id, &reference, false);
    let (path, headers) = hooks.auth(&body);
    let (status, first) = stack.post(&path, &headers, body.clone()).await;
    assert_eq!(status, 200, "{first}");
    let count = stack.inbound().await.len();
    let (status, again) = stack.post(&path, &headers, body.clone()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["received"][0]["result"], "duplicate", "{again}");
    assert_eq!(stack.inbound().await.len(), count);
    assert_eq!(stack.charge(&id).await, paid, "nothing changed");

    // A late older status after succeeded does not move it back.
    if hooks.has_late_status() {
        let late = hooks.body(&event_id(gw), &id, &reference, true);
        let (path, headers) = hooks.auth(&late);
        let (status, v) = stack.post(&path, &headers, late).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["received"][0]["result"], "ignored", "{v}");
        assert_eq!(stack.charge(&id).await["status"], "succeeded");
    }

    // Refunds through the API while the gateway's refund webhooks come in: each counted once.
    let before_refunds = stack.inbound().await.len();
    for (n, amount) in [(1, json!({"amount": 1000})), (2, json!({}))] {
        let (status, v) = stack.refund(&id, &format!("refund-{n}"), &amount).await;
        assert_eq!(status, 200, "{v}");
    }
    // Each gateway sends at least one webhook per refund; all are recorded. A refund the
    // gateway answered pending (Asaas) settles by its webhook.
    let deadline = Instant::now() + Duration::from_secs(30);
    while stack.inbound().await.len() < before_refunds + 2 {
        assert!(Instant::now() < deadline, "the refund webhooks never came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refunded = stack.wait_for(&id, "refunded").await;
    assert_eq!(refunded["amount_refunded"], 1990, "{refunded}");
    assert_eq!(refunded["refunds"].as_array().map(Vec::len), Some(2));

    // A wrong signature or secret: 401, nothing stored.
    let count = stack.inbound().await.len();
    let forged = hooks.body(&event_id(gw), &id, &reference, false);
    let (path, headers) = hooks.forged(&forged);
    let (status, v) = stack.post(&path, &headers, forged.clone()).await;
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["error"]["code"], "webhook_unauthenticated", "{v}");
    // No credentials at all: the same.
    let (status, _) = stack.post(&hooks.path(), &[], forged).await;
    assert_eq!(status, 401);
    assert_eq!(stack.inbound().await.len(), count, "nothing stored");

    // Authentic but malformed: 400, nothing stored.
    let junk = b"{\"not\": json".to_vec();
    let (path, headers) = hooks.auth(&junk);
    let (status, v) = stack.post(&path, &headers, junk).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "webhook_malformed", "{v}");
    // Larger than the API's body limit but within the webhook limit: read (and malformed).
    let big = vec![b' '; 100 * 1024];
    let (path, headers) = hooks.auth(&big);
    let (status, v) = stack.post(&path, &headers, big).await;
    assert_eq!(status, 400, "{v}");
    // Huge: 413.
    let huge = vec![b' '; 300 * 1024];
    let (path, headers) = hooks.auth(&huge);
    let (status, v) = stack.post(&path, &headers, huge).await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(stack.inbound().await.len(), count, "nothing stored");

    // A webhook for a charge payorch never made: 200, recorded as such.
    let ghost = payorch::id::ChargeId::generate();
    let ghost_ref = match gw {
        "efi" => payorch::gateway::efi::wire::txid_for(&ghost),
        "stripe" => "pi_3NotOursAtAll0000".to_string(),
        _ => "pay_notours000000".to_string(),
    };
    let eid = event_id(gw);
    let body = hooks.body(&eid, ghost.as_str(), &ghost_ref, false);
    let (path, headers) = hooks.auth(&body);
    let (status, v) = stack.post(&path, &headers, body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["received"][0]["result"], "unknown_charge", "{v}");
    let recorded = stack.inbound().await;
    let ghost_record = recorded
        .iter()
        .find(|w| w.gateway_event_id == eid)
        .expect("the unknown charge's webhook is recorded");
    assert_eq!(ghost_record.status, InboundStatus::UnknownCharge);

    // Operators see what webhooks did.
    let metrics = stack.metrics().await;
    for result in ["applied", "duplicate", "unknown_charge"] {
        let line =
            format!("payorch_gateway_webhooks_total{{gateway=\"{gw}\",result=\"{result}\"}}");
        assert!(metrics.contains(&line), "{line} missing from:\n{metrics}");
    }

    // Unknown tenant or gateway: 404.
    let (status, _) = stack
        .post(&format!("/webhooks/nobody/{gw}"), &[], b"{}".to_vec())
        .await;
    assert_eq!(status, 404);
    let (status, _) = stack
        .post("/webhooks/default/paypal", &[], b"{}".to_vec())
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_webhooks_drive_charges() {
    the_whole_inbound_path(Stripe).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn efi_webhooks_drive_charges() {
    the_whole_inbound_path(Efi).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asaas_webhooks_drive_charges() {
    the_whole_inbound_path(Asaas).await;
}

/// Efí's homologation rule: a Pix of R$ 0,01–10,00 is paid at once, so its webhook can arrive
/// while payorch is still creating the charge. That early delivery is answered 503 and the
/// gateway's redelivery applies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_that_races_the_create_is_applied_on_redelivery() {
    let stack = Stack::start();
    stack.sandbox(&[
        "webhook",
        "efi",
        &format!("{}/webhooks/default/efi", stack.url()),
    ]);
    for _ in 0..3 {
        let (id, _) = stack.pix_charge_of("efi", 500).await;
        stack.wait_for(&id, "succeeded").await;
    }
    // Each payment applied exactly once (however many deliveries it took).
    let applied = "payorch_gateway_webhooks_total{gateway=\"efi\",result=\"applied\"} 3";
    let metrics = stack.wait_for_metric(applied).await;
    assert!(metrics.contains(applied), "{metrics}");
}
