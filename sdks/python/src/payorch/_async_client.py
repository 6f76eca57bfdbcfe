"""The asynchronous client, `AsyncPayorch`: `_core`'s exchanges driven with
`httpx.AsyncClient` and an async sleep (anyio's, so asyncio and trio both work). The same
surface as `_client.py`'s `Payorch`, awaited; `list_auto_paging` is an async iterator."""

import os
from types import TracebackType
from typing import AsyncIterator, Optional, Sequence, Type, TypeVar, Union

import httpx

from . import _core
from ._core import APIResponse, Exchange, ListParams, RetryPolicy, Send
from .types import Charge, ChargeCreateRequest, ChargeList

T = TypeVar("T")

try:  # httpx's own async layer: works under asyncio and trio.
    from anyio import sleep as _sleep
except ImportError:  # pragma: no cover
    from asyncio import sleep as _sleep


async def drive(exchange: Exchange[T], http: httpx.AsyncClient) -> APIResponse[T]:
    """Runs an exchange: sends what it asks to send, sleeps what it asks to sleep."""
    step = next(exchange)
    while True:
        outcome: _core.Outcome
        if isinstance(step, Send):
            try:
                outcome = await http.send(_core.timed(step.request, http.timeout))
            except httpx.TransportError as e:
                outcome = e
        else:
            await _sleep(step.seconds)
            outcome = None
        try:
            step = exchange.send(outcome)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


class AsyncPayorch:
    """An asynchronous client of payorch's merchant API (see `Payorch`).

    `api_key` defaults to `$PAYORCH_API_KEY`, `base_url` to `$PAYORCH_BASE_URL`, else
    `http://127.0.0.1:8080` (`payorch serve`'s default). `max_retries` retries of what is
    retryable (see `payorch._core`), `timeout` per try in seconds (or an `httpx.Timeout`).
    Pass `http_client` to use your own `httpx.AsyncClient` (proxies, TLS); it is not closed by
    `aclose()`. Use it as an async context manager, or call `aclose()`."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        max_retries: int = _core.DEFAULT_MAX_RETRIES,
        timeout: Union[float, httpx.Timeout] = _core.DEFAULT_TIMEOUT,
        retry: Optional[RetryPolicy] = None,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        self._config = _core.make_config(
            api_key or os.environ.get("PAYORCH_API_KEY", ""),
            base_url or os.environ.get("PAYORCH_BASE_URL", _core.DEFAULT_BASE_URL),
            max_retries,
            retry,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        self.charges = AsyncCharges(self)

    async def _request(self, op: "_core.Operation[T]") -> APIResponse[T]:
        """Sends one operation (retrying what is retryable); the answer with its details."""
        return await drive(_core.exchange(self._config, op), self._http)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncPayorch":
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()


class AsyncChargesWithResponse:
    """`client.charges.with_response`: the same calls, answering an `APIResponse` (`.data`,
    `.replayed`, `.request_id`, `.idempotency_key`, `.status_code`, `.headers`)."""

    def __init__(self, client: AsyncPayorch) -> None:
        self._client = client

    async def create(
        self, params: ChargeCreateRequest, *, idempotency_key: Optional[str] = None
    ) -> APIResponse[Charge]:
        return await self._client._request(_core.create_charge(params, idempotency_key))

    async def retrieve(
        self, charge_id: str, *, expand: Optional[Sequence[str]] = None
    ) -> APIResponse[Charge]:
        return await self._client._request(_core.retrieve_charge(charge_id, expand))

    async def list(
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
        return await self._client._request(_core.list_charges(params))

    async def refund(
        self,
        charge_id: str,
        *,
        amount: Optional[int] = None,
        reason: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> APIResponse[Charge]:
        op = _core.refund_charge(charge_id, amount, reason, idempotency_key)
        return await self._client._request(op)


class AsyncCharges:
    """`client.charges`: create, retrieve, list (one page or every page) and refund."""

    def __init__(self, client: AsyncPayorch) -> None:
        self._client = client
        self.with_response = AsyncChargesWithResponse(client)

    async def create(
        self, params: ChargeCreateRequest, *, idempotency_key: Optional[str] = None
    ) -> Charge:
        """`POST /v1/charges`. Without `idempotency_key`, a fresh one (UUID4) is made; every
        retry of this call sends the same. Pass your own (an order id) to make the call safe
        to repeat across processes."""
        return (await self.with_response.create(params, idempotency_key=idempotency_key)).data

    async def retrieve(self, charge_id: str, *, expand: Optional[Sequence[str]] = None) -> Charge:
        """`GET /v1/charges/{id}`; `expand=["pix.qr_code_png"]` adds a Pix QR code image."""
        return (await self.with_response.retrieve(charge_id, expand=expand)).data

    async def list(
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
        return (await self._client._request(_core.list_charges(params))).data

    async def list_auto_paging(
        self,
        *,
        status: Optional[str] = None,
        gateway: Optional[str] = None,
        created_gte: Optional[str] = None,
        created_lt: Optional[str] = None,
        limit: Optional[int] = None,
        starting_after: Optional[str] = None,
    ) -> AsyncIterator[Charge]:
        """Every charge matching the filters, page after page (`limit` per page), fetched as
        the iteration reaches it."""
        params: Optional[ListParams] = ListParams(
            status, gateway, created_gte, created_lt, limit, starting_after
        )
        while params is not None:
            page = (await self._client._request(_core.list_charges(params))).data
            for charge in page["data"]:
                yield charge
            params = _core.next_page(params, page)

    async def refund(
        self,
        charge_id: str,
        *,
        amount: Optional[int] = None,
        reason: Optional[str] = None,
        idempotency_key: Optional[str] = None,
    ) -> Charge:
        """`POST /v1/charges/{id}/refunds`: `amount` in minor units, none for everything left.
        Answers the charge with its `refunds`; a refund may be `pending`."""
        answer = await self.with_response.refund(
            charge_id, amount=amount, reason=reason, idempotency_key=idempotency_key
        )
        return answer.data
