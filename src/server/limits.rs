//! Rate limits at the HTTP edge: [`guard_api`] authenticates a merchant API request and counts
//! it against its key's and tenant's buckets (`crate::ratelimit`) before the handler runs, so a
//! refused request has claimed no idempotency key and stored nothing: a 429 is always safe to
//! retry. Gateway webhooks are counted in `inbound.rs` once their signature has passed, and
//! refused with [`refuse`] too.
//!
//! Headers, per draft-ietf-httpapi-ratelimit-headers-10 ("RateLimit header fields for HTTP"),
//! one list member per bucket the request was counted in (`"key"`, `"tenant"`, `"inbound"`):
//!
//! ```text
//! RateLimit-Policy: "key";q=100;w=1, "tenant";q=500;w=1      (q requests per w seconds)
//! RateLimit: "key";r=57;t=1, "tenant";r=480;t=1               (r left now, t seconds to full)
//! ```
//!
//! on every answer of a limited route; a 429 also has `Retry-After` (whole seconds, rounded up)
//! and `t` is then the wait before a retry can pass.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, ErrorType};
use crate::model::{GatewayId, TenantId};
use crate::ratelimit::{Refused, Scope, Standing};

use super::AppState;
use super::metrics::RateLimitLabels;

const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Authenticates the request, counts it, and either answers 401/429 or runs the handler with
/// the caller's [`crate::model::ApiKey`] in the request's extensions.
pub(super) async fn guard_api(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let key = match super::authenticate(&state, req.headers()).await {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    match state.rate_limits.check_api(&key) {
        Ok(standings) => {
            req.extensions_mut().insert(key);
            let mut response = next.run(req).await;
            set_headers(response.headers_mut(), &standings);
            response
        }
        Err(refused) => refuse(&state, &refused, &key.tenant, None),
    }
}

/// The 429: the API's error body, `Retry-After`, the RateLimit headers; counted in `/metrics`.
pub(super) fn refuse(
    state: &AppState,
    refused: &Refused,
    tenant: &TenantId,
    gateway: Option<GatewayId>,
) -> Response {
    let scope = refused.scope;
    state
        .metrics
        .rate_limited
        .get_or_create(&RateLimitLabels {
            scope: scope.as_str().to_string(),
            tenant: tenant.to_string(),
            gateway: gateway.map(|g| g.to_string()).unwrap_or_default(),
        })
        .inc();
    let whose = match (scope, gateway) {
        (Scope::Key, _) => "this API key's".to_string(),
        (Scope::Tenant, _) => format!("tenant `{tenant}`'s"),
        (Scope::Inbound, Some(g)) => format!("{g}'s webhooks to tenant `{tenant}`"),
        (Scope::Inbound, None) => "the webhooks'".to_string(),
    };
    let secs = refused.retry_after_secs;
    tracing::info!(scope = scope.as_str(), %tenant, retry_after = secs, "rate limited");
    let e = ApiError::new(
        429,
        ErrorType::RateLimitError,
        "rate_limited",
        format!(
            "too many requests: over {whose} rate limit; nothing was done, retry after {secs} s"
        ),
    );
    let mut response = e.into_response();
    let headers = response.headers_mut();
    headers.insert(axum::http::header::RETRY_AFTER, HeaderValue::from(secs));
    set_headers(headers, &refused.standings);
    response
}

/// `RateLimit-Policy` and `RateLimit` for the buckets a request was counted in.
pub(super) fn set_headers(headers: &mut HeaderMap, standings: &[Standing]) {
    if standings.is_empty() {
        return;
    }
    let join =
        |f: &dyn Fn(&Standing) -> String| standings.iter().map(f).collect::<Vec<_>>().join(", ");
    let policy = join(&|s| format!("\"{}\";q={};w={}", s.scope.as_str(), s.quota, s.window_secs));
    let current = join(&|s| {
        format!(
            "\"{}\";r={};t={}",
            s.scope.as_str(),
            s.remaining,
            s.reset_secs
        )
    });
    for (name, value) in [(POLICY, policy), (RATELIMIT, current)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
}
