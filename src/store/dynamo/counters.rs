//! Counter buckets: one `COUNTER#<tenant>#<series>` partition per series, one item per bucket
//! (sort key: the bucket's start, [`sort_millis`]), one number attribute per field. A field's
//! attribute is its name behind the prefix [`FIELD`], so no field can overwrite `pk`, `sk` or
//! `ttl`. Adds are DynamoDB's own `ADD`, so concurrent adds never lose an increment.

use std::collections::BTreeMap;

use super::item::{Item, ItemExt, n, s, ttl};
use super::{DynamoStore, sort_millis};
use crate::clock::Timestamp;
use crate::model::TenantId;
use crate::store::{CounterKey, CounterStore, StoreError, StoreResult};
use async_trait::async_trait;

/// The prefix of a field's attribute name.
const FIELD: &str = "f:";

fn partition(tenant: &TenantId, series: &str) -> String {
    format!("COUNTER#{tenant}#{series}")
}

fn bucket(item: &Item) -> StoreResult<(Timestamp, BTreeMap<String, i64>)> {
    let start = item.string("sk")?;
    let start = start
        .parse()
        .map(Timestamp::from_unix_millis)
        .map_err(|_| StoreError::Corrupt(format!("counter bucket `{start}` is not a time")))?;
    let mut fields = BTreeMap::new();
    for name in item.keys() {
        if let Some(field) = name.strip_prefix(FIELD) {
            fields.insert(field.to_string(), item.int(name)?);
        }
    }
    Ok((start, fields))
}

#[async_trait]
impl CounterStore for DynamoStore {
    /// One `UpdateItem`: `ADD` every delta, `SET` the TTL (the newest add's expiry).
    async fn add_counters(
        &self,
        key: &CounterKey,
        deltas: &BTreeMap<String, i64>,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        if deltas.is_empty() {
            return Ok(());
        }
        let mut update = self
            .update_at(
                &partition(&key.tenant, &key.series),
                &sort_millis(key.bucket),
            )
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":ttl", ttl(expires_at));
        let mut adds = Vec::with_capacity(deltas.len());
        for (i, (field, delta)) in deltas.iter().enumerate() {
            adds.push(format!("#f{i} :d{i}"));
            update = update
                .expression_attribute_names(format!("#f{i}"), format!("{FIELD}{field}"))
                .expression_attribute_values(format!(":d{i}"), n(delta));
        }
        update
            .update_expression(format!("SET #ttl = :ttl ADD {}", adds.join(", ")))
            .send()
            .await
            .map_err(|e| self.ddb_error("UpdateItem", e))?;
        Ok(())
    }

    /// One consistent `Query`: `sk BETWEEN from AND to - 1ms` (`to` is exclusive).
    async fn read_counters(
        &self,
        tenant: &TenantId,
        series: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<(Timestamp, BTreeMap<String, i64>)>> {
        let last = Timestamp::from_unix_millis(to.unix_millis().saturating_sub(1));
        if last.unix_millis() < from.unix_millis().max(0) {
            return Ok(Vec::new());
        }
        let query = self
            .ddb
            .query()
            .table_name(&self.settings.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :last")
            .expression_attribute_values(":pk", s(partition(tenant, series)))
            .expression_attribute_values(":from", s(sort_millis(from)))
            .expression_attribute_values(":last", s(sort_millis(last)))
            .consistent_read(true);
        self.collect_query(query)
            .await?
            .iter()
            .map(bucket)
            .collect()
    }
}
