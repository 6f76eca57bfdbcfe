//! Standard Webhooks signing and verification (<https://www.standardwebhooks.com>).
//!
//! A delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`:
//! one or more space-separated `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`. The key
//! is the base64-decoded part of a `whsec_…` secret. Verification is constant-time (hmac's
//! `verify_slice`, which also refuses truncated signatures) and refuses timestamps further than
//! a tolerance from now, so a captured delivery cannot be replayed later.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::Timestamp;
use crate::secret::Secret;

/// The header naming the message; the same on every retry of one event.
pub const HEADER_ID: &str = "webhook-id";
/// The header with the signing time, in Unix seconds.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The header with the signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// What every signing secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a timestamp may be from now, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// Random bytes in a generated key.
const KEY_LEN: usize = 24;

type HmacSha256 = Hmac<Sha256>;

/// Why a secret could not be used or a delivery did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret is not `whsec_` followed by a non-empty base64 key.
    #[error("the signing secret is not `whsec_` followed by a base64 key")]
    BadSecret,
    /// The random source failed while generating a secret.
    #[error("cannot generate a signing secret: {0}")]
    Random(String),
    /// A header is absent or empty.
    #[error("the `{0}` header is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not an integer.
    #[error("the `webhook-timestamp` header is not Unix seconds")]
    BadTimestamp,
    /// The timestamp is too old or too far in the future.
    #[error("the `webhook-timestamp` is outside the {0:?} tolerance")]
    TimestampOutOfTolerance(Duration),
    /// No signature in the header matches any of the secrets.
    #[error("no signature in `webhook-signature` matches")]
    NoMatch,
}

/// A new signing secret: `whsec_` and 24 random bytes in base64.
pub fn generate_secret() -> Result<Secret, SignatureError> {
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|e| SignatureError::Random(e.to_string()))?;
    Ok(Secret::new(format!(
        "{SECRET_PREFIX}{}",
        STANDARD.encode(key)
    )))
}

/// The HMAC key of a `whsec_` secret.
fn key_of(secret: &Secret) -> Result<Vec<u8>, SignatureError> {
    let encoded = secret
        .expose()
        .strip_prefix(SECRET_PREFIX)
        .ok_or(SignatureError::BadSecret)?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| SignatureError::BadSecret)?;
    if key.is_empty() {
        return Err(SignatureError::BadSecret);
    }
    Ok(key)
}

/// Checks that `secret` is a usable `whsec_` secret.
pub fn validate_secret(secret: &Secret) -> Result<(), SignatureError> {
    key_of(secret).map(|_| ())
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// One `v1,<base64>` signature of a delivery.
pub fn sign(
    secret: &Secret,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignatureError> {
    let key = key_of(secret)?;
    let tag = mac(&key, id, timestamp, body).finalize().into_bytes();
    Ok(format!("v1,{}", STANDARD.encode(tag)))
}

/// The `webhook-signature` value for a delivery signed with each of `secrets` (several during a
/// rotation's overlap), space-separated.
pub fn signature_header(
    secrets: &[&Secret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignatureError> {
    let sigs = secrets
        .iter()
        .map(|s| sign(s, id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(sigs.join(" "))
}

/// What a receiver got: the three headers and the raw body.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

fn header<'a>(v: Option<&'a str>, name: &'static str) -> Result<&'a str, SignatureError> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::MissingHeader(name))
}

/// Verifies a delivery against any of `secrets` (a receiver keeps the old one during a
/// rotation), refusing a timestamp more than `tolerance` from `now`.
pub fn verify(
    secrets: &[&Secret],
    delivery: Delivery<'_>,
    now: Timestamp,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let id = header(delivery.id, HEADER_ID)?;
    let timestamp = header(delivery.timestamp, HEADER_TIMESTAMP)?;
    let signature = header(delivery.signature, HEADER_SIGNATURE)?;
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let at = Timestamp::from_unix_millis(ts.saturating_mul(1000));
    if now.since(at) > tolerance || at.since(now) > tolerance {
        return Err(SignatureError::TimestampOutOfTolerance(tolerance));
    }
    let keys = secrets
        .iter()
        .map(|s| key_of(s))
        .collect::<Result<Vec<_>, _>>()?;
    for candidate in signature.split(' ').filter(|s| !s.is_empty()) {
        let Some(encoded) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let Ok(tag) = STANDARD.decode(encoded) else {
            continue;
        };
        if tag.is_empty() {
            continue;
        }
        // `verify_slice` compares in constant time and refuses a tag of the wrong length.
        if keys
            .iter()
            .any(|key| mac(key, id, ts, delivery.body).verify_slice(&tag).is_ok())
        {
            return Ok(());
        }
    }
    Err(SignatureError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const TS: i64 = 1_649_367_553;
    const BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const EXPECTED: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    fn now() -> Timestamp {
        Timestamp::from_unix_millis(TS * 1000 + 30_000)
    }

    fn delivery<'a>(sig: &'a str, ts: &'a str) -> Delivery<'a> {
        Delivery {
            id: Some(ID),
            timestamp: Some(ts),
            signature: Some(sig),
            body: BODY,
        }
    }

    fn check(secrets: &[&Secret], sig: &str) -> Result<(), SignatureError> {
        verify(
            secrets,
            delivery(sig, &TS.to_string()),
            now(),
            DEFAULT_TOLERANCE,
        )
    }

    #[test]
    fn standard_webhooks_test_vector() {
        let secret = Secret::new(SECRET);
        assert_eq!(sign(&secret, ID, TS, BODY).unwrap(), EXPECTED);
        check(&[&secret], EXPECTED).unwrap();
    }

    #[test]
    fn tampered_truncated_and_empty_signatures_fail() {
        let secret = Secret::new(SECRET);
        let s = &[&secret];
        let tampered = EXPECTED.replace("tZ1I", "tZ1J");
        assert_eq!(check(s, &tampered), Err(SignatureError::NoMatch));
        // Truncated to 16 bytes (still valid base64): refused, not compared as a prefix.
        let tag = STANDARD.decode(&EXPECTED[3..]).unwrap();
        let short = format!("v1,{}", STANDARD.encode(&tag[..16]));
        assert_eq!(check(s, &short), Err(SignatureError::NoMatch));
        assert_eq!(check(s, "v1,"), Err(SignatureError::NoMatch));
        assert_eq!(check(s, "v2,abc"), Err(SignatureError::NoMatch));
        assert_eq!(
            check(s, "  "),
            Err(SignatureError::MissingHeader(HEADER_SIGNATURE))
        );
        // A tampered body.
        let d = Delivery {
            body: br#"{"email":"evil@example.com","username":"test_user"}"#,
            ..delivery(EXPECTED, "1649367553")
        };
        assert_eq!(
            verify(s, d, now(), DEFAULT_TOLERANCE),
            Err(SignatureError::NoMatch)
        );
        // Another secret.
        let other = generate_secret().unwrap();
        assert_eq!(check(&[&other], EXPECTED), Err(SignatureError::NoMatch));
    }

    #[test]
    fn timestamps_outside_the_tolerance_fail() {
        let secret = Secret::new(SECRET);
        let late = Timestamp::from_unix_millis((TS + 301) * 1000);
        let d = delivery(EXPECTED, "1649367553");
        assert_eq!(
            verify(&[&secret], d, late, DEFAULT_TOLERANCE),
            Err(SignatureError::TimestampOutOfTolerance(DEFAULT_TOLERANCE))
        );
        let early = Timestamp::from_unix_millis((TS - 301) * 1000);
        assert!(verify(&[&secret], d, early, DEFAULT_TOLERANCE).is_err());
        let d = delivery(EXPECTED, "soon");
        assert_eq!(
            verify(&[&secret], d, now(), DEFAULT_TOLERANCE),
            Err(SignatureError::BadTimestamp)
        );
    }

    #[test]
    fn during_a_rotation_both_signatures_verify() {
        let old = Secret::new(SECRET);
        let new = generate_secret().unwrap();
        let header = signature_header(&[&new, &old], ID, TS, BODY).unwrap();
        assert!(header.contains(EXPECTED));
        // A receiver that still knows only the old secret, or already only the new one.
        check(&[&old], &header).unwrap();
        check(&[&new], &header).unwrap();
    }

    #[test]
    fn generated_secrets_are_whsec_and_24_bytes() {
        let s = generate_secret().unwrap();
        assert!(s.expose().starts_with(SECRET_PREFIX));
        assert_eq!(key_of(&s).unwrap().len(), KEY_LEN);
        assert_ne!(s, generate_secret().unwrap());
        assert_eq!(
            validate_secret(&Secret::new("whsec_")),
            Err(SignatureError::BadSecret)
        );
        assert_eq!(
            validate_secret(&Secret::new("sk_live_x")),
            Err(SignatureError::BadSecret)
        );
    }
}
