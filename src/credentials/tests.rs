use std::collections::HashMap;
use std::sync::Mutex;

use super::*;

const SK: &str = "sk_test_51HxYzSECRETpart0123456789";
const WHSEC: &str = "whsec_SECRETwebhookSigning0123456789";

/// An in-memory store that can be told to fail, for the resolution and rollback logic.
#[derive(Default)]
struct MemoryStore {
    values: Mutex<HashMap<String, Secret>>,
    /// Every call fails as if there were no keyring.
    unavailable: bool,
    /// The `set` call with this index (counting from 0) fails; the others succeed.
    failing_set: Option<usize>,
    sets: Mutex<usize>,
}

impl MemoryStore {
    fn with(tenant: &TenantId, gateway: GatewayId, values: &[(&str, &str)]) -> Self {
        let store = MemoryStore::default();
        for (name, value) in values {
            let spec = field(gateway, name).unwrap();
            store
                .set(tenant, gateway, spec, &Secret::new(*value))
                .unwrap();
        }
        store
    }

    fn check(&self, gateway: GatewayId, field: &FieldSpec) -> Result<(), CredentialError> {
        if self.unavailable {
            return Err(CredentialError::NoKeyring {
                reason: "test".into(),
                env_var: env_var(gateway, field),
            });
        }
        Ok(())
    }
}

impl CredentialStore for MemoryStore {
    fn get(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
    ) -> Result<Option<Secret>, CredentialError> {
        self.check(gateway, field)?;
        let values = self.values.lock().unwrap();
        Ok(values.get(&account(tenant, gateway, field)).cloned())
    }

    fn set(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
        value: &Secret,
    ) -> Result<(), CredentialError> {
        self.check(gateway, field)?;
        let mut sets = self.sets.lock().unwrap();
        *sets += 1;
        if self.failing_set == Some(*sets - 1) {
            return Err(CredentialError::Keyring {
                keyring: KeyringKind::Keyutils,
                op: "store",
                account: account(tenant, gateway, field),
                reason: "disk quota exceeded".into(),
            });
        }
        let mut values = self.values.lock().unwrap();
        values.insert(account(tenant, gateway, field), value.clone());
        Ok(())
    }

    fn delete(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
    ) -> Result<bool, CredentialError> {
        self.check(gateway, field)?;
        let mut values = self.values.lock().unwrap();
        Ok(values.remove(&account(tenant, gateway, field)).is_some())
    }
}

fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

#[test]
fn every_field_has_its_documented_env_var() {
    let names: Vec<String> = GatewayId::ALL
        .iter()
        .flat_map(|g| fields(*g).iter().map(|f| env_var(*g, f)))
        .collect();
    assert_eq!(
        names,
        [
            "PAYORCH_STRIPE_SECRET_KEY",
            "PAYORCH_STRIPE_WEBHOOK_SECRET",
            "PAYORCH_EFI_CLIENT_ID",
            "PAYORCH_EFI_CLIENT_SECRET",
            "PAYORCH_EFI_WEBHOOK_HMAC",
            "PAYORCH_ASAAS_API_KEY",
            "PAYORCH_ASAAS_WEBHOOK_TOKEN",
        ]
    );
    let spec = field(GatewayId::Stripe, "secret_key").unwrap();
    assert_eq!(
        account(&acme(), GatewayId::Stripe, spec),
        "acme/stripe/secret_key"
    );
}

#[test]
fn env_var_wins_over_the_keyring() {
    let store = MemoryStore::with(
        &acme(),
        GatewayId::Stripe,
        &[("secret_key", SK), ("webhook_secret", WHSEC)],
    );
    let env = [(
        "PAYORCH_STRIPE_SECRET_KEY",
        "sk_live_fromTheEnvironment0123",
    )];
    let creds = resolve(&store, &env, &acme(), GatewayId::Stripe).unwrap();
    assert_eq!(
        creds.get("secret_key").unwrap().expose(),
        "sk_live_fromTheEnvironment0123"
    );
    assert_eq!(
        creds.source("secret_key"),
        Some(&Source::Env("PAYORCH_STRIPE_SECRET_KEY".into()))
    );
    assert_eq!(creds.get("webhook_secret").unwrap().expose(), WHSEC);
    assert_eq!(creds.source("webhook_secret"), Some(&Source::Keyring));
}

#[test]
fn unset_fields_resolve_to_none_and_require_says_how_to_set_them() {
    let store = MemoryStore::with(&acme(), GatewayId::Stripe, &[("secret_key", SK)]);
    let creds = resolve(&store, &[], &acme(), GatewayId::Stripe).unwrap();
    assert_eq!(creds.fields.len(), 2);
    assert_eq!(creds.get("secret_key").unwrap().expose(), SK);
    assert!(creds.get("webhook_secret").is_none());
    let err = creds.require("webhook_secret").unwrap_err().to_string();
    assert!(
        err.contains("payorch gateway credentials set stripe --tenant acme")
            && err.contains("PAYORCH_STRIPE_WEBHOOK_SECRET"),
        "{err}"
    );
    // Another tenant's credentials are separate.
    let other = TenantId::parse("other").unwrap();
    let creds = resolve(&store, &[], &other, GatewayId::Stripe).unwrap();
    assert!(creds.get("secret_key").is_none());
}

#[test]
fn env_vars_alone_need_no_keyring() {
    let store = MemoryStore {
        unavailable: true,
        ..Default::default()
    };
    let env = [
        ("PAYORCH_STRIPE_SECRET_KEY", SK),
        ("PAYORCH_STRIPE_WEBHOOK_SECRET", WHSEC),
    ];
    let creds = resolve(&store, &env, &acme(), GatewayId::Stripe).unwrap();
    assert_eq!(creds.get("webhook_secret").unwrap().expose(), WHSEC);

    // One field missing from the environment: the keyring error names that variable.
    let env = [("PAYORCH_STRIPE_SECRET_KEY", SK)];
    let err = resolve(&store, &env, &acme(), GatewayId::Stripe)
        .unwrap_err()
        .to_string();
    assert!(err.contains("PAYORCH_STRIPE_WEBHOOK_SECRET"), "{err}");
}

#[test]
fn a_bad_env_var_is_refused_by_name_without_its_value() {
    let store = MemoryStore::default();
    let env = [("PAYORCH_STRIPE_SECRET_KEY", "pk_test_publishableNotSecret")];
    let err = resolve(&store, &env, &acme(), GatewayId::Stripe)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PAYORCH_STRIPE_SECRET_KEY") && err.contains("sk_live_"),
        "{err}"
    );
    assert!(!err.contains("publishableNotSecret"), "{err}");
}

#[test]
fn values_are_checked_and_errors_never_show_them() {
    let stripe_key = field(GatewayId::Stripe, "secret_key").unwrap();
    for bad in [
        "",
        "pk_test_abcdef",
        "sk_test_has space",
        "sk_test_\u{7}bell",
    ] {
        let err = stripe_key
            .check(GatewayId::Stripe, &Secret::new(bad))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("stripe secret_key "), "{err}");
        if !bad.is_empty() {
            assert!(!err.contains(bad), "{err}");
        }
    }
    let long = format!("sk_test_{}", "x".repeat(MAX_VALUE_CHARS));
    assert!(
        stripe_key
            .check(GatewayId::Stripe, &Secret::new(long))
            .is_err()
    );
    assert!(
        stripe_key
            .check(GatewayId::Stripe, &Secret::new(SK))
            .is_ok()
    );
    assert!(
        stripe_key
            .check(GatewayId::Stripe, &Secret::new("rk_live_restricted0123"))
            .is_ok()
    );
    let webhook = field(GatewayId::Stripe, "webhook_secret").unwrap();
    assert!(webhook.check(GatewayId::Stripe, &Secret::new(SK)).is_err());
    let asaas = field(GatewayId::Asaas, "api_key").unwrap();
    assert!(
        asaas
            .check(GatewayId::Asaas, &Secret::new("$aact_prod_000Mz==abc"))
            .is_ok()
    );
    assert!(
        asaas
            .check(GatewayId::Asaas, &Secret::new("aact_prod_0"))
            .is_err()
    );
    let err = field(GatewayId::Efi, "api_key").unwrap_err().to_string();
    assert!(
        err.contains("`api_key`") && err.contains("client_id, client_secret, webhook_hmac"),
        "{err}"
    );
    assert_eq!(stripe_key.hint(&Secret::new(SK)), "sk_test_…");
    let hmac = field(GatewayId::Efi, "webhook_hmac").unwrap();
    assert_eq!(hmac.hint(&Secret::new("operator-chosen-secret")), "…");
}

#[test]
fn lines_parse_with_comments_and_refuse_bad_input_whole() {
    let text = format!("# stripe test mode\n\nsecret_key = {SK}\n  webhook_secret={WHSEC}  \n");
    let values = parse_lines(GatewayId::Stripe, None, &text).unwrap();
    let got: Vec<(&str, &str)> = values.iter().map(|(s, v)| (s.name, v.expose())).collect();
    assert_eq!(got, [("secret_key", SK), ("webhook_secret", WHSEC)]);

    // A value may contain `=`.
    let values = parse_lines(GatewayId::Asaas, None, "api_key=$aact_abc==\n").unwrap();
    assert_eq!(values[0].1.expose(), "$aact_abc==");

    let err = parse_lines(GatewayId::Stripe, None, &format!("{SK}\n"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("line 1: expected `field=value`"), "{err}");
    assert!(!err.contains(SK), "{err}");

    let err = parse_lines(GatewayId::Stripe, None, &format!("# c\napi_key={SK}\n"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("line 2: gateway `stripe` has no credential field `api_key`"));

    let err = parse_lines(GatewayId::Stripe, None, "secret_key=\n")
        .unwrap_err()
        .to_string();
    assert_eq!(err, "line 1: stripe secret_key is empty");

    let text = format!("secret_key={SK}\nsecret_key={SK}\n");
    let err = parse_lines(GatewayId::Stripe, None, &text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("given twice (line 2)"), "{err}");

    assert!(
        parse_lines(GatewayId::Stripe, None, "# nothing\n")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn with_one_field_a_bare_value_or_its_own_name_is_accepted() {
    let spec = field(GatewayId::Stripe, "webhook_secret").unwrap();
    for text in [format!("{WHSEC}\n"), format!("webhook_secret={WHSEC}")] {
        let values = parse_lines(GatewayId::Stripe, Some(spec), &text).unwrap();
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].0.name, "webhook_secret");
        assert_eq!(values[0].1.expose(), WHSEC);
    }
    // Another field's line is not that field's value.
    let err = parse_lines(GatewayId::Stripe, Some(spec), &format!("secret_key={SK}"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("webhook_secret must start with `whsec_`"),
        "{err}"
    );
}

#[test]
fn a_failed_store_puts_back_what_it_had_written() {
    let tenant = acme();
    let mut store = MemoryStore::with(&tenant, GatewayId::Stripe, &[("secret_key", SK)]);
    store.failing_set = Some(2); // after the fixture's set and the new secret_key
    let new_key = Secret::new("sk_live_replacement0123456789");
    let values = [
        (field(GatewayId::Stripe, "secret_key").unwrap(), new_key),
        (
            field(GatewayId::Stripe, "webhook_secret").unwrap(),
            Secret::new(WHSEC),
        ),
    ];
    let err = store_all(&store, &tenant, GatewayId::Stripe, &values).unwrap_err();
    assert!(err.to_string().contains("disk quota"), "{err}");
    let creds = resolve(&store, &[], &tenant, GatewayId::Stripe).unwrap();
    assert_eq!(creds.get("secret_key").unwrap().expose(), SK, "restored");
    assert!(creds.get("webhook_secret").is_none());

    // Invalid values are refused before anything is written.
    let store = MemoryStore::default();
    let values = [
        (
            field(GatewayId::Stripe, "webhook_secret").unwrap(),
            Secret::new(WHSEC),
        ),
        (
            field(GatewayId::Stripe, "secret_key").unwrap(),
            Secret::new("nope"),
        ),
    ];
    assert!(store_all(&store, &tenant, GatewayId::Stripe, &values).is_err());
    assert!(store.values.lock().unwrap().is_empty());
}

#[test]
fn delete_reports_what_was_set() {
    let tenant = acme();
    let store = MemoryStore::with(&tenant, GatewayId::Stripe, &[("secret_key", SK)]);
    let specs: Vec<&'static FieldSpec> = fields(GatewayId::Stripe).iter().collect();
    let deleted = delete_all(&store, &tenant, GatewayId::Stripe, &specs).unwrap();
    assert_eq!(deleted, ["secret_key"]);
    let deleted = delete_all(&store, &tenant, GatewayId::Stripe, &specs).unwrap();
    assert!(deleted.is_empty());
}
