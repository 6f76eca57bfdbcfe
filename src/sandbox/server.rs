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

use super::{FakeGateway, FaultMode, OutboundWebhook, SandboxContext, SandboxError};
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
            let own_app = Router::new().nest(&prefix, api);
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
// Listeners

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, addr: SocketAddr) -> Result<SocketAddr, ServerError> {
    listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })
}

/// The address clients should use: loopback when bound to every interface.
fn advertised_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// A listener being served: its accept loop owns the listener and every connection task.
struct Serving {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Serving {
    /// Closes the listener and aborts every open connection; returns once both are gone, so
    /// the next connect to the port is refused.
    async fn close(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn spawn_serving(listener: TcpListener, app: Router) -> Serving {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let stream = Conn(stream);
                        let service = hyper_util::service::TowerToHyperService::new(app.clone());
                        connections.spawn(async move {
                            let _ = hyper::server::conn::http1::Builder::new()
                                .timer(hyper_util::rt::TokioTimer::new())
                                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                .await;
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, keep serving.
                        tracing::warn!(error = %e, "sandbox: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        shut_down(&listener);
        drop(listener);
        connections.shutdown().await;
    });
    Serving { stop, task }
}

/// Shuts a socket down for every process that holds it. Dropping our descriptor is not
/// enough: a child process forked at that moment (any `Command::spawn` in this process, which
/// tests do) briefly holds a copy, and would keep the listener accepting or the connection
/// open. Errors are ignored: the socket is being dropped anyway.
fn shut_down(socket: &impl socket2_source::Source) {
    let _ = socket2::SockRef::from(socket).shutdown(std::net::Shutdown::Both);
}

#[cfg(unix)]
mod socket2_source {
    pub trait Source: std::os::fd::AsFd {}
    impl<T: std::os::fd::AsFd> Source for T {}
}

#[cfg(windows)]
mod socket2_source {
    pub trait Source: std::os::windows::io::AsSocket {}
    impl<T: std::os::windows::io::AsSocket> Source for T {}
}

/// An accepted connection that is shut down (FIN to the client) when dropped, see
/// [`shut_down`]; so aborting a connection task really closes the connection.
struct Conn(tokio::net::TcpStream);

impl Drop for Conn {
    fn drop(&mut self) {
        shut_down(&self.0);
    }
}

impl tokio::io::AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
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
            webhook_url: lock(&self.webhook_url).as_ref().map(|u| u.to_string()),
        }
    }

    /// Sets the mode, closing or re-opening the gateway's own listener as it requires. When
    /// re-binding fails the mode is left as it was.
    async fn set_mode(&self, mode: FaultMode) -> Result<(), ServerError> {
        let mut serving = self.serving.lock().await;
        if mode == (FaultMode::Down { status: None }) {
            // The mode first, so the shared port answers 503 from now on.
            self.fault.set(mode);
            if let Some(s) = serving.take() {
                s.close().await;
            }
        } else {
            if serving.is_none() {
                let listener = bind(self.addr).await?;
                *serving = Some(spawn_serving(listener, self.app.clone()));
            }
            self.fault.set(mode);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Fault injection

#[derive(Debug)]
struct Fault(Mutex<FaultState>);

#[derive(Debug)]
struct FaultState {
    mode: FaultMode,
    /// Requests seen since the mode was set (for flaky mode).
    seen: u64,
}

impl Default for Fault {
    fn default() -> Self {
        Fault(Mutex::new(FaultState {
            mode: FaultMode::Up,
            seen: 0,
        }))
    }
}

enum Action {
    Pass,
    Delay(Duration),
    Fail(u16, &'static str),
}

impl Fault {
    fn mode(&self) -> FaultMode {
        lock(&self.0).mode.clone()
    }

    fn set(&self, mode: FaultMode) {
        *lock(&self.0) = FaultState { mode, seen: 0 };
    }

    /// What to do with the next request. Synchronous: the lock never spans an await.
    fn decide(&self) -> Action {
        let mut state = lock(&self.0);
        match state.mode {
            FaultMode::Up => Action::Pass,
            FaultMode::Slow { latency_ms } => Action::Delay(Duration::from_millis(latency_ms)),
            FaultMode::Down { status: Some(s) } => Action::Fail(s, "down"),
            // Only reached on the shared port (or by a request racing the close): it cannot
            // refuse connections for one gateway, so it answers 503.
            FaultMode::Down { status: None } => Action::Fail(503, "down"),
            FaultMode::Flaky { error_rate, status } => {
                state.seen += 1;
                let n = state.seen as f64;
                if (n * error_rate).floor() > ((n - 1.0) * error_rate).floor() {
                    Action::Fail(status, "flaky")
                } else {
                    Action::Pass
                }
            }
        }
    }
}

async fn inject(State(fault): State<Arc<Fault>>, request: Request, next: Next) -> Response {
    match fault.decide() {
        Action::Pass => next.run(request).await,
        Action::Delay(latency) => {
            // Like a real gateway, a slow request is processed even when the client gives up
            // waiting: a timeout after sending must be able to leave a charge behind (the
            // ambiguous case rule 4 is about). So read the body now and finish in a task of
            // its own, which a dropped connection does not cancel.
            let (parts, body) = request.into_parts();
            let bytes = match axum::body::to_bytes(body, 1 << 20).await {
                Ok(b) => b,
                Err(_) => return StatusCode::BAD_REQUEST.into_response(),
            };
            let request = Request::from_parts(parts, axum::body::Body::from(bytes));
            let task = tokio::spawn(async move {
                tokio::time::sleep(latency).await;
                next.run(request).await
            });
            task.await
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        Action::Fail(status, why) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = serde_json::json!({
                "error": format!("payorch sandbox: this gateway is {why} (status {status})")
            });
            (code, [("x-payorch-sandbox-fault", why)], axum::Json(body)).into_response()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Control API

/// A control-API failure: `{"error": "…"}` with its status.
#[derive(Debug)]
struct ApiError(StatusCode, String);

impl ApiError {
    fn bad_request(m: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, m.into())
    }
    fn not_found(m: impl Into<String>) -> Self {
        ApiError(StatusCode::NOT_FOUND, m.into())
    }
}

impl From<SandboxError> for ApiError {
    fn from(e: SandboxError) -> Self {
        match e {
            SandboxError::NotFound(m) => ApiError::not_found(m),
            SandboxError::Conflict(m) => ApiError(StatusCode::CONFLICT, m),
        }
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::Invalid(m) => ApiError::bad_request(m),
            e @ ServerError::Bind { .. } => {
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

type Api<T> = Result<axum::Json<T>, ApiError>;

fn control_routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sandbox/info", get(info))
        .route("/_sandbox/webhooks", get(webhooks))
        .route("/_sandbox/charges", get(all_charges))
        .route("/_sandbox/pay/{id}", post(pay_any))
        .route("/_sandbox/{gateway}/mode", put(set_mode).get(get_mode))
        .route("/_sandbox/{gateway}/webhook", put(set_webhook))
        .route("/_sandbox/{gateway}/charges", get(charges))
        .route("/_sandbox/{gateway}/charges/{id}/pay", post(pay_one))
        .with_state(shared)
}

async fn info(State(shared): State<Arc<Shared>>) -> axum::Json<SandboxInfo> {
    axum::Json(shared.info())
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], example: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid body: {e} (expected e.g. {example})")))
}

async fn set_mode(
    State(shared): State<Arc<Shared>>,
    Path(gateway): Path<String>,
    body: Bytes,
) -> Api<GatewayInfo> {
    let slot = shared.slot(&gateway)?;
    let mode: FaultMode = parse_json(&body, r#"{"mode":"slow","latency_ms":200}"#)?;
    validate_mode(&mode)?;
    slot.set_mode(mode).await?;
    Ok(axum::Json(slot.info()))
}

async fn get_mode(
    State(shared): State<Arc<Shared>>,
    Path(gateway): Path<String>,
) -> Api<FaultMode> {
    Ok(axum::Json(shared.slot(&gateway)?.fault.mode()))
}

#[derive(Deserialize)]
struct WebhookBody {
    url: Option<String>,
}

async fn set_webhook(
    State(shared): State<Arc<Shared>>,
    Path(gateway): Path<String>,
    body: Bytes,
) -> Api<GatewayInfo> {
    let slot = shared.slot(&gateway)?;
    let body: WebhookBody = parse_json(&body, r#"{"url":"http://127.0.0.1:8080/webhooks"}"#)?;
    let url = body.url.as_deref().map(parse_webhook_url).transpose()?;
    *lock(&slot.webhook_url) = url;
    Ok(axum::Json(slot.info()))
}

async fn charges(
    State(shared): State<Arc<Shared>>,
    Path(gateway): Path<String>,
) -> Api<Vec<serde_json::Value>> {
    Ok(axum::Json(shared.slot(&gateway)?.fake.charges()))
}

async fn all_charges(
    State(shared): State<Arc<Shared>>,
) -> axum::Json<BTreeMap<GatewayId, Vec<serde_json::Value>>> {
    axum::Json(
        shared
            .slots
            .iter()
            .map(|s| (s.id, s.fake.charges()))
            .collect(),
    )
}

/// What a pay request answers.
#[derive(Serialize)]
struct Paid {
    gateway: GatewayId,
    charge: serde_json::Value,
}

async fn pay_one(
    State(shared): State<Arc<Shared>>,
    Path((gateway, id)): Path<(String, String)>,
) -> Api<serde_json::Value> {
    let slot = shared.slot(&gateway)?;
    let charge = slot.fake.pay(&id)?;
    Ok(axum::Json(serde_json::json!(Paid {
        gateway: slot.id,
        charge
    })))
}

async fn pay_any(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Api<serde_json::Value> {
    for slot in &shared.slots {
        match slot.fake.pay(&id) {
            Ok(charge) => {
                return Ok(axum::Json(serde_json::json!(Paid {
                    gateway: slot.id,
                    charge
                })));
            }
            Err(SandboxError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::not_found(format!(
        "no gateway in this sandbox has a charge `{id}`"
    )))
}

#[derive(Deserialize)]
struct WebhooksQuery {
    /// Wait until at least this many entries were ever recorded.
    wait_for: Option<u64>,
    /// How long to wait, at most [`MAX_WAIT_MS`]; default 5 s.
    timeout_ms: Option<u64>,
}

async fn webhooks(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<WebhooksQuery>, QueryRejection>,
) -> Api<Vec<Delivery>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if let Some(want) = query.wait_for {
        let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(5_000).min(MAX_WAIT_MS));
        let mut len = shared.log_len.subscribe();
        // A timeout is not an error: the caller sees how many there are.
        let _ = tokio::time::timeout(timeout, len.wait_for(|n| *n >= want)).await;
    }
    Ok(axum::Json(shared.log().entries.iter().cloned().collect()))
}

// ---------------------------------------------------------------------------------------------
// Webhook delivery

fn delivery_client(retry: RetryPolicy) -> Result<reqwest::Client, ServerError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .tls_backend_rustls()
        .connect_timeout(Duration::from_secs(3).min(retry.timeout))
        .timeout(retry.timeout)
        .user_agent(concat!("payorch-sandbox/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ServerError::Invalid(format!("cannot build the webhook HTTP client: {e}")))
}

/// Drains the fakes' webhooks, one delivery task each (so one slow receiver delays no other).
async fn deliver_all(
    shared: Arc<Shared>,
    mut queue: mpsc::UnboundedReceiver<(GatewayId, OutboundWebhook)>,
    client: reqwest::Client,
    retry: RetryPolicy,
) {
    // Owned here: aborting this task drops the set, which aborts every pending delivery.
    let mut deliveries = JoinSet::new();
    loop {
        tokio::select! {
            next = queue.recv() => match next {
                Some((gateway, webhook)) => {
                    deliveries.spawn(deliver(
                        Arc::clone(&shared),
                        client.clone(),
                        retry,
                        gateway,
                        webhook,
                    ));
                }
                None => break,
            },
            Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
        }
    }
    while deliveries.join_next().await.is_some() {}
}

/// `url` with `query` appended to whatever query it has.
fn with_query(url: &reqwest::Url, query: Option<&str>) -> reqwest::Url {
    let mut url = url.clone();
    if let Some(extra) = query.filter(|q| !q.is_empty()) {
        let merged = match url.query() {
            Some(existing) if !existing.is_empty() => format!("{existing}&{extra}"),
            _ => extra.to_string(),
        };
        url.set_query(Some(&merged));
    }
    url
}

async fn deliver(
    shared: Arc<Shared>,
    client: reqwest::Client,
    retry: RetryPolicy,
    gateway: GatewayId,
    webhook: OutboundWebhook,
) {
    let seq = shared.next_webhook();
    let registered = shared
        .slot_by_id(gateway)
        .and_then(|s| lock(&s.webhook_url).clone());
    let entry = |url: Option<String>, attempt, status, error, outcome| Delivery {
        seq: 0,
        webhook: seq,
        gateway,
        url,
        attempt,
        status,
        error,
        outcome,
        at: String::new(),
    };
    let Some(url) = registered else {
        tracing::info!(%gateway, "sandbox webhook dropped: no URL registered");
        shared.record(entry(
            None,
            0,
            None,
            Some("no webhook URL registered for this gateway".into()),
            DeliveryOutcome::Dropped,
        ));
        return;
    };
    let url = with_query(&url, webhook.query.as_deref());
    let attempts = retry.attempts.max(1);
    let mut backoff = retry.first_backoff;
    for attempt in 1..=attempts {
        let mut request = client.post(url.clone()).body(webhook.body.clone());
        for (name, value) in &webhook.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let (status, error, retryable) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (Some(status), None, response.status().is_server_error())
            }
            Err(e) => {
                let retryable = !e.is_builder();
                (None, Some(error_text(&e)), retryable)
            }
        };
        let last = attempt == attempts;
        let outcome = match status {
            Some(s) if (200..300).contains(&s) => DeliveryOutcome::Delivered,
            _ if retryable && !last => DeliveryOutcome::Retrying,
            _ => DeliveryOutcome::Failed,
        };
        shared.record(entry(
            Some(url.to_string()),
            attempt,
            status,
            error,
            outcome,
        ));
        if outcome != DeliveryOutcome::Retrying {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = backoff.saturating_mul(2);
    }
}

/// A transport error and its innermost cause, in one line.
fn error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut innermost = None;
    while let Some(c) = cause {
        innermost = Some(c.to_string());
        cause = c.source();
    }
    if let Some(inner) = innermost {
        text = format!("{text}: {inner}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flaky(rate: f64) -> Fault {
        let fault = Fault::default();
        fault.set(FaultMode::Flaky {
            error_rate: rate,
            status: 500,
        });
        fault
    }

    fn failures(fault: &Fault, n: usize) -> usize {
        (0..n)
            .filter(|_| matches!(fault.decide(), Action::Fail(500, _)))
            .count()
    }

    #[test]
    fn flaky_fails_exactly_its_share() {
        assert_eq!(failures(&flaky(0.0), 100), 0);
        assert_eq!(failures(&flaky(1.0), 100), 100);
        assert_eq!(failures(&flaky(0.5), 100), 50);
        assert_eq!(failures(&flaky(0.25), 100), 25);
        assert_eq!(failures(&flaky(0.1), 10), 1);
        assert_eq!(failures(&flaky(1.0 / 3.0), 9), 3);
        // Every second request, starting with the second.
        let half = flaky(0.5);
        let pattern: Vec<bool> = (0..4)
            .map(|_| matches!(half.decide(), Action::Fail(..)))
            .collect();
        assert_eq!(pattern, [false, true, false, true]);
    }

    #[test]
    fn modes_are_validated() {
        let ok = [
            FaultMode::Up,
            FaultMode::Down { status: None },
            FaultMode::Down { status: Some(500) },
            FaultMode::Slow { latency_ms: 0 },
            FaultMode::Slow {
                latency_ms: MAX_LATENCY_MS,
            },
            FaultMode::Flaky {
                error_rate: 0.0,
                status: 100,
            },
            FaultMode::Flaky {
                error_rate: 1.0,
                status: 599,
            },
        ];
        for mode in ok {
            assert!(validate_mode(&mode).is_ok(), "{mode:?}");
        }
        let bad = [
            FaultMode::Down { status: Some(42) },
            FaultMode::Down { status: Some(600) },
            FaultMode::Slow {
                latency_ms: MAX_LATENCY_MS + 1,
            },
            FaultMode::Flaky {
                error_rate: 2.0,
                status: 500,
            },
            FaultMode::Flaky {
                error_rate: -0.1,
                status: 500,
            },
            FaultMode::Flaky {
                error_rate: f64::NAN,
                status: 500,
            },
            FaultMode::Flaky {
                error_rate: 0.5,
                status: 99,
            },
        ];
        for mode in bad {
            assert!(validate_mode(&mode).is_err(), "{mode:?}");
        }
    }

    #[test]
    fn webhook_urls_must_be_http() {
        assert!(parse_webhook_url("http://127.0.0.1:9/hook").is_ok());
        assert!(parse_webhook_url("https://example.com/w?x=1").is_ok());
        for bad in [
            "ftp://example.com/",
            "not a url",
            "",
            "/relative",
            "mailto:a@b.c",
        ] {
            let err = parse_webhook_url(bad).unwrap_err().to_string();
            assert!(err.contains("is not a webhook URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn queries_are_appended() {
        let u = reqwest::Url::parse("http://h/w").unwrap();
        assert_eq!(with_query(&u, None).as_str(), "http://h/w");
        assert_eq!(with_query(&u, Some("hmac=x")).as_str(), "http://h/w?hmac=x");
        let q = reqwest::Url::parse("http://h/w?a=1").unwrap();
        assert_eq!(
            with_query(&q, Some("hmac=x")).as_str(),
            "http://h/w?a=1&hmac=x"
        );
    }

    #[test]
    fn bound_everywhere_advertises_loopback() {
        assert_eq!(
            advertised_ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            advertised_ip(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
            IpAddr::V6(Ipv6Addr::LOCALHOST)
        );
        let lan = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(advertised_ip(lan), lan);
    }
}
