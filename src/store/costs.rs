//! What a range of charges cost: the query behind `payorch report costs|billing` and the
//! dashboard's costs panel ([`ChargeStore::charge_costs`](super::ChargeStore::charge_costs)),
//! its rows, and [`CostSums`], the one-pass accumulator both backends feed each charge of the
//! range into. No I/O here: a backend reads the charges (SQLite: one statement over the
//! `(tenant, created_at)` index; DynamoDB: the tenant's charge index, see its `charges.rs`),
//! this adds them up.
//!
//! **What is summed**, per group and currency (BRL is never added to USD):
//! - `charges`, and `by_status`: every charge created in the range, by its status now;
//! - `volume`: the amounts of the charges that were paid (succeeded, partially refunded,
//!   refunded: money reached the merchant), whatever happened after;
//! - `refunded`: what was returned of them (`amount_refunded`);
//! - `fees`: the charges' fees, split into the gateway's own figures and payorch's estimates
//!   from the `[fees]` schedule; `unpriced` counts paid charges with no fee at all (no gateway
//!   figure and no schedule rate). A fee is added to the row of *its* currency: a gateway that
//!   settles in another currency than the charge's reports its fee in that one, and payorch
//!   converts no currencies;
//! - `net = volume − refunded − fees`. A refund leaves the fee as it was (none of the gateways
//!   returns its fee on a refund: `Charge::settle_fee`), so a refunded charge still costs its
//!   whole fee: its net is negative.
//!
//! **Failover.** A paid charge held by another gateway than the one its first attempt went to
//! (`Charge.attempts[0]`: the primary, or the cheapest under the `cheapest` strategy, even when
//! its breaker refused the call) failed over. `failover.fees` is what such charges paid;
//! `failover.primary_fees` what the first gateway would have charged for the same method and
//! amount (the schedule's estimate); `failover.extra` the sum, charge by charge, of what was
//! paid *above* that estimate: a fallback that happened to be cheaper counts as 0 there, not as
//! a saving that hides another charge's extra (the signed difference is `fees −
//! primary_fees`). A failover charge without a fee or without a rate for the first gateway is
//! counted in `failover.unpriced` and left out of the three sums.
//!
//! Sums saturate at `i64::MAX` rather than wrap (no real range comes near).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::clock::Timestamp;
use crate::model::{
    ChargeStatus, Currency, Fee, FeeSchedule, FeeSource, GatewayId, Money, PaymentMethod, TenantId,
};

/// What the rows of a cost query are grouped by (and always by currency besides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CostGroup {
    /// The gateway that holds the charge (`none` while none accepted it).
    Gateway,
    Method,
    Tenant,
    /// The calendar day of `created_at`, at the query's UTC offset.
    Day,
}

impl CostGroup {
    pub const ALL: [CostGroup; 4] = [
        CostGroup::Gateway,
        CostGroup::Method,
        CostGroup::Tenant,
        CostGroup::Day,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CostGroup::Gateway => "gateway",
            CostGroup::Method => "method",
            CostGroup::Tenant => "tenant",
            CostGroup::Day => "day",
        }
    }
}

/// Which charges to add up: one tenant's or every tenant's (those `payorch tenant list`
/// shows), created in `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostQuery {
    /// `None`: every tenant in the store's tenant list.
    pub tenant: Option<TenantId>,
    /// Inclusive lower bound on `created_at`.
    pub from: Timestamp,
    /// Exclusive upper bound on `created_at`.
    pub to: Timestamp,
    pub group: CostGroup,
    /// Minutes east of UTC of the days [`CostGroup::Day`] cuts at (America/Sao_Paulo: −180).
    pub utc_offset_minutes: i32,
}

/// One group's key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CostKey {
    Gateway(Option<GatewayId>),
    Method(PaymentMethod),
    Tenant(TenantId),
    /// Days since 1970-01-01 at the query's offset; shown as `YYYY-MM-DD`.
    Day(i64),
}

impl fmt::Display for CostKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CostKey::Gateway(Some(g)) => f.write_str(g.as_str()),
            CostKey::Gateway(None) => f.write_str("none"),
            CostKey::Method(m) => f.write_str(m.as_str()),
            CostKey::Tenant(t) => f.write_str(t.as_str()),
            CostKey::Day(days) => {
                let (y, m, d) = civil_from_days(*days);
                write!(f, "{y:04}-{m:02}-{d:02}")
            }
        }
    }
}

impl Serialize for CostKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const DAY_MS: i64 = 86_400_000;

/// The UTC offset of America/Sao_Paulo in minutes (−03:00; no daylight saving time since
/// 2019): where payorch's reports cut days and months unless told otherwise.
pub const SAO_PAULO_UTC_OFFSET_MINUTES: i32 = -180;

/// The day `at` falls on, `utc_offset_minutes` east of UTC, as days since 1970-01-01.
pub fn day_of(at: Timestamp, utc_offset_minutes: i32) -> i64 {
    (at.unix_millis() + i64::from(utc_offset_minutes) * 60_000).div_euclid(DAY_MS)
}

/// The first instant of a day (days since 1970-01-01) at the offset.
fn day_start(day: i64, utc_offset_minutes: i32) -> Timestamp {
    Timestamp::from_unix_millis(day * DAY_MS - i64::from(utc_offset_minutes) * 60_000)
}

/// The first instant of the day `at` falls on, at the offset: "today" for the dashboard.
pub fn start_of_day(at: Timestamp, utc_offset_minutes: i32) -> Timestamp {
    day_start(day_of(at, utc_offset_minutes), utc_offset_minutes)
}

/// The first instant of the month `at` falls in, at the offset: "this month".
pub fn start_of_month(at: Timestamp, utc_offset_minutes: i32) -> Timestamp {
    let (y, m, _) = civil_from_days(day_of(at, utc_offset_minutes));
    day_start(days_from_civil(y, m, 1), utc_offset_minutes)
}

/// What failing over cost in one group (see the module doc).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FailoverCost {
    /// Paid charges held by another gateway than their first attempt's.
    pub charges: u64,
    /// The fees they paid.
    pub fees: i64,
    /// What their first gateways would have charged (the schedule's estimate).
    pub primary_fees: i64,
    /// Paid above that estimate, charge by charge (never negative).
    pub extra: i64,
    /// Failover charges left out of the sums: no fee, or no rate for the first gateway.
    pub unpriced: u64,
}

/// One group's sums in one currency (minor units).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CostRow {
    pub key: CostKey,
    pub currency: Currency,
    /// Every charge created in the range.
    pub charges: u64,
    /// Of those, how many are in each status now (statuses with none are left out).
    pub by_status: BTreeMap<ChargeStatus, u64>,
    /// Amounts of the paid charges.
    pub volume: i64,
    /// Returned of them.
    pub refunded: i64,
    /// Fees: `fees_gateway + fees_estimated`.
    pub fees: i64,
    /// Fees as the gateways reported them.
    pub fees_gateway: i64,
    /// Fees payorch estimated from the schedule.
    pub fees_estimated: i64,
    /// Paid charges with no fee known.
    pub unpriced: u64,
    /// `volume − refunded − fees`.
    pub net: i64,
    pub failover: FailoverCost,
}

impl CostRow {
    fn new(key: CostKey, currency: Currency) -> CostRow {
        CostRow {
            key,
            currency,
            charges: 0,
            by_status: BTreeMap::new(),
            volume: 0,
            refunded: 0,
            fees: 0,
            fees_gateway: 0,
            fees_estimated: 0,
            unpriced: 0,
            net: 0,
            failover: FailoverCost::default(),
        }
    }

    /// Fees over volume in millionths (`39_900` = 3.99 %), rounded half up; `None` without
    /// volume.
    pub fn effective_rate_ppm(&self) -> Option<i64> {
        (self.volume > 0).then(|| {
            let scaled = i128::from(self.fees) * 1_000_000 + i128::from(self.volume) / 2;
            i64::try_from(scaled / i128::from(self.volume)).unwrap_or(i64::MAX)
        })
    }

    /// How many charges are in `status`.
    pub fn count(&self, status: ChargeStatus) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Adds `other`'s sums to this row's (a total over groups; the key stays this row's). Both
    /// must be in the same currency: that is the caller's to check, as money is never added
    /// across currencies.
    pub fn absorb(&mut self, other: &CostRow) {
        debug_assert_eq!(self.currency, other.currency);
        self.charges += other.charges;
        for (status, n) in &other.by_status {
            *self.by_status.entry(*status).or_insert(0) += n;
        }
        for (mine, theirs) in [
            (&mut self.volume, other.volume),
            (&mut self.refunded, other.refunded),
            (&mut self.fees, other.fees),
            (&mut self.fees_gateway, other.fees_gateway),
            (&mut self.fees_estimated, other.fees_estimated),
            (&mut self.net, other.net),
            (&mut self.failover.fees, other.failover.fees),
            (&mut self.failover.primary_fees, other.failover.primary_fees),
            (&mut self.failover.extra, other.failover.extra),
        ] {
            *mine = mine.saturating_add(theirs);
        }
        self.unpriced += other.unpriced;
        self.failover.charges += other.failover.charges;
        self.failover.unpriced += other.failover.unpriced;
    }
}

/// What a backend reads of one charge for the sums: its stored fields, nothing decoded twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeCost<'a> {
    pub tenant: &'a TenantId,
    pub created_at: Timestamp,
    pub status: ChargeStatus,
    pub money: Money,
    pub amount_refunded: i64,
    pub method: PaymentMethod,
    /// The gateway that holds it.
    pub gateway: Option<GatewayId>,
    /// The gateway of its first attempt.
    pub first_gateway: Option<GatewayId>,
    pub fee: Option<Fee>,
}

impl<'a> ChargeCost<'a> {
    /// The facts of a decoded charge (the DynamoDB backend's way; SQLite reads them as columns).
    pub fn of(charge: &'a crate::model::Charge) -> ChargeCost<'a> {
        ChargeCost {
            tenant: &charge.tenant,
            created_at: charge.created_at,
            status: charge.status(),
            money: charge.money(),
            amount_refunded: charge.amount_refunded(),
            method: charge.method,
            gateway: charge.gateway,
            first_gateway: charge.attempts.first().map(|a| a.gateway),
            fee: charge.fee,
        }
    }
}

/// The accumulator: every charge of the range goes through [`CostSums::add`] once.
#[derive(Clone, Debug)]
pub struct CostSums<'a> {
    group: CostGroup,
    utc_offset_minutes: i32,
    schedule: &'a FeeSchedule,
    rows: BTreeMap<(CostKey, Currency), CostRow>,
}

impl<'a> CostSums<'a> {
    pub fn new(query: &CostQuery, schedule: &'a FeeSchedule) -> CostSums<'a> {
        CostSums {
            group: query.group,
            utc_offset_minutes: query.utc_offset_minutes,
            schedule,
            rows: BTreeMap::new(),
        }
    }

    fn key(&self, c: &ChargeCost<'_>) -> CostKey {
        match self.group {
            CostGroup::Gateway => CostKey::Gateway(c.gateway),
            CostGroup::Method => CostKey::Method(c.method),
            CostGroup::Tenant => CostKey::Tenant(c.tenant.clone()),
            CostGroup::Day => CostKey::Day(day_of(c.created_at, self.utc_offset_minutes)),
        }
    }

    fn row(&mut self, key: &CostKey, currency: Currency) -> &mut CostRow {
        self.rows
            .entry((key.clone(), currency))
            .or_insert_with(|| CostRow::new(key.clone(), currency))
    }

    /// Adds one charge.
    pub fn add(&mut self, c: &ChargeCost<'_>) {
        let key = self.key(c);
        let currency = c.money.currency();
        let paid = c.status.is_paid();
        let row = self.row(&key, currency);
        row.charges += 1;
        *row.by_status.entry(c.status).or_insert(0) += 1;
        if !paid {
            return;
        }
        row.volume = row.volume.saturating_add(c.money.minor());
        row.refunded = row.refunded.saturating_add(c.amount_refunded);
        match c.fee {
            None => row.unpriced += 1,
            Some(fee) => {
                let row = self.row(&key, fee.currency);
                row.fees = row.fees.saturating_add(fee.amount);
                match fee.source {
                    FeeSource::Gateway => {
                        row.fees_gateway = row.fees_gateway.saturating_add(fee.amount)
                    }
                    FeeSource::Estimated => {
                        row.fees_estimated = row.fees_estimated.saturating_add(fee.amount)
                    }
                }
            }
        }
        let Some(first) = c
            .first_gateway
            .filter(|f| c.gateway.is_some_and(|g| g != *f))
        else {
            return;
        };
        let primary = self.schedule.estimate(first, c.method, c.money);
        let row = self.row(&key, currency);
        row.failover.charges += 1;
        match (c.fee.filter(|f| f.currency == currency), primary) {
            (Some(paid), Some(primary)) => {
                let f = &mut row.failover;
                f.fees = f.fees.saturating_add(paid.amount);
                f.primary_fees = f.primary_fees.saturating_add(primary.amount);
                f.extra = f
                    .extra
                    .saturating_add((paid.amount - primary.amount).max(0));
            }
            _ => row.failover.unpriced += 1,
        }
    }

    /// The rows, ordered by key then currency, each with its net.
    pub fn finish(self) -> Vec<CostRow> {
        self.rows
            .into_values()
            .map(|mut r| {
                r.net = r.volume.saturating_sub(r.refunded).saturating_sub(r.fees);
                r
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_civil_dates_at_the_offset() {
        assert_eq!(CostKey::Day(0).to_string(), "1970-01-01");
        assert_eq!(CostKey::Day(-1).to_string(), "1969-12-31");
        assert_eq!(CostKey::Day(20_454).to_string(), "2026-01-01");
        assert_eq!(CostKey::Day(11_016).to_string(), "2000-02-29");
        // 02:59:59.999 UTC on Dec 5 is still Dec 4 in São Paulo (UTC−03:00); 03:00 is Dec 5.
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let dec4 = day_of(t("2026-12-05T02:59:59.999Z"), -180);
        assert_eq!(CostKey::Day(dec4).to_string(), "2026-12-04");
        let dec5 = day_of(t("2026-12-05T03:00:00Z"), -180);
        assert_eq!(CostKey::Day(dec5).to_string(), "2026-12-05");
        assert_eq!(
            CostKey::Day(day_of(t("2026-12-05T02:59:59.999Z"), 0)).to_string(),
            "2026-12-05"
        );
    }

    #[test]
    fn days_and_months_start_at_the_offset() {
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        let sp = SAO_PAULO_UTC_OFFSET_MINUTES;
        // 01:00 UTC on Dec 1 is 22:00 on Nov 30 in São Paulo.
        let at = t("2026-12-01T01:00:00Z");
        assert_eq!(start_of_day(at, sp), t("2026-11-30T03:00:00Z"));
        assert_eq!(start_of_month(at, sp), t("2026-11-01T03:00:00Z"));
        assert_eq!(start_of_day(at, 0), t("2026-12-01T00:00:00Z"));
        assert_eq!(start_of_month(at, 0), t("2026-12-01T00:00:00Z"));
        // A month's first instant is its own start; a leap day's month is February.
        assert_eq!(
            start_of_month(t("2028-02-29T12:00:00Z"), sp),
            t("2028-02-01T03:00:00Z")
        );
        assert_eq!(
            start_of_month(t("2027-01-01T03:00:00Z"), sp),
            t("2027-01-01T03:00:00Z")
        );
        for days in [-800_000, -1, 0, 1, 11_016, 20_454, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn effective_rates_round_half_up_and_need_volume() {
        let mut r = CostRow::new(CostKey::Gateway(None), Currency::Brl);
        assert_eq!(r.effective_rate_ppm(), None);
        r.volume = 10_000;
        r.fees = 438;
        assert_eq!(r.effective_rate_ppm(), Some(43_800));
        r.volume = 3;
        r.fees = 1;
        // 1/3 = 333 333.33… ppm.
        assert_eq!(r.effective_rate_ppm(), Some(333_333));
        r.fees = 2;
        // 2/3 = 666 666.67 ppm.
        assert_eq!(r.effective_rate_ppm(), Some(666_667));
    }
}
