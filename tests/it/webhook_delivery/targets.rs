//! The outbound URL policy at delivery time: without `webhooks.allow_private_targets` the
//! worker refuses a local target without connecting to it (the endpoint was stored before the
//! policy, or by hand), through the normal retry and DLQ path with the refusal as the error;
//! with it, the same receiver gets the event. A 3xx is a failed delivery (no redirect is
//! followed) and only a short, printable excerpt of a response body is kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;

use payorch::egress::TargetPolicy;
use payorch::store::{Expect, StateDoc};
use payorch::webhook::outbound::DeliveryLog;

use super::{Fixture, fixture, settings};

/// A loopback listener that only counts the connections it accepts.
async fn counting_listener() -> (u16, Arc<AtomicU32>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicU32::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (port, accepted)
}

/// Stores `url` as the endpoint as it is, past the set-time check (an endpoint stored before
/// the policy existed).
async fn store_url_as_is(f: &Fixture, url: &str) {
    f.set_endpoint("https://shop.example/hooks").await;
    let key = StateDoc::WebhookEndpoint.key(&f.tenant);
    let current = f.store.get_state(&key).await.unwrap().unwrap();
    let mut doc = current.value;
    doc["url"] = serde_json::json!(url);
    f.store
        .put_state(&key, &doc, Expect::Version(current.version))
        .await
        .unwrap();
}

#[tokio::test]
async fn without_the_allowance_local_targets_are_refused_without_connecting() {
    let (port, accepted) = counting_listener().await;
    let strict = super::DeliverySettings {
        targets: TargetPolicy::STRICT,
        ..settings(&[1])
    };
    let f = fixture(strict).await;
    for (url, expected) in [
        (
            format!("https://127.0.0.1:{port}/hooks"),
            "refused: 127.0.0.1 is a loopback address; set webhooks.allow_private_targets to deliver there",
        ),
        (
            format!("https://2130706433:{port}/hooks"),
            "refused: 127.0.0.1 is a loopback address",
        ),
        (
            format!("https://0x7f.1:{port}/hooks"),
            "refused: 127.0.0.1 is a loopback address",
        ),
        (
            format!("https://[::1]:{port}/hooks"),
            "refused: ::1 is a loopback address",
        ),
        (
            format!("https://[::ffff:127.0.0.1]:{port}/hooks"),
            "refused: ::ffff:127.0.0.1 is a loopback address",
        ),
        (
            format!("https://localhost:{port}/hooks"),
            "refused: localhost is a local or cloud metadata host name",
        ),
        (
            format!("https://0.0.0.0:{port}/hooks"),
            "refused: 0.0.0.0 is an unspecified address",
        ),
        (
            "https://169.254.169.254/latest/meta-data/".to_string(),
            "refused: 169.254.169.254 is the cloud metadata address",
        ),
        (
            "https://metadata.google.internal/computeMetadata/v1/".to_string(),
            "refused: metadata.google.internal is a local or cloud metadata host name",
        ),
        (
            "https://10.0.0.1/hooks".to_string(),
            "refused: 10.0.0.1 is a private address",
        ),
        (
            format!("http://127.0.0.1:{port}/hooks"),
            "plain http is refused",
        ),
        (
            format!("http://admin:hunter2@127.0.0.1:{port}/hooks"),
            "credentials in the URL (user:pass@) are refused",
        ),
    ] {
        store_url_as_is(&f, &url).await;
        let (msg, _) = f.enqueue().await;
        assert_eq!(f.once().await.retried, 1, "{url}");
        f.advance(2);
        assert_eq!(f.once().await.dead, 1, "{url}: retried, then the DLQ");
        let dead = f.store.get_dead(&msg).await.unwrap().expect("dead letter");
        let log = DeliveryLog::decode(&dead.last_error);
        assert!(log.last_error.starts_with(expected), "{url}: {log:?}");
        assert!(log.attempts.iter().all(|a| a.status.is_none()), "{log:?}");
        assert!(!log.last_error.contains("hunter2"), "{log:?}");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "never connected");
    assert!(f.seen().is_empty());
}

#[tokio::test]
async fn with_the_allowance_the_loopback_receiver_gets_the_event() {
    let f = fixture(settings(&[1])).await;
    f.set_endpoint(&f.url).await;
    f.enqueue().await;
    assert_eq!(f.once().await.delivered, 1);
    assert_eq!(f.seen().len(), 1);
}

#[tokio::test]
async fn a_redirect_is_a_failure_and_a_body_is_kept_short_and_printable() {
    let (port, accepted) = counting_listener().await;
    let elsewhere = format!("http://127.0.0.1:{port}/steal");
    let app = Router::new()
        .route(
            "/redirect",
            post(move || async move {
                (StatusCode::FOUND, [("location", elsewhere)], "moved").into_response()
            }),
        )
        .route(
            "/chatty",
            post(|| async {
                let body = format!("token=\u{1b}[31msecret\r\n{}", "x".repeat(100_000));
                (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
            }),
        );
    let base = format!("http://{}", crate::common::scripted::serve(app).await);

    let f = fixture(settings(&[1])).await;
    f.set_endpoint(&format!("{base}/redirect")).await;
    let (msg, _) = f.enqueue().await;
    assert_eq!(f.once().await.retried, 1);
    f.set_endpoint(&format!("{base}/chatty")).await;
    f.advance(2);
    assert_eq!(f.once().await.dead, 1);
    let dead = f.store.get_dead(&msg).await.unwrap().expect("dead letter");
    let log = DeliveryLog::decode(&dead.last_error);
    assert_eq!(log.attempts[0].status, Some(302), "{log:?}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
    let kept = log.attempts[1].error.clone().unwrap();
    assert!(kept.starts_with("HTTP 500: token= [31msecret"), "{kept}");
    assert!(kept.len() <= "HTTP 500: ".len() + 200, "{}", kept.len());
    assert!(!kept.chars().any(char::is_control), "{kept:?}");
}
