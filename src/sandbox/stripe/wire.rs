//! Stripe's edges as the fake speaks them: error answers, form parameters, API keys, responses.

use super::*;

/// A Stripe error answer; `saved` when Stripe would keep it under the idempotency key (the
/// request got as far as executing: declines).
pub(super) struct ApiError {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) saved: bool,
    /// Events a saved failure still raises (a decline: `payment_intent.payment_failed`).
    pub(super) events: Vec<(&'static str, Value)>,
}

impl ApiError {
    pub(super) fn invalid(
        code: Option<&str>,
        message: impl Into<String>,
        param: Option<&str>,
    ) -> ApiError {
        let mut error = json!({"type": "invalid_request_error", "message": message.into()});
        if let Some(code) = code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!("https://docs.stripe.com/error-codes/{code}"));
        }
        if let Some(param) = param {
            error["param"] = json!(param);
        }
        ApiError {
            status: 400,
            body: json!({ "error": error }),
            saved: false,
            events: Vec::new(),
        }
    }

    pub(super) fn not_found(what: &str, id: &str, param: &str) -> ApiError {
        let mut e = ApiError::invalid(
            Some("resource_missing"),
            format!("No such {what}: '{id}'"),
            Some(param),
        );
        e.status = 404;
        e
    }

    /// The sandbox holds `--max-objects` intents and none is settled: Stripe's rate-limit
    /// answer (429, `code: rate_limit`), which says "not done, try later".
    pub(super) fn full(full: crate::sandbox::bounded::Full) -> ApiError {
        let mut e = ApiError::invalid(
            Some("rate_limit"),
            format!(
                "The sandbox holds {} PaymentIntents and none is settled (succeeded, failed or canceled); settle some or restart it with a larger --max-objects.",
                full.capacity
            ),
            None,
        );
        e.status = 429;
        e
    }

    pub(super) fn unauthorized(message: String) -> ApiError {
        ApiError {
            status: 401,
            body: json!({"error": {"type": "invalid_request_error", "message": message}}),
            saved: false,
            events: Vec::new(),
        }
    }
}

/// What an executed request produced: the answer and the events it raised.
pub(super) struct Outcome {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) events: Vec<(&'static str, Value)>,
}

pub(super) type Params = Vec<(String, String)>;

pub(super) fn param<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(super) fn metadata_of(params: &Params) -> BTreeMap<String, String> {
    params
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((key.to_string(), v.clone()))
        })
        .collect()
}

pub(super) fn check_known(params: &Params, known: &[&[&str]]) -> Result<(), ApiError> {
    for (k, _) in params {
        let ok = known.iter().any(|set| set.contains(&k.as_str()))
            || k == "expand[]"
            || (k.starts_with("metadata[") && k.ends_with(']') && k.len() > "metadata[]".len());
        if !ok {
            return Err(ApiError::invalid(
                Some("parameter_unknown"),
                format!("Received unknown parameter: {k}"),
                Some(k),
            ));
        }
    }
    Ok(())
}

pub(super) fn is_true(params: &Params, key: &str) -> bool {
    param(params, key) == Some("true")
}

pub(super) fn random_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut bytes = vec![0u8; len];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: a ULID is unique enough for a sandbox.
        let ulid = crate::id::new_ulid().to_string();
        return format!("{prefix}_{}", &ulid[..len.min(ulid.len())]);
    }
    let tail: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("{prefix}_{tail}")
}

/// `sk_test_********************0000`, as Stripe shows a refused key.
pub(super) fn masked(key: &str) -> String {
    let visible_tail = if key.len() > 16 { 4 } else { 0 };
    let head: String = key.chars().take(8.min(key.len() / 2)).collect();
    let tail: String = key
        .chars()
        .skip(key.chars().count() - visible_tail)
        .collect();
    format!("{head}{}{tail}", "*".repeat(20))
}

/// The API key of a request: Bearer, or Basic with the key as user. Only test keys pass.
pub(super) fn api_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details.".into(),
        ));
    };
    let key = if let Some(token) = value.strip_prefix("Bearer ") {
        token.trim().to_string()
    } else if let Some(basic) = value.strip_prefix("Basic ") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default();
        decoded.split(':').next().unwrap_or_default().to_string()
    } else {
        String::new()
    };
    if key.starts_with("sk_test_") && key.len() > "sk_test_".len() {
        Ok(key)
    } else {
        Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}",
            masked(&key)
        )))
    }
}

pub(super) fn respond(status: u16, body: &Value, replayed: bool) -> Response {
    respond_text(status, body.to_string(), replayed)
}

/// [`respond`] with the body already serialized (a saved idempotent answer).
pub(super) fn respond_text(status: u16, body: String, replayed: bool) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::HeaderName::from_static("stripe-version"),
                STRIPE_API_VERSION,
            ),
        ],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(id) = random_id("req", 14).parse() {
        headers.insert("request-id", id);
    }
    if replayed {
        headers.insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    response
}

pub(super) fn error_response(e: ApiError) -> Response {
    respond(e.status, &e.body, false)
}

pub(super) use crate::sandbox::host_of;
