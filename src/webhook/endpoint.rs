//! A tenant's webhook endpoint: where its events go and the secrets that sign them.
//!
//! Stored as one [`StateStore`] document per tenant (kind `webhook_endpoint`, name `default`)
//! and changed only by conditional writes, so two operators (or an operator and the delivery
//! worker disabling the endpoint after a 410) never overwrite each other's change. The signing
//! secrets are stored in that document (the worker needs them to sign); in memory they live in
//! [`Secret`] and are never printed, logged or serialized by `Debug`/`Serialize`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::model::TenantId;
use crate::secret::Secret;
use crate::store::{Expect, StateKey, StateStore, StoreError};

use super::signing::{self, SignatureError};
use super::target::{self, TargetError, TargetPolicy};

/// The state document kind.
pub const KIND: &str = "webhook_endpoint";
/// The state document name (one endpoint per tenant for now).
pub const NAME: &str = "default";
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

/// The document as stored: the secrets in clear (a [`Secret`] serializes as `***`).
#[derive(Serialize, Deserialize)]
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

impl From<&Endpoint> for Doc {
    fn from(e: &Endpoint) -> Doc {
        Doc {
            url: e.url.clone(),
            secret: e.secret.expose().to_string(),
            previous_secret: e.previous_secret.as_ref().map(|s| s.expose().to_string()),
            overlap_until: e.overlap_until,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            updated_at: e.updated_at,
        }
    }
}

impl From<Doc> for Endpoint {
    fn from(d: Doc) -> Endpoint {
        Endpoint {
            url: d.url,
            secret: Secret::new(d.secret),
            previous_secret: d.previous_secret.map(Secret::new),
            overlap_until: d.overlap_until,
            enabled: d.enabled,
            disabled_reason: d.disabled_reason,
            updated_at: d.updated_at,
        }
    }
}

fn key(tenant: &TenantId) -> StateKey {
    StateKey {
        tenant: tenant.clone(),
        kind: KIND.into(),
        name: NAME.into(),
    }
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
    tenant: &TenantId,
) -> Result<Option<(Endpoint, u64)>, EndpointError> {
    let Some(v) = store.get_state(&key(tenant)).await? else {
        return Ok(None);
    };
    let doc: Doc = serde_json::from_value(v.value)
        .map_err(|e| StoreError::Corrupt(format!("webhook endpoint of tenant `{tenant}`: {e}")))?;
    Ok(Some((doc.into(), v.version)))
}

/// Reads, changes and conditionally writes the endpoint, retrying when another writer won.
/// `change` gets the current endpoint (or `None`) and returns the new one.
async fn update<F>(
    store: &dyn StateStore,
    tenant: &TenantId,
    mut change: F,
) -> Result<Endpoint, EndpointError>
where
    F: FnMut(Option<Endpoint>) -> Result<Endpoint, EndpointError>,
{
    let mut last = None;
    for _ in 0..WRITE_ATTEMPTS {
        let current = get(store, tenant).await?;
        let expect = current
            .as_ref()
            .map_or(Expect::Absent, |(_, v)| Expect::Version(*v));
        let next = change(current.map(|(e, _)| e))?;
        let value = serde_json::to_value(Doc::from(&next))
            .map_err(|e| StoreError::Backend(format!("cannot encode the endpoint: {e}")))?;
        match store.put_state(&key(tenant), &value, expect).await {
            Ok(_) => return Ok(next),
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
    tenant: &TenantId,
    url: &str,
    policy: TargetPolicy,
    now: Timestamp,
) -> Result<(Endpoint, bool), EndpointError> {
    let url = validate_url(url, policy)?;
    let fresh = signing::generate_secret()?;
    let mut created = false;
    let endpoint = update(store, tenant, |current| {
        created = current.is_none();
        Ok(match current {
            Some(e) => Endpoint {
                url: url.clone(),
                enabled: true,
                disabled_reason: None,
                updated_at: now,
                ..e
            },
            None => Endpoint {
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
    tenant: &TenantId,
    now: Timestamp,
) -> Result<Endpoint, EndpointError> {
    update(store, tenant, |current| {
        let e = current.ok_or_else(|| EndpointError::NotConfigured(tenant.clone()))?;
        Ok(Endpoint {
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
    tenant: &TenantId,
    reason: &str,
    now: Timestamp,
) -> Result<Endpoint, EndpointError> {
    update(store, tenant, |current| {
        let e = current.ok_or_else(|| EndpointError::NotConfigured(tenant.clone()))?;
        Ok(Endpoint {
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
/// is the new one, to be shown once).
pub async fn rotate_secret(
    store: &dyn StateStore,
    tenant: &TenantId,
    overlap: Duration,
    now: Timestamp,
) -> Result<Endpoint, EndpointError> {
    let fresh = signing::generate_secret()?;
    update(store, tenant, |current| {
        let e = current.ok_or_else(|| EndpointError::NotConfigured(tenant.clone()))?;
        let overlapping = !overlap.is_zero();
        Ok(Endpoint {
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
    use crate::store::sqlite::SqliteStore;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_millis(s * 1000)
    }

    #[tokio::test]
    async fn set_enable_disable_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("payorch.db")).unwrap();
        let tenant = TenantId::default_tenant();
        assert!(get(&store, &tenant).await.unwrap().is_none());
        assert!(matches!(
            set(
                &store,
                &tenant,
                "ftp://x",
                TargetPolicy::ALLOW_PRIVATE,
                t(1)
            )
            .await,
            Err(EndpointError::BadUrl(_))
        ));
        for url in ["https://10.0.0.1/hook", "http://shop.example/h"] {
            let e = set(&store, &tenant, url, TargetPolicy::STRICT, t(1))
                .await
                .unwrap_err();
            assert!(e.to_string().starts_with("url: "), "{e}");
        }
        assert!(
            get(&store, &tenant).await.unwrap().is_none(),
            "nothing written"
        );
        assert!(matches!(
            enable(&store, &tenant, t(1)).await,
            Err(EndpointError::NotConfigured(_))
        ));
        let (e, created) = set(
            &store,
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
            &tenant,
            "https://example.com/h",
            TargetPolicy::STRICT,
            t(2),
        )
        .await
        .unwrap();
        assert!(!created);
        assert_eq!(e2.secret, e.secret, "changing the URL keeps the secret");

        let d = disable(&store, &tenant, "410 Gone", t(3)).await.unwrap();
        assert!(!d.enabled);
        let (read, _) = get(&store, &tenant).await.unwrap().unwrap();
        assert_eq!(read, d);
        assert!(enable(&store, &tenant, t(4)).await.unwrap().enabled);

        let r = rotate_secret(&store, &tenant, Duration::from_secs(3600), t(10))
            .await
            .unwrap();
        assert_ne!(r.secret, e.secret);
        assert_eq!(r.previous_secret.as_ref(), Some(&e.secret));
        assert_eq!(r.signing_secrets(t(11)).len(), 2);
        assert_eq!(r.signing_secrets(t(10 + 3600)), vec![&r.secret]);
        let r = rotate_secret(&store, &tenant, Duration::ZERO, t(20))
            .await
            .unwrap();
        assert!(r.previous_secret.is_none());
        // Secrets never show in Debug.
        assert!(!format!("{r:?}").contains("whsec_"));
    }
}
