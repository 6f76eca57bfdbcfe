//! The Efí fake's records (cobs, received Pix, devoluções), their JSON in Efí's shape, and
//! the SPI ids it makes up (endToEndId, rtrId).

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::clock::Timestamp;
use crate::sandbox::bounded::{Bounded, Full};

/// Efí's ISPB, the PSP part of its endToEndIds.
const ISPB: &str = "09089356";

/// A cob's status, as Efí writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(super) enum CobStatus {
    /// Open: may be paid or revised.
    Ativa,
    /// Paid.
    Concluida,
    /// Removed by the receiver (the one status a revision may set).
    RemovidaPeloUsuarioRecebedor,
}

impl CobStatus {
    /// The wire text.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            CobStatus::Ativa => "ATIVA",
            CobStatus::Concluida => "CONCLUIDA",
            CobStatus::RemovidaPeloUsuarioRecebedor => "REMOVIDA_PELO_USUARIO_RECEBEDOR",
        }
    }

    /// Open: only an ATIVA cob can be paid or revised.
    pub(super) fn is_active(self) -> bool {
        self == CobStatus::Ativa
    }
}

impl std::fmt::Display for CobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A devolução's status, as Efí writes it. (Efí also has `NAO_REALIZADO`, a refund that
/// failed; the fake's never do.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(super) enum DevolucaoStatus {
    /// Requested; what the request is answered with.
    EmProcessamento,
    /// Done; what the webhook and later reads show.
    Devolvido,
}

pub(super) struct Devolucao {
    pub(super) id: String,
    pub(super) rtr_id: String,
    pub(super) valor: String,
    pub(super) cents: i64,
    pub(super) solicitacao: Timestamp,
    pub(super) liquidacao: Option<Timestamp>,
    pub(super) status: DevolucaoStatus,
}

pub(super) struct Pix {
    pub(super) e2e: String,
    pub(super) valor: String,
    pub(super) cents: i64,
    pub(super) horario: Timestamp,
    pub(super) devolucoes: Vec<Devolucao>,
}

pub(super) struct Cob {
    pub(super) txid: String,
    pub(super) loc_id: i64,
    pub(super) location: String,
    pub(super) criacao: Timestamp,
    pub(super) expiracao: u32,
    pub(super) devedor: Option<Value>,
    pub(super) original: String,
    pub(super) cents: i64,
    pub(super) chave: String,
    pub(super) solicitacao_pagador: Option<String>,
    pub(super) info_adicionais: Option<Value>,
    pub(super) status: CobStatus,
    pub(super) revisao: u32,
    pub(super) copia_e_cola: String,
    pub(super) pix: Vec<Pix>,
}

/// A webhook configured with `PUT /v2/webhook/{chave}`.
pub(super) struct WebhookConfig {
    pub(super) chave: String,
    pub(super) url: String,
    pub(super) criacao: Timestamp,
}

pub(super) struct Ledger {
    pub(super) tokens: HashMap<String, Timestamp>,
    /// By txid, oldest first; at most the context's `max_objects`, the oldest settled (no
    /// longer ATIVA: devoluções complete at once) evicted first (`sandbox::bounded`).
    pub(super) cobs: Bounded<String, Cob>,
    /// loc id → txid, for the cobs kept.
    locs: HashMap<i64, String>,
    /// endToEndId → txid, for the Pix of the cobs kept.
    pix: HashMap<String, String>,
    pub(super) next_loc: i64,
    /// Oldest first; one per chave.
    pub(super) webhooks: Vec<WebhookConfig>,
}

impl Ledger {
    pub(super) fn new(max_objects: usize) -> Ledger {
        Ledger {
            tokens: HashMap::new(),
            cobs: Bounded::new(max_objects, |c: &Cob| !c.status.is_active()),
            locs: HashMap::new(),
            pix: HashMap::new(),
            next_loc: 1,
            webhooks: Vec::new(),
        }
    }

    pub(super) fn cob(&self, txid: &str) -> Option<&Cob> {
        self.cobs.get(txid)
    }

    /// The cob behind loc `id`.
    pub(super) fn cob_at(&self, loc_id: i64) -> Option<&Cob> {
        self.cobs.get(self.locs.get(&loc_id)?)
    }

    /// The txid of the cob a Pix paid.
    pub(super) fn txid_of_pix(&self, e2e: &str) -> Option<&str> {
        self.pix.get(e2e).map(String::as_str)
    }

    /// Adds a cob, evicting the oldest settled one (with its loc and Pix) at capacity.
    pub(super) fn add_cob(&mut self, cob: Cob) -> Result<(), Full> {
        let (txid, loc_id) = (cob.txid.clone(), cob.loc_id);
        if let Some((_, gone)) = self.cobs.insert(txid.clone(), cob)? {
            self.locs.remove(&gone.loc_id);
            for p in &gone.pix {
                self.pix.remove(&p.e2e);
            }
        }
        self.locs.insert(loc_id, txid);
        Ok(())
    }

    /// Remembers a Pix paid to cob `txid`, so it is found by its endToEndId.
    pub(super) fn index_pix(&mut self, e2e: String, txid: String) {
        self.pix.insert(e2e, txid);
    }

    /// Issues a token; expired ones are dropped when there are more than `max_objects`.
    pub(super) fn add_token(&mut self, token: String, expires: Timestamp, now: Timestamp) {
        if self.tokens.len() >= self.cobs.capacity() {
            self.tokens.retain(|_, exp| now < *exp);
        }
        self.tokens.insert(token, expires);
    }
}

pub(super) fn time(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// `n` random characters from `[A-Za-z0-9]`.
pub(super) fn random_alnum(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: fall back to a fresh ULID's digits, still unique per call.
        let ulid = crate::id::new_ulid().to_string();
        return ulid.chars().cycle().take(n).collect();
    }
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// `E09089356202611240300abcdefghijk`: the BCB's endToEndId (and, with `D`, the rtrId).
pub(super) fn spi_id(kind: char, at: Timestamp) -> String {
    let t = at.to_offset_date_time();
    format!(
        "{kind}{ISPB}{:04}{:02}{:02}{:02}{:02}{}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        random_alnum(11)
    )
}

pub(super) fn cob_json(c: &Cob) -> Value {
    let mut v = json!({
        "calendario": {"criacao": time(c.criacao), "expiracao": c.expiracao},
        "txid": c.txid,
        "revisao": c.revisao,
        "loc": loc_json(c),
        "location": c.location,
        "status": c.status,
        "valor": {"original": c.original},
        "chave": c.chave,
        "pixCopiaECola": c.copia_e_cola,
    });
    if let Some(d) = &c.devedor {
        v["devedor"] = d.clone();
    }
    if let Some(s) = &c.solicitacao_pagador {
        v["solicitacaoPagador"] = json!(s);
    }
    if let Some(i) = &c.info_adicionais {
        v["infoAdicionais"] = i.clone();
    }
    if !c.pix.is_empty() {
        v["pix"] = c
            .pix
            .iter()
            .map(|p| pix_json(&c.txid, &c.chave, p))
            .collect();
    }
    v
}

/// The BCB's `PayloadLocationCompleta`: the location with the txid it serves.
pub(super) fn loc_json(c: &Cob) -> Value {
    json!({
        "id": c.loc_id,
        "location": c.location,
        "tipoCob": "cob",
        "criacao": time(c.criacao),
        "txid": c.txid,
    })
}

/// Efí's answer to `GET /v2/webhook/{chave}`: the BCB's `WebhookCompleto` with `chave` (the
/// BCB schema lists `cnpj` as required, which Efí does not send: see the tests).
pub(super) fn webhook_json(w: &WebhookConfig) -> Value {
    json!({"webhookUrl": w.url, "chave": w.chave, "criacao": time(w.criacao)})
}

pub(super) fn pix_json(txid: &str, chave: &str, p: &Pix) -> Value {
    let mut v = json!({
        "endToEndId": p.e2e,
        "txid": txid,
        "chave": chave,
        "valor": p.valor,
        "horario": time(p.horario),
    });
    if !p.devolucoes.is_empty() {
        v["devolucoes"] = p.devolucoes.iter().map(devolucao_json).collect();
    }
    v
}

pub(super) fn devolucao_json(d: &Devolucao) -> Value {
    let mut horario = json!({"solicitacao": time(d.solicitacao)});
    if let Some(l) = d.liquidacao {
        horario["liquidacao"] = json!(time(l));
    }
    json!({"id": d.id, "rtrId": d.rtr_id, "valor": d.valor, "horario": horario, "status": d.status})
}

#[cfg(test)]
mod tests {
    use super::{CobStatus, DevolucaoStatus};

    /// Cob and devolução statuses keep Efí's wire text.
    #[test]
    fn statuses_are_efis_texts() {
        for (status, text) in [
            (CobStatus::Ativa, "ATIVA"),
            (CobStatus::Concluida, "CONCLUIDA"),
            (
                CobStatus::RemovidaPeloUsuarioRecebedor,
                "REMOVIDA_PELO_USUARIO_RECEBEDOR",
            ),
        ] {
            assert_eq!(status.as_str(), text);
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(text)
            );
        }
        for (status, text) in [
            (DevolucaoStatus::EmProcessamento, "EM_PROCESSAMENTO"),
            (DevolucaoStatus::Devolvido, "DEVOLVIDO"),
        ] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(text)
            );
        }
    }
}
