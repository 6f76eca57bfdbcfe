"""Verifying payorch's webhook deliveries (Standard Webhooks), with the standard library only.

A delivery carries `webhook-id` (the event id, the same on every retry), `webhook-timestamp`
(Unix seconds) and `webhook-signature` (space-separated `v1,<base64>`: two during a secret
rotation). The signature is `base64(HMAC-SHA256(key, "{id}.{timestamp}.{raw body}"))`, the key
being the base64 decoding of the secret after `whsec_`. `Webhook.verify` accepts a delivery
when any `v1` signature matches (compared in constant time) and the timestamp is within the
tolerance (5 minutes) of this machine's clock, either way; it returns the event.

    webhook = Webhook(os.environ["PAYORCH_WEBHOOK_SECRET"])
    event = webhook.verify(request_body_bytes, request_headers)   # or WebhookVerificationError
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional, Union, cast

from .errors import WebhookVerificationError
from .types import Event

DEFAULT_TOLERANCE_SECONDS = 5 * 60
SECRET_PREFIX = "whsec_"


class Webhook:
    """A verifier for one endpoint's signing secret (`whsec_…`, from
    `payorch webhook endpoint set` or `secret rotate`)."""

    def __init__(
        self, secret: Union[str, bytes], *, tolerance: float = DEFAULT_TOLERANCE_SECONDS
    ) -> None:
        if isinstance(secret, bytes):
            self._key = secret
        else:
            encoded = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
            try:
                self._key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("the webhook secret is not base64 after `whsec_`") from None
        if not self._key:
            raise ValueError("the webhook secret is empty")
        if tolerance < 0:
            raise ValueError("tolerance must be 0 or more seconds")
        self._tolerance = tolerance

    def sign(self, msg_id: str, timestamp: int, payload: Union[bytes, str]) -> str:
        """The `v1,<base64>` signature of a delivery (what payorch sends; for tests)."""
        body = payload.encode() if isinstance(payload, str) else payload
        signed = f"{msg_id}.{timestamp}.".encode() + body
        digest = hmac.new(self._key, signed, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()

    def verify(
        self,
        payload: Union[bytes, str],
        headers: Mapping[str, str],
        *,
        now: Optional[float] = None,
    ) -> Event:
        """The delivered event, once `payload` (the raw body, not re-serialized JSON) is
        proven to be signed with this secret and fresh; else `WebhookVerificationError`.
        `headers` may be any mapping (names are matched case-insensitively)."""
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = _header(lower, "webhook-id")
        timestamp_text = _header(lower, "webhook-timestamp")
        signatures = _header(lower, "webhook-signature")
        try:
            timestamp = int(timestamp_text)
        except ValueError:
            raise WebhookVerificationError("webhook-timestamp is not a Unix time") from None
        current = time.time() if now is None else now
        if timestamp < current - self._tolerance:
            raise WebhookVerificationError("webhook-timestamp is too old")
        if timestamp > current + self._tolerance:
            raise WebhookVerificationError("webhook-timestamp is in the future")
        body = payload.encode() if isinstance(payload, str) else payload
        expected = self.sign(msg_id, timestamp, body).split(",", 1)[1].encode()
        matched = False
        for candidate in signatures.split():
            version, _, signature = candidate.partition(",")
            # Every candidate is compared, so the time taken does not say which matched.
            if version == "v1" and hmac.compare_digest(signature.encode(), expected):
                matched = True
        if not matched:
            raise WebhookVerificationError("no webhook-signature matches this secret and body")
        try:
            event: Any = json.loads(body)
        except ValueError:
            raise WebhookVerificationError("the signed body is not JSON") from None
        return cast(Event, event)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise WebhookVerificationError(f"missing header {name}")
    return value
