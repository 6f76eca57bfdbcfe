//! The charge and refund flows: the one place that ties routing, breakers, gateways and the
//! store together, and where rule 4 (failover must not double-charge) is enforced.
//!
//! Create: for each candidate gateway the breaker admits, durably record the attempt (gateway
//! and gateway key; the first one creates the `pending` charge) → call it with a gateway
//! idempotency key derived from the charge → classify → on a failover-safe failure try the
//! next → after an ambiguous outcome retry the *same* gateway with the *same* key, then look
//! the charge up there; a Pix or boleto charge may then fail over (the possible orphan is
//! recorded and cancelled by the reconciler), a card charge becomes `unknown` → store the
//! outcome with every attempt and the normalized event in one commit.
//! No lock is held across a gateway call; every write is conditional on the version the flow
//! last wrote, so a flow that lost its charge to a recoverer stops at its next write.
//!
//! The flows live in one file each: `charge.rs` (create, rule 4), `recover.rs` (resuming a
//! charge whose holder stopped: the protocol every resumer follows), `refund.rs`,
//! `reconcile.rs` (abandoned charges and refunds, unknown charges, orphans) and `inbound.rs`
//! (what a gateway webhook does to its charge). Money flows run in tasks of their own
//! ([`Orchestrator::run_flow`]), so a client that hangs up cannot cut one short. A flow that
//! gives no charge says why with a [`FlowError`] (`error.rs`): typed, with no HTTP status or
//! error code, which `server/` and `commands/` decide.

mod charge;
mod error;
mod fees;
mod inbound;
mod marks;
mod reconcile;
mod recover;
mod refund;

pub use charge::KeyHook;
pub use error::FlowError;
pub use fees::FEE_READ_TRIES;
pub use inbound::{Applied, INBOUND_IN_FLIGHT_GRACE};
pub use marks::{FEE_KIND, ORPHAN_KIND, REFUND_KIND};
pub use reconcile::{LOOKUP_GRACE, ReconcileReport};

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::task::TaskTracker;

use crate::api::ChargeRequest;
use crate::breaker::Admission;
use crate::clock::Clock;
use crate::failpoint::Failpoints;
use crate::gateway::registry::Gateways;
use crate::id::ChargeId;
use crate::model::{AttemptOutcome, GatewayId, TenantId};
use crate::store::Store;

/// What the orchestrator asks of the circuit breakers. Implemented by the breaker fleet; the
/// calls are in-memory (no store round trip on the charge path), but for the claim of a
/// half-open probe permit (see [`crate::fleet::Breakers::admit`]).
#[async_trait]
pub trait BreakerGate: Send + Sync {
    /// Whether the breaker admits a call now; a refusal says why and until when.
    async fn admit(&self, tenant: &TenantId, gateway: GatewayId) -> Admission;
    /// Records a finished call's outcome and latency.
    fn record(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        outcome: AttemptOutcome,
        latency: Duration,
        error: Option<&str>,
    );
}

/// What the orchestrator asks of routing: the gateways to try for one charge, in order.
#[async_trait]
pub trait RoutePlanner: Send + Sync {
    async fn candidates(
        &self,
        tenant: &TenantId,
        request: &ChargeRequest,
        gateways: &Gateways,
    ) -> Result<Vec<GatewayId>, FlowError>;
}

/// Where a tenant's gateway adapters come from: each tenant charges through its own gateway
/// accounts (its credentials), never another tenant's.
pub trait GatewayDirectory: Send + Sync {
    fn for_tenant(&self, tenant: &TenantId) -> Arc<Gateways>;
}

/// One set of gateways for every tenant: the sandbox's test accounts, or tests.
pub struct SharedGateways(pub Arc<Gateways>);

impl GatewayDirectory for SharedGateways {
    fn for_tenant(&self, _tenant: &TenantId) -> Arc<Gateways> {
        self.0.clone()
    }
}

/// Settings of the flows.
#[derive(Clone, Debug)]
pub struct FlowSettings {
    /// How long a Pix QR code or boleto stays payable.
    pub payable_for: Duration,
    /// A `pending` charge or an in-flight refund not written for this long has lost its holder
    /// (the process died or hung): a retry of its key, the reconciler or a gateway webhook may
    /// take it over. The idempotency lease (`idempotency.lease`): a live flow writes more often.
    pub abandoned_after: Duration,
    /// How long after a call a gateway lookup that finds nothing is believed
    /// (`recovery.lookup_grace`).
    pub lookup_grace: Duration,
    /// `[fees]`: what each gateway charges per method, for a paid charge whose gateway did
    /// not report its own fee.
    pub fees: crate::model::FeeSchedule,
}

impl Default for FlowSettings {
    fn default() -> Self {
        FlowSettings {
            payable_for: Duration::from_secs(3600),
            abandoned_after: Duration::from_secs(60),
            lookup_grace: Duration::from_secs(120),
            fees: crate::model::FeeSchedule::builtin(),
        }
    }
}

impl FlowSettings {
    /// The settings `config` asks for.
    pub fn from_config(config: &crate::config::Config) -> Self {
        FlowSettings {
            abandoned_after: config.idempotency.lease.0,
            lookup_grace: config.recovery.lookup_grace.0,
            fees: config.fees.schedule(),
            ..FlowSettings::default()
        }
    }
}

/// The orchestration core of one process.
pub struct Orchestrator {
    pub store: Arc<dyn Store>,
    /// Each tenant's gateways, built from that tenant's credentials.
    pub gateways: Arc<dyn GatewayDirectory>,
    pub breakers: Arc<dyn BreakerGate>,
    pub routes: Arc<dyn RoutePlanner>,
    pub clock: Arc<dyn Clock>,
    pub settings: FlowSettings,
    /// Crash points for tests; nothing is armed in production (see [`crate::failpoint`]).
    pub failpoints: Arc<Failpoints>,
    /// The money flows running in tasks of their own (see [`Orchestrator::run_flow`]).
    pub flows: TaskTracker,
    /// Tenants seen to exist (tenants are never deleted), so checking one costs a read once.
    pub known_tenants: std::sync::Mutex<std::collections::HashSet<TenantId>>,
}

impl Orchestrator {
    /// Runs a money flow to its end in a task of its own (rule 5): a client that hangs up
    /// drops only its wait for the answer, never the flow. A flow that panics (a bug, or an
    /// armed crash point) answers `None`. [`Orchestrator::drain`] waits for every flow.
    pub async fn run_flow<T, F>(&self, flow: F) -> Option<T>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.flows.spawn(flow).await.ok()
    }

    /// Stops accepting new flows and waits until the running ones have finished (graceful
    /// shutdown: no flow is cut in the middle).
    pub async fn drain(&self) {
        self.flows.close();
        self.flows.wait().await;
    }

    /// Refuses a tenant that does not exist, before anything can reach a gateway: a charge
    /// stored under it could never be read, and its gateway account is nobody's.
    pub async fn require_tenant(&self, tenant: &TenantId) -> Result<(), FlowError> {
        let known = |t: &TenantId| {
            self.known_tenants
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(t)
        };
        if known(tenant) {
            return Ok(());
        }
        match self.store.get_tenant(tenant).await {
            Ok(Some(_)) => {
                self.known_tenants
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(tenant.clone());
                Ok(())
            }
            Ok(None) => Err(FlowError::UnknownTenant(tenant.clone())),
            Err(e) => Err(FlowError::Store(e)),
        }
    }

    /// The charge's holder has written nothing for [`FlowSettings::abandoned_after`].
    pub fn is_abandoned(&self, last_written: crate::clock::Timestamp) -> bool {
        self.clock.now().since(last_written) >= self.settings.abandoned_after
    }
}

/// The gateway idempotency key for a charge at a gateway: the same on every retry.
pub fn gateway_key(charge_id: &ChargeId, gateway: GatewayId) -> String {
    format!("{charge_id}-{gateway}")
}

/// How many times a webhook's conditional charge update is retried after losing a race.
const WEBHOOK_UPDATE_TRIES: usize = 8;

#[async_trait]
impl RoutePlanner for crate::routing::Routing {
    async fn candidates(
        &self,
        tenant: &TenantId,
        request: &ChargeRequest,
        gateways: &Gateways,
    ) -> Result<Vec<GatewayId>, FlowError> {
        let table = self
            .table(tenant)
            .await
            .map_err(FlowError::RoutingUnavailable)?;
        let candidates = crate::routing::Candidates::from_gateways(gateways);
        let planned = crate::routing::plan(
            &table,
            &candidates,
            request.method,
            request.money.currency(),
            request.gateway,
            |g| request.card_tokens.contains_key(&g),
        )
        .map_err(FlowError::NoRoute)?;
        Ok(crate::routing::order_by_strategy(
            table.strategy(),
            planned,
            self.fees(),
            request.method,
            request.money,
        ))
    }
}

#[async_trait]
impl BreakerGate for crate::fleet::Breakers {
    async fn admit(&self, tenant: &TenantId, gateway: GatewayId) -> Admission {
        crate::fleet::Breakers::admit(self, tenant, gateway).await
    }

    fn record(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        outcome: AttemptOutcome,
        latency: Duration,
        error: Option<&str>,
    ) {
        let _ = crate::fleet::Breakers::record(self, tenant, gateway, outcome, latency, error);
    }
}
