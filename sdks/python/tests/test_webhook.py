"""The Standard Webhooks verifier: what it accepts and everything it must refuse. (The e2e
test verifies a real delivery signed by `payorch serve`.)"""

import base64
import json
import time
from typing import Any, Dict

import pytest

from payorch import Webhook, WebhookVerificationError

SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()
BODY = json.dumps({"id": "evt_1", "type": "charge.succeeded", "tenant": "default",
                   "created_at": "2026-12-05T07:00:00.000Z", "data": {"charge": {}}}).encode()


def headers(
    secret: str = SECRET, body: bytes = BODY, ts: int = 0, msg_id: str = "evt_1"
) -> Dict[str, str]:
    ts = ts or int(time.time())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": Webhook(secret).sign(msg_id, ts, body),
    }


def test_the_standard_webhooks_reference_vector() -> None:
    # The example of the Standard Webhooks specification (and its libraries' tests).
    wh = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    payload = b'{"test": 2432232314}'
    sig = wh.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, payload)
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    h = {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
         "webhook-signature": sig}
    event: Any = wh.verify(payload, h, now=1614265330)
    assert event == {"test": 2432232314}


def test_a_good_delivery_is_the_event() -> None:
    event = Webhook(SECRET).verify(BODY, headers())
    assert event["type"] == "charge.succeeded" and event["id"] == "evt_1"


def test_header_names_are_case_insensitive_and_str_bodies_work() -> None:
    h = {k.title(): v for k, v in headers().items()}
    assert Webhook(SECRET).verify(BODY.decode(), h)["id"] == "evt_1"


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(SECRET).verify(BODY.replace(b"evt_1", b"evt_2"), headers())


def test_another_secret_is_refused() -> None:
    other = "whsec_" + base64.b64encode(b"x" * 24).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, headers(secret=other))


def test_another_message_id_is_refused() -> None:
    h = headers()
    h["webhook-id"] = "evt_2"
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, h)


@pytest.mark.parametrize("offset", [-301, 301, -86400, 86400])
def test_a_timestamp_beyond_five_minutes_either_way_is_refused(offset: int) -> None:
    now = time.time()
    h = headers(ts=int(now) + offset)
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        Webhook(SECRET).verify(BODY, h, now=now)


def test_within_the_tolerance_is_accepted_and_the_tolerance_is_configurable() -> None:
    now = 1_800_000_000
    h = headers(ts=now - 290)
    assert Webhook(SECRET).verify(BODY, h, now=now)["id"] == "evt_1"
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET, tolerance=60).verify(BODY, h, now=now)
    assert Webhook(SECRET, tolerance=3600).verify(BODY, headers(ts=now - 3000), now=now)


def test_any_of_several_signatures_is_enough() -> None:
    h = headers()
    old = "whsec_" + base64.b64encode(b"o" * 24).decode()
    stale = headers(secret=old)["webhook-signature"]
    # During a rotation: the old secret's signature and the new one's, in either order.
    for both in (f"{stale} {h['webhook-signature']}", f"{h['webhook-signature']} {stale}"):
        assert Webhook(SECRET).verify(BODY, {**h, "webhook-signature": both})["id"] == "evt_1"
        assert Webhook(old).verify(BODY, {**h, "webhook-signature": both})["id"] == "evt_1"


def test_only_v1_signatures_count() -> None:
    h = headers()
    h["webhook-signature"] = h["webhook-signature"].replace("v1,", "v2,")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, h)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(missing: str) -> None:
    h = headers()
    del h[missing]
    with pytest.raises(WebhookVerificationError, match=missing):
        Webhook(SECRET).verify(BODY, h)


def test_a_timestamp_that_is_not_a_number_is_refused() -> None:
    h = headers()
    h["webhook-timestamp"] = "yesterday"
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, h)


def test_a_secret_that_is_not_base64_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Webhook("whsec_not base64!")
