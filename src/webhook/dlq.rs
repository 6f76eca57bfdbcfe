//! The dead-letter queue as operators act on it: which dead letters a tenant has, and putting
//! them back in the delivery queue or deleting them, each batch recorded as one audit entry.
//! Shared by `payorch dlq` and the dashboard; no printing here (the callers report).

use crate::clock::{Clock, Timestamp};
use crate::id::MessageId;
use crate::model::TenantId;
use crate::store::{Store, StoreError};
use crate::tenancy::{self, Actor};

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

/// Puts `ids` back in the delivery queue, visible now with a fresh retry schedule, calling
/// `on_each` after each; then appends one `dlq.replay` audit entry (`target` names what was
/// asked for: `all` or the ids) with `{"ids", "count"}`. Nothing is audited for no ids.
pub async fn replay(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    ids: &[MessageId],
    target: &str,
    mut on_each: impl FnMut(&MessageId),
) -> Result<(), StoreError> {
    for id in ids {
        store.replay_dead(id, clock.now()).await?;
        on_each(id);
    }
    audit(store, clock, actor, tenant, "dlq.replay", target, ids).await
}

/// Deletes `ids` for good, calling `on_each` after each; then one `dlq.purge` audit entry,
/// like [`replay`].
pub async fn purge(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    ids: &[MessageId],
    target: &str,
    mut on_each: impl FnMut(&MessageId),
) -> Result<(), StoreError> {
    for id in ids {
        store.purge_dead(id).await?;
        on_each(id);
    }
    audit(store, clock, actor, tenant, "dlq.purge", target, ids).await
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

async fn audit(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    action: &str,
    target: &str,
    ids: &[MessageId],
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    tenancy::audit(
        store,
        clock,
        actor,
        tenant,
        action,
        target,
        serde_json::json!({"ids": ids, "count": ids.len()}),
    )
    .await
}
