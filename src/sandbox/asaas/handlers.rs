//! The Asaas fake's HTTP handlers: the `access_token` guard, customers, payments, Pix QR,
//! boleto identification field, refunds and the sandbox's own confirm endpoint.

use super::*;

pub(super) type Fake = State<Arc<AsaasFake>>;

/// Asaas's gate: a User-Agent, no body on GET, the right access token.
pub(super) async fn guard(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let has_body = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() != "0")
        || headers.contains_key(header::TRANSFER_ENCODING);
    if req.method() == Method::GET && has_body {
        return StatusCode::FORBIDDEN.into_response();
    }
    if headers
        .get(header::USER_AGENT)
        .is_none_or(|v| v.as_bytes().iter().all(u8::is_ascii_whitespace))
    {
        return bad_request(
            "invalid_user_agent",
            "O cabeçalho User-Agent é obrigatório.",
        )
        .into_response();
    }
    match headers.get(ACCESS_TOKEN_HEADER) {
        None => error(
            StatusCode::UNAUTHORIZED,
            "access_token_not_found",
            "O cabeçalho de autenticação 'access_token' é obrigatório e não foi encontrado na requisição",
        )
        .into_response(),
        Some(key) if key.as_bytes() != SANDBOX_API_KEY.as_bytes() => error(
            StatusCode::UNAUTHORIZED,
            "invalid_access_token",
            "A chave de API fornecida é inválida",
        )
        .into_response(),
        Some(_) => next.run(req).await,
    }
}

pub(super) async fn list_customers(
    State(fake): Fake,
    Query(q): Query<HashMap<String, String>>,
) -> Reply {
    let wanted = q.get("cpfCnpj").map(|d| {
        d.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_uppercase()
    });
    let ledger = fake.ledger();
    let found: Vec<CustomerView> = ledger
        .customers
        .values()
        .filter(|c| wanted.as_ref().is_none_or(|w| *w == c.cpf_cnpj))
        .filter(|c| q.get("email").is_none_or(|e| c.email.as_ref() == Some(e)))
        .map(customer_view)
        .collect();
    Ok(json_reply(&page(found, &q)?))
}

pub(super) async fn create_customer(State(fake): Fake, bytes: Bytes) -> Reply {
    let req: NewCustomerBody = body(&bytes)?;
    let name = req
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| bad_request("invalid_name", "O nome do cliente deve ser informado."))?;
    let document = req
        .cpf_cnpj
        .as_deref()
        .and_then(|d| Document::parse(d, Currency::Brl).ok())
        .filter(|d| matches!(d.kind, DocumentKind::Cpf | DocumentKind::Cnpj))
        .ok_or_else(|| bad_request("invalid_cpfCnpj", "O CPF/CNPJ informado é inválido."))?;
    let date_created = fake.today();
    let mut ledger = fake.ledger();
    let id = format!("cus_{:012}", ledger.next_id());
    let customer = FakeCustomer {
        id,
        name,
        cpf_cnpj: document.number,
        email: req.email.filter(|e| !e.trim().is_empty()),
        date_created,
        fields: req.fields,
    };
    let answer = customer_view(&customer);
    // Customers are always evictable: this never fails.
    let _ = ledger.customers.insert(customer.id.clone(), customer);
    Ok(json_reply(&answer))
}

pub(super) async fn create_payment(
    State(fake): Fake,
    headers: axum::http::HeaderMap,
    bytes: Bytes,
) -> Reply {
    let req: NewPaymentBody = body(&bytes)?;
    // Asaas's sandbox checks the customer before anything else: an empty body answers
    // `invalid_customer`, not a missing billingType or value.
    let customer = {
        let ledger = fake.ledger();
        req.customer
            .clone()
            .filter(|c| ledger.customers.contains_key(c))
    }
    .ok_or_else(|| bad_request("invalid_customer", "Customer inválido ou não informado."))?;
    // Asaas's reference ("Criar nova cobrança", billingType): UNDEFINED lets the payer
    // choose on the invoice page; the fake settles it like a Pix.
    let billing_type = match req.billing_type.as_deref() {
        Some(t @ ("PIX" | "BOLETO" | "CREDIT_CARD" | "UNDEFINED")) => t.to_string(),
        _ => {
            return Err(bad_request(
                "invalid_billingType",
                "Informe uma forma de pagamento válida: PIX, BOLETO, CREDIT_CARD ou UNDEFINED.",
            ));
        }
    };
    let value = amount(req.value.as_deref())?
        .ok_or_else(|| bad_request("invalid_value", "O valor da cobrança deve ser informado."))?;
    let terms = terms(req.discount, req.fine, req.interest)?;
    let today = fake.today();
    let format = format_description!("[year]-[month]-[day]");
    let due = req
        .due_date
        .as_deref()
        .and_then(|d| Date::parse(d, format).ok())
        .ok_or_else(|| {
            bad_request(
                "invalid_dueDate",
                "Informe uma data de vencimento válida (AAAA-MM-DD).",
            )
        })?;
    if Date::parse(&today, format).is_ok_and(|t| due < t) {
        return Err(bad_request(
            "invalid_dueDate",
            "Não é permitido data de vencimento inferior a hoje.",
        ));
    }
    let token = req.credit_card_token.filter(|t| !t.trim().is_empty());
    let card_now = billing_type == "CREDIT_CARD" && token.is_some();
    if card_now {
        if req
            .remote_ip
            .as_deref()
            .is_none_or(|ip| ip.trim().parse::<IpAddr>().is_err())
        {
            return Err(bad_request(
                "invalid_remoteIp",
                "O IP de onde o cliente está fazendo a compra deve ser informado.",
            ));
        }
        if token.as_deref() == Some(DECLINED_CARD_TOKEN) {
            return Err(bad_request(CARD_REFUSED_CODE, CARD_REFUSED));
        }
    }
    let mut ledger = fake.ledger();
    let number = ledger.next_id();
    let payment = FakePayment {
        id: format!("pay_{number:012}"),
        number,
        invoice_url: invoice_url(&headers, number),
        customer,
        billing_type,
        value,
        status: if card_now {
            PaymentStatus::paid(true)
        } else {
            PaymentStatus::Pending
        },
        due_date: due.to_string(),
        date_created: today.clone(),
        description: req.description,
        external_reference: req.external_reference,
        deleted: false,
        payment_date: card_now.then_some(today),
        credit_card_token: token.filter(|_| card_now),
        refunds: vec![],
        terms,
    };
    let mut webhooks = vec![fake.webhook(ledger.next_event(), "PAYMENT_CREATED", &payment)];
    if card_now {
        webhooks.push(fake.webhook(ledger.next_event(), "PAYMENT_CONFIRMED", &payment));
    }
    let answer = view(&payment);
    ledger
        .payments
        .insert(payment.id.clone(), payment)
        .map_err(too_many_payments)?;
    drop(ledger);
    fake.send(webhooks);
    Ok(json_reply(&answer))
}

pub(super) async fn list_payments(
    State(fake): Fake,
    Query(q): Query<HashMap<String, String>>,
) -> Reply {
    let ledger = fake.ledger();
    let matches =
        |field: &str, value: Option<&String>| q.get(field).is_none_or(|w| Some(w) == value);
    let found: Vec<PaymentView> = ledger
        .payments
        .values()
        .filter(|p| !p.deleted)
        .filter(|p| matches("externalReference", p.external_reference.as_ref()))
        .filter(|p| matches("customer", Some(&p.customer)))
        .filter(|p| matches("billingType", Some(&p.billing_type)))
        .filter(|p| q.get("status").is_none_or(|w| w == p.status.as_str()))
        .map(view)
        .collect();
    Ok(json_reply(&page(found, &q)?))
}

pub(super) async fn get_payment(State(fake): Fake, Path(id): Path<String>) -> Reply {
    let ledger = fake.ledger();
    Ok(json_reply(&view(
        ledger.payments.get(&id).ok_or_else(not_found)?,
    )))
}

pub(super) async fn delete_payment(State(fake): Fake, Path(id): Path<String>) -> Reply {
    update_payment(
        &fake,
        &id,
        |p| {
            allowed(
                p.is_open(),
                "Só é possível remover cobranças aguardando pagamento ou vencidas.",
            )
        },
        |p| p.deleted = true,
        "PAYMENT_DELETED",
    )?;
    Ok(json_reply(&serde_json::json!({"deleted": true, "id": id})))
}

pub(super) async fn pix_qr_code(State(fake): Fake, Path(id): Path<String>) -> Reply {
    let (number, value, due_date) = {
        let ledger = fake.ledger();
        let p = ledger.payments.get(&id).ok_or_else(not_found)?;
        if p.deleted || p.billing_type == "CREDIT_CARD" {
            return Err(bad_request(
                "invalid_action",
                "Não é possível gerar QR Code Pix para esta cobrança.",
            ));
        }
        (p.number, p.value, p.due_date.clone())
    };
    let location = format!("pix-h.asaas.com/pixqrcode/cobv/{number:012}");
    let payload = BrCode::builder_dynamic(&location, "PAYORCH SANDBOX", "JOINVILLE")
        .amount_cents(value)
        .build()
        .map_err(|e| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                e.to_string(),
            )
        })?;
    let image = qr::png_base64(&payload)
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", e))?;
    Ok(json_reply(&serde_json::json!({
        "success": true,
        "encodedImage": image,
        "payload": payload,
        "expirationDate": format!("{due_date} 23:59:59"),
        "description": null,
    })))
}

pub(super) async fn identification_field(State(fake): Fake, Path(id): Path<String>) -> Reply {
    let ledger = fake.ledger();
    let p = ledger.payments.get(&id).ok_or_else(not_found)?;
    if p.deleted || p.billing_type != "BOLETO" {
        return Err(bad_request(
            "invalid_billingType",
            "A linha digitável só existe para cobranças por boleto.",
        ));
    }
    let (line, barcode) = boleto_line(p.number, p.value, &p.due_date);
    Ok(json_reply(&serde_json::json!({
        "identificationField": line,
        "nossoNumero": p.number.to_string(),
        "barCode": barcode,
    })))
}

pub(super) async fn refund_payment(
    State(fake): Fake,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let req: RefundBody = body(&bytes)?;
    let requested = amount(req.value.as_deref())?;
    let date_created = fake.now_text();
    let mut ledger = fake.ledger();
    let p = ledger.payments.get(&id).ok_or_else(not_found)?;
    if p.billing_type == "BOLETO" {
        return Err(bad_request(
            "invalid_action",
            "Boletos são estornados pelo formulário de estorno (bankSlip/refund).",
        ));
    }
    if p.deleted || !p.status.is_refundable() {
        return Err(bad_request(
            "invalid_action",
            "Só é possível estornar cobranças recebidas ou confirmadas.",
        ));
    }
    let remaining = p.value - p.refunded();
    let value = requested.unwrap_or(remaining);
    if value > remaining {
        return Err(bad_request(
            "invalid_value",
            "O valor do estorno não pode ultrapassar o valor disponível da cobrança.",
        ));
    }
    let seq = ledger.next_event();
    let mut payment = ledger.payments.get_mut(&id).ok_or_else(not_found)?;
    payment.refunds.push(FakeRefund {
        date_created,
        value,
        description: req.description,
        done: false,
    });
    let refund = payment.refunds.len() - 1;
    let webhook = fake.webhook(seq, "PAYMENT_REFUND_IN_PROGRESS", &payment);
    let answer = view(&payment);
    drop(payment);
    drop(ledger);
    fake.send(vec![webhook]);
    let delay = fake.ctx.asaas_refund_delay;
    if delay.is_zero() {
        fake.settle_refund(&id, refund);
    } else {
        let settler = fake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            settler.settle_refund(&id, refund);
        });
    }
    Ok(json_reply(&answer))
}

pub(super) async fn confirm_payment(State(fake): Fake, Path(id): Path<String>) -> Reply {
    match fake.settle(&id) {
        Ok(answer) => Ok(json_reply(&answer)),
        Err(SandboxError::NotFound(_)) => Err(not_found()),
        Err(SandboxError::Conflict(message)) => Err(bad_request("invalid_action", message)),
    }
}

pub(super) async fn no_such_endpoint() -> AsaasError {
    not_found()
}
