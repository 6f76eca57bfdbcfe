//! The event log: `EVENT#<id>` items, listed through gsi1 `EVENTS#<tenant>` or, for one
//! charge's events, gsi2 `CHARGEEVENTS#<charge id>`; both newest first. An item carries
//! `tenant`, `kind` (the event type, which listings filter on) and `charge` besides `body`,
//! the JSON that was delivered (the same the SQLite backend stores).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::item::{Item, ItemExt, decode, encode, s};
use super::query::{Filter, Listing, in_transaction};
use super::{DynamoStore, GSI1, GSI2};
use crate::id::EventId;
use crate::model::{Event, TenantId};
use crate::store::{EventLog, EventQuery, Page, StoreError, StoreResult};

const EVENT_SK: &str = "EVENT";

fn event_pk(id: &str) -> String {
    format!("EVENT#{id}")
}

/// The item of `event`.
fn event_item(event: &Event) -> StoreResult<Item> {
    let id = event.id.as_str();
    let charge = event.data.charge.id.as_str();
    Ok(Item::from([
        ("pk".to_string(), s(event_pk(id))),
        ("sk".to_string(), s(EVENT_SK)),
        ("tenant".to_string(), s(event.tenant.as_str())),
        ("kind".to_string(), s(event.kind.as_str())),
        ("charge".to_string(), s(charge)),
        ("body".to_string(), s(encode("event", id, event)?)),
        (
            "gsi1pk".to_string(),
            s(format!("EVENTS#{}", event.tenant.as_str())),
        ),
        ("gsi1sk".to_string(), s(id)),
        ("gsi2pk".to_string(), s(format!("CHARGEEVENTS#{charge}"))),
        ("gsi2sk".to_string(), s(id)),
    ]))
}

fn decode_event(item: &Item) -> StoreResult<Event> {
    decode("event", item.string("pk")?, item.string("body")?)
}

/// `event`'s id is taken.
pub(super) fn event_exists(event: &Event) -> StoreError {
    StoreError::AlreadyExists {
        entity: "event",
        id: event.id.to_string(),
    }
}

impl DynamoStore {
    /// The put of a new `event` (only if its id is free), for a transaction
    /// (`update_charge_emitting`, the queue).
    pub(super) fn event_put_write(&self, event: &Event) -> StoreResult<TransactWriteItem> {
        Ok(in_transaction(self.put_new(event_item(event)?)?))
    }
}

#[async_trait]
impl EventLog for DynamoStore {
    async fn record_event(&self, event: &Event) -> StoreResult<()> {
        self.create(event_item(event)?, "event", event.id.as_str())
            .await
    }

    async fn get_event(&self, tenant: &TenantId, id: &EventId) -> StoreResult<Option<Event>> {
        let Some(item) = self.get(&event_pk(id.as_str()), EVENT_SK).await? else {
            return Ok(None);
        };
        if item.string("tenant")? != tenant.as_str() {
            return Ok(None);
        }
        decode_event(&item).map(Some)
    }

    /// Through gsi1, or gsi2 for one charge's events (still only this tenant's); the type is
    /// a filter expression. Eventually consistent on AWS.
    async fn list_events(&self, tenant: &TenantId, query: &EventQuery) -> StoreResult<Page<Event>> {
        let mut filter = Filter::default();
        if let Some(kind) = query.kind {
            filter.and("kind", "=", s(kind.as_str()));
        }
        let (index, pk, sk, partition) = match &query.charge {
            Some(charge) => {
                filter.and("tenant", "=", s(tenant.as_str()));
                (
                    GSI2,
                    "gsi2pk",
                    "gsi2sk",
                    format!("CHARGEEVENTS#{}", charge.as_str()),
                )
            }
            None => (
                GSI1,
                "gsi1pk",
                "gsi1sk",
                format!("EVENTS#{}", tenant.as_str()),
            ),
        };
        let listing = Listing {
            index,
            pk,
            sk,
            partition,
            before: query.starting_after.as_ref().map(EventId::as_str),
            filter,
            limit: query.limit,
        };
        self.list_newest(listing, decode_event, |e: &Event| e.id.to_string())
            .await
    }
}
