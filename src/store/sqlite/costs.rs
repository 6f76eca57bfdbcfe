//! SQL for the cost query (`ChargeStore::charge_costs`): one statement over the
//! `charges_by_tenant_created (tenant, created_at)` index, the few fields the sums need taken
//! from each row's JSON body with `json_extract` (SQLite parses a body once for all of them),
//! each row handed to [`CostSums`] as it is read. No column or index of its own: a charge's
//! write path is exactly what it was (measured in `docs/PERFORMANCE.md`, "Reports on a
//! million charges": a month of 82,000 charges in 0.3 s, all 1,000,000 in 3.3 s).

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};

use super::{SqliteStore, sql_error};
use crate::clock::Timestamp;
use crate::model::{
    ChargeStatus, Currency, Fee, FeeSchedule, FeeSource, GatewayId, Money, PaymentMethod, TenantId,
};
use crate::store::costs::{ChargeCost, CostSums};
use crate::store::{CostQuery, CostRow, StoreError, StoreResult};

/// The columns every variant reads, in the order [`facts`] takes them.
const COLUMNS: &str = "SELECT id, tenant, status, gateway, created_at,
        json_extract(body, '$.amount'), json_extract(body, '$.currency'),
        json_extract(body, '$.amount_refunded'), json_extract(body, '$.method'),
        json_extract(body, '$.attempts[0].gateway'), json_extract(body, '$.fee.amount'),
        json_extract(body, '$.fee.currency'), json_extract(body, '$.fee.source')
     FROM charges";

/// One tenant's range: a range scan of the index.
const ONE_TENANT: &str = " WHERE tenant = ?1 AND created_at >= ?2 AND created_at < ?3";

/// Every listed tenant's range: the same scan once per tenant (`IN` over the index's prefix).
const EVERY_TENANT: &str =
    " WHERE tenant IN (SELECT id FROM tenants) AND created_at >= ?1 AND created_at < ?2";

impl SqliteStore {
    pub(super) async fn sum_charge_costs(
        &self,
        query: &CostQuery,
        schedule: &FeeSchedule,
    ) -> StoreResult<Vec<CostRow>> {
        let (from, to) = (query.from.unix_millis(), query.to.unix_millis());
        let (sql, args) = match &query.tenant {
            Some(t) => (
                format!("{COLUMNS}{ONE_TENANT}"),
                vec![
                    Value::Text(t.to_string()),
                    Value::Integer(from),
                    Value::Integer(to),
                ],
            ),
            None => (
                format!("{COLUMNS}{EVERY_TENANT}"),
                vec![Value::Integer(from), Value::Integer(to)],
            ),
        };
        let (query, schedule) = (query.clone(), schedule.clone());
        self.read(move |c| sum(c, &sql, args, &query, &schedule))
            .await
    }
}

fn sum(
    c: &Connection,
    sql: &str,
    args: Vec<Value>,
    query: &CostQuery,
    schedule: &FeeSchedule,
) -> StoreResult<Vec<CostRow>> {
    let ctx = |e| sql_error("sum charge costs", e);
    let mut sums = CostSums::new(query, schedule);
    let mut stmt = c.prepare_cached(sql).map_err(ctx)?;
    let mut rows = stmt.query(params_from_iter(args)).map_err(ctx)?;
    // Rows come tenant by tenant: parse a tenant's id once.
    let mut tenant: Option<TenantId> = None;
    while let Some(row) = rows.next().map_err(ctx)? {
        let name: &str = row.get_ref(1).and_then(|v| Ok(v.as_str()?)).map_err(ctx)?;
        if tenant.as_ref().is_none_or(|t| t.as_str() != name) {
            tenant = Some(TenantId::parse(name).map_err(|e| corrupt(row, &e.to_string()))?);
        }
        let Some(t) = tenant.as_ref() else {
            continue;
        };
        sums.add(&facts(row, t)?);
    }
    Ok(sums.finish())
}

/// A stored value the sums cannot read: the row's id and what is wrong.
fn corrupt(row: &Row<'_>, what: &str) -> StoreError {
    let id: String = row.get(0).unwrap_or_default();
    StoreError::Corrupt(format!("charge `{id}`: {what}"))
}

/// A text column parsed by `parse`, which names what it expected.
fn text<T>(
    row: &Row<'_>,
    i: usize,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> StoreResult<Option<T>> {
    let value = row
        .get_ref(i)
        .map_err(|e| sql_error("sum charge costs", e))?;
    match value.as_str_or_null() {
        Ok(None) => Ok(None),
        Ok(Some(s)) => parse(s)
            .map(Some)
            .ok_or_else(|| corrupt(row, &format!("`{s}` is not a {what}"))),
        Err(_) => Err(corrupt(row, &format!("the {what} is not text"))),
    }
}

fn int(row: &Row<'_>, i: usize, what: &str) -> StoreResult<Option<i64>> {
    row.get::<_, Option<i64>>(i)
        .map_err(|_| corrupt(row, &format!("the {what} is not an integer")))
}

fn required<T>(value: Option<T>, row: &Row<'_>, what: &str) -> StoreResult<T> {
    value.ok_or_else(|| corrupt(row, &format!("no {what}")))
}

fn status(s: &str) -> Option<ChargeStatus> {
    ChargeStatus::ALL.into_iter().find(|x| x.as_str() == s)
}

fn gateway(s: &str) -> Option<GatewayId> {
    GatewayId::ALL.into_iter().find(|x| x.as_str() == s)
}

fn method(s: &str) -> Option<PaymentMethod> {
    PaymentMethod::ALL.into_iter().find(|x| x.as_str() == s)
}

fn source(s: &str) -> Option<FeeSource> {
    [FeeSource::Gateway, FeeSource::Estimated]
        .into_iter()
        .find(|x| x.as_str() == s)
}

/// The facts of one row, in [`COLUMNS`]' order.
fn facts<'t>(row: &Row<'_>, tenant: &'t TenantId) -> StoreResult<ChargeCost<'t>> {
    let currency = required(
        text(row, 6, "currency", |s| Currency::parse(s).ok())?,
        row,
        "currency",
    )?;
    let amount = required(int(row, 5, "amount")?, row, "amount")?;
    let money = Money::from_minor(amount, currency).map_err(|e| corrupt(row, &e.to_string()))?;
    let fee = match int(row, 10, "fee amount")? {
        None => None,
        Some(amount) => Some(Fee {
            amount,
            currency: required(
                text(row, 11, "fee currency", |s| Currency::parse(s).ok())?,
                row,
                "fee currency",
            )?,
            source: required(text(row, 12, "fee source", source)?, row, "fee source")?,
        }),
    };
    Ok(ChargeCost {
        tenant,
        created_at: Timestamp::from_unix_millis(required(
            int(row, 4, "created_at")?,
            row,
            "created_at",
        )?),
        status: required(text(row, 2, "charge status", status)?, row, "status")?,
        money,
        amount_refunded: int(row, 7, "amount refunded")?.unwrap_or(0),
        method: required(text(row, 8, "payment method", method)?, row, "method")?,
        gateway: text(row, 3, "gateway", gateway)?,
        first_gateway: text(row, 9, "gateway", gateway)?,
        fee,
    })
}
