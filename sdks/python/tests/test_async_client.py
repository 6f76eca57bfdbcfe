"""The async client on its own, under anyio's pytest plugin (asyncio): concurrent calls each
keep their own idempotency key across their own retries, and pages arrive through an async
iterator. (Every scenario of `test_client.py` also runs against the async client.)"""

from typing import Dict, List, Set

import anyio
import pytest

from payorch import AsyncPayorch
from conftest import FAST, Answer, Recorded, Scripted, charge_body, error_body

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_concurrent_creates_retry_with_their_own_keys(server: Scripted) -> None:
    # Each key's first request is answered 503, its next 201, in whatever order they arrive.
    seen: Set[str] = set()

    def respond(r: Recorded) -> Answer:
        key = r.headers["idempotency-key"]
        if key in seen:
            return Answer(201, charge_body())
        seen.add(key)
        return Answer(503, error_body("api_error", "store_unavailable"))

    server.respond = respond
    async with AsyncPayorch("po_sk_test", base_url=server.url, retry=FAST) as client:
        async def create(order: str) -> None:
            await client.charges.create({
                "amount": 1990, "currency": "BRL", "method": "pix",
                "customer": {"name": "Maria"}, "metadata": {"order_id": order}})

        async with anyio.create_task_group() as tg:
            for order in ("a", "b", "c"):
                tg.start_soon(create, order)
    by_key: Dict[str, List[str]] = {}
    for r in server.requests:
        by_key.setdefault(r.headers["idempotency-key"], []).append(r.json()["metadata"]["order_id"])
    # Three keys, each sent twice, each time with its own body.
    assert sorted(sorted(v) for v in by_key.values()) == [["a", "a"], ["b", "b"], ["c", "c"]]


async def test_list_auto_paging_is_an_async_iterator(server: Scripted) -> None:
    server.script(
        Answer(200, {"object": "list", "data": [charge_body("ch_2")], "has_more": True,
                     "next_cursor": "ch_2"}),
        Answer(200, {"object": "list", "data": [charge_body("ch_1")], "has_more": False,
                     "next_cursor": None}),
    )
    async with AsyncPayorch("po_sk_test", base_url=server.url, retry=FAST) as client:
        ids = [c["id"] async for c in client.charges.list_auto_paging(limit=1)]
    assert ids == ["ch_2", "ch_1"]
    assert server.requests[1].query == [("limit", "1"), ("starting_after", "ch_2")]
