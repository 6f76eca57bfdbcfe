//! A local deployment for crash tests: one `payorch sandbox` process, a data dir with a config
//! file and an API key, and a `payorch serve` process that a test can `kill -9` and start again
//! on the same data dir. The sandbox is steered over its control API, the merchant API is called
//! over HTTP, as a merchant's backend would.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::{Env, SandboxProcess, ServeProcess};

/// The sandbox, the data dir and (when running) serve; every process is killed on drop.
pub struct ServeStack {
    pub env: Env,
    /// The config file's path.
    pub config: String,
    pub sandbox: SandboxProcess,
    pub serve: Option<ServeProcess>,
    /// An API key of the `default` tenant.
    pub key: String,
    pub http: reqwest::Client,
}

impl ServeStack {
    /// Writes `config` (TOML) to the env's `payorch.toml`, starts the sandbox and makes an API
    /// key. Serve is not started, so a test can set gateway modes before its first call.
    pub fn new(config: &str) -> ServeStack {
        ServeStack::in_env(Env::new(), config)
    }

    /// [`ServeStack::new`] in `env` (e.g. [`Env::allowing_private_targets`]).
    pub fn in_env(env: Env, config: &str) -> ServeStack {
        ServeStack::with_sandbox_flags(env, config, &[])
    }

    /// [`ServeStack::in_env`], the sandbox started with `flags` too.
    pub fn with_sandbox_flags(env: Env, config: &str, flags: &[&str]) -> ServeStack {
        let path = env.path().join("payorch.toml");
        std::fs::write(&path, config).expect("write the config");
        let config = path.to_str().expect("a UTF-8 temp path").to_string();
        let sandbox = env.start_sandbox_with(flags);
        let key = env
            .run(&["--config", &config, "apikey", "create", "-o", "json"])
            .json()["secret"]
            .as_str()
            .expect("an API key secret")
            .to_string();
        payorch::gateway::http::install_crypto_provider();
        ServeStack {
            env,
            config,
            sandbox,
            serve: None,
            key,
            http: reqwest::Client::new(),
        }
    }

    /// Starts serve (again) on the same data dir; a fresh port each time.
    pub fn start_serve(&mut self) {
        assert!(self.serve.is_none(), "serve is already running");
        self.serve = Some(self.env.start_serve_with(&self.config, &self.sandbox.url));
    }

    /// [`ServeStack::start_serve`] on `bind` (`127.0.0.1:PORT`).
    pub fn start_serve_on(&mut self, bind: &str) {
        assert!(self.serve.is_none(), "serve is already running");
        self.serve = Some(
            self.env
                .start_serve_bound(&self.config, &self.sandbox.url, bind),
        );
    }

    /// The running serve's base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.serve.as_ref().expect("serve is running").url
    }

    /// `payorch sandbox ARGS… --url SANDBOX`; asserts success, returns stdout.
    pub fn sandbox(&self, args: &[&str]) -> String {
        let mut full = vec!["sandbox"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--url", &self.sandbox.url]);
        self.env.run(&full).ok()
    }

    /// `payorch webhook endpoint set URL`: the tenant's events go there. Returns the endpoint's
    /// new `whsec_` signing secret (shown this once).
    pub fn set_webhook_endpoint(&self, url: &str) -> String {
        let set: Value =
            serde_json::from_str(&self.cli(&["webhook", "endpoint", "set", url, "-o", "json"]))
                .expect("JSON");
        set["secret"]
            .as_str()
            .expect("a signing secret")
            .to_string()
    }

    /// `kill -9` the running serve.
    pub fn kill_serve(&mut self) {
        self.serve.take().expect("serve is running").kill9();
    }

    /// The running serve's merchant API.
    pub fn api(&self) -> Api {
        Api {
            http: self.http.clone(),
            url: self.serve.as_ref().expect("serve is running").url.clone(),
            key: self.key.clone(),
        }
    }

    /// The SQLite file serve keeps its state in.
    pub fn db(&self) -> PathBuf {
        self.env.data_dir().join("payorch.db")
    }

    /// `payorch ARGS…` on this stack's config and data dir; asserts success, returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut full = vec!["--config", self.config.as_str()];
        full.extend_from_slice(args);
        self.env.run(&full).ok()
    }

    /// The charge `id` once its status is `status`, polled through the API; panics after
    /// `bound` (a hang guard, never a timing assertion).
    pub async fn charge_when(&self, id: &str, status: &str, bound: Duration) -> Value {
        let api = self.api();
        wait_for(&format!("charge {id} is {status}"), bound, || {
            let api = api.clone();
            async move {
                let (_, v) = api.get_charge(id).await.map_err(|e| e.to_string())?;
                if v["status"] == status {
                    Ok(v)
                } else {
                    Err(v.to_string())
                }
            }
        })
        .await
    }

    /// Sets a gateway's fault mode, e.g. `json!({"mode": "slow", "latency_ms": 4000})`.
    pub async fn set_mode(&self, gateway: &str, mode: Value) {
        set_mode(&self.http, &self.sandbox.url, gateway, mode).await;
    }

    /// POSTs `body` to serve's Asaas webhook route as the sandbox's Asaas would (its token);
    /// asserts it was accepted and returns serve's answer.
    pub async fn post_asaas_webhook(&self, body: &Value) -> Value {
        let r = self
            .http
            .post(format!("{}/webhooks/default/asaas", self.url()))
            .header(
                "asaas-access-token",
                payorch::sandbox::asaas::SANDBOX_WEBHOOK_TOKEN,
            )
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST webhook");
        assert_eq!(r.status().as_u16(), 200);
        super::json_of(r).await
    }

    /// `POST /v1/charges` with `body` under a fresh idempotency key; panics when no answer came
    /// within `bound` (a hang guard).
    pub async fn create_charge(&self, body: &Value, bound: Duration) -> (u16, Value) {
        let key = format!("it-{}", payorch::id::new_ulid());
        self.api()
            .post_charge(&key, body, bound)
            .await
            .expect("POST /v1/charges")
    }

    /// The payer submits a sandbox's hosted payment page (a link's) with `form`, the page's own
    /// fields (`billingType=PIX`, `payment_method=card`, …).
    pub async fn post_page(&self, url: &str, form: &str) -> reqwest::Response {
        self.http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .expect("POST the page's form")
    }

    /// A hosted payment page asked to take a second payment refuses it with 409: a link is
    /// paid once.
    pub async fn page_refuses_a_second_payment(&self, url: &str, form: &str) {
        let again = self.post_page(url, form).await;
        assert_eq!(again.status().as_u16(), 409, "{url} took a second payment");
    }

    /// Charge `id` told the merchant it succeeded exactly once: the `charge.succeeded`
    /// delivery `merchant` received, verified with `secret`, and the only one written.
    pub async fn succeeded_once(
        &self,
        merchant: &super::scripted::Scripted,
        secret: &payorch::secret::Secret,
        id: &str,
        bound: Duration,
    ) -> super::scripted::Seen {
        use payorch::clock::{Clock, SystemClock};
        let delivery = delivered(merchant, id, "charge.succeeded", bound).await;
        super::verify_delivery(
            &[secret],
            &delivery.headers,
            delivery.body.as_bytes(),
            SystemClock.now(),
        )
        .expect("the merchant verifies the signature");
        let types = self.event_types(id);
        assert_eq!(count(&types, "charge.succeeded"), 1, "{types:?}");
        delivery
    }

    /// The types of the events written for charge `id` (what the merchant is sent).
    pub fn event_types(&self, id: &str) -> Vec<String> {
        let out = self.cli(&["events", "list", "--charge", id, "-o", "json"]);
        let v: Value = serde_json::from_str(&out).expect("events JSON");
        v["data"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| e["type"].as_str().expect("type").to_string())
            .collect()
    }
}

/// How many of `types` are `kind`.
pub fn count(types: &[String], kind: &str) -> usize {
    types.iter().filter(|t| *t == kind).count()
}

/// `PUT /_sandbox/{gateway}/mode` on the sandbox at `sandbox_url`; asserts it was accepted.
pub async fn set_mode(http: &reqwest::Client, sandbox_url: &str, gateway: &str, mode: Value) {
    let r = http
        .put(format!("{sandbox_url}/_sandbox/{gateway}/mode"))
        .body(mode.to_string())
        .send()
        .await
        .expect("the sandbox's control API answers");
    assert!(r.status().is_success(), "mode {mode} for {gateway}: {r:?}");
}

/// The merchant API of one serve process, as a merchant's backend calls it.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub key: String,
}

impl Api {
    /// `POST /v1/charges` under `idempotency_key`, giving up after `timeout` (the client hangs
    /// up). `Err` when no answer came: serve down, connection cut, timeout.
    pub async fn post_charge(
        &self,
        idempotency_key: &str,
        body: &Value,
        timeout: Duration,
    ) -> reqwest::Result<(u16, Value)> {
        self.post("/v1/charges", idempotency_key, body, timeout)
            .await
    }

    /// `POST PATH` (`/v1/charges/{id}/refunds`, …) with a JSON body under `idempotency_key`.
    pub async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        body: &Value,
        timeout: Duration,
    ) -> reqwest::Result<(u16, Value)> {
        let request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("Idempotency-Key", idempotency_key)
            .header("content-type", "application/json")
            .body(body.to_string());
        self.send(request, timeout).await
    }

    /// `GET /v1/charges/{id}`.
    pub async fn get_charge(&self, id: &str) -> reqwest::Result<(u16, Value)> {
        let request = self.http.get(format!("{}/v1/charges/{id}", self.url));
        self.send(request, Duration::from_secs(30)).await
    }

    /// Sends `request` with the API key; the answer's status and JSON body (`null` when the
    /// body is not JSON).
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> reqwest::Result<(u16, Value)> {
        let r = request
            .bearer_auth(&self.key)
            .timeout(timeout)
            .send()
            .await?;
        let status = r.status().as_u16();
        let bytes = r.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }
}

/// Polls `probe` every 250 ms until it returns `Ok`; after `bound`, panics with `what` and the
/// last `Err` (what the state was). A hang guard with a generous bound, never a timing
/// assertion.
pub async fn wait_for<T, F, Fut>(what: &str, bound: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + bound;
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(state) if std::time::Instant::now() >= deadline => {
                panic!("{what}: still not so after {bound:?}: {state}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// The first delivery `merchant` received of a `kind` event (`charge.succeeded`) about charge
/// `id`, verified by the caller; panics after `bound` (a hang guard).
pub async fn delivered(
    merchant: &super::scripted::Scripted,
    id: &str,
    kind: &str,
    bound: Duration,
) -> super::scripted::Seen {
    wait_for(&format!("{kind} of {id} at the merchant"), bound, || {
        let seen = merchant.seen();
        async move {
            seen.into_iter()
                .find(|r| {
                    let event: Value = serde_json::from_str(&r.body).unwrap_or_default();
                    event["type"] == kind && event["data"]["charge"]["id"] == id
                })
                .ok_or_else(|| "not yet".to_string())
        }
    })
    .await
}
