//! Tenants and API keys: `TENANT#` items (listed through gsi1 `TENANTS`), each tenant's
//! `APIKEY#` items in its partition, and one `APIKEYHASH#` item per key that points at it, so
//! a request's key is found by its hash with two consistent reads.
//!
//! An API key's `revoked_at` and `rate_limit` change after it is created, each by one
//! conditional `UpdateItem`, so they live in their own attributes (`revoked_at`, N, unix ms;
//! `rate_limit`, S, as written in the config: `200/s`, `off`), which are authoritative: the
//! key's `body` is its JSON with those two fields empty, and reading a key puts them back.
//!
//! Requests: create tenant 1 (PutItem), get tenant 1, list tenants 1 per page of the index;
//! create key 1 (TransactWriteItems of the key and its hash), find by hash 2 (GetItem ×2),
//! list keys 1 per page, revoke 1 and set rate limit 1 (UpdateItem returning the new item).

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::ReturnValue;

use super::error::is_condition_failed;
use super::item::{Item, ItemExt, decode, encode, n, s};
use super::query::in_transaction;
use super::{DynamoStore, GSI1};
use crate::clock::Timestamp;
use crate::id::ApiKeyId;
use crate::model::{ApiKey, RateLimit, Tenant, TenantId};
use crate::store::{ApiKeyStore, StoreError, StoreResult, TenantStore};

const TENANT_SK: &str = "TENANT";
const TENANTS: &str = "TENANTS";
const HASH_SK: &str = "APIKEYHASH";

fn tenant_pk(id: &str) -> String {
    format!("TENANT#{id}")
}

fn key_sk(id: &str) -> String {
    format!("APIKEY#{id}")
}

fn hash_pk(hash: &str) -> String {
    format!("APIKEYHASH#{hash}")
}

fn decode_tenant(item: &Item) -> StoreResult<Tenant> {
    decode("tenant", item.string("pk")?, item.string("body")?)
}

#[async_trait]
impl TenantStore for DynamoStore {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let id = tenant.id.as_str();
        let item = Item::from([
            ("pk".to_string(), s(tenant_pk(id))),
            ("sk".to_string(), s(TENANT_SK)),
            ("body".to_string(), s(encode("tenant", id, tenant)?)),
            ("gsi1pk".to_string(), s(TENANTS)),
            ("gsi1sk".to_string(), s(id)),
        ]);
        self.create(item, "tenant", id).await
    }

    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        self.get(&tenant_pk(id.as_str()), TENANT_SK)
            .await?
            .map(|item| decode_tenant(&item))
            .transpose()
    }

    /// Through gsi1 (eventually consistent on AWS): a tenant created a moment ago may be
    /// missing for well under a second.
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        self.query_all(Some(GSI1), ("gsi1pk", TENANTS.into()), None)
            .await?
            .iter()
            .map(decode_tenant)
            .collect()
    }
}

/// A key's JSON for its `body`: everything but the fields its own attributes hold.
fn key_body(key: &ApiKey) -> StoreResult<String> {
    let fixed = ApiKey {
        revoked_at: None,
        rate_limit: None,
        ..key.clone()
    };
    encode("API key", key.id.as_str(), &fixed)
}

/// A key item back as the key: its body, with `revoked_at` and `rate_limit` from their
/// attributes.
fn decode_key(item: &Item) -> StoreResult<ApiKey> {
    let sk = item.string("sk")?;
    let mut key: ApiKey = decode("API key", sk, item.string("body")?)?;
    key.revoked_at = item.opt_int("revoked_at")?.map(Timestamp::from_unix_millis);
    key.rate_limit = match item.opt_string("rate_limit")? {
        None => None,
        Some(text) => Some(text.parse().map_err(|e| {
            StoreError::Corrupt(format!("API key `{sk}` has an unreadable rate_limit: {e}"))
        })?),
    };
    Ok(key)
}

fn key_not_found(id: &ApiKeyId) -> StoreError {
    StoreError::NotFound {
        entity: "API key",
        id: id.to_string(),
    }
}

impl DynamoStore {
    /// One update of the key `id` of `tenant` (`update` names the key's attributes `#a…`),
    /// only if the key exists; returns the key as it is afterwards.
    async fn update_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        update: UpdateItemFluentBuilder,
    ) -> StoreResult<ApiKey> {
        let result = update
            .table_name(&self.settings.table)
            .key("pk", s(tenant_pk(tenant.as_str())))
            .key("sk", s(key_sk(id.as_str())))
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => decode_key(&out.attributes.unwrap_or_default()),
            Err(e) if is_condition_failed(&e) => Err(key_not_found(id)),
            Err(e) => Err(self.ddb_error("UpdateItem", e)),
        }
    }
}

#[async_trait]
impl ApiKeyStore for DynamoStore {
    /// The key and its hash item in one transaction, each only if absent: a taken id or a
    /// taken hash writes neither.
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        let id = key.id.as_str();
        let mut key_item = Item::from([
            ("pk".to_string(), s(tenant_pk(key.tenant.as_str()))),
            ("sk".to_string(), s(key_sk(id))),
            ("hash".to_string(), s(&key.hash)),
            ("body".to_string(), s(key_body(key)?)),
        ]);
        if let Some(at) = key.revoked_at {
            key_item.insert("revoked_at".into(), n(at.unix_millis()));
        }
        if let Some(limit) = key.rate_limit {
            key_item.insert("rate_limit".into(), s(limit.to_string()));
        }
        let hash_item = Item::from([
            ("pk".to_string(), s(hash_pk(&key.hash))),
            ("sk".to_string(), s(HASH_SK)),
            ("tenant".to_string(), s(key.tenant.as_str())),
            ("key".to_string(), s(id)),
        ]);
        let puts = vec![
            in_transaction(self.put_new(key_item)?),
            in_transaction(self.put_new(hash_item)?),
        ];
        match self.transact(puts).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::AlreadyExists {
                entity: "API key",
                id: id.to_string(),
            }),
        }
    }

    async fn find_api_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>> {
        let Some(pointer) = self.get(&hash_pk(hash), HASH_SK).await? else {
            return Ok(None);
        };
        let (tenant, id) = (pointer.string("tenant")?, pointer.string("key")?);
        match self.get(&tenant_pk(tenant), &key_sk(id)).await? {
            Some(item) => decode_key(&item).map(Some),
            None => Err(StoreError::Corrupt(format!(
                "the API key hash item points at the key `{id}` of `{tenant}`, which is missing"
            ))),
        }
    }

    /// Oldest first by creation time, then id, as in SQLite (ids are generated times, which
    /// a key's `created_at` need not follow).
    async fn list_api_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>> {
        let items = self
            .query_all(
                None,
                ("pk", tenant_pk(tenant.as_str())),
                Some(("sk", "APIKEY#")),
            )
            .await?;
        let mut keys = items
            .iter()
            .map(decode_key)
            .collect::<StoreResult<Vec<_>>>()?;
        keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(keys)
    }

    /// `if_not_exists` keeps the first revocation time.
    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        at: Timestamp,
    ) -> StoreResult<ApiKey> {
        let update = self
            .ddb
            .update_item()
            .update_expression("SET revoked_at = if_not_exists(revoked_at, :at)")
            .expression_attribute_values(":at", n(at.unix_millis()));
        self.update_key(tenant, id, update).await
    }

    async fn set_api_key_rate_limit(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        limit: Option<RateLimit>,
    ) -> StoreResult<ApiKey> {
        let update = self.ddb.update_item();
        let update = match limit {
            Some(limit) => update
                .update_expression("SET rate_limit = :limit")
                .expression_attribute_values(":limit", s(limit.to_string())),
            None => update.update_expression("REMOVE rate_limit"),
        };
        self.update_key(tenant, id, update).await
    }
}
