//! The Efí fake: a wire-compatible Efí Pix API in memory (OAuth2 token, cob, loc, received
//! Pix, devolução, webhook configuration) that sends Efí's `{"pix":[…]}` webhooks with the
//! `hmac` query secret. It serves the routes Efí's official SDK (`efipay` on PyPI) calls for
//! these: `tests/it/efi_sdk.rs` drives it with that SDK. Payment links, from Efí's other API
//! (Cobranças), are served on the same listener by `links.rs`, with their hosted page.
//!
//! Sources: the BCB's Pix API (`specs/bcb-pix-api-v2.9.0.yaml`) for paths, bodies and
//! schemas; Efí's API reference (dev.efipay.com.br, "API Pix") for what Efí does where it
//! differs or the BCB leaves room. Behaviour, where the fake has to choose:
//! - **Credentials.** `/oauth/token` accepts only [`CLIENT_ID`]/[`CLIENT_SECRET`] in Basic auth
//!   (others: 401 `{"error":"invalid_client",…}`) and issues tokens valid for
//!   [`TOKEN_LIFETIME_SECS`] on the context's clock; unknown or expired bearer tokens get 401.
//!   No mTLS: the sandbox serves plain HTTP on loopback (the SDK's certificate path is only
//!   checked to exist).
//! - **Errors** are Efí's `{"nome","mensagem"}` (see [`validate::efi_error`] for the source),
//!   with the statuses Efí's reference gives: 400 `valor_invalido` for a body that breaks
//!   the schema, 409 `txid_duplicado` / `devolucao_id_duplicado` for a repeated id, 400
//!   `status_cobranca_invalido` for revising a cob that is no longer ATIVA. Unknown records
//!   answer 404 (the BCB's status for them; Efí's reference lists `cobranca_nao_encontrada`,
//!   `pix_nao_encontrado`, … without a distinct tab), and so does an unknown route, with a
//!   body (`rota_nao_encontrada`, the fake's own name: Efí documents none).
//! - **Repeated txid.** Efí's reference ("Criar cobrança imediata (com txid)", tab 409):
//!   `PUT /v2/cob/{txid}` on a txid it already holds answers 409 `txid_duplicado`, whatever
//!   the body. The adapter turns that into an idempotent create by reading the cob back.
//! - **`POST /v2/cob`**: the txid is chosen by the PSP (32 letters and digits).
//! - **Bounded memory.** At most the context's `max_objects` cobs are kept (`sandbox::bounded`):
//!   past it the oldest one no longer ATIVA goes, with its loc and Pix (then 404 like unknown
//!   ones); with every cob ATIVA a new one is refused with 429 `limite_de_requisicoes` (the
//!   fake's name, in Efí's error shape). Cobs, locs and Pix are found by id, never by a scan.
//! - **`PATCH /v2/cob/{txid}`** revises `calendario.expiracao`, `devedor`, `valor.original`,
//!   `chave`, `solicitacaoPagador`, `infoAdicionais` and `status` (only to
//!   `REMOVIDA_PELO_USUARIO_RECEBEDOR`), as the BCB's `CobRevisada` allows; `revisao` counts up.
//! - **Lists** (`GET /v2/cob`, `GET /v2/pix`, `GET /v2/webhook`) require `inicio` and `fim`
//!   (RFC 3339; Efí: "Esses filtros são obrigatórios") and page with
//!   `paginacao.paginaAtual` / `paginacao.itensPorPagina` (default 100, Efí's example).
//! - **Webhooks.** `PUT /v2/webhook/{chave}` `{"webhookUrl":…}` configures where the fake
//!   delivers; without one, the URL registered with the sandbox's control API is used. As
//!   Efí does, the fake posts to the URL with `/pix` appended (Efí's reference, "Webhooks":
//!   notifications go to `webhookUrl` + `/pix`, which is why integrators add `?ignorar=`).
//! - **Homologation auto-pay.** As Efí's homologation does, a cob of R$ 0.01 to R$ 10.00 is paid
//!   automatically: the create answers `ATIVA` (as created) and the payment, with its webhook,
//!   is applied right after, before the answer leaves, so any later read sees `CONCLUIDA` and
//!   the webhook is already queued. No timers.
//! - **Devoluções** answer `EM_PROCESSAMENTO` and complete at once (`DEVOLVIDO`, with a webhook
//!   listing the Pix and its devoluções).
//! - **endToEndId / rtrId**: `E`/`D` + Efí's ISPB `09089356` + `yyyyMMddHHmm` + 11 letters and
//!   digits: 32 characters, the BCB's `[a-zA-Z0-9]{32}`.

mod ledger;
mod links;
mod validate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
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
    Cob, CobStatus, Devolucao, DevolucaoStatus, Ledger, Pix, WebhookConfig, cob_json,
    devolucao_json, loc_json, pix_json, random_alnum, spi_id, webhook_json,
};
use validate::{ValidCob, Violation, efi_error, invalid, is_alnum_id, valor_cents};

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
    /// The API Cobranças' payment links (`links.rs`).
    links: Mutex<links::LinkBook>,
}

fn cob_not_found() -> Response {
    efi_error(
        StatusCode::NOT_FOUND,
        "cobranca_nao_encontrada",
        "Nenhuma cobrança encontrada para o txid informado",
    )
}

fn loc_not_found() -> Response {
    efi_error(
        StatusCode::NOT_FOUND,
        "location_nao_encontrada",
        "Nenhuma location encontrada para o identificador informado",
    )
}

fn pix_not_found() -> Response {
    efi_error(
        StatusCode::NOT_FOUND,
        "pix_nao_encontrado",
        "Nenhum pix encontrado para o identificador informado",
    )
}

fn webhook_not_found() -> Response {
    efi_error(
        StatusCode::NOT_FOUND,
        "webhook_nao_encontrado",
        "Nenhum webhook encontrado para a chave informada",
    )
}

/// The BR Code of a dynamic cob at `location` for `cents`.
fn copia_e_cola(location: &str, cents: i64) -> Result<String, Box<Response>> {
    BrCode::builder_dynamic(location, MERCHANT_NAME, MERCHANT_CITY)
        .amount_cents(cents)
        .build()
        .map_err(|e| {
            Box::new(efi_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "erro_aplicacao",
                &e.to_string(),
            ))
        })
}

/// Whether a record's `devedor` matches the list filters `cpf` / `cnpj` (when given).
fn debtor_matches(q: &HashMap<String, String>, devedor: Option<&Value>) -> bool {
    ["cpf", "cnpj"].iter().all(|field| {
        q.get(*field).is_none_or(|want| {
            devedor
                .and_then(|d| d.get(*field))
                .and_then(Value::as_str)
                .is_some_and(|have| have == want)
        })
    })
}

/// The BCB's list query: `inicio` and `fim` (required, RFC 3339) and its paging.
struct ListQuery {
    inicio: Timestamp,
    fim: Timestamp,
    raw_inicio: String,
    raw_fim: String,
}

/// Efí's example page size, and the most a page holds.
const DEFAULT_PAGE_ITEMS: usize = 100;
const MAX_PAGE_ITEMS: usize = 1000;

impl ListQuery {
    fn parse(q: &HashMap<String, String>) -> Result<Self, Box<Response>> {
        let bad = |mensagem: &str| {
            Box::new(efi_error(
                StatusCode::BAD_REQUEST,
                "valor_invalido",
                mensagem,
            ))
        };
        let when = |field: &str| -> Result<(Timestamp, String), Box<Response>> {
            let raw = q.get(field).ok_or_else(|| {
                bad(&format!(
                    "Campo {field} é obrigatório (data e hora RFC 3339)"
                ))
            })?;
            Timestamp::parse_rfc3339(raw)
                .map(|t| (t, raw.clone()))
                .map_err(|_| bad(&format!("Campo {field} deve ser uma data e hora RFC 3339")))
        };
        let (inicio, raw_inicio) = when("inicio")?;
        let (fim, raw_fim) = when("fim")?;
        if fim < inicio {
            // Efí's reference, "Consultar Pix recebidos", tab 400.
            return Err(bad(
                "Campo de data fim deve ser maior ou igual ao campo de data inicio",
            ));
        }
        Ok(ListQuery {
            inicio,
            fim,
            raw_inicio,
            raw_fim,
        })
    }

    fn contains(&self, t: Timestamp) -> bool {
        self.inicio <= t && t <= self.fim
    }

    /// `{"parametros": {inicio, fim, paginacao}, key: [page of items]}`.
    fn page(&self, key: &str, items: Vec<Value>, q: &HashMap<String, String>) -> Response {
        let number = |field: &str| q.get(field).map(|v| v.parse::<usize>());
        let current = match number("paginacao.paginaAtual") {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                return efi_error(
                    StatusCode::BAD_REQUEST,
                    "valor_invalido",
                    "Campo paginacao.paginaAtual deve ser um inteiro maior ou igual a 0",
                );
            }
        };
        let per_page = match number("paginacao.itensPorPagina") {
            None => DEFAULT_PAGE_ITEMS,
            Some(Ok(n)) if (1..=MAX_PAGE_ITEMS).contains(&n) => n,
            Some(_) => {
                return efi_error(
                    StatusCode::BAD_REQUEST,
                    "valor_invalido",
                    "Campo paginacao.itensPorPagina deve ser um inteiro de 1 a 1000",
                );
            }
        };
        let total = items.len();
        let pages = total.div_ceil(per_page).max(1);
        let page: Vec<Value> = items
            .into_iter()
            .skip(current.saturating_mul(per_page))
            .take(per_page)
            .collect();
        let mut body = json!({
            "parametros": {
                "inicio": self.raw_inicio,
                "fim": self.raw_fim,
                "paginacao": {
                    "paginaAtual": current,
                    "itensPorPagina": per_page,
                    "quantidadeDePaginas": pages,
                    "quantidadeTotalDeItens": total,
                },
            },
        });
        body[key] = Value::Array(page);
        axum::Json(body).into_response()
    }
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

/// A request with a live OAuth token (`Authorization: Bearer …`), else Efí's 401: what every
/// route but the token's own checks first.
struct Authorized;

impl FromRequestParts<Arc<EfiFake>> for Authorized {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, fake: &Arc<EfiFake>) -> Result<Self, Response> {
        match fake.refuse_unauthorized(&parts.headers) {
            Some(refused) => Err(refused),
            None => Ok(Authorized),
        }
    }
}

/// An authorized request's JSON body: the token is checked first, then the JSON.
struct AuthorizedJson(Value);

impl FromRequest<Arc<EfiFake>> for AuthorizedJson {
    type Rejection = Response;

    async fn from_request(req: Request, fake: &Arc<EfiFake>) -> Result<Self, Response> {
        if let Some(refused) = fake.refuse_unauthorized(req.headers()) {
            return Err(refused);
        }
        let body = Bytes::from_request(req, fake)
            .await
            .map_err(IntoResponse::into_response)?;
        parse_json(&body).map(AuthorizedJson).map_err(|r| *r)
    }
}

impl EfiFake {
    pub fn new(ctx: SandboxContext) -> Self {
        let ledger = Ledger::new(ctx.max_objects);
        let links = links::LinkBook::new(ctx.max_objects);
        EfiFake {
            ctx,
            ledger: Mutex::new(ledger),
            links: Mutex::new(links),
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
                url: None,
            },
        );
    }

    /// A 401 unless the request carries a live token.
    /// A write's prelude: the bearer token first (401), then the JSON body (400).
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

    /// A list route (its token checked by [`Authorized`]): the required `inicio`/`fim` window,
    /// then one page of what `select` finds in it, under `key`.
    fn list(
        &self,
        q: &HashMap<String, String>,
        key: &str,
        select: impl FnOnce(&Ledger, &ListQuery) -> Vec<Value>,
    ) -> Response {
        let window = match ListQuery::parse(q) {
            Ok(w) => w,
            Err(r) => return *r,
        };
        let items = select(&self.ledger(), &window);
        window.page(key, items, q)
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
        let now = fake.now();
        fake.ledger().add_token(token.clone(), expires, now);
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
        AuthorizedJson(body): AuthorizedJson,
    ) -> Response {
        let mut bad = Vec::new();
        if !is_alnum_id(&txid, 26, 35) {
            bad.push(Violation {
                razao: "Campo txid deve respeitar o formato [a-zA-Z0-9]{26,35}.".into(),
            });
        }
        match validate::cob(&body) {
            Ok(valid) if bad.is_empty() => fake.create_cob(txid, valid),
            Ok(_) => invalid(&bad),
            Err(more) => {
                bad.extend(more);
                invalid(&bad)
            }
        }
    }

    /// `POST /v2/cob`: the same create, the txid chosen here (Efí: "o txid será definido
    /// pela Efí").
    async fn post_cob(
        State(fake): State<Arc<Self>>,
        AuthorizedJson(body): AuthorizedJson,
    ) -> Response {
        match validate::cob(&body) {
            Ok(valid) => fake.create_cob(random_alnum(32), valid),
            Err(bad) => invalid(&bad),
        }
    }

    fn create_cob(self: &Arc<Self>, txid: String, valid: ValidCob) -> Response {
        let now = self.now();
        let created = {
            let mut ledger = self.ledger();
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
            let copia_e_cola = match copia_e_cola(&location, valid.cents) {
                Ok(c) => c,
                Err(r) => return *r,
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
                info_adicionais: valid.info_adicionais,
                status: CobStatus::Ativa,
                revisao: 0,
                copia_e_cola,
                pix: Vec::new(),
            };
            let created = cob_json(&cob);
            if let Err(full) = ledger.add_cob(cob) {
                // Efí's rate-limit answer: 429, in its error shape.
                return efi_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "limite_de_requisicoes",
                    &format!(
                        "O sandbox guarda {} cobranças e nenhuma está concluída; conclua algumas ou reinicie-o com um --max-objects maior.",
                        full.capacity
                    ),
                );
            }
            created
        };
        if (1..=AUTO_PAY_MAX_CENTS).contains(&valid.cents) {
            // Homologation: paid at once, webhook queued before the answer leaves.
            let _ = self.pay(&txid);
        }
        (StatusCode::CREATED, axum::Json(created)).into_response()
    }

    async fn get_cob(
        State(fake): State<Arc<Self>>,
        Path(txid): Path<String>,
        _: Authorized,
    ) -> Response {
        match fake.ledger().cob(&txid) {
            Some(c) => axum::Json(cob_json(c)).into_response(),
            None => cob_not_found(),
        }
    }

    /// A revision (the BCB's `CobRevisada`): any of the create's fields, or the receiver's
    /// removal. Only an ATIVA cob can be revised (Efí: 400 `status_cobranca_invalido`).
    async fn patch_cob(
        State(fake): State<Arc<Self>>,
        Path(txid): Path<String>,
        AuthorizedJson(body): AuthorizedJson,
    ) -> Response {
        let revision = match validate::fields(&body, false) {
            Ok(r) => r,
            Err(bad) => return invalid(&bad),
        };
        let mut ledger = fake.ledger();
        let revised = ledger.cobs.update(&txid, |cob| revise(cob, revision));
        revised.unwrap_or_else(cob_not_found)
    }

    /// `GET /v2/cob?inicio=…&fim=…`: the BCB's `CobsConsultadas`.
    async fn list_cobs(
        State(fake): State<Arc<Self>>,
        Query(q): Query<HashMap<String, String>>,
        _: Authorized,
    ) -> Response {
        fake.list(&q, "cobs", |ledger, window| {
            ledger
                .cobs
                .values()
                .filter(|c| window.contains(c.criacao))
                .filter(|c| q.get("status").is_none_or(|s| s == c.status.as_str()))
                .filter(|c| debtor_matches(&q, c.devedor.as_ref()))
                .map(cob_json)
                .collect()
        })
    }

    /// `GET /v2/loc/{id}`: the BCB's `PayloadLocationCompleta`.
    async fn get_loc(
        State(fake): State<Arc<Self>>,
        Path(id): Path<String>,
        _: Authorized,
    ) -> Response {
        let ledger = fake.ledger();
        match id.parse::<i64>().ok().and_then(|id| ledger.cob_at(id)) {
            Some(cob) => axum::Json(loc_json(cob)).into_response(),
            None => loc_not_found(),
        }
    }

    /// `GET /v2/pix?inicio=…&fim=…`: the BCB's `PixConsultados`.
    async fn list_pix(
        State(fake): State<Arc<Self>>,
        Query(q): Query<HashMap<String, String>>,
        _: Authorized,
    ) -> Response {
        fake.list(&q, "pix", |ledger, window| {
            ledger
                .cobs
                .values()
                .filter(|c| q.get("txid").is_none_or(|t| *t == c.txid))
                .filter(|c| debtor_matches(&q, c.devedor.as_ref()))
                .flat_map(|c| {
                    c.pix
                        .iter()
                        .filter(|p| window.contains(p.horario))
                        .map(|p| pix_json(&c.txid, &c.chave, p))
                })
                .collect()
        })
    }

    /// `GET /v2/pix/{e2eId}`: the BCB's `Pix`.
    async fn get_pix(
        State(fake): State<Arc<Self>>,
        Path(e2e): Path<String>,
        _: Authorized,
    ) -> Response {
        let ledger = fake.ledger();
        let found = ledger
            .txid_of_pix(&e2e)
            .and_then(|txid| ledger.cob(txid))
            .and_then(|c| c.pix.iter().find(|p| p.e2e == e2e).map(|p| (c, p)));
        match found {
            Some((c, p)) => axum::Json(pix_json(&c.txid, &c.chave, p)).into_response(),
            None => pix_not_found(),
        }
    }

    /// `PUT /v2/webhook/{chave}` `{"webhookUrl":…}`. Efí answers 200 with the URL it saved.
    async fn put_webhook(
        State(fake): State<Arc<Self>>,
        Path(chave): Path<String>,
        AuthorizedJson(body): AuthorizedJson,
    ) -> Response {
        let url = body.get("webhookUrl").and_then(Value::as_str).unwrap_or("");
        if crate::sandbox::server::parse_webhook_url(url).is_err() {
            return efi_error(
                StatusCode::BAD_REQUEST,
                "valor_invalido",
                "Campo webhookUrl deve ser uma URL http:// ou https:// válida",
            );
        }
        if chave.trim().is_empty() || chave.chars().count() > 77 {
            return efi_error(
                StatusCode::BAD_REQUEST,
                "valor_invalido",
                "Campo chave tem no máximo 77 caracteres",
            );
        }
        let now = fake.now();
        let mut ledger = fake.ledger();
        ledger.webhooks.retain(|w| w.chave != chave);
        ledger.webhooks.push(WebhookConfig {
            chave,
            url: url.to_string(),
            criacao: now,
        });
        axum::Json(json!({ "webhookUrl": url })).into_response()
    }

    async fn get_webhook(
        State(fake): State<Arc<Self>>,
        Path(chave): Path<String>,
        _: Authorized,
    ) -> Response {
        let ledger = fake.ledger();
        match ledger.webhooks.iter().find(|w| w.chave == chave) {
            Some(w) => axum::Json(webhook_json(w)).into_response(),
            None => webhook_not_found(),
        }
    }

    /// `DELETE /v2/webhook/{chave}`: 204, as the BCB defines.
    async fn delete_webhook(
        State(fake): State<Arc<Self>>,
        Path(chave): Path<String>,
        _: Authorized,
    ) -> Response {
        let mut ledger = fake.ledger();
        let before = ledger.webhooks.len();
        ledger.webhooks.retain(|w| w.chave != chave);
        if ledger.webhooks.len() == before {
            return webhook_not_found();
        }
        StatusCode::NO_CONTENT.into_response()
    }

    /// `GET /v2/webhook?inicio=…&fim=…`: the BCB's `WebhooksConsultados`.
    async fn list_webhooks(
        State(fake): State<Arc<Self>>,
        Query(q): Query<HashMap<String, String>>,
        _: Authorized,
    ) -> Response {
        fake.list(&q, "webhooks", |ledger, window| {
            ledger
                .webhooks
                .iter()
                .filter(|w| window.contains(w.criacao))
                .map(webhook_json)
                .collect()
        })
    }

    /// Any other route: a 404 with a body, never an empty one.
    async fn unknown_route(method: axum::http::Method, uri: axum::http::Uri) -> Response {
        efi_error(
            StatusCode::NOT_FOUND,
            "rota_nao_encontrada",
            &format!(
                "A rota {method} {} não existe nesta API (sandbox do payorch)",
                uri.path()
            ),
        )
    }

    async fn get_qrcode(
        State(fake): State<Arc<Self>>,
        Path(id): Path<String>,
        _: Authorized,
    ) -> Response {
        let found = id.parse::<i64>().ok().and_then(|id| {
            let ledger = fake.ledger();
            let cob = ledger.cob_at(id)?;
            Some((cob.copia_e_cola.clone(), cob.location.clone()))
        });
        let Some((copia_e_cola, location)) = found else {
            return loc_not_found();
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
        AuthorizedJson(body): AuthorizedJson,
    ) -> Response {
        let rule = |_property: &str, razao: &str| Violation {
            razao: razao.into(),
        };
        if !is_alnum_id(&id, 1, 35) {
            return invalid(&[rule(
                "devolucao.id",
                "Campo id deve respeitar o formato [a-zA-Z0-9]{1,35}.",
            )]);
        }
        let valor = body.get("valor").and_then(Value::as_str).unwrap_or("");
        let Some(cents) = valor_cents(valor).filter(|c| *c > 0) else {
            return invalid(&[rule(
                "devolucao.valor",
                "Campo valor deve ser maior que zero e respeitar o formato \\d{1,10}\\.\\d{2}.",
            )]);
        };
        let now = fake.now();
        let (answer, element) = {
            let mut ledger = fake.ledger();
            let Some(txid) = ledger.txid_of_pix(&e2e).map(str::to_string) else {
                return pix_not_found();
            };
            let Some(mut cob) = ledger.cobs.get_mut(&txid) else {
                return pix_not_found();
            };
            let chave = cob.chave.clone();
            let Some(pix) = cob.pix.iter_mut().find(|p| p.e2e == e2e) else {
                return pix_not_found();
            };
            if pix.devolucoes.iter().any(|d| d.id == id) {
                // Efí's reference, "Solicitar devolução", tab 409.
                return efi_error(
                    StatusCode::CONFLICT,
                    "devolucao_id_duplicado",
                    "O id informado já foi utilizado em outra devolução",
                );
            }
            let already: i64 = pix
                .devolucoes
                .iter()
                // Every devolução counts: none of the fake's fails (`NAO_REALIZADO`).
                .map(|d| d.cents)
                .sum();
            if already + cents > pix.cents {
                return invalid(&[rule(
                    "devolucao.valor",
                    "Campo valor, somado às devoluções anteriores, excede o valor do Pix.",
                )]);
            }
            let mut devolucao = Devolucao {
                id: id.clone(),
                rtr_id: spi_id('D', now),
                valor: valor.to_string(),
                cents,
                solicitacao: now,
                liquidacao: None,
                status: DevolucaoStatus::EmProcessamento,
            };
            let answer = devolucao_json(&devolucao);
            // Completes at once; the webhook reports it.
            devolucao.status = DevolucaoStatus::Devolvido;
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
        _: Authorized,
    ) -> Response {
        let ledger = fake.ledger();
        let found = ledger
            .txid_of_pix(&e2e)
            .and_then(|txid| ledger.cob(txid))
            .and_then(|c| c.pix.iter().find(|p| p.e2e == e2e))
            .and_then(|p| p.devolucoes.iter().find(|d| d.id == id).map(devolucao_json));
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

/// Applies a revision to `cob`: only an ATIVA cob can be revised (Efí: 400
/// `status_cobranca_invalido`).
fn revise(cob: &mut Cob, revision: validate::Revision) -> Response {
    if !cob.status.is_active() {
        return efi_error(
            StatusCode::BAD_REQUEST,
            "status_cobranca_invalido",
            "A cobrança não está mais com o status ATIVA",
        );
    }
    if let Some((original, cents)) = revision.valor {
        cob.copia_e_cola = match copia_e_cola(&cob.location, cents) {
            Ok(c) => c,
            Err(r) => return *r,
        };
        cob.original = original;
        cob.cents = cents;
    }
    if let Some(e) = revision.expiracao {
        cob.expiracao = e;
    }
    if let Some(d) = revision.devedor {
        cob.devedor = Some(d);
    }
    if let Some(k) = revision.chave {
        cob.chave = k;
    }
    if let Some(s) = revision.solicitacao_pagador {
        cob.solicitacao_pagador = Some(s);
    }
    if let Some(i) = revision.info_adicionais {
        cob.info_adicionais = Some(i);
    }
    if let Some(status) = revision.status {
        cob.status = status;
    }
    cob.revisao += 1;
    axum::Json(cob_json(cob)).into_response()
}

#[async_trait]
impl FakeGateway for EfiFake {
    fn id(&self) -> GatewayId {
        GatewayId::Efi
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/oauth/token", post(Self::token))
            .route("/v2/cob", post(Self::post_cob).get(Self::list_cobs))
            .route(
                "/v2/cob/{txid}",
                put(Self::put_cob).get(Self::get_cob).patch(Self::patch_cob),
            )
            .route("/v2/loc/{id}", get(Self::get_loc))
            .route("/v2/loc/{id}/qrcode", get(Self::get_qrcode))
            .route("/v2/pix", get(Self::list_pix))
            .route("/v2/pix/{e2eid}", get(Self::get_pix))
            .route(
                "/v2/pix/{e2eid}/devolucao/{id}",
                put(Self::put_devolucao).get(Self::get_devolucao),
            )
            .route("/v2/webhook", get(Self::list_webhooks))
            .route(
                "/v2/webhook/{chave}",
                put(Self::put_webhook)
                    .get(Self::get_webhook)
                    .delete(Self::delete_webhook),
            )
            .merge(links::router())
            .fallback(Self::unknown_route)
            .method_not_allowed_fallback(Self::unknown_route)
            .with_state(self)
    }

    fn credentials(&self) -> Vec<(&'static str, String)> {
        vec![
            ("client_id", CLIENT_ID.into()),
            ("client_secret", CLIENT_SECRET.into()),
            ("webhook_hmac", WEBHOOK_HMAC.into()),
        ]
    }

    /// `id` is the txid (the Pix arrives for the full amount), or a payment link's charge id
    /// (digits: paid by boleto, as its page does, with its notification).
    fn pay(&self, id: &str) -> Result<Value, SandboxError> {
        if let Some(number) = crate::gateway::efi::links::is_link_reference(id)
            .then(|| id.parse::<u64>().ok())
            .flatten()
        {
            return self.pay_link(number, "billet").map(|c| c.json());
        }
        let now = self.now();
        let (cob, element) = {
            let mut ledger = self.ledger();
            let paid = ledger.cobs.update(id, |cob| {
                if !cob.status.is_active() {
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
                let e2e = pix.e2e.clone();
                cob.pix.push(pix);
                cob.status = CobStatus::Concluida;
                Ok((cob_json(cob), element, e2e))
            });
            let (cob, element, e2e) = paid
                .ok_or_else(|| SandboxError::NotFound(format!("no Efí cob with txid `{id}`")))??;
            ledger.index_pix(e2e, id.to_string());
            (cob, element)
        };
        self.notify(element);
        Ok(cob)
    }

    fn charges(&self) -> Vec<Value> {
        let mut all: Vec<Value> = self.ledger().cobs.values().map(cob_json).collect();
        all.extend(self.link_json());
        all
    }

    /// The URL configured with `PUT /v2/webhook/{chave}` (the latest), else the one registered
    /// with the control API, with `/pix` appended to the whole URL as Efí does (so
    /// `…?ignorar=` turns the suffix into a query value).
    fn webhook_url(&self, registered: Option<reqwest::Url>) -> Option<reqwest::Url> {
        let configured = self.ledger().webhooks.last().map(|w| w.url.clone());
        let base = configured.or_else(|| registered.map(String::from))?;
        reqwest::Url::parse(&format!("{}/pix", base.trim_end_matches('/'))).ok()
    }
}
