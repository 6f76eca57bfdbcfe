//! `payorch dashboard`: parses the flags and opens the store, then hands over to the
//! terminal UI in `tui/` (the same entry `payorch demo` uses).

use std::time::Duration;

use clap::Args;

use payorch::config::HumanDuration;
use payorch::tenancy;

use super::Ctx;
use crate::tui;

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// How often to re-read the store, from 200ms to 1h
    #[arg(long, default_value = "1s", value_name = "DURATION", value_parser = parse_refresh)]
    pub refresh: HumanDuration,
    /// Where the costs panel (`$`) starts its days and months
    #[command(flatten)]
    pub zone: super::report::Zone,
}

fn parse_refresh(s: &str) -> Result<HumanDuration, String> {
    let d: HumanDuration = s.parse()?;
    if d.0 < Duration::from_millis(200) || d.0 > Duration::from_secs(3600) {
        return Err(format!("`{s}` is out of range: give 200ms to 1h, e.g. 1s"));
    }
    Ok(d)
}

/// Colour unless `--no-color` or a non-empty `NO_COLOR`.
pub fn wants_color(no_color_flag: bool) -> bool {
    !no_color_flag && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub async fn run(ctx: &Ctx, no_color: bool, args: DashboardArgs) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let tenant = ctx.tenant();
    tenancy::require_tenant(store.as_ref(), tenant).await?;
    let options = tui::Options {
        tenant: tenant.clone(),
        refresh: args.refresh.0,
        color: wants_color(no_color),
        demo: None,
        utc_offset: args.zone.utc_offset,
    };
    tui::run(store, ctx.config().clone(), ctx.actor(), options).await
}
