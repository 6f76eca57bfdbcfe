//! Idempotency keys: `IDEM#` items with TTL.
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
impl IdempotencyStore for DynamoStore {
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: Timestamp,
    ) -> StoreResult<Claim> {
        unimplemented!("issue 15")
    }

    async fn get_idempotency_key(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> StoreResult<Option<Versioned<IdempotencyRecord>>> {
        unimplemented!("issue 15")
    }

    async fn update_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        expected_version: u64,
    ) -> StoreResult<u64> {
        unimplemented!("issue 15")
    }

    async fn delete_idempotency_key(
        &self,
        tenant: &TenantId,
        key: &str,
        expected_version: u64,
    ) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn purge_expired_idempotency_keys(&self, now: Timestamp) -> StoreResult<u64> {
        unimplemented!("issue 15")
    }
}
