//! The public JSON, pinned byte for byte: what a merchant's code parses. The merchant API's
//! bodies (charge created, replayed, fetched, listed, refunded, each error shape) and the webhook
//! payloads a merchant's endpoint receives, from a real `payorch serve` in front of the real
//! `payorch sandbox`. Ids, times, latencies and Pix codes vary from run to run and are replaced
//! by placeholders (`<ch_1>`, `<time>`, …) numbered in order of first appearance, so a snapshot
//! still shows which id is which; everything else, key order included, is the exact bytes.
//!
//! A change here is a change to every merchant's integration: make it on purpose, say so in the
//! commit, and review the new snapshots (`cargo insta review`, or delete the `.snap` file and run
//! the test again outside CI to write it).

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use axum::http::HeaderMap;
use regex::Regex;
use serde_json::{Value, json};

use common::scripted::{Scripted, Seen};
use common::stack::{ServeStack, wait_for};

const CONFIG: &str = "[webhooks]\nallow_private_targets = true\n";

/// Replaces what varies between runs with numbered placeholders, the same value always by the
/// same placeholder across every snapshot of the test.
struct Normalizer {
    seen: HashMap<String, String>,
    counts: HashMap<String, usize>,
    rules: Vec<(Regex, &'static str)>,
}

impl Normalizer {
    fn new() -> Normalizer {
        let rule = |re: &str, with: &'static str| (Regex::new(re).expect("regex"), with);
        Normalizer {
            seen: HashMap::new(),
            counts: HashMap::new(),
            rules: vec![
                rule(r#"("latency_ms": ?)\d+"#, "${1}<ms>"),
                rule(r"\b\d+ ms\b", "<ms>"),
                rule(r#"("copy_paste": ?)"[^"]*""#, r#"${1}"<brcode>""#),
                rule(r#"("qr_code_png": ?)"[^"]*""#, r#"${1}"<png>""#),
                rule(r"(?m)^000201\S.*$", "<brcode>"),
                rule(r"(?m)(^[█▀▄ ]+\n)+", "<qr code>\n"),
                rule(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<time>"),
                rule(r"http://127\.0\.0\.1:\d+", "<sandbox>"),
            ],
        }
    }

    fn apply(&mut self, text: &str) -> String {
        let mut text = text.to_string();
        for (re, with) in &self.rules {
            text = re.replace_all(&text, *with).into_owned();
        }
        // payorch's ids (prefix + ULID), then the sandbox's Stripe-style ids.
        let ids =
            Regex::new(r"\b([a-z]+)_([0-9A-HJKMNP-TV-Z]{26}|[A-Za-z0-9]{24})\b").expect("regex");
        let mut out = String::new();
        let mut last = 0;
        for m in ids.captures_iter(&text) {
            let whole = m.get(0).expect("match");
            let prefix = &m[1];
            let kind = if m[2].len() == 26 {
                prefix.to_string()
            } else {
                format!("{prefix}@gateway")
            };
            let placeholder = match self.seen.get(whole.as_str()) {
                Some(p) => p.clone(),
                None => {
                    let n = self.counts.entry(kind.clone()).or_default();
                    *n += 1;
                    let p = format!("<{kind}_{n}>");
                    self.seen.insert(whole.as_str().to_string(), p.clone());
                    p
                }
            };
            out.push_str(&text[last..whole.start()]);
            out.push_str(&placeholder);
            last = whole.end();
        }
        out.push_str(&text[last..]);
        out
    }
}

/// One HTTP exchange as a snapshot: the status, the headers a merchant reads, the exact body.
fn exchange(norm: &mut Normalizer, status: u16, headers: &HeaderMap, body: &str) -> String {
    let mut shown = Vec::new();
    for name in ["content-type", "idempotent-replayed", "retry-after"] {
        if let Some(v) = headers.get(name) {
            shown.push(format!("{name}: {}", v.to_str().unwrap_or("<binary>")));
        }
    }
    norm.apply(&format!("{status}\n{}\n\n{body}\n", shown.join("\n")))
}

/// The merchant's webhook receiver: keeps every delivery's headers and body, answers 200.
async fn start_receiver() -> (Scripted, String) {
    let receiver = Scripted::receiver().await;
    let url = format!("{}/hooks", receiver.base);
    (receiver, url)
}

struct Client {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Client {
    /// `POST /v1/charges` under an idempotency key.
    async fn create(&self, key: &str, body: Value) -> (u16, HeaderMap, String) {
        let post = reqwest::Method::POST;
        self.call(post, "/v1/charges", Some(key), Some(body)).await
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, HeaderMap, String) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .timeout(Duration::from_secs(60));
        if !self.key.is_empty() {
            request = request.bearer_auth(&self.key);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let r = request.send().await.expect("serve answers");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().await.expect("a body"))
    }
}

fn card_charge() -> Value {
    json!({
        "amount": 4990, "currency": "BRL", "method": "card",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"},
        "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "asaas-card-token-1"}},
        "metadata": {"order": "1001"}
    })
}

fn pix_charge() -> Value {
    json!({
        "amount": 1990, "currency": "BRL", "method": "pix",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25"}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merchant_api_and_webhook_payloads_are_pinned() {
    let (receiver, hook_url) = start_receiver().await;
    let mut stack = ServeStack::new(CONFIG);
    stack.cli(&["webhook", "endpoint", "set", &hook_url]);
    stack.start_serve();
    let api = stack.api();
    let client = Client {
        http: api.http.clone(),
        url: api.url.clone(),
        key: api.key.clone(),
    };
    let mut norm = Normalizer::new();
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    // A card charge, then the same request again under the same key.
    let (status, headers, card) = client.create("order-1001", card_charge()).await;
    insta::assert_snapshot!("card_created", exchange(&mut norm, status, &headers, &card));
    let (status, headers, replayed) = client.create("order-1001", card_charge()).await;
    assert_eq!(
        replayed, card,
        "a replay answers the first answer's exact bytes"
    );
    insta::assert_snapshot!(
        "card_replayed",
        exchange(&mut norm, status, &headers, &replayed)
    );
    let card_id = serde_json::from_str::<Value>(&card).expect("JSON")["id"]
        .as_str()
        .expect("an id")
        .to_string();

    // A Pix charge: waits for the payer.
    let (status, headers, pix) = client.create("order-1002", pix_charge()).await;
    insta::assert_snapshot!("pix_created", exchange(&mut norm, status, &headers, &pix));

    // A partial refund of the card charge, then the charge as fetched and as listed.
    let (status, headers, refunded) = client
        .call(
            post.clone(),
            &format!("/v1/charges/{card_id}/refunds"),
            Some("refund-1001"),
            Some(json!({"amount": 1000})),
        )
        .await;
    insta::assert_snapshot!(
        "card_refunded",
        exchange(&mut norm, status, &headers, &refunded)
    );
    let (status, headers, fetched) = client
        .call(get.clone(), &format!("/v1/charges/{card_id}"), None, None)
        .await;
    insta::assert_snapshot!(
        "card_fetched",
        exchange(&mut norm, status, &headers, &fetched)
    );
    let (status, headers, listed) = client
        .call(get.clone(), "/v1/charges?limit=1", None, None)
        .await;
    insta::assert_snapshot!("listed", exchange(&mut norm, status, &headers, &listed));

    // Each error shape a merchant's code branches on.
    let errors = [
        (
            "missing",
            client
                .call(get.clone(), "/v1/charges/ch_nope", None, None)
                .await,
        ),
        (
            "invalid",
            client.create("bad-1", json!({"amount": 10})).await,
        ),
        (
            "key_reused",
            client.create("order-1001", pix_charge()).await,
        ),
        (
            "too_much_refund",
            client
                .call(
                    post.clone(),
                    &format!("/v1/charges/{card_id}/refunds"),
                    Some("refund-1002"),
                    Some(json!({"amount": 999_999})),
                )
                .await,
        ),
    ];
    for (name, (status, headers, body)) in errors {
        insta::assert_snapshot!(
            format!("error_{name}"),
            exchange(&mut norm, status, &headers, &body)
        );
    }
    let anonymous = Client {
        http: client.http.clone(),
        url: client.url.clone(),
        key: String::new(),
    };
    let (status, headers, body) = anonymous.call(get, "/v1/charges", None, None).await;
    insta::assert_snapshot!(
        "error_unauthenticated",
        exchange(&mut norm, status, &headers, &body)
    );

    // The webhooks: the card's success and refund, the Pix charge waiting for its payer.
    let deliveries = wait_for(
        "the webhooks of both charges",
        Duration::from_secs(60),
        || {
            let got = receiver.seen();
            async move {
                let types: Vec<String> = got
                    .iter()
                    .map(|seen| {
                        serde_json::from_str::<Value>(&seen.body).expect("JSON")["type"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect();
                if types.iter().any(|t| t.contains("refund")) && types.len() >= 3 {
                    Ok(got)
                } else {
                    Err(format!("received so far: {types:?}"))
                }
            }
        },
    )
    .await;
    let mut bodies: Vec<(String, String, String)> = deliveries
        .iter()
        .map(|Seen { headers, body, .. }| {
            let v: Value = serde_json::from_str(body).expect("JSON");
            let names: Vec<&str> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
                .into_iter()
                .filter(|n| headers.contains_key(*n))
                .collect();
            let key = format!("{}/{}", v["type"], v["data"]["charge"]["created_at"]);
            (key, names.join(", "), body.clone())
        })
        .collect();
    bodies.sort();
    let shown: Vec<String> = bodies
        .iter()
        .map(|(_, headers, body)| format!("signed with: {headers}\n{body}"))
        .collect();
    insta::assert_snapshot!("webhooks", norm.apply(&shown.join("\n\n")));

    // A payment link (after the webhooks above were taken, so they stay as they were), pinned
    // to Asaas (Stripe's Checkout Session ids are random, and the shape is the same): `link`
    // carries its page and expiry.
    let mut link = pix_charge();
    link["method"] = json!("link");
    link["gateway"] = json!("asaas");
    let (status, headers, created) = client.create("order-1003", link).await;
    insta::assert_snapshot!(
        "link_created",
        exchange(&mut norm, status, &headers, &created)
    );
}

/// One CLI run as a snapshot: the exit code, stdout and stderr. Runs of spaces after a word are
/// shortened to two, so a table's alignment (which shifts with the width of a time) is not
/// pinned, its columns and words are; the QR code drawn for Pix is one placeholder.
fn cli_run(norm: &mut Normalizer, args: &[&str], run: &common::Run) -> String {
    let spaces = Regex::new(r"(\S) {2,}").expect("regex");
    let text = format!(
        "$ payorch {}\nexit {}\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        run.code(),
        run.stdout(),
        run.stderr()
    );
    spaces.replace_all(&norm.apply(&text), "$1  ").into_owned()
}

#[test]
fn the_cli_output_and_exit_codes_are_pinned() {
    let env = common::Env::new();
    let sandbox = env.start_sandbox();
    let url = sandbox.url.clone();
    let mut norm = Normalizer::new();
    let mut shown = Vec::new();
    // Each command line is split on whitespace (the payer's name is one word here).
    let mut run = |line: &str| -> Value {
        let args: Vec<&str> = line.split_whitespace().collect();
        let done = env.run(&args);
        shown.push(cli_run(&mut norm, &args, &done));
        serde_json::from_str(&done.stdout()).unwrap_or(Value::Null)
    };
    let payer = "--customer-name Maria --customer-document 529.982.247-25";
    let card = format!(
        "charge create --amount 49,90 --method card {payer} --card-token stripe=pm_card_visa \
         --idempotency-key order-1 --sandbox {url}"
    );
    run(&card);
    let created = run(&format!("{card} -o json"));
    let id = created["id"].as_str().expect("a charge id").to_string();
    run(&format!(
        "charge create --amount 19,90 --method pix {payer} --idempotency-key order-2 --sandbox {url}"
    ));
    run(&format!(
        "charge refund {id} --amount 10,00 --idempotency-key refund-1 --sandbox {url}"
    ));
    run(&format!("charge get {id}"));
    run("charge list");
    run("charge list -o json");
    // The unhappy paths: bad input (2), not found (3).
    run("charge get ch_nope");
    run("charge get ch_01M91DQVW9M3QYFMGHPM7C0DAF");
    run(&format!(
        "charge create --amount 0 --method card --customer-name x --sandbox {url}"
    ));
    run(&format!(
        "charge create --amount 19,90 --method pix --currency USD --customer-name x --sandbox {url}"
    ));
    insta::assert_snapshot!("cli", shown.join("\n"));
}
