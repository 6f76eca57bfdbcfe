//! The merchant API for the webhook endpoint, events and dead letters (issue 17), over HTTP
//! against a real `payorch serve` + `payorch sandbox`: each route's answer and refusals, the
//! tenant scoping (a second tenant's key sees 404s), idempotent POSTs (a replayed rotation
//! rotates once and answers masked), deliveries to a local receiver (held while disabled,
//! resent with the same `webhook-id`, a dead letter replayed), and the audit entries naming
//! the API key.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use payorch::clock::{Clock, SystemClock};
use payorch::store::DeliveryQueue;
use payorch::store::sqlite::SqliteStore;
use reqwest::Method;
use serde_json::{Value, json};

use common::scripted::{Reply, Scripted};
use common::stack::{ServeStack, wait_for};

const BOUND: Duration = Duration::from_secs(60);

/// An API key: its id (what the audit log names) and its secret.
struct Key {
    id: String,
    secret: String,
}

fn new_key(stack: &ServeStack, tenant: &str) -> Key {
    let made: Value =
        serde_json::from_str(&stack.cli(&["apikey", "create", "--tenant", tenant, "-o", "json"]))
            .expect("JSON");
    Key {
        id: made["id"].as_str().expect("a key id").to_string(),
        secret: made["secret"].as_str().expect("a secret").to_string(),
    }
}

/// One answer: status, headers, JSON body (`null` when none).
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error's `(code, param)`.
    fn error(&self) -> (String, Value) {
        let e = &self.body["error"];
        (
            e["code"].as_str().unwrap_or_default().to_string(),
            e["param"].clone(),
        )
    }
}

/// `METHOD path` with `key`, an optional `Idempotency-Key` and an optional JSON body.
async fn call(
    stack: &ServeStack,
    method: Method,
    path: &str,
    key: &str,
    idempotency_key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut r = stack
        .http
        .request(method, format!("{}{path}", stack.url()))
        .bearer_auth(key)
        .timeout(BOUND);
    if let Some(k) = idempotency_key {
        r = r.header("Idempotency-Key", k);
    }
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = r.send().await.expect("serve answers");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.expect("a body");
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

#[track_caller]
fn refused(a: &Answer, status: u16, code: &str, param: Option<&str>) {
    assert_eq!(a.status, status, "{}", a.body);
    let (c, p) = a.error();
    assert_eq!(c, code, "{}", a.body);
    assert_eq!(p, param.map_or(Value::Null, Value::from), "{}", a.body);
}

/// `GET path` with `key`.
async fn get(stack: &ServeStack, path: &str, key: &str) -> Answer {
    call(stack, Method::GET, path, key, None, None).await
}

/// `POST path` with `key`, an optional `Idempotency-Key` and an optional JSON body.
async fn post(
    stack: &ServeStack,
    path: &str,
    key: &str,
    idempotency_key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    call(stack, Method::POST, path, key, idempotency_key, body).await
}

/// A card charge through the API (its `charge.succeeded` event is what gets delivered).
async fn charge(stack: &ServeStack, key: &str) -> Value {
    let body = json!({"amount": 5000, "currency": "BRL", "method": "card",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25",
                     "email": "maria@example.com"},
        "card": {"tokens": {"stripe": "pm_card_visa"}}});
    let a = post(stack, "/v1/charges", key, Some(key), Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body
}

/// The audit log's entries, as `payorch audit list -o json` prints them.
fn audit(stack: &ServeStack, tenant: &str) -> Vec<Value> {
    let out = stack.cli(&["audit", "list", "--tenant", tenant, "-o", "json"]);
    assert!(!out.contains("whsec_"), "no secret in the audit log: {out}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    v["entries"].as_array().cloned().expect("entries")
}

/// The actions the audit log records as done by `key`.
fn audited_by(stack: &ServeStack, key: &Key) -> Vec<String> {
    let actor = format!("api_key:{}", key.id);
    audit(stack, "default")
        .iter()
        .filter(|e| e["actor"] == actor.as_str())
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A receiver answering 200, or 500 while `failing`; every request recorded.
async fn receiver(failing: Arc<AtomicBool>) -> (Scripted, String) {
    let server = Scripted::answering(move |_| {
        Some(if failing.load(Ordering::SeqCst) {
            Reply::with_type(500, "text/plain", "down")
        } else {
            Reply::with_type(200, "text/plain", "ok")
        })
    })
    .await;
    let url = format!("{}/hooks", server.base);
    (server, url)
}

/// `PUT /v1/webhook_endpoint` of a new endpoint at `url`.
async fn set_endpoint(stack: &ServeStack, key: &str, url: &str) {
    let body = Some(json!({"url": url}));
    let a = call(stack, Method::PUT, "/v1/webhook_endpoint", key, None, body).await;
    assert_eq!(a.status, 201, "{}", a.body);
}

/// Serve on a stack whose webhooks may go to loopback, retrying once after a second.
fn loopback_stack() -> ServeStack {
    let mut stack = ServeStack::in_env(
        common::Env::allowing_private_targets(),
        "[webhooks]\nretry_schedule = [\"1s\"]\n",
    );
    stack.start_serve();
    stack
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_is_set_read_rotated_disabled_and_enabled_as_on_the_cli() {
    let mut stack = ServeStack::new("");
    stack.cli(&["tenant", "create", "other"]);
    stack.start_serve();
    let key = new_key(&stack, "default");
    let other = new_key(&stack, "other");
    let k = key.secret.as_str();
    let path = "/v1/webhook_endpoint";

    // Authenticated and rate limited like /v1/charges.
    let a = get(&stack, path, "po_sk_nope").await;
    refused(&a, 401, "invalid_api_key", None);
    let a = get(&stack, path, k).await;
    refused(&a, 404, "webhook_endpoint_missing", None);
    assert!(a.header("ratelimit").is_some(), "{:?}", a.headers);

    // The URL policy of `payorch webhook endpoint set`; strict input.
    for url in [
        "http://shop.example/hooks",
        "https://127.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data/",
        "not a url",
    ] {
        let a = call(
            &stack,
            Method::PUT,
            path,
            k,
            None,
            Some(json!({"url": url})),
        )
        .await;
        refused(&a, 400, "url_invalid", Some("url"));
    }
    let a = call(
        &stack,
        Method::PUT,
        path,
        k,
        None,
        Some(json!({"uri": "x"})),
    )
    .await;
    refused(&a, 400, "parameter_unknown", Some("uri"));
    let a = call(&stack, Method::PUT, path, k, None, Some(json!({}))).await;
    refused(&a, 400, "parameter_missing", Some("url"));
    let a = get(&stack, path, k).await;
    assert_eq!(a.status, 404, "nothing was written: {}", a.body);
    // The CLI's disable on no endpoint: not found, like its enable.
    let cli = [
        "--config",
        stack.config.as_str(),
        "webhook",
        "endpoint",
        "disable",
    ];
    stack.env.run(&cli).fails(3);

    // Created: the secret in full, this once.
    let body = json!({"url": "https://shop.example/hooks"});
    let a = call(&stack, Method::PUT, path, k, None, Some(body)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["object"], "webhook_endpoint");
    assert_eq!(a.body["status"], "enabled");
    assert_eq!(a.body["previous_secret"], Value::Null);
    let secret = a.body["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 30,
        "{secret}"
    );
    // Read: masked, unless revealed; another tenant has none.
    let a = get(&stack, path, k).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let masked = a.body["secret"].as_str().unwrap();
    assert!(masked.starts_with("whsec_") && !masked.contains(&secret[10..]));
    let a = get(&stack, "/v1/webhook_endpoint?reveal=true", k).await;
    assert_eq!(a.body["secret"], secret.as_str());
    let a = get(&stack, "/v1/webhook_endpoint?reveal=yes", k).await;
    refused(&a, 400, "parameter_invalid", Some("reveal"));
    let a = get(&stack, path, &other.secret).await;
    refused(&a, 404, "webhook_endpoint_missing", None);
    // A new URL: 200, the secret kept (masked).
    let body = json!({"url": "https://shop.example/v2"});
    let a = call(&stack, Method::PUT, path, k, None, Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["url"], "https://shop.example/v2");
    assert!(!a.body["secret"].as_str().unwrap().contains(&secret[10..]));

    // Rotation: a key is required, the overlap bounded.
    let rotate = "/v1/webhook_endpoint/secret/rotate";
    let a = post(&stack, rotate, k, None, Some(json!({}))).await;
    refused(&a, 400, "idempotency_key_missing", Some("Idempotency-Key"));
    for overlap in [json!(-1), json!(2_592_001), json!("1h"), json!(1.5)] {
        let body = json!({"overlap_seconds": overlap});
        let a = post(&stack, rotate, k, Some("bad"), Some(body)).await;
        refused(&a, 400, "parameter_invalid", Some("overlap_seconds"));
    }
    let a = post(&stack, rotate, k, Some("r1"), Some(json!({"x": 1}))).await;
    refused(&a, 400, "parameter_unknown", Some("x"));
    let body = json!({"overlap_seconds": 3600});
    let first = post(&stack, rotate, k, Some("r1"), Some(body.clone())).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let new = first.body["secret"].as_str().unwrap().to_string();
    assert!(new.starts_with("whsec_") && new != secret, "{new}");
    assert!(first.body["previous_secret_expires_at"].is_string());
    let prev = first.body["previous_secret"].as_str().unwrap();
    assert!(!prev.contains(&secret[10..]), "the old secret stays masked");
    // The same key again: the first answer, masked, and no second rotation.
    let again = post(&stack, rotate, k, Some("r1"), Some(body)).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let replayed = again.body["secret"].as_str().unwrap();
    assert!(
        replayed.starts_with("whsec_") && !replayed.contains(&new[10..]),
        "stored masked: {replayed}"
    );
    let a = get(&stack, "/v1/webhook_endpoint?reveal=true", k).await;
    assert_eq!(a.body["secret"], new.as_str(), "rotated once");
    assert_eq!(a.body["previous_secret"], secret.as_str());
    let a = post(&stack, rotate, k, Some("r1"), Some(json!({}))).await;
    refused(&a, 422, "idempotency_key_reused", Some("Idempotency-Key"));
    let a = post(&stack, rotate, &other.secret, Some("r2"), None).await;
    refused(&a, 404, "webhook_endpoint_missing", None);

    // Disable (with a reason) and enable.
    let disable = "/v1/webhook_endpoint/disable";
    let body = json!({"reason": "maintenance window"});
    let a = post(&stack, disable, k, Some("d1"), Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "disabled");
    assert_eq!(a.body["disabled_reason"], "maintenance window");
    let a = post(&stack, disable, k, Some("d2"), Some(json!({"why": 1}))).await;
    refused(&a, 400, "parameter_unknown", Some("why"));
    let a = post(&stack, "/v1/webhook_endpoint/enable", k, Some("e1"), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "enabled");
    assert_eq!(a.body["disabled_reason"], Value::Null);

    // The CLI's own disable, on the same library path.
    let shown: Value = serde_json::from_str(&stack.cli(&[
        "webhook", "endpoint", "disable", "--reason", "by hand", "-o", "json",
    ]))
    .unwrap();
    assert_eq!(shown["enabled"], false);
    assert_eq!(shown["disabled_reason"], "by hand");

    // Every change audited, naming the key (never a secret).
    let actions = audited_by(&stack, &key);
    for action in [
        "webhook.endpoint_set",
        "webhook.secret_rotate",
        "webhook.endpoint_disable",
        "webhook.endpoint_enable",
    ] {
        assert!(
            actions.contains(&action.to_string()),
            "{action}: {actions:?}"
        );
    }
    let rotations = actions.iter().filter(|a| *a == "webhook.secret_rotate");
    assert_eq!(rotations.count(), 1, "{actions:?}");
    let by_cli = audit(&stack, "default").iter().any(|e| {
        e["action"] == "webhook.endpoint_disable"
            && e["actor"].as_str().unwrap_or("").starts_with("cli:")
    });
    assert!(by_cli, "the CLI's disable is audited as the CLI's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_listed_read_and_resent_with_the_same_webhook_id() {
    let stack = loopback_stack();
    stack.cli(&["tenant", "create", "other"]);
    let key = new_key(&stack, "default");
    let other = new_key(&stack, "other");
    let k = key.secret.as_str();
    let (merchant, url) = receiver(Arc::new(AtomicBool::new(false))).await;
    set_endpoint(&stack, k, &url).await;

    let first = charge(&stack, k).await;
    let second = charge(&stack, &stack.key).await;
    let delivered = merchant.wait_for(2).await;

    // Newest first, the list shape of /v1/charges, paged by cursor.
    let a = get(&stack, "/v1/events", k).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["object"], "list");
    let data = a.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{}", a.body);
    assert_eq!(data[0]["data"]["charge"]["id"], second["id"]);
    assert_eq!(a.body["has_more"], false);
    let a = get(&stack, "/v1/events?limit=1", k).await;
    assert_eq!(a.body["has_more"], true, "{}", a.body);
    let cursor = a.body["next_cursor"].as_str().unwrap().to_string();
    let path = format!("/v1/events?limit=1&starting_after={cursor}");
    let a = get(&stack, &path, k).await;
    assert_eq!(a.body["data"][0]["data"]["charge"]["id"], first["id"]);
    assert_eq!(a.body["has_more"], false);
    let path = format!(
        "/v1/events?type=charge.succeeded&charge={}",
        first["id"].as_str().unwrap()
    );
    let a = get(&stack, &path, k).await;
    let data = a.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{}", a.body);
    let event = data[0].clone();
    let id = event["id"].as_str().unwrap().to_string();
    for (query, param) in [
        ("type=charge.exploded", "type"),
        ("charge=nope", "charge"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("starting_after=evt_x", "starting_after"),
    ] {
        let a = get(&stack, &format!("/v1/events?{query}"), k).await;
        refused(&a, 400, "parameter_invalid", Some(param));
    }
    let a = get(&stack, "/v1/events?color=red", k).await;
    assert_eq!(a.status, 400, "{}", a.body);
    let a = get(&stack, "/v1/events", &other.secret).await;
    assert_eq!(
        a.body["data"],
        json!([]),
        "another tenant's events are not listed"
    );

    // One event, exactly as it was delivered.
    let a = get(&stack, &format!("/v1/events/{id}"), k).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let sent = delivered
        .iter()
        .find(|s| s.header("webhook-id") == Some(id.as_str()))
        .expect("the event was delivered");
    assert_eq!(a.body, sent.json());
    let a = get(&stack, "/v1/events/nonsense", k).await;
    refused(&a, 400, "parameter_invalid", Some("id"));
    let unknown = "evt_01JCZZZZZZZZZZZZZZZZZZZZZZ";
    let a = get(&stack, &format!("/v1/events/{unknown}"), k).await;
    refused(&a, 404, "resource_missing", Some("id"));
    let a = get(&stack, &format!("/v1/events/{id}"), &other.secret).await;
    refused(&a, 404, "resource_missing", Some("id"));

    // Resend: 202, delivered again with the same webhook-id; once per key.
    let resend = format!("/v1/events/{id}/resend");
    let a = post(&stack, &resend, k, None, None).await;
    refused(&a, 400, "idempotency_key_missing", Some("Idempotency-Key"));
    let a = post(&stack, &resend, &other.secret, Some("x1"), None).await;
    refused(&a, 404, "resource_missing", Some("id"));
    let a = post(&stack, "/v1/events/nonsense/resend", k, Some("x1"), None).await;
    refused(&a, 400, "parameter_invalid", Some("id"));
    let a = post(&stack, &resend, k, Some("x1"), None).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["event"], id.as_str());
    let again = post(&stack, &resend, k, Some("x1"), None).await;
    assert_eq!(again.status, 202, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, a.body);
    let seen = merchant.wait_for(3).await;
    let same: Vec<_> = seen
        .iter()
        .filter(|s| s.header("webhook-id") == Some(id.as_str()))
        .collect();
    assert_eq!(same.len(), 2, "delivered twice under one id");
    assert_eq!(same[0].body, same[1].body);
    let resends = audited_by(&stack, &key)
        .into_iter()
        .filter(|a| a == "events.resend")
        .count();
    assert_eq!(resends, 1, "the replayed resend queued nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_is_listed_read_and_replayed_to_the_receiver() {
    let stack = loopback_stack();
    stack.cli(&["tenant", "create", "other"]);
    let key = new_key(&stack, "default");
    let other = new_key(&stack, "other");
    let k = key.secret.as_str();
    let failing = Arc::new(AtomicBool::new(true));
    let (merchant, url) = receiver(failing.clone()).await;
    set_endpoint(&stack, k, &url).await;
    let charged = charge(&stack, k).await;

    // Two attempts (the first and one retry), both 500: dead.
    let listed = wait_for("the event is dead", BOUND, || async {
        let a = get(&stack, "/v1/dead_letters", k).await;
        match a.body["data"].as_array() {
            Some(d) if d.len() == 1 => Ok(a.body),
            _ => Err(a.body.to_string()),
        }
    })
    .await;
    assert_eq!(listed["object"], "list");
    assert_eq!(listed["has_more"], false);
    let dead = &listed["data"][0];
    assert_eq!(dead["object"], "dead_letter");
    assert_eq!(dead["charge"], charged["id"]);
    assert_eq!(dead["event_type"], "charge.succeeded");
    assert_eq!(dead["attempts"], 2, "{dead}");
    assert!(
        dead["last_error"].as_str().unwrap().contains("500"),
        "{dead}"
    );
    let id = dead["id"].as_str().unwrap().to_string();
    let event_id = dead["event_id"].as_str().unwrap().to_string();

    let a = get(&stack, &format!("/v1/dead_letters/{id}"), k).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["event"]["id"], event_id.as_str());
    assert_eq!(
        a.body["attempt_log"].as_array().unwrap().len(),
        2,
        "{}",
        a.body
    );
    assert_eq!(a.body["attempt_log"][1]["status"], 500);

    // Paging, filters, refusals; another tenant sees nothing.
    let path = format!("/v1/dead_letters?starting_after={id}");
    let a = get(&stack, &path, k).await;
    assert_eq!(a.body["data"], json!([]), "{}", a.body);
    let a = get(&stack, "/v1/dead_letters?since=2999-01-01T00:00:00Z", k).await;
    assert_eq!(a.body["data"], json!([]), "{}", a.body);
    for (query, param) in [
        ("since=yesterday", "since"),
        ("limit=x", "limit"),
        ("starting_after=msg_x", "starting_after"),
    ] {
        let a = get(&stack, &format!("/v1/dead_letters?{query}"), k).await;
        refused(&a, 400, "parameter_invalid", Some(param));
    }
    let a = get(&stack, "/v1/dead_letters", &other.secret).await;
    assert_eq!(a.body["data"], json!([]));
    let a = get(&stack, &format!("/v1/dead_letters/{id}"), &other.secret).await;
    refused(&a, 404, "resource_missing", Some("id"));
    let a = get(&stack, "/v1/dead_letters/nonsense", k).await;
    refused(&a, 400, "parameter_invalid", Some("id"));
    let replay = format!("/v1/dead_letters/{id}/replay");
    let a = post(&stack, &replay, &other.secret, Some("p1"), None).await;
    refused(&a, 404, "resource_missing", Some("id"));
    let a = post(&stack, &replay, k, None, None).await;
    refused(&a, 400, "idempotency_key_missing", Some("Idempotency-Key"));

    // Replayed: delivered to the receiver, now answering 200, under the same webhook-id.
    let tries = merchant.seen().len();
    failing.store(false, Ordering::SeqCst);
    let a = post(&stack, &replay, k, Some("p1"), None).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["message"], id.as_str());
    assert_eq!(a.body["event"], event_id.as_str());
    let again = post(&stack, &replay, k, Some("p1"), None).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, a.body);
    let seen = merchant.wait_for(tries + 1).await;
    assert_eq!(seen[tries].header("webhook-id"), Some(event_id.as_str()));
    let a = get(&stack, "/v1/dead_letters", k).await;
    assert_eq!(a.body["data"], json!([]), "{}", a.body);
    let a = post(&stack, &replay, k, Some("p2"), None).await;
    refused(&a, 404, "resource_missing", Some("id"));
    let replays = audited_by(&stack, &key)
        .into_iter()
        .filter(|a| a == "dlq.replay")
        .count();
    assert_eq!(replays, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_endpoint_holds_deliveries_until_it_is_enabled() {
    let stack = loopback_stack();
    let k = stack.key.clone();
    let (merchant, url) = receiver(Arc::new(AtomicBool::new(false))).await;
    set_endpoint(&stack, &k, &url).await;
    let a = post(&stack, "/v1/webhook_endpoint/disable", &k, Some("d"), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["status"], "disabled");
    charge(&stack, &k).await;

    // The worker took the event and put it back without an attempt: kept, not sent.
    let store = SqliteStore::open(&stack.db()).expect("store");
    wait_for("the event is held", BOUND, || async {
        let stats = store.queue_stats(None, SystemClock.now()).await;
        match stats {
            Ok(s) if s.ready == 0 && s.delayed == 1 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(merchant.seen().len(), 0, "nothing delivered while disabled");

    let a = post(&stack, "/v1/webhook_endpoint/enable", &k, Some("e"), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // A held event is looked at again after the worker's hold delay (a minute).
    wait_for(
        "the held event is delivered",
        Duration::from_secs(240),
        || async {
            match merchant.seen().len() {
                0 => Err("nothing yet".to_string()),
                _ => Ok(()),
            }
        },
    )
    .await;
}
