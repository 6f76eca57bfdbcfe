//! Rate limits on a real `payorch serve` (issue 12, defect 4), in front of the real sandbox, on
//! loopback. Limits are per minute and bursts small (`3/min`), so no bucket refills while a test
//! runs and nothing depends on timing: a burst on one key is refused with 429, `Retry-After`
//! and the RateLimit headers, and nothing of a refused request is stored (its idempotency key
//! is free afterwards); keys have buckets of their own and share their tenant's; another tenant
//! is unaffected; `off` exempts a key; a gateway's webhook flood is refused on its own while
//! charges still pass; the refusals are counted in `/metrics`; and `payorch apikey
//! create|update --rate-limit` take good values and refuse bad ones, naming the flag.

use crate::common;

use std::time::Duration;

use common::stack::{ServeStack, wait_for};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// A stack whose `serve` runs with these `[limits]` lines.
fn stack(limits: &str) -> ServeStack {
    let mut stack = ServeStack::new(&format!("[limits]\n{limits}\n"));
    stack.start_serve();
    stack
}

fn url(stack: &ServeStack) -> String {
    stack.serve.as_ref().expect("serve is running").url.clone()
}

/// An answer: status, headers, JSON body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
            .unwrap_or_default()
    }

    /// A 429 in the API's error shape, with a whole-second `Retry-After`; its message.
    fn assert_limited(&self) -> String {
        assert_eq!(self.status, 429, "{}", self.body);
        assert_eq!(
            self.body["error"]["type"], "rate_limit_error",
            "{}",
            self.body
        );
        assert_eq!(self.body["error"]["code"], "rate_limited", "{}", self.body);
        let retry: u64 = self.header("retry-after").parse().expect("whole seconds");
        assert!(retry >= 1, "Retry-After {retry}");
        self.body["error"]["message"]
            .as_str()
            .expect("message")
            .to_string()
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let r = request
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("serve answers");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.expect("body");
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

fn pix(amount: i64) -> Value {
    json!({"amount": amount, "currency": "BRL", "method": "pix",
           "customer": {"name": "Maria Silva", "document": "529.982.247-25"}})
}

async fn create(stack: &ServeStack, key: &str, idempotency_key: &str, body: &Value) -> Answer {
    send(
        stack
            .http
            .post(format!("{}/v1/charges", url(stack)))
            .bearer_auth(key)
            .header("Idempotency-Key", idempotency_key)
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

async fn list(stack: &ServeStack, key: &str) -> Answer {
    send(
        stack
            .http
            .get(format!("{}/v1/charges", url(stack)))
            .bearer_auth(key),
    )
    .await
}

/// A new key of `tenant` (created if missing): (id, secret).
fn new_key(stack: &ServeStack, tenant: &str, extra: &[&str]) -> (String, String) {
    if tenant != "default" {
        let _ = stack
            .env
            .run(&["--config", &stack.config, "tenant", "create", tenant]);
    }
    let mut args = vec!["apikey", "create", "--tenant", tenant, "-o", "json"];
    args.extend_from_slice(extra);
    let out = stack.cli(&args);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    (
        v["id"].as_str().expect("id").to_string(),
        v["secret"].as_str().expect("secret").to_string(),
    )
}

fn stored_charges(stack: &ServeStack) -> usize {
    let out = stack.cli(&["charge", "list", "--limit", "100", "-o", "json"]);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    v.as_array()
        .or_else(|| v["data"].as_array())
        .expect("a list")
        .len()
}

/// The value of `payorch_rate_limited_total` with these labels in `/metrics` (0 if absent).
async fn refusals(stack: &ServeStack, scope: &str, tenant: &str, gateway: &str) -> u64 {
    let text = stack
        .http
        .get(format!("{}/metrics", url(stack)))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let series = format!(
        "payorch_rate_limited_total{{scope=\"{scope}\",tenant=\"{tenant}\",gateway=\"{gateway}\"}} "
    );
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .map(|v| v.trim().parse().expect("a count"))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_one_key_is_refused_and_leaves_nothing_behind() {
    let stack = stack("key = \"3/min\"\nkey_burst = 3\ntenant = \"off\"");
    let key = stack.key.clone();
    for (i, left) in [2, 1, 0].into_iter().enumerate() {
        let a = create(&stack, &key, &format!("burst-{i}"), &pix(1990)).await;
        assert_eq!(a.status, 201, "{}", a.body);
        assert_eq!(a.header("ratelimit-policy"), "\"key\";q=3;w=60");
        assert!(
            a.header("ratelimit")
                .starts_with(&format!("\"key\";r={left};t=")),
            "{}",
            a.header("ratelimit")
        );
    }
    let refused = create(&stack, &key, "refused-then-reused", &pix(1990)).await;
    let message = refused.assert_limited();
    assert!(message.contains("API key"), "{message}");
    assert_eq!(refused.header("ratelimit-policy"), "\"key\";q=3;w=60");
    let retry = refused.header("retry-after");
    assert_eq!(
        refused.header("ratelimit"),
        format!("\"key\";r=0;t={retry}"),
        "t is the wait before a retry can pass"
    );
    // Reads are counted too, and refused the same way.
    list(&stack, &key).await.assert_limited();
    assert_eq!(
        stored_charges(&stack),
        3,
        "the refused charge was not stored"
    );
    assert_eq!(refusals(&stack, "key", "default", "").await, 2);

    // `off` for the key, effective within a second (serve trusts a key it read for a second):
    // the refused request's idempotency key was never claimed, so it now creates a charge,
    // even with another body.
    let id = new_key_id(&stack, &key);
    stack.cli(&["apikey", "update", &id, "--rate-limit", "off"]);
    let again = wait_for(
        "the key's new limit applies",
        Duration::from_secs(60),
        || {
            let stack = &stack;
            let key = &key;
            async move {
                let a = create(stack, key, "refused-then-reused", &pix(2500)).await;
                if a.status == 201 {
                    Ok(a)
                } else {
                    Err(format!("{}: {}", a.status, a.body))
                }
            }
        },
    )
    .await;
    assert_eq!(again.header("idempotent-replayed"), "");
    assert_eq!(again.body["amount"], 2500);
    for i in 0..5 {
        let a = create(&stack, &key, &format!("exempt-{i}"), &pix(1990)).await;
        assert_eq!(a.status, 201, "{}", a.body);
        assert_eq!(a.header("ratelimit"), "", "no bucket counts this key");
    }
    assert_eq!(stored_charges(&stack), 9);
}

/// The id of the key whose secret is `secret` (its prefix is the secret's start).
fn new_key_id(stack: &ServeStack, secret: &str) -> String {
    let out = stack.cli(&["apikey", "list", "-o", "json"]);
    let keys: Value = serde_json::from_str(&out).expect("JSON");
    keys.as_array()
        .expect("keys")
        .iter()
        .find(|k| secret.starts_with(k["prefix"].as_str().expect("prefix")))
        .and_then(|k| k["id"].as_str())
        .expect("the key is listed")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_have_their_own_buckets_and_share_their_tenants() {
    let stack = stack("key = \"3/min\"\nkey_burst = 3\ntenant = \"5/min\"\ntenant_burst = 5");
    let a = stack.key.clone();
    let (_, b) = new_key(&stack, "default", &[]);
    let (_, other) = new_key(&stack, "acme", &[]);
    for _ in 0..3 {
        assert_eq!(list(&stack, &a).await.status, 200);
    }
    let refused = list(&stack, &a).await;
    assert!(refused.assert_limited().contains("API key"));
    // b has a bucket of its own, but the tenant's has 2 of 5 left (a's refusal spent none).
    for left in [1, 0] {
        let ok = list(&stack, &b).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(
            ok.header("ratelimit-policy"),
            "\"key\";q=3;w=60, \"tenant\";q=5;w=60"
        );
        assert!(
            ok.header("ratelimit")
                .contains(&format!("\"tenant\";r={left};")),
            "{}",
            ok.header("ratelimit")
        );
    }
    let refused = list(&stack, &b).await;
    let message = refused.assert_limited();
    assert!(message.contains("tenant `default`"), "{message}");
    // Another tenant is unaffected.
    for _ in 0..3 {
        let ok = list(&stack, &other).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
    }
    assert_eq!(refusals(&stack, "key", "default", "").await, 1);
    assert_eq!(refusals(&stack, "tenant", "default", "").await, 1);
    assert_eq!(refusals(&stack, "key", "acme", "").await, 0);
}

/// An authentic Asaas webhook (the sandbox's token) for a payment payorch does not know.
async fn asaas_webhook(stack: &ServeStack, n: usize) -> Answer {
    let body = json!({"id": format!("evt_flood_{n}"), "event": "PAYMENT_RECEIVED",
        "dateCreated": "2024-01-01 12:00:00",
        "payment": {"id": format!("pay_flood_{n}"), "status": "RECEIVED", "value": 19.90}});
    send(
        stack
            .http
            .post(format!("{}/webhooks/default/asaas", url(stack)))
            .header(
                "asaas-access-token",
                payorch::sandbox::asaas::SANDBOX_WEBHOOK_TOKEN,
            )
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_flood_is_refused_on_its_own_while_charges_pass() {
    let stack = stack("inbound = \"3/min\"\ninbound_burst = 3\nkey = \"3/min\"\nkey_burst = 3");
    for n in 0..3 {
        let a = asaas_webhook(&stack, n).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert!(
            a.header("ratelimit-policy")
                .starts_with("\"inbound\";q=3;w=60")
        );
    }
    for n in 3..8 {
        let refused = asaas_webhook(&stack, n).await;
        let message = refused.assert_limited();
        assert!(message.contains("asaas"), "{message}");
    }
    // The flood spent nothing of the merchant API's buckets.
    for i in 0..3 {
        let a = create(&stack, &stack.key, &format!("during-flood-{i}"), &pix(1990)).await;
        assert_eq!(a.status, 201, "{}", a.body);
    }
    assert_eq!(refusals(&stack, "inbound", "default", "asaas").await, 5);
    assert_eq!(refusals(&stack, "key", "default", "").await, 0);
    // Nothing of the refused webhooks was stored: only the three that passed.
    use payorch::store::InboundWebhookStore;
    let store = payorch::store::sqlite::SqliteStore::open(&stack.db()).expect("open the db");
    let tenant = payorch::model::TenantId::default_tenant();
    let inbound = store
        .list_inbound(&tenant, 100)
        .await
        .expect("list inbound");
    // (The sandbox's Stripe also sends webhooks for the charges: a bucket of their own.)
    let mut asaas: Vec<_> = inbound
        .iter()
        .filter(|w| w.gateway == payorch::model::GatewayId::Asaas)
        .map(|w| w.gateway_event_id.as_str())
        .collect();
    asaas.sort_unstable();
    assert_eq!(asaas, ["evt_flood_0", "evt_flood_1", "evt_flood_2"]);
}

#[test]
fn apikey_rate_limit_flags_take_good_values_and_refuse_bad_ones() {
    let env = common::Env::new();
    let created = env
        .run(&["apikey", "create", "--rate-limit", "200/s", "-o", "json"])
        .json();
    assert_eq!(created["rate_limit"], "200/s");
    let id = created["id"].as_str().unwrap().to_string();
    let plain = env.run(&["apikey", "create", "-o", "json"]).json();
    assert_eq!(plain["rate_limit"], Value::Null, "the [limits] default");

    let updated = env
        .run(&[
            "apikey",
            "update",
            &id,
            "--rate-limit",
            "12000/min",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(updated["rate_limit"], "12000/min");
    let off = env
        .run(&["apikey", "update", &id, "--rate-limit", "off", "-o", "json"])
        .json();
    assert_eq!(off["rate_limit"], "off");
    let table = env.run(&["apikey", "list"]).ok();
    assert!(
        table.contains("RATE LIMIT") && table.contains("off"),
        "{table}"
    );
    let back = env
        .run(&[
            "apikey",
            "update",
            &id,
            "--rate-limit",
            "default",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(back["rate_limit"], Value::Null);

    let audit_len = |env: &common::Env| {
        env.run(&["audit", "list", "--all-tenants", "-o", "json"])
            .json()["entries"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = audit_len(&env);
    for bad in ["fast", "0/s", "10/day", "1.5/s"] {
        let err = env.run(&["apikey", "create", "--rate-limit", bad]).fails(2);
        assert!(err.contains("--rate-limit"), "{bad}: {err}");
        let err = env
            .run(&["apikey", "update", &id, "--rate-limit", bad])
            .fails(2);
        assert!(
            err.contains("--rate-limit") && err.contains("200/s"),
            "{bad}: {err}"
        );
    }
    let err = env.run(&["apikey", "update", &id]).fails(2);
    assert!(err.contains("--rate-limit"), "{err}");
    // Another tenant's key, or none: refused, nothing written.
    env.run(&["tenant", "create", "acme"]).ok();
    let err = env
        .run(&[
            "apikey",
            "update",
            &id,
            "--tenant",
            "acme",
            "--rate-limit",
            "5/s",
        ])
        .fails(3);
    assert!(err.contains(&id), "{err}");
    assert_eq!(audit_len(&env), before + 1, "only the tenant's creation");
    let keys = env.run(&["apikey", "list", "-o", "json"]).json();
    assert_eq!(keys[0]["rate_limit"], Value::Null, "unchanged");

    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    let updates: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "apikey.update")
        .collect();
    assert_eq!(updates.len(), 3);
    assert_eq!(updates[0]["detail"]["rate_limit"]["from"], "off");
    assert_eq!(updates[0]["detail"]["rate_limit"]["to"], Value::Null);
}
