//! Efí's wire format: the JSON of the Banco Central's Pix API as Efí serves it (cob, loc,
//! devolução, the two error shapes), the ids payorch derives for it, and the mapping of Efí's
//! statuses to payorch's. Pure: no I/O.

use serde::{Deserialize, Serialize};

use crate::gateway::http::{HttpReply, classify_status};
use crate::gateway::{GatewayCharge, GatewayError};
use crate::id::{ChargeId, RefundId};
use crate::model::{
    AttemptOutcome, ChargeFailure, ChargeStatus, Customer, DocumentKind, GatewayId, PixDetails,
    RefundStatus,
};

/// `solicitacaoPagador`: the pacs.008 remittance information holds 140 characters.
pub const MAX_PAYER_REQUEST_CHARS: usize = 140;
/// `devedor.nome`, per the BCB schema.
pub const MAX_DEBTOR_NAME_CHARS: usize = 200;
/// What payorch puts before the ULID of its ids to make a txid or a devolução id. 7 + 26 = 33
/// characters: inside the BCB's `[a-zA-Z0-9]{26,35}` (txid) and `[a-zA-Z0-9]{1,35}` (id).
pub const ID_PREFIX: &str = "payorch";
/// Efí answers a PUT on a txid it already holds with this error name.
pub const TXID_DUPLICATE: &str = "txid_duplicado";
/// The `data:` prefix Efí puts before `imagemQrcode`.
pub const PNG_DATA_PREFIX: &str = "data:image/png;base64,";

/// The txid of a payorch charge: `payorch` + the charge id's ULID. The same charge always gets
/// the same txid, so a retried create addresses the same cob (rule 4).
pub fn txid_for(charge: &ChargeId) -> String {
    format!("{ID_PREFIX}{}", charge.ulid_part())
}

/// The devolução id of a payorch refund, derived the same way as the txid.
pub fn devolucao_id_for(refund: &RefundId) -> String {
    format!("{ID_PREFIX}{}", refund.ulid_part())
}

/// Minor units of a BCB amount string (`\d{1,10}\.\d{2}`). Integer arithmetic only.
pub fn parse_valor(valor: &str) -> Option<i64> {
    let (whole, cents) = valor.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || whole.len() > 10 || cents.len() != 2 || !digits(cents) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = cents.parse().ok()?;
    whole.checked_mul(100)?.checked_add(cents)
}

/// `PUT /v2/cob/{txid}` body.
#[derive(Debug, Serialize)]
pub struct CobRequest<'a> {
    pub calendario: Calendario,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devedor: Option<Devedor>,
    pub valor: Valor,
    pub chave: &'a str,
    #[serde(rename = "solicitacaoPagador", skip_serializing_if = "Option::is_none")]
    pub solicitacao_pagador: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Calendario {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criacao: Option<String>,
    pub expiracao: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Devedor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnpj: Option<String>,
    pub nome: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Valor {
    pub original: String,
}

/// The `devedor` for a customer: only with a CPF or CNPJ (the BCB requires one with `nome`).
/// Alphanumeric CNPJs go as they are (`^[0-9A-Z]{14}$`).
pub fn devedor_for(customer: &Customer) -> Option<Devedor> {
    let document = customer.document.as_ref()?;
    let nome: String = customer.name.chars().take(MAX_DEBTOR_NAME_CHARS).collect();
    match document.kind {
        DocumentKind::Cpf => Some(Devedor {
            cpf: Some(document.number.clone()),
            cnpj: None,
            nome,
        }),
        DocumentKind::Cnpj => Some(Devedor {
            cpf: None,
            cnpj: Some(document.number.clone()),
            nome,
        }),
        DocumentKind::Other => None,
    }
}

/// A cob as Efí returns it (`CobGerada` / `CobCompleta`). Only what payorch reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Cob {
    pub txid: String,
    pub status: String,
    #[serde(default)]
    pub calendario: Option<Calendario>,
    pub valor: Valor,
    #[serde(default)]
    pub chave: Option<String>,
    #[serde(default)]
    pub loc: Option<Loc>,
    #[serde(default, rename = "pixCopiaECola")]
    pub pix_copia_e_cola: Option<String>,
    #[serde(default)]
    pub pix: Vec<PixRecebido>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Loc {
    pub id: i64,
}

/// A received Pix (in a cob's `pix[]` and in webhooks).
#[derive(Debug, Clone, Deserialize)]
pub struct PixRecebido {
    #[serde(rename = "endToEndId")]
    pub end_to_end_id: String,
    #[serde(default)]
    pub txid: Option<String>,
    pub valor: String,
    #[serde(default)]
    pub horario: Option<String>,
    #[serde(default)]
    pub devolucoes: Vec<Devolucao>,
}

/// `GET /v2/loc/{id}/qrcode`: its BR Code (`qrcode`). The image beside it (`imagemQrcode`) is
/// not read: payorch renders the QR itself, on demand.
#[derive(Debug, Deserialize)]
pub struct QrCode {
    pub qrcode: String,
}

/// A devolução (refund of a received Pix).
#[derive(Debug, Clone, Deserialize)]
pub struct Devolucao {
    pub id: String,
    #[serde(default, rename = "rtrId")]
    pub rtr_id: Option<String>,
    pub valor: String,
    pub status: String,
    #[serde(default)]
    pub horario: Option<DevolucaoHorario>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DevolucaoHorario {
    #[serde(default)]
    pub solicitacao: Option<String>,
    #[serde(default)]
    pub liquidacao: Option<String>,
}

/// Efí's cob status to payorch's.
///
/// `REMOVIDA_PELO_PSP` maps to **canceled**, not failed: Efí removed the charge record (no
/// payment can arrive any more) but no payment was attempted and refused; the merchant sees
/// the reason in `failure`.
pub fn charge_status(status: &str) -> ChargeStatus {
    match status {
        "ATIVA" => ChargeStatus::RequiresAction,
        "CONCLUIDA" => ChargeStatus::Succeeded,
        "REMOVIDA_PELO_USUARIO_RECEBEDOR" | "REMOVIDA_PELO_PSP" => ChargeStatus::Canceled,
        _ => ChargeStatus::Unknown,
    }
}

pub fn refund_status(status: &str) -> Option<RefundStatus> {
    match status {
        "EM_PROCESSAMENTO" => Some(RefundStatus::Pending),
        "DEVOLVIDO" => Some(RefundStatus::Succeeded),
        "NAO_REALIZADO" => Some(RefundStatus::Failed),
        _ => None,
    }
}

/// Minor units of the devoluções that completed (`DEVOLVIDO`).
pub fn refunded(devolucoes: &[Devolucao]) -> Option<i64> {
    devolucoes
        .iter()
        .filter(|d| d.status == "DEVOLVIDO")
        .try_fold(0i64, |sum, d| sum.checked_add(parse_valor(&d.valor)?))
}

/// The normalized status of a paid charge after `refunded` minor units went back.
pub fn paid_status(amount: i64, refunded: i64) -> ChargeStatus {
    if refunded <= 0 {
        ChargeStatus::Succeeded
    } else if refunded >= amount {
        ChargeStatus::Refunded
    } else {
        ChargeStatus::PartiallyRefunded
    }
}

impl Cob {
    /// The cob in payorch's vocabulary (its BR Code, no image: see `src/qr.rs`).
    pub fn to_gateway_charge(&self) -> Result<GatewayCharge, String> {
        let amount = parse_valor(&self.valor.original).ok_or_else(|| {
            format!(
                "Efí answered a cob with valor.original `{}`, not an amount",
                self.valor.original
            )
        })?;
        let mut status = charge_status(&self.status);
        let paid = self.pix.first();
        let mut amount_refunded = 0;
        if status == ChargeStatus::Succeeded {
            let devolucoes: Vec<Devolucao> =
                self.pix.iter().flat_map(|p| p.devolucoes.clone()).collect();
            amount_refunded = refunded(&devolucoes).ok_or_else(|| {
                "Efí answered a devolução whose valor is not an amount".to_string()
            })?;
            status = paid_status(amount, amount_refunded);
        }
        let failure = (self.status == "REMOVIDA_PELO_PSP").then(|| ChargeFailure {
            code: "REMOVIDA_PELO_PSP".into(),
            message: "Efí removed the charge; it can no longer be paid".into(),
        });
        let expires_at = self.calendario.as_ref().and_then(|c| {
            let created = crate::clock::Timestamp::parse_rfc3339(c.criacao.as_deref()?).ok()?;
            Some(created.plus(std::time::Duration::from_secs(u64::from(c.expiracao))))
        });
        let pix = self.pix_copia_e_cola.as_ref().map(|copy| PixDetails {
            copy_paste: copy.clone(),
            qr_code_png: None,
            expires_at,
        });
        Ok(GatewayCharge {
            reference: self.txid.clone(),
            status,
            gateway_status: self.status.clone(),
            amount,
            pix,
            boleto: None,
            link: None,
            failure,
            payment_reference: paid.map(|p| p.end_to_end_id.clone()),
            amount_refunded,
            // The Pix API (BCB v2.9.0, `specs/`) reports no fee on a cob or a Pix: estimated.
            fee: None,
        })
    }
}

/// The body of an error answer, in any of the shapes Efí uses.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    /// Efí's own shape: `{"nome": "...", "mensagem": "..."}`.
    nome: Option<String>,
    mensagem: Option<String>,
    /// The BCB's RFC 7807 shape: `{"type", "title", "status", "detail", "violacoes"}`.
    #[serde(rename = "type")]
    kind: Option<String>,
    title: Option<String>,
    detail: Option<String>,
    #[serde(default)]
    violacoes: Vec<Violacao>,
    /// OAuth's shape on `/oauth/token`: `{"error", "error_description"}`.
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Violacao {
    razao: Option<String>,
    propriedade: Option<String>,
}

/// The gateway's error code and message from an error body: `nome` / the tail of `type` /
/// OAuth `error`. Bodies that are not JSON give their first 200 characters.
pub fn error_details(reply: &HttpReply) -> (Option<String>, String) {
    let Ok(body) = serde_json::from_slice::<ErrorBody>(&reply.body) else {
        let text: String = reply.text().chars().take(200).collect();
        let text = text.trim();
        return (
            None,
            if text.is_empty() {
                "no error body".into()
            } else {
                text.to_string()
            },
        );
    };
    let code = body
        .nome
        .clone()
        .or_else(|| {
            body.kind
                .as_deref()
                .and_then(|t| t.rsplit('/').next())
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        })
        .or_else(|| body.error.clone());
    let mut parts: Vec<String> = [
        body.mensagem,
        body.title,
        body.detail,
        body.error_description,
    ]
    .into_iter()
    .flatten()
    .filter(|s| !s.trim().is_empty())
    .collect();
    for v in &body.violacoes {
        match (&v.propriedade, &v.razao) {
            (Some(p), Some(r)) => parts.push(format!("{p}: {r}")),
            (None, Some(r)) => parts.push(r.clone()),
            (Some(p), None) => parts.push(format!("{p} is invalid")),
            (None, None) => {}
        }
    }
    let message = if parts.is_empty() {
        "no error message".to_string()
    } else {
        parts.join("; ")
    };
    (code, message)
}

/// A classified error for a non-2xx answer (rule 3): `classify_status` decides the class, the
/// body gives the code and message.
pub fn error_from_reply(what: &str, reply: &HttpReply) -> GatewayError {
    let (code, message) = error_details(reply);
    let outcome = classify_status(reply.status);
    let outcome = if outcome == AttemptOutcome::Success {
        AttemptOutcome::UnavailableAmbiguous
    } else {
        outcome
    };
    let mut err = GatewayError::new(GatewayId::Efi, outcome, format!("{what}: {message}"))
        .with_status(reply.status);
    if let Some(code) = code {
        err = err.with_code(code);
    }
    err
}

/// An answer that was 2xx but not the JSON expected: the call happened, its result is unknown.
pub fn unreadable(what: &str, detail: impl std::fmt::Display, status: u16) -> GatewayError {
    GatewayError::new(
        GatewayId::Efi,
        AttemptOutcome::UnavailableAmbiguous,
        format!("{what}: Efí's answer could not be read: {detail}"),
    )
    .with_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valor_is_exact() {
        assert_eq!(parse_valor("123.45"), Some(12345));
        assert_eq!(parse_valor("0.01"), Some(1));
        assert_eq!(parse_valor("9999999999.99"), Some(999_999_999_999));
        for bad in [
            "1.5",
            "1,50",
            "1",
            ".50",
            "-1.00",
            "12345678901.00",
            "1.234",
            "a.bc",
            "",
        ] {
            assert_eq!(parse_valor(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_fit_the_bcb_patterns() {
        let txid = txid_for(&ChargeId::generate());
        assert_eq!(txid.len(), 33);
        assert!(txid.bytes().all(|b| b.is_ascii_alphanumeric()));
        let id = devolucao_id_for(&RefundId::generate());
        assert!(id.len() <= 35 && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn statuses() {
        assert_eq!(charge_status("ATIVA"), ChargeStatus::RequiresAction);
        assert_eq!(charge_status("CONCLUIDA"), ChargeStatus::Succeeded);
        assert_eq!(
            charge_status("REMOVIDA_PELO_USUARIO_RECEBEDOR"),
            ChargeStatus::Canceled
        );
        assert_eq!(charge_status("REMOVIDA_PELO_PSP"), ChargeStatus::Canceled);
        assert_eq!(charge_status("SOMETHING_NEW"), ChargeStatus::Unknown);
        assert_eq!(paid_status(100, 0), ChargeStatus::Succeeded);
        assert_eq!(paid_status(100, 40), ChargeStatus::PartiallyRefunded);
        assert_eq!(paid_status(100, 100), ChargeStatus::Refunded);
    }
}
