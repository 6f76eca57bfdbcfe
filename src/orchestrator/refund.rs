//! Refunds, at the gateway that holds the charge's money: recorded as `in_flight` on the charge
//! before the request leaves (the amount is reserved, so it cannot be refunded twice), sent with
//! a gateway key derived from the refund's id (which the idempotency key carries), and finished
//! with the refund's outcome and its event in one commit. A refund whose holder died is resumed
//! with the same refund id, so the gateway sees the same request again, by a retry of the key
//! or by the reconciler (which finds it through a `refund` state document).
//!
//! A refund the gateway answers `pending` (accepted, money not back yet: Asaas `PENDING`, Efí
//! `EM_PROCESSAMENTO`) keeps its amount reserved and leaves the charge as it is. It settles,
//! once, by whichever comes first: the gateway's webhook naming it ([`settle_refunds`], from
//! the inbound path), or the reconciler asking the gateway again with the same refund once it
//! has been pending for `idempotency.lease` — only at gateways where a resend can never make a
//! second refund (`Capabilities::refund_resend_is_idempotent`: Asaas, Efí; not Stripe, whose
//! idempotency keys expire after 24 hours, so a Stripe refund settles by its webhook). Succeeded moves `amount_refunded` and the charge's status, with the
//! charge's event; failed releases the amount, with no event (as an immediate failure).

use crate::api::{Invalid, RefundRequest};
use crate::failpoint;
use crate::gateway::{CreateRefund, GatewayError, RefundNews};
use crate::id::{ChargeId, RefundId};
use crate::model::{
    AttemptOutcome, Charge, ChargeStatus, GatewayId, Money, Refund, RefundStatus, TenantId,
    Transition,
};
use crate::store::{Expect, StoreError};

use super::marks::{Marker, REFUND_KIND, RefundMark, RefundMarkState};
use super::{FlowError, Orchestrator, WEBHOOK_UPDATE_TRIES};

/// A refund ready to be sent.
struct Outgoing {
    charge: ChargeId,
    gateway: GatewayId,
    reference: String,
    refund: Refund,
    /// What was refunded before this refund, when this run recorded it (see `record_refund`).
    refunded_before: Option<i64>,
}

/// How far [`Orchestrator::begin_refund`] got.
enum Begun {
    /// The refund was made before (a replayed or resumed request): the charge as it is.
    Done(Box<Charge>),
    Send(Outgoing),
}

impl Orchestrator {
    /// Refunds (part of) a charge at the gateway that holds it, as refund `refund_id` (the id
    /// recorded on the request's idempotency key: a retry of the key makes the same refund).
    pub async fn refund(
        &self,
        tenant: &TenantId,
        id: &str,
        refund_id: &RefundId,
        request: &RefundRequest,
    ) -> Result<Charge, FlowError> {
        let out = match self.begin_refund(tenant, id, refund_id, request).await? {
            Begun::Done(charge) => return Ok(*charge),
            Begun::Send(out) => out,
        };
        self.send_refund(tenant, out).await
    }

    /// Validates the refund and records it in flight (or finds it recorded already), trying
    /// again when the charge changed under it.
    async fn begin_refund(
        &self,
        tenant: &TenantId,
        id: &str,
        refund_id: &RefundId,
        request: &RefundRequest,
    ) -> Result<Begun, FlowError> {
        for _ in 0..WEBHOOK_UPDATE_TRIES {
            let (charge, version) = self.get_charge(tenant, id).await?;
            let holder = holder(&charge)?;
            let written = if charge.refunds.iter().any(|r| &r.id == refund_id) {
                self.take_recorded_refund(charge, version, holder, refund_id)
                    .await?
            } else {
                self.record_new_refund(charge, version, holder, refund_id, request)
                    .await?
            };
            if let Some(begun) = written {
                return Ok(begun);
            }
        }
        Err(FlowError::Store(StoreError::Unavailable(format!(
            "charge {id} kept changing while refund {refund_id} was recorded; try again"
        ))))
    }

    /// A refund already on the charge: done (answer the charge), still in the hands of a live
    /// holder (409), or abandoned and taken over to be sent again. `None`: the charge changed
    /// meanwhile.
    async fn take_recorded_refund(
        &self,
        mut charge: Charge,
        version: u64,
        (gateway, reference): (GatewayId, String),
        refund_id: &RefundId,
    ) -> Result<Option<Begun>, FlowError> {
        let now = self.clock.now();
        let Some(r) = charge.refunds.iter_mut().find(|r| &r.id == refund_id) else {
            return Ok(None);
        };
        if r.status != RefundStatus::InFlight {
            return Ok(Some(Begun::Done(Box::new(charge))));
        }
        if !self.is_abandoned(r.updated_at) {
            return Err(FlowError::RefundInProgress(refund_id.clone()));
        }
        r.updated_at = now;
        let refund = r.clone();
        match self.store.update_charge(&charge, version).await {
            Ok(_) => Ok(Some(Begun::Send(Outgoing {
                charge: charge.id,
                gateway,
                reference,
                refund,
                refunded_before: None,
            }))),
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(e) => Err(FlowError::Store(e)),
        }
    }

    /// A new refund: checked against what is left, marked for the reconciler, then recorded
    /// in flight on the charge (reserving its amount). `None`: the charge changed meanwhile.
    async fn record_new_refund(
        &self,
        mut charge: Charge,
        version: u64,
        (gateway, reference): (GatewayId, String),
        refund_id: &RefundId,
        request: &RefundRequest,
    ) -> Result<Option<Begun>, FlowError> {
        let amount = refund_amount(&charge, request)?;
        let now = self.clock.now();
        let refund = Refund {
            id: refund_id.clone(),
            amount,
            status: RefundStatus::InFlight,
            gateway_reference: None,
            reason: request.reason.clone(),
            created_at: now,
            updated_at: now,
        };
        self.mark_refund(&charge.tenant, &charge.id, refund_id, true)
            .await?;
        let refunded_before = charge.amount_refunded();
        charge.refunds.push(refund.clone());
        charge.updated_at = now;
        match self.store.update_charge(&charge, version).await {
            Ok(_) => {
                self.failpoints.hit(failpoint::REFUND_RECORDED).await;
                Ok(Some(Begun::Send(Outgoing {
                    charge: charge.id,
                    gateway,
                    reference,
                    refund,
                    refunded_before: Some(refunded_before),
                })))
            }
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(e) => Err(FlowError::Store(e)),
        }
    }

    /// Sends a refund recorded in flight and records the gateway's answer.
    async fn send_refund(&self, tenant: &TenantId, out: Outgoing) -> Result<Charge, FlowError> {
        let g = out.gateway;
        let result = match self.gateways.for_tenant(tenant).get(g).cloned() {
            None => Err(GatewayError::new(
                g,
                AttemptOutcome::UnavailableNotSent,
                format!("{g}, which holds this charge, is not configured"),
            )),
            Some(gateway) => self.call_refund(tenant, &out, gateway.as_ref()).await?,
        };
        let (status, reference, error) = match result {
            Ok(r) => (r.status, Some(r.reference), None),
            // The gateway may have made it: it stays in flight, for a retry of the key or the
            // reconciler to send again under the same gateway key.
            Err(e) if e.outcome.is_unresolved() => {
                return Err(FlowError::RefundOutcomeUnknown {
                    refund: out.refund.id.clone(),
                    gateway: g,
                    error: e,
                });
            }
            Err(e) => (RefundStatus::Failed, None, Some(e)),
        };
        let charge = self
            .record_refund_outcome(tenant, &out, status, reference)
            .await?;
        self.failpoints.hit(failpoint::REFUND_FINAL_STORED).await;
        // A refund still pending at the gateway stays marked, for the reconciler to settle if
        // the gateway's webhook never comes.
        let settled = charge
            .refunds
            .iter()
            .find(|r| r.id == out.refund.id)
            .is_none_or(|r| is_settled(r.status));
        if settled
            && let Err(e) = self
                .mark_refund(tenant, &out.charge, &out.refund.id, false)
                .await
        {
            tracing::warn!(refund = %out.refund.id, error = %e, "could not mark a refund done; the reconciler will");
        }
        match error {
            None => Ok(charge),
            Some(e) => Err(FlowError::RefundFailed(e)),
        }
    }

    /// The refund request to `gateway`, and its answer.
    async fn call_refund(
        &self,
        tenant: &TenantId,
        out: &Outgoing,
        gateway: &dyn crate::gateway::Gateway,
    ) -> Result<Result<crate::gateway::GatewayRefund, GatewayError>, FlowError> {
        // The paid Pix's end-to-end id, when the gateway needs it (Efí).
        let payment_reference = gateway
            .get_charge(&out.reference)
            .await
            .ok()
            .and_then(|c| c.payment_reference);
        let charge = self.get_charge(tenant, out.charge.as_str()).await?.0;
        let money = Money::from_minor(out.refund.amount, charge.currency())
            .map_err(|e| Invalid::field("amount", "amount_invalid", e.to_string()))?;
        let r = gateway
            .refund(&CreateRefund {
                refund_id: out.refund.id.clone(),
                charge_reference: out.reference.clone(),
                payment_reference,
                money,
                idempotency_key: format!("{}-{}", out.refund.id, out.gateway),
                reason: out.refund.reason.clone(),
            })
            .await;
        self.failpoints
            .hit(failpoint::REFUND_GATEWAY_ANSWERED)
            .await;
        Ok(r)
    }

    /// Writes the refund's outcome on its charge (with the charge's event when money moved),
    /// merging with whatever moved the charge meanwhile (its gateway's refund webhook, another
    /// refund). A refund someone else already settled is left as it is; a `pending` answer
    /// only records the gateway's reference (the charge moves when it settles).
    async fn record_refund_outcome(
        &self,
        tenant: &TenantId,
        out: &Outgoing,
        status: RefundStatus,
        reference: Option<String>,
    ) -> Result<Charge, StoreError> {
        for _ in 0..WEBHOOK_UPDATE_TRIES {
            let Some(current) = self.store.get_charge(tenant, &out.charge).await? else {
                return Err(StoreError::NotFound {
                    entity: "charge",
                    id: out.charge.to_string(),
                });
            };
            let (mut charge, version) = (current.value, current.version);
            let now = self.clock.now();
            let Some(refund) = charge.refunds.iter_mut().find(|r| r.id == out.refund.id) else {
                return Err(StoreError::Corrupt(format!(
                    "refund {} vanished from charge {}",
                    out.refund.id, out.charge
                )));
            };
            if is_settled(refund.status) || refund.status == status {
                return Ok(charge);
            }
            refund.status = status;
            if reference.is_some() {
                refund.gateway_reference = reference.clone();
            }
            refund.updated_at = now;
            charge.updated_at = now;
            let written = if status == RefundStatus::Succeeded {
                let expected = out.refunded_before.unwrap_or(0) + out.refund.amount;
                record_refund(&mut charge, expected, now);
                self.store_with_news(&charge, version).await
            } else {
                self.store.update_charge(&charge, version).await
            };
            match written {
                Ok(_) => return Ok(charge),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(format!(
            "charge {} kept changing while refund {} was recorded; the reconciler will record it",
            out.charge, out.refund.id
        )))
    }

    /// Puts the reconciler's marker of a refund: in flight (created once), or done.
    async fn mark_refund(
        &self,
        tenant: &TenantId,
        charge: &ChargeId,
        refund: &RefundId,
        in_flight: bool,
    ) -> Result<(), StoreError> {
        let key = RefundMark::key(tenant, charge, refund);
        let value = RefundMark {
            charge: charge.clone(),
            refund: refund.clone(),
            state: if in_flight {
                RefundMarkState::InFlight
            } else {
                RefundMarkState::Done
            },
        }
        .to_value();
        let expect = if in_flight {
            Expect::Absent
        } else {
            match self.store.get_state(&key).await? {
                Some(doc) => Expect::Version(doc.version),
                None => return Ok(()),
            }
        };
        match self.store.put_state(&key, &value, expect).await {
            Ok(_) | Err(StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The reconciler's part: finishes refunds left in flight by a holder that stopped.
    /// Returns (resolved, deferred).
    pub(super) async fn reconcile_refunds(
        &self,
        tenant: &TenantId,
    ) -> Result<(Vec<(RefundId, RefundStatus)>, usize), StoreError> {
        let (mut resolved, mut deferred) = (Vec::new(), 0);
        for (_, doc) in self.store.list_state(tenant, REFUND_KIND).await? {
            let Some(RefundMark {
                charge: charge_id,
                refund: refund_id,
                state: RefundMarkState::InFlight,
            }) = RefundMark::parse(&doc.value)
            else {
                continue;
            };
            let charge = self.store.get_charge(tenant, &charge_id).await?;
            let refund = charge
                .as_ref()
                .and_then(|c| c.value.refunds.iter().find(|r| r.id == refund_id).cloned());
            match refund {
                Some(r) if r.status == RefundStatus::InFlight => {
                    if !self.is_abandoned(r.updated_at) {
                        continue;
                    }
                    let request = RefundRequest {
                        amount: Some(r.amount),
                        reason: r.reason.clone(),
                    };
                    match self
                        .refund(tenant, charge_id.as_str(), &refund_id, &request)
                        .await
                    {
                        Ok(c) => {
                            let status = c
                                .refunds
                                .iter()
                                .find(|x| x.id == refund_id)
                                .map_or(RefundStatus::InFlight, |x| x.status);
                            // Pending at the gateway: settled by its webhook or a later pass.
                            if is_settled(status) {
                                resolved.push((refund_id, status));
                            } else {
                                deferred += 1;
                            }
                        }
                        Err(FlowError::RefundFailed(_)) => {
                            resolved.push((refund_id, RefundStatus::Failed));
                        }
                        Err(e) => {
                            tracing::warn!(refund = %refund_id, error = %e, "reconcile: refund still unresolved; will retry");
                            deferred += 1;
                        }
                    }
                }
                // Accepted by the gateway, not settled yet, and no webhook settled it within a
                // lease: ask the gateway (the same refund again, which it deduplicates).
                Some(r) if r.status == RefundStatus::Pending => {
                    if !self.is_abandoned(r.updated_at) {
                        continue;
                    }
                    let Some(charge) = charge else { continue };
                    let Ok((gateway, reference)) = holder(&charge.value) else {
                        continue;
                    };
                    // Resent only where a resend can never make a second refund; elsewhere
                    // (Stripe) the gateway's webhook settles it.
                    let resendable = self
                        .gateways
                        .for_tenant(tenant)
                        .get(gateway)
                        .is_some_and(|g| g.capabilities().refund_resend_is_idempotent);
                    if !resendable {
                        deferred += 1;
                        continue;
                    }
                    let out = Outgoing {
                        charge: charge_id,
                        gateway,
                        reference,
                        refund: r,
                        refunded_before: None,
                    };
                    match self.send_refund(tenant, out).await {
                        Ok(c) => match c.refunds.iter().find(|x| x.id == refund_id) {
                            Some(x) if is_settled(x.status) => {
                                resolved.push((refund_id, x.status));
                            }
                            _ => deferred += 1,
                        },
                        Err(FlowError::RefundFailed(_)) => {
                            resolved.push((refund_id, RefundStatus::Failed));
                        }
                        Err(e) => {
                            tracing::warn!(refund = %refund_id, error = %e, "reconcile: pending refund not settled; will retry");
                            deferred += 1;
                        }
                    }
                }
                // Never recorded on the charge (nothing was sent), or settled since.
                _ => {
                    self.mark_refund(tenant, &charge_id, &refund_id, false)
                        .await?;
                }
            }
        }
        Ok((resolved, deferred))
    }
}

/// The gateway and reference holding a charge's money, or why it cannot be refunded.
fn holder(charge: &Charge) -> Result<(GatewayId, String), FlowError> {
    match (charge.gateway, charge.gateway_reference.clone()) {
        (Some(g), Some(reference)) => Ok((g, reference)),
        _ => Err(FlowError::NotHeld),
    }
}

/// The amount a new refund takes: what it asks for (everything left when it names none), if
/// that much is left.
fn refund_amount(charge: &Charge, request: &RefundRequest) -> Result<i64, FlowError> {
    let refundable = charge.refundable();
    if refundable == 0 {
        return Err(FlowError::NothingToRefund {
            charge: charge.id.clone(),
            status: charge.status(),
        });
    }
    let requested = request.amount.unwrap_or(refundable);
    if requested > refundable {
        return Err(FlowError::RefundTooLarge {
            requested,
            refundable,
            currency: charge.currency(),
        });
    }
    Ok(requested)
}

/// A refund's final states: the money went back, or it will not.
fn is_settled(status: RefundStatus) -> bool {
    matches!(status, RefundStatus::Succeeded | RefundStatus::Failed)
}

/// Settles the charge's unsettled refunds that a gateway's webhook reports final, matched by
/// payorch's refund id when the gateway echoes it, else by the gateway's refund reference. A
/// succeeded one moves `amount_refunded` and the status ([`record_refund`]); a failed one
/// releases its amount. Refunds settled before are left alone, so repeated or late news
/// changes nothing. Returns whether a refund changed.
pub(super) fn settle_refunds(
    charge: &mut Charge,
    news: &[RefundNews],
    now: crate::clock::Timestamp,
) -> bool {
    let (mut changed, mut succeeded) = (false, false);
    for n in news.iter().filter(|n| is_settled(n.status)) {
        let Some(refund) = charge.refunds.iter_mut().find(|r| {
            !is_settled(r.status)
                && match &n.refund_id {
                    Some(id) => &r.id == id,
                    None => r.gateway_reference.as_deref() == Some(n.reference.as_str()),
                }
        }) else {
            continue;
        };
        refund.status = n.status;
        refund
            .gateway_reference
            .get_or_insert_with(|| n.reference.clone());
        refund.updated_at = now;
        changed = true;
        succeeded |= n.status == RefundStatus::Succeeded;
    }
    if succeeded {
        record_refund(charge, 0, now);
    }
    changed
}

/// Records a successful refund on `charge`: the amount refunded is the largest of what is
/// already known (a gateway webhook may have reported this very refund), the refunds payorch
/// made that succeeded, and `expected` (what was known before this refund plus its amount).
fn record_refund(charge: &mut Charge, expected: i64, now: crate::clock::Timestamp) {
    let made: i64 = charge
        .refunds
        .iter()
        .filter(|r| r.status == RefundStatus::Succeeded)
        .map(|r| r.amount)
        .sum();
    charge.set_amount_refunded(charge.amount_refunded().max(made).max(expected));
    let next = if charge.amount_refunded() >= charge.amount() {
        ChargeStatus::Refunded
    } else {
        ChargeStatus::PartiallyRefunded
    };
    if charge.apply_status(next, now) == Transition::Reject {
        tracing::warn!(charge = %charge.id, status = %charge.status(), "refund reported on a charge in an unexpected state");
    }
}
