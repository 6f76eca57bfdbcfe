//! The event log: `EVENT#` items, listed through gsi1 and gsi2.
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
impl EventLog for DynamoStore {
    async fn record_event(&self, event: &Event) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn get_event(&self, tenant: &TenantId, id: &EventId) -> StoreResult<Option<Event>> {
        unimplemented!("issue 15")
    }

    async fn list_events(&self, tenant: &TenantId, query: &EventQuery) -> StoreResult<Page<Event>> {
        unimplemented!("issue 15")
    }
}
