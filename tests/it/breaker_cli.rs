//! `payorch breaker …` as an operator meets it: the real binary on a fresh data dir.

use crate::common;

use common::Env;

fn stripe_row(status: &serde_json::Value) -> serde_json::Value {
    status
        .as_array()
        .expect("a JSON array")
        .iter()
        .find(|r| r["gateway"] == "stripe")
        .cloned()
        .expect("a stripe row")
}

#[test]
fn force_open_for_a_while_then_back_to_automatic() {
    let env = Env::new();
    let opened = env
        .run(&[
            "breaker",
            "open",
            "stripe",
            "--for",
            "10m",
            "--reason",
            "stripe incident INC-42",
            "-o",
            "json",
        ])
        .json();
    let row = stripe_row(&opened);
    assert_eq!(row["state"], "forced_open");
    assert_eq!(row["reason"], "stripe incident INC-42");
    assert_eq!(row["changed_by"], "cli:tester");

    let status = env.run(&["breaker", "status", "-o", "json"]).json();
    let row = stripe_row(&status);
    assert_eq!(
        (row["state"].as_str(), row["forced"].as_bool()),
        (Some("forced_open"), Some(true))
    );
    let since = payorch::clock::Timestamp::parse_rfc3339(row["since"].as_str().expect("since"))
        .expect("since is RFC 3339");
    let until = payorch::clock::Timestamp::parse_rfc3339(row["until"].as_str().expect("until"))
        .expect("until is RFC 3339");
    let minutes = until.since(since).as_secs_f64() / 60.0;
    assert!((9.9..=10.1).contains(&minutes), "{minutes} minutes");
    assert_eq!(
        status.as_array().map(Vec::len),
        Some(3),
        "every gateway has a row"
    );

    // The table (cut to 120 columns) says forced; the whole reason is under it.
    let shown = env.run(&["breaker", "status"]);
    let table = shown.ok();
    assert!(table.contains("forced_open"), "{table}");
    assert!(
        shown
            .stderr()
            .contains("stripe: forced_open by an operator: stripe incident INC-42"),
        "{}",
        shown.stderr()
    );

    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    let first = &audit["entries"][0];
    assert_eq!(first["action"], "breaker.open");
    assert_eq!(first["target"], "stripe");
    assert_eq!(first["reason"], "stripe incident INC-42");

    env.run(&["breaker", "auto", "stripe"]).ok();
    let row = stripe_row(&env.run(&["breaker", "status", "-o", "json"]).json());
    assert_eq!(
        (row["state"].as_str(), row["forced"].as_bool()),
        (Some("closed"), Some(false))
    );
    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    assert_eq!(audit["entries"][0]["action"], "breaker.auto");

    env.run(&["breaker", "close", "efi", "--reason", "trust it"])
        .ok();
    let status = env
        .run(&["breaker", "status", "--all-tenants", "-o", "json"])
        .json();
    let efi = status
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["gateway"] == "efi"))
        .expect("efi row");
    assert_eq!(efi["state"], "forced_closed");
}

#[test]
fn bad_input_is_a_usage_error_and_changes_nothing() {
    let env = Env::new();
    let err = env.run(&["breaker", "open", "paypal"]).fails(2);
    assert!(
        err.contains("paypal") && err.contains("stripe, efi, asaas"),
        "{err}"
    );
    let err = env
        .run(&["breaker", "open", "stripe", "--for", "10"])
        .fails(2);
    assert!(err.contains("--for") && err.contains("10m"), "{err}");
    let err = env
        .run(&["breaker", "open", "stripe", "--for", "0s"])
        .fails(2);
    assert!(err.contains("0s"), "{err}");
    env.run(&["breaker", "open", "stripe", "--reason", "a\u{7}b"])
        .fails(2);
    let err = env
        .run(&["--tenant", "ghost", "breaker", "close", "efi"])
        .fails(3);
    assert!(err.contains("ghost"), "{err}");
    // Nothing was forced, nothing audited.
    let row = stripe_row(&env.run(&["breaker", "status", "-o", "json"]).json());
    assert_eq!(row["state"], "closed");
    let audit = env.run(&["audit", "list", "-o", "json"]).json();
    assert_eq!(audit["entries"].as_array().map(Vec::len), Some(0));
}
