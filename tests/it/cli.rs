//! The CLI as a user meets it: the real binary, a fresh data dir, happy paths and bad input.

use crate::common;

use common::Env;

#[test]
fn help_shows_the_command_tree() {
    let env = Env::new();
    let help = env.run(&["--help"]).ok();
    for cmd in [
        "init",
        "config",
        "tenant",
        "apikey",
        "audit",
        "amount",
        "gateway",
        "sandbox",
        "serve",
        "charge",
        "breaker",
        "reconcile",
        "completions",
        "dashboard",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from:\n{help}");
    }
    for flag in [
        "--config",
        "--data-dir",
        "--tenant",
        "--output",
        "--no-color",
        "--verbose",
        "--quiet",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(env.run(&["--version"]).ok().starts_with("payorch "));
    // No command at all: usage on stderr, exit 2.
    assert_eq!(env.run(&[]).code(), 2);
}

#[test]
fn tenants_and_api_keys_on_a_fresh_data_dir() {
    let env = Env::new();
    assert!(!env.data_dir().exists());
    let created = env
        .run(&[
            "tenant",
            "create",
            "acme",
            "--name",
            "ACME Ltda",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(created["id"], "acme");
    assert_eq!(created["name"], "ACME Ltda");

    let list = env.run(&["tenant", "list", "-o", "json"]).json();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["acme", "default"],
        "the default tenant exists from the first run"
    );

    let key = env
        .run(&[
            "apikey", "create", "--tenant", "acme", "--name", "checkout", "-o", "json",
        ])
        .json();
    let secret = key["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("po_sk_") && secret.len() > 40,
        "{secret}"
    );
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    assert_eq!(key["status"], "active");
    assert_eq!(key["tenant"], "acme");

    // The secret is never shown again and never stored.
    let listed = env.run(&["apikey", "list", "--tenant", "acme", "-o", "json"]);
    let listed_text = listed.ok();
    assert!(!listed_text.contains(&secret));
    assert!(!listed_text.contains("hash"));
    let keys: serde_json::Value = serde_json::from_str(&listed_text).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["name"], "checkout");
    for entry in std::fs::read_dir(env.data_dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret is on disk"
        );
    }
    // The table view shows the prefix, not the secret.
    let table = env.run(&["apikey", "list", "--tenant", "acme"]).ok();
    assert!(
        table.contains(key["prefix"].as_str().unwrap()) && !table.contains(&secret),
        "{table}"
    );

    // Revoke, twice: the first revocation time is kept.
    let id = key["id"].as_str().unwrap();
    let r1 = env
        .run(&["apikey", "revoke", id, "--tenant", "acme", "-o", "json"])
        .json();
    assert_eq!(r1["status"], "revoked");
    let r2 = env
        .run(&["apikey", "revoke", id, "--tenant", "acme", "-o", "json"])
        .json();
    assert_eq!(r1["revoked_at"], r2["revoked_at"]);

    // Another tenant cannot revoke it.
    let err = env.run(&["apikey", "revoke", id]).fails(3);
    assert!(err.contains(id) && err.contains("default"), "{err}");

    // Every action is in the audit log, with the OS user.
    let audit = env
        .run(&["audit", "list", "--tenant", "acme", "-o", "json"])
        .json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "apikey.revoke",
            "apikey.revoke",
            "apikey.create",
            "tenant.create"
        ]
    );
    assert_eq!(audit["entries"][0]["actor"], "cli:tester");
}

#[test]
fn the_configured_tenant_is_the_default_for_commands() {
    let env = Env::new();
    env.run(&["tenant", "create", "shop"]).ok();
    let key = env
        .cmd()
        .env("PAYORCH_TENANT", "shop")
        .args(["apikey", "create", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        key.status.success(),
        "{}",
        String::from_utf8_lossy(&key.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&key.stdout).unwrap();
    assert_eq!(v["tenant"], "shop");
}

#[test]
fn unknown_tenant_is_a_clear_error_and_writes_nothing() {
    let env = Env::new();
    let err = env.run(&["apikey", "create", "--tenant", "nope"]).fails(3);
    assert!(err.starts_with("error: unknown tenant `nope`"), "{err}");
    assert!(err.contains("payorch tenant create nope"), "{err}");
    assert_eq!(err.lines().count(), 1, "one clear sentence: {err}");
    let list = env.run(&["tenant", "list", "-o", "json"]).json();
    assert_eq!(list.as_array().unwrap().len(), 1, "only the default tenant");
    let audit = env
        .run(&["audit", "list", "--all-tenants", "-o", "json"])
        .json();
    assert!(audit["entries"].as_array().unwrap().is_empty());
}

#[test]
fn bad_flags_and_values_are_usage_errors_naming_them() {
    let env = Env::new();
    let err = env.run(&["tenant", "create", "Not Valid"]).fails(2);
    assert!(
        err.contains("Not Valid") && err.contains("tenant id"),
        "{err}"
    );
    let err = env.run(&["apikey", "list", "--tenant", "UPPER"]).fails(2);
    assert!(err.contains("--tenant") && err.contains("UPPER"), "{err}");
    let err = env.run(&["apikey", "revoke", "ch_123"]).fails(2);
    assert!(err.contains("API key id"), "{err}");
    let err = env.run(&["tenant", "list", "-o", "yaml"]).fails(2);
    assert!(err.contains("yaml"), "{err}");
    let err = env.run(&["tenant", "create", "dup"]).ok();
    assert!(err.contains("dup"));
    let err = env.run(&["tenant", "create", "dup"]).fails(4);
    assert!(err.contains("already exists"), "{err}");
    assert!(!env.path().join("data").join("nothing").exists());
}

#[test]
fn amounts_parse_exactly_or_are_refused() {
    let env = Env::new();
    let v = env.run(&["amount", "10,50", "-o", "json"]).json();
    assert_eq!(v["amount"], 1050);
    assert_eq!(v["decimal"], "10.50");
    let v = env
        .run(&["amount", "1990", "--currency", "jpy", "-o", "json"])
        .json();
    assert_eq!(v["amount"], 1990);
    assert_eq!(v["currency"], "JPY");
    let v = env.run(&["amount", "1050", "--minor", "-o", "json"]).json();
    assert_eq!(v["decimal"], "10.50");
    for bad in [
        "10.505",
        "-5",
        "0",
        "abc",
        "1.234,56",
        "99999999999999999999",
    ] {
        let err = env.run(&["amount", bad]).fails(2);
        assert!(err.starts_with("error: AMOUNT: "), "{bad}: {err}");
        assert_eq!(err.lines().count(), 1, "{bad}: {err}");
    }
    let err = env.run(&["amount", "10", "--currency", "XYZ"]).fails(2);
    assert!(err.contains("XYZ"), "{err}");
}

#[test]
fn unreadable_or_invalid_config_is_a_config_error_and_writes_nothing() {
    let env = Env::new();
    let missing = env.path().join("missing.toml");
    let err = env
        .run(&["--config", missing.to_str().unwrap(), "tenant", "list"])
        .fails(5);
    assert!(err.contains("missing.toml"), "{err}");

    let bad = env.path().join("bad.toml");
    std::fs::write(&bad, "[server]\nbind = \"127.0.0.1:8080\"\nbody_limt = 5\n").unwrap();
    let err = env
        .run(&["--config", bad.to_str().unwrap(), "tenant", "create", "x"])
        .fails(5);
    assert!(
        err.contains("bad.toml") && err.contains("line 3") && err.contains("server.body_limt"),
        "{err}"
    );

    let dir = env.path().join("a-directory.toml");
    std::fs::create_dir(&dir).unwrap();
    let err = env
        .run(&["--config", dir.to_str().unwrap(), "tenant", "list"])
        .fails(5);
    assert!(err.contains("a-directory.toml"), "{err}");

    let err = env
        .cmd()
        .env("PAYORCH_SERVER_BIND", "not-an-address")
        .args(["tenant", "list"])
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&err.stderr).contains("PAYORCH_SERVER_BIND"));

    assert!(
        !env.data_dir().exists(),
        "nothing may be written on a config error"
    );
}

#[test]
fn init_writes_a_commented_config_once_and_config_show_merges_sources() {
    let env = Env::new();
    let out = env.run(&["init", "-o", "json"]).json();
    let file = env.config_home().join("payorch").join("payorch.toml");
    assert_eq!(out["config_file"], file.to_str().unwrap());
    assert_eq!(out["config_written"], true);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("# bind = \"127.0.0.1:8080\""));
    assert!(env.data_dir().join("payorch.db").exists());

    // A second init keeps the operator's edits.
    std::fs::write(
        &file,
        "tenant = \"default\"\n[server]\nbind = \"0.0.0.0:9999\"\n",
    )
    .unwrap();
    let again = env.run(&["init", "-o", "json"]).json();
    assert_eq!(again["config_written"], false);

    let shown = env
        .cmd()
        .env("PAYORCH_LOG_LEVEL", "debug")
        .args(["config", "show", "-o", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(v["file"], file.to_str().unwrap());
    assert_eq!(v["config"]["server"]["bind"], "0.0.0.0:9999");
    assert_eq!(v["config"]["log"]["level"], "debug");
    assert_eq!(v["env_overrides"][0], "PAYORCH_LOG_LEVEL");

    let toml = env.run(&["config", "show"]).ok();
    assert!(toml.contains("bind = \"0.0.0.0:9999\""), "{toml}");
    assert!(toml.starts_with("# file: "), "{toml}");
}

#[test]
fn json_mode_reports_errors_as_json() {
    let env = Env::new();
    let run = env.run(&["apikey", "create", "--tenant", "ghost", "-o", "json"]);
    let err: serde_json::Value = serde_json::from_str(run.fails(3).trim()).unwrap();
    assert_eq!(err["error"]["exit_code"], 3);
    assert!(err["error"]["message"].as_str().unwrap().contains("ghost"));
    assert!(run.stdout().is_empty());
}

#[test]
fn two_processes_writing_at_once_lose_nothing() {
    let env = Env::new();
    env.run(&["tenant", "create", "busy"]).ok();
    let spawn = || {
        let mut c = env.cmd();
        c.args(["--tenant", "busy", "apikey", "create", "-o", "json"]);
        c
    };
    // Two writers, each issuing keys back to back, overlapping in time.
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let mut cmds: Vec<_> = (0..8).map(|_| spawn()).collect();
            std::thread::spawn(move || {
                cmds.iter_mut()
                    .map(|c| c.output().unwrap())
                    .filter(|o| o.status.success())
                    .count()
            })
        })
        .collect();
    let ok: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(ok, 16);
    let keys = env
        .run(&["apikey", "list", "--tenant", "busy", "-o", "json"])
        .json();
    assert_eq!(keys.as_array().unwrap().len(), 16);
}
