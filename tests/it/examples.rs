//! The README's integration examples, run against a real `payorch serve` + `payorch sandbox`:
//! `examples/charge.sh` (a Pix charge with curl) creates the charge it says, replays it under
//! the same key, and the README shows exactly that file.

use std::process::Command;

use serde_json::Value;

use crate::common::sdk::loopback_only;
use crate::common::stack::ServeStack;

const CONFIG: &str = "[webhooks]\nallow_private_targets = true\n";

fn repo_file(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

#[test]
fn the_readme_shows_examples_charge_sh() {
    let script = repo_file("examples/charge.sh");
    let (shebang, body) = script.split_once('\n').expect("more than one line");
    assert_eq!(shebang, "#!/bin/sh");
    let readme = repo_file("README.md");
    assert!(
        readme.contains(&format!("```sh\n{body}```\n")),
        "README.md's curl charge is not examples/charge.sh (without its first line):\n{body}"
    );
}

#[test]
fn examples_charge_sh_creates_a_pix_charge_and_replays_it() {
    let mut stack = ServeStack::new(CONFIG);
    stack.start_serve();
    let run = || {
        let mut sh = Command::new("sh");
        sh.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/charge.sh"))
            .env("PAYORCH_BASE_URL", stack.url())
            .env("PAYORCH_API_KEY", &stack.key);
        loopback_only(&mut sh);
        let out = sh.output().expect("sh runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "examples/charge.sh failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let first = run();
    let charge: Value = serde_json::from_str(&first).expect("the charge, as JSON");
    assert_eq!(charge["object"], "charge");
    assert_eq!(charge["status"], "requires_action", "{charge}");
    assert_eq!(charge["method"], "pix");
    assert_eq!(charge["amount"], 1990);
    assert_eq!(charge["metadata"]["order_id"], "1234");
    assert!(
        charge["pix"]["copy_paste"]
            .as_str()
            .is_some_and(|c| payorch::brcode::parse(c).is_ok()),
        "{charge}"
    );
    assert_eq!(
        run(),
        first,
        "the same Idempotency-Key answers the same charge"
    );
    let listed: Value =
        serde_json::from_str(&stack.cli(&["charge", "list", "-o", "json"])).expect("JSON");
    assert_eq!(
        listed["data"].as_array().map(Vec::len),
        Some(1),
        "one charge, made once: {listed}"
    );
}
