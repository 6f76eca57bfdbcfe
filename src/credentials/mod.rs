//! Gateway credentials: which secret fields each gateway needs, where their values come from
//! (a `PAYORCH_<GATEWAY>_<FIELD>` environment variable wins over the OS keyring), and the OS
//! keyring store itself. Values only ever travel as [`Secret`]; no error here carries one.
//! No prompting or printing: that is `commands/gateway/mod.rs`. Non-secret gateway settings
//! (base URLs, certificate paths, timeouts) belong to the config file, not here.

#[cfg(target_os = "linux")]
mod keyutils;
mod os_keyring;

use std::fmt;

use crate::env::Env;
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
mod tests;
