"""The merchant API's JSON, as typed dictionaries: one per schema of the OpenAPI document
(`openapi.yaml` at the repository's root), with the schema's name and its properties.

A response is the server's JSON as it came, not copied into objects: `charge["status"]`,
`charge["pix"]["copy_paste"]`. Required properties are the keys of each type's `_…Required`
base (Python 3.9 has no `NotRequired`), optional ones those of the type itself
(`total=False`). `tests/test_openapi_drift.py` checks every type listed in `SCHEMAS` against
the schema of the same name (property names, and which are required), so the SDK cannot drift
from the contract. Enumerations (`status`, `method`, …) are plain `str`: a value the server
adds later must not break a merchant's type check.
"""

from typing import Any, Dict, List, Optional, Type, TypedDict

# --- requests ---------------------------------------------------------------------------


class _CustomerInputRequired(TypedDict):
    name: str


class CustomerInput(_CustomerInputRequired, total=False):
    """The payer, as sent: `document` is a CPF or CNPJ (formatted or bare) for BRL Pix and
    boleto."""

    document: str
    email: str


class CardInput(TypedDict):
    """A card charge's tokens, one per gateway it may go to: `{"stripe": "pm_card_visa"}`."""

    tokens: Dict[str, str]


class _ChargeCreateRequestRequired(TypedDict):
    amount: int
    currency: str
    method: str
    customer: CustomerInput


class ChargeCreateRequest(_ChargeCreateRequestRequired, total=False):
    """`POST /v1/charges`: amounts are integers in minor units (1990 is R$ 19,90)."""

    description: str
    metadata: Dict[str, str]
    card: CardInput
    gateway: str
    # Accepted and ignored by the server, so a charge's fields can be sent back.
    object: str


class RefundCreateRequest(TypedDict, total=False):
    """`POST /v1/charges/{id}/refunds`: no `amount` refunds everything still refundable."""

    amount: int
    reason: str


# --- a charge ---------------------------------------------------------------------------


class _AttemptRequired(TypedDict):
    gateway: str
    outcome: str
    latency_ms: int
    at: str


class Attempt(_AttemptRequired, total=False):
    """One try at one gateway."""

    error: str
    gateway_code: str
    gateway_reference: str
    idempotency_key: str


class _RefundRequired(TypedDict):
    id: str
    amount: int
    status: str
    created_at: str
    updated_at: str


class Refund(_RefundRequired, total=False):
    """A refund: `status` is `succeeded`, `failed` or `pending`."""

    gateway_reference: str
    reason: str


class _PixRequired(TypedDict):
    copy_paste: str


class Pix(_PixRequired, total=False):
    """What the payer needs to pay a Pix charge: the BR Code, and its QR code (base64 PNG)
    only when asked for with `expand=["pix.qr_code_png"]`."""

    qr_code_png: str
    expires_at: str


class _LinkRequired(TypedDict):
    url: str


class Link(_LinkRequired, total=False):
    """What the payer needs to pay a `link` charge: the gateway's hosted page, where they
    choose how to pay; unpaid by `expires_at`, the charge is `canceled`."""

    expires_at: str


class Boleto(TypedDict, total=False):
    digitable_line: str
    barcode: str
    url: str
    due_date: str


class Document(TypedDict):
    """The payer's document: `type` is `cpf`, `cnpj` or `other`; masked in listings."""

    type: str
    number: str


class _CustomerRequired(TypedDict):
    name: str


class Customer(_CustomerRequired, total=False):
    email: str
    document: Document


class Failure(TypedDict):
    code: str
    message: str


class Fee(TypedDict):
    """What the gateway took for a charge, in minor units of `currency`: `source` is
    `gateway` (its own figure) or `estimated` (payorch's fee schedule)."""

    amount: int
    currency: str
    source: str


class _ChargeRequired(TypedDict):
    id: str
    object: str
    tenant: str
    status: str
    amount: int
    currency: str
    amount_refunded: int
    method: str
    attempts: List[Attempt]
    refunds: List[Refund]
    customer: Customer
    metadata: Dict[str, str]
    fee: Optional[Fee]
    created_at: str
    updated_at: str


class Charge(_ChargeRequired, total=False):
    """A charge, as `POST /v1/charges`, `GET /v1/charges/{id}`, a refund and the webhook
    events show it. `status`: `requires_action` (a Pix waiting for its payer), `succeeded`,
    `failed`, `unknown`, `refunded`, `partially_refunded`, …"""

    gateway: str
    gateway_reference: str
    pix: Pix
    boleto: Boleto
    link: Link
    payment_url: str
    description: str
    failure: Failure
    decline_code: str


class ChargeList(TypedDict):
    """One page of `GET /v1/charges`, newest first: `next_cursor` is the `starting_after` of
    the next page, `None` on the last."""

    object: str
    data: List[Charge]
    has_more: bool
    next_cursor: Optional[str]


# --- errors and events ------------------------------------------------------------------


class _ErrorDetailRequired(TypedDict):
    type: str
    code: str
    message: str
    param: Optional[str]


class ErrorDetail(_ErrorDetailRequired, total=False):
    """`error` of an error answer; `attempts` for `gateway_unavailable`."""

    attempts: List[Attempt]


class Error(TypedDict):
    """Every error answer's body: `{"error": {"type", "code", "message", "param"}}`."""

    error: ErrorDetail


class EventData(TypedDict):
    charge: Charge


class Event(TypedDict):
    """A webhook event (`charge.succeeded`, …): the body a delivery carries, verified by
    `payorch.Webhook`."""

    id: str
    type: str
    tenant: str
    created_at: str
    data: EventData


# The OpenAPI schema each type mirrors, by the schema's name (the drift test's list).
# A schema defined inline in another is named by its path: `Error/error` is the `error`
# property of `Error`.
SCHEMAS: Dict[str, Type[Any]] = {
    "ChargeCreateRequest": ChargeCreateRequest,
    "CustomerInput": CustomerInput,
    "CardInput": CardInput,
    "RefundCreateRequest": RefundCreateRequest,
    "Charge": Charge,
    "Attempt": Attempt,
    "Refund": Refund,
    "Pix": Pix,
    "Link": Link,
    "Fee": Fee,
    "Boleto": Boleto,
    "Customer": Customer,
    "Customer/document": Document,
    "Failure": Failure,
    "ChargeList": ChargeList,
    "Error": Error,
    "Error/error": ErrorDetail,
    "Event": Event,
    "Event/data": EventData,
}
