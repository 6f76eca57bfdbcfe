//! Sending a request to Efí and classifying transport failures: `http::classify`, refined for
//! mTLS. With TLS 1.3 a client finishes its handshake before the server has checked the client
//! certificate, so a refused certificate surfaces as a fatal alert on the first read, after the
//! request was written. The server aborted the handshake and processed nothing: that is
//! *unavailable-not-sent*, not ambiguous (rule 3).

use std::error::Error;

use rustls::AlertDescription;

use crate::gateway::GatewayError;
use crate::gateway::http::{HttpReply, classify};
use crate::model::{AttemptOutcome, GatewayId};

/// Sends `request` and reads the whole body; HTTP error statuses come back as a reply.
pub(super) async fn send(request: reqwest::RequestBuilder) -> Result<HttpReply, GatewayError> {
    let response = request.send().await.map_err(|e| classify_transport(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| classify_transport(&e).with_status(status))?;
    Ok(HttpReply {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// The class of a transport failure at Efí.
pub fn classify_transport(e: &reqwest::Error) -> GatewayError {
    let mut err = classify(GatewayId::Efi, e);
    if err.outcome == AttemptOutcome::UnavailableAmbiguous && handshake_refused(e) {
        err.outcome = AttemptOutcome::UnavailableNotSent;
        err.message = format!(
            "Efí refused the TLS handshake (is the client certificate valid and issued by Efí?): {}",
            err.message
        );
    }
    err
}

/// A fatal alert a server sends only while it checks the handshake (certificates, protocol).
fn handshake_refused(e: &(dyn Error + 'static)) -> bool {
    let mut cause: Option<&(dyn Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(rustls::Error::AlertReceived(alert)) = c.downcast_ref::<rustls::Error>() {
            return matches!(
                alert,
                AlertDescription::CertificateRequired
                    | AlertDescription::BadCertificate
                    | AlertDescription::UnsupportedCertificate
                    | AlertDescription::CertificateRevoked
                    | AlertDescription::CertificateExpired
                    | AlertDescription::CertificateUnknown
                    | AlertDescription::UnknownCA
                    | AlertDescription::AccessDenied
                    | AlertDescription::HandshakeFailure
            );
        }
        // `io::Error::source` skips the error it wraps; look inside it.
        if let Some(inner) = c
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && handshake_refused(inner)
        {
            return true;
        }
        cause = c.source();
    }
    false
}
