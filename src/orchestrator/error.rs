//! Why a flow gave no charge: one typed error per thing the flows distinguish. No HTTP status
//! and no error code here: `server/error.rs` decides the status and the body of each variant,
//! `commands/` its exit code. The `Display` text is the message both show.

use crate::api::Invalid;
use crate::gateway::GatewayError;
use crate::id::{ChargeId, RefundId};
use crate::model::{Attempt, AttemptOutcome, ChargeStatus, Currency, GatewayId, Money, TenantId};
use crate::routing::{NoRoute, RoutingError};
use crate::store::StoreError;

/// Why a charge or refund flow answered without a charge.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The tenant does not exist: nothing may reach a gateway on its behalf.
    #[error("there is no tenant `{0}` (create it with `payorch tenant create {0}`)")]
    UnknownTenant(TenantId),
    /// No such charge for the tenant (`id` as the caller gave it).
    #[error("no charge `{id}`")]
    NotFound { id: String },
    /// The request is wrong: fix it before retrying.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The routing table allows no gateway for this charge (or for the gateway it pinned).
    #[error("{0}")]
    NoRoute(NoRoute),
    /// The tenant's routing table could not be read.
    #[error("{0}")]
    RoutingUnavailable(RoutingError),
    /// Every candidate gateway failed or was unavailable; the failed charge is stored.
    #[error("no gateway could take charge {charge}: every candidate failed or was unavailable")]
    Exhausted {
        charge: ChargeId,
        attempts: Vec<Attempt>,
    },
    /// Another process is working on this charge right now.
    #[error("charge {0} is still being processed; retry later")]
    ChargeInProgress(ChargeId),
    /// A concurrent request with the same idempotency key claimed it first (at the charge's
    /// creation, where the claim is committed): this one made nothing.
    #[error("another request with the same idempotency key is being processed; retry later")]
    KeyTaken,
    /// Another process is sending this refund right now.
    #[error("refund {0} is still being processed; retry later")]
    RefundInProgress(RefundId),
    /// The charge has no money left to refund.
    #[error("charge {charge} is {status} with nothing left to refund")]
    NothingToRefund {
        charge: ChargeId,
        status: ChargeStatus,
    },
    /// The charge is held by no gateway (it never succeeded anywhere).
    #[error("the charge has no gateway reference")]
    NotHeld,
    /// The refund asks for more than is left (minor units of `currency`).
    #[error(
        "{} is more than the {} still refundable",
        major(*requested, *currency),
        major(*refundable, *currency)
    )]
    RefundTooLarge {
        requested: i64,
        refundable: i64,
        currency: Currency,
    },
    /// The gateway may have made the refund: it stays in flight, to be asked again.
    #[error(
        "{error}; refund {refund} may have been made: payorch will ask {gateway} again (retry this request with the same Idempotency-Key, or wait for the charge's event)"
    )]
    RefundOutcomeUnknown {
        refund: RefundId,
        gateway: GatewayId,
        error: GatewayError,
    },
    /// The gateway refused the refund, or could not be reached: it is recorded as failed.
    #[error("{0}")]
    RefundFailed(GatewayError),
    /// The store failed; what was written stays for a retry or the reconciler.
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl FlowError {
    /// A refund the gateway refused outright (declined, invalid), as opposed to one it could
    /// not take (unavailable).
    pub fn is_refund_declined(&self) -> bool {
        matches!(
            self,
            FlowError::RefundFailed(e)
                if matches!(e.outcome, AttemptOutcome::Declined | AttemptOutcome::Invalid)
        )
    }
}

/// An amount in major units (`R$ 10,50`), or the minor units when the currency cannot say it.
fn major(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency)
        .map_or_else(|_| format!("{minor} (minor units)"), |m| m.to_string())
}
