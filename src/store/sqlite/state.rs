//! SQL for what instances share: versioned state documents (breaker, routing) and counters
//! (gateway health statistics).

use std::collections::BTreeMap;

use async_trait::async_trait;
use rusqlite::params;

use super::{
    SqliteStore, Target, decode, encode, insert_new, query_versioned, sql_error, version_of,
    version_param, write_at_version,
};
use crate::clock::Timestamp;
use crate::model::TenantId;
use crate::store::{
    CounterKey, CounterStore, Expect, StateKey, StateKind, StateStore, StoreResult, Versioned,
};

/// A state key's columns (tenant, kind, name) and its label for messages.
fn parts(key: &StateKey) -> (String, String, String, String) {
    let (tenant, kind, name) = (
        key.tenant.to_string(),
        key.kind.to_string(),
        key.name.clone(),
    );
    let label = format!("{tenant}/{kind}/{name}");
    (tenant, kind, name, label)
}

/// The state row a conditional write targets (`key`: tenant, kind, name).
fn state_row<'a>(label: &'a str, key: &'a [&'a str; 3]) -> Target<'a> {
    Target {
        entity: "state",
        id: label,
        exists_sql: "SELECT 1 FROM state WHERE tenant = ?1 AND kind = ?2 AND name = ?3",
        key,
    }
}

#[async_trait]
impl StateStore for SqliteStore {
    async fn get_state(&self, key: &StateKey) -> StoreResult<Option<Versioned<serde_json::Value>>> {
        let (tenant, kind, name, label) = parts(key);
        self.read(move |c| {
            let sql =
                "SELECT body, version FROM state WHERE tenant = ?1 AND kind = ?2 AND name = ?3";
            query_versioned(c, "state", &label, sql, [&tenant, &kind, &name])
        })
        .await
    }

    async fn put_state(
        &self,
        key: &StateKey,
        value: &serde_json::Value,
        expect: Expect,
    ) -> StoreResult<u64> {
        let (tenant, kind, name, label) = parts(key);
        let body = encode("state", &label, value)?;
        self.write(move |c| match expect {
            Expect::Absent => insert_new(
                c,
                "state",
                &label,
                "INSERT INTO state (tenant, kind, name, version, body) VALUES (?1, ?2, ?3, 1, ?4)",
                params![tenant, kind, name, body],
            )
            .map(|()| 1),
            Expect::Version(expected) => {
                let key = [tenant.as_str(), kind.as_str(), name.as_str()];
                let target = state_row(&label, &key);
                write_at_version(
                    c,
                    "UPDATE state SET version = version + 1, body = ?1
                     WHERE tenant = ?2 AND kind = ?3 AND name = ?4 AND version = ?5",
                    params![body, tenant, kind, name, version_param(expected)],
                    &target,
                    expected,
                )?;
                Ok(expected + 1)
            }
        })
        .await
    }

    async fn delete_state(&self, key: &StateKey, expected: u64) -> StoreResult<()> {
        let (tenant, kind, name, label) = parts(key);
        self.write(move |c| {
            let key = [tenant.as_str(), kind.as_str(), name.as_str()];
            let target = state_row(&label, &key);
            write_at_version(
                c,
                "DELETE FROM state WHERE tenant = ?1 AND kind = ?2 AND name = ?3 AND version = ?4",
                params![tenant, kind, name, version_param(expected)],
                &target,
                expected,
            )
        })
        .await
    }

    async fn list_state(
        &self,
        tenant: &TenantId,
        kind: StateKind,
    ) -> StoreResult<Vec<(String, Versioned<serde_json::Value>)>> {
        let (tenant, kind) = (tenant.to_string(), kind.to_string());
        self.read(move |c| {
            let ctx = |e| sql_error(&format!("list state `{kind}`"), e);
            let mut stmt = c
                .prepare_cached("SELECT name, body, version FROM state WHERE tenant = ?1 AND kind = ?2 ORDER BY name")
                .map_err(ctx)?;
            let rows = stmt
                .query_map([&tenant, &kind], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
                })
                .map_err(ctx)?;
            rows.map(|row| {
                let (name, body, version) = row.map_err(ctx)?;
                let value = Versioned {
                    value: decode("state", &name, &body)?,
                    version: version_of("state", &name, version)?,
                };
                Ok((name, value))
            })
            .collect()
        })
        .await
    }
}

#[async_trait]
impl CounterStore for SqliteStore {
    /// One row per field; the upsert adds inside SQLite, so concurrent adds never lose one.
    async fn add_counters(
        &self,
        key: &CounterKey,
        deltas: &BTreeMap<String, i64>,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let (tenant, series, bucket) = (
            key.tenant.to_string(),
            key.series.clone(),
            key.bucket.unix_millis(),
        );
        let deltas = deltas.clone();
        self.write(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "INSERT INTO counters (tenant, series, bucket, field, value, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (tenant, series, bucket, field) DO UPDATE SET
                        value = value + excluded.value,
                        expires_at = max(expires_at, excluded.expires_at)",
                )
                .map_err(|e| sql_error("add counters", e))?;
            for (field, delta) in &deltas {
                stmt.execute(params![
                    tenant,
                    series,
                    bucket,
                    field,
                    delta,
                    expires_at.unix_millis()
                ])
                .map_err(|e| sql_error(&format!("add to counter `{series}.{field}`"), e))?;
            }
            Ok(())
        })
        .await
    }

    async fn read_counters(
        &self,
        tenant: &TenantId,
        series: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<(Timestamp, BTreeMap<String, i64>)>> {
        let (tenant, series) = (tenant.to_string(), series.to_string());
        self.read(move |c| {
            let ctx = |e| sql_error(&format!("read counters `{series}`"), e);
            let mut stmt = c
                .prepare_cached(
                    "SELECT bucket, field, value FROM counters
                     WHERE tenant = ?1 AND series = ?2 AND bucket >= ?3 AND bucket < ?4
                     ORDER BY bucket, field",
                )
                .map_err(ctx)?;
            let rows = stmt
                .query_map(
                    params![tenant, series, from.unix_millis(), to.unix_millis()],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    },
                )
                .map_err(ctx)?;
            let mut buckets: Vec<(Timestamp, BTreeMap<String, i64>)> = Vec::new();
            for row in rows {
                let (bucket, field, value) = row.map_err(ctx)?;
                let bucket = Timestamp::from_unix_millis(bucket);
                match buckets.last_mut() {
                    Some((b, fields)) if *b == bucket => {
                        fields.insert(field, value);
                    }
                    _ => buckets.push((bucket, BTreeMap::from([(field, value)]))),
                }
            }
            Ok(buckets)
        })
        .await
    }
}
