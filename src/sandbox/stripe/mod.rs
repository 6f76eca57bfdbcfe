//! The sandbox's Stripe: an in-memory, wire-compatible fake of the PaymentIntents, Charges,
//! Refunds, Events, Checkout Sessions and (minimal) Customers endpoints, in test mode, with Stripe's test cards,
//! validation errors, idempotency, manual capture, minimum charge amounts and signed webhooks,
//! good enough for Stripe's official client libraries (`tests/sdk/stripe_sdk.py` drives it with
//! the Python one). Not a full Stripe: no disputes, payouts, PaymentMethods or SetupIntents;
//! search understands only `metadata['k']:'v'`; only Stripe's `pm_card_*` test tokens pay.
//!
//! Requests are decoded by `form.rs` (every array encoding Stripe accepts), versioned by
//! `version.rs` (`Stripe-Version`), listed by `list.rs` (cursor pagination); `reads.rs` holds
//! the GET routes besides retrieving an intent. Unknown routes answer Stripe's JSON 404.
//! Events are kept for `GET /v1/events`, the newest [`EVENT_CAPACITY`] only, so a long demo
//! stays in bounded memory; intents, refunds, customers and idempotency keys are kept up to
//! the context's `max_objects` each, the oldest settled evicted first (`sandbox::bounded`): an
//! intent is settled once it succeeded, failed (a declined or expired attempt) or was
//! canceled; with every intent unsettled, creating one answers Stripe's 429 `rate_limit`.
//!
//! Credentials: any `sk_test_…` key is accepted (Bearer, or as the Basic-auth user, as Stripe
//! does); the fake reports [`SANDBOX_SECRET_KEY`] and signs webhooks with
//! [`SANDBOX_WEBHOOK_SECRET`]. Idempotency keys are scoped per API key and kept until
//! `max_objects` newer ones push them out (Stripe keeps them at least 24 h); the saved answer
//! is kept serialized, as it was sent. As at Stripe, a request that fails
//! validation is not saved under its key; a decline is.
//!
//! Pix intents carry a dynamic BR Code (amount and txid set) and a PNG served by the fake at
//! `/stripe/_qr/{pi_id}.png`. A Pix not paid by `expires_at` fails when next looked at.
//! Checkout Sessions (payorch's payment links) and their hosted page are `checkout.rs`'s.

mod checkout;
mod form;
mod intent;
mod list;
mod reads;
mod version;
mod wire;

use checkout::*;
use form::*;
use intent::*;
use list::*;
use reads::*;
use version::*;
use wire::*;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};

use super::bounded::Bounded;
use super::{FakeGateway, OutboundWebhook, SandboxContext, SandboxError};
use crate::brcode::BrCode;
use crate::gateway::stripe::{STRIPE_API_VERSION, webhook_signature};
use crate::model::GatewayId;
use crate::secret::Secret;

/// The secret key the sandbox reports (any `sk_test_…` works).
pub const SANDBOX_SECRET_KEY: &str = "sk_test_51PayorchSandboxStripeKey000000000000000000000000";
/// The webhook signing secret the sandbox signs with.
pub const SANDBOX_WEBHOOK_SECRET: &str = "whsec_payorchSandboxStripeWebhookSecret0000";

/// How many events `GET /v1/events` keeps; the oldest are dropped first.
pub const EVENT_CAPACITY: usize = 10_000;

/// Currencies the fake takes (lowercase, as Stripe writes them).
const CURRENCIES: &[&str] = &[
    "ars", "aud", "brl", "cad", "chf", "clp", "cop", "eur", "gbp", "jpy", "mxn", "pen", "usd",
    "uyu",
];
/// The parameters confirming takes, on create (`confirm=true`) or on `/confirm`; `metadata[…]`
/// and `expand[]` are known everywhere.
const CONFIRM_PARAMS: &[&str] = &[
    "payment_method",
    "payment_method_data[type]",
    "payment_method_data[billing_details][name]",
    "payment_method_data[billing_details][email]",
    "payment_method_options[pix][expires_after_seconds]",
    "error_on_requires_action",
    "return_url",
];
/// What create takes besides [`CONFIRM_PARAMS`].
const CREATE_PARAMS: &[&str] = &[
    "amount",
    "currency",
    "confirm",
    "description",
    "payment_method_types[]",
    "automatic_payment_methods[enabled]",
    "automatic_payment_methods[allow_redirects]",
    "capture_method",
    "customer",
    "receipt_email",
];
const CANCEL_PARAMS: &[&str] = &["cancellation_reason"];
const CAPTURE_PARAMS: &[&str] = &["amount_to_capture"];
const REFUND_PARAMS: &[&str] = &["payment_intent", "charge", "amount", "reason"];
/// What an intent's answer can expand.
const INTENT_EXPANSIONS: &[&str] = &[
    "latest_charge",
    "latest_charge.balance_transaction",
    "customer",
];

/// Stripe's minimum charge per currency, in the currency's minor unit, from "Minimum and
/// maximum charge amounts" at https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
/// (the settlement-currency table; a charge in another currency must convert to at least
/// USD 0.50, which depends on the day's rate: the fake enforces only the table's currencies).
const MINIMUM_CHARGE: &[(&str, i64, &str)] = &[
    ("aud", 50, "$0.50"),
    ("brl", 50, "R$0.50"),
    ("cad", 50, "$0.50"),
    ("chf", 50, "0.50 Fr"),
    ("eur", 50, "€0.50"),
    ("gbp", 30, "£0.30"),
    ("jpy", 50, "¥50"),
    ("mxn", 1000, "$10"),
    ("usd", 50, "$0.50"),
];
/// "The amount value supports up to eight digits" (same page).
const MAX_AMOUNT: i64 = 99_999_999;
const PIX_DEFAULT_EXPIRY: i64 = 86_400;

/// The fake Stripe.
pub struct StripeFake {
    ctx: SandboxContext,
    state: Mutex<Ledger>,
}

struct Ledger {
    /// Oldest first.
    intents: Bounded<String, Intent>,
    /// Every charge id (declined attempts too) → its intent.
    charges: HashMap<String, String>,
    /// Oldest first.
    refunds: Bounded<String, Value>,
    customers: Bounded<String, Value>,
    /// Checkout Sessions, oldest first.
    sessions: Bounded<String, Session>,
    /// The newest [`EVENT_CAPACITY`] events, oldest first.
    events: VecDeque<Item>,
    /// (API key, Idempotency-Key) → the first answer.
    idempotency: Bounded<(String, String), Saved>,
}

impl Ledger {
    fn new(max_objects: usize) -> Ledger {
        // Refunds settle at once and customers never change: both are always evictable.
        Ledger {
            intents: Bounded::new(max_objects, Intent::is_settled),
            charges: HashMap::new(),
            refunds: Bounded::new(max_objects, |_| true),
            customers: Bounded::new(max_objects, |_| true),
            sessions: Bounded::new(max_objects, Session::is_settled),
            events: VecDeque::new(),
            idempotency: Bounded::new(max_objects, |_| true),
        }
    }
}

struct Saved {
    /// [`request_digest`] of the request that was answered.
    request: [u8; 32],
    status: u16,
    /// The answer as it was sent.
    body: String,
}

impl StripeFake {
    pub fn new(ctx: SandboxContext) -> StripeFake {
        let ledger = Ledger::new(ctx.max_objects);
        StripeFake {
            ctx,
            state: Mutex::new(ledger),
        }
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // A panic elsewhere must not take the sandbox down: the maps stay usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> i64 {
        self.ctx.clock.now().unix_seconds()
    }

    /// Signs and queues one event per (type, object), as Stripe delivers them.
    fn send_events(&self, events: Vec<(&'static str, Value)>) {
        let secret = Secret::new(SANDBOX_WEBHOOK_SECRET);
        for (kind, object) in events {
            let created = self.now();
            let event = json!({
                "id": random_id("evt", 24),
                "object": "event",
                "api_version": STRIPE_API_VERSION,
                "created": created,
                "data": {"object": object},
                "livemode": false,
                "pending_webhooks": 1,
                "request": {"id": random_id("req", 14), "idempotency_key": null},
                "type": kind,
            });
            let body = event.to_string().into_bytes();
            {
                let mut ledger = self.ledger();
                if ledger.events.len() == EVENT_CAPACITY {
                    ledger.events.pop_front();
                }
                let id = event["id"].as_str().unwrap_or_default().to_string();
                ledger.events.push_back(Item {
                    id,
                    created,
                    body: event,
                });
            }
            let signature = webhook_signature(&secret, created, &body);
            self.ctx.send_webhook(
                GatewayId::Stripe,
                OutboundWebhook {
                    headers: vec![
                        (
                            "Content-Type".into(),
                            "application/json; charset=utf-8".into(),
                        ),
                        (
                            "Stripe-Signature".into(),
                            format!("t={created},v1={signature}"),
                        ),
                        (
                            "User-Agent".into(),
                            "Stripe/1.0 (+https://stripe.com/docs/webhooks)".into(),
                        ),
                    ],
                    body,
                    query: None,
                    url: None,
                },
            );
        }
    }

    /// Runs a POST the way Stripe does: authenticated, replayed from its idempotency key when
    /// it has one, saved under it when it executed.
    fn post(
        &self,
        headers: &HeaderMap,
        endpoint: String,
        body: &[u8],
        run: impl FnOnce(&mut Ledger, Params) -> Result<Outcome, ApiError>,
    ) -> Response {
        let api_key = match api_key(headers) {
            Ok(k) => k,
            Err(e) => return error_response(e),
        };
        let params = match canonical(body) {
            Ok(p) => p,
            Err(e) => return error_response(e),
        };
        let key = headers
            .get("idempotency-key")
            .map(|v| v.to_str().map(str::to_string));
        let key = match key {
            Some(Ok(k)) if !k.is_empty() && k.len() <= 255 => Some(k),
            Some(_) => {
                return error_response(ApiError::invalid(
                    None,
                    "Idempotency-Key must be 1 to 255 ASCII characters.",
                    None,
                ));
            }
            None => None,
        };
        let digest = key.as_ref().map(|_| request_digest(&endpoint, &params));
        let (response, events) = {
            let mut ledger = self.ledger();
            let scope = key.as_ref().map(|k| (api_key.clone(), k.clone()));
            if let Some(saved) = scope.as_ref().and_then(|s| ledger.idempotency.get(s)) {
                if Some(saved.request) != digest {
                    let k = key.as_deref().unwrap_or_default();
                    return error_response(ApiError {
                        status: 400,
                        body: json!({"error": {"type": "idempotency_error", "message": format!(
                            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{k}' if you meant to execute a different request.")}}),
                        saved: false,
                        events: Vec::new(),
                    });
                }
                return respond_text(saved.status, saved.body.clone(), true);
            }
            let (status, body, events, save) = match run(&mut ledger, params) {
                Ok(o) => (o.status, o.body, o.events, true),
                Err(e) => (e.status, e.body, e.events, e.saved),
            };
            let body = body.to_string();
            if let (Some(scope), Some(request), true) = (scope, digest, save) {
                let saved = Saved {
                    request,
                    status,
                    body: body.clone(),
                };
                // Idempotency records are always evictable: this never fails.
                let _ = ledger.idempotency.insert(scope, saved);
            }
            (respond_text(status, body, false), events)
        };
        self.send_events(events);
        response
    }

    fn create(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let now = self.now();
        let host = host_of(headers);
        let version = match ApiVersion::of(headers) {
            Ok(v) => v,
            Err(e) => return error_response(e),
        };
        self.post(headers, "POST /v1/payment_intents".into(), body, |ledger, params| {
            check_known(&params, &[CREATE_PARAMS, CONFIRM_PARAMS])?;
            let expand = expansions(&params, INTENT_EXPANSIONS)?;
            ledger.intents.has_room().map_err(ApiError::full)?;
            let amount = param(&params, "amount").ok_or_else(|| {
                ApiError::invalid(Some("parameter_missing"), "Missing required param: amount.", Some("amount"))
            })?;
            let currency = param(&params, "currency").ok_or_else(|| {
                ApiError::invalid(Some("parameter_missing"), "Missing required param: currency.", Some("currency"))
            })?;
            let amount = amount.parse::<i64>().ok().filter(|a| *a >= 1).ok_or_else(|| {
                ApiError::invalid(
                    Some("parameter_invalid_integer"),
                    format!("Invalid integer: {amount}. This value must be an integer greater than or equal to 1."),
                    Some("amount"),
                )
            })?;
            let currency = currency.to_ascii_lowercase();
            if !CURRENCIES.contains(&currency.as_str()) {
                return Err(ApiError::invalid(
                    None,
                    format!("Invalid currency: {currency}. The sandbox supports these currencies: {}", CURRENCIES.join(", ")),
                    Some("currency"),
                ));
            }
            check_amount_limits(amount, &currency)?;
            let capture_method = match param(&params, "capture_method") {
                None => version.default_capture_method().to_string(),
                Some(m @ ("automatic" | "automatic_async" | "manual")) => m.to_string(),
                Some(other) => {
                    return Err(ApiError::invalid(
                        Some("parameter_invalid_string"),
                        format!("Invalid capture_method: must be one of automatic, automatic_async, or manual (got {other})."),
                        Some("capture_method"),
                    ));
                }
            };
            let customer = param(&params, "customer").map(str::to_string);
            if let Some(c) = customer.as_deref().filter(|c| !ledger.customers.contains_key(*c)) {
                return Err(ApiError::invalid(Some("resource_missing"), format!("No such customer: '{c}'"), Some("customer")));
            }
            let (method_types, automatic_methods) = method_types(&params, &version, &currency, &capture_method)?;
            let id = random_id("pi", 24);
            let mut intent = Intent {
                client_secret: format!("{id}_secret_{}", &random_id("s", 25)[2..]),
                id,
                amount,
                currency,
                created: now,
                status: IntentStatus::created(param(&params, "payment_method").is_some()),
                method_types,
                payment_method: param(&params, "payment_method").map(str::to_string),
                description: param(&params, "description").map(str::to_string),
                metadata: metadata_of(&params),
                last_payment_error: None,
                next_action: None,
                latest_charge: None,
                amount_refunded: 0,
                canceled_at: None,
                cancellation_reason: None,
                pix_expires_at: None,
                capture_method,
                amount_received: 0,
                customer,
                automatic_methods,
                charge_ids: Vec::new(),
            };
            let mut events = vec![("payment_intent.created", intent.event_json())];
            let confirmed = if is_true(&params, "confirm") {
                intent.confirm(&params, now, &host)
            } else {
                Ok(Vec::new())
            };
            let id = intent.id.clone();
            match confirmed {
                Ok(more) => {
                    events.extend(more);
                    ledger.add_intent(intent);
                    let body = ledger.intent_view(&id, &version, &expand);
                    Ok(Outcome { status: 200, body, events })
                }
                // A decline created the intent (and is saved under the key); a validation
                // error did not.
                Err(mut e) if e.saved => {
                    events.append(&mut e.events);
                    e.events = events;
                    ledger.add_intent(intent);
                    Err(e)
                }
                Err(e) => Err(e),
            }
        })
    }

    /// Looks an intent up, failing an expired Pix first.
    fn with_intent<T>(
        &self,
        ledger: &mut Ledger,
        id: &str,
        events: &mut Vec<(&'static str, Value)>,
        f: impl FnOnce(&mut Intent) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let now = self.now();
        let result = ledger
            .intents
            .update(id, |intent| {
                events.extend(intent.expire_if_due(now));
                f(intent)
            })
            .ok_or_else(|| ApiError::not_found("payment_intent", id, "intent"))?;
        ledger.index_charge(id);
        result
    }

    fn retrieve(&self, headers: &HeaderMap, id: &str, query: Option<&str>) -> Response {
        let mut events = Vec::new();
        let found = (|| {
            let (version, params) = read_request(headers, query)?;
            check_known(&params, &[&["client_secret"]])?;
            let expand = expansions(&params, INTENT_EXPANSIONS)?;
            let mut ledger = self.ledger();
            self.with_intent(&mut ledger, id, &mut events, |_| Ok(()))?;
            Ok(ledger.intent_view(id, &version, &expand))
        })();
        self.send_events(events);
        match found {
            Ok(body) => respond(200, &body, false),
            Err(e) => error_response(e),
        }
    }

    /// The POST routes on one intent (`/confirm`, `/cancel`, `/capture`): `act` changes it
    /// (or refuses), and the answer is the intent as the client's version and `expand` show it.
    fn act_on_intent(
        &self,
        headers: &HeaderMap,
        id: &str,
        verb: &str,
        known: &[&str],
        body: &[u8],
        act: impl FnOnce(&mut Intent, &Params) -> Result<Vec<(&'static str, Value)>, ApiError>,
    ) -> Response {
        let version = match ApiVersion::of(headers) {
            Ok(v) => v,
            Err(e) => return error_response(e),
        };
        let endpoint = format!("POST /v1/payment_intents/{id}/{verb}");
        self.post(headers, endpoint, body, |ledger, params| {
            check_known(&params, &[known])?;
            let expand = expansions(&params, INTENT_EXPANSIONS)?;
            let mut events = Vec::new();
            let raised =
                self.with_intent(ledger, id, &mut events, |intent| act(intent, &params))?;
            events.extend(raised);
            Ok(Outcome {
                status: 200,
                body: ledger.intent_view(id, &version, &expand),
                events,
            })
        })
    }

    fn confirm(&self, headers: &HeaderMap, id: &str, body: &[u8]) -> Response {
        let now = self.now();
        let host = host_of(headers);
        self.act_on_intent(
            headers,
            id,
            "confirm",
            CONFIRM_PARAMS,
            body,
            |intent, params| {
                if !intent.status.is_confirmable() {
                    return Err(unexpected_state(intent, "confirm"));
                }
                intent.confirm(params, now, &host)
            },
        )
    }

    fn cancel(&self, headers: &HeaderMap, id: &str, body: &[u8]) -> Response {
        let now = self.now();
        self.act_on_intent(
            headers,
            id,
            "cancel",
            CANCEL_PARAMS,
            body,
            |intent, params| {
                if !intent.status.is_cancelable() {
                    return Err(unexpected_state(intent, "cancel"));
                }
                intent.status = IntentStatus::Canceled;
                intent.next_action = None;
                intent.canceled_at = Some(now);
                intent.cancellation_reason =
                    param(params, "cancellation_reason").map(str::to_string);
                Ok(vec![("payment_intent.canceled", intent.event_json())])
            },
        )
    }

    /// Captures an authorization held by `capture_method=manual`: all of it, or
    /// `amount_to_capture` (the rest is released, as Stripe does).
    fn capture(&self, headers: &HeaderMap, id: &str, body: &[u8]) -> Response {
        self.act_on_intent(headers, id, "capture", CAPTURE_PARAMS, body, |intent, params| {
            if intent.status != IntentStatus::RequiresCapture {
                return Err(ApiError::invalid(
                    Some("payment_intent_unexpected_state"),
                    format!(
                        "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                        intent.status
                    ),
                    None,
                ));
            }
            let key = "amount_to_capture";
            let amount = match param(params, key) {
                None => intent.amount,
                Some(a) => a.parse::<i64>().ok().filter(|a| *a >= 1).ok_or_else(|| {
                    ApiError::invalid(Some("parameter_invalid_integer"), format!("Invalid integer: {a}"), Some(key))
                })?,
            };
            if amount > intent.amount {
                return Err(ApiError::invalid(
                    Some("amount_too_large"),
                    format!("The amount_to_capture ({amount}) must be less than or equal to the PaymentIntent's amount_capturable ({}).", intent.amount),
                    Some(key),
                ));
            }
            intent.status = IntentStatus::Succeeded;
            intent.amount_received = amount;
            let body = intent.event_json();
            Ok(vec![
                ("charge.captured", intent.charge_json()),
                ("payment_intent.succeeded", body),
            ])
        })
    }

    fn refund(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let now = self.now();
        self.post(headers, "POST /v1/refunds".into(), body, |ledger, params| {
            check_known(&params, &[REFUND_PARAMS])?;
            let expand = expansions(&params, REFUND_EXPANSIONS)?;
            let id = match (param(&params, "payment_intent"), param(&params, "charge")) {
                (Some(pi), _) => pi.to_string(),
                (None, Some(ch)) => ledger.charges.get(ch).cloned().ok_or_else(|| {
                    ApiError::invalid(Some("resource_missing"), format!("No such charge: '{ch}'"), Some("charge"))
                })?,
                (None, None) => {
                    return Err(ApiError::invalid(
                        Some("parameter_missing"),
                        "One of the following params should be provided for this request: payment_intent or charge.",
                        Some("payment_intent"),
                    ));
                }
            };
            let mut events = Vec::new();
            let refund = self.with_intent(ledger, &id, &mut events, |intent| {
                if intent.status != IntentStatus::Succeeded {
                    return Err(ApiError::invalid(
                        Some("charge_not_refundable"),
                        format!("This PaymentIntent ({}) does not have a successful charge to refund.", intent.id),
                        Some("payment_intent"),
                    ));
                }
                let remaining = intent.amount_received - intent.amount_refunded;
                if remaining == 0 {
                    return Err(ApiError::invalid(
                        Some("charge_already_refunded"),
                        format!("Charge {} has already been refunded.", intent.latest_charge.as_deref().unwrap_or_default()),
                        None,
                    ));
                }
                let amount = match param(&params, "amount") {
                    None => remaining,
                    Some(a) => a.parse::<i64>().ok().filter(|a| *a >= 1).ok_or_else(|| {
                        ApiError::invalid(Some("parameter_invalid_integer"), format!("Invalid integer: {a}"), Some("amount"))
                    })?,
                };
                if amount > remaining {
                    return Err(ApiError::invalid(
                        Some("amount_too_large"),
                        format!("Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})"),
                        Some("amount"),
                    ));
                }
                intent.amount_refunded += amount;
                Ok((amount, intent.charge_json(), intent.currency.clone(), intent.latest_charge.clone()))
            })?;
            let (amount, charge, currency, charge_id) = refund;
            events.push(("charge.refunded", charge));
            let refund = json!({
                "id": random_id("re", 24),
                "object": "refund",
                "amount": amount,
                "charge": charge_id,
                "created": now,
                "currency": currency,
                "metadata": metadata_of(&params),
                "payment_intent": id,
                "reason": param(&params, "reason"),
                "status": "succeeded",
            });
            let body = ledger.add_refund(refund, &expand);
            Ok(Outcome { status: 200, body, events })
        })
    }
    fn search(&self, headers: &HeaderMap, query: Option<&str>) -> Response {
        let (version, params) = match read_request(headers, query) {
            Ok(r) => r,
            Err(e) => return error_response(e),
        };
        let q = param(&params, "query").unwrap_or_default();
        let clause = q
            .trim()
            .strip_prefix("metadata['")
            .and_then(|r| r.split_once("']:'"))
            .and_then(|(k, v)| Some((k.to_string(), v.strip_suffix('\'')?.to_string())));
        let Some((key, value)) = clause else {
            return error_response(ApiError::invalid(
                Some("parameter_invalid_string"),
                format!(
                    "The sandbox understands only queries like metadata['key']:'value', not `{q}`."
                ),
                Some("query"),
            ));
        };
        let ledger = self.ledger();
        let data: Vec<Value> = ledger
            .intents
            .values()
            .rev()
            .filter(|i| i.metadata.get(&key) == Some(&value))
            .map(|i| ledger.intent_view(&i.id, &version, &[]))
            .collect();
        let body = json!({"object": "search_result", "data": data, "has_more": false,
                          "next_page": null, "url": "/v1/payment_intents/search"});
        respond(200, &body, false)
    }

    fn qr_png(&self, file: &str) -> Response {
        let data = file.strip_suffix(".png").and_then(|id| {
            let ledger = self.ledger();
            let intent = ledger.intents.get(id)?;
            let qr = intent.next_action.as_ref()?.get("pix_display_qr_code")?;
            Some(qr.get("data")?.as_str()?.to_string())
        });
        let png = data
            .and_then(|d| crate::qr::png_base64(&d).ok())
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok());
        match png {
            Some(bytes) => ([(header::CONTENT_TYPE, "image/png")], bytes).into_response(),
            None => (StatusCode::NOT_FOUND, "no such QR code").into_response(),
        }
    }
}

/// What a replay under the same key must match: the endpoint and the parameters in any order.
/// A saved key keeps this SHA-256 (32 bytes) rather than every parameter.
fn request_digest(endpoint: &str, params: &Params) -> [u8; 32] {
    use sha2::{Digest as _, Sha256};
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let parts = sorted.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]);
    let mut hash = Sha256::new();
    for part in std::iter::once(endpoint).chain(parts) {
        // Length-prefixed, so no two lists of parts hash alike by concatenation.
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().into()
}

fn unexpected_state(intent: &Intent, verb: &str) -> ApiError {
    ApiError::invalid(
        Some("payment_intent_unexpected_state"),
        format!(
            "You cannot {verb} this PaymentIntent because it has a status of {}.",
            intent.status
        ),
        None,
    )
}

/// The state every route of the fake extracts.
type Fake = State<Arc<StripeFake>>;

#[async_trait]
impl FakeGateway for StripeFake {
    fn id(&self) -> GatewayId {
        GatewayId::Stripe
    }

    fn router(self: Arc<Self>) -> Router {
        // Handlers by shape: a POST with a body, a GET with a query, each on a path id or not.
        type Body = Bytes;
        macro_rules! post_at {
            ($f:ident) => {
                post(|State(f): Fake, h: HeaderMap, b: Body| async move { f.$f(&h, &b) })
            };
        }
        macro_rules! post_on {
            ($f:ident) => {
                post(
                    |State(f): Fake, Path(id): Path<String>, h: HeaderMap, b: Body| async move {
                        f.$f(&h, &id, &b)
                    },
                )
            };
        }
        macro_rules! get_at {
            ($f:ident) => {
                get(
                    |State(f): Fake, h: HeaderMap, RawQuery(q): RawQuery| async move {
                        f.$f(&h, q.as_deref())
                    },
                )
            };
        }
        macro_rules! get_on {
            ($f:ident) => {
                get(
                    |State(f): Fake,
                     Path(id): Path<String>,
                     h: HeaderMap,
                     RawQuery(q): RawQuery| async move { f.$f(&h, &id, q.as_deref()) },
                )
            };
        }
        Router::new()
            .route(
                "/v1/payment_intents",
                post_at!(create).merge(get_at!(list_intents)),
            )
            .route("/v1/payment_intents/search", get_at!(search))
            .route("/v1/payment_intents/{id}", get_on!(retrieve))
            .route("/v1/payment_intents/{id}/confirm", post_on!(confirm))
            .route("/v1/payment_intents/{id}/cancel", post_on!(cancel))
            .route("/v1/payment_intents/{id}/capture", post_on!(capture))
            .route("/v1/charges/{id}", get_on!(get_charge))
            .route("/v1/refunds", post_at!(refund).merge(get_at!(list_refunds)))
            .route("/v1/refunds/{id}", get_on!(get_refund))
            .route("/v1/events", get_at!(list_events))
            .route("/v1/events/{id}", get_on!(get_event))
            .route("/v1/customers", post_at!(create_customer))
            .route("/v1/customers/{id}", get_on!(get_customer))
            .route(
                "/v1/checkout/sessions",
                post_at!(create_session).merge(get_at!(list_sessions)),
            )
            .route("/v1/checkout/sessions/{id}", get_on!(retrieve_session))
            .route(
                "/v1/checkout/sessions/{id}/expire",
                post_on!(expire_session),
            )
            .merge(page_router())
            .route(
                "/_qr/{file}",
                get(|State(f): Fake, Path(file): Path<String>| async move { f.qr_png(&file) }),
            )
            .fallback(unrecognized)
            .method_not_allowed_fallback(unrecognized)
            .layer(axum::middleware::from_fn(echo_version))
            .with_state(self)
    }

    fn credentials(&self) -> Vec<(&'static str, String)> {
        vec![
            ("secret_key", SANDBOX_SECRET_KEY.to_string()),
            ("webhook_secret", SANDBOX_WEBHOOK_SECRET.to_string()),
        ]
    }

    fn pay(&self, id: &str) -> Result<Value, SandboxError> {
        if id.starts_with("cs_") {
            // A payment link: paid as the payer's Pix where the session takes it.
            let pix = self
                .ledger()
                .sessions
                .get(id)
                .is_some_and(|s| s.takes("pix"));
            return self.pay_session(id, if pix { "pix" } else { "card" });
        }
        let now = self.now();
        let (result, events) = {
            let mut ledger = self.ledger();
            let mut events = Vec::new();
            let paid = ledger.intents.update(id, |intent| {
                events.extend(intent.expire_if_due(now));
                let is_pix = intent.pix_expires_at.is_some();
                if intent.status == IntentStatus::RequiresAction && is_pix {
                    let (kind, body) = intent.succeed();
                    events.push((kind, body.clone()));
                    Ok(body)
                } else {
                    Err(SandboxError::Conflict(format!(
                        "PaymentIntent {id} is {} and {}: only an unpaid, unexpired Pix can be paid",
                        intent.status,
                        if is_pix { "Pix" } else { "not Pix" }
                    )))
                }
            });
            let Some(result) = paid else {
                return Err(SandboxError::NotFound(format!(
                    "no Stripe PaymentIntent {id}"
                )));
            };
            ledger.index_charge(id);
            (result, events)
        };
        self.send_events(events);
        result
    }

    fn charges(&self) -> Vec<Value> {
        let mut all: Vec<Value> = {
            let ledger = self.ledger();
            ledger.intents.values().map(Intent::event_json).collect()
        };
        all.extend(self.session_list());
        all
    }
}

#[cfg(test)]
mod tests;
