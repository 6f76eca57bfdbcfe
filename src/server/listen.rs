//! How `payorch serve` holds its connections (issue 12, defect 3): HTTP/1.1 with hyper directly,
//! so that a client cannot hold the server with slow or idle connections or oversized heads.
//!
//! - a request's head must arrive within `header_read_timeout`, counted from when the server
//!   starts waiting for it: the same clock bounds a slow client and an idle keep-alive
//!   connection (hyper starts it for every head it waits for, the first and each next one);
//! - a head larger than `max_header_bytes` is answered 431 (hyper's read buffer limit), and
//!   every answer hyper makes itself is given a JSON error body (`head_errors`);
//! - at most `max_connections` are served at once; more wait in the listen backlog;
//! - a body announced larger than its route's limit is answered 413 before it is read, and one
//!   that does not arrive within `server.body_read_timeout` 408 (the router's `body` module, so that
//!   they hold in-process too).
//!
//! On shutdown the listener closes, every connection finishes the request in flight and then
//! closes, and [`serve`] returns when the last one has.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The limits of [`serve`] (config `[server]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time to send a request's head; also the longest idle keep-alive wait.
    pub header_read_timeout: Duration,
    /// The largest request head, bytes (at least 8192: hyper's smallest buffer).
    pub max_header_bytes: usize,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_connections: 1024,
        }
    }
}

impl From<&crate::config::ServerConfig> for ConnectionLimits {
    /// `[server]`'s limits, as `serve` and `payorch demo` listen with them.
    fn from(server: &crate::config::ServerConfig) -> Self {
        let default = ConnectionLimits::default();
        ConnectionLimits {
            header_read_timeout: server.header_read_timeout.0,
            max_header_bytes: usize::try_from(server.max_header_bytes)
                .unwrap_or(default.max_header_bytes),
            max_connections: usize::try_from(server.max_connections)
                .unwrap_or(default.max_connections),
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves, then lets every
/// connection finish its request in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    let connections = tokio_util::task::TaskTracker::new();
    let (stop, stopping) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = shutdown.as_mut() => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shutdown.as_mut() => break,
        };
        let _ = stream.set_nodelay(true);
        let conn = builder.serve_connection(
            TokioIo::new(super::head_errors::JsonHeadErrors::new(stream)),
            TowerToHyperService::new(app.clone()),
        );
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let _permit = permit;
            let mut conn = std::pin::pin!(conn);
            let result = tokio::select! {
                result = conn.as_mut() => result,
                _ = stopping.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection closed");
            }
        });
    }
    drop(listener);
    let _ = stop.send(());
    connections.close();
    connections.wait().await;
}
