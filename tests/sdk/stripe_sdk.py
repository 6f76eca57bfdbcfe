"""Drives the payorch sandbox's Stripe fake with Stripe's official Python library (`stripe`,
pinned in requirements.txt): everything a merchant's integration does with it must work
against the fake as against Stripe's test mode.

Usage: stripe_sdk.py SANDBOX_URL   (the sandbox's main URL, e.g. http://127.0.0.1:7700)

Run by tests/it/sandbox_sdk_stripe.rs. Prints one line per check and exits 1 if any failed, with
each failure's traceback. Talks only to the sandbox and to a webhook receiver of its own, both
on loopback.
"""

import http.server
import json
import queue
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

import stripe

SANDBOX = sys.argv[1].rstrip("/")
INFO = json.load(urllib.request.urlopen(f"{SANDBOX}/_sandbox/info"))
GATEWAY = INFO["gateways"]["stripe"]
WEBHOOK_SECRET = GATEWAY["credentials"]["webhook_secret"]

stripe.api_key = GATEWAY["credentials"]["secret_key"]
stripe.api_base = GATEWAY["base_url"]
# A retry would hide a wrong answer; every call here must succeed or fail the first time.
stripe.max_network_retries = 0

CHECKS = []


def check(f):
    CHECKS.append(f)
    return f


def expect_error(cls, call, code=None, param=None, status=None):
    """Runs `call`, which must raise `cls` with Stripe's `code`, `param` and HTTP status."""
    try:
        call()
    except cls as e:
        assert code is None or e.code == code, f"code {e.code!r}, wanted {code!r}: {e}"
        assert param is None or e.param == param, f"param {e.param!r}, wanted {param!r}: {e}"
        assert status is None or e.http_status == status, f"status {e.http_status}: {e}"
        return e
    raise AssertionError(f"no {cls.__name__} raised")


def marker():
    return uuid.uuid4().hex


def paid(amount, currency="usd", **extra):
    """A card PaymentIntent created and confirmed in one call with Stripe's Visa test card."""
    return stripe.PaymentIntent.create(
        amount=amount,
        currency=currency,
        payment_method_types=["card"],
        payment_method="pm_card_visa",
        confirm=True,
        **extra,
    )


# --- webhooks: a receiver of our own, registered as the sandbox's Stripe webhook URL --------

RECEIVED = queue.Queue()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        RECEIVED.put((body, self.headers.get("Stripe-Signature")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def start_receiver():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    request = urllib.request.Request(
        f"{SANDBOX}/_sandbox/stripe/webhook",
        data=json.dumps({"url": url}).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    urllib.request.urlopen(request).read()


def webhook_for(intent_id, event_type):
    """The first delivered webhook of `event_type` about `intent_id`, verified by the library.
    Waits at most 60 s: a bound for a lost webhook, not a timing assertion."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            body, signature = RECEIVED.get(timeout=1)
        except queue.Empty:
            continue
        event = stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
        if event.type == event_type and event.data.object.id == intent_id:
            return body, signature, event
    raise AssertionError(f"no {event_type} webhook for {intent_id}")


# --- the checks -------------------------------------------------------------------------------


@check
def create_confirm_retrieve():
    pi = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method_types=["card"], metadata={"order": "o-1"}
    )
    assert pi.object == "payment_intent" and pi.status == "requires_payment_method", pi
    assert pi.payment_method_types == ["card"] and pi.metadata["order"] == "o-1"
    confirmed = stripe.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa")
    assert confirmed.status == "succeeded" and confirmed.amount_received == 2000, confirmed
    again = stripe.PaymentIntent.retrieve(pi.id)
    assert again.status == "succeeded" and isinstance(again.latest_charge, str), again
    charge = stripe.Charge.retrieve(again.latest_charge)
    assert charge.object == "charge" and charge.payment_intent == pi.id and charge.paid


@check
def expand_on_create_confirm_and_retrieve():
    made = paid(1000, "eur", expand=["latest_charge"])
    assert made.latest_charge.object == "charge" and made.latest_charge.captured, made
    pi = stripe.PaymentIntent.create(amount=1000, currency="eur", payment_method_types=["card"])
    confirmed = stripe.PaymentIntent.confirm(
        pi.id, payment_method="pm_card_mastercard", expand=["latest_charge"]
    )
    assert confirmed.latest_charge.amount_captured == 1000, confirmed
    got = stripe.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    assert got.latest_charge.id == confirmed.latest_charge.id
    charge = stripe.Charge.retrieve(got.latest_charge.id, expand=["payment_intent"])
    assert charge.payment_intent.id == pi.id
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.retrieve(pi.id, expand=["review"]),
        param="expand",
    )


@check
def pix_without_method_types_and_customers():
    # The pinned API version defaults to automatic payment methods: Pix is offered for BRL.
    pi = stripe.PaymentIntent.create(amount=5000, currency="brl")
    assert pi.automatic_payment_methods.enabled is True, pi
    assert "pix" in pi.payment_method_types and "card" in pi.payment_method_types, pi
    shown = stripe.PaymentIntent.confirm(pi.id, payment_method_data={"type": "pix"})
    assert shown.status == "requires_action", shown
    assert shown.next_action.type == "pix_display_qr_code", shown
    assert shown.next_action.pix_display_qr_code.data.startswith("000201")
    explicit = stripe.PaymentIntent.create(
        amount=5000, currency="brl", automatic_payment_methods={"enabled": True}
    )
    assert "pix" in explicit.payment_method_types
    customer = stripe.Customer.create(email="ana@example.com", name="Ana")
    assert customer.id.startswith("cus_") and stripe.Customer.retrieve(customer.id).name == "Ana"
    owned = stripe.PaymentIntent.create(amount=700, currency="brl", customer=customer.id)
    got = stripe.PaymentIntent.retrieve(owned.id, expand=["customer"])
    assert got.customer.email == "ana@example.com", got
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.create(amount=700, currency="brl", customer="cus_nobody"),
        code="resource_missing",
        param="customer",
    )


@check
def list_with_auto_pagination():
    customer = stripe.Customer.create(email="lists@example.com")
    started = int(time.time()) - 1
    made = [
        stripe.PaymentIntent.create(
            amount=100 + i, currency="usd", payment_method_types=["card"], customer=customer.id
        ).id
        for i in range(7)
    ]
    first = stripe.PaymentIntent.list(customer=customer.id, limit=3)
    assert [p.id for p in first.data] == made[::-1][:3] and first.has_more, first
    walked = [p.id for p in stripe.PaymentIntent.list(customer=customer.id, limit=3).auto_paging_iter()]
    assert walked == made[::-1], (walked, made)
    back = stripe.PaymentIntent.list(customer=customer.id, limit=2, ending_before=made[2])
    assert [p.id for p in back.data] == [made[4], made[3]] and back.has_more, back
    recent = stripe.PaymentIntent.list(customer=customer.id, created={"gte": started}, limit=100)
    assert len(recent.data) == 7 and not recent.has_more
    future = stripe.PaymentIntent.list(customer=customer.id, created={"gt": started + 3600})
    assert future.data == []
    expanded = stripe.PaymentIntent.list(limit=1, expand=["data.customer"], customer=customer.id)
    assert expanded.data[0].customer.email == "lists@example.com"
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.list(limit=0),
        param="limit",
    )


@check
def manual_capture():
    pi = paid(3000, capture_method="manual")
    assert pi.status == "requires_capture" and pi.amount_capturable == 3000, pi
    captured = stripe.PaymentIntent.capture(pi.id, amount_to_capture=2500)
    assert captured.status == "succeeded" and captured.amount_received == 2500, captured
    assert captured.amount_capturable == 0
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.capture(pi.id),
        code="payment_intent_unexpected_state",
    )
    # Only what was captured can be refunded.
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.Refund.create(payment_intent=pi.id, amount=2600),
        code="amount_too_large",
        param="amount",
    )


@check
def refunds():
    pi = paid(1000)
    part = stripe.Refund.create(payment_intent=pi.id, amount=400, reason="requested_by_customer")
    assert part.object == "refund" and part.status == "succeeded" and part.amount == 400, part
    got = stripe.Refund.retrieve(part.id, expand=["charge"])
    assert got.charge.amount_refunded == 400 and got.payment_intent == pi.id, got
    rest = stripe.Refund.create(charge=pi.latest_charge)
    assert rest.amount == 600
    listed = stripe.Refund.list(payment_intent=pi.id)
    assert [r.id for r in listed.data] == [rest.id, part.id], listed
    assert len(list(stripe.Refund.list(limit=1).auto_paging_iter())) >= 2
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.Refund.create(payment_intent=pi.id),
        code="charge_already_refunded",
    )
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.Refund.retrieve("re_nothing"),
        code="resource_missing",
        status=404,
    )


@check
def idempotent_replay_and_mismatch():
    key = marker()
    first = stripe.PaymentIntent.create(
        amount=1234, currency="usd", payment_method_types=["card"], idempotency_key=key
    )
    again = stripe.PaymentIntent.create(
        amount=1234, currency="usd", payment_method_types=["card"], idempotency_key=key
    )
    assert again.id == first.id, (first.id, again.id)
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    expect_error(
        stripe.IdempotencyError,
        lambda: stripe.PaymentIntent.create(
            amount=999, currency="usd", payment_method_types=["card"], idempotency_key=key
        ),
    )


@check
def declines():
    pi = stripe.PaymentIntent.create(amount=1500, currency="usd", payment_method_types=["card"])
    e = expect_error(
        stripe.CardError,
        lambda: stripe.PaymentIntent.confirm(pi.id, payment_method="pm_card_chargeDeclined"),
        code="card_declined",
        status=402,
    )
    assert e.error.decline_code == "generic_decline", e.error
    assert e.error.payment_intent.id == pi.id
    first_attempt = e.error.charge
    e = expect_error(
        stripe.CardError,
        lambda: stripe.PaymentIntent.confirm(
            pi.id, payment_method="pm_card_chargeDeclinedInsufficientFunds"
        ),
        code="card_declined",
    )
    assert e.error.decline_code == "insufficient_funds"
    after = stripe.PaymentIntent.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.decline_code == "insufficient_funds", after
    # Each attempt left a failed charge behind, the earlier one too.
    for charge_id in (first_attempt, after.latest_charge):
        charge = stripe.Charge.retrieve(charge_id)
        assert charge.status == "failed" and charge.paid is False, charge
    assert first_attempt != after.latest_charge


@check
def error_shapes():
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.create(amount=100),
        code="parameter_missing",
        param="currency",
        status=400,
    )
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.create(amount=10, currency="usd"),
        code="amount_too_small",
        param="amount",
    )
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.create(amount=29, currency="gbp"),
        code="amount_too_small",
    )
    stripe.PaymentIntent.create(amount=30, currency="gbp")
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.create(amount=100, currency="usd", colour="red"),
        code="parameter_unknown",
        param="colour",
    )
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.PaymentIntent.retrieve("pi_nothing"),
        code="resource_missing",
        status=404,
    )
    expect_error(
        stripe.AuthenticationError,
        lambda: stripe.PaymentIntent.retrieve("pi_x", api_key="sk_live_notatestkey000"),
        status=401,
    )
    client = stripe.StripeClient(
        stripe.api_key, base_addresses={"api": stripe.api_base}, max_network_retries=0
    )
    e = expect_error(
        stripe.InvalidRequestError,
        lambda: client.raw_request("get", "/v1/no_such_thing"),
        status=404,
    )
    assert "Unrecognized request URL" in str(e), e
    # A base URL that forgot the /stripe prefix still gets a JSON answer, not a bare 404.
    try:
        urllib.request.urlopen(stripe.api_base.removesuffix("/stripe") + "/v1/payment_intents")
        raise AssertionError("a route outside /stripe answered")
    except urllib.error.HTTPError as e:
        assert e.code == 404 and "/stripe" in json.load(e)["error"], e


@check
def stripe_version_changes_shapes():
    done = paid(900)
    old = stripe.PaymentIntent.retrieve(done.id, stripe_version="2020-08-27")
    assert old.charges.object == "list" and old.charges.data[0].id == done.latest_charge, old
    assert old.last_response.headers.get("Stripe-Version") == "2020-08-27"
    before_automatic = stripe.PaymentIntent.create(
        amount=900, currency="brl", stripe_version="2022-11-15"
    )
    assert before_automatic.payment_method_types == ["card"], before_automatic
    assert before_automatic.automatic_payment_methods is None
    assert before_automatic.capture_method == "automatic"


@check
def events():
    pi = paid(800)
    page = stripe.Event.list(type="payment_intent.succeeded", limit=5)
    assert page.data and all(e.type == "payment_intent.succeeded" for e in page.data), page
    assert page.data[0].data.object.id == pi.id, page.data[0]
    got = stripe.Event.retrieve(page.data[0].id)
    assert got.id == page.data[0].id and got.type == "payment_intent.succeeded"
    prefixed = stripe.Event.list(type="payment_intent.*", limit=100)
    assert all(e.type.startswith("payment_intent.") for e in prefixed.data)
    walked = list(stripe.Event.list(limit=3, types=["payment_intent.created"]).auto_paging_iter())
    assert len(walked) >= 4 and len({e.id for e in walked}) == len(walked)


@check
def checkout_sessions():
    line = {"price_data": {"currency": "brl", "unit_amount": 4590,
                           "product_data": {"name": "Pedido 42"}}, "quantity": 1}
    expires = int(time.time()) + 3600
    session = stripe.checkout.Session.create(
        mode="payment", line_items=[line], payment_method_types=["card", "pix"],
        expires_at=expires, client_reference_id="order-42", metadata={"order": "42"},
        payment_intent_data={"metadata": {"order": "42"}},
    )
    assert session.object == "checkout.session" and session.status == "open", session
    assert session.payment_status == "unpaid" and session.amount_total == 4590, session
    assert session.expires_at == expires and session.payment_intent is None, session
    got = stripe.checkout.Session.retrieve(session.id)
    assert got.id == session.id and got.url == session.url, got
    listed = stripe.checkout.Session.list(limit=1)
    assert listed.data[0].id == session.id, listed
    # The payer pays on the hosted page; the library verifies Stripe's webhook for it.
    form = urllib.parse.urlencode({"payment_method": "card"}).encode()
    with urllib.request.urlopen(urllib.request.Request(session.url, data=form)) as page:
        assert page.status == 200
    _, _, event = webhook_for(session.id, "checkout.session.completed")
    assert event.data.object.payment_status == "paid", event
    done = stripe.checkout.Session.retrieve(session.id, expand=["payment_intent"])
    assert done.status == "complete" and done.payment_intent.status == "succeeded", done
    assert done.payment_intent.metadata["order"] == "42", done
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.checkout.Session.expire(session.id),
        status=400,
    )
    other = stripe.checkout.Session.create(mode="payment", line_items=[line])
    assert stripe.checkout.Session.expire(other.id).status == "expired"
    expect_error(
        stripe.InvalidRequestError,
        lambda: stripe.checkout.Session.create(mode="payment", line_items=[line], expires_at=1),
        param="expires_at",
        status=400,
    )


@check
def webhook_verified_by_the_library():
    pi = paid(1100)
    body, signature, event = webhook_for(pi.id, "payment_intent.succeeded")
    assert event.data.object.amount == 1100
    tampered = body.replace(b'"amount":1100', b'"amount":1')
    assert tampered != body
    try:
        stripe.Webhook.construct_event(tampered, signature, WEBHOOK_SECRET)
        raise AssertionError("a tampered payload verified")
    except stripe.SignatureVerificationError:
        pass


def main():
    start_receiver()
    failed = 0
    for f in CHECKS:
        try:
            f()
            print(f"ok   {f.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {f.__name__}\n{traceback.format_exc()}")
    print(f"stripe {stripe.VERSION}: {len(CHECKS) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
