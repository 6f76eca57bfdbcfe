//! `payorch sandbox`: local, wire-compatible fakes of Stripe, Efí and Asaas, with a control API
//! to make a gateway fail and to "pay" pending charges (which sends the gateway's own webhook).
//!
//! Each fake lives in its own file and implements [`FakeGateway`]; the server (`server/`)
//! mounts them under `/stripe`, `/efi`, `/asaas`, applies the fault mode in front of them,
//! serves the control API under `/_sandbox/`, and delivers the webhooks fakes hand it. Nothing
//! in the core knows it talks to a sandbox: adapters only get a different base URL.

pub mod asaas;
pub mod bounded;
pub mod efi;
pub mod server;
pub mod stripe;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::model::GatewayId;

/// How a fake gateway behaves, set with `payorch sandbox mode`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FaultMode {
    /// Answers normally.
    Up,
    /// Connections are refused; with `status`, every request is answered with that status.
    Down { status: Option<u16> },
    /// Answers normally after an added delay.
    Slow { latency_ms: u64 },
    /// A share (`error_rate`, 0.0–1.0) of requests is answered with `status`.
    Flaky { error_rate: f64, status: u16 },
    /// Processes each request at once, then holds its answer for `latency_ms`: a client that
    /// gives up first never learns what the gateway did (the request took effect; `slow`, by
    /// contrast, lets it take effect only after the delay).
    Lost { latency_ms: u64 },
}

/// The requests a fault applies to: one method and a path, exact or, ending in `*`, a prefix
/// (`POST /v3/payments`, `PUT /v2/cob/*`). Paths are the gateway's own, without the sandbox's
/// `/{gateway}` prefix. Requests outside it are answered normally, so a test can make only the
/// create ambiguous while the lookup and the cancel that follow it still work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestScope {
    method: String,
    path: String,
    prefix: bool,
}

impl RequestScope {
    /// Whether a request with `method` and `path` is in scope.
    pub fn covers(&self, method: &str, path: &str) -> bool {
        method.eq_ignore_ascii_case(&self.method)
            && if self.prefix {
                path.starts_with(&self.path)
            } else {
                path == self.path
            }
    }
}

impl std::str::FromStr for RequestScope {
    type Err = String;
    fn from_str(s: &str) -> Result<RequestScope, String> {
        let bad = |why: &str| {
            format!(
                "`{s}` is not a request scope: {why} (e.g. \"POST /v3/payments\" or \"PUT /v2/cob/*\")"
            )
        };
        let (method, path) = s
            .trim()
            .split_once(' ')
            .ok_or_else(|| bad("expected METHOD PATH"))?;
        let path = path.trim();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(bad("the method is not an HTTP method"));
        }
        if !path.starts_with('/') || path.contains(char::is_whitespace) || path.contains('?') {
            return Err(bad(
                "the path must start with / and hold no spaces or query",
            ));
        }
        let (path, prefix) = match path.strip_suffix('*') {
            Some(p) => (p, true),
            None => (path, false),
        };
        if path.contains('*') {
            return Err(bad("`*` may only end the path"));
        }
        Ok(RequestScope {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            prefix,
        })
    }
}

impl std::fmt::Display for RequestScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let star = if self.prefix { "*" } else { "" };
        write!(f, "{} {}{star}", self.method, self.path)
    }
}

impl Serialize for RequestScope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RequestScope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RequestScope, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A webhook a fake wants sent to the URL registered for its gateway, already signed or
/// authenticated the gateway's way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundWebhook {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Query parameters appended to the registered URL (Efí's `hmac=…`), without `?`.
    pub query: Option<String>,
    /// Where to send it instead of the registered URL: a charge's own notification URL (Efí's
    /// payment links, `metadata.notification_url`).
    pub url: Option<reqwest::Url>,
}

/// Why a control request failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SandboxError {
    #[error("{0}")]
    NotFound(String),
    /// The charge is not in a state that allows it (e.g. paying a paid charge).
    #[error("{0}")]
    Conflict(String),
}

/// What every fake shares: the clock and the way to send webhooks.
#[derive(Clone)]
pub struct SandboxContext {
    pub clock: Arc<dyn Clock>,
    /// How long the Asaas fake keeps a refund `PENDING` before it settles it (`DONE`, with its
    /// webhook); [`asaas::REFUND_SETTLES_AFTER`] unless changed. Zero: settled right after the
    /// refund is answered (still answered `PENDING`), before the answer is sent.
    pub asaas_refund_delay: std::time::Duration,
    /// How many objects of each kind (intents, charges, refunds, customers, cobs…) a fake
    /// keeps at most (`payorch sandbox --max-objects`); see [`bounded`] for what is evicted.
    /// [`bounded::DEFAULT_MAX_OBJECTS`] unless changed.
    pub max_objects: usize,
    webhooks: mpsc::UnboundedSender<(GatewayId, OutboundWebhook)>,
}

impl SandboxContext {
    /// A context and the receiving end the server drains to deliver webhooks.
    pub fn new(
        clock: Arc<dyn Clock>,
    ) -> (
        SandboxContext,
        mpsc::UnboundedReceiver<(GatewayId, OutboundWebhook)>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            SandboxContext {
                clock,
                asaas_refund_delay: asaas::REFUND_SETTLES_AFTER,
                max_objects: bounded::DEFAULT_MAX_OBJECTS,
                webhooks: tx,
            },
            rx,
        )
    }

    /// Queues `webhook` for delivery to the URL registered for `gateway`. Webhooks for a
    /// gateway with no URL registered are logged and dropped, as a real gateway would.
    pub fn send_webhook(&self, gateway: GatewayId, webhook: OutboundWebhook) {
        if self.webhooks.send((gateway, webhook)).is_err() {
            tracing::warn!(%gateway, "sandbox webhook dropped: the sender has stopped");
        }
    }
}

/// One fake gateway.
#[async_trait]
pub trait FakeGateway: Send + Sync + 'static {
    fn id(&self) -> GatewayId;
    /// The gateway's API, as the real one serves it, mounted under `/{id}`. Fault injection
    /// happens outside it.
    fn router(self: Arc<Self>) -> axum::Router;
    /// The test credentials the fake accepts, printed at start, with the same field names as
    /// `payorch gateway credentials` (e.g. `secret_key`, `webhook_secret`).
    fn credentials(&self) -> Vec<(&'static str, String)>;
    /// Marks a pending charge paid and sends the gateway's webhook for it through the context.
    /// Returns the charge as the fake now holds it.
    fn pay(&self, id: &str) -> Result<serde_json::Value, SandboxError>;
    /// Every charge the fake holds, oldest first, in the gateway's own JSON shape.
    fn charges(&self) -> Vec<serde_json::Value>;
    /// Where this gateway's webhooks go, given the URL registered with the control API: by
    /// default that URL itself. A gateway that derives its target (Efí appends `/pix`, and
    /// has its own webhook configuration API) overrides it.
    fn webhook_url(&self, registered: Option<reqwest::Url>) -> Option<reqwest::Url> {
        registered
    }
}

/// Text for HTML: a merchant's description on a fake's hosted page (Asaas's invoice, Stripe's
/// Checkout).
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small HTML page of a fake's (Asaas's invoice, Stripe's Checkout): `title` as its heading,
/// `body` (already escaped) under it.
pub(crate) fn html_page(
    status: axum::http::StatusCode,
    lang: &str,
    title: &str,
    body: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let page = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n{body}\n</body></html>\n"
    );
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// The host the client reached the sandbox on, for absolute URLs (Stripe's QR image, Asaas's
/// invoice page).
pub(crate) fn host_of(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".:-[]".contains(&b))
        })
        .unwrap_or("127.0.0.1")
        .to_string()
}
