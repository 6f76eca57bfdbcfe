//! `payorch serve` as a merchant and an operator meet it: the real `serve` binary in front of
//! the real `payorch sandbox`, driven over HTTP and with the CLI. Covers idempotency under
//! concurrency, failover with the breaker, operator overrides on a running server, rule 4 for
//! ambiguous card outcomes, orphan cancellation, bad input, and graceful shutdown.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::scripted::{Reply, Scripted};
use common::stack::ServeStack;

/// Tuned so the breaker reacts within a handful of calls in tests.
const CONFIG: &str = r#"
[breaker]
minimum_calls = 4
window_size = 10
wait_in_open = "1s"
permitted_calls_in_half_open = 2
sync_interval = "100ms"

[gateways.stripe]
timeout = "2s"
"#;

/// The shared stack (a sandbox and a serve on one fresh data dir, with an API key; both killed
/// on drop) on [`CONFIG`], with this test's calls.
struct Stack(ServeStack);

impl std::ops::Deref for Stack {
    type Target = ServeStack;
    fn deref(&self) -> &ServeStack {
        &self.0
    }
}

impl std::ops::DerefMut for Stack {
    fn deref_mut(&mut self) -> &mut ServeStack {
        &mut self.0
    }
}

impl Stack {
    fn start() -> Stack {
        Stack::start_with("")
    }

    /// With `extra` appended to the test config (e.g. a `[webhooks]` section).
    fn start_with(extra: &str) -> Stack {
        let env = common::Env::allowing_private_targets();
        let mut stack = ServeStack::in_env(env, &format!("{CONFIG}\n{extra}"));
        stack.start_serve();
        Stack(stack)
    }

    fn fake_charges(&self, gateway: &str) -> Vec<Value> {
        let out = self.sandbox(&["charges", gateway, "-o", "json"]);
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    async fn post(
        &self,
        path: &str,
        key: Option<&str>,
        body: &Value,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.url()))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(serde_json::to_string(&body).unwrap());
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let resp = req.send().await.expect("POST");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (
            status,
            headers,
            serde_json::from_slice(&resp.bytes().await.unwrap_or_default()).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str, bearer: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.url()))
            .bearer_auth(bearer)
            .send()
            .await
            .expect("GET");
        (
            resp.status().as_u16(),
            serde_json::from_slice(&resp.bytes().await.unwrap_or_default()).unwrap_or(Value::Null),
        )
    }
}

fn pix(amount: i64) -> Value {
    json!({"amount": amount, "currency": "BRL", "method": "pix",
           "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
           "description": "Order 1234", "metadata": {"order_id": "1234"}})
}

fn card(tokens: Value) -> Value {
    json!({"amount": 5000, "currency": "BRL", "method": "card",
           "customer": {"name": "Maria Silva", "document": "529.982.247-25"},
           "card": {"tokens": tokens}})
}

/// Polls `check` until it holds; a hang guard, not a timing assertion.
async fn eventually<F: FnMut() -> bool>(what: &str, mut check: F) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicates_reach_the_gateway_once() {
    let stack = Stack::start();
    let before = stack.fake_charges("stripe").len();
    let body = pix(1990);
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let http = stack.http.clone();
        let url = format!("{}/v1/charges", stack.url());
        let (key, body) = (stack.key.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(key)
                .header("Idempotency-Key", "order-1234")
                .header("content-type", "application/json")
                .body(serde_json::to_string(&body).unwrap())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (
                status,
                serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).unwrap_or(Value::Null),
            )
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (status, v) = t.await.unwrap();
        match status {
            201 => {
                ids.insert(v["id"].as_str().unwrap().to_string());
            }
            409 => assert_eq!(v["error"]["code"], "idempotency_key_in_use"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(ids.len(), 1, "every 201 is the first response: {ids:?}");
    assert_eq!(
        stack.fake_charges("stripe").len(),
        before + 1,
        "exactly one charge at the gateway"
    );

    // The same key again: the first answer, replayed.
    let (status, headers, v) = stack.post("/v1/charges", Some("order-1234"), &body).await;
    assert_eq!(status, 201);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert!(ids.contains(v["id"].as_str().unwrap()));
    // The same key with another body: 422, nothing created.
    let (status, _, v) = stack
        .post("/v1/charges", Some("order-1234"), &pix(2000))
        .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error"]["param"], "Idempotency-Key");
    assert_eq!(stack.fake_charges("stripe").len(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_primary_fails_over_opens_its_breaker_and_recovers() {
    let stack = Stack::start();
    stack.sandbox(&["mode", "stripe", "down"]);
    let stripe_before = stack.fake_charges("stripe").len();
    for i in 0..8 {
        let (status, _, v) = stack
            .post("/v1/charges", Some(&format!("down-{i}")), &pix(1990))
            .await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["gateway"], "efi", "{v}");
        assert_eq!(v["attempts"][0]["gateway"], "stripe");
        assert_eq!(v["attempts"][0]["outcome"], "unavailable_not_sent");
        assert_eq!(
            v["attempts"].as_array().unwrap().last().unwrap()["outcome"],
            "success"
        );
    }
    assert_eq!(stack.fake_charges("stripe").len(), stripe_before);
    // The breaker opened and every instance can see it.
    eventually("stripe's breaker open in the store", || {
        let s: Value =
            serde_json::from_str(&stack.cli(&["breaker", "status", "-o", "json"])).unwrap();
        s.to_string().contains("\"open\"")
    })
    .await;
    let (_, _, v) = stack
        .post("/v1/charges", Some("while-open"), &pix(1990))
        .await;
    assert_eq!(v["gateway"], "efi");
    assert_eq!(v["attempts"][0]["gateway_code"], "breaker_open", "{v}");

    // Back up: after the wait, half-open probes succeed and it closes.
    stack.sandbox(&["mode", "stripe", "up"]);
    let mut n = 0;
    let mut last = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(60);
    while last["gateway"] != "stripe" {
        assert!(
            Instant::now() < deadline,
            "stripe never took traffic again: {last}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        n += 1;
        last = stack
            .post("/v1/charges", Some(&format!("recover-{n}")), &pix(1990))
            .await
            .2;
    }
    let mut status = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while status.is_empty() || status.contains("\"open\"") || status.contains("half") {
        assert!(
            Instant::now() < deadline,
            "stripe's breaker never closed: {status}"
        );
        // Half-open closes only after every permitted probe succeeded: keep traffic coming.
        n += 1;
        let (_, _, v) = stack
            .post("/v1/charges", Some(&format!("recover-{n}")), &pix(1990))
            .await;
        assert_ne!(v["status"], "failed", "{v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        status = stack.cli(&["breaker", "status", "-o", "json"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_overrides_reach_a_running_serve() {
    let stack = Stack::start();
    let (_, _, v) = stack.post("/v1/charges", Some("before"), &pix(1990)).await;
    assert_eq!(v["gateway"], "stripe");

    stack.cli(&["gateway", "switch", "asaas", "--reason", "stripe incident"]);
    let mut i = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        i += 1;
        let (_, _, v) = stack
            .post("/v1/charges", Some(&format!("switch-{i}")), &pix(1990))
            .await;
        if v["gateway"] == "asaas" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the switch never reached serve: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    stack.cli(&[
        "breaker",
        "open",
        "asaas",
        "--for",
        "10m",
        "--reason",
        "maintenance",
    ]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        i += 1;
        let (_, _, v) = stack
            .post("/v1/charges", Some(&format!("forced-{i}")), &pix(1990))
            .await;
        if v["gateway"] != "asaas" {
            assert_eq!(v["attempts"][0]["gateway"], "asaas");
            assert_eq!(v["attempts"][0]["gateway_code"], "breaker_open", "{v}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the forced open never reached serve"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let audit = stack.cli(&["audit", "list", "-o", "json"]);
    assert!(
        audit.contains("gateway.switch") && audit.contains("breaker.open"),
        "{audit}"
    );
    assert!(
        audit.contains("stripe incident") && audit.contains("maintenance"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_card_outcome_never_charges_a_second_gateway() {
    let stack = Stack::start();
    stack.sandbox(&["mode", "stripe", "down", "--status", "503"]);
    let asaas_before = stack.fake_charges("asaas").len();
    let (status, _, v) = stack
        .post(
            "/v1/charges",
            Some("card-1"),
            &card(json!({"stripe": "pm_card_visa", "asaas": "tok_ok"})),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["status"], "unknown", "{v}");
    assert_eq!(v["gateway"], "stripe");
    let outcomes: Vec<&str> = v["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["unavailable_ambiguous", "unavailable_ambiguous"],
        "retried once at the same gateway"
    );
    assert_eq!(
        stack.fake_charges("asaas").len(),
        asaas_before,
        "no second gateway was charged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pix_orphan_is_cancelled_by_the_reconciler() {
    let stack = Stack::start();
    // Stripe answers after the adapter's 2 s timeout: the intent is created, the answer lost.
    stack.sandbox(&["mode", "stripe", "slow", "--latency", "3000"]);
    let (status, _, v) = stack
        .post("/v1/charges", Some("orphan-1"), &pix(1990))
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(
        v["gateway"], "efi",
        "Pix may fail over after an ambiguous outcome: {v}"
    );
    stack.sandbox(&["mode", "stripe", "up"]);
    // Wait until the slow calls have landed at the fake (they were in flight).
    eventually("the orphan exists at stripe", || {
        !stack.fake_charges("stripe").is_empty()
    })
    .await;
    let report: Value = serde_json::from_str(&stack.cli(&[
        "reconcile",
        "--sandbox",
        &stack.sandbox.url,
        "-o",
        "json",
    ]))
    .unwrap();
    assert!(
        !report["orphans_cancelled"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let stripe = stack.fake_charges("stripe");
    assert!(
        stripe.iter().all(|pi| pi["status"] == "canceled"),
        "{stripe:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_documented_errors_and_write_nothing() {
    let stack = Stack::start();
    let before = stack.fake_charges("stripe").len();
    let cases: Vec<(Value, Option<&str>, u16, &str)> = vec![
        (pix(1990), None, 400, "Idempotency-Key"),
        (
            json!({"amount": "19.90", "currency": "BRL", "method": "pix"}),
            Some("b1"),
            400,
            "amount",
        ),
        (
            json!({"amount": 1990, "currency": "XYZ", "method": "pix"}),
            Some("b2"),
            400,
            "currency",
        ),
        (
            {
                let mut b = pix(1990);
                b["customer"]["document"] = json!("111.111.111-11");
                b
            },
            Some("b3"),
            400,
            "customer.document",
        ),
        (
            json!({"amount": 1990, "currency": "JPY", "method": "boleto", "customer": {"name": "A"}}),
            Some("b4"),
            422,
            "",
        ),
    ];
    for (body, key, status, param) in cases {
        let (s, _, v) = stack.post("/v1/charges", key, &body).await;
        assert_eq!(s, status, "{body} -> {v}");
        if !param.is_empty() {
            assert_eq!(v["error"]["param"], param, "{v}");
        }
        assert!(
            v["error"]["type"].is_string() && v["error"]["message"].is_string(),
            "{v}"
        );
    }
    // Not JSON, too big, a wrong key.
    let r = stack
        .http
        .post(format!("{}/v1/charges", stack.url()))
        .bearer_auth(&stack.key)
        .header("Idempotency-Key", "j")
        .header("Content-Type", "application/json")
        .body("{\"amount\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let big = "x".repeat(200_000);
    // Its own connection: the server closes one whose body it refused unread, and a pooled
    // connection reused by the next request could then fail.
    let r = reqwest::Client::new()
        .post(format!("{}/v1/charges", stack.url()))
        .bearer_auth(&stack.key)
        .header("Idempotency-Key", "big")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let (s, v) = stack.get("/v1/charges", "po_sk_0000").await;
    assert_eq!(
        (s, v["error"]["type"].as_str()),
        (401, Some("authentication_error"))
    );
    assert_eq!(
        stack.fake_charges("stripe").len(),
        before,
        "nothing reached a gateway"
    );
    let listed = stack.get("/v1/charges", &stack.key).await.1;
    assert!(
        listed["data"].as_array().unwrap().is_empty(),
        "nothing was written: {listed}"
    );

    // Every gateway down: 503 gateway_unavailable, with every attempt.
    for g in ["stripe", "efi", "asaas"] {
        stack.sandbox(&["mode", g, "down"]);
    }
    let (s, _, v) = stack
        .post("/v1/charges", Some("all-down"), &pix(1990))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (503, Some("gateway_unavailable")),
        "{v}"
    );
    let tried: Vec<&str> = v["error"]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["gateway"].as_str().unwrap())
        .collect();
    assert_eq!(tried, ["stripe", "efi", "asaas"], "{v}");
    for g in ["stripe", "efi", "asaas"] {
        stack.sandbox(&["mode", g, "up"]);
    }
    // X-Request-Id is echoed when given, generated when not.
    let r = stack
        .http
        .get(format!("{}/healthz", stack.url()))
        .header("X-Request-Id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-42");
    let r = stack
        .http
        .get(format!("{}/healthz", stack.url()))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );

    // Another tenant's charge reads as not found.
    let (_, _, mine) = stack.post("/v1/charges", Some("mine"), &pix(1990)).await;
    stack.cli(&["tenant", "create", "other"]);
    let other_key = stack.cli(&["--tenant", "other", "apikey", "create", "-o", "json"]);
    let other_key = serde_json::from_str::<Value>(&other_key).unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = stack
        .get(
            &format!("/v1/charges/{}", mine["id"].as_str().unwrap()),
            &other_key,
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        stack.get("/v1/charges", &other_key).await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight() {
    let mut stack = Stack::start();
    stack.sandbox(&["mode", "stripe", "slow", "--latency", "1500"]);
    let http = stack.http.clone();
    let (url, key) = (format!("{}/v1/charges", stack.url()), stack.key.clone());
    let in_flight = tokio::spawn(async move {
        let r = http
            .post(url)
            .bearer_auth(key)
            .header("Idempotency-Key", "slow-1")
            .header("content-type", "application/json")
            .body(serde_json::to_string(&pix(1990)).unwrap())
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).unwrap_or(Value::Null),
        )
    });
    // Let the request get to the (slow) gateway, then ask serve to stop. If SIGTERM came
    // first, the request would be refused or never sent, and the assertions below catch it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut serve = stack.serve.take().unwrap();
    let pid = serve.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (status, v) = in_flight.await.unwrap();
    assert!(
        status == 201,
        "the request in flight was answered: {status} {v}"
    );
    let exit = serve.wait();
    assert!(exit.success(), "serve exits 0 after SIGTERM: {exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_go_to_the_gateway_that_holds_the_charge() {
    let stack = Stack::start();
    let (status, _, charge) = stack
        .post(
            "/v1/charges",
            Some("card-ok"),
            &card(json!({"stripe": "pm_card_visa"})),
        )
        .await;
    assert_eq!(
        (status, charge["status"].as_str()),
        (201, Some("succeeded")),
        "{charge}"
    );
    let id = charge["id"].as_str().unwrap();
    let path = format!("/v1/charges/{id}/refunds");

    let (s, _, v) = stack
        .post(&path, Some("r-too-much"), &json!({"amount": 999_999}))
        .await;
    assert_eq!(
        (s, v["error"]["param"].as_str()),
        (400, Some("amount")),
        "{v}"
    );
    let (s, _, v) = stack
        .post(
            &path,
            Some("r-1"),
            &json!({"amount": 1000, "reason": "damaged"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "partially_refunded");
    assert_eq!(v["amount_refunded"], 1000);
    // A replay does not refund twice.
    let (s, headers, v) = stack
        .post(
            &path,
            Some("r-1"),
            &json!({"amount": 1000, "reason": "damaged"}),
        )
        .await;
    assert_eq!((s, v["amount_refunded"].as_i64()), (200, Some(1000)));
    assert_eq!(headers["idempotent-replayed"], "true");
    let (s, _, v) = stack.post(&path, Some("r-2"), &json!({})).await;
    assert_eq!(
        (s, v["status"].as_str(), v["amount_refunded"].as_i64()),
        (200, Some("refunded"), Some(5000)),
        "{v}"
    );
    let (s, _, _) = stack
        .post(
            "/v1/charges/ch_01M85WGE415ZCP43F421KT256Y/refunds",
            Some("r-3"),
            &json!({}),
        )
        .await;
    assert_eq!(s, 404);
    let refunds = stack.fake_charges("stripe");
    assert!(
        refunds
            .iter()
            .any(|pi| pi["id"] == charge["gateway_reference"]),
        "{refunds:?}"
    );

    // The operator's views of the same traffic.
    let metrics = stack
        .http
        .get(format!("{}/metrics", stack.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "payorch_charges_total{tenant=\"default\",gateway=\"stripe\",status=\"succeeded\"} 1"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("payorch_breaker_state{tenant=\"default\",gateway=\"stripe\"} 0"),
        "{metrics}"
    );
    let list: Value = serde_json::from_str(&stack.cli(&["gateway", "list", "-o", "json"])).unwrap();
    let stripe = list["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gateway"] == "stripe")
        .unwrap()
        .clone();
    assert_eq!(stripe["role"], "primary");
    assert_eq!(stripe["breaker"]["state"], "closed", "{stripe}");
}

#[test]
fn the_charge_commands_run_the_same_core() {
    let stack = Stack::start();
    let sb = stack.sandbox.url.clone();
    let run = [
        &common::PIX_CHARGE[..],
        &["--sandbox", &sb, "--idempotency-key", "cli-1"],
    ];
    let out = stack.cli(&run.concat());
    assert!(
        out.contains("requires_action") && out.contains("Pix copia e cola"),
        "{out}"
    );
    assert!(
        out.contains('▀') || out.contains('▄') || out.contains('█'),
        "a QR code is drawn: {out}"
    );
    let again = stack.cli(&[&run.concat()[..], &["-o", "json"]].concat());
    let charge: Value = serde_json::from_str(&again).unwrap();
    let id = charge["id"].as_str().unwrap();
    assert!(out.contains(id), "the replay is the same charge");
    let listed: Value =
        serde_json::from_str(&stack.cli(&["charge", "list", "-o", "json"])).unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert!(stack.cli(&["charge", "get", id]).contains("Maria Silva"));
    let card = stack.cli(&[
        "charge",
        "create",
        "--amount",
        "50",
        "--method",
        "card",
        "--customer-name",
        "Ann",
        "--card-token",
        "stripe=pm_card_visa",
        "--sandbox",
        &sb,
        "-o",
        "json",
    ]);
    let card: Value = serde_json::from_str(&card).unwrap();
    assert_eq!(card["status"], "succeeded", "{card}");
    let refunded = stack.cli(&[
        "charge",
        "refund",
        card["id"].as_str().unwrap(),
        "--amount",
        "10",
        "--reason",
        "damaged",
        "--sandbox",
        &sb,
        "-o",
        "json",
    ]);
    assert!(refunded.contains("partially_refunded"), "{refunded}");
    let audit = stack.cli(&["audit", "list", "-o", "json"]);
    assert!(
        audit.contains("charge.refund") && audit.contains("damaged"),
        "{audit}"
    );

    // Bad input names the flag and creates nothing.
    let mut args = vec![
        "--config",
        stack.config.as_str(),
        "charge",
        "create",
        "--amount",
        "10.505",
        "--method",
        "pix",
        "--customer-name",
        "A",
        "--customer-document",
        "529.982.247-25",
        "--sandbox",
        sb.as_str(),
    ];
    let err = stack.env.run(&args).fails(2);
    assert!(err.contains("--amount") && err.contains("10.505"), "{err}");
    args[5] = "10";
    args[11] = "111.111.111-11";
    let err = stack.env.run(&args).fails(2);
    assert!(err.contains("customer.document"), "{err}");
    let err = stack
        .env
        .run(&[
            "--config",
            stack.config.as_str(),
            "charge",
            "get",
            "ch_01M85WGE415ZCP43F421KT256Y",
        ])
        .fails(3);
    assert!(err.contains("no charge"), "{err}");
    let listed: Value =
        serde_json::from_str(&stack.cli(&["charge", "list", "-o", "json"])).unwrap();
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        2,
        "the refused inputs created nothing"
    );
}

/// Issue 5's whole path, for every gateway: a Pix charge, the payer pays (`payorch sandbox
/// pay`), the gateway's own signed webhook reaches `serve`, and a `charge.succeeded` event
/// signed per Standard Webhooks reaches the merchant, who verifies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_pix_reaches_the_merchant_as_a_signed_event_for_every_gateway() {
    use payorch::clock::{Clock, SystemClock};
    use payorch::secret::Secret;

    let stack = Stack::start();
    // The merchant's receiver: keeps every delivery.
    let merchant = Scripted::receiver().await;
    let receiver = format!("{}/events", merchant.base);
    let set: Value =
        serde_json::from_str(&stack.cli(&["-o", "json", "webhook", "endpoint", "set", &receiver]))
            .unwrap();
    let secret = Secret::new(set["secret"].as_str().unwrap());

    // How many deliveries the loop below has read.
    let mut read = 0;
    for gateway in ["stripe", "efi", "asaas"] {
        stack.sandbox(&[
            "webhook",
            gateway,
            &format!("{}/webhooks/default/{gateway}", stack.url()),
        ]);
        let mut body = pix(1990);
        body["gateway"] = json!(gateway);
        let (status, _, charge) = stack
            .post("/v1/charges", Some(&format!("e2e-{gateway}")), &body)
            .await;
        assert_eq!(status, 201, "{charge}");
        let id = charge["id"].as_str().unwrap().to_string();
        stack.sandbox(&[
            "pay",
            charge["gateway_reference"].as_str().unwrap(),
            "--gateway",
            gateway,
        ]);

        // Every delivery is verified; wait for this charge's charge.succeeded.
        loop {
            let delivery = merchant.wait_for(read + 1).await.swap_remove(read);
            read += 1;
            let body = delivery.body.as_bytes();
            common::verify_delivery(&[&secret], &delivery.headers, body, SystemClock.now())
                .unwrap_or_else(|e| panic!("a delivery that does not verify: {e}"));
            let event: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(
                delivery.header("webhook-id"),
                event["id"].as_str(),
                "webhook-id is the event id"
            );
            if event["type"] == "charge.succeeded" && event["data"]["charge"]["id"] == id.as_str() {
                assert_eq!(event["data"]["charge"]["gateway"], gateway);
                break;
            }
        }
        let (_, now) = stack.get(&format!("/v1/charges/{id}"), &stack.key).await;
        assert_eq!(now["status"], "succeeded", "{now}");
    }
}

/// A key's answer is stored in the commit that decides the charge (as a pointer to that
/// commit's event): a replay answers the charge as it was then, not as it is now, and a key
/// used by a request that failed validation was never written, so it stays free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_answers_the_first_response_after_the_charge_moved_on() {
    let stack = Stack::start();
    let (status, _, invalid) = stack.post("/v1/charges", Some("order-77"), &pix(-5)).await;
    assert_eq!(status, 400, "{invalid}");
    let (status, headers, first) = stack
        .post("/v1/charges", Some("order-77"), &pix(1990))
        .await;
    assert_eq!(status, 201, "{first}");
    assert!(
        headers.get("idempotent-replayed").is_none(),
        "a fresh answer"
    );
    assert_eq!(first["status"], "requires_action");
    let id = first["id"].as_str().unwrap().to_string();
    let gateway = first["gateway"].as_str().unwrap();
    stack.sandbox(&[
        "webhook",
        gateway,
        &format!("{}/webhooks/default/{gateway}", stack.url()),
    ]);
    stack.sandbox(&[
        "pay",
        first["gateway_reference"].as_str().unwrap(),
        "--gateway",
        gateway,
    ]);
    let mut now = Value::Null;
    for _ in 0..200 {
        now = stack.get(&format!("/v1/charges/{id}"), &stack.key).await.1;
        if now["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        now["status"], "succeeded",
        "the payment reached the charge: {now}"
    );

    let (status, headers, replayed) = stack
        .post("/v1/charges", Some("order-77"), &pix(1990))
        .await;
    assert_eq!(status, 201);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(replayed, first, "the first answer, as it was");
}

/// A merchant receiver whose answer can be changed: counts 2xx deliveries per webhook-id.
struct Merchant {
    url: String,
    status: Arc<std::sync::atomic::AtomicU16>,
    delivered: Arc<std::sync::Mutex<Vec<String>>>,
    _server: Scripted,
}

async fn merchant() -> Merchant {
    let status = Arc::new(std::sync::atomic::AtomicU16::new(500));
    let delivered = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (st, dl) = (status.clone(), delivered.clone());
    let server = Scripted::answering(move |seen| {
        let code = st.load(std::sync::atomic::Ordering::SeqCst);
        if (200..300).contains(&code) {
            let id = seen.header("webhook-id").unwrap_or("").to_string();
            dl.lock().unwrap().push(id);
        }
        Some(Reply::with_type(code, "text/plain", ""))
    })
    .await;
    Merchant {
        url: format!("{}/events", server.base),
        status,
        delivered,
        _server: server,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_merchant_gets_its_events_from_the_dlq_after_a_replay() {
    // Two attempts one second apart, then the DLQ.
    let stack =
        Stack::start_with("[webhooks]\nretry_schedule = [\"1s\"]\nattempt_timeout = \"2s\"\n");
    let shop = merchant().await;
    stack.cli(&["webhook", "endpoint", "set", &shop.url]);
    let (_, _, charge) = stack
        .post(
            "/v1/charges",
            Some("dlq-1"),
            &card(json!({"stripe": "pm_card_visa"})),
        )
        .await;
    assert_eq!(charge["status"], "succeeded", "{charge}");

    let mut dead = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(60);
    while dead.as_array().is_none_or(|d| d.is_empty()) {
        assert!(Instant::now() < deadline, "the event never reached the DLQ");
        tokio::time::sleep(Duration::from_millis(200)).await;
        dead = serde_json::from_str(&stack.cli(&["dlq", "list", "-o", "json"])).unwrap();
    }
    let entry = dead[0].to_string();
    assert!(entry.contains("500"), "the last error is kept: {entry}");
    assert!(shop.delivered.lock().unwrap().is_empty());

    shop.status.store(200, std::sync::atomic::Ordering::SeqCst);
    stack.cli(&["dlq", "replay", "--all"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while shop.delivered.lock().unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the replayed event was never delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let listed: Value = serde_json::from_str(&stack.cli(&["dlq", "list", "-o", "json"])).unwrap();
    assert!(listed.as_array().unwrap().is_empty(), "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_queued_event() {
    // Plenty of retries, so nothing reaches the DLQ while serve is down.
    let stack_config = "[webhooks]\nretry_schedule = [\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\",\"1s\"]\n";
    let mut stack = Stack::start_with(stack_config);
    let shop = merchant().await;
    stack.cli(&["webhook", "endpoint", "set", &shop.url]);
    let mut charges = Vec::new();
    for i in 0..5 {
        let (s, _, c) = stack
            .post(
                "/v1/charges",
                Some(&format!("kill-{i}")),
                &card(json!({"stripe": "pm_card_visa"})),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        charges.push(c["id"].as_str().unwrap().to_string());
    }
    // The merchant is failing, so events are queued and being retried; kill serve hard.
    stack.kill_serve();
    shop.status.store(200, std::sync::atomic::Ordering::SeqCst);
    stack.start_serve();

    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got = shop.delivered.lock().unwrap().clone();
        if got.len() >= charges.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {} events delivered after the restart",
            got.len(),
            charges.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let got = shop.delivered.lock().unwrap().clone();
    let unique: std::collections::BTreeSet<&String> = got.iter().collect();
    assert_eq!(
        unique.len(),
        charges.len(),
        "every event delivered at least once: {got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_old_stripe_webhook_is_refused_and_stores_nothing() {
    use hmac::{Hmac, Mac};
    let stack = Stack::start();
    let (_, _, charge) = stack.post("/v1/charges", Some("old-1"), &pix(1990)).await;
    let payload = json!({
        "id": "evt_replayed_old", "object": "event", "type": "payment_intent.succeeded",
        "created": 1_700_000_000, "livemode": false,
        "data": {"object": {"id": charge["gateway_reference"], "object": "payment_intent",
                 "status": "succeeded", "amount": 1990, "currency": "brl",
                 "metadata": {"payorch_charge_id": charge["id"]}}}
    })
    .to_string();
    let sign = |t: i64| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(
            payorch::sandbox::stripe::SANDBOX_WEBHOOK_SECRET.as_bytes(),
        )
        .unwrap();
        mac.update(format!("{t}.{payload}").as_bytes());
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("t={t},v1={hex}")
    };
    let post = |sig: String| {
        stack
            .http
            .post(format!("{}/webhooks/default/stripe", stack.url()))
            .header("Stripe-Signature", sig)
            .header("content-type", "application/json")
            .body(payload.clone())
            .send()
    };
    let now = payorch::clock::Clock::now(&payorch::clock::SystemClock).unix_seconds();
    // Correctly signed, but an hour old: a replay.
    let r = post(sign(now - 3600)).await.unwrap();
    assert_eq!(r.status(), 401);
    let (_, after) = stack
        .get(
            &format!("/v1/charges/{}", charge["id"].as_str().unwrap()),
            &stack.key,
        )
        .await;
    assert_eq!(
        after["status"], "requires_action",
        "nothing applied: {after}"
    );
    // The same body signed now is accepted and applied: the refusal was the timestamp.
    let r = post(sign(now)).await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, after) = stack
        .get(
            &format!("/v1/charges/{}", charge["id"].as_str().unwrap()),
            &stack.key,
        )
        .await;
    assert_eq!(after["status"], "succeeded", "{after}");
}

/// `[server]` connection limits reach the real `serve` (issue 12, defect 3): a head over
/// `max_header_bytes` (here 8 KiB, under the 16 KiB default) is a JSON 431, and a body announced
/// at 999999999 bytes is a 413 without being sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limits_from_the_config_hold_on_serve() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stack = Stack::start_with("[server]\nmax_header_bytes = 8192\n");
    let addr = stack.url().trim_start_matches("http://").to_string();
    let answer = |request: String| {
        let addr = addr.clone();
        async move {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let _ = stream.write_all(request.as_bytes()).await;
            let mut out = Vec::new();
            tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut out))
                .await
                .expect("an answer and a close within 30 s")
                .unwrap();
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    let big = "a".repeat(12 * 1024);
    let a = answer(format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n"
    ))
    .await;
    assert!(a.starts_with("HTTP/1.1 431"), "{a}");
    assert!(a.contains("\"headers_too_large\""), "{a}");
    let a = answer(
        "POST /v1/charges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: 999999999\r\n\r\n"
            .to_string(),
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 413"), "{a}");
    assert!(a.contains("\"body_too_large\""), "{a}");
}
