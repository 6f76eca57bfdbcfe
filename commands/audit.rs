//! `payorch audit list`: who changed what, when, and why.

use clap::Subcommand;

use payorch::id::AuditId;

use super::Ctx;
use super::output::or_dash;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List audit entries, newest first
    List {
        /// How many entries
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// Every tenant's entries, not only --tenant's
        #[arg(long)]
        all_tenants: bool,
        /// Entries older than this id (from a previous page)
        #[arg(long, value_name = "AUDIT_ID", value_parser = |s: &str| AuditId::parse(s).map_err(|e| e.to_string()))]
        starting_after: Option<AuditId>,
    },
}

pub async fn run(ctx: &Ctx, cmd: AuditCommand) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let AuditCommand::List {
        limit,
        all_tenants,
        starting_after,
    } = cmd;
    let tenant = (!all_tenants).then(|| ctx.tenant().clone());
    if let Some(t) = &tenant {
        payorch::tenancy::require_tenant(store.as_ref(), t).await?;
    }
    let page = store
        .list_audit(tenant.as_ref(), starting_after.as_ref(), limit)
        .await?;
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({
            "entries": page.items,
            "next_cursor": page.next_cursor,
        }))?;
        return Ok(());
    }
    let rows = page
        .items
        .iter()
        .map(|e| {
            vec![
                e.at.to_rfc3339(),
                e.tenant.to_string(),
                e.actor.clone(),
                e.action.to_string(),
                e.target.clone(),
                or_dash(e.reason.as_deref()),
            ]
        })
        .collect();
    ctx.out.table(
        &["AT", "TENANT", "ACTOR", "ACTION", "TARGET", "REASON"],
        rows,
        "No audit entries.",
    )?;
    if let Some(next) = page.next_cursor {
        ctx.out
            .note(&format!("More: payorch audit list --starting-after {next}"));
    }
    Ok(())
}
