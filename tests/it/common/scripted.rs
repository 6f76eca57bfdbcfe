//! The one scripted gateway of the adapters' tests: a local HTTP server on `127.0.0.1:0` that
//! records every request exactly (method, path, query, headers, body) and answers from a script:
//! a queue of replies in order, a function of the request, or both (the function first). Over
//! TLS too (Efí's mTLS), with the test's own `rustls::ServerConfig`. [`Scripted::recording`]
//! records in front of any router instead (a sandbox fake, to see what an adapter sent it), and
//! [`Scripted::receiver`] is a merchant's (or a gateway fake's) webhook receiver: the queued
//! replies, then `200 ok`; [`Scripted::wait_for`] waits for deliveries to arrive.
//!
//! Each adapter's own wire rules (Stripe's headers, Efí's token) stay in its test file, as
//! assertions on [`Seen`] and as the function a test scripts with.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Request};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::sync::Notify;

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    /// Without the `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// The exact body (lossy UTF-8: every gateway here speaks JSON or forms).
    pub body: String,
}

impl Seen {
    /// Path and query, as sent.
    pub fn uri(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the request body is JSON")
    }
}

/// A scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// `None`: never answer (the client times out after sending).
    pub status: Option<u16>,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    /// `status` with `body` as `application/json` (a [`Value`], or text that may not even be
    /// JSON, to test what an adapter does with a broken body).
    pub fn json(status: u16, body: impl ToString) -> Reply {
        Reply::with_type(status, "application/json", body)
    }

    pub fn with_type(status: u16, content_type: &'static str, body: impl ToString) -> Reply {
        Reply {
            status: Some(status),
            content_type,
            body: body.to_string().into_bytes(),
        }
    }

    /// No answer at all: the request was sent, the client waits until it gives up.
    pub fn never() -> Reply {
        Reply {
            status: None,
            content_type: "",
            body: vec![],
        }
    }
}

type Respond = Box<dyn Fn(&Seen) -> Option<Reply> + Send + Sync>;

#[derive(Default)]
struct Script {
    seen: Mutex<Vec<Seen>>,
    /// Told of every request, for [`Scripted::wait_for`].
    arrived: Notify,
    replies: Mutex<VecDeque<Reply>>,
    respond: Option<Respond>,
    /// The answer once the function and the queue have none (else `599`, "unexpected").
    otherwise: Option<Reply>,
}

/// A running scripted (or recording) server; it stops with the test's runtime.
pub struct Scripted {
    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` over TLS.
    pub base: String,
    pub addr: SocketAddr,
    script: Arc<Script>,
}

impl Scripted {
    /// Answers with the queued replies ([`Scripted::then`]), in order.
    pub async fn start() -> Scripted {
        Scripted::scripted(Script::default(), None).await
    }

    /// A webhook receiver: the queued replies first, then `200 ok` to every request.
    pub async fn receiver() -> Scripted {
        let otherwise = Some(Reply::with_type(200, "text/plain", "ok"));
        Scripted::scripted(
            Script {
                otherwise,
                ..Script::default()
            },
            None,
        )
        .await
    }

    /// Answers each request with `respond`; when it says `None`, with the next queued reply.
    pub async fn answering(
        respond: impl Fn(&Seen) -> Option<Reply> + Send + Sync + 'static,
    ) -> Scripted {
        let respond: Option<Respond> = Some(Box::new(respond));
        Scripted::scripted(
            Script {
                respond,
                ..Script::default()
            },
            None,
        )
        .await
    }

    /// [`Scripted::answering`] over TLS with `tls` (which may require a client certificate;
    /// a failed handshake just closes the connection). The base is `https://localhost:PORT`.
    pub async fn answering_over_tls(
        tls: rustls::ServerConfig,
        respond: impl Fn(&Seen) -> Option<Reply> + Send + Sync + 'static,
    ) -> Scripted {
        let respond: Option<Respond> = Some(Box::new(respond));
        Scripted::scripted(
            Script {
                respond,
                ..Script::default()
            },
            Some(tls),
        )
        .await
    }

    /// Records every request in front of `app`, which answers them.
    pub async fn recording(app: Router) -> Scripted {
        Scripted::serve(app, Arc::new(Script::default()), None).await
    }

    async fn scripted(script: Script, tls: Option<rustls::ServerConfig>) -> Scripted {
        let app = Router::new().fallback(answer);
        Scripted::serve(app, Arc::new(script), tls).await
    }

    async fn serve(
        app: Router,
        script: Arc<Script>,
        tls: Option<rustls::ServerConfig>,
    ) -> Scripted {
        let app = app
            .layer(axum::middleware::from_fn(record))
            .layer(Extension(script.clone()));
        let (addr, base) = match tls {
            None => {
                let addr = serve(app).await;
                (addr, format!("http://{addr}"))
            }
            Some(tls) => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind a loopback port");
                let addr = listener.local_addr().expect("the bound address");
                tokio::spawn(serve_tls(listener, app, tls));
                (addr, format!("https://localhost:{}", addr.port()))
            }
        };
        Scripted { base, addr, script }
    }

    /// Queues the next reply.
    pub fn then(&self, reply: Reply) -> &Self {
        self.script.replies.lock().unwrap().push_back(reply);
        self
    }

    /// Every request so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    /// The one request so far (fails when there were more or none).
    #[track_caller]
    pub fn only(&self) -> Seen {
        let seen = self.seen();
        assert_eq!(seen.len(), 1, "{seen:?}");
        seen[0].clone()
    }

    /// Every request once there are at least `n`. Panics after a minute without them (a
    /// safety net for a broken test, not a timing assertion).
    pub async fn wait_for(&self, n: usize) -> Vec<Seen> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let arrived = self.script.arrived.notified();
            let seen = self.seen();
            if seen.len() >= n {
                return seen;
            }
            let waited = tokio::time::timeout_at(deadline, arrived).await;
            assert!(waited.is_ok(), "waited for {n} requests, got {seen:?}");
        }
    }

    /// `METHOD /path` of every request so far, for failure messages.
    pub fn paths(&self) -> Vec<String> {
        self.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
}

/// Records the request, then lets the router answer it (the scripted fallback reads the
/// recorded [`Seen`] from the request's extensions).
async fn record(Extension(script): Extension<Arc<Script>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let seen = Seen {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers.clone(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    script.seen.lock().unwrap().push(seen.clone());
    script.arrived.notify_waiters();
    parts.extensions.insert(seen);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

async fn answer(
    Extension(script): Extension<Arc<Script>>,
    Extension(seen): Extension<Seen>,
) -> Response {
    let scripted = script.respond.as_ref().and_then(|respond| respond(&seen));
    let queued = || script.replies.lock().unwrap().pop_front();
    let reply = scripted
        .or_else(queued)
        .or_else(|| script.otherwise.clone());
    let Some(reply) = reply else {
        let unexpected = format!("no scripted reply left for {} {}", seen.method, seen.uri());
        return (StatusCode::from_u16(599).unwrap(), unexpected).into_response();
    };
    let Some(status) = reply.status else {
        return std::future::pending().await;
    };
    (
        StatusCode::from_u16(status).expect("a scripted status"),
        [("content-type", reply.content_type)],
        reply.body,
    )
        .into_response()
}

/// Serves `app` on a free loopback port until the test's runtime stops; returns the address.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// `app` over TLS: each accepted connection is handshaken with `tls`, then served by hyper.
async fn serve_tls(listener: tokio::net::TcpListener, app: Router, tls: rustls::ServerConfig) {
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    while let Ok((tcp, _)) = listener.accept().await {
        let acceptor = acceptor.clone();
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            // No or a bad client certificate: the handshake fails and the connection closes.
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}
