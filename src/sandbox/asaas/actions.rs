//! The Asaas fake's other payment actions and its webhook configuration, as Asaas's API
//! reference (docs.asaas.com) describes them:
//! - `POST /v3/payments/{id}/restore` ("Restaurar cobrança removida"): a removed payment comes
//!   back as it was; `PAYMENT_RESTORED`.
//! - `POST /v3/payments/{id}/receiveInCash` ("Confirmar recebimento em dinheiro"):
//!   `paymentDate` and `value` required; an open payment becomes `RECEIVED_IN_CASH`, with
//!   `PAYMENT_RECEIVED`.
//! - `GET /v3/payments/{id}/refunds` ("Listar estornos de uma cobrança"): the refunds, in
//!   Asaas's list envelope.
//! - `/v3/webhooks` ("Criar novo Webhook", list, get, update, remove): `name`, `url` and
//!   `sendType` required; answers carry `hasAuthToken`, never the token. The fake delivers to
//!   the first enabled, not interrupted configuration (with its `authToken` in
//!   `asaas-access-token`), else to the URL registered with the sandbox's control API. Event
//!   filters are stored and shown, not applied.

use serde_json::json;

use super::*;

/// A webhook configured with `POST /v3/webhooks`.
pub(super) struct WebhookConfig {
    id: String,
    name: String,
    url: String,
    email: Option<String>,
    enabled: bool,
    interrupted: bool,
    api_version: u32,
    auth_token: Option<String>,
    send_type: String,
    events: Vec<String>,
}

impl WebhookConfig {
    fn json(&self) -> serde_json::Value {
        json!({
            "object": "webhook",
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "email": self.email,
            "enabled": self.enabled,
            "interrupted": self.interrupted,
            "apiVersion": self.api_version,
            "hasAuthToken": self.auth_token.is_some(),
            "sendType": self.send_type,
            "events": self.events,
        })
    }
}

/// Where the fake's webhooks go and the token they carry, when one is configured.
pub(super) fn delivery(hooks: &[WebhookConfig]) -> Option<(&str, Option<&str>)> {
    hooks
        .iter()
        .find(|h| h.enabled && !h.interrupted)
        .map(|h| (h.url.as_str(), h.auth_token.as_deref()))
}

/// `Ok` when `allowed`, else Asaas's 400 `invalid_action` saying why.
pub(super) fn allowed(allowed: bool, why: &str) -> Result<(), AsaasError> {
    if allowed {
        Ok(())
    } else {
        Err(bad_request("invalid_action", why))
    }
}

/// Changes payment `id` with `change` when `check` allows it, sends `event` about it and
/// returns what the payment now is.
pub(super) fn update_payment(
    fake: &AsaasFake,
    id: &str,
    check: impl FnOnce(&FakePayment) -> Result<(), AsaasError>,
    change: impl FnOnce(&mut FakePayment),
    event: &str,
) -> Result<views::PaymentView, AsaasError> {
    let mut ledger = fake.ledger();
    check(ledger.payments.get(id).ok_or_else(not_found)?)?;
    let seq = ledger.next_event();
    let mut payment = ledger.payments.get_mut(id).ok_or_else(not_found)?;
    change(&mut payment);
    let webhook = fake.webhook(seq, event, &payment);
    let answer = view(&payment);
    drop(payment);
    drop(ledger);
    fake.send(vec![webhook]);
    Ok(answer)
}

pub(super) async fn restore_payment(State(fake): Fake, Path(id): Path<String>) -> Reply {
    let answer = update_payment(
        &fake,
        &id,
        |p| allowed(p.deleted, "Só é possível restaurar cobranças removidas."),
        |p| p.deleted = false,
        "PAYMENT_RESTORED",
    )?;
    Ok(json_reply(&answer))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiveInCashBody {
    #[serde(default)]
    payment_date: Option<String>,
    #[serde(default)]
    value: Option<Box<RawValue>>,
    #[serde(default)]
    #[allow(dead_code)]
    notify_customer: Option<bool>,
}

pub(super) async fn receive_in_cash(
    State(fake): Fake,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let req: ReceiveInCashBody = body(&bytes)?;
    let format = format_description!("[year]-[month]-[day]");
    let date = req
        .payment_date
        .filter(|d| Date::parse(d, format).is_ok())
        .ok_or_else(|| {
            bad_request(
                "invalid_paymentDate",
                "Informe a data de recebimento (AAAA-MM-DD).",
            )
        })?;
    amount(req.value.as_deref())?
        .ok_or_else(|| bad_request("invalid_value", "Informe o valor recebido."))?;
    let answer = update_payment(
        &fake,
        &id,
        |p| {
            allowed(
                p.is_open(),
                "Só é possível confirmar o recebimento de cobranças aguardando pagamento ou vencidas.",
            )
        },
        |p| {
            p.status = PaymentStatus::ReceivedInCash;
            p.payment_date = Some(date);
        },
        "PAYMENT_RECEIVED",
    )?;
    Ok(json_reply(&answer))
}

pub(super) async fn list_refunds(
    State(fake): Fake,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Reply {
    let ledger = fake.ledger();
    let payment = ledger.payments.get(&id).ok_or_else(not_found)?;
    Ok(json_reply(&page(views::refund_views(payment), &q)?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebhookBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    interrupted: Option<bool>,
    #[serde(default)]
    api_version: Option<u32>,
    #[serde(default)]
    auth_token: Option<String>,
    #[serde(default)]
    send_type: Option<String>,
    #[serde(default)]
    events: Option<Vec<String>>,
}

/// Applies `req` to `hook`; `create` requires what Asaas requires of a new one.
fn apply(hook: &mut WebhookConfig, req: WebhookBody, create: bool) -> Result<(), AsaasError> {
    match req.name.map(|n| n.trim().to_string()) {
        Some(n) if !n.is_empty() => hook.name = n,
        Some(_) => return Err(bad_request("invalid_name", "Informe o nome do Webhook.")),
        None if create => return Err(bad_request("invalid_name", "Informe o nome do Webhook.")),
        None => {}
    }
    match req.url {
        Some(u) if crate::sandbox::server::parse_webhook_url(&u).is_ok() => hook.url = u,
        Some(_) => return Err(bad_request("invalid_url", "Informe uma URL válida.")),
        None if create => return Err(bad_request("invalid_url", "Informe uma URL válida.")),
        None => {}
    }
    match req.send_type.as_deref() {
        Some(t @ ("SEQUENTIALLY" | "NON_SEQUENTIALLY")) => hook.send_type = t.to_string(),
        Some(_) | None if create || req.send_type.is_some() => {
            return Err(bad_request(
                "invalid_sendType",
                "Informe o tipo de envio: SEQUENTIALLY ou NON_SEQUENTIALLY.",
            ));
        }
        _ => {}
    }
    if let Some(e) = req.email {
        hook.email = Some(e);
    }
    if let Some(e) = req.enabled {
        hook.enabled = e;
    }
    if let Some(i) = req.interrupted {
        hook.interrupted = i;
    }
    if let Some(v) = req.api_version {
        hook.api_version = v;
    }
    if let Some(t) = req.auth_token {
        hook.auth_token = Some(t);
    }
    if let Some(e) = req.events {
        hook.events = e;
    }
    Ok(())
}

pub(super) async fn create_webhook(State(fake): Fake, bytes: Bytes) -> Reply {
    let req: WebhookBody = body(&bytes)?;
    let mut hook = WebhookConfig {
        id: String::new(),
        name: String::new(),
        url: String::new(),
        email: None,
        enabled: true,
        interrupted: false,
        api_version: 3,
        auth_token: None,
        send_type: String::new(),
        events: Vec::new(),
    };
    apply(&mut hook, req, true)?;
    let number = fake.ledger().next_id();
    hook.id = format!("wh_{number:012}");
    let answer = hook.json();
    fake.hooks().push(hook);
    Ok(json_reply(&answer))
}

pub(super) async fn list_webhooks(
    State(fake): Fake,
    Query(q): Query<HashMap<String, String>>,
) -> Reply {
    let all: Vec<serde_json::Value> = fake.hooks().iter().map(WebhookConfig::json).collect();
    Ok(json_reply(&page(all, &q)?))
}

pub(super) async fn get_webhook(State(fake): Fake, Path(id): Path<String>) -> Reply {
    let hooks = fake.hooks();
    let hook = hooks.iter().find(|h| h.id == id).ok_or_else(not_found)?;
    Ok(json_reply(&hook.json()))
}

pub(super) async fn update_webhook(
    State(fake): Fake,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Reply {
    let req: WebhookBody = body(&bytes)?;
    let mut hooks = fake.hooks();
    let hook = hooks
        .iter_mut()
        .find(|h| h.id == id)
        .ok_or_else(not_found)?;
    apply(hook, req, false)?;
    Ok(json_reply(&hook.json()))
}

pub(super) async fn delete_webhook(State(fake): Fake, Path(id): Path<String>) -> Reply {
    let mut hooks = fake.hooks();
    let before = hooks.len();
    hooks.retain(|h| h.id != id);
    if hooks.len() == before {
        return Err(not_found());
    }
    Ok(json_reply(&json!({"deleted": true, "id": id})))
}
