//! `Stripe-Version`: which API version a request speaks, and the shapes that depend on it.
//!
//! Without the header a request gets the account's version, which for the sandbox is the one
//! payorch's adapter pins ([`STRIPE_API_VERSION`]). A client's own version changes what the
//! fake serves only where Stripe's changelog changed a shape the fake serves:
//!
//! - before `2022-11-15`: a PaymentIntent lists its `charges` (a list object) instead of
//!   naming its `latest_charge`;
//! - before `2023-08-16`: a PaymentIntent created without `payment_method_types` takes `card`
//!   only; from then on `automatic_payment_methods[enabled]` is the default and the methods
//!   come from the account's settings (the fake's: card, and Pix for BRL);
//! - before `2024-04-10`: `capture_method` defaults to `automatic`, then `automatic_async`.
//!
//! Webhook events are rendered in the account's version, as Stripe renders them.

use super::*;

/// A request's API version: `YYYY-MM-DD`, optionally with Stripe's release name (`.acacia`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ApiVersion(String);

impl ApiVersion {
    pub(super) fn pinned() -> ApiVersion {
        ApiVersion(STRIPE_API_VERSION.to_string())
    }

    pub(super) fn parse(s: &str) -> Option<ApiVersion> {
        let (date, name) = s.split_once('.').unwrap_or((s, "a"));
        let b = date.as_bytes();
        let well_formed = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
            && !name.is_empty()
            && name.bytes().all(|c| c.is_ascii_lowercase());
        well_formed.then(|| ApiVersion(s.to_string()))
    }

    /// The request's `Stripe-Version`, or the pinned one; a malformed one is refused as
    /// Stripe refuses it.
    pub(super) fn of(headers: &HeaderMap) -> Result<ApiVersion, ApiError> {
        let Some(raw) = headers.get("stripe-version") else {
            return Ok(ApiVersion::pinned());
        };
        let s = raw.to_str().unwrap_or_default().trim();
        ApiVersion::parse(s).ok_or_else(|| {
            ApiError::invalid(
                None,
                format!(
                    "Invalid Stripe API version: {s}. The version must be a date like {STRIPE_API_VERSION}."
                ),
                None,
            )
        })
    }

    pub(super) fn as_str(&self) -> &str {
        &self.0
    }

    fn since(&self, date: &str) -> bool {
        self.0.get(..10).is_some_and(|d| d >= date)
    }

    pub(super) fn charges_list(&self) -> bool {
        !self.since("2022-11-15")
    }

    pub(super) fn automatic_methods_by_default(&self) -> bool {
        self.since("2023-08-16")
    }

    pub(super) fn default_capture_method(&self) -> &'static str {
        if self.since("2024-04-10") {
            "automatic_async"
        } else {
            "automatic"
        }
    }
}

/// Answers in the version the client asked for (the `Stripe-Version` response header).
pub(super) async fn echo_version(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let asked = request
        .headers()
        .get("stripe-version")
        .and_then(|v| v.to_str().ok())
        .and_then(ApiVersion::parse);
    let mut response = next.run(request).await;
    if let Some(v) = asked.and_then(|v| header::HeaderValue::from_str(v.as_str()).ok()) {
        response.headers_mut().insert("stripe-version", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_change_the_shapes_stripe_changed() {
        let old = ApiVersion::parse("2020-08-27").unwrap();
        assert!(old.charges_list());
        assert!(!old.automatic_methods_by_default());
        assert_eq!(old.default_capture_method(), "automatic");
        let pinned = ApiVersion::pinned();
        assert!(!pinned.charges_list());
        assert!(pinned.automatic_methods_by_default());
        assert_eq!(pinned.default_capture_method(), "automatic_async");
        let mid = ApiVersion::parse("2023-10-16").unwrap();
        assert!(mid.automatic_methods_by_default());
        assert_eq!(mid.default_capture_method(), "automatic");
        for bad in [
            "",
            "latest",
            "2024-4-10",
            "2024-04-10.",
            "2024-04-10.Acacia",
        ] {
            assert!(ApiVersion::parse(bad).is_none(), "{bad}");
        }
        assert!(ApiVersion::parse("2024-06-20.acacia").is_some());
    }
}
