//! The Efí fake's API Cobranças, for payment links: `POST /v1/authorize` (the same sandbox
//! credentials, Basic auth), `POST /v1/charge/one-step/link`, `GET /v1/charge/{id}`,
//! `PUT /v1/charge/{id}/cancel`, `GET /v1/charges` (by `custom_id`), `GET /v1/notification/{token}`,
//! and the hosted page `GET|POST /efi/pagamento/{id}` a test pays (Efí's is
//! `https://pagamento.gerencianet.com.br/…`). Shapes from Efí's SDKs' method docs
//! (efipay/sdk-node-apis-efi) and Efí's "Link de pagamento" and "Notificações" pages:
//! answers wrapped in `{"code":200,"data":…}`, errors `{"code","error","error_description"}`.
//!
//! Behaviour, where the fake chooses:
//! - Every status change (creation `link`, the payer's choice `waiting`, `paid`, `canceled`,
//!   `expired`) is kept in the charge's history with an increasing id; after each change but
//!   the creation the fake POSTs `notification=<token>` (form) to the charge's `metadata.notification_url`, and
//!   `GET /v1/notification/{token}` answers the whole history of that charge, as Efí does. A
//!   token the fake never issued answers 404.
//! - `POST /efi/v1/sandbox/charge/{id}/expire` expires an open link (the fake's own route: Efí
//!   expires a link at the end of its `expire_at` day; the fake has no timers).
//! - A link's charge is listed under `charge_type=billet` while open or paid by boleto, under
//!   `card` once paid by card; `begin_date`/`end_date` are required.
//! - At most the context's `max_objects` charges are kept; past it the oldest one no longer
//!   open goes.

use super::*;

use crate::sandbox::bounded::Bounded;
use crate::sandbox::{host_of, html_escape as escape, html_page};

/// The fake's first charge id (Efí's are plain integers).
const FIRST_CHARGE_ID: u64 = 3_000_001;

/// One status change.
#[derive(Clone, Debug)]
struct Change {
    id: u64,
    current: &'static str,
    previous: Option<&'static str>,
    at: Timestamp,
}

/// A payment link's charge.
#[derive(Clone, Debug)]
pub(super) struct LinkCharge {
    id: u64,
    total: i64,
    name: String,
    custom_id: Option<String>,
    notification_url: Option<String>,
    expire_at: String,
    payment_url: String,
    status: &'static str,
    /// `billet` or `card`, once the payer chose.
    paid_with: Option<&'static str>,
    created_at: Timestamp,
    history: Vec<Change>,
    /// The secret part of this charge's notification tokens.
    token_secret: String,
}

impl LinkCharge {
    fn is_open(&self) -> bool {
        self.status == "link"
    }

    fn token(&self) -> String {
        format!("{}-{}", self.token_secret, self.id)
    }

    pub(super) fn json(&self) -> Value {
        json!({
            "charge_id": self.id,
            "total": self.total,
            "status": self.status,
            "custom_id": self.custom_id,
            "created_at": brasilia(self.created_at),
            "notification_url": self.notification_url,
            "items": [{"name": self.name, "value": self.total, "amount": 1}],
            "history": self.history.iter().map(|c| json!({
                "message": format!("Status alterado para {}", c.current),
                "created_at": brasilia(c.at),
            })).collect::<Vec<_>>(),
            "link": {
                "billet_discount": null, "card_discount": null,
                "conditional_discount_value": null, "conditional_discount_type": null,
                "conditional_discount_date": null, "message": null,
                "expire_at": self.expire_at,
                "request_delivery_address": false,
                "payment_method": "all",
                "payment_url": self.payment_url,
            },
        })
    }
}

/// The fake's link charges.
pub(super) struct LinkBook {
    charges: Bounded<u64, LinkCharge>,
    next_id: u64,
    next_change: u64,
}

impl LinkBook {
    pub(super) fn new(capacity: usize) -> Self {
        LinkBook {
            charges: Bounded::new(capacity, |c: &LinkCharge| !c.is_open()),
            next_id: FIRST_CHARGE_ID,
            next_change: 1,
        }
    }

    /// Moves `id` to `status` with a history entry; the charge as it now is.
    fn change(&mut self, id: u64, status: &'static str, at: Timestamp) -> Option<LinkCharge> {
        let change = self.next_change;
        self.next_change += 1;
        self.charges.update(&id, |c| {
            c.history.push(Change {
                id: change,
                current: status,
                previous: Some(c.status),
                at,
            });
            c.status = status;
            c.clone()
        })
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &LinkCharge> {
        self.charges.values()
    }
}

fn brasilia(at: Timestamp) -> String {
    let t = at
        .to_offset_date_time()
        .to_offset(crate::gateway::asaas::BRASILIA);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Cobranças's error shape.
fn cobranca_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(
            json!({"code": status.as_u16(), "error": error, "error_description": description}),
        ),
    )
        .into_response()
}

fn not_found() -> Response {
    cobranca_error(
        StatusCode::NOT_FOUND,
        "charge_not_found",
        "Transação não encontrada",
    )
}

fn validation(description: &str) -> Response {
    cobranca_error(StatusCode::BAD_REQUEST, "validation_error", description)
}

fn ok(data: Value) -> Response {
    axum::Json(json!({"code": 200, "data": data})).into_response()
}

pub(super) fn router() -> Router<Arc<EfiFake>> {
    Router::new()
        .route("/v1/authorize", post(EfiFake::token))
        .route("/v1/charge/one-step/link", post(create))
        .route("/v1/charge/{id}", get(read))
        .route("/v1/charge/{id}/cancel", put(cancel))
        .route("/v1/charges", get(list))
        .route("/v1/notification/{token}", get(notification))
        .route("/v1/sandbox/charge/{id}/expire", post(expire))
        .route("/pagamento/{id}", get(show).post(pay_page))
}

/// What a one-step link body asks for.
struct NewLink {
    name: String,
    total: i64,
    custom_id: Option<String>,
    notification_url: Option<String>,
    expire_at: String,
}

/// The body of `POST /v1/charge/one-step/link`, checked as Efí's schema says.
fn parse_link(body: &Value) -> Result<NewLink, String> {
    let items = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|i| !i.is_empty())
        .ok_or("items: pelo menos um item é obrigatório")?;
    let mut total: i64 = 0;
    let mut name = String::new();
    for (n, item) in items.iter().enumerate() {
        let item_name = item
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty() && s.chars().count() <= 255)
            .ok_or(format!("items[{n}].name: obrigatório, até 255 caracteres"))?;
        let value = item
            .get("value")
            .and_then(Value::as_i64)
            .filter(|v| *v > 0)
            .ok_or(format!(
                "items[{n}].value: inteiro em centavos, maior que zero"
            ))?;
        let amount = item
            .get("amount")
            .map_or(Some(1), Value::as_i64)
            .filter(|a| *a >= 1)
            .ok_or(format!("items[{n}].amount: inteiro maior que zero"))?;
        total = value
            .checked_mul(amount)
            .and_then(|v| total.checked_add(v))
            .ok_or("items: total grande demais")?;
        if n == 0 {
            name = item_name.to_string();
        }
    }
    let settings = body.get("settings").ok_or("settings: obrigatório")?;
    let expire_at = settings
        .get("expire_at")
        .and_then(Value::as_str)
        .filter(|d| crate::gateway::asaas::end_of_brasilia_day(d).is_some())
        .ok_or("settings.expire_at: data YYYY-MM-DD obrigatória")?
        .to_string();
    match settings.get("payment_method").and_then(Value::as_str) {
        Some("banking_billet" | "credit_card" | "all") => {}
        _ => return Err("settings.payment_method: banking_billet, credit_card ou all".into()),
    }
    if !settings
        .get("request_delivery_address")
        .is_some_and(Value::is_boolean)
    {
        return Err("settings.request_delivery_address: booleano obrigatório".into());
    }
    let metadata = body.get("metadata");
    let text = |field: &str| {
        metadata
            .and_then(|m| m.get(field))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let notification_url = text("notification_url");
    if let Some(url) = &notification_url
        && reqwest::Url::parse(url).is_err()
    {
        return Err("metadata.notification_url: URL inválida".into());
    }
    Ok(NewLink {
        name,
        total,
        custom_id: text("custom_id"),
        notification_url,
        expire_at,
    })
}

async fn create(
    State(fake): State<Arc<EfiFake>>,
    headers: HeaderMap,
    AuthorizedJson(body): AuthorizedJson,
) -> Response {
    let NewLink {
        name,
        total,
        custom_id,
        notification_url,
        expire_at,
    } = match parse_link(&body) {
        Ok(v) => v,
        Err(why) => return validation(&why),
    };
    let now = fake.now();
    let charge = {
        let mut book = fake.links();
        if book.charges.has_room().is_err() {
            return cobranca_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit",
                "Limite de cobranças abertas do sandbox atingido",
            );
        }
        let id = book.next_id;
        book.next_id += 1;
        let change = book.next_change;
        book.next_change += 1;
        let charge = LinkCharge {
            id,
            total,
            name,
            custom_id,
            notification_url,
            expire_at,
            payment_url: format!(
                "http://{}/{}/pagamento/{id}",
                host_of(&headers),
                GatewayId::Efi
            ),
            status: "link",
            paid_with: None,
            created_at: now,
            history: vec![Change {
                id: change,
                current: "link",
                previous: None,
                at: now,
            }],
            token_secret: random_alnum(24),
        };
        if book.charges.insert(id, charge.clone()).is_err() {
            return cobranca_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit",
                "Limite de cobranças abertas do sandbox atingido",
            );
        }
        charge
    };
    // No notification for the creation: the one who made it has the answer.
    ok(json!({
        "charge_id": charge.id,
        "status": charge.status,
        "total": charge.total,
        "custom_id": charge.custom_id,
        "payment_url": charge.payment_url,
        "payment_method": "all",
        "billet_discount": null,
        "card_discount": null,
        "conditional_discount_value": null,
        "conditional_discount_type": null,
        "conditional_discount_date": null,
        "request_delivery_address": false,
        "message": null,
        "expire_at": charge.expire_at,
        "created_at": brasilia(charge.created_at),
    }))
}

fn charge_id(raw: &str) -> Option<u64> {
    (!raw.is_empty() && raw.len() <= 19 && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse().ok())
        .flatten()
}

async fn read(
    State(fake): State<Arc<EfiFake>>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Response {
    let book = fake.links();
    match charge_id(&id).and_then(|id| book.charges.get(&id)) {
        Some(c) => ok(c.json()),
        None => not_found(),
    }
}

async fn cancel(
    State(fake): State<Arc<EfiFake>>,
    _auth: Authorized,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = charge_id(&id) else {
        return not_found();
    };
    match fake.end_link(id, "canceled") {
        Ok(_) => axum::Json(json!({"code": 200})).into_response(),
        Err(r) => *r,
    }
}

async fn expire(State(fake): State<Arc<EfiFake>>, Path(id): Path<String>) -> Response {
    let Some(id) = charge_id(&id) else {
        return not_found();
    };
    match fake.end_link(id, "expired") {
        Ok(c) => ok(c.json()),
        Err(r) => *r,
    }
}

async fn list(
    State(fake): State<Arc<EfiFake>>,
    _auth: Authorized,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    for field in ["charge_type", "begin_date", "end_date"] {
        if q.get(field).is_none_or(|v| v.is_empty()) {
            return validation(&format!("{field}: obrigatório"));
        }
    }
    let kind = q["charge_type"].as_str();
    if !matches!(kind, "billet" | "card" | "carnet" | "subscription") {
        return validation("charge_type: billet, card, carnet ou subscription");
    }
    let (Some(begin), Some(end)) = (
        crate::gateway::asaas::brasilia_time(&format!("{} 00:00:00", q["begin_date"])),
        crate::gateway::asaas::end_of_brasilia_day(&q["end_date"]),
    ) else {
        return validation("begin_date, end_date: datas YYYY-MM-DD");
    };
    let book = fake.links();
    let data: Vec<Value> = book
        .values()
        .filter(|c| c.paid_with.unwrap_or("billet") == kind)
        .filter(|c| begin <= c.created_at && c.created_at <= end)
        .filter(|c| {
            q.get("custom_id")
                .is_none_or(|w| c.custom_id.as_deref() == Some(w))
        })
        .filter(|c| q.get("status").is_none_or(|w| c.status == w))
        .map(|c| {
            json!({"id": c.id, "total": c.total, "status": c.status, "custom_id": c.custom_id,
                   "created_at": brasilia(c.created_at)})
        })
        .collect();
    ok(Value::Array(data))
}

async fn notification(
    State(fake): State<Arc<EfiFake>>,
    _auth: Authorized,
    Path(token): Path<String>,
) -> Response {
    let unknown = || {
        cobranca_error(
            StatusCode::NOT_FOUND,
            "notification_not_found",
            "Token de notificação não encontrado",
        )
    };
    let Some((secret, id)) = token.rsplit_once('-') else {
        return unknown();
    };
    let book = fake.links();
    let Some(c) = charge_id(id).and_then(|id| book.charges.get(&id)) else {
        return unknown();
    };
    if c.token_secret != secret {
        return unknown();
    }
    let data: Vec<Value> = c
        .history
        .iter()
        .map(|h| {
            let mut entry = json!({
                "id": h.id,
                "type": "charge",
                "custom_id": c.custom_id,
                "status": {"current": h.current, "previous": h.previous},
                "identifiers": {"charge_id": c.id},
                "created_at": brasilia(h.at),
            });
            if h.current == "paid" {
                entry["value"] = json!(c.total);
                entry["received_by_bank_at"] = json!(brasilia(h.at)[..10]);
            }
            entry
        })
        .collect();
    ok(Value::Array(data))
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    html_page(status, "pt-BR", title, body)
}

fn page_not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Link não encontrado",
        "<p>Não há cobrança com este link.</p>",
    )
}

async fn show(State(fake): State<Arc<EfiFake>>, Path(id): Path<String>) -> Response {
    let book = fake.links();
    let Some(c) = charge_id(&id).and_then(|id| book.charges.get(&id)) else {
        return page_not_found();
    };
    let value = crate::gateway::asaas::decimal_json(c.total);
    let form = if c.is_open() {
        "\n<form method=\"post\">\n<label><input type=\"radio\" name=\"payment_method\" value=\"banking_billet\" checked> Boleto / Pix</label>\n<label><input type=\"radio\" name=\"payment_method\" value=\"credit_card\"> Cartão de crédito</label>\n<button type=\"submit\">Pagar</button>\n</form>"
    } else {
        ""
    };
    page(
        StatusCode::OK,
        &format!("Cobrança {}", c.id),
        &format!(
            "<p>Valor: <strong>R$ <span id=\"value\">{}</span></strong></p>\n<p class=\"description\">{}</p>\n<p>Vencimento: <span id=\"expire-at\">{}</span></p>\n<p>Situação: <span id=\"status\">{}</span></p>{form}",
            value.get(),
            escape(&c.name),
            c.expire_at,
            c.status
        ),
    )
}

async fn pay_page(
    State(fake): State<Arc<EfiFake>>,
    Path(id): Path<String>,
    form: Bytes,
) -> Response {
    let Some(id) = charge_id(&id) else {
        return page_not_found();
    };
    let choice = form_urlencoded::parse(&form)
        .find(|(k, _)| k == "payment_method")
        .map(|(_, v)| v.into_owned());
    let with = match choice.as_deref() {
        None | Some("banking_billet") => "billet",
        Some("credit_card") => "card",
        Some(other) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Forma de pagamento inválida",
                &format!(
                    "<p>payment_method: {} não é banking_billet nem credit_card.</p>",
                    escape(other)
                ),
            );
        }
    };
    match fake.pay_link(id, with) {
        Ok(c) => page(
            StatusCode::OK,
            "Pagamento confirmado",
            &format!(
                "<p>Cobrança <span id=\"charge\">{}</span> paga com <span id=\"payment-method\">{with}</span>.</p>",
                c.id
            ),
        ),
        Err(SandboxError::NotFound(_)) => page_not_found(),
        Err(SandboxError::Conflict(why)) => page(
            StatusCode::CONFLICT,
            "Cobrança não pode ser paga",
            &format!("<p>{}</p>", escape(&why)),
        ),
    }
}

impl EfiFake {
    pub(super) fn links(&self) -> MutexGuard<'_, LinkBook> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// POSTs `notification=<token>` to the charge's `notification_url`, if it has one.
    fn notify_link(&self, charge: &LinkCharge) {
        let Some(url) = charge
            .notification_url
            .as_deref()
            .and_then(|u| reqwest::Url::parse(u).ok())
        else {
            return;
        };
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("notification", &charge.token())
            .finish();
        self.ctx.send_webhook(
            GatewayId::Efi,
            OutboundWebhook {
                headers: vec![(
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                )],
                body: body.into_bytes(),
                query: None,
                url: Some(url),
            },
        );
    }

    /// Cancels or expires an open link.
    fn end_link(&self, id: u64, status: &'static str) -> Result<LinkCharge, Box<Response>> {
        let now = self.now();
        let charge = {
            let mut book = self.links();
            let Some(c) = book.charges.get(&id) else {
                return Err(Box::new(not_found()));
            };
            if !c.is_open() {
                return Err(Box::new(cobranca_error(
                    StatusCode::BAD_REQUEST,
                    "charge_status_not_allowed",
                    &format!("A transação está {} e não pode ser alterada", c.status),
                )));
            }
            book.change(id, status, now)
                .ok_or_else(|| Box::new(not_found()))?
        };
        self.notify_link(&charge);
        Ok(charge)
    }

    /// The payer chose `with` (`billet` or `card`) on the page and paid: `waiting`, then
    /// `paid`, then one notification (its history holds both).
    pub(super) fn pay_link(&self, id: u64, with: &'static str) -> Result<LinkCharge, SandboxError> {
        let now = self.now();
        let charge = {
            let mut book = self.links();
            let Some(c) = book.charges.get(&id) else {
                return Err(SandboxError::NotFound(format!("no Efí charge {id}")));
            };
            if !c.is_open() {
                return Err(SandboxError::Conflict(format!(
                    "Efí charge {id} is {}, only an open link can be paid",
                    c.status
                )));
            }
            book.charges.update(&id, |c| c.paid_with = Some(with));
            book.change(id, "waiting", now);
            book.change(id, "paid", now)
                .ok_or_else(|| SandboxError::NotFound(format!("no Efí charge {id}")))?
        };
        self.notify_link(&charge);
        Ok(charge)
    }

    pub(super) fn link_json(&self) -> Vec<Value> {
        self.links().values().map(LinkCharge::json).collect()
    }
}
