//! `payorch aws init|status`, bad AWS configuration, and `demo --backend dynamodb`, with the
//! real binary against the emulator (`common::aws`): init creates then finds, status shows
//! what is there, and a missing table, missing credentials, no region or an endpoint that does
//! not answer is one sentence naming the fix, with exit 5 (configuration) or 6 (unreachable).

use crate::common;

use serde_json::{Value, json};

use common::{Env, aws};

/// An env whose runs use the emulator's `settings` (backend, endpoint, names, credentials).
fn env_on(settings: &payorch::store::dynamo::AwsSettings) -> Env {
    let mut env = Env::new();
    env.vars = aws::child_env(settings);
    env
}

#[test]
fn init_creates_then_finds_and_status_shows_the_resources() {
    let settings = aws::unique_settings();
    let env = env_on(&settings);
    let status: Value = env.run(&["aws", "status", "-o", "json"]).json();
    assert_eq!(status["table"]["status"], "MISSING", "{status:#}");
    assert_eq!(status["queue"]["exists"], false);

    let first: Value = env.run(&["aws", "init", "-o", "json"]).json();
    let outcomes: Vec<(String, String)> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["resource"].as_str().unwrap().to_string(),
                s["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("table".into(), "created".into()),
            ("ttl".into(), "created".into()),
            ("queue".into(), "created".into()),
            ("dead_letter_queue".into(), "created".into())
        ],
        "{first:#}"
    );
    let again: Value = env.run(&["aws", "init", "-o", "json"]).json();
    assert!(
        again
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["outcome"] == "found"),
        "a second init finds everything: {again:#}"
    );

    let status: Value = env.run(&["aws", "status", "-o", "json"]).json();
    assert_eq!(status["table"]["status"], "ACTIVE", "{status:#}");
    let indexes: Vec<&str> = status["table"]["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[0].as_str().unwrap())
        .collect();
    assert_eq!(indexes, ["gsi1", "gsi2", "gsi3"]);
    assert_eq!(status["table"]["ttl"], "ENABLED");
    assert_eq!(status["queue"]["exists"], true);
    assert_eq!(status["queue"]["visible"], 0);
    assert_eq!(status["dead_letter_queue"]["exists"], true);

    // The store works through every command: a tenant, a key, a switch, a routing strategy
    // (stored in the same table document), the audit log.
    env.run(&["tenant", "create", "acme"]).ok();
    env.run(&["apikey", "create", "--tenant", "acme"]).ok();
    env.run(&["gateway", "switch", "asaas", "--tenant", "acme"])
        .ok();
    env.run(&["gateway", "strategy", "cheapest", "--tenant", "acme"])
        .ok();
    let listed = env
        .run(&["gateway", "list", "--tenant", "acme", "-o", "json"])
        .json();
    assert_eq!(listed["routing"]["primary"], "asaas", "{listed}");
    assert_eq!(listed["routing"]["strategy"], "cheapest", "{listed}");
    let audit = env.run(&["audit", "list", "--all-tenants"]).ok();
    for action in [
        "tenant.create",
        "apikey.create",
        "gateway.switch",
        "gateway.strategy",
    ] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
}

#[test]
fn bad_aws_configuration_is_one_sentence_with_the_fix() {
    let settings = aws::unique_settings();
    let env = env_on(&settings);

    // No table yet: every command that opens the store says to run `payorch aws init`.
    let err = env.run(&["tenant", "list"]).fails(5);
    assert!(
        err.contains(&format!(
            "the DynamoDB table `{}` does not exist",
            settings.table
        )) && err.contains("payorch aws init"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");

    // No credentials anywhere in the chain.
    let mut cmd = env.cmd();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["aws", "status"]);
    let run = common::Run(cmd.output().unwrap());
    let err = run.fails(5);
    assert!(err.contains("no AWS credentials found"), "{err}");
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");

    // No region.
    let mut cmd = env.cmd();
    cmd.env_remove("PAYORCH_AWS_REGION")
        .env_remove("PAYORCH_AWS_ENDPOINT_URL")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(["aws", "status"]);
    let err = common::Run(cmd.output().unwrap()).fails(5);
    assert!(err.contains("no AWS region is set"), "{err}");
    assert!(err.contains("PAYORCH_AWS_REGION"), "{err}");

    // An endpoint where nothing listens: unavailable, try again (6).
    let mut cmd = env.cmd();
    cmd.env("PAYORCH_AWS_ENDPOINT_URL", common::refused_base())
        .args(["aws", "status"]);
    let err = common::Run(cmd.output().unwrap()).fails(6);
    assert!(err.contains("cannot reach DynamoDB at"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");

    // Names AWS would refuse are refused before any request, naming the key.
    let mut cmd = env.cmd();
    cmd.env("PAYORCH_AWS_TABLE", "no spaces allowed")
        .args(["aws", "status"]);
    let err = common::Run(cmd.output().unwrap()).fails(5);
    assert!(err.contains("aws.table"), "{err}");
    assert!(err.contains("PAYORCH_AWS_TABLE"), "{err}");
}

#[test]
fn the_demo_runs_on_dynamodb_and_sqs() {
    let env = Env::new();
    let mut cmd = env.cmd();
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["demo", "--headless", "--duration", "12s", "-o", "json"])
        .args(["--backend", "dynamodb", "--aws-endpoint", &aws::endpoint()]);
    let s: Value = common::Run(cmd.output().unwrap()).json();
    assert_eq!(s["ok"], true, "{s:#}");
    assert_eq!(s["charges"]["failed"], 0, "{s:#}");
    assert!(s["failovers"].as_u64().unwrap() > 0, "{s:#}");
    let e = &s["events"];
    assert_eq!(e["delivered"], e["emitted"], "{s:#}");
    assert_eq!(e["repeated"], 0, "{s:#}");
}

/// `payorch report costs|billing` on DynamoDB: the conformance fixtures written into a fresh
/// table answer, flag for flag, exactly what the same fixtures answer on SQLite
/// (`reports.rs`, whose JSON is checked against the hand sums), and the hand sums hold here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_read_the_same_sums_from_dynamodb() {
    use crate::reports::{FROM, Seeded, TO};

    let (store, settings) = aws::fresh_store().await;
    payorch::store::conformance::seed_cost_fixtures(&store).await;
    let dynamo = Seeded::with_env(env_on(&settings));
    let sqlite = Seeded::sqlite().await;
    for args in [
        vec![
            "report", "costs", "--from", FROM, "--to", TO, "--tenant", "acme",
        ],
        vec![
            "report", "costs", "--from", FROM, "--to", TO, "--by", "method", "--tenant", "acme",
        ],
        vec![
            "report", "costs", "--from", FROM, "--to", TO, "--by", "day", "--tenant", "acme",
        ],
        vec![
            "report", "costs", "--from", FROM, "--to", TO, "--by", "tenant",
        ],
        vec!["report", "billing", "--month", "2027-01"],
        vec![
            "report", "billing", "--month", "2027-01", "--tenant", "other",
        ],
    ] {
        for format in ["json", "csv"] {
            let mut args = args.clone();
            args.extend(["-o", format]);
            let (d, s) = (dynamo.run(&args).ok(), sqlite.run(&args).ok());
            assert_eq!(d, s, "{args:?}");
        }
    }
    let json: Value = serde_json::from_str(
        &dynamo
            .run(&[
                "report", "billing", "--month", "2027-01", "--tenant", "acme", "-o", "json",
            ])
            .ok(),
    )
    .unwrap();
    let brl = &json["tenants"][0]["totals"][0];
    assert_eq!(
        (&brl["volume"], &brl["refunded"], &brl["fees"], &brl["net"]),
        (
            &json!(214_500),
            &json!(6_000),
            &json!(1_621),
            &json!(206_879)
        ),
        "{json:#}"
    );
    let err = dynamo
        .run(&["report", "costs", "--tenant", "nobody"])
        .fails(3);
    assert!(err.contains("--tenant"), "{err}");
}
