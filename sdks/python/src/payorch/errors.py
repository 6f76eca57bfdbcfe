"""The SDK's exceptions: one class per `error.type` of the API, all under `PayorchError`.

An error answer becomes the class of its `error.type` (`invalid_request_error` →
`InvalidRequestError`, …; an answer without a payorch error body, such as a proxy's 502 page,
is an `APIError`), carrying the HTTP `status`, `code`, `param`, `message`, the `request_id`
(`X-Request-Id`), `retry_after` (seconds, from `Retry-After`), the `idempotency_key` the
request was sent with, the parsed `body` and the `raw_body`. No answer at all (refused
connection, reset, timeout) is an `APIConnectionError` (`APITimeoutError` for a timeout): the
request may or may not have been processed, so send it again with the same `idempotency_key`.
"""

from typing import Any, Dict, List, Mapping, Optional, Type

import httpx

from .types import Attempt


class PayorchError(Exception):
    """Anything the SDK raises. Fields an error does not have are `None`."""

    message: str
    status: Optional[int]
    type: Optional[str]
    code: Optional[str]
    param: Optional[str]
    request_id: Optional[str]
    retry_after: Optional[float]
    idempotency_key: Optional[str]
    body: Optional[Any]
    raw_body: Optional[bytes]
    headers: Mapping[str, str]

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        type: Optional[str] = None,
        code: Optional[str] = None,
        param: Optional[str] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
        idempotency_key: Optional[str] = None,
        body: Optional[Any] = None,
        raw_body: Optional[bytes] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.retry_after = retry_after
        self.idempotency_key = idempotency_key
        self.body = body
        self.raw_body = raw_body
        # Case-insensitive: `headers["X-Request-Id"]` and `headers["x-request-id"]` alike.
        self.headers = httpx.Headers(headers or {})

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"(HTTP {self.status}")
            if self.code:
                parts[-1] += f", {self.code}"
            if self.param:
                parts[-1] += f", param {self.param}"
            parts[-1] += ")"
        if self.request_id:
            parts.append(f"[request {self.request_id}]")
        return " ".join(parts)

    @property
    def attempts(self) -> List[Attempt]:
        """For `gateway_unavailable`: every gateway attempt made (else empty)."""
        if isinstance(self.body, dict):
            error = self.body.get("error")
            if isinstance(error, dict):
                attempts = error.get("attempts")
                if isinstance(attempts, list):
                    return attempts
        return []


class InvalidRequestError(PayorchError):
    """`invalid_request_error`: the request is wrong (400, 404, 409 `charge_not_refundable`,
    415, …); `param` names the field. Fix it before sending it again."""


class AuthenticationError(PayorchError):
    """`authentication_error`: no or a bad API key (401)."""


class IdempotencyError(PayorchError):
    """`idempotency_error`: 409 `idempotency_key_in_use` (the first request with this key is
    still running: retried automatically) or 422 `idempotency_key_reused` (the key was used
    with another body)."""


class GatewayError(PayorchError):
    """`gateway_error`: no gateway takes the charge (422 `no_gateway_for_charge`), every
    candidate failed (503 `gateway_unavailable`, see `attempts`), or a refund failed."""


class RateLimitError(PayorchError):
    """`rate_limit_error`: 429; nothing was done, `retry_after` says when to send it again."""


class APIError(PayorchError):
    """`api_error`: payorch itself failed (500, 503 `store_unavailable`), or an answer that is
    not payorch's error body (a proxy's)."""


class APIConnectionError(PayorchError):
    """No answer: the connection failed or broke. The request may have been processed."""


class APITimeoutError(APIConnectionError):
    """No answer within the client's timeout."""


class WebhookVerificationError(PayorchError):
    """A webhook delivery that is not authentic or not fresh: refuse it (answer 400)."""


ERROR_TYPES: Dict[str, Type[PayorchError]] = {
    "invalid_request_error": InvalidRequestError,
    "authentication_error": AuthenticationError,
    "idempotency_error": IdempotencyError,
    "gateway_error": GatewayError,
    "rate_limit_error": RateLimitError,
    "api_error": APIError,
}
