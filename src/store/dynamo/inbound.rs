//! Inbound gateway webhooks: one `INBOUND#<tenant>#<gateway>#<gateway event id>` item each,
//! its fields as plain attributes (`id`, `tenant`, `gateway`, `event`, `received_at` in ms,
//! `body`, `status`, `note`), so a status change and a body prune are single `UpdateItem`s
//! rather than rewrites of a JSON document.
//!
//! The key is the dedupe key: recording is a `PutItem` on `attribute_not_exists(pk)`. Listing
//! goes through gsi1 (`INBOUND#<tenant>` / `<received ms>#<id>`); the body prune through the
//! sparse gsi2 (`INBOUNDBODY#<0-9>` / `<received ms>#<id>`), which holds a webhook only while
//! its body is kept: pruning empties `body` and removes the gsi2 keys in one conditional
//! update, so a second prune finds nothing. Both indexes are eventually consistent on AWS: a
//! webhook recorded a moment ago may be missing from a listing, or wait for the next prune.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue};

use super::error::{applied, lost_condition};
use super::item::{Item, ItemExt, n, s, shard};
use super::{DynamoStore, GSI1, page_size, sort_millis};
use crate::clock::Timestamp;
use crate::id::InboundId;
use crate::model::{GatewayId, TenantId};
use crate::store::{
    INBOUND_ENTITY, InboundStatus, InboundWebhook, InboundWebhookStore, StoreError, StoreResult,
};

const SORT: &str = "INBOUND";

fn partition(tenant: &TenantId, gateway: GatewayId, gateway_event_id: &str) -> String {
    format!(
        "INBOUND#{tenant}#{gateway}#{gateway_event_id}",
        gateway = gateway.as_str()
    )
}

/// A status as stored: its serde name (`unknown_charge`), as in the API.
fn status_text(status: InboundStatus) -> StoreResult<String> {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        other => Err(StoreError::Backend(format!(
            "cannot encode the inbound status {status:?}: {other:?}"
        ))),
    }
}

fn corrupt(pk: &str, what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("item `{pk}`: `{value}` is not {what}"))
}

fn webhook(item: &Item) -> StoreResult<InboundWebhook> {
    let pk = item.string("pk")?;
    let id = item.string("id")?;
    let tenant = item.string("tenant")?;
    let gateway = item.string("gateway")?;
    let status = item.string("status")?;
    Ok(InboundWebhook {
        id: InboundId::parse(id).map_err(|_| corrupt(pk, "an inbound webhook id", id))?,
        tenant: TenantId::parse(tenant).map_err(|_| corrupt(pk, "a tenant id", tenant))?,
        gateway: gateway
            .parse()
            .map_err(|_| corrupt(pk, "a gateway", gateway))?,
        gateway_event_id: item.string("event")?.to_string(),
        received_at: Timestamp::from_unix_millis(item.int("received_at")?),
        body: item.string("body")?.to_string(),
        status: serde_json::from_value(serde_json::Value::String(status.to_string()))
            .map_err(|_| corrupt(pk, "an inbound status", status))?,
        note: item.opt_string("note")?.map(str::to_string),
    })
}

impl DynamoStore {
    /// The put that records `webhook` only if it is not recorded yet (its key is the dedupe
    /// key): alone in `record_inbound`, or in the transaction of the charge it moved.
    pub(super) fn inbound_put(&self, webhook: &InboundWebhook) -> StoreResult<Put> {
        let pk = partition(&webhook.tenant, webhook.gateway, &webhook.gateway_event_id);
        let order = format!("{}#{}", sort_millis(webhook.received_at), webhook.id);
        let mut item = Item::from([
            ("sk".to_string(), s(SORT)),
            ("version".into(), n(1)),
            ("id".into(), s(webhook.id.as_str())),
            ("tenant".into(), s(webhook.tenant.as_str())),
            ("gateway".into(), s(webhook.gateway.as_str())),
            ("event".into(), s(&webhook.gateway_event_id)),
            ("received_at".into(), n(webhook.received_at.unix_millis())),
            ("body".into(), s(&webhook.body)),
            ("status".into(), s(status_text(webhook.status)?)),
            ("gsi1pk".into(), s(format!("INBOUND#{}", webhook.tenant))),
            ("gsi1sk".into(), s(&order)),
        ]);
        if let Some(note) = &webhook.note {
            item.insert("note".into(), s(note));
        }
        if !webhook.body.is_empty() {
            item.insert("gsi2pk".into(), s(format!("INBOUNDBODY#{}", shard(&pk))));
            item.insert("gsi2sk".into(), s(order));
        }
        item.insert("pk".into(), s(pk));
        self.put_new(item)
    }
}

/// The error a write that needed `webhook`'s record to be new reports when it was not.
pub(super) fn inbound_taken(webhook: &InboundWebhook) -> StoreError {
    StoreError::AlreadyExists {
        entity: INBOUND_ENTITY,
        id: partition(&webhook.tenant, webhook.gateway, &webhook.gateway_event_id),
    }
}

#[async_trait]
impl InboundWebhookStore for DynamoStore {
    /// One `PutItem` on `attribute_not_exists(pk)`: a lost condition is a duplicate.
    async fn record_inbound(&self, webhook: &InboundWebhook) -> StoreResult<bool> {
        let put = self.inbound_put(webhook)?;
        applied(self.put_request(put).send().await).map_err(|e| self.ddb_error("PutItem", e))
    }

    async fn get_inbound(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        gateway_event_id: &str,
    ) -> StoreResult<Option<InboundWebhook>> {
        let pk = partition(tenant, gateway, gateway_event_id);
        self.get(&pk, SORT)
            .await?
            .map(|item| webhook(&item))
            .transpose()
    }

    /// One `UpdateItem` on `attribute_exists(pk)`.
    async fn set_inbound_status(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        gateway_event_id: &str,
        status: InboundStatus,
        note: Option<&str>,
    ) -> StoreResult<()> {
        let pk = partition(tenant, gateway, gateway_event_id);
        let mut update = self
            .update_at(&pk, SORT)
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#st", "status")
            .expression_attribute_names("#note", "note")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":st", s(status_text(status)?))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::None);
        update = match note {
            Some(note) => update
                .update_expression("SET #st = :st, #note = :note ADD #v :one")
                .expression_attribute_values(":note", s(note)),
            None => update.update_expression("SET #st = :st REMOVE #note ADD #v :one"),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            Err(err) if lost_condition(&err).is_some() => Err(StoreError::NotFound {
                entity: INBOUND_ENTITY,
                id: format!("{tenant}/{}/{gateway_event_id}", gateway.as_str()),
            }),
            Err(err) => Err(self.ddb_error("UpdateItem", err)),
        }
    }

    /// One descending `Query` on gsi1 (eventually consistent on AWS).
    async fn list_inbound(
        &self,
        tenant: &TenantId,
        limit: u32,
    ) -> StoreResult<Vec<InboundWebhook>> {
        let out = self
            .ddb
            .query()
            .table_name(&self.settings.table)
            .index_name(GSI1)
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", s(format!("INBOUND#{tenant}")))
            .scan_index_forward(false)
            .limit(page_size(limit) as i32)
            .send()
            .await
            .map_err(|e| self.ddb_error("Query", e))?;
        out.items().iter().map(webhook).collect()
    }

    /// Each gsi2 shard's webhooks received before `before`, each emptied by one `UpdateItem`
    /// that also drops it from gsi2, on `attribute_exists(gsi2pk)` so a webhook two instances
    /// prune at once is counted once.
    async fn prune_inbound_bodies(&self, before: Timestamp) -> StoreResult<u64> {
        // `<ms>#<id>` < `<before ms>`: exactly the webhooks received before `before`.
        self.sweep("INBOUNDBODY#", "<", sort_millis(before), |pk| async move {
            let written = self
                .update_at(&pk, SORT)
                .condition_expression("attribute_exists(gsi2pk)")
                .update_expression("SET #b = :empty REMOVE gsi2pk, gsi2sk ADD #v :one")
                .expression_attribute_names("#b", "body")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":empty", AttributeValue::S(String::new()))
                .expression_attribute_values(":one", n(1))
                .send()
                .await;
            applied(written).map_err(|e| self.ddb_error("UpdateItem", e))
        })
        .await
    }
}
