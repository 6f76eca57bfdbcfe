//! The sandbox's Stripe: an in-memory, wire-compatible fake of the PaymentIntents and Refunds
//! endpoints payorch's adapter uses, in test mode, with Stripe's test cards, validation errors,
//! idempotency and signed webhooks. Not a full Stripe: no customers, captures, disputes,
//! payouts, or minimum charge amounts; search understands only `metadata['k']:'v'`.
//!
//! Credentials: any `sk_test_…` key is accepted (Bearer, or as the Basic-auth user, as Stripe
//! does); the fake reports [`SANDBOX_SECRET_KEY`] and signs webhooks with
//! [`SANDBOX_WEBHOOK_SECRET`]. Idempotency keys are scoped per API key and kept for the
//! process's life (Stripe keeps them at least 24 h). As at Stripe, a request that fails
//! validation is not saved under its key; a decline is.
//!
//! Pix intents carry a dynamic BR Code (amount and txid set) and a PNG served by the fake at
//! `/stripe/_qr/{pi_id}.png`. A Pix not paid by `expires_at` fails when next looked at.

mod intent;
mod wire;

use intent::*;
use wire::*;

use std::collections::{BTreeMap, HashMap};
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

use super::{FakeGateway, OutboundWebhook, SandboxContext, SandboxError};
use crate::brcode::BrCode;
use crate::gateway::stripe::{STRIPE_API_VERSION, webhook_signature};
use crate::model::GatewayId;
use crate::secret::Secret;

/// The secret key the sandbox reports (any `sk_test_…` works).
pub const SANDBOX_SECRET_KEY: &str = "sk_test_51PayorchSandboxStripeKey000000000000000000000000";
/// The webhook signing secret the sandbox signs with.
pub const SANDBOX_WEBHOOK_SECRET: &str = "whsec_payorchSandboxStripeWebhookSecret0000";

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
    "receipt_email",
];
const CANCEL_PARAMS: &[&str] = &["cancellation_reason"];
const REFUND_PARAMS: &[&str] = &["payment_intent", "amount", "reason"];
const PIX_DEFAULT_EXPIRY: i64 = 86_400;
const CANCELABLE: &[&str] = &[
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
];

/// The fake Stripe.
pub struct StripeFake {
    ctx: SandboxContext,
    state: Mutex<Ledger>,
}

#[derive(Default)]
struct Ledger {
    intents: HashMap<String, Intent>,
    /// Intent ids, oldest first.
    order: Vec<String>,
    /// (API key, Idempotency-Key) → the first answer.
    idempotency: HashMap<(String, String), Saved>,
}

struct Saved {
    endpoint: String,
    params: Vec<(String, String)>,
    status: u16,
    body: Value,
}

impl StripeFake {
    pub fn new(ctx: SandboxContext) -> StripeFake {
        StripeFake {
            ctx,
            state: Mutex::new(Ledger::default()),
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
        let params: Params = form_urlencoded::parse(body).into_owned().collect();
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
        let mut sorted = params.clone();
        sorted.sort();
        let (response, events) = {
            let mut ledger = self.ledger();
            let scope = key.as_ref().map(|k| (api_key.clone(), k.clone()));
            if let Some(saved) = scope.as_ref().and_then(|s| ledger.idempotency.get(s)) {
                if saved.endpoint != endpoint || saved.params != sorted {
                    let k = key.as_deref().unwrap_or_default();
                    return error_response(ApiError {
                        status: 400,
                        body: json!({"error": {"type": "idempotency_error", "message": format!(
                            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{k}' if you meant to execute a different request.")}}),
                        saved: false,
                        events: Vec::new(),
                    });
                }
                return respond(saved.status, &saved.body, true);
            }
            let (status, body, events, save) = match run(&mut ledger, params) {
                Ok(o) => (o.status, o.body, o.events, true),
                Err(e) => (e.status, e.body, e.events, e.saved),
            };
            if let (Some(scope), true) = (scope, save) {
                let saved = Saved {
                    endpoint,
                    params: sorted,
                    status,
                    body: body.clone(),
                };
                ledger.idempotency.insert(scope, saved);
            }
            (respond(status, &body, false), events)
        };
        self.send_events(events);
        response
    }

    fn create(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let now = self.now();
        let host = host_of(headers);
        self.post(headers, "POST /v1/payment_intents".into(), body, |ledger, params| {
            check_known(&params, &[CREATE_PARAMS, CONFIRM_PARAMS])?;
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
            let mut method_types: Vec<String> = params
                .iter()
                .filter(|(k, _)| k == "payment_method_types[]")
                .map(|(_, v)| v.clone())
                .collect();
            if method_types.is_empty() {
                method_types.push("card".into());
            }
            if let Some(bad) = method_types.iter().find(|t| !matches!(t.as_str(), "card" | "pix")) {
                return Err(ApiError::invalid(
                    Some("payment_intent_invalid_parameter"),
                    format!("The payment method type \"{bad}\" is invalid. Please ensure the provided type is activated in your dashboard."),
                    Some("payment_method_types"),
                ));
            }
            if method_types.iter().any(|t| t == "pix") && currency != "brl" {
                return Err(ApiError::invalid(
                    Some("payment_intent_invalid_parameter"),
                    format!("The currency provided ({currency}) is invalid for one or more payment method types on this PaymentIntent. The payment method type pix only supports: brl."),
                    Some("currency"),
                ));
            }
            let id = random_id("pi", 24);
            let mut intent = Intent {
                client_secret: format!("{id}_secret_{}", &random_id("s", 25)[2..]),
                id,
                amount,
                currency,
                created: now,
                status: if param(&params, "payment_method").is_some() { "requires_confirmation" } else { "requires_payment_method" },
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
            };
            let mut events = vec![("payment_intent.created", intent.to_json(false))];
            let confirmed = if is_true(&params, "confirm") {
                intent.confirm(&params, now, &host)
            } else {
                Ok(Vec::new())
            };
            let id = intent.id.clone();
            match confirmed {
                Ok(more) => {
                    events.extend(more);
                    let body = intent.to_json(false);
                    ledger.order.push(id.clone());
                    ledger.intents.insert(id, intent);
                    Ok(Outcome { status: 200, body, events })
                }
                // A decline created the intent (and is saved under the key); a validation
                // error did not.
                Err(mut e) if e.saved => {
                    events.append(&mut e.events);
                    e.events = events;
                    ledger.order.push(id.clone());
                    ledger.intents.insert(id, intent);
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
        let intent = ledger
            .intents
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found("payment_intent", id, "intent"))?;
        events.extend(intent.expire_if_due(now));
        f(intent)
    }

    fn retrieve(&self, headers: &HeaderMap, id: &str, query: Option<&str>) -> Response {
        if let Err(e) = api_key(headers) {
            return error_response(e);
        }
        let expand = query.is_some_and(|q| {
            form_urlencoded::parse(q.as_bytes())
                .any(|(k, v)| k == "expand[]" && v == "latest_charge")
        });
        let mut events = Vec::new();
        let found = {
            let mut ledger = self.ledger();
            self.with_intent(&mut ledger, id, &mut events, |i| Ok(i.to_json(expand)))
        };
        self.send_events(events);
        match found {
            Ok(body) => respond(200, &body, false),
            Err(e) => error_response(e),
        }
    }

    fn search(&self, headers: &HeaderMap, query: Option<&str>) -> Response {
        if let Err(e) = api_key(headers) {
            return error_response(e);
        }
        let q = query
            .into_iter()
            .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
            .find(|(k, _)| k == "query")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
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
            .order
            .iter()
            .rev()
            .filter_map(|id| ledger.intents.get(id))
            .filter(|i| i.metadata.get(&key) == Some(&value))
            .map(|i| i.to_json(false))
            .collect();
        let body = json!({"object": "search_result", "data": data, "has_more": false,
                          "next_page": null, "url": "/v1/payment_intents/search"});
        respond(200, &body, false)
    }

    fn confirm(&self, headers: &HeaderMap, id: &str, body: &[u8]) -> Response {
        let now = self.now();
        let host = host_of(headers);
        let endpoint = format!("POST /v1/payment_intents/{id}/confirm");
        self.post(headers, endpoint, body, |ledger, params| {
            check_known(&params, &[CONFIRM_PARAMS])?;
            let mut events = Vec::new();
            let (body, raised) = self.with_intent(ledger, id, &mut events, |intent| {
                if !matches!(
                    intent.status,
                    "requires_payment_method" | "requires_confirmation"
                ) {
                    return Err(unexpected_state(intent, "confirm"));
                }
                let raised = intent.confirm(&params, now, &host)?;
                Ok((intent.to_json(false), raised))
            })?;
            events.extend(raised);
            Ok(Outcome {
                status: 200,
                body,
                events,
            })
        })
    }

    fn cancel(&self, headers: &HeaderMap, id: &str, body: &[u8]) -> Response {
        let now = self.now();
        let endpoint = format!("POST /v1/payment_intents/{id}/cancel");
        self.post(headers, endpoint, body, |ledger, params| {
            check_known(&params, &[CANCEL_PARAMS])?;
            let mut events = Vec::new();
            let body = self.with_intent(ledger, id, &mut events, |intent| {
                if !CANCELABLE.contains(&intent.status) {
                    return Err(unexpected_state(intent, "cancel"));
                }
                intent.status = "canceled";
                intent.next_action = None;
                intent.canceled_at = Some(now);
                intent.cancellation_reason =
                    param(&params, "cancellation_reason").map(str::to_string);
                Ok(intent.to_json(false))
            })?;
            events.push(("payment_intent.canceled", body.clone()));
            Ok(Outcome {
                status: 200,
                body,
                events,
            })
        })
    }

    fn refund(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let now = self.now();
        self.post(headers, "POST /v1/refunds".into(), body, |ledger, params| {
            check_known(&params, &[REFUND_PARAMS])?;
            let id = param(&params, "payment_intent").ok_or_else(|| {
                ApiError::invalid(
                    Some("parameter_missing"),
                    "One of the following params should be provided for this request: payment_intent or charge.",
                    Some("payment_intent"),
                )
            })?.to_string();
            let mut events = Vec::new();
            let refund = self.with_intent(ledger, &id, &mut events, |intent| {
                if intent.status != "succeeded" {
                    return Err(ApiError::invalid(
                        Some("charge_not_refundable"),
                        format!("This PaymentIntent ({}) does not have a successful charge to refund.", intent.id),
                        Some("payment_intent"),
                    ));
                }
                let remaining = intent.amount - intent.amount_refunded;
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
            let body = json!({
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
            Ok(Outcome { status: 200, body, events })
        })
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
        Router::new()
            .route(
                "/v1/payment_intents",
                post(|State(f): Fake, h: HeaderMap, b: Bytes| async move { f.create(&h, &b) }),
            )
            .route(
                "/v1/payment_intents/search",
                get(
                    |State(f): Fake, h: HeaderMap, RawQuery(q): RawQuery| async move {
                        f.search(&h, q.as_deref())
                    },
                ),
            )
            .route(
                "/v1/payment_intents/{id}",
                get(
                    |State(f): Fake,
                     Path(id): Path<String>,
                     h: HeaderMap,
                     RawQuery(q): RawQuery| async move {
                        f.retrieve(&h, &id, q.as_deref())
                    },
                ),
            )
            .route(
                "/v1/payment_intents/{id}/confirm",
                post(
                    |State(f): Fake, Path(id): Path<String>, h: HeaderMap, b: Bytes| async move {
                        f.confirm(&h, &id, &b)
                    },
                ),
            )
            .route(
                "/v1/payment_intents/{id}/cancel",
                post(
                    |State(f): Fake, Path(id): Path<String>, h: HeaderMap, b: Bytes| async move {
                        f.cancel(&h, &id, &b)
                    },
                ),
            )
            .route(
                "/v1/refunds",
                post(|State(f): Fake, h: HeaderMap, b: Bytes| async move { f.refund(&h, &b) }),
            )
            .route(
                "/_qr/{file}",
                get(|State(f): Fake, Path(file): Path<String>| async move { f.qr_png(&file) }),
            )
            .with_state(self)
    }

    fn credentials(&self) -> Vec<(&'static str, String)> {
        vec![
            ("secret_key", SANDBOX_SECRET_KEY.to_string()),
            ("webhook_secret", SANDBOX_WEBHOOK_SECRET.to_string()),
        ]
    }

    fn pay(&self, id: &str) -> Result<Value, SandboxError> {
        let now = self.now();
        let (result, events) = {
            let mut ledger = self.ledger();
            let Some(intent) = ledger.intents.get_mut(id) else {
                return Err(SandboxError::NotFound(format!(
                    "no Stripe PaymentIntent {id}"
                )));
            };
            let mut events: Vec<_> = intent.expire_if_due(now).into_iter().collect();
            let is_pix = intent.pix_expires_at.is_some();
            let result = if intent.status == "requires_action" && is_pix {
                intent.succeed();
                let body = intent.to_json(false);
                events.push(("payment_intent.succeeded", body.clone()));
                Ok(body)
            } else {
                Err(SandboxError::Conflict(format!(
                    "PaymentIntent {id} is {} and {}: only an unpaid, unexpired Pix can be paid",
                    intent.status,
                    if is_pix { "Pix" } else { "not Pix" }
                )))
            };
            (result, events)
        };
        self.send_events(events);
        result
    }

    fn charges(&self) -> Vec<Value> {
        let ledger = self.ledger();
        ledger
            .order
            .iter()
            .filter_map(|id| ledger.intents.get(id))
            .map(|i| i.to_json(false))
            .collect()
    }
}

#[cfg(test)]
mod tests;
