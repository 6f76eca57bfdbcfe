//! Counter buckets: `COUNTER#` items, added to atomically.
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
impl CounterStore for DynamoStore {
    async fn add_counters(
        &self,
        key: &CounterKey,
        deltas: &BTreeMap<String, i64>,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn read_counters(
        &self,
        tenant: &TenantId,
        series: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<(Timestamp, BTreeMap<String, i64>)>> {
        unimplemented!("issue 15")
    }
}
