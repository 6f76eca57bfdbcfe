//! Refunds, at the gateway that holds the charge's money.

use crate::api::{ApiError, ErrorType, RefundRequest};
use crate::gateway::CreateRefund;
use crate::id::RefundId;
use crate::model::{
    AttemptOutcome, Charge, ChargeStatus, Money, Refund, RefundStatus, TenantId, Transition,
};
use crate::store::StoreError;

use super::{Orchestrator, WEBHOOK_UPDATE_TRIES, store_error};

impl Orchestrator {
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
