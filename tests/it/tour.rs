//! The README's promises as a new user meets them, with the real binary: the self-contained
//! `init`, the quick tour end to end (sandbox, `serve --sandbox`, a Pix charge paid through
//! `sandbox pay`, a verified `charge.succeeded` at a local merchant), the documented charge
//! examples on every gateway they can fail over to, and `gateway list` as the tour shows it.

use crate::common;

use std::time::{Duration, Instant};

use serde_json::Value;

use common::Env;
use common::scripted::{Scripted, Seen};
use payorch::clock::{Clock, SystemClock};
use payorch::secret::Secret;

/// `payorch --config ./payorch.toml --data-dir ./data init`, run in the env's dir.
#[test]
fn init_creates_the_config_file_it_is_pointed_at() {
    let env = Env::new();
    let run = |args: &[&str]| {
        common::Run(
            env.cmd_without_data_dir()
                .current_dir(env.path())
                .args(args)
                .output()
                .expect("run payorch"),
        )
    };
    let out = run(&["--config", "./payorch.toml", "--data-dir", "./data", "init"]).ok();
    assert!(out.contains("(written)"), "{out}");
    let file = env.path().join("payorch.toml");
    let text = std::fs::read_to_string(&file).expect("init wrote ./payorch.toml");
    assert!(text.contains("# bind = \"127.0.0.1:8080\""), "{text}");
    assert!(env.path().join("data/payorch.db").exists());
    // The user's default config file was neither written nor needed.
    assert!(!env.config_home().join("payorch/payorch.toml").exists());

    // Again: the file is kept, and every command reads it.
    let again = run(&["--config", "./payorch.toml", "--data-dir", "./data", "init"]).ok();
    assert!(again.contains("exists, left unchanged"), "{again}");
    let shown = run(&["--config", "./payorch.toml", "config", "show"]).ok();
    assert!(shown.contains("# file: ./payorch.toml"), "{shown}");

    // Any other command pointed at a missing file still refuses, naming it (exit 5).
    let err = run(&["--config", "./missing.toml", "tenant", "list"]).fails(5);
    assert!(err.contains("./missing.toml"), "{err}");
    assert!(!env.path().join("missing.toml").exists());
}

/// A process killed when dropped, so a failing test leaves nothing running.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The merchant's backend: the shared webhook receiver (records every delivery, answers 200)
/// on a runtime of its own, this test being synchronous. Both end when it is dropped.
struct Merchant {
    url: String,
    server: Scripted,
    rt: tokio::runtime::Runtime,
}

impl Merchant {
    fn start() -> Merchant {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = rt.block_on(Scripted::receiver());
        let url = format!("{}/hooks", server.base);
        Merchant { url, server, rt }
    }

    fn received(&self) -> Vec<Seen> {
        self.server.seen()
    }
}

/// Polls `check` every 100 ms until it gives a value, for at most `limit`; panics with `what`.
#[track_caller]
fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The merchant API of a running `serve`, as the README's curl commands use it.
struct Api {
    url: String,
    key: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Api {
    fn new(url: &str, key: String) -> Api {
        payorch::gateway::http::install_crypto_provider();
        Api {
            url: url.to_string(),
            key,
            http: reqwest::Client::new(),
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
        }
    }

    /// `POST /v1/charges` with `body` (a JSON text) under `idempotency_key`: status and JSON.
    fn create(&self, idempotency_key: &str, body: &str) -> (u16, Value) {
        let request = self
            .http
            .post(format!("{}/v1/charges", self.url))
            .bearer_auth(&self.key)
            .header("Idempotency-Key", idempotency_key)
            .header("content-type", "application/json")
            .body(body.to_string());
        self.send(request)
    }

    fn get(&self, id: &str) -> Value {
        let request = self
            .http
            .get(format!("{}/v1/charges/{id}", self.url))
            .bearer_auth(&self.key);
        let (status, charge) = self.send(request);
        assert_eq!(status, 200, "{charge:#}");
        charge
    }

    fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        self.rt.block_on(async {
            let response = request.send().await.expect("serve answers");
            let status = response.status().as_u16();
            let bytes = response.bytes().await.expect("a body");
            (status, serde_json::from_slice(&bytes).expect("a JSON body"))
        })
    }
}

/// The README's quick tour, end to end: `init`, `sandbox`, `serve --sandbox`, a merchant
/// endpoint, a Pix charge through the API, `sandbox pay`, the charge `succeeded`, and a
/// `charge.succeeded` at the merchant whose signature verifies. Then the primary goes down, the
/// next Pix is taken by Efí, and paying it there ends the same way.
#[test]
fn the_quick_tour_ends_with_a_paid_pix_and_a_verified_webhook_at_the_merchant() {
    let env = Env::allowing_private_targets();
    let init = env.run(&["init"]).ok();
    assert!(init.contains("(written)"), "{init}");
    let sandbox = env.start_sandbox();
    let (serve, serve_url) = env.start_serve(&sandbox.url);
    let _serve = Killed(serve);

    // serve told the sandbox where to send each gateway's webhooks.
    let info = env
        .run(&["sandbox", "info", "--url", &sandbox.url, "-o", "json"])
        .json();
    for gateway in ["stripe", "efi", "asaas"] {
        assert_eq!(
            info["gateways"][gateway]["webhook_url"],
            format!("{serve_url}/webhooks/default/{gateway}"),
            "{info:#}\n{}",
            env.serve_log()
        );
    }

    let merchant = Merchant::start();
    let endpoint = env
        .run(&["webhook", "endpoint", "set", &merchant.url, "-o", "json"])
        .json();
    let secret = Secret::new(endpoint["secret"].as_str().expect("the secret, once"));
    let api = Api::new(&serve_url, env.api_key());

    let pay_and_verify = |charge: &Value| {
        let id = charge["id"].as_str().expect("a charge id");
        let reference = charge["gateway_reference"].as_str().expect("a reference");
        let unpaid = env.run(&["charge", "get", id]).ok();
        assert!(unpaid.contains("Pix copia e cola"), "{unpaid}");
        env.run(&["sandbox", "pay", reference, "--url", &sandbox.url])
            .ok();
        let paid = wait_for("the charge to succeed", Duration::from_secs(60), || {
            let c = api.get(id);
            (c["status"] == "succeeded").then_some(c)
        });
        assert_eq!(paid["gateway"], charge["gateway"]);
        // Paid: no code that would invite a second payment.
        let shown = env.run(&["charge", "get", id]).ok();
        assert!(!shown.contains("Pix copia e cola"), "{shown}");
        let delivery = wait_for(
            "charge.succeeded at the merchant",
            Duration::from_secs(60),
            || {
                merchant.received().into_iter().find(|r| {
                    let event: Value = serde_json::from_str(&r.body).unwrap_or_default();
                    event["type"] == "charge.succeeded" && event["data"]["charge"]["id"] == id
                })
            },
        );
        let body = delivery.body.as_bytes();
        common::verify_delivery(&[&secret], &delivery.headers, body, SystemClock.now())
            .expect("the merchant verifies the signature");
    };

    let (status, first) = api.create("o-1", PIX);
    assert_eq!(status, 201, "{first:#}");
    assert_eq!(first["status"], "requires_action", "{first:#}");
    assert_eq!(first["gateway"], "stripe", "{first:#}");
    pay_and_verify(&first);

    env.run(&["sandbox", "mode", "stripe", "down", "--url", &sandbox.url])
        .ok();
    let (status, second) = api.create("o-2", PIX);
    assert_eq!(status, 201, "{second:#}");
    assert_eq!(second["gateway"], "efi", "{second:#}");
    assert_eq!(second["attempts"][0]["outcome"], "unavailable_not_sent");
    pay_and_verify(&second);

    // `gateway list` shows what serve charges through (`--sandbox`, as serve has it), and its
    // rows, like every table of the tour, fit 120 columns.
    let listed = env
        .run(&["gateway", "list", "--sandbox", &sandbox.url, "-o", "json"])
        .json();
    assert_eq!(listed["sandbox"], sandbox.url.as_str());
    for g in listed["gateways"].as_array().expect("gateways") {
        assert_eq!(g["status"], "available", "{listed:#}");
    }
    let table = env
        .run(&["gateway", "list", "--sandbox", &sandbox.url])
        .ok();
    assert_eq!(table.matches(" available ").count(), 3, "{table}");
    let here = env.run(&["gateway", "list"]);
    assert!(here.ok().contains("unavailable"), "no credentials here");
    assert!(here.stderr().contains("--sandbox URL"), "{}", here.stderr());
    for args in [
        &["gateway", "list"][..],
        &["gateway", "list", "--sandbox", &sandbox.url],
        &["breaker", "status"],
        &["audit", "list"],
        &["apikey", "list"],
        &["charge", "list"],
        &["events", "list"],
        &["sandbox", "webhooks", "--url", &sandbox.url],
        &["sandbox", "charges", "--url", &sandbox.url],
        &["sandbox", "info", "--url", &sandbox.url],
    ] {
        let out = env.run(args).ok();
        let widest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(
            widest <= 120,
            "`payorch {}` is {widest} wide:\n{out}",
            args.join(" ")
        );
    }
    drop(merchant.rt);
}

/// The quick tour's Pix charge.
const PIX: &str = r#"{"amount":1990,"currency":"BRL","method":"pix","customer":{"name":"Maria Silva","document":"529.982.247-25"}}"#;

/// The JSON bodies of the README's `curl …/v1/charges … -d '{…}'` examples.
fn readme_charge_examples() -> Vec<Value> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    readme
        .split("curl -s localhost:8080/v1/charges ")
        .skip(1)
        .filter_map(|rest| {
            let body = rest.split_once("-d '")?.1.split_once('\'')?.0;
            Some(serde_json::from_str(body).expect("a README example is JSON"))
        })
        .collect()
}

/// Every documented charge request succeeds on every gateway it can be routed to: each is sent
/// pinned to each gateway that takes its method (for a card, each it carries a token for).
#[test]
fn every_documented_charge_example_succeeds_on_every_gateway_it_can_fail_over_to() {
    let examples = readme_charge_examples();
    for method in ["pix", "card"] {
        assert!(
            examples.iter().any(|e| e["method"] == method),
            "the README shows a {method} charge request: {examples:#?}"
        );
    }
    let env = Env::new();
    let sandbox = env.start_sandbox();

    // serve sends the sandbox's webhooks to its tenant, which must exist (exit 3 otherwise).
    let mut unknown = Killed(
        env.cmd()
            .args(["--tenant", "nope", "serve", "--bind", "127.0.0.1:0"])
            .args(["--sandbox", &sandbox.url])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start payorch serve"),
    );
    let exit = wait_for(
        "serve to refuse an unknown tenant",
        Duration::from_secs(60),
        || unknown.0.try_wait().expect("try_wait"),
    );
    assert_eq!(exit.code(), Some(3));

    let (serve, serve_url) = env.start_serve(&sandbox.url);
    let _serve = Killed(serve);
    let api = Api::new(&serve_url, env.api_key());
    for (n, example) in examples.iter().enumerate() {
        let gateways: Vec<String> = match example["method"].as_str() {
            Some("card") => example["card"]["tokens"]
                .as_object()
                .expect("a card example carries tokens")
                .keys()
                .cloned()
                .collect(),
            _ => vec!["stripe".into(), "efi".into(), "asaas".into()],
        };
        for gateway in gateways {
            let mut body = example.clone();
            body["gateway"] = gateway.clone().into();
            let (status, charge) = api.create(&format!("readme-{n}-{gateway}"), &body.to_string());
            assert_eq!(status, 201, "{gateway}: {example}\n{charge:#}");
            assert!(
                matches!(
                    charge["status"].as_str(),
                    Some("succeeded" | "requires_action")
                ),
                "{gateway} did not take the README's example {example}:\n{charge:#}"
            );
        }
    }
}

/// The README's `sqlite3 <db> '<query>'` examples run on a database `init` made.
#[test]
fn the_documented_sqlite_queries_run_on_the_store() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let queries: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("sqlite3 ~/.local/share/payorch/payorch.db "))
        .filter_map(|rest| {
            let quote = rest.chars().next()?;
            rest[1..].split_once(quote).map(|(sql, _)| sql)
        })
        .collect();
    assert!(!queries.is_empty(), "the README shows sqlite3 queries");
    let env = Env::new();
    env.run(&["init"]).ok();
    let db = rusqlite::Connection::open(env.data_dir().join("payorch.db")).expect("open");
    for sql in queries {
        let mut statement = db
            .prepare(sql)
            .unwrap_or_else(|e| panic!("the README's `{sql}`: {e}"));
        let rows = statement
            .query_map([], |row| row.get::<_, Option<String>>(1))
            .unwrap_or_else(|e| panic!("the README's `{sql}`: {e}"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("the README's `{sql}`: {e}"));
        if sql.contains("from tenants") {
            assert_eq!(rows, [Some("Default tenant".to_string())], "{sql}");
        }
    }
}
