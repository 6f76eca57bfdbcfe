//! The Stripe adapter's tests: against a scripted local server that records every request
//! (method, path, headers, exact body) and answers from a script; webhook signatures and event
//! parsing; and round trips against the sandbox's Stripe fake. Not here: the orchestrator.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use serde_json::{Value, json};

use payorch::clock::Timestamp;
use payorch::config::{HumanDuration, StripeSettings};
use payorch::gateway::stripe::{StripeCredentials, StripeGateway, webhook_signature};
use payorch::gateway::{CreateCharge, CreateRefund, Gateway, WebhookError, WebhookRequest};
use payorch::id::{ChargeId, RefundId};
use payorch::model::{
    AttemptOutcome, ChargeStatus, Currency, Customer, Fee, Money, PaymentMethod, RefundStatus,
};
use payorch::secret::Secret;

use crate::common::scripted::{Reply, Scripted, Seen};

const KEY: &str = "sk_test_51AdapterTestKey0000000000000000";
const WHSEC: &str = "whsec_adapter_test_secret_0123456789";
const VERSION: &str = "2026-09-30.endive";
const FORM: &str = "application/x-www-form-urlencoded";

// ---- a scripted Stripe (the shared scripted server, with Stripe's wire rules) ----

/// What every Stripe API call must look like, checked on a request the server saw.
trait StripeRequest {
    fn assert_api_headers(&self);
    fn assert_post(&self, path: &str, idempotency_key: &str, body: &str);
    fn assert_get(&self, uri: &str);
}

impl StripeRequest for Seen {
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
        assert_eq!(self.uri(), path);
        self.assert_api_headers();
        assert_eq!(self.header("idempotency-key"), Some(idempotency_key));
        assert_eq!(self.header("content-type"), Some(FORM));
        assert_eq!(self.body, body);
    }

    fn assert_get(&self, uri: &str) {
        assert_eq!(self.method, Method::GET, "{self:?}");
        assert_eq!(self.uri(), uri);
        self.assert_api_headers();
        assert_eq!(self.header("idempotency-key"), None);
        assert_eq!(self.header("content-type"), None);
        assert_eq!(self.body, "");
    }
}

fn reply(status: u16, body: Value) -> Reply {
    Reply::json(status, body)
}

trait StripeServer {
    /// The adapter pointed at this server.
    fn gateway(&self) -> StripeGateway;
}

impl StripeServer for Scripted {
    fn gateway(&self) -> StripeGateway {
        gateway_at(&self.base, Duration::from_secs(5))
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
&expand%5B%5D=latest_charge.balance_transaction\
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
    // Not expanded (the id only): no fee, and the charge is not the worse for it.
    assert_eq!(charge.fee, None);
}

/// The fee comes in the create's own answer (`expand[]=latest_charge.balance_transaction`):
/// Stripe's `fee`, in the balance transaction's currency.
#[tokio::test]
async fn card_success_reads_stripes_fee_from_the_expanded_balance_transaction() {
    let server = Scripted::start().await;
    let mut pi = intent("pi_3Fee", "succeeded", 1990);
    pi["latest_charge"] = json!({"id": "ch_3Fee", "object": "charge", "amount": 1990,
        "amount_refunded": 0, "refunded": false, "payment_intent": "pi_3Fee",
        "balance_transaction": {"id": "txn_3Fee", "object": "balance_transaction",
            "amount": 1990, "currency": "usd", "fee": 88, "net": 1902, "type": "charge",
            "fee_details": [{"amount": 88, "currency": "usd", "type": "stripe_fee",
                "description": "Stripe processing fees", "application": null}]}});
    server.then(reply(200, pi));
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
    assert_eq!(charge.fee, Fee::reported(88, Currency::Usd));
    // A balance transaction not expanded (its id), or one in a currency payorch does not
    // know: no fee, the charge as it is.
    let server = Scripted::start().await;
    let mut pi = intent("pi_3Fee", "succeeded", 1990);
    pi["latest_charge"] = json!({"id": "ch_3Fee", "object": "charge",
        "balance_transaction": "txn_3Fee"});
    server.then(reply(200, pi));
    let charge = server.gateway().get_charge("pi_3Fee").await.unwrap();
    assert_eq!((charge.status, charge.fee), (ChargeStatus::Succeeded, None));
    let server = Scripted::start().await;
    let mut pi = intent("pi_3Fee", "succeeded", 1990);
    pi["latest_charge"] = json!({"id": "ch_3Fee", "object": "charge",
        "balance_transaction": {"id": "txn_1", "fee": 88, "currency": "chf"}});
    server.then(reply(200, pi));
    let charge = server.gateway().get_charge("pi_3Fee").await.unwrap();
    assert_eq!((charge.status, charge.fee), (ChargeStatus::Succeeded, None));
}

/// A charge in one currency on an account that settles in another: Stripe's balance
/// transaction, and so its `fee`, is in the settlement currency. payorch converts nothing: the
/// fee is kept in the currency Stripe gives (here a USD charge, a BRL fee), and `fee.currency`
/// says which (README, "Costs"). This is the read the reconciler makes for a fee the payment's
/// answer or webhook lacked (Stripe's Pix).
#[tokio::test]
async fn a_fee_in_the_settlement_currency_is_kept_in_that_currency() {
    let server = Scripted::start().await;
    let mut pi = intent("pi_3Fx", "succeeded", 1990);
    pi["latest_charge"] = json!({"id": "ch_3Fx", "object": "charge", "amount": 1990,
        "amount_refunded": 0, "refunded": false, "payment_intent": "pi_3Fx",
        "balance_transaction": {"id": "txn_3Fx", "object": "balance_transaction",
            "amount": 10351, "currency": "brl", "exchange_rate": 5.2018, "fee": 452,
            "net": 9899, "type": "charge"}});
    server.then(reply(200, pi));
    let charge = server.gateway().get_charge("pi_3Fx").await.unwrap();
    server.only().assert_get(
        "/v1/payment_intents/pi_3Fx?expand%5B%5D=latest_charge\
&expand%5B%5D=latest_charge.balance_transaction",
    );
    assert_eq!(charge.amount, 1990, "the charge stays in USD cents");
    assert_eq!(charge.fee, Fee::reported(452, Currency::Brl));
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
    let mut pi = intent("pi_3Pix", "requires_action", 1990);
    pi["currency"] = json!("brl");
    pi["next_action"] = json!({"type": "pix_display_qr_code", "pix_display_qr_code": {
        "data": "00020126...6304ABCD", "expires_at": 1_790_000_000,
        "image_url_png": format!("{}/qr/pi_3Pix.png", server.base),
        "image_url_svg": null, "hosted_instructions_url": null}});
    server.then(reply(200, pi));
    let charge = server
        .gateway()
        .create_charge(&charge_request(PaymentMethod::Pix, brl(1990)))
        .await
        .unwrap();
    let seen = server.seen();
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
    // No image is fetched (`image_url_png`): only the create reached the server.
    assert_eq!(seen.len(), 1, "only the create reached the server");

    assert_eq!(charge.status, ChargeStatus::RequiresAction);
    let pix = charge.pix.unwrap();
    assert_eq!(pix.copy_paste, "00020126...6304ABCD");
    assert_eq!(
        pix.expires_at,
        Some(Timestamp::from_unix_millis(1_790_000_000_000))
    );
    // No PNG on the charge path (issue 16): the QR is rendered on demand from the BR Code.
    assert_eq!(pix.qr_code_png, None);
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
        .then(Reply::with_type(
            502,
            "text/html",
            "<html>bad gateway</html>",
        ))
        .then(Reply::json(200, "{\"id\": \"pi_tr"));
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
    let gw = gateway_at(&crate::common::refused_base(), Duration::from_secs(5));
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
    let silent = Scripted::answering(|_| Some(Reply::never())).await;
    let gw = gateway_at(&silent.base, Duration::from_millis(300));
    let err = gw
        .create_charge(&charge_request(PaymentMethod::Card, usd(1990)))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
    let request = silent.wait_for(1).await.remove(0);
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/payment_intents")
    );
    assert!(request.body.contains("confirm=true"), "{request:?}");
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
    server.only().assert_get(
        "/v1/payment_intents/pi_3Read?expand%5B%5D=latest_charge\
&expand%5B%5D=latest_charge.balance_transaction",
    );
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

/// A refund Stripe answered `pending` settles by `refund.updated` / `refund.failed`: the news
/// names it by Stripe's id and by payorch's (the metadata the adapter sent), and leaves the
/// charge's status to `charge.refunded`. Stripe's refunds are never resent by the reconciler
/// (its idempotency keys expire after 24 hours), so these events are how one settles.
#[test]
fn refund_events_name_the_refund_and_settle_it() {
    let refund = |status: &str| {
        json!({"id": "re_3R", "object": "refund", "amount": 500, "status": status,
               "payment_intent": "pi_3E",
               "metadata": {"payorch_refund_id": "re_01JD0000000000000000000000"}})
    };
    for (kind, status, expected) in [
        ("refund.updated", "succeeded", RefundStatus::Succeeded),
        ("refund.updated", "pending", RefundStatus::Pending),
        ("refund.failed", "failed", RefundStatus::Failed),
        ("charge.refund.updated", "canceled", RefundStatus::Failed),
    ] {
        let e = &parse(&event(kind, refund(status))).unwrap()[0];
        assert_eq!(e.reference, "pi_3E", "{kind}");
        assert_eq!(
            e.status, None,
            "{kind}: the charge's move is charge.refunded's"
        );
        assert_eq!(e.refunds.len(), 1);
        let n = &e.refunds[0];
        assert_eq!(n.reference, "re_3R");
        assert_eq!(
            n.refund_id.as_ref().map(|r| r.as_str()),
            Some("re_01JD0000000000000000000000")
        );
        assert_eq!((n.status, n.amount), (expected, 500), "{kind} {status}");
    }
    let gw = gateway_at("http://127.0.0.1:9", Duration::from_secs(5));
    assert!(!gw.capabilities().refund_resend_is_idempotent);
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

// ---- round trips against the sandbox's fake ----

use payorch::clock::{Clock, ManualClock};
use payorch::gateway::GatewayEvent;
use payorch::sandbox::stripe::StripeFake;
use payorch::sandbox::{FakeGateway, SandboxError};

use crate::common::fake::InProcessFake;
use crate::common::json_of;

struct Sandbox {
    fake: Arc<StripeFake>,
    base: String,
    clock: Arc<ManualClock>,
    served: InProcessFake<StripeFake>,
    gw: StripeGateway,
    secret_key: String,
}

impl Sandbox {
    async fn start() -> Sandbox {
        let served = InProcessFake::start(at(NOW), StripeFake::new).await;
        let creds: BTreeMap<_, _> = served.fake.credentials().into_iter().collect();
        let secret_key = creds["secret_key"].clone();
        assert!(secret_key.starts_with("sk_test_"));
        assert!(creds["webhook_secret"].starts_with("whsec_"));
        let settings = StripeSettings {
            base_url: served.base.clone(),
            ..StripeSettings::default()
        };
        let gw = StripeGateway::new(
            &settings,
            StripeCredentials {
                secret_key: Secret::new(&secret_key),
                webhook_secret: Some(Secret::new(&creds["webhook_secret"])),
            },
        )
        .unwrap();
        Sandbox {
            fake: served.fake.clone(),
            base: served.base.clone(),
            clock: served.clock.clone(),
            served,
            gw,
            secret_key,
        }
    }

    /// The next queued webhook of type `kind`, verified and parsed by the adapter. The fake
    /// queues webhooks before it answers, so they are there without waiting.
    fn event(&mut self, kind: &str) -> GatewayEvent {
        loop {
            let webhook = self
                .served
                .next_webhook()
                .unwrap_or_else(|| panic!("no {kind} webhook queued"));
            let body = webhook.json();
            if body["type"] != kind {
                continue;
            }
            assert_eq!(body["object"], "event");
            assert_eq!(body["livemode"], false);
            assert_eq!(body["api_version"], VERSION);
            assert!(body["id"].as_str().unwrap().starts_with("evt_"));
            let req = webhook.request(self.clock.now());
            self.gw.verify_webhook(&req).unwrap();
            let mut events = self.gw.parse_webhook(&req).unwrap();
            assert_eq!(events.len(), 1);
            let event = events.remove(0);
            assert_eq!(event.event_id, body["id"].as_str().unwrap());
            return event;
        }
    }

    fn raw(&self) -> reqwest::Client {
        payorch::gateway::http::install_crypto_provider();
        reqwest::Client::new()
    }
}

fn fresh_request(method: PaymentMethod, money: Money) -> CreateCharge {
    let id = ChargeId::generate();
    CreateCharge {
        idempotency_key: format!("payorch-{id}-stripe"),
        charge_id: id,
        ..charge_request(method, money)
    }
}

fn refund_of(reference: &str, amount: i64) -> CreateRefund {
    let id = RefundId::generate();
    CreateRefund {
        idempotency_key: format!("payorch-{id}-stripe"),
        refund_id: id,
        charge_reference: reference.into(),
        payment_reference: None,
        money: brl(amount),
        reason: None,
    }
}

fn assert_valid_pix(copy_paste: &str, cents: i64) {
    let code = payorch::brcode::parse(copy_paste).unwrap();
    assert_eq!(code.amount_cents(), Some(cents));
    assert!(code.txid().is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn round_trip_card_and_pix_through_the_fake() {
    let mut sb = Sandbox::start().await;

    let card_req = fresh_request(PaymentMethod::Card, usd(2500));
    let card = sb.gw.create_charge(&card_req).await.unwrap();
    assert!(card.reference.starts_with("pi_"), "{}", card.reference);
    assert_eq!(card.status, ChargeStatus::Succeeded);
    assert_eq!(card.amount, 2500);
    let e = sb.event("payment_intent.succeeded");
    assert_eq!(e.reference, card.reference);
    assert_eq!(e.charge_id, Some(card_req.charge_id.clone()));
    assert_eq!(e.status, Some(ChargeStatus::Succeeded));

    let pix_req = fresh_request(PaymentMethod::Pix, brl(1990));
    let pix = sb.gw.create_charge(&pix_req).await.unwrap();
    assert_eq!(pix.status, ChargeStatus::RequiresAction);
    let details = pix.pix.clone().unwrap();
    assert_valid_pix(&details.copy_paste, 1990);
    assert_eq!(details.expires_at, Some(at(NOW + 3600)));
    assert_eq!(details.qr_code_png, None, "the BR Code only");
    let e = sb.event("payment_intent.requires_action");
    assert_eq!(e.status, Some(ChargeStatus::RequiresAction));

    let read = sb.gw.get_charge(&pix.reference).await.unwrap();
    assert_eq!(read.status, ChargeStatus::RequiresAction);
    assert_eq!(read.pix.unwrap().copy_paste, details.copy_paste);

    let paid = sb.fake.pay(&pix.reference).unwrap();
    assert_eq!(paid["status"], "succeeded");
    let e = sb.event("payment_intent.succeeded");
    assert_eq!(e.reference, pix.reference);
    assert_eq!(e.charge_id, Some(pix_req.charge_id.clone()));
    assert_eq!(e.status, Some(ChargeStatus::Succeeded));
    assert_eq!(
        sb.gw.get_charge(&pix.reference).await.unwrap().status,
        ChargeStatus::Succeeded
    );
    assert!(matches!(
        sb.fake.pay(&pix.reference),
        Err(SandboxError::Conflict(_))
    ));

    let r = sb.gw.refund(&refund_of(&pix.reference, 500)).await.unwrap();
    assert!(r.reference.starts_with("re_"));
    assert_eq!((r.status, r.amount), (RefundStatus::Succeeded, 500));
    let e = sb.event("charge.refunded");
    assert_eq!(e.reference, pix.reference);
    assert_eq!(e.charge_id, Some(pix_req.charge_id.clone()));
    assert_eq!(e.status, Some(ChargeStatus::PartiallyRefunded));
    assert_eq!(e.amount_refunded, Some(500));
    let read = sb.gw.get_charge(&pix.reference).await.unwrap();
    assert_eq!(read.status, ChargeStatus::PartiallyRefunded);
    assert_eq!(read.amount_refunded, 500);

    sb.gw
        .refund(&refund_of(&pix.reference, 1490))
        .await
        .unwrap();
    let e = sb.event("charge.refunded");
    assert_eq!(e.status, Some(ChargeStatus::Refunded));
    assert_eq!(e.amount_refunded, Some(1990));
    let err = sb
        .gw
        .refund(&refund_of(&pix.reference, 1))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert_eq!(err.code.as_deref(), Some("charge_already_refunded"));

    let found = sb.gw.find_charge(&pix_req).await.unwrap().unwrap();
    assert_eq!(found.reference, pix.reference);
    assert_eq!(found.status, ChargeStatus::Succeeded);
    assert_eq!(
        sb.gw
            .find_charge(&fresh_request(PaymentMethod::Pix, brl(1)))
            .await
            .unwrap(),
        None
    );

    let held = sb.fake.charges();
    let ids: Vec<&str> = held.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [card.reference.as_str(), pix.reference.as_str()]);
    for c in &held {
        assert_eq!(c["object"], "payment_intent");
        assert!(
            c["client_secret"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{}_secret_", c["id"].as_str().unwrap()))
        );
        assert!(c["latest_charge"].as_str().unwrap().starts_with("ch_"));
    }
}

#[tokio::test]
async fn every_pix_payload_the_fake_returns_is_a_valid_br_code() {
    let sb = Sandbox::start().await;
    // Stripe's least and greatest BRL amounts (R$0.50, eight digits) and two between.
    for cents in [50, 1990, 123_456, 99_999_999] {
        let pix = sb
            .gw
            .create_charge(&fresh_request(PaymentMethod::Pix, brl(cents)))
            .await
            .unwrap();
        assert_valid_pix(&pix.pix.unwrap().copy_paste, cents);
    }
    for c in sb.fake.charges() {
        let data = c["next_action"]["pix_display_qr_code"]["data"]
            .as_str()
            .unwrap();
        assert_valid_pix(data, c["amount"].as_i64().unwrap());
    }
    assert_eq!(sb.fake.charges().len(), 4);
    // Outside Stripe's limits the fake refuses, as Stripe does, and creates nothing.
    for (cents, code) in [(49, "amount_too_small"), (100_000_000, "amount_too_large")] {
        let err = sb
            .gw
            .create_charge(&fresh_request(PaymentMethod::Pix, brl(cents)))
            .await
            .unwrap_err();
        assert_eq!(err.code.as_deref(), Some(code), "{cents}: {err:?}");
    }
    assert_eq!(sb.fake.charges().len(), 4);
}

#[tokio::test]
async fn the_fake_replays_idempotent_requests_like_stripe() {
    let sb = Sandbox::start().await;
    let req = fresh_request(PaymentMethod::Card, usd(1990));
    let first = sb.gw.create_charge(&req).await.unwrap();
    let again = sb.gw.create_charge(&req).await.unwrap();
    assert_eq!(first.reference, again.reference);
    assert_eq!(sb.fake.charges().len(), 1);

    // The replay is marked, and byte-for-byte the first answer.
    let http = sb.raw();
    let send = |key: &'static str, api_key: &str, body: &'static str| {
        http.post(format!("{}/v1/payment_intents", sb.base))
            .bearer_auth(api_key)
            .header("Idempotency-Key", key)
            .header("Content-Type", FORM)
            .body(body)
            .send()
    };
    let body = "amount=700&currency=brl&payment_method=pm_card_visa&confirm=true";
    let a = send("k1", &sb.secret_key, body).await.unwrap();
    assert_eq!(a.status(), 200);
    assert!(a.headers().get("idempotent-replayed").is_none());
    let a: Value = json_of(a).await;
    let b = send("k1", &sb.secret_key, body).await.unwrap();
    assert_eq!(b.headers()["idempotent-replayed"], "true");
    assert_eq!(json_of(b).await, a);

    // Same key, other parameters: refused, nothing created.
    let c = send(
        "k1",
        &sb.secret_key,
        "amount=701&currency=brl&payment_method=pm_card_visa&confirm=true",
    )
    .await
    .unwrap();
    assert_eq!(c.status(), 400);
    assert_eq!(json_of(c).await["error"]["type"], "idempotency_error");
    assert_eq!(sb.fake.charges().len(), 2);

    // Keys are scoped per API key.
    let d = json_of(send("k1", "sk_test_another_account", body).await.unwrap()).await;
    assert_ne!(d["id"], a["id"]);
    assert_eq!(sb.fake.charges().len(), 3);

    // The adapter reports a reused key as payorch's mistake.
    let mut changed = req.clone();
    changed.money = usd(1991);
    let err = sb.gw.create_charge(&changed).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid, "{err}");
    assert_eq!(err.code.as_deref(), Some("idempotency_error"));
}

#[tokio::test]
async fn stripe_test_cards_decline_through_the_adapter() {
    let mut sb = Sandbox::start().await;
    for (token, outcome, code) in [
        (
            "pm_card_chargeDeclined",
            AttemptOutcome::Declined,
            "generic_decline",
        ),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            AttemptOutcome::Declined,
            "insufficient_funds",
        ),
        (
            "pm_card_authenticationRequired",
            AttemptOutcome::Declined,
            "authentication_required",
        ),
        (
            "pm_card_nonexistent",
            AttemptOutcome::Invalid,
            "resource_missing",
        ),
    ] {
        let mut req = fresh_request(PaymentMethod::Card, usd(1990));
        req.card_token = Some(token.into());
        let err = sb.gw.create_charge(&req).await.unwrap_err();
        assert_eq!(err.outcome, outcome, "{token}: {err}");
        assert_eq!(err.code.as_deref(), Some(code), "{token}");
        let found = sb.gw.find_charge(&req).await.unwrap();
        if outcome == AttemptOutcome::Declined {
            // The declined intent exists at Stripe, failed, with the reason.
            let found = found.unwrap();
            assert_eq!(found.status, ChargeStatus::Failed, "{token}");
            assert_eq!(found.failure.unwrap().code, code);
            let e = sb.event("payment_intent.payment_failed");
            assert_eq!(e.reference, found.reference);
            assert_eq!(e.status, Some(ChargeStatus::Failed));
            // A retry with the same key replays the decline rather than charging again.
            let again = sb.gw.create_charge(&req).await.unwrap_err();
            assert_eq!(again.code.as_deref(), Some(code));
        } else {
            assert_eq!(found, None, "a validation error creates nothing");
        }
    }
    let mut mastercard = fresh_request(PaymentMethod::Card, usd(1990));
    mastercard.card_token = Some("pm_card_mastercard".into());
    assert_eq!(
        sb.gw.create_charge(&mastercard).await.unwrap().status,
        ChargeStatus::Succeeded
    );
}

#[tokio::test]
async fn cancel_and_expiry_through_the_fake() {
    let mut sb = Sandbox::start().await;
    let pix = sb
        .gw
        .create_charge(&fresh_request(PaymentMethod::Pix, brl(990)))
        .await
        .unwrap();
    let canceled = sb.gw.cancel(&pix.reference).await.unwrap();
    assert_eq!(canceled.status, ChargeStatus::Canceled);
    let e = sb.event("payment_intent.canceled");
    assert_eq!(e.status, Some(ChargeStatus::Canceled));
    // A retried cancel replays the first answer.
    assert_eq!(
        sb.gw.cancel(&pix.reference).await.unwrap().status,
        ChargeStatus::Canceled
    );
    assert!(matches!(
        sb.fake.pay(&pix.reference),
        Err(SandboxError::Conflict(_))
    ));
    assert!(matches!(
        sb.fake.pay("pi_nothing"),
        Err(SandboxError::NotFound(_))
    ));
    let err = sb.gw.get_charge("pi_nothing").await.unwrap_err();
    assert_eq!(
        (err.outcome, err.http_status),
        (AttemptOutcome::Invalid, Some(404))
    );

    // A Pix nobody paid in time fails.
    let late = sb
        .gw
        .create_charge(&fresh_request(PaymentMethod::Pix, brl(990)))
        .await
        .unwrap();
    sb.clock.advance(Duration::from_secs(3601));
    let read = sb.gw.get_charge(&late.reference).await.unwrap();
    assert_eq!(read.status, ChargeStatus::Failed);
    assert!(matches!(
        sb.fake.pay(&late.reference),
        Err(SandboxError::Conflict(_))
    ));
}

#[tokio::test]
async fn the_fake_validates_and_authenticates_like_stripe() {
    let sb = Sandbox::start().await;
    let http = sb.raw();
    let create = |body: &'static str| {
        http.post(format!("{}/v1/payment_intents", sb.base))
            .bearer_auth(&sb.secret_key)
            .header("Content-Type", FORM)
            .body(body)
            .send()
    };
    for (body, param, code) in [
        ("currency=usd", "amount", Some("parameter_missing")),
        ("amount=100", "currency", Some("parameter_missing")),
        (
            "amount=abc&currency=usd",
            "amount",
            Some("parameter_invalid_integer"),
        ),
        ("amount=100&currency=xyz", "currency", None),
        (
            "amount=100&currency=usd&payment_method_types[]=pix",
            "currency",
            Some("payment_intent_invalid_parameter"),
        ),
        (
            "amount=100&currency=usd&amout=1",
            "amout",
            Some("parameter_unknown"),
        ),
    ] {
        let r = create(body).await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = json_of(r).await;
        assert_eq!(e["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(e["error"]["param"], param, "{body}");
        assert_eq!(e["error"]["code"].as_str(), code, "{body}");
    }
    assert!(sb.fake.charges().is_empty());

    let url = format!("{}/v1/payment_intents/search?query=x", sb.base);
    for auth in [
        None,
        Some("Bearer sk_live_realmoney123456789"),
        Some("Bearer pk_test_abc"),
    ] {
        let mut r = http.get(&url);
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        let e: Value = json_of(r).await;
        assert_eq!(e["error"]["type"], "invalid_request_error");
        assert!(
            !e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("realmoney")
        );
    }
    // Basic auth with the key as the user name, as Stripe's curl examples do.
    let r = http
        .get(format!(
            "{}/v1/payment_intents/search?query=metadata%5B%27a%27%5D%3A%27b%27",
            sb.base
        ))
        .basic_auth("sk_test_anything", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(json_of(r).await["object"], "search_result");

    // A gateway error through the adapter names the parameter.
    let mut req = fresh_request(PaymentMethod::Card, usd(1990));
    req.card_token = Some("pm_card_visa".into());
    let bad_key = StripeGateway::new(
        &StripeSettings {
            base_url: sb.base.clone(),
            ..StripeSettings::default()
        },
        StripeCredentials {
            secret_key: Secret::new("sk_live_nottest"),
            webhook_secret: None,
        },
    )
    .unwrap();
    let err = bad_key.create_charge(&req).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Auth);
    assert!(!err.to_string().contains("sk_live_nottest"), "{err}");
}
