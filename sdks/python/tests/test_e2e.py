"""The SDK against a real `payorch serve` + `payorch sandbox` (see `stack.py`): a Pix charge
paid through the sandbox whose `charge.succeeded` delivery the SDK's `Webhook` verifies, a card
charge, refunds, a replayed key, the same key with another body (422), a key still in flight
(409), a rate-limited key (429, waited out), a bad field (400 naming it), pagination, the async
client, and the README's examples (`examples/charge.py`, and `examples/webhook.py` receiving a
real delivery)."""

import os
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from payorch import (
    AsyncPayorch,
    IdempotencyError,
    InvalidRequestError,
    Payorch,
    RateLimitError,
    Webhook,
    WebhookVerificationError,
)
from payorch.types import ChargeCreateRequest, CustomerInput
from stack import Stack, wait_for

pytestmark = pytest.mark.e2e

SDK = Path(__file__).resolve().parent.parent
MARIA: CustomerInput = {
    "name": "Maria Silva", "document": "529.982.247-25", "email": "maria@example.com"}


def pix(order: str) -> ChargeCreateRequest:
    return {"amount": 1990, "currency": "BRL", "method": "pix", "customer": MARIA,
            "metadata": {"order_id": order}}


def card(order: str, amount: int = 4990) -> ChargeCreateRequest:
    return {"amount": amount, "currency": "BRL", "method": "card", "customer": MARIA,
            "card": {"tokens": {"stripe": "pm_card_visa"}}, "gateway": "stripe",
            "metadata": {"order_id": order}}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    s = Stack()
    yield s
    s.close()


@pytest.fixture
def client(stack: Stack) -> Iterator[Payorch]:
    with Payorch(stack.api_key, base_url=stack.url) as c:
        yield c


def test_a_pix_paid_in_the_sandbox_is_delivered_and_verified(stack: Stack, client: Payorch) -> None:
    charge = client.charges.create(pix(f"pix-{uuid.uuid4()}"))
    assert charge["status"] == "requires_action"
    assert charge["pix"]["copy_paste"].startswith("000201")
    stack.sandbox("pay", charge["gateway_reference"])

    headers, body = stack.event("charge.succeeded", charge["id"])
    event = Webhook(stack.webhook_secret).verify(body, headers)
    assert event["type"] == "charge.succeeded"
    assert event["data"]["charge"]["id"] == charge["id"]
    assert event["data"]["charge"]["status"] == "succeeded"
    assert headers["webhook-id"] == event["id"]
    # The same delivery under another secret, or altered, is refused.
    other = "whsec_" + "A" * 32
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(stack.webhook_secret).verify(body.replace(b"succeeded", b"failed", 1), headers)
    assert client.charges.retrieve(charge["id"])["status"] == "succeeded"
    with_qr = client.charges.retrieve(charge["id"], expand=["pix.qr_code_png"])
    assert with_qr["pix"]["qr_code_png"]


def test_a_card_charge_and_refunds(stack: Stack, client: Payorch) -> None:
    charge = client.charges.create(card(f"card-{uuid.uuid4()}"))
    assert (charge["status"], charge["gateway"]) == ("succeeded", "stripe")
    partial = client.charges.refund(charge["id"], amount=990, reason="damaged")
    assert partial["status"] == "partially_refunded"
    assert [(r["amount"], r["status"], r.get("reason")) for r in partial["refunds"]] == [
        (990, "succeeded", "damaged")]
    rest = client.charges.refund(charge["id"])
    assert (rest["status"], rest["amount_refunded"]) == ("refunded", 4990)
    with pytest.raises(InvalidRequestError) as e:
        client.charges.refund(charge["id"])
    assert (e.value.status, e.value.code) == (400, "charge_not_refundable")


def test_a_replayed_key_and_the_same_key_with_another_body(client: Payorch) -> None:
    key = f"order-{uuid.uuid4()}"
    body = card(key)
    first = client.charges.with_response.create(body, idempotency_key=key)
    again = client.charges.with_response.create(body, idempotency_key=key)
    assert first.replayed is False and again.replayed is True
    assert again.data["id"] == first.data["id"]
    assert first.request_id and again.request_id and first.request_id != again.request_id

    with pytest.raises(IdempotencyError) as e:
        client.charges.create(card(key, amount=5990), idempotency_key=key)
    error = e.value
    assert (error.status, error.type, error.code, error.param) == (
        422, "idempotency_error", "idempotency_key_reused", "Idempotency-Key")
    assert error.request_id and error.idempotency_key == key


def test_a_key_still_in_flight_is_a_409_then_the_answer(stack: Stack) -> None:
    key = f"slow-{uuid.uuid4()}"
    body = card(key)
    first: List[Any] = []
    stack.sandbox("mode", "stripe", "slow", "--latency", "3000")
    try:
        with Payorch(stack.api_key, base_url=stack.url, max_retries=0) as once:
            thread = threading.Thread(
                target=lambda: first.append(once.charges.create(body, idempotency_key=key)))
            thread.start()
            # The charge is stored, with its key claimed, before stripe is called.
            wait_for("the first request's charge", lambda: next(
                (c for c in once.charges.list(limit=10)["data"]
                 if c["metadata"].get("order_id") == key), None))
            with pytest.raises(IdempotencyError) as e:
                once.charges.create(body, idempotency_key=key)
            assert (e.value.status, e.value.code) == (409, "idempotency_key_in_use")
            thread.join(60)
    finally:
        stack.sandbox("mode", "stripe", "up")
    [charge] = first
    # What the SDK's retries get once the first request is done: its answer.
    with Payorch(stack.api_key, base_url=stack.url) as client:
        replay = client.charges.with_response.create(body, idempotency_key=key)
    assert replay.replayed and replay.data["id"] == charge["id"]


def test_a_rate_limited_call_waits_retry_after_then_passes(stack: Stack) -> None:
    key = stack.cli_json("apikey", "create")
    stack.cli("apikey", "update", "--rate-limit", "1/s", key["id"])
    with Payorch(key["secret"], base_url=stack.url, max_retries=0) as once:

        def limited() -> Optional[RateLimitError]:
            try:
                once.charges.list(limit=1)
            except RateLimitError as e:
                return e
            return None

        error = wait_for("a 429 from a key limited to 1/s", limited)
    assert (error.status, error.type, error.code) == (429, "rate_limit_error", "rate_limited")
    assert error.retry_after is not None and 0 < error.retry_after <= 1
    # Retried after Retry-After (nothing was done, so the same key is simply sent again).
    with Payorch(key["secret"], base_url=stack.url, max_retries=5) as client:
        charges = [client.charges.create(card(f"limited-{uuid.uuid4()}")) for _ in range(3)]
    assert [c["status"] for c in charges] == ["succeeded"] * 3


def test_a_bad_field_is_a_400_naming_it(client: Payorch) -> None:
    bad: Dict[str, Any] = dict(pix("bad"), currency="XYZ")
    with pytest.raises(InvalidRequestError) as e:
        client.charges.create(bad)  # type: ignore[arg-type]
    assert (e.value.status, e.value.param) == (400, "currency")
    with pytest.raises(InvalidRequestError) as e:
        no_document: Dict[str, Any] = dict(pix("bad"), customer={"name": "Maria"})
        client.charges.create(no_document)  # type: ignore[arg-type]
    assert (e.value.status, e.value.param) == (400, "customer.document")
    with pytest.raises(InvalidRequestError) as e:
        client.charges.retrieve("ch_does_not_exist")
    assert (e.value.status, e.value.code) == (404, "resource_missing")


def test_list_auto_paging_sees_every_charge(client: Payorch) -> None:
    batch = f"page-{uuid.uuid4()}"
    made = [client.charges.create(card(batch))["id"] for _ in range(3)]
    seen = [c["id"] for c in client.charges.list_auto_paging(status="succeeded", limit=2)]
    assert set(made) <= set(seen)
    assert len(seen) == len(set(seen))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_async_client_charges_and_refunds(stack: Stack, anyio_backend: str) -> None:
    async with AsyncPayorch(stack.api_key, base_url=stack.url) as client:
        charge = await client.charges.create(card(f"async-{uuid.uuid4()}"))
        assert charge["status"] == "succeeded"
        refunded = await client.charges.refund(charge["id"])
        assert refunded["status"] == "refunded"
        assert refunded["refunds"][0]["status"] == "succeeded"
        got = await client.charges.retrieve(charge["id"])
        assert got["amount_refunded"] == charge["amount"]
        ids = [c["id"] async for c in client.charges.list_auto_paging(limit=2)]
        assert charge["id"] in ids
        # The async client's replay flag and typed 422, too.
        key = f"async-{uuid.uuid4()}"
        first = await client.charges.with_response.create(card(key), idempotency_key=key)
        again = await client.charges.with_response.create(card(key), idempotency_key=key)
        assert (first.replayed, again.replayed) == (False, True)
        assert again.data["id"] == first.data["id"]
        with pytest.raises(IdempotencyError) as e:
            await client.charges.create(card(key, amount=1), idempotency_key=key)
        assert e.value.status == 422


def test_the_readme_example_runs(stack: Stack) -> None:
    env = dict(os.environ, PAYORCH_API_KEY=stack.api_key, PAYORCH_BASE_URL=stack.url)
    run = subprocess.run([sys.executable, str(SDK / "examples" / "charge.py")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    charge_id, status, gateway, copy_paste = run.stdout.split(maxsplit=3)
    assert charge_id.startswith("ch_") and status == "requires_action"
    assert gateway in ("stripe", "efi", "asaas") and copy_paste.startswith("000201")
    # Run again: the same key answers the same charge.
    again = subprocess.run([sys.executable, str(SDK / "examples" / "charge.py")], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout == run.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def listening(port: int) -> Optional[bool]:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return None


def test_the_webhook_example_verifies_a_real_delivery(stack: Stack, client: Payorch) -> None:
    port = free_port()
    env = dict(os.environ, PAYORCH_WEBHOOK_SECRET=stack.webhook_secret, PORT=str(port))
    receiver = subprocess.Popen(
        [sys.executable, str(SDK / "examples" / "webhook.py")], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: List[str] = []
    assert receiver.stdout is not None
    out = receiver.stdout
    threading.Thread(target=lambda: lines.extend(iter(out.readline, "")), daemon=True).start()
    try:
        wait_for("the webhook example listens", lambda: listening(port))
        # The same endpoint (and secret), now at the example's address.
        stack.cli("webhook", "endpoint", "set", f"http://127.0.0.1:{port}/hook")
        charge = client.charges.create(pix(f"hook-{uuid.uuid4()}"))
        stack.sandbox("pay", charge["gateway_reference"])
        wanted = f"charge.succeeded {charge['id']} succeeded\n"
        wait_for("the example prints the verified event", lambda: True if wanted in lines else None)
    finally:
        stack.cli("webhook", "endpoint", "set", stack.receiver.url)
        receiver.terminate()
        receiver.wait(10)
