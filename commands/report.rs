//! `payorch report costs|billing`: what charges cost, and a month's statement per tenant, from
//! the store's one-pass sums (`ChargeStore::charge_costs`, defined in `payorch::store::costs`).
//! Tables for people, `-o json` and `-o csv` (minor units and currency codes) for scripts.
//!
//! **Days and months** are cut at a fixed UTC offset, `--utc-offset`, by default −03:00:
//! America/Sao_Paulo, where payorch's merchants and their gateways (Asaas, Efí) keep their
//! books; Brazil has had no daylight saving time since 2019, so the offset is the zone. A date
//! in `--from`/`--to` is a whole day at that offset; an RFC 3339 time is taken as written.
//! Charges are counted by their `created_at`. Both commands cover every tenant
//! (`payorch tenant list`) unless `--tenant` names one.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};

use payorch::clock::{Clock, Timestamp};
use payorch::model::{ChargeStatus, Currency, TenantId};
use payorch::store::costs::start_of_month;
use payorch::store::{CostGroup, CostQuery, CostRow, Store};

use super::amount::major;
use super::output::Format;
use super::{CliError, Ctx, Exit};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// What charges cost: volume, refunds, fees, net and failover, by gateway, method, tenant
    /// or day
    Costs(CostsArgs),
    /// A month's statement per tenant: counts by status, volume, refunds, fees paid, net
    Billing(BillingArgs),
}

#[derive(Debug, Args)]
pub struct CostsArgs {
    /// Start, included: a date YYYY-MM-DD (from its first instant at --utc-offset) or an RFC
    /// 3339 time [default: the first day of --to's month]
    #[arg(long, value_name = "WHEN")]
    pub from: Option<String>,
    /// End: a date YYYY-MM-DD (included, to its last instant at --utc-offset) or an RFC 3339
    /// time (excluded) [default: now]
    #[arg(long, value_name = "WHEN")]
    pub to: Option<String>,
    /// One row per gateway, payment method, tenant or day (and per currency)
    #[arg(long, value_enum, default_value_t = By::Gateway)]
    pub by: By,
    #[command(flatten)]
    pub zone: Zone,
}

#[derive(Debug, Args)]
pub struct BillingArgs {
    /// The month, YYYY-MM (from its first day to its last at --utc-offset)
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    pub month: (i32, Month),
    #[command(flatten)]
    pub zone: Zone,
}

/// America/Sao_Paulo (no daylight saving time since 2019): `--utc-offset`'s default.
pub const DEFAULT_UTC_OFFSET: UtcOffset = time::macros::offset!(-3);

#[derive(Debug, Args)]
pub struct Zone {
    /// The UTC offset days and months are cut at, ±HH:MM [default: -03:00, America/Sao_Paulo]
    #[arg(long, value_name = "OFFSET", default_value = "-03:00", allow_hyphen_values = true, value_parser = parse_offset)]
    pub utc_offset: UtcOffset,
}

/// What `report costs` groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    Gateway,
    Method,
    Tenant,
    Day,
}

impl By {
    fn group(self) -> CostGroup {
        match self {
            By::Gateway => CostGroup::Gateway,
            By::Method => CostGroup::Method,
            By::Tenant => CostGroup::Tenant,
            By::Day => CostGroup::Day,
        }
    }
}

fn parse_offset(s: &str) -> Result<UtcOffset, String> {
    let bad =
        || format!("`{s}` is not a UTC offset: write ±HH:MM from -12:00 to +14:00, e.g. -03:00");
    if s.eq_ignore_ascii_case("z") {
        return Ok(UtcOffset::UTC);
    }
    let format = format_description!("[offset_hour sign:mandatory]:[offset_minute]");
    // Real zones run from −12:00 to +14:00.
    UtcOffset::parse(s, &format)
        .ok()
        .filter(|o| (-12 * 60..=14 * 60).contains(&o.whole_minutes()))
        .ok_or_else(bad)
}

fn parse_month(s: &str) -> Result<(i32, Month), String> {
    let bad = || format!("`{s}` is not a month: write YYYY-MM, e.g. 2026-11");
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    let digits = |d: &str, n: usize| d.len() == n && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    Ok((year, Month::try_from(month).map_err(|_| bad())?))
}

/// The instant `date` starts at `offset`.
fn start_of(date: Date, offset: UtcOffset) -> Timestamp {
    Timestamp::from_offset_date_time(OffsetDateTime::new_in_offset(date, Time::MIDNIGHT, offset))
}

/// `--from`/`--to`: a date (its start; with `end`, the next day's start) or an RFC 3339 time.
fn parse_when(flag: &str, s: &str, offset: UtcOffset, end: bool) -> Result<Timestamp, CliError> {
    let date_format = format_description!("[year]-[month]-[day]");
    if let Ok(date) = Date::parse(s, &date_format) {
        let date = if end {
            date.next_day().ok_or_else(|| usage(flag, s))?
        } else {
            date
        };
        return Ok(start_of(date, offset));
    }
    Timestamp::parse_rfc3339(s).map_err(|_| usage(flag, s))
}

fn usage(flag: &str, s: &str) -> CliError {
    CliError::new(
        Exit::Usage,
        format!(
            "{flag}: `{s}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time \
             (2026-12-05T10:00:00-03:00)"
        ),
    )
}

/// The first instant of the month `at` falls in, at `offset`.
fn month_start(at: Timestamp, offset: UtcOffset) -> Timestamp {
    start_of_month(at, offset.whole_minutes().into())
}

/// The first and the next month's first instant of `(year, month)` at `offset`.
fn month_range(
    (year, month): (i32, Month),
    offset: UtcOffset,
) -> Result<(Timestamp, Timestamp), CliError> {
    let bad = || {
        CliError::new(
            Exit::Usage,
            format!("--month: {year:04}-{month} is out of range"),
        )
    };
    let first = Date::from_calendar_date(year, month, 1).map_err(|_| bad())?;
    let next_year = if month == Month::December {
        year + 1
    } else {
        year
    };
    let next = Date::from_calendar_date(next_year, month.next(), 1).map_err(|_| bad())?;
    Ok((start_of(first, offset), start_of(next, offset)))
}

/// An instant as written at `offset` (RFC 3339).
fn at_offset(t: Timestamp, offset: UtcOffset) -> String {
    t.to_offset_date_time()
        .to_offset(offset)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.to_rfc3339())
}

/// `-03:00`.
pub(crate) fn offset_text(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

pub async fn run(ctx: &Ctx, tenant: Option<TenantId>, cmd: ReportCommand) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::Costs(args) => costs(ctx, tenant, args).await,
        ReportCommand::Billing(args) => billing(ctx, tenant, args).await,
    }
}

/// The tenant `--tenant` names, checked (exit 3 when the store has none such).
async fn named_tenant(
    store: &dyn Store,
    tenant: Option<TenantId>,
) -> anyhow::Result<Option<payorch::model::Tenant>> {
    let Some(id) = tenant else {
        return Ok(None);
    };
    match store.get_tenant(&id).await? {
        Some(t) => Ok(Some(t)),
        None => Err(CliError::new(
            Exit::NotFound,
            format!("--tenant: there is no tenant `{id}` (see `payorch tenant list`)"),
        )
        .into()),
    }
}

async fn costs(ctx: &Ctx, tenant: Option<TenantId>, args: CostsArgs) -> anyhow::Result<()> {
    let offset = args.zone.utc_offset;
    let to = match &args.to {
        Some(s) => parse_when("--to", s, offset, true)?,
        None => ctx.clock.now(),
    };
    let from = match &args.from {
        Some(s) => parse_when("--from", s, offset, false)?,
        None => month_start(Timestamp::from_unix_millis(to.unix_millis() - 1), offset),
    };
    if from >= to {
        return Err(CliError::new(
            Exit::Usage,
            format!(
                "--from ({}) is not before --to ({}): the range would be empty",
                at_offset(from, offset),
                at_offset(to, offset)
            ),
        )
        .into());
    }
    let store = ctx.store().await?;
    let named = named_tenant(store.as_ref(), tenant).await?;
    let query = CostQuery {
        tenant: named.as_ref().map(|t| t.id.clone()),
        from,
        to,
        group: args.by.group(),
        utc_offset_minutes: offset.whole_minutes().into(),
    };
    let rows = store
        .charge_costs(&query, &ctx.config().fees.schedule())
        .await?;
    let by = args.by.group().as_str();
    match ctx.out.format {
        Format::Json => ctx.out.json(&json!({
            "from": at_offset(from, offset),
            "to": at_offset(to, offset),
            "utc_offset": offset_text(offset),
            "tenant": query.tenant,
            "by": by,
            "rows": rows.iter().map(|r| row_json(by, r)).collect::<Vec<_>>(),
        })),
        Format::Csv => {
            let mut headers = vec![by, "currency"];
            headers.extend(SUM_COLUMNS);
            headers.extend(FAILOVER_COLUMNS);
            let lines = rows
                .iter()
                .map(|r| {
                    let mut line = vec![r.key.to_string(), r.currency.to_string()];
                    line.extend(sum_cells(r));
                    line.extend(failover_cells(r));
                    line
                })
                .collect();
            ctx.out.csv(&headers, lines)
        }
        Format::Table => {
            let whose = match &query.tenant {
                Some(t) => format!("tenant {t}"),
                None => "every tenant".into(),
            };
            ctx.out.line(&format!(
                "Costs of {whose}, {} to {}, by {by}\n",
                at_offset(from, offset),
                at_offset(to, offset)
            ))?;
            let header = by.to_uppercase();
            let headers = [
                header.as_str(),
                "CHARGES",
                "VOLUME",
                "REFUNDED",
                "FEES",
                "RATE",
                "NET",
                "FAILOVER+",
            ];
            let lines = rows
                .iter()
                .map(|r| {
                    let m = |minor| major(minor, r.currency);
                    vec![
                        r.key.to_string(),
                        r.charges.to_string(),
                        m(r.volume),
                        m(r.refunded),
                        m(r.fees),
                        rate(r),
                        m(r.net),
                        m(r.failover.extra),
                    ]
                })
                .collect();
            ctx.out
                .table(&headers, lines, "No charges in this range.")?;
            if !rows.is_empty() {
                ctx.out.line(&format!("\n{}", legend(&rows)))?;
            }
            Ok(())
        }
    }
}

/// The sums' CSV columns after the key and currency (minor units).
const SUM_COLUMNS: [&str; 17] = [
    "charges",
    "pending",
    "requires_action",
    "processing",
    "succeeded",
    "failed",
    "canceled",
    "refunded_charges",
    "partially_refunded",
    "unknown",
    "volume",
    "refunded",
    "fees",
    "fees_gateway",
    "fees_estimated",
    "unpriced",
    "net",
];

const FAILOVER_COLUMNS: [&str; 6] = [
    "effective_rate_ppm",
    "failover_charges",
    "failover_fees",
    "failover_primary_fees",
    "failover_extra",
    "failover_unpriced",
];

fn sum_cells(r: &CostRow) -> Vec<String> {
    let mut cells = vec![r.charges.to_string()];
    cells.extend(ChargeStatus::ALL.iter().map(|s| r.count(*s).to_string()));
    cells.extend(
        [
            r.volume,
            r.refunded,
            r.fees,
            r.fees_gateway,
            r.fees_estimated,
        ]
        .map(|v| v.to_string()),
    );
    cells.push(r.unpriced.to_string());
    cells.push(r.net.to_string());
    cells
}

fn failover_cells(r: &CostRow) -> Vec<String> {
    let f = &r.failover;
    vec![
        r.effective_rate_ppm()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        f.charges.to_string(),
        f.fees.to_string(),
        f.primary_fees.to_string(),
        f.extra.to_string(),
        f.unpriced.to_string(),
    ]
}

/// Fees over volume as a percent with two decimals (`4.38%`), `-` without volume.
pub(crate) fn rate(r: &CostRow) -> String {
    match r.effective_rate_ppm() {
        // Hundredths of a percent, rounded half up: ppm / 100.
        Some(ppm) => {
            let bp = (ppm + 50) / 100;
            format!("{}.{:02}%", bp / 100, bp % 100)
        }
        None => "-".into(),
    }
}

/// What a row holds besides its key, as JSON (minor units).
fn sums_json(r: &CostRow) -> serde_json::Map<String, Value> {
    let by_status: serde_json::Map<String, Value> = r
        .by_status
        .iter()
        .map(|(s, n)| (s.as_str().to_string(), json!(n)))
        .collect();
    let v = json!({
        "currency": r.currency,
        "charges": r.charges,
        "by_status": by_status,
        "volume": r.volume,
        "refunded": r.refunded,
        "fees": r.fees,
        "fees_gateway": r.fees_gateway,
        "fees_estimated": r.fees_estimated,
        "unpriced": r.unpriced,
        "net": r.net,
    });
    match v {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn row_json(by: &str, r: &CostRow) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(by.to_string(), json!(r.key.to_string()));
    map.extend(sums_json(r));
    map.insert("effective_rate_ppm".into(), json!(r.effective_rate_ppm()));
    map.insert("failover".into(), json!(r.failover));
    Value::Object(map)
}

/// The lines under a costs table: what the estimated part of the fees is, which paid charges
/// have none, and what FAILOVER+ means, per currency.
fn legend(rows: &[CostRow]) -> String {
    let mut per: std::collections::BTreeMap<Currency, (i64, u64)> = Default::default();
    for r in rows {
        let e = per.entry(r.currency).or_default();
        e.0 += r.fees_estimated;
        e.1 += r.unpriced;
    }
    let mut lines: Vec<String> = per
        .into_iter()
        .filter(|(_, (estimated, unpriced))| *estimated > 0 || *unpriced > 0)
        .map(|(c, (estimated, unpriced))| {
            format!(
                "{c}: {} of the fees estimated from the [fees] schedule; {unpriced} paid charge(s) \
                 without a fee.",
                major(estimated, c)
            )
        })
        .collect();
    lines.push(
        "RATE = fees / volume. FAILOVER+ = fees paid on a fallback above what the first gateway \
         tried would have charged."
            .into(),
    );
    lines.join("\n")
}

async fn billing(ctx: &Ctx, tenant: Option<TenantId>, args: BillingArgs) -> anyhow::Result<()> {
    let offset = args.zone.utc_offset;
    let (from, to) = month_range(args.month, offset)?;
    let month = format!("{:04}-{:02}", args.month.0, args.month.1 as u8);
    let store = ctx.store().await?;
    let tenants = match named_tenant(store.as_ref(), tenant).await? {
        Some(t) => vec![t],
        None => store.list_tenants().await?,
    };
    let query = CostQuery {
        tenant: (tenants.len() == 1).then(|| tenants[0].id.clone()),
        from,
        to,
        group: CostGroup::Tenant,
        utc_offset_minutes: offset.whole_minutes().into(),
    };
    let rows = store
        .charge_costs(&query, &ctx.config().fees.schedule())
        .await?;
    let of = |t: &TenantId| -> Vec<&CostRow> {
        rows.iter()
            .filter(|r| r.key.to_string() == t.as_str())
            .collect()
    };
    match ctx.out.format {
        Format::Json => ctx.out.json(&json!({
            "month": month,
            "from": at_offset(from, offset),
            "to": at_offset(to, offset),
            "utc_offset": offset_text(offset),
            "tenants": tenants.iter().map(|t| json!({
                "tenant": t.id,
                "name": t.name,
                "totals": of(&t.id).into_iter().map(sums_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })),
        Format::Csv => {
            let mut headers = vec!["month", "tenant", "name", "currency"];
            headers.extend(SUM_COLUMNS);
            let mut lines = Vec::new();
            for t in &tenants {
                for r in of(&t.id) {
                    let mut line = vec![
                        month.clone(),
                        t.id.to_string(),
                        t.name.clone(),
                        r.currency.to_string(),
                    ];
                    line.extend(sum_cells(r));
                    lines.push(line);
                }
            }
            ctx.out.csv(&headers, lines)
        }
        Format::Table => {
            let mut text = format!(
                "Billing for {month}: {} to {}\n",
                at_offset(from, offset),
                at_offset(to, offset)
            );
            for t in &tenants {
                text.push_str(&format!("\n{} ({})\n", t.id, t.name));
                let totals = of(&t.id);
                if totals.is_empty() {
                    text.push_str("  no charges\n");
                }
                for r in totals {
                    text.push_str(&statement(r));
                }
            }
            ctx.out.line(text.trim_end())
        }
    }
}

/// One tenant's totals in one currency, for people.
fn statement(r: &CostRow) -> String {
    let m = |minor| major(minor, r.currency);
    let counts: Vec<String> = r
        .by_status
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let mut fees = m(r.fees);
    if r.fees_estimated > 0 {
        fees.push_str(&format!(" ({} estimated)", m(r.fees_estimated)));
    }
    if r.unpriced > 0 {
        fees.push_str(&format!(", {} paid charge(s) without a fee", r.unpriced));
    }
    let fields = [
        ("currency", r.currency.to_string()),
        ("charges", format!("{} ({})", r.charges, counts.join(", "))),
        ("volume", m(r.volume)),
        ("refunds", m(r.refunded)),
        ("fees", fees),
        ("net", m(r.net)),
    ];
    fields
        .iter()
        .map(|(k, v)| format!("  {k:<9} {v}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_offsets_parse_strictly() {
        assert_eq!(parse_month("2026-11"), Ok((2026, Month::November)));
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "",
            "2026-11-01",
        ] {
            let err = parse_month(bad).unwrap_err();
            assert!(err.contains("YYYY-MM"), "{bad}: {err}");
        }
        assert_eq!(parse_offset("-03:00").unwrap().whole_minutes(), -180);
        assert_eq!(parse_offset("+05:30").unwrap().whole_minutes(), 330);
        assert_eq!(parse_offset("Z").unwrap(), UtcOffset::UTC);
        for bad in ["-3", "03:00", "-03", "UTC", "-25:00"] {
            assert!(parse_offset(bad).is_err(), "{bad}");
        }
        assert_eq!(offset_text(parse_offset("-03:00").unwrap()), "-03:00");
        assert_eq!(offset_text(parse_offset("+05:30").unwrap()), "+05:30");
    }

    #[test]
    fn dates_are_whole_days_at_the_offset_and_times_are_as_written() {
        let sp = parse_offset("-03:00").unwrap();
        let t = |s| Timestamp::parse_rfc3339(s).unwrap();
        assert_eq!(
            parse_when("--from", "2026-12-01", sp, false).unwrap(),
            t("2026-12-01T03:00:00Z")
        );
        assert_eq!(
            parse_when("--to", "2026-12-31", sp, true).unwrap(),
            t("2027-01-01T03:00:00Z")
        );
        assert_eq!(
            parse_when("--to", "2026-12-05T10:00:00-03:00", sp, true).unwrap(),
            t("2026-12-05T13:00:00Z")
        );
        let err = parse_when("--from", "yesterday", sp, false).unwrap_err();
        assert!(err.message.starts_with("--from: `yesterday`"), "{err}");
        assert_eq!(
            month_range((2026, Month::December), sp).unwrap(),
            (t("2026-12-01T03:00:00Z"), t("2027-01-01T03:00:00Z"))
        );
        // 01:00 UTC on Dec 1 is still November in São Paulo.
        assert_eq!(
            month_start(t("2026-12-01T01:00:00Z"), sp),
            t("2026-11-01T03:00:00Z")
        );
        assert_eq!(
            at_offset(t("2026-12-01T03:00:00Z"), sp),
            "2026-12-01T00:00:00-03:00"
        );
    }

    #[test]
    fn rates_show_two_decimals_rounded_half_up() {
        let mut r = CostRow {
            key: payorch::store::CostKey::Gateway(None),
            currency: Currency::Brl,
            charges: 1,
            by_status: Default::default(),
            volume: 10_000,
            refunded: 0,
            fees: 438,
            fees_gateway: 438,
            fees_estimated: 0,
            unpriced: 0,
            net: 0,
            failover: Default::default(),
        };
        assert_eq!(rate(&r), "4.38%");
        r.fees = 1;
        r.volume = 3;
        assert_eq!(rate(&r), "33.33%");
        r.fees = 2;
        assert_eq!(rate(&r), "66.67%");
        r.volume = 0;
        assert_eq!(rate(&r), "-");
    }
}
