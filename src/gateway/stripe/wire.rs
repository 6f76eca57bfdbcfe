//! Stripe's objects as far as payorch reads them, and the form-encoded request bodies.

use super::*;

#[derive(Debug, Deserialize)]
pub(super) struct PaymentIntent {
    pub(super) id: String,
    pub(super) status: String,
    pub(super) amount: i64,
    #[serde(default)]
    pub(super) metadata: serde_json::Value,
    #[serde(default)]
    pub(super) last_payment_error: Option<ApiError>,
    #[serde(default)]
    pub(super) next_action: Option<NextAction>,
    #[serde(default)]
    pub(super) latest_charge: Option<LatestCharge>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum LatestCharge {
    Object(StripeCharge),
    /// Not expanded: just the `ch_…` id, which payorch does not need.
    Id(serde::de::IgnoredAny),
}

#[derive(Debug, Deserialize)]
pub(super) struct StripeCharge {
    #[serde(default)]
    pub(super) payment_intent: Option<String>,
    #[serde(default)]
    pub(super) amount_refunded: i64,
    #[serde(default)]
    pub(super) refunded: bool,
    #[serde(default)]
    pub(super) metadata: serde_json::Value,
    /// Expanded (`expand[]=latest_charge.balance_transaction`): what Stripe took for it.
    #[serde(default)]
    pub(super) balance_transaction: Option<BalanceRef>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum BalanceRef {
    Object(BalanceTransaction),
    /// Not expanded (or not yet settled): the `txn_…` id only.
    Id(serde::de::IgnoredAny),
}

/// A Stripe balance transaction, as far as its fee: `fee` is in minor units of `currency`
/// (the account's settlement currency, which may differ from the charge's).
#[derive(Debug, Deserialize)]
pub(super) struct BalanceTransaction {
    pub(super) fee: i64,
    pub(super) currency: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct NextAction {
    #[serde(default)]
    pub(super) pix_display_qr_code: Option<PixQrCode>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PixQrCode {
    #[serde(default)]
    pub(super) data: Option<String>,
    #[serde(default)]
    pub(super) expires_at: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ApiError {
    #[serde(default, rename = "type")]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) code: Option<String>,
    #[serde(default)]
    pub(super) decline_code: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) param: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ErrorBody {
    pub(super) error: ApiError,
}

#[derive(Debug, Deserialize)]
pub(super) struct Refund {
    pub(super) id: String,
    pub(super) status: String,
    pub(super) amount: i64,
    #[serde(default)]
    pub(super) payment_intent: Option<String>,
    #[serde(default)]
    pub(super) metadata: std::collections::HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct SearchResult {
    pub(super) data: Vec<PaymentIntent>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Event {
    pub(super) id: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) created: Option<i64>,
    pub(super) data: EventData,
}

#[derive(Debug, Deserialize)]
pub(super) struct EventData {
    pub(super) object: serde_json::Value,
}

pub(super) fn charge_id_in(metadata: &serde_json::Value) -> Option<ChargeId> {
    let raw = metadata.get(CHARGE_ID_METADATA)?.as_str()?;
    ChargeId::parse(raw).ok()
}

impl PaymentIntent {
    pub(super) fn refund_state(&self) -> RefundState {
        match &self.latest_charge {
            Some(LatestCharge::Object(c)) => RefundState::of(c.amount_refunded, c.refunded),
            _ => RefundState::None,
        }
    }

    pub(super) fn status(&self) -> ChargeStatus {
        charge_status(
            &self.status,
            self.last_payment_error.is_some(),
            self.refund_state(),
        )
    }

    pub(super) fn pix_qr(&self) -> Option<&PixQrCode> {
        self.next_action.as_ref()?.pix_display_qr_code.as_ref()
    }

    pub(super) fn to_gateway_charge(&self) -> GatewayCharge {
        let pix = self.pix_qr().and_then(|qr| {
            Some(PixDetails {
                copy_paste: qr.data.clone()?,
                qr_code_png: None,
                expires_at: qr
                    .expires_at
                    .map(|s| Timestamp::from_unix_millis(s.saturating_mul(1000))),
            })
        });
        let failure = self.last_payment_error.as_ref().map(|e| ChargeFailure {
            code: e
                .decline_code
                .clone()
                .or_else(|| e.code.clone())
                .unwrap_or_else(|| "payment_failed".into()),
            message: e.message.clone().unwrap_or_default(),
        });
        let amount_refunded = match &self.latest_charge {
            Some(LatestCharge::Object(c)) => c.amount_refunded,
            _ => 0,
        };
        let fee = match &self.latest_charge {
            Some(LatestCharge::Object(StripeCharge {
                balance_transaction: Some(BalanceRef::Object(txn)),
                ..
            })) => Currency::parse(&txn.currency)
                .ok()
                .and_then(|c| Fee::reported(txn.fee, c)),
            _ => None,
        };
        GatewayCharge {
            reference: self.id.clone(),
            status: self.status(),
            gateway_status: self.status.clone(),
            amount: self.amount,
            pix,
            boleto: None,
            link: None,
            failure,
            payment_reference: None,
            amount_refunded,
            fee,
        }
    }
}

/// `application/x-www-form-urlencoded` with Stripe's bracketed keys, in the order added.
pub(super) struct Form(String);

impl Form {
    pub(super) fn new() -> Form {
        Form(String::new())
    }

    pub(super) fn add(&mut self, key: &str, value: &str) -> &mut Form {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        self.0
            .extend(form_urlencoded::byte_serialize(key.as_bytes()));
        self.0.push('=');
        self.0
            .extend(form_urlencoded::byte_serialize(value.as_bytes()));
        self
    }

    pub(super) fn finish(self) -> String {
        self.0
    }
}

/// A Stripe object id as it may go into a URL path: `pi_` and letters, digits, `_`.
pub(super) fn checked_reference(reference: &str) -> Result<&str, GatewayError> {
    let ok = reference.len() <= 255
        && reference.strip_prefix("pi_").is_some_and(|r| {
            !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    if ok {
        Ok(reference)
    } else {
        Err(invalid(format!(
            "reference: `{reference}` is not a Stripe PaymentIntent id (pi_…)"
        )))
    }
}

pub(super) fn checked_idempotency_key(key: &str) -> Result<&str, GatewayError> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "idempotency_key: Stripe takes 1 to 255 printable ASCII characters",
        ));
    }
    Ok(key)
}

pub(super) fn add_metadata(
    form: &mut Form,
    metadata: &std::collections::BTreeMap<String, String>,
    ours: (&str, &str),
) -> Result<(), GatewayError> {
    let theirs: Vec<_> = metadata
        .iter()
        .filter(|(k, _)| k.as_str() != ours.0)
        .collect();
    if theirs.len() + 1 > METADATA_MAX_KEYS {
        return Err(invalid(format!(
            "metadata: Stripe takes at most {} keys besides payorch's own",
            METADATA_MAX_KEYS - 1
        )));
    }
    for (k, v) in theirs {
        if k.is_empty() || k.chars().count() > METADATA_KEY_MAX || k.contains(['[', ']']) {
            return Err(invalid(format!(
                "metadata: key `{k}` must be 1 to {METADATA_KEY_MAX} characters without `[` or `]` for Stripe"
            )));
        }
        if v.chars().count() > METADATA_VALUE_MAX {
            return Err(invalid(format!(
                "metadata.{k}: Stripe takes at most {METADATA_VALUE_MAX} characters"
            )));
        }
        form.add(&format!("metadata[{k}]"), v);
    }
    form.add(&format!("metadata[{}]", ours.0), ours.1);
    Ok(())
}
