//! Inbound gateway webhooks: `INBOUND#` items, deduplicated by key.
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
impl InboundWebhookStore for DynamoStore {
    async fn record_inbound(&self, webhook: &InboundWebhook) -> StoreResult<bool> {
        unimplemented!("issue 15")
    }

    async fn get_inbound(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        gateway_event_id: &str,
    ) -> StoreResult<Option<InboundWebhook>> {
        unimplemented!("issue 15")
    }

    async fn set_inbound_status(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        gateway_event_id: &str,
        status: InboundStatus,
        note: Option<&str>,
    ) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn list_inbound(
        &self,
        tenant: &TenantId,
        limit: u32,
    ) -> StoreResult<Vec<InboundWebhook>> {
        unimplemented!("issue 15")
    }

    async fn prune_inbound_bodies(&self, before: Timestamp) -> StoreResult<u64> {
        unimplemented!("issue 15")
    }
}
