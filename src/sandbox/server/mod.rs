//! The sandbox server: mounts the fakes, injects faults in front of them, serves the control API
//! under `/_sandbox/`, and delivers the webhooks the fakes hand it.
//!
//! **Listeners.** The main listener (`--bind`) serves every fake under `/{gateway}` and the
//! control API. Each gateway is also served on a listener of its own, with the same router under
//! the same prefix: that is the only way to make one gateway *refuse connections* while the
//! others keep answering. `FaultMode::Down { status: None }` closes that gateway's listener and
//! aborts its open connections (so pooled keep-alive clients see the refusal as well); any other
//! mode re-binds it on the same port (tokio, through mio, sets `SO_REUSEADDR` on Unix, so the
//! port is free again despite the server-side `TIME_WAIT` sockets the abort leaves). Closed
//! sockets are `shutdown(2)` before they are dropped, so a child process that inherited a copy
//! of the descriptor for a moment cannot keep them open. The shared main port cannot refuse
//! for one gateway only, so in that mode it answers 503 for it.
//! `/_sandbox/info` advertises both URLs; clients that want real refusals use `base_url`.
//!
//! **Faults** are decided per request by a middleware that reads the mode under a short lock,
//! never held across an await. Flaky mode is deterministic: counting requests since the mode was
//! set, request `n` fails when `floor(n × rate)` grows, so exactly `floor(n × rate)` of the first
//! `n` requests fail (rate 0.5 fails every second request, 1.0 all, 0.0 none).
//!
//! **Webhooks** queued through [`SandboxContext`] are POSTed to the URL registered for their
//! gateway, retried on connection errors and 5xx with doubling backoff up to
//! [`RetryPolicy::attempts`], each attempt recorded in a bounded in-memory delivery log.
//!
//! Files: this one holds the public types and the server's lifecycle; `listen.rs` the listeners
//! and connections, `fault.rs` the fault middleware, `control.rs` the `/_sandbox/` API,
//! `deliver.rs` webhook delivery.

mod control;
mod deliver;
mod fault;
mod listen;

use control::*;
use deliver::*;
use fault::*;
use listen::*;

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::{FakeGateway, FaultMode, OutboundWebhook, RequestScope, SandboxContext, SandboxError};
use crate::clock::Clock;
use crate::gateway::http::install_crypto_provider;
use crate::model::GatewayId;

/// The address `payorch sandbox` listens on by default.
pub const DEFAULT_BIND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 7700);

/// The longest latency `Slow` accepts: ten minutes.
pub const MAX_LATENCY_MS: u64 = 10 * 60 * 1000;

/// How many delivery-log entries are kept (the oldest are dropped first).
pub const DELIVERY_LOG_CAPACITY: usize = 1000;

/// The longest a `GET /_sandbox/webhooks?wait_for=N` waits.
const MAX_WAIT_MS: u64 = 60_000;

/// The three real fakes, sharing `ctx`.
pub fn standard_fakes(ctx: &SandboxContext) -> Vec<Arc<dyn FakeGateway>> {
    vec![
        Arc::new(super::stripe::StripeFake::new(ctx.clone())),
        Arc::new(super::efi::EfiFake::new(ctx.clone())),
        Arc::new(super::asaas::AsaasFake::new(ctx.clone())),
    ]
}

/// Why the sandbox cannot start or a control request is refused.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A bad value: mode, URL, duplicate gateway.
    #[error("{0}")]
    Invalid(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// How webhook deliveries are retried: `attempts` tries in all, waiting `first_backoff`
/// after the first failure and twice as long after each next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub first_backoff: Duration,
    /// The whole HTTP call, per attempt.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts over about 3.5 s (0.5 s, 1 s, 2 s between them), 10 s per attempt.
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
        }
    }
}

/// How to run the sandbox.
#[derive(Clone)]
pub struct SandboxOptions {
    /// The main listener. With port 0 every listener gets a free port; with port `P`, the
    /// gateways' own listeners take `P+1`, `P+2`, … in the order of the fakes.
    pub bind: SocketAddr,
    /// Webhook URLs registered from the start.
    pub webhook_urls: Vec<(GatewayId, reqwest::Url)>,
    pub retry: RetryPolicy,
    /// Timestamps the delivery log.
    pub clock: Arc<dyn Clock>,
}

impl SandboxOptions {
    pub fn new(bind: SocketAddr, clock: Arc<dyn Clock>) -> Self {
        SandboxOptions {
            bind,
            webhook_urls: Vec::new(),
            retry: RetryPolicy::default(),
            clock,
        }
    }
}

/// Checks a mode's numbers: error rate in 0..=1, status 100..=599, latency at most 10 minutes.
pub fn validate_mode(mode: &FaultMode) -> Result<(), ServerError> {
    let status_ok = |s: u16| {
        if (100..=599).contains(&s) {
            Ok(())
        } else {
            Err(ServerError::Invalid(format!(
                "status {s} is not an HTTP status (expected 100 to 599)"
            )))
        }
    };
    match mode {
        FaultMode::Up | FaultMode::Down { status: None } => Ok(()),
        FaultMode::Down { status: Some(s) } => status_ok(*s),
        FaultMode::Slow { latency_ms } if *latency_ms > MAX_LATENCY_MS => {
            Err(ServerError::Invalid(format!(
                "latency {latency_ms} ms is too long (at most {MAX_LATENCY_MS} ms, 10 minutes)"
            )))
        }
        FaultMode::Slow { .. } => Ok(()),
        FaultMode::Lost { latency_ms } if *latency_ms > MAX_LATENCY_MS => {
            Err(ServerError::Invalid(format!(
                "latency {latency_ms} ms is too long (at most {MAX_LATENCY_MS} ms, 10 minutes)"
            )))
        }
        FaultMode::Lost { .. } => Ok(()),
        FaultMode::Flaky { error_rate, status } => {
            if !(0.0..=1.0).contains(error_rate) {
                return Err(ServerError::Invalid(format!(
                    "error rate {error_rate} is not between 0 and 1"
                )));
            }
            status_ok(*status)
        }
    }
}

/// Checks that a mode can be scoped to `only`: refusing connections cannot pick requests (they
/// are refused before one is read), and `up` has nothing to scope.
pub fn validate_scope(mode: &FaultMode, only: Option<&RequestScope>) -> Result<(), ServerError> {
    match (mode, only) {
        (FaultMode::Down { status: None }, Some(scope)) => Err(ServerError::Invalid(format!(
            "down without a status refuses connections, which cannot be limited to `{scope}`: give it a status (e.g. 503)"
        ))),
        (FaultMode::Up, Some(scope)) => Err(ServerError::Invalid(format!(
            "up applies to every request: `{scope}` does not fit it"
        ))),
        _ => Ok(()),
    }
}

/// What `PUT /_sandbox/{gateway}/mode` takes and `GET` answers: a mode, and the requests it
/// applies to (`only`, absent: all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModeSetting {
    #[serde(flatten)]
    pub mode: FaultMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<RequestScope>,
}

/// Parses a webhook URL: absolute, `http` or `https`, with a host.
pub fn parse_webhook_url(s: &str) -> Result<reqwest::Url, ServerError> {
    let bad = |why: &str| ServerError::Invalid(format!("`{s}` is not a webhook URL: {why}"));
    let url = reqwest::Url::parse(s.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("expected an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    Ok(url)
}

/// What `GET /_sandbox/info` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SandboxInfo {
    /// `http://HOST:PORT/_sandbox`.
    pub control_url: String,
    pub gateways: BTreeMap<GatewayId, GatewayInfo>,
}

impl SandboxInfo {
    /// The part the gateway registry reads (`gateway::registry::SandboxInfo`, its contract):
    /// what `payorch serve --sandbox` builds its adapters from after fetching this document.
    pub fn for_registry(&self) -> crate::gateway::registry::SandboxInfo {
        crate::gateway::registry::SandboxInfo {
            gateways: self
                .gateways
                .iter()
                .map(|(id, gw)| {
                    let gateway = crate::gateway::registry::SandboxGateway {
                        base_url: gw.base_url.clone(),
                        credentials: gw.credentials.clone(),
                    };
                    (*id, gateway)
                })
                .collect(),
        }
    }
}

/// One gateway as the sandbox serves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatewayInfo {
    /// The gateway's own listener: refuses connections in `down` mode. Point adapters here.
    pub base_url: String,
    /// The same API on the shared main port (answers 503 instead of refusing).
    pub shared_base_url: String,
    /// The test credentials the fake accepts.
    pub credentials: BTreeMap<String, String>,
    pub mode: FaultMode,
    /// The requests `mode` applies to, when not all (`POST /v3/payments`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<RequestScope>,
    pub webhook_url: Option<String>,
}

/// How one delivery attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// 2xx.
    Delivered,
    /// Failed; another attempt follows.
    Retrying,
    /// Failed for good: a status that is not retried, or the last attempt.
    Failed,
    /// No webhook URL registered for the gateway: nothing was sent.
    Dropped,
}

/// One entry of the delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Position in the log, from 1.
    pub seq: u64,
    /// Which webhook this attempt belongs to (attempts of one webhook share it), from 1.
    pub webhook: u64,
    pub gateway: GatewayId,
    /// The URL posted to, query included; `None` when dropped.
    pub url: Option<String>,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub outcome: DeliveryOutcome,
    /// RFC 3339.
    pub at: String,
}

/// A sandbox ready to start.
pub struct SandboxServer {
    fakes: Vec<Arc<dyn FakeGateway>>,
    webhooks: mpsc::UnboundedReceiver<(GatewayId, OutboundWebhook)>,
    options: SandboxOptions,
}

impl SandboxServer {
    /// `webhooks` is the receiver [`SandboxContext::new`] returned with the fakes' context.
    pub fn new(
        fakes: Vec<Arc<dyn FakeGateway>>,
        webhooks: mpsc::UnboundedReceiver<(GatewayId, OutboundWebhook)>,
        options: SandboxOptions,
    ) -> Self {
        SandboxServer {
            fakes,
            webhooks,
            options,
        }
    }

    /// Runs until `shutdown` completes, then stops every listener and delivery.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let running = self.start().await?;
        shutdown.await;
        running.shutdown().await;
        Ok(())
    }

    /// Binds every listener and starts serving; the handle says where.
    pub async fn start(self) -> Result<RunningSandbox, ServerError> {
        let SandboxServer {
            fakes,
            webhooks,
            options,
        } = self;
        let mut seen = Vec::new();
        for fake in &fakes {
            if seen.contains(&fake.id()) {
                return Err(ServerError::Invalid(format!(
                    "two fakes for gateway {}",
                    fake.id()
                )));
            }
            seen.push(fake.id());
        }
        for (gateway, _) in &options.webhook_urls {
            if !seen.contains(gateway) {
                return Err(ServerError::Invalid(format!(
                    "a webhook URL was given for {gateway}, which this sandbox does not serve"
                )));
            }
        }
        let main_listener = bind(options.bind).await?;
        let main_addr = local_addr(&main_listener, options.bind)?;
        let host = advertised_ip(main_addr.ip());

        let mut slots = Vec::new();
        let mut main_app = Router::new();
        for (i, fake) in fakes.into_iter().enumerate() {
            let id = fake.id();
            let fault = Arc::new(Fault::default());
            let prefix = format!("/{id}");
            let api = Arc::clone(&fake)
                .router()
                .layer(middleware::from_fn_with_state(Arc::clone(&fault), inject));
            main_app = main_app.nest(&prefix, api.clone());
            // Outside the prefix (a client whose base URL lacks it): a JSON 404 naming it.
            let hint = format!("no such route: {id}'s API is under {prefix} on this port");
            let own_app = Router::new()
                .nest(&prefix, api)
                .fallback(move || std::future::ready(ApiError::not_found(hint.clone())));
            let port = match main_addr.port() {
                _ if options.bind.port() == 0 => 0,
                p => u16::try_from(i + 1)
                    .ok()
                    .and_then(|k| p.checked_add(k))
                    .ok_or_else(|| {
                        ServerError::Invalid(format!(
                            "no port left above {p} for {id}'s own listener: bind a lower port"
                        ))
                    })?,
            };
            let want = SocketAddr::new(main_addr.ip(), port);
            let listener = bind(want).await?;
            let addr = local_addr(&listener, want)?;
            let webhook_url = options
                .webhook_urls
                .iter()
                .rev()
                .find(|(g, _)| *g == id)
                .map(|(_, u)| u.clone());
            slots.push(Arc::new(Slot {
                id,
                fake,
                fault,
                webhook_url: Mutex::new(webhook_url),
                addr,
                base_url: format!("http://{}{prefix}", SocketAddr::new(host, addr.port())),
                shared_base_url: format!(
                    "http://{}{prefix}",
                    SocketAddr::new(host, main_addr.port())
                ),
                app: own_app.clone(),
                serving: tokio::sync::Mutex::new(Some(spawn_serving(listener, own_app))),
                reserved: Mutex::new(None),
            }));
        }
        let (log_len, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            slots,
            control_url: format!(
                "http://{}/_sandbox",
                SocketAddr::new(host, main_addr.port())
            ),
            log: Mutex::new(Log::default()),
            log_len,
            clock: options.clock.clone(),
        });
        let app = main_app
            .merge(control_routes(Arc::clone(&shared)))
            .fallback(|| async { ApiError::not_found("no such route in the sandbox") });
        let main = spawn_serving(main_listener, app);
        let client = delivery_client(options.retry)?;
        let delivery = tokio::spawn(deliver_all(
            Arc::clone(&shared),
            webhooks,
            client,
            options.retry,
        ));
        Ok(RunningSandbox {
            addr: SocketAddr::new(host, main_addr.port()),
            shared,
            main: Some(main),
            delivery,
        })
    }
}

/// A running sandbox.
/// Dropping it without [`RunningSandbox::shutdown`] stops it too, without waiting.
pub struct RunningSandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// `None` once shut down.
    main: Option<Serving>,
    delivery: JoinHandle<()>,
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        // The main listener stops when its `Serving` is dropped; the delivery task holds the
        // gateways' listeners through `Shared`, so it must go too.
        self.delivery.abort();
    }
}

impl RunningSandbox {
    /// The main listener's address, as advertised (loopback when bound to all interfaces).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`: what the control verbs' `--url` takes.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What `GET /_sandbox/info` answers.
    pub fn info(&self) -> SandboxInfo {
        self.shared.info()
    }

    /// The delivery log, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.log().entries.iter().cloned().collect()
    }

    /// Stops every listener, aborts open connections and pending deliveries.
    pub async fn shutdown(mut self) {
        self.delivery.abort();
        let _ = (&mut self.delivery).await;
        if let Some(main) = self.main.take() {
            main.close().await;
        }
        for slot in &self.shared.slots {
            if let Some(serving) = slot.serving.lock().await.take() {
                serving.close().await;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared state

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Shared {
    slots: Vec<Arc<Slot>>,
    control_url: String,
    log: Mutex<Log>,
    /// How many entries were ever recorded, for `?wait_for=`.
    log_len: watch::Sender<u64>,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Log {
    entries: VecDeque<Delivery>,
    recorded: u64,
    webhooks: u64,
}

impl Shared {
    fn slot(&self, gateway: &str) -> Result<&Arc<Slot>, ApiError> {
        let id: GatewayId =
            gateway
                .parse()
                .map_err(|e: crate::model::gateway::UnknownGateway| {
                    ApiError::not_found(e.to_string())
                })?;
        self.slots.iter().find(|s| s.id == id).ok_or_else(|| {
            ApiError::not_found(format!("gateway `{id}` is not served by this sandbox"))
        })
    }

    fn slot_by_id(&self, id: GatewayId) -> Option<&Arc<Slot>> {
        self.slots.iter().find(|s| s.id == id)
    }

    fn info(&self) -> SandboxInfo {
        SandboxInfo {
            control_url: self.control_url.clone(),
            gateways: self.slots.iter().map(|s| (s.id, s.info())).collect(),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        lock(&self.log)
    }

    fn next_webhook(&self) -> u64 {
        let mut log = self.log();
        log.webhooks += 1;
        log.webhooks
    }

    fn record(&self, mut entry: Delivery) {
        let recorded = {
            let mut log = self.log();
            log.recorded += 1;
            entry.seq = log.recorded;
            entry.at = self.clock.now().to_rfc3339();
            if log.entries.len() == DELIVERY_LOG_CAPACITY {
                log.entries.pop_front();
            }
            log.entries.push_back(entry);
            log.recorded
        };
        self.log_len.send_replace(recorded);
    }
}

/// One gateway: its fake, fault mode, webhook URL and own listener.
struct Slot {
    id: GatewayId,
    fake: Arc<dyn FakeGateway>,
    fault: Arc<Fault>,
    webhook_url: Mutex<Option<reqwest::Url>>,
    /// The gateway's own listener's address (kept when closed, to re-bind the same port).
    addr: SocketAddr,
    base_url: String,
    shared_base_url: String,
    app: Router,
    /// `None` while refusing connections. The async lock serializes mode changes.
    serving: tokio::sync::Mutex<Option<Serving>>,
    /// While refusing connections: the port, bound but not listening, so that nothing else
    /// takes it meanwhile (a port left free is soon handed to another program by the kernel,
    /// and the gateway could not come back up on its advertised address).
    reserved: Mutex<Option<socket2::Socket>>,
}

impl Slot {
    fn info(&self) -> GatewayInfo {
        GatewayInfo {
            base_url: self.base_url.clone(),
            shared_base_url: self.shared_base_url.clone(),
            credentials: self
                .fake
                .credentials()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            mode: self.fault.mode(),
            only: self.fault.only(),
            webhook_url: lock(&self.webhook_url).as_ref().map(|u| u.to_string()),
        }
    }

    /// Sets the mode, closing or re-opening the gateway's own listener as it requires. When
    /// re-binding fails the mode is left as it was.
    async fn set_mode(
        &self,
        mode: FaultMode,
        only: Option<RequestScope>,
    ) -> Result<(), ServerError> {
        validate_scope(&mode, only.as_ref())?;
        let mut serving = self.serving.lock().await;
        if mode == (FaultMode::Down { status: None }) {
            // The mode first, so the shared port answers 503 from now on.
            self.fault.set(mode, None);
            if let Some(s) = serving.take() {
                s.close().await;
                *lock(&self.reserved) = reserve(self.addr).ok();
            }
        } else {
            if serving.is_none() {
                let reserved = lock(&self.reserved).take();
                let listener = match reserved {
                    Some(socket) => listen_on(socket, self.addr)?,
                    None => bind(self.addr).await?,
                };
                *serving = Some(spawn_serving(listener, self.app.clone()));
            }
            self.fault.set(mode, only);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
