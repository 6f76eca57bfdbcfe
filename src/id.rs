//! Prefixed, time-sortable identifiers (`ch_01JD…`, `evt_…`, `re_…`).
//!
//! The part after the prefix is a ULID (Crockford base32, 26 characters), generated monotonically
//! within a process, so ids sort by creation time. That ordering is what cursor pagination uses.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ulid::{Generator, Ulid};

/// An id string that does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {what} id (expected `{prefix}_` followed by 26 characters)")]
pub struct IdError {
    pub input: String,
    pub what: &'static str,
    pub prefix: &'static str,
}

static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);

/// A new ULID, strictly greater than every one this process made before.
pub fn new_ulid() -> Ulid {
    let mut guard = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    let generator = guard.get_or_insert_with(Generator::new);
    // Overflow needs 2^80 ids in one millisecond; fall back to a fresh random ULID.
    generator.generate().unwrap_or_else(|_| Ulid::new())
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id, sorting after every id this process generated before.
            pub fn generate() -> Self {
                $name(format!("{}_{}", $prefix, new_ulid()))
            }

            pub fn parse(input: &str) -> Result<Self, IdError> {
                let err = || IdError { input: input.to_string(), what: $what, prefix: $prefix };
                let rest = input
                    .strip_prefix($prefix)
                    .and_then(|r| r.strip_prefix('_'))
                    .ok_or_else(err)?;
                Ulid::from_string(rest).map_err(|_| err())?;
                Ok($name(input.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The ULID part, without the prefix.
            pub fn ulid_part(&self) -> &str {
                &self.0[$prefix.len() + 1..]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}

prefixed_id!(/// A charge: `ch_…`.
    ChargeId, "ch", "charge");
prefixed_id!(/// A refund of (part of) a charge: `re_…`.
    RefundId, "re", "refund");
prefixed_id!(/// A normalized event: `evt_…`.
    EventId, "evt", "event");
prefixed_id!(/// An API key's public id (not the secret): `key_…`.
    ApiKeyId, "key", "API key");
prefixed_id!(/// An audit-log entry: `aud_…`.
    AuditId, "aud", "audit entry");
prefixed_id!(/// A message in the delivery queue: `msg_…`.
    MessageId, "msg", "message");
prefixed_id!(/// An inbound gateway webhook as payorch recorded it: `whin_…`.
    InboundId, "whin", "inbound webhook");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_sort_by_creation() {
        let ids: Vec<ChargeId> = (0..1000).map(|_| ChargeId::generate()).collect();
        for w in ids.windows(2) {
            assert!(w[0] < w[1], "{} !< {}", w[0], w[1]);
        }
        let first = &ids[0];
        assert!(first.as_str().starts_with("ch_"));
        assert_eq!(first.as_str().len(), 29);
        assert_eq!(ChargeId::parse(first.as_str()).unwrap(), *first);
    }

    #[test]
    fn wrong_prefix_or_body_is_rejected_with_the_kind_named() {
        let evt = EventId::generate();
        let err = ChargeId::parse(evt.as_str()).unwrap_err();
        assert!(err.to_string().contains("charge id"), "{err}");
        assert!(ChargeId::parse("ch_").is_err());
        assert!(ChargeId::parse("ch_not-a-ulid-at-all-xxxxxxx").is_err());
        assert!(ChargeId::parse("ch01JD0000000000000000000000").is_err());
    }

    #[test]
    fn serde_validates() {
        let id = RefundId::generate();
        let json = serde_json::to_string(&id).unwrap();
        let back: RefundId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<RefundId>("\"re_bogus\"").is_err());
    }
}
