//! The Asaas fake's answers in Asaas's shapes: payments, refunds, customers, list envelopes and
//! webhook bodies. Amounts are raw decimal JSON numbers, written from centavos.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::value::RawValue;

use super::{AsaasError, CustomerFields, FakeCustomer, FakePayment, PaymentStatus, bad_request};
use crate::gateway::asaas::decimal_json;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PaymentView {
    object: &'static str,
    id: String,
    date_created: String,
    customer: String,
    value: Box<RawValue>,
    net_value: Box<RawValue>,
    billing_type: String,
    status: PaymentStatus,
    due_date: String,
    original_due_date: String,
    payment_date: Option<String>,
    client_payment_date: Option<String>,
    description: Option<String>,
    external_reference: Option<String>,
    invoice_url: String,
    invoice_number: String,
    bank_slip_url: Option<String>,
    nosso_numero: Option<String>,
    credit_card: Option<CardView>,
    can_be_paid_after_due_date: bool,
    deleted: bool,
    anticipated: bool,
    anticipable: bool,
    postal_service: bool,
    refunds: Option<Vec<RefundView>>,
    // The rest of Asaas's PaymentGetResponseDTO (its OpenAPI document, docs.asaas.com,
    // "Listar cobranças" / "Criar nova cobrança"): what a payment without installments,
    // anticipation or static QR code has.
    original_value: Option<Box<RawValue>>,
    interest_value: Option<Box<RawValue>>,
    pix_transaction: Option<String>,
    pix_qr_code_id: Option<String>,
    installment_number: Option<u32>,
    credit_date: Option<String>,
    estimated_credit_date: Option<String>,
    confirmed_date: Option<String>,
    transaction_receipt_url: Option<String>,
    last_invoice_viewed_date: Option<String>,
    last_bank_slip_viewed_date: Option<String>,
    discount: Discount,
    fine: Charge,
    interest: Charge,
}

/// Asaas's `PaymentDiscountDTO`: none unless asked for.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Discount {
    value: Box<RawValue>,
    due_date_limit_days: u32,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// Asaas's `PaymentFineResponseDTO` / `PaymentInterestResponseDTO` (percentages).
#[derive(Serialize)]
pub(super) struct Charge {
    value: Box<RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CardView {
    credit_card_number: &'static str,
    credit_card_brand: &'static str,
    credit_card_token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RefundView {
    date_created: String,
    status: &'static str,
    value: Box<RawValue>,
    end_to_end_identifier: Option<String>,
    description: Option<String>,
    effective_date: String,
    transaction_receipt_url: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomerView {
    object: &'static str,
    id: String,
    date_created: String,
    name: String,
    email: Option<String>,
    cpf_cnpj: String,
    person_type: &'static str,
    deleted: bool,
    #[serde(flatten)]
    fields: CustomerFields,
    // The rest of Asaas's CustomerGetResponseDTO, as a customer without an address has them.
    city: Option<u64>,
    city_name: Option<String>,
    state: Option<String>,
    country: &'static str,
    can_delete: bool,
    cannot_be_deleted_reason: Option<String>,
    can_edit: bool,
    cannot_edit_reason: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListView<T> {
    object: &'static str,
    has_more: bool,
    total_count: usize,
    limit: usize,
    offset: usize,
    data: Vec<T>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WebhookView<'a> {
    pub(super) id: String,
    pub(super) event: &'a str,
    pub(super) date_created: String,
    pub(super) payment: PaymentView,
}

/// The fake's fee on a payment, centavos, shown as `value - netValue` as Asaas does: a fixed
/// R$ 1.99 for Pix and boleto, 2.99 % + R$ 0.49 for a card (half a centavo rounding up), never
/// more than the value. Real-shaped, not Asaas's price list: an account's own rates are on its
/// `GET /v3/myAccount/fees`.
pub(super) fn fake_fee(billing_type: &str, value: i64) -> i64 {
    let fee = match billing_type {
        "CREDIT_CARD" => (value * 299 + 5_000) / 10_000 + 49,
        _ => 199,
    };
    fee.min(value)
}

pub(super) fn view(p: &FakePayment) -> PaymentView {
    let boleto = p.billing_type == "BOLETO";
    PaymentView {
        object: "payment",
        id: p.id.clone(),
        date_created: p.date_created.clone(),
        customer: p.customer.clone(),
        value: decimal_json(p.value),
        net_value: decimal_json(p.value - fake_fee(&p.billing_type, p.value)),
        billing_type: p.billing_type.clone(),
        status: p.status,
        due_date: p.due_date.clone(),
        original_due_date: p.due_date.clone(),
        payment_date: p.payment_date.clone(),
        client_payment_date: p.payment_date.clone(),
        description: p.description.clone(),
        external_reference: p.external_reference.clone(),
        invoice_url: p.invoice_url.clone(),
        invoice_number: format!("{:08}", p.number),
        bank_slip_url: boleto.then(|| format!("https://sandbox.asaas.com/b/pdf/{:012}", p.number)),
        nosso_numero: boleto.then(|| p.number.to_string()),
        credit_card: p.credit_card_token.as_ref().map(|token| CardView {
            credit_card_number: "8829",
            credit_card_brand: "VISA",
            credit_card_token: token.clone(),
        }),
        can_be_paid_after_due_date: boleto,
        deleted: p.deleted,
        anticipated: false,
        anticipable: false,
        postal_service: false,
        original_value: None,
        interest_value: None,
        pix_transaction: None,
        pix_qr_code_id: None,
        installment_number: None,
        credit_date: p.payment_date.clone(),
        estimated_credit_date: p.payment_date.clone(),
        confirmed_date: p.payment_date.clone(),
        transaction_receipt_url: p
            .payment_date
            .as_ref()
            .map(|_| format!("https://sandbox.asaas.com/comprovantes/{:012}", p.number)),
        last_invoice_viewed_date: None,
        last_bank_slip_viewed_date: None,
        discount: Discount {
            value: decimal_json(p.terms.discount),
            due_date_limit_days: p.terms.discount_days,
            kind: p.terms.discount_type,
        },
        fine: Charge {
            value: decimal_json(p.terms.fine),
        },
        interest: Charge {
            value: decimal_json(p.terms.interest),
        },
        refunds: (!p.refunds.is_empty()).then(|| refund_views(p)),
    }
}

/// A payment's refunds, as `refunds` in the payment and `GET /v3/payments/{id}/refunds` show.
pub(super) fn refund_views(p: &FakePayment) -> Vec<RefundView> {
    p.refunds
        .iter()
        .map(|r| RefundView {
            date_created: r.date_created.clone(),
            status: if r.done { "DONE" } else { "PENDING" },
            value: decimal_json(r.value),
            end_to_end_identifier: None,
            description: r.description.clone(),
            effective_date: r.date_created.clone(),
            transaction_receipt_url: None,
        })
        .collect()
}

pub(super) fn customer_view(c: &FakeCustomer) -> CustomerView {
    CustomerView {
        object: "customer",
        id: c.id.clone(),
        date_created: c.date_created.clone(),
        name: c.name.clone(),
        email: c.email.clone(),
        cpf_cnpj: c.cpf_cnpj.clone(),
        person_type: if c.cpf_cnpj.len() == 11 {
            "FISICA"
        } else {
            "JURIDICA"
        },
        deleted: false,
        fields: c.fields.clone(),
        city: None,
        city_name: None,
        state: None,
        country: "Brasil",
        can_delete: true,
        cannot_be_deleted_reason: None,
        can_edit: true,
        cannot_edit_reason: None,
    }
}

/// One page of `items` as Asaas lists them (`offset`, `limit` up to 100, default 10).
pub(super) fn page<T>(
    items: Vec<T>,
    query: &HashMap<String, String>,
) -> Result<ListView<T>, AsaasError> {
    let number = |key: &str, default: usize| -> Result<usize, AsaasError> {
        match query.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| bad_request("invalid_parameter", format!("{key} inválido"))),
        }
    };
    let offset = number("offset", 0)?;
    let limit = number("limit", 10)?.min(100);
    let total_count = items.len();
    let data: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    Ok(ListView {
        object: "list",
        has_more: offset.saturating_add(data.len()) < total_count,
        total_count,
        limit,
        offset,
        data,
    })
}
