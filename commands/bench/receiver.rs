//! The built-in receiver of `payorch bench charges --receiver ADDR`: a loopback HTTP server that
//! answers 200 to every POST and counts the distinct deliveries (by `webhook-id`, the event id
//! payorch sends on every attempt) and their arrival times. The tenant's endpoint must already
//! point at it (`payorch webhook endpoint set http://ADDR/`, with
//! `webhooks.allow_private_targets` on in `serve`): the bench only listens. Signatures are not
//! verified: what is measured is how fast `serve` delivers, not the merchant's check.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;

use crate::commands::output::bind_error;

#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    /// Every POST, retries and redeliveries included.
    posts: u64,
    last: Option<Instant>,
}

/// A running receiver; stops with the process.
pub struct Receiver {
    seen: Arc<Mutex<Seen>>,
    changed: Arc<tokio::sync::Notify>,
}

/// What the receiver saw, as `-o json` prints it under `deliveries`.
#[derive(Debug, Serialize)]
pub struct Deliveries {
    pub address: String,
    /// Distinct events delivered (by `webhook-id`).
    pub events: u64,
    /// Every POST received, duplicates included.
    pub posts: u64,
    /// From the start of the charge load to the last delivery.
    pub seconds: f64,
    /// `events` over `seconds`.
    pub per_second: f64,
}

impl Receiver {
    /// Listens on `addr` (exit 6 when it is taken, 2 when it cannot be used).
    pub async fn start(addr: SocketAddr) -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| bind_error(addr, &e, "--receiver ADDR", false))?;
        let seen = Arc::new(Mutex::new(Seen::default()));
        let changed = Arc::new(tokio::sync::Notify::new());
        let app = Router::new()
            .fallback(receive)
            .with_state((Arc::clone(&seen), Arc::clone(&changed)));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver { seen, changed })
    }

    fn events(&self) -> u64 {
        self.lock().ids.len() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `expected` distinct events arrived, or none arrived for `quiet`; then
    /// reports, timed from `started` (the start of the load).
    pub async fn drain(
        &self,
        address: SocketAddr,
        expected: u64,
        quiet: Duration,
        started: Instant,
    ) -> Deliveries {
        loop {
            // Registered before the count is read, so a delivery in between still wakes it.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.events() >= expected {
                break;
            }
            if tokio::time::timeout(quiet, changed).await.is_err() {
                break;
            }
        }
        let seen = self.lock();
        let events = seen.ids.len() as u64;
        let seconds = seen
            .last
            .map_or(0.0, |l| l.saturating_duration_since(started).as_secs_f64());
        Deliveries {
            address: address.to_string(),
            events,
            posts: seen.posts,
            seconds,
            per_second: if seconds > 0.0 {
                events as f64 / seconds
            } else {
                0.0
            },
        }
    }
}

type Shared = (Arc<Mutex<Seen>>, Arc<tokio::sync::Notify>);

async fn receive(State((seen, changed)): State<Shared>, headers: HeaderMap) -> StatusCode {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    {
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.posts += 1;
        seen.last = Some(Instant::now());
        if let Some(id) = id {
            seen.ids.insert(id);
        }
    }
    changed.notify_waiters();
    StatusCode::OK
}
