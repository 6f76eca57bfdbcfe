//! Secrets and personal data at rest (issue 12), with the real binary: webhook signing secrets
//! are encrypted in the SQLite file under the data key from `PAYORCH_DATA_KEY` or the OS
//! keyring, deliveries stay signed across restarts of `serve`, a missing key is a clear error
//! and never an unsigned delivery, the data key rotates; the store's file modes are checked;
//! documents are masked in listings; inbound bodies are stored redacted and pruned.

use crate::common;

use std::time::Duration;

use payorch::clock::{Clock, SystemClock};
use payorch::model::TenantId;
use payorch::secret::Secret;
use payorch::store::InboundWebhookStore;
use payorch::store::sqlite::SqliteStore;
use serde_json::{Value, json};

use common::scripted::Scripted;
use common::stack::{ServeStack, wait_for};

const CONFIG: &str = "[webhooks]\nretry_schedule = [\"1s\"]\n";
const BOUND: Duration = Duration::from_secs(60);

/// The merchant's receiver on loopback: every delivery's headers and body.
struct Merchant(Scripted);

impl Merchant {
    async fn start() -> (Merchant, String) {
        let server = Scripted::receiver().await;
        let url = format!("{}/events", server.base);
        (Merchant(server), url)
    }

    /// How many deliveries verify with `secret`; panics on any that does not (an unsigned or
    /// wrongly signed delivery is never acceptable).
    fn verified(&self, secret: &str) -> usize {
        let secret = Secret::new(secret);
        let got = self.0.seen();
        for seen in &got {
            common::verify_delivery(
                &[&secret],
                &seen.headers,
                seen.body.as_bytes(),
                SystemClock.now(),
            )
            .unwrap_or_else(|e| panic!("a delivery that does not verify: {e}"));
        }
        got.len()
    }
}

fn card(key_suffix: &str) -> (String, Value) {
    (
        format!("k-{key_suffix}"),
        json!({"amount": 5000, "currency": "BRL", "method": "card",
               "customer": {"name": "Maria Silva", "document": "529.982.247-25",
                            "email": "maria@example.com"},
               "card": {"tokens": {"stripe": "pm_card_visa"}}}),
    )
}

/// A charge through serve, then waits until the merchant has `deliveries` verified ones.
async fn charge_and_deliver(stack: &ServeStack, m: &Merchant, secret: &str, n: usize) -> Value {
    let (key, body) = card(&n.to_string());
    let (status, charge) = stack
        .api()
        .post_charge(&key, &body, BOUND)
        .await
        .expect("serve answers");
    assert_eq!(status, 201, "{charge}");
    wait_for("the charge's event is delivered, signed", BOUND, || async {
        let seen = m.verified(secret);
        if seen >= n {
            Ok(())
        } else {
            Err(format!("{seen} deliveries"))
        }
    })
    .await;
    charge
}

/// `webhook endpoint set URL`; returns the new signing secret it shows once.
fn set_endpoint(stack: &ServeStack, url: &str) -> String {
    let set: Value =
        serde_json::from_str(&stack.cli(&["webhook", "endpoint", "set", url, "-o", "json"]))
            .unwrap();
    let secret = set["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    secret
}

/// serve, a charge whose event arrives signed, `kill -9`; again; serve left stopped.
async fn signed_across_a_restart(stack: &mut ServeStack, m: &Merchant, secret: &str) {
    for n in 1..=2 {
        stack.start_serve();
        charge_and_deliver(stack, m, secret, n).await;
        stack.kill_serve();
    }
}

/// `payorch datakey generate`: a new data key (base64).
fn generate(stack: &ServeStack) -> String {
    stack
        .env
        .run(&["datakey", "generate"])
        .ok()
        .trim()
        .to_string()
}

/// The database file and its WAL, as bytes.
fn db_bytes(stack: &ServeStack) -> Vec<u8> {
    let mut bytes = std::fs::read(stack.db()).unwrap();
    bytes.extend(std::fs::read(stack.db().with_extension("db-wal")).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn stack() -> ServeStack {
    let mut stack = ServeStack::new(CONFIG);
    stack.env.allow_private_targets = true;
    stack
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_secrets_are_encrypted_and_survive_restarts_with_the_key_from_the_env() {
    let mut stack = stack();
    let (merchant, url) = Merchant::start().await;
    let secret = set_endpoint(&stack, &url);

    signed_across_a_restart(&mut stack, &merchant, &secret).await;
    // Neither the secret nor its base64 body is anywhere in the database file or its WAL.
    let bytes = db_bytes(&stack);
    let random = secret.trim_start_matches("whsec_");
    assert!(!contains(&bytes, random) && !contains(&bytes, "whsec_"));
    assert!(contains(&bytes, "enc:v1:"), "the sealed value is there");

    // Another key: a clear error naming the stored key, how to provide it, how to recover.
    let show: Value = serde_json::from_str(&stack.cli(&["datakey", "show", "-o", "json"])).unwrap();
    let key_id = show["current"]["id"].as_str().unwrap().to_string();
    assert_eq!(show["source"], "env PAYORCH_DATA_KEY");
    assert_eq!(show["endpoints"][0]["key_id"], key_id.as_str());
    let good_key = stack.env.data_key.clone();
    let other = generate(&stack);
    stack.env.data_key = Some(other.clone());
    let err = stack.env.run(&["webhook", "endpoint", "show"]).fails(5);
    for wanted in [
        key_id.as_str(),
        "PAYORCH_DATA_KEY",
        "payorch datakey import",
        "payorch webhook secret rotate --overlap 0s",
    ] {
        assert!(err.contains(wanted), "{wanted} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    // serve with the wrong key: the event waits (held, with the reason), it is never sent.
    let before = merchant.verified(&secret);
    stack.start_serve();
    let (key, body) = card("wrong-key");
    let (status, _) = stack.api().post_charge(&key, &body, BOUND).await.unwrap();
    assert_eq!(status, 201);
    let log = wait_for("serve says why it cannot sign", BOUND, || async {
        let log = stack.env.serve_log();
        if log.contains("cannot sign webhook deliveries") {
            Ok(log)
        } else {
            Err(log)
        }
    })
    .await;
    assert!(log.contains(&key_id), "{log}");
    assert_eq!(merchant.verified(&secret), before, "nothing delivered");
    stack.kill_serve();

    // Rotating the data key under the env: the new key in PAYORCH_DATA_KEY, the old one in
    // PAYORCH_DATA_KEY_PREVIOUS; `datakey rotate` re-encrypts, after which the old is not needed.
    let rotated = Run::with(
        &stack,
        &[("PAYORCH_DATA_KEY_PREVIOUS", good_key.as_deref().unwrap())],
    )
    .args(&["datakey", "rotate", "-o", "json"]);
    assert_eq!(rotated["endpoints_reencrypted"], 1, "{rotated}");
    let show: Value = serde_json::from_str(&stack.cli(&["datakey", "show", "-o", "json"])).unwrap();
    assert_ne!(show["endpoints"][0]["key_id"], key_id.as_str());
    let shown: Value = serde_json::from_str(
        &stack.cli(&["webhook", "endpoint", "show", "--reveal", "-o", "json"]),
    )
    .unwrap();
    assert_eq!(
        shown["secret"],
        secret.as_str(),
        "the signing secret itself is unchanged"
    );
    stack.start_serve();
    // (The held event follows once its hold ends; it is signed too, or `verified` panics.)
    charge_and_deliver(&stack, &merchant, &secret, before + 1).await;
}

/// `payorch ARGS…` on the stack with extra environment variables; asserts success, parses JSON.
struct Run<'a> {
    stack: &'a ServeStack,
    vars: &'a [(&'a str, &'a str)],
}

impl<'a> Run<'a> {
    fn with(stack: &'a ServeStack, vars: &'a [(&'a str, &'a str)]) -> Self {
        Run { stack, vars }
    }

    fn args(&self, args: &[&str]) -> Value {
        let out = self
            .stack
            .env
            .cmd()
            .args(["--config", &self.stack.config])
            .args(args)
            .envs(self.vars.iter().copied())
            .output()
            .unwrap();
        common::Run(out).json()
    }
}

/// Removes the env's data key entry from the OS keyring, also when the test fails.
struct KeyringEntry(String);

impl Drop for KeyringEntry {
    fn drop(&mut self) {
        let keyring = payorch::credentials::OsKeyring::new(&[("HOME", "/nonexistent")]);
        let _ = keyring.delete_entry(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_key_in_the_keyring_is_created_once_survives_restarts_and_rotates() {
    let mut stack = stack();
    stack.env.data_key = None;
    let _cleanup = KeyringEntry(stack.env.keyring_account());
    let (merchant, url) = Merchant::start().await;
    let secret = set_endpoint(&stack, &url);
    let show: Value = serde_json::from_str(&stack.cli(&["datakey", "show", "-o", "json"])).unwrap();
    assert!(
        show["source"].as_str().unwrap().contains("keyring"),
        "{show}"
    );
    let first = show["current"]["id"].as_str().unwrap().to_string();
    assert_eq!(show["endpoints"][0]["key_id"], first.as_str());

    signed_across_a_restart(&mut stack, &merchant, &secret).await;

    // The backup: --reveal prints the key, which decrypts as PAYORCH_DATA_KEY too.
    let revealed: Value =
        serde_json::from_str(&stack.cli(&["datakey", "show", "--reveal", "-o", "json"])).unwrap();
    let backup = revealed["current"]["key"].as_str().unwrap().to_string();

    // Rotation: a new key, every secret re-encrypted, the old key retired.
    let rotated: Value =
        serde_json::from_str(&stack.cli(&["datakey", "rotate", "-o", "json"])).unwrap();
    assert_eq!(rotated["endpoints_reencrypted"], 1, "{rotated}");
    assert_eq!(rotated["retired"], json!([first]));
    let show: Value = serde_json::from_str(&stack.cli(&["datakey", "show", "-o", "json"])).unwrap();
    let second = show["current"]["id"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(show["previous"], json!([]));
    assert_eq!(show["endpoints"][0]["key_id"], second.as_str());
    stack.start_serve();
    charge_and_deliver(&stack, &merchant, &secret, 3).await;
    stack.kill_serve();

    // The keyring lost the key (a reboot): a clear error; the old backup no longer helps after
    // the rotation, a backup of the current key does (`datakey import`).
    let current_backup: Value =
        serde_json::from_str(&stack.cli(&["datakey", "show", "--reveal", "-o", "json"])).unwrap();
    let current_backup = current_backup["current"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let keyring = payorch::credentials::OsKeyring::new(&[("HOME", "/nonexistent")]);
    assert!(keyring.delete_entry(&stack.env.keyring_account()).unwrap());
    let err = stack.env.run(&["webhook", "endpoint", "show"]).fails(5);
    assert!(err.contains(&second) && err.contains("keyring"), "{err}");
    let mut import = stack.env.cmd();
    import
        .args(["datakey", "import"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = import.spawn().unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(current_backup.as_bytes())
        .unwrap();
    common::Run(child.wait_with_output().unwrap()).ok();
    assert_ne!(backup, current_backup);
    let shown: Value = serde_json::from_str(
        &stack.cli(&["webhook", "endpoint", "show", "--reveal", "-o", "json"]),
    )
    .unwrap();
    assert_eq!(shown["secret"], secret.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_key_is_recovered_by_rotating_the_endpoint_secret() {
    let stack = stack();
    stack.cli(&["webhook", "endpoint", "set", "http://127.0.0.1:9/events"]);
    let mut env = stack.env.cmd();
    let other = generate(&stack);
    env.env("PAYORCH_DATA_KEY", &other)
        .args(["--config", &stack.config])
        .args([
            "webhook",
            "secret",
            "rotate",
            "--overlap",
            "24h",
            "-o",
            "json",
        ]);
    let rotated = common::Run(env.output().unwrap()).json();
    assert!(rotated["secret"].as_str().unwrap().starts_with("whsec_"));
    assert!(rotated.get("previous_secret").is_none(), "{rotated}");
    let mut show = stack.env.cmd();
    show.env("PAYORCH_DATA_KEY", &other).args([
        "--config",
        &stack.config,
        "webhook",
        "endpoint",
        "show",
    ]);
    common::Run(show.output().unwrap()).ok();
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_is_private_and_wider_modes_are_reported_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = stack();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&stack.env.data_dir()), 0o700);
    assert_eq!(mode(&stack.db()), 0o600);
    let quiet = stack.env.run(&["tenant", "list"]);
    quiet.ok();
    assert!(!quiet.stderr().contains("chmod"), "{}", quiet.stderr());

    std::fs::set_permissions(stack.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(stack.env.data_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = stack.env.run(&["tenant", "list"]);
    run.ok();
    let db = stack.db().display().to_string();
    let dir = stack.env.data_dir().display().to_string();
    assert!(
        run.stderr().contains(&format!("chmod 600 {db}")),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains(&format!("chmod 700 {dir}")),
        "{}",
        run.stderr()
    );
    stack.start_serve();
    let log = stack.env.serve_log();
    assert!(
        log.contains("WARN") && log.contains(&format!("chmod 600 {db}")),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_masked_in_listings_and_inbound_bodies_are_redacted_then_pruned() {
    let mut stack = stack();
    stack.start_serve();
    let (key, body) = card("pii");
    let api = stack.api();
    let (status, charge) = api.post_charge(&key, &body, BOUND).await.unwrap();
    assert_eq!(status, 201, "{charge}");
    let id = charge["id"].as_str().unwrap().to_string();
    // The charge's own endpoint returns what the merchant sent; the listing does not.
    let (_, got) = api.get_charge(&id).await.unwrap();
    assert_eq!(got["customer"]["document"]["number"], "52998224725");
    let listed = api
        .http
        .get(format!("{}/v1/charges", api.url))
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let listed: Value = serde_json::from_slice(&listed).unwrap();
    assert_eq!(
        listed["data"][0]["customer"]["document"]["number"],
        "***.982.247-**"
    );
    // The CLI: tables and JSON alike.
    let text = stack.cli(&["charge", "get", &id]);
    assert!(
        text.contains("***.982.247-**") && !text.contains("982.247-25"),
        "{text}"
    );
    for args in [
        vec!["charge", "list", "-o", "json"],
        vec!["charge", "get", &id, "-o", "json"],
    ] {
        let out = stack.cli(&args);
        assert!(
            out.contains("***.982.247-**") && !out.contains("52998224725"),
            "{out}"
        );
    }

    // A Stripe webhook carrying a payer's document, name and e-mail (signed the Stripe way).
    let event = json!({"id": "evt_pii_1", "object": "event", "type": "payment_intent.succeeded",
        "created": SystemClock.now().unix_seconds(),
        "data": {"object": {"id": "pi_ghost", "object": "payment_intent", "status": "succeeded",
            "amount": 1990, "currency": "brl", "receipt_email": "maria@example.com",
            "description": "pedido de 529.982.247-25",
            "billing_details": {"name": "Maria Silva", "email": "maria@example.com"},
            "metadata": {"payorch_charge_id": "ch_ghost"}}}})
    .to_string();
    let http = api.http.clone();
    let post = |url: String| {
        let (http, event) = (http.clone(), event.clone());
        async move {
            let t = SystemClock.now().unix_seconds();
            let secret = Secret::new(payorch::sandbox::stripe::SANDBOX_WEBHOOK_SECRET);
            let v1 = payorch::gateway::stripe::webhook_signature(&secret, t, event.as_bytes());
            http.post(format!("{url}/webhooks/default/stripe"))
                .header("content-type", "application/json")
                .header("stripe-signature", format!("t={t},v1={v1}"))
                .body(event.clone())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(post(stack.serve.as_ref().unwrap().url.clone()).await, 200);
    let db = stack.db();
    let stored = || async {
        let store = SqliteStore::open(&db).unwrap();
        store
            .get_inbound(
                &TenantId::default_tenant(),
                payorch::model::GatewayId::Stripe,
                "evt_pii_1",
            )
            .await
            .unwrap()
            .expect("recorded")
    };
    let record = stored().await;
    for pii in ["529.982.247-25", "Maria", "maria@example.com"] {
        assert!(!record.body.contains(pii), "{pii} in {}", record.body);
    }
    assert!(record.body.contains("pi_ghost") && record.body.contains("ch_ghost"));

    // A retention of 1s: the next serve prunes the body at start and keeps the record, so a
    // late redelivery is still a duplicate.
    stack.kill_serve();
    std::fs::write(
        &stack.config,
        format!("{CONFIG}[retention]\ninbound_bodies = \"1s\"\n"),
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    stack.start_serve();
    wait_for("serve prunes the old body", BOUND, || async {
        let body = stored().await.body;
        if body.is_empty() { Ok(()) } else { Err(body) }
    })
    .await;
    assert_eq!(post(stack.serve.as_ref().unwrap().url.clone()).await, 200);
    let after = stored().await;
    assert_eq!(
        (after.id, after.body.as_str()),
        (record.id, ""),
        "deduplicated, not stored anew"
    );
}
