//! Strict input on the merchant API (issue 12, defect 5), against the real router on a loopback
//! listener of the test's own: amounts above the currency's limit, bodies that are not said to
//! be JSON (or a body that is `null`), the `Authorization` scheme in any case, JSON objects that
//! name a key twice, and listing parameters unknown or repeated. Each refusal is a JSON error
//! naming what is wrong, and nothing is stored.

use crate::matrix;

use matrix::{Case, Method, World};
use serde_json::{Value, json};

struct Api {
    world: World,
    base: String,
    secret: String,
    http: reqwest::Client,
    _server: tokio::task::JoinHandle<()>,
}

impl Api {
    async fn start() -> Api {
        let mut config = Case::uncrashed(Method::Card).config();
        config.routing.primary = payorch::model::GatewayId::Stripe;
        let world = World::new(config).await;
        let core = world.core();
        let secret = world.api_key(&core).await;
        let (base, server) = matrix::serve(&core, "127.0.0.1:0").await;
        Api {
            world,
            base,
            secret,
            http: reqwest::Client::new(),
            _server: server,
        }
    }

    /// POSTs `body` as it is, with the given Content-Type (none when `None`).
    async fn post(
        &self,
        path: &str,
        key: &str,
        content_type: Option<&str>,
        body: String,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.secret))
            .header("Idempotency-Key", key)
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("not a JSON answer ({e}), status {status}: {text:?}"));
        (status, body)
    }

    /// GETs `path` with the key.
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {}", self.secret))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_str(&response.text().await.unwrap()).unwrap(),
        )
    }

    async fn stored(&self) -> usize {
        self.world
            .store
            .list_charges(
                &self.world.tenant,
                &payorch::store::ChargeQuery {
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items
            .len()
    }
}

fn assert_error(answer: &(u16, Value), status: u16, param: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"]["param"], param, "{}", answer.1);
    assert!(answer.1["error"]["type"].is_string(), "{}", answer.1);
    assert!(answer.1["error"]["code"].is_string(), "{}", answer.1);
    assert!(answer.1["error"]["message"].is_string(), "{}", answer.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_above_the_currency_limit_are_refused_before_anything_is_stored() {
    let api = Api::start().await;
    let card = Case::uncrashed(Method::Card).body();
    let pix = Case::uncrashed(Method::Pix).body();
    let cases = [
        (card.clone(), json!(i64::MAX), "BRL"),
        (card.clone(), json!(i64::MAX), "USD"),
        (card.clone(), json!(1_000_000_000_000_000_i64), "USD"),
        (card.clone(), json!(1_000_000_000_000_i64), "JPY"),
        (pix.clone(), json!(i64::MAX), "BRL"),
        (pix.clone(), json!(100_000_001), "BRL"),
    ];
    for (i, (mut body, amount, currency)) in cases.into_iter().enumerate() {
        body["amount"] = amount;
        body["currency"] = json!(currency);
        let answer = api
            .post(
                "/v1/charges",
                &format!("big-{i}"),
                Some("application/json"),
                body.to_string(),
            )
            .await;
        assert_error(&answer, 400, "amount");
        assert_eq!(answer.1["error"]["code"], "amount_too_large");
    }
    assert_eq!(api.stored().await, 0, "a refused charge must not be stored");
    // At the limit is fine.
    let mut body = pix;
    body["amount"] = json!(100_000_000);
    let answer = api
        .post(
            "/v1/charges",
            "at-limit",
            Some("application/json"),
            body.to_string(),
        )
        .await;
    assert_eq!(answer.0, 201, "{}", answer.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_must_be_sent_as_json() {
    let api = Api::start().await;
    let body = Case::uncrashed(Method::Pix).body().to_string();
    for (i, ct) in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ]
    .into_iter()
    .enumerate()
    {
        let answer = api
            .post("/v1/charges", &format!("ct-{i}"), ct, body.clone())
            .await;
        assert_error(&answer, 415, "Content-Type");
    }
    assert_eq!(api.stored().await, 0);
    let answer = api
        .post(
            "/v1/charges",
            "ct-ok",
            Some("Application/JSON; charset=utf-8"),
            body,
        )
        .await;
    assert_eq!(answer.0, 201, "{}", answer.1);
    // A body that is `null` (a client's unset variable) is refused, not read as "refund
    // everything"; nothing is refunded.
    let id = answer.1["id"].as_str().unwrap();
    let refund = api
        .post(
            &format!("/v1/charges/{id}/refunds"),
            "refund-null",
            Some("application/json"),
            "null".into(),
        )
        .await;
    assert_eq!(refund.0, 400, "{}", refund.1);
    assert_eq!(refund.1["error"]["code"], "body_invalid", "{}", refund.1);
    let charge = api.get(&format!("/v1/charges/{id}")).await;
    assert_eq!(charge.1["amount_refunded"], 0, "{}", charge.1);
    // A full refund has no body, and needs no Content-Type.
    let refund = api
        .post(
            &format!("/v1/charges/{id}/refunds"),
            "refund-no-body",
            None,
            String::new(),
        )
        .await;
    assert_ne!(refund.0, 415, "{}", refund.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_scheme_is_case_insensitive() {
    let api = Api::start().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = api
            .http
            .get(format!("{}/v1/charges", api.base))
            .header("Authorization", format!("{scheme} {}", api.secret))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "scheme {scheme}");
    }
    let response = api
        .http
        .get(format!("{}/v1/charges", api.base))
        .header("Authorization", format!("Basic {}", api.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_given_twice_is_refused_naming_it() {
    let api = Api::start().await;
    let customer = r#"{"name": "Maria Silva", "document": "529.982.247-25"}"#;
    let cases = [
        (
            format!(r#"{{"amount": 1990, "amount": 1, "currency": "BRL", "method": "pix", "customer": {customer}}}"#),
            "amount",
        ),
        (
            r#"{"amount": 1990, "currency": "BRL", "method": "pix", "customer": {"name": "Maria Silva", "name": "X", "document": "529.982.247-25"}}"#.to_string(),
            "customer.name",
        ),
    ];
    for (i, (body, param)) in cases.into_iter().enumerate() {
        let answer = api
            .post(
                "/v1/charges",
                &format!("dup-{i}"),
                Some("application/json"),
                body,
            )
            .await;
        assert_error(&answer, 400, param);
        assert_eq!(answer.1["error"]["code"], "parameter_duplicated");
    }
    assert_eq!(api.stored().await, 0);
}

/// Refund amounts (issue 12, item 5): above the currency's maximum, above the charge, zero,
/// negative, fractional, a string, or beyond any integer type: each a 400 naming `amount`, and
/// no refund recorded on the charge; a retry with the same key after fixing it runs afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_amounts_are_checked_before_anything_is_stored() {
    let api = Api::start().await;
    let created = api
        .post(
            "/v1/charges",
            "refund-target",
            Some("application/json"),
            Case::uncrashed(Method::Card).body().to_string(),
        )
        .await;
    assert_eq!(created.0, 201, "{}", created.1);
    let id = created.1["id"].as_str().unwrap().to_string();
    let path = format!("/v1/charges/{id}/refunds");
    for (i, amount) in [
        i64::MAX.to_string(),
        "100000001".into(),        // above the BRL maximum (R$ 1,000,000.00)
        "1000000000000000".into(), // 10^15
        "0".into(),
        "-1".into(),
        (-i64::MAX).to_string(),
        "1.5".into(),
        "100.0".into(),
        "1e3".into(),
        "\"100\"".into(),
        "null".into(),
        "true".into(),
        "18446744073709551615".into(),    // u64::MAX
        "99999999999999999999999".into(), // no integer type holds it
    ]
    .into_iter()
    .enumerate()
    {
        let answer = api
            .post(
                &path,
                &format!("bad-refund-{i}"),
                Some("application/json"),
                format!(r#"{{"amount":{amount}}}"#),
            )
            .await;
        assert_error(&answer, 400, "amount");
        let charge = api.world.charge(&id).await.unwrap();
        assert!(charge.refunds.is_empty(), "{amount}: {:?}", charge.refunds);
        assert_eq!(charge.amount_refunded(), 0, "{amount}");
    }
    // A duplicated amount is refused too, naming it.
    let answer = api
        .post(
            &path,
            "dup-refund",
            Some("application/json"),
            r#"{"amount":1,"amount":100000000000}"#.into(),
        )
        .await;
    assert_error(&answer, 400, "amount");
    // The first key, fixed, runs afresh: it was not used up.
    let answer = api
        .post(
            &path,
            "bad-refund-0",
            Some("application/json"),
            r#"{"amount":100}"#.into(),
        )
        .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    assert_eq!(answer.1["amount_refunded"], 100, "{}", answer.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_names_an_unknown_or_repeated_query_parameter() {
    let api = Api::start().await;
    let (status, body) = api.get("/v1/charges?limti=5").await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("parameter_unknown"))
    );
    assert_error(&(status, body), 400, "limti");
    let (status, body) = api.get("/v1/charges?status=failed&status=succeeded").await;
    assert_eq!(body["error"]["code"], "parameter_duplicated", "{body}");
    assert_error(&(status, body), 400, "status");
    let (status, body) = api.get("/v1/charges?limit=5&status=failed").await;
    assert_eq!(status, 200, "{body}");
}
