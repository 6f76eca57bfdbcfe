//! The Asaas fake that `payorch sandbox` serves under `/asaas`: the customer and payment
//! endpoints the adapter uses, with Asaas's validation, answer shapes, errors and webhooks.
//! In memory only; not a general Asaas emulator.
//!
//! What it does, and the choices it makes where Asaas's docs say nothing:
//! - **Auth**: `access_token` must be [`SANDBOX_API_KEY`]; missing → 401
//!   `access_token_not_found`, wrong → 401 `invalid_access_token`. A request without a
//!   `User-Agent` → 400 `invalid_user_agent` (Asaas requires one of new accounts; its exact
//!   answer is undocumented). A GET with a body (`Content-Length` > 0 or chunked) → 403 with no
//!   body, as the OpenAPI document describes.
//! - **Validation** like Asaas's, in its sandbox's order (the `customer` first, so an empty
//!   body answers `invalid_customer`): `cpfCnpj` check digits, an existing `customer`,
//!   `billingType` PIX/BOLETO/CREDIT_CARD/UNDEFINED (the payer chooses; settled like a Pix),
//!   `value` > 0 with at most two decimals, `dueDate` a date not
//!   before today in Brasília time; a card payment with a token needs `remoteIp`.
//! - **Cards**: a payment with `creditCardToken` is captured at once (CONFIRMED), except the
//!   token [`DECLINED_CARD_TOKEN`], refused as Asaas refuses cards (400 `invalid_creditCard`,
//!   nothing kept). Without a token the payment waits (PENDING) for the invoice page.
//! - **Paying** (`pay`, or Asaas's own `POST /v3/sandbox/payment/{id}/confirm`): a Pix or boleto
//!   becomes RECEIVED (`PAYMENT_RECEIVED`), a card CONFIRMED (`PAYMENT_CONFIRMED`).
//! - **The invoice page** (`invoiceUrl`, `GET /asaas/i/{number}` on the host the payment was
//!   created through; `invoice.rs`) is the payer's: no API key, an HTML page with the amount
//!   and a form whose `POST` pays it. An `UNDEFINED` payment (a payment link) is paid with the
//!   payer's choice (`billingType=PIX` or `CREDIT_CARD`) and takes that `billingType`, as at
//!   Asaas; `pay` settles it as Pix.
//!   `DELETE` sends `PAYMENT_DELETED`. A refund is answered `PENDING` (with
//!   `PAYMENT_REFUND_IN_PROGRESS`) and settles [`SandboxContext::asaas_refund_delay`] later: `DONE`, with
//!   `PAYMENT_REFUNDED` or `PAYMENT_PARTIALLY_REFUNDED` (the status stays RECEIVED until the
//!   whole value is back). Sources: docs.asaas.com/docs/refunds (`refunds[].status`: `PENDING`,
//!   `CANCELLED`, `DONE`) and "Eventos para cobranças" (`PAYMENT_REFUND_IN_PROGRESS`,
//!   `PAYMENT_REFUNDED`, `PAYMENT_PARTIALLY_REFUNDED`, `PAYMENT_REFUND_DENIED`).
//!   Creation sends `PAYMENT_CREATED` (and a captured card `PAYMENT_CONFIRMED`).
//! - At most the context's `max_objects` payments and customers are kept (`sandbox::bounded`):
//!   past it the oldest settled payment (paid, deleted or refunded, no refund `PENDING`) goes
//!   and answers 404; with none settled a new one is refused with 429 `too_many_requests`.
//! - Lists leave deleted payments out; `GET /v3/payments/{id}` still shows them
//!   (`deleted: true`). Boleto refunds are refused (Asaas refunds boletos via a payer form).
//! - Amounts are kept in centavos and written as exact decimal JSON numbers. The `Value`s that
//!   [`FakeGateway::pay`] and [`FakeGateway::charges`] return for the control API go through
//!   serde_json's number type; the HTTP API never does.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::Date;
use time::macros::format_description;

mod actions;
mod boleto;
mod handlers;
mod invoice;
mod views;

use actions::*;
use handlers::*;
use invoice::invoice_url;

use super::bounded::{Bounded, Full};
use super::{FakeGateway, OutboundWebhook, SandboxContext, SandboxError};
use crate::brcode::BrCode;
use crate::gateway::asaas::{
    ACCESS_TOKEN_HEADER, BRASILIA, CARD_REFUSED_CODE, WEBHOOK_TOKEN_HEADER, brasilia_date,
    parse_decimal,
};
use crate::model::{Currency, Document, DocumentKind, GatewayId};
use crate::qr;
use boleto::boleto_line;
use views::{CustomerView, PaymentView, WebhookView, customer_view, page, view};

/// The API key the fake accepts (Asaas sandbox keys look like `$aact_hmlg_…`).
pub const SANDBOX_API_KEY: &str = "$aact_hmlg_payorch_sandbox_000000000000000000000000";
/// The token the fake sends in `asaas-access-token` with every webhook.
pub const SANDBOX_WEBHOOK_TOKEN: &str = "payorch_sandbox_asaas_webhook_token";
/// A `creditCardToken` the fake refuses, to exercise a declined card.
pub const DECLINED_CARD_TOKEN: &str = "payorch-sandbox-declined-card";

const CARD_REFUSED: &str =
    "Transação não autorizada. Verifique os dados do cartão de crédito e tente novamente.";

struct FakeCustomer {
    id: String,
    name: String,
    cpf_cnpj: String,
    email: Option<String>,
    date_created: String,
    fields: CustomerFields,
}

/// The optional customer fields Asaas's reference documents ("Criar novo cliente"), taken from
/// the request as given and answered back (`null` when not given).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerFields {
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    mobile_phone: Option<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    address_number: Option<String>,
    #[serde(default)]
    complement: Option<String>,
    #[serde(default)]
    province: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    external_reference: Option<String>,
    #[serde(default)]
    notification_disabled: Option<bool>,
    #[serde(default)]
    additional_emails: Option<String>,
    #[serde(default)]
    municipal_inscription: Option<String>,
    #[serde(default)]
    state_inscription: Option<String>,
    #[serde(default)]
    observations: Option<String>,
    #[serde(default)]
    group_name: Option<String>,
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    foreign_customer: Option<bool>,
}

struct FakeRefund {
    date_created: String,
    value: i64,
    description: Option<String>,
    /// `DONE` once [`REFUND_SETTLES_AFTER`] has passed; `PENDING` until then.
    done: bool,
}

/// How long an Asaas refund stays `PENDING` by default before the fake settles it (`DONE`,
/// with `PAYMENT_REFUNDED` or `PAYMENT_PARTIALLY_REFUNDED`); see
/// [`SandboxContext::asaas_refund_delay`]. Asaas answers a refund request with the
/// refund `PENDING` ("Estornar cobrança": the refund is requested; `refunds[].status` is one of
/// `PENDING`, `CANCELLED`, `DONE`, docs.asaas.com/docs/refunds) and announces it done later.
pub const REFUND_SETTLES_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// A fake payment's status, as Asaas writes it (`"PENDING"`, `"RECEIVED"`, …), and the moves
/// the fake makes between them. (Asaas also has `OVERDUE`; the fake never lets a due date pass.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum PaymentStatus {
    /// Created, awaiting payment (Pix, boleto, a card charged later).
    Pending,
    /// A card payment authorized.
    Confirmed,
    /// Paid by Pix or boleto.
    Received,
    /// Marked paid outside Asaas (`receiveInCash`).
    ReceivedInCash,
    /// Its whole value given back.
    Refunded,
}

impl PaymentStatus {
    /// The wire text.
    fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "PENDING",
            PaymentStatus::Confirmed => "CONFIRMED",
            PaymentStatus::Received => "RECEIVED",
            PaymentStatus::ReceivedInCash => "RECEIVED_IN_CASH",
            PaymentStatus::Refunded => "REFUNDED",
        }
    }

    /// Awaiting payment: may be paid, received in cash, or deleted.
    fn is_open(self) -> bool {
        self == PaymentStatus::Pending
    }

    /// Paid, so money can be given back.
    fn is_refundable(self) -> bool {
        matches!(
            self,
            PaymentStatus::Received | PaymentStatus::Confirmed | PaymentStatus::ReceivedInCash
        )
    }

    /// What paying an open payment makes it: CONFIRMED for a card, RECEIVED otherwise.
    fn paid(card: bool) -> Self {
        if card {
            PaymentStatus::Confirmed
        } else {
            PaymentStatus::Received
        }
    }
}

impl std::fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

struct FakePayment {
    id: String,
    number: u64,
    /// The hosted page ([`invoice`]), on the host the payment was created through.
    invoice_url: String,
    customer: String,
    billing_type: String,
    value: i64,
    status: PaymentStatus,
    due_date: String,
    date_created: String,
    description: Option<String>,
    external_reference: Option<String>,
    deleted: bool,
    payment_date: Option<String>,
    credit_card_token: Option<String>,
    refunds: Vec<FakeRefund>,
    terms: Terms,
}

/// A payment's `discount`, `fine` and `interest`, as given on create (hundredths: centavos
/// for a FIXED discount, hundredths of a percent otherwise). Stored and answered back; the
/// fake applies none of them to what is paid.
#[derive(Clone, Copy)]
struct Terms {
    discount: i64,
    discount_days: u32,
    discount_type: &'static str,
    fine: i64,
    interest: i64,
}

impl Default for Terms {
    fn default() -> Self {
        Terms {
            discount: 0,
            discount_days: 0,
            discount_type: "FIXED",
            fine: 0,
            interest: 0,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TermBody {
    #[serde(default)]
    value: Option<Box<RawValue>>,
    #[serde(default)]
    due_date_limit_days: Option<u32>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// The `discount`, `fine` and `interest` of a create request (Asaas's `PaymentDiscountDTO`,
/// `PaymentFineDTO`, `PaymentInterestDTO`): values zero or more with two decimals.
fn terms(
    discount: Option<TermBody>,
    fine: Option<TermBody>,
    interest: Option<TermBody>,
) -> Result<Terms, AsaasError> {
    let value = |t: &TermBody, code: &'static str, what: &str| -> Result<i64, AsaasError> {
        match t.value.as_deref().map(RawValue::get) {
            None | Some("null") => Ok(0),
            Some(raw) => parse_decimal(raw).ok().filter(|v| *v >= 0).ok_or_else(|| {
                bad_request(
                    code,
                    format!("O valor de {what} deve ser um número maior ou igual a zero."),
                )
            }),
        }
    };
    let mut out = Terms::default();
    if let Some(d) = discount {
        out.discount = value(&d, "invalid_discount", "desconto")?;
        out.discount_days = d.due_date_limit_days.unwrap_or(0);
        out.discount_type = match d.kind.as_deref() {
            None | Some("FIXED") => "FIXED",
            Some("PERCENTAGE") => "PERCENTAGE",
            Some(_) => {
                return Err(bad_request(
                    "invalid_discount",
                    "O tipo de desconto deve ser FIXED ou PERCENTAGE.",
                ));
            }
        };
    }
    if let Some(f) = fine {
        out.fine = value(&f, "invalid_fine", "multa")?;
    }
    if let Some(i) = interest {
        out.interest = value(&i, "invalid_interest", "juros")?;
    }
    Ok(out)
}

impl FakePayment {
    /// Given back or on its way: what can no longer be refunded.
    fn refunded(&self) -> i64 {
        self.refunds.iter().map(|r| r.value).sum()
    }

    /// Given back (`DONE`).
    fn settled_refunds(&self) -> i64 {
        self.refunds
            .iter()
            .filter(|r| r.done)
            .map(|r| r.value)
            .sum()
    }

    fn is_open(&self) -> bool {
        !self.deleted && self.status.is_open()
    }

    /// Nobody can act on it any more: not awaiting payment, no refund pending.
    fn is_settled(&self) -> bool {
        !self.is_open() && self.refunds.iter().all(|r| r.done)
    }
}

/// The sandbox holds `--max-objects` payments and none is settled: Asaas's rate-limit answer
/// (429, in its error shape), a definite "not created, try later".
fn too_many_payments(full: Full) -> AsaasError {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        format!(
            "O sandbox guarda {} cobranças e nenhuma está liquidada; liquide algumas ou reinicie-o com um --max-objects maior.",
            full.capacity
        ),
    )
}

/// Customers and payments, by id, oldest first; at most the context's `max_objects` each, the
/// oldest settled evicted first (`sandbox::bounded`): customers always are, payments once
/// paid, deleted or refunded with no refund still `PENDING`.
struct Ledger {
    customers: Bounded<String, FakeCustomer>,
    payments: Bounded<String, FakePayment>,
    last_id: u64,
    last_event: u64,
}

impl Ledger {
    fn new(max_objects: usize) -> Ledger {
        Ledger {
            customers: Bounded::new(max_objects, |_| true),
            payments: Bounded::new(max_objects, FakePayment::is_settled),
            last_id: 0,
            last_event: 0,
        }
    }

    fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    fn next_event(&mut self) -> u64 {
        self.last_event += 1;
        self.last_event
    }
}

/// The Asaas fake. Its state sits behind one mutex, never held across an await.
pub struct AsaasFake {
    ctx: SandboxContext,
    ledger: Mutex<Ledger>,
    /// `/v3/webhooks` configurations. Locked after `ledger` when both are (never the reverse).
    hooks: Mutex<Vec<WebhookConfig>>,
}

/// An Asaas error answer: `{"errors":[{"code","description"}]}`, or no body for a bare status.
struct AsaasError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

fn error(status: StatusCode, code: &'static str, description: impl Into<String>) -> AsaasError {
    AsaasError {
        status,
        code,
        description: description.into(),
    }
}

fn bad_request(code: &'static str, description: impl Into<String>) -> AsaasError {
    error(StatusCode::BAD_REQUEST, code, description)
}

fn not_found() -> AsaasError {
    error(StatusCode::NOT_FOUND, "", "")
}

impl IntoResponse for AsaasError {
    fn into_response(self) -> Response {
        if self.code.is_empty() {
            return self.status.into_response();
        }
        let body =
            serde_json::json!({"errors": [{"code": self.code, "description": self.description}]});
        (self.status, axum::Json(body)).into_response()
    }
}

/// A JSON answer written with serde_json, so raw decimal amounts stay exact.
fn json_reply(body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            e.to_string(),
        )
        .into_response(),
    }
}

type Reply = Result<Response, AsaasError>;

impl AsaasFake {
    pub fn new(ctx: SandboxContext) -> Self {
        let ledger = Ledger::new(ctx.max_objects);
        AsaasFake {
            ctx,
            ledger: Mutex::new(ledger),
            hooks: Mutex::new(Vec::new()),
        }
    }

    fn hooks(&self) -> MutexGuard<'_, Vec<WebhookConfig>> {
        self.hooks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // A panic while holding the lock leaves plain data behind: keep serving it.
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn today(&self) -> String {
        brasilia_date(self.ctx.clock.now())
    }

    /// `YYYY-MM-DD HH:MM:SS` in Brasília time, as Asaas writes timestamps.
    fn now_text(&self) -> String {
        let t = self
            .ctx
            .clock
            .now()
            .to_offset_date_time()
            .to_offset(BRASILIA);
        format!(
            "{} {:02}:{:02}:{:02}",
            brasilia_date(self.ctx.clock.now()),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// The webhook Asaas would send for `event` about `payment`, the `seq`-th this fake sends.
    fn webhook(&self, seq: u64, event: &str, payment: &FakePayment) -> OutboundWebhook {
        let body = WebhookView {
            id: format!(
                "evt_{:032x}&{seq}",
                u128::from(seq).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ),
            event,
            date_created: self.now_text(),
            payment: view(payment),
        };
        let token = actions::delivery(&self.hooks())
            .and_then(|(_, token)| token.map(str::to_string))
            .unwrap_or_else(|| SANDBOX_WEBHOOK_TOKEN.to_string());
        OutboundWebhook {
            headers: vec![
                (WEBHOOK_TOKEN_HEADER.to_string(), token),
                ("content-type".to_string(), "application/json".to_string()),
            ],
            body: serde_json::to_vec(&body).unwrap_or_default(),
            query: None,
            url: None,
        }
    }

    fn send(&self, webhooks: Vec<OutboundWebhook>) {
        for webhook in webhooks {
            self.ctx.send_webhook(GatewayId::Asaas, webhook);
        }
    }

    /// Marks an open payment paid: RECEIVED for Pix and boleto, CONFIRMED for a card.
    fn settle(&self, id: &str) -> Result<PaymentView, SandboxError> {
        self.settle_as(id, None)
    }

    /// Pays open payment `id`. An `UNDEFINED` one (a payment link) becomes the payer's
    /// `choice` (`PIX` or `CREDIT_CARD`; Pix without one), as Asaas rewrites `billingType` to
    /// what was paid with; `choice` is ignored for the others.
    fn settle_as(&self, id: &str, choice: Option<&str>) -> Result<PaymentView, SandboxError> {
        let today = self.today();
        let mut ledger = self.ledger();
        let payment = ledger
            .payments
            .get(id)
            .ok_or_else(|| SandboxError::NotFound(format!("no Asaas payment {id}")))?;
        if !payment.is_open() {
            return Err(SandboxError::Conflict(format!(
                "payment {id} is {}{}, not awaiting payment",
                payment.status,
                if payment.deleted { " (deleted)" } else { "" }
            )));
        }
        let seq = ledger.next_event();
        let Some(mut payment) = ledger.payments.get_mut(id) else {
            unreachable!("payment {id} was there under the same lock")
        };
        if payment.billing_type == "UNDEFINED" {
            payment.billing_type = choice.unwrap_or("PIX").to_string();
        }
        let card = payment.billing_type == "CREDIT_CARD";
        payment.status = PaymentStatus::paid(card);
        let event = if card {
            "PAYMENT_CONFIRMED"
        } else {
            "PAYMENT_RECEIVED"
        };
        payment.payment_date = Some(today);
        let webhook = self.webhook(seq, event, &payment);
        let answer = view(&payment);
        drop(payment);
        drop(ledger);
        self.send(vec![webhook]);
        Ok(answer)
    }

    /// Settles every pending refund of payment `id` now, as [`REFUND_SETTLES_AFTER`] would:
    /// how many there were. For tests that drive the fake in process.
    pub fn settle_refunds(&self, id: &str) -> Result<usize, SandboxError> {
        let pending: Vec<usize> = {
            let ledger = self.ledger();
            ledger
                .payments
                .get(id)
                .ok_or_else(|| SandboxError::NotFound(format!("no Asaas payment {id}")))?
                .refunds
                .iter()
                .enumerate()
                .filter(|(_, r)| !r.done)
                .map(|(i, _)| i)
                .collect()
        };
        for index in &pending {
            self.settle_refund(id, *index);
        }
        Ok(pending.len())
    }

    /// Settles the pending refund `index` of payment `id` (`DONE`), sending
    /// `PAYMENT_REFUNDED` when the whole value is back, else `PAYMENT_PARTIALLY_REFUNDED`.
    fn settle_refund(&self, id: &str, index: usize) {
        let mut ledger = self.ledger();
        let pending = ledger
            .payments
            .get(id)
            .and_then(|p| p.refunds.get(index))
            .is_some_and(|r| !r.done);
        if !pending {
            return;
        }
        let seq = ledger.next_event();
        let Some(mut payment) = ledger.payments.get_mut(id) else {
            return;
        };
        payment.refunds[index].done = true;
        let event = if payment.settled_refunds() == payment.value {
            payment.status = PaymentStatus::Refunded;
            "PAYMENT_REFUNDED"
        } else {
            "PAYMENT_PARTIALLY_REFUNDED"
        };
        let webhook = self.webhook(seq, event, &payment);
        drop(payment);
        drop(ledger);
        self.send(vec![webhook]);
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewCustomerBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    cpf_cnpj: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(flatten)]
    fields: CustomerFields,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewPaymentBody {
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    billing_type: Option<String>,
    #[serde(default)]
    value: Option<Box<RawValue>>,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    external_reference: Option<String>,
    #[serde(default)]
    credit_card_token: Option<String>,
    #[serde(default)]
    remote_ip: Option<String>,
    #[serde(default)]
    discount: Option<TermBody>,
    #[serde(default)]
    fine: Option<TermBody>,
    #[serde(default)]
    interest: Option<TermBody>,
}

#[derive(Deserialize)]
struct RefundBody {
    #[serde(default)]
    value: Option<Box<RawValue>>,
    #[serde(default)]
    description: Option<String>,
}

fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AsaasError> {
    serde_json::from_slice(bytes)
        .map_err(|e| bad_request("invalid_object", format!("JSON inválido: {e}")))
}

/// Centavos from a request's `value`, which must be a positive number with two decimals.
fn amount(value: Option<&RawValue>) -> Result<Option<i64>, AsaasError> {
    let Some(raw) = value.filter(|v| v.get() != "null") else {
        return Ok(None);
    };
    match parse_decimal(raw.get()) {
        Ok(minor) if minor > 0 => Ok(Some(minor)),
        _ => Err(bad_request(
            "invalid_value",
            "O valor deve ser um número maior que zero com no máximo duas casas decimais.",
        )),
    }
}

// ---------------------------------------------------------------------------------------------

#[async_trait]
impl FakeGateway for AsaasFake {
    fn id(&self) -> GatewayId {
        GatewayId::Asaas
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/v3/customers", get(list_customers).post(create_customer))
            .route("/v3/payments", get(list_payments).post(create_payment))
            .route("/v3/payments/{id}", get(get_payment).delete(delete_payment))
            .route("/v3/payments/{id}/pixQrCode", get(pix_qr_code))
            .route(
                "/v3/payments/{id}/identificationField",
                get(identification_field),
            )
            .route("/v3/payments/{id}/refund", post(refund_payment))
            .route("/v3/payments/{id}/refunds", get(list_refunds))
            .route("/v3/payments/{id}/restore", post(restore_payment))
            .route("/v3/payments/{id}/receiveInCash", post(receive_in_cash))
            .route("/v3/webhooks", get(list_webhooks).post(create_webhook))
            .route(
                "/v3/webhooks/{id}",
                get(get_webhook).put(update_webhook).delete(delete_webhook),
            )
            .route("/v3/sandbox/payment/{id}/confirm", post(confirm_payment))
            .fallback(no_such_endpoint)
            .layer(middleware::from_fn(guard))
            // The payer's page takes no API key: anyone with the link may pay.
            .merge(invoice::router())
            .with_state(self)
    }

    fn credentials(&self) -> Vec<(&'static str, String)> {
        vec![
            ("api_key", SANDBOX_API_KEY.to_string()),
            ("webhook_token", SANDBOX_WEBHOOK_TOKEN.to_string()),
        ]
    }

    fn pay(&self, id: &str) -> Result<serde_json::Value, SandboxError> {
        let answer = self.settle(id)?;
        serde_json::to_value(answer).map_err(|e| SandboxError::Conflict(e.to_string()))
    }

    fn charges(&self) -> Vec<serde_json::Value> {
        let ledger = self.ledger();
        ledger
            .payments
            .values()
            .filter_map(|p| serde_json::to_value(view(p)).ok())
            .collect()
    }

    /// A URL configured with `POST /v3/webhooks` wins over the control API's.
    fn webhook_url(&self, registered: Option<reqwest::Url>) -> Option<reqwest::Url> {
        match actions::delivery(&self.hooks()) {
            Some((url, _)) => reqwest::Url::parse(url).ok(),
            None => registered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PaymentStatus::{self, *};

    /// The payment statuses keep Asaas's wire text, in `as_str` and in the JSON.
    #[test]
    fn payment_statuses_are_asaas_texts() {
        for (status, text) in [
            (Pending, "PENDING"),
            (Confirmed, "CONFIRMED"),
            (Received, "RECEIVED"),
            (ReceivedInCash, "RECEIVED_IN_CASH"),
            (Refunded, "REFUNDED"),
        ] {
            assert_eq!(status.as_str(), text);
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(text)
            );
        }
        assert_eq!(PaymentStatus::paid(true), Confirmed);
        assert_eq!(PaymentStatus::paid(false), Received);
        assert!(Pending.is_open() && !Received.is_open());
        assert!(!Pending.is_refundable() && !Refunded.is_refundable());
    }
}
