//! The charge and refund flows: the one place that ties routing, breakers, gateways and the
//! store together, and where rule 4 (failover must not double-charge) is enforced.
//!
//! Create: persist the charge as `pending` → for each candidate gateway the breaker admits,
//! call it with a gateway idempotency key derived from the charge → classify → on a
//! failover-safe failure try the next → after an ambiguous outcome retry the *same* gateway
//! with the *same* key, then look the charge up there; a Pix or boleto charge may then fail
//! over (the possible orphan is recorded and cancelled by the reconciler), a card charge
//! becomes `unknown` → persist with every attempt → enqueue the normalized event.
//! No lock is held across a gateway call; every store write is a single-item write.
//!
//! The flows live in one file each: `charge.rs` (create, rule 4), `refund.rs`, `reconcile.rs`
//! (unknown charges and orphans) and `inbound.rs` (what a gateway webhook does to its charge).

mod charge;
mod inbound;
mod reconcile;
mod refund;

pub use inbound::{Applied, INBOUND_IN_FLIGHT_GRACE};
pub use reconcile::{LOOKUP_GRACE, ReconcileReport};

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::api::{ApiError, ChargeRequest, ErrorType};
use crate::clock::Clock;
use crate::gateway::registry::Gateways;
use crate::id::ChargeId;
use crate::model::{AttemptOutcome, GatewayId, TenantId};
use crate::store::{Store, StoreError};

/// What the orchestrator asks of the circuit breakers. Implemented by the breaker fleet; the
/// calls are in-memory (no store round trip on the charge path).
pub trait BreakerGate: Send + Sync {
    /// `Err(why)` when the breaker does not admit a call now.
    fn admit(&self, tenant: &TenantId, gateway: GatewayId) -> Result<(), String>;
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
    ) -> Result<Vec<GatewayId>, ApiError>;
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
}

impl Default for FlowSettings {
    fn default() -> Self {
        FlowSettings {
            payable_for: Duration::from_secs(3600),
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
}

/// The gateway idempotency key for a charge at a gateway: the same on every retry.
pub fn gateway_key(charge_id: &ChargeId, gateway: GatewayId) -> String {
    format!("{charge_id}-{gateway}")
}

/// State-document kind recording a possible orphan (a Pix/boleto create whose outcome was
/// ambiguous at a gateway the charge then left). The reconciler cancels what it finds.
pub const ORPHAN_KIND: &str = "orphan";

/// How many times a webhook's conditional charge update is retried after losing a race.
const WEBHOOK_UPDATE_TRIES: usize = 8;

fn store_error(e: StoreError) -> ApiError {
    let status = if matches!(e, StoreError::Unavailable(_)) {
        503
    } else {
        500
    };
    ApiError::new(status, ErrorType::ApiError, "store_error", e.to_string())
}

#[async_trait]
impl RoutePlanner for crate::routing::Routing {
    async fn candidates(
        &self,
        tenant: &TenantId,
        request: &ChargeRequest,
        gateways: &Gateways,
    ) -> Result<Vec<GatewayId>, ApiError> {
        let table = self.table(tenant).await.map_err(|e| {
            ApiError::new(
                503,
                ErrorType::ApiError,
                "routing_unavailable",
                e.to_string(),
            )
        })?;
        let candidates = crate::routing::Candidates::from_gateways(gateways);
        crate::routing::plan(
            &table,
            &candidates,
            request.method,
            request.money.currency(),
            request.gateway,
            |g| request.card_tokens.contains_key(&g),
        )
        .map_err(|no_route| {
            // The merchant must change the request (422), or an operator must restore a
            // gateway (503).
            let (status, code) = if no_route.is_charge_problem() {
                (422, "no_gateway_for_charge")
            } else {
                (503, "gateway_unavailable")
            };
            let mut e = ApiError::new(status, ErrorType::GatewayError, code, no_route.to_string());
            if request.gateway.is_some() {
                e.param = Some("gateway".into());
            }
            e
        })
    }
}

impl BreakerGate for crate::breakers::Breakers {
    fn admit(&self, tenant: &TenantId, gateway: GatewayId) -> Result<(), String> {
        match crate::breakers::Breakers::admit(self, tenant, gateway) {
            crate::breaker::Admission::Rejected { reason, retry_at } => {
                let why = match reason {
                    crate::breaker::Rejection::Open => "open after failures",
                    crate::breaker::Rejection::ProbesTaken => "half-open, every probe taken",
                    crate::breaker::Rejection::ForcedOpen => "forced open by an operator",
                };
                Err(match retry_at {
                    Some(at) => format!("{why} (until {at})"),
                    None => why.to_string(),
                })
            }
            _ => Ok(()),
        }
    }

    fn record(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        outcome: AttemptOutcome,
        latency: Duration,
        error: Option<&str>,
    ) {
        let _ = crate::breakers::Breakers::record(self, tenant, gateway, outcome, latency, error);
    }
}
