//! The control API under `/_sandbox/`: modes, webhook URLs, the fakes' charges, paying them,
//! and the webhook delivery log.

use super::*;

/// A control-API failure: `{"error": "…"}` with its status.
#[derive(Debug)]
pub(super) struct ApiError(StatusCode, String);

impl ApiError {
    pub(super) fn bad_request(m: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, m.into())
    }
    pub(super) fn not_found(m: impl Into<String>) -> Self {
        ApiError(StatusCode::NOT_FOUND, m.into())
    }
}

impl From<SandboxError> for ApiError {
    fn from(e: SandboxError) -> Self {
        match e {
            SandboxError::NotFound(m) => ApiError::not_found(m),
            SandboxError::Conflict(m) => ApiError(StatusCode::CONFLICT, m),
        }
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::Invalid(m) => ApiError::bad_request(m),
            e @ ServerError::Bind { .. } => {
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

pub(super) type Api<T> = Result<axum::Json<T>, ApiError>;

pub(super) fn control_routes(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_sandbox/info", get(info))
        .route("/_sandbox/webhooks", get(webhooks))
        .route("/_sandbox/charges", get(all_charges))
        .route("/_sandbox/pay/{id}", post(pay_any))
        .route("/_sandbox/{gateway}/mode", put(set_mode).get(get_mode))
        .route("/_sandbox/{gateway}/webhook", put(set_webhook))
        .route("/_sandbox/{gateway}/charges", get(charges))
        .route("/_sandbox/{gateway}/charges/{id}/pay", post(pay_one))
        .with_state(shared)
}

pub(super) async fn info(State(shared): State<Arc<Shared>>) -> axum::Json<SandboxInfo> {
    axum::Json(shared.info())
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    example: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid body: {e} (expected e.g. {example})")))
}

pub(super) async fn set_mode(
    State(shared): State<Arc<Shared>>,
    Path(gateway): Path<String>,
    body: Bytes,
) -> Api<GatewayInfo> {
    let slot = shared.slot(&gateway)?;
    let setting: ModeSetting = parse_json(
        &body,
        r#"{"mode":"slow","latency_ms":200} or {"mode":"lost","latency_ms":30000,"only":"POST /v3/payments"}"#,
    )?;
    validate_mode(&setting.mode)?;
    slot.set_mode(setting.mode, setting.only).await?;
    Ok(axum::Json(slot.info()))
}

pub(super) async fn get_mode(
    State(shared): State<Arc<Shared>>,
    Path(gateway): Path<String>,
) -> Api<ModeSetting> {
    let slot = shared.slot(&gateway)?;
    Ok(axum::Json(ModeSetting {
        mode: slot.fault.mode(),
        only: slot.fault.only(),
    }))
}

#[derive(Deserialize)]
pub(super) struct WebhookBody {
    pub(super) url: Option<String>,
}

pub(super) async fn set_webhook(
    State(shared): State<Arc<Shared>>,
    Path(gateway): Path<String>,
    body: Bytes,
) -> Api<GatewayInfo> {
    let slot = shared.slot(&gateway)?;
    let body: WebhookBody = parse_json(&body, r#"{"url":"http://127.0.0.1:8080/webhooks"}"#)?;
    let url = body.url.as_deref().map(parse_webhook_url).transpose()?;
    *lock(&slot.webhook_url) = url;
    Ok(axum::Json(slot.info()))
}

pub(super) async fn charges(
    State(shared): State<Arc<Shared>>,
    Path(gateway): Path<String>,
) -> Api<Vec<serde_json::Value>> {
    Ok(axum::Json(shared.slot(&gateway)?.fake.charges()))
}

pub(super) async fn all_charges(
    State(shared): State<Arc<Shared>>,
) -> axum::Json<BTreeMap<GatewayId, Vec<serde_json::Value>>> {
    axum::Json(
        shared
            .slots
            .iter()
            .map(|s| (s.id, s.fake.charges()))
            .collect(),
    )
}

/// What a pay request answers.
#[derive(Serialize)]
pub(super) struct Paid {
    pub(super) gateway: GatewayId,
    pub(super) charge: serde_json::Value,
}

pub(super) async fn pay_one(
    State(shared): State<Arc<Shared>>,
    Path((gateway, id)): Path<(String, String)>,
) -> Api<serde_json::Value> {
    let slot = shared.slot(&gateway)?;
    let charge = slot.fake.pay(&id)?;
    Ok(axum::Json(serde_json::json!(Paid {
        gateway: slot.id,
        charge
    })))
}

pub(super) async fn pay_any(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Api<serde_json::Value> {
    for slot in &shared.slots {
        match slot.fake.pay(&id) {
            Ok(charge) => {
                return Ok(axum::Json(serde_json::json!(Paid {
                    gateway: slot.id,
                    charge
                })));
            }
            Err(SandboxError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::not_found(format!(
        "no gateway in this sandbox has a charge `{id}`"
    )))
}

#[derive(Deserialize)]
pub(super) struct WebhooksQuery {
    /// Wait until at least this many entries were ever recorded.
    pub(super) wait_for: Option<u64>,
    /// How long to wait, at most [`MAX_WAIT_MS`]; default 5 s.
    pub(super) timeout_ms: Option<u64>,
}

pub(super) async fn webhooks(
    State(shared): State<Arc<Shared>>,
    query: Result<Query<WebhooksQuery>, QueryRejection>,
) -> Api<Vec<Delivery>> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if let Some(want) = query.wait_for {
        let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(5_000).min(MAX_WAIT_MS));
        let mut len = shared.log_len.subscribe();
        // A timeout is not an error: the caller sees how many there are.
        let _ = tokio::time::timeout(timeout, len.wait_for(|n| *n >= want)).await;
    }
    Ok(axum::Json(shared.log().entries.iter().cloned().collect()))
}
