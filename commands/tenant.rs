//! `payorch tenant create|list`: the merchants sharing this payorch.

use clap::Subcommand;
use serde::Serialize;

use payorch::model::{Tenant, TenantId};
use payorch::tenancy;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant
    Create {
        /// The tenant's id: lower-case letters, digits, `-` and `_` (e.g. `acme`)
        #[arg(value_parser = super::parse_tenant)]
        id: TenantId,
        /// A human-readable name [default: the id]
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants
    List,
}

/// A tenant as `-o json` prints it.
#[derive(Serialize)]
struct TenantView<'a> {
    id: &'a TenantId,
    name: &'a str,
    created_at: String,
}

impl<'a> From<&'a Tenant> for TenantView<'a> {
    fn from(t: &'a Tenant) -> Self {
        TenantView {
            id: &t.id,
            name: &t.name,
            created_at: t.created_at.to_rfc3339(),
        }
    }
}

pub async fn run(ctx: &Ctx, cmd: TenantCommand) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    match cmd {
        TenantCommand::Create { id, name } => {
            let tenant = tenancy::create_tenant(
                store.as_ref(),
                &ctx.clock,
                &ctx.actor(),
                id,
                name.as_deref(),
            )
            .await?;
            if ctx.out.is_json() {
                ctx.out.json(&TenantView::from(&tenant))?;
            } else {
                ctx.out.fields(&[
                    ("id", tenant.id.to_string()),
                    ("name", tenant.name.clone()),
                    ("created_at", tenant.created_at.to_rfc3339()),
                ])?;
                ctx.out.note(&format!(
                    "Created tenant `{}`. Next: payorch apikey create --tenant {}",
                    tenant.id, tenant.id
                ));
            }
        }
        TenantCommand::List => {
            let tenants = store.list_tenants().await?;
            if ctx.out.is_json() {
                let views: Vec<TenantView> = tenants.iter().map(TenantView::from).collect();
                ctx.out.json(&views)?;
            } else {
                let rows = tenants
                    .iter()
                    .map(|t| vec![t.id.to_string(), t.name.clone(), t.created_at.to_rfc3339()])
                    .collect();
                ctx.out
                    .table(&["ID", "NAME", "CREATED"], rows, "No tenants.")?;
            }
        }
    }
    Ok(())
}
