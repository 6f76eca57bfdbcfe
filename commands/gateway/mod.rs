//! `payorch gateway …`: the gateways a tenant routes to. Here `gateway credentials
//! set|show|delete`, a gateway's secrets in the OS keyring (read by no-echo prompt or stdin,
//! never printed); `list|switch|fallback|strategy`, the routing table, are in `gateway/routing.rs`.

mod routing;

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use serde::Serialize;

use payorch::config::{Env, ProcessEnv};
use payorch::credentials::{self, CredentialError, FieldSpec, KeyringKind, OsKeyring};
use payorch::model::{GatewayId, TenantId};
use payorch::secret::Secret;
use payorch::store::{AuditAction, Store};
use payorch::tenancy;

use super::output::or_dash;
use super::{CliError, Ctx, Exit};

/// The most stdin `credentials set` reads: far more than seven secrets need.
const MAX_STDIN_BYTES: u64 = 64 * 1024;

#[derive(Debug, Subcommand)]
pub enum GatewayCommand {
    /// Every gateway: its role in the tenant's routing, whether it is available, what it takes
    List {
        /// Show the gateways a `serve --sandbox URL` uses: the sandbox's test accounts
        #[arg(long, value_name = "URL")]
        sandbox: Option<String>,
    },
    /// Make a gateway the tenant's primary; the old primary becomes the first fallback
    Switch {
        /// stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
    /// Set the tenant's fallbacks, tried in order after the primary
    Fallback {
        /// Comma-separated, in order: efi,asaas
        #[arg(
            value_parser = parse_gateway,
            value_delimiter = ',',
            value_name = "GATEWAY,…",
            required_unless_present = "none",
            conflicts_with = "none"
        )]
        gateways: Vec<GatewayId>,
        /// No fallbacks: charges go to the primary only
        #[arg(long)]
        none: bool,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
    /// How charges order the gateways that can take them: ordered (the table's order) or
    /// cheapest (the [fees] estimate, cheapest first)
    Strategy {
        /// ordered or cheapest
        #[arg(value_parser = parse_strategy)]
        strategy: payorch::routing::Strategy,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
    /// Store, inspect and delete a gateway's secrets (OS keyring; PAYORCH_<GATEWAY>_<FIELD> overrides)
    #[command(subcommand)]
    Credentials(CredentialsCommand),
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Store secrets in the OS keyring: prompts without echo on a terminal, else reads
    /// `field=value` lines from stdin (with --field, a bare value)
    Set {
        /// stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
        /// Set only this field (e.g. secret_key)
        #[arg(long, value_name = "NAME")]
        field: Option<String>,
    },
    /// Show which secrets are set, where each comes from, and a masked hint (never the value)
    Show {
        /// stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
    },
    /// Delete secrets from the OS keyring (every field, or only --field)
    Delete {
        /// stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
        /// Delete only this field (e.g. webhook_secret)
        #[arg(long, value_name = "NAME")]
        field: Option<String>,
    },
}

fn parse_gateway(s: &str) -> Result<GatewayId, String> {
    s.parse()
        .map_err(|e: payorch::model::gateway::UnknownGateway| e.to_string())
}

fn parse_strategy(s: &str) -> Result<payorch::routing::Strategy, String> {
    s.parse()
        .map_err(|e: payorch::routing::UnknownStrategy| e.to_string())
}

pub async fn run(ctx: &Ctx, cmd: GatewayCommand) -> anyhow::Result<()> {
    match cmd {
        GatewayCommand::List { sandbox } => routing::list(ctx, sandbox.as_deref()).await,
        GatewayCommand::Switch { gateway, reason } => routing::switch(ctx, gateway, reason).await,
        GatewayCommand::Fallback {
            gateways, reason, ..
        } => routing::fallback(ctx, gateways, reason).await,
        GatewayCommand::Strategy { strategy, reason } => {
            routing::strategy(ctx, strategy, reason).await
        }
        GatewayCommand::Credentials(cmd) => credentials_command(ctx, cmd).await,
    }
}

async fn credentials_command(ctx: &Ctx, cmd: CredentialsCommand) -> anyhow::Result<()> {
    let keyring = OsKeyring::new(&ProcessEnv);
    match cmd {
        CredentialsCommand::Set { gateway, field } => {
            let only = field_flag(gateway, field.as_deref())?;
            set(ctx, &keyring, gateway, only).await
        }
        CredentialsCommand::Show { gateway } => show(ctx, &keyring, gateway).await,
        CredentialsCommand::Delete { gateway, field } => {
            let only = field_flag(gateway, field.as_deref())?;
            delete(ctx, &keyring, gateway, only).await
        }
    }
}

/// `--field NAME`, checked against the gateway's fields.
fn field_flag(
    gateway: GatewayId,
    name: Option<&str>,
) -> anyhow::Result<Option<&'static FieldSpec>> {
    name.map(|n| credentials::field(gateway, n).map_err(|e| cli(e, "--field")))
        .transpose()
}

/// A credential error as one sentence with the exit code it deserves.
fn cli(err: CredentialError, context: &str) -> anyhow::Error {
    let exit = match &err {
        CredentialError::UnknownField { .. }
        | CredentialError::Invalid { .. }
        | CredentialError::Line { .. }
        | CredentialError::Malformed { .. }
        | CredentialError::Duplicate { .. } => Exit::Usage,
        CredentialError::InvalidEnv { .. } => Exit::Config,
        CredentialError::Missing { .. } => Exit::NotFound,
        CredentialError::NoKeyring { .. } | CredentialError::Locked { .. } => Exit::Unavailable,
        _ => Exit::Failure,
    };
    let message = if context.is_empty() {
        err.to_string()
    } else {
        format!("{context}: {err}")
    };
    CliError::new(exit, message).into()
}

/// The store, and the tenant this invocation acts on, which must exist.
async fn tenant_store(ctx: &Ctx) -> anyhow::Result<(Arc<dyn Store>, &TenantId)> {
    let store = ctx.store().await?;
    let tenant = ctx.tenant();
    tenancy::require_tenant(store.as_ref(), tenant).await?;
    Ok((store, tenant))
}

/// The fields a command acts on: `--field`, or all of the gateway's.
fn selected(gateway: GatewayId, only: Option<&'static FieldSpec>) -> Vec<&'static FieldSpec> {
    match only {
        Some(spec) => vec![spec],
        None => credentials::fields(gateway).iter().collect(),
    }
}

/// Environment variables among `specs` that are set, and so override the keyring.
fn overriding_env(gateway: GatewayId, specs: &[&'static FieldSpec]) -> Vec<String> {
    specs
        .iter()
        .map(|s| credentials::env_var(gateway, s))
        .filter(|v| ProcessEnv.var(v).is_some())
        .collect()
}

#[derive(Serialize)]
struct Changed<'a> {
    tenant: &'a TenantId,
    gateway: GatewayId,
    keyring: KeyringKind,
    /// The fields acted on.
    fields: Vec<&'static str>,
    /// `set`: the same as `fields`; `delete`: those that were set.
    changed: Vec<&'static str>,
    /// Variables that still override the keyring for these fields.
    overridden_by: Vec<String>,
}

async fn set(
    ctx: &Ctx,
    keyring: &OsKeyring,
    gateway: GatewayId,
    only: Option<&'static FieldSpec>,
) -> anyhow::Result<()> {
    let (store, tenant) = tenant_store(ctx).await?;
    let values = if std::io::stdin().is_terminal() {
        prompt(gateway, only)?
    } else {
        let text = read_stdin()?;
        let values = credentials::parse_lines(gateway, only, &text).map_err(|e| cli(e, "stdin"))?;
        if values.is_empty() {
            let example = only.map_or("secret_key=sk_test_…", |s| s.name);
            return Err(CliError::new(
                Exit::Usage,
                format!("stdin has no credentials: write `field=value` lines (e.g. {example})"),
            )
            .into());
        }
        values
    };
    if values.is_empty() {
        ctx.out.note("Nothing entered; nothing changed.");
        return Ok(());
    }
    credentials::store_all(keyring, tenant, gateway, &values).map_err(|e| cli(e, ""))?;
    let names: Vec<&'static str> = values.iter().map(|(s, _)| s.name).collect();
    tenancy::audit(
        store.as_ref(),
        &ctx.clock,
        &ctx.actor(),
        tenant,
        AuditAction::CredentialsSet,
        gateway.as_str(),
        serde_json::json!({"fields": names, "keyring": keyring.kind()}),
    )
    .await?;
    let specs: Vec<&'static FieldSpec> = values.iter().map(|(s, _)| *s).collect();
    report(
        ctx,
        Changed {
            tenant,
            gateway,
            keyring: keyring.kind(),
            fields: names.clone(),
            changed: names,
            overridden_by: overriding_env(gateway, &specs),
        },
        "stored",
    )
}

/// Asks for each field without echo; an empty answer keeps the field as it is. The first
/// invalid answer stops before anything is stored.
fn prompt(
    gateway: GatewayId,
    only: Option<&'static FieldSpec>,
) -> anyhow::Result<Vec<(&'static FieldSpec, Secret)>> {
    let mut values = Vec::new();
    for spec in selected(gateway, only) {
        let answer = rpassword::prompt_password(format!(
            "{gateway} {} — {} (input hidden, empty to keep): ",
            spec.name, spec.description
        ))
        .context("cannot read from the terminal")?;
        let value = Secret::new(answer.trim());
        if value.is_empty() {
            continue;
        }
        spec.check(gateway, &value)
            .map_err(|e| cli(e, "nothing was stored"))?;
        values.push((spec, value));
    }
    Ok(values)
}

fn read_stdin() -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_end(&mut bytes)
        .context("cannot read stdin")?;
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(CliError::new(
            Exit::Usage,
            format!("stdin is larger than {MAX_STDIN_BYTES} bytes; expected `field=value` lines"),
        )
        .into());
    }
    String::from_utf8(bytes)
        .map_err(|_| CliError::new(Exit::Usage, "stdin is not UTF-8 text").into())
}

/// One field as `show` prints it: never the value.
#[derive(Serialize)]
struct FieldView {
    field: &'static str,
    set: bool,
    /// `keyring` or `env`.
    source: Option<&'static str>,
    /// The variable that overrides the keyring for this field.
    env_var: String,
    /// The value's well-known prefix at most, e.g. `sk_test_…`.
    hint: Option<String>,
    description: &'static str,
}

#[derive(Serialize)]
struct ShowView<'a> {
    tenant: &'a TenantId,
    gateway: GatewayId,
    keyring: KeyringKind,
    fields: Vec<FieldView>,
}

async fn show(ctx: &Ctx, keyring: &OsKeyring, gateway: GatewayId) -> anyhow::Result<()> {
    let (_, tenant) = tenant_store(ctx).await?;
    let creds =
        credentials::resolve(keyring, &ProcessEnv, tenant, gateway).map_err(|e| cli(e, ""))?;
    let fields: Vec<FieldView> = creds
        .fields
        .iter()
        .map(|f| FieldView {
            field: f.spec.name,
            set: f.value.is_some(),
            source: f.value.as_ref().map(|(_, src)| match src {
                credentials::Source::Keyring => "keyring",
                credentials::Source::Env(_) => "env",
                credentials::Source::Sandbox => "sandbox",
            }),
            env_var: credentials::env_var(gateway, f.spec),
            hint: f.value.as_ref().map(|(v, _)| f.spec.hint(v)),
            description: f.spec.description,
        })
        .collect();
    if ctx.out.is_json() {
        return ctx.out.json(&ShowView {
            tenant,
            gateway,
            keyring: keyring.kind(),
            fields,
        });
    }
    let rows = creds
        .fields
        .iter()
        .zip(&fields)
        .map(|(f, view)| {
            vec![
                view.field.to_string(),
                if view.set { "set" } else { "not set" }.to_string(),
                or_dash(f.value.as_ref().map(|(_, src)| src)),
                or_dash(view.hint.as_deref()),
            ]
        })
        .collect();
    ctx.out
        .table(&["FIELD", "STATUS", "SOURCE", "HINT"], rows, "")?;
    ctx.out.note(&format!(
        "tenant `{tenant}`, {}; set with: payorch gateway credentials set {gateway} --tenant {tenant}",
        keyring.kind()
    ));
    Ok(())
}

async fn delete(
    ctx: &Ctx,
    keyring: &OsKeyring,
    gateway: GatewayId,
    only: Option<&'static FieldSpec>,
) -> anyhow::Result<()> {
    let (store, tenant) = tenant_store(ctx).await?;
    let specs = selected(gateway, only);
    let deleted =
        credentials::delete_all(keyring, tenant, gateway, &specs).map_err(|e| cli(e, ""))?;
    let names: Vec<&'static str> = specs.iter().map(|s| s.name).collect();
    tenancy::audit(
        store.as_ref(),
        &ctx.clock,
        &ctx.actor(),
        tenant,
        AuditAction::CredentialsDelete,
        gateway.as_str(),
        serde_json::json!({"fields": names, "deleted": deleted, "keyring": keyring.kind()}),
    )
    .await?;
    report(
        ctx,
        Changed {
            tenant,
            gateway,
            keyring: keyring.kind(),
            fields: names,
            changed: deleted,
            overridden_by: overriding_env(gateway, &specs),
        },
        "deleted",
    )
}

/// Prints what `set` or `delete` did: per field, `verb` or "was not set".
fn report(ctx: &Ctx, changed: Changed<'_>, verb: &str) -> anyhow::Result<()> {
    if ctx.out.is_json() {
        return ctx.out.json(&changed);
    }
    let rows = changed
        .fields
        .iter()
        .map(|name| {
            let result = if changed.changed.contains(name) {
                verb
            } else {
                "was not set"
            };
            vec![name.to_string(), result.to_string()]
        })
        .collect();
    ctx.out.table(&["FIELD", "RESULT"], rows, "")?;
    ctx.out.note(&format!(
        "tenant `{}`, gateway {}, in the {}",
        changed.tenant, changed.gateway, changed.keyring
    ));
    for var in &changed.overridden_by {
        ctx.out.note(&format!(
            "note: {var} is set in this environment and overrides the keyring"
        ));
    }
    Ok(())
}
