use super::*;
use serde_json::json;

fn pix() -> Value {
    json!({"amount": 1990, "currency": "BRL", "method": "pix",
           "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
           "description": "Order 1234", "metadata": {"order_id": "1234"}})
}

fn param_of(body: Value) -> (String, String) {
    let e = ChargeRequest::parse(&body).unwrap_err();
    (e.param.unwrap_or_default(), e.code.to_string())
}

fn with(mut body: Value, path: &[&str], v: Value) -> Value {
    let mut cur = &mut body;
    for p in &path[..path.len() - 1] {
        cur = cur.get_mut(*p).unwrap();
    }
    cur[path[path.len() - 1]] = v;
    body
}

#[test]
fn the_documented_request_parses() {
    let r = ChargeRequest::parse(&pix()).unwrap();
    assert_eq!(r.money.minor(), 1990);
    assert_eq!(r.money.currency(), Currency::Brl);
    assert_eq!(r.method, PaymentMethod::Pix);
    assert_eq!(r.customer.document.unwrap().number, "52998224725");
    assert_eq!(r.metadata["order_id"], "1234");
    let card = json!({"amount": 500, "currency": "usd", "method": "card",
        "customer": {"name": "Ann"}, "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "tok"}},
        "gateway": "stripe"});
    let r = ChargeRequest::parse(&card).unwrap();
    assert_eq!(r.card_tokens.len(), 2);
    assert_eq!(r.gateway, Some(GatewayId::Stripe));
}

#[test]
fn every_bad_field_is_named() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            with(pix(), &["amount"], json!("19.90")),
            "amount",
            "amount_invalid",
        ),
        (
            with(pix(), &["amount"], json!(19.9)),
            "amount",
            "amount_invalid",
        ),
        (
            with(pix(), &["amount"], json!(0)),
            "amount",
            "amount_invalid",
        ),
        (
            with(pix(), &["amount"], json!(-5)),
            "amount",
            "amount_invalid",
        ),
        (
            with(pix(), &["amount"], Value::Null),
            "amount",
            "parameter_missing",
        ),
        (
            with(pix(), &["currency"], json!("XYZ")),
            "currency",
            "currency_unsupported",
        ),
        (
            with(pix(), &["currency"], json!(986)),
            "currency",
            "parameter_invalid",
        ),
        (
            with(pix(), &["method"], json!("cash")),
            "method",
            "parameter_invalid",
        ),
        (
            with(pix(), &["customer"], json!("Maria")),
            "customer",
            "parameter_invalid",
        ),
        (
            with(pix(), &["customer", "name"], json!("")),
            "customer.name",
            "parameter_missing",
        ),
        (
            with(pix(), &["customer", "document"], json!("111.111.111-11")),
            "customer.document",
            "parameter_invalid",
        ),
        (
            with(pix(), &["customer", "document"], Value::Null),
            "customer.document",
            "parameter_missing",
        ),
        (
            with(pix(), &["customer", "email"], json!("no-at-sign")),
            "customer.email",
            "parameter_invalid",
        ),
        (
            with(pix(), &["customer", "age"], json!(3)),
            "customer.age",
            "parameter_unknown",
        ),
        (
            with(pix(), &["amout"], json!(1)),
            "amout",
            "parameter_unknown",
        ),
        (
            with(pix(), &["metadata"], json!(["a"])),
            "metadata",
            "parameter_invalid",
        ),
        (
            with(pix(), &["metadata", "k"], json!({"x": 1})),
            "metadata.k",
            "parameter_invalid",
        ),
        (
            with(pix(), &["description"], json!("x".repeat(501))),
            "description",
            "parameter_invalid",
        ),
        (
            with(pix(), &["gateway"], json!("paypal")),
            "gateway",
            "parameter_invalid",
        ),
        (
            with(pix(), &["card"], json!({"tokens": {"stripe": "pm_x"}})),
            "card",
            "parameter_unexpected",
        ),
    ];
    for (body, param, code) in cases {
        assert_eq!(
            param_of(body.clone()),
            (param.to_string(), code.to_string()),
            "{body}"
        );
    }
    let card =
        json!({"amount": 500, "currency": "BRL", "method": "card", "customer": {"name": "Ann"}});
    assert_eq!(param_of(card.clone()).0, "card");
    assert_eq!(
        param_of(with(card.clone(), &["card"], json!({"tokens": {}}))).0,
        "card.tokens"
    );
    assert_eq!(
        param_of(with(
            card.clone(),
            &["card"],
            json!({"tokens": {"paypal": "x"}})
        ))
        .0,
        "card.tokens.paypal"
    );
    let pinned = with(
        with(card, &["card"], json!({"tokens": {"asaas": "t"}})),
        &["gateway"],
        json!("stripe"),
    );
    assert_eq!(param_of(pinned).0, "card.tokens");
    assert_eq!(
        ChargeRequest::parse(&json!([1])).unwrap_err().code,
        "body_invalid"
    );
}

#[test]
fn refund_requests() {
    assert_eq!(RefundRequest::parse(&Value::Null).unwrap().amount, None);
    assert_eq!(
        RefundRequest::parse(&json!({"amount": 500}))
            .unwrap()
            .amount,
        Some(500)
    );
    assert_eq!(
        RefundRequest::parse(&json!({"amount": 0}))
            .unwrap_err()
            .param
            .as_deref(),
        Some("amount")
    );
    assert_eq!(
        RefundRequest::parse(&json!({"amount": "5"}))
            .unwrap_err()
            .param
            .as_deref(),
        Some("amount")
    );
    // An explicit null is not "everything left": only a missing amount is.
    let e = RefundRequest::parse(&json!({"amount": null})).unwrap_err();
    assert_eq!(e.param.as_deref(), Some("amount"));
    assert_eq!(RefundRequest::parse(&json!({})).unwrap().amount, None);
    assert_eq!(
        RefundRequest::parse(&json!({"amonut": 5}))
            .unwrap_err()
            .code,
        "parameter_unknown"
    );
}
