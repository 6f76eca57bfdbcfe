//! Tenants and API keys: `TENANT#`, `APIKEY#`, `APIKEYHASH#` items.
//! TODO(issue 15): being written; every method panics until then.
#![allow(unused_variables, unused_imports)]
use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::id::{ApiKeyId, AuditId, ChargeId, EventId, MessageId};
use crate::model::{ApiKey, Charge, Event, GatewayId, RateLimit, Tenant, TenantId};
use crate::store::*;

use super::DynamoStore;

#[async_trait]
impl TenantStore for DynamoStore {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        unimplemented!("issue 15")
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        unimplemented!("issue 15")
    }
}

#[async_trait]
impl ApiKeyStore for DynamoStore {
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn find_api_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>> {
        unimplemented!("issue 15")
    }

    async fn list_api_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>> {
        unimplemented!("issue 15")
    }

    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        at: Timestamp,
    ) -> StoreResult<ApiKey> {
        unimplemented!("issue 15")
    }

    async fn set_api_key_rate_limit(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        limit: Option<RateLimit>,
    ) -> StoreResult<ApiKey> {
        unimplemented!("issue 15")
    }
}
