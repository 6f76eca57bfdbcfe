//! DynamoDB items as payorch reads and writes them: attribute constructors and typed getters
//! whose failures are [`StoreError::Corrupt`] naming the item and attribute.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::{StoreError, StoreResult};

/// One item, as the SDK hands it over.
pub(super) type Item = HashMap<String, AttributeValue>;

/// A string attribute.
pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The `ttl` attribute for an item that may be forgotten after `expires_at`: epoch seconds
/// (what DynamoDB's TTL wants), the second after, so TTL never deletes early.
pub(super) fn ttl(expires_at: crate::clock::Timestamp) -> AttributeValue {
    n(expires_at.unix_millis().div_euclid(1000) + 1)
}

/// `value`'s JSON, for a `body` attribute.
pub(super) fn encode<T: Serialize>(entity: &str, id: &str, value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode {entity} `{id}`: {e}")))
}

/// Decodes a `body` attribute; a failure means the item is [`StoreError::Corrupt`].
pub(super) fn decode<T: DeserializeOwned>(entity: &str, id: &str, body: &str) -> StoreResult<T> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::Corrupt(format!("{entity} `{id}` has an unreadable body: {e}")))
}

/// Typed reads of an item's attributes.
pub(super) trait ItemExt {
    /// A string attribute that must be there.
    fn string(&self, name: &str) -> StoreResult<&str>;
    /// A string attribute that may be absent.
    fn opt_string(&self, name: &str) -> StoreResult<Option<&str>>;
    /// A number attribute that must be there.
    fn int(&self, name: &str) -> StoreResult<i64>;
    /// A number attribute that may be absent.
    fn opt_int(&self, name: &str) -> StoreResult<Option<i64>>;
    /// The `version` attribute.
    fn version(&self) -> StoreResult<u64>;
}

fn corrupt(item: &Item, name: &str, what: &str) -> StoreError {
    let pk = match item.get("pk") {
        Some(AttributeValue::S(pk)) => pk.as_str(),
        _ => "?",
    };
    StoreError::Corrupt(format!("item `{pk}`: attribute `{name}` {what}"))
}

impl ItemExt for Item {
    fn string(&self, name: &str) -> StoreResult<&str> {
        self.opt_string(name)?
            .ok_or_else(|| corrupt(self, name, "is missing"))
    }

    fn opt_string(&self, name: &str) -> StoreResult<Option<&str>> {
        match self.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(corrupt(self, name, "is not a string")),
        }
    }

    fn int(&self, name: &str) -> StoreResult<i64> {
        self.opt_int(name)?
            .ok_or_else(|| corrupt(self, name, "is missing"))
    }

    fn opt_int(&self, name: &str) -> StoreResult<Option<i64>> {
        match self.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| corrupt(self, name, "is not an integer")),
            Some(_) => Err(corrupt(self, name, "is not a number")),
        }
    }

    fn version(&self) -> StoreResult<u64> {
        let v = self.int("version")?;
        u64::try_from(v).map_err(|_| corrupt(self, "version", "is negative"))
    }
}

/// How many partitions a sparse "sweep" index key (`INBOUNDBODY#<0-9>`, `IDEMEXPIRY#<0-9>`)
/// is spread over, so no single index partition takes every write.
pub(super) const SHARDS: u32 = 10;

/// The shard (`0..SHARDS`) of an item, from its partition key: stable across processes and
/// releases (a plain byte sum, not the std hasher), so a rewrite lands in the same shard.
pub(super) fn shard(pk: &str) -> u32 {
    pk.bytes().map(u32::from).sum::<u32>() % SHARDS
}
