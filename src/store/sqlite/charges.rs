//! SQL for charges and the idempotency keys that guard their creation.
//! Not the charge flow: the orchestrator decides what to write and when.

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

use super::events::EventRow;
use super::queue::MessageRow;
use super::webhooks::InboundRow;
use super::{
    SqliteStore, Target, encode, insert_new, into_page, page_size, query_bodies, query_versioned,
    sql_error, version_param, write_at_version,
};
use crate::clock::Timestamp;
use crate::id::ChargeId;
use crate::model::{Charge, Event, FeeSchedule, GatewayId, TenantId};
use crate::store::{
    ChargeQuery, ChargeStore, Claim, CostQuery, CostRow, IdempotencyRecord, IdempotencyStore,
    InboundWebhook, KEY_ENTITY, KeyWrite, Page, QueueMessage, StoreError, StoreResult, Versioned,
};

#[async_trait]
impl ChargeStore for SqliteStore {
    async fn create_charge(&self, charge: &Charge) -> StoreResult<()> {
        let row = ChargeRow::new(charge)?;
        self.write(move |c| row.insert(c)).await
    }

    /// One write job, so one transaction: a failed job rolls back to its savepoint, the key's
    /// write with it.
    async fn create_charge_keyed(&self, charge: &Charge, key: &KeyWrite) -> StoreResult<()> {
        let row = ChargeRow::new(charge)?;
        let key = KeyRow::new(key)?;
        self.write(move |c| {
            key.put(c)?;
            row.insert(c)
        })
        .await
    }

    /// One write job: the charge, its event and delivery, and the key if it is as seen.
    async fn update_charge_emitting_keyed(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
        key: &KeyWrite,
    ) -> StoreResult<(u64, bool)> {
        let row = ChargeRow::new(charge)?;
        let event = EventRow::new(event)?;
        let message = MessageRow::new(message, Duration::ZERO)?;
        let key = KeyRow::new(key)?;
        self.write(move |c| {
            let version = row.update(c, expected_version)?;
            event.insert(c)?;
            message.insert(c)?;
            let written = match key.put(c) {
                Ok(()) => true,
                Err(StoreError::Conflict { .. }) => false,
                Err(e) => return Err(e),
            };
            Ok((version, written))
        })
        .await
    }

    /// One write job: the charge, its event and delivery, and the webhook's record, which must
    /// be new (a failed job rolls back to its savepoint, the charge's update with it).
    async fn update_charge_emitting_inbound(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
        webhook: &InboundWebhook,
    ) -> StoreResult<u64> {
        let row = ChargeRow::new(charge)?;
        let event = EventRow::new(event)?;
        let message = MessageRow::new(message, Duration::ZERO)?;
        let inbound = InboundRow::new(webhook)?;
        self.write(move |c| {
            if !inbound.insert(c)? {
                return Err(inbound.taken());
            }
            let version = row.update(c, expected_version)?;
            event.insert(c)?;
            message.insert(c)?;
            Ok(version)
        })
        .await
    }

    async fn get_charge(
        &self,
        tenant: &TenantId,
        id: &ChargeId,
    ) -> StoreResult<Option<Versioned<Charge>>> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.read(move |c| {
            let sql = "SELECT body, version FROM charges WHERE id = ?1 AND tenant = ?2";
            query_versioned(c, "charge", &id, sql, [&id, &tenant])
        })
        .await
    }

    async fn update_charge(&self, charge: &Charge, expected_version: u64) -> StoreResult<u64> {
        let row = ChargeRow::new(charge)?;
        self.write(move |c| row.update(c, expected_version)).await
    }

    /// One write job, so one transaction: all three or nothing.
    async fn update_charge_emitting(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
    ) -> StoreResult<u64> {
        let row = ChargeRow::new(charge)?;
        let event = EventRow::new(event)?;
        let message = MessageRow::new(message, Duration::ZERO)?;
        self.write(move |c| {
            let version = row.update(c, expected_version)?;
            event.insert(c)?;
            message.insert(c)?;
            Ok(version)
        })
        .await
    }

    async fn list_charges(
        &self,
        tenant: &TenantId,
        query: &ChargeQuery,
    ) -> StoreResult<Page<Charge>> {
        let limit = page_size(query.limit);
        let mut sql = String::from("SELECT id, body FROM charges WHERE tenant = ?");
        let mut args = vec![Value::Text(tenant.to_string())];
        let mut filter = |clause: &str, value: Value| {
            sql.push_str(clause);
            args.push(value);
        };
        if let Some(status) = query.status {
            filter(" AND status = ?", Value::Text(status.as_str().into()));
        }
        if let Some(gateway) = query.gateway {
            filter(" AND gateway = ?", Value::Text(gateway.as_str().into()));
        }
        if let Some(from) = query.created_from {
            filter(" AND created_at >= ?", Value::Integer(from.unix_millis()));
        }
        if let Some(to) = query.created_to {
            filter(" AND created_at < ?", Value::Integer(to.unix_millis()));
        }
        if let Some(after) = &query.starting_after {
            filter(" AND id < ?", Value::Text(after.to_string()));
        }
        filter(
            " ORDER BY id DESC LIMIT ?",
            Value::Integer(i64::from(limit) + 1),
        );
        self.read(move |c| {
            let charges = query_bodies(c, "charge", &sql, params_from_iter(args))?;
            Ok(into_page(charges, limit, |ch: &Charge| ch.id.to_string()))
        })
        .await
    }

    /// One statement over the `(tenant, created_at)` index: see `costs.rs`.
    async fn charge_costs(
        &self,
        query: &CostQuery,
        schedule: &FeeSchedule,
    ) -> StoreResult<Vec<CostRow>> {
        self.sum_charge_costs(query, schedule).await
    }
}

/// A charge's columns, computed before the write is queued.
struct ChargeRow {
    id: String,
    tenant: String,
    status: &'static str,
    gateway: Option<&'static str>,
    created_at: i64,
    updated_at: i64,
    body: String,
}

impl ChargeRow {
    /// Replaces the charge if it is still at `expected_version`; returns the new version.
    fn update(&self, c: &Connection, expected_version: u64) -> StoreResult<u64> {
        let target = Target {
            entity: "charge",
            id: &self.id,
            exists_sql: "SELECT 1 FROM charges WHERE id = ?1 AND tenant = ?2",
            key: &[&self.id, &self.tenant],
        };
        write_at_version(
            c,
            "UPDATE charges SET status = ?1, gateway = ?2, updated_at = ?3, body = ?4,
                    version = version + 1
             WHERE id = ?5 AND tenant = ?6 AND version = ?7",
            params![
                self.status,
                self.gateway,
                self.updated_at,
                self.body,
                self.id,
                self.tenant,
                version_param(expected_version)
            ],
            &target,
            expected_version,
        )?;
        Ok(expected_version + 1)
    }

    /// Inserts the charge at version 1.
    fn insert(&self, c: &Connection) -> StoreResult<()> {
        insert_new(
            c,
            "charge",
            &self.id,
            "INSERT INTO charges (id, tenant, status, gateway, created_at, updated_at, version, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
            params![
                self.id,
                self.tenant,
                self.status,
                self.gateway,
                self.created_at,
                self.updated_at,
                self.body
            ],
        )
    }

    fn new(charge: &Charge) -> StoreResult<ChargeRow> {
        let id = charge.id.to_string();
        Ok(ChargeRow {
            body: encode("charge", &id, charge)?,
            tenant: charge.tenant.to_string(),
            status: charge.status().as_str(),
            gateway: charge.gateway.map(GatewayId::as_str),
            created_at: charge.created_at.unix_millis(),
            updated_at: charge.updated_at.unix_millis(),
            id,
        })
    }
}

/// A [`KeyWrite`], encoded before the write is queued.
struct KeyRow {
    write: KeyWrite,
    tenant: String,
    body: String,
}

impl KeyRow {
    fn new(write: &KeyWrite) -> StoreResult<KeyRow> {
        let record = &write.record;
        Ok(KeyRow {
            body: encode(KEY_ENTITY, &record.key, record)?,
            tenant: record.tenant.to_string(),
            write: write.clone(),
        })
    }

    /// Writes the record if the key is exactly as seen (read in the same transaction, so
    /// nobody writes in between); else [`StoreError::Conflict`] and nothing is written.
    fn put(&self, c: &Connection) -> StoreResult<()> {
        let key = &self.write.record.key;
        let current: Option<Versioned<IdempotencyRecord>> =
            query_versioned(c, KEY_ENTITY, key, IDEMPOTENCY_ROW, [&self.tenant, key])?;
        if current != self.write.seen {
            return Err(StoreError::Conflict {
                entity: KEY_ENTITY,
                id: key.clone(),
                expected: self.write.seen.as_ref().map_or(0, |s| s.version),
            });
        }
        let r = &self.write.record;
        upsert_key(
            c,
            &self.tenant,
            key,
            self.write.next_version(),
            (r.created_at, r.expires_at),
            &self.body,
        )
    }
}

/// Puts a key's record at `version`, whatever was there.
fn upsert_key(
    c: &Connection,
    tenant: &str,
    key: &str,
    version: u64,
    (created_at, expires_at): (Timestamp, Timestamp),
    body: &str,
) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO idempotency_keys (tenant, key, version, created_at, expires_at, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (tenant, key) DO UPDATE SET version = excluded.version,
            created_at = excluded.created_at, expires_at = excluded.expires_at,
            body = excluded.body",
    )
    .and_then(|mut s| {
        s.execute(params![
            tenant,
            key,
            version_param(version),
            created_at.unix_millis(),
            expires_at.unix_millis(),
            body
        ])
    })
    .map(|_| ())
    .map_err(|e| sql_error(&format!("write idempotency key `{key}`"), e))
}

const IDEMPOTENCY_ROW: &str =
    "SELECT body, version FROM idempotency_keys WHERE tenant = ?1 AND key = ?2";
const IDEMPOTENCY_EXISTS: &str = "SELECT 1 FROM idempotency_keys WHERE tenant = ?1 AND key = ?2";

#[async_trait]
impl IdempotencyStore for SqliteStore {
    /// A replaced (expired) record continues the old record's version sequence, so a holder
    /// of the old lease cannot update the new record by accident.
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: Timestamp,
    ) -> StoreResult<Claim> {
        let (tenant, key) = (record.tenant.to_string(), record.key.clone());
        let body = encode(KEY_ENTITY, &key, record)?;
        let (created_at, expires_at) = (record.created_at, record.expires_at);
        self.write(move |c| {
            let existing: Option<Versioned<IdempotencyRecord>> =
                query_versioned(c, KEY_ENTITY, &key, IDEMPOTENCY_ROW, [&tenant, &key])?;
            let version = match existing {
                None => 1,
                Some(old) if old.value.expires_at <= now => old.version + 1,
                Some(live) => return Ok(Claim::Existing(Box::new(live))),
            };
            upsert_key(c, &tenant, &key, version, (created_at, expires_at), &body)?;
            Ok(Claim::Claimed { version })
        })
        .await
    }

    async fn get_idempotency_key(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> StoreResult<Option<Versioned<IdempotencyRecord>>> {
        let (tenant, key) = (tenant.to_string(), key.to_string());
        self.read(move |c| query_versioned(c, KEY_ENTITY, &key, IDEMPOTENCY_ROW, [&tenant, &key]))
            .await
    }

    async fn update_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        expected_version: u64,
    ) -> StoreResult<u64> {
        let (tenant, key) = (record.tenant.to_string(), record.key.clone());
        let body = encode(KEY_ENTITY, &key, record)?;
        let (created_at, expires_at) = (
            record.created_at.unix_millis(),
            record.expires_at.unix_millis(),
        );
        let expected = version_param(expected_version);
        self.write(move |c| {
            let target = Target {
                entity: KEY_ENTITY,
                id: &key,
                exists_sql: IDEMPOTENCY_EXISTS,
                key: &[&tenant, &key],
            };
            write_at_version(
                c,
                "UPDATE idempotency_keys SET version = version + 1, created_at = ?1,
                        expires_at = ?2, body = ?3
                 WHERE tenant = ?4 AND key = ?5 AND version = ?6",
                params![created_at, expires_at, body, tenant, key, expected],
                &target,
                expected_version,
            )?;
            Ok(expected_version + 1)
        })
        .await
    }

    async fn delete_idempotency_key(
        &self,
        tenant: &TenantId,
        key: &str,
        expected_version: u64,
    ) -> StoreResult<()> {
        let (tenant, key) = (tenant.to_string(), key.to_string());
        let expected = version_param(expected_version);
        self.write(move |c| {
            let target = Target {
                entity: KEY_ENTITY,
                id: &key,
                exists_sql: IDEMPOTENCY_EXISTS,
                key: &[&tenant, &key],
            };
            write_at_version(
                c,
                "DELETE FROM idempotency_keys WHERE tenant = ?1 AND key = ?2 AND version = ?3",
                params![tenant, key, expected],
                &target,
                expected_version,
            )
        })
        .await
    }

    /// Expired means `expires_at <= now`, as for claims.
    async fn purge_expired_idempotency_keys(&self, now: Timestamp) -> StoreResult<u64> {
        self.write(move |c| {
            c.prepare_cached("DELETE FROM idempotency_keys WHERE expires_at <= ?1")
                .and_then(|mut s| s.execute([now.unix_millis()]))
                .map(|n| n as u64)
                .map_err(|e| sql_error("purge expired idempotency keys", e))
        })
        .await
    }
}
