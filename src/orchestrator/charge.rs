//! Creating a charge: routing, breakers, the gateway call, rule 4 after an ambiguous outcome,
//! and the normalized event.

use std::time::{Duration, Instant};

use crate::api::{ApiError, ChargeRequest, ErrorType};
use crate::gateway::{CreateCharge, Gateway, GatewayCharge, GatewayError};
use crate::id::{ChargeId, MessageId};
use crate::model::{
    Attempt, AttemptOutcome, BREAKER_OPEN_CODE, Charge, ChargeFailure, ChargeStatus, Event,
    GatewayId, TenantId,
};
use crate::store::{Expect, QueueMessage, StateKey, StoreError};

use super::{ORPHAN_KIND, Orchestrator, gateway_key, store_error};

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
                    gateway_code: Some(BREAKER_OPEN_CODE.into()),
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
    pub(super) async fn enqueue_charge_event(&self, charge: &Charge) -> Result<(), StoreError> {
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
}
