//! What a merchant manages itself through the API, scoped to its API key's tenant: its webhook
//! endpoint (`/v1/webhook_endpoint`: read, set, disable, enable, rotate the secret), its events
//! (`/v1/events`: list, read, resend) and its dead letters (`/v1/dead_letters`: list, read,
//! replay). Every route sits behind `limits::guard_api` like `/v1/charges` (auth, rate limits,
//! RateLimit headers); every change goes through `crate::webhook::manage`, the code the CLI runs
//! (URL policy, overlap bounds, audit entries), with the actor `api_key:<key id>`.
//!
//! - Another tenant's event or dead letter, and an unknown id, are the same 404; a malformed id
//!   is a 400 naming `id`; bad query parameters a 400 naming them.
//! - Every POST takes an `Idempotency-Key` ([`idempotent`]: `IdempotencyKeys::begin`, as a
//!   refund): a retry with the same key and body does not act twice and answers the first
//!   answer with `Idempotent-Replayed: true`; a change that failed released its key. Stored
//!   answers never hold a secret in clear: a rotation stores its answer with the new secret
//!   masked (what a replay shows; `GET /v1/webhook_endpoint?reveal=true` shows it in full).
//!   A key whose holder died mid-change is taken over and the change done again (a resend then
//!   queues the event twice, which the merchant dedupes on `webhook-id`).
//! - `PUT /v1/webhook_endpoint` needs no key: setting the same URL twice is the same endpoint.
//! - Dead letters are paged over the tenant's newest `dlq::MAX_ALL` (the store lists them by
//!   time, without a cursor); a `starting_after` that is no longer a dead letter (replayed or
//!   purged since) is a 400.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiError, AppState, ErrorType, Mutation};
use crate::api::Invalid;
use crate::clock::Timestamp;
use crate::datakey::DataKeys;
use crate::id::{ChargeId, EventId, MessageId};
use crate::idempotency::{Begin, IdempotencyError, request_hash};
use crate::model::{ApiKey, EventType};
use crate::runtime::RequestError;
use crate::store::{DeadLetter, EventQuery, StoreError};
use crate::tenancy::Actor;
use crate::webhook::endpoint::{self, Endpoint, EndpointError};
use crate::webhook::{dlq, manage};

/// Who a change through the API is audited as: the key, never its secret.
fn actor(key: &ApiKey) -> Actor {
    Actor(format!("api_key:{}", key.id))
}

/// Who makes a change: the server's state and the caller's key.
struct Caller {
    state: AppState,
    key: ApiKey,
    actor: Actor,
}

impl Caller {
    fn who(&self) -> manage::Acting<'_> {
        manage::Acting {
            store: self.state.store.as_ref(),
            clock: self.state.orchestrator.clock.as_ref(),
            actor: &self.actor,
            tenant: &self.key.tenant,
        }
    }

    fn keys(&self) -> Result<&DataKeys, ApiError> {
        data_keys(&self.state)
    }

    fn now(&self) -> Timestamp {
        now(&self.state)
    }
}

fn now(state: &AppState) -> Timestamp {
    state.orchestrator.clock.now()
}

/// A store failure: 503 when it may pass, else 500.
fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Unavailable(_) => {
            ApiError::new(503, ErrorType::ApiError, "store_unavailable", e.to_string())
        }
        _ => ApiError::new(500, ErrorType::ApiError, "store_error", e.to_string()),
    }
}

fn endpoint_error(e: EndpointError) -> ApiError {
    match e {
        EndpointError::BadUrl(t) => ApiError::invalid("url", "url_invalid", t.to_string()),
        EndpointError::NotConfigured(_) => no_endpoint(),
        EndpointError::DataKey { .. } => ApiError::new(
            503,
            ErrorType::ApiError,
            "data_key_unavailable",
            e.to_string(),
        ),
        EndpointError::Signature(_) => {
            ApiError::new(500, ErrorType::ApiError, "internal_error", e.to_string())
        }
        EndpointError::Store(s) => store_error(s),
    }
}

fn no_endpoint() -> ApiError {
    ApiError::new(
        404,
        ErrorType::InvalidRequestError,
        "webhook_endpoint_missing",
        "no webhook endpoint yet: set one with PUT /v1/webhook_endpoint",
    )
}

fn missing(what: &str, id: &str) -> ApiError {
    ApiError::new(
        404,
        ErrorType::InvalidRequestError,
        "resource_missing",
        format!("no such {what}: {id}"),
    )
    .about("id")
}

/// The data keys that open the endpoint's secrets; without them (a router built without
/// [`AppState::with_data_keys`]) the endpoint routes answer 503.
fn data_keys(state: &AppState) -> Result<&DataKeys, ApiError> {
    state.data_keys.as_deref().ok_or_else(|| {
        ApiError::new(
            503,
            ErrorType::ApiError,
            "data_key_unavailable",
            "this server was started without the data key that opens webhook secrets",
        )
    })
}

fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::new(
        400,
        ErrorType::InvalidRequestError,
        "parameter_invalid",
        e.body_text(),
    )
}

fn bad_param(param: &str, message: String) -> ApiError {
    ApiError::invalid(param, "parameter_invalid", message)
}

/// A body's fields, none but `known`: an empty body is no fields.
fn fields<'a>(body: &'a Value, known: &[&str]) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match body {
        Value::Null => Ok(None),
        Value::Object(obj) => {
            crate::api::reject_unknown(obj, known, "")?;
            Ok(Some(obj))
        }
        _ => Err(Invalid::body("body_invalid", "the body must be a JSON object").into()),
    }
}

fn json_response(status: u16, body: &Value, replayed: bool) -> Response {
    super::json_answer(status, body.to_string(), replayed)
}

// ------------------------------------------------------------------------------------------
// Idempotent changes

/// A change's answer: its status, the body sent, and the body stored under the key (the same,
/// but for a rotation's new secret, masked).
struct Done {
    status: u16,
    sent: Value,
    stored: Value,
}

impl Done {
    fn same(status: u16, body: Value) -> Done {
        Done {
            status,
            stored: body.clone(),
            sent: body,
        }
    }
}

/// A POST of these routes: the caller's key (put there by `limits::guard_api`), its JSON body
/// and its `Idempotency-Key` ([`Mutation`]).
pub(super) struct Change {
    state: AppState,
    key: ApiKey,
    body: Value,
    idempotency_key: String,
}

impl FromRequest<AppState> for Change {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let key = req.extensions().get::<ApiKey>().cloned().ok_or_else(|| {
            ApiError::new(500, ErrorType::ApiError, "internal_error", "no API key")
        })?;
        let Mutation {
            body,
            idempotency_key,
        } = Mutation::from_request(req, state).await?;
        Ok(Change {
            state: state.clone(),
            key,
            body,
            idempotency_key,
        })
    }
}

impl Change {
    /// The body's fields, none but `known`.
    fn fields(&self, known: &[&str]) -> Result<Option<&Map<String, Value>>, ApiError> {
        fields(&self.body, known)
    }

    /// Runs `change` under the request's `Idempotency-Key` (in a task of its own, so a client
    /// that hangs up does not cut it short): a key answered before replays its stored answer,
    /// one in use is a 409, one used with another request a 422. A change that fails releases
    /// the key (nothing was done, so a retry may run afresh); one that succeeds stores
    /// [`Done::stored`]. `operation` and the body are the key's fingerprint.
    async fn run<F, Fut>(self, operation: String, change: F) -> Result<Response, ApiError>
    where
        F: FnOnce(Caller) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Done, ApiError>> + Send + 'static,
    {
        let hash = request_hash(&operation, &self.body);
        let Change {
            state,
            key,
            idempotency_key,
            ..
        } = self;
        let orchestrator = state.orchestrator.clone();
        let flow = async move {
            let keys = state.idempotency.clone();
            let refused = |e: RequestError| ApiError::from(&e).into_response();
            let begun = keys
                .begin(&key.tenant, &idempotency_key, &operation, &hash)
                .await;
            let mut lease = match begun {
                Ok(Begin::Proceed(lease)) | Ok(Begin::Recover(lease, _)) => lease,
                Ok(Begin::Replay { status_code, body }) => {
                    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    return json_response(status_code, &body, true);
                }
                // Only a charge's key stores an event as its answer.
                Ok(Begin::ReplayEvent { .. }) => return refused(RequestError::KeyCorrupt),
                Ok(Begin::InProgress) => return refused(RequestError::KeyInUse(idempotency_key)),
                Ok(Begin::Mismatch) => return refused(RequestError::KeyReused(idempotency_key)),
                Err(IdempotencyError::InvalidKey(v)) => return refused(Invalid::from(v).into()),
                Err(e) => return refused(RequestError::KeyStore(e)),
            };
            let actor = actor(&key);
            match change(Caller { state, key, actor }).await {
                Ok(done) => {
                    if let Err(e) = lease.complete(done.status, done.stored.to_string()).await {
                        tracing::warn!(error = %e, "could not store the idempotent response");
                    }
                    json_response(done.status, &done.sent, false)
                }
                Err(e) => {
                    if let Err(err) = lease.release().await {
                        tracing::warn!(error = %err, "could not release an idempotency key");
                    }
                    e.into_response()
                }
            }
        };
        Ok(orchestrator
            .run_flow(flow)
            .await
            .unwrap_or_else(|| ApiError::from(&RequestError::Died).into_response()))
    }
}

// ------------------------------------------------------------------------------------------
// The webhook endpoint

/// The endpoint as the API shows it: secrets masked unless `reveal`, the previous secret (and
/// when it stops signing) only while a rotation's overlap runs.
fn endpoint_json(e: &Endpoint, reveal: bool, now: Timestamp) -> Value {
    let shown = e.shown(reveal, now);
    json!({
        "object": "webhook_endpoint",
        "url": e.url,
        "status": if e.enabled { "enabled" } else { "disabled" },
        "disabled_reason": e.disabled_reason,
        "secret": shown.secret,
        "previous_secret": shown.previous_secret,
        "previous_secret_expires_at": shown.overlap_until.map(|t| t.to_rfc3339()),
        "updated_at": e.updated_at.to_rfc3339(),
    })
}

/// `GET /v1/webhook_endpoint` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ShowParams {
    reveal: Option<String>,
}

pub(super) async fn get_endpoint(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    params: Result<Query<ShowParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(bad_query)?;
    let reveal = match params.reveal.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(bad_param(
                "reveal",
                format!("`{other}` is neither `true` nor `false`"),
            ));
        }
    };
    let (e, _) = endpoint::get(state.store.as_ref(), data_keys(&state)?, &key.tenant)
        .await
        .map_err(endpoint_error)?
        .ok_or_else(no_endpoint)?;
    Ok(Json(endpoint_json(&e, reveal, now(&state))).into_response())
}

/// `PUT /v1/webhook_endpoint` `{"url"}`: 201 with the new secret in full when it creates the
/// endpoint, else 200 (the URL changed, the endpoint enabled, the secret kept and masked).
pub(super) async fn put_endpoint(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = super::json_body(&headers, body, state.body_limit)?;
    let obj = fields(&body, &["url"])?;
    let url = crate::api::string_field(obj.unwrap_or(&Map::new()), "url", "url")?
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                "url",
                "parameter_missing",
                "is required (the https URL of your webhook receiver)",
            )
        })?
        .to_string();
    let policy = state.target_policy;
    let c = Caller {
        actor: actor(&key),
        state,
        key,
    };
    let (e, created) = manage::set_endpoint(c.who(), c.keys()?, &url, policy)
        .await
        .map_err(endpoint_error)?;
    let status = if created { 201 } else { 200 };
    Ok(json_response(
        status,
        &endpoint_json(&e, created, c.now()),
        false,
    ))
}

/// `POST /v1/webhook_endpoint/disable` `{"reason"?}`: deliveries wait until enabled.
pub(super) async fn disable_endpoint(c: Change) -> Result<Response, ApiError> {
    let obj = c.fields(&["reason"])?;
    let reason = obj
        .map(|o| crate::api::string_field(o, "reason", "reason"))
        .transpose()?
        .flatten();
    let reason = crate::tenancy::validate_reason("reason", reason).map_err(Invalid::from)?;
    let operation = "POST /v1/webhook_endpoint/disable".to_string();
    c.run(operation, |c| async move {
        let e = manage::disable_endpoint(c.who(), c.keys()?, reason.as_deref())
            .await
            .map_err(endpoint_error)?;
        Ok(Done::same(200, endpoint_json(&e, false, c.now())))
    })
    .await
}

/// `POST /v1/webhook_endpoint/enable`: deliveries resume (the kept events flow).
pub(super) async fn enable_endpoint(c: Change) -> Result<Response, ApiError> {
    c.fields(&[])?;
    let operation = "POST /v1/webhook_endpoint/enable".to_string();
    c.run(operation, |c| async move {
        let e = manage::enable_endpoint(c.who(), c.keys()?)
            .await
            .map_err(endpoint_error)?;
        Ok(Done::same(200, endpoint_json(&e, false, c.now())))
    })
    .await
}

/// `POST /v1/webhook_endpoint/secret/rotate` `{"overlap_seconds"?}` (0 to 30 days, 24 h by
/// default): the endpoint with the new secret in full; stored (and replayed) masked.
pub(super) async fn rotate_secret(c: Change) -> Result<Response, ApiError> {
    let obj = c.fields(&["overlap_seconds"])?;
    let max = manage::MAX_OVERLAP.as_secs();
    let overlap = match obj.and_then(|o| o.get("overlap_seconds")) {
        None | Some(Value::Null) => manage::DEFAULT_OVERLAP,
        // A whole number, also written as one (`3600.0`).
        Some(v) => match v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= max as f64)
                .map(|f| f as u64)
        }) {
            Some(s) if s <= max => std::time::Duration::from_secs(s),
            _ => {
                return Err(bad_param(
                    "overlap_seconds",
                    format!("must be a whole number of seconds from 0 to {max} (30 days)"),
                ));
            }
        },
    };
    let operation = "POST /v1/webhook_endpoint/secret/rotate".to_string();
    c.run(operation, move |c| async move {
        let e = manage::rotate_secret(c.who(), c.keys()?, overlap)
            .await
            .map_err(endpoint_error)?;
        let now = c.now();
        let stored = endpoint_json(&e, false, now);
        let mut sent = stored.clone();
        sent["secret"] = Value::String(e.secret.expose().to_string());
        Ok(Done {
            status: 200,
            sent,
            stored,
        })
    })
    .await
}

// ------------------------------------------------------------------------------------------
// Events

/// `GET /v1/events` filters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventParams {
    #[serde(rename = "type")]
    kind: Option<String>,
    charge: Option<String>,
    limit: Option<String>,
    starting_after: Option<String>,
}

fn parse_events(p: &EventParams) -> Result<EventQuery, ApiError> {
    Ok(EventQuery {
        kind: p
            .kind
            .as_deref()
            .map(|s| {
                s.parse::<EventType>()
                    .map_err(|e| bad_param("type", e.to_string()))
            })
            .transpose()?,
        charge: p
            .charge
            .as_deref()
            .map(|s| ChargeId::parse(s).map_err(|e| bad_param("charge", e.to_string())))
            .transpose()?,
        starting_after: p
            .starting_after
            .as_deref()
            .map(|s| EventId::parse(s).map_err(|e| bad_param("starting_after", e.to_string())))
            .transpose()?,
        limit: super::parse_limit(p.limit.as_deref())?,
    })
}

fn event_json(e: &crate::model::Event) -> Value {
    serde_json::to_value(e).unwrap_or(Value::Null)
}

/// `GET /v1/events`: the tenant's events as delivered, newest first.
pub(super) async fn list_events(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    params: Result<Query<EventParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(bad_query)?;
    let query = parse_events(&params)?;
    let page = state
        .store
        .list_events(&key.tenant, &query)
        .await
        .map_err(store_error)?;
    Ok(super::list_response(
        page.items.iter().map(event_json).collect(),
        page.next_cursor,
    ))
}

fn event_id(id: &str) -> Result<EventId, ApiError> {
    EventId::parse(id).map_err(|e| bad_param("id", e.to_string()))
}

/// `GET /v1/events/{id}`: the event's JSON exactly as it is delivered.
pub(super) async fn get_event(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = event_id(&id)?;
    let event = manage::own_event(state.store.as_ref(), &key.tenant, &id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| missing("event", id.as_str()))?;
    Ok(Json(event_json(&event)).into_response())
}

/// What a resend or a replay answers (202): the message now queued, and its event.
fn queued(event: Option<&str>, message: &MessageId) -> Value {
    json!({"object": "queued_delivery", "event": event, "message": message.to_string()})
}

/// `POST /v1/events/{id}/resend`: the same event (same id) queued again, after the charge's
/// queued events.
pub(super) async fn resend_event(Path(id): Path<String>, c: Change) -> Result<Response, ApiError> {
    let id = event_id(&id)?;
    c.fields(&[])?;
    let operation = format!("POST /v1/events/{id}/resend");
    c.run(operation, move |c| async move {
        let (_, message) = manage::resend_event(c.who(), &id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| missing("event", id.as_str()))?;
        Ok(Done::same(202, queued(Some(id.as_str()), &message)))
    })
    .await
}

// ------------------------------------------------------------------------------------------
// Dead letters

/// `GET /v1/dead_letters` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeadParams {
    limit: Option<String>,
    starting_after: Option<String>,
    /// RFC 3339: only those dead at or after it.
    since: Option<String>,
}

/// A dead letter as listed; with `detail`, its event and every recorded attempt too.
fn dead_json(d: &DeadLetter, detail: bool) -> Value {
    let c = dlq::Contents::of(d);
    let mut v = json!({
        "object": "dead_letter",
        "id": d.message.id.to_string(),
        "event_id": c.event_id,
        "event_type": c.event_type,
        "charge": d.message.group,
        "enqueued_at": d.message.enqueued_at.to_rfc3339(),
        "dead_at": d.dead_at.to_rfc3339(),
        "attempts": c.log.attempts.len(),
        "last_error": c.log.last_error,
    });
    if detail {
        v["event"] = c.event.unwrap_or(Value::Null);
        v["attempt_log"] = serde_json::to_value(&c.log.attempts).unwrap_or(Value::Null);
    }
    v
}

/// `GET /v1/dead_letters`: the tenant's dead letters, newest first.
pub(super) async fn list_dead_letters(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    params: Result<Query<DeadParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(bad_query)?;
    let limit = super::parse_limit(params.limit.as_deref())? as usize;
    let since = params
        .since
        .as_deref()
        .map(|s| Timestamp::parse_rfc3339(s).map_err(|e| bad_param("since", e.to_string())))
        .transpose()?;
    let after = params
        .starting_after
        .as_deref()
        .map(|s| MessageId::parse(s).map_err(|e| bad_param("starting_after", e.to_string())))
        .transpose()?;
    let dead = state
        .store
        .list_dead(Some(&key.tenant), since, dlq::MAX_ALL)
        .await
        .map_err(store_error)?;
    let start = match &after {
        None => 0,
        Some(after) => {
            dead.iter()
                .position(|d| d.message.id == *after)
                .ok_or_else(|| {
                    bad_param(
                        "starting_after",
                        format!(
                            "`{after}` is not one of your dead letters (replayed or purged since?)"
                        ),
                    )
                })?
                + 1
        }
    };
    let page: Vec<&DeadLetter> = dead.iter().skip(start).take(limit).collect();
    let has_more = dead.len() > start + page.len();
    let next_cursor = page
        .last()
        .filter(|_| has_more)
        .map(|d| d.message.id.to_string());
    Ok(super::list_response(
        page.iter().map(|d| dead_json(d, false)).collect(),
        next_cursor,
    ))
}

fn message_id(id: &str) -> Result<MessageId, ApiError> {
    MessageId::parse(id).map_err(|e| bad_param("id", e.to_string()))
}

/// `GET /v1/dead_letters/{id}`: with its event and every recorded attempt.
pub(super) async fn get_dead_letter(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = message_id(&id)?;
    let d = manage::own_dead_letter(state.store.as_ref(), &key.tenant, &id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| missing("dead letter", id.as_str()))?;
    Ok(Json(dead_json(&d, true)).into_response())
}

/// `POST /v1/dead_letters/{id}/replay`: back in the delivery queue, to be delivered now.
pub(super) async fn replay_dead_letter(
    Path(id): Path<String>,
    c: Change,
) -> Result<Response, ApiError> {
    let id = message_id(&id)?;
    c.fields(&[])?;
    let operation = format!("POST /v1/dead_letters/{id}/replay");
    c.run(operation, move |c| async move {
        let d = match manage::replay_dead_letter(c.who(), &id).await {
            Ok(Some(d)) => d,
            // Replayed or purged meanwhile, like an unknown id.
            Ok(None) | Err(StoreError::NotFound { .. }) => {
                return Err(missing("dead letter", id.as_str()));
            }
            Err(e) => return Err(store_error(e)),
        };
        let event = dlq::Contents::of(&d).event_id;
        Ok(Done::same(202, queued(event.as_deref(), &id)))
    })
    .await
}
