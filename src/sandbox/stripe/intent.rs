//! A PaymentIntent as the fake keeps it, and how it answers as Stripe's JSON.

use super::*;

pub(super) struct Intent {
    pub(super) id: String,
    pub(super) client_secret: String,
    pub(super) amount: i64,
    pub(super) currency: String,
    pub(super) created: i64,
    pub(super) status: &'static str,
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
}

impl Intent {
    pub(super) fn to_json(&self, expand_charge: bool) -> Value {
        let latest_charge = match (&self.latest_charge, expand_charge) {
            (Some(_), true) => self.charge_json(),
            (Some(id), false) => json!(id),
            (None, _) => Value::Null,
        };
        json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": 0,
            "amount_received": if self.status == "succeeded" { self.amount } else { 0 },
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": "automatic_async",
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "last_payment_error": self.last_payment_error,
            "latest_charge": latest_charge,
            "livemode": false,
            "metadata": self.metadata,
            "next_action": self.next_action,
            "payment_method": self.payment_method,
            "payment_method_types": self.method_types,
            "status": self.status,
        })
    }

    /// The Stripe Charge of the last attempt; it carries the intent's metadata, as Stripe's do.
    pub(super) fn charge_json(&self) -> Value {
        let paid = self.status == "succeeded";
        json!({
            "id": self.latest_charge,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": if paid { self.amount } else { 0 },
            "amount_refunded": self.amount_refunded,
            "captured": paid,
            "created": self.created,
            "currency": self.currency,
            "livemode": false,
            "metadata": self.metadata,
            "paid": paid,
            "payment_intent": self.id,
            "payment_method": self.payment_method,
            "refunded": paid && self.amount_refunded >= self.amount,
            "status": if paid { "succeeded" } else { "failed" },
        })
    }

    /// A Pix past its expiry fails, as Stripe's do. Returns the event to send.
    pub(super) fn expire_if_due(&mut self, now: i64) -> Option<(&'static str, Value)> {
        let due = self.status == "requires_action" && self.pix_expires_at.is_some_and(|t| now > t);
        if !due {
            return None;
        }
        self.status = "requires_payment_method";
        self.next_action = None;
        self.last_payment_error = Some(json!({
            "type": "invalid_request_error",
            "code": "payment_intent_payment_attempt_expired",
            "message": "The payment attempt for this PaymentIntent has expired.",
        }));
        Some(("payment_intent.payment_failed", self.to_json(false)))
    }

    pub(super) fn succeed(&mut self) {
        self.status = "succeeded";
        self.next_action = None;
        self.last_payment_error = None;
        self.latest_charge = Some(random_id("ch", 24));
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
                self.status = "requires_action";
                self.next_action = Some(json!({"type": "use_stripe_sdk", "use_stripe_sdk": {
                    "type": "three_d_secure_redirect", "stripe_js": "https://hooks.stripe.com/3d_secure_2/hosted"}}));
                return Ok(vec![(
                    "payment_intent.requires_action",
                    self.to_json(false),
                )]);
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
            None => {
                self.succeed();
                Ok(vec![("payment_intent.succeeded", self.to_json(false))])
            }
            Some(error) => {
                self.status = "requires_payment_method";
                self.latest_charge = Some(random_id("ch", 24));
                self.last_payment_error = Some(error.clone());
                let mut body = json!({ "error": error });
                body["error"]["payment_intent"] = self.to_json(false);
                body["error"]["charge"] = json!(self.latest_charge);
                Err(ApiError {
                    status: 402,
                    body,
                    saved: true,
                    events: vec![("payment_intent.payment_failed", self.to_json(false))],
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
        self.status = "requires_action";
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
        Ok(vec![(
            "payment_intent.requires_action",
            self.to_json(false),
        )])
    }
}
