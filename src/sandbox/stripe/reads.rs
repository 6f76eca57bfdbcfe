//! The ledger's bookkeeping beyond intents (charges, refunds, customers), how objects are
//! shown (version, `expand`), and the read routes: lists, refunds, charges, events, customers.

use super::*;

/// What a refund's answer can expand.
pub(super) const REFUND_EXPANSIONS: &[&str] = &["charge", "payment_intent"];
const CUSTOMER_PARAMS: &[&str] = &["email", "name", "description", "phone"];

/// The `expand[]` paths of a request, each one of `allowed` (Stripe refuses the others).
pub(super) fn expansions(params: &Params, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    list(params, "expand")
        .into_iter()
        .map(|path| {
            if allowed.contains(&path) {
                Ok(path.to_string())
            } else {
                Err(ApiError::invalid(
                    None,
                    format!("This property cannot be expanded ({path})."),
                    Some("expand"),
                ))
            }
        })
        .collect()
}

/// A list's `expand[]` paths (`data.PATH`, PATH one of `allowed`), as paths of each item.
pub(super) fn list_expansions(params: &Params, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let listed: Vec<String> = allowed.iter().map(|a| format!("data.{a}")).collect();
    let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
    Ok(expansions(params, &listed)?
        .into_iter()
        .map(|e| e.trim_start_matches("data.").to_string())
        .collect())
}

/// A GET's version and canonical query, once its API key passed.
pub(super) fn read_request(
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(ApiVersion, Params), ApiError> {
    api_key(headers)?;
    let version = ApiVersion::of(headers)?;
    let params = canonical(query.unwrap_or_default().as_bytes())?;
    Ok((version, params))
}

/// Stripe's minimum and maximum charge amounts (see [`MINIMUM_CHARGE`]).
pub(super) fn check_amount_limits(amount: i64, currency: &str) -> Result<(), ApiError> {
    if let Some((_, min, shown)) = MINIMUM_CHARGE.iter().find(|(c, ..)| *c == currency)
        && amount < *min
    {
        return Err(ApiError::invalid(
            Some("amount_too_small"),
            format!("Amount must be at least {shown} {currency}"),
            Some("amount"),
        ));
    }
    if amount > MAX_AMOUNT {
        return Err(ApiError::invalid(
            Some("amount_too_large"),
            format!(
                "Amount must be no more than {MAX_AMOUNT} (eight digits, in the currency's smallest unit)."
            ),
            Some("amount"),
        ));
    }
    Ok(())
}

/// The payment method types of a new intent, and whether Stripe chose them
/// (`automatic_payment_methods`): the default from 2023-08-16 on (see `version.rs`).
pub(super) fn method_types(
    params: &Params,
    version: &ApiVersion,
    currency: &str,
    capture_method: &str,
) -> Result<(Vec<String>, bool), ApiError> {
    let given: Vec<String> = list(params, "payment_method_types")
        .into_iter()
        .map(str::to_string)
        .collect();
    let key = "automatic_payment_methods[enabled]";
    let automatic = match param(params, key) {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::invalid(
                Some("parameter_invalid_boolean"),
                format!("Invalid boolean: {other}"),
                Some(key),
            ));
        }
    };
    if automatic == Some(true) && !given.is_empty() {
        return Err(ApiError::invalid(
            None,
            "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
            Some("automatic_payment_methods"),
        ));
    }
    if given.is_empty() {
        if automatic.unwrap_or(version.automatic_methods_by_default()) {
            // The sandbox account's "dashboard": cards everywhere, Pix for BRL (Pix cannot
            // be captured manually, so Stripe leaves it out then).
            let mut types = vec!["card".to_string()];
            if currency == "brl" && capture_method != "manual" {
                types.push("pix".into());
            }
            return Ok((types, true));
        }
        return Ok((vec!["card".into()], false));
    }
    if let Some(bad) = given.iter().find(|t| !matches!(t.as_str(), "card" | "pix")) {
        return Err(ApiError::invalid(
            Some("payment_intent_invalid_parameter"),
            format!(
                "The payment method type \"{bad}\" is invalid. Please ensure the provided type is activated in your dashboard."
            ),
            Some("payment_method_types"),
        ));
    }
    if given.iter().any(|t| t == "pix") && currency != "brl" {
        return Err(ApiError::invalid(
            Some("payment_intent_invalid_parameter"),
            format!(
                "The currency provided ({currency}) is invalid for one or more payment method types on this PaymentIntent. The payment method type pix only supports: brl."
            ),
            Some("currency"),
        ));
    }
    Ok((given, false))
}

impl Ledger {
    /// Adds a new intent, evicting the oldest settled one (and its charges) at capacity. The
    /// caller checked there was room (`has_room`) before doing anything else.
    pub(super) fn add_intent(&mut self, intent: Intent) {
        let id = intent.id.clone();
        if let Ok(Some((_, evicted))) = self.intents.insert(id.clone(), intent) {
            for ch in &evicted.charge_ids {
                self.charges.remove(ch);
            }
        }
        self.index_charge(&id);
    }

    /// Remembers the intent's latest charge, so `GET /v1/charges/:id` finds it (and the
    /// intent its charges, so they go when it is evicted).
    pub(super) fn index_charge(&mut self, id: &str) {
        let charge = self.intents.update(id, |i| {
            let ch = i.latest_charge.clone()?;
            if !i.charge_ids.contains(&ch) {
                i.charge_ids.push(ch.clone());
            }
            Some(ch)
        });
        if let Some(Some(ch)) = charge {
            self.charges.insert(ch, id.to_string());
        }
    }

    /// An intent as `version` and `expand` show it (`Null` if there is none).
    pub(super) fn intent_view(&self, id: &str, version: &ApiVersion, expand: &[String]) -> Value {
        let Some(intent) = self.intents.get(id) else {
            return Value::Null;
        };
        let mut body = intent.to_json(version);
        intent.expand_charge(&mut body, expand);
        if expand.iter().any(|e| e == "customer")
            && let Some(c) = intent.customer.as_ref().and_then(|c| self.customers.get(c))
        {
            body["customer"] = c.clone();
        }
        body
    }

    /// A charge: the intent's latest, or an earlier declined attempt.
    fn charge_view(&self, id: &str) -> Option<Value> {
        let intent = self.intents.get(self.charges.get(id)?)?;
        let mut charge = intent.charge_json();
        if intent.latest_charge.as_deref() != Some(id) {
            charge["id"] = json!(id);
            charge["status"] = json!("failed");
            charge["paid"] = json!(false);
            charge["captured"] = json!(false);
            charge["amount_captured"] = json!(0);
            charge["amount_refunded"] = json!(0);
            charge["refunded"] = json!(false);
        }
        Some(charge)
    }

    pub(super) fn add_refund(&mut self, refund: Value, expand: &[String]) -> Value {
        let id = refund["id"].as_str().unwrap_or_default().to_string();
        // Refunds are always evictable: this never fails.
        let _ = self.refunds.insert(id, refund.clone());
        self.refund_view(refund, expand)
    }

    fn refund_view(&self, mut refund: Value, expand: &[String]) -> Value {
        let pinned = ApiVersion::pinned();
        for path in expand {
            let found = match path.as_str() {
                "charge" => refund["charge"].as_str().and_then(|c| self.charge_view(c)),
                "payment_intent" => refund["payment_intent"]
                    .as_str()
                    .map(|pi| self.intent_view(pi, &pinned, &[])),
                _ => None,
            };
            if let Some(found) = found {
                refund[path.as_str()] = found;
            }
        }
        refund
    }
}

impl StripeFake {
    /// A GET answered from the ledger.
    pub(super) fn read(
        &self,
        headers: &HeaderMap,
        query: Option<&str>,
        answer: impl FnOnce(&ApiVersion, &Params, &Ledger) -> Result<Value, ApiError>,
    ) -> Response {
        let result = read_request(headers, query)
            .and_then(|(version, params)| answer(&version, &params, &self.ledger()));
        match result {
            Ok(body) => respond(200, &body, false),
            Err(e) => error_response(e),
        }
    }

    /// A GET of one object by id: `what` names its kind (for the 404) and what it expands.
    fn read_one(
        &self,
        headers: &HeaderMap,
        id: &str,
        query: Option<&str>,
        (what, allowed): (&str, &[&str]),
        find: impl FnOnce(&ApiVersion, &[String], &Ledger) -> Option<Value>,
    ) -> Response {
        self.read(headers, query, |version, params, ledger| {
            check_known(params, &[])?;
            let expand = expansions(params, allowed)?;
            find(version, &expand, ledger).ok_or_else(|| ApiError::not_found(what, id, "id"))
        })
    }

    /// `GET /v1/payment_intents`: filters `customer`; expands `data.latest_charge`,
    /// `data.customer`.
    pub(super) fn list_intents(&self, headers: &HeaderMap, query: Option<&str>) -> Response {
        self.read(headers, query, |version, params, ledger| {
            check_list_params(params, &["customer"])?;
            let expand = list_expansions(params, INTENT_EXPANSIONS)?;
            let customer = param(params, "customer");
            let items = ledger
                .intents
                .values()
                .rev()
                .filter(|i| customer.is_none() || i.customer.as_deref() == customer)
                .map(|i| Item {
                    id: i.id.clone(),
                    created: i.created,
                    body: ledger.intent_view(&i.id, version, &expand),
                })
                .collect();
            page(items, params, "/v1/payment_intents", "payment_intent")
        })
    }

    pub(super) fn get_refund(&self, h: &HeaderMap, id: &str, q: Option<&str>) -> Response {
        self.read_one(
            h,
            id,
            q,
            ("refund", REFUND_EXPANSIONS),
            |_, expand, ledger| {
                let refund = ledger.refunds.get(id)?;
                Some(ledger.refund_view(refund.clone(), expand))
            },
        )
    }

    /// `GET /v1/refunds`: filters `payment_intent`, `charge`.
    pub(super) fn list_refunds(&self, headers: &HeaderMap, query: Option<&str>) -> Response {
        self.read(headers, query, |_, params, ledger| {
            check_list_params(params, &["payment_intent", "charge"])?;
            let expand = list_expansions(params, REFUND_EXPANSIONS)?;
            let wanted = |r: &Value, key: &str| param(params, key).is_none_or(|v| r[key] == v);
            let items = ledger
                .refunds
                .values()
                .rev()
                .filter(|r| wanted(r, "payment_intent") && wanted(r, "charge"))
                .map(|r| Item {
                    id: r["id"].as_str().unwrap_or_default().to_string(),
                    created: r["created"].as_i64().unwrap_or_default(),
                    body: ledger.refund_view(r.clone(), &expand),
                })
                .collect();
            page(items, params, "/v1/refunds", "refund")
        })
    }

    pub(super) fn get_charge(&self, h: &HeaderMap, id: &str, q: Option<&str>) -> Response {
        self.read_one(
            h,
            id,
            q,
            ("charge", &["payment_intent"]),
            |version, expand, ledger| {
                let mut charge = ledger.charge_view(id)?;
                if !expand.is_empty()
                    && let Some(pi) = charge["payment_intent"].as_str().map(str::to_string)
                {
                    charge["payment_intent"] = ledger.intent_view(&pi, version, &[]);
                }
                Some(charge)
            },
        )
    }

    /// `GET /v1/events`: filters `type` (`payment_intent.*` matches a prefix) and `types[]`.
    /// Only the newest [`EVENT_CAPACITY`] events are kept.
    pub(super) fn list_events(&self, headers: &HeaderMap, query: Option<&str>) -> Response {
        self.read(headers, query, |_, params, ledger| {
            check_list_params(params, &["type", "types[]", "delivery_success"])?;
            let matches = |pattern: &str, kind: &str| match pattern.strip_suffix('*') {
                Some(prefix) => kind.starts_with(prefix),
                None => kind == pattern,
            };
            let one = param(params, "type");
            let any = list(params, "types");
            let items = ledger
                .events
                .iter()
                .rev()
                .filter(|e| {
                    let kind = e.body["type"].as_str().unwrap_or_default();
                    one.is_none_or(|p| matches(p, kind))
                        && (any.is_empty() || any.iter().any(|p| matches(p, kind)))
                })
                .map(|e| Item {
                    id: e.id.clone(),
                    created: e.created,
                    body: e.body.clone(),
                })
                .collect();
            page(items, params, "/v1/events", "event")
        })
    }

    pub(super) fn get_event(&self, h: &HeaderMap, id: &str, q: Option<&str>) -> Response {
        self.read_one(h, id, q, ("event", &[]), |_, _, ledger| {
            let event = ledger.events.iter().find(|e| e.id == id)?;
            Some(event.body.clone())
        })
    }

    /// `POST /v1/customers`: a minimal customer, enough to pass as an intent's `customer`.
    pub(super) fn create_customer(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let now = self.now();
        self.post(
            headers,
            "POST /v1/customers".into(),
            body,
            |ledger, params| {
                check_known(&params, &[CUSTOMER_PARAMS])?;
                let field = |k: &str| param(&params, k);
                let customer = json!({
                    "id": random_id("cus", 14),
                    "object": "customer",
                    "balance": 0,
                    "created": now,
                    "currency": null,
                    "delinquent": false,
                    "description": field("description"),
                    "email": field("email"),
                    "livemode": false,
                    "metadata": metadata_of(&params),
                    "name": field("name"),
                    "phone": field("phone"),
                    "preferred_locales": [],
                });
                let id = customer["id"].as_str().unwrap_or_default().to_string();
                // Customers are always evictable: this never fails.
                let _ = ledger.customers.insert(id, customer.clone());
                Ok(Outcome {
                    status: 200,
                    body: customer.clone(),
                    events: vec![("customer.created", customer)],
                })
            },
        )
    }

    pub(super) fn get_customer(&self, h: &HeaderMap, id: &str, q: Option<&str>) -> Response {
        self.read_one(h, id, q, ("customer", &[]), |_, _, ledger| {
            ledger.customers.get(id).cloned()
        })
    }
}

/// Every route the fake does not serve: Stripe's JSON 404, never a bare one.
pub(super) async fn unrecognized(request: axum::extract::Request) -> Response {
    let method = request.method().clone();
    // The path the client used, with the `/stripe` mount point taken off.
    let path = request.uri().path().to_string();
    let message = format!(
        "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
    );
    respond(
        404,
        &json!({"error": {"type": "invalid_request_error", "message": message}}),
        false,
    )
}
