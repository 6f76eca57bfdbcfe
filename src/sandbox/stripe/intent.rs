//! A PaymentIntent as the fake keeps it, and how it answers as Stripe's JSON.

use super::*;

/// A PaymentIntent's status, as Stripe writes it (`"requires_action"`, `"succeeded"`, …). The
/// fake never leaves an intent `processing` (its payments settle at once or wait for a payer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    RequiresCapture,
    Succeeded,
    Canceled,
}

impl IntentStatus {
    /// The wire text.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            IntentStatus::RequiresPaymentMethod => "requires_payment_method",
            IntentStatus::RequiresConfirmation => "requires_confirmation",
            IntentStatus::RequiresAction => "requires_action",
            IntentStatus::RequiresCapture => "requires_capture",
            IntentStatus::Succeeded => "succeeded",
            IntentStatus::Canceled => "canceled",
        }
    }

    /// Whether `confirm` may run: a payment method is still to be given or confirmed.
    pub(super) fn is_confirmable(self) -> bool {
        matches!(
            self,
            IntentStatus::RequiresPaymentMethod | IntentStatus::RequiresConfirmation
        )
    }

    /// Whether `cancel` may run: anything not final (Stripe also cancels a `processing` one).
    pub(super) fn is_cancelable(self) -> bool {
        !matches!(self, IntentStatus::Succeeded | IntentStatus::Canceled)
    }

    /// The status a new intent starts in: confirmable at once when it names a payment method.
    pub(super) fn created(with_payment_method: bool) -> Self {
        if with_payment_method {
            IntentStatus::RequiresConfirmation
        } else {
            IntentStatus::RequiresPaymentMethod
        }
    }
}

impl std::fmt::Display for IntentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(super) struct Intent {
    pub(super) id: String,
    pub(super) client_secret: String,
    pub(super) amount: i64,
    pub(super) currency: String,
    pub(super) created: i64,
    pub(super) status: IntentStatus,
    pub(super) method_types: Vec<String>,
    pub(super) payment_method: Option<String>,
    pub(super) description: Option<String>,
    pub(super) metadata: BTreeMap<String, String>,
    pub(super) last_payment_error: Option<Value>,
    pub(super) next_action: Option<Value>,
    /// The Stripe Charge (`ch_…`) of the last payment attempt.
    pub(super) latest_charge: Option<String>,
    pub(super) amount_refunded: i64,
    pub(super) canceled_at: Option<i64>,
    pub(super) cancellation_reason: Option<String>,
    pub(super) pix_expires_at: Option<i64>,
    /// `automatic_async`, `automatic` or `manual`.
    pub(super) capture_method: String,
    /// Captured so far (the whole amount, or `amount_to_capture` of a manual capture).
    pub(super) amount_received: i64,
    pub(super) customer: Option<String>,
    /// `automatic_payment_methods[enabled]`: the methods were chosen by the fake's "dashboard"
    /// (card, and Pix for BRL), not by `payment_method_types`.
    pub(super) automatic_methods: bool,
    /// Every charge id this intent had (declined attempts too), to unindex them on eviction.
    pub(super) charge_ids: Vec<String>,
}

impl Intent {
    /// Whether nobody can act on it any more (`sandbox::bounded`): succeeded, canceled, or
    /// failed (a declined or expired attempt, `requires_payment_method` with an error). A
    /// refund settles at once, so a succeeded intent stays settled.
    pub(super) fn is_settled(&self) -> bool {
        match self.status {
            IntentStatus::Succeeded | IntentStatus::Canceled => true,
            IntentStatus::RequiresPaymentMethod => self.last_payment_error.is_some(),
            _ => false,
        }
    }

    /// The intent as `version` shapes it, `latest_charge` as an id (see [`Intent::expand`]).
    pub(super) fn to_json(&self, version: &ApiVersion) -> Value {
        let mut body = json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": if self.status == IntentStatus::RequiresCapture { self.amount } else { 0 },
            "amount_received": self.amount_received,
            "automatic_payment_methods": if self.automatic_methods {
                json!({"allow_redirects": "always", "enabled": true})
            } else {
                Value::Null
            },
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": self.capture_method,
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "description": self.description,
            "last_payment_error": self.last_payment_error,
            "livemode": false,
            "metadata": self.metadata,
            "next_action": self.next_action,
            "payment_method": self.payment_method,
            "payment_method_types": self.method_types,
            "status": self.status,
        });
        if version.charges_list() {
            // Before 2022-11-15 an intent listed its charges in full instead of `latest_charge`.
            let data: Vec<Value> = self
                .latest_charge
                .iter()
                .map(|_| self.charge_json())
                .collect();
            body["charges"] = json!({"object": "list", "data": data, "has_more": false,
                "total_count": data.len(), "url": format!("/v1/charges?payment_intent={}", self.id)});
        } else {
            body["latest_charge"] = json!(self.latest_charge);
        }
        body
    }

    /// Replaces `latest_charge` by the Charge when `expand` asks for it (the caller checked
    /// the paths; `customer` is expanded by the ledger, which holds customers).
    /// `latest_charge.balance_transaction` expands both, as Stripe's nested expansions do.
    pub(super) fn expand_charge(&self, body: &mut Value, expand: &[String]) {
        let txn = expand
            .iter()
            .any(|e| e == "latest_charge.balance_transaction");
        if (txn || expand.iter().any(|e| e == "latest_charge")) && self.latest_charge.is_some() {
            let mut charge = self.charge_json();
            if txn && let Some(t) = self.balance_transaction_json() {
                charge["balance_transaction"] = t;
            }
            body["latest_charge"] = charge;
        }
    }

    /// The fake's fee for a captured charge: Stripe's Brazilian rates (card 3.99 % plus 39
    /// minor units, Pix 1.19 %), half a unit rounding up, in the charge's currency whatever it
    /// is (a real account converts to its settlement currency).
    pub(super) fn fee(&self) -> i64 {
        let (per_10k, fixed) = if self.method_types.iter().any(|m| m == "pix") {
            (119, 0)
        } else {
            (399, 39)
        };
        (self.amount_received * per_10k + 5_000) / 10_000 + fixed
    }

    /// The `txn_…` id of the captured charge's balance transaction (derived from the charge's
    /// id, so the ledger keeps nothing more), `None` before capture.
    fn balance_transaction_id(&self) -> Option<String> {
        let ch = self.latest_charge.as_deref()?;
        (self.status == IntentStatus::Succeeded)
            .then(|| format!("txn_{}", ch.trim_start_matches("ch_")))
    }

    /// The captured charge's balance transaction as Stripe shows it, fee and net included.
    pub(super) fn balance_transaction_json(&self) -> Option<Value> {
        let id = self.balance_transaction_id()?;
        let fee = self.fee();
        Some(json!({
            "id": id,
            "object": "balance_transaction",
            "amount": self.amount_received,
            "available_on": self.created + 2 * 86_400,
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "exchange_rate": null,
            "fee": fee,
            "fee_details": [{
                "amount": fee,
                "application": null,
                "currency": self.currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }],
            "net": self.amount_received - fee,
            "reporting_category": "charge",
            "source": self.latest_charge,
            "status": "pending",
            "type": "charge",
        }))
    }

    /// The Stripe Charge of the last attempt; it carries the intent's metadata, as Stripe's do.
    /// An uncaptured authorization is `succeeded` but not `captured`; a partial capture counts
    /// the released remainder as refunded, as Stripe does.
    pub(super) fn charge_json(&self) -> Value {
        let authorized = matches!(
            self.status,
            IntentStatus::Succeeded | IntentStatus::RequiresCapture
        ) || (self.status == IntentStatus::Canceled
            && self.last_payment_error.is_none());
        let captured = self.status == IntentStatus::Succeeded;
        let released = if captured {
            self.amount - self.amount_received
        } else {
            0
        };
        json!({
            "id": self.latest_charge,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": self.amount_received,
            "amount_refunded": self.amount_refunded + released,
            "balance_transaction": self.balance_transaction_id(),
            "captured": captured,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "livemode": false,
            "metadata": self.metadata,
            "paid": authorized,
            "payment_intent": self.id,
            "payment_method": self.payment_method,
            "refunded": captured && self.amount_refunded + released >= self.amount,
            "status": if authorized { "succeeded" } else { "failed" },
        })
    }

    /// A Pix past its expiry fails, as Stripe's do. Returns the event to send.
    pub(super) fn expire_if_due(&mut self, now: i64) -> Option<(&'static str, Value)> {
        let due = self.status == IntentStatus::RequiresAction
            && self.pix_expires_at.is_some_and(|t| now > t);
        if !due {
            return None;
        }
        self.status = IntentStatus::RequiresPaymentMethod;
        self.next_action = None;
        self.last_payment_error = Some(json!({
            "type": "invalid_request_error",
            "code": "payment_intent_payment_attempt_expired",
            "message": "The payment attempt for this PaymentIntent has expired.",
        }));
        Some(("payment_intent.payment_failed", self.event_json()))
    }

    /// The payment went through: captured at once, or held for a manual capture. Returns the
    /// event Stripe sends for it.
    pub(super) fn succeed(&mut self) -> (&'static str, Value) {
        self.next_action = None;
        self.last_payment_error = None;
        self.latest_charge = Some(random_id("ch", 24));
        if self.capture_method == "manual" {
            self.status = IntentStatus::RequiresCapture;
            (
                "payment_intent.amount_capturable_updated",
                self.event_json(),
            )
        } else {
            self.status = IntentStatus::Succeeded;
            self.amount_received = self.amount;
            ("payment_intent.succeeded", self.event_json())
        }
    }

    /// The intent as webhook events carry it: in the account's (the adapter's pinned) version.
    pub(super) fn event_json(&self) -> Value {
        self.to_json(&ApiVersion::pinned())
    }

    /// Confirms with a payment method: Stripe's test cards, or Pix. Validation errors leave the
    /// intent as it was.
    pub(super) fn confirm(
        &mut self,
        params: &Params,
        now: i64,
        host: &str,
    ) -> Result<Vec<(&'static str, Value)>, ApiError> {
        let pm_type = param(params, "payment_method_data[type]");
        let pm = param(params, "payment_method").or(self.payment_method.as_deref());
        if pm_type == Some("pix") {
            return self.confirm_pix(params, now, host);
        }
        if let Some(other) = pm_type {
            return Err(ApiError::invalid(
                Some("parameter_invalid_empty"),
                format!("Invalid payment_method_data[type]: {other}"),
                Some("payment_method_data[type]"),
            ));
        }
        let Some(pm) = pm.map(str::to_string) else {
            return Err(ApiError::invalid(
                Some("payment_intent_unexpected_state"),
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                Some("payment_method"),
            ));
        };
        if !self.method_types.iter().any(|t| t == "card") {
            return Err(ApiError::invalid(
                Some("payment_intent_incompatible_payment_method"),
                "The PaymentMethod provided (card) is not allowed for this PaymentIntent.",
                Some("payment_method"),
            ));
        }
        let decline = |code: &str, decline_code: &str, message: &str| {
            json!({"type": "card_error", "code": code, "decline_code": decline_code,
                   "message": message, "payment_method": {"id": pm, "type": "card"},
                   "doc_url": format!("https://docs.stripe.com/error-codes/{code}")})
        };
        let declined = match pm.as_str() {
            "pm_card_visa" | "pm_card_mastercard" | "pm_card_amex" | "pm_card_br" => None,
            "pm_card_chargeDeclined" => Some(decline(
                "card_declined",
                "generic_decline",
                "Your card was declined.",
            )),
            "pm_card_chargeDeclinedInsufficientFunds" => Some(decline(
                "card_declined",
                "insufficient_funds",
                "Your card has insufficient funds.",
            )),
            "pm_card_authenticationRequired" | "pm_card_threeDSecure2Required"
                if is_true(params, "error_on_requires_action") =>
            {
                Some(decline(
                    "authentication_required",
                    "authentication_required",
                    "Your card was declined. This transaction requires authentication.",
                ))
            }
            "pm_card_authenticationRequired" | "pm_card_threeDSecure2Required" => {
                self.payment_method = Some(pm.clone());
                self.status = IntentStatus::RequiresAction;
                self.next_action = Some(json!({"type": "use_stripe_sdk", "use_stripe_sdk": {
                    "type": "three_d_secure_redirect", "stripe_js": "https://hooks.stripe.com/3d_secure_2/hosted"}}));
                return Ok(vec![("payment_intent.requires_action", self.event_json())]);
            }
            _ => {
                return Err(ApiError::invalid(
                    Some("resource_missing"),
                    format!("No such PaymentMethod: '{pm}'"),
                    Some("payment_method"),
                ));
            }
        };
        self.payment_method = Some(pm.clone());
        match declined {
            None => Ok(vec![self.succeed()]),
            Some(error) => {
                self.status = IntentStatus::RequiresPaymentMethod;
                self.latest_charge = Some(random_id("ch", 24));
                self.last_payment_error = Some(error.clone());
                let mut body = json!({ "error": error });
                body["error"]["payment_intent"] = self.event_json();
                body["error"]["charge"] = json!(self.latest_charge);
                Err(ApiError {
                    status: 402,
                    body,
                    saved: true,
                    events: vec![("payment_intent.payment_failed", self.event_json())],
                })
            }
        }
    }

    pub(super) fn confirm_pix(
        &mut self,
        params: &Params,
        now: i64,
        host: &str,
    ) -> Result<Vec<(&'static str, Value)>, ApiError> {
        if self.capture_method == "manual" {
            return Err(ApiError::invalid(
                Some("payment_intent_invalid_parameter"),
                "The payment method type pix does not support manual capture (capture_method=manual).",
                Some("capture_method"),
            ));
        }
        if !self.method_types.iter().any(|t| t == "pix") {
            return Err(ApiError::invalid(
                Some("payment_intent_incompatible_payment_method"),
                "The PaymentMethod provided (pix) is not allowed for this PaymentIntent.",
                Some("payment_method_data[type]"),
            ));
        }
        let key = "payment_method_options[pix][expires_after_seconds]";
        let expiry = match param(params, key) {
            None => PIX_DEFAULT_EXPIRY,
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| (10..=1_209_600).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(
                        Some("parameter_invalid_integer"),
                        "This value must be between 10 and 1209600.",
                        Some(key),
                    )
                })?,
        };
        let txid: String = self
            .id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .skip(2)
            .take(25)
            .collect();
        let data = BrCode::builder_dynamic(
            &format!("pix.payorch.test/stripe/v2/{txid}"),
            "STRIPE SANDBOX",
            "SAO PAULO",
        )
        .amount_cents(self.amount)
        .txid(&txid)
        .build()
        .map_err(|e| {
            ApiError::invalid(
                Some("amount_too_large"),
                format!("Pix cannot take this amount: {e}"),
                Some("amount"),
            )
        })?;
        let expires_at = now + expiry;
        self.payment_method = Some(random_id("pm", 24));
        self.status = IntentStatus::RequiresAction;
        self.pix_expires_at = Some(expires_at);
        self.next_action = Some(
            json!({"type": "pix_display_qr_code", "pix_display_qr_code": {
                "data": data,
                "expires_at": expires_at,
                "hosted_instructions_url": null,
                "image_url_png": format!("http://{host}/stripe/_qr/{}.png", self.id),
                "image_url_svg": null,
            }}),
        );
        Ok(vec![("payment_intent.requires_action", self.event_json())])
    }
}
