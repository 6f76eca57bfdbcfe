//! `payorch serve`'s HTTP surface (axum): the merchant API under `/v1` (charges here; the
//! webhook endpoint, events and dead letters in `merchant`; its contract, `openapi.yaml`,
//! served at `/v1/openapi.json` by `openapi.rs`), gateway webhooks in (`inbound`), health and
//! metrics.
//! Handlers only translate HTTP to the core and back: authentication by API key and rate limits
//! (`limits`, a layer on every `/v1` route that hands the handler the caller's key), body
//! limits, JSON parsing, idempotency, `X-Request-Id`; the flows live in the orchestrator.
//! Every status and error body of the merchant API is decided here (`error.rs`).

mod body;
mod error;
pub use body::limited as with_body_limits;
pub use error::{ApiError, ErrorType, HttpRender};
mod head_errors;
pub(crate) mod inbound;
mod limits;
pub mod listen;
mod merchant;
pub(crate) mod metrics;
mod openapi;
mod pix;
pub use pix::{EXPAND_QR_CODE_PNG, PixImages};

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::Value;
use tracing::Instrument;

use crate::api::Invalid;
use crate::clock::Timestamp;
use crate::id::ChargeId;
use crate::idempotency::{IdempotencyKeys, validate_key};
use crate::model::{ApiKey, ChargeStatus, GatewayId};
use crate::orchestrator::Orchestrator;
use crate::runtime::{Answer, Core, Outcome};
use crate::store::{ChargeQuery, Store};
use metrics::{HttpLabels, Metrics};

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    pub orchestrator: Arc<Orchestrator>,
    pub store: Arc<dyn Store>,
    pub idempotency: Arc<IdempotencyKeys>,
    pub metrics: Arc<Metrics>,
    /// This process's breakers, for the breaker-state gauge.
    pub breakers: Arc<crate::fleet::Breakers>,
    /// Largest accepted request body, bytes.
    pub body_limit: usize,
    /// How long a request's body may take to arrive.
    pub body_read_timeout: std::time::Duration,
    /// The largest charge per currency.
    pub amount_limits: crate::config::AmountLimits,
    /// Request rate limits: per API key, per tenant, per gateway's webhooks.
    pub rate_limits: Arc<crate::ratelimit::RateLimits>,
    /// API keys by hash, each trusted for a second (`tenancy::KeyCache`).
    pub keys: Arc<crate::tenancy::KeyCache>,
    /// Pix QR codes rendered on demand, a bounded number at once (`pix.rs`).
    pub pix_images: Arc<PixImages>,
    /// What opens the webhook endpoints' secrets (`/v1/webhook_endpoint`, `merchant.rs`);
    /// without them those routes answer 503 ([`AppState::with_data_keys`]).
    pub data_keys: Option<Arc<crate::datakey::DataKeys>>,
    /// Which webhook URLs a merchant may set (`webhooks.allow_private_targets`).
    pub target_policy: crate::egress::TargetPolicy,
}

impl AppState {
    /// The handlers' state for a running core, with metrics of its own.
    pub fn from_core(core: &Core) -> AppState {
        AppState {
            orchestrator: core.orchestrator.clone(),
            store: core.store.clone(),
            idempotency: core.idempotency.clone(),
            metrics: Arc::new(Metrics::new()),
            breakers: core.breakers.clone(),
            body_limit: usize::try_from(core.config.server.body_limit).unwrap_or(64 * 1024),
            body_read_timeout: core.config.server.body_read_timeout.0,
            amount_limits: core.config.amount_limits.clone(),
            rate_limits: core.rate_limits.clone(),
            keys: Arc::new(crate::tenancy::KeyCache::new(core.clock.clone())),
            pix_images: Arc::new(PixImages::new()),
            data_keys: None,
            target_policy: crate::egress::TargetPolicy {
                allow_private: core.config.webhooks.allow_private_targets,
            },
        }
    }

    /// The same state, opening webhook secrets with `keys` (what `serve` runs with).
    pub fn with_data_keys(self, keys: Arc<crate::datakey::DataKeys>) -> AppState {
        AppState {
            data_keys: Some(keys),
            ..self
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const IDEMPOTENCY_KEY: &str = "idempotency-key";
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let limit = state.body_limit;
    let guard = || middleware::from_fn_with_state(state.clone(), limits::guard_api);
    Router::new()
        .route(
            "/v1/charges",
            post(create_charge).get(list_charges).route_layer(guard()),
        )
        .route(
            "/v1/charges/{id}",
            get(pix::read_charge).route_layer(guard()),
        )
        .route(
            "/v1/charges/{id}/pix.png",
            get(pix::pix_png).route_layer(guard()),
        )
        .route(
            "/v1/charges/{id}/refunds",
            post(refund_charge).route_layer(guard()),
        )
        .route(
            "/v1/webhook_endpoint",
            get(merchant::get_endpoint)
                .put(merchant::put_endpoint)
                .route_layer(guard()),
        )
        .route(
            "/v1/webhook_endpoint/disable",
            post(merchant::disable_endpoint).route_layer(guard()),
        )
        .route(
            "/v1/webhook_endpoint/enable",
            post(merchant::enable_endpoint).route_layer(guard()),
        )
        .route(
            "/v1/webhook_endpoint/secret/rotate",
            post(merchant::rotate_secret).route_layer(guard()),
        )
        .route(
            "/v1/events",
            get(merchant::list_events).route_layer(guard()),
        )
        .route(
            "/v1/events/{id}",
            get(merchant::get_event).route_layer(guard()),
        )
        .route(
            "/v1/events/{id}/resend",
            post(merchant::resend_event).route_layer(guard()),
        )
        .route(
            "/v1/dead_letters",
            get(merchant::list_dead_letters).route_layer(guard()),
        )
        .route(
            "/v1/dead_letters/{id}",
            get(merchant::get_dead_letter).route_layer(guard()),
        )
        .route(
            "/v1/dead_letters/{id}/replay",
            post(merchant::replay_dead_letter).route_layer(guard()),
        )
        .route(
            "/webhooks/{tenant}/{gateway}",
            post(inbound::receive).layer(DefaultBodyLimit::max(inbound::WEBHOOK_BODY_LIMIT)),
        )
        .route(
            "/webhooks/{tenant}/{gateway}/pix",
            post(inbound::receive).layer(DefaultBodyLimit::max(inbound::WEBHOOK_BODY_LIMIT)),
        )
        .route(
            "/webhooks/{tenant}/{gateway}/links",
            post(inbound::receive_notification)
                .layer(DefaultBodyLimit::max(inbound::WEBHOOK_BODY_LIMIT)),
        )
        .route("/v1/openapi.json", get(openapi::openapi_json))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_context,
        ))
        .with_state(state)
}

/// Accepts or generates `X-Request-Id`, echoes it, logs the request under it, counts it.
async fn request_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| format!("req_{}", crate::id::new_ulid()));
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id, %method, route = %route);
    let handled = async {
        match body::read_whole(req, state.body_limit, state.body_read_timeout).await {
            Ok(req) => next.run(req).await,
            Err(e) => e.into_response(),
        }
    };
    let mut response = handled.instrument(span.clone()).await;
    let status = response.status().as_u16();
    tracing::info!(parent: &span, status, "answered");
    state
        .metrics
        .http_requests
        .get_or_create(&HttpLabels {
            route,
            status: status.to_string(),
        })
        .inc();
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// A charge as the API shows it: its wire view ([`crate::api::view::ChargeView`]), as a JSON
/// value (sorted keys).
pub fn charge_json(charge: &crate::model::Charge) -> Value {
    serde_json::to_value(crate::api::view::ChargeView::new(charge)).unwrap_or(Value::Null)
}

/// A charge as listings show it (`GET /v1/charges`, the CLI): [`charge_json`] with the
/// customer's document masked. The merchant gets back what it sent only from the charge's own
/// endpoints (create, `GET /v1/charges/{id}`); a listing, the usual leak, never carries it.
pub fn charge_json_masked(charge: &crate::model::Charge) -> Value {
    serde_json::to_value(crate::api::view::ChargeView::masked(charge)).unwrap_or(Value::Null)
}

async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<ApiKey, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        // The scheme is case-insensitive (RFC 9110 §11.1): `Bearer`, `bearer`, `BEARER`.
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim_start_matches(' '));
    state
        .keys
        .authenticate(state.store.as_ref(), token)
        .await
        .map_err(|e| match e {
            crate::tenancy::AuthError::Store(s) => {
                ApiError::new(503, ErrorType::ApiError, "store_unavailable", s.to_string())
            }
            other => ApiError::new(
                401,
                ErrorType::AuthenticationError,
                "invalid_api_key",
                other.to_string(),
            ),
        })
}

/// The body's bytes, or a 400/413 that says what is wrong with it.
fn body_bytes(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                413,
                ErrorType::InvalidRequestError,
                "body_too_large",
                format!("the body is larger than {limit} bytes"),
            )
        } else {
            ApiError::new(
                400,
                ErrorType::InvalidRequestError,
                "body_invalid",
                r.body_text(),
            )
        }
    })
}

/// A body must say it is JSON: `Content-Type: application/json` (parameters such as
/// `charset=utf-8` allowed), else 415. A request without a body (a full refund) may leave the
/// header out; one that sends it must still say JSON.
fn require_json(headers: &HeaderMap, has_body: bool) -> Result<(), ApiError> {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE);
    let is_json = content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if is_json || (content_type.is_none() && !has_body) {
        return Ok(());
    }
    let mut e = ApiError::new(
        415,
        ErrorType::InvalidRequestError,
        "content_type_unsupported",
        "the body must be sent with `Content-Type: application/json`",
    );
    e.param = Some("Content-Type".into());
    Err(e)
}

/// The body as JSON, or a 400/413/415 that says what is wrong with it. An object that names a
/// key twice is refused, naming the key. No body at all is `Value::Null` (a full refund); a body
/// that *is* `null` is refused: it is a client's unset variable, not a request to refund
/// everything (the same rule as `"amount": null`).
fn json_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Value, ApiError> {
    let bytes = body_bytes(body, limit)?;
    require_json(headers, !bytes.is_empty())?;
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    match crate::api::strict::json_value(&bytes)? {
        Value::Null => Err(ApiError::from(Invalid::body(
            "body_invalid",
            "the body must be a JSON object, not null (a full refund sends no body at all)",
        ))),
        value => Ok(value),
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::to_string))
        .transpose()
        .map_err(|_| {
            ApiError::invalid(
                "Idempotency-Key",
                "idempotency_key_invalid",
                "must be printable ASCII",
            )
        })?
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                "idempotency_key_missing",
                "the header is required on every POST (any unique string, e.g. a UUID)",
            )
        })?;
    validate_key(&key).map_err(|e| ApiError::from(Invalid::from(e)))?;
    Ok(key)
}

/// An [`Answer`] as an HTTP response: the rendered (for a replay, the stored)
/// status and body.
fn answer(a: Answer) -> Response {
    let replayed = a.replayed();
    json_answer(a.status, a.body, replayed)
}

/// A JSON body with its status; a stored answer replayed for its idempotency key says so
/// (`Idempotent-Replayed: true`).
fn json_answer(status: u16, body: String, replayed: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if replayed {
        r.headers_mut()
            .insert(REPLAYED, HeaderValue::from_static("true"));
    }
    r
}

/// What every POST needs after its key passed [`limits::guard_api`]: the JSON body, then the
/// `Idempotency-Key` (checked in that order, so a request wrong in both hears of its body).
struct Mutation {
    body: Value,
    idempotency_key: String,
}

impl FromRequest<AppState> for Mutation {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let headers = req.headers().clone();
        let bytes = Bytes::from_request(req, state).await;
        let body = json_body(&headers, bytes, state.body_limit)?;
        let idempotency_key = idempotency_key(&headers)?;
        Ok(Mutation {
            body,
            idempotency_key,
        })
    }
}

async fn create_charge(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    Mutation {
        body: value,
        idempotency_key: idem,
    }: Mutation,
) -> Result<Response, ApiError> {
    // Before the idempotency key or the charge is stored.
    crate::api::strict::check_charge_limit(&value, |c| state.amount_limits.max_charge(c))?;
    let a = crate::runtime::create_charge(
        &state.orchestrator,
        &state.idempotency,
        &HttpRender,
        &key.tenant,
        &idem,
        &value,
    )
    .await;
    if let Outcome::Done(charge) = &a.outcome {
        state.metrics.observe_charge(charge);
    }
    Ok(answer(a))
}

async fn refund_charge(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    Path(id): Path<String>,
    Mutation {
        body: value,
        idempotency_key: idem,
    }: Mutation,
) -> Response {
    answer(
        crate::runtime::refund(
            &state.orchestrator,
            &state.idempotency,
            &HttpRender,
            &key.tenant,
            &id,
            &idem,
            &value,
        )
        .await,
    )
}

/// `GET /v1/charges` filters, as sent.
#[derive(Debug, Default)]
pub struct ListParams {
    status: Option<String>,
    gateway: Option<String>,
    /// RFC 3339, inclusive.
    created_gte: Option<String>,
    /// RFC 3339, exclusive.
    created_lt: Option<String>,
    limit: Option<String>,
    starting_after: Option<String>,
}

impl ListParams {
    const NAMES: [&str; 6] = [
        "status",
        "gateway",
        "created_gte",
        "created_lt",
        "limit",
        "starting_after",
    ];

    /// The query string's filters; an unknown or repeated parameter is a 400 naming it.
    fn from_query(query: Option<&str>) -> Result<ListParams, ApiError> {
        let mut p = ListParams::default();
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let slot = match name.as_ref() {
                "status" => &mut p.status,
                "gateway" => &mut p.gateway,
                "created_gte" => &mut p.created_gte,
                "created_lt" => &mut p.created_lt,
                "limit" => &mut p.limit,
                "starting_after" => &mut p.starting_after,
                other => {
                    return Err(ApiError::invalid(
                        other,
                        "parameter_unknown",
                        format!(
                            "is not a known parameter (expected one of: {})",
                            Self::NAMES.join(", ")
                        ),
                    ));
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(ApiError::invalid(
                    name,
                    "parameter_duplicated",
                    "is given more than once",
                ));
            }
        }
        Ok(p)
    }
}

fn parse_list(p: &ListParams) -> Result<ChargeQuery, ApiError> {
    let bad = |param: &str, msg: String| ApiError::invalid(param, "parameter_invalid", msg);
    let time = |param: &str, v: &Option<String>| -> Result<Option<Timestamp>, ApiError> {
        v.as_deref()
            .map(|s| Timestamp::parse_rfc3339(s).map_err(|e| bad(param, e.to_string())))
            .transpose()
    };
    Ok(ChargeQuery {
        status: p
            .status
            .as_deref()
            .map(|s| {
                s.parse::<ChargeStatus>()
                    .map_err(|e| bad("status", e.to_string()))
            })
            .transpose()?,
        gateway: p
            .gateway
            .as_deref()
            .map(|s| {
                s.parse::<GatewayId>()
                    .map_err(|e| bad("gateway", e.to_string()))
            })
            .transpose()?,
        created_from: time("created_gte", &p.created_gte)?,
        created_to: time("created_lt", &p.created_lt)?,
        starting_after: p
            .starting_after
            .as_deref()
            .map(|s| ChargeId::parse(s).map_err(|e| bad("starting_after", e.to_string())))
            .transpose()?,
        limit: parse_limit(p.limit.as_deref())?,
    })
}

/// A list's `limit`: 1 to 100, 20 when not given.
fn parse_limit(limit: Option<&str>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(20),
        Some(l) => match l.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid(
                "limit",
                "parameter_invalid",
                format!("`{l}` is not a number from 1 to 100"),
            )),
        },
    }
}

/// A page of a list: `{"object":"list","data","has_more","next_cursor"}`.
fn list_response(data: Vec<Value>, next_cursor: Option<String>) -> Response {
    axum::Json(serde_json::json!({
        "object": "list",
        "data": data,
        "has_more": next_cursor.is_some(),
        "next_cursor": next_cursor,
    }))
    .into_response()
}

async fn list_charges(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = parse_list(&ListParams::from_query(query.as_deref())?)?;
    let page = state
        .store
        .list_charges(&key.tenant, &query)
        .await
        .map_err(|e| ApiError::new(503, ErrorType::ApiError, "store_unavailable", e.to_string()))?;
    Ok(list_response(
        page.items.iter().map(charge_json_masked).collect(),
        page.next_cursor,
    ))
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// Ready when the store can commit a write (for SQLite a real heartbeat commit, cached for a
/// second; see `Store::ping`); else 503 with the store's error.
async fn readyz(State(state): State<AppState>) -> Response {
    let store = state.store.describe();
    match state.store.ping().await {
        Ok(()) => {
            axum::Json(serde_json::json!({"status": "ready", "store": store})).into_response()
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "status": "unavailable",
                "store": store,
                "error": e.to_string(),
            })),
        )
            .into_response(),
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    for b in state.breakers.local_status() {
        let value = match b.state {
            crate::breaker::BreakerState::Closed => 0,
            crate::breaker::BreakerState::HalfOpen => 1,
            crate::breaker::BreakerState::Open => 2,
            crate::breaker::BreakerState::ForcedOpen => 3,
            crate::breaker::BreakerState::ForcedClosed => 4,
        };
        state
            .metrics
            .breaker_state
            .get_or_create(&metrics::BreakerLabels {
                tenant: b.tenant.to_string(),
                gateway: b.gateway.to_string(),
            })
            .set(value);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    ApiError::new(
        404,
        ErrorType::InvalidRequestError,
        "route_missing",
        "no such route (see /v1/charges)",
    )
    .into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        405,
        ErrorType::InvalidRequestError,
        "method_not_allowed",
        "this route does not take that method",
    )
    .into_response()
}
