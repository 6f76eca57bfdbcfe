//! Efí payment links, through Efí's **API Cobranças** (`cobrancas.api.efipay.com.br`), a
//! different API from the Pix one the rest of this adapter speaks: its own host, its own OAuth
//! route, integer centavos instead of decimal strings, numeric charge ids, and no mTLS (Efí's
//! official SDKs send the client certificate only to the Pix and the other newer APIs, never to
//! Cobranças; see the endpoints file of efipay/sdk-node-apis-efi). The same application
//! credentials (client_id / client_secret) serve both when the application has "API de
//! Cobranças" enabled at Efí.
//!
//! Endpoints (the constants file of efipay/sdk-node-apis-efi, Efí's "Link de pagamento" docs):
//! - `POST /v1/authorize` (HTTP Basic `client_id:client_secret`,
//!   `{"grant_type":"client_credentials"}`): the bearer token, cached like the Pix one.
//! - `POST /v1/charge/one-step/link`: create. One item named after the charge's description,
//!   `value` = the amount in centavos, `amount` 1; `metadata.custom_id` = payorch's charge id,
//!   `metadata.notification_url` = `{public_url}/webhooks/{tenant}/efi/links`;
//!   `settings.payment_method` `all` (boleto with its Pix QR code, or card, on Efí's page),
//!   `expire_at` = the Brasília date `payable_for` from now, `request_delivery_address` false.
//!   Answer `{"code":200,"data":{"charge_id":…,"status":"link","total":…,"payment_url":…,
//!   "expire_at":"YYYY-MM-DD",…}}`; `expires_at` is the end of that day in Brasília.
//! - `GET /v1/charge/{id}`: read (`data.link.payment_url`, `data.link.expire_at`).
//! - `PUT /v1/charge/{id}/cancel`: cancel (answers `{"code":200}`; the charge is read again).
//! - `GET /v1/charges?charge_type=…&begin_date=…&end_date=…&custom_id=…`: find by payorch's
//!   charge id after an ambiguous create. `charge_type`, `begin_date` and `end_date` are
//!   required by Efí; payorch asks for `billet` and then `card` (a link's charge is listed
//!   under the method the payer chose), over the Brasília days around the charge id's time.
//! - `GET /v1/notification/{token}`: the history of status changes a notification's token
//!   stands for (the notification itself is an unsigned form POST of `notification=<token>`;
//!   only this authenticated read is trusted).
//!
//! A create sent again is **not** idempotent at Cobranças (no idempotency key, no
//! caller-chosen id): a second POST makes a second payable link. So after an ambiguous create
//! the flow only looks the charge up by `custom_id` (`Gateway::create_resend_is_idempotent_for`
//! says `false` for links), as it does for Asaas.
//!
//! Statuses: `new`, `link` → requires_action; `waiting` (the payer chose a method, Efí awaits
//! the money) and `identified` → processing; `paid`, `settled` (marked paid), `contested`
//! → succeeded; `refunded` → refunded; `unpaid` (a refused card, a boleto past due) → failed;
//! `canceled`, `expired` → canceled; anything else → unknown, for the reconciler.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::gateway::asaas::{brasilia_date, brasilia_time, end_of_brasilia_day};
use crate::gateway::http::{HttpClient, HttpReply};
use crate::gateway::{CreateCharge, GatewayCharge, GatewayError, GatewayEvent};
use crate::id::ChargeId;
use crate::model::{
    AttemptOutcome, ChargeFailure, ChargeStatus, Currency, GatewayId, LinkDetails, PaymentMethod,
    TenantId,
};
use crate::secret::Secret;

use super::auth::TokenSource;
use super::wire::{error_from_reply, unreadable};

/// Efí's production API Cobranças; homologation is `https://cobrancas-h.api.efipay.com.br`.
pub const COBRANCAS_BASE_URL: &str = "https://cobrancas.api.efipay.com.br";
/// Efí's limit on an item's name.
const MAX_ITEM_NAME_CHARS: usize = 255;
/// The route payorch serves Efí's payment-link notifications on, under `/webhooks/{tenant}/efi`.
pub const NOTIFICATION_ROUTE_SUFFIX: &str = "links";

fn err(outcome: AttemptOutcome, message: impl Into<String>) -> GatewayError {
    GatewayError::new(GatewayId::Efi, outcome, message)
}

/// The API Cobranças client for one tenant's Efí application.
pub(super) struct Cobrancas {
    http: HttpClient,
    base_url: String,
    tokens: TokenSource,
    /// payorch's public base URL; links are offered only with it (Efí must reach payorch).
    public_url: Option<String>,
    /// The tenant whose credentials these are: its notifications come back to its route.
    tenant: String,
    clock: Arc<dyn Clock>,
}

/// `POST /v1/charge/one-step/link` body.
#[derive(Debug, Serialize)]
struct OneStepLink<'a> {
    items: [Item; 1],
    metadata: Metadata<'a>,
    settings: Settings,
}

#[derive(Debug, Serialize)]
struct Item {
    name: String,
    /// Centavos.
    value: i64,
    amount: u32,
}

#[derive(Debug, Serialize)]
struct Metadata<'a> {
    custom_id: &'a str,
    notification_url: String,
}

#[derive(Debug, Serialize)]
struct Settings {
    payment_method: &'static str,
    expire_at: String,
    request_delivery_address: bool,
}

/// Cobranças wraps every answer as `{"code": 200, "data": …}`.
#[derive(Debug, Deserialize)]
struct Envelope<T> {
    data: T,
}

/// A charge as the create, the read and the list answer it (the fields payorch reads).
#[derive(Debug, Deserialize)]
pub struct LinkCharge {
    /// `charge_id` in the create and the read, `id` in the list.
    #[serde(alias = "id")]
    pub charge_id: u64,
    pub status: String,
    pub total: i64,
    #[serde(default)]
    pub custom_id: Option<String>,
    /// The create's.
    #[serde(default)]
    pub payment_url: Option<String>,
    /// The create's.
    #[serde(default)]
    pub expire_at: Option<String>,
    /// The read's.
    #[serde(default)]
    pub link: Option<LinkPart>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LinkPart {
    #[serde(default)]
    pub payment_url: Option<String>,
    #[serde(default)]
    pub expire_at: Option<String>,
}

/// One status change of `GET /v1/notification/{token}`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct NotificationEntry {
    /// Efí's id of this change: the dedupe key.
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub custom_id: Option<String>,
    pub status: NotificationStatus,
    pub identifiers: Identifiers,
    #[serde(default)]
    pub value: Option<i64>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct NotificationStatus {
    pub current: String,
    #[serde(default)]
    pub previous: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Identifiers {
    #[serde(default)]
    pub charge_id: Option<u64>,
}

/// The events of a notification's history, oldest first as Efí lists them: one per status
/// change of a charge, deduped by Efí's id of the change (`efi-link:{id}`), so a history
/// delivered again applies nothing twice. Changes of anything but a charge (a subscription,
/// a carnê) are kept with no status: payorch makes none of those.
pub fn events_of(entries: &[NotificationEntry]) -> Vec<GatewayEvent> {
    entries
        .iter()
        .filter_map(|e| {
            let reference = e.identifiers.charge_id?.to_string();
            let status = (e.kind == "charge").then(|| link_status(&e.status.current));
            Some(GatewayEvent {
                event_id: format!("efi-link:{}", e.id),
                kind: format!("{}:{}", e.kind, e.status.current),
                reference,
                charge_id: e.custom_id.as_deref().and_then(|c| ChargeId::parse(c).ok()),
                status,
                amount_refunded: None,
                payment_reference: None,
                occurred_at: e.created_at.as_deref().and_then(brasilia_time),
                refunds: Vec::new(),
                fee: None,
            })
        })
        .collect()
}

/// Efí's Cobranças status to payorch's (see the module comment).
pub fn link_status(status: &str) -> ChargeStatus {
    match status {
        "new" | "link" => ChargeStatus::RequiresAction,
        "waiting" | "identified" => ChargeStatus::Processing,
        "paid" | "settled" | "contested" => ChargeStatus::Succeeded,
        "refunded" => ChargeStatus::Refunded,
        "unpaid" => ChargeStatus::Failed,
        "canceled" | "expired" => ChargeStatus::Canceled,
        _ => ChargeStatus::Unknown,
    }
}

/// A Cobranças charge id is a number; a Pix txid never is (it starts with `payorch`).
pub fn is_link_reference(reference: &str) -> bool {
    !reference.is_empty() && reference.len() <= 19 && reference.bytes().all(|b| b.is_ascii_digit())
}

impl LinkCharge {
    pub fn to_gateway_charge(&self) -> Result<GatewayCharge, String> {
        let (url, expire_at) = match &self.link {
            Some(l) => (l.payment_url.clone(), l.expire_at.clone()),
            None => (self.payment_url.clone(), self.expire_at.clone()),
        };
        let status = link_status(&self.status);
        let url = url.filter(|u| !u.trim().is_empty());
        if url.is_none() && status == ChargeStatus::RequiresAction {
            return Err(format!(
                "Efí answered charge {} without its payment_url",
                self.charge_id
            ));
        }
        Ok(GatewayCharge {
            reference: self.charge_id.to_string(),
            status,
            gateway_status: self.status.clone(),
            amount: self.total,
            pix: None,
            boleto: None,
            link: url.map(|url| LinkDetails {
                url,
                expires_at: expire_at.as_deref().and_then(end_of_brasilia_day),
            }),
            failure: (status == ChargeStatus::Failed).then(|| ChargeFailure {
                code: "efi_unpaid".into(),
                message: self
                    .reason
                    .clone()
                    .unwrap_or_else(|| "Efí reports the link's charge unpaid".into()),
            }),
            payment_reference: None,
            amount_refunded: if status == ChargeStatus::Refunded {
                self.total
            } else {
                0
            },
            fee: None,
        })
    }
}

impl Cobrancas {
    pub(super) fn new(
        http: HttpClient,
        base_url: &str,
        client_id: Secret,
        client_secret: Secret,
        public_url: Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        Cobrancas {
            tokens: TokenSource::new(
                format!("{base_url}/v1/authorize"),
                client_id,
                client_secret,
                clock.clone(),
            ),
            http,
            base_url,
            public_url: public_url
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
            tenant: TenantId::DEFAULT.to_string(),
            clock,
        }
    }

    pub(super) fn set_tenant(&mut self, tenant: &TenantId) {
        self.tenant = tenant.to_string();
    }

    /// Links are offered only when Efí can tell payorch about their payments.
    pub(super) fn offered(&self) -> bool {
        self.public_url.is_some()
    }

    /// Where Efí POSTs this tenant's link notifications.
    pub(super) fn notification_url(&self) -> Option<String> {
        self.public_url.as_ref().map(|base| {
            format!(
                "{base}/webhooks/{}/efi/{NOTIFICATION_ROUTE_SUFFIX}",
                self.tenant
            )
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<HttpReply, GatewayError> {
        let token = self.tokens.token(&self.http).await?;
        let reply = self.send(&method, path, body, &token).await?;
        if reply.status != 401 {
            return Ok(reply);
        }
        let token = self.tokens.refresh(&self.http, &token).await?;
        self.send(&method, path, body, &token).await
    }

    async fn send(
        &self,
        method: &reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        token: &Secret,
    ) -> Result<HttpReply, GatewayError> {
        let mut request = self
            .http
            .client()
            .request(method.clone(), format!("{}{path}", self.base_url))
            .header(
                ::http::header::AUTHORIZATION,
                format!("Bearer {}", token.expose()),
            );
        if let Some(body) = body {
            request = request
                .header(::http::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        super::transport::send(request).await
    }

    async fn read<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
    ) -> Result<T, GatewayError> {
        let reply = self.call(reqwest::Method::GET, path, None).await?;
        if !reply.is_success() {
            return Err(error_from_reply(what, &reply));
        }
        serde_json::from_slice::<Envelope<T>>(&reply.body)
            .map(|e| e.data)
            .map_err(|e| unreadable(what, e, reply.status))
    }

    pub(super) async fn create(&self, req: &CreateCharge) -> Result<GatewayCharge, GatewayError> {
        const WHAT: &str = "Efí payment link create";
        if req.method != PaymentMethod::Link || req.money.currency() != Currency::Brl {
            return Err(err(
                AttemptOutcome::Invalid,
                "Efí's payment links take BRL only",
            ));
        }
        let Some(notification_url) = self.notification_url() else {
            return Err(err(
                AttemptOutcome::Invalid,
                "gateways.efi.public_url is not set: Efí needs payorch's public URL to notify it of a link's payment",
            ));
        };
        let name = req
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| d.chars().take(MAX_ITEM_NAME_CHARS).collect())
            .unwrap_or_else(|| format!("Charge {}", req.charge_id.as_str()));
        let expire_at = brasilia_date(self.clock.now().plus(req.expires_in));
        let body = serde_json::to_value(OneStepLink {
            items: [Item {
                name,
                value: req.money.minor(),
                amount: 1,
            }],
            metadata: Metadata {
                custom_id: req.charge_id.as_str(),
                notification_url,
            },
            settings: Settings {
                payment_method: "all",
                expire_at,
                request_delivery_address: false,
            },
        })
        .map_err(|e| err(AttemptOutcome::Invalid, format!("{WHAT}: {e}")))?;
        let reply = self
            .call(
                reqwest::Method::POST,
                "/v1/charge/one-step/link",
                Some(&body),
            )
            .await?;
        if !reply.is_success() {
            let mut e = error_from_reply(WHAT, &reply);
            if matches!(reply.status, 400 | 404 | 422) {
                e.outcome = AttemptOutcome::Invalid;
            }
            return Err(e);
        }
        let made: LinkCharge = serde_json::from_slice::<Envelope<LinkCharge>>(&reply.body)
            .map(|e| e.data)
            .map_err(|e| unreadable(WHAT, e, reply.status))?;
        made.to_gateway_charge()
            .map_err(|e| unreadable(WHAT, e, reply.status))
    }

    pub(super) async fn get(&self, reference: &str) -> Result<GatewayCharge, GatewayError> {
        const WHAT: &str = "Efí charge read";
        check(reference)?;
        let charge: LinkCharge = self.read(&format!("/v1/charge/{reference}"), WHAT).await?;
        charge
            .to_gateway_charge()
            .map_err(|e| unreadable(WHAT, e, 200))
    }

    pub(super) async fn cancel(&self, reference: &str) -> Result<GatewayCharge, GatewayError> {
        check(reference)?;
        let reply = self
            .call(
                reqwest::Method::PUT,
                &format!("/v1/charge/{reference}/cancel"),
                None,
            )
            .await?;
        if !reply.is_success() {
            return Err(error_from_reply("Efí charge cancel", &reply));
        }
        self.get(reference).await
    }

    /// The charge an ambiguous create may have made, by `custom_id`.
    pub(super) async fn find(
        &self,
        req: &CreateCharge,
    ) -> Result<Option<GatewayCharge>, GatewayError> {
        const WHAT: &str = "Efí charge list";
        let made = ulid::Ulid::from_string(req.charge_id.ulid_part())
            .ok()
            .and_then(|u| i64::try_from(u.timestamp_ms()).ok())
            .map(Timestamp::from_unix_millis)
            .unwrap_or_else(|| self.clock.now());
        let day = Duration::from_secs(24 * 3600);
        let begin = brasilia_date(made.minus(day));
        let end = brasilia_date(made.plus(day));
        let custom_id = req.charge_id.as_str();
        for charge_type in ["billet", "card"] {
            let path = format!(
                "/v1/charges?charge_type={charge_type}&begin_date={begin}&end_date={end}&custom_id={custom_id}"
            );
            let found: Vec<LinkCharge> = self.read(&path, WHAT).await?;
            // The filter is Efí's; the exact match is ours.
            if let Some(hit) = found
                .into_iter()
                .find(|c| c.custom_id.as_deref() == Some(custom_id))
            {
                // The list omits the link: the read has it.
                return self.get(&hit.charge_id.to_string()).await.map(Some);
            }
        }
        Ok(None)
    }

    /// `GET /v1/notification/{token}`: the status changes a notification stands for. Efí
    /// answering it for this application's credentials is what authenticates the news.
    pub(super) async fn notification(
        &self,
        token: &str,
    ) -> Result<Vec<NotificationEntry>, GatewayError> {
        let ok = !token.is_empty()
            && token.len() <= 100
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(err(
                AttemptOutcome::Invalid,
                "an Efí notification token is letters, digits, - and _",
            ));
        }
        self.read(
            &format!("/v1/notification/{token}"),
            "Efí notification read",
        )
        .await
    }
}

fn check(reference: &str) -> Result<(), GatewayError> {
    if is_link_reference(reference) {
        Ok(())
    } else {
        Err(err(
            AttemptOutcome::Invalid,
            format!("`{reference}` is not an Efí Cobranças charge id (digits)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(link_status("link"), ChargeStatus::RequiresAction);
        assert_eq!(link_status("new"), ChargeStatus::RequiresAction);
        assert_eq!(link_status("waiting"), ChargeStatus::Processing);
        assert_eq!(link_status("paid"), ChargeStatus::Succeeded);
        assert_eq!(link_status("settled"), ChargeStatus::Succeeded);
        assert_eq!(link_status("unpaid"), ChargeStatus::Failed);
        assert_eq!(link_status("expired"), ChargeStatus::Canceled);
        assert_eq!(link_status("canceled"), ChargeStatus::Canceled);
        assert_eq!(link_status("refunded"), ChargeStatus::Refunded);
        assert_eq!(link_status("whatever"), ChargeStatus::Unknown);
    }

    #[test]
    fn a_notification_history_is_one_event_per_change() {
        let id = ChargeId::generate();
        let entries: Vec<NotificationEntry> = serde_json::from_value(serde_json::json!([
            {"id": 1, "type": "charge", "custom_id": id.as_str(), "status": {"current": "new", "previous": null},
             "identifiers": {"charge_id": 42}, "created_at": "2026-11-24 00:00:01"},
            {"id": 2, "type": "charge", "custom_id": id.as_str(), "status": {"current": "paid", "previous": "link"},
             "identifiers": {"charge_id": 42}, "value": 4590, "created_at": "2026-11-24 00:10:00"},
            {"id": 3, "type": "subscription", "custom_id": null, "status": {"current": "active", "previous": "new"},
             "identifiers": {"subscription_id": 9, "charge_id": 43}},
            {"id": 4, "type": "carnet", "status": {"current": "up_to_date"}, "identifiers": {"carnet_id": 5}}
        ]))
        .unwrap();
        let events = events_of(&entries);
        assert_eq!(events.len(), 3, "{events:?}");
        assert_eq!(events[0].event_id, "efi-link:1");
        assert_eq!(events[0].status, Some(ChargeStatus::RequiresAction));
        assert_eq!(events[1].reference, "42");
        assert_eq!(events[1].kind, "charge:paid");
        assert_eq!(events[1].status, Some(ChargeStatus::Succeeded));
        assert_eq!(events[1].charge_id.as_ref(), Some(&id));
        assert_eq!(
            events[1].occurred_at,
            Some(Timestamp::parse_rfc3339("2026-11-24T03:10:00Z").unwrap())
        );
        assert_eq!(events[2].status, None);
        assert_eq!(events[2].charge_id, None);
    }

    #[test]
    fn references_tell_links_from_txids() {
        assert!(is_link_reference("3714507"));
        assert!(!is_link_reference("payorch01JABCDEFGHJKMNPQRSTVWXYZ0"));
        assert!(!is_link_reference(""));
        assert!(!is_link_reference("12345678901234567890"));
    }
}
