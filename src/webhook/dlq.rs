//! The dead-letter queue as operators act on it: which dead letters a tenant has, and putting
//! them back in the delivery queue or deleting them, each batch recorded as one audit entry.
//! Shared by `payorch dlq` and the dashboard; no printing here (the callers report).

use crate::clock::{Clock, Timestamp};
use crate::id::MessageId;
use crate::model::TenantId;
use crate::store::{AuditAction, DeadLetter, Store, StoreError};
use crate::tenancy::{self, Actor};

use super::outbound::DeliveryLog;

/// What a dead letter's message says, decoded: its event (id, type, the whole body) and its
/// delivery log (every recorded attempt, the last error). How `payorch dlq` and
/// `GET /v1/dead_letters` read one.
#[derive(Clone, Debug)]
pub struct Contents {
    pub event: Option<serde_json::Value>,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub log: DeliveryLog,
}

impl Contents {
    pub fn of(d: &DeadLetter) -> Contents {
        let event: Option<serde_json::Value> = serde_json::from_str(&d.message.body).ok();
        let field = |k: &str| {
            event
                .as_ref()
                .and_then(|e| e.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        Contents {
            event_id: field("id"),
            event_type: field("type"),
            log: DeliveryLog::decode(&d.last_error),
            event,
        }
    }
}

/// The most dead letters one "all" touches; the caller says so and the operator runs again.
pub const MAX_ALL: u32 = 1000;

/// The ids of `tenant`'s dead letters (dead at or after `since`), newest first, at most
/// [`MAX_ALL`].
pub async fn dead_ids(
    store: &dyn Store,
    tenant: &TenantId,
    since: Option<Timestamp>,
) -> Result<Vec<MessageId>, StoreError> {
    let dead = store.list_dead(Some(tenant), since, MAX_ALL).await?;
    Ok(dead.into_iter().map(|d| d.message.id).collect())
}

/// What to do with dead letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Back in the delivery queue, visible now, with a fresh retry schedule, ahead of the
    /// newer events of its charge (its message group), which waited for it.
    Replay,
    /// Deleted for good; the newer events of its charge may then be delivered.
    Purge,
}

impl Operation {
    /// The audit action: `dlq.replay`, `dlq.purge`.
    pub fn action(self) -> AuditAction {
        match self {
            Operation::Replay => AuditAction::DlqReplay,
            Operation::Purge => AuditAction::DlqPurge,
        }
    }
}

/// Which dead letters to act on, and how.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    pub operation: Operation,
    pub ids: &'a [MessageId],
    /// What the audit entry names as its target: `all`, or the ids ([`target_label`]).
    pub target: &'a str,
}

/// Replays or purges the batch's ids, calling `on_each` after each; then appends one audit
/// entry ([`Operation::action`]) with `{"ids", "count"}`. Nothing is audited for no ids.
/// Stops at the first store error (the ones done stay done; nothing is audited then).
pub async fn apply(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    batch: Batch<'_>,
    mut on_each: impl FnMut(&MessageId),
) -> Result<(), StoreError> {
    for id in batch.ids {
        match batch.operation {
            Operation::Replay => store.replay_dead(id, clock.now()).await?,
            Operation::Purge => store.purge_dead(id).await?,
        }
        on_each(id);
    }
    if batch.ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = batch.ids.iter().map(ToString::to_string).collect();
    tenancy::audit(
        store,
        clock,
        actor,
        tenant,
        batch.operation.action(),
        batch.target,
        serde_json::json!({"ids": ids, "count": ids.len()}),
    )
    .await
}

/// [`apply`] with [`Operation::Replay`]: what the dashboard's `r` does.
pub async fn replay(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    ids: &[MessageId],
    target: &str,
) -> Result<(), StoreError> {
    let batch = Batch {
        operation: Operation::Replay,
        ids,
        target,
    };
    apply(store, clock, actor, tenant, batch, |_| {}).await
}

/// What an audit entry's target says for `ids`: `all` when every dead letter was asked for,
/// else the ids, comma-separated.
pub fn target_label(all: bool, ids: &[MessageId]) -> String {
    if all {
        "all".to_string()
    } else {
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}
