//! [`Routing`]: a tenant's routing table as every process shares it. Reads go through a small
//! cache, so a charge costs no store read while the cached table is younger than [`MAX_AGE`];
//! changes (`switch`, `set_fallbacks`) are conditional writes, retried on conflict, and audited.
//!
//! Propagation: a change written at time T is seen by every `Routing` (in any process sharing
//! the store) no later than T + [`MAX_AGE`] plus one store read: within the one second that
//! `serve` promises. No background task is needed: an instance that is not routing charges
//! does not care what the table is. If the store cannot be read, the last table this instance
//! read is used (and a warning logged), so routing never fails on its own; with none at all,
//! the error is returned (the charge could not be stored anyway).

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use super::{RoutingTable, Strategy, TableError};
use crate::clock::{Clock, Timestamp};
use crate::model::{FeeSchedule, GatewayId, TenantId, ValidationError};
use crate::store::{
    AuditAction, AuditLog, Expect, StateDoc, StateKey, StateStore, Store, StoreError,
};
use crate::tenancy::{self, Action, Actor};

/// The oldest cached table a read may return. Half the promised second, so a read that
/// refreshes takes well under the rest.
pub const MAX_AGE: Duration = Duration::from_millis(500);
/// How many times a change is re-read and re-applied when another writer got there first.
const MAX_ATTEMPTS: u32 = 5;

/// Why a routing table could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// The change would make an invalid table (a duplicate, the primary as a fallback).
    #[error(transparent)]
    Table(#[from] TableError),
    /// A bad value, e.g. a reason that is too long.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(
        "{gateway} is disabled in the config (gateways.{gateway}.enabled = false): enable it before routing charges to it"
    )]
    Disabled { gateway: GatewayId },
    #[error(
        "the routing table of tenant `{tenant}` kept changing under {attempts} attempts: try again"
    )]
    Contended { tenant: TenantId, attempts: u32 },
    #[error("the stored routing table of tenant `{tenant}` is unreadable: {message}")]
    Corrupt { tenant: TenantId, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A tenant's table as stored, or the config's default when nothing is stored yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Current {
    pub table: RoutingTable,
    /// The stored document's version; `None` when the table is the config's default.
    pub version: Option<u64>,
}

/// What a `switch` or `set_fallbacks` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub before: RoutingTable,
    pub after: RoutingTable,
}

impl Change {
    /// False when the table already was as asked (nothing written, nothing audited).
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

#[derive(Clone)]
struct Cached {
    table: RoutingTable,
    read_at: Timestamp,
}

/// What [`Routing`] is built from: the table of a tenant that has none stored yet (`[routing]`)
/// and the gateways a table may name (`[gateways.*] enabled`). The config assembles it
/// (`TryFrom<&Config>` in `src/config/`), so routing never reads the config itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingDefaults {
    pub table: RoutingTable,
    pub enabled: BTreeSet<GatewayId>,
    /// `[fees]`: what the `cheapest` strategy orders by.
    pub fees: FeeSchedule,
}

impl From<Infallible> for RoutingError {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// Tenants' routing tables, shared through the store. One per process; cheap to share.
pub struct Routing {
    state: Arc<dyn StateStore>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    defaults: RoutingTable,
    enabled: BTreeSet<GatewayId>,
    fees: FeeSchedule,
    max_age: Duration,
    cache: Mutex<HashMap<TenantId, Cached>>,
}

impl Routing {
    /// Routing on `store`, with the default table and the enabled gateways of `defaults`: a
    /// [`RoutingDefaults`], or anything that makes one (the config: `&Config`).
    pub fn new<D>(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        defaults: D,
    ) -> Result<Self, RoutingError>
    where
        D: TryInto<RoutingDefaults>,
        RoutingError: From<D::Error>,
    {
        Self::with_stores(store.clone(), store, clock, defaults)
    }

    /// [`Routing::new`] with the table documents and the audit log in separate stores.
    pub fn with_stores<D>(
        state: Arc<dyn StateStore>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        defaults: D,
    ) -> Result<Self, RoutingError>
    where
        D: TryInto<RoutingDefaults>,
        RoutingError: From<D::Error>,
    {
        let RoutingDefaults {
            table,
            enabled,
            fees,
        } = defaults.try_into()?;
        Ok(Routing {
            state,
            audit,
            clock,
            defaults: table,
            enabled,
            fees,
            max_age: MAX_AGE,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The table for routing a charge: at most [`MAX_AGE`] old (see the module docs).
    pub async fn table(&self, tenant: &TenantId) -> Result<RoutingTable, RoutingError> {
        let now = self.clock.now();
        let cached = self.cached(tenant);
        if let Some(c) = cached
            .as_ref()
            .filter(|c| now.since(c.read_at) < self.max_age)
        {
            return Ok(c.table.clone());
        }
        match self.current(tenant).await {
            Ok(current) => {
                self.remember(tenant, &current.table, now);
                Ok(current.table)
            }
            Err(RoutingError::Store(e)) => match cached {
                // Not re-stamped: the next read tries the store again.
                Some(c) => {
                    tracing::warn!(%tenant, error = %e, "routing table unreadable; using the last one read");
                    Ok(c.table)
                }
                None => Err(e.into()),
            },
            Err(e) => Err(e),
        }
    }

    /// The fee schedule the `cheapest` strategy orders by.
    pub fn fees(&self) -> &FeeSchedule {
        &self.fees
    }

    /// The table as stored now (no cache), or the config's default.
    pub async fn current(&self, tenant: &TenantId) -> Result<Current, RoutingError> {
        let Some(doc) = self.state.get_state(&key(tenant)).await? else {
            return Ok(Current {
                table: self.defaults.clone(),
                version: None,
            });
        };
        let table = serde_json::from_value(doc.value).map_err(|e| RoutingError::Corrupt {
            tenant: tenant.clone(),
            message: e.to_string(),
        })?;
        Ok(Current {
            table,
            version: Some(doc.version),
        })
    }

    /// Makes `gateway` the primary; the old primary becomes the first fallback
    /// ([`RoutingTable::switched_to`]). Audited as `gateway.switch` `{"from","to","fallbacks"}`.
    /// Switching to the current primary changes nothing and is not audited. A gateway
    /// disabled in the config is refused; one without credentials is allowed (the servers
    /// may have them in their environment) and skipped at charge time until it has them.
    pub async fn switch(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<Change, RoutingError> {
        self.require_enabled(&[gateway])?;
        self.update(tenant, actor, reason, |before| {
            let after = before.switched_to(gateway);
            let detail = serde_json::json!({
                "from": before.primary(),
                "to": after.primary(),
                "fallbacks": after.fallbacks(),
            });
            Ok((
                after,
                (AuditAction::GatewaySwitch, gateway.to_string(), detail),
            ))
        })
        .await
    }

    /// Replaces the fallbacks, in order (empty: the primary only). Audited as
    /// `gateway.fallback` `{"from": [old], "to": [new]}`. Duplicates, the primary, and
    /// gateways disabled in the config are refused.
    pub async fn set_fallbacks(
        &self,
        tenant: &TenantId,
        fallbacks: Vec<GatewayId>,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<Change, RoutingError> {
        self.require_enabled(&fallbacks)?;
        self.update(tenant, actor, reason, |before| {
            let after = RoutingTable::new(before.primary(), fallbacks.clone())?
                .with_strategy(before.strategy());
            let detail = serde_json::json!({"from": before.fallbacks(), "to": after.fallbacks()});
            Ok((
                after,
                (
                    AuditAction::GatewayFallback,
                    "fallbacks".to_string(),
                    detail,
                ),
            ))
        })
        .await
    }

    /// Sets how charges order the table's gateways ([`Strategy`]). Audited as
    /// `gateway.strategy` `{"from","to"}`; setting the current strategy changes nothing and
    /// is not audited. Reaches every process within [`MAX_AGE`], like a switch.
    pub async fn set_strategy(
        &self,
        tenant: &TenantId,
        strategy: Strategy,
        actor: &Actor,
        reason: Option<&str>,
    ) -> Result<Change, RoutingError> {
        self.update(tenant, actor, reason, |before| {
            let after = before.clone().with_strategy(strategy);
            let detail = serde_json::json!({"from": before.strategy(), "to": strategy});
            Ok((
                after,
                (AuditAction::GatewayStrategy, strategy.to_string(), detail),
            ))
        })
        .await
    }

    fn require_enabled(&self, gateways: &[GatewayId]) -> Result<(), RoutingError> {
        match gateways.iter().find(|g| !self.enabled.contains(g)) {
            Some(gateway) => Err(RoutingError::Disabled { gateway: *gateway }),
            None => Ok(()),
        }
    }

    /// Read, apply `edit`, conditionally write; on a lost race, again from the new state. The
    /// audit entry (`edit`'s action, target and detail) follows a successful write.
    async fn update(
        &self,
        tenant: &TenantId,
        actor: &Actor,
        reason: Option<&str>,
        edit: impl Fn(&RoutingTable) -> Result<(RoutingTable, Audited), RoutingError>,
    ) -> Result<Change, RoutingError> {
        let reason = tenancy::validate_reason("reason", reason)?;
        for _ in 0..MAX_ATTEMPTS {
            let before = self.current(tenant).await?;
            let (after, (name, target, detail)) = edit(&before.table)?;
            let change = Change {
                before: before.table,
                after,
            };
            if !change.changed() {
                self.remember(tenant, &change.after, self.clock.now());
                return Ok(change);
            }
            let value = serde_json::to_value(&change.after)
                .map_err(|e| StoreError::Backend(format!("cannot encode a routing table: {e}")))?;
            let expect = before.version.map_or(Expect::Absent, Expect::Version);
            match self.state.put_state(&key(tenant), &value, expect).await {
                Ok(_) => {}
                Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
            self.remember(tenant, &change.after, self.clock.now());
            let action = Action {
                name,
                target: &target,
                detail,
                reason: reason.as_deref(),
            };
            tenancy::audit_with_reason(
                self.audit.as_ref(),
                self.clock.as_ref(),
                actor,
                tenant,
                action,
            )
            .await?;
            return Ok(change);
        }
        Err(RoutingError::Contended {
            tenant: tenant.clone(),
            attempts: MAX_ATTEMPTS,
        })
    }

    fn cached(&self, tenant: &TenantId) -> Option<Cached> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(tenant).cloned()
    }

    fn remember(&self, tenant: &TenantId, table: &RoutingTable, read_at: Timestamp) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(
            tenant.clone(),
            Cached {
                table: table.clone(),
                read_at,
            },
        );
    }
}

/// An edit's audit entry: action name, target, detail.
type Audited = (AuditAction, String, serde_json::Value);

/// The state document a tenant's table is stored in: kind `routing`, name `table`.
fn key(tenant: &TenantId) -> StateKey {
    StateDoc::RoutingTable.key(tenant)
}

#[cfg(test)]
mod tests;
