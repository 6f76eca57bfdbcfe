//! Refunds, at the gateway that holds the charge's money: recorded as `in_flight` on the charge
//! before the request leaves (the amount is reserved, so it cannot be refunded twice), sent with
//! a gateway key derived from the refund's id (which the idempotency key carries), and finished
//! with the refund's outcome and its event in one commit. A refund whose holder died is resumed
//! with the same refund id, so the gateway sees the same request again, by a retry of the key
//! or by the reconciler (which finds it through a `refund` state document).

use crate::api::{ApiError, ErrorType, RefundRequest};
use crate::failpoint;
use crate::gateway::{CreateRefund, GatewayError};
use crate::id::{ChargeId, RefundId};
use crate::model::{
    AttemptOutcome, Charge, ChargeStatus, GatewayId, Money, Refund, RefundStatus, TenantId,
    Transition,
};
use crate::store::{Expect, StoreError};

use super::marks::{Marker, REFUND_KIND, RefundMark, RefundMarkState};
use super::{Orchestrator, WEBHOOK_UPDATE_TRIES, in_progress, store_error};

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
    ) -> Result<Charge, ApiError> {
        let out = match self.begin_refund(tenant, id, refund_id, request).await? {
            Begun::Done(charge) => return Ok(*charge),
            Begun::Send(out) => out,
        };
        self.send_refund(tenant, out).await
    }

    /// Validates the refund and records it in flight (or finds it recorded already).
    async fn begin_refund(
        &self,
        tenant: &TenantId,
        id: &str,
        refund_id: &RefundId,
        request: &RefundRequest,
    ) -> Result<Begun, ApiError> {
        for _ in 0..WEBHOOK_UPDATE_TRIES {
            let (mut charge, version) = self.get_charge(tenant, id).await?;
            let (g, reference) = holder(&charge)?;
            let now = self.clock.now();
            if let Some(r) = charge.refunds.iter_mut().find(|r| &r.id == refund_id) {
                if r.status != RefundStatus::InFlight {
                    return Ok(Begun::Done(Box::new(charge)));
                }
                if !self.is_abandoned(r.updated_at) {
                    return Err(in_progress(format_args!("refund {refund_id}")));
                }
                r.updated_at = now;
                let refund = r.clone();
                match self.store.update_charge(&charge, version).await {
                    Ok(_) => {
                        return Ok(Begun::Send(Outgoing {
                            charge: charge.id,
                            gateway: g,
                            reference,
                            refund,
                            refunded_before: None,
                        }));
                    }
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(store_error(e)),
                }
            }
            let refundable = charge.refundable();
            if refundable == 0 {
                return Err(ApiError::new(
                    400,
                    ErrorType::InvalidRequestError,
                    "charge_not_refundable",
                    format!(
                        "charge {} is {} with nothing left to refund",
                        charge.id,
                        charge.status()
                    ),
                ));
            }
            let amount = request.amount.unwrap_or(refundable);
            if amount > refundable {
                let major = |minor: i64| {
                    Money::from_minor(minor, charge.currency())
                        .map_or_else(|_| format!("{minor} (minor units)"), |m| m.to_string())
                };
                return Err(ApiError::invalid(
                    "amount",
                    "amount_too_large",
                    format!(
                        "{} is more than the {} still refundable",
                        major(amount),
                        major(refundable)
                    ),
                ));
            }
            let refund = Refund {
                id: refund_id.clone(),
                amount,
                status: RefundStatus::InFlight,
                gateway_reference: None,
                reason: request.reason.clone(),
                created_at: now,
                updated_at: now,
            };
            self.mark_refund(tenant, &charge.id, refund_id, true)
                .await
                .map_err(store_error)?;
            let refunded_before = charge.amount_refunded();
            charge.refunds.push(refund.clone());
            charge.updated_at = now;
            match self.store.update_charge(&charge, version).await {
                Ok(_) => {
                    self.failpoints.hit(failpoint::REFUND_RECORDED).await;
                    return Ok(Begun::Send(Outgoing {
                        charge: charge.id,
                        gateway: g,
                        reference,
                        refund,
                        refunded_before: Some(refunded_before),
                    }));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(store_error(e)),
            }
        }
        Err(store_error(StoreError::Unavailable(format!(
            "charge {id} kept changing while refund {refund_id} was recorded; try again"
        ))))
    }

    /// Sends a refund recorded in flight and records the gateway's answer.
    async fn send_refund(&self, tenant: &TenantId, out: Outgoing) -> Result<Charge, ApiError> {
        let g = out.gateway;
        let result = match self.gateways.for_tenant(tenant).get(g).cloned() {
            None => Err(GatewayError::new(
                g,
                AttemptOutcome::UnavailableNotSent,
                format!("{g}, which holds this charge, is not configured"),
            )),
            Some(gateway) => {
                // The paid Pix's end-to-end id, when the gateway needs it (Efí).
                let payment_reference = gateway
                    .get_charge(&out.reference)
                    .await
                    .ok()
                    .and_then(|c| c.payment_reference);
                let charge = self.get_charge(tenant, out.charge.as_str()).await?.0;
                let money = Money::from_minor(out.refund.amount, charge.currency())
                    .map_err(|e| ApiError::invalid("amount", "amount_invalid", e.to_string()))?;
                let r = gateway
                    .refund(&CreateRefund {
                        refund_id: out.refund.id.clone(),
                        charge_reference: out.reference.clone(),
                        payment_reference,
                        money,
                        idempotency_key: format!("{}-{g}", out.refund.id),
                        reason: out.refund.reason.clone(),
                    })
                    .await;
                self.failpoints
                    .hit(failpoint::REFUND_GATEWAY_ANSWERED)
                    .await;
                r
            }
        };
        let (status, reference, error) = match result {
            Ok(r) => (r.status, Some(r.reference), None),
            // The gateway may have made it: it stays in flight, for a retry of the key or the
            // reconciler to send again under the same gateway key.
            Err(e) if e.outcome.is_unresolved() => {
                return Err(ApiError::new(
                    503,
                    ErrorType::GatewayError,
                    "refund_outcome_unknown",
                    format!(
                        "{e}; refund {} may have been made: payorch will ask {g} again (retry this request with the same Idempotency-Key, or wait for the charge's event)",
                        out.refund.id
                    ),
                ));
            }
            Err(e) => (RefundStatus::Failed, None, Some(e)),
        };
        let charge = self
            .record_refund_outcome(tenant, &out, status, reference)
            .await
            .map_err(store_error)?;
        self.failpoints.hit(failpoint::REFUND_FINAL_STORED).await;
        if let Err(e) = self
            .mark_refund(tenant, &out.charge, &out.refund.id, false)
            .await
        {
            tracing::warn!(refund = %out.refund.id, error = %e, "could not mark a refund done; the reconciler will");
        }
        match error {
            None => Ok(charge),
            Some(e) => {
                let status = if matches!(
                    e.outcome,
                    AttemptOutcome::Declined | AttemptOutcome::Invalid
                ) {
                    402
                } else {
                    503
                };
                Err(ApiError::new(
                    status,
                    ErrorType::GatewayError,
                    "refund_failed",
                    e.to_string(),
                ))
            }
        }
    }

    /// Writes the refund's outcome on its charge (with the charge's event when money moved),
    /// merging with whatever moved the charge meanwhile (its gateway's refund webhook, another
    /// refund). A refund someone else already settled is left as it is.
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
            if refund.status != RefundStatus::InFlight {
                return Ok(charge);
            }
            refund.status = status;
            refund.gateway_reference = reference.clone();
            refund.updated_at = now;
            charge.updated_at = now;
            let written = if status == RefundStatus::Failed {
                self.store.update_charge(&charge, version).await
            } else {
                let expected = out.refunded_before.unwrap_or(0) + out.refund.amount;
                record_refund(&mut charge, expected, now);
                self.store_with_news(&charge, version).await
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
                            resolved.push((refund_id, status));
                        }
                        Err(e) if e.code == "refund_failed" => {
                            resolved.push((refund_id, RefundStatus::Failed));
                        }
                        Err(e) => {
                            tracing::warn!(refund = %refund_id, error = %e, "reconcile: refund still unresolved; will retry");
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
fn holder(charge: &Charge) -> Result<(GatewayId, String), ApiError> {
    match (charge.gateway, charge.gateway_reference.clone()) {
        (Some(g), Some(reference)) => Ok((g, reference)),
        _ => Err(ApiError::new(
            409,
            ErrorType::InvalidRequestError,
            "charge_not_refundable",
            "the charge has no gateway reference",
        )),
    }
}

/// Records a successful refund on `charge`: the amount refunded is the largest of what is
/// already known (a gateway webhook may have reported this very refund), the refunds payorch
/// made, and `expected` (what was known before this refund plus its amount).
fn record_refund(charge: &mut Charge, expected: i64, now: crate::clock::Timestamp) {
    let made: i64 = charge
        .refunds
        .iter()
        .filter(|r| matches!(r.status, RefundStatus::Pending | RefundStatus::Succeeded))
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
