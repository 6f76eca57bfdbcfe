//! Gateway credentials: which secret fields each gateway needs, where their values come from
//! (a `PAYORCH_<GATEWAY>_<FIELD>` environment variable wins over the OS keyring), and the OS
//! keyring store itself. Values only ever travel as [`Secret`]; no error here carries one.
//! No prompting or printing: that is `commands/gateway.rs`. Non-secret gateway settings
//! (base URLs, certificate paths, timeouts) belong to the config file, not here.

#[cfg(target_os = "linux")]
mod keyutils;
mod os_keyring;

use std::fmt;

use crate::config::Env;
use crate::model::{GatewayId, TenantId};
use crate::secret::Secret;

pub use os_keyring::{KeyringKind, OsKeyring};

/// The keyring service name every payorch credential is stored under.
pub const KEYRING_SERVICE: &str = "payorch";
/// The longest secret accepted, in characters (far above any gateway's, far below the
/// keyutils limit of 32 KiB per key).
const MAX_VALUE_CHARS: usize = 4096;

/// One secret a gateway adapter needs.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// snake_case; also the tail of its environment variable.
    pub name: &'static str,
    /// One line for prompts and help.
    pub description: &'static str,
    /// A value must start with one of these; empty: any value.
    pub prefixes: &'static [&'static str],
    /// How many leading characters `show` may reveal (see [`Secret::hint`]): the
    /// well-known prefix, never the random part.
    pub hint_chars: usize,
}

const STRIPE: &[FieldSpec] = &[
    FieldSpec {
        name: "secret_key",
        description: "Stripe secret key (sk_live_… or sk_test_…, or a restricted rk_… key)",
        prefixes: &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        hint_chars: 8,
    },
    FieldSpec {
        name: "webhook_secret",
        description: "Stripe webhook endpoint signing secret (whsec_…)",
        prefixes: &["whsec_"],
        hint_chars: 6,
    },
];

const EFI: &[FieldSpec] = &[
    FieldSpec {
        name: "client_id",
        description: "Efí OAuth2 client id (Client_Id_…)",
        prefixes: &[],
        hint_chars: 10,
    },
    FieldSpec {
        name: "client_secret",
        description: "Efí OAuth2 client secret (Client_Secret_…)",
        prefixes: &[],
        hint_chars: 14,
    },
    FieldSpec {
        name: "webhook_hmac",
        description: "shared secret Efí webhooks carry in the `hmac` query parameter",
        prefixes: &[],
        hint_chars: 0,
    },
];

const ASAAS: &[FieldSpec] = &[
    FieldSpec {
        name: "api_key",
        description: "Asaas API key ($aact_…, the $ included)",
        prefixes: &["$aact_"],
        hint_chars: 11,
    },
    FieldSpec {
        name: "webhook_token",
        description: "Asaas webhook auth token (the asaas-access-token header value)",
        prefixes: &[],
        hint_chars: 0,
    },
];

/// The secret fields `gateway` needs, in prompt order.
pub fn fields(gateway: GatewayId) -> &'static [FieldSpec] {
    match gateway {
        GatewayId::Stripe => STRIPE,
        GatewayId::Efi => EFI,
        GatewayId::Asaas => ASAAS,
    }
}

/// The field called `name` (case-insensitive), or an error listing the gateway's fields.
pub fn field(gateway: GatewayId, name: &str) -> Result<&'static FieldSpec, CredentialError> {
    let wanted = name.trim().to_ascii_lowercase();
    fields(gateway)
        .iter()
        .find(|f| f.name == wanted)
        .ok_or_else(|| CredentialError::UnknownField {
            gateway,
            field: name.to_string(),
            expected: field_names(gateway),
        })
}

fn field_names(gateway: GatewayId) -> String {
    fields(gateway)
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `PAYORCH_STRIPE_SECRET_KEY`: the variable that overrides the keyring for one field.
pub fn env_var(gateway: GatewayId, field: &FieldSpec) -> String {
    format!("PAYORCH_{}_{}", gateway.as_str(), field.name).to_ascii_uppercase()
}

/// `acme/stripe/secret_key`: the keyring account (user) name for one field of one tenant.
/// Tenant ids, gateway ids and field names never contain `/` or `@`, so names cannot collide.
pub fn account(tenant: &TenantId, gateway: GatewayId, field: &FieldSpec) -> String {
    format!("{tenant}/{gateway}/{}", field.name)
}

impl FieldSpec {
    /// Checks a value's shape; the error names the field and the problem, never the value.
    pub fn check(&self, gateway: GatewayId, value: &Secret) -> Result<(), CredentialError> {
        self.problem(value.expose()).map_or(Ok(()), |problem| {
            Err(CredentialError::Invalid {
                gateway,
                field: self.name,
                problem,
            })
        })
    }

    fn problem(&self, value: &str) -> Option<String> {
        if value.is_empty() {
            return Some("is empty".into());
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            return Some(format!("is longer than {MAX_VALUE_CHARS} characters"));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Some(
                "contains spaces, line breaks or control characters; copy the value again".into(),
            );
        }
        if !self.prefixes.is_empty() && !self.prefixes.iter().any(|p| value.starts_with(p)) {
            let mut list: Vec<String> = self.prefixes.iter().map(|p| format!("`{p}`")).collect();
            let last = list.pop().unwrap_or_default();
            return Some(match list.is_empty() {
                true => format!("must start with {last}"),
                false => format!("must start with {} or {last}", list.join(", ")),
            });
        }
        None
    }

    /// A hint to recognise the value by: its well-known prefix at most.
    pub fn hint(&self, value: &Secret) -> String {
        value.hint(self.hint_chars)
    }
}

/// Why credentials could not be read, checked or stored. No message contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("gateway `{gateway}` has no credential field `{field}` (expected one of: {expected})")]
    UnknownField {
        gateway: GatewayId,
        field: String,
        expected: String,
    },
    #[error("{gateway} {field} {problem}")]
    Invalid {
        gateway: GatewayId,
        field: &'static str,
        problem: String,
    },
    #[error("line {line}: {source}")]
    Line {
        line: usize,
        source: Box<CredentialError>,
    },
    #[error("line {line}: expected `field=value` (fields: {expected})")]
    Malformed { line: usize, expected: String },
    #[error("{gateway} {field} is given twice (line {line})")]
    Duplicate {
        gateway: GatewayId,
        field: &'static str,
        line: usize,
    },
    #[error("environment variable {var}: {problem}")]
    InvalidEnv { var: String, problem: String },
    #[error(
        "{gateway} {field} is not set for tenant `{tenant}`: run `payorch gateway credentials set {gateway} --tenant {tenant}`, or set {env_var}"
    )]
    Missing {
        tenant: TenantId,
        gateway: GatewayId,
        field: &'static str,
        env_var: String,
    },
    #[error("no keyring available: {reason}; set {env_var} instead")]
    NoKeyring { reason: String, env_var: String },
    #[error(
        "the {keyring} refused access to `{account}` ({reason}): unlock it, or set {env_var} instead"
    )]
    Locked {
        keyring: KeyringKind,
        account: String,
        reason: String,
        env_var: String,
    },
    #[error(
        "the {keyring} entry `{account}` is not valid text; store it again with `payorch gateway credentials set {gateway} --field {field}`"
    )]
    Corrupt {
        keyring: KeyringKind,
        account: String,
        gateway: GatewayId,
        field: &'static str,
    },
    #[error("the {keyring} could not {op} `{account}`: {reason}")]
    Keyring {
        keyring: KeyringKind,
        op: &'static str,
        account: String,
        reason: String,
    },
}

/// Where a credential's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The OS keyring (`payorch gateway credentials set`).
    Keyring,
    /// This environment variable, which overrides the keyring.
    Env(String),
    /// The test credentials a `payorch sandbox` advertises (`--sandbox URL`).
    Sandbox,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Keyring => f.write_str("keyring"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Sandbox => f.write_str("sandbox"),
        }
    }
}

/// One field after resolution: its value, if any, and where it came from.
#[derive(Debug)]
pub struct ResolvedField {
    pub spec: &'static FieldSpec,
    pub value: Option<(Secret, Source)>,
}

/// A gateway's credentials for one tenant.
#[derive(Debug)]
pub struct Credentials {
    pub tenant: TenantId,
    pub gateway: GatewayId,
    /// Every field of the gateway, in [`fields`] order, set or not.
    pub fields: Vec<ResolvedField>,
}

impl Credentials {
    /// The value of `field`, if set.
    pub fn get(&self, field: &str) -> Option<&Secret> {
        self.entry(field).map(|(s, _)| s)
    }

    /// Where `field`'s value came from, if set.
    pub fn source(&self, field: &str) -> Option<&Source> {
        self.entry(field).map(|(_, src)| src)
    }

    /// The value of `field`, or an error telling the operator how to set it.
    pub fn require(&self, field: &str) -> Result<&Secret, CredentialError> {
        let spec = self::field(self.gateway, field)?;
        self.get(field).ok_or_else(|| CredentialError::Missing {
            tenant: self.tenant.clone(),
            gateway: self.gateway,
            field: spec.name,
            env_var: env_var(self.gateway, spec),
        })
    }

    fn entry(&self, field: &str) -> Option<&(Secret, Source)> {
        self.fields
            .iter()
            .find(|f| f.spec.name == field)
            .and_then(|f| f.value.as_ref())
    }
}

/// Where credentials are kept: one secret per (tenant, gateway, field).
pub trait CredentialStore: Send + Sync {
    /// The value, or `None` if it was never set (or was deleted).
    fn get(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
    ) -> Result<Option<Secret>, CredentialError>;
    /// Stores (or replaces) the value.
    fn set(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
        value: &Secret,
    ) -> Result<(), CredentialError>;
    /// Removes the value; `false` if there was none.
    fn delete(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        field: &'static FieldSpec,
    ) -> Result<bool, CredentialError>;
}

/// Every field of `gateway` for `tenant`: an environment variable wins over the store, and the
/// store is not consulted for a field the environment provides (so a server with no keyring
/// runs on env vars alone). Values from either source are checked like `set` checks them.
pub fn resolve(
    store: &dyn CredentialStore,
    env: &dyn Env,
    tenant: &TenantId,
    gateway: GatewayId,
) -> Result<Credentials, CredentialError> {
    let mut resolved = Vec::new();
    for spec in fields(gateway) {
        let var = env_var(gateway, spec);
        let value = match env.var(&var) {
            Some(raw) => {
                let value = Secret::new(raw.trim());
                spec.problem(value.expose()).map_or(Ok(()), |problem| {
                    Err(CredentialError::InvalidEnv {
                        var: var.clone(),
                        problem,
                    })
                })?;
                Some((value, Source::Env(var)))
            }
            None => store
                .get(tenant, gateway, spec)?
                .map(|value| (value, Source::Keyring)),
        };
        resolved.push(ResolvedField { spec, value });
    }
    Ok(Credentials {
        tenant: tenant.clone(),
        gateway,
        fields: resolved,
    })
}

/// Parses credentials written as `field=value` lines (blank lines and `#` comments ignored).
/// With `only`, every line must set that field, and a bare value (no `field=`) is that field's
/// value. Every value is checked; one bad line refuses the whole input.
pub fn parse_lines(
    gateway: GatewayId,
    only: Option<&'static FieldSpec>,
    text: &str,
) -> Result<Vec<(&'static FieldSpec, Secret)>, CredentialError> {
    let mut values: Vec<(&'static FieldSpec, Secret, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let at_line = |source: CredentialError| CredentialError::Line {
            line,
            source: Box::new(source),
        };
        let (spec, value) = match (only, trimmed.split_once('=')) {
            (Some(spec), Some((name, value))) if name.trim() == spec.name => (spec, value),
            (Some(spec), _) => (spec, trimmed),
            (None, Some((name, value))) => (field(gateway, name.trim()).map_err(at_line)?, value),
            (None, None) => {
                return Err(CredentialError::Malformed {
                    line,
                    expected: field_names(gateway),
                });
            }
        };
        let value = Secret::new(value.trim());
        spec.check(gateway, &value).map_err(at_line)?;
        if values.iter().any(|(s, _, _)| s.name == spec.name) {
            return Err(CredentialError::Duplicate {
                gateway,
                field: spec.name,
                line,
            });
        }
        values.push((spec, value, line));
    }
    Ok(values.into_iter().map(|(s, v, _)| (s, v)).collect())
}

/// Checks every value, then stores them all. If the store fails part-way, the fields already
/// written are put back as they were, so a failed call changes nothing.
pub fn store_all(
    store: &dyn CredentialStore,
    tenant: &TenantId,
    gateway: GatewayId,
    values: &[(&'static FieldSpec, Secret)],
) -> Result<(), CredentialError> {
    for (spec, value) in values {
        spec.check(gateway, value)?;
    }
    let mut previous = Vec::with_capacity(values.len());
    for (spec, _) in values {
        previous.push((*spec, store.get(tenant, gateway, spec)?));
    }
    for (written, (spec, value)) in values.iter().enumerate() {
        if let Err(err) = store.set(tenant, gateway, spec, value) {
            for (spec, old) in &previous[..written] {
                // Best effort: the original error is the one worth reporting.
                let _ = match old {
                    Some(old) => store.set(tenant, gateway, spec, old),
                    None => store.delete(tenant, gateway, spec).map(|_| ()),
                };
            }
            return Err(err);
        }
    }
    Ok(())
}

/// Deletes `specs` from the store; returns the names of those that were set.
pub fn delete_all(
    store: &dyn CredentialStore,
    tenant: &TenantId,
    gateway: GatewayId,
    specs: &[&'static FieldSpec],
) -> Result<Vec<&'static str>, CredentialError> {
    let mut deleted = Vec::new();
    for spec in specs {
        if store.delete(tenant, gateway, spec)? {
            deleted.push(spec.name);
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
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
}
