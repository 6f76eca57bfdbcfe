//! Tenants and API keys on top of the store: the default tenant, issuing a key (shown once,
//! stored as a SHA-256 hash with a short visible prefix), revoking, and authenticating a
//! presented key. No HTTP and no CLI here.

use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::id::{ApiKeyId, AuditId};
use crate::model::{ApiKey, RateLimit, Tenant, TenantId, ValidationError};
use crate::secret::Secret;
use crate::store::{AuditAction, AuditEntry, AuditLog, Store, StoreError};

/// Every payorch API key starts with this, so leaked keys are easy to scan for.
pub const KEY_PREFIX: &str = "po_sk_";
/// Random bytes in a key (hex-encoded after the prefix).
const KEY_RANDOM_BYTES: usize = 24;
/// Characters of the secret kept visible (`po_sk_` plus 8 hex digits).
const VISIBLE_CHARS: usize = KEY_PREFIX.len() + 8;
/// The longest tenant or key name accepted.
const MAX_NAME_CHARS: usize = 100;
/// The longest reason an operator may give for an action.
const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    #[error("unknown tenant `{0}` (create it with `payorch tenant create {0}`)")]
    UnknownTenant(TenantId),
    #[error("tenant `{0}` already exists")]
    TenantExists(TenantId),
    #[error("tenant `{tenant}` has no API key `{id}`")]
    UnknownKey { tenant: TenantId, id: String },
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("no randomness available from the OS: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a presented API key was refused. The messages are safe to send to the client.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no API key: send `Authorization: Bearer po_sk_…`")]
    Missing,
    #[error("invalid API key")]
    Invalid,
    #[error("this API key was revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A newly issued key: the record as stored, and the secret, which exists only here.
#[derive(Debug)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: Secret,
}

/// Who did something, for the audit log.
#[derive(Clone, Debug)]
pub struct Actor(pub String);

/// Lower-case hex SHA-256 of a key's secret: what the store keeps instead of the key.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn validate_name(param: &str, name: Option<&str>) -> Result<Option<String>, ValidationError> {
    validate_text(param, name, MAX_NAME_CHARS)
}

/// An operator's reason for an action (`--reason`): trimmed, at most 500 characters, no
/// control characters; empty means none.
pub fn validate_reason(
    param: &str,
    reason: Option<&str>,
) -> Result<Option<String>, ValidationError> {
    validate_text(param, reason, MAX_REASON_CHARS)
}

fn validate_text(
    param: &str,
    name: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, ValidationError> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > max_chars {
        return Err(ValidationError::new(
            param,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::new(
            param,
            "must not contain control characters",
        ));
    }
    Ok(Some(name.to_string()))
}

/// Creates the `default` tenant if it is missing. Safe to call from every process at start.
pub async fn ensure_default_tenant(
    store: &dyn Store,
    clock: &dyn Clock,
) -> Result<(), TenancyError> {
    let id = TenantId::default_tenant();
    if store.get_tenant(&id).await?.is_some() {
        return Ok(());
    }
    let tenant = Tenant {
        id,
        name: "Default tenant".into(),
        created_at: clock.now(),
    };
    match store.create_tenant(&tenant).await {
        Ok(()) | Err(StoreError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Creates a tenant; its name defaults to its id.
pub async fn create_tenant(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    id: TenantId,
    name: Option<&str>,
) -> Result<Tenant, TenancyError> {
    let name = validate_name("name", name)?.unwrap_or_else(|| id.to_string());
    let tenant = Tenant {
        id: id.clone(),
        name,
        created_at: clock.now(),
    };
    match store.create_tenant(&tenant).await {
        Ok(()) => {}
        Err(StoreError::AlreadyExists { .. }) => return Err(TenancyError::TenantExists(id)),
        Err(e) => return Err(e.into()),
    }
    audit(
        store,
        clock,
        actor,
        &id,
        AuditAction::TenantCreate,
        id.as_str(),
        serde_json::json!({"name": tenant.name}),
    )
    .await?;
    Ok(tenant)
}

/// The tenant, or [`TenancyError::UnknownTenant`].
pub async fn require_tenant(store: &dyn Store, id: &TenantId) -> Result<Tenant, TenancyError> {
    store
        .get_tenant(id)
        .await?
        .ok_or_else(|| TenancyError::UnknownTenant(id.clone()))
}

/// Issues a new API key for `tenant`. The returned secret is never stored.
pub async fn issue_api_key(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    name: Option<&str>,
) -> Result<IssuedKey, TenancyError> {
    issue_limited_api_key(store, clock, actor, tenant, name, None).await
}

/// [`issue_api_key`] with the key's own rate limit (`None`: the `[limits] key` default).
pub async fn issue_limited_api_key(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    name: Option<&str>,
    rate_limit: Option<RateLimit>,
) -> Result<IssuedKey, TenancyError> {
    let name = validate_name("name", name)?;
    require_tenant(store, tenant).await?;
    let mut random = [0u8; KEY_RANDOM_BYTES];
    getrandom::fill(&mut random).map_err(|e| TenancyError::Random(e.to_string()))?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let secret = Secret::new(format!("{KEY_PREFIX}{hex}"));
    let key = ApiKey {
        id: ApiKeyId::generate(),
        tenant: tenant.clone(),
        name,
        prefix: secret.expose()[..VISIBLE_CHARS].to_string(),
        hash: hash_secret(secret.expose()),
        created_at: clock.now(),
        revoked_at: None,
        rate_limit,
    };
    store.create_api_key(&key).await?;
    audit(
        store,
        clock,
        actor,
        tenant,
        AuditAction::ApiKeyCreate,
        key.id.as_str(),
        serde_json::json!({
            "prefix": key.prefix,
            "name": key.name,
            "rate_limit": key.rate_limit.map(|r| r.to_string()),
        }),
    )
    .await?;
    Ok(IssuedKey { key, secret })
}

/// Revokes a key; revoking twice is harmless and keeps the first revocation time.
pub async fn revoke_api_key(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    id: &ApiKeyId,
) -> Result<ApiKey, TenancyError> {
    require_tenant(store, tenant).await?;
    let key = match store.revoke_api_key(tenant, id, clock.now()).await {
        Ok(k) => k,
        Err(StoreError::NotFound { .. }) => {
            return Err(TenancyError::UnknownKey {
                tenant: tenant.clone(),
                id: id.to_string(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    audit(
        store,
        clock,
        actor,
        tenant,
        AuditAction::ApiKeyRevoke,
        id.as_str(),
        serde_json::json!({"prefix": key.prefix}),
    )
    .await?;
    Ok(key)
}

/// Sets a key's own rate limit (`None`: back to the `[limits] key` default), audited as
/// `apikey.update` with the limit before and after. A revoked key may be updated (it stays
/// refused).
pub async fn set_api_key_rate_limit(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    id: &ApiKeyId,
    rate_limit: Option<RateLimit>,
) -> Result<ApiKey, TenancyError> {
    require_tenant(store, tenant).await?;
    let unknown = || TenancyError::UnknownKey {
        tenant: tenant.clone(),
        id: id.to_string(),
    };
    let before = store
        .list_api_keys(tenant)
        .await?
        .into_iter()
        .find(|k| &k.id == id)
        .ok_or_else(unknown)?
        .rate_limit;
    let key = match store.set_api_key_rate_limit(tenant, id, rate_limit).await {
        Ok(k) => k,
        Err(StoreError::NotFound { .. }) => return Err(unknown()),
        Err(e) => return Err(e.into()),
    };
    let shown = |r: Option<RateLimit>| r.map(|r| r.to_string());
    audit(
        store,
        clock,
        actor,
        tenant,
        AuditAction::ApiKeyUpdate,
        id.as_str(),
        serde_json::json!({
            "prefix": key.prefix,
            "rate_limit": {"from": shown(before), "to": shown(key.rate_limit)},
        }),
    )
    .await?;
    Ok(key)
}

/// The active key matching `presented` (the raw `Bearer` token), or why not.
pub async fn authenticate(store: &dyn Store, presented: Option<&str>) -> Result<ApiKey, AuthError> {
    let hash = presented_hash(presented)?;
    // Lookup by hash: the comparison happens on a digest, so timing reveals nothing useful.
    let key = store
        .find_api_key_by_hash(&hash)
        .await?
        .ok_or(AuthError::Invalid)?;
    active(key)
}

/// The stored hash of a well-formed presented token.
fn presented_hash(presented: Option<&str>) -> Result<String, AuthError> {
    let presented = presented
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or(AuthError::Missing)?;
    if !presented.starts_with(KEY_PREFIX) {
        return Err(AuthError::Invalid);
    }
    Ok(hash_secret(presented))
}

fn active(key: ApiKey) -> Result<ApiKey, AuthError> {
    if key.is_active() {
        Ok(key)
    } else {
        Err(AuthError::Revoked)
    }
}

/// How long [`KeyCache`] trusts a key it read: a revocation or a rate-limit change reaches every
/// request of this process within this long.
pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// At most this many keys are kept; past that the cache starts again empty.
const KEY_CACHE_MAX: usize = 10_000;

/// `serve`'s API keys by hash, read from the store at most once per [`KEY_CACHE_TTL`] each, so
/// a request usually costs no store read to authenticate (issue 16). Only keys found are kept:
/// an unknown token always asks the store, and a flood of them cannot grow the cache past
/// [`KEY_CACHE_MAX`].
pub struct KeyCache {
    clock: std::sync::Arc<dyn Clock>,
    entries: std::sync::Mutex<std::collections::HashMap<String, (ApiKey, crate::clock::Timestamp)>>,
}

impl KeyCache {
    pub fn new(clock: std::sync::Arc<dyn Clock>) -> Self {
        KeyCache {
            clock,
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// [`authenticate`], answered from the cache while its entry is younger than the TTL.
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        presented: Option<&str>,
    ) -> Result<ApiKey, AuthError> {
        let hash = presented_hash(presented)?;
        let now = self.clock.now();
        let cached = self
            .lock()
            .get(&hash)
            .filter(|(_, read_at)| now.since(*read_at) < KEY_CACHE_TTL)
            .map(|(key, _)| key.clone());
        let key = match cached {
            Some(key) => key,
            None => {
                let key = store
                    .find_api_key_by_hash(&hash)
                    .await?
                    .ok_or(AuthError::Invalid)?;
                let mut entries = self.lock();
                if entries.len() >= KEY_CACHE_MAX {
                    entries.clear();
                }
                entries.insert(hash, (key.clone(), now));
                key
            }
        };
        active(key)
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<
        '_,
        std::collections::HashMap<String, (ApiKey, crate::clock::Timestamp)>,
    > {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Appends one operator action, without a reason, to the audit log.
pub async fn audit(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    action: AuditAction,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    audit_with_reason(
        store,
        clock,
        actor,
        tenant,
        Action {
            name: action,
            target,
            detail,
            reason: None,
        },
    )
    .await
}

/// One operator action as the audit log records it (the log adds the id, time and actor).
#[derive(Clone, Debug)]
pub struct Action<'a> {
    /// What was done (stored as `noun.verb`: `gateway.switch`, `breaker.open`).
    pub name: AuditAction,
    /// What it was done to: a gateway, a key id, a charge id.
    pub target: &'a str,
    /// The change in detail, e.g. `{"from":"stripe","to":"efi"}`.
    pub detail: serde_json::Value,
    /// Why, in the operator's words (see [`validate_reason`]).
    pub reason: Option<&'a str>,
}

/// Appends one operator action, with the operator's reason, to the audit log.
pub async fn audit_with_reason(
    log: &dyn AuditLog,
    clock: &dyn Clock,
    actor: &Actor,
    tenant: &TenantId,
    action: Action<'_>,
) -> Result<(), StoreError> {
    log.append_audit(&AuditEntry {
        id: AuditId::generate(),
        tenant: tenant.clone(),
        at: clock.now(),
        actor: actor.0.clone(),
        action: action.name,
        target: action.target.to_string(),
        detail: action.detail,
        reason: action.reason.map(str::to_string),
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::Arc;

    use crate::clock::{ManualClock, Timestamp};
    use crate::store::sqlite::SqliteStore;

    /// The cache answers from memory for a second, then reads again: a revocation is seen
    /// within [`KEY_CACHE_TTL`]; an unknown token is never remembered.
    #[tokio::test]
    async fn the_key_cache_sees_a_revocation_within_its_ttl_and_never_caches_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("payorch.db")).unwrap();
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(
            1_800_000_000_000,
        )));
        let actor = Actor("tester".into());
        let tenant = TenantId::default_tenant();
        ensure_default_tenant(&store, clock.as_ref()).await.unwrap();
        let cache = KeyCache::new(clock.clone());

        let never = "po_sk_0000000000000000000000000000000000000000000000";
        assert!(matches!(
            cache.authenticate(&store, Some(never)).await,
            Err(AuthError::Invalid)
        ));
        let issued = issue_api_key(&store, clock.as_ref(), &actor, &tenant, None)
            .await
            .unwrap();
        let secret = issued.secret.expose().to_string();
        let key = cache.authenticate(&store, Some(&secret)).await.unwrap();
        assert_eq!(key.id, issued.key.id, "a new key is found at once");

        revoke_api_key(&store, clock.as_ref(), &actor, &tenant, &key.id)
            .await
            .unwrap();
        clock.advance(std::time::Duration::from_millis(999));
        assert!(
            cache.authenticate(&store, Some(&secret)).await.is_ok(),
            "trusted for up to a second"
        );
        clock.advance(std::time::Duration::from_millis(1));
        assert!(matches!(
            cache.authenticate(&store, Some(&secret)).await,
            Err(AuthError::Revoked)
        ));
    }

    #[test]
    fn hash_is_sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
