//! Asaas webhooks in: the `asaas-access-token` check and the event body
//! (`{"id":"evt_…","event":"PAYMENT_RECEIVED","dateCreated":"…","payment":{…}}`) mapped to
//! normalized events. Sources: docs.asaas.com "Eventos para cobranças" and the OpenAPI
//! `WebhookEvent` enum.

use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::wire::{RefundEntry, brasilia_time, fee_of, refund_news, refunded_total};
use super::{WEBHOOK_TOKEN_HEADER, charge_status, de_opt_decimal};
use crate::gateway::{GatewayEvent, WebhookError, WebhookRequest};
use crate::id::ChargeId;
use crate::model::ChargeStatus;
use crate::secret::Secret;

/// Checks the `asaas-access-token` header against the configured token, in constant time.
/// No token configured means no webhook is ever accepted.
pub(super) fn verify(
    expected: Option<&Secret>,
    req: &WebhookRequest<'_>,
) -> Result<(), WebhookError> {
    let expected = expected.ok_or_else(|| {
        WebhookError::Unauthenticated("no Asaas webhook token is configured".into())
    })?;
    let got = req.headers.get(WEBHOOK_TOKEN_HEADER).ok_or_else(|| {
        WebhookError::Unauthenticated(format!("the {WEBHOOK_TOKEN_HEADER} header is missing"))
    })?;
    if bool::from(got.as_bytes().ct_eq(expected.expose().as_bytes())) {
        Ok(())
    } else {
        Err(WebhookError::Unauthenticated(format!(
            "the {WEBHOOK_TOKEN_HEADER} header does not match the configured token"
        )))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    id: String,
    event: String,
    #[serde(default)]
    date_created: Option<String>,
    #[serde(default)]
    payment: Option<EventPayment>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventPayment {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    external_reference: Option<String>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    value: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_decimal")]
    net_value: Option<i64>,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    refunds: Option<Vec<RefundEntry>>,
}

/// Parses one authentic Asaas webhook. Events that are not about a payment, and payment events
/// payorch does not map, come back with `status: None`; only an unreadable body is an error.
pub(super) fn parse(body: &[u8]) -> Result<Vec<GatewayEvent>, WebhookError> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("not an Asaas event: {e}")))?;
    if body.id.trim().is_empty() || body.event.trim().is_empty() {
        return Err(WebhookError::Malformed(
            "an Asaas event needs an `id` and an `event`".into(),
        ));
    }
    let occurred_at = body.date_created.as_deref().and_then(brasilia_time);
    let Some(payment) = body.payment else {
        if body.event.starts_with("PAYMENT_") {
            return Err(WebhookError::Malformed(format!(
                "{} without a `payment` object",
                body.event
            )));
        }
        return Ok(vec![GatewayEvent {
            event_id: body.id,
            kind: body.event,
            reference: String::new(),
            charge_id: None,
            status: None,
            amount_refunded: None,
            payment_reference: None,
            occurred_at,
            refunds: Vec::new(),
            fee: None,
        }]);
    };
    let value = payment.value.unwrap_or(0);
    let status_word = payment.status.as_deref().unwrap_or("");
    let refunded = refunded_total(status_word, value, payment.refunds.as_deref());
    let status = event_status(&body.event, || {
        payment
            .status
            .as_deref()
            .map(|s| charge_status(s, payment.deleted, value, refunded))
    });
    // Every refund the payment lists, by its reference: a refund answered PENDING settles when
    // this says DONE (PAYMENT_REFUNDED, PAYMENT_PARTIALLY_REFUNDED) or CANCELLED
    // (PAYMENT_REFUND_DENIED).
    let news = refund_news(&payment.id, payment.refunds.as_deref().unwrap_or_default());
    let amount_refunded = match body.event.as_str() {
        "PAYMENT_REFUNDED" if refunded == 0 => payment.value,
        "PAYMENT_REFUNDED" | "PAYMENT_PARTIALLY_REFUNDED" => Some(refunded),
        _ => None,
    };
    Ok(vec![GatewayEvent {
        event_id: body.id,
        kind: body.event,
        charge_id: payment
            .external_reference
            .as_deref()
            .and_then(|r| ChargeId::parse(r).ok()),
        reference: payment.id,
        status,
        amount_refunded,
        payment_reference: None,
        occurred_at,
        refunds: news,
        fee: fee_of(payment.value, payment.net_value),
    }])
}

/// Maps an Asaas payment event to the status it reports, in one place.
///
/// Events that mean "the payment changed" (`PAYMENT_CREATED`, `PAYMENT_UPDATED`,
/// `PAYMENT_RESTORED`) report the status of the payment they carry (`from_payment`). Chargeback
/// and dispute events, refunds still in flight or denied, views, splits, anticipations and
/// undone cash receipts have no normalized status: kept for the record, ignored.
pub(super) fn event_status(
    event: &str,
    from_payment: impl FnOnce() -> Option<ChargeStatus>,
) -> Option<ChargeStatus> {
    match event {
        "PAYMENT_CONFIRMED" | "PAYMENT_RECEIVED" | "PAYMENT_DUNNING_RECEIVED" => {
            Some(ChargeStatus::Succeeded)
        }
        "PAYMENT_OVERDUE" | "PAYMENT_DELETED" => Some(ChargeStatus::Canceled),
        "PAYMENT_REFUNDED" => Some(ChargeStatus::Refunded),
        "PAYMENT_PARTIALLY_REFUNDED" => Some(ChargeStatus::PartiallyRefunded),
        "PAYMENT_CREDIT_CARD_CAPTURE_REFUSED" | "PAYMENT_REPROVED_BY_RISK_ANALYSIS" => {
            Some(ChargeStatus::Failed)
        }
        "PAYMENT_AWAITING_RISK_ANALYSIS" | "PAYMENT_AUTHORIZED" => Some(ChargeStatus::Processing),
        "PAYMENT_CREATED" | "PAYMENT_UPDATED" | "PAYMENT_RESTORED" => from_payment(),
        _ => None,
    }
}
