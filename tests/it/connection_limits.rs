//! `payorch serve`'s connection limits (issue 12, defect 3), on the library's serve loop with
//! the real router, over raw TCP to a loopback listener of the test's own: a head that is too
//! large is a 431, a body announced too large is a 413 before it is read, a client that sends
//! its head slowly and an idle keep-alive connection are closed, and connections past the
//! maximum wait until one closes. Slow clients are judged with generous bounds, not timings.

use crate::matrix;

use std::time::Duration;

use matrix::{Case, Method, World};
use payorch::server::listen::{ConnectionLimits, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any limit under test: a connection still open after this was not limited.
const BOUND: Duration = Duration::from_secs(30);

struct Server {
    addr: std::net::SocketAddr,
    _world: World,
    _task: tokio::task::JoinHandle<()>,
}

async fn start(limits: ConnectionLimits) -> Server {
    start_with(limits, Duration::from_secs(30)).await
}

async fn start_with(limits: ConnectionLimits, body_read_timeout: Duration) -> Server {
    let case = Case::uncrashed(Method::Pix);
    let mut config = case.config();
    config.server.body_read_timeout = payorch::config::HumanDuration(body_read_timeout);
    let world = World::new(config).await;
    let core = world.core();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = payorch::server::router(payorch::server::AppState::from_core(&core));
    let task = tokio::spawn(serve(listener, app, limits, std::future::pending()));
    Server {
        addr,
        _world: world,
        _task: task,
    }
}

/// Everything the server sends until it closes the connection (or `BOUND` passes: `None`).
async fn read_to_close(stream: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(BOUND, stream.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

/// The status line of one answer read from `stream`, within `BOUND`.
async fn status_of(stream: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(BOUND, stream.read(&mut buf))
        .await
        .expect("an answer within the bound")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    text.lines().next().unwrap_or_default().to_string()
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_over_the_limit_is_refused_with_431() {
    let server = start(ConnectionLimits::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let big = "a".repeat(100 * 1024);
    let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    // The server may answer and close before it has read everything: a write error is fine.
    let _ = stream.write_all(request.as_bytes()).await;
    let status = status_of(&mut stream).await;
    assert!(status.starts_with("HTTP/1.1 431"), "{status}");
}

/// The answer's status line and its body as JSON (`Value::Null` when it is not JSON).
fn split_answer(answer: &str) -> (String, serde_json::Value) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let status = head.lines().next().unwrap_or_default().to_string();
    (status, serde_json::from_str(body).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_level_refusals_are_json_errors() {
    let server = start(ConnectionLimits::default()).await;
    let big = "a".repeat(100 * 1024);
    let cases: [(Vec<u8>, &str, &str); 3] = [
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n".to_vec(),
            "HTTP/1.1 400",
            "request_malformed",
        ),
        (
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n: no-name\r\n\r\n".to_vec(),
            "HTTP/1.1 400",
            "request_malformed",
        ),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n").into_bytes(),
            "HTTP/1.1 431",
            "headers_too_large",
        ),
    ];
    for (request, status, code) in cases {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let _ = stream.write_all(&request).await;
        let answer = read_to_close(&mut stream).await.expect("an answer");
        let (line, body) = split_answer(&answer);
        assert!(line.starts_with(status), "{answer}");
        assert_eq!(body["error"]["code"], code, "{answer}");
        assert!(body["error"]["message"].is_string(), "{answer}");
    }
    // A method a route does not take.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"DELETE /v1/charges HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut stream).await.expect("an answer");
    let (line, body) = split_answer(&answer);
    assert!(line.starts_with("HTTP/1.1 405"), "{answer}");
    assert_eq!(body["error"]["code"], "method_not_allowed", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_announced_too_large_is_refused_with_413_before_it_is_read() {
    let server = start(ConnectionLimits::default()).await;
    for path in ["/v1/charges", "/webhooks/default/stripe"] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let answer = read_to_close(&mut stream)
            .await
            .expect("an answer without sending the body");
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains("\"body_too_large\""), "{path}: {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_and_an_idle_keep_alive_connection_are_closed() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    };
    let server = start(limits).await;
    // Half a head, then nothing.
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(
        read_to_close(&mut slow).await.is_some(),
        "a connection that never finishes its head must be closed"
    );
    // One request answered, then idle on a keep-alive connection.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(HEALTH).await.unwrap();
    let answer = read_to_close(&mut idle)
        .await
        .expect("an idle keep-alive connection must be closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_maximum_wait_until_one_closes() {
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(60),
        max_connections: 2,
        ..ConnectionLimits::default()
    };
    let server = start(limits).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(HEALTH).await.unwrap();
        assert!(status_of(&mut s).await.starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    // The third is in the backlog: connected, but not served while two are held.
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    third.write_all(HEALTH).await.unwrap();
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), third.read(&mut buf))
            .await
            .is_err(),
        "a third connection was served while two were held"
    );
    drop(held.pop());
    assert!(status_of(&mut third).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_is_answered_408() {
    let server = start_with(ConnectionLimits::default(), Duration::from_millis(500)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /v1/charges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"amount\":",
        )
        .await
        .unwrap();
    let answer = read_to_close(&mut stream)
        .await
        .expect("a body that stops arriving must not hold the connection");
    let (line, body) = split_answer(&answer);
    assert!(line.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(body["error"]["code"], "body_timeout", "{answer}");
}
