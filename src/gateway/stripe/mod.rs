//! The Stripe adapter: PaymentIntents (card and Pix) over Stripe's form-encoded API, refunds,
//! and `Stripe-Signature` webhooks. Stripe's wire format lives here and in the sandbox fake
//! (`sandbox/stripe/`) only. Not here: routing, retries, failover, persistence.
//!
//! Decisions, checked against Stripe's docs:
//! - **API version.** Every request pins `Stripe-Version: 2026-09-30.endive`, the version
//!   docs.stripe.com/api-versions calls current, so an account's default cannot change shapes.
//! - **Amounts.** Stripe takes integer minor units. For every currency payorch has, Stripe's
//!   minor unit is ISO 4217's (JPY and CLP are zero-decimal for both). Stripe's special cases
//!   (ISK, HUF, TWD, UGX) are not payorch currencies; [`stripe_exponent`] is an exhaustive match,
//!   so adding a currency forces the question.
//! - **Capabilities.** Card in every payorch currency, Pix in BRL (refused here, before any
//!   call, in another currency: [`Capabilities`] cannot say "Pix only in BRL"). No boleto: Stripe
//!   needs the payer's full address for it, which payorch's `Customer` does not carry. Payment
//!   links in every payorch currency, as Checkout Sessions (`checkout.rs`): a link charge's
//!   reference is the session's `cs_…`, which reads, cancels (expires) and refunds accept.
//! - **3-D Secure.** Cards are confirmed with `error_on_requires_action=true`: payorch's charge
//!   API has no way to hand the payer a challenge, so a card that needs one is declined by Stripe
//!   (`authentication_required`) rather than left waiting for an action nobody can take.
//!   `requires_action` still maps to [`ChargeStatus::RequiresAction`] (every unpaid Pix).
//! - **find_charge** uses `GET /v1/payment_intents/search` on `metadata['payorch_charge_id']`: it
//!   only reads. Replaying the create with the same `Idempotency-Key` would *create* the intent
//!   when the first request never arrived, which is not "find". Search is eventually consistent
//!   (Stripe: usually under a minute), so a `None` right after an ambiguous create is not proof;
//!   the reconciler that calls it runs later, and the orchestrator's first move after an
//!   ambiguous create is the same-key retry anyway (rule 4).
//! - **409** (another request with this `Idempotency-Key` is still running) is ambiguous: the
//!   first request may create the charge, so payorch retries the same key later. A 400
//!   `idempotency_error` (same key, different parameters) is invalid: payorch's bug, no failover.
//! - **Webhook tolerance** is 300 s in both directions: a timestamp from the future is as
//!   suspicious as an old one, and Stripe signs with its own clock at send time.
//! - **Fees.** A card confirmed at once asks for `expand[]=latest_charge.balance_transaction`
//!   on the create itself, so Stripe's own `fee` comes in the same answer: no second call on
//!   the charge path, nothing that can slow or fail it (a missing or unexpanded balance
//!   transaction just means no fee). `get_charge` expands it too; `find_charge` (search) does
//!   not, so a charge resolved that way gets the schedule's estimate. A
//!   Pix settles later by webhook, whose intent names its charge by id only: its fee is the
//!   schedule's estimate until the reconciler reads the intent with `get_charge`
//!   (`orchestrator/fees.rs`; `Capabilities::fee_on_read`).

mod checkout;
mod webhook;
mod wire;

pub use checkout::LINK_METADATA;
use checkout::*;
pub use webhook::webhook_signature;
use webhook::*;
use wire::*;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::http::{HttpClient, HttpReply, classify_status};
use super::settings::StripeSettings;
use super::{
    Capabilities, CreateCharge, CreateRefund, Gateway, GatewayCharge, GatewayError, GatewayEvent,
    GatewayRefund, WebhookError, WebhookRequest,
};
use crate::clock::{Clock, SystemClock, Timestamp};
use crate::id::ChargeId;
use crate::model::{
    AttemptOutcome, ChargeFailure, ChargeStatus, Currency, Fee, GatewayId, LinkDetails, Money,
    PaymentMethod, PixDetails, RefundStatus,
};
use crate::secret::Secret;

/// The Stripe API version every request pins (docs.stripe.com/api-versions).
pub const STRIPE_API_VERSION: &str = "2026-09-30.endive";
/// The metadata key that carries payorch's charge id on PaymentIntents (and their Charges).
pub const CHARGE_ID_METADATA: &str = "payorch_charge_id";
/// The metadata key that carries payorch's refund id on Refunds.
pub const REFUND_ID_METADATA: &str = "payorch_refund_id";
/// How far a webhook's signed timestamp may be from now, either way.
pub const SIGNATURE_TOLERANCE: Duration = Duration::from_secs(300);
/// Stripe's bounds for `payment_method_options[pix][expires_after_seconds]`.
/// The expansion that brings the fee: the latest Charge's balance transaction.
const FEE_EXPANSION: &str = "latest_charge.balance_transaction";
const PIX_EXPIRY_SECONDS: std::ops::RangeInclusive<u64> = 10..=1_209_600;
/// Stripe's metadata limits.
const METADATA_MAX_KEYS: usize = 50;
const METADATA_KEY_MAX: usize = 40;
const METADATA_VALUE_MAX: usize = 500;

const GATEWAY: GatewayId = GatewayId::Stripe;

/// The secrets the adapter needs, from the keyring or env vars.
#[derive(Clone, Debug)]
pub struct StripeCredentials {
    /// `sk_…` (or a restricted `rk_…`), sent as `Authorization: Bearer`.
    pub secret_key: Secret,
    /// The endpoint's `whsec_…`; without it every webhook is refused.
    pub webhook_secret: Option<Secret>,
}

/// The Stripe gateway: one pooled client, one base URL, one account's keys.
pub struct StripeGateway {
    http: HttpClient,
    /// Without a trailing `/`.
    base_url: String,
    credentials: StripeCredentials,
    /// Where a Checkout Session's `expires_at` is counted from.
    clock: Arc<dyn Clock>,
}

fn error(outcome: AttemptOutcome, message: impl Into<String>) -> GatewayError {
    GatewayError::new(GATEWAY, outcome, message)
}

fn invalid(message: impl Into<String>) -> GatewayError {
    error(AttemptOutcome::Invalid, message)
}

/// Stripe's minor-unit exponent for `currency` (docs.stripe.com/currencies). Every payorch
/// currency is one where Stripe follows ISO 4217; a special case (Stripe's ISK, HUF, TWD, UGX)
/// would get its own arm here, and a new currency cannot compile without a decision.
pub fn stripe_exponent(currency: Currency) -> u32 {
    use Currency::*;
    match currency {
        Ars | Brl | Clp | Cop | Eur | Gbp | Jpy | Mxn | Pen | Usd | Uyu => currency.exponent(),
    }
}

/// `money` as Stripe's `amount`: payorch's minor units rescaled to Stripe's exponent.
pub fn stripe_amount(money: Money) -> Result<i64, GatewayError> {
    let (ours, theirs) = (
        money.currency().exponent(),
        stripe_exponent(money.currency()),
    );
    let scaled = if theirs >= ours {
        10i64
            .checked_pow(theirs - ours)
            .and_then(|f| money.minor().checked_mul(f))
    } else {
        let f = 10i64.pow(ours - theirs);
        (money.minor() % f == 0).then(|| money.minor() / f)
    };
    scaled.ok_or_else(|| {
        invalid(format!(
            "amount: {money} cannot be expressed in Stripe's units"
        ))
    })
}

/// One PaymentIntent status word, with what else decides it, to payorch's status. The one
/// place Stripe statuses are mapped.
///
/// - `requires_payment_method` is a failure once an attempt failed (`last_payment_error`, or
///   an expired Pix), otherwise a fresh unconfirmed intent: pending;
/// - `requires_capture` is authorized but not captured: no money moved yet, so processing;
/// - `succeeded` becomes (partially) refunded when its charge reports refunds;
/// - a status this version of payorch does not know is `unknown`, for the reconciler.
pub fn charge_status(status: &str, payment_failed: bool, refunds: RefundState) -> ChargeStatus {
    match status {
        "requires_payment_method" if payment_failed => ChargeStatus::Failed,
        "requires_payment_method" | "requires_confirmation" => ChargeStatus::Pending,
        "requires_action" => ChargeStatus::RequiresAction,
        "processing" | "requires_capture" => ChargeStatus::Processing,
        "succeeded" => match refunds {
            RefundState::None => ChargeStatus::Succeeded,
            RefundState::Partial => ChargeStatus::PartiallyRefunded,
            RefundState::Full => ChargeStatus::Refunded,
        },
        "canceled" => ChargeStatus::Canceled,
        _ => ChargeStatus::Unknown,
    }
}

/// How much of a Stripe Charge was refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundState {
    None,
    Partial,
    Full,
}

impl RefundState {
    fn of(amount_refunded: i64, refunded: bool) -> RefundState {
        match (refunded, amount_refunded) {
            (true, _) => RefundState::Full,
            (false, 0) => RefundState::None,
            (false, _) => RefundState::Partial,
        }
    }
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeGateway")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl StripeGateway {
    pub fn new(
        settings: &StripeSettings,
        credentials: StripeCredentials,
    ) -> Result<Self, GatewayError> {
        let key = credentials.secret_key.expose();
        let key_ok = (key.starts_with("sk_") || key.starts_with("rk_"))
            && key.len() > 3
            && key.bytes().all(|b| b.is_ascii_graphic());
        if !key_ok {
            return Err(error(
                AttemptOutcome::Auth,
                "the Stripe secret key is missing or is not a secret key (sk_… or rk_…)",
            ));
        }
        let base_url = settings.base_url.trim().trim_end_matches('/').to_string();
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| {
            invalid(format!(
                "gateways.stripe.base_url: `{base_url}` is not a URL ({e})"
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "gateways.stripe.base_url: `{base_url}` must be http:// or https://"
            )));
        }
        let http = HttpClient::new(GATEWAY, settings.timeouts(), None, vec![])?;
        Ok(StripeGateway {
            http,
            base_url,
            credentials,
            clock: Arc::new(SystemClock),
        })
    }

    /// Replaces the clock a Checkout Session's expiry is computed from (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn authed(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .bearer_auth(self.credentials.secret_key.expose())
            .header("Stripe-Version", STRIPE_API_VERSION)
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: Form,
        idempotency_key: &str,
    ) -> Result<T, GatewayError> {
        let key = checked_idempotency_key(idempotency_key)?;
        let request = self
            .authed(self.http.client().post(format!("{}{path}", self.base_url)))
            .header("Idempotency-Key", key)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.finish());
        self.call(request).await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, GatewayError> {
        let request = self.authed(self.http.client().get(format!("{}{path}", self.base_url)));
        self.call(request).await
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, GatewayError> {
        let reply = self.http.send(request).await?;
        if !reply.is_success() {
            let err = self.error_from(&reply);
            // A decline is the issuer's business answer, not trouble at Stripe.
            if err.outcome == AttemptOutcome::Declined {
                tracing::info!(error = %err, "stripe declined");
            } else {
                tracing::warn!(error = %err, "stripe call failed");
            }
            return Err(err);
        }
        serde_json::from_slice(&reply.body).map_err(|e| {
            // Stripe acted (2xx) but payorch cannot tell on what: the outcome is unknown.
            error(
                AttemptOutcome::UnavailableAmbiguous,
                format!(
                    "Stripe answered HTTP {} with a body payorch cannot read: {e}",
                    reply.status
                ),
            )
            .with_status(reply.status)
        })
    }

    /// A Stripe error reply, classified (rule 3), with Stripe's code and message.
    fn error_from(&self, reply: &HttpReply) -> GatewayError {
        let body = serde_json::from_slice::<ErrorBody>(&reply.body)
            .map(|b| b.error)
            .unwrap_or_default();
        let outcome = match (reply.status, body.kind.as_deref()) {
            (402, _) | (_, Some("card_error")) if reply.status < 500 => AttemptOutcome::Declined,
            (409, _) => AttemptOutcome::UnavailableAmbiguous,
            (status, _) => classify_status(status),
        };
        let mut message = body
            .message
            .unwrap_or_else(|| format!("Stripe answered HTTP {}", reply.status));
        if let Some(param) = &body.param {
            message = format!("{message} (param: {param})");
        }
        // Stripe masks keys in its messages; payorch makes sure anyway (rule 6).
        let key = self.credentials.secret_key.expose();
        if message.contains(key) {
            message = message.replace(key, crate::secret::MASK);
        }
        let mut err = error(outcome, message).with_status(reply.status);
        err.code = body.decline_code.or(body.code).or(body.kind);
        err
    }

    fn create_form(&self, req: &CreateCharge) -> Result<Form, GatewayError> {
        let currency = req.money.currency();
        let mut form = Form::new();
        form.add("amount", &stripe_amount(req.money)?.to_string())
            .add("currency", &currency.code().to_ascii_lowercase());
        match req.method {
            PaymentMethod::Card => {
                let token = req
                    .card_token
                    .as_deref()
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| invalid("card.tokens.stripe: a card charge needs a Stripe payment method (pm_…)"))?;
                form.add("payment_method_types[]", "card")
                    .add("payment_method", token)
                    .add("confirm", "true")
                    .add("error_on_requires_action", "true")
                    // The fee in the same answer, no second call (README, "Costs").
                    .add("expand[]", FEE_EXPANSION);
            }
            PaymentMethod::Pix => {
                if currency != Currency::Brl {
                    return Err(invalid(format!(
                        "currency: Stripe takes Pix in BRL only, not {currency}"
                    )));
                }
                let expiry = req.expires_in.as_secs();
                if !PIX_EXPIRY_SECONDS.contains(&expiry) {
                    return Err(invalid(format!(
                        "expires_in: Stripe takes a Pix expiry of {} s to {} s, not {expiry} s",
                        PIX_EXPIRY_SECONDS.start(),
                        PIX_EXPIRY_SECONDS.end()
                    )));
                }
                form.add("payment_method_types[]", "pix")
                    .add("payment_method_data[type]", "pix")
                    .add(
                        "payment_method_data[billing_details][name]",
                        &req.customer.name,
                    );
                if let Some(email) = &req.customer.email {
                    form.add("payment_method_data[billing_details][email]", email);
                }
                form.add(
                    "payment_method_options[pix][expires_after_seconds]",
                    &expiry.to_string(),
                )
                .add("confirm", "true");
            }
            PaymentMethod::Boleto => {
                return Err(invalid(
                    "method: payorch does not route boleto to Stripe (it needs the payer's full address)",
                ));
            }
            PaymentMethod::Link => {
                return Err(invalid(
                    "method: a payment link at Stripe is a Checkout Session, not a PaymentIntent",
                ));
            }
        }
        if let Some(description) = &req.description {
            form.add("description", description);
        }
        add_metadata(
            &mut form,
            &req.metadata,
            (CHARGE_ID_METADATA, req.charge_id.as_str()),
        )?;
        Ok(form)
    }

    fn webhook_secret(&self) -> Result<&Secret, WebhookError> {
        self.credentials
            .webhook_secret
            .as_ref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                WebhookError::Unauthenticated("no Stripe webhook secret is configured".into())
            })
    }
}

#[async_trait]
impl Gateway for StripeGateway {
    fn id(&self) -> GatewayId {
        GATEWAY
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            methods: vec![PaymentMethod::Card, PaymentMethod::Pix, PaymentMethod::Link],
            currencies: Currency::ALL.to_vec(),
            partial_refunds: true,
            // Stripe's Pix charges Brazilian reais only.
            method_currencies: vec![(PaymentMethod::Pix, vec![Currency::Brl])],
            refund_resend_is_idempotent: false,
            create_resend_is_idempotent: true,
            fee_on_read: true,
        }
    }

    async fn create_charge(&self, req: &CreateCharge) -> Result<GatewayCharge, GatewayError> {
        if req.method == PaymentMethod::Link {
            return self.create_session(req).await;
        }
        let form = self.create_form(req)?;
        let intent: PaymentIntent = self
            .post("/v1/payment_intents", form, &req.idempotency_key)
            .await?;
        // Only the BR Code (`next_action.pix_display_qr_code.data`): neither Stripe's
        // `image_url_png` is fetched nor a PNG rendered on the charge path (issue 16). payorch
        // renders the QR on demand from the same string (`GET /v1/charges/{id}/pix.png`).
        Ok(intent.to_gateway_charge())
    }

    async fn get_charge(&self, reference: &str) -> Result<GatewayCharge, GatewayError> {
        if is_session_reference(reference) {
            return Ok(self.get_session(reference).await?.to_gateway_charge());
        }
        let id = checked_reference(reference)?;
        // The latest Charge carries the refunded amount, its balance transaction the fee.
        let path = format!(
            "/v1/payment_intents/{id}?expand%5B%5D=latest_charge&expand%5B%5D={FEE_EXPANSION}"
        );
        let intent: PaymentIntent = self.get(&path).await?;
        Ok(intent.to_gateway_charge())
    }

    async fn find_charge(&self, req: &CreateCharge) -> Result<Option<GatewayCharge>, GatewayError> {
        if req.method == PaymentMethod::Link {
            return self.find_session(req).await;
        }
        // Charge ids are `ch_` and base32: nothing in them needs escaping in Stripe's query
        // language, and the URL encoding below covers the rest.
        let query = format!("metadata['{CHARGE_ID_METADATA}']:'{}'", req.charge_id);
        let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let path = format!("/v1/payment_intents/search?query={encoded}");
        let found: SearchResult = self.get(&path).await?;
        // One key per charge at Stripe means at most one intent; should there be more, the one
        // that is not canceled is the one that matters.
        let best = found
            .data
            .iter()
            .find(|pi| pi.status != "canceled")
            .or(found.data.first());
        Ok(best.map(PaymentIntent::to_gateway_charge))
    }

    async fn cancel(&self, reference: &str) -> Result<GatewayCharge, GatewayError> {
        if is_session_reference(reference) {
            return self.expire_session(reference).await;
        }
        let id = checked_reference(reference)?;
        // A key derived from the intent makes a retried cancel replay the first answer instead
        // of failing with "already canceled".
        let key = format!("payorch-cancel-{id}");
        let intent: PaymentIntent = self
            .post(
                &format!("/v1/payment_intents/{id}/cancel"),
                Form::new(),
                &key,
            )
            .await?;
        Ok(intent.to_gateway_charge())
    }

    async fn refund(&self, req: &CreateRefund) -> Result<GatewayRefund, GatewayError> {
        // A link's payment is the intent its Checkout Session made when the payer paid.
        let intent = if is_session_reference(&req.charge_reference) {
            self.session_payment_intent(&req.charge_reference).await?
        } else {
            req.charge_reference.clone()
        };
        let id = checked_reference(&intent)?;
        let mut form = Form::new();
        form.add("payment_intent", id)
            .add("amount", &stripe_amount(req.money)?.to_string())
            .add(
                &format!("metadata[{REFUND_ID_METADATA}]"),
                req.refund_id.as_str(),
            );
        if let Some(reason) = &req.reason {
            // Stripe's `reason` is an enum; payorch's is free text, so it travels as metadata.
            form.add("metadata[payorch_reason]", reason);
        }
        let refund: Refund = self.post("/v1/refunds", form, &req.idempotency_key).await?;
        let status = refund_status(&refund.status);
        Ok(GatewayRefund {
            reference: refund.id,
            status,
            gateway_status: refund.status,
            amount: refund.amount,
        })
    }

    fn verify_webhook(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        let unauth = |m: &str| WebhookError::Unauthenticated(m.to_string());
        let header = req
            .headers
            .get("stripe-signature")
            .ok_or_else(|| unauth("no Stripe-Signature header"))?
            .to_str()
            .map_err(|_| unauth("Stripe-Signature is not ASCII"))?;
        let (timestamp, signatures) = parse_signature_header(header)?;
        let secret = self.webhook_secret()?;
        let mac = signed_mac(secret, timestamp, req.body);
        // Any v1 may match (Stripe sends several while a secret is being rolled). Each check is
        // constant-time; a v1 that is not hex cannot match.
        let authentic = signatures
            .iter()
            .filter_map(|s| decode_hex(s))
            .any(|sig| mac.clone().verify_slice(&sig).is_ok());
        if !authentic {
            return Err(unauth("no Stripe-Signature v1 matches the body"));
        }
        // In i128: a stated timestamp near i64::MIN or MAX must not overflow the subtraction.
        let skew = (i128::from(req.now.unix_seconds()) - i128::from(timestamp)).unsigned_abs();
        if skew > u128::from(SIGNATURE_TOLERANCE.as_secs()) {
            return Err(WebhookError::Unauthenticated(format!(
                "Stripe-Signature timestamp is {skew} s from now; the tolerance is {} s",
                SIGNATURE_TOLERANCE.as_secs()
            )));
        }
        Ok(())
    }

    fn parse_webhook(&self, req: &WebhookRequest<'_>) -> Result<Vec<GatewayEvent>, WebhookError> {
        let event: Event = serde_json::from_slice(req.body)
            .map_err(|e| WebhookError::Malformed(format!("not a Stripe event: {e}")))?;
        let parsed = match event.kind.as_str() {
            "payment_intent.succeeded"
            | "payment_intent.payment_failed"
            | "payment_intent.canceled"
            | "payment_intent.processing"
            | "payment_intent.requires_action" => event_from_payment_intent(&event)?,
            "checkout.session.completed"
            | "checkout.session.async_payment_succeeded"
            | "checkout.session.async_payment_failed"
            | "checkout.session.expired" => event_from_session(&event)?,
            "charge.refunded" => event_from_charge_refunded(&event)?,
            "refund.updated" | "refund.failed" | "charge.refund.updated" => {
                event_from_refund(&event)?
            }
            _ => GatewayEvent {
                event_id: event.id.clone(),
                kind: event.kind.clone(),
                reference: event
                    .data
                    .object
                    .get("id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                charge_id: event.data.object.get("metadata").and_then(charge_id_in),
                status: None,
                amount_refunded: None,
                payment_reference: None,
                occurred_at: occurred_at(&event),
                refunds: Vec::new(),
                fee: None,
            },
        };
        Ok(vec![parsed])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_units_are_payorch_units_for_every_currency() {
        for &c in Currency::ALL {
            let m = Money::from_minor(1990, c).unwrap();
            assert_eq!(stripe_amount(m).unwrap(), 1990, "{c}");
        }
    }

    #[test]
    fn every_payment_intent_status_maps() {
        use ChargeStatus::*;
        let cases = [
            ("requires_payment_method", false, RefundState::None, Pending),
            ("requires_payment_method", true, RefundState::None, Failed),
            ("requires_confirmation", false, RefundState::None, Pending),
            ("requires_action", false, RefundState::None, RequiresAction),
            ("processing", false, RefundState::None, Processing),
            ("requires_capture", false, RefundState::None, Processing),
            ("succeeded", false, RefundState::None, Succeeded),
            ("succeeded", false, RefundState::Partial, PartiallyRefunded),
            ("succeeded", false, RefundState::Full, Refunded),
            ("canceled", false, RefundState::None, Canceled),
            ("something_new", false, RefundState::None, Unknown),
        ];
        for (status, failed, refunds, expected) in cases {
            assert_eq!(charge_status(status, failed, refunds), expected, "{status}");
        }
    }

    #[test]
    fn signature_headers_parse_strictly() {
        let (t, v1) = parse_signature_header("t=12,v1=ab, v0=cd ,v1=ef").unwrap();
        assert_eq!((t, v1), (12, vec!["ab", "ef"]));
        for bad in ["v1=ab", "t=12,v0=ab", "t=x,v1=ab", "t=1,t=2,v1=ab", ""] {
            assert!(
                matches!(
                    parse_signature_header(bad),
                    Err(WebhookError::Unauthenticated(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(decode_hex("é0"), None);
    }

    #[test]
    fn references_cannot_escape_the_path() {
        assert!(checked_reference("pi_3MtwBwLkdIwHu7ix28a3tqPa").is_ok());
        for bad in [
            "",
            "pi_",
            "../v1/refunds",
            "pi_1/cancel",
            "pi_1?x=y",
            "ch_1",
            "pi_é",
        ] {
            let err = checked_reference(bad).unwrap_err();
            assert_eq!(err.outcome, AttemptOutcome::Invalid, "{bad}");
        }
    }
}
