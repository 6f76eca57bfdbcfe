//! Charges: `CHARGE#` items, listed through gsi1.
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
impl ChargeStore for DynamoStore {
    async fn create_charge(&self, charge: &Charge) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn get_charge(
        &self,
        tenant: &TenantId,
        id: &ChargeId,
    ) -> StoreResult<Option<Versioned<Charge>>> {
        unimplemented!("issue 15")
    }

    async fn update_charge(&self, charge: &Charge, expected_version: u64) -> StoreResult<u64> {
        unimplemented!("issue 15")
    }

    async fn update_charge_emitting(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
    ) -> StoreResult<u64> {
        unimplemented!("issue 15")
    }

    async fn list_charges(
        &self,
        tenant: &TenantId,
        query: &ChargeQuery,
    ) -> StoreResult<Page<Charge>> {
        unimplemented!("issue 15")
    }
}
