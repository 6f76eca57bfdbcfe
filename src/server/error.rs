//! The merchant API's error answers: the one place a typed refusal or flow error becomes an
//! HTTP status and the body `{"error":{"type","code","message","param"[,"attempts"]}}`, and
//! [`HttpRender`], how `runtime` renders (and so stores, for replays) an idempotent request's
//! answer. `commands/` shows the same errors through [`ApiError::from`] (their field and
//! message) and decides its own exit codes.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::api::Invalid;
use crate::model::{Attempt, Charge};
use crate::orchestrator::FlowError;
use crate::runtime::{Render, Rendered, RequestError};
use crate::store::StoreError;

/// The class of an API error, as `error.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    /// The request is wrong: fix it before retrying.
    InvalidRequestError,
    /// No or a bad API key.
    AuthenticationError,
    /// Idempotency-Key misuse (in flight: 409; reused with another body: 422).
    IdempotencyError,
    /// No gateway could take the charge, or a gateway's answer (declines are charges, not
    /// errors).
    GatewayError,
    /// Too many requests: over the API key's, the tenant's or a gateway's rate limit (429,
    /// with `Retry-After`). Nothing was done, so the same request may be sent again later.
    RateLimitError,
    /// payorch itself failed.
    ApiError,
}

/// An error answer of the merchant API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status it is sent with.
    pub status: u16,
    pub kind: ErrorType,
    /// A stable, machine-readable code (`parameter_invalid`, `gateway_unavailable`, …).
    pub code: String,
    pub message: String,
    /// The request field it is about (`amount`, `customer.document`).
    pub param: Option<String>,
    /// For `gateway_unavailable`: every attempt made.
    pub attempts: Vec<Attempt>,
}

impl ApiError {
    pub fn new(status: u16, kind: ErrorType, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            code: code.to_string(),
            message: message.into(),
            param: None,
            attempts: Vec::new(),
        }
    }

    /// A 400 about one field.
    pub fn invalid(param: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        ApiError::new(400, ErrorType::InvalidRequestError, code, message).about(param)
    }

    /// The same error, about the request field `param`.
    fn about(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// The JSON body: `{"error":{"type","code","message","param"[,"attempts"]}}`.
    pub fn body(&self) -> Value {
        let mut error = serde_json::json!({
            "type": self.kind,
            "code": self.code,
            "message": self.message,
            "param": self.param,
        });
        if !self.attempts.is_empty()
            && let Some(obj) = error.as_object_mut()
        {
            obj.insert(
                "attempts".into(),
                serde_json::to_value(&self.attempts).unwrap_or(Value::Null),
            );
        }
        serde_json::json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self.body())).into_response()
    }
}

/// Every refusal of a request's content is a 400.
impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        let mut a = ApiError::new(400, ErrorType::InvalidRequestError, e.code, e.message);
        a.param = e.param;
        a
    }
}

impl From<&FlowError> for ApiError {
    fn from(e: &FlowError) -> Self {
        use ErrorType::{
            ApiError as Internal, GatewayError, IdempotencyError, InvalidRequestError,
        };
        let message = e.to_string();
        let new = |status, kind, code| ApiError::new(status, kind, code, message.clone());
        match e {
            FlowError::UnknownTenant(_) => {
                new(404, InvalidRequestError, "tenant_missing").about("tenant")
            }
            FlowError::NotFound { .. } => {
                new(404, InvalidRequestError, "resource_missing").about("id")
            }
            FlowError::Invalid(invalid) => ApiError::from(invalid.clone()),
            // The merchant must change the request (422), or an operator must restore a
            // gateway (503).
            FlowError::NoRoute { reason, pinned } => {
                let e = if reason.is_charge_problem() {
                    new(422, GatewayError, "no_gateway_for_charge")
                } else {
                    new(503, GatewayError, "gateway_unavailable")
                };
                if *pinned { e.about("gateway") } else { e }
            }
            FlowError::RoutingUnavailable(_) => new(503, Internal, "routing_unavailable"),
            FlowError::Exhausted { attempts, .. } => ApiError {
                attempts: attempts.clone(),
                ..new(503, GatewayError, "gateway_unavailable")
            },
            FlowError::ChargeInProgress(_) | FlowError::RefundInProgress(_) => {
                new(409, IdempotencyError, "idempotency_key_in_use")
            }
            FlowError::NothingToRefund { .. } => {
                new(400, InvalidRequestError, "charge_not_refundable")
            }
            FlowError::NotHeld => new(409, InvalidRequestError, "charge_not_refundable"),
            FlowError::RefundTooLarge { .. } => {
                new(400, InvalidRequestError, "amount_too_large").about("amount")
            }
            FlowError::RefundOutcomeUnknown { .. } => {
                new(503, GatewayError, "refund_outcome_unknown")
            }
            FlowError::RefundFailed(_) if e.is_refund_declined() => {
                new(402, GatewayError, "refund_failed")
            }
            FlowError::RefundFailed(_) => new(503, GatewayError, "refund_failed"),
            FlowError::Store(StoreError::Unavailable(_)) => new(503, Internal, "store_error"),
            FlowError::Store(_) => new(500, Internal, "store_error"),
        }
    }
}

impl From<FlowError> for ApiError {
    fn from(e: FlowError) -> Self {
        ApiError::from(&e)
    }
}

impl From<&RequestError> for ApiError {
    fn from(e: &RequestError) -> Self {
        use ErrorType::{ApiError as Internal, IdempotencyError};
        let message = e.to_string();
        match e {
            RequestError::Flow(flow) => ApiError::from(flow),
            RequestError::Invalid(invalid) => ApiError::from(invalid.clone()),
            RequestError::KeyInUse(_) => {
                ApiError::new(409, IdempotencyError, "idempotency_key_in_use", message)
            }
            RequestError::KeyReused(_) => {
                ApiError::new(422, IdempotencyError, "idempotency_key_reused", message)
                    .about("Idempotency-Key")
            }
            RequestError::KeyStore(_) => ApiError::new(503, Internal, "store_unavailable", message),
            RequestError::KeyCorrupt => {
                ApiError::new(500, Internal, "idempotency_key_corrupt", message)
            }
            RequestError::Died => ApiError::new(500, Internal, "internal_error", message),
        }
    }
}

/// The merchant API's rendering of an idempotent request's answer: a created charge is 201, a
/// refunded one 200, both as [`crate::runtime::charge_json`]; an error as [`ApiError`]. What
/// `serve` sends and `charge create|refund` store under the key, so either can replay the
/// other's answer.
pub struct HttpRender;

impl Render for HttpRender {
    fn created(&self, charge: &Charge) -> Rendered {
        charge_answer(201, charge)
    }

    fn refunded(&self, charge: &Charge) -> Rendered {
        charge_answer(200, charge)
    }

    fn failed(&self, error: &RequestError) -> Rendered {
        let e = ApiError::from(error);
        Rendered {
            status: e.status,
            body: e.body().to_string(),
        }
    }
}

fn charge_answer(status: u16, charge: &Charge) -> Rendered {
    Rendered {
        status,
        body: crate::runtime::charge_json(charge).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_body_shape() {
        let e = ApiError::invalid("amount", "amount_invalid", "must be positive");
        assert_eq!(
            e.body(),
            json!({"error": {"type": "invalid_request_error", "code": "amount_invalid",
                             "message": "must be positive", "param": "amount"}})
        );
    }
}
