//! The Efí Pix adapter: the Banco Central's Pix API as Efí serves it, over mTLS with an OAuth2
//! client-credentials token. Immediate charges (`cob`) with a txid derived from payorch's
//! charge id, their QR code, cancel, devoluções (refunds) and the `{"pix":[…]}` webhooks.
//!
//! Endpoints and mappings:
//! - `POST /oauth/token` (Basic `client_id:client_secret`, `{"grant_type":"client_credentials"}`):
//!   the bearer token, cached until shortly before `expires_in`; a 401 on any call refreshes it
//!   once and retries the call once.
//! - `PUT /v2/cob/{txid}`: create. `txid` = `payorch` + the charge id's ULID, so a retry after
//!   an ambiguous outcome addresses the same cob. Efí answers a repeated PUT with 409
//!   `txid_duplicado`; the adapter then reads the cob and returns it when it is the same charge
//!   (same amount and key), so creating twice yields one cob. The cob's `pixCopiaECola` is the
//!   charge's BR Code; no image is fetched (payorch renders the QR on demand, issue 16), and
//!   `GET /v2/loc/{id}/qrcode` is asked only for a cob answered without `pixCopiaECola`, for
//!   its `qrcode` string.
//! - `GET /v2/cob/{txid}`: read and `find_charge` (404 → none). ATIVA → requires_action,
//!   CONCLUIDA → succeeded (partially_refunded / refunded after devoluções),
//!   REMOVIDA_PELO_USUARIO_RECEBEDOR and REMOVIDA_PELO_PSP → canceled.
//! - `PATCH /v2/cob/{txid}` `{"status":"REMOVIDA_PELO_USUARIO_RECEBEDOR"}`: cancel.
//! - `PUT /v2/pix/{e2eId}/devolucao/{id}` `{"valor":"7.89"}`: refund, `id` derived from the
//!   refund id; a repeated id (409 `devolucao_id_duplicado`) is resolved by `GET` of the same
//!   devolução. EM_PROCESSAMENTO →
//!   pending, DEVOLVIDO → succeeded, NAO_REALIZADO → failed.
//!
//! Payment links (`link`) go to Efí's other API, Cobranças (`links.rs`): its own host
//! (`gateways.efi.cobrancas_base_url`), token route and numeric charge ids, which is how
//! `get_charge`, `cancel` and `refund` tell a link's reference from a txid. Links are offered
//! only when `gateways.efi.public_url` says where Efí can notify payorch.
//!
//! mTLS is required when `base_url` is `https://` (Efí refuses calls without the client
//! certificate); a plain `http://` base URL, which only the local sandbox on loopback uses,
//! needs no certificate.

mod auth;
pub mod links;
mod transport;
mod webhook;
pub mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;

use super::settings::EfiSettings;
use crate::clock::{Clock, SystemClock};
use crate::gateway::http::{HttpClient, HttpReply};
use crate::gateway::{
    Capabilities, CreateCharge, CreateRefund, Gateway, GatewayCharge, GatewayError, GatewayEvent,
    GatewayRefund, WebhookError, WebhookRequest,
};
use crate::model::{AttemptOutcome, Currency, GatewayId, PaymentMethod, TenantId};
use crate::secret::Secret;

use auth::TokenSource;
use links::{Cobrancas, is_link_reference};
use wire::{
    Calendario, Cob, CobRequest, Devolucao, MAX_PAYER_REQUEST_CHARS, QrCode, TXID_DUPLICATE, Valor,
    devedor_for, devolucao_id_for, error_from_reply, parse_valor, refund_status, txid_for,
    unreadable,
};

pub use auth::load_identity;
pub use transport::classify_transport;

/// Efí's secrets: the application's OAuth2 pair and the webhook `hmac` shared secret.
#[derive(Clone, Debug)]
pub struct EfiCredentials {
    pub client_id: Secret,
    pub client_secret: Secret,
    pub webhook_hmac: Option<Secret>,
}

/// What tests and the sandbox may change beyond the settings.
pub struct EfiOptions {
    /// Extra trusted root certificates (a test CA).
    pub extra_roots: Vec<reqwest::Certificate>,
    /// The clock token expiry is measured with.
    pub clock: Arc<dyn Clock>,
}

impl Default for EfiOptions {
    fn default() -> Self {
        EfiOptions {
            extra_roots: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }
}

/// The Efí Pix gateway.
pub struct EfiGateway {
    http: HttpClient,
    base_url: String,
    pix_key: Option<String>,
    tokens: TokenSource,
    webhook_hmac: Option<Secret>,
    /// Payment links, through the API Cobranças.
    links: Cobrancas,
}

fn err(outcome: AttemptOutcome, message: impl Into<String>) -> GatewayError {
    GatewayError::new(GatewayId::Efi, outcome, message)
}

/// An HTTP method and, for writes, a JSON body.
enum Call<'a> {
    Get,
    Put(&'a serde_json::Value),
    Patch(&'a serde_json::Value),
}

impl EfiGateway {
    pub fn new(settings: &EfiSettings, credentials: EfiCredentials) -> Result<Self, GatewayError> {
        Self::with_options(settings, credentials, EfiOptions::default())
    }

    pub fn with_options(
        settings: &EfiSettings,
        credentials: EfiCredentials,
        options: EfiOptions,
    ) -> Result<Self, GatewayError> {
        let base_url = settings.base_url.trim().trim_end_matches('/').to_string();
        let https = base_url.starts_with("https://");
        if !https && !base_url.starts_with("http://") {
            return Err(err(
                AttemptOutcome::Invalid,
                format!(
                    "gateways.efi.base_url `{base_url}` must start with https:// (or http:// for the local sandbox)"
                ),
            ));
        }
        let identity = match (&settings.certificate, https) {
            (Some(path), _) => Some(load_identity(path)?),
            (None, true) => {
                return Err(err(
                    AttemptOutcome::Invalid,
                    "gateways.efi.certificate is not set: Efí requires the client certificate it issued (.p12 or PEM) for every call over https",
                ));
            }
            (None, false) => None,
        };
        let cobrancas_base_url = settings.cobrancas_base_url.trim().trim_end_matches('/');
        if !cobrancas_base_url.starts_with("https://") && !cobrancas_base_url.starts_with("http://")
        {
            return Err(err(
                AttemptOutcome::Invalid,
                format!(
                    "gateways.efi.cobrancas_base_url `{cobrancas_base_url}` must start with https:// (or http:// for the local sandbox)"
                ),
            ));
        }
        if let Some(url) = settings.public_url.as_deref().map(str::trim)
            && !url.is_empty()
            && !url.starts_with("https://")
            && !url.starts_with("http://")
        {
            return Err(err(
                AttemptOutcome::Invalid,
                format!("gateways.efi.public_url `{url}` must start with https:// (or http://)"),
            ));
        }
        // The API Cobranças takes no client certificate (Efí's SDKs send it none).
        let links_http = HttpClient::new(
            GatewayId::Efi,
            settings.timeouts(),
            None,
            options.extra_roots.clone(),
        )?;
        let links = Cobrancas::new(
            links_http,
            cobrancas_base_url,
            credentials.client_id.clone(),
            credentials.client_secret.clone(),
            settings.public_url.clone(),
            options.clock.clone(),
        );
        let http = HttpClient::new(
            GatewayId::Efi,
            settings.timeouts(),
            identity,
            options.extra_roots,
        )?;
        let tokens = TokenSource::new(
            format!("{base_url}/oauth/token"),
            credentials.client_id,
            credentials.client_secret,
            options.clock,
        );
        Ok(EfiGateway {
            http,
            base_url,
            pix_key: settings.pix_key.clone().filter(|k| !k.trim().is_empty()),
            tokens,
            webhook_hmac: credentials.webhook_hmac,
            links,
        })
    }

    /// The tenant these credentials belong to: its links' notifications come back to
    /// `/webhooks/{tenant}/efi/links`.
    pub fn for_tenant(mut self, tenant: &TenantId) -> Self {
        self.links.set_tenant(tenant);
        self
    }

    /// Where Efí notifies payorch of this tenant's links; `None` when links are not offered.
    pub fn link_notification_url(&self) -> Option<String> {
        self.links.notification_url()
    }

    /// The status changes an Efí link notification's token stands for, read from Efí with this
    /// application's credentials (the notification itself is not signed).
    pub async fn link_notification(
        &self,
        token: &str,
    ) -> Result<Vec<links::NotificationEntry>, GatewayError> {
        self.links.notification(token).await
    }

    /// One authenticated call; a 401 refreshes the token once and retries once. Any other
    /// status comes back as a reply for the caller to read.
    async fn call(&self, path: &str, call: Call<'_>) -> Result<HttpReply, GatewayError> {
        let token = self.tokens.token(&self.http).await?;
        let reply = self.send(path, &call, &token).await?;
        if reply.status != 401 {
            return Ok(reply);
        }
        let token = self.tokens.refresh(&self.http, &token).await?;
        self.send(path, &call, &token).await
    }

    async fn send(
        &self,
        path: &str,
        call: &Call<'_>,
        token: &Secret,
    ) -> Result<HttpReply, GatewayError> {
        let url = format!("{}{path}", self.base_url);
        let client = self.http.client();
        let request = match call {
            Call::Get => client.get(url),
            Call::Put(body) => json_body(client.put(url), body),
            Call::Patch(body) => json_body(client.patch(url), body),
        };
        let request = request.header(
            ::http::header::AUTHORIZATION,
            format!("Bearer {}", token.expose()),
        );
        transport::send(request).await
    }

    async fn read_cob(&self, txid: &str) -> Result<Option<Cob>, GatewayError> {
        let reply = self.call(&format!("/v2/cob/{txid}"), Call::Get).await?;
        match reply.status {
            404 => Ok(None),
            s if (200..300).contains(&s) => parse(&reply, "Efí cob read").map(Some),
            _ => Err(error_from_reply("Efí cob read", &reply)),
        }
    }

    /// The BR Code of a cob's location, for a cob answered without `pixCopiaECola` (Efí sends
    /// it with every cob that has a location, so this is a fallback, not the charge path):
    /// `GET /v2/loc/{id}/qrcode`'s `qrcode`. Its image (`imagemQrcode`) is not kept: payorch
    /// renders the QR on demand (`GET /v1/charges/{id}/pix.png`). Best effort.
    async fn loc_brcode(&self, cob: &Cob) -> Option<String> {
        let loc = cob.loc.as_ref()?;
        let result = async {
            let reply = self
                .call(&format!("/v2/loc/{}/qrcode", loc.id), Call::Get)
                .await?;
            if !reply.is_success() {
                return Err(error_from_reply("Efí QR code", &reply));
            }
            parse::<QrCode>(&reply, "Efí QR code")
        }
        .await;
        match result {
            Ok(qr) if !qr.qrcode.trim().is_empty() => Some(qr.qrcode),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(txid = %cob.txid, error = %e, "Efí answered a cob without its BR Code, and its location's is unavailable");
                None
            }
        }
    }
}

fn json_body(
    request: reqwest::RequestBuilder,
    body: &serde_json::Value,
) -> reqwest::RequestBuilder {
    request
        .header(::http::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
}

fn parse<T: serde::de::DeserializeOwned>(reply: &HttpReply, what: &str) -> Result<T, GatewayError> {
    serde_json::from_slice(&reply.body).map_err(|e| unreadable(what, e, reply.status))
}

fn to_json(value: &impl Serialize) -> Result<serde_json::Value, GatewayError> {
    serde_json::to_value(value).map_err(|e| {
        err(
            AttemptOutcome::Invalid,
            format!("cannot encode the request: {e}"),
        )
    })
}

fn charge_of(cob: &Cob, status: u16) -> Result<GatewayCharge, GatewayError> {
    cob.to_gateway_charge()
        .map_err(|e| unreadable("Efí cob", e, status))
}

/// The refused class for creating a charge: 400 and 404 are our mistake (rule 3).
fn create_error(reply: &HttpReply) -> GatewayError {
    let mut e = error_from_reply("Efí cob create", reply);
    if matches!(reply.status, 400 | 404) {
        e.outcome = AttemptOutcome::Invalid;
    }
    e
}

#[async_trait]
impl Gateway for EfiGateway {
    fn id(&self) -> GatewayId {
        GatewayId::Efi
    }

    fn capabilities(&self) -> Capabilities {
        let mut methods = vec![PaymentMethod::Pix];
        if self.links.offered() {
            methods.push(PaymentMethod::Link);
        }
        Capabilities {
            methods,
            currencies: vec![Currency::Brl],
            partial_refunds: true,
            method_currencies: Vec::new(),
            refund_resend_is_idempotent: true,
            create_resend_is_idempotent: true,
            fee_on_read: false,
        }
    }

    fn create_resend_is_idempotent_for(&self, method: PaymentMethod) -> bool {
        // A txid makes a Pix create idempotent; a link's POST at Cobranças is not.
        method != PaymentMethod::Link
    }

    async fn create_charge(&self, req: &CreateCharge) -> Result<GatewayCharge, GatewayError> {
        if req.method == PaymentMethod::Link {
            return self.links.create(req).await;
        }
        if req.method != PaymentMethod::Pix || req.money.currency() != Currency::Brl {
            return Err(err(
                AttemptOutcome::Invalid,
                format!(
                    "Efí takes Pix in BRL only, not {} in {}",
                    req.method,
                    req.money.currency()
                ),
            ));
        }
        let Some(chave) = self.pix_key.as_deref() else {
            return Err(err(
                AttemptOutcome::Invalid,
                "gateways.efi.pix_key is not set: Efí needs the receiving Pix key (chave) for every charge",
            ));
        };
        let original = req.money.to_decimal_string();
        if parse_valor(&original).is_none() {
            return Err(err(
                AttemptOutcome::Invalid,
                format!("amount {original} BRL is larger than a Pix charge can be (9999999999.99)"),
            ));
        }
        let txid = txid_for(&req.charge_id);
        let expiracao = u32::try_from(req.expires_in.as_secs().max(1))
            .unwrap_or(u32::MAX)
            .min(i32::MAX as u32);
        let body = to_json(&CobRequest {
            calendario: Calendario {
                criacao: None,
                expiracao,
            },
            devedor: devedor_for(&req.customer),
            valor: Valor {
                original: original.clone(),
            },
            chave,
            solicitacao_pagador: req
                .description
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| d.chars().take(MAX_PAYER_REQUEST_CHARS).collect()),
        })?;
        let reply = self
            .call(&format!("/v2/cob/{txid}"), Call::Put(&body))
            .await?;
        let cob: Cob = if reply.is_success() {
            parse(&reply, "Efí cob create")?
        } else {
            // Efí's API reference ("Criar cobrança imediata (com txid)", tab 409): a txid
            // already in use answers 409 `{"nome":"txid_duplicado",…}`, whatever the body.
            let duplicate = reply.status == 409
                && wire::error_details(&reply).0.as_deref() == Some(TXID_DUPLICATE);
            if !duplicate {
                return Err(create_error(&reply));
            }
            // A retry of a create that reached Efí: the cob is ours when it says the same.
            match self.read_cob(&txid).await? {
                Some(cob)
                    if cob.valor.original == original
                        && cob.chave.as_deref().is_none_or(|c| c == chave) =>
                {
                    cob
                }
                _ => {
                    return Err(create_error(&reply).with_code(TXID_DUPLICATE));
                }
            }
        };
        let mut cob = cob;
        if cob.pix_copia_e_cola.is_none() {
            cob.pix_copia_e_cola = self.loc_brcode(&cob).await;
        }
        charge_of(&cob, reply.status)
    }

    async fn get_charge(&self, reference: &str) -> Result<GatewayCharge, GatewayError> {
        if is_link_reference(reference) {
            return self.links.get(reference).await;
        }
        check_txid(reference)?;
        let reply = self
            .call(&format!("/v2/cob/{reference}"), Call::Get)
            .await?;
        if !reply.is_success() {
            return Err(error_from_reply("Efí cob read", &reply));
        }
        charge_of(&parse(&reply, "Efí cob read")?, reply.status)
    }

    async fn find_charge(&self, req: &CreateCharge) -> Result<Option<GatewayCharge>, GatewayError> {
        if req.method == PaymentMethod::Link {
            return self.links.find(req).await;
        }
        match self.read_cob(&txid_for(&req.charge_id)).await? {
            Some(cob) => charge_of(&cob, 200).map(Some),
            None => Ok(None),
        }
    }

    async fn cancel(&self, reference: &str) -> Result<GatewayCharge, GatewayError> {
        if is_link_reference(reference) {
            return self.links.cancel(reference).await;
        }
        check_txid(reference)?;
        let body = serde_json::json!({ "status": "REMOVIDA_PELO_USUARIO_RECEBEDOR" });
        let reply = self
            .call(&format!("/v2/cob/{reference}"), Call::Patch(&body))
            .await?;
        if !reply.is_success() {
            return Err(error_from_reply("Efí cob cancel", &reply));
        }
        charge_of(&parse(&reply, "Efí cob cancel")?, reply.status)
    }

    async fn refund(&self, req: &CreateRefund) -> Result<GatewayRefund, GatewayError> {
        const WHAT: &str = "Efí devolução";
        if is_link_reference(&req.charge_reference) {
            return Err(err(
                AttemptOutcome::Invalid,
                "payorch does not refund Efí payment links yet: refund it in Efí's dashboard",
            ));
        }
        if req.money.currency() != Currency::Brl {
            return Err(err(AttemptOutcome::Invalid, "Efí refunds BRL only"));
        }
        let Some(e2e) = req
            .payment_reference
            .as_deref()
            .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        else {
            return Err(err(
                AttemptOutcome::Invalid,
                "an Efí refund needs the paid Pix's endToEndId (payment_reference); the charge has none",
            ));
        };
        let id = devolucao_id_for(&req.refund_id);
        let valor = req.money.to_decimal_string();
        let path = format!("/v2/pix/{e2e}/devolucao/{id}");
        let body = serde_json::json!({ "valor": valor });
        let reply = self.call(&path, Call::Put(&body)).await?;
        let devolucao: Devolucao = if reply.is_success() {
            parse(&reply, WHAT)?
        } else if reply.status == 409 {
            // A retried refund: the id may already be in use by our own earlier request
            // (Efí's reference, "Solicitar devolução", tab 409: `devolucao_id_duplicado`).
            let existing = self.call(&path, Call::Get).await?;
            match parse::<Devolucao>(&existing, WHAT) {
                Ok(d) if existing.is_success() && d.valor == valor => d,
                _ => return Err(error_from_reply(WHAT, &reply)),
            }
        } else {
            return Err(error_from_reply(WHAT, &reply));
        };
        let status = refund_status(&devolucao.status).ok_or_else(|| {
            unreadable(
                WHAT,
                format!("unknown status `{}`", devolucao.status),
                reply.status,
            )
        })?;
        let amount = parse_valor(&devolucao.valor)
            .ok_or_else(|| unreadable(WHAT, "valor is not an amount", reply.status))?;
        Ok(GatewayRefund {
            reference: devolucao.id,
            status,
            gateway_status: devolucao.status,
            amount,
        })
    }

    async fn read_notification(
        &self,
        token: &str,
    ) -> Result<Option<Vec<GatewayEvent>>, GatewayError> {
        let entries = self.links.notification(token).await?;
        Ok(Some(links::events_of(&entries)))
    }

    fn verify_webhook(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        webhook::verify(self.webhook_hmac.as_ref(), req)
    }

    fn parse_webhook(&self, req: &WebhookRequest<'_>) -> Result<Vec<GatewayEvent>, WebhookError> {
        webhook::parse(req.body)
    }
}

/// A reference must be a txid before it goes into a URL path.
fn check_txid(reference: &str) -> Result<(), GatewayError> {
    let ok = (26..=35).contains(&reference.len())
        && reference.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(err(
            AttemptOutcome::Invalid,
            format!("`{reference}` is not an Efí txid (26 to 35 letters and digits)"),
        ))
    }
}
