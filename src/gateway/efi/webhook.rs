//! Efí's Pix webhooks: `POST <registered url>/pix?hmac=<secret>` with `{"pix":[…]}`, one
//! element per received Pix (a POST can carry several).
//!
//! Authenticity here is the shared secret Efí appends as the `hmac` query parameter (Efí's
//! "skip mTLS" mode), compared in constant time. Efí's other scheme, mTLS with Efí's webhook
//! CA, is terminated by the deployment (the reverse proxy in front of `payorch serve`), not
//! here. Efí appends `/pix` to the URL it was given; register `…/webhooks/{tenant}/efi` and
//! route `…/efi/pix` to it, or register with `?ignorar=` as Efí documents.

use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::clock::Timestamp;
use crate::gateway::{GatewayEvent, RefundNews, WebhookError, WebhookRequest};
use crate::id::{ChargeId, RefundId};
use crate::model::ChargeStatus;
use crate::secret::Secret;

use super::wire::{PixRecebido, paid_status, parse_valor, refund_status, refunded};

/// Checks the `hmac` query parameter against the configured secret.
pub(super) fn verify(
    secret: Option<&Secret>,
    req: &WebhookRequest<'_>,
) -> Result<(), WebhookError> {
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return Err(WebhookError::Unauthenticated(
            "no Efí webhook hmac is configured (credential `webhook_hmac`), so no Efí webhook can be trusted".into(),
        ));
    };
    let given = req.query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "hmac")
            .map(|(_, v)| v.into_owned())
    });
    let Some(given) = given else {
        return Err(WebhookError::Unauthenticated(
            "the `hmac` query parameter is missing".into(),
        ));
    };
    if bool::from(given.as_bytes().ct_eq(secret.expose().as_bytes())) {
        Ok(())
    } else {
        Err(WebhookError::Unauthenticated(
            "the `hmac` query parameter does not match".into(),
        ))
    }
}

#[derive(Deserialize)]
struct Notification {
    pix: Vec<PixRecebido>,
}

/// One event per element of `pix[]`: a payment (`kind` `pix`, event id = endToEndId), or, when
/// the element lists completed devoluções, a refund (`kind` `pix.devolucao`, event id = the
/// last completed devolução's `rtrId`, so each refund is news of its own and is not deduped
/// against the payment).
pub(super) fn parse(body: &[u8]) -> Result<Vec<GatewayEvent>, WebhookError> {
    let notification: Notification = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("not an Efí Pix notification: {e}")))?;
    notification.pix.iter().map(event).collect()
}

/// payorch's charge id behind a txid it chose (`payorch` + the charge id's ULID, see
/// [`super::wire::txid_for`]); `None` for a txid payorch did not make.
pub(super) fn charge_id_of(txid: &str) -> Option<ChargeId> {
    let ulid = txid.strip_prefix(super::wire::ID_PREFIX)?;
    ChargeId::parse(&format!("{}_{ulid}", ChargeId::PREFIX)).ok()
}

/// payorch's refund id behind a devolução id it chose ([`super::wire::devolucao_id_for`]).
fn refund_id_of(id: &str) -> Option<RefundId> {
    let ulid = id.strip_prefix(super::wire::ID_PREFIX)?;
    RefundId::parse(&format!("{}_{ulid}", RefundId::PREFIX)).ok()
}

fn event(pix: &PixRecebido) -> Result<GatewayEvent, WebhookError> {
    let malformed = |what: &str| {
        WebhookError::Malformed(format!(
            "pix {} has {what}",
            pix.end_to_end_id.chars().take(40).collect::<String>()
        ))
    };
    if pix.end_to_end_id.is_empty() {
        return Err(WebhookError::Malformed(
            "a pix element has an empty endToEndId".into(),
        ));
    }
    let amount =
        parse_valor(&pix.valor).ok_or_else(|| malformed("a valor that is not an amount"))?;
    let done = refunded(&pix.devolucoes)
        .ok_or_else(|| malformed("a devolução whose valor is not an amount"))?;
    // A Pix to the key with no txid is not a payorch charge: kept, not mapped.
    let reference = pix.txid.clone().unwrap_or_default();
    let has_charge = !reference.is_empty();
    let mapped = |s: ChargeStatus| has_charge.then_some(s);
    let charge_id = charge_id_of(&reference);
    let last_done = pix
        .devolucoes
        .iter()
        .rev()
        .find(|d| d.status == "DEVOLVIDO");
    let parse_time = |t: Option<&str>| t.and_then(|t| Timestamp::parse_rfc3339(t).ok());
    // Each devolução by its id (the reference the refund's answer gave), so a refund answered
    // EM_PROCESSAMENTO settles when this news says DEVOLVIDO or NAO_REALIZADO.
    let news: Vec<RefundNews> = pix
        .devolucoes
        .iter()
        .filter_map(|d| {
            Some(RefundNews {
                reference: d.id.clone(),
                refund_id: refund_id_of(&d.id),
                status: refund_status(&d.status)?,
                amount: parse_valor(&d.valor)?,
            })
        })
        .collect();
    Ok(match last_done {
        Some(devolucao) => GatewayEvent {
            event_id: devolucao
                .rtr_id
                .clone()
                .unwrap_or_else(|| format!("{}:{}", pix.end_to_end_id, devolucao.id)),
            kind: "pix.devolucao".into(),
            reference,
            charge_id: charge_id.clone(),
            status: mapped(paid_status(amount, done)),
            amount_refunded: Some(done),
            payment_reference: Some(pix.end_to_end_id.clone()),
            occurred_at: parse_time(
                devolucao
                    .horario
                    .as_ref()
                    .and_then(|h| h.liquidacao.as_deref().or(h.solicitacao.as_deref())),
            ),
            fee: None,
            refunds: news,
        },
        None => GatewayEvent {
            event_id: pix.end_to_end_id.clone(),
            kind: "pix".into(),
            status: mapped(ChargeStatus::Succeeded),
            reference,
            charge_id,
            amount_refunded: None,
            payment_reference: Some(pix.end_to_end_id.clone()),
            occurred_at: parse_time(pix.horario.as_deref()),
            fee: None,
            refunds: news,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::efi::wire::txid_for;

    #[test]
    fn a_txid_payorch_chose_names_its_charge() {
        let id = ChargeId::generate();
        assert_eq!(charge_id_of(&txid_for(&id)), Some(id));
        assert_eq!(charge_id_of("somebodyelsestxid0123456789"), None);
        assert_eq!(charge_id_of("payorchNOTAULID"), None);
        assert_eq!(charge_id_of(""), None);
    }

    #[test]
    fn a_pix_webhook_carries_the_charge_id_of_its_txid() {
        let id = ChargeId::generate();
        let body = serde_json::json!({"pix": [{
            "endToEndId": "E12345678202401011200abcdefghijk",
            "txid": txid_for(&id),
            "valor": "19.90",
            "horario": "2024-01-01T12:00:00.000Z"
        }]});
        let events = parse(body.to_string().as_bytes()).expect("parses");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].charge_id, Some(id));
        assert_eq!(events[0].status, Some(ChargeStatus::Succeeded));
        assert_eq!(events[0].event_id, "E12345678202401011200abcdefghijk");
    }
}
