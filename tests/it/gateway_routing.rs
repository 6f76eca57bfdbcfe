//! `payorch gateway switch|fallback|list` with the real binary on a fresh data dir: a switch
//! shows in `list` and in the audit log with its reason; bad names, duplicates and disabled
//! gateways are refused with exit 2 and change nothing.

use crate::common;

use common::{Env, Run};

/// Sandbox-shaped credentials in env vars, so stripe and asaas build without a keyring.
const CREDENTIALS: [(&str, &str); 2] = [
    (
        "PAYORCH_STRIPE_SECRET_KEY",
        "sk_test_51PayorchSandboxStripeKey000000000000000000000000",
    ),
    (
        "PAYORCH_ASAAS_API_KEY",
        "$aact_hmlg_payorch_sandbox_000000000000000000000000",
    ),
];

fn run(env: &Env, args: &[&str]) -> Run {
    Run(env
        .cmd()
        .envs(CREDENTIALS)
        .args(args)
        .output()
        .expect("run payorch"))
}

fn list(env: &Env) -> serde_json::Value {
    run(env, &["gateway", "list", "-o", "json"]).json()
}

fn row<'a>(list: &'a serde_json::Value, gateway: &str) -> &'a serde_json::Value {
    list["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["gateway"] == gateway)
        .unwrap_or_else(|| panic!("no {gateway} row in {list}"))
}

#[test]
fn switch_then_list_then_audit() {
    let env = Env::new();
    let before = list(&env);
    assert_eq!(before["routing"]["source"], "config");
    assert_eq!(row(&before, "stripe")["role"], "primary");
    assert_eq!(row(&before, "stripe")["status"], "available");
    assert_eq!(
        row(&before, "asaas")["capabilities"]["methods"],
        serde_json::json!(["pix", "boleto", "card", "link"])
    );
    // Efí has no credentials or certificate here: listed, unavailable, with the reason.
    assert_eq!(row(&before, "efi")["status"], "unavailable");
    assert!(
        row(&before, "efi")["reason"]
            .as_str()
            .unwrap()
            .contains("efi"),
        "{before}"
    );
    assert!(row(&before, "efi")["capabilities"].is_null());

    let switched = run(
        &env,
        &[
            "gateway",
            "switch",
            "efi",
            "--reason",
            "stripe incident",
            "-o",
            "json",
        ],
    )
    .json();
    assert_eq!(switched["changed"], true);
    assert_eq!(
        switched["after"],
        serde_json::json!({"primary": "efi", "fallbacks": ["stripe", "asaas"]})
    );

    let after = list(&env);
    assert_eq!(after["routing"]["source"], "stored");
    let order: Vec<&str> = after["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["gateway"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["efi", "stripe", "asaas"]);
    assert_eq!(row(&after, "efi")["role"], "primary");
    assert_eq!(row(&after, "stripe")["role"], "fallback");
    assert_eq!(row(&after, "stripe")["fallback_position"], 1);
    assert_eq!(row(&after, "asaas")["fallback_position"], 2);

    let table = run(&env, &["gateway", "list"]);
    let text = table.ok();
    assert!(text.contains("fallback 1"), "{text}");
    assert!(
        table.stderr().contains("set by an operator"),
        "{}",
        table.stderr()
    );

    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "gateway.switch");
    assert_eq!(entry["target"], "efi");
    assert_eq!(entry["reason"], "stripe incident");
    assert_eq!(entry["actor"], "cli:tester");
    assert_eq!(entry["detail"]["from"], "stripe");
    assert_eq!(entry["detail"]["to"], "efi");
    let shown = env.run(&["audit", "list"]).ok();
    assert!(shown.contains("stripe incident"), "{shown}");

    // Switching to the primary again changes nothing and adds no entry.
    let again = run(&env, &["gateway", "switch", "efi", "-o", "json"]).json();
    assert_eq!(again["changed"], false);
    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
}

#[test]
fn fallbacks_are_set_in_order_or_emptied_with_none() {
    let env = Env::new();
    let set = run(
        &env,
        &[
            "gateway",
            "fallback",
            "asaas,efi",
            "--reason",
            "asaas is cheaper",
            "-o",
            "json",
        ],
    )
    .json();
    assert_eq!(
        set["after"]["fallbacks"],
        serde_json::json!(["asaas", "efi"])
    );
    let table = run(&env, &["gateway", "fallback", "asaas"]).ok();
    assert!(
        table.contains("fallback 1") && !table.contains("efi"),
        "{table}"
    );
    let none = run(&env, &["gateway", "fallback", "--none", "-o", "json"]).json();
    assert_eq!(none["after"]["fallbacks"], serde_json::json!([]));
    assert_eq!(row(&list(&env), "efi")["role"], "not_routed");

    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[2]["action"], "gateway.fallback");
    assert_eq!(entries[2]["reason"], "asaas is cheaper");
    assert_eq!(
        entries[2]["detail"],
        serde_json::json!({"from": ["efi", "asaas"], "to": ["asaas", "efi"]})
    );
}

#[test]
fn bad_changes_are_refused_and_change_nothing() {
    let env = Env::new();
    let err = run(&env, &["gateway", "switch", "paypal"]).fails(2);
    assert!(err.contains("unknown gateway `paypal`"), "{err}");
    let err = run(&env, &["gateway", "fallback", "efi,paypal"]).fails(2);
    assert!(err.contains("paypal"), "{err}");
    let err = run(&env, &["gateway", "fallback", "asaas,efi,asaas"]).fails(2);
    assert!(err.contains("asaas is listed twice"), "{err}");
    let err = run(&env, &["gateway", "fallback", "stripe"]).fails(2);
    assert!(err.contains("stripe is the primary"), "{err}");
    let err = run(&env, &["gateway", "fallback"]).fails(2);
    assert!(err.contains("required"), "{err}");
    let err = run(&env, &["gateway", "fallback", "efi", "--none"]).fails(2);
    assert!(err.contains("--none"), "{err}");
    let long = "x".repeat(501);
    let err = run(&env, &["gateway", "switch", "efi", "--reason", &long]).fails(2);
    assert!(err.contains("reason"), "{err}");
    let err = run(&env, &["--tenant", "nobody", "gateway", "switch", "efi"]).fails(3);
    assert!(err.contains("nobody"), "{err}");

    // A gateway disabled in the config cannot be routed to.
    std::fs::create_dir_all(env.config_home().join("payorch")).unwrap();
    std::fs::write(
        env.config_home().join("payorch").join("payorch.toml"),
        "[gateways.asaas]\nenabled = false\n[routing]\nfallbacks = [\"efi\"]\n",
    )
    .unwrap();
    let err = run(&env, &["gateway", "switch", "asaas"]).fails(2);
    assert!(err.contains("gateways.asaas.enabled = false"), "{err}");
    let err = run(&env, &["gateway", "fallback", "efi,asaas", "-o", "json"]).fails(2);
    let body: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(body["error"]["exit_code"], 2);
    let listed = list(&env);
    assert_eq!(row(&listed, "asaas")["status"], "disabled");
    assert_eq!(row(&listed, "asaas")["role"], "not_routed");

    assert_eq!(listed["routing"]["source"], "config", "nothing was stored");
    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    assert!(audit["entries"].as_array().unwrap().is_empty(), "{audit}");
}

#[test]
fn a_disabled_default_route_is_a_config_error_naming_the_key() {
    let env = Env::new();
    std::fs::create_dir_all(env.config_home().join("payorch")).unwrap();
    std::fs::write(
        env.config_home().join("payorch").join("payorch.toml"),
        "[gateways.stripe]\nenabled = false\n",
    )
    .unwrap();
    let err = run(&env, &["gateway", "list"]).fails(5);
    assert!(err.contains("routing.primary"), "{err}");
    let err = env
        .cmd()
        .env("PAYORCH_ROUTING_PRIMARY", "efi")
        .args(["gateway", "list"])
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(5), "stripe is still a fallback");
    assert!(String::from_utf8_lossy(&err.stderr).contains("routing.fallbacks"));
}

#[test]
fn strategy_is_set_listed_with_sample_fees_and_audited() {
    let env = Env::new();
    let before = list(&env);
    assert_eq!(before["routing"]["strategy"], "ordered", "the default");
    // The built-in schedule: Stripe's card 3.99 % + R$ 0,39 on R$ 100,00 = R$ 4,38; Asaas has
    // no built-in rate (null).
    let stripe_fees = &row(&before, "stripe")["sample_fees"];
    let card = stripe_fees
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["method"] == "card")
        .unwrap_or_else(|| panic!("{stripe_fees}"));
    assert_eq!(
        card,
        &serde_json::json!({"method": "card", "amount": 10000, "currency": "BRL",
            "fee": {"amount": 438, "currency": "BRL", "source": "estimated"}})
    );
    let asaas_card = row(&before, "asaas")["sample_fees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["method"] == "card")
        .cloned()
        .unwrap();
    assert!(asaas_card["fee"].is_null(), "{asaas_card}");
    // Efí is not built here (no credentials): the schedule's methods for it, Pix 1.19 %.
    assert_eq!(
        row(&before, "efi")["sample_fees"],
        serde_json::json!([{"method": "pix", "amount": 10000, "currency": "BRL",
            "fee": {"amount": 119, "currency": "BRL", "source": "estimated"}}])
    );

    let set = run(
        &env,
        &[
            "gateway", "strategy", "cheapest", "--reason", "fees", "-o", "json",
        ],
    )
    .json();
    assert_eq!(set["changed"], true);
    assert_eq!(set["strategy"], "cheapest");
    assert_eq!(set["after"]["strategy"], "cheapest");

    let after = list(&env);
    assert_eq!(after["routing"]["strategy"], "cheapest");
    assert_eq!(after["routing"]["source"], "stored");
    let table = run(&env, &["gateway", "list"]);
    table.ok();
    assert!(
        table
            .stderr()
            .contains("on a R$ 100,00 charge: stripe card 4.38, pix 1.19, link 4.38; efi pix 1.19"),
        "{}",
        table.stderr()
    );
    assert!(
        table.stderr().contains("routing strategy: cheapest"),
        "{}",
        table.stderr()
    );

    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "gateway.strategy");
    assert_eq!(entry["target"], "cheapest");
    assert_eq!(entry["reason"], "fees");
    assert_eq!(
        entry["detail"],
        serde_json::json!({"from": "ordered", "to": "cheapest"})
    );

    // A switch keeps the strategy; the same strategy again writes and audits nothing.
    run(&env, &["gateway", "switch", "asaas"]).ok();
    assert_eq!(list(&env)["routing"]["strategy"], "cheapest");
    let again = run(&env, &["gateway", "strategy", "cheapest", "-o", "json"]).json();
    assert_eq!(again["changed"], false);
    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2, "{audit}");

    // A bad value exits 2 naming it, and changes nothing.
    let err = run(&env, &["gateway", "strategy", "fastest"]).fails(2);
    assert!(err.contains("fastest"), "{err}");
    assert!(err.contains("ordered or cheapest"), "{err}");
    run(&env, &["gateway", "strategy", "ordered"]).ok();
    assert_eq!(list(&env)["routing"]["strategy"], "ordered");
}
