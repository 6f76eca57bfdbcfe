//! SQL for inbound gateway webhooks: the dedupe record stored before a webhook is answered.
//! Not verification or normalization (that is `webhook/`).

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::{SqliteStore, encode, is_unique_violation, page_size, query_bodies, sql_error};
use crate::clock::Timestamp;
use crate::model::{GatewayId, TenantId};
use crate::store::{
    INBOUND_ENTITY, InboundStatus, InboundWebhook, InboundWebhookStore, StoreError, StoreResult,
};

fn inbound_status(status: InboundStatus) -> &'static str {
    match status {
        InboundStatus::Received => "received",
        InboundStatus::Applied => "applied",
        InboundStatus::Ignored => "ignored",
        InboundStatus::UnknownCharge => "unknown_charge",
        InboundStatus::Rejected => "rejected",
    }
}

/// A webhook's record, encoded, ready to insert (alone, or with the charge it moved).
pub(super) struct InboundRow {
    id: String,
    tenant: String,
    gateway: &'static str,
    event: String,
    received_at: i64,
    status: &'static str,
    body: String,
}

impl InboundRow {
    pub(super) fn new(webhook: &InboundWebhook) -> StoreResult<InboundRow> {
        let id = webhook.id.to_string();
        Ok(InboundRow {
            body: encode(INBOUND_ENTITY, &id, webhook)?,
            id,
            tenant: webhook.tenant.to_string(),
            gateway: webhook.gateway.as_str(),
            event: webhook.gateway_event_id.clone(),
            received_at: webhook.received_at.unix_millis(),
            status: inbound_status(webhook.status),
        })
    }

    /// Inserts the record unless the webhook (tenant, gateway, event id) is recorded already:
    /// whether it was new.
    pub(super) fn insert(&self, c: &Connection) -> StoreResult<bool> {
        let stored = c
            .prepare_cached(
                "INSERT INTO inbound_webhooks
                    (id, tenant, gateway, gateway_event_id, received_at, status, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (tenant, gateway, gateway_event_id) DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    self.id,
                    self.tenant,
                    self.gateway,
                    self.event,
                    self.received_at,
                    self.status,
                    self.body
                ])
            });
        match stored {
            Ok(n) => Ok(n == 1),
            Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists {
                entity: INBOUND_ENTITY,
                id: self.id.clone(),
            }),
            Err(e) => Err(sql_error(
                &format!("record inbound webhook `{}`", self.id),
                e,
            )),
        }
    }

    /// The error a write that needed this record to be new reports when it was not.
    pub(super) fn taken(&self) -> StoreError {
        StoreError::AlreadyExists {
            entity: INBOUND_ENTITY,
            id: format!("{}/{}/{}", self.tenant, self.gateway, self.event),
        }
    }
}

#[async_trait]
impl InboundWebhookStore for SqliteStore {
    async fn record_inbound(&self, webhook: &InboundWebhook) -> StoreResult<bool> {
        let row = InboundRow::new(webhook)?;
        self.write(move |c| row.insert(c)).await
    }

    async fn get_inbound(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        gateway_event_id: &str,
    ) -> StoreResult<Option<InboundWebhook>> {
        let (tenant, event) = (tenant.to_string(), gateway_event_id.to_string());
        self.read(move |c| {
            let sql = "SELECT id, body FROM inbound_webhooks
                       WHERE tenant = ?1 AND gateway = ?2 AND gateway_event_id = ?3";
            Ok(query_bodies(
                c,
                "inbound webhook",
                sql,
                [tenant.as_str(), gateway.as_str(), &event],
            )?
            .pop())
        })
        .await
    }

    async fn set_inbound_status(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        gateway_event_id: &str,
        status: InboundStatus,
        note: Option<&str>,
    ) -> StoreResult<()> {
        let (tenant, event) = (tenant.to_string(), gateway_event_id.to_string());
        let note = note.map(str::to_string);
        self.write(move |c| {
            let sql = "SELECT id, body FROM inbound_webhooks
                       WHERE tenant = ?1 AND gateway = ?2 AND gateway_event_id = ?3";
            let mut webhook: InboundWebhook = query_bodies(
                c,
                "inbound webhook",
                sql,
                [tenant.as_str(), gateway.as_str(), &event],
            )?
            .pop()
            .ok_or_else(|| StoreError::NotFound {
                entity: "inbound webhook",
                id: format!("{tenant}/{gateway}/{event}"),
            })?;
            webhook.status = status;
            webhook.note = note.clone();
            let id = webhook.id.to_string();
            let body = encode("inbound webhook", &id, &webhook)?;
            c.prepare_cached("UPDATE inbound_webhooks SET status = ?1, body = ?2 WHERE id = ?3")
                .and_then(|mut s| s.execute(params![inbound_status(status), body, id]))
                .map_err(|e| sql_error(&format!("update inbound webhook `{id}`"), e))?;
            Ok(())
        })
        .await
    }

    /// One statement: the record's JSON keeps every field but its body.
    async fn prune_inbound_bodies(&self, before: Timestamp) -> StoreResult<u64> {
        let before = before.unix_millis();
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE inbound_webhooks SET body = json_set(body, '$.body', '')
                 WHERE received_at < ?1 AND json_extract(body, '$.body') <> ''",
            )
            .and_then(|mut s| s.execute(params![before]))
            .map(|n| n as u64)
            .map_err(|e| sql_error("prune inbound webhook bodies", e))
        })
        .await
    }

    /// Newest first; `limit` 0 means 20, capped at 1000 like every listing.
    async fn list_inbound(
        &self,
        tenant: &TenantId,
        limit: u32,
    ) -> StoreResult<Vec<InboundWebhook>> {
        let tenant = tenant.to_string();
        let limit = page_size(limit);
        self.read(move |c| {
            let sql =
                "SELECT id, body FROM inbound_webhooks WHERE tenant = ?1 ORDER BY id DESC LIMIT ?2";
            query_bodies(c, "inbound webhook", sql, params![tenant, limit])
        })
        .await
    }
}
