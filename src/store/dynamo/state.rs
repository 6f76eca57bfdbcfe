//! Shared state documents: one `STATE#<tenant>#<kind>` partition per tenant and kind, one item
//! per document (sort key: its name), the JSON in `body`, written with a condition on
//! `version`. A put is one conditional `PutItem`; a listing is one consistent `Query` on the
//! partition (ordered by name, as the sort key is).

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

use super::DynamoStore;
use super::error::lost_condition;
use super::item::{Item, ItemExt, decode, encode, n, s};
use crate::model::TenantId;
use crate::store::{Expect, StateKey, StateKind, StateStore, StoreError, StoreResult, Versioned};

fn partition(tenant: &TenantId, kind: StateKind) -> String {
    format!("STATE#{tenant}#{kind}")
}

fn label(key: &StateKey) -> String {
    format!("{}/{}/{}", key.tenant, key.kind, key.name)
}

impl DynamoStore {
    /// The error for a conditional write at `expected` that lost its condition: a
    /// [`StoreError::Conflict`] when the item is there (`old`, or a consistent read when
    /// DynamoDB did not return it), [`StoreError::NotFound`] when it is not.
    pub(super) async fn version_lost(
        &self,
        old: Option<Item>,
        (pk, sk): (&str, &str),
        entity: &'static str,
        id: &str,
        expected: u64,
    ) -> StoreError {
        let exists = match old {
            Some(_) => true,
            None => match self.get(pk, sk).await {
                Ok(item) => item.is_some(),
                Err(e) => return e,
            },
        };
        if exists {
            StoreError::Conflict {
                entity,
                id: id.to_string(),
                expected,
            }
        } else {
            StoreError::NotFound {
                entity,
                id: id.to_string(),
            }
        }
    }

    /// An `UpdateItem` of the item at (`pk`, `sk`).
    pub(super) fn update_at(&self, pk: &str, sk: &str) -> UpdateItemFluentBuilder {
        self.ddb
            .update_item()
            .table_name(&self.settings.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
    }

    /// A `DeleteItem` of the item at (`pk`, `sk`).
    pub(super) fn delete_at(&self, pk: &str, sk: &str) -> DeleteItemFluentBuilder {
        self.ddb
            .delete_item()
            .table_name(&self.settings.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
    }

    /// One `DeleteItem` of the item at (`pk`, `sk`), conditional on its `version` being
    /// `expected`; a lost condition is told apart by [`Self::version_lost`].
    pub(super) async fn delete_at_version(
        &self,
        (pk, sk): (&str, &str),
        entity: &'static str,
        id: &str,
        expected: u64,
    ) -> StoreResult<()> {
        let deleted = self
            .delete_at(pk, sk)
            .condition_expression("#v = :expected")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(err) => match lost_condition(&err) {
                None => Err(self.ddb_error("DeleteItem", err)),
                Some(old) => Err(self.version_lost(old, (pk, sk), entity, id, expected).await),
            },
        }
    }

    /// Sweeps a sparse gsi2 "due list" (`<prefix><0-9>` shards, see [`super::item::SHARDS`]):
    /// for every item whose `gsi2sk` is `below` (`<` or `<=`) `bound`, calls `write` with its
    /// `pk`; `write` answers whether it changed the item (a conditional write that lost,
    /// because another instance got there first, is `false`). Returns how many it changed.
    pub(super) async fn sweep<F, Fut>(
        &self,
        prefix: &str,
        below: &str,
        bound: String,
        mut write: F,
    ) -> StoreResult<u64>
    where
        F: FnMut(String) -> Fut + Send,
        Fut: std::future::Future<Output = StoreResult<bool>> + Send,
    {
        let mut changed = 0;
        for shard in 0..super::item::SHARDS {
            let query = self
                .ddb
                .query()
                .table_name(&self.settings.table)
                .index_name(super::GSI2)
                .key_condition_expression(format!("gsi2pk = :shard AND gsi2sk {below} :bound"))
                .expression_attribute_values(":shard", s(format!("{prefix}{shard}")))
                .expression_attribute_values(":bound", s(&bound))
                .projection_expression("pk");
            for item in self.collect_query(query).await? {
                if write(item.string("pk")?.to_string()).await? {
                    changed += 1;
                }
            }
        }
        Ok(changed)
    }
}

fn versioned_state(item: &Item, id: &str) -> StoreResult<Versioned<serde_json::Value>> {
    Ok(Versioned {
        value: decode("state", id, item.string("body")?)?,
        version: item.version()?,
    })
}

#[async_trait]
impl StateStore for DynamoStore {
    async fn get_state(&self, key: &StateKey) -> StoreResult<Option<Versioned<serde_json::Value>>> {
        let pk = partition(&key.tenant, key.kind);
        match self.get(&pk, &key.name).await? {
            Some(item) => versioned_state(&item, &label(key)).map(Some),
            None => Ok(None),
        }
    }

    /// One `PutItem`, conditional on the item's absence or its version.
    async fn put_state(
        &self,
        key: &StateKey,
        value: &serde_json::Value,
        expect: Expect,
    ) -> StoreResult<u64> {
        let (pk, id) = (partition(&key.tenant, key.kind), label(key));
        let body = encode("state", &id, value)?;
        let (condition, version) = match expect {
            Expect::Absent => ("attribute_not_exists(pk)", 1),
            Expect::Version(v) => ("#v = :expected", v + 1),
        };
        let mut put = self
            .ddb
            .put_item()
            .table_name(&self.settings.table)
            .item("pk", s(&pk))
            .item("sk", s(&key.name))
            .item("version", n(version))
            .item("body", s(body))
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Expect::Version(v) = expect {
            put = put
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":expected", n(v));
        }
        let err = match put.send().await {
            Ok(_) => return Ok(version),
            Err(err) => err,
        };
        match (lost_condition(&err), expect) {
            (None, _) => Err(self.ddb_error("PutItem", err)),
            (Some(_), Expect::Absent) => Err(StoreError::AlreadyExists {
                entity: "state",
                id,
            }),
            (Some(old), Expect::Version(v)) => Err(self
                .version_lost(old, (&pk, &key.name), "state", &id, v)
                .await),
        }
    }

    /// One `DeleteItem`, conditional on the version.
    async fn delete_state(&self, key: &StateKey, expected: u64) -> StoreResult<()> {
        let (pk, id) = (partition(&key.tenant, key.kind), label(key));
        self.delete_at_version((&pk, &key.name), "state", &id, expected)
            .await
    }

    /// One consistent `Query` on the partition, page by page.
    async fn list_state(
        &self,
        tenant: &TenantId,
        kind: StateKind,
    ) -> StoreResult<Vec<(String, Versioned<serde_json::Value>)>> {
        let query = self
            .ddb
            .query()
            .table_name(&self.settings.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(partition(tenant, kind)))
            .consistent_read(true);
        let items = self.collect_query(query).await?;
        items
            .iter()
            .map(|item| {
                let name = item.string("sk")?.to_string();
                let value = versioned_state(item, &format!("{tenant}/{kind}/{name}"))?;
                Ok((name, value))
            })
            .collect()
    }
}
