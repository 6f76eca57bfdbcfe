//! What a tenant's webhook endpoint, events and dead letters are changed by, whoever asks: an
//! operator on the CLI (`payorch webhook|events|dlq`) or the merchant through the API
//! (`server/merchant`). Each change here is done and then audited as one entry naming its
//! [`Actor`] (`cli:<user>`, `api_key:<key id>`), so both edges follow the same rules (the URL
//! policy, the overlap's bounds, a resend's place in its charge's queue) and write the same audit
//! entries. No printing and no HTTP: the callers render the result and map the errors.
//!
//! Lookups are scoped to a tenant: another tenant's event or dead letter reads as absent, never
//! as "someone else's", so no edge can leak that it exists.

use std::time::Duration;

use crate::clock::Clock;
use crate::datakey::DataKeys;
use crate::egress::TargetPolicy;
use crate::id::{EventId, MessageId};
use crate::model::{Event, TenantId};
use crate::store::{AuditAction, DeadLetter, QueueMessage, Store, StoreError};
use crate::tenancy::{self, Actor};

use super::dlq;
use super::endpoint::{self, Endpoint, EndpointError};

/// The longest overlap a secret rotation may keep the old secret signing for (30 days).
pub const MAX_OVERLAP: Duration = Duration::from_secs(30 * 24 * 3600);
/// The overlap when none is asked for (24 h).
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(24 * 3600);
/// What the audit entries of endpoint changes name as their target.
pub const ENDPOINT_TARGET: &str = "webhook_endpoint";
/// Why an endpoint was disabled, when whoever disabled it gave no reason.
pub const DISABLED_BY_REQUEST: &str = "disabled on request";

/// Refuses an overlap longer than [`MAX_OVERLAP`], saying so.
pub fn check_overlap(overlap: Duration) -> Result<(), String> {
    if overlap > MAX_OVERLAP {
        return Err("is more than the 30 days an overlap may last".into());
    }
    Ok(())
}

/// Who acts, on which tenant, with which clock and store: what every change here needs.
#[derive(Clone, Copy)]
pub struct Acting<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    pub actor: &'a Actor,
    pub tenant: &'a TenantId,
}

impl Acting<'_> {
    async fn audit(
        &self,
        action: AuditAction,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        tenancy::audit(
            self.store,
            self.clock,
            self.actor,
            self.tenant,
            action,
            target,
            detail,
        )
        .await
    }
}

/// Sets the endpoint's URL (`payorch webhook endpoint set`, `PUT /v1/webhook_endpoint`) once it
/// passes `policy`; audited as `webhook.endpoint_set`. The second value says a new endpoint
/// (and so a new secret, to be shown this once) was created.
pub async fn set_endpoint(
    who: Acting<'_>,
    keys: &DataKeys,
    url: &str,
    policy: TargetPolicy,
) -> Result<(Endpoint, bool), EndpointError> {
    let now = who.clock.now();
    let (e, created) = endpoint::set(who.store, keys, who.tenant, url, policy, now).await?;
    who.audit(
        AuditAction::WebhookEndpointSet,
        ENDPOINT_TARGET,
        serde_json::json!({"url": e.url, "new_secret": created}),
    )
    .await?;
    Ok((e, created))
}

/// Resumes deliveries (after a 410, or a manual disable); audited as
/// `webhook.endpoint_enable`.
pub async fn enable_endpoint(who: Acting<'_>, keys: &DataKeys) -> Result<Endpoint, EndpointError> {
    let e = endpoint::enable(who.store, keys, who.tenant, who.clock.now()).await?;
    who.audit(
        AuditAction::WebhookEndpointEnable,
        ENDPOINT_TARGET,
        serde_json::json!({"url": e.url}),
    )
    .await?;
    Ok(e)
}

/// Stops deliveries until the endpoint is enabled again (events are kept and wait, as after a
/// 410); audited as `webhook.endpoint_disable` with the reason. `reason` should have passed
/// [`tenancy::validate_reason`]; `None` records [`DISABLED_BY_REQUEST`].
pub async fn disable_endpoint(
    who: Acting<'_>,
    keys: &DataKeys,
    reason: Option<&str>,
) -> Result<Endpoint, EndpointError> {
    let why = reason.unwrap_or(DISABLED_BY_REQUEST);
    let e = endpoint::disable(who.store, keys, who.tenant, why, who.clock.now()).await?;
    who.audit(
        AuditAction::WebhookEndpointDisable,
        ENDPOINT_TARGET,
        serde_json::json!({"url": e.url, "reason": why}),
    )
    .await?;
    Ok(e)
}

/// Replaces the signing secret, the old one signing too for `overlap` (checked by
/// [`check_overlap`] first); audited as `webhook.secret_rotate` with the overlap, never a
/// secret.
pub async fn rotate_secret(
    who: Acting<'_>,
    keys: &DataKeys,
    overlap: Duration,
) -> Result<Endpoint, EndpointError> {
    let e = endpoint::rotate_secret(who.store, keys, who.tenant, overlap, who.clock.now()).await?;
    who.audit(
        AuditAction::WebhookSecretRotate,
        ENDPOINT_TARGET,
        serde_json::json!({"overlap": crate::clock::HumanDuration(overlap).to_string()}),
    )
    .await?;
    Ok(e)
}

/// The tenant's event `id`; `None` when it has none by that id.
pub async fn own_event(
    store: &dyn Store,
    tenant: &TenantId,
    id: &EventId,
) -> Result<Option<Event>, StoreError> {
    store.get_event(tenant, id).await
}

/// Puts the tenant's event `id` in the delivery queue again: the same body and event id (so the
/// merchant dedupes on `webhook-id`), visible now, after whatever of its charge is still queued
/// (its message group), never beside it. Audited as `events.resend`. `None` when the tenant
/// has no such event (nothing queued, nothing audited); else the event and its new message.
pub async fn resend_event(
    who: Acting<'_>,
    id: &EventId,
) -> Result<Option<(Event, MessageId)>, StoreError> {
    let Some(event) = own_event(who.store, who.tenant, id).await? else {
        return Ok(None);
    };
    let body = serde_json::to_string(&event)
        .map_err(|e| StoreError::Backend(format!("cannot encode event {id}: {e}")))?;
    let message = QueueMessage {
        id: MessageId::generate(),
        tenant: who.tenant.clone(),
        body,
        enqueued_at: who.clock.now(),
        group: Some(event.data.charge.id.to_string()),
    };
    who.store.enqueue(&message, Duration::ZERO).await?;
    who.audit(
        AuditAction::EventsResend,
        &id.to_string(),
        serde_json::json!({"message_id": message.id.to_string(), "type": event.kind}),
    )
    .await?;
    Ok(Some((event, message.id)))
}

/// The tenant's dead letter `id`; another tenant's reads as `None`, like an unknown id.
pub async fn own_dead_letter(
    store: &dyn Store,
    tenant: &TenantId,
    id: &MessageId,
) -> Result<Option<DeadLetter>, StoreError> {
    Ok(store
        .get_dead(id)
        .await?
        .filter(|d| d.message.tenant == *tenant))
}

/// Puts the tenant's dead letter `id` back in the delivery queue ([`dlq::Operation::Replay`]),
/// audited as `dlq.replay` naming it. `None` when the tenant has no such dead letter; else the
/// dead letter as it was.
pub async fn replay_dead_letter(
    who: Acting<'_>,
    id: &MessageId,
) -> Result<Option<DeadLetter>, StoreError> {
    let Some(dead) = own_dead_letter(who.store, who.tenant, id).await? else {
        return Ok(None);
    };
    let ids = std::slice::from_ref(id);
    let target = dlq::target_label(false, ids);
    dlq::replay(who.store, who.clock, who.actor, who.tenant, ids, &target).await?;
    Ok(Some(dead))
}
