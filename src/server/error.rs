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
    pub(super) fn about(mut self, param: impl Into<String>) -> Self {
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
            let attempts: Vec<_> = self
                .attempts
                .iter()
                .map(crate::api::view::AttemptV1::new)
                .collect();
            obj.insert(
                "attempts".into(),
                serde_json::to_value(attempts).unwrap_or(Value::Null),
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
            FlowError::NoRoute(reason) => {
                let e = if reason.is_charge_problem() {
                    new(422, GatewayError, "no_gateway_for_charge")
                } else {
                    new(503, GatewayError, "gateway_unavailable")
                };
                if reason.pinned.is_some() {
                    e.about("gateway")
                } else {
                    e
                }
            }
            FlowError::RoutingUnavailable(_) => new(503, Internal, "routing_unavailable"),
            FlowError::Exhausted { attempts, .. } => ApiError {
                attempts: attempts.clone(),
                ..new(503, GatewayError, "gateway_unavailable")
            },
            FlowError::ChargeInProgress(_)
            | FlowError::RefundInProgress(_)
            | FlowError::KeyTaken => new(409, IdempotencyError, "idempotency_key_in_use"),
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
            FlowError::Store(StoreError::Unavailable(_)) => new(503, Internal, "store_unavailable"),
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
/// refunded one 200, both as [`super::charge_json`]; an error as [`ApiError`]. What
/// `serve` sends and `charge create|refund` store under the key, so either can replay the
/// other's answer.
pub struct HttpRender;

impl Render for HttpRender {
    fn created(&self, charge: &Charge) -> Rendered {
        charge_answer(self.created_status(), charge)
    }

    fn created_status(&self) -> u16 {
        201
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
        body: super::charge_json(charge).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::GatewayError;
    use crate::id::{ChargeId, RefundId};
    use crate::model::{AttemptOutcome, ChargeStatus, Currency, GatewayId, PaymentMethod};
    use crate::routing::{Excluded, Exclusion, NoRoute};
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

    /// The status, type, code and field of an error answer.
    type Shape = (u16, ErrorType, String, Option<String>);

    fn shape(e: impl Into<ApiError>) -> Shape {
        let e = e.into();
        (e.status, e.kind, e.code, e.param)
    }

    /// The expected shape, its code as written.
    type Expected = (u16, ErrorType, &'static str, Option<String>);

    fn no_route(pinned: Option<GatewayId>, why: Exclusion) -> FlowError {
        FlowError::NoRoute(NoRoute {
            method: PaymentMethod::Pix,
            currency: Currency::Brl,
            pinned,
            excluded: vec![Excluded {
                gateway: GatewayId::Efi,
                why,
            }],
        })
    }

    /// Every flow error keeps the status, type, code and field it was sent with when the
    /// orchestrator still built `ApiError`s itself (the merchant API's contract).
    #[test]
    fn each_flow_error_keeps_its_status_code_and_field() {
        use ErrorType::{
            ApiError as Internal, GatewayError as Gateway, IdempotencyError, InvalidRequestError,
        };
        let some = |p: &str| Some(p.to_string());
        let gateway_error = |outcome| GatewayError::new(GatewayId::Stripe, outcome, "boom");
        let unsupported = || Exclusion::MethodNotSupported {
            method: PaymentMethod::Pix,
        };
        let out_of_service = || Exclusion::Unavailable { detail: "x".into() };
        let cases: Vec<(FlowError, Expected)> = vec![
            (
                FlowError::UnknownTenant(crate::model::TenantId::default_tenant()),
                (404, InvalidRequestError, "tenant_missing", some("tenant")),
            ),
            (
                FlowError::NotFound { id: "ch_x".into() },
                (404, InvalidRequestError, "resource_missing", some("id")),
            ),
            (
                FlowError::Invalid(Invalid::field("amount", "amount_invalid", "no")),
                (400, InvalidRequestError, "amount_invalid", some("amount")),
            ),
            (
                no_route(None, unsupported()),
                (422, Gateway, "no_gateway_for_charge", None),
            ),
            (
                no_route(Some(GatewayId::Efi), unsupported()),
                (422, Gateway, "no_gateway_for_charge", some("gateway")),
            ),
            (
                no_route(None, out_of_service()),
                (503, Gateway, "gateway_unavailable", None),
            ),
            (
                FlowError::Exhausted {
                    charge: ChargeId::generate(),
                    attempts: Vec::new(),
                },
                (503, Gateway, "gateway_unavailable", None),
            ),
            (
                FlowError::ChargeInProgress(ChargeId::generate()),
                (409, IdempotencyError, "idempotency_key_in_use", None),
            ),
            (
                FlowError::RefundInProgress(RefundId::generate()),
                (409, IdempotencyError, "idempotency_key_in_use", None),
            ),
            (
                FlowError::NothingToRefund {
                    charge: ChargeId::generate(),
                    status: ChargeStatus::Failed,
                },
                (400, InvalidRequestError, "charge_not_refundable", None),
            ),
            (
                FlowError::NotHeld,
                (409, InvalidRequestError, "charge_not_refundable", None),
            ),
            (
                FlowError::RefundTooLarge {
                    requested: 2,
                    refundable: 1,
                    currency: Currency::Brl,
                },
                (400, InvalidRequestError, "amount_too_large", some("amount")),
            ),
            (
                FlowError::RefundOutcomeUnknown {
                    refund: RefundId::generate(),
                    gateway: GatewayId::Stripe,
                    error: gateway_error(AttemptOutcome::UnavailableAmbiguous),
                },
                (503, Gateway, "refund_outcome_unknown", None),
            ),
            (
                FlowError::RefundFailed(gateway_error(AttemptOutcome::Declined)),
                (402, Gateway, "refund_failed", None),
            ),
            (
                FlowError::RefundFailed(gateway_error(AttemptOutcome::UnavailableNotSent)),
                (503, Gateway, "refund_failed", None),
            ),
            (
                FlowError::Store(StoreError::Unavailable("busy".into())),
                (503, Internal, "store_unavailable", None),
            ),
            (
                FlowError::Store(StoreError::Corrupt("bad".into())),
                (500, Internal, "store_error", None),
            ),
        ];
        for (error, (status, kind, code, param)) in cases {
            let message = error.to_string();
            let e = ApiError::from(&error);
            assert_eq!(e.message, message, "{error:?}");
            assert_eq!(
                shape(e),
                (status, kind, code.to_string(), param),
                "{error:?}"
            );
        }
    }

    /// The idempotency key's own refusals, and a flow that died.
    #[test]
    fn each_request_error_keeps_its_status_code_and_field() {
        use ErrorType::{ApiError as Internal, IdempotencyError};
        let cases = [
            (
                RequestError::KeyInUse("k".into()),
                (409, IdempotencyError, "idempotency_key_in_use", None),
            ),
            (
                RequestError::KeyReused("k".into()),
                (
                    422,
                    IdempotencyError,
                    "idempotency_key_reused",
                    Some("Idempotency-Key".to_string()),
                ),
            ),
            (
                RequestError::KeyCorrupt,
                (500, Internal, "idempotency_key_corrupt", None),
            ),
            (RequestError::Died, (500, Internal, "internal_error", None)),
        ];
        for (error, (status, kind, code, param)) in cases {
            assert_eq!(
                shape(&error),
                (status, kind, code.to_string(), param),
                "{error:?}"
            );
        }
    }

    /// What `runtime` stores under a key: 201 for a created charge, 200 for a refunded one,
    /// the error body for a failure, each exactly what is sent.
    #[test]
    fn http_render_statuses() {
        let failed = HttpRender.failed(&RequestError::KeyInUse("k".into()));
        assert_eq!(failed.status, 409);
        assert_eq!(
            serde_json::from_str::<Value>(&failed.body).unwrap()["error"]["code"],
            "idempotency_key_in_use"
        );
    }
}
