//! `payorch apikey create|list|revoke`: the bearer keys merchants' backends authenticate with.
//! A key's secret is printed once, at creation; the store keeps only its hash.

use clap::Subcommand;
use serde::Serialize;

use payorch::id::ApiKeyId;
use payorch::model::{ApiKey, TenantId};
use payorch::tenancy;

use super::Ctx;
use super::output::or_dash;

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key for the tenant (--tenant); its secret is shown only this once
    Create {
        /// A label, e.g. "checkout backend"
        #[arg(long)]
        name: Option<String>,
    },
    /// List the tenant's keys (prefix only, never the secret)
    List,
    /// Revoke a key: requests using it are refused from now on
    Revoke {
        /// The key's id (`key_…`), as `apikey list` shows it
        #[arg(value_parser = parse_key_id)]
        id: ApiKeyId,
    },
}

fn parse_key_id(s: &str) -> Result<ApiKeyId, String> {
    ApiKeyId::parse(s).map_err(|e| e.to_string())
}

/// A key as `-o json` prints it: no hash, and the secret only at creation.
#[derive(Serialize)]
struct KeyView<'a> {
    id: &'a ApiKeyId,
    tenant: &'a TenantId,
    name: Option<&'a str>,
    prefix: &'a str,
    status: &'static str,
    created_at: String,
    revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

impl<'a> KeyView<'a> {
    fn new(k: &'a ApiKey, secret: Option<&'a str>) -> Self {
        KeyView {
            id: &k.id,
            tenant: &k.tenant,
            name: k.name.as_deref(),
            prefix: &k.prefix,
            status: if k.is_active() { "active" } else { "revoked" },
            created_at: k.created_at.to_rfc3339(),
            revoked_at: k.revoked_at.map(|t| t.to_rfc3339()),
            secret,
        }
    }
}

pub async fn run(ctx: &Ctx, cmd: ApiKeyCommand) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let tenant = ctx.tenant();
    match cmd {
        ApiKeyCommand::Create { name } => {
            let issued = tenancy::issue_api_key(
                store.as_ref(),
                &ctx.clock,
                &ctx.actor(),
                tenant,
                name.as_deref(),
            )
            .await?;
            if ctx.out.is_json() {
                ctx.out
                    .json(&KeyView::new(&issued.key, Some(issued.secret.expose())))?;
            } else {
                ctx.out.fields(&[
                    ("id", issued.key.id.to_string()),
                    ("tenant", issued.key.tenant.to_string()),
                    ("name", or_dash(issued.key.name.as_deref())),
                    ("secret", issued.secret.expose().to_string()),
                ])?;
                ctx.out.note(
                    "This is the only time the secret is shown: store it now (payorch keeps only its hash).",
                );
            }
        }
        ApiKeyCommand::List => {
            tenancy::require_tenant(store.as_ref(), tenant).await?;
            let keys = store.list_api_keys(tenant).await?;
            if ctx.out.is_json() {
                let views: Vec<KeyView> = keys.iter().map(|k| KeyView::new(k, None)).collect();
                ctx.out.json(&views)?;
            } else {
                let rows = keys
                    .iter()
                    .map(|k| {
                        let v = KeyView::new(k, None);
                        vec![
                            k.id.to_string(),
                            format!("{}…", k.prefix),
                            or_dash(k.name.as_deref()),
                            v.status.to_string(),
                            v.created_at,
                            or_dash(v.revoked_at),
                        ]
                    })
                    .collect();
                ctx.out.table(
                    &["ID", "PREFIX", "NAME", "STATUS", "CREATED", "REVOKED"],
                    rows,
                    &format!("Tenant `{tenant}` has no API keys. Create one: payorch apikey create --tenant {tenant}"),
                )?;
            }
        }
        ApiKeyCommand::Revoke { id } => {
            let key =
                tenancy::revoke_api_key(store.as_ref(), &ctx.clock, &ctx.actor(), tenant, &id)
                    .await?;
            if ctx.out.is_json() {
                ctx.out.json(&KeyView::new(&key, None))?;
            } else {
                ctx.out.fields(&[
                    ("id", key.id.to_string()),
                    ("prefix", format!("{}…", key.prefix)),
                    ("status", "revoked".into()),
                    (
                        "revoked_at",
                        or_dash(key.revoked_at.map(|t| t.to_rfc3339())),
                    ),
                ])?;
            }
        }
    }
    Ok(())
}
