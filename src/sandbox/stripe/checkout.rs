//! The Stripe fake's Checkout Sessions (`mode=payment` with one `price_data` line item, the
//! shape payorch's payment links send) and their hosted page. Routes: `POST
//! /v1/checkout/sessions`, `GET /v1/checkout/sessions` (list, `created` filters, pagination),
//! `GET /v1/checkout/sessions/{id}` (expands `payment_intent`, `.latest_charge`,
//! `.latest_charge.balance_transaction`), `POST /v1/checkout/sessions/{id}/expire`. A session
//! has no payment intent until it is paid, as at Stripe.
//!
//! The page (`url`: `http://{host}/stripe/c/pay/{id}` on the host the session was created
//! through; Stripe's is `https://checkout.stripe.com/c/pay/{id}`) takes no API key: `GET`
//! shows the amount and, while the session is open, a form; `POST` with `payment_method=card`
//! pays at once (`checkout.session.completed` with `payment_status: paid`), `pix` pays the way
//! Stripe reports a method that settles later (`checkout.session.completed` unpaid, then
//! `checkout.session.async_payment_succeeded`). Each payment makes a succeeded intent carrying
//! `payment_intent_data[metadata]`, with its own `charge.succeeded` and
//! `payment_intent.succeeded`. A session past `expires_at` expires when next looked at, and an
//! expired one (that way or by `/expire`) sends `checkout.session.expired`.

use super::*;

const SESSION_PARAMS: &[&str] = &[
    "mode",
    "line_items[0][price_data][currency]",
    "line_items[0][price_data][unit_amount]",
    "line_items[0][price_data][product_data][name]",
    "line_items[0][quantity]",
    "payment_method_types[]",
    "expires_at",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "customer_email",
    "locale",
];
/// What a session's answer can expand.
pub(super) const SESSION_EXPANSIONS: &[&str] = &[
    "payment_intent",
    "payment_intent.latest_charge",
    "payment_intent.latest_charge.balance_transaction",
];
/// Stripe's window for `expires_at`, in seconds from creation.
const LIFETIME: std::ops::RangeInclusive<i64> = 1_800..=86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SessionStatus {
    Open,
    Complete,
    Expired,
}

impl SessionStatus {
    fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Complete => "complete",
            SessionStatus::Expired => "expired",
        }
    }
}

pub(super) struct Session {
    pub(super) id: String,
    created: i64,
    expires_at: i64,
    amount: i64,
    currency: String,
    name: String,
    pub(super) status: SessionStatus,
    paid: bool,
    method_types: Vec<String>,
    metadata: BTreeMap<String, String>,
    intent_metadata: BTreeMap<String, String>,
    client_reference_id: Option<String>,
    customer_email: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    pub(super) payment_intent: Option<String>,
    url: String,
}

impl Session {
    /// Nobody can act on it any more: paid, or expired (`sandbox::bounded`).
    pub(super) fn is_settled(&self) -> bool {
        self.paid || self.status == SessionStatus::Expired
    }

    /// Whether the payer may pay it by `method` (`card`, `pix`).
    pub(super) fn takes(&self, method: &str) -> bool {
        self.method_types.iter().any(|t| t == method)
    }

    /// The session as Stripe shows it, `payment_intent` as an id.
    pub(super) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "checkout.session",
            "amount_subtotal": self.amount,
            "amount_total": self.amount,
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "client_secret": null,
            "created": self.created,
            "currency": self.currency,
            "customer": null,
            "customer_email": self.customer_email,
            "expires_at": self.expires_at,
            "livemode": false,
            "locale": null,
            "metadata": self.metadata,
            "mode": "payment",
            "payment_intent": self.payment_intent,
            "payment_link": null,
            "payment_method_types": self.method_types,
            "payment_status": if self.paid { "paid" } else { "unpaid" },
            "status": self.status.as_str(),
            "success_url": self.success_url,
            "ui_mode": "hosted_page",
            // Stripe clears the URL once the session cannot be paid.
            "url": (self.status == SessionStatus::Open).then_some(&self.url),
        })
    }

    /// An open session past its `expires_at` expires. Returns the event to send.
    fn expire_if_due(&mut self, now: i64) -> Option<(&'static str, Value)> {
        (self.status == SessionStatus::Open && now >= self.expires_at).then(|| self.expire())
    }

    fn expire(&mut self) -> (&'static str, Value) {
        self.status = SessionStatus::Expired;
        ("checkout.session.expired", self.to_json())
    }
}

fn required<'a>(params: &'a Params, key: &str) -> Result<&'a str, ApiError> {
    param(params, key).ok_or_else(|| {
        ApiError::invalid(
            Some("parameter_missing"),
            format!("Missing required param: {key}."),
            Some(key),
        )
    })
}

fn positive(params: &Params, key: &str) -> Result<i64, ApiError> {
    let raw = required(params, key)?;
    raw.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::invalid(
            Some("parameter_invalid_integer"),
            format!("Invalid integer: {raw}. This value must be greater than or equal to 1."),
            Some(key),
        )
    })
}

/// `payment_intent_data[metadata][k]` pairs, which [`check_known`] would refuse.
fn intent_metadata(params: &mut Params) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    params.retain(|(k, v)| {
        match k
            .strip_prefix("payment_intent_data[metadata][")
            .and_then(|r| r.strip_suffix(']'))
        {
            Some(key) if !key.is_empty() => {
                out.insert(key.to_string(), v.clone());
                false
            }
            _ => true,
        }
    });
    out
}

impl Ledger {
    /// A session as `expand` shows it (`Null` if there is none).
    fn session_view(&self, id: &str, version: &ApiVersion, expand: &[String]) -> Value {
        let Some(session) = self.sessions.get(id) else {
            return Value::Null;
        };
        let mut body = session.to_json();
        if let Some(pi) = &session.payment_intent
            && expand.iter().any(|e| e.starts_with("payment_intent"))
        {
            let inner: Vec<String> = expand
                .iter()
                .filter_map(|e| e.strip_prefix("payment_intent."))
                .map(str::to_string)
                .collect();
            body["payment_intent"] = self.intent_view(pi, version, &inner);
        }
        body
    }
}

impl StripeFake {
    /// Looks a session up, expiring it first when it is due.
    fn with_session<T>(
        &self,
        ledger: &mut Ledger,
        id: &str,
        events: &mut Vec<(&'static str, Value)>,
        f: impl FnOnce(&mut Session) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let now = self.now();
        ledger
            .sessions
            .update(id, |session| {
                events.extend(session.expire_if_due(now));
                f(session)
            })
            .ok_or_else(|| ApiError::not_found("checkout.session", id, "session"))?
    }

    pub(super) fn create_session(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let now = self.now();
        let host = host_of(headers);
        let version = match ApiVersion::of(headers) {
            Ok(v) => v,
            Err(e) => return error_response(e),
        };
        self.post(headers, "POST /v1/checkout/sessions".into(), body, |ledger, params| {
            let mut params = params;
            let intent_metadata = intent_metadata(&mut params);
            check_known(&params, &[SESSION_PARAMS])?;
            let expand = expansions(&params, SESSION_EXPANSIONS)?;
            ledger.sessions.has_room().map_err(ApiError::full)?;
            match required(&params, "mode")? {
                "payment" => {}
                other => {
                    return Err(ApiError::invalid(
                        Some("parameter_invalid_string"),
                        format!("The sandbox takes only mode=payment, not `{other}`."),
                        Some("mode"),
                    ));
                }
            }
            let currency = required(&params, "line_items[0][price_data][currency]")?.to_ascii_lowercase();
            if !CURRENCIES.contains(&currency.as_str()) {
                return Err(ApiError::invalid(
                    None,
                    format!("Invalid currency: {currency}."),
                    Some("line_items[0][price_data][currency]"),
                ));
            }
            let unit = positive(&params, "line_items[0][price_data][unit_amount]")?;
            let quantity = positive(&params, "line_items[0][quantity]")?;
            let amount = unit.checked_mul(quantity).unwrap_or(i64::MAX);
            check_amount_limits(amount, &currency)?;
            let name = required(&params, "line_items[0][price_data][product_data][name]")?.to_string();
            let expires_at = match param(&params, "expires_at") {
                None => now + LIFETIME.end(),
                Some(raw) => {
                    let t = raw.parse::<i64>().map_err(|_| {
                        ApiError::invalid(Some("parameter_invalid_integer"), format!("Invalid integer: {raw}"), Some("expires_at"))
                    })?;
                    if !LIFETIME.contains(&(t - now)) {
                        return Err(ApiError::invalid(
                            None,
                            "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
                            Some("expires_at"),
                        ));
                    }
                    t
                }
            };
            let mut method_types: Vec<String> = list(&params, "payment_method_types")
                .into_iter()
                .map(str::to_string)
                .collect();
            if method_types.is_empty() {
                method_types.push("card".into());
                if currency == "brl" {
                    method_types.push("pix".into());
                }
            }
            if let Some(bad) = method_types.iter().find(|t| !matches!(t.as_str(), "card" | "pix")) {
                return Err(ApiError::invalid(
                    None,
                    format!("The payment method type provided: {bad} is invalid."),
                    Some("payment_method_types"),
                ));
            }
            if method_types.iter().any(|t| t == "pix") && currency != "brl" {
                return Err(ApiError::invalid(
                    None,
                    format!("The currency provided ({currency}) is invalid. Payment method type pix only supports brl."),
                    Some("payment_method_types"),
                ));
            }
            let id = format!("cs_test_{}", &random_id("x", 58)[2..]);
            let session = Session {
                url: format!("http://{host}/{}/c/pay/{id}", GatewayId::Stripe),
                id: id.clone(),
                created: now,
                expires_at,
                amount,
                currency,
                name,
                status: SessionStatus::Open,
                paid: false,
                method_types,
                metadata: metadata_of(&params),
                intent_metadata,
                client_reference_id: param(&params, "client_reference_id").map(str::to_string),
                customer_email: param(&params, "customer_email").map(str::to_string),
                success_url: param(&params, "success_url").map(str::to_string),
                cancel_url: param(&params, "cancel_url").map(str::to_string),
                payment_intent: None,
            };
            // Room was checked above: nothing is evicted unless settled.
            let _ = ledger.sessions.insert(id.clone(), session);
            Ok(Outcome { status: 200, body: ledger.session_view(&id, &version, &expand), events: Vec::new() })
        })
    }

    pub(super) fn retrieve_session(
        &self,
        headers: &HeaderMap,
        id: &str,
        query: Option<&str>,
    ) -> Response {
        let mut events = Vec::new();
        let found = (|| {
            let (version, params) = read_request(headers, query)?;
            check_known(&params, &[])?;
            let expand = expansions(&params, SESSION_EXPANSIONS)?;
            let mut ledger = self.ledger();
            self.with_session(&mut ledger, id, &mut events, |_| Ok(()))?;
            Ok(ledger.session_view(id, &version, &expand))
        })();
        self.send_events(events);
        match found {
            Ok(body) => respond(200, &body, false),
            Err(e) => error_response(e),
        }
    }

    /// `GET /v1/checkout/sessions`: newest first, `created` filters, pagination; filters
    /// `payment_intent`.
    pub(super) fn list_sessions(&self, headers: &HeaderMap, query: Option<&str>) -> Response {
        self.read(headers, query, |version, params, ledger| {
            check_list_params(params, &["payment_intent", "status"])?;
            let expand = list_expansions(params, SESSION_EXPANSIONS)?;
            let intent = param(params, "payment_intent");
            let items = ledger
                .sessions
                .values()
                .rev()
                .filter(|s| intent.is_none() || s.payment_intent.as_deref() == intent)
                .map(|s| Item {
                    id: s.id.clone(),
                    created: s.created,
                    body: ledger.session_view(&s.id, version, &expand),
                })
                .collect();
            page(items, params, "/v1/checkout/sessions", "checkout.session")
        })
    }

    pub(super) fn expire_session(&self, headers: &HeaderMap, id: &str, body: &[u8]) -> Response {
        let version = match ApiVersion::of(headers) {
            Ok(v) => v,
            Err(e) => return error_response(e),
        };
        let endpoint = format!("POST /v1/checkout/sessions/{id}/expire");
        self.post(headers, endpoint, body, |ledger, params| {
            check_known(&params, &[])?;
            let expand = expansions(&params, SESSION_EXPANSIONS)?;
            let mut events = Vec::new();
            let expired = self.with_session(ledger, id, &mut events, |session| {
                if session.status != SessionStatus::Open {
                    return Err(ApiError::invalid(
                        Some("checkout_session_unexpected_state"),
                        format!(
                            "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of {}.",
                            session.status.as_str()
                        ),
                        None,
                    ));
                }
                Ok(session.expire())
            });
            match expired {
                Ok(event) => events.push(event),
                // An expiry that came due just now is the answer's news too.
                Err(mut e) => {
                    e.events.append(&mut events);
                    return Err(e);
                }
            }
            Ok(Outcome { status: 200, body: ledger.session_view(id, &version, &expand), events })
        })
    }

    /// The payer pays session `id` by `method` (`card` or `pix`): a succeeded intent is made
    /// for it, and Stripe's events follow (see the module doc).
    pub(super) fn pay_session(&self, id: &str, method: &str) -> Result<Value, SandboxError> {
        let now = self.now();
        let (result, events) = {
            let mut ledger = self.ledger();
            let mut events = Vec::new();
            let mut expired = Vec::new();
            let ready = ledger.sessions.update(id, |s| {
                expired.extend(s.expire_if_due(now));
                if s.status != SessionStatus::Open {
                    return Err(SandboxError::Conflict(format!(
                        "Checkout Session {id} is {}: only an open session can be paid",
                        s.status.as_str()
                    )));
                }
                if !s.takes(method) {
                    return Err(SandboxError::Conflict(format!(
                        "Checkout Session {id} does not take {method} (it takes {})",
                        s.method_types.join(", ")
                    )));
                }
                Ok((
                    s.amount,
                    s.currency.clone(),
                    s.name.clone(),
                    s.intent_metadata.clone(),
                ))
            });
            events.append(&mut expired);
            let paid = match ready {
                None => {
                    return Err(SandboxError::NotFound(format!(
                        "no Stripe Checkout Session {id}"
                    )));
                }
                Some(Err(e)) => Err(e),
                Some(Ok((amount, currency, name, metadata))) => {
                    if ledger.intents.has_room().is_err() {
                        Err(SandboxError::Conflict(
                            "the sandbox holds too many unsettled payment intents".into(),
                        ))
                    } else {
                        let pi = random_id("pi", 24);
                        let mut intent = Intent {
                            client_secret: format!("{pi}_secret_{}", &random_id("s", 25)[2..]),
                            id: pi.clone(),
                            amount,
                            currency,
                            created: now,
                            status: IntentStatus::RequiresConfirmation,
                            method_types: vec![method.to_string()],
                            payment_method: Some(random_id("pm", 24)),
                            description: Some(name),
                            metadata,
                            last_payment_error: None,
                            next_action: None,
                            latest_charge: None,
                            amount_refunded: 0,
                            canceled_at: None,
                            cancellation_reason: None,
                            pix_expires_at: None,
                            capture_method: "automatic_async".into(),
                            amount_received: 0,
                            customer: None,
                            automatic_methods: false,
                            charge_ids: Vec::new(),
                        };
                        let succeeded = intent.succeed();
                        let charge = intent.charge_json();
                        ledger.add_intent(intent);
                        let async_method = method == "pix";
                        let session = ledger.sessions.update(id, |s| {
                            s.payment_intent = Some(pi.clone());
                            s.status = SessionStatus::Complete;
                            let completed = s.to_json();
                            s.paid = true;
                            (completed, s.to_json())
                        });
                        let Some((unpaid, paid)) = session else {
                            return Err(SandboxError::NotFound(format!(
                                "no Stripe Checkout Session {id}"
                            )));
                        };
                        if async_method {
                            events.push(("checkout.session.completed", unpaid));
                            events.push(("charge.succeeded", charge));
                            events.push(succeeded);
                            events.push(("checkout.session.async_payment_succeeded", paid.clone()));
                        } else {
                            events.push(("charge.succeeded", charge));
                            events.push(succeeded);
                            events.push(("checkout.session.completed", paid.clone()));
                        }
                        Ok(paid)
                    }
                }
            };
            (paid, events)
        };
        self.send_events(events);
        result
    }

    /// The sessions, oldest first, for `payorch sandbox charges stripe`.
    pub(super) fn session_list(&self) -> Vec<Value> {
        self.ledger()
            .sessions
            .values()
            .map(Session::to_json)
            .collect()
    }
}

/// The hosted page's routes, mounted beside the API.
pub(super) fn page_router() -> Router<Arc<StripeFake>> {
    Router::new().route("/c/pay/{id}", get(show).post(pay))
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    crate::sandbox::html_page(status, "en", title, body)
}

fn not_found_page() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "Checkout Session not found",
        "<p>There is no Checkout Session at this address.</p>",
    )
}

/// `amount` minor units of `currency` as a decimal (`4590` BRL is `45.90`).
fn decimal(amount: i64, currency: &str) -> String {
    crate::model::Currency::parse(currency)
        .and_then(|c| crate::model::Money::from_minor(amount, c))
        .map_or_else(
            |_| amount.to_string(),
            crate::model::Money::to_decimal_string,
        )
}

async fn show(State(fake): State<Arc<StripeFake>>, Path(id): Path<String>) -> Response {
    let mut events = Vec::new();
    let page = {
        let mut ledger = fake.ledger();
        let now = fake.now();
        ledger.sessions.update(&id, |s| {
            events.extend(s.expire_if_due(now));
            let facts = format!(
                "<p class=\"product\">{}</p>\n<p>Amount: <strong><span id=\"currency\">{}</span> <span id=\"amount\">{}</span></strong></p>\n<p>Status: <span id=\"status\">{}</span></p>",
                crate::sandbox::html_escape(&s.name),
                s.currency.to_ascii_uppercase(),
                decimal(s.amount, &s.currency),
                s.status.as_str(),
            );
            let form = if s.status == SessionStatus::Open {
                let options: String = s
                    .method_types
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        format!(
                            "<label><input type=\"radio\" name=\"payment_method\" value=\"{m}\"{}> {m}</label>\n",
                            if i == 0 { " checked" } else { "" }
                        )
                    })
                    .collect();
                format!("\n<form method=\"post\">\n{options}<button type=\"submit\">Pay</button>\n</form>")
            } else {
                String::new()
            };
            html(StatusCode::OK, "Stripe Checkout (sandbox)", &format!("{facts}{form}"))
        })
    };
    fake.send_events(events);
    page.unwrap_or_else(not_found_page)
}

async fn pay(State(fake): State<Arc<StripeFake>>, Path(id): Path<String>, form: Bytes) -> Response {
    let choice = form_urlencoded::parse(&form)
        .find(|(k, _)| k == "payment_method")
        .map(|(_, v)| v.into_owned());
    let method = match choice.as_deref() {
        None | Some("card") => "card",
        Some("pix") => "pix",
        Some(other) => {
            return html(
                StatusCode::BAD_REQUEST,
                "Invalid payment method",
                &format!(
                    "<p>payment_method: {} is neither card nor pix.</p>",
                    crate::sandbox::html_escape(other)
                ),
            );
        }
    };
    match fake.pay_session(&id, method) {
        Ok(session) => html(
            StatusCode::OK,
            "Payment complete",
            &format!(
                "<p>Checkout Session <span id=\"session\">{id}</span> paid by <span id=\"method\">{method}</span>; payment <span id=\"payment-intent\">{}</span>.</p>",
                session["payment_intent"].as_str().unwrap_or_default()
            ),
        ),
        Err(SandboxError::NotFound(_)) => not_found_page(),
        Err(SandboxError::Conflict(why)) => html(
            StatusCode::CONFLICT,
            "This Checkout Session cannot be paid",
            &format!("<p>{}</p>", crate::sandbox::html_escape(&why)),
        ),
    }
}
