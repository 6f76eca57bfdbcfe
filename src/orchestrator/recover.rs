//! Resuming a charge whose holder stopped (a process that crashed or hung mid-flow): the one
//! protocol that a retried idempotency key, the reconciler and a late gateway webhook all
//! follow. It asks the gateway named by the last recorded attempt before anything else can
//! happen to the charge (rules 4 and 5), so a crash in the middle of a failover never sends
//! the same payment to a second gateway.
//!
//! 1. **Take over** with a conditional write (exactly one resumer wins; the old holder, if it
//!    is in fact alive, loses its next write and stops). An `in_flight` attempt becomes
//!    `unavailable_ambiguous`: its process stopped before recording the answer.
//! 2. **Ask** the gateway of the last unresolved attempt: with the merchant's request, the
//!    same call again under the same gateway key, then a lookup by payorch's keys; without it
//!    (reconciler, webhook), the lookup only. Found: adopt it. Declined: the charge failed.
//!    Nothing there, and the call is older than the lookup grace: it created nothing.
//! 3. **Decide**: still unknown → a card charge becomes `unknown` (no failover; the reconciler
//!    asks again); a Pix or boleto charge with the request fails over, leaving the gateway as a
//!    possible orphan. Nothing held anywhere → with the request, the route carries on (skipping
//!    earlier orphans); without it the charge fails ("abandoned"), as nobody is waiting for it.

use crate::api::{ApiError, ChargeRequest};
use crate::failpoint;
use crate::gateway::GatewayError;
use crate::id::ChargeId;
use crate::model::{AttemptOutcome, Charge, ChargeStatus, GatewayId, TenantId};
use crate::store::Versioned;

use super::charge::{ChargeRun, Decision, Resolution, Stop};
use super::{Orchestrator, in_progress, store_error};

/// What an attempt whose answer was never recorded says once a resumer takes the charge over.
const INTERRUPTED: &str = "the process making this call stopped before its answer was recorded";

impl Orchestrator {
    /// Carries on with charge `id` for a retry of the idempotency key that created it (the
    /// key's fingerprint proves `request` is the same request). A charge not stored yet is
    /// created; a decided one is answered as it is; a `pending` one whose holder is still
    /// alive is 409; an abandoned one is taken over and finished by the recovery protocol.
    pub async fn resume_charge(
        &self,
        tenant: &TenantId,
        id: ChargeId,
        request: &ChargeRequest,
    ) -> Result<Charge, ApiError> {
        let Some(found) = self
            .store
            .get_charge(tenant, &id)
            .await
            .map_err(store_error)?
        else {
            return self.create_charge(tenant, id, request).await;
        };
        if found.value.status() != ChargeStatus::Pending {
            return self.answer(tenant, &id, Ok(found.value)).await;
        }
        if !self.is_abandoned(found.value.updated_at) {
            return Err(in_progress(format_args!("charge {id}")));
        }
        let result = self.take_over(tenant, found, Some(request)).await;
        self.answer(tenant, &id, result).await
    }

    /// Takes over an abandoned `pending` charge and finishes it (see the module docs). With
    /// `request` (a retried key) the flow may carry on to other gateways; without it (the
    /// reconciler, a webhook) it only asks.
    pub(super) async fn take_over(
        &self,
        tenant: &TenantId,
        found: Versioned<Charge>,
        request: Option<&ChargeRequest>,
    ) -> Result<Charge, Stop> {
        let mut run = ChargeRun {
            o: self,
            gateways: self.gateways.for_tenant(tenant),
            request,
            charge: found.value,
            version: found.version,
        };
        let now = self.clock.now();
        for a in run
            .charge
            .attempts
            .iter_mut()
            .filter(|a| a.outcome == AttemptOutcome::InFlight)
        {
            a.outcome = AttemptOutcome::UnavailableAmbiguous;
            a.error = Some(INTERRUPTED.into());
        }
        run.charge.updated_at = now;
        run.save().await?;
        tracing::info!(charge = %run.charge.id, by = if request.is_some() { "a retried key" } else { "recovery" }, "took over an abandoned charge");

        // Gateways an earlier part of the flow left unresolved: possible orphans (Pix and
        // boleto fail over past them), never to be called again for this charge.
        let last = run.charge.unresolved_attempt().cloned();
        let mut skip: Vec<GatewayId> = run
            .charge
            .attempts
            .iter()
            .filter(|a| a.outcome.is_unresolved())
            .map(|a| a.gateway)
            .filter(|g| last.as_ref().is_none_or(|l| l.gateway != *g))
            .collect();

        if let Some(last) = last {
            let g = last.gateway;
            let error = || {
                GatewayError::new(
                    g,
                    AttemptOutcome::UnavailableAmbiguous,
                    last.error.clone().unwrap_or_else(|| INTERRUPTED.into()),
                )
            };
            let Some(gateway) = run.gateways.get(g).cloned() else {
                let mut e = error();
                e.message = format!("{}; {g} is not configured now", e.message);
                return run.finish(Decision::Unknown(g, e)).await;
            };
            let req = run.gateway_request(g)?;
            let resolution = run
                .resolve(gateway.as_ref(), &req, last.at, error())
                .await?;
            if request.is_none() {
                self.failpoints
                    .hit(failpoint::RECONCILE_GATEWAY_ANSWERED)
                    .await;
            }
            match resolution {
                Resolution::Found(gc) => return run.finish(Decision::Held(g, gc)).await,
                Resolution::Refused(e) => return run.finish(Decision::Failed(g, e)).await,
                Resolution::NotCreated => {}
                Resolution::Undecided(e) => {
                    if request.is_none() || !run.charge.method.is_payer_initiated() {
                        return run.finish(Decision::Unknown(g, e)).await;
                    }
                    self.record_orphan(tenant, &run.charge.id, g).await;
                    skip.push(g);
                }
            }
        }

        let Some(request) = request else {
            let why = "abandoned by the process creating it; no gateway holds it".to_string();
            return run.finish(Decision::NoGateway(why)).await;
        };
        let decision = match self.routes.candidates(tenant, request, &run.gateways).await {
            Ok(candidates) => run.route(candidates, &skip).await?,
            // The routing table could not be read: leave the charge for a later try.
            Err(e) if e.status >= 500 && e.code == "routing_unavailable" => {
                return Err(Stop::Store(crate::store::StoreError::Unavailable(
                    e.message,
                )));
            }
            Err(e) => Decision::NoGateway(e.message),
        };
        run.finish(decision).await
    }
}
