//! The Asaas adapter against a scripted local HTTP server that records every request (method,
//! path, query, headers, exact body), its webhook verification and parsing, and a round trip
//! against the sandbox fake (`AsaasFake`) served the way `payorch sandbox` serves it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use payorch::clock::{ManualClock, Timestamp};
use payorch::config::{AsaasSettings, HumanDuration};
use payorch::gateway::asaas::{AsaasCredentials, AsaasGateway};
use payorch::gateway::{
    CreateCharge, CreateRefund, Gateway, GatewayError, WebhookError, WebhookRequest,
};
use payorch::id::{ChargeId, RefundId};
use payorch::model::{
    AttemptOutcome, ChargeStatus, Currency, Customer, Fee, Money, PaymentMethod, RefundStatus,
};
use payorch::secret::Secret;

use crate::common::scripted::{Reply, Scripted, Seen};

const API_KEY: &str = "$aact_test_payorch_0123456789abcdef";
const WEBHOOK_TOKEN: &str = "whk_payorch_test_token_42";
/// 2025-03-10 12:00 UTC = 09:00 in Brasília.
const NOW: &str = "2025-03-10T12:00:00Z";

// ---------------------------------------------------------------------------------------------
// The scripted server

/// A server that answers each request with the next scripted reply (JSON), in order.
async fn server(replies: Vec<(u16, String)>) -> Scripted {
    let server = Scripted::start().await;
    for (status, body) in replies {
        server.then(Reply::json(status, body));
    }
    server
}

fn settings(base_url: &str) -> AsaasSettings {
    AsaasSettings {
        base_url: base_url.to_string(),
        ..AsaasSettings::default()
    }
}

fn gateway(base_url: &str) -> AsaasGateway {
    gateway_with(settings(base_url))
}

fn gateway_with(settings: AsaasSettings) -> AsaasGateway {
    let credentials = AsaasCredentials {
        api_key: Secret::new(API_KEY),
        webhook_token: Some(Secret::new(WEBHOOK_TOKEN)),
    };
    AsaasGateway::new(&settings, credentials)
        .unwrap()
        .with_clock(Arc::new(ManualClock::new(
            Timestamp::parse_rfc3339(NOW).unwrap(),
        )))
}

/// Every request: the key with its `$`, a User-Agent; JSON content type exactly when there is a
/// body, and never a body on GET or DELETE.
fn assert_wire(seen: &Seen) {
    assert_eq!(
        seen.headers.get("access_token").map(|v| v.as_bytes()),
        Some(API_KEY.as_bytes()),
        "{} {}",
        seen.method,
        seen.path
    );
    let agent = seen.headers.get("user-agent").expect("a User-Agent");
    assert!(agent.to_str().unwrap().starts_with("payorch/"), "{agent:?}");
    if seen.method == "POST" {
        assert_eq!(
            seen.headers.get("content-type").unwrap(),
            "application/json"
        );
    } else {
        assert!(
            seen.body.is_empty(),
            "{} {} has a body",
            seen.method,
            seen.path
        );
        assert!(seen.headers.get("content-length").is_none_or(|v| v == "0"));
        assert!(seen.headers.get("transfer-encoding").is_none());
        assert!(seen.headers.get("content-type").is_none());
    }
}

fn assert_request(seen: &Seen, method: &str, path: &str, query: Option<&str>) {
    assert_wire(seen);
    assert_eq!(
        (
            seen.method.as_str(),
            seen.path.as_str(),
            seen.query.as_deref()
        ),
        (method, path, query)
    );
}

// ---------------------------------------------------------------------------------------------
// Fixtures

fn charge_request(method: PaymentMethod) -> CreateCharge {
    let mut metadata = BTreeMap::new();
    metadata.insert("order_id".to_string(), "1234".to_string());
    CreateCharge {
        charge_id: ChargeId::generate(),
        idempotency_key: "idem-1".into(),
        money: Money::from_minor(1990, Currency::Brl).unwrap(),
        method,
        customer: Customer::parse(
            "Maria Silva",
            Some("maria@example.com"),
            Some("529.982.247-25"),
            Currency::Brl,
        )
        .unwrap(),
        description: Some("Order 1234".into()),
        metadata,
        card_token: None,
        // Two days from 09:00 in Brasília on 2025-03-10.
        expires_in: Duration::from_secs(2 * 24 * 3600),
    }
}

fn card_request() -> CreateCharge {
    let mut req = charge_request(PaymentMethod::Card);
    req.card_token = Some("76496073-536f-4835-80db-c45d00f33695".into());
    req.metadata
        .insert("remote_ip".into(), "203.0.113.7".into());
    req
}

fn list(items: &[String]) -> String {
    format!(
        r#"{{"object":"list","hasMore":false,"totalCount":{n},"limit":10,"offset":0,"data":[{items}]}}"#,
        n = items.len(),
        items = items.join(",")
    )
}

/// A payment as Asaas answers it; `value` is raw JSON number text.
fn payment(id: &str, status: &str, billing: &str, value: &str, ext: &str) -> String {
    payment_with(id, status, billing, value, ext, "null", false)
}

fn payment_with(
    id: &str,
    status: &str,
    billing: &str,
    value: &str,
    ext: &str,
    refunds: &str,
    deleted: bool,
) -> String {
    format!(
        r#"{{"object":"payment","id":"{id}","dateCreated":"2025-03-10","customer":"cus_000005219613",
        "value":{value},"netValue":{value},"billingType":"{billing}","status":"{status}",
        "dueDate":"2025-03-12","originalDueDate":"2025-03-12","description":"Order 1234",
        "externalReference":"{ext}","invoiceUrl":"https://sandbox.asaas.com/i/080225913252",
        "bankSlipUrl":{slip},"deleted":{deleted},"refunds":{refunds}}}"#,
        slip = if billing == "BOLETO" {
            "\"https://sandbox.asaas.com/b/pdf/080225913252\""
        } else {
            "null"
        }
    )
}

const PIX_PAYLOAD: &str = "00020101021226730014br.gov.bcb.pix2551pix-h.asaas.com/pixqrcode/cobv/pay_76575613967995145204000053039865802BR5905ASAAS6009Joinville61088922827162070503***63045E7A";

fn customer_list(found: bool) -> String {
    if found {
        list(&[r#"{"object":"customer","id":"cus_000005219613","name":"Maria Silva","cpfCnpj":"52998224725","deleted":false}"#.to_string()])
    } else {
        list(&[])
    }
}

fn errors(code: &str, description: &str) -> String {
    json!({"errors": [{"code": code, "description": description}]}).to_string()
}

// ---------------------------------------------------------------------------------------------
// Creating charges

#[tokio::test]
async fn pix_charge_with_an_existing_customer() {
    let req = charge_request(PaymentMethod::Pix);
    let ext = req.charge_id.as_str().to_string();
    let srv = server(vec![
        (200, list(&[])),
        (200, customer_list(true)),
        (
            200,
            payment("pay_080225913252", "PENDING", "PIX", "19.90", &ext),
        ),
        (
            200,
            json!({"encodedImage": "iVBORw0KGgo=", "payload": PIX_PAYLOAD,
                   "expirationDate": "2025-03-12 23:59:59", "description": null})
            .to_string(),
        ),
    ])
    .await;
    let charge = gateway(&srv.base).create_charge(&req).await.unwrap();

    let seen = srv.seen();
    assert_eq!(seen.len(), 4);
    assert_request(
        &seen[0],
        "GET",
        "/v3/payments",
        Some(&format!("externalReference={ext}")),
    );
    assert_request(
        &seen[1],
        "GET",
        "/v3/customers",
        Some("cpfCnpj=52998224725"),
    );
    assert_request(&seen[2], "POST", "/v3/payments", None);
    assert_eq!(
        seen[2].json(),
        json!({"customer": "cus_000005219613", "billingType": "PIX", "value": 19.90,
               "dueDate": "2025-03-12", "description": "Order 1234", "externalReference": ext})
    );
    assert!(
        seen[2].body.contains(r#""value":19.90,"#),
        "{}",
        seen[2].body
    );
    assert_request(
        &seen[3],
        "GET",
        "/v3/payments/pay_080225913252/pixQrCode",
        None,
    );

    assert_eq!(charge.reference, "pay_080225913252");
    assert_eq!(charge.status, ChargeStatus::RequiresAction);
    assert_eq!(charge.gateway_status, "PENDING");
    assert_eq!(charge.amount, 1990);
    let pix = charge.pix.unwrap();
    assert_eq!(pix.copy_paste, PIX_PAYLOAD);
    // `encodedImage` is not kept (issue 16): the QR is rendered on demand from the payload.
    assert_eq!(pix.qr_code_png, None);
    assert_eq!(
        pix.expires_at,
        Some(Timestamp::parse_rfc3339("2025-03-13T02:59:59Z").unwrap())
    );
    assert!(charge.boleto.is_none());
}

#[tokio::test]
async fn boleto_charge_creates_a_missing_customer() {
    let mut req = charge_request(PaymentMethod::Boleto);
    req.description = None;
    req.customer.email = None;
    let ext = req.charge_id.as_str().to_string();
    let line = "46191110000000000000300000000000123450000001990";
    let srv = server(vec![
        (200, list(&[])),
        (200, customer_list(false)),
        (
            200,
            json!({"object": "customer", "id": "cus_000000000777", "name": "Maria Silva"})
                .to_string(),
        ),
        (200, payment("pay_1", "PENDING", "BOLETO", "19.9", &ext)),
        (
            200,
            json!({"identificationField": line, "nossoNumero": "6453",
                   "barCode": "46191999100000019901110000000000030000000000"})
            .to_string(),
        ),
    ])
    .await;
    let charge = gateway(&srv.base).create_charge(&req).await.unwrap();

    let seen = srv.seen();
    assert_eq!(seen.len(), 5);
    assert_request(
        &seen[1],
        "GET",
        "/v3/customers",
        Some("cpfCnpj=52998224725"),
    );
    assert_request(&seen[2], "POST", "/v3/customers", None);
    assert_eq!(
        seen[2].json(),
        json!({"name": "Maria Silva", "cpfCnpj": "52998224725", "notificationDisabled": true})
    );
    assert_request(&seen[3], "POST", "/v3/payments", None);
    assert_eq!(
        seen[3].json(),
        json!({"customer": "cus_000000000777", "billingType": "BOLETO", "value": 19.90,
               "dueDate": "2025-03-12", "externalReference": ext})
    );
    assert_request(
        &seen[4],
        "GET",
        "/v3/payments/pay_1/identificationField",
        None,
    );

    assert_eq!(charge.status, ChargeStatus::RequiresAction);
    assert_eq!(charge.amount, 1990, "19.9 is read exactly");
    let boleto = charge.boleto.unwrap();
    assert_eq!(boleto.digitable_line.as_deref(), Some(line));
    assert_eq!(
        boleto.url.as_deref(),
        Some("https://sandbox.asaas.com/b/pdf/080225913252")
    );
    assert_eq!(boleto.due_date.as_deref(), Some("2025-03-12"));
}

/// A payment link is a payment with `billingType: UNDEFINED`: nothing more is read after it
/// (no QR code, no boleto line); the link is its `invoiceUrl`, payable until the end of its due
/// day in Brasília.
#[tokio::test]
async fn link_charge_is_an_undefined_payment_and_its_invoice_url() {
    let req = charge_request(PaymentMethod::Link);
    let ext = req.charge_id.as_str().to_string();
    let srv = server(vec![
        (200, list(&[])),
        (200, customer_list(true)),
        (
            200,
            payment("pay_080225913252", "PENDING", "UNDEFINED", "19.90", &ext),
        ),
    ])
    .await;
    let charge = gateway(&srv.base).create_charge(&req).await.unwrap();

    let seen = srv.seen();
    assert_eq!(seen.len(), 3, "{:?}", srv.paths());
    for s in &seen {
        assert_wire(s);
    }
    assert_request(
        &seen[0],
        "GET",
        "/v3/payments",
        Some(&format!("externalReference={ext}")),
    );
    assert_request(&seen[2], "POST", "/v3/payments", None);
    assert_eq!(
        seen[2].json(),
        json!({"customer": "cus_000005219613", "billingType": "UNDEFINED", "value": 19.90,
               "dueDate": "2025-03-12", "description": "Order 1234", "externalReference": ext})
    );
    assert_eq!(charge.reference, "pay_080225913252");
    assert_eq!(charge.status, ChargeStatus::RequiresAction);
    let link = charge.link.expect("the link");
    assert_eq!(link.url, "https://sandbox.asaas.com/i/080225913252");
    assert_eq!(
        link.expires_at,
        Some(Timestamp::parse_rfc3339("2025-03-13T02:59:59Z").unwrap())
    );
    assert!(charge.pix.is_none() && charge.boleto.is_none());
}

/// Paid through the page, Asaas rewrites `billingType` to what the payer chose: the charge is
/// succeeded and offers no link any more. Past its due date it is `OVERDUE`: canceled.
#[tokio::test]
async fn a_paid_or_overdue_link_offers_no_link() {
    for (status, billing, expected) in [
        ("RECEIVED", "PIX", ChargeStatus::Succeeded),
        ("CONFIRMED", "CREDIT_CARD", ChargeStatus::Succeeded),
        ("OVERDUE", "UNDEFINED", ChargeStatus::Canceled),
    ] {
        let srv = server(vec![(200, payment("pay_7", status, billing, "19.90", "x"))]).await;
        let charge = gateway(&srv.base).get_charge("pay_7").await.unwrap();
        assert_eq!(charge.status, expected, "{status}");
        assert!(charge.link.is_none(), "{status}");
        assert_eq!(srv.seen().len(), 1);
    }
}

/// An open link without its `invoiceUrl` cannot be handed to the payer: the payment exists,
/// so the outcome is ambiguous (never "nothing was made").
#[tokio::test]
async fn an_open_link_without_an_invoice_url_is_ambiguous() {
    let req = charge_request(PaymentMethod::Link);
    let ext = req.charge_id.as_str().to_string();
    let body = payment("pay_8", "PENDING", "UNDEFINED", "19.90", &ext).replace(
        r#""invoiceUrl":"https://sandbox.asaas.com/i/080225913252""#,
        r#""invoiceUrl":null"#,
    );
    let srv = server(vec![
        (200, list(&[])),
        (200, customer_list(true)),
        (200, body),
    ])
    .await;
    let err = gateway(&srv.base).create_charge(&req).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
    assert!(err.message.contains("pay_8"), "{err}");
}

/// An orphan link is cancelled like any Asaas payment: `DELETE /v3/payments/{id}`.
#[tokio::test]
async fn cancelling_a_link_deletes_the_payment() {
    let srv = server(vec![
        (200, json!({"deleted": true, "id": "pay_9"}).to_string()),
        (
            200,
            payment_with("pay_9", "PENDING", "UNDEFINED", "19.90", "x", "null", true),
        ),
    ])
    .await;
    let charge = gateway(&srv.base).cancel("pay_9").await.unwrap();
    let seen = srv.seen();
    assert_request(&seen[0], "DELETE", "/v3/payments/pay_9", None);
    assert_eq!(charge.status, ChargeStatus::Canceled);
    assert!(charge.link.is_none(), "a deleted link is not offered");
}

#[tokio::test]
async fn card_charge_sends_the_token_and_the_payer_ip() {
    let req = card_request();
    let ext = req.charge_id.as_str().to_string();
    let srv = server(vec![
        (200, list(&[])),
        (200, customer_list(true)),
        (
            200,
            payment("pay_2", "CONFIRMED", "CREDIT_CARD", "19.90", &ext),
        ),
    ])
    .await;
    let charge = gateway(&srv.base).create_charge(&req).await.unwrap();
    let seen = srv.seen();
    assert_eq!(seen.len(), 3, "a confirmed card needs nothing more");
    assert_request(&seen[2], "POST", "/v3/payments", None);
    assert_eq!(
        seen[2].json(),
        json!({"customer": "cus_000005219613", "billingType": "CREDIT_CARD", "value": 19.90,
               "dueDate": "2025-03-12", "description": "Order 1234", "externalReference": ext,
               "creditCardToken": "76496073-536f-4835-80db-c45d00f33695",
               "remoteIp": "203.0.113.7"})
    );
    assert_eq!(charge.status, ChargeStatus::Succeeded);
    assert!(charge.pix.is_none() && charge.boleto.is_none());
}

#[tokio::test]
async fn bad_requests_are_refused_before_anything_is_sent() {
    let srv = server(vec![]).await;
    let gw = gateway(&srv.base);
    let mut no_ip = card_request();
    no_ip.metadata.remove("remote_ip");
    let mut no_token = card_request();
    no_token.card_token = None;
    let mut usd = charge_request(PaymentMethod::Pix);
    usd.money = Money::from_minor(1990, Currency::Usd).unwrap();
    let mut no_document = charge_request(PaymentMethod::Boleto);
    no_document.customer.document = None;
    for (req, field) in [
        (no_ip, "remote_ip"),
        (no_token, "creditCardToken"),
        (usd, "BRL"),
        (no_document, "customer.document"),
    ] {
        let err = gw.create_charge(&req).await.unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::Invalid, "{err}");
        assert!(err.message.contains(field), "{err}");
    }
    let err = gw.get_charge("pay_1/../customers").await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert!(srv.seen().is_empty());
}

#[tokio::test]
async fn a_retried_create_finds_the_first_payment_instead_of_charging_twice() {
    let req = card_request();
    let ext = req.charge_id.as_str().to_string();
    let srv = server(vec![(
        200,
        list(&[payment("pay_3", "CONFIRMED", "CREDIT_CARD", "19.90", &ext)]),
    )])
    .await;
    let charge = gateway(&srv.base).create_charge(&req).await.unwrap();
    assert_eq!(charge.reference, "pay_3");
    assert_eq!(charge.status, ChargeStatus::Succeeded);
    assert_eq!(srv.seen().len(), 1, "no POST");
}

// ---------------------------------------------------------------------------------------------
// Reading, finding, cancelling

#[tokio::test]
async fn get_reads_a_paid_payment_without_its_qr_code() {
    let srv = server(vec![(
        200,
        payment("pay_4", "RECEIVED", "PIX", "19.90", "x"),
    )])
    .await;
    let charge = gateway(&srv.base).get_charge("pay_4").await.unwrap();
    let seen = srv.seen();
    assert_eq!(seen.len(), 1);
    assert_request(&seen[0], "GET", "/v3/payments/pay_4", None);
    assert_eq!(charge.status, ChargeStatus::Succeeded);
    assert_eq!(charge.gateway_status, "RECEIVED");
    assert!(charge.pix.is_none());
    // `netValue` equal to `value`: Asaas took nothing.
    assert_eq!(charge.fee, Fee::reported(0, Currency::Brl));
}

/// Asaas's fee is `value - netValue`, on the payment read and on its webhooks; without a
/// `netValue`, or with one above the value, there is none.
#[tokio::test]
async fn the_fee_is_value_less_net_value() {
    let body = payment("pay_4", "RECEIVED", "PIX", "19.90", "x")
        .replace(r#""netValue":19.90"#, r#""netValue":17.91"#);
    let srv = server(vec![(200, body)]).await;
    let charge = gateway(&srv.base).get_charge("pay_4").await.unwrap();
    assert_request(&srv.seen()[0], "GET", "/v3/payments/pay_4", None);
    assert_eq!(charge.fee, Fee::reported(199, Currency::Brl));
    let above = payment("pay_4", "RECEIVED", "PIX", "19.90", "x")
        .replace(r#""netValue":19.90"#, r#""netValue":20.00"#);
    let srv = server(vec![(200, above)]).await;
    assert_eq!(
        gateway(&srv.base).get_charge("pay_4").await.unwrap().fee,
        None
    );

    let gw = gateway("http://127.0.0.1:1");
    let mut body: Value =
        serde_json::from_slice(&event("PAYMENT_RECEIVED", "RECEIVED", "x", Value::Null)).unwrap();
    assert_eq!(
        parse(&gw, body.to_string().as_bytes()).unwrap()[0].fee,
        None
    );
    body["payment"]["netValue"] = json!(18.91);
    let events = parse(&gw, body.to_string().as_bytes()).unwrap();
    assert_eq!(events[0].fee, Fee::reported(99, Currency::Brl));
}

#[tokio::test]
async fn find_charge_by_external_reference() {
    let req = charge_request(PaymentMethod::Card);
    let ext = req.charge_id.as_str().to_string();
    let srv = server(vec![
        (
            200,
            list(&[
                payment(
                    "pay_other",
                    "CONFIRMED",
                    "CREDIT_CARD",
                    "1.00",
                    "ch_someone_else",
                ),
                payment("pay_5", "CONFIRMED", "CREDIT_CARD", "19.90", &ext),
            ]),
        ),
        (200, list(&[])),
    ])
    .await;
    let gw = gateway(&srv.base);
    let found = gw.find_charge(&req).await.unwrap().unwrap();
    assert_eq!(found.reference, "pay_5");
    assert_eq!(gw.find_charge(&req).await.unwrap(), None);
    let seen = srv.seen();
    for s in &seen {
        assert_request(
            s,
            "GET",
            "/v3/payments",
            Some(&format!("externalReference={ext}")),
        );
    }
}

#[tokio::test]
async fn cancel_deletes_and_reads_back() {
    let srv = server(vec![
        (200, json!({"deleted": true, "id": "pay_6"}).to_string()),
        (
            200,
            payment_with("pay_6", "PENDING", "PIX", "19.90", "x", "null", true),
        ),
    ])
    .await;
    let charge = gateway(&srv.base).cancel("pay_6").await.unwrap();
    let seen = srv.seen();
    assert_request(&seen[0], "DELETE", "/v3/payments/pay_6", None);
    assert_request(&seen[1], "GET", "/v3/payments/pay_6", None);
    assert_eq!(charge.status, ChargeStatus::Canceled);
    assert_eq!(charge.gateway_status, "DELETED");
    assert!(charge.pix.is_none());
}

// ---------------------------------------------------------------------------------------------
// Refunds

fn refund_request(amount: i64) -> CreateRefund {
    CreateRefund {
        refund_id: RefundId::generate(),
        charge_reference: "pay_7".into(),
        payment_reference: None,
        money: Money::from_minor(amount, Currency::Brl).unwrap(),
        idempotency_key: "idem-r".into(),
        reason: Some("Customer asked".into()),
    }
}

#[tokio::test]
async fn full_refund() {
    let req = refund_request(1990);
    let description = format!("Customer asked (payorch {})", req.refund_id);
    let refunds = json!([{"dateCreated": "2025-03-10 10:00:00", "status": "DONE",
                          "value": 19.9, "description": description}])
    .to_string();
    let srv = server(vec![
        (200, payment("pay_7", "RECEIVED", "PIX", "19.90", "x")),
        (
            200,
            payment_with("pay_7", "REFUNDED", "PIX", "19.90", "x", &refunds, false),
        ),
    ])
    .await;
    let refund = gateway(&srv.base).refund(&req).await.unwrap();
    let seen = srv.seen();
    assert_eq!(seen.len(), 2);
    assert_request(&seen[0], "GET", "/v3/payments/pay_7", None);
    assert_request(&seen[1], "POST", "/v3/payments/pay_7/refund", None);
    assert_eq!(
        seen[1].json(),
        json!({"value": 19.90, "description": description})
    );
    assert!(seen[1].body.starts_with(r#"{"value":19.90,"#));
    assert_eq!(refund.reference, "pay_7#1");
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(refund.gateway_status, "DONE");
    assert_eq!(refund.amount, 1990);
}

#[tokio::test]
async fn partial_refund_and_its_retry() {
    let req = refund_request(500);
    let description = format!("Customer asked (payorch {})", req.refund_id);
    let refunds = json!([{"status": "DONE", "value": 5, "description": description}]).to_string();
    let after = payment_with("pay_7", "RECEIVED", "PIX", "19.90", "x", &refunds, false);
    let srv = server(vec![
        (200, payment("pay_7", "RECEIVED", "PIX", "19.90", "x")),
        (200, after.clone()),
        // The retry: the refund is already there, so nothing is posted.
        (200, after),
    ])
    .await;
    let gw = gateway(&srv.base);
    let refund = gw.refund(&req).await.unwrap();
    assert_eq!(refund.amount, 500);
    assert_eq!(refund.status, RefundStatus::Succeeded);
    let again = gw.refund(&req).await.unwrap();
    assert_eq!(again, refund);
    let seen = srv.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[1].json(),
        json!({"value": 5.00, "description": description})
    );
    assert!(seen[1].body.contains(r#""value":5.00,"#));
    assert_request(&seen[2], "GET", "/v3/payments/pay_7", None);
}

#[tokio::test]
async fn a_boleto_is_not_refunded_through_the_api() {
    let srv = server(vec![(
        200,
        payment("pay_7", "RECEIVED", "BOLETO", "19.90", "x"),
    )])
    .await;
    let err = gateway(&srv.base)
        .refund(&refund_request(1990))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert_eq!(srv.seen().len(), 1, "only the read");
}

// ---------------------------------------------------------------------------------------------
// Outcome classes (rule 3)

async fn failed_get(status: u16, body: String) -> GatewayError {
    let srv = server(vec![(status, body)]).await;
    gateway(&srv.base).get_charge("pay_8").await.unwrap_err()
}

#[tokio::test]
async fn every_outcome_class() {
    let err = failed_get(
        401,
        errors(
            "invalid_access_token",
            "A chave de API fornecida é inválida",
        ),
    )
    .await;
    assert_eq!(err.outcome, AttemptOutcome::Auth);
    assert_eq!(err.code.as_deref(), Some("invalid_access_token"));
    assert_eq!(err.http_status, Some(401));
    assert!(err.message.contains("A chave de API fornecida é inválida"));
    assert!(!err.to_string().contains(API_KEY) && !format!("{err:?}").contains(API_KEY));

    let err = failed_get(429, errors("rate_limit_exceeded", "Too many requests")).await;
    assert_eq!(err.outcome, AttemptOutcome::RateLimited);

    let err = failed_get(500, String::new()).await;
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous);

    let err = failed_get(404, String::new()).await;
    assert_eq!(err.outcome, AttemptOutcome::Invalid);

    let err = failed_get(200, "{not json".into()).await;
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous);
}

/// `create_charge` whose `POST /v3/payments` is answered with `status` and `body`.
async fn failed_create(req: &CreateCharge, status: u16, body: String) -> GatewayError {
    let srv = server(vec![
        (200, list(&[])),
        (200, customer_list(true)),
        (status, body),
    ])
    .await;
    gateway(&srv.base).create_charge(req).await.unwrap_err()
}

#[tokio::test]
async fn an_invalid_payment_keeps_asaas_code_and_description() {
    let body = errors(
        "invalid_dueDate",
        "Não é permitido data de vencimento inferior a hoje.",
    );
    let err = failed_create(&charge_request(PaymentMethod::Pix), 400, body).await;
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert_eq!(err.code.as_deref(), Some("invalid_dueDate"));
    assert!(err.message.contains("data de vencimento"), "{err}");
}

#[tokio::test]
async fn a_refused_card_is_declined() {
    let body = errors(
        "invalid_creditCard",
        "Transação não autorizada. Verifique os dados do cartão de crédito e tente novamente.",
    );
    let err = failed_create(&card_request(), 400, body).await;
    assert_eq!(err.outcome, AttemptOutcome::Declined, "{err}");
    assert_eq!(err.code.as_deref(), Some("invalid_creditCard"));
    assert!(err.message.contains("Transação não autorizada"));
}

#[tokio::test]
async fn a_failure_after_the_payment_exists_is_ambiguous() {
    let req = charge_request(PaymentMethod::Pix);
    let ext = req.charge_id.as_str().to_string();
    let srv = server(vec![
        (200, list(&[])),
        (200, customer_list(true)),
        (200, payment("pay_9", "PENDING", "PIX", "19.90", &ext)),
        (
            401,
            errors(
                "invalid_access_token",
                "A chave de API fornecida é inválida",
            ),
        ),
    ])
    .await;
    let err = gateway(&srv.base).create_charge(&req).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
    assert!(err.message.contains("pay_9 was created"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_was_not_sent() {
    let err = gateway(&crate::common::refused_base())
        .create_charge(&charge_request(PaymentMethod::Pix))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableNotSent, "{err}");
}

#[tokio::test]
async fn a_timeout_after_sending_is_ambiguous() {
    // Reads each request, never answers.
    let silent = Scripted::answering(|_| Some(Reply::never())).await;
    let mut s = settings(&silent.base);
    s.timeout = HumanDuration(Duration::from_millis(200));
    let err = gateway_with(s)
        .create_charge(&charge_request(PaymentMethod::Pix))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
    assert!(err.message.contains("timed out"), "{err}");
}

#[test]
fn bad_settings_and_credentials_are_refused() {
    let creds = |key: &str| AsaasCredentials {
        api_key: Secret::new(key),
        webhook_token: None,
    };
    assert!(AsaasGateway::new(&settings("ftp://x"), creds(API_KEY)).is_err());
    assert!(AsaasGateway::new(&settings("http://127.0.0.1:1"), creds("")).is_err());
    let err = AsaasGateway::new(&settings("http://127.0.0.1:1"), creds("$aact\nx"))
        .err()
        .unwrap();
    assert!(!err.message.contains("$aact"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Webhooks

fn webhook_headers(token: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some(token) = token {
        headers.insert("asaas-access-token", HeaderValue::from_str(token).unwrap());
    }
    headers
}

fn verify(gw: &AsaasGateway, headers: &HeaderMap, body: &[u8]) -> Result<(), WebhookError> {
    gw.verify_webhook(&WebhookRequest {
        headers,
        query: None,
        body,
        now: Timestamp::parse_rfc3339(NOW).unwrap(),
    })
}

fn parse(
    gw: &AsaasGateway,
    body: &[u8],
) -> Result<Vec<payorch::gateway::GatewayEvent>, WebhookError> {
    let headers = webhook_headers(Some(WEBHOOK_TOKEN));
    gw.parse_webhook(&WebhookRequest {
        headers: &headers,
        query: None,
        body,
        now: Timestamp::parse_rfc3339(NOW).unwrap(),
    })
}

fn event(kind: &str, status: &str, ext: &str, refunds: Value) -> Vec<u8> {
    json!({
        "id": "evt_05b708f961d739ea7eba7e4db318f621&368604920",
        "event": kind,
        "dateCreated": "2024-06-12 16:45:03",
        "payment": {"object": "payment", "id": "pay_080225913252", "status": status,
                    "value": 19.9, "billingType": "PIX", "externalReference": ext,
                    "deleted": false, "refunds": refunds}
    })
    .to_string()
    .into_bytes()
}

#[test]
fn webhook_token_is_checked() {
    let gw = gateway("http://127.0.0.1:1");
    let body = event("PAYMENT_RECEIVED", "RECEIVED", "x", Value::Null);
    assert_eq!(
        verify(&gw, &webhook_headers(Some(WEBHOOK_TOKEN)), &body),
        Ok(())
    );
    for headers in [
        webhook_headers(Some("whk_payorch_test_token_43")),
        webhook_headers(Some("")),
        webhook_headers(None),
    ] {
        let err = verify(&gw, &headers, &body).unwrap_err();
        assert!(matches!(err, WebhookError::Unauthenticated(_)), "{err}");
        assert!(!err.to_string().contains(WEBHOOK_TOKEN));
    }
    let no_token = AsaasGateway::new(
        &settings("http://127.0.0.1:1"),
        AsaasCredentials {
            api_key: Secret::new(API_KEY),
            webhook_token: None,
        },
    )
    .unwrap();
    assert!(matches!(
        verify(&no_token, &webhook_headers(Some(WEBHOOK_TOKEN)), &body),
        Err(WebhookError::Unauthenticated(_))
    ));
}

#[test]
fn every_mapped_event() {
    use ChargeStatus::*;
    let gw = gateway("http://127.0.0.1:1");
    let charge_id = ChargeId::generate();
    let cases: &[(&str, &str, Option<ChargeStatus>)] = &[
        ("PAYMENT_CONFIRMED", "CONFIRMED", Some(Succeeded)),
        ("PAYMENT_RECEIVED", "RECEIVED", Some(Succeeded)),
        (
            "PAYMENT_DUNNING_RECEIVED",
            "DUNNING_RECEIVED",
            Some(Succeeded),
        ),
        ("PAYMENT_OVERDUE", "OVERDUE", Some(Canceled)),
        ("PAYMENT_DELETED", "PENDING", Some(Canceled)),
        ("PAYMENT_REFUNDED", "REFUNDED", Some(Refunded)),
        (
            "PAYMENT_CREDIT_CARD_CAPTURE_REFUSED",
            "PENDING",
            Some(Failed),
        ),
        ("PAYMENT_REPROVED_BY_RISK_ANALYSIS", "PENDING", Some(Failed)),
        (
            "PAYMENT_AWAITING_RISK_ANALYSIS",
            "AWAITING_RISK_ANALYSIS",
            Some(Processing),
        ),
        ("PAYMENT_AUTHORIZED", "AUTHORIZED", Some(Processing)),
        ("PAYMENT_CREATED", "PENDING", Some(RequiresAction)),
        ("PAYMENT_CREATED", "CONFIRMED", Some(Succeeded)),
        ("PAYMENT_UPDATED", "PENDING", Some(RequiresAction)),
        ("PAYMENT_RESTORED", "PENDING", Some(RequiresAction)),
        ("PAYMENT_APPROVED_BY_RISK_ANALYSIS", "CONFIRMED", None),
        ("PAYMENT_CHARGEBACK_REQUESTED", "CHARGEBACK_REQUESTED", None),
        ("PAYMENT_CHARGEBACK_DISPUTE", "CHARGEBACK_DISPUTE", None),
        (
            "PAYMENT_AWAITING_CHARGEBACK_REVERSAL",
            "AWAITING_CHARGEBACK_REVERSAL",
            None,
        ),
        ("PAYMENT_REFUND_IN_PROGRESS", "REFUND_IN_PROGRESS", None),
        ("PAYMENT_REFUND_DENIED", "RECEIVED", None),
        ("PAYMENT_RECEIVED_IN_CASH_UNDONE", "PENDING", None),
        ("PAYMENT_BANK_SLIP_VIEWED", "PENDING", None),
        ("PAYMENT_ANTICIPATED", "RECEIVED", None),
        ("PAYMENT_SOMETHING_ASAAS_ADDS_LATER", "PENDING", None),
    ];
    for (kind, status, expected) in cases {
        let events = parse(&gw, &event(kind, status, charge_id.as_str(), Value::Null)).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.status, *expected, "{kind}");
        assert_eq!(e.kind, *kind);
        assert_eq!(e.event_id, "evt_05b708f961d739ea7eba7e4db318f621&368604920");
        assert_eq!(e.reference, "pay_080225913252");
        assert_eq!(e.charge_id.as_ref(), Some(&charge_id));
        assert_eq!(
            e.occurred_at,
            Some(Timestamp::parse_rfc3339("2024-06-12T19:45:03Z").unwrap())
        );
    }
}

#[test]
fn refund_events_carry_the_amount_refunded() {
    let gw = gateway("http://127.0.0.1:1");
    let partial = event(
        "PAYMENT_PARTIALLY_REFUNDED",
        "RECEIVED",
        "not-a-charge-id",
        json!([{"status": "DONE", "value": 5.5}, {"status": "CANCELLED", "value": 1}]),
    );
    let e = &parse(&gw, &partial).unwrap()[0];
    assert_eq!(e.status, Some(ChargeStatus::PartiallyRefunded));
    assert_eq!(e.amount_refunded, Some(550));
    assert_eq!(e.charge_id, None, "an externalReference that is not ours");

    let full = event("PAYMENT_REFUNDED", "REFUNDED", "x", Value::Null);
    assert_eq!(parse(&gw, &full).unwrap()[0].amount_refunded, Some(1990));
}

#[test]
fn refund_events_name_each_refund() {
    let gw = gateway("http://127.0.0.1:1");
    let settled = RefundId::generate();
    let pending = RefundId::generate();
    let body = event(
        "PAYMENT_PARTIALLY_REFUNDED",
        "RECEIVED",
        "x",
        json!([{"status": "DONE", "value": 5, "description": format!("damaged (payorch {settled})")},
               {"status": "PENDING", "value": 2.5, "description": format!("payorch {pending}")},
               {"status": "CANCELLED", "value": 1, "description": "by hand in the panel"}]),
    );
    let e = &parse(&gw, &body).unwrap()[0];
    // Only what is DONE has been given back.
    assert_eq!(e.amount_refunded, Some(500));
    assert_eq!(
        crate::common::refund_news(e),
        [
            (
                "pay_080225913252#1",
                Some(settled.clone()),
                RefundStatus::Succeeded,
                500
            ),
            (
                "pay_080225913252#2",
                Some(pending),
                RefundStatus::Pending,
                250
            ),
            ("pay_080225913252#3", None, RefundStatus::Failed, 100),
        ]
    );

    // A denied refund: no status for the charge, the refund failed.
    let denied = event(
        "PAYMENT_REFUND_DENIED",
        "RECEIVED",
        "x",
        json!([{"status": "CANCELLED", "value": 5, "description": format!("payorch {settled}")}]),
    );
    let e = &parse(&gw, &denied).unwrap()[0];
    assert_eq!(e.status, None);
    assert_eq!(e.refunds[0].status, RefundStatus::Failed);
    assert_eq!(e.refunds[0].refund_id, Some(settled));
}

#[test]
fn other_events_are_kept_and_ignored() {
    let gw = gateway("http://127.0.0.1:1");
    let body =
        json!({"id": "evt_1", "event": "TRANSFER_DONE", "dateCreated": "2024-06-12 16:45:03",
                      "transfer": {"id": "tra_1"}})
        .to_string();
    let events = parse(&gw, body.as_bytes()).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status, None);
    assert_eq!(events[0].kind, "TRANSFER_DONE");
}

#[test]
fn malformed_webhooks() {
    let gw = gateway("http://127.0.0.1:1");
    for body in [
        &b"{not json"[..],
        br#"{"event":"PAYMENT_RECEIVED","payment":{"id":"pay_1"}}"#,
        br#"{"id":"","event":"PAYMENT_RECEIVED","payment":{"id":"pay_1"}}"#,
        br#"{"id":"evt_1","event":"PAYMENT_RECEIVED"}"#,
        br#"{"id":"evt_1","event":"PAYMENT_RECEIVED","payment":{"id":"pay_1","value":"lots"}}"#,
    ] {
        let err = parse(&gw, body).unwrap_err();
        assert!(matches!(err, WebhookError::Malformed(_)), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Round trip against the sandbox fake

mod round_trip {
    use super::*;
    use payorch::gateway::GatewayEvent;
    use payorch::sandbox::FakeGateway;
    use payorch::sandbox::asaas::{
        AsaasFake, DECLINED_CARD_TOKEN, SANDBOX_API_KEY, SANDBOX_WEBHOOK_TOKEN,
    };

    use crate::common::fake::InProcessFake;

    /// reqwest is built without its `json` feature.
    trait JsonBody {
        async fn json_value(self) -> Value;
    }

    impl JsonBody for reqwest::Response {
        async fn json_value(self) -> Value {
            crate::common::json_of(self).await
        }
    }

    struct Sandbox {
        fake: Arc<AsaasFake>,
        gw: AsaasGateway,
        base_url: String,
        served: InProcessFake<AsaasFake>,
    }

    impl Sandbox {
        /// The webhooks the fake sent so far, verified and parsed by the adapter. The fake
        /// queues them before it answers, so they are all here when a call returns.
        fn events(&mut self) -> Vec<GatewayEvent> {
            let mut events = vec![];
            while let Some(webhook) = self.served.next_webhook() {
                assert_eq!(webhook.query, None);
                let req = webhook.request(Timestamp::parse_rfc3339(NOW).unwrap());
                self.gw.verify_webhook(&req).unwrap();
                events.extend(self.gw.parse_webhook(&req).unwrap());
            }
            events
        }

        fn kinds(&mut self) -> Vec<(String, Option<ChargeStatus>)> {
            self.events()
                .into_iter()
                .map(|e| (e.kind, e.status))
                .collect()
        }

        fn raw(&self, method: http::Method, path: &str) -> reqwest::RequestBuilder {
            reqwest::Client::new()
                .request(method, format!("{}{path}", self.base_url))
                .header("access_token", SANDBOX_API_KEY)
                .header("user-agent", "payorch-test")
        }
    }

    async fn sandbox() -> Sandbox {
        let now = Timestamp::parse_rfc3339(NOW).unwrap();
        // Refunds stay PENDING until the test settles them.
        let served = InProcessFake::start(now, |mut ctx| {
            ctx.asaas_refund_delay = Duration::from_secs(3600);
            AsaasFake::new(ctx)
        })
        .await;
        let gw = AsaasGateway::new(
            &settings(&served.base),
            AsaasCredentials {
                api_key: served.credential("api_key").unwrap(),
                webhook_token: served.credential("webhook_token"),
            },
        )
        .unwrap()
        .with_clock(served.clock.clone());
        Sandbox {
            fake: served.fake.clone(),
            gw,
            base_url: served.base.clone(),
            served,
        }
    }

    #[tokio::test]
    async fn pix_is_created_paid_and_refunded_in_two_parts() {
        let mut sb = sandbox().await;
        let req = charge_request(PaymentMethod::Pix);
        let charge = sb.gw.create_charge(&req).await.unwrap();
        assert_eq!(charge.status, ChargeStatus::RequiresAction);
        assert!(charge.reference.starts_with("pay_"));
        let pix = charge.pix.clone().unwrap();
        let code = payorch::brcode::parse(&pix.copy_paste).unwrap();
        assert_eq!(code.amount_cents(), Some(1990));
        assert!(code.is_dynamic());
        assert_eq!(pix.qr_code_png, None, "the BR Code only");
        assert_eq!(
            pix.expires_at,
            Some(Timestamp::parse_rfc3339("2025-03-13T02:59:59Z").unwrap())
        );
        assert_eq!(
            sb.kinds(),
            [(
                "PAYMENT_CREATED".to_string(),
                Some(ChargeStatus::RequiresAction)
            )]
        );

        // Asking again (say after an ambiguous outcome) finds the same payment.
        let again = sb.gw.create_charge(&req).await.unwrap();
        assert_eq!(again.reference, charge.reference);
        assert!(sb.events().is_empty(), "nothing new was created");
        assert_eq!(sb.fake.charges().len(), 1);

        let paid = sb.fake.pay(&charge.reference).unwrap();
        assert_eq!(paid["status"], "RECEIVED");
        let events = sb.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "PAYMENT_RECEIVED");
        assert_eq!(events[0].status, Some(ChargeStatus::Succeeded));
        assert_eq!(events[0].reference, charge.reference);
        assert_eq!(events[0].charge_id.as_ref(), Some(&req.charge_id));
        assert!(sb.fake.pay(&charge.reference).is_err(), "paid twice");

        // The fake's Pix fee, R$ 1.99, as `value - netValue` on the webhook and the read.
        assert_eq!(events[0].fee, Fee::reported(199, Currency::Brl));
        let read = sb.gw.get_charge(&charge.reference).await.unwrap();
        assert_eq!(read.status, ChargeStatus::Succeeded);
        assert_eq!(read.fee, Fee::reported(199, Currency::Brl));

        let mut refund = refund_request(500);
        refund.charge_reference = charge.reference.clone();
        // Asaas answers a refund PENDING and settles it later, with a webhook for each step.
        let partial = sb.gw.refund(&refund).await.unwrap();
        assert_eq!(partial.status, RefundStatus::Pending);
        assert_eq!(partial.amount, 500);
        let events = sb.events();
        assert_eq!(events[0].kind, "PAYMENT_REFUND_IN_PROGRESS");
        assert_eq!(events[0].status, None);
        assert_eq!(events[0].refunds[0].status, RefundStatus::Pending);
        assert_eq!(sb.fake.settle_refunds(&charge.reference).unwrap(), 1);
        let events = sb.events();
        assert_eq!(events[0].kind, "PAYMENT_PARTIALLY_REFUNDED");
        assert_eq!(events[0].status, Some(ChargeStatus::PartiallyRefunded));
        assert_eq!(events[0].amount_refunded, Some(500));
        assert_eq!(events[0].refunds[0].reference, partial.reference);
        assert_eq!(
            events[0].refunds[0].refund_id,
            Some(refund.refund_id.clone())
        );
        assert_eq!(events[0].refunds[0].status, RefundStatus::Succeeded);
        // The same refund again is found, not repeated: now settled.
        let again = sb.gw.refund(&refund).await.unwrap();
        assert_eq!(
            (again.reference, again.status, again.amount),
            (partial.reference.clone(), RefundStatus::Succeeded, 500)
        );
        assert!(sb.events().is_empty());

        let mut rest = refund_request(1490);
        rest.charge_reference = charge.reference.clone();
        rest.reason = None;
        let full = sb.gw.refund(&rest).await.unwrap();
        assert_eq!(full.reference, format!("{}#2", charge.reference));
        assert_eq!(sb.events()[0].kind, "PAYMENT_REFUND_IN_PROGRESS");
        let read = sb.gw.get_charge(&charge.reference).await.unwrap();
        assert_eq!(
            (read.status, read.amount_refunded),
            (ChargeStatus::PartiallyRefunded, 500),
            "a pending refund has given nothing back yet"
        );
        sb.fake.settle_refunds(&charge.reference).unwrap();
        let events = sb.events();
        assert_eq!(events[0].kind, "PAYMENT_REFUNDED");
        assert_eq!(events[0].status, Some(ChargeStatus::Refunded));
        assert_eq!(events[0].amount_refunded, Some(1990));
        let read = sb.gw.get_charge(&charge.reference).await.unwrap();
        assert_eq!(read.status, ChargeStatus::Refunded);
        assert_eq!(read.amount_refunded, 1990);

        let mut more = refund_request(1);
        more.charge_reference = charge.reference.clone();
        let err = sb.gw.refund(&more).await.unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::Invalid, "{err}");
    }

    #[tokio::test]
    async fn boleto_is_confirmed_with_asaas_sandbox_endpoint() {
        let mut sb = sandbox().await;
        let req = charge_request(PaymentMethod::Boleto);
        let charge = sb.gw.create_charge(&req).await.unwrap();
        let boleto = charge.boleto.unwrap();
        let line = boleto.digitable_line.unwrap();
        assert_eq!(line.len(), 47);
        assert!(line.ends_with("0000001990"), "{line}");
        assert_eq!(boleto.barcode.unwrap().len(), 44);
        assert_eq!(boleto.due_date.as_deref(), Some("2025-03-12"));
        assert!(boleto.url.unwrap().starts_with("https://"));
        sb.events();

        let confirm = format!("/v3/sandbox/payment/{}/confirm", charge.reference);
        let answer = sb.raw(http::Method::POST, &confirm).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json_value().await;
        assert_eq!(body["status"], "RECEIVED");
        assert_eq!(
            sb.kinds(),
            [(
                "PAYMENT_RECEIVED".to_string(),
                Some(ChargeStatus::Succeeded)
            )]
        );
        let again = sb.raw(http::Method::POST, &confirm).send().await.unwrap();
        assert_eq!(again.status(), 400);

        let mut refund = refund_request(1990);
        refund.charge_reference = charge.reference;
        let err = sb.gw.refund(&refund).await.unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::Invalid);
    }

    #[tokio::test]
    async fn cards_are_captured_or_declined() {
        let mut sb = sandbox().await;
        let mut req = card_request();
        let charge = sb.gw.create_charge(&req).await.unwrap();
        assert_eq!(charge.status, ChargeStatus::Succeeded);
        assert_eq!(charge.gateway_status, "CONFIRMED");
        assert_eq!(
            sb.kinds(),
            [
                ("PAYMENT_CREATED".to_string(), Some(ChargeStatus::Succeeded)),
                (
                    "PAYMENT_CONFIRMED".to_string(),
                    Some(ChargeStatus::Succeeded)
                ),
            ]
        );

        req.charge_id = ChargeId::generate();
        req.card_token = Some(DECLINED_CARD_TOKEN.to_string());
        let err = sb.gw.create_charge(&req).await.unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::Declined, "{err}");
        assert_eq!(err.code.as_deref(), Some("invalid_creditCard"));
        assert_eq!(sb.gw.find_charge(&req).await.unwrap(), None);
        assert!(sb.events().is_empty());
    }

    #[tokio::test]
    async fn an_unpaid_pix_is_cancelled() {
        let mut sb = sandbox().await;
        let charge = sb
            .gw
            .create_charge(&charge_request(PaymentMethod::Pix))
            .await
            .unwrap();
        sb.events();
        let canceled = sb.gw.cancel(&charge.reference).await.unwrap();
        assert_eq!(canceled.status, ChargeStatus::Canceled);
        assert_eq!(
            sb.kinds(),
            [("PAYMENT_DELETED".to_string(), Some(ChargeStatus::Canceled))]
        );
        assert!(sb.fake.pay(&charge.reference).is_err());
        let err = sb.gw.cancel(&charge.reference).await.unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::Invalid);
        assert_eq!(
            sb.gw
                .get_charge("pay_999999999999")
                .await
                .unwrap_err()
                .outcome,
            AttemptOutcome::Invalid
        );
    }

    #[tokio::test]
    async fn the_fake_guards_its_door_like_asaas() {
        let sb = sandbox().await;
        // A GET with a body: 403.
        let answer = sb
            .raw(http::Method::GET, "/v3/payments")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403);
        // A wrong key, and none.
        for key in [Some("$aact_wrong"), None] {
            let mut request = reqwest::Client::new()
                .get(format!("{}/v3/payments", sb.base_url))
                .header("user-agent", "payorch-test");
            if let Some(key) = key {
                request = request.header("access_token", key);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), 401);
            let body: Value = answer.json_value().await;
            assert!(
                body["errors"][0]["code"]
                    .as_str()
                    .unwrap()
                    .contains("access_token")
            );
        }
        // No User-Agent.
        let answer = reqwest::Client::new()
            .get(format!("{}/v3/payments", sb.base_url))
            .header("access_token", SANDBOX_API_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400);
        // The adapter with a wrong key is told so the Asaas way.
        let wrong = AsaasGateway::new(
            &settings(&sb.base_url),
            AsaasCredentials {
                api_key: Secret::new("$aact_wrong"),
                webhook_token: Some(Secret::new(SANDBOX_WEBHOOK_TOKEN)),
            },
        )
        .unwrap();
        let err = wrong.get_charge("pay_000000000001").await.unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::Auth);
        assert_eq!(err.code.as_deref(), Some("invalid_access_token"));
    }

    #[tokio::test]
    async fn the_fake_validates_like_asaas() {
        let sb = sandbox().await;
        let post = |path: &str, body: &str| {
            sb.raw(http::Method::POST, path)
                .header("content-type", "application/json")
                .body(body.to_string())
        };
        let code = |answer: reqwest::Response| async move {
            assert_eq!(answer.status(), 400);
            let body: Value = answer.json_value().await;
            body["errors"][0]["code"].as_str().unwrap().to_string()
        };
        let bad_cpf = post("/v3/customers", r#"{"name":"Ana","cpfCnpj":"52998224726"}"#);
        assert_eq!(code(bad_cpf.send().await.unwrap()).await, "invalid_cpfCnpj");
        let created: Value = post(
            "/v3/customers",
            r#"{"name":"Ana","cpfCnpj":"11.222.333/0001-81"}"#,
        )
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
        let customer = created["id"].as_str().unwrap().to_string();
        assert_eq!(created["cpfCnpj"], "11222333000181");
        for (body, expected) in [
            (format!(r#"{{"customer":"{customer}","billingType":"PIX","value":0,"dueDate":"2025-03-12"}}"#), "invalid_value"),
            (format!(r#"{{"customer":"{customer}","billingType":"PIX","value":1.999,"dueDate":"2025-03-12"}}"#), "invalid_value"),
            (format!(r#"{{"customer":"{customer}","billingType":"PIX","value":10,"dueDate":"2025-03-09"}}"#), "invalid_dueDate"),
            (format!(r#"{{"customer":"{customer}","billingType":"CASH","value":10,"dueDate":"2025-03-12"}}"#), "invalid_billingType"),
            (r#"{"customer":"cus_nobody","billingType":"PIX","value":10,"dueDate":"2025-03-12"}"#.to_string(), "invalid_customer"),
            (format!(r#"{{"customer":"{customer}","billingType":"CREDIT_CARD","value":10,"dueDate":"2025-03-12","creditCardToken":"tok"}}"#), "invalid_remoteIp"),
            // Asaas's sandbox reports the customer first: an empty body is `invalid_customer`.
            ("{}".to_string(), "invalid_customer"),
            (r#"{"billingType":"CASH"}"#.to_string(), "invalid_customer"),
        ] {
            assert_eq!(code(post("/v3/payments", &body).send().await.unwrap()).await, expected, "{body}");
        }
        // A valid one, and the list envelope with the externalReference filter.
        let ok = post(
            "/v3/payments",
            &format!(r#"{{"customer":"{customer}","billingType":"PIX","value":10.5,"dueDate":"2025-03-10","externalReference":"order-1"}}"#),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(ok.status(), 200);
        let text = ok.text().await.unwrap();
        assert!(text.contains(r#""value":10.50"#), "{text}");
        // The documented payment fields are there, with a new payment's values.
        let payment: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(payment["discount"]["type"], "FIXED", "{text}");
        assert_eq!(payment["fine"]["value"], 0.0, "{text}");
        assert_eq!(payment["interest"]["value"], 0.0, "{text}");
        for field in [
            "originalValue",
            "pixTransaction",
            "creditDate",
            "transactionReceiptUrl",
        ] {
            assert!(
                payment.get(field).is_some_and(Value::is_null),
                "{field}: {text}"
            );
        }
        // billingType UNDEFINED: the payer chooses on the invoice page.
        let undefined = post(
            "/v3/payments",
            &format!(r#"{{"customer":"{customer}","billingType":"UNDEFINED","value":7,"dueDate":"2025-03-10"}}"#),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(undefined.status(), 200);
        assert_eq!(undefined.json_value().await["billingType"], "UNDEFINED");
        let list: Value = sb
            .raw(http::Method::GET, "/v3/payments?externalReference=order-1")
            .send()
            .await
            .unwrap()
            .json_value()
            .await;
        assert_eq!(list["object"], "list");
        assert_eq!(list["totalCount"], 1);
        assert_eq!(list["hasMore"], false);
        assert_eq!(list["data"][0]["object"], "payment");
        assert_eq!(list["data"][0]["externalReference"], "order-1");
        let none: Value = sb
            .raw(http::Method::GET, "/v3/payments?externalReference=order-2")
            .send()
            .await
            .unwrap()
            .json_value()
            .await;
        assert_eq!(none["data"], json!([]));
    }
}
