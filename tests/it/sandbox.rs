//! `payorch sandbox`: the server's routing, fault injection (including real connection refusals
//! on a gateway's own port), control API and webhook delivery, through a small test fake served
//! in-process; and the CLI (the real binary) starting a sandbox and steering a running one.
//! Nothing here sleeps to wait: tests wait on lines, channels and `?wait_for=`; durations are
//! only ever bounded from below.

use crate::common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use common::Env;
use common::scripted::{Reply, Scripted};
use payorch::clock::SystemClock;
use payorch::gateway::http::install_crypto_provider;
use payorch::model::GatewayId;
use payorch::sandbox::server::{RetryPolicy, RunningSandbox, SandboxOptions, SandboxServer};
use payorch::sandbox::{FakeGateway, OutboundWebhook, SandboxContext, SandboxError};

// ---------------------------------------------------------------------------------------------
// A test fake: `POST /charges` creates a pending charge, `GET /charges` lists them; paying one
// sends a webhook with a header, a JSON body and a query secret.

struct TestFake {
    id: GatewayId,
    ctx: SandboxContext,
    charges: Mutex<Vec<Value>>,
    next: AtomicU64,
}

impl TestFake {
    fn new(id: GatewayId, ctx: &SandboxContext) -> Arc<TestFake> {
        Arc::new(TestFake {
            id,
            ctx: ctx.clone(),
            charges: Mutex::new(Vec::new()),
            next: AtomicU64::new(1),
        })
    }
}

async fn create_charge(State(fake): State<Arc<TestFake>>) -> axum::Json<Value> {
    let n = fake.next.fetch_add(1, Ordering::SeqCst);
    let charge = json!({"id": format!("{}_{n}", fake.id), "status": "pending", "amount": 1990});
    fake.charges.lock().unwrap().push(charge.clone());
    axum::Json(charge)
}

async fn list_charges(State(fake): State<Arc<TestFake>>) -> axum::Json<Vec<Value>> {
    axum::Json(fake.charges())
}

#[async_trait]
impl FakeGateway for TestFake {
    fn id(&self) -> GatewayId {
        self.id
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/charges", post(create_charge).get(list_charges))
            .with_state(self)
    }

    fn credentials(&self) -> Vec<(&'static str, String)> {
        vec![("secret_key", format!("sk_test_{}", self.id))]
    }

    fn pay(&self, id: &str) -> Result<Value, SandboxError> {
        let mut charges = self.charges.lock().unwrap();
        let charge = charges
            .iter_mut()
            .find(|c| c["id"] == id)
            .ok_or_else(|| SandboxError::NotFound(format!("no charge {id}")))?;
        if charge["status"] == "paid" {
            return Err(SandboxError::Conflict(format!(
                "charge {id} is already paid"
            )));
        }
        charge["status"] = json!("paid");
        self.ctx.send_webhook(
            self.id,
            OutboundWebhook {
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("x-test-signature".into(), format!("sig-{id}")),
                ],
                body: serde_json::to_vec(&json!({"paid": id})).unwrap(),
                query: Some("hmac=s3cret".into()),
                url: None,
            },
        );
        Ok(charge.clone())
    }

    fn charges(&self) -> Vec<Value> {
        self.charges.lock().unwrap().clone()
    }
}

/// A sandbox serving test fakes for `gateways` on free ports.
async fn start(gateways: &[GatewayId], retry: RetryPolicy) -> RunningSandbox {
    let clock = Arc::new(SystemClock);
    let (ctx, webhooks) = SandboxContext::new(clock.clone());
    let fakes: Vec<Arc<dyn FakeGateway>> = gateways
        .iter()
        .map(|g| TestFake::new(*g, &ctx) as Arc<dyn FakeGateway>)
        .collect();
    let mut options = SandboxOptions::new("127.0.0.1:0".parse().unwrap(), clock);
    options.retry = retry;
    SandboxServer::new(fakes, webhooks, options)
        .start()
        .await
        .expect("sandbox starts")
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(30),
    }
}

fn client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .tls_backend_rustls()
        .build()
        .unwrap()
}

/// The port of an `http://host:port/…` URL.
fn port_of(url: &str) -> u16 {
    reqwest::Url::parse(url).unwrap().port().unwrap()
}

fn connects(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

async fn call(c: &reqwest::Client, method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = match method {
        "PUT" => c.put(url),
        "POST" => c.post(url),
        _ => c.get(url),
    };
    if let Some(body) = body {
        req = req.body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn set_mode(c: &reqwest::Client, sandbox: &RunningSandbox, gateway: &str, mode: Value) {
    let url = format!("{}/_sandbox/{gateway}/mode", sandbox.url());
    let (status, body) = call(c, "PUT", &url, Some(mode)).await;
    assert_eq!(status, 200, "{body}");
}

fn base_url(sandbox: &RunningSandbox, gateway: GatewayId) -> (String, String) {
    let info = sandbox.info();
    let g = &info.gateways[&gateway];
    (g.base_url.clone(), g.shared_base_url.clone())
}

async fn charge_count(c: &reqwest::Client, sandbox: &RunningSandbox, gateway: &str) -> usize {
    let url = format!("{}/_sandbox/{gateway}/charges", sandbox.url());
    let (status, body) = call(c, "GET", &url, None).await;
    assert_eq!(status, 200);
    body.as_array().unwrap().len()
}

/// A webhook receiver at `/hook` answering the given statuses in turn (then 200).
struct Receiver {
    url: String,
    server: Scripted,
}

async fn receiver(statuses: Vec<u16>) -> Receiver {
    let server = Scripted::receiver().await;
    for status in statuses {
        server.then(Reply::with_type(status, "text/plain", ""));
    }
    Receiver {
        url: format!("{}/hook", server.base),
        server,
    }
}

/// The delivery log once it holds at least `n` entries.
async fn deliveries(c: &reqwest::Client, sandbox: &RunningSandbox, n: usize) -> Vec<Value> {
    let url = format!(
        "{}/_sandbox/webhooks?wait_for={n}&timeout_ms=60000",
        sandbox.url()
    );
    let (status, body) = call(c, "GET", &url, None).await;
    assert_eq!(status, 200);
    let log = body.as_array().unwrap().clone();
    assert!(log.len() >= n, "waited for {n} deliveries, got {log:?}");
    log
}

// ---------------------------------------------------------------------------------------------
// The server, in-process

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_info_and_charges() {
    let sandbox = start(&[GatewayId::Stripe, GatewayId::Efi], quick_retries()).await;
    let c = client();
    let info = sandbox.info();
    assert_eq!(info.control_url, format!("{}/_sandbox", sandbox.url()));
    let (own, shared) = base_url(&sandbox, GatewayId::Stripe);
    assert!(own.ends_with("/stripe") && shared.ends_with("/stripe"));
    assert_ne!(port_of(&own), port_of(&shared));
    assert_eq!(port_of(&shared), sandbox.addr().port());
    let stripe = &info.gateways[&GatewayId::Stripe];
    assert_eq!(stripe.credentials["secret_key"], "sk_test_stripe");
    assert_eq!(stripe.mode, payorch::sandbox::FaultMode::Up);
    assert_eq!(stripe.webhook_url, None);

    // The HTTP view is the same.
    let (status, body) = call(&c, "GET", &format!("{}/info", info.control_url), None).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::to_value(&info).unwrap());
    assert_eq!(body["gateways"]["stripe"]["mode"], json!({"mode": "up"}));

    // One charge through each URL; both reach the same fake.
    let (status, charge) = call(&c, "POST", &format!("{own}/charges"), None).await;
    assert_eq!((status, charge["id"].as_str()), (200, Some("stripe_1")));
    let (status, _) = call(&c, "POST", &format!("{shared}/charges"), None).await;
    assert_eq!(status, 200);
    let (efi, _) = base_url(&sandbox, GatewayId::Efi);
    call(&c, "POST", &format!("{efi}/charges"), None).await;
    assert_eq!(charge_count(&c, &sandbox, "stripe").await, 2);
    assert_eq!(charge_count(&c, &sandbox, "efi").await, 1);
    let (_, all) = call(
        &c,
        "GET",
        &format!("{}/_sandbox/charges", sandbox.url()),
        None,
    )
    .await;
    assert_eq!(all["stripe"].as_array().unwrap().len(), 2);
    assert_eq!(all["efi"][0]["id"], "efi_1");

    // A gateway's own port serves only that gateway.
    let (status, _) = call(
        &c,
        "GET",
        &format!("http://127.0.0.1:{}/efi/charges", port_of(&own)),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = call(&c, "GET", &format!("{}/nowhere", sandbox.url()), None).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_refuses_connections_on_the_gateways_own_port_and_answers_503_on_the_shared_one() {
    let sandbox = start(&[GatewayId::Stripe, GatewayId::Efi], quick_retries()).await;
    let c = client();
    let (own, shared) = base_url(&sandbox, GatewayId::Stripe);
    let port = port_of(&own);
    // A pooled keep-alive client with an open connection to the gateway's port.
    let pooled = client();
    assert_eq!(
        pooled
            .post(format!("{own}/charges"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Twice: the second round re-binds a port whose aborted connections sit in TIME_WAIT.
    for round in 0..2 {
        set_mode(&c, &sandbox, "stripe", json!({"mode": "down"})).await;
        let refused = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
        assert_eq!(
            refused.kind(),
            std::io::ErrorKind::ConnectionRefused,
            "round {round}"
        );
        let err = pooled.post(format!("{own}/charges")).send().await;
        assert!(
            err.is_err(),
            "the pooled connection was closed too: {err:?}"
        );
        let res = c.post(format!("{shared}/charges")).send().await.unwrap();
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["x-payorch-sandbox-fault"], "down");
        // Efí is unaffected.
        let (efi, _) = base_url(&sandbox, GatewayId::Efi);
        assert_eq!(
            c.get(format!("{efi}/charges"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(charge_count(&c, &sandbox, "stripe").await, 1 + round);

        set_mode(&c, &sandbox, "stripe", json!({"mode": "up"})).await;
        assert!(connects(port), "round {round}: the same port accepts again");
        assert_eq!(base_url(&sandbox, GatewayId::Stripe).0, own);
        let res = pooled.post(format!("{own}/charges")).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(charge_count(&c, &sandbox, "stripe").await, 3);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_with_a_status_answers_it_on_both_ports() {
    let sandbox = start(&[GatewayId::Stripe], quick_retries()).await;
    let c = client();
    let (own, shared) = base_url(&sandbox, GatewayId::Stripe);
    // From refusing to answering: the listener comes back.
    set_mode(&c, &sandbox, "stripe", json!({"mode": "down"})).await;
    set_mode(
        &c,
        &sandbox,
        "stripe",
        json!({"mode": "down", "status": 500}),
    )
    .await;
    for url in [&own, &shared] {
        let (status, body) = call(&c, "POST", &format!("{url}/charges"), None).await;
        assert_eq!(status, 500, "{url}");
        assert!(body["error"].as_str().unwrap().contains("down"), "{body}");
    }
    assert_eq!(charge_count(&c, &sandbox, "stripe").await, 0);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_no_earlier_than_the_latency() {
    let sandbox = start(&[GatewayId::Stripe], quick_retries()).await;
    let c = client();
    let (own, shared) = base_url(&sandbox, GatewayId::Stripe);
    set_mode(
        &c,
        &sandbox,
        "stripe",
        json!({"mode": "slow", "latency_ms": 300}),
    )
    .await;
    for url in [&own, &shared] {
        let started = Instant::now();
        let (status, _) = call(&c, "POST", &format!("{url}/charges"), None).await;
        assert_eq!(status, 200);
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
    assert_eq!(charge_count(&c, &sandbox, "stripe").await, 2);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flaky_fails_exactly_its_share() {
    let sandbox = start(&[GatewayId::Stripe], quick_retries()).await;
    let c = client();
    let (own, _) = base_url(&sandbox, GatewayId::Stripe);
    let statuses = |n| {
        let c = &c;
        let own = &own;
        async move {
            let mut out = Vec::new();
            for _ in 0..n {
                out.push(
                    c.post(format!("{own}/charges"))
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16(),
                );
            }
            out
        }
    };
    set_mode(
        &c,
        &sandbox,
        "stripe",
        json!({"mode": "flaky", "error_rate": 1.0, "status": 502}),
    )
    .await;
    assert_eq!(statuses(5).await, [502; 5]);
    assert_eq!(
        charge_count(&c, &sandbox, "stripe").await,
        0,
        "failed requests never reach the fake"
    );
    set_mode(
        &c,
        &sandbox,
        "stripe",
        json!({"mode": "flaky", "error_rate": 0.0, "status": 502}),
    )
    .await;
    assert_eq!(statuses(5).await, [200; 5]);
    set_mode(
        &c,
        &sandbox,
        "stripe",
        json!({"mode": "flaky", "error_rate": 0.5, "status": 500}),
    )
    .await;
    assert_eq!(statuses(6).await, [200, 500, 200, 500, 200, 500]);
    assert_eq!(charge_count(&c, &sandbox, "stripe").await, 8);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_sends_the_webhook_and_logs_the_delivery() {
    let sandbox = start(&[GatewayId::Stripe, GatewayId::Efi], quick_retries()).await;
    let c = client();
    let hook = receiver(vec![]).await;
    let control = format!("{}/_sandbox", sandbox.url());
    let (status, body) = call(
        &c,
        "PUT",
        &format!("{control}/stripe/webhook"),
        Some(json!({"url": hook.url})),
    )
    .await;
    assert_eq!(
        (status, body["webhook_url"].as_str()),
        (200, Some(hook.url.as_str()))
    );
    let (stripe, _) = base_url(&sandbox, GatewayId::Stripe);
    let (efi, _) = base_url(&sandbox, GatewayId::Efi);
    call(&c, "POST", &format!("{stripe}/charges"), None).await;
    call(&c, "POST", &format!("{efi}/charges"), None).await;

    // Paid by id alone: the sandbox finds the gateway.
    let (status, paid) = call(&c, "POST", &format!("{control}/pay/stripe_1"), None).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["gateway"], "stripe");
    assert_eq!(paid["charge"]["status"], "paid");
    let got = hook.server.wait_for(1).await.remove(0);
    assert_eq!(got.uri(), "/hook?hmac=s3cret");
    assert_eq!(got.headers["x-test-signature"], "sig-stripe_1");
    assert_eq!(got.body, r#"{"paid":"stripe_1"}"#);
    let log = deliveries(&c, &sandbox, 1).await;
    assert_eq!(log[0]["gateway"], "stripe");
    assert_eq!(log[0]["outcome"], "delivered");
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["url"], format!("{}?hmac=s3cret", hook.url));

    // Paying twice conflicts; unknown ids and the wrong gateway are not found.
    let (status, body) = call(&c, "POST", &format!("{control}/pay/stripe_1"), None).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("already paid"));
    let (status, body) = call(&c, "POST", &format!("{control}/pay/nope"), None).await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("nope"));
    let (status, _) = call(
        &c,
        "POST",
        &format!("{control}/stripe/charges/efi_1/pay"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Efí has no webhook URL: the webhook is dropped, and the log says so.
    let (status, paid) = call(
        &c,
        "POST",
        &format!("{control}/efi/charges/efi_1/pay"),
        None,
    )
    .await;
    assert_eq!((status, paid["gateway"].as_str()), (200, Some("efi")));
    let log = deliveries(&c, &sandbox, 2).await;
    assert_eq!(log[1]["gateway"], "efi");
    assert_eq!(log[1]["outcome"], "dropped");
    assert_eq!(log[1]["url"], Value::Null);
    assert_eq!(sandbox.deliveries().len(), 2);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_a_bounded_number_of_times() {
    let sandbox = start(&[GatewayId::Stripe], quick_retries()).await;
    let c = client();
    let control = format!("{}/_sandbox", sandbox.url());
    let (stripe, _) = base_url(&sandbox, GatewayId::Stripe);
    let pay = |id: &'static str| {
        let c = &c;
        let control = &control;
        async move {
            let (status, body) = call(c, "POST", &format!("{control}/pay/{id}"), None).await;
            assert_eq!(status, 200, "{body}");
        }
    };
    for _ in 0..3 {
        call(&c, "POST", &format!("{stripe}/charges"), None).await;
    }

    // 500, 503, then 200: three attempts, the last delivered.
    let hook = receiver(vec![500, 503]).await;
    call(
        &c,
        "PUT",
        &format!("{control}/stripe/webhook"),
        Some(json!({"url": hook.url})),
    )
    .await;
    pay("stripe_1").await;
    let log = deliveries(&c, &sandbox, 3).await;
    let outcomes: Vec<_> = log
        .iter()
        .map(|d| (d["attempt"].clone(), d["outcome"].clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (json!(1), json!("retrying")),
            (json!(2), json!("retrying")),
            (json!(3), json!("delivered"))
        ]
    );
    assert!(log.iter().all(|d| d["webhook"] == log[0]["webhook"]));

    // A 4xx is the receiver's final word: not retried.
    let hook = receiver(vec![400]).await;
    call(
        &c,
        "PUT",
        &format!("{control}/stripe/webhook"),
        Some(json!({"url": hook.url})),
    )
    .await;
    pay("stripe_2").await;
    let log = deliveries(&c, &sandbox, 4).await;
    assert_eq!(
        (log[3]["status"].clone(), log[3]["outcome"].clone()),
        (json!(400), json!("failed"))
    );

    // Nobody listening: three attempts, then given up.
    let url = format!("{}/hook", common::refused_base());
    call(
        &c,
        "PUT",
        &format!("{control}/stripe/webhook"),
        Some(json!({"url": url})),
    )
    .await;
    pay("stripe_3").await;
    let log = deliveries(&c, &sandbox, 7).await;
    let tail: Vec<_> = log[4..]
        .iter()
        .map(|d| d["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tail, ["retrying", "retrying", "failed"]);
    assert!(
        log[4..]
            .iter()
            .all(|d| d["status"].is_null() && d["error"].is_string())
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_api_rejects_bad_input_clearly() {
    let sandbox = start(&[GatewayId::Stripe], quick_retries()).await;
    let c = client();
    let control = format!("{}/_sandbox", sandbox.url());
    let cases = [
        ("PUT", "paypal/mode", json!({"mode": "up"}), 404, "paypal"),
        (
            "PUT",
            "asaas/mode",
            json!({"mode": "up"}),
            404,
            "not served",
        ),
        ("GET", "paypal/charges", Value::Null, 404, "paypal"),
        (
            "PUT",
            "stripe/mode",
            json!({"mode": "flaky", "error_rate": 2, "status": 500}),
            400,
            "between 0 and 1",
        ),
        (
            "PUT",
            "stripe/mode",
            json!({"mode": "down", "status": 42}),
            400,
            "status 42",
        ),
        (
            "PUT",
            "stripe/mode",
            json!({"mode": "slow", "latency_ms": 600_001}),
            400,
            "too long",
        ),
        (
            "PUT",
            "stripe/mode",
            json!({"mode": "sideways"}),
            400,
            "invalid body",
        ),
        ("PUT", "stripe/mode", json!("down"), 400, "invalid body"),
        (
            "PUT",
            "stripe/webhook",
            json!({"url": "ftp://example.com/"}),
            400,
            "http://",
        ),
        (
            "PUT",
            "stripe/webhook",
            json!({"url": "not a url"}),
            400,
            "not a webhook URL",
        ),
        (
            "GET",
            "webhooks?wait_for=lots",
            Value::Null,
            400,
            "wait_for",
        ),
    ];
    for (method, path, body, want, says) in cases {
        let body = (!body.is_null()).then_some(body);
        let (status, answer) = call(&c, method, &format!("{control}/{path}"), body).await;
        assert_eq!(status, want, "{method} {path}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{method} {path}: {error}");
    }
    // Nothing changed.
    assert_eq!(
        sandbox.info().gateways[&GatewayId::Stripe].mode,
        payorch::sandbox::FaultMode::Up
    );
    // The body of a PUT that is not JSON at all.
    let res = c
        .put(format!("{control}/stripe/mode"))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // A webhook URL can be cleared.
    let (status, body) = call(
        &c,
        "PUT",
        &format!("{control}/stripe/webhook"),
        Some(json!({"url": null})),
    )
    .await;
    assert_eq!((status, body["webhook_url"].clone()), (200, Value::Null));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_checks_its_options() {
    let clock = Arc::new(SystemClock);
    let (ctx, webhooks) = SandboxContext::new(clock.clone());
    let mut options = SandboxOptions::new("127.0.0.1:0".parse().unwrap(), clock.clone());
    options.webhook_urls = vec![(
        GatewayId::Efi,
        reqwest::Url::parse("http://127.0.0.1:9/h").unwrap(),
    )];
    let fakes: Vec<Arc<dyn FakeGateway>> = vec![TestFake::new(GatewayId::Stripe, &ctx)];
    let err = SandboxServer::new(fakes, webhooks, options)
        .start()
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("efi"), "{err}");

    let (ctx, webhooks) = SandboxContext::new(clock.clone());
    let options = SandboxOptions::new("127.0.0.1:0".parse().unwrap(), clock.clone());
    let fakes: Vec<Arc<dyn FakeGateway>> = vec![
        TestFake::new(GatewayId::Stripe, &ctx),
        TestFake::new(GatewayId::Stripe, &ctx),
    ];
    let err = SandboxServer::new(fakes, webhooks, options)
        .start()
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("two fakes"), "{err}");

    // Initial webhook URLs are registered; run() stops when told to.
    let (ctx, webhooks) = SandboxContext::new(clock.clone());
    let mut options = SandboxOptions::new("127.0.0.1:0".parse().unwrap(), clock);
    options.webhook_urls = vec![(
        GatewayId::Stripe,
        reqwest::Url::parse("http://127.0.0.1:9/h").unwrap(),
    )];
    let fakes: Vec<Arc<dyn FakeGateway>> = vec![TestFake::new(GatewayId::Stripe, &ctx)];
    let running = SandboxServer::new(fakes, webhooks, options)
        .start()
        .await
        .unwrap();
    assert_eq!(
        running.info().gateways[&GatewayId::Stripe]
            .webhook_url
            .as_deref(),
        Some("http://127.0.0.1:9/h")
    );
    let addr = running.addr();
    running.shutdown().await;
    assert!(
        TcpStream::connect(addr).is_err(),
        "the main listener is closed"
    );

    let (_, webhooks) = SandboxContext::new(Arc::new(SystemClock));
    let options = SandboxOptions::new("127.0.0.1:0".parse().unwrap(), Arc::new(SystemClock));
    SandboxServer::new(vec![], webhooks, options)
        .run(async {})
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// The CLI: the real binary

/// A `payorch sandbox` child process, killed if the test fails before it stops it.
struct Running {
    child: Child,
    url: String,
    /// Kept open: the sandbox writes to it.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `payorch sandbox --bind 127.0.0.1:0` and waits for its `listening on` line.
fn spawn_sandbox(env: &Env, extra: &[&str]) -> Running {
    let mut child = env
        .cmd()
        .env("PAYORCH_CONFIG", env.path().join("broken.toml"))
        .args(["sandbox", "--bind", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn payorch sandbox");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let Some(url) = line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "no `listening on` line: {line:?}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    Running {
        url: url.to_string(),
        child,
        _stdout: stdout,
    }
}

#[test]
fn the_binary_serves_until_sigterm_without_a_data_dir() {
    let env = Env::new();
    // A broken config file does not matter: the sandbox reads none.
    std::fs::write(env.path().join("broken.toml"), "this is = = not toml").unwrap();
    let mut sandbox = spawn_sandbox(&env, &[]);
    assert!(
        sandbox.url.starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.url
    );

    let table = env.run(&["sandbox", "info", "--url", &sandbox.url]).ok();
    assert!(
        table.contains(&format!("{}/_sandbox", sandbox.url)),
        "{table}"
    );
    let info = env
        .run(&["sandbox", "info", "--url", &sandbox.url, "-o", "json"])
        .json();
    assert_eq!(info["control_url"], format!("{}/_sandbox", sandbox.url));
    let log = env
        .run(&["sandbox", "webhooks", "--url", &sandbox.url, "-o", "json"])
        .json();
    assert_eq!(log, json!([]));
    // Whatever gateways this build serves, each refuses on its own port when down and
    // accepts again when up.
    for (gateway, g) in info["gateways"].as_object().unwrap() {
        let port = port_of(g["base_url"].as_str().unwrap());
        env.run(&["sandbox", "mode", gateway, "down", "--url", &sandbox.url])
            .ok();
        assert!(!connects(port), "{gateway} still accepts");
        env.run(&["sandbox", "mode", gateway, "up", "--url", &sandbox.url])
            .ok();
        assert!(connects(port), "{gateway} does not accept again");
        assert!(
            g["credentials"].as_object().is_some_and(|c| !c.is_empty()),
            "{gateway}"
        );
    }

    let status = std::process::Command::new("kill")
        .args(["-TERM", &sandbox.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = sandbox.child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "SIGTERM is a clean stop");
    assert!(!env.data_dir().exists(), "the sandbox made a data dir");
}

#[test]
fn the_binary_refuses_bad_start_flags() {
    let env = Env::new();
    let err = env
        .run(&[
            "sandbox",
            "--bind",
            "127.0.0.1:0",
            "--webhook-url",
            "stripe",
        ])
        .fails(2);
    assert!(err.contains("GATEWAY=URL"), "{err}");
    let err = env
        .run(&[
            "sandbox",
            "--bind",
            "127.0.0.1:0",
            "--webhook-url",
            "stripe=ftp://x",
        ])
        .fails(2);
    assert!(err.contains("http://"), "{err}");
    let err = env.run(&["sandbox", "--bind", "nowhere"]).fails(2);
    assert!(err.contains("nowhere"), "{err}");
    // The address is taken: a clear failure, unavailable (6) as the exit-code table has it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = env.run(&["sandbox", "--bind", &addr]).fails(6);
    assert!(err.contains(&addr) && err.contains("--bind"), "{err}");
}

#[test]
fn verbs_without_a_running_sandbox_exit_6() {
    let env = Env::new();
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{free}");
    for verb in [
        vec!["info"],
        vec!["mode", "stripe", "up"],
        vec!["pay", "pi_1"],
        vec!["charges"],
        vec!["webhooks"],
    ] {
        let mut args = vec!["sandbox"];
        args.extend(&verb);
        args.extend(["--url", url.as_str()]);
        let err = env.run(&args).fails(6);
        assert!(
            err.contains(&format!(
                "no sandbox at {url}: start one with `payorch sandbox`"
            )),
            "{verb:?}: {err}"
        );
    }
    // The environment variable names the sandbox too.
    let out = env
        .cmd()
        .env("PAYORCH_SANDBOX_URL", &url)
        .args(["sandbox", "info"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&url));
    env.run(&["sandbox", "info", "--url", "ftp://x"]).fails(2);
    assert!(!env.data_dir().exists());
}

/// An in-process sandbox with test fakes, steered by the real binary's verbs.
#[test]
fn the_verbs_steer_a_running_sandbox() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = rt.block_on(start(&[GatewayId::Stripe, GatewayId::Efi], quick_retries()));
    let env = Env::new();
    let url = sandbox.url();
    let run = |args: &[&str]| {
        let mut all = vec!["sandbox"];
        all.extend(args);
        all.extend(["--url", url.as_str()]);
        env.run(&all)
    };
    let (own, _) = base_url(&sandbox, GatewayId::Stripe);
    let port = port_of(&own);
    let c = client();
    let http = || {
        rt.block_on(async {
            c.post(format!("{own}/charges"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };

    // info
    let table = run(&["info"]).ok();
    assert!(
        table.contains(&own) && table.contains("sk_test_stripe") && table.contains("up"),
        "{table}"
    );
    assert_eq!(
        run(&["info", "-o", "json"]).json(),
        serde_json::to_value(sandbox.info()).unwrap()
    );

    // down: refused; with --status: that status
    let out = run(&["mode", "stripe", "down"]).ok();
    assert!(out.contains("refusing connections"), "{out}");
    assert!(!connects(port));
    let mode = run(&["mode", "stripe", "down", "--status", "500", "-o", "json"]).json();
    assert_eq!(mode["mode"], json!({"mode": "down", "status": 500}));
    assert_eq!(http(), 500);
    // slow: not earlier than the latency
    run(&["mode", "stripe", "slow", "--latency", "250"]).ok();
    let started = Instant::now();
    assert_eq!(http(), 200);
    assert!(started.elapsed() >= Duration::from_millis(250));
    // flaky: all, then none
    run(&[
        "mode",
        "stripe",
        "flaky",
        "--error-rate",
        "1",
        "--status",
        "502",
    ])
    .ok();
    assert_eq!([http(), http()], [502, 502]);
    run(&["mode", "stripe", "flaky", "--error-rate", "0.0"]).ok();
    assert_eq!(http(), 200);
    run(&["mode", "stripe", "up"]).ok();
    assert!(connects(port));

    // charges: exactly the two that got through
    let table = run(&["charges", "stripe"]).ok();
    assert!(
        table.contains("stripe_2") && table.contains("pending") && table.contains("1990"),
        "{table}"
    );
    assert_eq!(
        run(&["charges", "stripe", "-o", "json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let all = run(&["charges", "-o", "json"]).json();
    assert_eq!(
        (
            all["stripe"].as_array().unwrap().len(),
            all["efi"].as_array().unwrap().len()
        ),
        (2, 0)
    );

    // webhook + pay + the delivery log
    let hook = rt.block_on(receiver(vec![]));
    let out = run(&["webhook", "stripe", &hook.url]).ok();
    assert!(out.contains(&hook.url), "{out}");
    let out = run(&["pay", "stripe_2"]).ok();
    assert!(out.contains("stripe_2") && out.contains("paid"), "{out}");
    let got = rt.block_on(hook.server.wait_for(1)).remove(0);
    assert_eq!(got.headers["x-test-signature"], "sig-stripe_2");
    rt.block_on(deliveries(&c, &sandbox, 1));
    let log = run(&["webhooks"]).ok();
    assert!(
        log.contains("delivered") && log.contains(&hook.url),
        "{log}"
    );
    let paid = run(&["pay", "stripe_1", "--gateway", "stripe", "-o", "json"]).json();
    assert_eq!(paid["charge"]["status"], "paid");
    let err = run(&["pay", "stripe_2"]).fails(4);
    assert!(err.contains("already paid"), "{err}");
    let err = run(&["pay", "nope"]).fails(3);
    assert!(err.contains("nope"), "{err}");
    run(&["pay", "stripe_1", "--gateway", "efi"]).fails(3);

    // bad input: usage errors, nothing sent
    for (args, says) in [
        (vec!["mode", "paypal", "up"], "paypal"),
        (
            vec!["mode", "stripe", "flaky", "--error-rate", "2"],
            "between 0 and 1",
        ),
        (
            vec!["mode", "stripe", "down", "--status", "42"],
            "status 42",
        ),
        (vec!["mode", "stripe", "slow"], "--latency"),
        (
            vec!["mode", "stripe", "up", "--latency", "5"],
            "--latency does not apply",
        ),
        (vec!["mode", "stripe", "sideways"], "sideways"),
        (vec!["webhook", "stripe", "not-a-url"], "not a webhook URL"),
        (vec!["charges", "paypal"], "paypal"),
    ] {
        let err = run(&args).fails(2);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let err = run(&["mode", "asaas", "up"]).fails(3);
    assert!(err.contains("not served"), "{err}");
    assert!(!env.data_dir().exists());
    rt.block_on(sandbox.shutdown());
}
