//! The delivery queue on SQS, with its bookkeeping in the table.
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
impl DeliveryQueue for DynamoStore {
    async fn enqueue(&self, message: &QueueMessage, delay: Duration) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn receive(
        &self,
        max: u32,
        visibility: Duration,
        now: Timestamp,
    ) -> StoreResult<Vec<Received>> {
        unimplemented!("issue 15")
    }

    async fn ack(&self, id: &MessageId, receipt: &str) -> StoreResult<bool> {
        unimplemented!("issue 15")
    }

    async fn retry_later(
        &self,
        id: &MessageId,
        receipt: &str,
        delay: Duration,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        unimplemented!("issue 15")
    }

    async fn dead_letter(
        &self,
        id: &MessageId,
        receipt: &str,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        unimplemented!("issue 15")
    }

    async fn list_dead(
        &self,
        tenant: Option<&TenantId>,
        since: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<DeadLetter>> {
        unimplemented!("issue 15")
    }

    async fn get_dead(&self, id: &MessageId) -> StoreResult<Option<DeadLetter>> {
        unimplemented!("issue 15")
    }

    async fn replay_dead(&self, id: &MessageId, now: Timestamp) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn purge_dead(&self, id: &MessageId) -> StoreResult<()> {
        unimplemented!("issue 15")
    }

    async fn queue_stats(
        &self,
        tenant: Option<&TenantId>,
        now: Timestamp,
    ) -> StoreResult<QueueStats> {
        unimplemented!("issue 15")
    }
}

impl DynamoStore {
    /// Enqueues `message` (visible after `delay`, last in its group) in the same
    /// `TransactWriteItems` as `with` (e.g. a charge update and its event: see
    /// `ChargeStore::update_charge_emitting`), so either all of it is committed or none; then
    /// hands it to SQS (an outbox: a crash before that is repaired by the queue itself).
    /// `Ok(Err(i))` when `with[i]`'s condition failed and nothing was written; a duplicate
    /// message id is [`StoreError::AlreadyExists`].
    pub(super) async fn enqueue_in(
        &self,
        message: &QueueMessage,
        delay: Duration,
        with: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> StoreResult<Result<(), usize>> {
        unimplemented!("issue 15")
    }
}
