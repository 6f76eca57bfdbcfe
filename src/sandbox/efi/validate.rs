//! The Efí fake's request validation, as the Banco Central's Pix API schema states it (txid,
//! `valor.original`, `devedor` CPF/CNPJ, `chave`, `solicitacaoPagador`), and the two error
//! shapes Efí answers with: the BCB's RFC 7807 problem (with `violacoes`) and Efí's own
//! `{"nome","mensagem"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::model::{Currency, Document, DocumentKind};

/// One broken rule: what is wrong and which property (`cob.valor.original`).
pub struct Violation {
    pub razao: String,
    pub propriedade: String,
}

fn violation(propriedade: &str, razao: impl Into<String>) -> Violation {
    Violation {
        razao: razao.into(),
        propriedade: propriedade.into(),
    }
}

/// An RFC 7807 problem as the BCB's API defines it.
pub fn problem(
    status: StatusCode,
    kind: &str,
    title: &str,
    detail: &str,
    violacoes: &[Violation],
) -> Response {
    let mut body = json!({
        "type": format!("https://pix.bcb.gov.br/api/v2/error/{kind}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    if !violacoes.is_empty() {
        body["violacoes"] = violacoes
            .iter()
            .map(|v| json!({"razao": v.razao, "propriedade": v.propriedade}))
            .collect();
    }
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// Efí's own error shape.
pub fn efi_error(status: StatusCode, nome: &str, mensagem: &str) -> Response {
    (
        status,
        axum::Json(json!({"nome": nome, "mensagem": mensagem})),
    )
        .into_response()
}

/// A 400 for a cob request that breaks the schema.
pub fn invalid_cob(violacoes: &[Violation]) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "CobOperacaoInvalida",
        "Cobrança inválida.",
        "A requisição que busca alterar ou criar uma cobrança para pagamento imediato não respeita o _schema_ ou está semanticamente errada.",
        violacoes,
    )
}

/// A 400 for a devolução request that breaks the schema or the rules.
pub fn invalid_devolucao(violacoes: &[Violation]) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "PixDevolucaoInvalida",
        "Devolução inválida.",
        "A presente requisição de devolução não respeita o _schema_ ou não faz sentido semanticamente.",
        violacoes,
    )
}

/// `[a-zA-Z0-9]{min,max}`.
pub fn is_alnum_id(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Minor units of `\d{1,10}\.\d{2}`.
pub fn valor_cents(s: &str) -> Option<i64> {
    crate::gateway::efi::wire::parse_valor(s)
}

/// A `PUT /v2/cob/{txid}` body that passed validation.
pub struct ValidCob {
    pub expiracao: u32,
    pub devedor: Option<Value>,
    pub original: String,
    pub cents: i64,
    pub chave: String,
    pub solicitacao_pagador: Option<String>,
}

/// Checks a cob body like the real API: every violation is reported, not just the first.
pub fn cob(body: &Value) -> Result<ValidCob, Vec<Violation>> {
    let mut bad = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![violation("cob", "o corpo deve ser um objeto JSON")]);
    };
    let expiracao = match obj.get("calendario").map(|c| c.get("expiracao")) {
        None | Some(None) => 86_400,
        Some(Some(v)) => match v.as_u64().filter(|&n| (1..=i32::MAX as u64).contains(&n)) {
            Some(n) => n as u32,
            None => {
                bad.push(violation(
                    "cob.calendario.expiracao",
                    "O campo cob.calendario.expiracao não respeita o _schema_.",
                ));
                0
            }
        },
    };
    let original = obj
        .get("valor")
        .and_then(|v| v.get("original"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let cents = valor_cents(original).unwrap_or(0);
    if cents == 0 {
        bad.push(violation(
            "cob.valor.original",
            "O campo cob.valor.original não respeita o _schema_.",
        ));
    }
    let chave = obj.get("chave").and_then(Value::as_str).unwrap_or("");
    if chave.trim().is_empty() || chave.chars().count() > 77 {
        bad.push(violation(
            "cob.chave",
            "O campo cob.chave não respeita o _schema_.",
        ));
    }
    let solicitacao = match obj.get("solicitacaoPagador") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.chars().count() <= 140 => Some(s.clone()),
        Some(_) => {
            bad.push(violation(
                "cob.solicitacaoPagador",
                "O campo cob.solicitacaoPagador não respeita o _schema_.",
            ));
            None
        }
    };
    let devedor = match obj.get("devedor") {
        None | Some(Value::Null) => None,
        Some(d) => match devedor(d) {
            Ok(d) => Some(d),
            Err(v) => {
                bad.push(v);
                None
            }
        },
    };
    if bad.is_empty() {
        Ok(ValidCob {
            expiracao,
            devedor,
            original: original.to_string(),
            cents,
            chave: chave.to_string(),
            solicitacao_pagador: solicitacao,
        })
    } else {
        Err(bad)
    }
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
            format!("O campo cob.devedor.{field} não respeita o _schema_ ou é inválido."),
        ));
    }
    match nome {
        Some(n) if !n.trim().is_empty() && n.chars().count() <= 200 => {
            Ok(json!({ field: number, "nome": n }))
        }
        _ => Err(violation(
            "cob.devedor.nome",
            "O campo cob.devedor.nome não respeita o _schema_.",
        )),
    }
}
