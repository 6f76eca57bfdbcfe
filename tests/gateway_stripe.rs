//! The Stripe adapter's tests: against a scripted local server that records every request
//! (method, path, headers, exact body) and answers from a script; webhook signatures and event
//! parsing; and round trips against the sandbox's Stripe fake. Not here: the orchestrator.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};

use payorch::clock::Timestamp;
use payorch::config::{HumanDuration, StripeSettings};
use payorch::gateway::stripe::{StripeCredentials, StripeGateway, webhook_signature};
use payorch::gateway::{CreateCharge, CreateRefund, Gateway, WebhookError, WebhookRequest};
use payorch::id::{ChargeId, RefundId};
use payorch::model::{
    AttemptOutcome, ChargeStatus, Currency, Customer, Money, PaymentMethod, RefundStatus,
};
use payorch::secret::Secret;

const KEY: &str = "sk_test_51AdapterTestKey0000000000000000";
const WHSEC: &str = "whsec_adapter_test_secret_0123456789";
const VERSION: &str = "2026-09-30.endive";
const FORM: &str = "application/x-www-form-urlencoded";

// ---- a scripted Stripe ----

/// One request as the scripted server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    /// Path and query, as sent.
    uri: String,
    headers: HeaderMap,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The headers every Stripe API call carries, exactly.
    fn assert_api_headers(&self) {
        assert_eq!(
            self.header("authorization"),
            Some(&*format!("Bearer {KEY}"))
        );
        assert_eq!(self.header("stripe-version"), Some(VERSION));
    }

    fn assert_post(&self, path: &str, idempotency_key: &str, body: &str) {
        assert_eq!(self.method, Method::POST, "{self:?}");
        assert_eq!(self.uri, path);
        self.assert_api_headers();
        assert_eq!(self.header("idempotency-key"), Some(idempotency_key));
        assert_eq!(self.header("content-type"), Some(FORM));
        assert_eq!(self.body, body);
    }

    fn assert_get(&self, uri: &str) {
        assert_eq!(self.method, Method::GET, "{self:?}");
        assert_eq!(self.uri, uri);
        self.assert_api_headers();
        assert_eq!(self.header("idempotency-key"), None);
        assert_eq!(self.header("content-type"), None);
        assert_eq!(self.body, "");
    }
}

struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        content_type: "application/json",
        body: body.to_string().into_bytes(),
    }
}

#[derive(Clone, Default)]
struct Script {
    replies: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

struct Scripted {
    base: String,
    script: Script,
}

impl Scripted {
    async fn start() -> Scripted {
        let script = Script::default();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Scripted { base, script }
    }

    fn then(&self, r: Reply) -> &Self {
        self.script.replies.lock().unwrap().push_back(r);
        self
    }

    fn seen(&self) -> Vec<Seen> {
        self.script.seen.lock().unwrap().clone()
    }

    fn only(&self) -> Seen {
        let seen = self.seen();
        assert_eq!(seen.len(), 1, "{seen:?}");
        seen[0].clone()
    }

    fn gateway(&self) -> StripeGateway {
        gateway_at(&self.base, Duration::from_secs(5))
    }
}

async fn answer(
    State(script): State<Script>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    script.seen.lock().unwrap().push(Seen {
        method,
        uri: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    match script.replies.lock().unwrap().pop_front() {
        Some(r) => (
            StatusCode::from_u16(r.status).unwrap(),
            [("content-type", r.content_type)],
            r.body,
        )
            .into_response(),
        None => (StatusCode::IM_A_TEAPOT, "no scripted reply left").into_response(),
    }
}

fn gateway_at(base: &str, total: Duration) -> StripeGateway {
    let settings = StripeSettings {
        base_url: base.to_string(),
        timeout: HumanDuration(total),
        connect_timeout: HumanDuration(Duration::from_millis(500)),
        ..StripeSettings::default()
    };
    StripeGateway::new(
        &settings,
        StripeCredentials {
            secret_key: Secret::new(KEY),
            webhook_secret: Some(Secret::new(WHSEC)),
        },
    )
    .unwrap()
}

fn charge_request(method: PaymentMethod, money: Money) -> CreateCharge {
    CreateCharge {
        charge_id: ChargeId::parse("ch_01JD0000000000000000000000").unwrap(),
        idempotency_key: "payorch-ch_01JD0000000000000000000000-stripe".into(),
        money,
        method,
        customer: Customer {
            name: "Maria Silva".into(),
            email: Some("maria@example.com".into()),
            document: None,
        },
        description: Some("Order 1234".into()),
        metadata: BTreeMap::from([("order_id".to_string(), "1234".to_string())]),
        card_token: (method == PaymentMethod::Card).then(|| "pm_card_visa".to_string()),
        expires_in: Duration::from_secs(3600),
    }
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Usd).unwrap()
}

fn brl(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Brl).unwrap()
}

const CARD_BODY: &str = "amount=1990&currency=usd&payment_method_types%5B%5D=card\
&payment_method=pm_card_visa&confirm=true&error_on_requires_action=true\
&description=Order+1234&metadata%5Border_id%5D=1234\
&metadata%5Bpayorch_charge_id%5D=ch_01JD0000000000000000000000";

fn intent(id: &str, status: &str, amount: i64) -> Value {
    json!({
        "id": id, "object": "payment_intent", "amount": amount, "currency": "usd",
        "status": status, "client_secret": format!("{id}_secret_abc"),
        "metadata": {"payorch_charge_id": "ch_01JD0000000000000000000000", "order_id": "1234"},
        "last_payment_error": null, "next_action": null, "latest_charge": "ch_3Abc",
        "livemode": false
    })
}

fn stripe_error(kind: &str, code: Option<&str>, decline: Option<&str>, message: &str) -> Value {
    json!({"error": {"type": kind, "code": code, "decline_code": decline, "message": message,
                     "doc_url": "https://docs.stripe.com/error-codes", "request_log_url": "x"}})
}

// ---- create ----

#[tokio::test]
async fn card_success_sends_the_exact_request() {
    let server = Scripted::start().await;
    server.then(reply(200, intent("pi_3Card", "succeeded", 1990)));
    let charge = server
        .gateway()
        .create_charge(&charge_request(PaymentMethod::Card, usd(1990)))
        .await
        .unwrap();
    server.only().assert_post(
        "/v1/payment_intents",
        "payorch-ch_01JD0000000000000000000000-stripe",
        CARD_BODY,
    );
    assert_eq!(charge.reference, "pi_3Card");
    assert_eq!(charge.status, ChargeStatus::Succeeded);
    assert_eq!(charge.gateway_status, "succeeded");
    assert_eq!(charge.amount, 1990);
    assert_eq!(charge.pix, None);
    assert_eq!(charge.failure, None);
}

#[tokio::test]
async fn zero_decimal_currencies_are_sent_as_whole_units() {
    let server = Scripted::start().await;
    server.then(reply(200, intent("pi_3Yen", "succeeded", 500)));
    let req = charge_request(
        PaymentMethod::Card,
        Money::from_minor(500, Currency::Jpy).unwrap(),
    );
    server.gateway().create_charge(&req).await.unwrap();
    assert!(
        server.only().body.starts_with("amount=500&currency=jpy&"),
        "{:?}",
        server.only().body
    );
}

#[tokio::test]
async fn pix_success_carries_the_qr_code() {
    let server = Scripted::start().await;
    let png = b"\x89PNG\r\n\x1a\nnot really an image".to_vec();
    let mut pi = intent("pi_3Pix", "requires_action", 1990);
    pi["currency"] = json!("brl");
    pi["next_action"] = json!({"type": "pix_display_qr_code", "pix_display_qr_code": {
        "data": "00020126...6304ABCD", "expires_at": 1_790_000_000,
        "image_url_png": format!("{}/qr/pi_3Pix.png", server.base),
        "image_url_svg": null, "hosted_instructions_url": null}});
    server.then(reply(200, pi)).then(Reply {
        status: 200,
        content_type: "image/png",
        body: png.clone(),
    });
    let charge = server
        .gateway()
        .create_charge(&charge_request(PaymentMethod::Pix, brl(1990)))
        .await
        .unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    seen[0].assert_post(
        "/v1/payment_intents",
        "payorch-ch_01JD0000000000000000000000-stripe",
        "amount=1990&currency=brl&payment_method_types%5B%5D=pix\
&payment_method_data%5Btype%5D=pix\
&payment_method_data%5Bbilling_details%5D%5Bname%5D=Maria+Silva\
&payment_method_data%5Bbilling_details%5D%5Bemail%5D=maria%40example.com\
&payment_method_options%5Bpix%5D%5Bexpires_after_seconds%5D=3600&confirm=true\
&description=Order+1234&metadata%5Border_id%5D=1234\
&metadata%5Bpayorch_charge_id%5D=ch_01JD0000000000000000000000",
    );
    // The image lives on a public host: fetched without the secret key.
    assert_eq!(seen[1].method, Method::GET);
    assert_eq!(seen[1].uri, "/qr/pi_3Pix.png");
    assert_eq!(seen[1].header("authorization"), None);

    assert_eq!(charge.status, ChargeStatus::RequiresAction);
    let pix = charge.pix.unwrap();
    assert_eq!(pix.copy_paste, "00020126...6304ABCD");
    assert_eq!(
        pix.expires_at,
        Some(Timestamp::from_unix_millis(1_790_000_000_000))
    );
    assert_eq!(
        pix.qr_code_png,
        Some(base64::engine::general_purpose::STANDARD.encode(&png))
    );
}

#[tokio::test]
async fn refused_before_sending_when_stripe_cannot_take_it() {
    let server = Scripted::start().await;
    let gw = server.gateway();
    let usd_pix = charge_request(PaymentMethod::Pix, usd(1990));
    let boleto = charge_request(PaymentMethod::Boleto, brl(1990));
    let mut no_token = charge_request(PaymentMethod::Card, usd(1990));
    no_token.card_token = None;
    let mut bad_key = charge_request(PaymentMethod::Card, usd(1990));
    bad_key.idempotency_key = "has space".into();
    let mut bad_meta = charge_request(PaymentMethod::Card, usd(1990));
    bad_meta.metadata.insert("a[b]".into(), "x".into());
    let mut long_pix = charge_request(PaymentMethod::Pix, brl(1990));
    long_pix.expires_in = Duration::from_secs(30 * 24 * 3600);
    for (req, names) in [
        (usd_pix, "currency"),
        (boleto, "method"),
        (no_token, "card.tokens.stripe"),
        (bad_key, "idempotency_key"),
        (bad_meta, "metadata"),
        (long_pix, "expires_in"),
    ] {
        let err = gw.create_charge(&req).await.unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::Invalid, "{err}");
        assert!(err.message.starts_with(names), "{err}");
    }
    assert!(server.seen().is_empty());
    let caps = gw.capabilities();
    assert!(caps.supports(PaymentMethod::Pix, Currency::Brl));
    assert!(caps.supports(PaymentMethod::Card, Currency::Jpy));
    assert!(!caps.supports(PaymentMethod::Boleto, Currency::Brl));
}

/// Each Stripe error status, its class, and the code and message kept.
#[tokio::test]
async fn errors_are_classified_with_stripes_code() {
    let cases = [
        (
            402,
            stripe_error(
                "card_error",
                Some("card_declined"),
                Some("insufficient_funds"),
                "Your card has insufficient funds.",
            ),
            AttemptOutcome::Declined,
            Some("insufficient_funds"),
        ),
        (
            402,
            stripe_error(
                "card_error",
                Some("card_declined"),
                None,
                "Your card was declined.",
            ),
            AttemptOutcome::Declined,
            Some("card_declined"),
        ),
        (
            400,
            stripe_error(
                "invalid_request_error",
                Some("parameter_missing"),
                None,
                "Missing required param: amount.",
            ),
            AttemptOutcome::Invalid,
            Some("parameter_missing"),
        ),
        (
            400,
            stripe_error(
                "idempotency_error",
                None,
                None,
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
            ),
            AttemptOutcome::Invalid,
            Some("idempotency_error"),
        ),
        (
            401,
            stripe_error(
                "invalid_request_error",
                None,
                None,
                "Invalid API Key provided: sk_test_****0000",
            ),
            AttemptOutcome::Auth,
            Some("invalid_request_error"),
        ),
        (
            403,
            stripe_error(
                "invalid_request_error",
                Some("secret_key_required"),
                None,
                "This key cannot do that.",
            ),
            AttemptOutcome::Auth,
            Some("secret_key_required"),
        ),
        (
            409,
            stripe_error(
                "idempotency_error",
                Some("idempotency_key_in_use"),
                None,
                "There is currently another in-progress request using this Stripe token.",
            ),
            AttemptOutcome::UnavailableAmbiguous,
            Some("idempotency_key_in_use"),
        ),
        (
            429,
            stripe_error(
                "invalid_request_error",
                Some("rate_limit"),
                None,
                "Too many requests hit the API too quickly.",
            ),
            AttemptOutcome::RateLimited,
            Some("rate_limit"),
        ),
        (
            500,
            stripe_error(
                "api_error",
                None,
                None,
                "Something went wrong on Stripe's end.",
            ),
            AttemptOutcome::UnavailableAmbiguous,
            Some("api_error"),
        ),
    ];
    for (status, body, outcome, code) in cases {
        let message = body["error"]["message"].as_str().unwrap().to_string();
        let server = Scripted::start().await;
        server.then(reply(status, body));
        let err = server
            .gateway()
            .create_charge(&charge_request(PaymentMethod::Card, usd(1990)))
            .await
            .unwrap_err();
        assert_eq!(err.outcome, outcome, "HTTP {status}: {err}");
        assert_eq!(err.code.as_deref(), code, "HTTP {status}");
        assert_eq!(err.http_status, Some(status));
        assert!(err.message.contains(&message), "{err}");
        server.only().assert_post(
            "/v1/payment_intents",
            "payorch-ch_01JD0000000000000000000000-stripe",
            CARD_BODY,
        );
    }
}

#[tokio::test]
async fn odd_answers_are_classified_and_never_show_the_key() {
    let server = Scripted::start().await;
    server
        .then(reply(
            401,
            stripe_error(
                "invalid_request_error",
                None,
                None,
                &format!("Invalid API Key provided: {KEY}"),
            ),
        ))
        .then(Reply {
            status: 502,
            content_type: "text/html",
            body: b"<html>bad gateway</html>".to_vec(),
        })
        .then(Reply {
            status: 200,
            content_type: "application/json",
            body: b"{\"id\": \"pi_tr".to_vec(),
        });
    let gw = server.gateway();
    let req = charge_request(PaymentMethod::Card, usd(1990));
    let err = gw.create_charge(&req).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Auth);
    assert!(!err.to_string().contains(KEY), "{err}");
    assert!(err.message.contains("***"), "{err}");
    let err = gw.create_charge(&req).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
    assert_eq!(err.http_status, Some(502));
    // A 2xx payorch cannot read: Stripe may have charged.
    let err = gw.create_charge(&req).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
    assert!(!format!("{err:?}").contains(KEY));
}

#[tokio::test]
async fn a_refused_connection_was_not_sent() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gw = gateway_at(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5));
    let err = gw
        .create_charge(&charge_request(PaymentMethod::Card, usd(1990)))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableNotSent, "{err}");
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn a_timeout_after_sending_is_ambiguous() {
    // Reads the whole request, then never answers (until the test ends).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (got_request, request_seen) = tokio::sync::oneshot::channel::<String>();
    let silent = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let mut read = 0;
        while !String::from_utf8_lossy(&buf[..read]).contains("confirm=true") {
            match tokio::io::AsyncReadExt::read(&mut sock, &mut buf[read..]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
        let _ = got_request.send(String::from_utf8_lossy(&buf[..read]).into_owned());
        std::future::pending::<()>().await;
    });
    let gw = gateway_at(&format!("http://{addr}"), Duration::from_millis(300));
    let err = gw
        .create_charge(&charge_request(PaymentMethod::Card, usd(1990)))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
    let request = request_seen.await.unwrap();
    assert!(
        request.starts_with("POST /v1/payment_intents HTTP/1.1"),
        "{request}"
    );
    silent.abort();
}

// ---- read, cancel, refund, find ----

#[tokio::test]
async fn retrieve_expands_the_charge_to_see_refunds() {
    let server = Scripted::start().await;
    let mut pi = intent("pi_3Read", "succeeded", 1990);
    pi["latest_charge"] = json!({"id": "ch_3X", "object": "charge", "amount": 1990,
        "amount_refunded": 500, "refunded": false, "payment_intent": "pi_3Read"});
    server.then(reply(200, pi));
    let charge = server.gateway().get_charge("pi_3Read").await.unwrap();
    server
        .only()
        .assert_get("/v1/payment_intents/pi_3Read?expand%5B%5D=latest_charge");
    assert_eq!(charge.status, ChargeStatus::PartiallyRefunded);
    assert_eq!(charge.amount_refunded, 500);
    assert_eq!(charge.gateway_status, "succeeded");
}

#[tokio::test]
async fn a_failed_intent_reports_why() {
    let server = Scripted::start().await;
    let mut pi = intent("pi_3Fail", "requires_payment_method", 1990);
    pi["last_payment_error"] = json!({"type": "card_error", "code": "card_declined",
        "decline_code": "insufficient_funds", "message": "Your card has insufficient funds."});
    server.then(reply(200, pi));
    let charge = server.gateway().get_charge("pi_3Fail").await.unwrap();
    assert_eq!(charge.status, ChargeStatus::Failed);
    let failure = charge.failure.unwrap();
    assert_eq!(failure.code, "insufficient_funds");
    assert_eq!(failure.message, "Your card has insufficient funds.");
}

#[tokio::test]
async fn a_bad_reference_never_reaches_stripe() {
    let server = Scripted::start().await;
    let err = server
        .gateway()
        .get_charge("../v1/refunds")
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    let err = server.gateway().cancel("pi_1/x").await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn cancel_posts_with_a_key_derived_from_the_intent() {
    let server = Scripted::start().await;
    server.then(reply(200, intent("pi_3Gone", "canceled", 1990)));
    let charge = server.gateway().cancel("pi_3Gone").await.unwrap();
    server.only().assert_post(
        "/v1/payment_intents/pi_3Gone/cancel",
        "payorch-cancel-pi_3Gone",
        "",
    );
    assert_eq!(charge.status, ChargeStatus::Canceled);
}

#[tokio::test]
async fn refund_sends_amount_and_key_and_maps_status() {
    for (status, expected) in [
        ("succeeded", RefundStatus::Succeeded),
        ("pending", RefundStatus::Pending),
        ("requires_action", RefundStatus::Pending),
        ("failed", RefundStatus::Failed),
        ("canceled", RefundStatus::Failed),
    ] {
        let server = Scripted::start().await;
        server.then(reply(
            200,
            json!({"id": "re_3R", "object": "refund", "amount": 700,
            "status": status, "payment_intent": "pi_3Paid", "currency": "usd"}),
        ));
        let refund = server
            .gateway()
            .refund(&CreateRefund {
                refund_id: RefundId::parse("re_01JD0000000000000000000000").unwrap(),
                charge_reference: "pi_3Paid".into(),
                payment_reference: None,
                money: usd(700),
                idempotency_key: "payorch-re_01JD-stripe".into(),
                reason: Some("customer asked".into()),
            })
            .await
            .unwrap();
        server.only().assert_post(
            "/v1/refunds",
            "payorch-re_01JD-stripe",
            "payment_intent=pi_3Paid&amount=700\
&metadata%5Bpayorch_refund_id%5D=re_01JD0000000000000000000000\
&metadata%5Bpayorch_reason%5D=customer+asked",
        );
        assert_eq!(refund.reference, "re_3R");
        assert_eq!(refund.status, expected, "{status}");
        assert_eq!(refund.gateway_status, status);
        assert_eq!(refund.amount, 700);
    }
}

#[tokio::test]
async fn find_charge_searches_by_payorch_metadata() {
    let server = Scripted::start().await;
    let search = |data: Vec<Value>| {
        reply(
            200,
            json!({"object": "search_result", "data": data, "has_more": false,
                          "next_page": null, "url": "/v1/payment_intents/search"}),
        )
    };
    server
        .then(search(vec![
            intent("pi_3Old", "canceled", 1990),
            intent("pi_3Live", "succeeded", 1990),
        ]))
        .then(search(vec![]));
    let gw = server.gateway();
    let req = charge_request(PaymentMethod::Card, usd(1990));
    let found = gw.find_charge(&req).await.unwrap().unwrap();
    assert_eq!(found.reference, "pi_3Live");
    assert_eq!(found.status, ChargeStatus::Succeeded);
    assert_eq!(gw.find_charge(&req).await.unwrap(), None);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        s.assert_get(
            "/v1/payment_intents/search?query=metadata%5B%27payorch_charge_id%27%5D%3A%27ch_01JD0000000000000000000000%27",
        );
    }
}

// ---- webhooks ----

fn signed_headers(secret: &str, t: i64, body: &[u8]) -> HeaderMap {
    let sig = webhook_signature(&Secret::new(secret), t, body);
    let mut h = HeaderMap::new();
    h.insert(
        "stripe-signature",
        format!("t={t},v1={sig}").parse().unwrap(),
    );
    h
}

const NOW: i64 = 1_790_000_000;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_millis(seconds * 1000)
}

fn verify(headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), WebhookError> {
    let gw = gateway_at("http://127.0.0.1:9", Duration::from_secs(1));
    gw.verify_webhook(&WebhookRequest {
        headers,
        query: None,
        body,
        now: at(now),
    })
}

fn unauthenticated(r: Result<(), WebhookError>) -> bool {
    matches!(r, Err(WebhookError::Unauthenticated(_)))
}

#[test]
fn webhook_signatures_are_checked() {
    let body = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    let good = signed_headers(WHSEC, NOW, body);
    assert_eq!(verify(&good, body, NOW), Ok(()));
    // Exactly at the tolerance, both ways, still passes.
    assert_eq!(verify(&good, body, NOW + 300), Ok(()));
    assert_eq!(verify(&good, body, NOW - 300), Ok(()));

    assert!(unauthenticated(verify(
        &good,
        br#"{"id":"evt_1","type":"payment_intent.succeedeD"}"#,
        NOW
    )));
    assert!(unauthenticated(verify(
        &signed_headers("whsec_other", NOW, body),
        body,
        NOW
    )));
    assert!(unauthenticated(verify(&good, body, NOW + 301)), "expired");
    assert!(
        unauthenticated(verify(&good, body, NOW - 301)),
        "from the future"
    );
    assert!(
        unauthenticated(verify(&HeaderMap::new(), body, NOW)),
        "missing"
    );

    let sig = webhook_signature(&Secret::new(WHSEC), NOW, body);
    let header = |value: String| {
        let mut h = HeaderMap::new();
        h.insert("stripe-signature", value.parse().unwrap());
        h
    };
    assert!(
        unauthenticated(verify(&header(format!("t={NOW},v0={sig}")), body, NOW)),
        "no v1"
    );
    assert!(
        unauthenticated(verify(
            &header(format!("t={NOW},v1=zz{}", &sig[2..])),
            body,
            NOW
        )),
        "bad hex"
    );
    assert!(
        unauthenticated(verify(&header(format!("v1={sig}")), body, NOW)),
        "no t"
    );
    // The signature covers the timestamp: moving t breaks it.
    assert!(unauthenticated(verify(
        &header(format!("t={},v1={sig}", NOW + 1)),
        body,
        NOW
    )));
    // Several v1 (a secret being rolled): any match passes, in any position.
    let wrong = webhook_signature(&Secret::new("whsec_old"), NOW, body);
    assert_eq!(
        verify(&header(format!("t={NOW},v1={wrong},v1={sig}")), body, NOW),
        Ok(())
    );
    assert_eq!(
        verify(&header(format!("t={NOW},v1={sig},v1=nothex")), body, NOW),
        Ok(())
    );
    assert!(unauthenticated(verify(
        &header(format!("t={NOW},v1={wrong},v1={wrong}")),
        body,
        NOW
    )));
}

#[test]
fn without_a_webhook_secret_nothing_is_authentic() {
    let settings = StripeSettings::default();
    let gw = StripeGateway::new(
        &settings,
        StripeCredentials {
            secret_key: Secret::new(KEY),
            webhook_secret: None,
        },
    )
    .unwrap();
    let body = b"{}";
    let headers = signed_headers(WHSEC, NOW, body);
    let r = gw.verify_webhook(&WebhookRequest {
        headers: &headers,
        query: None,
        body,
        now: at(NOW),
    });
    assert!(unauthenticated(r));
}

fn parse(body: &Value) -> Result<Vec<payorch::gateway::GatewayEvent>, WebhookError> {
    let gw = gateway_at("http://127.0.0.1:9", Duration::from_secs(1));
    let bytes = body.to_string().into_bytes();
    let headers = signed_headers(WHSEC, NOW, &bytes);
    gw.parse_webhook(&WebhookRequest {
        headers: &headers,
        query: None,
        body: &bytes,
        now: at(NOW),
    })
}

fn event(kind: &str, object: Value) -> Value {
    json!({"id": "evt_3Test", "object": "event", "api_version": VERSION, "created": NOW,
           "livemode": false, "type": kind, "data": {"object": object}})
}

#[test]
fn every_mapped_event_type_parses() {
    let mut failed = intent("pi_3E", "requires_payment_method", 1990);
    failed["last_payment_error"] = json!({"type": "card_error", "code": "card_declined"});
    let cases = [
        (
            "payment_intent.succeeded",
            intent("pi_3E", "succeeded", 1990),
            ChargeStatus::Succeeded,
        ),
        (
            "payment_intent.payment_failed",
            failed,
            ChargeStatus::Failed,
        ),
        (
            "payment_intent.canceled",
            intent("pi_3E", "canceled", 1990),
            ChargeStatus::Canceled,
        ),
        (
            "payment_intent.processing",
            intent("pi_3E", "processing", 1990),
            ChargeStatus::Processing,
        ),
        (
            "payment_intent.requires_action",
            intent("pi_3E", "requires_action", 1990),
            ChargeStatus::RequiresAction,
        ),
    ];
    for (kind, object, status) in cases {
        let events = parse(&event(kind, object)).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.event_id, "evt_3Test");
        assert_eq!(e.kind, kind);
        assert_eq!(e.reference, "pi_3E");
        assert_eq!(e.status, Some(status), "{kind}");
        assert_eq!(
            e.charge_id.as_ref().map(|c| c.as_str()),
            Some("ch_01JD0000000000000000000000")
        );
        assert_eq!(e.occurred_at, Some(at(NOW)));
        assert_eq!(e.amount_refunded, None);
    }
}

#[test]
fn charge_refunded_tells_partial_from_full() {
    let charge = |refunded: i64, full: bool| {
        json!({"id": "ch_3C", "object": "charge", "amount": 1990, "amount_refunded": refunded,
               "refunded": full, "payment_intent": "pi_3E",
               "metadata": {"payorch_charge_id": "ch_01JD0000000000000000000000"}})
    };
    let partial = &parse(&event("charge.refunded", charge(500, false))).unwrap()[0];
    assert_eq!(partial.reference, "pi_3E");
    assert_eq!(partial.status, Some(ChargeStatus::PartiallyRefunded));
    assert_eq!(partial.amount_refunded, Some(500));
    assert!(partial.charge_id.is_some());
    let full = &parse(&event("charge.refunded", charge(1990, true))).unwrap()[0];
    assert_eq!(full.status, Some(ChargeStatus::Refunded));
    assert_eq!(full.amount_refunded, Some(1990));
}

#[test]
fn unmapped_events_are_kept_without_a_status() {
    let e = &parse(&event(
        "payment_intent.created",
        intent("pi_3E", "requires_payment_method", 1990),
    ))
    .unwrap()[0];
    assert_eq!(e.kind, "payment_intent.created");
    assert_eq!(e.event_id, "evt_3Test");
    assert_eq!(e.reference, "pi_3E");
    assert_eq!(e.status, None);
    let e = &parse(&event("customer.created", json!({"id": "cus_1"}))).unwrap()[0];
    assert_eq!(e.status, None);
    assert_eq!(e.reference, "cus_1");
}

#[test]
fn unreadable_events_are_malformed() {
    for body in [
        json!("not an object"),
        json!({"type": "payment_intent.succeeded", "data": {"object": {}}}),
        event("payment_intent.succeeded", json!({"id": "pi_1"})),
        event(
            "charge.refunded",
            json!({"id": "ch_1", "amount_refunded": 5}),
        ),
    ] {
        assert!(
            matches!(parse(&body), Err(WebhookError::Malformed(_))),
            "{body}"
        );
    }
}
