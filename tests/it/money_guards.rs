//! What must be refused before any money can move (issue 11, "Money safety"), through the real
//! binary and a real sandbox: an unknown tenant, a charge no configured gateway could ever take,
//! and a key that a request which never reached a gateway must not use up.

use crate::common;

use common::Env;

fn pix(currency: &str) -> Vec<String> {
    [
        "charge",
        "create",
        "--amount",
        "19,90",
        "--currency",
        currency,
        "--method",
        "pix",
        "--customer-name",
        "Maria Silva",
        "--customer-document",
        "529.982.247-25",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run(env: &Env, args: &[String]) -> common::Run {
    common::Run(env.cmd().args(args).output().expect("run payorch"))
}

/// Every charge every fake gateway of the sandbox holds.
fn gateway_charges(url: &str) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = rt.block_on(async {
        payorch::gateway::http::install_crypto_provider();
        reqwest::get(format!("{url}/_sandbox/charges"))
            .await
            .expect("the sandbox answers")
            .text()
            .await
            .expect("a body")
    });
    let all: serde_json::Value = serde_json::from_str(&body).expect("json");
    all.as_object()
        .expect("charges by gateway")
        .values()
        .map(|c| c.as_array().map_or(0, Vec::len))
        .sum()
}

#[test]
fn an_unknown_tenant_moves_no_money_and_exits_3() {
    let env = Env::new();
    env.run(&["init"]).ok();
    let sandbox = env.start_sandbox();
    let mut args = pix("BRL");
    args.extend(["--tenant", "nope", "--sandbox", &sandbox.url].map(String::from));
    let r = run(&env, &args);
    let err = r.fails(3);
    assert!(err.contains("no tenant `nope`"), "{err}");
    assert_eq!(
        gateway_charges(&sandbox.url),
        0,
        "nothing reached a gateway"
    );

    // A refund under an unknown tenant is refused the same way.
    let r = env.run(&[
        "charge",
        "refund",
        "ch_01JDX3ZZZZZZZZZZZZZZZZZZZZ",
        "--tenant",
        "nope",
        "--sandbox",
        &sandbox.url,
    ]);
    r.fails(3);
}

#[test]
fn a_charge_no_gateway_could_take_is_refused_and_not_stored() {
    let env = Env::new();
    env.run(&["init"]).ok();
    let sandbox = env.start_sandbox();
    let mut args = pix("USD");
    args.extend(["--sandbox", &sandbox.url].map(String::from));
    let err = run(&env, &args).fails(2);
    assert!(
        err.contains("no_gateway_for_charge") || err.contains("pix"),
        "{err}"
    );
    assert_eq!(gateway_charges(&sandbox.url), 0);
    let listed = env.run(&["charge", "list", "-o", "json"]).json();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(0), "{listed}");
}

#[test]
fn a_request_that_reached_no_gateway_does_not_use_its_key_up() {
    let env = Env::new();
    env.run(&["init"]).ok();
    let sandbox = env.start_sandbox();
    let mut args = pix("BRL");
    args.extend(["--idempotency-key", "order-77"].map(String::from));
    // No credentials and no sandbox: no gateway can be built, nothing is sent.
    run(&env, &args).fails(6);
    // The same key, now with gateways: a fresh run, not the stored error.
    args.extend(["--sandbox", &sandbox.url, "-o", "json"].map(String::from));
    let r = run(&env, &args);
    let charge = r.json();
    assert_eq!(charge["status"], "requires_action", "{charge}");
    assert_eq!(gateway_charges(&sandbox.url), 1);
}

#[test]
fn a_refund_too_large_is_told_in_major_units() {
    let env = Env::new();
    env.run(&["init"]).ok();
    let sandbox = env.start_sandbox();
    let created = run(
        &env,
        &[
            "charge",
            "create",
            "--amount",
            "45,00",
            "--method",
            "card",
            "--customer-name",
            "Maria Silva",
            "--customer-document",
            "529.982.247-25",
            "--card-token",
            "stripe=pm_card_visa",
            "--gateway",
            "stripe",
            "--sandbox",
            &sandbox.url,
            "-o",
            "json",
        ]
        .map(String::from),
    )
    .json();
    assert_eq!(created["status"], "succeeded", "{created}");
    let id = created["id"].as_str().unwrap();
    let err = env
        .run(&[
            "charge",
            "refund",
            id,
            "--amount",
            "100",
            "--sandbox",
            &sandbox.url,
        ])
        .fails(2);
    assert!(
        err.contains("100.00 BRL is more than the 45.00 BRL still refundable"),
        "{err}"
    );
    // Above the currency's maximum, zero, negative, fractional cents, beyond i64: usage errors
    // naming --amount, and no refund recorded (issue 12, item 5).
    for amount in [
        "--amount=10000000000000",
        "--amount=92233720368547758.07",
        "--amount=99999999999999999999",
        "--amount=0",
        "--amount=-1",
        "--amount=1,001",
        "--amount=abc",
    ] {
        let err = env
            .run(&["charge", "refund", id, amount, "--sandbox", &sandbox.url])
            .fails(2);
        assert!(err.contains("--amount"), "{amount}: {err}");
    }
    let shown = env.run(&["charge", "get", id, "-o", "json"]).json();
    assert_eq!(shown["refunds"], serde_json::json!([]), "{shown}");
    assert_eq!(shown["amount_refunded"], 0, "{shown}");
}
