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

use crate::api::ChargeRequest;
use crate::failpoint;
use crate::gateway::GatewayError;
use crate::id::ChargeId;
use crate::model::{Attempt, AttemptOutcome, Charge, ChargeStatus, GatewayId, TenantId};
use crate::store::Versioned;

use super::charge::{ChargeRun, Decision, KeyHook, Resolution, Stop};
use super::{FlowError, Orchestrator};

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
        key: Option<&dyn KeyHook>,
    ) -> Result<Charge, FlowError> {
        let Some(found) = self.store.get_charge(tenant, &id).await? else {
            return self.create_charge(tenant, id, request, key).await;
        };
        if found.value.status() != ChargeStatus::Pending {
            return self.answer(tenant, &id, Ok(found.value)).await;
        }
        if !self.is_abandoned(found.value.updated_at) {
            return Err(FlowError::ChargeInProgress(id));
        }
        let result = self.take_over(tenant, found, Some(request), key).await;
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
        key: Option<&dyn KeyHook>,
    ) -> Result<Charge, Stop> {
        let mut run = ChargeRun {
            o: self,
            gateways: self.gateways.for_tenant(tenant),
            request,
            charge: found.value,
            version: found.version,
            key,
        };
        run.take().await?;
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
        if let Some(last) = last
            && let Some(decision) = run.ask(&last, &mut skip).await?
        {
            return run.finish(decision).await;
        }
        let decision = run.carry_on(&skip).await?;
        run.finish(decision).await
    }
}

impl ChargeRun<'_> {
    /// Step 1: takes the charge over with a conditional write; an attempt still `in_flight`
    /// was cut off by its process.
    async fn take(&mut self) -> Result<(), Stop> {
        let now = self.o.clock.now();
        for a in self
            .charge
            .attempts
            .iter_mut()
            .filter(|a| a.outcome == AttemptOutcome::InFlight)
        {
            a.outcome = AttemptOutcome::UnavailableAmbiguous;
            a.error = Some(INTERRUPTED.into());
        }
        self.charge.updated_at = now;
        self.save().await?;
        let by = if self.request.is_some() {
            "a retried key"
        } else {
            "recovery"
        };
        tracing::info!(charge = %self.charge.id, by, "took over an abandoned charge");
        Ok(())
    }

    /// Step 2: asks the gateway of the last unresolved attempt. `Some`: what decides the
    /// charge; `None`: it holds nothing (or, for a Pix or boleto charge with the request, may
    /// hold an orphan, added to `skip`), and the flow carries on.
    async fn ask(
        &mut self,
        last: &Attempt,
        skip: &mut Vec<GatewayId>,
    ) -> Result<Option<Decision>, Stop> {
        let g = last.gateway;
        let error = || {
            GatewayError::new(
                g,
                AttemptOutcome::UnavailableAmbiguous,
                last.error.clone().unwrap_or_else(|| INTERRUPTED.into()),
            )
        };
        let Some(gateway) = self.gateways.get(g).cloned() else {
            let mut e = error();
            e.message = format!("{}; {g} is not configured now", e.message);
            return Ok(Some(Decision::Unknown(g, e)));
        };
        let req = self.gateway_request(g)?;
        let resolution = self
            .resolve(gateway.as_ref(), &req, last.at, error())
            .await?;
        if self.request.is_none() {
            self.o
                .failpoints
                .hit(failpoint::RECONCILE_GATEWAY_ANSWERED)
                .await;
        }
        Ok(match resolution {
            Resolution::Found(gc) => Some(Decision::Held(g, gc)),
            Resolution::Refused(e) => Some(Decision::Failed(g, e)),
            Resolution::NotCreated => None,
            Resolution::Undecided(e)
                if self.request.is_none() || !self.charge.method.is_payer_initiated() =>
            {
                Some(Decision::Unknown(g, e))
            }
            Resolution::Undecided(_) => {
                let tenant = self.charge.tenant.clone();
                self.o.record_orphan(&tenant, &self.charge.id, g).await;
                skip.push(g);
                None
            }
        })
    }

    /// Step 3: nothing is held anywhere. With the request, the route carries on past `skip`;
    /// without it, the charge fails as abandoned (nobody is waiting for it).
    async fn carry_on(&mut self, skip: &[GatewayId]) -> Result<Decision, Stop> {
        let Some(request) = self.request else {
            let why = "abandoned by the process creating it; no gateway holds it".to_string();
            return Ok(Decision::NoGateway(why));
        };
        let tenant = self.charge.tenant.clone();
        match self
            .o
            .routes
            .candidates(&tenant, request, &self.gateways)
            .await
        {
            Ok(candidates) => self.route(candidates, skip).await,
            // The routing table could not be read: leave the charge for a later try.
            Err(FlowError::RoutingUnavailable(e)) => Err(Stop::Store(
                crate::store::StoreError::Unavailable(e.to_string()),
            )),
            Err(e) => Ok(Decision::NoGateway(e.to_string())),
        }
    }
}
