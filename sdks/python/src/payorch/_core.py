"""Everything the sync and async clients share, without I/O ("sans-I/O").

A call is an `Operation` (method, path, query, JSON body, and how to read the answer).
`exchange` runs it as a generator that yields what to do next, `Send(request)` or
`Sleep(seconds)`, and is sent back the outcome (an `httpx.Response` or the `httpx.TransportError`
raised); it returns the `APIResponse` or raises the typed error. The retry policy, the
idempotency key, request building and answer parsing all live here; `_client.py` and
`_async_client.py` only drive the generator with `httpx.Client`/`time.sleep` or
`httpx.AsyncClient`/`anyio.sleep`.

Retries (`retry_delay`): a request is sent again, with the same `Idempotency-Key` (so the
server answers the first request's result rather than charging twice), only when that can
change the answer:
- no answer (connection refused or reset, timeout): the request may not have arrived;
- 408 (the body did not arrive in time), 429 (rate limited: nothing was done), 502/504 (a
  proxy in front of payorch);
- 409 `idempotency_key_in_use` (the first request with this key is still running: a later
  retry gets its answer); not 409 `charge_not_refundable`/`charge_not_pix` (final);
- 500 (a crash or store error leaves the key in flight, and a retry resumes the work), except
  `idempotency_key_corrupt`;
- 503 `store_unavailable`, `routing_unavailable`, `refund_outcome_unknown` (the key stays in
  flight: a retry resumes), `gateway_unavailable` without `attempts` (no gateway was admitted:
  nothing was stored, the key was released); not `gateway_unavailable` with attempts (the
  charge was made and failed: the key replays that answer) nor `refund_failed` (stored).
Never a 4xx other than these, and never an answer marked `Idempotent-Replayed: true` (it is the
key's stored answer: sending it again would only replay it). The wait is exponential
(`initial_delay` · 2^n, at most `max_delay`) with jitter (between half and all of it), or
`Retry-After` when the answer has one; a `Retry-After` longer than `max_retry_after` is not
waited for: the error is raised with its `retry_after`.
"""

import json
import random
import uuid
from dataclasses import dataclass, replace
from typing import (
    Any,
    Callable,
    Generator,
    Generic,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
    cast,
)
from urllib.parse import quote

import httpx

from ._version import __version__
from .errors import (
    ERROR_TYPES,
    APIConnectionError,
    APIError,
    APITimeoutError,
    PayorchError,
)
from .types import Charge, ChargeCreateRequest, ChargeList, RefundCreateRequest

T = TypeVar("T")

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between tries (seconds). `max_retries` is the client's."""

    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class Config:
    api_key: str
    base_url: str
    max_retries: int
    retry: RetryPolicy
    user_agent: str = f"payorch-python/{__version__}"


def make_config(
    api_key: str, base_url: str, max_retries: int, retry: Optional[RetryPolicy]
) -> Config:
    if not api_key:
        raise ValueError("api_key is required (a po_sk_… key from `payorch apikey create`)")
    if max_retries < 0:
        raise ValueError("max_retries must be 0 or more")
    return Config(
        api_key=api_key,
        base_url=base_url.rstrip("/"),
        max_retries=max_retries,
        retry=retry or RetryPolicy(),
    )


@dataclass(frozen=True)
class APIResponse(Generic[T]):
    """An answer with its HTTP details: `data` is what the plain call returns.

    `replayed` is true when the server answered a stored response for the idempotency key
    (`Idempotent-Replayed: true`): the same key was used before with the same body, and this
    is that first request's answer."""

    data: T
    status_code: int
    headers: Mapping[str, str]
    request_id: Optional[str]
    replayed: bool
    idempotency_key: Optional[str]


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One API call, before it is sent."""

    method: str
    path: str
    parse: Callable[[Any], T]
    query: Sequence[Tuple[str, str]] = ()
    body: Optional[Mapping[str, Any]] = None
    idempotency_key: Optional[str] = None


@dataclass(frozen=True)
class Send:
    request: httpx.Request


def timed(request: httpx.Request, timeout: httpx.Timeout) -> httpx.Request:
    """`request` with the client's timeout, as `Client.build_request` sets it (httpx < 0.28
    does not apply a client's timeout to a request built without it)."""
    request.extensions.setdefault("timeout", timeout.as_dict())
    return request


@dataclass(frozen=True)
class Sleep:
    seconds: float


Step = Union[Send, Sleep]
Outcome = Union[httpx.Response, httpx.TransportError, None]
Exchange = Generator[Step, Outcome, APIResponse[T]]


def exchange(config: Config, op: "Operation[T]") -> Exchange[T]:
    """Runs `op`: sends it, retries what is retryable (same idempotency key), returns the
    answer or raises its typed error."""
    key = op.idempotency_key
    if op.method == "POST" and key is None:
        key = str(uuid.uuid4())
    content = None
    if op.body is not None:
        # Serialized once: every retry sends the same bytes under the same key.
        content = json.dumps(op.body, separators=(",", ":"), ensure_ascii=False).encode()
    attempt = 0
    while True:
        request = build_request(config, op, key, content)
        outcome = yield Send(request)
        if isinstance(outcome, httpx.Response):
            if 200 <= outcome.status_code < 300:
                return _success(op, outcome, key)
            error: PayorchError = error_from_response(outcome, key)
        elif isinstance(outcome, httpx.TransportError):
            error = connection_error(outcome, key)
        else:  # pragma: no cover - a driver bug
            raise TypeError(f"expected a response or a transport error, got {outcome!r}")
        delay = retry_delay(config.retry, attempt, error)
        if delay is None or attempt >= config.max_retries:
            raise error
        yield Sleep(delay)
        attempt += 1


def build_request(
    config: Config, op: "Operation[Any]", key: Optional[str], content: Optional[bytes]
) -> httpx.Request:
    headers = {
        "Authorization": f"Bearer {config.api_key}",
        "Accept": "application/json",
        "User-Agent": config.user_agent,
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    if content is not None:
        headers["Content-Type"] = "application/json"
    return httpx.Request(
        op.method,
        config.base_url + op.path,
        params=list(op.query),
        headers=headers,
        content=content,
    )


def _success(op: "Operation[T]", response: httpx.Response, key: Optional[str]) -> APIResponse[T]:
    try:
        payload = response.json()
    except ValueError:
        raise APIError(
            f"the answer to {op.method} {op.path} is not JSON",
            status=response.status_code,
            request_id=response.headers.get("x-request-id"),
            idempotency_key=key,
            raw_body=response.content,
            headers=response.headers,
        ) from None
    return APIResponse(
        data=op.parse(payload),
        status_code=response.status_code,
        headers=response.headers,
        request_id=response.headers.get("x-request-id"),
        replayed=response.headers.get("idempotent-replayed", "").lower() == "true",
        idempotency_key=key,
    )


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """`Retry-After` in seconds (payorch sends whole seconds); an HTTP date or garbage is
    `None`."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def error_from_response(response: httpx.Response, key: Optional[str]) -> PayorchError:
    """The typed error of an error answer: the class of its `error.type`."""
    raw = response.content
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        pass
    detail: Mapping[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        detail = body["error"]
    kind = detail.get("type") if isinstance(detail.get("type"), str) else None
    cls = ERROR_TYPES.get(kind or "", APIError)
    message = detail.get("message")
    if not isinstance(message, str):
        text = raw[:200].decode("utf-8", "replace").strip()
        message = f"HTTP {response.status_code}" + (f": {text}" if text else "")
    return cls(
        message,
        status=response.status_code,
        type=kind,
        code=_str_or_none(detail.get("code")),
        param=_str_or_none(detail.get("param")),
        request_id=response.headers.get("x-request-id"),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        idempotency_key=key,
        body=body,
        raw_body=raw,
        headers=response.headers,
    )


def _str_or_none(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def connection_error(error: httpx.TransportError, key: Optional[str]) -> APIConnectionError:
    cls = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    what = "timed out" if cls is APITimeoutError else "failed"
    e = cls(f"the request {what}: {error!r}", idempotency_key=key)
    e.__cause__ = error
    return e


RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
# Codes of a retryable status whose answer a retry with the same key cannot change.
FINAL_CODES = {
    409: frozenset({"charge_not_refundable", "charge_not_pix", "pix_code_missing"}),
    500: frozenset({"idempotency_key_corrupt"}),
    503: frozenset({"refund_failed"}),
}


def is_retryable(error: PayorchError) -> bool:
    """Whether sending the same request again, with the same key, can change its answer."""
    if isinstance(error, APIConnectionError):
        return True
    status = error.status
    if status is None or status not in RETRYABLE_STATUSES:
        return False
    if error.headers.get("idempotent-replayed", "").lower() == "true":
        return False
    if status == 409:
        # Only "the first request with this key is still running"; a proxy's 409 is final.
        return error.code == "idempotency_key_in_use"
    if error.code in FINAL_CODES.get(status, frozenset()):
        return False
    if status == 503 and error.code == "gateway_unavailable" and error.attempts:
        return False
    return True


def retry_delay(policy: RetryPolicy, attempt: int, error: PayorchError) -> Optional[float]:
    """How long to wait before try `attempt + 2`, or `None` not to retry `error`."""
    if not is_retryable(error):
        return None
    if error.retry_after is not None:
        if error.retry_after > policy.max_retry_after:
            return None
        return error.retry_after
    backoff = min(policy.max_delay, policy.initial_delay * (2.0**attempt))
    return backoff * (0.5 + random.random() / 2)


# --- the charge operations, shared by both clients -----------------------------------------


def _charge(payload: Any) -> Charge:
    return cast(Charge, payload)


def _charge_list(payload: Any) -> ChargeList:
    return cast(ChargeList, payload)


def _path_id(charge_id: str) -> str:
    if not charge_id:
        raise ValueError("a charge id is required (ch_…)")
    return quote(charge_id, safe="")


def create_charge(params: ChargeCreateRequest, idempotency_key: Optional[str]) -> Operation[Charge]:
    return Operation("POST", "/v1/charges", _charge, body=params, idempotency_key=idempotency_key)


def retrieve_charge(charge_id: str, expand: Optional[Sequence[str]]) -> Operation[Charge]:
    if isinstance(expand, str):
        expand = [expand]
    query = [("expand[]", e) for e in expand or ()]
    return Operation("GET", f"/v1/charges/{_path_id(charge_id)}", _charge, query=query)


@dataclass(frozen=True)
class ListParams:
    """`GET /v1/charges`'s filters; `None` leaves one out."""

    status: Optional[str] = None
    gateway: Optional[str] = None
    created_gte: Optional[str] = None
    created_lt: Optional[str] = None
    limit: Optional[int] = None
    starting_after: Optional[str] = None

    def query(self) -> List[Tuple[str, str]]:
        pairs = [
            ("status", self.status),
            ("gateway", self.gateway),
            ("created_gte", self.created_gte),
            ("created_lt", self.created_lt),
            ("limit", None if self.limit is None else str(self.limit)),
            ("starting_after", self.starting_after),
        ]
        return [(k, v) for k, v in pairs if v is not None]


def list_charges(params: ListParams) -> Operation[ChargeList]:
    return Operation("GET", "/v1/charges", _charge_list, query=params.query())


def next_page(params: ListParams, page: ChargeList) -> Optional[ListParams]:
    """The parameters of the page after `page`, or `None` when it was the last."""
    cursor = page.get("next_cursor")
    if not page.get("has_more") or not cursor:
        return None
    return replace(params, starting_after=cursor)


def refund_charge(
    charge_id: str,
    amount: Optional[int],
    reason: Optional[str],
    idempotency_key: Optional[str],
) -> Operation[Charge]:
    body: RefundCreateRequest = {}
    if amount is not None:
        body["amount"] = amount
    if reason is not None:
        body["reason"] = reason
    return Operation(
        "POST",
        f"/v1/charges/{_path_id(charge_id)}/refunds",
        _charge,
        body=body,
        idempotency_key=idempotency_key,
    )
