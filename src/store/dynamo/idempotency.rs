//! Idempotency keys: one `IDEM#<tenant>#<key>` item each, the record's JSON in `body`, its
//! expiry in `expires_at` (ms) and in `ttl` (s, for DynamoDB's TTL), and the sparse index key
//! gsi2 `IDEMEXPIRY#<0-9>` / `<expires_at ms>` that [`IdempotencyStore::purge_expired_idempotency_keys`]
//! sweeps.
//!
//! **Expiry.** TTL deletes hours late, so a claim decides expiry from the record's own
//! `expires_at` (`<= now` is expired, as on SQLite), never from the item being gone. A claim is
//! one conditional `UpdateItem` whether the key is new or expired: `ADD version 1` makes a new
//! item version 1 and continues an expired one's sequence (old + 1, like SQLite), so a holder of
//! the old lease cannot update the new record.
//!
//! **Purge.** TTL removes expired keys on its own, eventually; the purge removes them now (the
//! trait's contract, and what `serve` runs every few minutes). Without an index that would be a
//! `Scan` of the whole table, so each key also sits in one of ten gsi2 shards sorted by expiry:
//! the purge reads only what expired. gsi2 is eventually consistent on AWS: a key that expired
//! a moment ago may wait for the next purge, which is harmless (a claim never needs the purge).

use async_trait::async_trait;
use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use super::error::{applied, lost_condition};
use super::item::{Item, ItemExt, decode, encode, n, s, shard, ttl};
use super::query::in_transaction;
use super::{DynamoStore, sort_millis};
use crate::clock::Timestamp;
use crate::model::TenantId;
use crate::store::{
    Claim, IdempotencyRecord, IdempotencyStore, KeyWrite, StoreError, StoreResult, Versioned,
};

const ENTITY: &str = crate::store::KEY_ENTITY;
const SORT: &str = "IDEM";
/// How many times a claim retries when the key it lost to vanished before it could be read.
const CLAIM_ATTEMPTS: usize = 5;

fn partition(tenant: &TenantId, key: &str) -> String {
    format!("IDEM#{tenant}#{key}")
}

/// The attributes a claim or an update writes besides the key and `version`.
fn attributes(record: &IdempotencyRecord) -> StoreResult<[(&'static str, AttributeValue); 5]> {
    let pk = partition(&record.tenant, &record.key);
    Ok([
        ("body", s(encode(ENTITY, &record.key, record)?)),
        ("expires_at", n(record.expires_at.unix_millis())),
        ("ttl", ttl(record.expires_at)),
        ("gsi2pk", s(format!("IDEMEXPIRY#{}", shard(&pk)))),
        ("gsi2sk", s(sort_millis(record.expires_at))),
    ])
}

/// Whether `item` is a whole record. DynamoDB applies an `UpdateItem` atomically; moto
/// creates the key first and sets the attributes after, so a racing claim may see an item with
/// no `body` yet: it reads again rather than calling that corrupt.
fn written(item: &Item) -> bool {
    item.contains_key("body")
}

fn versioned(item: &Item, key: &str) -> StoreResult<Versioned<IdempotencyRecord>> {
    Ok(Versioned {
        value: decode(ENTITY, key, item.string("body")?)?,
        version: item.version()?,
    })
}

impl DynamoStore {
    /// A [`KeyWrite`] as one item of a charge's transaction: a put of the whole record at its
    /// next version, on condition that the item is absent (nothing seen) or at the seen
    /// version with the seen record's `body` (the record as the store encoded it; the whole
    /// record is the check, as on SQLite).
    pub(super) fn key_write(&self, write: &KeyWrite) -> StoreResult<TransactWriteItem> {
        let record = &write.record;
        let mut item = Item::from([
            ("pk".to_string(), s(partition(&record.tenant, &record.key))),
            ("sk".to_string(), s(SORT)),
            ("version".to_string(), n(write.next_version())),
        ]);
        for (name, value) in attributes(record)? {
            item.insert(name.to_string(), value);
        }
        let mut put = self.put(item)?;
        match &write.seen {
            None => put.condition_expression = Some("attribute_not_exists(pk)".into()),
            Some(seen) => {
                put.condition_expression = Some("#v = :seen AND body = :body".into());
                put.expression_attribute_names =
                    Some(HashMap::from([("#v".into(), "version".into())]));
                put.expression_attribute_values = Some(HashMap::from([
                    (":seen".into(), n(seen.version)),
                    (":body".into(), s(encode(ENTITY, &record.key, &seen.value)?)),
                ]));
            }
        }
        Ok(in_transaction(put))
    }
}

/// Why a [`KeyWrite`] in a transaction lost its condition.
pub(super) fn key_conflict(write: &KeyWrite) -> StoreError {
    StoreError::Conflict {
        entity: ENTITY,
        id: write.record.key.clone(),
        expected: write.seen.as_ref().map_or(0, |s| s.version),
    }
}

#[async_trait]
impl IdempotencyStore for DynamoStore {
    /// One conditional `UpdateItem` (`attribute_not_exists(pk) OR expires_at <= :now`); when it
    /// loses, the live record comes back with the failure (or from a consistent read where
    /// DynamoDB leaves it out).
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: Timestamp,
    ) -> StoreResult<Claim> {
        let pk = partition(&record.tenant, &record.key);
        let mut update = self
            .update_at(&pk, SORT)
            .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now.unix_millis()))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let mut sets = Vec::new();
        for (i, (name, value)) in attributes(record)?.into_iter().enumerate() {
            sets.push(format!("#a{i} = :a{i}"));
            update = update
                .expression_attribute_names(format!("#a{i}"), name)
                .expression_attribute_values(format!(":a{i}"), value);
        }
        let update = update.update_expression(format!("SET {} ADD #v :one", sets.join(", ")));
        for _ in 0..CLAIM_ATTEMPTS {
            let err = match update.clone().send().await {
                Ok(out) => {
                    let version = out.attributes.unwrap_or_default().version()?;
                    return Ok(Claim::Claimed { version });
                }
                Err(err) => err,
            };
            let old = match lost_condition(&err) {
                None => return Err(self.ddb_error("UpdateItem", err)),
                Some(old) => match old.filter(written) {
                    Some(old) => Some(old),
                    None => self.get(&pk, SORT).await?,
                },
            };
            // None: released (deleted) between the two requests; claim again.
            if let Some(old) = old.filter(written) {
                return Ok(Claim::Existing(Box::new(versioned(&old, &record.key)?)));
            }
        }
        Err(StoreError::Unavailable(format!(
            "{ENTITY} `{}` kept changing while it was claimed; try again",
            record.key
        )))
    }

    async fn get_idempotency_key(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> StoreResult<Option<Versioned<IdempotencyRecord>>> {
        self.get(&partition(tenant, key), SORT)
            .await?
            .map(|item| versioned(&item, key))
            .transpose()
    }

    /// One `PutItem` conditional on the version.
    async fn update_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        expected_version: u64,
    ) -> StoreResult<u64> {
        let pk = partition(&record.tenant, &record.key);
        let mut put = self
            .ddb
            .put_item()
            .table_name(&self.settings.table)
            .item("pk", s(&pk))
            .item("sk", s(SORT))
            .item("version", n(expected_version + 1))
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected_version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, value) in attributes(record)? {
            put = put.item(name, value);
        }
        match put.send().await {
            Ok(_) => Ok(expected_version + 1),
            Err(err) => match lost_condition(&err) {
                None => Err(self.ddb_error("PutItem", err)),
                Some(old) => Err(self
                    .version_lost(old, (&pk, SORT), ENTITY, &record.key, expected_version)
                    .await),
            },
        }
    }

    /// One `DeleteItem` conditional on the version.
    async fn delete_idempotency_key(
        &self,
        tenant: &TenantId,
        key: &str,
        expected_version: u64,
    ) -> StoreResult<()> {
        let pk = partition(tenant, key);
        self.delete_at_version((&pk, SORT), ENTITY, key, expected_version)
            .await
    }

    /// Queries each gsi2 shard for keys with `expires_at <= now` and deletes each one with
    /// that condition again (a key claimed anew since the query is left alone; so is one another
    /// instance purged first). Returns how many this call deleted.
    async fn purge_expired_idempotency_keys(&self, now: Timestamp) -> StoreResult<u64> {
        self.sweep("IDEMEXPIRY#", "<=", sort_millis(now), |pk| async move {
            let written = self
                .delete_at(&pk, SORT)
                .condition_expression("expires_at <= :now")
                .expression_attribute_values(":now", n(now.unix_millis()))
                .send()
                .await;
            applied(written).map_err(|e| self.ddb_error("DeleteItem", e))
        })
        .await
    }
}
