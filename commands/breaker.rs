//! `payorch breaker status|open|close|auto`: see and steer the per-gateway circuit breakers.
//! Forcing writes the shared state every running `serve` adopts within a sync interval; the
//! deciding and sharing live in the library (`payorch::breaker`, `payorch::fleet`).

use std::sync::Arc;

use clap::Subcommand;

use payorch::clock::{Clock, SystemClock};
use payorch::config::HumanDuration;
use payorch::fleet::{BreakerStatus, Breakers, OperatorCommand};
use payorch::model::GatewayId;
use payorch::tenancy;

use super::output::or_dash;
use super::{CliError, Ctx, Exit};

#[derive(Debug, Subcommand)]
pub enum BreakerCommand {
    /// Every gateway's breaker: state, forced or not, failure and slow-call rates (fleet-wide)
    Status {
        /// Every tenant's breakers, not only --tenant's
        #[arg(long)]
        all_tenants: bool,
    },
    /// Force a gateway's breaker open: no charge goes to it (until --for ends, then half-open)
    Open {
        /// stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
        /// How long, e.g. 10m or 2h; without it, until `breaker auto` or `breaker close`
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_for)]
        duration: Option<HumanDuration>,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
    /// Force a gateway's breaker closed: every charge may go to it, failures never open it
    Close {
        /// stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
    /// Return a gateway's breaker to automatic: closed, with a fresh window
    Auto {
        /// stripe, efi or asaas
        #[arg(value_parser = parse_gateway)]
        gateway: GatewayId,
        /// Why, for the audit log
        #[arg(long)]
        reason: Option<String>,
    },
}

fn parse_gateway(s: &str) -> Result<GatewayId, String> {
    s.parse()
        .map_err(|e: payorch::model::gateway::UnknownGateway| e.to_string())
}

fn parse_for(s: &str) -> Result<HumanDuration, String> {
    let d: HumanDuration = s.parse()?;
    if d.0.is_zero() {
        return Err(format!("`{s}` is no time at all; write e.g. 10m"));
    }
    if d.0 > std::time::Duration::from_secs(366 * 24 * 3600) {
        return Err(format!(
            "`{s}` is more than a year; leave --for out to force it open until released"
        ));
    }
    Ok(d)
}

pub async fn run(ctx: &Ctx, cmd: BreakerCommand) -> anyhow::Result<()> {
    let store = ctx.store().await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let breakers = Breakers::new(store.clone(), clock, ctx.config().breaker.clone());
    let tenant = ctx.tenant();
    let (gateway, command) = match cmd {
        BreakerCommand::Status { all_tenants } => {
            let tenants = if all_tenants {
                store
                    .list_tenants()
                    .await?
                    .into_iter()
                    .map(|t| t.id)
                    .collect()
            } else {
                tenancy::require_tenant(store.as_ref(), tenant).await?;
                vec![tenant.clone()]
            };
            let mut rows = Vec::new();
            for t in &tenants {
                rows.extend(breakers.fleet_status(t).await?);
            }
            return print_status(ctx, &rows);
        }
        BreakerCommand::Open {
            gateway,
            duration,
            reason,
        } => {
            let until = duration.map(|d| ctx.clock.now().plus(d.0));
            (gateway, OperatorCommand::Open { until, reason })
        }
        BreakerCommand::Close { gateway, reason } => (gateway, OperatorCommand::Close { reason }),
        BreakerCommand::Auto { gateway, reason } => (gateway, OperatorCommand::Auto { reason }),
    };
    if let Some(reason) = match &command {
        OperatorCommand::Open { reason, .. }
        | OperatorCommand::Close { reason }
        | OperatorCommand::Auto { reason } => reason.as_deref(),
    } && (reason.chars().count() > 500 || reason.chars().any(char::is_control))
    {
        return Err(CliError::new(
            Exit::Usage,
            "--reason must be at most 500 characters, without control characters",
        )
        .into());
    }
    tenancy::require_tenant(store.as_ref(), tenant).await?;
    breakers
        .command(&ctx.actor(), tenant, gateway, command)
        .await?;
    let status = breakers.fleet_status(tenant).await?;
    let row: Vec<BreakerStatus> = status
        .into_iter()
        .filter(|s| s.gateway == gateway)
        .collect();
    if !ctx.out.is_json() {
        ctx.out.note(
            "Running `payorch serve` instances adopt this within one sync interval (breaker.sync_interval).",
        );
    }
    print_status(ctx, &row)
}

/// The columns of `breaker status`.
const STATUS_HEADERS: [&str; 9] = [
    "TENANT",
    "GATEWAY",
    "STATE",
    "FORCED",
    "FAILURES",
    "SLOW",
    "CALLS",
    "UNTIL/SINCE",
    "LAST ERROR",
];

fn percent(permille: u32, calls: u64) -> String {
    if calls == 0 {
        "-".into()
    } else {
        format!("{}.{}%", permille / 10, permille % 10)
    }
}

fn print_status(ctx: &Ctx, rows: &[BreakerStatus]) -> anyhow::Result<()> {
    if ctx.out.is_json() {
        return ctx.out.json(rows);
    }
    let table = rows
        .iter()
        .map(|s| {
            let when = match (s.until, s.since) {
                (Some(until), _) => format!("until {}", until.to_rfc3339()),
                (None, Some(since)) => format!("since {}", since.to_rfc3339()),
                (None, None) => "-".into(),
            };
            vec![
                s.tenant.to_string(),
                s.gateway.to_string(),
                s.state.to_string(),
                if s.forced {
                    format!("yes ({})", s.reason.as_deref().unwrap_or("no reason"))
                } else {
                    "no".into()
                },
                percent(s.failure_permille, s.calls),
                percent(s.slow_permille, s.calls),
                format!("{} ({})", s.calls, s.window),
                when,
                or_dash(
                    s.last_error
                        .as_ref()
                        .map(|e| format!("{} ({})", e.message, e.at.to_rfc3339())),
                ),
            ]
        })
        .collect();
    ctx.out.table(&STATUS_HEADERS, table, "No breakers.")?;
    // The whole reasons and errors, which the table may have cut to fit.
    for s in rows {
        if s.forced {
            let reason = s.reason.as_deref().unwrap_or("no reason");
            ctx.out.note(&format!(
                "{} {}: {} by an operator: {reason}",
                s.tenant, s.gateway, s.state
            ));
        }
        if let Some(e) = &s.last_error {
            ctx.out.note(&format!(
                "{} {}: last error at {}: {}",
                s.tenant,
                s.gateway,
                e.at.to_rfc3339(),
                e.message
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::STATUS_HEADERS;
    use crate::commands::output::make_table;

    /// The README's `breaker status` example is what prints: a long forced reason is cut to fit
    /// 120 columns (it is whole under the table), the time keeps its seconds.
    #[test]
    fn the_readme_example_is_what_prints() {
        let row = |cells: [&str; 9]| cells.map(str::to_string).to_vec();
        let rows = vec![
            row([
                "default",
                "stripe",
                "forced_open",
                "yes (stripe incident)",
                "-",
                "-",
                "0 (last 1m)",
                "until 2026-11-24T04:21:10.621Z",
                "-",
            ]),
            row([
                "default",
                "efi",
                "closed",
                "no",
                "2.5%",
                "0.0%",
                "40 (last 1m)",
                "-",
                "-",
            ]),
        ];
        let text = make_table(&STATUS_HEADERS, rows).to_string();
        let readme = include_str!("../README.md");
        for line in text.lines().map(str::trim_end) {
            assert!(line.chars().count() <= 120, "{line}");
            assert!(
                readme.contains(&format!("#  {line}\n")),
                "not in the README: {line}"
            );
        }
    }
}
