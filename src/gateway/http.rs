//! The HTTP plumbing adapters share: building a rustls client with connect and total
//! timeouts, sending a request, and classifying transport failures by whether the request
//! may have reached the gateway (rule 3).
//!
//! Each adapter owns one [`HttpClient`] built once and shared by every call to that gateway, so
//! connections are pooled and reused. (One client per gateway rather than one for all: the
//! connect timeout is per client in reqwest, and Efí needs its own client certificate.)

use std::sync::Once;
use std::time::Duration;

use crate::model::{AttemptOutcome, GatewayId};

use super::GatewayError;

/// Connect and total timeouts for one gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP + TLS handshake. A call that times out here was never sent: safe to fail over.
    pub connect: Duration,
    /// The whole call. A call that times out after connecting is ambiguous.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            total: Duration::from_secs(15),
        }
    }
}

/// A gateway's answer at the HTTP level, before the adapter reads it.
#[derive(Clone, Debug)]
pub struct HttpReply {
    pub status: u16,
    pub headers: ::http::HeaderMap,
    pub body: Vec<u8>,
}

impl HttpReply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One pooled HTTP client for one gateway.
#[derive(Clone, Debug)]
pub struct HttpClient {
    gateway: GatewayId,
    client: reqwest::Client,
}

static CRYPTO: Once = Once::new();

/// rustls needs one process-wide crypto provider; payorch uses ring.
pub fn install_crypto_provider() {
    CRYPTO.call_once(|| {
        // Err means another part of the process installed one first: that one serves.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl HttpClient {
    /// A client for `gateway` with these timeouts and, for mTLS, a client identity.
    pub fn new(
        gateway: GatewayId,
        timeouts: Timeouts,
        identity: Option<reqwest::Identity>,
        extra_roots: Vec<reqwest::Certificate>,
    ) -> Result<HttpClient, GatewayError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .tls_backend_rustls()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("payorch/", env!("CARGO_PKG_VERSION")));
        if let Some(identity) = identity {
            builder = builder.identity(identity);
        }
        for root in extra_roots {
            builder = builder.add_root_certificate(root);
        }
        let client = builder.build().map_err(|e| {
            GatewayError::new(
                gateway,
                AttemptOutcome::Invalid,
                format!("cannot build the HTTP client: {e}"),
            )
        })?;
        Ok(HttpClient { gateway, client })
    }

    /// The underlying client, to build requests with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request` and reads the whole body. Transport failures come back classified;
    /// HTTP error statuses come back as a reply for the adapter to read.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<HttpReply, GatewayError> {
        let response = request
            .send()
            .await
            .map_err(|e| classify(self.gateway, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| classify(self.gateway, &e).with_status(status))?;
        Ok(HttpReply {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

/// The outcome class of a transport failure: not sent only when the connection was never
/// established (refused, DNS, TLS handshake, connect timeout); anything later is ambiguous.
pub fn classify(gateway: GatewayId, e: &reqwest::Error) -> GatewayError {
    let outcome = if e.is_builder() {
        AttemptOutcome::Invalid
    } else if e.is_connect() {
        AttemptOutcome::UnavailableNotSent
    } else {
        AttemptOutcome::UnavailableAmbiguous
    };
    let what = if e.is_connect() && e.is_timeout() {
        "connect timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out waiting for the answer"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    // reqwest's Display includes the URL, which never carries a secret in payorch's adapters
    // (credentials travel in headers or bodies).
    let mut source = String::new();
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cause {
        source = c.to_string();
        cause = c.source();
    }
    let message = if source.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {source}")
    };
    GatewayError::new(gateway, outcome, message)
}

/// The default class of an HTTP error status (adapters refine with the body):
/// 401/403 auth, 429 rate-limited, 408 and 5xx ambiguous, other 4xx invalid.
pub fn classify_status(status: u16) -> AttemptOutcome {
    match status {
        200..=299 => AttemptOutcome::Success,
        401 | 403 => AttemptOutcome::Auth,
        429 => AttemptOutcome::RateLimited,
        408 | 500..=599 => AttemptOutcome::UnavailableAmbiguous,
        _ => AttemptOutcome::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_rule_3() {
        assert_eq!(classify_status(201), AttemptOutcome::Success);
        assert_eq!(classify_status(401), AttemptOutcome::Auth);
        assert_eq!(classify_status(403), AttemptOutcome::Auth);
        assert_eq!(classify_status(429), AttemptOutcome::RateLimited);
        assert_eq!(classify_status(400), AttemptOutcome::Invalid);
        assert_eq!(classify_status(404), AttemptOutcome::Invalid);
        assert_eq!(classify_status(500), AttemptOutcome::UnavailableAmbiguous);
        assert_eq!(classify_status(503), AttemptOutcome::UnavailableAmbiguous);
    }

    #[tokio::test]
    async fn refused_connection_is_not_sent() {
        // Bind then drop a listener: the port is free and nothing listens on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let http = HttpClient::new(GatewayId::Stripe, Timeouts::default(), None, vec![]).unwrap();
        let err = http
            .send(http.client().get(format!("http://127.0.0.1:{port}/")))
            .await
            .unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::UnavailableNotSent, "{err}");
    }

    #[tokio::test]
    async fn a_timeout_after_sending_is_ambiguous() {
        // A server that accepts, reads the request, and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut sock, &mut buf).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let timeouts = Timeouts {
            connect: Duration::from_secs(5),
            total: Duration::from_millis(300),
        };
        let http = HttpClient::new(GatewayId::Efi, timeouts, None, vec![]).unwrap();
        let err = http
            .send(
                http.client()
                    .post(format!("http://{addr}/v2/cob"))
                    .body("{}"),
            )
            .await
            .unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
        assert!(err.message.contains("timed out"), "{err}");
        server.abort();
    }
}
