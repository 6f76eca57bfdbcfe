//! A tenant's webhook endpoint: where its events go and the secrets that sign them.
//!
//! Stored as one [`StateStore`] document per tenant (kind `webhook_endpoint`, name `default`)
//! and changed only by conditional writes, so two operators (or an operator and the delivery
//! worker disabling the endpoint after a 410) never overwrite each other's change. The signing
//! secrets are stored in that document encrypted with the data key ([`crate::datakey`]), bound
//! to the tenant, so the database file alone does not give them away; in memory they live in
//! [`Secret`] and are never printed, logged or serialized by `Debug`/`Serialize`.
//!
//! Writes work on the stored (encrypted) values: changing the URL, enabling or disabling never
//! needs the key, and a rotation moves the current value to `previous_secret` as it is. A
//! rotation whose current secret cannot be decrypted (its data key is lost) drops it instead of
//! keeping it for an overlap: that is how an operator recovers from a lost key. Every write
//! leaves both values under the current key (re-encrypting, and encrypting one an older payorch
//! wrote in clear), and is refused, with nothing written, unless the result decrypts.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::datakey::{DataKeyError, DataKeys};
use crate::model::TenantId;
use crate::secret::Secret;
use crate::store::{Expect, StateDoc, StateKey, StateKind, StateStore, StoreError};

use super::signing::{self, SignatureError};
use crate::egress::{self as target, TargetError, TargetPolicy};

/// The state document kind (one endpoint per tenant for now: [`StateDoc::WebhookEndpoint`]).
pub const KIND: StateKind = StateKind::WebhookEndpoint;
/// How many times a conditional write is retried after losing a race.
const WRITE_ATTEMPTS: usize = 5;

/// Why an endpoint operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The URL breaks the outbound policy ([`super::target`]); the message names the field.
    #[error("url: {0}")]
    BadUrl(#[from] TargetError),
    #[error(
        "tenant `{0}` has no webhook endpoint: set one with `payorch webhook endpoint set <url>`"
    )]
    NotConfigured(TenantId),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A signing secret cannot be encrypted or decrypted (e.g. its data key is missing).
    #[error("tenant `{tenant}`'s webhook signing secret: {source}")]
    DataKey {
        tenant: TenantId,
        source: DataKeyError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A tenant's endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    /// Signs every delivery.
    pub secret: Secret,
    /// The secret before the last rotation: also signs deliveries until `overlap_until`.
    pub previous_secret: Option<Secret>,
    pub overlap_until: Option<Timestamp>,
    /// Deliveries wait (they are kept, not dropped) while this is false.
    pub enabled: bool,
    /// Why it was disabled, e.g. `410 Gone at …`.
    pub disabled_reason: Option<String>,
    pub updated_at: Timestamp,
}

impl Endpoint {
    /// The secrets that sign a delivery at `now`: the current one, and the previous one while
    /// the rotation's overlap lasts.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&Secret> {
        let mut secrets = vec![&self.secret];
        if let (Some(prev), Some(until)) = (&self.previous_secret, self.overlap_until)
            && now < until
        {
            secrets.push(prev);
        }
        secrets
    }
}

/// How many characters of a masked secret are shown (`whsec_C2FV…`).
pub const MASK_CHARS: usize = 10;

/// An endpoint's secrets as whoever reads the endpoint sees them (`payorch webhook endpoint
/// show`, `GET /v1/webhook_endpoint`): masked unless revealed, and the previous secret (with
/// the end of its overlap) only while the overlap lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub secret: String,
    pub previous_secret: Option<String>,
    pub overlap_until: Option<Timestamp>,
}

/// A secret in full when `reveal`, else its first [`MASK_CHARS`] characters and an ellipsis.
pub fn show_secret(s: &Secret, reveal: bool) -> String {
    if reveal {
        s.expose().to_string()
    } else {
        s.hint(MASK_CHARS)
    }
}

impl Endpoint {
    /// The secrets as shown at `now` ([`Shown`]).
    pub fn shown(&self, reveal: bool, now: Timestamp) -> Shown {
        let overlapping = self.overlap_until.is_some_and(|u| now < u);
        Shown {
            secret: show_secret(&self.secret, reveal),
            previous_secret: self
                .previous_secret
                .as_ref()
                .filter(|_| overlapping)
                .map(|s| show_secret(s, reveal)),
            overlap_until: self.overlap_until.filter(|_| overlapping),
        }
    }
}

/// The document as stored: the secrets encrypted ([`crate::datakey`] format; in clear when an
/// older payorch wrote it).
#[derive(Clone, Serialize, Deserialize)]
struct Doc {
    url: String,
    secret: String,
    #[serde(default)]
    previous_secret: Option<String>,
    #[serde(default)]
    overlap_until: Option<Timestamp>,
    enabled: bool,
    #[serde(default)]
    disabled_reason: Option<String>,
    updated_at: Timestamp,
}

/// What a tenant's secrets are bound to: one tenant's value does not decrypt as another's.
fn context(tenant: &TenantId) -> String {
    format!("payorch/{KIND}/{tenant}")
}

fn key_error(tenant: &TenantId) -> impl Fn(DataKeyError) -> EndpointError + '_ {
    move |source| EndpointError::DataKey {
        tenant: tenant.clone(),
        source,
    }
}

impl Doc {
    /// The endpoint with its secrets decrypted.
    fn open(&self, keys: &DataKeys, tenant: &TenantId) -> Result<Endpoint, EndpointError> {
        let aad = context(tenant);
        let open = |v: &str| keys.open(v, &aad).map_err(key_error(tenant));
        Ok(Endpoint {
            url: self.url.clone(),
            secret: open(&self.secret)?,
            previous_secret: self.previous_secret.as_deref().map(open).transpose()?,
            overlap_until: self.overlap_until,
            enabled: self.enabled,
            disabled_reason: self.disabled_reason.clone(),
            updated_at: self.updated_at,
        })
    }

    /// Both secrets under the current data key.
    fn resealed(self, keys: &DataKeys, tenant: &TenantId) -> Result<Doc, EndpointError> {
        let aad = context(tenant);
        let reseal = |v: &str| keys.reseal(v, &aad).map_err(key_error(tenant));
        Ok(Doc {
            secret: reseal(&self.secret)?,
            previous_secret: self.previous_secret.as_deref().map(reseal).transpose()?,
            ..self
        })
    }
}

fn key(tenant: &TenantId) -> StateKey {
    StateDoc::WebhookEndpoint.key(tenant)
}

/// Checks a merchant's URL against the outbound policy ([`target::check_url`]): absolute
/// https (http only with the allowance), no credentials, no host known to be local.
pub fn validate_url(url: &str, policy: TargetPolicy) -> Result<String, EndpointError> {
    target::check_url(url, policy)?;
    Ok(url.trim().to_string())
}

/// The tenant's endpoint and its document version, if one is set.
pub async fn get(
    store: &dyn StateStore,
    keys: &DataKeys,
    tenant: &TenantId,
) -> Result<Option<(Endpoint, u64)>, EndpointError> {
    match get_doc(store, tenant).await? {
        Some((doc, version)) => Ok(Some((doc.open(keys, tenant)?, version))),
        None => Ok(None),
    }
}

/// The stored document and its version, secrets still encrypted.
async fn get_doc(
    store: &dyn StateStore,
    tenant: &TenantId,
) -> Result<Option<(Doc, u64)>, EndpointError> {
    let Some(v) = store.get_state(&key(tenant)).await? else {
        return Ok(None);
    };
    let doc: Doc = serde_json::from_value(v.value)
        .map_err(|e| StoreError::Corrupt(format!("webhook endpoint of tenant `{tenant}`: {e}")))?;
    Ok(Some((doc, v.version)))
}

/// The data key id the tenant's current signing secret is stored under: `Some(None)` when an
/// older payorch stored it in clear, `None` when the tenant has no endpoint. Decrypts nothing.
pub async fn stored_key_id(
    store: &dyn StateStore,
    tenant: &TenantId,
) -> Result<Option<Option<String>>, EndpointError> {
    Ok(get_doc(store, tenant)
        .await?
        .map(|(doc, _)| crate::datakey::key_id_of(&doc.secret).map(str::to_string)))
}

/// Puts every tenant's stored secrets under the current data key (the middle step of
/// `payorch datakey rotate`); returns how many endpoints were rewritten. Stops at the first
/// endpoint it cannot decrypt, naming it.
pub async fn reseal_all(
    store: &dyn StateStore,
    keys: &DataKeys,
    tenants: &[TenantId],
) -> Result<usize, EndpointError> {
    let current = keys
        .current()
        .map_err(key_error(&TenantId::default_tenant()))?;
    let current = current.as_ref().map(|k| k.id().to_string());
    let mut rewritten = 0;
    for tenant in tenants {
        let Some((doc, _)) = get_doc(store, tenant).await? else {
            continue;
        };
        let stale = |v: &str| crate::datakey::key_id_of(v) != current.as_deref();
        if stale(&doc.secret) || doc.previous_secret.as_deref().is_some_and(stale) {
            update(store, keys, tenant, |d| {
                d.ok_or_else(|| EndpointError::NotConfigured(tenant.clone()))
            })
            .await?;
            rewritten += 1;
        }
    }
    Ok(rewritten)
}

/// Reads, changes and conditionally writes the endpoint, retrying when another writer won.
/// `change` gets the stored document (or `None`) and returns the new one; its secrets are then
/// put under the current data key, and nothing is written unless they decrypt.
async fn update<F>(
    store: &dyn StateStore,
    keys: &DataKeys,
    tenant: &TenantId,
    mut change: F,
) -> Result<Endpoint, EndpointError>
where
    F: FnMut(Option<Doc>) -> Result<Doc, EndpointError>,
{
    let mut last = None;
    for _ in 0..WRITE_ATTEMPTS {
        let current = get_doc(store, tenant).await?;
        let expect = current
            .as_ref()
            .map_or(Expect::Absent, |(_, v)| Expect::Version(*v));
        let next = change(current.map(|(d, _)| d))?.resealed(keys, tenant)?;
        let endpoint = next.open(keys, tenant)?;
        let value = serde_json::to_value(&next)
            .map_err(|e| StoreError::Backend(format!("cannot encode the endpoint: {e}")))?;
        match store.put_state(&key(tenant), &value, expect).await {
            Ok(_) => return Ok(endpoint),
            Err(e @ (StoreError::Conflict { .. } | StoreError::AlreadyExists { .. })) => {
                last = Some(e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last
        .unwrap_or_else(|| StoreError::Unavailable("endpoint update kept conflicting".into()))
        .into())
}

/// Sets the endpoint's URL (enabling it), once it passes the outbound `policy` (nothing is
/// written otherwise). A new endpoint gets a fresh secret, returned as the second value so it
/// can be shown once; an existing one keeps its secrets.
pub async fn set(
    store: &dyn StateStore,
    keys: &DataKeys,
    tenant: &TenantId,
    url: &str,
    policy: TargetPolicy,
    now: Timestamp,
) -> Result<(Endpoint, bool), EndpointError> {
    let url = validate_url(url, policy)?;
    // Sealed at once: the fresh secret is never held in a document in clear.
    let fresh = keys
        .seal(&signing::generate_secret()?, &context(tenant))
        .map_err(key_error(tenant))?;
    let mut created = false;
    let endpoint = update(store, keys, tenant, |current| {
        created = current.is_none();
        Ok(match current {
            Some(e) => Doc {
                url: url.clone(),
                enabled: true,
                disabled_reason: None,
                updated_at: now,
                ..e
            },
            None => Doc {
                url: url.clone(),
                secret: fresh.clone(),
                previous_secret: None,
                overlap_until: None,
                enabled: true,
                disabled_reason: None,
                updated_at: now,
            },
        })
    })
    .await?;
    Ok((endpoint, created))
}

/// Re-enables deliveries (after a 410 disabled them).
pub async fn enable(
    store: &dyn StateStore,
    keys: &DataKeys,
    tenant: &TenantId,
    now: Timestamp,
) -> Result<Endpoint, EndpointError> {
    update(store, keys, tenant, |current| {
        let e = current.ok_or_else(|| EndpointError::NotConfigured(tenant.clone()))?;
        Ok(Doc {
            enabled: true,
            disabled_reason: None,
            updated_at: now,
            ..e
        })
    })
    .await
}

/// Stops deliveries (they are kept and flow again once enabled), saying why.
pub async fn disable(
    store: &dyn StateStore,
    keys: &DataKeys,
    tenant: &TenantId,
    reason: &str,
    now: Timestamp,
) -> Result<Endpoint, EndpointError> {
    update(store, keys, tenant, |current| {
        let e = current.ok_or_else(|| EndpointError::NotConfigured(tenant.clone()))?;
        Ok(Doc {
            enabled: false,
            disabled_reason: Some(reason.to_string()),
            updated_at: now,
            ..e
        })
    })
    .await
}

/// Replaces the signing secret with a fresh one; the old one keeps signing too for `overlap`,
/// so the merchant can switch without rejecting deliveries. Returns the endpoint (its `secret`
/// is the new one, to be shown once). A current secret whose data key is missing cannot sign
/// during an overlap: it is dropped, which is how an endpoint recovers from a lost key.
pub async fn rotate_secret(
    store: &dyn StateStore,
    keys: &DataKeys,
    tenant: &TenantId,
    overlap: Duration,
    now: Timestamp,
) -> Result<Endpoint, EndpointError> {
    let aad = context(tenant);
    let fresh = keys
        .seal(&signing::generate_secret()?, &aad)
        .map_err(key_error(tenant))?;
    update(store, keys, tenant, |current| {
        let e = current.ok_or_else(|| EndpointError::NotConfigured(tenant.clone()))?;
        let readable = match keys.open(&e.secret, &aad) {
            Ok(_) => true,
            Err(DataKeyError::Missing { key_id, .. }) => {
                tracing::warn!(%tenant, %key_id, "the old webhook signing secret's data key is missing: it is dropped, not kept for an overlap");
                false
            }
            Err(source) => return Err(EndpointError::DataKey { tenant: tenant.clone(), source }),
        };
        let overlapping = !overlap.is_zero() && readable;
        Ok(Doc {
            previous_secret: overlapping.then(|| e.secret.clone()),
            overlap_until: overlapping.then(|| now.plus(overlap)),
            secret: fresh.clone(),
            updated_at: now,
            ..e
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datakey::DataKey;
    use crate::store::sqlite::SqliteStore;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_millis(s * 1000)
    }

    #[tokio::test]
    async fn set_enable_disable_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("payorch.db")).unwrap();
        let keys = DataKeys::in_memory(vec![DataKey::generate().unwrap()]);
        let keys = &keys;
        let tenant = TenantId::default_tenant();
        assert!(get(&store, keys, &tenant).await.unwrap().is_none());
        assert!(matches!(
            set(
                &store,
                keys,
                &tenant,
                "ftp://x",
                TargetPolicy::ALLOW_PRIVATE,
                t(1)
            )
            .await,
            Err(EndpointError::BadUrl(_))
        ));
        for url in ["https://10.0.0.1/hook", "http://shop.example/h"] {
            let e = set(&store, keys, &tenant, url, TargetPolicy::STRICT, t(1))
                .await
                .unwrap_err();
            assert!(e.to_string().starts_with("url: "), "{e}");
        }
        assert!(
            get(&store, keys, &tenant).await.unwrap().is_none(),
            "nothing written"
        );
        assert!(matches!(
            enable(&store, keys, &tenant, t(1)).await,
            Err(EndpointError::NotConfigured(_))
        ));
        let (e, created) = set(
            &store,
            keys,
            &tenant,
            "http://127.0.0.1:9/hook",
            TargetPolicy::ALLOW_PRIVATE,
            t(1),
        )
        .await
        .unwrap();
        assert!(created && e.enabled);
        signing::validate_secret(&e.secret).unwrap();
        let (e2, created) = set(
            &store,
            keys,
            &tenant,
            "https://example.com/h",
            TargetPolicy::STRICT,
            t(2),
        )
        .await
        .unwrap();
        assert!(!created);
        assert_eq!(e2.secret, e.secret, "changing the URL keeps the secret");

        let d = disable(&store, keys, &tenant, "410 Gone", t(3))
            .await
            .unwrap();
        assert!(!d.enabled);
        let (read, _) = get(&store, keys, &tenant).await.unwrap().unwrap();
        assert_eq!(read, d);
        assert!(enable(&store, keys, &tenant, t(4)).await.unwrap().enabled);

        let r = rotate_secret(&store, keys, &tenant, Duration::from_secs(3600), t(10))
            .await
            .unwrap();
        assert_ne!(r.secret, e.secret);
        assert_eq!(r.previous_secret.as_ref(), Some(&e.secret));
        assert_eq!(r.signing_secrets(t(11)).len(), 2);
        assert_eq!(r.signing_secrets(t(10 + 3600)), vec![&r.secret]);
        let r = rotate_secret(&store, keys, &tenant, Duration::ZERO, t(20))
            .await
            .unwrap();
        assert!(r.previous_secret.is_none());
        // Secrets never show in Debug.
        assert!(!format!("{r:?}").contains("whsec_"));
    }

    #[tokio::test]
    async fn secrets_are_stored_encrypted_and_a_lost_key_is_recovered_by_rotating() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("payorch.db")).unwrap();
        let tenant = TenantId::default_tenant();
        let old = DataKeys::in_memory(vec![DataKey::generate().unwrap()]);
        let (e, _) = set(
            &store,
            &old,
            &tenant,
            "https://example.com/h",
            TargetPolicy::STRICT,
            t(1),
        )
        .await
        .unwrap();
        let stored = store.get_state(&key(&tenant)).await.unwrap().unwrap().value;
        let text = stored.to_string();
        assert!(
            !text.contains(e.secret.expose()) && !text.contains("whsec_"),
            "{text}"
        );
        assert!(stored["secret"].as_str().unwrap().starts_with("enc:v1:"));
        // Copied into another tenant's document, it does not decrypt.
        let other = TenantId::parse("other").unwrap();
        store
            .put_state(&key(&other), &stored, Expect::Absent)
            .await
            .unwrap();
        assert!(matches!(
            get(&store, &old, &other).await,
            Err(EndpointError::DataKey {
                source: DataKeyError::Tampered { .. },
                ..
            })
        ));

        // Another process without that key: every read and write names the key, writes nothing.
        let new = DataKeys::in_memory(vec![DataKey::generate().unwrap()]);
        let err = get(&store, &new, &tenant).await.unwrap_err().to_string();
        let id = old.current().unwrap().unwrap().id().to_string();
        assert!(
            err.contains(&id) && err.contains("PAYORCH_DATA_KEY"),
            "{err}"
        );
        assert!(enable(&store, &new, &tenant, t(2)).await.is_err());
        assert_eq!(
            store
                .get_state(&key(&tenant))
                .await
                .unwrap()
                .unwrap()
                .version,
            1
        );
        // A rotation recovers it: the unreadable secret is dropped, even with an overlap.
        let r = rotate_secret(&store, &new, &tenant, Duration::from_secs(3600), t(3))
            .await
            .unwrap();
        assert!(r.previous_secret.is_none());
        assert_eq!(get(&store, &new, &tenant).await.unwrap().unwrap().0, r);

        // A document an older payorch wrote in clear is read, and encrypted at the next write.
        let clear = serde_json::json!({"url": "https://example.com/h", "secret": "whsec_b2xk",
            "enabled": true, "updated_at": t(1)});
        let legacy = TenantId::parse("legacy").unwrap();
        store
            .put_state(&key(&legacy), &clear, Expect::Absent)
            .await
            .unwrap();
        let (e, _) = get(&store, &new, &legacy).await.unwrap().unwrap();
        assert_eq!(e.secret.expose(), "whsec_b2xk");
        assert_eq!(
            reseal_all(&store, &new, &[legacy.clone(), tenant.clone()])
                .await
                .unwrap(),
            1
        );
        let stored = store.get_state(&key(&legacy)).await.unwrap().unwrap().value;
        assert!(!stored.to_string().contains("whsec_b2xk"));
        assert_eq!(
            get(&store, &new, &legacy)
                .await
                .unwrap()
                .unwrap()
                .0
                .secret
                .expose(),
            "whsec_b2xk"
        );
    }
}
