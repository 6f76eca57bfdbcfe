"""The synchronous client, `Payorch`: `_core`'s exchanges driven with `httpx.Client` and
`time.sleep`. `_async_client.py` is the same surface, awaited."""

import os
import time
from types import TracebackType
from typing import Iterator, Optional, Sequence, Type, TypeVar, Union

import httpx

from . import _core
from ._core import APIResponse, Exchange, ListParams, RetryPolicy, Send
from .types import Charge, ChargeCreateRequest, ChargeList

T = TypeVar("T")


def drive(exchange: Exchange[T], http: httpx.Client) -> APIResponse[T]:
    """Runs an exchange: sends what it asks to send, sleeps what it asks to sleep."""
    step = next(exchange)
    while True:
        outcome: _core.Outcome
        if isinstance(step, Send):
            try:
                outcome = http.send(_core.timed(step.request, http.timeout))
            except httpx.TransportError as e:
                outcome = e
        else:
            time.sleep(step.seconds)
            outcome = None
        try:
            step = exchange.send(outcome)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


class Payorch:
    """A client of payorch's merchant API.

    `api_key` defaults to `$PAYORCH_API_KEY`, `base_url` to `$PAYORCH_BASE_URL`, else
    `http://127.0.0.1:8080` (`payorch serve`'s default). `max_retries` retries of what is
    retryable (see `payorch._core`), `timeout` per try in seconds (or an `httpx.Timeout`).
    Pass `http_client` to use your own `httpx.Client` (proxies, TLS); it is not closed by
    `close()`. Use it as a context manager, or call `close()`."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        max_retries: int = _core.DEFAULT_MAX_RETRIES,
        timeout: Union[float, httpx.Timeout] = _core.DEFAULT_TIMEOUT,
        retry: Optional[RetryPolicy] = None,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        self._config = _core.make_config(
            api_key or os.environ.get("PAYORCH_API_KEY", ""),
            base_url or os.environ.get("PAYORCH_BASE_URL", _core.DEFAULT_BASE_URL),
            max_retries,
            retry,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        self.charges = Charges(self)

    def _request(self, op: "_core.Operation[T]") -> APIResponse[T]:
        """Sends one operation (retrying what is retryable); the answer with its details."""
        return drive(_core.exchange(self._config, op), self._http)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "Payorch":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class ChargesWithResponse:
    """`client.charges.with_response`: the same calls, answering an `APIResponse` (`.data`,
    `.replayed`, `.request_id`, `.idempotency_key`, `.status_code`, `.headers`)."""

    def __init__(self, client: Payorch) -> None:
        self._client = client

    def create(
        self, params: ChargeCreateRequest, *, idempotency_key: Optional[str] = None
    ) -> APIResponse[Charge]:
        return self._client._request(_core.create_charge(params, idempotency_key))

    def retrieve(
        self, charge_id: str, *, expand: Optional[Sequence[str]] = None
    ) -> APIResponse[Charge]:
        return self._client._request(_core.retrieve_charge(charge_id, expand))

    def list(
        self,
        *,
        status: Optional[str] = None,
        gateway: Optional[str] = None,
        created_gte: Optional[str] = None,
        created_lt: Optional[str] = None,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
    ) -> APIResponse[ChargeList]:
        params = ListParams(status, gateway, created_gte, created_lt, limit, starting_after)
        return self._client._request(_core.list_charges(params))

    def refund(
        self,
        charge_id: str,
        *,
        amount: Optional[int] = None,
        reason: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> APIResponse[Charge]:
        op = _core.refund_charge(charge_id, amount, reason, idempotency_key)
        return self._client._request(op)


class Charges:
    """`client.charges`: create, retrieve, list (one page or every page) and refund."""

    def __init__(self, client: Payorch) -> None:
        self._client = client
        self.with_response = ChargesWithResponse(client)

    def create(
        self, params: ChargeCreateRequest, *, idempotency_key: Optional[str] = None
    ) -> Charge:
        """`POST /v1/charges`. Without `idempotency_key`, a fresh one (UUID4) is made; every
        retry of this call sends the same. Pass your own (an order id) to make the call safe
        to repeat across processes."""
        return self.with_response.create(params, idempotency_key=idempotency_key).data

    def retrieve(self, charge_id: str, *, expand: Optional[Sequence[str]] = None) -> Charge:
        """`GET /v1/charges/{id}`; `expand=["pix.qr_code_png"]` adds a Pix QR code image."""
        return self.with_response.retrieve(charge_id, expand=expand).data

    def list(
        self,
        *,
        status: Optional[str] = None,
        gateway: Optional[str] = None,
        created_gte: Optional[str] = None,
        created_lt: Optional[str] = None,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
    ) -> ChargeList:
        """One page of `GET /v1/charges`, newest first (documents masked)."""
        params = ListParams(status, gateway, created_gte, created_lt, limit, starting_after)
        return self._client._request(_core.list_charges(params)).data

    def list_auto_paging(
        self,
        *,
        status: Optional[str] = None,
        gateway: Optional[str] = None,
        created_gte: Optional[str] = None,
        created_lt: Optional[str] = None,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
    ) -> Iterator[Charge]:
        """Every charge matching the filters, page after page (`limit` per page), fetched as
        the iteration reaches it."""
        params: Optional[ListParams] = ListParams(
            status, gateway, created_gte, created_lt, limit, starting_after
        )
        while params is not None:
            page = self._client._request(_core.list_charges(params)).data
            yield from page["data"]
            params = _core.next_page(params, page)

    def refund(
        self,
        charge_id: str,
        *,
        amount: Optional[int] = None,
        reason: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Charge:
        """`POST /v1/charges/{id}/refunds`: `amount` in minor units, none for everything left.
        Answers the charge with its `refunds`; a refund may be `pending`."""
        return self.with_response.refund(
            charge_id, amount=amount, reason=reason, idempotency_key=idempotency_key
        ).data
