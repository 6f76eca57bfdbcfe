//! The Asaas adapter: customers, `POST /v3/payments` (PIX, BOLETO, CREDIT_CARD, and UNDEFINED
//! for payment links), Pix QR codes, boleto lines, cancellation, refunds, and webhooks
//! authenticated by `asaas-access-token`.
//! Asaas's wire format lives here (and in its fake, `sandbox/asaas/`): webhooks in
//! `asaas/webhook.rs`, wire shapes and the exact amount and date conversions in
//! `asaas/wire.rs`. Sources: docs.asaas.com and Asaas's OpenAPI 3.0.1 document.
//!
//! Decisions, made once here:
//! - **Auth.** `access_token: <key>` on every call (the key keeps its leading `$`; it travels
//!   as a header value, never through a shell or a URL). reqwest's client sends
//!   `User-Agent: payorch/<version>`, which Asaas requires of new accounts. Bodies only on
//!   POST, with `Content-Type: application/json`; a GET never carries one (Asaas answers 403).
//! - **Amounts.** `value` is a JSON number with exactly two decimals, written from integer
//!   centavos as raw JSON text (`1990` → `19.90`); amounts Asaas sends are read from their raw
//!   text too. No float ever holds money. BRL only.
//! - **Customers** are found by `cpfCnpj` (`GET /v3/customers?cpfCnpj=`) and created when
//!   absent. No customer `externalReference`: payorch has no customer id of its own (a charge
//!   carries its payer inline), and the document is already the stable key at Asaas. Created
//!   with `notificationDisabled: true`, so Asaas never mails the payer a payment, an orphan
//!   included ("Dúvidas frequentes: notificações", docs.asaas.com); a customer the merchant made
//!   before keeps its own settings (payorch does not change them).
//! - **Idempotency.** Asaas takes no idempotency key. Each payment carries
//!   `externalReference` = payorch's charge id, and `create_charge` first looks that up
//!   (`GET /v3/payments?externalReference=`), so calling it again after an ambiguous outcome
//!   returns the payment the first call made instead of making a second (rule 4). Refunds carry
//!   the refund id in their `description`, and `refund` looks for it before refunding again.
//! - **Due date.** `dueDate` = the day, in Brasília time (UTC−3), on which `expires_in` from
//!   now falls: the charge stays payable at least that long, up to the end of that day.
//! - **Cards.** `creditCardToken` from the request, plus `remoteIp`, which Asaas requires: the
//!   payer's IP, taken from `metadata["remote_ip"]` (never the server's). Without either the
//!   charge is refused as invalid before anything is sent. A refused card is Asaas's
//!   `400 invalid_creditCard` ("Transação não autorizada"), classified `declined`; Asaas does
//!   not keep refused card payments, so nothing is left to find afterwards.
//! - **Errors** (`{"errors":[{"code","description"}]}`) keep Asaas's code and descriptions and
//!   are classified by status (rule 3): 401/403 auth, 429 rate-limited, 5xx and 408 ambiguous,
//!   other 4xx invalid. A 2xx whose body cannot be read is ambiguous. Anything that fails after
//!   `POST /v3/payments` succeeded (reading the Pix QR code, the boleto line) is ambiguous too:
//!   the payment exists.
//! - **Refunds** go to `POST /v3/payments/{id}/refund` with an explicit `value` (the amount
//!   payorch decided, never "whatever is left"). Asaas refunds cards and Pix there; a boleto is
//!   refunded through a form the payer fills (`bankSlip/refund`), which payorch does not drive,
//!   so boleto refunds are refused as invalid. Asaas refunds have no id: the reference is
//!   `pay_…#n`, the n-th refund of that payment.
//! - **Payment links** (`link`) are payments with `billingType: UNDEFINED`: the payer chooses
//!   Pix, boleto or card on the payment's `invoiceUrl`, which is the link; it takes payments
//!   until the end of its `dueDate` (Brasília), which is the link's `expires_at`. A link is
//!   settled, cancelled (`DELETE`) and expires (`OVERDUE` → canceled) like a Pix, and its
//!   webhooks are the same `PAYMENT_*` events.
//! - **Statuses**: [`charge_status`] is the one mapping; see its comment.

mod webhook;
mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use time::UtcOffset;
use time::macros::offset;

use super::http::{HttpClient, HttpReply, classify_status};
use super::settings::AsaasSettings;
use super::{
    Capabilities, CreateCharge, CreateRefund, Gateway, GatewayCharge, GatewayError, GatewayEvent,
    GatewayRefund, WebhookError, WebhookRequest,
};
use crate::clock::{Clock, SystemClock};
use crate::model::{
    AttemptOutcome, BoletoDetails, ChargeStatus, Currency, Customer, DocumentKind, GatewayId,
    LinkDetails, Money, PaymentMethod, PixDetails, RefundStatus,
};
use crate::secret::Secret;
use wire::{
    CustomerRef, Deleted, ErrorBody, IdentificationField, List, NewCustomer, NewPayment, NewRefund,
    Payment, PixQrCode,
};
pub use wire::{
    brasilia_date, brasilia_time, de_decimal, de_opt_decimal, decimal_json, end_of_brasilia_day,
    parse_decimal,
};

/// The header that carries the API key.
pub const ACCESS_TOKEN_HEADER: &str = "access_token";
/// The header Asaas puts the webhook's authentication token in.
pub const WEBHOOK_TOKEN_HEADER: &str = "asaas-access-token";
/// The charge metadata key holding the payer's IP, which Asaas requires for card charges.
pub const REMOTE_IP_METADATA: &str = "remote_ip";
/// Asaas's error code for a refused card.
pub const CARD_REFUSED_CODE: &str = "invalid_creditCard";
/// Asaas keeps dates and times in Brasília time, UTC−3 (no daylight saving since 2019).
pub const BRASILIA: UtcOffset = offset!(-3);

const GATEWAY: GatewayId = GatewayId::Asaas;

/// The credentials Asaas issues: the API key, and the token Asaas sends with webhooks.
#[derive(Clone, Debug)]
pub struct AsaasCredentials {
    pub api_key: Secret,
    /// Without it every webhook is refused: payorch never accepts an unauthenticated one.
    pub webhook_token: Option<Secret>,
}

/// The Asaas adapter. One per set of credentials; cheap to share behind an `Arc`.
pub struct AsaasGateway {
    http: HttpClient,
    base_url: String,
    access_token: HeaderValue,
    webhook_token: Option<Secret>,
    clock: Arc<dyn Clock>,
}

fn invalid(message: impl Into<String>) -> GatewayError {
    GatewayError::new(GATEWAY, AttemptOutcome::Invalid, message)
}

impl AsaasGateway {
    /// An adapter for `settings.base_url` (`https://api.asaas.com`, the sandbox's, or a fake's).
    pub fn new(
        settings: &AsaasSettings,
        credentials: AsaasCredentials,
    ) -> Result<Self, GatewayError> {
        let base_url = settings.base_url.trim().trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(invalid(format!(
                "gateways.asaas.base_url `{base_url}` must start with https:// or http://"
            )));
        }
        if credentials.api_key.expose().trim().is_empty() {
            return Err(invalid("the Asaas api_key is empty"));
        }
        let mut access_token = HeaderValue::from_str(credentials.api_key.expose())
            .map_err(|_| invalid("the Asaas api_key has characters a header cannot carry"))?;
        access_token.set_sensitive(true);
        let http = HttpClient::new(GATEWAY, settings.timeouts(), None, vec![])?;
        Ok(AsaasGateway {
            http,
            base_url,
            access_token,
            webhook_token: credentials.webhook_token,
            clock: Arc::new(SystemClock),
        })
    }

    /// Replaces the clock the due dates are computed from (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Sends a request with the access token and reads a 2xx answer as `T`.
    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<T, GatewayError> {
        let request = request.header(ACCESS_TOKEN_HEADER, self.access_token.clone());
        let reply = self.http.send(request).await.map_err(|e| GatewayError {
            message: format!("{what}: {}", e.message),
            ..e
        })?;
        if !reply.is_success() {
            return Err(error_from_reply(&reply, what));
        }
        serde_json::from_slice(&reply.body).map_err(|e| {
            GatewayError::new(
                GATEWAY,
                AttemptOutcome::UnavailableAmbiguous,
                format!("{what}: Asaas's answer cannot be read: {e}"),
            )
            .with_status(reply.status)
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<T, GatewayError> {
        let mut url = self.url(path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(query)
                    .finish(),
            );
        }
        let request = self.http.client().get(url);
        self.call(request, what).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
        what: &str,
    ) -> Result<T, GatewayError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| invalid(format!("{what}: cannot write the request: {e}")))?;
        let request = self
            .http
            .client()
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/json")
            .body(body);
        self.call(request, what).await
    }

    /// The customer's Asaas id: found by document, or created.
    async fn customer_id(
        &self,
        customer: &Customer,
        cpf_cnpj: &str,
    ) -> Result<String, GatewayError> {
        let found: List<CustomerRef> = self
            .get(
                "/v3/customers",
                &[("cpfCnpj", cpf_cnpj)],
                "look up the customer",
            )
            .await?;
        if let Some(existing) = found.data.into_iter().find(|c| !c.deleted) {
            return Ok(existing.id);
        }
        let body = NewCustomer {
            name: &customer.name,
            cpf_cnpj,
            email: customer.email.as_deref(),
            notification_disabled: true,
        };
        let created: CustomerRef = self
            .post("/v3/customers", &body, "create the customer")
            .await?;
        Ok(created.id)
    }

    /// The payment as payorch sees it, with what the payer needs while it is payable.
    async fn charge(&self, payment: Payment) -> Result<GatewayCharge, GatewayError> {
        let payable = !payment.deleted && payment.status == "PENDING";
        let id = payment.id.as_str();
        let link = match (payment.billing_type.as_deref(), &payment.invoice_url) {
            (Some("UNDEFINED"), Some(url)) if payable && !url.trim().is_empty() => {
                Some(LinkDetails {
                    url: url.clone(),
                    expires_at: payment.due_date.as_deref().and_then(end_of_brasilia_day),
                })
            }
            (Some("UNDEFINED"), _) if payable => {
                return Err(GatewayError::new(
                    GATEWAY,
                    AttemptOutcome::UnavailableAmbiguous,
                    format!("Asaas returned no invoiceUrl for payment link {id}"),
                ));
            }
            _ => None,
        };
        let (pix, boleto) = match payment.billing_type.as_deref() {
            Some("PIX") if payable => {
                let path = format!("/v3/payments/{id}/pixQrCode");
                let qr: PixQrCode = self.get(&path, &[], "read the Pix QR code").await?;
                if qr.payload.trim().is_empty() {
                    return Err(GatewayError::new(
                        GATEWAY,
                        AttemptOutcome::UnavailableAmbiguous,
                        format!("Asaas returned an empty Pix payload for {id}"),
                    ));
                }
                let pix = PixDetails {
                    copy_paste: qr.payload,
                    qr_code_png: None,
                    expires_at: qr.expiration_date.as_deref().and_then(brasilia_time),
                };
                (Some(pix), None)
            }
            Some("BOLETO") if payable => {
                let path = format!("/v3/payments/{id}/identificationField");
                let line: IdentificationField =
                    self.get(&path, &[], "read the boleto line").await?;
                let boleto = BoletoDetails {
                    digitable_line: line.identification_field,
                    barcode: line.bar_code,
                    url: payment.bank_slip_url.clone(),
                    due_date: payment.due_date.clone(),
                };
                (None, Some(boleto))
            }
            _ => (None, None),
        };
        let amount_refunded = payment.amount_refunded();
        Ok(GatewayCharge {
            reference: payment.id.clone(),
            status: charge_status(
                &payment.status,
                payment.deleted,
                payment.value,
                amount_refunded,
            ),
            gateway_status: if payment.deleted {
                "DELETED".to_string()
            } else {
                payment.status.clone()
            },
            amount: payment.value,
            pix,
            boleto,
            link,
            failure: None,
            payment_reference: None,
            amount_refunded,
            fee: wire::fee_of(Some(payment.value), payment.net_value),
        })
    }

    async fn payment(&self, reference: &str) -> Result<Payment, GatewayError> {
        check_reference(reference)?;
        self.get(
            &format!("/v3/payments/{reference}"),
            &[],
            "read the payment",
        )
        .await
    }
}

/// What a charge request becomes at Asaas, validated before anything is sent.
struct PaymentPlan<'a> {
    billing_type: &'static str,
    value: String,
    cpf_cnpj: &'a str,
    credit_card_token: Option<&'a str>,
    remote_ip: Option<&'a str>,
}

fn plan(req: &CreateCharge) -> Result<PaymentPlan<'_>, GatewayError> {
    let value = brl_value(req.money)?;
    let document = req
        .customer
        .document
        .as_ref()
        .filter(|d| matches!(d.kind, DocumentKind::Cpf | DocumentKind::Cnpj))
        .ok_or_else(|| invalid("customer.document: Asaas requires the payer's CPF or CNPJ"))?;
    let (billing_type, credit_card_token, remote_ip) = match req.method {
        PaymentMethod::Pix => ("PIX", None, None),
        PaymentMethod::Boleto => ("BOLETO", None, None),
        PaymentMethod::Link => ("UNDEFINED", None, None),
        PaymentMethod::Card => {
            let token = req
                .card_token
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| invalid("card: an Asaas creditCardToken is required"))?;
            let ip = req
                .metadata
                .get(REMOTE_IP_METADATA)
                .map(|ip| ip.trim())
                .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
                .ok_or_else(|| {
                    invalid(format!(
                        "metadata.{REMOTE_IP_METADATA}: Asaas requires the payer's IP address for card charges"
                    ))
                })?;
            ("CREDIT_CARD", Some(token), Some(ip))
        }
    };
    Ok(PaymentPlan {
        billing_type,
        value,
        cpf_cnpj: &document.number,
        credit_card_token,
        remote_ip,
    })
}

fn brl_value(money: Money) -> Result<String, GatewayError> {
    if money.currency() != Currency::Brl {
        return Err(invalid(format!(
            "currency: Asaas charges in BRL only, not {}",
            money.currency()
        )));
    }
    Ok(money.to_decimal_string())
}

/// Asaas ids go into URL paths: only letters, digits, `_` and `-`.
fn check_reference(reference: &str) -> Result<(), GatewayError> {
    let ok = !reference.is_empty()
        && reference.len() <= 64
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "`{reference}` is not an Asaas payment id (like pay_080225913252)"
        )))
    }
}

/// A failure after the payment was created: whatever it was, the payment exists.
fn after_create(err: GatewayError, id: &str) -> GatewayError {
    GatewayError {
        outcome: AttemptOutcome::UnavailableAmbiguous,
        message: format!("payment {id} was created, but: {}", err.message),
        ..err
    }
}

/// Maps an Asaas payment status to payorch's, in one place.
///
/// - `deleted` → canceled, whatever the status says.
/// - `PENDING` → requires_action (the payer must pay the Pix, the boleto or the invoice).
/// - `AWAITING_RISK_ANALYSIS`, `AUTHORIZED` (a card held for capture) → processing.
/// - `CONFIRMED`, `RECEIVED`, `RECEIVED_IN_CASH`, `DUNNING_RECEIVED`, and the states of a paid
///   charge whose money is still with the merchant (`REFUND_REQUESTED`, `REFUND_IN_PROGRESS`,
///   `CHARGEBACK_REQUESTED`, `CHARGEBACK_DISPUTE`, `AWAITING_CHARGEBACK_REVERSAL`) →
///   succeeded, or partially_refunded / refunded by the refunds Asaas lists.
/// - `REFUNDED` → refunded.
/// - `OVERDUE` and `DUNNING_REQUESTED` (past due, unpaid) → canceled: payorch set the due date
///   from the charge's expiry, so a charge past it has expired. A late payment still arrives
///   as `PAYMENT_RECEIVED`, which the status machine flags for an operator.
/// - anything else → unknown, for the reconciler.
pub fn charge_status(status: &str, deleted: bool, value: i64, refunded: i64) -> ChargeStatus {
    if deleted {
        return ChargeStatus::Canceled;
    }
    match status {
        "PENDING" => ChargeStatus::RequiresAction,
        "AWAITING_RISK_ANALYSIS" | "AUTHORIZED" => ChargeStatus::Processing,
        "CONFIRMED"
        | "RECEIVED"
        | "RECEIVED_IN_CASH"
        | "DUNNING_RECEIVED"
        | "REFUND_REQUESTED"
        | "REFUND_IN_PROGRESS"
        | "CHARGEBACK_REQUESTED"
        | "CHARGEBACK_DISPUTE"
        | "AWAITING_CHARGEBACK_REVERSAL" => {
            if refunded <= 0 {
                ChargeStatus::Succeeded
            } else if refunded < value {
                ChargeStatus::PartiallyRefunded
            } else {
                ChargeStatus::Refunded
            }
        }
        "REFUNDED" => ChargeStatus::Refunded,
        "OVERDUE" | "DUNNING_REQUESTED" => ChargeStatus::Canceled,
        _ => ChargeStatus::Unknown,
    }
}

/// An Asaas refund's status: `DONE` succeeded, `CANCELLED` failed, the rest (`PENDING`,
/// `AWAITING_CRITICAL_ACTION_AUTHORIZATION`, `AWAITING_CUSTOMER_EXTERNAL_AUTHORIZATION`) pending.
pub(super) fn refund_status(status: &str) -> RefundStatus {
    match status {
        "DONE" => RefundStatus::Succeeded,
        "CANCELLED" => RefundStatus::Failed,
        _ => RefundStatus::Pending,
    }
}

/// Reads Asaas's error body and classifies the failure (rule 3).
fn error_from_reply(reply: &HttpReply, what: &str) -> GatewayError {
    let errors = serde_json::from_slice::<ErrorBody>(&reply.body)
        .map(|b| b.errors)
        .unwrap_or_default();
    let code = errors.iter().find_map(|e| e.code.clone());
    let descriptions: Vec<&str> = errors
        .iter()
        .filter_map(|e| e.description.as_deref())
        .collect();
    let detail = if !descriptions.is_empty() {
        descriptions.join("; ")
    } else if reply.body.is_empty() {
        "no details".to_string()
    } else {
        reply.text().chars().take(300).collect()
    };
    let outcome = match (reply.status, code.as_deref()) {
        (400, Some(CARD_REFUSED_CODE)) => AttemptOutcome::Declined,
        (status, _) => classify_status(status),
    };
    let mut err =
        GatewayError::new(GATEWAY, outcome, format!("{what}: {detail}")).with_status(reply.status);
    err.code = code;
    err
}

#[async_trait]
impl Gateway for AsaasGateway {
    fn id(&self) -> GatewayId {
        GATEWAY
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            methods: vec![
                PaymentMethod::Pix,
                PaymentMethod::Boleto,
                PaymentMethod::Card,
                PaymentMethod::Link,
            ],
            currencies: vec![Currency::Brl],
            partial_refunds: true,
            method_currencies: Vec::new(),
            refund_resend_is_idempotent: true,
            create_resend_is_idempotent: false,
            fee_on_read: true,
        }
    }

    async fn create_charge(&self, req: &CreateCharge) -> Result<GatewayCharge, GatewayError> {
        let plan = plan(req)?;
        if let Some(existing) = self.find_charge(req).await? {
            return Ok(existing);
        }
        let customer = self.customer_id(&req.customer, plan.cpf_cnpj).await?;
        let due_at = self.clock.now().plus(req.expires_in);
        let body = NewPayment {
            customer: &customer,
            billing_type: plan.billing_type,
            value: RawValue::from_string(plan.value).map_err(|e| invalid(format!("value: {e}")))?,
            due_date: brasilia_date(due_at),
            description: req.description.as_deref(),
            external_reference: req.charge_id.as_str(),
            credit_card_token: plan.credit_card_token,
            remote_ip: plan.remote_ip,
        };
        let payment: Payment = self
            .post("/v3/payments", &body, "create the payment")
            .await?;
        let id = payment.id.clone();
        self.charge(payment).await.map_err(|e| after_create(e, &id))
    }

    async fn get_charge(&self, reference: &str) -> Result<GatewayCharge, GatewayError> {
        let payment = self.payment(reference).await?;
        self.charge(payment).await
    }

    async fn find_charge(&self, req: &CreateCharge) -> Result<Option<GatewayCharge>, GatewayError> {
        let reference = req.charge_id.as_str();
        let found: List<Payment> = self
            .get(
                "/v3/payments",
                &[("externalReference", reference)],
                "find the payment by externalReference",
            )
            .await?;
        // The filter is Asaas's; the exact match and the preference for a live payment are ours.
        let mut matching: Vec<Payment> = found
            .data
            .into_iter()
            .filter(|p| p.external_reference.as_deref() == Some(reference))
            .collect();
        matching.sort_by_key(|p| p.deleted);
        match matching.into_iter().next() {
            Some(payment) => self.charge(payment).await.map(Some),
            None => Ok(None),
        }
    }

    async fn cancel(&self, reference: &str) -> Result<GatewayCharge, GatewayError> {
        check_reference(reference)?;
        let request = self
            .http
            .client()
            .delete(self.url(&format!("/v3/payments/{reference}")));
        let deleted: Deleted = self.call(request, "delete the payment").await?;
        if !deleted.deleted {
            return Err(invalid(format!("Asaas did not delete payment {reference}")));
        }
        self.get_charge(reference).await
    }

    async fn refund(&self, req: &CreateRefund) -> Result<GatewayRefund, GatewayError> {
        let value = brl_value(req.money)?;
        let reference = req.charge_reference.as_str();
        let before = self.payment(reference).await?;
        if before.billing_type.as_deref() == Some("BOLETO") {
            return Err(invalid(format!(
                "Asaas refunds a boleto only through a form the payer fills (bankSlip/refund); refund {reference} by hand"
            )));
        }
        let marker = req.refund_id.as_str();
        if let Some(done) = refund_for(&before, marker, req.money.minor()) {
            return Ok(done);
        }
        let body = NewRefund {
            value: RawValue::from_string(value).map_err(|e| invalid(format!("value: {e}")))?,
            description: match req.reason.as_deref().map(str::trim) {
                Some(reason) if !reason.is_empty() => format!("{reason} (payorch {marker})"),
                _ => format!("payorch {marker}"),
            },
        };
        let after: Payment = self
            .post(
                &format!("/v3/payments/{reference}/refund"),
                &body,
                "refund the payment",
            )
            .await?;
        Ok(
            refund_for(&after, marker, req.money.minor()).unwrap_or_else(|| GatewayRefund {
                reference: format!("{reference}#refund"),
                status: if after.status == "REFUNDED" {
                    RefundStatus::Succeeded
                } else {
                    RefundStatus::Pending
                },
                gateway_status: after.status.clone(),
                amount: req.money.minor(),
            }),
        )
    }

    fn verify_webhook(&self, req: &WebhookRequest<'_>) -> Result<(), WebhookError> {
        webhook::verify(self.webhook_token.as_ref(), req)
    }

    fn parse_webhook(&self, req: &WebhookRequest<'_>) -> Result<Vec<GatewayEvent>, WebhookError> {
        webhook::parse(req.body)
    }
}

/// The refund of `payment` whose description carries payorch's refund id, if Asaas has it.
fn refund_for(payment: &Payment, marker: &str, requested: i64) -> Option<GatewayRefund> {
    let refunds = payment.refunds.as_deref()?;
    refunds
        .iter()
        .enumerate()
        .find(|(_, r)| r.description.as_deref().is_some_and(|d| d.contains(marker)))
        .map(|(i, r)| {
            let status = r.status.clone().unwrap_or_else(|| "PENDING".to_string());
            GatewayRefund {
                reference: wire::refund_reference(&payment.id, i),
                status: refund_status(&status),
                gateway_status: status,
                amount: if r.value > 0 { r.value } else { requested },
            }
        })
}

#[cfg(test)]
mod tests;
