//! What an operator reads from the CLI, with the real binary against a real `payorch sandbox`:
//! a closed stdout, declines, amounts in major units, replayed answers, `-q`, help, the bind
//! error of `serve`, the audit actor.

mod common;

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
