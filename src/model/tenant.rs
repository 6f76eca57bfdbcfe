//! Tenants (merchants sharing one payorch) and the API keys that authenticate them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::id::ApiKeyId;

/// A tenant's id: a slug of 1–63 lower-case letters, digits, `-` and `_`, starting with a
/// letter or digit. It appears in URLs (`/webhooks/{tenant}/…`) and keyring entries.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

/// A tenant id that is not a valid slug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a valid tenant id: use 1-63 lower-case letters, digits, `-` or `_`, starting with a letter or digit"
)]
pub struct TenantIdError(pub String);

impl TenantId {
    /// The tenant every fresh data dir has.
    pub const DEFAULT: &'static str = "default";

    pub fn parse(input: &str) -> Result<TenantId, TenantIdError> {
        let ok = !input.is_empty()
            && input.len() <= 63
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && input
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(TenantId(input.to_string()))
        } else {
            Err(TenantIdError(input.to_string()))
        }
    }

    pub fn default_tenant() -> TenantId {
        TenantId(Self::DEFAULT.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

impl FromStr for TenantId {
    type Err = TenantIdError;
    fn from_str(s: &str) -> Result<Self, TenantIdError> {
        TenantId::parse(s)
    }
}

impl TryFrom<String> for TenantId {
    type Error = TenantIdError;
    fn try_from(s: String) -> Result<Self, TenantIdError> {
        TenantId::parse(&s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

/// A merchant using payorch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    /// Human-readable name for tables and the dashboard.
    pub name: String,
    pub created_at: Timestamp,
}

/// An API key as stored: never the secret itself, only its SHA-256 and a short visible prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant: TenantId,
    /// Operator's label, e.g. "checkout backend".
    pub name: Option<String>,
    /// The first characters of the secret (`po_sk_1a2b3c4d`), enough to recognise it.
    pub prefix: String,
    /// Lower-case hex SHA-256 of the whole secret.
    pub hash: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// This key's own request rate (`payorch apikey create|update --rate-limit`), instead of
    /// `[limits] key`; `off` exempts the key (its tenant's limit still applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<super::RateLimit>,
}

impl ApiKey {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids() {
        for ok in ["default", "acme", "loja-1", "a", "x_y", "9lives"] {
            assert!(TenantId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Acme",
            "-acme",
            "_x",
            "a b",
            "ação",
            "a/b",
            &"a".repeat(64),
        ] {
            let err = TenantId::parse(bad).unwrap_err();
            assert!(err.to_string().contains("tenant id"), "{bad}");
        }
    }
}
