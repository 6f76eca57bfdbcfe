//! The reconciler's work lists, as typed state documents: possible orphans (money a charge may
//! have left at a gateway it moved on from) and refunds recorded in flight. Each is named
//! `<charge>:<gateway>` or `<charge>:<refund>` under its kind; the stored JSON is
//! `{"charge", "gateway" | "refund", "state", ["reference"]}`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::id::{ChargeId, RefundId};
use crate::model::{GatewayId, TenantId};
use crate::store::{StateDoc, StateKey, StateKind};

/// State-document kind recording a possible orphan (a Pix/boleto create whose outcome was
/// ambiguous at a gateway the charge then left). The reconciler cancels what it finds.
pub const ORPHAN_KIND: StateKind = StateKind::Orphan;

/// State-document kind naming a refund that was recorded in flight: the reconciler's work list.
pub const REFUND_KIND: StateKind = StateKind::Refund;

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
    }
}
