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

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::api::{ApiError, ChargeRequest, ErrorType, RefundRequest};
use crate::clock::Clock;
use crate::gateway::registry::Gateways;
use crate::gateway::{
    CreateCharge, CreateRefund, Gateway, GatewayCharge, GatewayError, GatewayEvent,
};
use crate::id::{ChargeId, InboundId, MessageId, RefundId};
use crate::model::{
    Attempt, AttemptOutcome, Charge, ChargeFailure, ChargeStatus, Event, GatewayId, Money, Refund,
    RefundStatus, TenantId, Transition,
};
use crate::store::{
    EventQuery, Expect, InboundStatus, InboundWebhook, QueueMessage, StateKey, Store, StoreError,
};

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

fn store_error(e: StoreError) -> ApiError {
    let status = if matches!(e, StoreError::Unavailable(_)) {
        503
    } else {
        500
    };
    ApiError::new(status, ErrorType::ApiError, "store_error", e.to_string())
}

impl Orchestrator {
    /// The request a gateway gets for `charge`: deterministic, so a retry is the same call.
    fn gateway_request(
        &self,
        charge: &Charge,
        request: &ChargeRequest,
        g: GatewayId,
    ) -> Result<CreateCharge, ApiError> {
        Ok(CreateCharge {
            charge_id: charge.id.clone(),
            idempotency_key: gateway_key(&charge.id, g),
            money: request.money,
            method: request.method,
            customer: request.customer.clone(),
            description: request.description.clone(),
            metadata: request.metadata.clone(),
            card_token: request.card_tokens.get(&g).cloned(),
            expires_in: self.settings.payable_for,
        })
    }

    /// One call at one gateway, timed, recorded in the breaker and as an attempt.
    async fn call(
        &self,
        tenant: &TenantId,
        gateway: &dyn Gateway,
        req: &CreateCharge,
        attempts: &mut Vec<Attempt>,
    ) -> Result<GatewayCharge, GatewayError> {
        let started = Instant::now();
        let result = gateway.create_charge(req).await;
        let latency = started.elapsed();
        let (outcome, error, code, reference) = match &result {
            Ok(c) => (
                AttemptOutcome::Success,
                None,
                None,
                Some(c.reference.clone()),
            ),
            Err(e) => (e.outcome, Some(e.message.clone()), e.code.clone(), None),
        };
        self.breakers
            .record(tenant, gateway.id(), outcome, latency, error.as_deref());
        attempts.push(Attempt {
            gateway: gateway.id(),
            outcome,
            latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            error,
            gateway_code: code,
            gateway_reference: reference,
            at: self.clock.now(),
        });
        result
    }

    /// Creates a charge with id `id` (the caller generates it and records it on its
    /// idempotency lease first, so a recoverer can find the charge). Returns the charge as
    /// persisted, or an error response when no gateway could take it (the failed charge is
    /// persisted too, for operators).
    pub async fn create_charge(
        &self,
        tenant: &TenantId,
        id: ChargeId,
        request: &ChargeRequest,
    ) -> Result<Charge, ApiError> {
        let gateways = self.gateways.for_tenant(tenant);
        let candidates = self.routes.candidates(tenant, request, &gateways).await?;
        let now = self.clock.now();
        let mut charge = Charge {
            id,
            tenant: tenant.clone(),
            status: ChargeStatus::Pending,
            amount: request.money.minor(),
            currency: request.money.currency(),
            amount_refunded: 0,
            method: request.method,
            gateway: None,
            gateway_reference: None,
            pix: None,
            boleto: None,
            attempts: Vec::new(),
            refunds: Vec::new(),
            customer: request.customer.clone(),
            description: request.description.clone(),
            metadata: request.metadata.clone(),
            failure: None,
            created_at: now,
            updated_at: now,
        };
        // Durable before any gateway call: a crash from here on leaves a record to reconcile.
        // A charge that already exists under this id is being recovered (its first holder
        // died): a decided one is answered as is; a pending one runs the flow again, which is
        // idempotent at every gateway because the gateway keys derive from the charge id.
        let mut version = 1;
        match self.store.create_charge(&charge).await {
            Ok(()) => {}
            Err(StoreError::AlreadyExists { .. }) => {
                let existing = self
                    .store
                    .get_charge(tenant, &charge.id)
                    .await
                    .map_err(store_error)?
                    .ok_or_else(|| {
                        store_error(StoreError::NotFound {
                            entity: "charge",
                            id: charge.id.to_string(),
                        })
                    })?;
                if existing.value.status != ChargeStatus::Pending {
                    return Ok(existing.value);
                }
                charge = existing.value;
                version = existing.version;
            }
            Err(e) => return Err(store_error(e)),
        }

        let mut unresolved: Option<GatewayId> = None;
        let mut terminal: Option<(GatewayId, Result<GatewayCharge, GatewayError>)> = None;
        for g in candidates {
            let Some(gateway) = gateways.get(g) else {
                continue;
            };
            if let Err(why) = self.breakers.admit(tenant, g) {
                charge.attempts.push(Attempt {
                    gateway: g,
                    outcome: AttemptOutcome::UnavailableNotSent,
                    latency_ms: 0,
                    error: Some(format!("circuit breaker: {why}")),
                    gateway_code: Some("breaker_open".into()),
                    gateway_reference: None,
                    at: self.clock.now(),
                });
                continue;
            }
            let req = self.gateway_request(&charge, request, g)?;
            let first = self
                .call(tenant, gateway.as_ref(), &req, &mut charge.attempts)
                .await;
            let result = match first {
                Err(e) if e.outcome == AttemptOutcome::UnavailableAmbiguous => {
                    self.resolve_ambiguous(tenant, gateway.as_ref(), &req, &mut charge.attempts)
                        .await
                }
                other => other,
            };
            match result {
                Ok(c) => {
                    terminal = Some((g, Ok(c)));
                    break;
                }
                Err(e) if e.outcome.is_safe_to_fail_over() => continue,
                Err(e) if e.outcome == AttemptOutcome::UnavailableAmbiguous => {
                    if request.method.is_payer_initiated() {
                        // Nothing moves until the payer pays: fail over, and let the reconciler
                        // cancel whatever this gateway may have created.
                        self.record_orphan(tenant, &charge.id, g).await;
                        continue;
                    }
                    unresolved = Some(g);
                    terminal = Some((g, Err(e)));
                    break;
                }
                Err(e) => {
                    terminal = Some((g, Err(e)));
                    break;
                }
            }
        }

        let now = self.clock.now();
        match terminal {
            Some((g, Ok(gc))) => {
                charge.gateway = Some(g);
                charge.gateway_reference = Some(gc.reference.clone());
                charge.pix = gc.pix.clone();
                charge.boleto = gc.boleto.clone();
                charge.failure = gc.failure.clone();
                charge.apply_status(gc.status, now);
            }
            Some((g, Err(e))) if unresolved.is_some() => {
                charge.gateway = Some(g);
                charge.failure = Some(ChargeFailure {
                    code: "outcome_unknown".into(),
                    message: format!("{e}; payorch will reconcile with {g}"),
                });
                charge.apply_status(ChargeStatus::Unknown, now);
            }
            Some((g, Err(e))) => {
                charge.gateway = Some(g);
                charge.failure = Some(ChargeFailure {
                    code: e
                        .code
                        .clone()
                        .unwrap_or_else(|| e.outcome.as_str().to_string()),
                    message: e.message.clone(),
                });
                charge.apply_status(ChargeStatus::Failed, now);
            }
            None => {
                charge.failure = Some(ChargeFailure {
                    code: "gateway_unavailable".into(),
                    message: "no gateway could take the charge".into(),
                });
                charge.apply_status(ChargeStatus::Failed, now);
            }
        }
        self.store
            .update_charge(&charge, version)
            .await
            .map_err(store_error)?;
        self.enqueue_event(&charge).await?;
        if charge.gateway.is_none() {
            let mut e = ApiError::new(
                503,
                ErrorType::GatewayError,
                "gateway_unavailable",
                format!(
                    "no gateway could take charge {}: every candidate failed or was unavailable",
                    charge.id
                ),
            );
            e.attempts = charge.attempts.clone();
            return Err(e);
        }
        Ok(charge)
    }

    /// Rule 4 after an ambiguous outcome: retry the same gateway with the same key, then ask
    /// the gateway what it holds under payorch's keys. Only a charge found or a definitive
    /// answer (declined, invalid) settles it; anything else stays ambiguous, whatever class
    /// the retry's own failure had, because the first call may have created the charge.
    async fn resolve_ambiguous(
        &self,
        tenant: &TenantId,
        gateway: &dyn Gateway,
        req: &CreateCharge,
        attempts: &mut Vec<Attempt>,
    ) -> Result<GatewayCharge, GatewayError> {
        let retry = self.call(tenant, gateway, req, attempts).await;
        let e = match retry {
            Ok(c) => return Ok(c),
            Err(e)
                if matches!(
                    e.outcome,
                    AttemptOutcome::Declined | AttemptOutcome::Invalid
                ) =>
            {
                return Err(e);
            }
            Err(e) => e,
        };
        match gateway.find_charge(req).await {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(GatewayError {
                outcome: AttemptOutcome::UnavailableAmbiguous,
                message: format!("{} (no charge found at the gateway yet)", e.message),
                ..e
            }),
            Err(lookup) => Err(GatewayError {
                outcome: AttemptOutcome::UnavailableAmbiguous,
                message: format!("{}; the lookup failed too: {}", e.message, lookup.message),
                ..e
            }),
        }
    }

    async fn record_orphan(&self, tenant: &TenantId, charge: &ChargeId, g: GatewayId) {
        let key = StateKey {
            tenant: tenant.clone(),
            kind: ORPHAN_KIND.into(),
            name: format!("{charge}:{g}"),
        };
        let value = serde_json::json!({"charge": charge, "gateway": g, "state": "pending"});
        if let Err(e) = self.store.put_state(&key, &value, Expect::Absent).await {
            tracing::warn!(%charge, %g, error = %e, "could not record a possible orphan; the reconciler will find it from the charge's attempts");
        }
    }

    /// Enqueues the normalized event for the charge's current status.
    pub async fn enqueue_event(&self, charge: &Charge) -> Result<(), ApiError> {
        self.enqueue_charge_event(charge).await.map_err(store_error)
    }

    /// [`Self::enqueue_event`] with the store's own error. The event goes to the event log
    /// first (for `payorch events`), then to the delivery queue as the same JSON; a crash
    /// between the two leaves a logged event that `payorch events resend` can deliver.
    async fn enqueue_charge_event(&self, charge: &Charge) -> Result<(), StoreError> {
        let event = Event::for_charge(charge, self.clock.now());
        self.store.record_event(&event).await?;
        let body = serde_json::to_string(&event)
            .map_err(|e| StoreError::Backend(format!("event not serializable: {e}")))?;
        let message = QueueMessage {
            id: MessageId::generate(),
            tenant: charge.tenant.clone(),
            body,
            enqueued_at: self.clock.now(),
        };
        self.store.enqueue(&message, Duration::ZERO).await
    }

    /// A tenant's charge, or a 404 naming it.
    pub async fn get_charge(&self, tenant: &TenantId, id: &str) -> Result<(Charge, u64), ApiError> {
        let not_found = || {
            let mut e = ApiError::new(
                404,
                ErrorType::InvalidRequestError,
                "resource_missing",
                format!("no charge `{id}`"),
            );
            e.param = Some("id".into());
            e
        };
        let id = ChargeId::parse(id).map_err(|_| not_found())?;
        let v = self
            .store
            .get_charge(tenant, &id)
            .await
            .map_err(store_error)?
            .ok_or_else(not_found)?;
        Ok((v.value, v.version))
    }

    /// Refunds (part of) a charge at the gateway that holds it.
    pub async fn refund(
        &self,
        tenant: &TenantId,
        id: &str,
        request: &RefundRequest,
    ) -> Result<Charge, ApiError> {
        let (mut charge, version) = self.get_charge(tenant, id).await?;
        let refundable = charge.refundable();
        if refundable == 0 {
            return Err(ApiError::new(
                400,
                ErrorType::InvalidRequestError,
                "charge_not_refundable",
                format!(
                    "charge {} is {} with nothing left to refund",
                    charge.id, charge.status
                ),
            ));
        }
        let amount = request.amount.unwrap_or(refundable);
        if amount > refundable {
            return Err(ApiError::invalid(
                "amount",
                "amount_too_large",
                format!("{amount} is more than the {refundable} still refundable"),
            ));
        }
        let (Some(g), Some(reference)) = (charge.gateway, charge.gateway_reference.clone()) else {
            return Err(ApiError::new(
                409,
                ErrorType::InvalidRequestError,
                "charge_not_refundable",
                "the charge has no gateway reference",
            ));
        };
        let gateway = self
            .gateways
            .for_tenant(tenant)
            .get(g)
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    503,
                    ErrorType::GatewayError,
                    "gateway_unavailable",
                    format!("{g}, which holds this charge, is not configured"),
                )
            })?;
        // The paid Pix's end-to-end id, when the gateway needs it (Efí).
        let payment_reference = gateway
            .get_charge(&reference)
            .await
            .ok()
            .and_then(|c| c.payment_reference);
        let refund_id = RefundId::generate();
        let money = Money::from_minor(amount, charge.currency)
            .map_err(|e| ApiError::invalid("amount", "amount_invalid", e.to_string()))?;
        let result = gateway
            .refund(&CreateRefund {
                refund_id: refund_id.clone(),
                charge_reference: reference,
                payment_reference,
                money,
                idempotency_key: format!("{refund_id}-{g}"),
                reason: request.reason.clone(),
            })
            .await;
        let now = self.clock.now();
        let refund = match result {
            Ok(r) => Refund {
                id: refund_id,
                amount,
                status: r.status,
                gateway_reference: Some(r.reference),
                reason: request.reason.clone(),
                created_at: now,
                updated_at: now,
            },
            Err(e) => {
                let status = if e.outcome == AttemptOutcome::Declined
                    || e.outcome == AttemptOutcome::Invalid
                {
                    402
                } else {
                    503
                };
                return Err(ApiError::new(
                    status,
                    ErrorType::GatewayError,
                    "refund_failed",
                    e.to_string(),
                ));
            }
        };
        // The gateway's refund webhook (or a concurrent refund) may move the charge before
        // this write: on a conflict, merge this refund into the fresh charge and write again.
        let refunded_before = charge.amount_refunded;
        let mut version = version;
        for _ in 0..WEBHOOK_UPDATE_TRIES {
            let mut updated = charge.clone();
            updated.refunds.push(refund.clone());
            if refund.status != RefundStatus::Failed {
                record_refund(&mut updated, refunded_before + amount, now);
            }
            updated.updated_at = now;
            match self.store.update_charge(&updated, version).await {
                Ok(_) => {
                    self.enqueue_event(&updated).await?;
                    return Ok(updated);
                }
                Err(StoreError::Conflict { .. }) => {
                    (charge, version) = self.get_charge(tenant, id).await?;
                }
                Err(e) => return Err(store_error(e)),
            }
        }
        Err(store_error(StoreError::Unavailable(format!(
            "charge {} kept changing while refund {} was recorded; the gateway has the refund",
            charge.id, refund.id
        ))))
    }
}

/// Records a successful refund on `charge`: the amount refunded is the largest of what is
/// already known (a gateway webhook may have reported this very refund), the refunds payorch
/// made, and `expected` (what was known before this refund plus its amount).
fn record_refund(charge: &mut Charge, expected: i64, now: crate::clock::Timestamp) {
    let made: i64 = charge
        .refunds
        .iter()
        .filter(|r| r.status != RefundStatus::Failed)
        .map(|r| r.amount)
        .sum();
    charge.amount_refunded = charge
        .amount_refunded
        .max(made)
        .max(expected)
        .min(charge.amount);
    let next = if charge.amount_refunded >= charge.amount {
        ChargeStatus::Refunded
    } else {
        ChargeStatus::PartiallyRefunded
    };
    if charge.apply_status(next, now) == Transition::Reject {
        tracing::warn!(charge = %charge.id, status = %charge.status, "refund reported on a charge in an unexpected state");
    }
}

/// What one reconciliation pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileReport {
    /// `unknown` charges resolved, with the status the gateway reported.
    pub resolved: Vec<(ChargeId, ChargeStatus)>,
    /// Orphans cancelled at a gateway the charge left: (charge, gateway, gateway reference).
    pub orphans_cancelled: Vec<(ChargeId, GatewayId, String)>,
    /// Orphans the payer paid anyway: money to return, for an operator.
    pub orphans_paid: Vec<(ChargeId, GatewayId, String)>,
    /// Charges or orphans left for a later pass (the gateway did not answer).
    pub deferred: usize,
}

/// How long after the last attempt a lookup that finds nothing is believed: some gateways'
/// searches (Stripe's) lag behind writes.
pub const LOOKUP_GRACE: Duration = Duration::from_secs(120);

impl Orchestrator {
    /// The lookup request for a persisted charge at `g` (the same keys the create used).
    fn lookup_request(&self, charge: &Charge, g: GatewayId) -> Option<CreateCharge> {
        Some(CreateCharge {
            charge_id: charge.id.clone(),
            idempotency_key: gateway_key(&charge.id, g),
            money: charge.money().ok()?,
            method: charge.method,
            customer: charge.customer.clone(),
            description: charge.description.clone(),
            metadata: charge.metadata.clone(),
            card_token: None,
            expires_in: self.settings.payable_for,
        })
    }

    /// One pass of the reconciler: resolves `unknown` charges by asking their gateway, and
    /// cancels Pix/boleto orphans left at gateways a charge failed over from.
    pub async fn reconcile_once(&self) -> Result<ReconcileReport, StoreError> {
        let mut report = ReconcileReport::default();
        for tenant in self.store.list_tenants().await? {
            self.reconcile_unknown(&tenant.id, &mut report).await?;
            self.reconcile_orphans(&tenant.id, &mut report).await?;
        }
        Ok(report)
    }

    async fn reconcile_unknown(
        &self,
        tenant: &TenantId,
        report: &mut ReconcileReport,
    ) -> Result<(), StoreError> {
        let gateways = self.gateways.for_tenant(tenant);
        let mut query = crate::store::ChargeQuery {
            status: Some(ChargeStatus::Unknown),
            limit: 100,
            ..Default::default()
        };
        loop {
            let page = self.store.list_charges(tenant, &query).await?;
            for charge in &page.items {
                let (Some(g), Some(gateway)) = (
                    charge.gateway,
                    charge.gateway.and_then(|g| gateways.get(g).cloned()),
                ) else {
                    report.deferred += 1;
                    continue;
                };
                let Some(req) = self.lookup_request(charge, g) else {
                    continue;
                };
                let found = match gateway.find_charge(&req).await {
                    Ok(found) => found,
                    Err(e) => {
                        tracing::warn!(charge = %charge.id, %g, error = %e, "reconcile: lookup failed; will retry");
                        report.deferred += 1;
                        continue;
                    }
                };
                let now = self.clock.now();
                let Some(versioned) = self.store.get_charge(tenant, &charge.id).await? else {
                    continue;
                };
                let mut current = versioned.value;
                match found {
                    Some(gc) => {
                        current.gateway_reference = Some(gc.reference.clone());
                        current.pix = gc.pix.clone().or(current.pix);
                        current.failure = gc.failure.clone();
                        current.apply_status(gc.status, now);
                    }
                    None if now.since(current.updated_at) >= LOOKUP_GRACE => {
                        current.failure = Some(ChargeFailure {
                            code: "not_created".into(),
                            message: format!(
                                "{g} holds no charge for it: the ambiguous call created nothing"
                            ),
                        });
                        current.apply_status(ChargeStatus::Failed, now);
                    }
                    None => {
                        report.deferred += 1;
                        continue;
                    }
                }
                match self.store.update_charge(&current, versioned.version).await {
                    Ok(_) => {
                        report.resolved.push((current.id.clone(), current.status));
                        if let Err(e) = self.enqueue_event(&current).await {
                            tracing::warn!(charge = %current.id, error = %e, "reconcile: event not enqueued");
                        }
                    }
                    // Someone else (a webhook, another reconciler) moved it: theirs stands.
                    Err(StoreError::Conflict { .. }) => report.deferred += 1,
                    Err(e) => return Err(e),
                }
            }
            match page.next_cursor.and_then(|c| ChargeId::parse(&c).ok()) {
                Some(next) => query.starting_after = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn reconcile_orphans(
        &self,
        tenant: &TenantId,
        report: &mut ReconcileReport,
    ) -> Result<(), StoreError> {
        let gateways = self.gateways.for_tenant(tenant);
        for (name, doc) in self.store.list_state(tenant, ORPHAN_KIND).await? {
            if doc.value.get("state").and_then(|s| s.as_str()) != Some("pending") {
                continue;
            }
            let parsed = name
                .split_once(':')
                .and_then(|(c, g)| Some((ChargeId::parse(c).ok()?, g.parse::<GatewayId>().ok()?)));
            let Some((charge_id, g)) = parsed else {
                continue;
            };
            let (Some(gateway), Some(charge)) = (
                gateways.get(g).cloned(),
                self.store.get_charge(tenant, &charge_id).await?,
            ) else {
                report.deferred += 1;
                continue;
            };
            let Some(req) = self.lookup_request(&charge.value, g) else {
                continue;
            };
            let outcome = match gateway.find_charge(&req).await {
                Ok(Some(found)) if found.status.is_paid() => {
                    tracing::warn!(charge = %charge_id, %g, reference = %found.reference, "orphan was paid: the payer must be refunded by an operator");
                    report
                        .orphans_paid
                        .push((charge_id.clone(), g, found.reference.clone()));
                    serde_json::json!({"state": "paid", "reference": found.reference})
                }
                Ok(Some(found)) if found.status.is_final() => {
                    serde_json::json!({"state": "closed", "reference": found.reference})
                }
                Ok(Some(found)) => match gateway.cancel(&found.reference).await {
                    Ok(_) => {
                        report.orphans_cancelled.push((
                            charge_id.clone(),
                            g,
                            found.reference.clone(),
                        ));
                        serde_json::json!({"state": "cancelled", "reference": found.reference})
                    }
                    Err(e) => {
                        tracing::warn!(charge = %charge_id, %g, error = %e, "reconcile: orphan cancel failed; will retry");
                        report.deferred += 1;
                        continue;
                    }
                },
                Ok(None) if self.clock.now().since(charge.value.created_at) >= LOOKUP_GRACE => {
                    serde_json::json!({"state": "none"})
                }
                Ok(None) | Err(_) => {
                    report.deferred += 1;
                    continue;
                }
            };
            let key = StateKey {
                tenant: tenant.clone(),
                kind: ORPHAN_KIND.into(),
                name,
            };
            let mut value = outcome;
            if let Some(obj) = value.as_object_mut() {
                obj.insert("charge".into(), serde_json::json!(charge_id));
                obj.insert("gateway".into(), serde_json::json!(g));
            }
            match self
                .store
                .put_state(&key, &value, Expect::Version(doc.version))
                .await
            {
                Ok(_) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
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

// ---------------------------------------------------------------------------------------------
// Gateway webhooks in: what one authentic, parsed gateway event does to its charge.

/// How many times a webhook's conditional charge update is retried after losing a race.
const WEBHOOK_UPDATE_TRIES: usize = 8;

/// How long a webhook record left `received` (without a note) is taken to be still in progress
/// at another delivery; after that, a crash is assumed and a redelivery processes it again.
pub const INBOUND_IN_FLIGHT_GRACE: Duration = Duration::from_secs(30);

/// What one gateway event did. The server answers 2xx for every variant but [`Applied::NotYet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The charge moved to this status; its normalized event is enqueued.
    Applied(ChargeStatus),
    /// Late, repeated or unmapped news: recorded, nothing changed.
    Ignored(String),
    /// Contradicts what payorch knows (e.g. failed after succeeded): recorded for an operator.
    Rejected(String),
    /// No charge of this tenant matches it: recorded for an operator.
    UnknownCharge(String),
    /// The charge's create flow is still running: nothing changed; the gateway should deliver
    /// it again later (the server answers 503 and the record stays `received`).
    NotYet(String),
    /// Another delivery of the same gateway event is being processed right now: nothing
    /// changed; the server answers 503 so the gateway delivers again (nothing is lost if that
    /// other delivery fails).
    InFlight,
    /// The same gateway event was received and settled before: a no-op.
    Duplicate,
}

impl Applied {
    /// The inbound record's status for this result (`None`: leave it as it is).
    pub fn inbound_status(&self) -> Option<InboundStatus> {
        match self {
            Applied::Applied(_) => Some(InboundStatus::Applied),
            Applied::Ignored(_) => Some(InboundStatus::Ignored),
            Applied::Rejected(_) => Some(InboundStatus::Rejected),
            Applied::UnknownCharge(_) => Some(InboundStatus::UnknownCharge),
            // Stays `received`, with the note saying why, so a redelivery processes it.
            Applied::NotYet(_) => Some(InboundStatus::Received),
            Applied::InFlight | Applied::Duplicate => None,
        }
    }

    /// Why, for the operator.
    pub fn note(&self) -> Option<String> {
        match self {
            Applied::Applied(status) => Some(format!("charge moved to {status}")),
            Applied::Ignored(n)
            | Applied::Rejected(n)
            | Applied::UnknownCharge(n)
            | Applied::NotYet(n) => Some(n.clone()),
            Applied::InFlight | Applied::Duplicate => None,
        }
    }
}

impl Orchestrator {
    /// Receives one authentic gateway event: records it durably (the dedupe on the gateway's
    /// event id), applies it with [`Self::apply_gateway_event`] and records the outcome, all
    /// before returning, so a 2xx answered after this loses nothing (rule 5). A record left
    /// `received` by a [`Applied::NotYet`], or by a crash (older than
    /// [`INBOUND_IN_FLIGHT_GRACE`]), is processed again on redelivery; a younger one is another
    /// delivery still at work ([`Applied::InFlight`]).
    pub async fn receive_gateway_event(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        event: &GatewayEvent,
        body: &str,
    ) -> Result<Applied, StoreError> {
        let record = InboundWebhook {
            id: InboundId::generate(),
            tenant: tenant.clone(),
            gateway,
            gateway_event_id: event.event_id.clone(),
            received_at: self.clock.now(),
            body: body.to_string(),
            status: InboundStatus::Received,
            note: None,
        };
        let mut resumed = false;
        // The earlier delivery answered "not yet" (it changed nothing; see `Applied::NotYet`).
        let mut after_not_yet = false;
        if !self.store.record_inbound(&record).await? {
            match self
                .store
                .get_inbound(tenant, gateway, &event.event_id)
                .await?
            {
                Some(existing) if existing.status == InboundStatus::Received => {
                    let stale =
                        self.clock.now().since(existing.received_at) >= INBOUND_IN_FLIGHT_GRACE;
                    if existing.note.is_none() && !stale {
                        return Ok(Applied::InFlight);
                    }
                    resumed = true;
                    after_not_yet = existing.note.is_some();
                }
                _ => return Ok(Applied::Duplicate),
            }
        }
        let mut applied = self.apply_gateway_event(tenant, gateway, event).await?;
        if resumed && let Applied::Ignored(_) = applied {
            // An earlier delivery may have moved the charge and died before its event was
            // enqueued: enqueue it again (delivery is at least once, never less). After a "not
            // yet", though, it is usually the create flow that moved the charge, and it logged
            // and enqueued that event itself: a second one would reach the merchant as the
            // same news under another event id. So then only when the log lacks it.
            if let (Some(status), Some(charge)) =
                (event.status, self.charge_for_event(tenant, event).await?)
                && charge.value.status == status
                && !(after_not_yet && self.state_is_logged(&charge.value).await?)
            {
                self.enqueue_charge_event(&charge.value).await?;
                applied = Applied::Applied(status);
            }
        }
        if let Some(status) = applied.inbound_status() {
            let note = applied.note();
            self.store
                .set_inbound_status(tenant, gateway, &event.event_id, status, note.as_deref())
                .await?;
        }
        Ok(applied)
    }

    /// The event log already holds an event showing `charge` as it is now (its status and
    /// refunded amount).
    async fn state_is_logged(&self, charge: &Charge) -> Result<bool, StoreError> {
        let kind = Event::for_charge(charge, self.clock.now()).kind;
        let query = EventQuery {
            kind: Some(kind),
            charge: Some(charge.id.clone()),
            starting_after: None,
            limit: 100,
        };
        let page = self.store.list_events(&charge.tenant, &query).await?;
        Ok(page.items.iter().any(|e| {
            e.data.charge.status == charge.status
                && e.data.charge.amount_refunded == charge.amount_refunded
        }))
    }

    /// The charge a gateway event is about: by the charge id the gateway echoes (Stripe
    /// metadata, Asaas `externalReference`, the Efí txid). The store has no index on gateway
    /// references, so an event without a charge id names no charge.
    async fn charge_for_event(
        &self,
        tenant: &TenantId,
        event: &GatewayEvent,
    ) -> Result<Option<crate::store::Versioned<Charge>>, StoreError> {
        match &event.charge_id {
            Some(id) => self.store.get_charge(tenant, id).await,
            None => Ok(None),
        }
    }

    /// Applies one gateway event to its charge with the model's transition rules: a
    /// conditional update, retried when another writer moved the charge first. `Apply` updates
    /// the status (and `amount_refunded` for refunds) and enqueues the normalized event;
    /// `Ignore` and `Reject` change nothing. Writes nothing to the inbound record (see
    /// [`Self::receive_gateway_event`]).
    pub async fn apply_gateway_event(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        event: &GatewayEvent,
    ) -> Result<Applied, StoreError> {
        let Some(next) = event.status else {
            return Ok(Applied::Ignored(format!(
                "`{}` events do not change a charge",
                event.kind
            )));
        };
        for _ in 0..WEBHOOK_UPDATE_TRIES {
            let Some(versioned) = self.charge_for_event(tenant, event).await? else {
                return Ok(Applied::UnknownCharge(format!(
                    "no charge of this tenant matches {gateway} reference `{}`",
                    event.reference
                )));
            };
            let mut charge = versioned.value;
            match charge.gateway {
                None if charge.status == ChargeStatus::Pending
                    && matches!(
                        next,
                        ChargeStatus::Pending
                            | ChargeStatus::RequiresAction
                            | ChargeStatus::Processing
                    ) =>
                {
                    return Ok(Applied::Ignored(format!(
                        "reports {next} while charge {} is being created: the create flow records that itself",
                        charge.id
                    )));
                }
                None if charge.status == ChargeStatus::Pending => {
                    return Ok(Applied::NotYet(format!(
                        "charge {} is still being created",
                        charge.id
                    )));
                }
                Some(held) if held != gateway => {
                    return Ok(Applied::Rejected(format!(
                        "charge {} is held by {held}, not {gateway}: news of an orphan at {gateway}",
                        charge.id
                    )));
                }
                _ => {}
            }
            if let Some(known) = &charge.gateway_reference
                && !event.reference.is_empty()
                && known != &event.reference
            {
                return Ok(Applied::Rejected(format!(
                    "charge {} is `{known}` at {gateway}, the event is about `{}`",
                    charge.id, event.reference
                )));
            }
            if let Some(reported) = event.amount_refunded
                && reported < charge.amount_refunded
            {
                return Ok(Applied::Ignored(format!(
                    "reports {reported} refunded, less than the {} already known: an earlier refund's news",
                    charge.amount_refunded
                )));
            }
            let before = (charge.status, charge.amount_refunded);
            let now = self.clock.now();
            match charge.apply_status(next, now) {
                Transition::Ignore => {
                    return Ok(Applied::Ignored(format!(
                        "reports {next} on a {} charge: a late or repeated report",
                        charge.status
                    )));
                }
                Transition::Reject => {
                    return Ok(Applied::Rejected(format!(
                        "reports {next}, which contradicts the charge's {} status",
                        charge.status
                    )));
                }
                Transition::Apply => {}
            }
            if matches!(
                next,
                ChargeStatus::Refunded | ChargeStatus::PartiallyRefunded
            ) {
                let reported = match (next, event.amount_refunded) {
                    (_, Some(amount)) => amount,
                    (ChargeStatus::Refunded, None) => charge.amount,
                    _ => charge.amount_refunded,
                };
                charge.amount_refunded = charge.amount_refunded.max(reported.min(charge.amount));
            }
            if (charge.status, charge.amount_refunded) == before {
                return Ok(Applied::Ignored(format!(
                    "reports the {next} payorch already knows"
                )));
            }
            charge.updated_at = now;
            match self.store.update_charge(&charge, versioned.version).await {
                Ok(_) => {
                    self.enqueue_charge_event(&charge).await?;
                    return Ok(Applied::Applied(charge.status));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(format!(
            "the charge of {gateway} event `{}` kept changing; try again",
            event.event_id
        )))
    }
}
