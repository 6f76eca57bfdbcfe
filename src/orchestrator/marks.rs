//! The reconciler's work lists, as typed state documents: possible orphans (money a charge may
//! have left at a gateway it moved on from), refunds recorded in flight, and paid charges whose
//! gateway's own fee is still to be read. Each is named `<charge>:<gateway>`,
//! `<charge>:<refund>` or `<charge>` under its kind; the stored JSON is
//! `{"charge", "gateway" | "refund", "state", ["reference"]}`, or for a fee
//! `{"charge", "gateway", "tries", "next_at"}`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::id::{ChargeId, RefundId};
use crate::model::{GatewayId, TenantId};
use crate::store::{StateDoc, StateKey, StateKind};

/// State-document kind recording a possible orphan (a Pix/boleto create whose outcome was
/// ambiguous at a gateway the charge then left). The reconciler cancels what it finds.
pub const ORPHAN_KIND: StateKind = StateKind::Orphan;

/// State-document kind naming a refund that was recorded in flight: the reconciler's work list.
pub const REFUND_KIND: StateKind = StateKind::Refund;

/// State-document kind naming a paid charge that has only payorch's estimate (or no fee) while
/// its gateway can tell its own on a read: the reconciler reads it (`reconcile.rs`).
pub const FEE_KIND: StateKind = StateKind::Fee;

/// A marker's document to and from its stored JSON.
pub(super) trait Marker: Serialize + DeserializeOwned {
    /// The document, if it is one (a document written by another version may not be).
    fn parse(value: &serde_json::Value) -> Option<Self> {
        Self::deserialize(value).ok()
    }

    fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a marker serializes")
    }
}

impl Marker for Orphan {}
impl Marker for RefundMark {}
impl Marker for FeeMark {}

/// What became of a possible orphan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(super) enum OrphanState {
    /// Not looked at yet (or the gateway could not tell).
    Pending,
    /// The charge itself was recovered at this gateway: not an orphan.
    Adopted,
    /// The payer paid it: an operator must refund them.
    Paid { reference: String },
    /// It had already ended at the gateway.
    Closed { reference: String },
    /// The reconciler cancelled it.
    Cancelled { reference: String },
    /// The gateway has nothing for it, past the lookup grace.
    None,
}

/// A possible orphan's document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Orphan {
    pub charge: ChargeId,
    pub gateway: GatewayId,
    #[serde(flatten)]
    pub state: OrphanState,
}

impl Orphan {
    pub(super) fn key(tenant: &TenantId, charge: &ChargeId, gateway: GatewayId) -> StateKey {
        let charge = charge.clone();
        StateDoc::Orphan { charge, gateway }.key(tenant)
    }
}

/// Where a refund recorded in flight stands, for the reconciler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RefundMarkState {
    InFlight,
    Done,
}

/// A refund's marker document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct RefundMark {
    pub charge: ChargeId,
    pub refund: RefundId,
    pub state: RefundMarkState,
}

impl RefundMark {
    pub(super) fn key(tenant: &TenantId, charge: &ChargeId, refund: &RefundId) -> StateKey {
        let (charge, refund) = (charge.clone(), refund.clone());
        StateDoc::Refund { charge, refund }.key(tenant)
    }
}

/// A charge whose gateway fee is to be read at `next_at` or later; `tries` reads have failed
/// so far. Deleted once read or given up, so the list holds only the work left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FeeMark {
    pub charge: ChargeId,
    pub gateway: GatewayId,
    pub tries: u32,
    pub next_at: Timestamp,
}

impl FeeMark {
    pub(super) fn key(tenant: &TenantId, charge: &ChargeId) -> StateKey {
        StateDoc::Fee(charge.clone()).key(tenant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_stored_shape() {
        let charge = ChargeId::parse("ch_01M91DQVW9M3QYFMGHPM7C0DAF").unwrap();
        let orphan = Orphan {
            charge: charge.clone(),
            gateway: GatewayId::Efi,
            state: OrphanState::Paid {
                reference: "tx1".into(),
            },
        };
        assert_eq!(
            orphan.to_value(),
            serde_json::json!({"charge": charge, "gateway": "efi", "state": "paid", "reference": "tx1"})
        );
        assert_eq!(Orphan::parse(&orphan.to_value()), Some(orphan));
        let pending = serde_json::json!({"charge": charge, "gateway": "efi", "state": "pending"});
        assert_eq!(Orphan::parse(&pending).unwrap().state, OrphanState::Pending);
        let refund = RefundId::parse("re_01M91DQZYNFBS2XH2TMZAJ3ZSC").unwrap();
        let mark = RefundMark {
            charge: charge.clone(),
            refund: refund.clone(),
            state: RefundMarkState::InFlight,
        };
        assert_eq!(
            mark.to_value(),
            serde_json::json!({"charge": charge, "refund": refund, "state": "in_flight"})
        );
        assert_eq!(RefundMark::parse(&mark.to_value()), Some(mark));
        let at = Timestamp::from_unix_millis(1_764_900_000_000);
        let fee = FeeMark {
            charge: charge.clone(),
            gateway: GatewayId::Stripe,
            tries: 2,
            next_at: at,
        };
        assert_eq!(
            fee.to_value(),
            serde_json::json!({"charge": charge, "gateway": "stripe", "tries": 2,
                               "next_at": "2025-12-05T02:00:00Z"})
        );
        assert_eq!(FeeMark::parse(&fee.to_value()), Some(fee));
    }
}
