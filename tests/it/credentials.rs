//! `payorch gateway credentials` against the real OS keyring: on Linux without a D-Bus
//! session that is the kernel keyutils store, which works on a headless CI machine. Each test
//! uses its own tenant (random suffix) so runs never collide in the shared keyring, and
//! deletes what it stored even when it fails.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{Env, Run};
use payorch::credentials::{self, CredentialStore, OsKeyring};
use payorch::model::{GatewayId, TenantId};

/// A tenant id no other run of these tests uses.
fn unique_tenant(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "cred-{label}-{:x}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The keyring these tests use: no D-Bus session, so the kernel keyutils store on Linux.
fn keyring() -> OsKeyring {
    OsKeyring::new(&[("HOME", "/nonexistent")])
}

/// One test's tenant, created in a fresh data dir; its keyring entries go when it drops.
struct Tenant {
    env: Env,
    id: String,
}

impl Tenant {
    fn new(label: &str) -> Self {
        let env = Env::new();
        let id = unique_tenant(label);
        env.run(&["tenant", "create", &id]).ok();
        Tenant { env, id }
    }

    /// `payorch --tenant <id> ARGS…`, with no D-Bus session and stdin `input`.
    fn run_with(&self, args: &[&str], input: &str, vars: &[(&str, &str)]) -> Run {
        let mut cmd: Command = self.env.cmd();
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
            .arg("--tenant")
            .arg(&self.id)
            .args(args)
            .envs(vars.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn payorch");
        let mut stdin = child.stdin.take().expect("stdin");
        // The child may exit before reading (e.g. a usage error): a broken pipe is fine.
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        Run(child.wait_with_output().expect("wait for payorch"))
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, "", &[])
    }

    fn show(&self, gateway: &str) -> serde_json::Value {
        self.run(&["gateway", "credentials", "show", gateway, "-o", "json"])
            .json()
    }

    /// What the OS keyring holds for each of `gateway`'s fields, read by this process.
    fn stored(&self, gateway: GatewayId) -> Vec<Option<String>> {
        let keyring = keyring();
        credentials::fields(gateway)
            .iter()
            .map(|field| {
                keyring
                    .get(&self.tenant_id(), gateway, field)
                    .expect("read the keyring")
                    .map(|s| s.expose().to_string())
            })
            .collect()
    }

    fn tenant_id(&self) -> TenantId {
        TenantId::parse(&self.id).expect("tenant id")
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        let keyring = keyring();
        let tenant = self.tenant_id();
        for gateway in GatewayId::ALL {
            for field in credentials::fields(gateway) {
                let _ = keyring.delete(&tenant, gateway, field);
            }
        }
    }
}

/// `(field, set, source, hint)` per field of a `show -o json`.
fn statuses(show: &serde_json::Value) -> Vec<(String, bool, String, String)> {
    show["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap_or_default().to_string(),
                f["set"].as_bool().unwrap_or_default(),
                f["source"].as_str().unwrap_or("-").to_string(),
                f["hint"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[track_caller]
fn assert_no_secret(run: &Run, secrets: &[&str]) {
    for secret in secrets {
        for (name, text) in [("stdout", run.stdout()), ("stderr", run.stderr())] {
            assert!(!text.contains(secret), "{name} shows a secret:\n{text}");
        }
    }
}

#[test]
fn credentials_round_trip_through_the_os_keyring() {
    let t = Tenant::new("trip");
    let suffix = unique_tenant("s").replace('-', "");
    let secret_key = format!("sk_test_{suffix}Secret");
    let webhook_secret = format!("whsec_{suffix}Webhook");
    let secrets = [secret_key.as_str(), webhook_secret.as_str()];

    // Set from stdin, with a comment and a blank line.
    let input =
        format!("# test mode\n\nsecret_key={secret_key}\nwebhook_secret = {webhook_secret}\n");
    let set = t.run_with(&["gateway", "credentials", "set", "stripe"], &input, &[]);
    let out = set.ok();
    assert!(
        out.contains("secret_key") && out.contains("stored"),
        "{out}"
    );
    #[cfg(target_os = "linux")]
    assert!(
        set.stderr().contains("kernel keyutils keyring"),
        "{}",
        set.stderr()
    );
    assert_no_secret(&set, &secrets);

    // A new process finds both in the keyring, masked.
    let show = t.show("stripe");
    #[cfg(target_os = "linux")]
    assert_eq!(show["keyring"], "keyutils");
    assert_eq!(
        statuses(&show),
        [
            (
                "secret_key".into(),
                true,
                "keyring".into(),
                "sk_test_…".into()
            ),
            (
                "webhook_secret".into(),
                true,
                "keyring".into(),
                "whsec_…".into()
            ),
        ]
    );
    let table = t.run(&["gateway", "credentials", "show", "stripe"]);
    let text = table.ok();
    assert!(
        text.contains("sk_test_…") && text.contains("keyring"),
        "{text}"
    );
    assert_no_secret(&table, &secrets);
    let json = t.run(&["gateway", "credentials", "show", "stripe", "-o", "json"]);
    assert_no_secret(&json, &secrets);

    // The exact values, read back by this process from the OS store.
    assert_eq!(
        t.stored(GatewayId::Stripe),
        [Some(secret_key.clone()), Some(webhook_secret.clone())]
    );

    // An environment variable overrides the keyring, and says so.
    let env_key = format!("sk_live_{suffix}FromEnv");
    let vars = [("PAYORCH_STRIPE_SECRET_KEY", env_key.as_str())];
    let show = t.run_with(
        &["gateway", "credentials", "show", "stripe", "-o", "json"],
        "",
        &vars,
    );
    let v = show.json();
    assert_eq!(v["fields"][0]["source"], "env");
    assert_eq!(v["fields"][0]["env_var"], "PAYORCH_STRIPE_SECRET_KEY");
    assert_eq!(v["fields"][0]["hint"], "sk_live_…");
    assert_eq!(v["fields"][1]["source"], "keyring");
    assert_no_secret(&show, &[&env_key, &webhook_secret]);
    let table = t.run_with(&["gateway", "credentials", "show", "stripe"], "", &vars);
    assert!(
        table.ok().contains("env PAYORCH_STRIPE_SECRET_KEY"),
        "{}",
        table.stdout()
    );

    // Set one field only, from a bare value; the other is untouched.
    let rotated = format!("whsec_{suffix}Rotated");
    let set = t.run_with(
        &[
            "gateway",
            "credentials",
            "set",
            "stripe",
            "--field",
            "webhook_secret",
        ],
        &format!("{rotated}\n"),
        &[],
    );
    set.ok();
    assert_no_secret(&set, &[&rotated]);
    assert_eq!(
        t.stored(GatewayId::Stripe),
        [Some(secret_key.clone()), Some(rotated.clone())]
    );

    // Delete one field, then the rest.
    let del = t
        .run(&[
            "gateway",
            "credentials",
            "delete",
            "stripe",
            "--field",
            "webhook_secret",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(del["changed"], serde_json::json!(["webhook_secret"]));
    let show = t.show("stripe");
    assert!(statuses(&show)[0].1);
    assert!(!statuses(&show)[1].1);
    let del = t
        .run(&["gateway", "credentials", "delete", "stripe", "-o", "json"])
        .json();
    assert_eq!(del["changed"], serde_json::json!(["secret_key"]));
    let show = t.show("stripe");
    assert!(
        statuses(&show)
            .iter()
            .all(|(_, set, source, hint)| !set && source == "-" && hint == "-")
    );
    assert_eq!(t.stored(GatewayId::Stripe), [None, None]);

    // Every change is audited with field names, never values.
    let audit = t.run(&["audit", "list", "--tenant", &t.id, "-o", "json"]);
    let text = audit.ok();
    assert_no_secret(&audit, &[&secret_key, &webhook_secret, &rotated]);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let entries: Vec<(&str, &str, String)> = v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default(),
                e["target"].as_str().unwrap_or_default(),
                e["detail"]["fields"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        entries[..4],
        [
            (
                "credentials.delete",
                "stripe",
                r#"["secret_key","webhook_secret"]"#.to_string()
            ),
            (
                "credentials.delete",
                "stripe",
                r#"["webhook_secret"]"#.to_string()
            ),
            (
                "credentials.set",
                "stripe",
                r#"["webhook_secret"]"#.to_string()
            ),
            (
                "credentials.set",
                "stripe",
                r#"["secret_key","webhook_secret"]"#.to_string()
            ),
        ]
    );
}

#[test]
fn bad_input_is_a_usage_error_and_stores_nothing() {
    let t = Tenant::new("bad");
    let set = |gateway: &str, input: &str, extra: &[&str]| {
        let mut args = vec!["gateway", "credentials", "set", gateway];
        args.extend_from_slice(extra);
        t.run_with(&args, input, &[])
    };
    let valid_whsec = "whsec_validWebhookSecret0123";

    let run = set("paypal", "secret_key=sk_test_x\n", &[]);
    let err = run.fails(2);
    assert!(
        err.contains("paypal") && err.contains("stripe, efi, asaas"),
        "{err}"
    );

    let run = set(
        "stripe",
        &format!("api_key=sk_test_abcdef0123\nwebhook_secret={valid_whsec}\n"),
        &[],
    );
    let err = run.fails(2);
    assert!(
        err.contains("line 1")
            && err.contains("`api_key`")
            && err.contains("secret_key, webhook_secret"),
        "{err}"
    );
    assert_no_secret(&run, &["sk_test_abcdef0123"]);

    let err = set("stripe", valid_whsec, &["--field", "nope"]).fails(2);
    assert!(err.contains("--field") && err.contains("`nope`"), "{err}");

    // A publishable key is not a secret key; the valid line after it is not stored either.
    let run = set(
        "stripe",
        &format!("webhook_secret={valid_whsec}\nsecret_key=pk_test_publishable999\n"),
        &[],
    );
    let err = run.fails(2);
    assert!(
        err.contains("line 2") && err.contains("secret_key must start with `sk_live_`"),
        "{err}"
    );
    assert_no_secret(&run, &["pk_test_publishable999", valid_whsec]);

    let err = set("stripe", "secret_key=\n", &[]).fails(2);
    assert!(err.contains("secret_key is empty"), "{err}");

    // A line without `=` is refused without echoing it.
    let run = set("asaas", "$aact_prod_lineWithoutFieldName\n", &[]);
    let err = run.fails(2);
    assert!(err.contains("expected `field=value`"), "{err}");
    assert_no_secret(&run, &["lineWithoutFieldName"]);

    let err = set("efi", "\n# only a comment\n", &[]).fails(2);
    assert!(err.contains("no credentials"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // Nothing was stored, nothing was audited.
    for gateway in ["stripe", "efi", "asaas"] {
        let show = t.show(gateway);
        assert!(
            statuses(&show).iter().all(|(_, set, _, _)| !set),
            "{gateway}: {show}"
        );
    }
    let audit = t
        .run(&["audit", "list", "--tenant", &t.id, "-o", "json"])
        .json();
    assert!(
        audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["action"] == "tenant.create"),
        "{audit}"
    );

    // An unknown tenant is not found; a bad env var is a configuration error naming it.
    let err = t
        .env
        .run(&[
            "gateway",
            "credentials",
            "show",
            "stripe",
            "--tenant",
            "ghost",
        ])
        .fails(3);
    assert!(err.contains("ghost"), "{err}");
    let run = t.run_with(
        &["gateway", "credentials", "show", "stripe"],
        "",
        &[("PAYORCH_STRIPE_SECRET_KEY", "pk_live_wrongKindOfKey")],
    );
    let err = run.fails(5);
    assert!(err.contains("PAYORCH_STRIPE_SECRET_KEY"), "{err}");
    assert_no_secret(&run, &["wrongKindOfKey"]);
}

#[test]
fn every_gateway_field_has_its_env_var_and_empty_means_unset() {
    let t = Tenant::new("env");
    let vars = [
        (
            "PAYORCH_EFI_CLIENT_ID",
            "Client_Id_0123456789abcdef0123456789abcdef01234567",
        ),
        (
            "PAYORCH_EFI_CLIENT_SECRET",
            "Client_Secret_0123456789abcdef0123456789abcdef01234567",
        ),
        ("PAYORCH_EFI_WEBHOOK_HMAC", "hmac-shared-0123456789"),
        (
            "PAYORCH_ASAAS_API_KEY",
            "$aact_hmlg_000MzkwODA2MWY2OGM3MWRlMDU2NWM3MzJlNzZmNGZhZGY",
        ),
        ("PAYORCH_ASAAS_WEBHOOK_TOKEN", ""),
    ];
    let efi = t.run_with(
        &["gateway", "credentials", "show", "efi", "-o", "json"],
        "",
        &vars,
    );
    let v = efi.json();
    assert!(
        statuses(&v)
            .iter()
            .all(|(_, set, source, _)| *set && source == "env"),
        "{v}"
    );
    assert_eq!(v["fields"][0]["hint"], "Client_Id_…");
    assert_eq!(
        v["fields"][2]["hint"], "…",
        "operator-chosen secrets show no characters"
    );
    let asaas = t.run_with(
        &["gateway", "credentials", "show", "asaas", "-o", "json"],
        "",
        &vars,
    );
    let v = asaas.json();
    assert_eq!(
        statuses(&v),
        [
            ("api_key".into(), true, "env".into(), "$aact_hmlg_…".into()),
            ("webhook_token".into(), false, "-".into(), "-".into()),
        ]
    );
    for run in [&efi, &asaas] {
        assert_no_secret(run, &["0123456789abcdef", "hmac-shared", "MzkwODA2"]);
    }
}

/// A deleted credential reads as not set at once: the kernel unlinks an invalidated key only
/// when its garbage collector runs, and until then a lookup of it says "revoked" (a `show`
/// right after a `delete` failed that way on a loaded machine). Many rounds, to hit the window.
#[cfg(target_os = "linux")]
#[test]
fn a_deleted_credential_reads_as_not_set_at_once() {
    let keyring = keyring();
    let tenant = TenantId::parse(&unique_tenant("gone")).expect("tenant id");
    let field = credentials::field(GatewayId::Stripe, "secret_key").expect("field");
    for round in 0..200 {
        let value = payorch::secret::Secret::new(format!("sk_test_{round:03}DeletedSoon"));
        keyring
            .set(&tenant, GatewayId::Stripe, field, &value)
            .expect("set");
        assert!(
            keyring
                .delete(&tenant, GatewayId::Stripe, field)
                .expect("delete")
        );
        assert_eq!(
            keyring
                .get(&tenant, GatewayId::Stripe, field)
                .unwrap_or_else(|e| panic!("round {round}: a deleted key must read as unset: {e}"))
                .map(|s| s.expose().to_string()),
            None
        );
        assert!(
            !keyring
                .delete(&tenant, GatewayId::Stripe, field)
                .expect("delete again")
        );
    }
}
