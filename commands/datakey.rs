//! `payorch datakey show|rotate|generate|import`: the data key that encrypts the webhook
//! endpoints' signing secrets in the store (`payorch::datakey`): where it comes from, backing
//! it up, bringing it back after the keyring lost it (a reboot of a headless Linux), and
//! rotating it. Every change is audited.

use std::io::Read as _;

use clap::Subcommand;
use serde::Serialize;

use payorch::datakey::{DataKey, DataKeyError, ENV_KEY, ENV_PREVIOUS, KeySource};
use payorch::model::TenantId;
use payorch::store::AuditAction;
use payorch::webhook::endpoint;

use super::webhook::endpoint_error;
use super::{CliError, Ctx, Exit};

#[derive(Debug, Subcommand)]
pub enum DataKeyCommand {
    /// Where the data key comes from, its id, and which key each endpoint's secret is under
    Show {
        /// Also print the keys themselves (base64), to back them up somewhere safe
        #[arg(long)]
        reveal: bool,
    },
    /// Re-encrypt every stored secret under a new data key (in the keyring), or under
    /// PAYORCH_DATA_KEY after you changed it (the old one in PAYORCH_DATA_KEY_PREVIOUS)
    Rotate,
    /// Print a new random data key (base64) for PAYORCH_DATA_KEY; stores nothing
    Generate,
    /// Make a backed-up data key (base64, read from stdin) the keyring's current key again
    Import,
}

/// The exit code a data key error deserves: a key to provide or a variable to fix is a
/// configuration problem (5); a keyring that cannot be used, like the store, is 6.
pub fn exit_code(e: &DataKeyError) -> Exit {
    match e {
        DataKeyError::Keyring(_) => Exit::Unavailable,
        DataKeyError::BadEnv { .. }
        | DataKeyError::EnvManaged
        | DataKeyError::Missing { .. }
        | DataKeyError::BadEntry { .. } => Exit::Config,
        DataKeyError::Tampered { .. } | DataKeyError::Malformed | DataKeyError::Random(_) => {
            Exit::Failure
        }
    }
}

fn key_error(e: DataKeyError) -> anyhow::Error {
    CliError::new(exit_code(&e), e.to_string()).into()
}

#[derive(Serialize)]
struct KeyView {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
}

#[derive(Serialize)]
struct EndpointKey {
    tenant: TenantId,
    /// The key id its signing secret is stored under; `null`: in clear (an older payorch).
    key_id: Option<String>,
}

#[derive(Serialize)]
struct ShowView {
    source: String,
    /// `null` until the first secret is encrypted (the key is created then).
    current: Option<KeyView>,
    previous: Vec<KeyView>,
    endpoints: Vec<EndpointKey>,
}

fn view(key: &DataKey, reveal: bool) -> KeyView {
    KeyView {
        id: key.id().to_string(),
        key: reveal.then(|| key.to_base64().expose().to_string()),
    }
}

pub async fn run(ctx: &Ctx, cmd: DataKeyCommand) -> anyhow::Result<()> {
    if let DataKeyCommand::Generate = cmd {
        let key = DataKey::generate().map_err(key_error)?;
        return super::output::stdout(|w| writeln!(w, "{}", key.to_base64().expose()));
    }
    let keys = ctx.data_keys()?;
    let store = ctx.store().await?;
    let tenants: Vec<TenantId> = store
        .list_tenants()
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let audit = |action: AuditAction, detail: serde_json::Value| {
        let store = store.clone();
        async move { ctx.audit(store.as_ref(), action, "datakey", detail).await }
    };
    match cmd {
        DataKeyCommand::Generate => Ok(()),
        DataKeyCommand::Show { reveal } => {
            let all = keys.all().map_err(key_error)?;
            let mut endpoints = Vec::new();
            for tenant in tenants {
                if let Some(key_id) = endpoint::stored_key_id(store.as_ref(), &tenant)
                    .await
                    .map_err(endpoint_error)?
                {
                    endpoints.push(EndpointKey { tenant, key_id });
                }
            }
            let shown = ShowView {
                source: keys.source().to_string(),
                current: all.first().map(|k| view(k, reveal)),
                previous: all.iter().skip(1).map(|k| view(k, reveal)).collect(),
                endpoints,
            };
            print_show(ctx, &shown)
        }
        DataKeyCommand::Rotate => {
            let source = keys.source();
            let fresh = match source {
                // The operator set the new key; this re-encrypts under it.
                KeySource::Env => None,
                _ => Some(keys.begin_rotation().map_err(key_error)?),
            };
            let rewritten = endpoint::reseal_all(store.as_ref(), &keys, &tenants)
                .await
                .map_err(endpoint_error)?;
            let dropped = match source {
                KeySource::Env => Vec::new(),
                _ => keys.finish_rotation().map_err(key_error)?,
            };
            let current = keys
                .current()
                .map_err(key_error)?
                .map(|k| k.id().to_string())
                .unwrap_or_default();
            audit(
                AuditAction::DataKeyRotate,
                serde_json::json!({"key_id": current, "endpoints": rewritten, "retired": dropped}),
            )
            .await?;
            if ctx.out.is_json() {
                return ctx.out.json(&serde_json::json!({
                    "key_id": current, "endpoints_reencrypted": rewritten, "retired": dropped,
                }));
            }
            ctx.out.fields(&[
                ("key_id", current),
                ("re-encrypted", format!("{rewritten} endpoint(s)")),
                (
                    "retired",
                    super::output::or_dash(Some(dropped.join(", ")).filter(|s| !s.is_empty())),
                ),
            ])?;
            match fresh {
                Some(_) => ctx.out.note(
                    "Back the new key up now (`payorch datakey show --reveal`): the old backup no longer decrypts anything.",
                ),
                None => ctx.out.note(&format!(
                    "Every secret is under {ENV_KEY} now: remove {ENV_PREVIOUS} from the environment."
                )),
            }
            Ok(())
        }
        DataKeyCommand::Import => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::new(Exit::Usage, format!("cannot read stdin: {e}")))?;
            let key = DataKey::from_base64(&text).map_err(|problem| {
                CliError::new(Exit::Usage, format!("the data key on stdin {problem}"))
            })?;
            keys.import(key.clone()).map_err(key_error)?;
            audit(
                AuditAction::DataKeyImport,
                serde_json::json!({"key_id": key.id()}),
            )
            .await?;
            if ctx.out.is_json() {
                return ctx.out.json(&serde_json::json!({"key_id": key.id()}));
            }
            ctx.out.fields(&[
                ("key_id", key.id().to_string()),
                ("source", keys.source().to_string()),
            ])
        }
    }
}

fn print_show(ctx: &Ctx, shown: &ShowView) -> anyhow::Result<()> {
    if ctx.out.is_json() {
        return ctx.out.json(shown);
    }
    let line = |k: &KeyView| match &k.key {
        Some(key) => format!("{} {key}", k.id),
        None => k.id.clone(),
    };
    let mut fields = vec![
        ("source", shown.source.clone()),
        (
            "current",
            shown
                .current
                .as_ref()
                .map_or("none yet (created with the first endpoint)".into(), line),
        ),
    ];
    for k in &shown.previous {
        fields.push(("previous", line(k)));
    }
    ctx.out.fields(&fields)?;
    if !shown.endpoints.is_empty() {
        ctx.out.line("")?;
        let rows = shown
            .endpoints
            .iter()
            .map(|e| {
                vec![
                    e.tenant.to_string(),
                    e.key_id
                        .clone()
                        .unwrap_or_else(|| "in clear: run `payorch datakey rotate`".into()),
                ]
            })
            .collect();
        ctx.out.table(&["TENANT", "SECRET KEY ID"], rows, "")?;
    }
    Ok(())
}
