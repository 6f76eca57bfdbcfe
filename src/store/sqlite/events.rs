//! SQL for the event log: every outbound event, queryable by type and charge.
//! Not delivery (that is the queue and `webhook/outbound`).

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::{SqliteStore, encode, insert_new, into_page, page_size, query_bodies};
use crate::id::EventId;
use crate::model::{Event, TenantId};
use crate::store::{EventLog, EventQuery, Page, StoreResult};

/// An event's columns, computed before the write is queued.
pub(super) struct EventRow {
    id: String,
    tenant: String,
    kind: &'static str,
    charge: String,
    created_at: i64,
    body: String,
}

impl EventRow {
    pub(super) fn new(event: &Event) -> StoreResult<EventRow> {
        let id = event.id.to_string();
        Ok(EventRow {
            body: encode("event", &id, event)?,
            tenant: event.tenant.to_string(),
            kind: event.kind.as_str(),
            charge: event.data.charge.id.to_string(),
            created_at: event.created_at.unix_millis(),
            id,
        })
    }

    /// Inserts the event, inside the caller's write job.
    pub(super) fn insert(&self, c: &Connection) -> StoreResult<()> {
        insert_new(
            c,
            "event",
            &self.id,
            "INSERT INTO events (id, tenant, type, charge_id, created_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![
                self.id,
                self.tenant,
                self.kind,
                self.charge,
                self.created_at,
                self.body
            ],
        )
    }
}

#[async_trait]
impl EventLog for SqliteStore {
    async fn record_event(&self, event: &Event) -> StoreResult<()> {
        let row = EventRow::new(event)?;
        self.write(move |c| row.insert(c)).await
    }

    async fn get_event(&self, tenant: &TenantId, id: &EventId) -> StoreResult<Option<Event>> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.read(move |c| {
            let sql = "SELECT id, body FROM events WHERE id = ?1 AND tenant = ?2";
            Ok(query_bodies(c, "event", sql, [&id, &tenant])?.pop())
        })
        .await
    }

    async fn list_events(&self, tenant: &TenantId, query: &EventQuery) -> StoreResult<Page<Event>> {
        let limit = page_size(query.limit);
        let mut sql = String::from("SELECT id, body FROM events WHERE tenant = ?");
        let mut args = vec![Value::Text(tenant.to_string())];
        let mut filter = |clause: &str, value: Value| {
            sql.push_str(clause);
            args.push(value);
        };
        if let Some(kind) = query.kind {
            filter(" AND type = ?", Value::Text(kind.as_str().into()));
        }
        if let Some(charge) = &query.charge {
            filter(" AND charge_id = ?", Value::Text(charge.to_string()));
        }
        if let Some(after) = &query.starting_after {
            filter(" AND id < ?", Value::Text(after.to_string()));
        }
        filter(
            " ORDER BY id DESC LIMIT ?",
            Value::Integer(i64::from(limit) + 1),
        );
        self.read(move |c| {
            let events = query_bodies(c, "event", &sql, params_from_iter(args))?;
            Ok(into_page(events, limit, |e: &Event| e.id.to_string()))
        })
        .await
    }
}
