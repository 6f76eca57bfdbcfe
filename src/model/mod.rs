//! The payments vocabulary: money, charges, customers, events, tenants. Pure types, no I/O.

pub(crate) mod charge;
pub(crate) mod customer;
pub(crate) mod document;
pub(crate) mod event;
pub(crate) mod fee;
pub mod gateway;
pub(crate) mod money;
pub(crate) mod pii;
pub(crate) mod rate_limit;
pub(crate) mod tenant;

pub use charge::{
    Attempt, AttemptOutcome, BREAKER_OPEN_CODE, BoletoDetails, Charge, ChargeFailure, ChargeStatus,
    LinkDetails, PaymentMethod, PixDetails, Refund, RefundStatus, Transition,
};
pub use customer::Customer;
pub use document::{Document, DocumentError, DocumentKind};
pub use event::{Event, EventData, EventType};
pub use fee::{BadPercent, Fee, FeeRate, FeeSchedule, FeeSource, Percent};
pub use gateway::GatewayId;
pub use money::{Currency, Money, MoneyError};
pub use rate_limit::{Period, Rate, RateLimit, RateLimitError};
pub use tenant::{ApiKey, Tenant, TenantId};

/// Bad input, with the field it is about: the shape every edge (HTTP, CLI, config) reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {message}")]
pub struct ValidationError {
    /// The field, as the caller named it (`amount`, `customer.document`).
    pub param: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(param: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            param: param.into(),
            message: message.into(),
        }
    }
}
