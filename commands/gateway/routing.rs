//! `payorch gateway switch|fallback|strategy|list`: a tenant's routing table as operators see and
//! change it. The rules (validation, conditional writes, audit) are the library's
//! `payorch::routing`; this file parses, maps errors to exit codes, and prints.

use std::sync::Arc;

use serde::Serialize;

use payorch::config::ProcessEnv;
use payorch::credentials::{self, OsKeyring};
use payorch::gateway::Capabilities;
use payorch::gateway::registry::{self, Gateways};
use payorch::model::{Currency, Fee, FeeSchedule, GatewayId, Money, PaymentMethod, TenantId};
use payorch::routing::{Change, Current, Role, Routing, RoutingError, RoutingTable, Strategy};
use payorch::runtime;

use super::tenant_store;
use crate::commands::output::or_dash;
use crate::commands::{CliError, Ctx, Exit};

/// The tenant's routing service on the configured store, and the tenant (which must exist).
async fn routing(ctx: &Ctx) -> anyhow::Result<(Routing, &TenantId)> {
    let (store, tenant) = tenant_store(ctx).await?;
    let routing = Routing::new(store, Arc::new(ctx.clock), ctx.config()).map_err(cli)?;
    Ok((routing, tenant))
}

/// A routing error as one sentence with its exit code. Store errors keep theirs.
fn cli(err: RoutingError) -> anyhow::Error {
    let exit = match &err {
        RoutingError::Store(_) => return err.into(),
        RoutingError::Table(_) | RoutingError::Invalid(_) | RoutingError::Disabled { .. } => {
            Exit::Usage
        }
        RoutingError::Contended { .. } => Exit::Conflict,
        RoutingError::Corrupt { .. } => Exit::Failure,
    };
    CliError::new(exit, err.to_string()).into()
}

pub async fn switch(ctx: &Ctx, gateway: GatewayId, reason: Option<String>) -> anyhow::Result<()> {
    let (routing, tenant) = routing(ctx).await?;
    let change = routing
        .switch(tenant, gateway, &ctx.actor(), reason.as_deref())
        .await
        .map_err(cli)?;
    let summary = if change.changed() {
        format!(
            "switched the primary of tenant `{tenant}` from {} to {}",
            change.before.primary(),
            change.after.primary()
        )
    } else {
        format!("{gateway} already is the primary of tenant `{tenant}`; nothing changed")
    };
    report(ctx, tenant, &change, &summary)
}

pub async fn fallback(
    ctx: &Ctx,
    fallbacks: Vec<GatewayId>,
    reason: Option<String>,
) -> anyhow::Result<()> {
    let (routing, tenant) = routing(ctx).await?;
    let change = routing
        .set_fallbacks(tenant, fallbacks, &ctx.actor(), reason.as_deref())
        .await
        .map_err(cli)?;
    let summary = if change.changed() {
        format!("set the fallbacks of tenant `{tenant}`")
    } else {
        format!("the fallbacks of tenant `{tenant}` already are these; nothing changed")
    };
    report(ctx, tenant, &change, &summary)
}

pub async fn strategy(ctx: &Ctx, strategy: Strategy, reason: Option<String>) -> anyhow::Result<()> {
    let (routing, tenant) = routing(ctx).await?;
    let change = routing
        .set_strategy(tenant, strategy, &ctx.actor(), reason.as_deref())
        .await
        .map_err(cli)?;
    let summary = if change.changed() {
        format!(
            "set the routing strategy of tenant `{tenant}` from {} to {strategy}",
            change.before.strategy()
        )
    } else {
        format!("the routing strategy of tenant `{tenant}` already is {strategy}; nothing changed")
    };
    report(ctx, tenant, &change, &summary)
}

#[derive(Serialize)]
struct ChangeView<'a> {
    tenant: &'a TenantId,
    changed: bool,
    before: &'a RoutingTable,
    after: &'a RoutingTable,
    /// The strategy after the change (the tables leave out the default, `ordered`).
    strategy: Strategy,
}

/// Prints the table after a change, and notes about gateways charges will skip.
fn report(ctx: &Ctx, tenant: &TenantId, change: &Change, summary: &str) -> anyhow::Result<()> {
    if ctx.out.is_json() {
        return ctx.out.json(&ChangeView {
            tenant,
            changed: change.changed(),
            before: &change.before,
            after: &change.after,
            strategy: change.after.strategy(),
        });
    }
    let rows = change
        .after
        .order()
        .map(|g| vec![change.after.role(g).to_string(), g.to_string()])
        .collect();
    ctx.out.table(&["ROLE", "GATEWAY"], rows, "")?;
    ctx.out.note(summary);
    if change.changed() {
        ctx.out.note(
            "every running `payorch serve` follows within a second; recorded in the audit log",
        );
        let gateways = build_gateways(ctx, tenant);
        for g in change.after.order() {
            if let Some(why) = gateways.unavailable.get(&g) {
                ctx.out.note(&format!(
                    "warning: {g} is unavailable here, so charges skip it until that is fixed: {why}"
                ));
            }
        }
    }
    Ok(())
}

/// The adapters this process could build, with credentials resolved like `serve` does
/// (environment variables over the OS keyring).
fn build_gateways(ctx: &Ctx, tenant: &TenantId) -> Gateways {
    let keyring = OsKeyring::new(&ProcessEnv);
    registry::build(&ctx.config().gateways, |id| {
        credentials::resolve(&keyring, &ProcessEnv, tenant, id)
    })
}

/// Whether a gateway can be routed to from here.
#[derive(Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Status {
    Available,
    /// Enabled, but not built: missing credentials, a bad certificate.
    Unavailable,
    /// `gateways.<id>.enabled = false`.
    Disabled,
}

#[derive(Serialize)]
struct CapabilitiesView {
    methods: Vec<PaymentMethod>,
    currencies: Vec<Currency>,
    partial_refunds: bool,
}

impl From<Capabilities> for CapabilitiesView {
    fn from(c: Capabilities) -> Self {
        CapabilitiesView {
            methods: c.methods,
            currencies: c.currencies,
            partial_refunds: c.partial_refunds,
        }
    }
}

/// One row of `gateway list`. (Breaker columns join when the breaker lands.)
#[derive(Serialize)]
struct GatewayRow {
    gateway: GatewayId,
    /// `primary`, `fallback` or `not_routed`.
    role: &'static str,
    /// 1-based position among the fallbacks.
    fallback_position: Option<usize>,
    status: Status,
    /// Why it is unavailable or disabled.
    reason: Option<String>,
    /// What it takes; known only for gateways that could be built.
    capabilities: Option<CapabilitiesView>,
    /// Its circuit breaker, fleet-wide (shared state and counters from the store).
    breaker: Option<payorch::fleet::BreakerStatus>,
    /// The `[fees]` estimate of a [`SAMPLE_MINOR`] BRL charge by each method it takes (`fee`
    /// null where the schedule has no rate; for a gateway not built here, each method the
    /// schedule has a rate for): what the `cheapest` strategy compares.
    sample_fees: Vec<SampleFee>,
}

/// The sample charge `gateway list` estimates fees for: R$ 100,00.
const SAMPLE_MINOR: i64 = 10_000;

#[derive(Serialize)]
struct SampleFee {
    method: PaymentMethod,
    /// The sample charge, minor units.
    amount: i64,
    currency: Currency,
    fee: Option<Fee>,
}

/// The methods a gateway's sample fees are for: what it takes, or, when it could not be built
/// here (capabilities unknown), what the schedule has a rate for.
fn sampled_methods(gateways: &Gateways, fees: &FeeSchedule, id: GatewayId) -> Vec<PaymentMethod> {
    match gateways.get(id) {
        Some(g) => g.capabilities().methods,
        None => fees
            .0
            .get(&id)
            .map(|rates| rates.keys().copied().collect())
            .unwrap_or_default(),
    }
}

fn sample_fees(
    fees: &FeeSchedule,
    gateway: GatewayId,
    methods: &[PaymentMethod],
) -> Vec<SampleFee> {
    let Ok(money) = Money::from_minor(SAMPLE_MINOR, Currency::Brl) else {
        return Vec::new();
    };
    methods
        .iter()
        .map(|m| SampleFee {
            method: *m,
            amount: SAMPLE_MINOR,
            currency: Currency::Brl,
            fee: fees.estimate(gateway, *m, money),
        })
        .collect()
}

#[derive(Serialize)]
struct RoutingView<'a> {
    primary: GatewayId,
    fallbacks: &'a [GatewayId],
    /// `ordered` or `cheapest` (`payorch gateway strategy`).
    strategy: Strategy,
    /// `stored` (set by switch/fallback/strategy) or `config` (the `[routing]` default).
    source: &'static str,
    version: Option<u64>,
}

#[derive(Serialize)]
struct ListView<'a> {
    tenant: &'a TenantId,
    /// `--sandbox URL`: the statuses are those of the sandbox's test accounts.
    sandbox: Option<&'a str>,
    routing: RoutingView<'a>,
    gateways: Vec<GatewayRow>,
}

pub async fn list(ctx: &Ctx, sandbox: Option<&str>) -> anyhow::Result<()> {
    let (routing, tenant) = routing(ctx).await?;
    let Current { table, version } = routing.current(tenant).await.map_err(cli)?;
    // What `serve` would build: the sandbox's accounts, or the config and credentials here.
    let gateways: Arc<Gateways> = match sandbox {
        Some(url) => runtime::sandbox_gateways(ctx.config(), url)
            .await?
            .for_tenant(tenant),
        None => Arc::new(build_gateways(ctx, tenant)),
    };
    let breakers = payorch::fleet::Breakers::new(
        ctx.store().await?,
        std::sync::Arc::new(payorch::clock::SystemClock),
        ctx.config().breaker.clone(),
    );
    let breaker_status = breakers.fleet_status(tenant).await?;
    let rows = gateway_rows(ctx, &table, &gateways, breaker_status, routing.fees());
    if ctx.out.is_json() {
        return ctx.out.json(&ListView {
            tenant,
            sandbox,
            routing: RoutingView {
                primary: table.primary(),
                fallbacks: table.fallbacks(),
                strategy: table.strategy(),
                source: if version.is_some() {
                    "stored"
                } else {
                    "config"
                },
                version,
            },
            gateways: rows,
        });
    }
    print_rows(ctx, &table, &rows)?;
    ctx.out.note(&format!(
        "tenant `{tenant}`: {table} ({}); change with `payorch gateway switch|fallback|strategy`",
        match version {
            Some(_) => "set by an operator",
            None => "the config's [routing] default",
        }
    ));
    ctx.out.note(&format!(
        "routing strategy: {} ({})",
        table.strategy(),
        match table.strategy() {
            Strategy::Ordered => "the table's order",
            Strategy::Cheapest => "cheapest estimated fee first, ties in the table's order",
        }
    ));
    ctx.out.note(&match fees_line(&rows) {
        Some(line) => format!("estimated fees ([fees]) on a R$ 100,00 charge: {line}"),
        None => "no [fees] rate for what the available gateways take".to_string(),
    });
    explain_unavailable(ctx, &rows, sandbox);
    Ok(())
}

/// Every gateway's row: the table's order first, then the gateways it does not route to.
fn gateway_rows(
    ctx: &Ctx,
    table: &RoutingTable,
    gateways: &Gateways,
    mut breaker_status: Vec<payorch::fleet::BreakerStatus>,
    fees: &FeeSchedule,
) -> Vec<GatewayRow> {
    let routed: Vec<GatewayId> = table.order().collect();
    let unrouted = GatewayId::ALL.into_iter().filter(|g| !routed.contains(g));
    let order: Vec<GatewayId> = routed.iter().copied().chain(unrouted).collect();
    order
        .into_iter()
        .map(|id| {
            let role = table.role(id);
            let (status, reason) = match gateways.unavailable.get(&id).cloned() {
                Some(why) if !ctx.config().gateways.is_enabled(id) => (Status::Disabled, Some(why)),
                Some(why) => (Status::Unavailable, Some(why)),
                None => (Status::Available, None),
            };
            GatewayRow {
                gateway: id,
                role: match role {
                    Role::Primary => "primary",
                    Role::Fallback(_) => "fallback",
                    Role::NotRouted => "not_routed",
                },
                fallback_position: match role {
                    Role::Fallback(n) => Some(n),
                    _ => None,
                },
                status,
                reason,
                capabilities: gateways.get(id).map(|g| g.capabilities().into()),
                sample_fees: sample_fees(fees, id, &sampled_methods(gateways, fees, id)),
                breaker: breaker_status
                    .iter()
                    .position(|b| b.gateway == id)
                    .map(|i| breaker_status.swap_remove(i)),
            }
        })
        .collect()
}

/// The gateway table of `gateway list`.
fn print_rows(ctx: &Ctx, table: &RoutingTable, rows: &[GatewayRow]) -> anyhow::Result<()> {
    let table_rows = rows
        .iter()
        .map(|r| {
            let caps = r.capabilities.as_ref();
            let join = |items: Vec<String>| items.join(",");
            vec![
                r.gateway.to_string(),
                table.role(r.gateway).to_string(),
                status_word(r.status).to_string(),
                or_dash(caps.map(|c| join(c.methods.iter().map(|m| m.to_string()).collect()))),
                or_dash(caps.map(|c| currencies_cell(&c.currencies))),
                breaker_cell(r.breaker.as_ref()),
                r.breaker
                    .as_ref()
                    .map(|b| format!("{}% / {}%", b.failure_permille / 10, b.slow_permille / 10))
                    .unwrap_or_else(|| "-".into()),
                r.breaker
                    .as_ref()
                    .map(|b| b.calls.to_string())
                    .unwrap_or_else(|| "-".into()),
                last_error_cell(r.breaker.as_ref()),
            ]
        })
        .collect();
    ctx.out.table(
        &[
            "GATEWAY",
            "ROLE",
            "STATUS",
            "METHODS",
            "CURRENCIES",
            "BREAKER",
            "FAIL / SLOW",
            "CALLS",
            "LAST ERROR",
        ],
        table_rows,
        "",
    )?;
    Ok(())
}

/// Why a gateway is unavailable or disabled: whole sentences, too long for a column.
fn explain_unavailable(ctx: &Ctx, rows: &[GatewayRow], sandbox: Option<&str>) {
    for r in rows {
        if let Some(why) = &r.reason {
            let gateway = r.gateway.to_string();
            let why = why.strip_prefix(&format!("{gateway} ")).unwrap_or(why);
            ctx.out
                .note(&format!("{gateway} is {}: {why}", status_word(r.status)));
        }
    }
    if sandbox.is_none() && rows.iter().any(|r| r.status == Status::Unavailable) {
        ctx.out.note(
            "(statuses are for this machine's config and credentials; for a `serve --sandbox URL`, \
             see `payorch gateway list --sandbox URL`)",
        );
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Available => "available",
        Status::Unavailable => "unavailable",
        Status::Disabled => "disabled",
    }
}

/// `stripe card 4.38, pix 1.19; efi pix 1.19`: each gateway's estimated fee by each method the
/// schedule has a rate for, in major units; `None` when there is none (the JSON has every
/// method, `null` without a rate).
fn fees_line(rows: &[GatewayRow]) -> Option<String> {
    let gateways: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let parts: Vec<String> = r
                .sample_fees
                .iter()
                .filter_map(|f| {
                    let fee = f.fee?;
                    let money = Money::from_minor(fee.amount, fee.currency).ok()?;
                    Some(format!("{} {}", f.method, money.to_decimal_string()))
                })
                .collect();
            (!parts.is_empty()).then(|| format!("{} {}", r.gateway, parts.join(", ")))
        })
        .collect();
    (!gateways.is_empty()).then(|| gateways.join("; "))
}

/// `closed`, `open`, `half_open`, with `(forced)` for operator overrides.
fn breaker_cell(b: Option<&payorch::fleet::BreakerStatus>) -> String {
    let Some(b) = b else { return "-".into() };
    let state = serde_json::to_value(b.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    if b.forced {
        format!("{state} (forced)")
    } else {
        state
    }
}

/// How long ago the last failure was, then what it was (cut to fit the table, so the age
/// comes first).
fn last_error_cell(b: Option<&payorch::fleet::BreakerStatus>) -> String {
    let Some(e) = b.and_then(|b| b.last_error.as_ref()) else {
        return "-".into();
    };
    let now = payorch::clock::Clock::now(&payorch::clock::SystemClock);
    let ago = now.since(e.at).as_secs();
    let ago = match ago {
        0..60 => format!("{ago}s"),
        60..3600 => format!("{}m", ago / 60),
        3600..86400 => format!("{}h", ago / 3600),
        _ => format!("{}d", ago / 86400),
    };
    format!("{ago} ago: {}", e.message)
}

/// Every currency payorch knows reads as `all`; otherwise the codes.
fn currencies_cell(currencies: &[Currency]) -> String {
    if Currency::ALL.iter().all(|c| currencies.contains(c)) {
        return "all".into();
    }
    currencies
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}
