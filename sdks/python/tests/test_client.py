"""Both clients against a real local HTTP server: the exact requests they send, which answers
they retry (always with the same Idempotency-Key and body) and which they never do, the typed
errors, pagination and timeouts. Every test runs twice, sync and async (the `api` fixture)."""

import uuid
from typing import Any

import pytest

from payorch import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    GatewayError,
    IdempotencyError,
    InvalidRequestError,
    PayorchError,
    RateLimitError,
    __version__,
)
from conftest import Answer, Api, Scripted, charge_body, error_body

PIX = {
    "amount": 1990,
    "currency": "BRL",
    "method": "pix",
    "customer": {"name": "Maria Silva", "document": "529.982.247-25"},
    "metadata": {"order_id": "1234"},
}


def test_create_sends_the_exact_request(api: Api, server: Scripted) -> None:
    server.script(Answer(201, charge_body(), {"X-Request-Id": "req_1"}))
    charge = api(lambda c: c.charges.create(PIX))
    assert charge["id"] == "ch_1"
    [r] = server.requests
    assert (r.method, r.path, r.query) == ("POST", "/v1/charges", [])
    assert r.headers["authorization"] == "Bearer po_sk_test"
    assert r.headers["content-type"] == "application/json"
    assert r.headers["accept"] == "application/json"
    assert r.headers["user-agent"] == f"payorch-python/{__version__}"
    assert uuid.UUID(r.headers["idempotency-key"]).version == 4
    assert r.json() == PIX


def test_with_response_tells_replayed_and_request_id(api: Api, server: Scripted) -> None:
    server.script(
        Answer(201, charge_body(), {"X-Request-Id": "req_1", "Idempotent-Replayed": "true"})
    )
    answer = api(lambda c: c.charges.with_response.create(PIX, idempotency_key="order-1"))
    assert answer.data["id"] == "ch_1"
    assert answer.replayed is True
    assert answer.request_id == "req_1"
    assert answer.idempotency_key == "order-1"
    assert answer.status_code == 201
    assert server.requests[0].headers["idempotency-key"] == "order-1"


@pytest.mark.parametrize(
    "first",
    [
        Answer(503, error_body("api_error", "store_unavailable")),
        Answer(500, error_body("api_error", "internal_error")),
        Answer(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}),
        Answer(504, b""),
        Answer(408, error_body("invalid_request_error", "body_timeout")),
        Answer(409, error_body("idempotency_error", "idempotency_key_in_use")),
        Answer(503, error_body("gateway_error", "refund_outcome_unknown")),
        Answer(drop=True),
    ],
    ids=["503", "500", "502-html", "504", "408", "409-in-use", "503-refund-unknown", "dropped"],
)
def test_retries_with_the_same_key_and_body(api: Api, server: Scripted, first: Answer) -> None:
    server.script(first, Answer(201, charge_body()))
    charge = api(lambda c: c.charges.create(PIX))
    assert charge["id"] == "ch_1"
    a, b = server.requests
    assert a.headers["idempotency-key"] == b.headers["idempotency-key"]
    assert a.body == b.body and a.json() == PIX


def test_gives_up_after_max_retries(api: Api, server: Scripted) -> None:
    busy = Answer(503, error_body("api_error", "store_unavailable"), {"X-Request-Id": "req_3"})
    server.script(busy, busy, busy, busy)
    with pytest.raises(APIError) as e:
        api(lambda c: c.charges.create(PIX, idempotency_key="k-1"), max_retries=2)
    assert len(server.requests) == 3
    assert {r.headers["idempotency-key"] for r in server.requests} == {"k-1"}
    assert (e.value.status, e.value.code, e.value.request_id) == (503, "store_unavailable", "req_3")
    assert e.value.idempotency_key == "k-1"


def test_retry_after_is_honoured(api: Api, server: Scripted) -> None:
    limited = error_body("rate_limit_error", "rate_limited")
    server.script(Answer(429, limited, {"Retry-After": "1"}), Answer(201, charge_body()))
    api(lambda c: c.charges.create(PIX))
    a, b = server.requests
    # A lower bound only: a loaded machine makes the gap longer, never shorter.
    assert b.at - a.at >= 1.0
    assert a.headers["idempotency-key"] == b.headers["idempotency-key"]


def test_a_retry_after_beyond_the_cap_is_raised_not_waited(api: Api, server: Scripted) -> None:
    limited = error_body("rate_limit_error", "rate_limited", "too many requests")
    server.script(Answer(429, limited, {"Retry-After": "3600"}))
    with pytest.raises(RateLimitError) as e:
        api(lambda c: c.charges.create(PIX))
    assert len(server.requests) == 1
    assert e.value.retry_after == 3600.0


@pytest.mark.parametrize(
    "status, body, cls",
    [
        (400, error_body("invalid_request_error", "parameter_missing", "is required", "currency"),
         InvalidRequestError),
        (401, error_body("authentication_error", "invalid_api_key"), AuthenticationError),
        (404, error_body("invalid_request_error", "resource_missing", param="id"),
         InvalidRequestError),
        (415, error_body("invalid_request_error", "content_type_unsupported",
                         param="Content-Type"), InvalidRequestError),
        (422, error_body("idempotency_error", "idempotency_key_reused",
                         param="Idempotency-Key"), IdempotencyError),
        (422, error_body("gateway_error", "no_gateway_for_charge"), GatewayError),
        (409, error_body("invalid_request_error", "charge_not_refundable"), InvalidRequestError),
        (402, error_body("gateway_error", "refund_failed"), GatewayError),
        (500, error_body("api_error", "idempotency_key_corrupt"), APIError),
        (503, error_body("gateway_error", "refund_failed"), GatewayError),
    ],
    ids=["400", "401", "404", "415", "422-reused", "422-no-gateway", "409-final", "402",
         "500-corrupt", "503-refund-failed"],
)
def test_never_retries_a_final_answer(
    api: Api, server: Scripted, status: int, body: Any, cls: type
) -> None:
    server.script(Answer(status, body, {"X-Request-Id": "req_9"}), Answer(201, charge_body()))
    with pytest.raises(cls) as e:
        api(lambda c: c.charges.create(PIX))
    assert len(server.requests) == 1
    error = e.value
    assert isinstance(error, PayorchError)
    detail = body["error"]
    assert (error.status, error.type, error.code, error.param, error.message) == (
        status, detail["type"], detail["code"], detail["param"], detail["message"])
    assert error.request_id == "req_9" == error.headers["X-Request-Id"]
    assert error.body == body
    assert error.raw_body is not None and error.raw_body.startswith(b"{")
    assert error.idempotency_key == server.requests[0].headers["idempotency-key"]


def test_a_replayed_error_is_not_retried(api: Api, server: Scripted) -> None:
    stored = error_body("gateway_error", "gateway_unavailable")
    server.script(Answer(503, stored, {"Idempotent-Replayed": "true"}), Answer(201, charge_body()))
    with pytest.raises(GatewayError):
        api(lambda c: c.charges.create(PIX))
    assert len(server.requests) == 1


def test_a_charge_that_failed_at_every_gateway_is_not_retried(api: Api, server: Scripted) -> None:
    attempt = {"gateway": "stripe", "outcome": "unavailable_not_sent", "latency_ms": 3,
               "at": "2026-12-05T07:00:00.000Z"}
    server.script(Answer(503, error_body("gateway_error", "gateway_unavailable",
                                         attempts=[attempt])))
    with pytest.raises(GatewayError) as e:
        api(lambda c: c.charges.create(PIX))
    assert len(server.requests) == 1
    assert e.value.attempts == [attempt]


def test_a_timeout_is_retried_with_the_same_key_then_raised(api: Api, server: Scripted) -> None:
    server.script(Answer(201, charge_body(), hold=server.hold()),
                  Answer(201, charge_body(), hold=server.hold()))
    with pytest.raises(APITimeoutError) as e:
        api(lambda c: c.charges.create(PIX, idempotency_key="k-t"), timeout=0.2, max_retries=1)
    assert isinstance(e.value, APIConnectionError)
    assert [r.headers["idempotency-key"] for r in server.requests] == ["k-t", "k-t"]
    assert e.value.idempotency_key == "k-t"


def test_a_refused_connection_is_a_connection_error(api: Api, server: Scripted) -> None:
    url = server.url
    server.close()  # nothing listens there any more
    with pytest.raises(APIConnectionError):
        Api(api.kind, url)(lambda c: c.charges.retrieve("ch_1"), max_retries=1)


def test_retrieve_with_expand_and_an_escaped_id(api: Api, server: Scripted) -> None:
    server.script(Answer(200, charge_body("ch_1/x")))
    charge = api(lambda c: c.charges.retrieve("ch_1/x", expand=["pix.qr_code_png"]))
    assert charge["id"] == "ch_1/x"
    [r] = server.requests
    assert (r.method, r.path, r.query) == ("GET", "/v1/charges/ch_1%2Fx",
                                           [("expand[]", "pix.qr_code_png")])
    assert "idempotency-key" not in r.headers and r.body == b""


def test_refund_sends_only_what_is_given(api: Api, server: Scripted) -> None:
    server.script(Answer(200, charge_body(status="partially_refunded")), Answer(200, charge_body()))
    api(lambda c: c.charges.refund("ch_1", amount=500, reason="damaged", idempotency_key="r-1"))
    api(lambda c: c.charges.refund("ch_1"))
    partial, full = server.requests
    assert (partial.method, partial.path) == ("POST", "/v1/charges/ch_1/refunds")
    assert partial.json() == {"amount": 500, "reason": "damaged"}
    assert partial.headers["idempotency-key"] == "r-1"
    assert full.json() == {}
    assert uuid.UUID(full.headers["idempotency-key"]).version == 4


def test_list_one_page_with_filters(api: Api, server: Scripted) -> None:
    page = {"object": "list", "data": [charge_body()], "has_more": True, "next_cursor": "ch_1"}
    server.script(Answer(200, page))
    got = api(lambda c: c.charges.list(status="succeeded", limit=1, created_gte="2026-12-01"))
    assert got == page
    [r] = server.requests
    assert (r.method, r.path) == ("GET", "/v1/charges")
    assert r.query == [("status", "succeeded"), ("created_gte", "2026-12-01"), ("limit", "1")]


def test_list_auto_paging_follows_the_cursor(api: Api, server: Scripted) -> None:
    def page(ids: Any, more: bool) -> Answer:
        return Answer(200, {"object": "list", "data": [charge_body(i) for i in ids],
                            "has_more": more, "next_cursor": ids[-1] if more else None})

    server.script(page(["ch_5", "ch_4"], True), page(["ch_3", "ch_2"], True),
                  page(["ch_1"], False))
    charges = api.all(lambda c: c.charges.list_auto_paging(gateway="stripe", limit=2))
    assert [ch["id"] for ch in charges] == ["ch_5", "ch_4", "ch_3", "ch_2", "ch_1"]
    assert [r.query for r in server.requests] == [
        [("gateway", "stripe"), ("limit", "2")],
        [("gateway", "stripe"), ("limit", "2"), ("starting_after", "ch_4")],
        [("gateway", "stripe"), ("limit", "2"), ("starting_after", "ch_2")],
    ]


def test_a_success_that_is_not_json_is_an_api_error(api: Api, server: Scripted) -> None:
    server.script(Answer(200, b"not json", {"Content-Type": "text/plain"}))
    with pytest.raises(APIError) as e:
        api(lambda c: c.charges.retrieve("ch_1"))
    assert e.value.raw_body == b"not json"
