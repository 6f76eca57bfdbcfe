//! What an operator reads from the CLI, with the real binary against a real `payorch sandbox`:
//! a closed stdout, declines, amounts in major units, replayed answers, `-q`, help, the bind
//! error of `serve`, the audit actor.

use crate::common;

use std::process::Stdio;

use common::{Env, SandboxProcess};

/// `charge create` of a USD card charge through the sandbox's Stripe with `token`.
fn card_args<'a>(sb: &'a SandboxProcess, amount: &'a str, token: &'a str) -> Vec<String> {
    [
        "charge",
        "create",
        "--amount",
        amount,
        "--currency",
        "USD",
        "--method",
        "card",
        "--customer-name",
        "Ann",
        "--card-token",
        &format!("stripe={token}"),
        "--sandbox",
        &sb.url,
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn a_closed_stdout_ends_the_command_quietly_with_its_exit_code() {
    let env = Env::new();
    let sb = env.start_sandbox();
    // (token, output flags, the exit code the charge deserves)
    let cases: [(&str, &[&str], i32); 3] = [
        ("pm_card_visa", &[], 0),
        ("pm_card_visa", &["-o", "json"], 0),
        ("pm_card_chargeDeclined", &[], 1),
    ];
    for (token, flags, code) in cases {
        let mut child = env
            .cmd()
            .args(card_args(&sb, "50", token))
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start payorch");
        // The reader is gone before the charge is made (as `| head -0` would be).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{token} {flags:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.to_lowercase().contains("broken pipe"),
            "{token} {flags:?}: {stderr}"
        );
    }
    let list = env.run(&["charge", "list", "-o", "json"]).json();
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        3,
        "every charge was made"
    );
}

#[test]
fn config_show_on_a_closed_stdout_exits_0_without_a_panic() {
    let env = Env::new();
    let mut child = env
        .cmd()
        .args(["config", "show"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start payorch");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_decline_reads_as_a_decline_with_its_reason_everywhere() {
    let env = Env::new();
    let sb = env.start_sandbox();
    let args = card_args(&sb, "50", "pm_card_chargeDeclinedInsufficientFunds");
    let made = env.cmd().args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&made.stderr);
    assert_eq!(
        made.status.code(),
        Some(1),
        "a decline is a failed charge: {stderr}"
    );
    assert!(
        stderr.contains("declined (insufficient_funds)"),
        "create says why: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&made.stdout);
    assert!(
        stdout.contains("declined (insufficient_funds)"),
        "the charge as printed: {stdout}"
    );

    // JSON keeps Stripe's status model and adds the reason.
    let list = env.run(&["charge", "list", "-o", "json"]).json();
    let charge = &list["data"][0];
    assert_eq!(charge["status"], "failed");
    assert_eq!(charge["decline_code"], "insufficient_funds");
    let id = charge["id"].as_str().unwrap();

    let table = env.run(&["charge", "list"]).ok();
    let row = table.lines().find(|l| l.contains(id)).unwrap();
    assert!(row.contains("declined (insufficient_funds)"), "{table}");
    let got = env.run(&["charge", "get", id]).ok();
    assert!(got.contains("declined (insufficient_funds)"), "{got}");
    assert!(!got.contains("failed"), "{got}");
    let got = env.run(&["charge", "get", id, "-o", "json"]).json();
    assert_eq!(got["decline_code"], "insufficient_funds");

    // The event the merchant receives carries it, and the events list reads it.
    let events = env
        .run(&["events", "list", "--charge", id, "-o", "json"])
        .json();
    let event = &events["data"][0];
    assert_eq!(event["type"], "charge.failed");
    assert_eq!(event["decline_code"], "insufficient_funds");
    let shown = env
        .run(&["events", "show", event["id"].as_str().unwrap()])
        .json();
    assert_eq!(
        shown["data"]["charge"]["decline_code"],
        "insufficient_funds"
    );
    // The events table (ids, type, status, time) fits 120 columns: the status reads as a
    // decline, its reason as far as the width allows (whole in `-o json` and `events show`).
    let table = env.run(&["events", "list", "--charge", id]).ok();
    assert!(table.contains("declined (insuff"), "{table}");
}

#[test]
fn refunds_read_in_major_units_with_the_refund_id() {
    let env = Env::new();
    let sb = env.start_sandbox();
    let mut args = card_args(&sb, "50", "pm_card_visa");
    args.extend(["-o", "json"].map(String::from));
    let made = env.cmd().args(&args).output().unwrap();
    let charge: serde_json::Value = serde_json::from_slice(&made.stdout).unwrap();
    let id = charge["id"].as_str().unwrap();

    let out = env
        .run(&[
            "charge",
            "refund",
            id,
            "--amount",
            "10",
            "--sandbox",
            &sb.url,
        ])
        .ok();
    let refund_id = out
        .lines()
        .find_map(|l| l.strip_prefix("refund"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no refund id: {out}"));
    assert!(refund_id.starts_with("re_"), "{out}");
    let line = |key: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key}: {out}"))
            .to_string()
    };
    assert!(line("amount").ends_with("10.00 USD"), "{out}");
    assert!(line("refunded").ends_with("10.00 USD"), "{out}");
    assert!(!out.contains(" 1000"), "no minor units: {out}");

    // `-o json` keeps minor units, and names the refund in `refunds`.
    let got = env.run(&["charge", "get", id, "-o", "json"]).json();
    assert_eq!(got["amount_refunded"], 1000);
    assert_eq!(got["refunds"][0]["id"], refund_id);
    let shown = env.run(&["charge", "get", id]).ok();
    assert!(
        shown.contains(refund_id) && shown.contains("10.00 USD"),
        "{shown}"
    );

    // Too much: said in the units typed, with the currency.
    let err = env
        .run(&[
            "charge",
            "refund",
            id,
            "--amount",
            "100",
            "--sandbox",
            &sb.url,
        ])
        .fails(2);
    assert!(
        err.contains("--amount") && err.contains("100.00 USD") && err.contains("40.00 USD"),
        "{err}"
    );
    assert!(!err.contains("10000") && !err.contains("4000"), "{err}");
}

#[test]
fn a_replayed_answer_says_so_on_stderr_in_every_format() {
    let env = Env::new();
    let sb = env.start_sandbox();
    let mut args = card_args(&sb, "50", "pm_card_visa");
    args.extend(["--idempotency-key", "order-77", "-o", "json"].map(String::from));
    let first = env.cmd().args(&args).output().unwrap();
    let again = env.cmd().args(&args).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        first.stdout, again.stdout,
        "stdout is the stored answer itself"
    );
    let first_err = String::from_utf8_lossy(&first.stderr);
    assert!(!first_err.contains("replayed"), "{first_err}");
    let err = String::from_utf8_lossy(&again.stderr);
    let note: serde_json::Value = serde_json::from_str(err.trim())
        .unwrap_or_else(|e| panic!("one JSON line in JSON mode ({e}): {err}"));
    assert_eq!(note["replayed"], true);
    assert_eq!(note["idempotency_key"], "order-77");

    // A declined card's stored answer, for people: the note, then the decline (exit 1).
    let mut args = card_args(&sb, "50", "pm_card_chargeDeclined");
    args.extend(["--idempotency-key", "order-78"].map(String::from));
    env.cmd().args(&args).output().unwrap();
    let again = env.cmd().args(&args).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("replayed: the stored answer of an earlier request with key `order-78`"),
        "{err}"
    );

    // A refund too.
    let charge: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let refund = [
        "charge",
        "refund",
        charge["id"].as_str().unwrap(),
        "--amount",
        "5",
        "--idempotency-key",
        "refund-1",
        "--sandbox",
        &sb.url,
    ];
    let once = env.run(&refund);
    assert!(!once.stderr().contains("replayed"), "{}", once.stderr());
    let twice = env.run(&refund);
    assert_eq!(once.ok(), twice.ok(), "the same refund, the same answer");
    assert!(twice.stderr().contains("replayed:"), "{}", twice.stderr());
    let got = env
        .run(&[
            "charge",
            "get",
            charge["id"].as_str().unwrap(),
            "-o",
            "json",
        ])
        .json();
    assert_eq!(got["amount_refunded"], 500, "refunded once");
}

#[test]
fn quiet_means_only_errors_on_stderr() {
    let env = Env::new();
    // No gateway credentials here: switching warns that charges will skip them.
    let loud = env.run(&["gateway", "switch", "efi"]);
    assert!(loud.stderr().contains("warning:"), "{}", loud.stderr());
    let quiet = env.run(&["gateway", "switch", "stripe", "-q"]);
    quiet.ok();
    assert_eq!(quiet.stderr(), "", "-q prints no notes or warnings");
    // Errors still speak.
    let err = env.run(&["gateway", "switch", "paypal", "-q"]);
    assert_ne!(err.code(), 0);
    assert!(err.stderr().contains("paypal"), "{}", err.stderr());

    let sb = env.start_sandbox();
    let made = env
        .cmd()
        .args(card_args(&sb, "50", "pm_card_visa"))
        .arg("-q")
        .output()
        .unwrap();
    assert_eq!(made.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&made.stderr),
        "",
        "no key hint with -q"
    );
}

#[test]
fn help_describes_every_charge_flag_and_sets_the_global_ones_apart() {
    let env = Env::new();
    let create = env.run(&["charge", "create", "--help"]).ok();
    let refund = env.run(&["charge", "refund", "--help"]).ok();
    for (help, flag) in [
        (&create, "--customer-name"),
        (&create, "--customer-email"),
        (&create, "--description"),
        (&create, "--currency"),
        (&refund, "--minor"),
        (&refund, "--reason"),
    ] {
        // Long help: the flag on its line, its description indented on the next.
        let mut lines = help
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(flag));
        lines
            .next()
            .unwrap_or_else(|| panic!("{flag} missing:\n{help}"));
        let description = lines.next().unwrap_or_default().trim();
        assert!(
            !description.is_empty(),
            "{flag} has no description:\n{help}"
        );
    }
    for help in [&create, &refund] {
        let heading = help
            .find("Global options:")
            .unwrap_or_else(|| panic!("no heading for the global flags:\n{help}"));
        let (own, global) = help.split_at(heading);
        for flag in ["--tenant", "--output", "--quiet", "--config"] {
            assert!(
                global.contains(flag) && !own.contains(flag),
                "{flag}:\n{help}"
            );
        }
        assert!(
            own.contains("--sandbox") && !global.contains("--sandbox"),
            "{help}"
        );
    }
}

#[test]
fn serve_on_a_port_in_use_says_how_to_fix_it_with_the_exit_code_of_the_table() {
    let env = Env::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = env.run(&["serve", "--bind", &addr]).fails(6);
    let error: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "one sentence: {err}");
    assert!(
        error[0].contains(&addr)
            && error[0].contains("already in use")
            && error[0].contains("--bind"),
        "{err}"
    );
    // From the config: the hint names where it is set, too.
    let err = env
        .cmd()
        .env("PAYORCH_SERVER_BIND", &addr)
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(6));
    let err = String::from_utf8_lossy(&err.stderr);
    assert!(
        err.contains("server.bind") && err.contains("--bind"),
        "{err}"
    );
    // The sandbox says the same.
    let err = env.run(&["sandbox", "--bind", &addr]).fails(6);
    assert!(
        err.contains("already in use") && err.contains("--bind"),
        "{err}"
    );
}

#[test]
fn the_audit_actor_is_the_real_user_when_the_environment_names_none() {
    let env = Env::new();
    let made = env
        .cmd()
        .env_remove("USER")
        .env_remove("LOGNAME")
        .args(["tenant", "create", "shop"])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let audit = env
        .run(&["audit", "list", "--all-tenants", "-o", "json"])
        .json();
    let actor = audit["entries"][0]["actor"].as_str().unwrap().to_string();
    // What the system calls this process's real user.
    let id = |flag: &str| {
        let out = std::process::Command::new("id").arg(flag).output().unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let want = match id("-run") {
        Some(name) => format!("cli:{name}"),
        None => format!("cli:uid:{}", id("-ru").unwrap()),
    };
    assert_eq!(actor, want);
    assert_ne!(actor, "cli:unknown");
}

/// `charge create` keeps the same per-currency limit as `serve` (`[amount_limits]`), before
/// anything is stored: no sandbox is needed to be refused.
#[test]
fn charge_create_refuses_an_amount_over_the_currency_limit() {
    let env = Env::new();
    env.run(&["init"]).ok();
    let refused = env.run(&[
        "charge",
        "create",
        "--amount",
        "92233720368547758.07",
        "--currency",
        "BRL",
        "--method",
        "pix",
        "--customer-name",
        "Maria Silva",
        "--customer-document",
        "529.982.247-25",
    ]);
    assert_ne!(refused.code(), 0, "{}", refused.stdout());
    let said = format!("{}{}", refused.stdout(), refused.stderr());
    assert!(said.contains("amount"), "{said}");
    assert!(said.contains("largest charge"), "{said}");
    let listed = env.run(&["charge", "list", "-o", "json"]).ok();
    assert!(!listed.contains("ch_"), "nothing stored: {listed}");
}
