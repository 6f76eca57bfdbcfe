//! One sandbox fake served in-process, for an adapter's round trips against it: the fake on a
//! manual clock, mounted under `/{gateway}` on loopback as `payorch sandbox` mounts it, every
//! request recorded ([`Scripted::recording`]), and the webhooks it sends kept for the test to
//! run through the adapter's verify and parse.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use payorch::clock::{ManualClock, Timestamp};
use payorch::gateway::WebhookRequest;
use payorch::model::GatewayId;
use payorch::sandbox::{FakeGateway, OutboundWebhook, SandboxContext};
use payorch::secret::Secret;
use tokio::sync::mpsc::UnboundedReceiver;

use super::scripted::{Scripted, Seen};

/// A fake gateway on loopback; it stops with the test's runtime.
pub struct InProcessFake<F> {
    pub fake: Arc<F>,
    pub clock: Arc<ManualClock>,
    /// `http://127.0.0.1:PORT/{gateway}`: the adapter's base URL.
    pub base: String,
    server: Scripted,
    webhooks: UnboundedReceiver<(GatewayId, OutboundWebhook)>,
}

impl<F: FakeGateway> InProcessFake<F> {
    /// Starts the fake `new` builds, its clock at `now`.
    pub async fn start(now: Timestamp, new: impl FnOnce(SandboxContext) -> F) -> Self {
        payorch::gateway::http::install_crypto_provider();
        let clock = Arc::new(ManualClock::new(now));
        let (ctx, webhooks) = SandboxContext::new(clock.clone());
        let fake = Arc::new(new(ctx));
        let mount = format!("/{}", fake.id());
        let app = axum::Router::new().nest(&mount, fake.clone().router());
        let server = Scripted::recording(app).await;
        InProcessFake {
            base: format!("{}{mount}", server.base),
            fake,
            clock,
            server,
            webhooks,
        }
    }

    /// The test credential `name` the fake accepts (`secret_key`, `api_key`, …).
    pub fn credential(&self, name: &str) -> Option<Secret> {
        self.fake
            .credentials()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| Secret::new(v))
    }

    /// Every request the fake received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.server.seen()
    }

    /// The next webhook the fake sent, if any. The fakes queue a webhook before they answer the
    /// call that caused it, so it is here without waiting.
    pub fn next_webhook(&mut self) -> Option<Webhook> {
        let (gateway, webhook) = self.webhooks.try_recv().ok()?;
        assert_eq!(gateway, self.fake.id(), "a webhook of another gateway");
        let mut headers = HeaderMap::new();
        for (name, value) in &webhook.headers {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        Some(Webhook {
            headers,
            query: webhook.query,
            body: webhook.body,
        })
    }
}

/// A webhook a fake sent, as payorch's inbound endpoint would receive it.
pub struct Webhook {
    pub headers: HeaderMap,
    /// Without the `?` (Efí's `hmac=…`).
    pub query: Option<String>,
    pub body: Vec<u8>,
}

impl Webhook {
    /// What an adapter's `verify_webhook` / `parse_webhook` take, received at `now`.
    pub fn request(&self, now: Timestamp) -> WebhookRequest<'_> {
        WebhookRequest {
            headers: &self.headers,
            query: self.query.as_deref(),
            body: &self.body,
            now,
        }
    }

    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the webhook body is JSON")
    }
}
