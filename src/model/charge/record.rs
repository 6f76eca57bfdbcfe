//! A charge's stored form: the SQLite body (and the conformance suite's), field for field what
//! the derive of the old all-`pub` [`Charge`] wrote, so rows written before the invariants went
//! private load unchanged and new rows are the same JSON. `decline_code` is derived on every
//! write and ignored on reading (see [`super::decline`]). The merchant's JSON is not this: it is
//! `api::view` (`src/api/view.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    Attempt, BoletoDetails, Charge, ChargeFailure, ChargeStatus, LinkDetails, PaymentMethod,
    PixDetails, Refund,
};
use crate::clock::Timestamp;
use crate::id::ChargeId;
use crate::model::customer::Customer;
use crate::model::fee::Fee;
use crate::model::gateway::GatewayId;
use crate::model::money::{Currency, Money, MoneyError};
use crate::model::tenant::TenantId;

/// The stored fields, in the stored order.
#[derive(Serialize, Deserialize)]
pub(super) struct Record {
    id: ChargeId,
    tenant: TenantId,
    status: ChargeStatus,
    /// Minor units.
    amount: i64,
    currency: Currency,
    #[serde(default)]
    amount_refunded: i64,
    method: PaymentMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gateway: Option<GatewayId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gateway_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pix: Option<PixDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    boleto: Option<BoletoDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    link: Option<LinkDetails>,
    #[serde(default)]
    attempts: Vec<Attempt>,
    #[serde(default)]
    refunds: Vec<Refund>,
    customer: Customer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<ChargeFailure>,
    /// Added in issue 18: rows written before have none and read as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fee: Option<Fee>,
    created_at: Timestamp,
    updated_at: Timestamp,
    /// Written for readers of the row; never read back (derived from the rest).
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    decline_code: Option<String>,
}

impl From<Charge> for Record {
    fn from(c: Charge) -> Record {
        let decline_code = c.decline_code().map(String::from);
        Record {
            id: c.id,
            tenant: c.tenant,
            status: c.status,
            amount: c.money.minor(),
            currency: c.money.currency(),
            amount_refunded: c.amount_refunded,
            method: c.method,
            gateway: c.gateway,
            gateway_reference: c.gateway_reference,
            pix: c.pix,
            boleto: c.boleto,
            link: c.link,
            attempts: c.attempts,
            refunds: c.refunds,
            customer: c.customer,
            description: c.description,
            metadata: c.metadata,
            failure: c.failure,
            fee: c.fee,
            created_at: c.created_at,
            updated_at: c.updated_at,
            decline_code,
        }
    }
}

/// A stored amount that is not a positive amount of money is refused (every charge was created
/// from a validated [`Money`], so none is).
impl TryFrom<Record> for Charge {
    type Error = MoneyError;
    fn try_from(r: Record) -> Result<Charge, MoneyError> {
        Ok(Charge {
            id: r.id,
            tenant: r.tenant,
            status: r.status,
            money: Money::from_minor(r.amount, r.currency)?,
            amount_refunded: r.amount_refunded,
            method: r.method,
            gateway: r.gateway,
            gateway_reference: r.gateway_reference,
            pix: r.pix,
            boleto: r.boleto,
            link: r.link,
            attempts: r.attempts,
            refunds: r.refunds,
            customer: r.customer,
            description: r.description,
            metadata: r.metadata,
            failure: r.failure,
            fee: r.fee,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}
