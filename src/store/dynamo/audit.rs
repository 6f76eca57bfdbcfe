//! The audit log: `AUDIT#` items, listed through gsi1 and gsi2.
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
impl AuditLog for DynamoStore {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn list_audit(
        &self,
        tenant: Option<&TenantId>,
        starting_after: Option<&AuditId>,
        limit: u32,
    ) -> StoreResult<Page<AuditEntry>> {
        unimplemented!("issue 15")
    }
}
