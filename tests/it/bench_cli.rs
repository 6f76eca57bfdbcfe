//! `payorch bench charges|webhooks`: the real binary loading a real `payorch serve --sandbox`
//! in front of a real `payorch sandbox`. Small runs (`--requests 20 --concurrency 4`) whose
//! counts, percentiles' order and statuses are checked, never their speed: the suite runs on a
//! loaded machine.

use crate::common;

use std::time::Duration;

use serde_json::Value;

use common::Env;
use common::stack::{ServeStack, wait_for};

/// A sandbox and a serve on a fresh data dir, with an API key (both killed on drop).
fn stack() -> ServeStack {
    let mut stack = ServeStack::new("");
    stack.start_serve();
    stack
}

/// `payorch bench WHAT --url SERVE FLAGS…` against `stack`.
fn bench(stack: &ServeStack, what: &str, flags: &[&str]) -> common::Run {
    let mut args = vec!["bench", what, "--url", stack.url()];
    args.extend_from_slice(flags);
    stack.env.run(&args)
}

/// `payorch bench charges` of 20 charges on 4 connections with `extra` flags: the JSON report.
#[track_caller]
fn twenty_charges(stack: &ServeStack, extra: &[&str]) -> Value {
    let mut flags = vec![
        "--api-key",
        &stack.key,
        "--requests",
        "20",
        "--concurrency",
        "4",
    ];
    flags.extend_from_slice(extra);
    flags.extend_from_slice(&["-o", "json"]);
    bench(stack, "charges", &flags).json()
}

/// A loopback address nothing listens on: bound, then let go.
fn free_addr() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

#[track_caller]
fn assert_percentiles_ordered(report: &Value) {
    let ms = |k: &str| report["latency_ms"][k].as_f64().expect("a latency in ms");
    let (p50, p90, p99, max) = (ms("p50"), ms("p90"), ms("p99"), ms("max"));
    assert!(
        0.0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max,
        "{report}"
    );
}

/// The charges a run made, from the store (`charge list`, newest first).
fn charges_in_store(stack: &ServeStack) -> Vec<Value> {
    let listed: Value =
        serde_json::from_str(&stack.cli(&["charge", "list", "--limit", "100", "-o", "json"]))
            .expect("charge list -o json");
    listed
        .as_array()
        .or_else(|| listed["data"].as_array())
        .expect("a list of charges")
        .clone()
}

#[test]
fn charges_counts_every_request_with_a_unique_key_and_compares_to_direct() {
    let stack = stack();
    let v = twenty_charges(&stack, &["--direct", &stack.sandbox.url]);
    assert_eq!(v["bench"], "charges", "{v}");
    assert_eq!(v["method"], "card", "{v}");
    let payorch = &v["payorch"];
    assert_eq!(payorch["requests"], 20, "{v}");
    assert_eq!(payorch["ok"], 20, "{v}");
    assert_eq!(payorch["errors"], 0, "{v}");
    assert_eq!(payorch["statuses"], serde_json::json!({"201": 20}), "{v}");
    assert_percentiles_ordered(payorch);
    // The same load straight at the sandbox's Stripe: form-encoded intents it accepted.
    let direct = &v["direct"];
    assert_eq!(direct["requests"], 20, "{v}");
    assert_eq!(direct["statuses"], serde_json::json!({"200": 20}), "{v}");
    assert_percentiles_ordered(direct);
    assert!(v["ratio"].as_f64().is_some_and(|r| r > 0.0), "{v}");

    // A unique Idempotency-Key per request: 20 charges made, none replayed.
    let charges = charges_in_store(&stack);
    assert_eq!(charges.len(), 20, "{charges:?}");
    assert!(
        charges.iter().all(|c| c["gateway"] == "stripe"),
        "{charges:?}"
    );

    // Pix, as a table for people: one row for payorch, no direct row or ratio.
    let table = bench(
        &stack,
        "charges",
        &[
            "--api-key",
            &stack.key,
            "--requests",
            "3",
            "--concurrency",
            "2",
            "--method",
            "pix",
        ],
    )
    .ok();
    assert!(table.starts_with("TARGET"), "{table}");
    assert!(table.contains("201×3"), "{table}");
    assert!(
        !table.contains("direct") && !table.contains("ratio"),
        "{table}"
    );
    assert_eq!(charges_in_store(&stack).len(), 23);
}

#[test]
fn charges_with_a_wrong_api_key_report_the_401s_and_fail() {
    let stack = stack();
    let run = bench(
        &stack,
        "charges",
        &[
            "--api-key",
            "pk_wrong",
            "--requests",
            "3",
            "--concurrency",
            "1",
            "-o",
            "json",
        ],
    );
    let stderr = run.fails(1);
    assert!(stderr.contains("none of the 3 requests"), "{stderr}");
    let v: Value = serde_json::from_str(&run.stdout()).expect("the report is still printed");
    assert_eq!(
        v["payorch"]["statuses"],
        serde_json::json!({"401": 3}),
        "{v}"
    );
}

#[tokio::test]
async fn webhooks_are_signed_as_the_sandbox_signs_and_each_is_ingested() {
    let stack = stack();
    let v = bench(
        &stack,
        "webhooks",
        &["--requests", "20", "--concurrency", "4", "-o", "json"],
    )
    .json();
    assert_eq!(v["bench"], "webhooks", "{v}");
    let payorch = &v["payorch"];
    assert_eq!(payorch["requests"], 20, "{v}");
    assert_eq!(payorch["statuses"], serde_json::json!({"200": 20}), "{v}");
    assert_percentiles_ordered(payorch);
    // Twenty distinct events verified and recorded (for charges payorch never made).
    let line = "payorch_gateway_webhooks_total{gateway=\"stripe\",result=\"unknown_charge\"} 20";
    let (http, url) = (stack.http.clone(), stack.url().to_string());
    wait_for(
        "twenty unknown-charge webhooks in /metrics",
        Duration::from_secs(60),
        || {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let text = http
                    .get(format!("{url}/metrics"))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .text()
                    .await
                    .map_err(|e| e.to_string())?;
                text.lines()
                    .any(|l| l.trim() == line)
                    .then_some(())
                    .ok_or(text)
            }
        },
    )
    .await;

    // Another secret than serve's: every webhook is refused, and the bench says so.
    let stderr = bench(
        &stack,
        "webhooks",
        &["--requests", "2", "--secret", "whsec_not_serves"],
    )
    .fails(1);
    assert!(stderr.contains("none of the 2 requests"), "{stderr}");
}

#[test]
fn bad_flags_are_usage_errors_naming_the_flag() {
    let env = Env::new();
    // Each case: flags after `bench charges --url … --api-key k`, and the flag the error names.
    let cases: &[(&[&str], &str)] = &[
        (&["--duration", "10q"], "--duration"),
        (&["--duration", "0s"], "--duration"),
        (&["--concurrency", "0"], "--concurrency"),
        (&["--requests", "0"], "--requests"),
        (&["--duration", "1s", "--requests", "5"], "--requests"),
        (&["--method", "boleto"], "--method"),
    ];
    let base = [
        "bench",
        "charges",
        "--url",
        "http://127.0.0.1:9",
        "--api-key",
        "k",
    ];
    for (flags, flag) in cases {
        let args: Vec<&str> = base.iter().chain(flags.iter()).copied().collect();
        let stderr = env.run(&args).fails(2);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
    // No --url, or one that is not an http(s) URL.
    for args in [
        &["bench", "charges", "--api-key", "k"][..],
        &["bench", "charges", "--url", "127.0.0.1:9", "--api-key", "k"],
        &["bench", "webhooks", "--concurrency", "1"],
    ] {
        let stderr = env.run(args).fails(2);
        assert!(stderr.contains("--url"), "{args:?}: {stderr}");
    }
}

#[test]
fn an_unreachable_url_is_exit_6_in_one_sentence() {
    let url = format!("http://{}", free_addr());
    let env = Env::new();
    for args in [
        vec![
            "bench",
            "charges",
            "--url",
            url.as_str(),
            "--api-key",
            "k",
            "--requests",
            "1",
        ],
        vec![
            "bench",
            "webhooks",
            "--url",
            url.as_str(),
            "--requests",
            "1",
        ],
    ] {
        let stderr = env.run(&args).fails(6);
        assert!(stderr.contains("cannot reach payorch serve"), "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

#[test]
fn charges_with_a_receiver_count_the_events_serve_delivers_to_it() {
    let mut stack = ServeStack::in_env(Env::allowing_private_targets(), "");
    stack.start_serve();
    // A port nothing listens on yet: the receiver the bench starts takes it.
    let addr = free_addr().to_string();
    stack.cli(&["webhook", "endpoint", "set", &format!("http://{addr}/")]);
    let v = twenty_charges(&stack, &["--receiver", &addr, "--drain", "120s"]);
    assert_eq!(v["payorch"]["ok"], 20, "{v}");
    // One event at least per charge made (`charge.succeeded`), each counted once.
    let deliveries = &v["deliveries"];
    assert_eq!(deliveries["address"], addr.as_str(), "{v}");
    assert!(
        deliveries["events"].as_u64().is_some_and(|n| n >= 20),
        "{v}"
    );
    assert!(
        deliveries["posts"].as_u64() >= deliveries["events"].as_u64(),
        "{v}"
    );
}

#[test]
fn drain_needs_a_receiver_and_a_taken_receiver_address_is_exit_6() {
    let stack = stack();
    let stderr = bench(&stack, "charges", &["--api-key", "k", "--drain", "5s"]).fails(2);
    assert!(stderr.contains("--receiver"), "{stderr}");
    // serve's own port is taken.
    let taken = stack.url().trim_start_matches("http://").to_string();
    let stderr = bench(
        &stack,
        "charges",
        &[
            "--api-key",
            &stack.key,
            "--requests",
            "1",
            "--receiver",
            &taken,
        ],
    )
    .fails(6);
    assert!(stderr.contains("--receiver"), "{stderr}");
}
