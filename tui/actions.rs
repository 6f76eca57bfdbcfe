//! What the dashboard does to the store, all through the library's public API: reading a
//! [`Snapshot`] (health, the charges feed, the audit feed) and running a confirmed
//! [`Action`] as the operator, audited like the CLI's commands (same actions, same actor,
//! with the reason "from the dashboard").

use std::sync::Arc;

use payorch::clock::Clock;
use payorch::config::Config;
use payorch::fleet::{Breakers, OperatorCommand};
use payorch::health::HealthReader;
use payorch::model::{FeeSchedule, GatewayId, TenantId};
use payorch::routing::Routing;
use payorch::store::costs::{start_of_day, start_of_month};
use payorch::store::{ChargeQuery, CostGroup, CostQuery, Store};
use payorch::tenancy::Actor;
use payorch::webhook::dlq;

use super::DemoControl;
use super::state::{Action, Costs, Snapshot};

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
    /// Prices what a failed-over charge would have paid at its first gateway (costs panel).
    fees: FeeSchedule,
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
            fees: config.fees.schedule(),
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

    /// Now, by the dashboard's clock.
    pub fn now(&self) -> payorch::clock::Timestamp {
        self.clock.now()
    }

    /// The costs panel: `tenant`'s charges created today and this month so far (days and
    /// months starting at `offset`), summed per gateway. Two range reads of the store, the same
    /// `report costs --by gateway` does.
    pub async fn costs(&self, tenant: &TenantId, offset: time::UtcOffset) -> anyhow::Result<Costs> {
        let at = self.clock.now();
        let minutes = offset.whole_minutes().into();
        let today_from = start_of_day(at, minutes);
        let month_from = start_of_month(at, minutes);
        // `to` is exclusive: a charge created in this very millisecond is in.
        let to = payorch::clock::Timestamp::from_unix_millis(at.unix_millis() + 1);
        let query = |from| CostQuery {
            tenant: Some(tenant.clone()),
            from,
            to,
            group: CostGroup::Gateway,
            utc_offset_minutes: minutes,
        };
        let month = self
            .store
            .charge_costs(&query(month_from), &self.fees)
            .await?;
        let today = self
            .store
            .charge_costs(&query(today_from), &self.fees)
            .await?;
        Ok(Costs {
            tenant: tenant.clone(),
            at,
            offset,
            today_from,
            month_from,
            today,
            month,
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
