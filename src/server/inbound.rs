//! Gateway webhooks into payorch: `POST /webhooks/{tenant}/{gateway}` (and `…/pix`, where Efí
//! posts). Checks the tenant, the gateway and the size, then authenticity with the tenant's own
//! adapter before anything is stored; the orchestrator records, dedupes and applies each event.
//! `POST /webhooks/{tenant}/{gateway}/links` takes Efí's payment-link notifications: an
//! unsigned form with only `notification=<token>`, whose news the adapter reads back from Efí
//! with the tenant's credentials (a token Efí does not know is a 401, and nothing is stored).
//! No business logic here: only HTTP in and out.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::{ApiError, ErrorType};
use crate::gateway::{Gateway, GatewayEvent, WebhookError, WebhookRequest};
use crate::model::{GatewayId, TenantId};
use crate::orchestrator::Applied;

use super::AppState;
use super::metrics::WebhookLabels;

/// Largest accepted gateway webhook body, bytes (an Efí POST with many Pix stays far below).
pub(crate) const WEBHOOK_BODY_LIMIT: usize = 256 * 1024;

/// How long a gateway is asked to wait before delivering again a webhook that came too early.
const RETRY_AFTER_SECONDS: &str = "5";

fn not_found(what: String) -> ApiError {
    ApiError::new(
        404,
        ErrorType::InvalidRequestError,
        "resource_missing",
        what,
    )
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(503, ErrorType::ApiError, "store_unavailable", e.to_string())
}

/// `POST /webhooks/{tenant}/{gateway}[/pix]`.
pub(crate) async fn receive(
    State(state): State<AppState>,
    Path((tenant, gateway)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match handle(&state, &tenant, &gateway, query.as_deref(), &headers, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(
    state: &AppState,
    tenant: &str,
    gateway: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (tenant_id, gateway_id, adapter) = addressee(state, tenant, gateway).await?;
    let bytes = super::body_bytes(body, WEBHOOK_BODY_LIMIT)?;
    let request = WebhookRequest {
        headers,
        query,
        body: &bytes,
        now: state.orchestrator.clock.now(),
    };
    // Authenticity first: nothing of the body is read or stored before it passes.
    let events = authentic_events(adapter.as_ref(), &request)?;
    // Counted once authentic (a forged flood cannot spend the gateway's budget) and before
    // anything is stored: a gateway retries a 429, and the retry is then processed as new.
    let standings = match state.rate_limits.check_inbound(&tenant_id, gateway_id) {
        Ok(s) => s,
        Err(refused) => {
            return Ok(super::limits::refuse(
                state,
                &refused,
                &tenant_id,
                Some(gateway_id),
            ));
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    let (results, too_early) = apply_events(state, &tenant_id, gateway_id, &events, &text).await?;
    let mut r = answer(results, too_early);
    super::limits::set_headers(r.headers_mut(), &standings);
    Ok(r)
}

/// `POST /webhooks/{tenant}/{gateway}/links`: a notification that carries only a token.
pub(crate) async fn receive_notification(
    State(state): State<AppState>,
    Path((tenant, gateway)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match handle_notification(&state, &tenant, &gateway, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle_notification(
    state: &AppState,
    tenant: &str,
    gateway: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (tenant_id, gateway_id, adapter) = addressee(state, tenant, gateway).await?;
    let bytes = super::body_bytes(body, WEBHOOK_BODY_LIMIT)?;
    // The token is all payorch takes from the POST; the news comes from the gateway.
    let token = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "notification")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                400,
                ErrorType::InvalidRequestError,
                "webhook_malformed",
                "the notification has no `notification` token (a form field)",
            )
        })?;
    let events = match adapter.read_notification(&token).await {
        Ok(Some(events)) => events,
        Ok(None) => {
            return Err(not_found(format!(
                "{gateway_id} sends no notifications to read back"
            )));
        }
        Err(e) if e.outcome == crate::model::AttemptOutcome::Invalid => {
            return Err(ApiError::new(
                401,
                ErrorType::AuthenticationError,
                "webhook_unauthenticated",
                format!(
                    "{gateway_id} does not know this notification token: {}",
                    e.message
                ),
            ));
        }
        Err(e) => {
            // Efí could not be asked: it delivers the notification again later.
            let mut r = ApiError::new(
                503,
                ErrorType::ApiError,
                "gateway_unavailable",
                format!(
                    "cannot read the notification back from {gateway_id}: {}",
                    e.message
                ),
            )
            .into_response();
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            return Ok(r);
        }
    };
    let standings = match state.rate_limits.check_inbound(&tenant_id, gateway_id) {
        Ok(s) => s,
        Err(refused) => {
            return Ok(super::limits::refuse(
                state,
                &refused,
                &tenant_id,
                Some(gateway_id),
            ));
        }
    };
    let text = format!("notification={token}");
    let (results, too_early) = apply_events(state, &tenant_id, gateway_id, &events, &text).await?;
    let mut r = answer(results, too_early);
    super::limits::set_headers(r.headers_mut(), &standings);
    Ok(r)
}

/// The tenant and gateway the URL names, and the tenant's adapter for it (404 otherwise).
async fn addressee(
    state: &AppState,
    tenant: &str,
    gateway: &str,
) -> Result<(TenantId, GatewayId, Arc<dyn Gateway>), ApiError> {
    let tenant_id =
        TenantId::parse(tenant).map_err(|_| not_found(format!("no tenant `{tenant}`")))?;
    if state
        .store
        .get_tenant(&tenant_id)
        .await
        .map_err(unavailable)?
        .is_none()
    {
        return Err(not_found(format!("no tenant `{tenant}`")));
    }
    let gateway_id = gateway.parse::<GatewayId>().map_err(|_| {
        not_found(format!(
            "no gateway `{gateway}` (expected stripe, efi or asaas)"
        ))
    })?;
    let adapter = state
        .orchestrator
        .gateways
        .for_tenant(&tenant_id)
        .get(gateway_id)
        .cloned()
        .ok_or_else(|| {
            not_found(format!(
                "{gateway_id} is not configured for tenant `{tenant_id}`"
            ))
        })?;
    Ok((tenant_id, gateway_id, adapter))
}

/// The adapter's verdict on the raw request, then its events: 401 for a forged or unsigned
/// webhook, 400 for one that does not parse.
fn authentic_events(
    adapter: &dyn Gateway,
    request: &WebhookRequest<'_>,
) -> Result<Vec<GatewayEvent>, ApiError> {
    adapter
        .verify_webhook(request)
        .and_then(|()| adapter.parse_webhook(request))
        .map_err(|e| match e {
            WebhookError::Unauthenticated(why) => ApiError::new(
                401,
                ErrorType::AuthenticationError,
                "webhook_unauthenticated",
                why,
            ),
            WebhookError::Malformed(why) => ApiError::new(
                400,
                ErrorType::InvalidRequestError,
                "webhook_malformed",
                why,
            ),
        })
}

/// Hands each event to the orchestrator (recorded, deduped, applied) and counts it: each
/// event's result for the answer, and why the gateway should deliver again, if it should.
async fn apply_events(
    state: &AppState,
    tenant_id: &TenantId,
    gateway_id: GatewayId,
    events: &[GatewayEvent],
    text: &str,
) -> Result<(Vec<serde_json::Value>, Option<String>), ApiError> {
    let mut results = Vec::with_capacity(events.len());
    let mut too_early = None;
    for event in events {
        let applied = state
            .orchestrator
            .receive_gateway_event(tenant_id, gateway_id, event, text)
            .await
            .map_err(unavailable)?;
        tracing::info!(tenant = %tenant_id, gateway = %gateway_id, event = %event.event_id, result = ?applied, "gateway webhook");
        match &applied {
            Applied::NotYet(why) => too_early = Some(why.clone()),
            Applied::InFlight => {
                too_early = Some(format!(
                    "{gateway_id} event `{}` is being processed by another delivery",
                    event.event_id
                ));
            }
            _ => {}
        }
        let result = result_label(&applied);
        state
            .metrics
            .gateway_webhooks
            .get_or_create(&WebhookLabels {
                gateway: gateway_id.to_string(),
                result: result.to_string(),
            })
            .inc();
        results.push(serde_json::json!({
            "event_id": event.event_id,
            "result": result,
            "note": applied.note(),
        }));
    }
    Ok((results, too_early))
}

/// An event's result, as the answer and the `gateway_webhooks` metric name it.
fn result_label(applied: &Applied) -> &'static str {
    match applied {
        Applied::Applied(_) => "applied",
        Applied::Ignored(_) => "ignored",
        Applied::Rejected(_) => "rejected",
        Applied::UnknownCharge(_) => "unknown_charge",
        Applied::NotYet(_) => "not_yet",
        Applied::InFlight => "in_flight",
        Applied::Duplicate => "duplicate",
        Applied::FeeRecorded(_) => "fee_recorded",
    }
}

/// 200 with every event's result, or 503 with `Retry-After` when one came too early.
fn answer(results: Vec<serde_json::Value>, too_early: Option<String>) -> Response {
    match too_early {
        Some(why) => {
            let mut r =
                ApiError::new(503, ErrorType::ApiError, "charge_not_ready", why).into_response();
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            r
        }
        None => axum::Json(serde_json::json!({"received": results})).into_response(),
    }
}
