//! The Asaas fake's invoice page, the payment's `invoiceUrl`: what a payer opens from a payment
//! link. `GET /asaas/i/{number}` answers an HTML page with the amount and, while the payment is
//! open, a form; its `POST` (`billingType=PIX` or `CREDIT_CARD`, form-encoded) pays it as
//! [`FakeGateway::pay`] does, with the payer's choice, and the fake sends the webhook. Asaas's
//! real page (`https://www.asaas.com/i/{number}`) is richer; this one has what a test needs
//! and no API key, like the real one.

use super::*;

/// `http://{host}/asaas/i/{number}`: the page on the host the payment was created through.
pub(super) fn invoice_url(headers: &axum::http::HeaderMap, number: u64) -> String {
    format!(
        "http://{}/{}/i/{number:012}",
        super::super::host_of(headers),
        GatewayId::Asaas
    )
}

pub(super) fn router() -> Router<Arc<AsaasFake>> {
    Router::new().route("/i/{number}", get(show).post(pay))
}

/// The payment behind `/i/{number}`: twelve digits, `pay_` + them.
fn payment_id(number: &str) -> Option<String> {
    (number.len() == 12 && number.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("pay_{number}"))
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    crate::sandbox::html_page(status, "pt-BR", title, body)
}

use crate::sandbox::html_escape as escape;

fn not_found_page() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "Cobrança não encontrada",
        "<p>Não há cobrança com este link.</p>",
    )
}

async fn show(State(fake): State<Arc<AsaasFake>>, Path(number): Path<String>) -> Response {
    let Some(id) = payment_id(&number) else {
        return not_found_page();
    };
    let ledger = fake.ledger();
    let Some(p) = ledger.payments.get(&id) else {
        return not_found_page();
    };
    let value = crate::gateway::asaas::decimal_json(p.value);
    let description = p
        .description
        .as_deref()
        .map(|d| format!("<p class=\"description\">{}</p>\n", escape(d)))
        .unwrap_or_default();
    let facts = format!(
        "<p>Valor: <strong>R$ <span id=\"value\">{}</span></strong></p>\n{description}<p>Vencimento: <span id=\"due-date\">{}</span></p>\n<p>Situação: <span id=\"status\">{}</span></p>",
        value.get(),
        p.due_date,
        if p.deleted {
            "DELETED"
        } else {
            p.status.as_str()
        },
    );
    let form = if p.is_open() {
        "\n<form method=\"post\">\n<label><input type=\"radio\" name=\"billingType\" value=\"PIX\" checked> Pix</label>\n<label><input type=\"radio\" name=\"billingType\" value=\"CREDIT_CARD\"> Cartão de crédito</label>\n<button type=\"submit\">Pagar</button>\n</form>"
    } else {
        ""
    };
    html(
        StatusCode::OK,
        &format!("Cobrança {}", p.id),
        &format!("{facts}{form}"),
    )
}

async fn pay(
    State(fake): State<Arc<AsaasFake>>,
    Path(number): Path<String>,
    form: Bytes,
) -> Response {
    let Some(id) = payment_id(&number) else {
        return not_found_page();
    };
    let choice = match billing_type(&form).as_deref() {
        None | Some("PIX") => "PIX",
        Some("CREDIT_CARD") => "CREDIT_CARD",
        Some(other) => {
            return html(
                StatusCode::BAD_REQUEST,
                "Forma de pagamento inválida",
                &format!(
                    "<p>billingType: {} não é PIX nem CREDIT_CARD.</p>",
                    escape(other)
                ),
            );
        }
    };
    match fake.settle_as(&id, Some(choice)) {
        Ok(_) => html(
            StatusCode::OK,
            "Pagamento confirmado",
            &format!(
                "<p>Cobrança <span id=\"payment\">{id}</span> paga com <span id=\"billing-type\">{choice}</span>.</p>"
            ),
        ),
        Err(SandboxError::NotFound(_)) => not_found_page(),
        Err(SandboxError::Conflict(why)) => html(
            StatusCode::CONFLICT,
            "Cobrança não pode ser paga",
            &format!("<p>{}</p>", escape(&why)),
        ),
    }
}

/// The form's `billingType`, if it has one (none: Pix).
fn billing_type(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "billingType")
        .map(|(_, v)| v.into_owned())
}
