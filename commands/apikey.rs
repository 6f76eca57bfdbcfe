//! `payorch apikey create|list|update|revoke`: the bearer keys merchants' backends authenticate
//! with. A key's secret is printed once, at creation; the store keeps only its hash. A key may
//! carry its own request rate (`--rate-limit 200/s`, or `off`) instead of `[limits] key`.

use clap::Subcommand;
use serde::Serialize;

use payorch::id::ApiKeyId;
use payorch::model::{ApiKey, RateLimit, TenantId};
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
        /// This key's own request rate instead of `[limits] key`: COUNT/s, COUNT/min, COUNT/h
        /// (burst: one period's worth), or `off` (the tenant's limit still applies)
        #[arg(long, value_name = "RATE", value_parser = parse_rate)]
        rate_limit: Option<RateLimit>,
    },
    /// List the tenant's keys (prefix only, never the secret)
    List,
    /// Change a key's own request rate (`--rate-limit 200/s`, `off`, or `default`)
    Update {
        /// The key's id (`key_…`), as `apikey list` shows it
        #[arg(value_parser = parse_key_id)]
        id: ApiKeyId,
        /// COUNT/s, COUNT/min, COUNT/h, `off` (no limit of its own), or `default` (back to
        /// `[limits] key`)
        #[arg(long, value_name = "RATE", value_parser = parse_rate_or_default)]
        rate_limit: RateSetting,
    },
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

fn parse_rate(s: &str) -> Result<RateLimit, String> {
    s.parse()
        .map_err(|e: payorch::model::RateLimitError| e.to_string())
}

/// `--rate-limit` of `apikey update`: a rate, `off`, or `default`.
#[derive(Clone, Copy, Debug)]
pub struct RateSetting(Option<RateLimit>);

fn parse_rate_or_default(s: &str) -> Result<RateSetting, String> {
    if s.trim().eq_ignore_ascii_case("default") {
        return Ok(RateSetting(None));
    }
    parse_rate(s)
        .map(|r| RateSetting(Some(r)))
        .map_err(|e| format!("{e}, or default"))
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
    /// The key's own rate (`200/s`, `off`), or null for `[limits] key`.
    rate_limit: Option<String>,
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
            rate_limit: k.rate_limit.map(|r| r.to_string()),
            secret,
        }
    }
}

/// A changed key: as JSON, or its id, prefix and the field that changed.
fn show_key(ctx: &Ctx, key: &ApiKey, changed: (&str, String)) -> anyhow::Result<()> {
    if ctx.out.is_json() {
        return ctx.out.json(&KeyView::new(key, None));
    }
    ctx.out.fields(&[
        ("id", key.id.to_string()),
        ("prefix", format!("{}…", key.prefix)),
        ("status", KeyView::new(key, None).status.to_string()),
        changed,
    ])
}

/// A key's rate for tables: its own, or `default` (`[limits] key`).
fn rate_shown(k: &ApiKey) -> String {
    k.rate_limit
        .map(|r| r.to_string())
        .unwrap_or_else(|| "default".into())
}

pub async fn run(ctx: &Ctx, cmd: ApiKeyCommand) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let tenant = ctx.tenant();
    match cmd {
        ApiKeyCommand::Create { name, rate_limit } => {
            let issued = tenancy::issue_limited_api_key(
                store.as_ref(),
                &ctx.clock,
                &ctx.actor(),
                tenant,
                name.as_deref(),
                rate_limit,
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
                    ("rate_limit", rate_shown(&issued.key)),
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
                            rate_shown(k),
                            v.status.to_string(),
                            v.created_at,
                            or_dash(v.revoked_at),
                        ]
                    })
                    .collect();
                ctx.out.table(
                    &["ID", "PREFIX", "NAME", "RATE LIMIT", "STATUS", "CREATED", "REVOKED"],
                    rows,
                    &format!("Tenant `{tenant}` has no API keys. Create one: payorch apikey create --tenant {tenant}"),
                )?;
            }
        }
        ApiKeyCommand::Update { id, rate_limit } => {
            let key = tenancy::set_api_key_rate_limit(
                store.as_ref(),
                &ctx.clock,
                &ctx.actor(),
                tenant,
                &id,
                rate_limit.0,
            )
            .await?;
            show_key(ctx, &key, ("rate_limit", rate_shown(&key)))?;
            if !ctx.out.is_json() {
                ctx.out
                    .note("A running `payorch serve` applies it from the key's next request.");
            }
        }
        ApiKeyCommand::Revoke { id } => {
            let key =
                tenancy::revoke_api_key(store.as_ref(), &ctx.clock, &ctx.actor(), tenant, &id)
                    .await?;
            let revoked_at = or_dash(key.revoked_at.map(|t| t.to_rfc3339()));
            show_key(ctx, &key, ("revoked_at", revoked_at))?;
        }
    }
    Ok(())
}
