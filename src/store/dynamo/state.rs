//! Shared state documents: `STATE#` items.
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
impl StateStore for DynamoStore {
    async fn get_state(&self, key: &StateKey) -> StoreResult<Option<Versioned<serde_json::Value>>> {
        unimplemented!("issue 15")
    }

    async fn put_state(
        &self,
        key: &StateKey,
        value: &serde_json::Value,
        expect: Expect,
    ) -> StoreResult<u64> {
        unimplemented!("issue 15")
    }

    async fn list_state(
        &self,
        tenant: &TenantId,
        kind: StateKind,
    ) -> StoreResult<Vec<(String, Versioned<serde_json::Value>)>> {
        unimplemented!("issue 15")
    }
}
