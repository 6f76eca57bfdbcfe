"""payorch's Python SDK: the merchant API (charges, refunds), with automatic idempotency keys
and safe retries, typed errors, pagination, and the webhook verifier.

    from payorch import Payorch
    client = Payorch("po_sk_…", base_url="http://127.0.0.1:8080")
    charge = client.charges.create({...})

Modules: `_core` (everything but I/O: requests, the retry policy, answers), `_client` and
`_async_client` (the two drivers), `types` (the OpenAPI schemas), `errors`, `webhooks`.
"""

from ._async_client import AsyncCharges, AsyncChargesWithResponse, AsyncPayorch
from ._client import Charges, ChargesWithResponse, Payorch
from ._core import APIResponse, RetryPolicy
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    GatewayError,
    IdempotencyError,
    InvalidRequestError,
    PayorchError,
    RateLimitError,
    WebhookVerificationError,
)
from .webhooks import Webhook

__all__ = [
    "__version__",
    "Payorch",
    "AsyncPayorch",
    "Charges",
    "ChargesWithResponse",
    "AsyncCharges",
    "AsyncChargesWithResponse",
    "APIResponse",
    "RetryPolicy",
    "Webhook",
    "PayorchError",
    "InvalidRequestError",
    "AuthenticationError",
    "IdempotencyError",
    "GatewayError",
    "RateLimitError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "WebhookVerificationError",
]
