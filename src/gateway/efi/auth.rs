//! Efí's authentication: the mTLS client certificate (a `.p12` with an empty password, or a
//! PEM with key and certificate) and the OAuth2 client-credentials token, cached until it
//! expires and refreshed by one caller at a time.
//!
//! A `.p12` is converted to PEM in Rust with the `p12-keystore` crate (pure Rust, reads both
//! the legacy PBE-SHA1-3DES/RC2 encryption OpenSSL and Efí have used and modern PBES2/AES), because
//! reqwest's `Identity::from_pkcs12_der` exists only with native-tls and payorch uses rustls.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::clock::{Clock, Timestamp};
use crate::gateway::GatewayError;
use crate::gateway::http::HttpClient;
use crate::model::{AttemptOutcome, GatewayId};
use crate::secret::Secret;

use super::wire::{error_from_reply, unreadable};

fn invalid(message: String) -> GatewayError {
    GatewayError::new(GatewayId::Efi, AttemptOutcome::Invalid, message)
}

/// Reads the client certificate at `path` into a reqwest identity. PEM (key + certificate) is
/// recognised by its `-----BEGIN`; anything else is read as PKCS#12 with an empty password.
/// Errors name the file, never its contents.
pub fn load_identity(path: &Path) -> Result<reqwest::Identity, GatewayError> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| invalid(format!("cannot read the Efí certificate {shown}: {e}")))?;
    let pem = if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        let text = String::from_utf8_lossy(&bytes);
        if !text.contains("PRIVATE KEY-----") || !text.contains("BEGIN CERTIFICATE-----") {
            return Err(invalid(format!(
                "the Efí certificate {shown} is PEM but lacks {}: it needs the private key and the certificate",
                if text.contains("PRIVATE KEY-----") {
                    "a certificate"
                } else {
                    "the private key"
                }
            )));
        }
        bytes
    } else {
        pkcs12_to_pem(&bytes).map_err(|why| {
            invalid(format!(
                "the Efí certificate {shown} is not a usable .p12 or PEM: {why}"
            ))
        })?
    };
    reqwest::Identity::from_pem(&pem).map_err(|e| {
        invalid(format!(
            "the Efí certificate {shown} has no usable key and certificate: {e}"
        ))
    })
}

/// A PKCS#12 archive (empty password) as PEM: the private key (PKCS#8), then the certificate
/// that belongs to it, then the rest of the chain.
fn pkcs12_to_pem(der: &[u8]) -> Result<Vec<u8>, String> {
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(der, "").map_err(|e| {
        let text = e.to_string();
        if text.to_ascii_lowercase().contains("mac") {
            "it is protected by a password (Efí issues certificates with an empty password; export it again without one, or as PEM)".to_string()
        } else {
            text
        }
    })?;
    let key = archive
        .keys
        .first()
        .ok_or_else(|| "it holds no private key".to_string())?;
    if archive.certs.is_empty() {
        return Err("it holds no certificate".into());
    }
    let belongs = |c: &&p12_keystore::CertificateBag| match (&key.local_key_id, &c.local_key_id) {
        (Some(k), Some(c)) => k.0 == *c,
        _ => false,
    };
    let mut certs: Vec<&p12_keystore::CertificateBag> =
        archive.certs.iter().filter(belongs).collect();
    certs.extend(archive.certs.iter().filter(|c| !belongs(c)));
    let mut pem = pem_block("PRIVATE KEY", key.key.as_der());
    for cert in certs {
        pem.push_str(&pem_block("CERTIFICATE", cert.cert.as_der()));
    }
    Ok(pem.into_bytes())
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A bearer token and when payorch stops using it.
#[derive(Clone)]
struct CachedToken {
    token: Secret,
    renew_at: Timestamp,
}

/// Renew this long before Efí's expiry, so a token never expires in flight (at most half of
/// its lifetime, for very short-lived tokens).
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);

/// `POST /oauth/token` answer.
#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The OAuth2 token for one Efí application. The async mutex is held across the token request
/// on purpose: concurrent callers wait for the one refresh instead of stampeding `/oauth/token`.
pub(super) struct TokenSource {
    url: String,
    client_id: Secret,
    client_secret: Secret,
    clock: Arc<dyn Clock>,
    cached: Mutex<Option<CachedToken>>,
}

impl TokenSource {
    /// A token source for the token route at `url` (the Pix API's `/oauth/token`, the API
    /// Cobranças' `/v1/authorize`).
    pub(super) fn new(
        url: String,
        client_id: Secret,
        client_secret: Secret,
        clock: Arc<dyn Clock>,
    ) -> Self {
        TokenSource {
            url,
            client_id,
            client_secret,
            clock,
            cached: Mutex::new(None),
        }
    }

    /// The cached token, or a fresh one when there is none or it is about to expire.
    pub(super) async fn token(&self, http: &HttpClient) -> Result<Secret, GatewayError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && self.clock.now() < c.renew_at
        {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch(http).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// A new token after Efí refused `stale` with 401. When another caller already replaced
    /// `stale`, its token is used: one 401 wave makes one refresh.
    pub(super) async fn refresh(
        &self,
        http: &HttpClient,
        stale: &Secret,
    ) -> Result<Secret, GatewayError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && c.token != *stale
            && self.clock.now() < c.renew_at
        {
            return Ok(c.token.clone());
        }
        *cached = None;
        let fresh = self.fetch(http).await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    async fn fetch(&self, http: &HttpClient) -> Result<CachedToken, GatewayError> {
        const WHAT: &str = "Efí token request";
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.client_id.expose(),
            self.client_secret.expose()
        ));
        let request = http
            .client()
            .post(&self.url)
            .header(::http::header::AUTHORIZATION, format!("Basic {basic}"))
            .header(::http::header::CONTENT_TYPE, "application/json")
            .body(r#"{"grant_type":"client_credentials"}"#);
        let reply = super::transport::send(request).await?;
        if !reply.is_success() {
            return Err(error_from_reply(WHAT, &reply));
        }
        let parsed: TokenReply =
            serde_json::from_slice(&reply.body).map_err(|e| unreadable(WHAT, e, reply.status))?;
        if parsed.access_token.is_empty() {
            return Err(unreadable(WHAT, "empty access_token", reply.status));
        }
        // Efí issues tokens for 3600 s; without `expires_in`, assume a short life.
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(60));
        let margin = EXPIRY_MARGIN.min(lifetime / 2);
        Ok(CachedToken {
            token: Secret::new(parsed.access_token),
            renew_at: self.clock.now().plus(lifetime - margin),
        })
    }
}
