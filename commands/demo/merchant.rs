//! The demo's merchant: a local receiver (axum on 127.0.0.1:0) that verifies every delivery's
//! Standard Webhooks signature with the endpoint's secret, answers 401 to a bad one (counted),
//! and records each event id and type once. It knows nothing of charges.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;

use payorch::clock::{Clock, SystemClock};
use payorch::secret::Secret;
use payorch::webhook::signing::{self, Delivery};

/// How far a delivery's timestamp may be from now (the spec's usual 5 minutes).
const TOLERANCE: Duration = Duration::from_secs(300);

/// What the merchant has seen so far.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Received {
    /// Every POST, good or bad, retries included.
    pub deliveries: u64,
    /// Deliveries refused with 401: signature, timestamp or headers wrong.
    pub bad_signatures: u64,
    /// Verified event ids (`webhook-id`), each once.
    pub ids: BTreeSet<String>,
    /// Verified events by type, each id counted once.
    pub by_type: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Inner {
    secret: OnceLock<Secret>,
    seen: Mutex<Received>,
}

/// A running receiver; [`Merchant::stop`] ends it.
pub struct Merchant {
    pub url: String,
    inner: Arc<Inner>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Merchant {
    /// Binds 127.0.0.1:0 and serves `POST /events`. Until [`Merchant::trust`] is called every
    /// delivery is refused (401), as a receiver without its secret would.
    pub async fn start() -> anyhow::Result<Merchant> {
        let inner = Arc::new(Inner::default());
        let app = axum::Router::new()
            .route("/events", axum::routing::post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("the demo merchant cannot listen on 127.0.0.1")?;
        let url = format!("http://{}/events", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // `serve`'s connection limits and body limit: the receiver is a listener like any other.
        let server = payorch::config::ServerConfig::default();
        let app = payorch::server::with_body_limits(
            app,
            usize::try_from(server.body_limit).unwrap_or(64 * 1024),
            server.body_read_timeout.0,
        );
        let limits = payorch::server::listen::ConnectionLimits::from(&server);
        let task = tokio::spawn(payorch::server::listen::serve(
            listener,
            app,
            limits,
            async {
                let _ = stopped.await;
            },
        ));
        Ok(Merchant {
            url,
            inner,
            stop,
            task,
        })
    }

    /// The endpoint's signing secret, as the operator hands it to the merchant.
    pub fn trust(&self, secret: Secret) {
        let _ = self.inner.secret.set(secret);
    }

    pub fn received(&self) -> Received {
        lock(&self.inner.seen).clone()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn lock(m: &Mutex<Received>) -> std::sync::MutexGuard<'_, Received> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn receive(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let verified = inner.secret.get().is_some_and(|secret| {
        signing::verify(
            &[secret],
            Delivery {
                id: h("webhook-id"),
                timestamp: h("webhook-timestamp"),
                signature: h("webhook-signature"),
                body: &body,
            },
            SystemClock.now(),
            TOLERANCE,
        )
        .is_ok()
    });
    let mut seen = lock(&inner.seen);
    seen.deliveries += 1;
    if !verified {
        seen.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let id = h("webhook-id").unwrap_or_default().to_string();
    if seen.ids.insert(id) {
        let kind = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["type"].as_str().map(str::to_string))
            .unwrap_or_else(|| "unreadable".into());
        *seen.by_type.entry(kind).or_default() += 1;
    }
    StatusCode::NO_CONTENT
}
