//! The normalized event: one JSON shape for every gateway's news about a charge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::charge::{Charge, ChargeStatus};
use crate::clock::Timestamp;
use crate::id::EventId;
use crate::model::TenantId;

/// What happened to a charge. Serialized as `charge.succeeded` and so on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "charge.pending")]
    ChargePending,
    #[serde(rename = "charge.requires_action")]
    ChargeRequiresAction,
    #[serde(rename = "charge.processing")]
    ChargeProcessing,
    #[serde(rename = "charge.succeeded")]
    ChargeSucceeded,
    #[serde(rename = "charge.failed")]
    ChargeFailed,
    #[serde(rename = "charge.canceled")]
    ChargeCanceled,
    #[serde(rename = "charge.refunded")]
    ChargeRefunded,
    #[serde(rename = "charge.partially_refunded")]
    ChargePartiallyRefunded,
    #[serde(rename = "charge.unknown")]
    ChargeUnknown,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::ChargePending,
        EventType::ChargeRequiresAction,
        EventType::ChargeProcessing,
        EventType::ChargeSucceeded,
        EventType::ChargeFailed,
        EventType::ChargeCanceled,
        EventType::ChargeRefunded,
        EventType::ChargePartiallyRefunded,
        EventType::ChargeUnknown,
    ];

    /// The event announcing that a charge reached `status`.
    pub fn for_status(status: ChargeStatus) -> EventType {
        match status {
            ChargeStatus::Pending => EventType::ChargePending,
            ChargeStatus::RequiresAction => EventType::ChargeRequiresAction,
            ChargeStatus::Processing => EventType::ChargeProcessing,
            ChargeStatus::Succeeded => EventType::ChargeSucceeded,
            ChargeStatus::Failed => EventType::ChargeFailed,
            ChargeStatus::Canceled => EventType::ChargeCanceled,
            ChargeStatus::Refunded => EventType::ChargeRefunded,
            ChargeStatus::PartiallyRefunded => EventType::ChargePartiallyRefunded,
            ChargeStatus::Unknown => EventType::ChargeUnknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ChargePending => "charge.pending",
            EventType::ChargeRequiresAction => "charge.requires_action",
            EventType::ChargeProcessing => "charge.processing",
            EventType::ChargeSucceeded => "charge.succeeded",
            EventType::ChargeFailed => "charge.failed",
            EventType::ChargeCanceled => "charge.canceled",
            EventType::ChargeRefunded => "charge.refunded",
            EventType::ChargePartiallyRefunded => "charge.partially_refunded",
            EventType::ChargeUnknown => "charge.unknown",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event type name payorch does not emit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type `{0}` (expected e.g. charge.succeeded)")]
pub struct UnknownEventType(pub String);

impl FromStr for EventType {
    type Err = UnknownEventType;
    fn from_str(s: &str) -> Result<Self, UnknownEventType> {
        EventType::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| UnknownEventType(s.to_string()))
    }
}

/// The payload of an event.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct EventData {
    pub charge: Charge,
}

/// A normalized event, as delivered to the merchant: `{id, type, tenant, created_at, data:
/// {charge}}`.
///
/// Its JSON is a wire view: `Serialize` is implemented in `src/api/view.rs`, where the charge
/// is the API's (`"object": "charge"`), written field by field. The event log stores that JSON,
/// what was sent; the derive below reads it back (and the events written before the view, whose
/// charge was the stored record: the same names, without `"object"`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Event {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub tenant: TenantId,
    pub created_at: Timestamp,
    pub data: EventData,
}

impl Event {
    /// The event for `charge` having just reached its current status.
    pub fn for_charge(charge: &Charge, now: Timestamp) -> Event {
        Event {
            id: EventId::generate(),
            kind: EventType::for_status(charge.status()),
            tenant: charge.tenant.clone(),
            created_at: now,
            data: EventData {
                charge: charge.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_an_event_and_names_round_trip() {
        for s in ChargeStatus::ALL {
            let t = EventType::for_status(s);
            assert_eq!(t.as_str(), format!("charge.{}", s.as_str()));
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), t);
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
        assert!("charge.exploded".parse::<EventType>().is_err());
    }
}
