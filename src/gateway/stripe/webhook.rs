//! `Stripe-Signature` verification and the events payorch reads from Stripe's webhooks.

use super::*;
use crate::gateway::RefundNews;
use crate::id::RefundId;

/// `Stripe-Signature: t=…,v1=…[,v1=…]`: the timestamp and every v1 signature (hex as sent).
pub(super) fn parse_signature_header(header: &str) -> Result<(i64, Vec<&str>), WebhookError> {
    let unauth = |m: &str| WebhookError::Unauthenticated(m.to_string());
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => {
                if timestamp.is_some() {
                    return Err(unauth("Stripe-Signature has more than one timestamp"));
                }
                timestamp = Some(
                    t.parse::<i64>()
                        .map_err(|_| unauth("Stripe-Signature timestamp is not a number"))?,
                );
            }
            Some(("v1", s)) => signatures.push(s),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or_else(|| unauth("Stripe-Signature has no timestamp"))?;
    if signatures.is_empty() {
        return Err(unauth("Stripe-Signature has no v1 signature"));
    }
    Ok((timestamp, signatures))
}

pub(super) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The `v1` signature Stripe computes: hex HMAC-SHA256 keyed with the whole `whsec_…` string
/// over `"{t}.{body}"`. Public so the sandbox fake signs exactly as this verifies.
pub fn webhook_signature(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    let mac = signed_mac(secret, timestamp, body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn signed_mac(secret: &Secret, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

pub(super) fn event_from_payment_intent(event: &Event) -> Result<GatewayEvent, WebhookError> {
    let intent: PaymentIntent = serde_json::from_value(event.data.object.clone()).map_err(|e| {
        WebhookError::Malformed(format!(
            "{}: data.object is not a PaymentIntent: {e}",
            event.kind
        ))
    })?;
    // A link's payment intent: its Checkout Session's events are the charge's news (and the
    // charge knows the session, not this intent), so this one is kept and changes nothing.
    let status = (!is_link_payment(&intent.metadata)).then(|| intent.status());
    Ok(GatewayEvent {
        event_id: event.id.clone(),
        kind: event.kind.clone(),
        reference: intent.id.clone(),
        charge_id: charge_id_in(&intent.metadata),
        status,
        amount_refunded: None,
        payment_reference: None,
        occurred_at: occurred_at(event),
        fee: None,
        refunds: Vec::new(),
    })
}

pub(super) fn event_from_charge_refunded(event: &Event) -> Result<GatewayEvent, WebhookError> {
    let charge: StripeCharge = serde_json::from_value(event.data.object.clone()).map_err(|e| {
        WebhookError::Malformed(format!("{}: data.object is not a Charge: {e}", event.kind))
    })?;
    let intent = charge.payment_intent.clone().ok_or_else(|| {
        WebhookError::Malformed(format!("{}: the Charge has no payment_intent", event.kind))
    })?;
    // A link's charge is known by its Checkout Session, which this Charge does not name: the
    // charge id in its metadata names it alone (an empty reference is not compared).
    let reference = if is_link_payment(&charge.metadata) {
        String::new()
    } else {
        intent
    };
    let status = match RefundState::of(charge.amount_refunded, charge.refunded) {
        RefundState::Full => ChargeStatus::Refunded,
        _ => ChargeStatus::PartiallyRefunded,
    };
    Ok(GatewayEvent {
        event_id: event.id.clone(),
        kind: event.kind.clone(),
        reference,
        charge_id: charge_id_in(&charge.metadata),
        status: Some(status),
        amount_refunded: Some(charge.amount_refunded),
        payment_reference: None,
        occurred_at: occurred_at(event),
        fee: None,
        refunds: Vec::new(),
    })
}

/// `refund.updated`, `refund.failed` (and the older `charge.refund.updated`): a refund that
/// was `pending` settles. The news names it by Stripe's id and by payorch's, from the metadata
/// the adapter sent; the charge's own status is left to `charge.refunded`.
pub(super) fn event_from_refund(event: &Event) -> Result<GatewayEvent, WebhookError> {
    let refund: Refund = serde_json::from_value(event.data.object.clone()).map_err(|e| {
        WebhookError::Malformed(format!("{}: data.object is not a Refund: {e}", event.kind))
    })?;
    let reference = refund.payment_intent.clone().ok_or_else(|| {
        WebhookError::Malformed(format!("{}: the Refund has no payment_intent", event.kind))
    })?;
    let refund_id = refund
        .metadata
        .get(REFUND_ID_METADATA)
        .and_then(|id| RefundId::parse(id).ok());
    Ok(GatewayEvent {
        event_id: event.id.clone(),
        kind: event.kind.clone(),
        reference,
        charge_id: None,
        status: None,
        amount_refunded: None,
        payment_reference: None,
        occurred_at: occurred_at(event),
        fee: None,
        refunds: vec![RefundNews {
            reference: refund.id.clone(),
            refund_id,
            status: refund_status(&refund.status),
            amount: refund.amount,
        }],
    })
}

/// A Stripe refund's status: `succeeded`; `failed` or `canceled`; the rest (`pending`,
/// `requires_action`, anything newer) not final yet.
pub(super) fn refund_status(status: &str) -> RefundStatus {
    match status {
        "succeeded" => RefundStatus::Succeeded,
        "failed" | "canceled" => RefundStatus::Failed,
        _ => RefundStatus::Pending,
    }
}

pub(super) fn occurred_at(event: &Event) -> Option<Timestamp> {
    event
        .created
        .map(|s| Timestamp::from_unix_millis(s.saturating_mul(1000)))
}
