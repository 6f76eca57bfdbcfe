//! The Stripe adapter's payment links (Checkout Sessions) against a scripted local Stripe that
//! records every request: the exact create (line item, methods, expiry held to Stripe's 30 min
//! – 24 h, payorch's ids on the session and its payment intent, the idempotency key), the read
//! with the payment's fee, the find by listing around the charge id's time, expire, a refund
//! through the session's payment intent, and the `checkout.session.*` webhooks; the events of a
//! link's own payment intent change nothing and are never "unknown".

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, Method};
use serde_json::{Value, json};

use payorch::clock::{ManualClock, Timestamp};
use payorch::config::{HumanDuration, StripeSettings};
use payorch::gateway::stripe::{StripeCredentials, StripeGateway, webhook_signature};
use payorch::gateway::{CreateCharge, CreateRefund, Gateway, GatewayEvent, WebhookRequest};
use payorch::id::{ChargeId, RefundId};
use payorch::model::{AttemptOutcome, ChargeStatus, Currency, Customer, Money, PaymentMethod};
use payorch::secret::Secret;

use crate::common::scripted::{Reply, Scripted, Seen};

const KEY: &str = "sk_test_51CheckoutTestKey000000000000000";
const WHSEC: &str = "whsec_checkout_test_secret_0123456789";
const VERSION: &str = "2026-09-30.endive";
/// 2026-12-05T10:00:00Z, the adapter's clock.
const NOW: i64 = 1_796_464_800;
/// A charge id whose ULID time is 2026-12-05T10:00:00Z.
const CHARGE: &str = "ch_01M92TAW800000000000000000";
const SESSION: &str = "cs_test_a1B2c3";

fn charge_id() -> ChargeId {
    ChargeId::parse(CHARGE).unwrap()
}

fn gateway(base: &str) -> StripeGateway {
    let settings = StripeSettings {
        base_url: base.to_string(),
        timeout: HumanDuration(Duration::from_secs(5)),
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
    .with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_millis(
        NOW * 1000,
    ))))
}

fn link_request(money: Money, expires_in: Duration) -> CreateCharge {
    CreateCharge {
        charge_id: charge_id(),
        idempotency_key: format!("payorch-{CHARGE}-stripe"),
        money,
        method: PaymentMethod::Link,
        customer: Customer {
            name: "Maria Silva".into(),
            email: Some("maria@example.com".into()),
            document: None,
        },
        description: Some("Pedido 42".into()),
        metadata: BTreeMap::from([("order_id".to_string(), "42".to_string())]),
        card_token: None,
        expires_in,
    }
}

fn brl(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Brl).unwrap()
}

fn assert_headers(seen: &Seen) {
    assert_eq!(
        seen.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(seen.header("stripe-version"), Some(VERSION));
}

fn assert_get(seen: &Seen, uri: &str) {
    assert_eq!(seen.method, Method::GET, "{seen:?}");
    assert_eq!(seen.uri(), uri);
    assert_headers(seen);
    assert_eq!(seen.header("idempotency-key"), None);
}

fn assert_post(seen: &Seen, uri: &str, key: &str, body: &str) {
    assert_eq!(seen.method, Method::POST, "{seen:?}");
    assert_eq!(seen.uri(), uri);
    assert_headers(seen);
    assert_eq!(seen.header("idempotency-key"), Some(key));
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen.body, body);
}

/// A session as Stripe answers it.
fn session(status: &str, payment_status: &str, payment_intent: Value) -> Value {
    json!({
        "id": SESSION, "object": "checkout.session", "mode": "payment",
        "amount_subtotal": 4590, "amount_total": 4590, "currency": "brl",
        "client_reference_id": CHARGE, "created": NOW, "expires_at": NOW + 3600,
        "livemode": false, "metadata": {"order_id": "42", "payorch_charge_id": CHARGE},
        "payment_intent": payment_intent, "payment_method_types": ["card", "pix"],
        "payment_status": payment_status, "status": status, "success_url": null,
        "ui_mode": "hosted_page",
        "url": if status == "open" { json!(format!("https://checkout.stripe.com/c/pay/{SESSION}")) } else { Value::Null },
    })
}

/// The session's payment intent, paid, expanded down to its fee.
fn paid_intent(refunded: i64) -> Value {
    json!({
        "id": "pi_3Link", "object": "payment_intent", "amount": 4590, "currency": "brl",
        "status": "succeeded", "metadata": {"payorch_charge_id": CHARGE, "payorch_link": "checkout_session"},
        "last_payment_error": null, "next_action": null,
        "latest_charge": {"id": "ch_3Link", "object": "charge", "payment_intent": "pi_3Link",
            "amount_refunded": refunded, "refunded": refunded == 4590, "metadata": {},
            "balance_transaction": {"id": "txn_3Link", "object": "balance_transaction",
                "fee": 222, "currency": "brl"}},
    })
}

const CREATE_BODY: &str = "mode=payment\
&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=brl\
&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=4590\
&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Pedido+42\
&line_items%5B0%5D%5Bquantity%5D=1\
&payment_method_types%5B%5D=card&payment_method_types%5B%5D=pix\
&expires_at=1796468400\
&client_reference_id=ch_01M92TAW800000000000000000\
&customer_email=maria%40example.com\
&payment_intent_data%5Bmetadata%5D%5Bpayorch_charge_id%5D=ch_01M92TAW800000000000000000\
&payment_intent_data%5Bmetadata%5D%5Bpayorch_link%5D=checkout_session\
&metadata%5Border_id%5D=42\
&metadata%5Bpayorch_charge_id%5D=ch_01M92TAW800000000000000000";

#[tokio::test]
async fn a_link_is_a_checkout_session_created_with_the_exact_request() {
    let server = Scripted::start().await;
    server.then(Reply::json(200, session("open", "unpaid", Value::Null)));
    let charge = gateway(&server.base)
        .create_charge(&link_request(brl(4590), Duration::from_secs(3600)))
        .await
        .unwrap();
    assert_post(
        &server.only(),
        "/v1/checkout/sessions",
        &format!("payorch-{CHARGE}-stripe"),
        CREATE_BODY,
    );
    assert_eq!(charge.reference, SESSION);
    assert_eq!(charge.status, ChargeStatus::RequiresAction);
    assert_eq!(charge.gateway_status, "open/unpaid");
    assert_eq!(charge.amount, 4590);
    let link = charge.link.expect("the hosted page");
    assert_eq!(
        link.url,
        format!("https://checkout.stripe.com/c/pay/{SESSION}")
    );
    assert_eq!(
        link.expires_at,
        Some(Timestamp::from_unix_millis((NOW + 3600) * 1000))
    );
    assert_eq!((charge.pix, charge.fee), (None, None));
}

/// Stripe takes `expires_at` 30 min to 24 h after creation: payorch's `payable_for` is held to
/// that window (the charge's `link.expires_at` says what Stripe made); cards only outside BRL.
#[tokio::test]
async fn the_expiry_is_held_to_stripes_window_and_pix_is_offered_in_brl_only() {
    for (expires_in, sent) in [
        (60, NOW + 1_800),
        (1_799, NOW + 1_800),
        (1_800, NOW + 1_800),
        (86_400, NOW + 86_400),
        (172_800, NOW + 86_400),
    ] {
        let server = Scripted::start().await;
        server.then(Reply::json(200, session("open", "unpaid", Value::Null)));
        gateway(&server.base)
            .create_charge(&link_request(brl(4590), Duration::from_secs(expires_in)))
            .await
            .unwrap();
        let body = server.only().body;
        assert!(
            body.contains(&format!("&expires_at={sent}&")),
            "{expires_in}: {body}"
        );
    }
    let server = Scripted::start().await;
    server.then(Reply::json(200, session("open", "unpaid", Value::Null)));
    let usd = Money::from_minor(1000, Currency::Usd).unwrap();
    gateway(&server.base)
        .create_charge(&link_request(usd, Duration::from_secs(3600)))
        .await
        .unwrap();
    let body = server.only().body;
    assert!(
        body.contains("currency%5D=usd&")
            && body.contains("payment_method_types%5B%5D=card&expires_at"),
        "{body}"
    );
    assert!(!body.contains("pix"), "{body}");
}

#[tokio::test]
async fn a_paid_session_is_read_with_its_payment_and_stripes_fee() {
    let server = Scripted::start().await;
    server
        .then(Reply::json(
            200,
            session("complete", "paid", paid_intent(0)),
        ))
        .then(Reply::json(
            200,
            session("complete", "paid", paid_intent(1000)),
        ))
        .then(Reply::json(
            200,
            session("complete", "unpaid", json!("pi_3Later")),
        ))
        .then(Reply::json(200, session("expired", "unpaid", Value::Null)));
    let gw = gateway(&server.base);
    let paid = gw.get_charge(SESSION).await.unwrap();
    assert_eq!(paid.status, ChargeStatus::Succeeded);
    assert_eq!(paid.gateway_status, "complete/paid");
    assert_eq!(paid.link, None, "a paid link is no longer offered");
    let fee = paid.fee.expect("Stripe's fee");
    assert_eq!((fee.amount, fee.currency), (222, Currency::Brl));
    let refunded = gw.get_charge(SESSION).await.unwrap();
    assert_eq!(
        (refunded.status, refunded.amount_refunded),
        (ChargeStatus::PartiallyRefunded, 1000)
    );
    let later = gw.get_charge(SESSION).await.unwrap();
    assert_eq!(later.status, ChargeStatus::Processing);
    let expired = gw.get_charge(SESSION).await.unwrap();
    assert_eq!(expired.status, ChargeStatus::Canceled);
    for seen in server.seen() {
        assert_get(
            &seen,
            "/v1/checkout/sessions/cs_test_a1B2c3?expand%5B%5D=payment_intent.latest_charge.balance_transaction",
        );
    }
}

/// Stripe cannot search sessions: the list around the charge id's time (5 min before, 25 h
/// after) is read page by page for the session naming the charge, then that one in full.
#[tokio::test]
async fn find_lists_sessions_around_the_charge_and_reads_the_one_found() {
    let other = |id: &str| {
        let mut s = session("open", "unpaid", Value::Null);
        s["id"] = json!(id);
        s["client_reference_id"] = json!("ch_01M92TAW800000000000000001");
        s
    };
    let page = |data: Vec<Value>, more: bool| {
        Reply::json(
            200,
            json!({"object": "list", "data": data, "has_more": more, "url": "/v1/checkout/sessions"}),
        )
    };
    let server = Scripted::start().await;
    server
        .then(page(vec![other("cs_test_x1"), other("cs_test_x2")], true))
        .then(page(vec![session("open", "unpaid", Value::Null)], false))
        .then(Reply::json(200, session("open", "unpaid", Value::Null)))
        .then(page(vec![other("cs_test_x3")], false));
    let gw = gateway(&server.base);
    let req = link_request(brl(4590), Duration::from_secs(3600));
    let found = gw.find_charge(&req).await.unwrap().expect("the session");
    assert_eq!(found.reference, SESSION);
    assert_eq!(found.status, ChargeStatus::RequiresAction);
    assert!(found.link.is_some());
    assert_eq!(gw.find_charge(&req).await.unwrap(), None);
    let seen = server.seen();
    let window = format!(
        "/v1/checkout/sessions?limit=100&created%5Bgte%5D={}&created%5Blte%5D={}",
        NOW - 300,
        NOW + 90_000
    );
    assert_get(&seen[0], &window);
    assert_get(&seen[1], &format!("{window}&starting_after=cs_test_x2"));
    assert_get(
        &seen[2],
        "/v1/checkout/sessions/cs_test_a1B2c3?expand%5B%5D=payment_intent.latest_charge.balance_transaction",
    );
    assert_get(&seen[3], &window);
}

#[tokio::test]
async fn cancel_expires_the_session_with_a_derived_key() {
    let server = Scripted::start().await;
    server
        .then(Reply::json(200, session("expired", "unpaid", Value::Null)))
        .then(Reply::json(200, session("expired", "unpaid", Value::Null)));
    let charge = gateway(&server.base).cancel(SESSION).await.unwrap();
    assert_eq!(charge.status, ChargeStatus::Canceled);
    let seen = server.seen();
    assert_post(
        &seen[0],
        "/v1/checkout/sessions/cs_test_a1B2c3/expire",
        "payorch-expire-cs_test_a1B2c3",
        "",
    );
    assert_eq!(seen.len(), 2);

    // A session the payer completed meanwhile cannot be expired: Stripe's 400 is invalid.
    let server = Scripted::start().await;
    server.then(Reply::json(
        400,
        json!({"error": {"type": "invalid_request_error",
            "message": "Only Checkout Sessions with a status in [\"open\"] can be expired."}}),
    ));
    let err = gateway(&server.base).cancel(SESSION).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
}

fn refund_request() -> CreateRefund {
    CreateRefund {
        refund_id: RefundId::parse("re_01M92TAW800000000000000000").unwrap(),
        charge_reference: SESSION.into(),
        payment_reference: None,
        money: brl(1000),
        idempotency_key: "payorch-re_01KBR-stripe".into(),
        reason: None,
    }
}

#[tokio::test]
async fn a_link_is_refunded_through_its_sessions_payment_intent() {
    let server = Scripted::start().await;
    server
        .then(Reply::json(
            200,
            session("complete", "paid", json!("pi_3Link")),
        ))
        .then(Reply::json(
            200,
            json!({"id": "re_3L", "object": "refund", "amount": 1000, "status": "succeeded",
                   "payment_intent": "pi_3Link", "currency": "brl"}),
        ));
    let refund = gateway(&server.base)
        .refund(&refund_request())
        .await
        .unwrap();
    let seen = server.seen();
    assert_get(&seen[0], "/v1/checkout/sessions/cs_test_a1B2c3");
    assert_post(
        &seen[1],
        "/v1/refunds",
        "payorch-re_01KBR-stripe",
        "payment_intent=pi_3Link&amount=1000\
&metadata%5Bpayorch_refund_id%5D=re_01M92TAW800000000000000000",
    );
    assert_eq!(refund.reference, "re_3L");

    // An unpaid session has nothing to refund: invalid, and no refund is sent.
    let server = Scripted::start().await;
    server.then(Reply::json(200, session("open", "unpaid", Value::Null)));
    let err = gateway(&server.base)
        .refund(&refund_request())
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert_eq!(server.seen().len(), 1);
}

fn parse(kind: &str, object: Value) -> GatewayEvent {
    let body = json!({"id": "evt_3L", "object": "event", "api_version": VERSION,
        "created": NOW, "livemode": false, "type": kind, "data": {"object": object}});
    let bytes = body.to_string().into_bytes();
    let sig = webhook_signature(&Secret::new(WHSEC), NOW, &bytes);
    let mut headers = HeaderMap::new();
    headers.insert(
        "stripe-signature",
        format!("t={NOW},v1={sig}").parse().unwrap(),
    );
    let gw = gateway("http://127.0.0.1:9");
    let req = WebhookRequest {
        headers: &headers,
        query: None,
        body: &bytes,
        now: Timestamp::from_unix_millis(NOW * 1000),
    };
    gw.verify_webhook(&req).unwrap();
    let mut events = gw.parse_webhook(&req).unwrap();
    assert_eq!(events.len(), 1);
    events.remove(0)
}

#[test]
fn checkout_session_events_are_the_links_news() {
    let cases = [
        (
            "checkout.session.completed",
            "complete",
            "paid",
            ChargeStatus::Succeeded,
        ),
        (
            "checkout.session.completed",
            "complete",
            "unpaid",
            ChargeStatus::Processing,
        ),
        (
            "checkout.session.async_payment_succeeded",
            "complete",
            "paid",
            ChargeStatus::Succeeded,
        ),
        (
            "checkout.session.async_payment_failed",
            "complete",
            "unpaid",
            ChargeStatus::Failed,
        ),
        (
            "checkout.session.expired",
            "expired",
            "unpaid",
            ChargeStatus::Canceled,
        ),
    ];
    for (kind, status, payment_status, expected) in cases {
        let e = parse(kind, session(status, payment_status, json!("pi_3Link")));
        assert_eq!(e.kind, kind);
        assert_eq!(e.reference, SESSION, "{kind}");
        assert_eq!(e.charge_id, Some(charge_id()), "{kind}");
        assert_eq!(e.status, Some(expected), "{kind} {payment_status}");
    }
    // Without metadata, the client_reference_id still names the charge.
    let mut bare = session("expired", "unpaid", Value::Null);
    bare["metadata"] = json!({});
    assert_eq!(
        parse("checkout.session.expired", bare).charge_id,
        Some(charge_id())
    );
}

/// The payment intent a session made carries payorch's charge id and the link mark: its own
/// `payment_intent.*` and `charge.*` events name the charge (never "unknown") and change
/// nothing; a refund's `charge.refunded` names the charge by id alone (the charge knows the
/// session, not the intent).
#[test]
fn a_links_payment_intent_events_change_nothing_and_its_refunds_name_the_charge() {
    let intent = paid_intent(0);
    for kind in [
        "payment_intent.succeeded",
        "payment_intent.processing",
        "charge.succeeded",
    ] {
        let object = if kind.starts_with("charge.") {
            json!({"id": "ch_3Link", "object": "charge", "payment_intent": "pi_3Link",
                   "metadata": intent["metadata"].clone(), "amount_refunded": 0, "refunded": false})
        } else {
            intent.clone()
        };
        let e = parse(kind, object);
        assert_eq!(e.charge_id, Some(charge_id()), "{kind}");
        assert_eq!(e.status, None, "{kind}");
    }
    let refunded = parse(
        "charge.refunded",
        json!({"id": "ch_3Link", "object": "charge", "payment_intent": "pi_3Link",
               "metadata": intent["metadata"].clone(), "amount_refunded": 4590, "refunded": true}),
    );
    assert_eq!(refunded.status, Some(ChargeStatus::Refunded));
    assert_eq!(refunded.charge_id, Some(charge_id()));
    assert_eq!(
        refunded.reference, "",
        "compared with nothing: the charge holds the session"
    );
    assert_eq!(refunded.amount_refunded, Some(4590));
    // A card's intent (no link mark) still moves its charge.
    let mut card = paid_intent(0);
    card["metadata"] = json!({"payorch_charge_id": CHARGE});
    assert_eq!(
        parse("payment_intent.succeeded", card).status,
        Some(ChargeStatus::Succeeded)
    );
}
