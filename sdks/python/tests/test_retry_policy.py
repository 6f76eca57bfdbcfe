"""The retry policy as a pure function (`payorch._core`): which errors a retry with the same
key can change, and how long to wait: exponential, jittered, capped, `Retry-After` first."""

from typing import Optional

import pytest

from payorch import APIConnectionError, APITimeoutError, PayorchError, RetryPolicy
from payorch._core import is_retryable, retry_delay

POLICY = RetryPolicy(initial_delay=0.5, max_delay=8.0, max_retry_after=60.0)


def answer(status: int, code: Optional[str] = None, retry_after: Optional[float] = None,
           replayed: bool = False) -> PayorchError:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return PayorchError("x", status=status, code=code, retry_after=retry_after, headers=headers)


@pytest.mark.parametrize("attempt, low, high", [
    (0, 0.25, 0.5), (1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (4, 4.0, 8.0), (9, 4.0, 8.0),
])
def test_backoff_doubles_with_jitter_up_to_the_cap(attempt: int, low: float, high: float) -> None:
    delays = {retry_delay(POLICY, attempt, answer(503, "store_unavailable")) for _ in range(200)}
    assert all(d is not None and low <= d <= high for d in delays)
    assert len(delays) > 1  # jittered, not one fixed wait


def test_retry_after_is_the_wait_and_beyond_the_cap_no_retry() -> None:
    assert retry_delay(POLICY, 0, answer(429, "rate_limited", retry_after=20)) == 20
    assert retry_delay(POLICY, 5, answer(503, "store_unavailable", retry_after=2)) == 2
    assert retry_delay(POLICY, 0, answer(429, "rate_limited", retry_after=61)) is None


@pytest.mark.parametrize("error, retryable", [
    (APIConnectionError("refused"), True),
    (APITimeoutError("timeout"), True),
    (answer(408, "body_timeout"), True),
    (answer(409, "idempotency_key_in_use"), True),
    (answer(409, "charge_not_refundable"), False),
    (answer(409), False),
    (answer(429, "rate_limited"), True),
    (answer(500, "internal_error"), True),
    (answer(500, "idempotency_key_corrupt"), False),
    (answer(502), True),
    (answer(503, "store_unavailable"), True),
    (answer(503, "gateway_unavailable"), True),
    (answer(503, "refund_failed"), False),
    (answer(503, "store_unavailable", replayed=True), False),
    (answer(504), True),
    (answer(400, "parameter_invalid"), False),
    (answer(401, "invalid_api_key"), False),
    (answer(404, "resource_missing"), False),
    (answer(422, "idempotency_key_reused"), False),
    (answer(422, "no_gateway_for_charge"), False),
])
def test_what_is_retryable(error: PayorchError, retryable: bool) -> None:
    assert is_retryable(error) is retryable
