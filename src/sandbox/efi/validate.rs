//! The Efí fake's request validation, as the Banco Central's Pix API schema states it (txid,
//! `calendario` (required), `valor.original`, `devedor` CPF/CNPJ, `chave`,
//! `solicitacaoPagador`), and the error shape Efí answers with, `{"nome","mensagem"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ledger::CobStatus;
use crate::model::{Currency, Document, DocumentKind};

/// One broken rule, in words that name the field (`Campo valor.original …`).
pub(super) struct Violation {
    pub razao: String,
}

/// `_property` (`cob.valor.original`) documents which field the rule is about.
fn violation(_property: &str, razao: impl Into<String>) -> Violation {
    Violation {
        razao: razao.into(),
    }
}

/// Efí's error shape, `{"nome": …, "mensagem": …}`, which its API reference documents for
/// every failure of the routes the fake serves (dev.efipay.com.br, "API Pix" → "Cobranças
/// imediatas", "Gestão de Pix", "Webhooks": each 400/404/409/500 tab is `nome` + `mensagem`;
/// only the 403 of `GET /v2/pix/:e2eId` shows the BCB's RFC 7807 `Problema`, which the fake
/// never answers since it has no scopes to deny).
pub(super) fn efi_error(status: StatusCode, nome: &str, mensagem: &str) -> Response {
    (
        status,
        axum::Json(json!({"nome": nome, "mensagem": mensagem})),
    )
        .into_response()
}

/// A 400 for a body that breaks the BCB schema or Efí's rules: Efí's `valor_invalido`, its
/// `mensagem` naming every offending field (Efí's reference: "Campo valor.original deve ser
/// maior que zero", "Documento CPF em devedor.cpf é inválido").
pub(super) fn invalid(violacoes: &[Violation]) -> Response {
    let mensagem = violacoes
        .iter()
        .map(|v| v.razao.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    efi_error(StatusCode::BAD_REQUEST, "valor_invalido", &mensagem)
}

/// `[a-zA-Z0-9]{min,max}`.
pub(super) fn is_alnum_id(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Minor units of `\d{1,10}\.\d{2}`.
pub(super) fn valor_cents(s: &str) -> Option<i64> {
    crate::gateway::efi::wire::parse_valor(s)
}

/// A `PUT /v2/cob/{txid}` or `POST /v2/cob` body that passed validation.
pub(super) struct ValidCob {
    pub expiracao: u32,
    pub devedor: Option<Value>,
    pub original: String,
    pub cents: i64,
    pub chave: String,
    pub solicitacao_pagador: Option<String>,
    pub info_adicionais: Option<Value>,
}

/// A `PATCH /v2/cob/{txid}` body (the BCB's `CobRevisada`): every field optional.
#[derive(Default)]
pub(super) struct Revision {
    pub expiracao: Option<u32>,
    pub devedor: Option<Value>,
    pub valor: Option<(String, i64)>,
    pub chave: Option<String>,
    pub solicitacao_pagador: Option<String>,
    pub info_adicionais: Option<Value>,
    pub status: Option<CobStatus>,
}

/// Checks the fields of a cob body like the real API, every violation reported, not just the
/// first. `create`: the BCB's `CobSolicitada`, where `calendario`, `valor` and `chave` are
/// required; otherwise `CobRevisada`, where nothing is.
pub(super) fn fields(body: &Value, create: bool) -> Result<Revision, Vec<Violation>> {
    let mut bad = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![violation(
            "cob",
            "O corpo da requisição deve ser um objeto JSON.",
        )]);
    };
    let present = |key: &str| obj.get(key).filter(|v| !v.is_null());
    let mut out = Revision::default();
    match present("calendario") {
        None if create => bad.push(violation(
            "cob.calendario",
            "Campo calendario é obrigatório.",
        )),
        None => {}
        Some(c) => match c.get("expiracao") {
            // The BCB's CobExpiracao defaults to 86400 seconds.
            None | Some(Value::Null) => out.expiracao = create.then_some(86_400),
            Some(v) => match v.as_u64().filter(|&n| (1..=i32::MAX as u64).contains(&n)) {
                Some(n) => out.expiracao = Some(n as u32),
                None => bad.push(violation(
                    "cob.calendario.expiracao",
                    "Campo calendario.expiracao deve ser maior que zero.",
                )),
            },
        },
    }
    match present("valor") {
        None if !create => {}
        v => {
            let original = v
                .and_then(|v| v.get("original"))
                .and_then(Value::as_str)
                .unwrap_or("");
            match valor_cents(original).filter(|c| *c > 0) {
                Some(cents) => out.valor = Some((original.to_string(), cents)),
                None => bad.push(violation(
                    "cob.valor.original",
                    "Campo valor.original deve ser maior que zero e respeitar o formato \\d{1,10}\\.\\d{2}.",
                )),
            }
        }
    }
    match present("chave") {
        None if !create => {}
        v => match v.and_then(Value::as_str) {
            Some(k) if !k.trim().is_empty() && k.chars().count() <= 77 => {
                out.chave = Some(k.to_string())
            }
            _ => bad.push(violation(
                "cob.chave",
                "Campo chave é obrigatório e tem no máximo 77 caracteres.",
            )),
        },
    }
    match present("solicitacaoPagador") {
        None => {}
        Some(Value::String(s)) if s.chars().count() <= 140 => {
            out.solicitacao_pagador = Some(s.clone())
        }
        Some(_) => bad.push(violation(
            "cob.solicitacaoPagador",
            "Campo solicitacaoPagador tem no máximo 140 caracteres.",
        )),
    }
    match present("infoAdicionais") {
        None => {}
        Some(Value::Array(items))
            if items.len() <= 50
                && items.iter().all(|i| {
                    let text = |k: &str, max: usize| {
                        i.get(k)
                            .and_then(Value::as_str)
                            .is_some_and(|s| s.chars().count() <= max)
                    };
                    text("nome", 50) && text("valor", 200)
                }) =>
        {
            out.info_adicionais = Some(Value::Array(items.clone()))
        }
        Some(_) => bad.push(violation(
            "cob.infoAdicionais",
            "Campo infoAdicionais deve ser uma lista de até 50 itens com nome e valor.",
        )),
    }
    if let Some(d) = present("devedor") {
        match devedor(d) {
            Ok(d) => out.devedor = Some(d),
            Err(v) => bad.push(v),
        }
    }
    if !create && let Some(status) = present("status") {
        // CobRevisada allows only the receiver's removal.
        let removed = CobStatus::RemovidaPeloUsuarioRecebedor;
        if status.as_str() == Some(removed.as_str()) {
            out.status = Some(removed);
        } else {
            bad.push(violation(
                "cob.status",
                "Campo status só pode ser revisado para REMOVIDA_PELO_USUARIO_RECEBEDOR.",
            ));
        }
    }
    if bad.is_empty() { Ok(out) } else { Err(bad) }
}

/// A create body ([`fields`] with everything the BCB requires present).
pub(super) fn cob(body: &Value) -> Result<ValidCob, Vec<Violation>> {
    let r = fields(body, true)?;
    let (Some(expiracao), Some((original, cents)), Some(chave)) = (r.expiracao, r.valor, r.chave)
    else {
        return Err(vec![violation("cob", "Cobrança incompleta.")]);
    };
    Ok(ValidCob {
        expiracao,
        devedor: r.devedor,
        original,
        cents,
        chave,
        solicitacao_pagador: r.solicitacao_pagador,
        info_adicionais: r.info_adicionais,
    })
}

fn devedor(d: &Value) -> Result<Value, Violation> {
    let nome = d.get("nome").and_then(Value::as_str);
    let cpf = d.get("cpf").and_then(Value::as_str);
    let cnpj = d.get("cnpj").and_then(Value::as_str);
    let (field, number, kind) = match (cpf, cnpj) {
        (Some(_), Some(_)) => {
            return Err(violation(
                "cob.devedor",
                "Não é permitido que o campo devedor.cpf e campo devedor.cnpj estejam preenchidos ao mesmo tempo.",
            ));
        }
        (Some(n), None) => ("cpf", n, DocumentKind::Cpf),
        (None, Some(n)) => ("cnpj", n, DocumentKind::Cnpj),
        (None, None) => {
            return Err(violation(
                "cob.devedor",
                "Se o campo devedor.nome está preenchido, então deve existir ou um devedor.cpf ou um campo devedor.cnpj preenchido.",
            ));
        }
    };
    let shape_ok = match kind {
        DocumentKind::Cpf => number.len() == 11 && number.bytes().all(|b| b.is_ascii_digit()),
        _ => {
            number.len() == 14
                && number
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        }
    };
    let valid =
        shape_ok && Document::parse(number, Currency::Brl).is_ok_and(|doc| doc.kind == kind);
    if !valid {
        return Err(violation(
            &format!("cob.devedor.{field}"),
            format!(
                "Documento {} em devedor.{field} é inválido.",
                field.to_ascii_uppercase()
            ),
        ));
    }
    match nome {
        Some(n) if !n.trim().is_empty() && n.chars().count() <= 200 => {
            Ok(json!({ field: number, "nome": n }))
        }
        _ => Err(violation(
            "cob.devedor.nome",
            "Campo devedor.nome é obrigatório e tem no máximo 200 caracteres.",
        )),
    }
}
