//! The Efí fake: a wire-compatible Efí Pix API in memory (OAuth2 token, cob, loc QR code,
//! devolução) that sends Efí's `{"pix":[…]}` webhooks with the `hmac` query secret.
//!
//! Behaviour, where Efí's documentation leaves room or the fake has to choose:
//! - **Credentials.** `/oauth/token` accepts only [`CLIENT_ID`]/[`CLIENT_SECRET`] in Basic auth
//!   (others: 401 `{"error":"invalid_client",…}`) and issues tokens valid for
//!   [`TOKEN_LIFETIME_SECS`] on the context's clock; unknown or expired bearer tokens get 401.
//!   No mTLS: the sandbox serves plain HTTP on loopback.
//! - **Repeated txid.** Efí answers a `PUT /v2/cob/{txid}` on a txid it already holds with
//!   `txid_duplicado`, whatever the body; the fake does the same (HTTP 409). The adapter turns
//!   that into an idempotent create by reading the cob back, so the same PUT twice is one cob.
//! - **Homologation auto-pay.** As Efí's homologation does, a cob of R$ 0.01 to R$ 10.00 is paid
//!   automatically: the PUT answers `ATIVA` (as created) and the payment, with its webhook, is
//!   applied right after, before the answer leaves, so any later read sees `CONCLUIDA` and the
//!   webhook is already queued. No timers.
//! - **Devoluções** answer `EM_PROCESSAMENTO` and complete at once (`DEVOLVIDO`, with a webhook
//!   listing the Pix and its devoluções). A repeated devolução id is refused as the BCB says.
//! - **endToEndId / rtrId**: `E`/`D` + Efí's ISPB `09089356` + `yyyyMMddHHmm` + 11 letters and
//!   digits: 32 characters, the BCB's `[a-zA-Z0-9]{32}`.

mod ledger;
mod validate;

use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::brcode::BrCode;
use crate::clock::Timestamp;
use crate::gateway::efi::wire::PNG_DATA_PREFIX;
use crate::model::GatewayId;

use super::{FakeGateway, OutboundWebhook, SandboxContext, SandboxError};
use crate::qr;
use ledger::{
    Cob, Devolucao, Ledger, Pix, cob_json, devolucao_json, pix_json, random_alnum, spi_id,
};
use validate::{Violation, efi_error, invalid_cob, invalid_devolucao, is_alnum_id, valor_cents};

/// The sandbox application's credentials (fixed, printed by `payorch sandbox`).
pub const CLIENT_ID: &str = "Client_Id_payorch_sandbox_efi";
pub const CLIENT_SECRET: &str = "Client_Secret_payorch_sandbox_efi";
/// The secret the fake appends to its webhooks as `hmac=…`.
pub const WEBHOOK_HMAC: &str = "payorch-sandbox-efi-hmac";
/// How long a token lives, in seconds (Efí: 3600).
pub const TOKEN_LIFETIME_SECS: u64 = 3600;
/// Where the fake's locations live (a BR Code URL, no scheme).
const LOCATION_HOST: &str = "qrcodes-pix.sandbox.payorch.local";
const MERCHANT_NAME: &str = "PAYORCH SANDBOX";
const MERCHANT_CITY: &str = "SAO PAULO";
/// Homologation pays cobs up to this many centavos by itself.
const AUTO_PAY_MAX_CENTS: i64 = 1000;

/// The Efí fake.
pub struct EfiFake {
    ctx: SandboxContext,
    ledger: Mutex<Ledger>,
}

fn cob_not_found() -> Response {
    efi_error(
        StatusCode::NOT_FOUND,
        "cobranca_nao_encontrada",
        "Nenhuma cobrança encontrada para o txid informado",
    )
}

fn parse_json(body: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice(body).map_err(|_| {
        Box::new(efi_error(
            StatusCode::BAD_REQUEST,
            "json_invalido",
            "O corpo da requisição não é um JSON válido",
        ))
    })
}

impl EfiFake {
    pub fn new(ctx: SandboxContext) -> Self {
        EfiFake {
            ctx,
            ledger: Mutex::new(Ledger {
                next_loc: 1,
                ..Ledger::default()
            }),
        }
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> Timestamp {
        self.ctx.clock.now()
    }

    /// Sends `{"pix":[element]}` with the `hmac` query secret.
    fn notify(&self, element: Value) {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("hmac", WEBHOOK_HMAC)
            .finish();
        self.ctx.send_webhook(
            GatewayId::Efi,
            OutboundWebhook {
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: json!({ "pix": [element] }).to_string().into_bytes(),
                query: Some(query),
            },
        );
    }

    /// A 401 unless the request carries a live token.
    /// A write's prelude: the bearer token first (401), then the JSON body (400).
    fn authorized_json(&self, headers: &HeaderMap, body: &Bytes) -> Result<Value, Box<Response>> {
        if let Some(r) = self.refuse_unauthorized(headers) {
            return Err(Box::new(r));
        }
        parse_json(body)
    }

    fn refuse_unauthorized(&self, headers: &HeaderMap) -> Option<Response> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let now = self.now();
        let live = token.is_some_and(|t| self.ledger().tokens.get(t).is_some_and(|exp| now < *exp));
        (!live).then(|| {
            efi_error(
                StatusCode::UNAUTHORIZED,
                "token_invalido",
                "Token de acesso ausente, inválido ou expirado",
            )
        })
    }

    async fn token(State(fake): State<Arc<Self>>, headers: HeaderMap, body: Bytes) -> Response {
        let expected = base64::engine::general_purpose::STANDARD
            .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "));
        if given != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "invalid_client", "error_description": "Invalid or inactive credentials"})),
            )
                .into_response();
        }
        let grant = serde_json::from_slice::<Value>(&body).ok();
        if grant
            .as_ref()
            .and_then(|g| g.get("grant_type"))
            .and_then(Value::as_str)
            != Some("client_credentials")
        {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"})),
            )
                .into_response();
        }
        let token = format!("sandbox_{}", random_alnum(40));
        let expires = fake
            .now()
            .plus(std::time::Duration::from_secs(TOKEN_LIFETIME_SECS));
        fake.ledger().tokens.insert(token.clone(), expires);
        axum::Json(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECS,
            "scope": "cob.read cob.write pix.read pix.write",
        }))
        .into_response()
    }

    async fn put_cob(
        State(fake): State<Arc<Self>>,
        Path(txid): Path<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let body = match fake.authorized_json(&headers, &body) {
            Ok(b) => b,
            Err(r) => return *r,
        };
        let mut bad = Vec::new();
        if !is_alnum_id(&txid, 26, 35) {
            bad.push(Violation {
                razao: "O campo txid não respeita o _schema_ ([a-zA-Z0-9]{26,35}).".into(),
                propriedade: "cob.txid".into(),
            });
        }
        let valid = match validate::cob(&body) {
            Ok(v) if bad.is_empty() => v,
            Ok(_) => return invalid_cob(&bad),
            Err(more) => {
                bad.extend(more);
                return invalid_cob(&bad);
            }
        };
        let now = fake.now();
        let created = {
            let mut ledger = fake.ledger();
            if ledger.cob(&txid).is_some() {
                return efi_error(
                    StatusCode::CONFLICT,
                    "txid_duplicado",
                    "Campo txid informado já foi utilizado em outra cobrança",
                );
            }
            let loc_id = ledger.next_loc;
            ledger.next_loc += 1;
            let location = format!(
                "{LOCATION_HOST}/v2/{}",
                random_alnum(32).to_ascii_lowercase()
            );
            let copia_e_cola =
                match BrCode::builder_dynamic(&location, MERCHANT_NAME, MERCHANT_CITY)
                    .amount_cents(valid.cents)
                    .build()
                {
                    Ok(c) => c,
                    Err(e) => {
                        return efi_error(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "erro_aplicacao",
                            &e.to_string(),
                        );
                    }
                };
            let cob = Cob {
                txid: txid.clone(),
                loc_id,
                location,
                criacao: now,
                expiracao: valid.expiracao,
                devedor: valid.devedor,
                original: valid.original,
                cents: valid.cents,
                chave: valid.chave,
                solicitacao_pagador: valid.solicitacao_pagador,
                status: "ATIVA",
                revisao: 0,
                copia_e_cola,
                pix: Vec::new(),
            };
            let created = cob_json(&cob);
            ledger.cobs.push(cob);
            created
        };
        if (1..=AUTO_PAY_MAX_CENTS).contains(&valid.cents) {
            // Homologation: paid at once, webhook queued before the answer leaves.
            let _ = fake.pay(&txid);
        }
        (StatusCode::CREATED, axum::Json(created)).into_response()
    }

    async fn get_cob(
        State(fake): State<Arc<Self>>,
        Path(txid): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        if let Some(r) = fake.refuse_unauthorized(&headers) {
            return r;
        }
        match fake.ledger().cob(&txid) {
            Some(c) => axum::Json(cob_json(c)).into_response(),
            None => cob_not_found(),
        }
    }

    /// Only cancelling is supported (`{"status":"REMOVIDA_PELO_USUARIO_RECEBEDOR"}`).
    async fn patch_cob(
        State(fake): State<Arc<Self>>,
        Path(txid): Path<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let body = match fake.authorized_json(&headers, &body) {
            Ok(b) => b,
            Err(r) => return *r,
        };
        let mut ledger = fake.ledger();
        let Some(cob) = ledger.cob_mut(&txid) else {
            return cob_not_found();
        };
        if body.get("status").and_then(Value::as_str) != Some("REMOVIDA_PELO_USUARIO_RECEBEDOR") {
            return invalid_cob(&[Violation {
                razao: "O sandbox só revisa o status para REMOVIDA_PELO_USUARIO_RECEBEDOR.".into(),
                propriedade: "cob.status".into(),
            }]);
        }
        if cob.status != "ATIVA" {
            return validate::problem(
                StatusCode::BAD_REQUEST,
                "CobOperacaoInvalida",
                "Operação inválida.",
                "Cobrança não encontra-se mais com o status ATIVA, somente cobranças ativas podem ser revisadas.",
                &[],
            );
        }
        cob.status = "REMOVIDA_PELO_USUARIO_RECEBEDOR";
        cob.revisao += 1;
        axum::Json(cob_json(cob)).into_response()
    }

    async fn get_qrcode(
        State(fake): State<Arc<Self>>,
        Path(id): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        if let Some(r) = fake.refuse_unauthorized(&headers) {
            return r;
        }
        let found = id.parse::<i64>().ok().and_then(|id| {
            let ledger = fake.ledger();
            let cob = ledger.cobs.iter().find(|c| c.loc_id == id)?;
            Some((cob.copia_e_cola.clone(), cob.location.clone()))
        });
        let Some((copia_e_cola, location)) = found else {
            return efi_error(
                StatusCode::NOT_FOUND,
                "location_nao_encontrada",
                "Nenhuma location encontrada para o identificador informado",
            );
        };
        match qr::png_base64(&copia_e_cola) {
            Ok(png) => axum::Json(json!({
                "qrcode": copia_e_cola,
                "imagemQrcode": format!("{PNG_DATA_PREFIX}{png}"),
                "linkVisualizacao": format!("https://{location}"),
            }))
            .into_response(),
            Err(e) => efi_error(StatusCode::INTERNAL_SERVER_ERROR, "erro_aplicacao", &e),
        }
    }

    async fn put_devolucao(
        State(fake): State<Arc<Self>>,
        Path((e2e, id)): Path<(String, String)>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let body = match fake.authorized_json(&headers, &body) {
            Ok(b) => b,
            Err(r) => return *r,
        };
        let rule = |propriedade: &str, razao: &str| Violation {
            razao: razao.into(),
            propriedade: propriedade.into(),
        };
        if !is_alnum_id(&id, 1, 35) {
            return invalid_devolucao(&[rule("devolucao.id", "O id não respeita o _schema_.")]);
        }
        let valor = body.get("valor").and_then(Value::as_str).unwrap_or("");
        let Some(cents) = valor_cents(valor).filter(|c| *c > 0) else {
            return invalid_devolucao(&[rule(
                "devolucao.valor",
                "O campo devolucao.valor não respeita o _schema_.",
            )]);
        };
        let now = fake.now();
        let (answer, element) = {
            let mut ledger = fake.ledger();
            let chave = ledger
                .cobs
                .iter()
                .find(|c| c.pix.iter().any(|p| p.e2e == e2e))
                .map(|c| c.chave.clone())
                .unwrap_or_default();
            let Some((txid, pix)) = ledger.pix_mut(&e2e) else {
                return efi_error(
                    StatusCode::NOT_FOUND,
                    "pix_nao_encontrado",
                    "Nenhum pix encontrado para o identificador informado",
                );
            };
            let txid = txid.to_string();
            if pix.devolucoes.iter().any(|d| d.id == id) {
                return invalid_devolucao(&[rule(
                    "devolucao.id",
                    "A presente requisição de devolução apresenta um id já utilizado por outra requisição de devolução para o e2eid em questão.",
                )]);
            }
            let already: i64 = pix
                .devolucoes
                .iter()
                .filter(|d| d.status != "NAO_REALIZADO")
                .map(|d| d.cents)
                .sum();
            if already + cents > pix.cents {
                return invalid_devolucao(&[rule(
                    "devolucao.valor",
                    "A presente requisição de devolução, em conjunto com as demais prévias devoluções, excederia o valor do pix originário.",
                )]);
            }
            let mut devolucao = Devolucao {
                id: id.clone(),
                rtr_id: spi_id('D', now),
                valor: valor.to_string(),
                cents,
                solicitacao: now,
                liquidacao: None,
                status: "EM_PROCESSAMENTO",
            };
            let answer = devolucao_json(&devolucao);
            // Completes at once; the webhook reports it.
            devolucao.status = "DEVOLVIDO";
            devolucao.liquidacao = Some(now);
            pix.devolucoes.push(devolucao);
            (answer, pix_json(&txid, &chave, pix))
        };
        fake.notify(element);
        (StatusCode::CREATED, axum::Json(answer)).into_response()
    }

    async fn get_devolucao(
        State(fake): State<Arc<Self>>,
        Path((e2e, id)): Path<(String, String)>,
        headers: HeaderMap,
    ) -> Response {
        if let Some(r) = fake.refuse_unauthorized(&headers) {
            return r;
        }
        let mut ledger = fake.ledger();
        let found = ledger
            .pix_mut(&e2e)
            .and_then(|(_, p)| p.devolucoes.iter().find(|d| d.id == id).map(devolucao_json));
        match found {
            Some(d) => axum::Json(d).into_response(),
            None => efi_error(
                StatusCode::NOT_FOUND,
                "devolucao_nao_encontrada",
                "Nenhuma devolução encontrada para o identificador informado",
            ),
        }
    }
}

#[async_trait]
impl FakeGateway for EfiFake {
    fn id(&self) -> GatewayId {
        GatewayId::Efi
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/oauth/token", post(Self::token))
            .route(
                "/v2/cob/{txid}",
                put(Self::put_cob).get(Self::get_cob).patch(Self::patch_cob),
            )
            .route("/v2/loc/{id}/qrcode", get(Self::get_qrcode))
            .route(
                "/v2/pix/{e2eid}/devolucao/{id}",
                put(Self::put_devolucao).get(Self::get_devolucao),
            )
            .with_state(self)
    }

    fn credentials(&self) -> Vec<(&'static str, String)> {
        vec![
            ("client_id", CLIENT_ID.into()),
            ("client_secret", CLIENT_SECRET.into()),
            ("webhook_hmac", WEBHOOK_HMAC.into()),
        ]
    }

    /// `id` is the txid. The Pix arrives for the full amount.
    fn pay(&self, id: &str) -> Result<Value, SandboxError> {
        let now = self.now();
        let (cob, element) = {
            let mut ledger = self.ledger();
            let cob = ledger
                .cob_mut(id)
                .ok_or_else(|| SandboxError::NotFound(format!("no Efí cob with txid `{id}`")))?;
            if cob.status != "ATIVA" {
                return Err(SandboxError::Conflict(format!(
                    "Efí cob `{id}` is {}, only ATIVA cobs can be paid",
                    cob.status
                )));
            }
            let pix = Pix {
                e2e: spi_id('E', now),
                valor: cob.original.clone(),
                cents: cob.cents,
                horario: now,
                devolucoes: Vec::new(),
            };
            let element = pix_json(&cob.txid, &cob.chave, &pix);
            cob.pix.push(pix);
            cob.status = "CONCLUIDA";
            (cob_json(cob), element)
        };
        self.notify(element);
        Ok(cob)
    }

    fn charges(&self) -> Vec<Value> {
        self.ledger().cobs.iter().map(cob_json).collect()
    }
}
