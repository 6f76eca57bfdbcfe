//! What the dashboard does to the store, all through the library's public API: reading a
//! [`Snapshot`] (health, the charges feed, the audit feed) and running a confirmed
//! [`Action`] as the operator, audited like the CLI's commands (same actions, same actor,
//! with the reason "from the dashboard").

use std::sync::Arc;

use payorch::clock::Clock;
use payorch::config::Config;
use payorch::fleet::{Breakers, OperatorCommand};
use payorch::health::HealthReader;
use payorch::model::{GatewayId, TenantId};
use payorch::routing::Routing;
use payorch::store::{ChargeQuery, Store};
use payorch::tenancy::Actor;
use payorch::webhook::dlq;

use super::DemoControl;
use super::state::{Action, Snapshot};

/// The reason audit entries of dashboard actions carry.
pub const REASON: &str = "from the dashboard";
/// How many charges and audit entries a refresh reads.
const FEED: u32 = 50;

/// The operator at the dashboard: reads and acts on one store.
pub struct Operator {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    actor: Actor,
    health: HealthReader,
    routing: Routing,
    breakers: Breakers,
    demo: Option<Arc<dyn DemoControl>>,
}

impl Operator {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: &Config,
        actor: Actor,
        demo: Option<Arc<dyn DemoControl>>,
    ) -> anyhow::Result<Self> {
        Ok(Operator {
            health: HealthReader::new(store.clone(), clock.clone(), config)?,
            routing: Routing::new(store.clone(), clock.clone(), config)?,
            breakers: Breakers::new(store.clone(), clock.clone(), config.breaker.clone()),
            store,
            clock,
            actor,
            demo,
        })
    }

    /// Every tenant, in the store's order.
    pub async fn tenants(&self) -> anyhow::Result<Vec<TenantId>> {
        Ok(self
            .store
            .list_tenants()
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect())
    }

    /// The gateways the demo has taken down (none outside `payorch demo`).
    pub fn down(&self) -> Vec<GatewayId> {
        self.demo.as_ref().map(|d| d.down()).unwrap_or_default()
    }

    /// One refresh: `tenant`'s health and feeds.
    pub async fn snapshot(&self, tenant: &TenantId) -> anyhow::Result<Snapshot> {
        let health = self.health.read(tenant).await?;
        let charges = self
            .store
            .list_charges(
                tenant,
                &ChargeQuery {
                    limit: FEED,
                    ..ChargeQuery::default()
                },
            )
            .await?
            .items;
        let audit = self.store.list_audit(Some(tenant), None, FEED).await?.items;
        Ok(Snapshot {
            health,
            charges,
            audit,
        })
    }

    /// Runs a confirmed action; the sentence for the status line.
    pub async fn perform(&self, tenant: &TenantId, action: &Action) -> anyhow::Result<String> {
        let reason = Some(REASON.to_string());
        let breaker = |g: GatewayId, command: OperatorCommand, done: &'static str| async move {
            self.breakers
                .command(&self.actor, tenant, g, command)
                .await?;
            anyhow::Ok(format!(
                "{g} breaker {done}; serve instances adopt it within a sync interval."
            ))
        };
        match action {
            Action::MakePrimary(g) => {
                let change = self
                    .routing
                    .switch(tenant, *g, &self.actor, Some(REASON))
                    .await?;
                Ok(if change.changed() {
                    format!(
                        "Primary switched from {} to {}.",
                        change.before.primary(),
                        change.after.primary()
                    )
                } else {
                    format!("{g} already is the primary; nothing changed.")
                })
            }
            Action::ForceOpen(g) => {
                let command = OperatorCommand::Open {
                    until: None,
                    reason,
                };
                breaker(*g, command, "forced open").await
            }
            Action::ForceClosed(g) => {
                breaker(*g, OperatorCommand::Close { reason }, "forced closed").await
            }
            Action::Automatic(g) => {
                breaker(*g, OperatorCommand::Auto { reason }, "back to automatic").await
            }
            Action::ReplayDlq => {
                let ids = dlq::dead_ids(self.store.as_ref(), tenant, None).await?;
                dlq::replay(
                    self.store.as_ref(),
                    self.clock.as_ref(),
                    &self.actor,
                    tenant,
                    &ids,
                    &dlq::target_label(true, &ids),
                )
                .await?;
                let more = if ids.len() >= dlq::MAX_ALL as usize {
                    " (the newest ones only: press r again for the rest)"
                } else {
                    ""
                };
                Ok(format!("Replayed {} dead letter(s){more}.", ids.len()))
            }
            Action::DemoToggle(g) => match &self.demo {
                Some(demo) => demo.toggle(*g).await,
                None => Ok("x works in `payorch demo` only.".into()),
            },
        }
    }
}
