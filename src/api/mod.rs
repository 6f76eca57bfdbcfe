//! The merchant API's shapes, shared by `payorch serve` and the CLI: the charge and refund
//! requests with field-level validation (rule 7), refusing with an [`Invalid`] that names the
//! field. No HTTP here: `server/` decides the status and renders the error body
//! (`server/error.rs`), `commands/` the exit code. What payorch sends back (a charge, an
//! event) is written in [`view`], apart from the stored model.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

pub mod strict;
pub(crate) mod view;

use crate::model::{Currency, Customer, GatewayId, Money, PaymentMethod, ValidationError};

/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Metadata limits (Stripe's, so any gateway can carry it).
pub const MAX_METADATA_KEYS: usize = 50;
pub const MAX_METADATA_KEY_CHARS: usize = 40;
pub const MAX_METADATA_VALUE_CHARS: usize = 500;

/// A request refused before anything happens: the field it is about (none when the whole body
/// is wrong), a stable machine-readable code (`parameter_invalid`, `amount_too_large`, …) and
/// what is wrong. Carries no HTTP status: `server/` answers every one with a 400, `commands/`
/// with the usage exit code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// The request field (`amount`, `customer.document`); `None` for the body as a whole.
    pub param: Option<String>,
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    /// A refusal about one field.
    pub fn field(param: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            param: Some(param.into()),
            code,
            message: message.into(),
        }
    }

    /// A refusal of the body as a whole (not JSON, not an object).
    pub fn body(code: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            param: None,
            code,
            message: message.into(),
        }
    }
}

impl From<ValidationError> for Invalid {
    fn from(e: ValidationError) -> Self {
        Invalid::field(e.param, "parameter_invalid", e.message)
    }
}

/// A validated `POST /v1/charges` body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeRequest {
    pub money: Money,
    pub method: PaymentMethod,
    pub customer: Customer,
    pub description: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Card only: the gateway token to use at each gateway. A card charge fails over only to
    /// gateways it has a token for.
    pub card_tokens: BTreeMap<GatewayId, String>,
    /// Pin one gateway: no routing, no failover.
    pub gateway: Option<GatewayId>,
}

const CHARGE_FIELDS: [&str; 9] = [
    "amount",
    "currency",
    "method",
    "customer",
    "description",
    "metadata",
    "card",
    "gateway",
    // Accepted and ignored so clients can send the object back; never trusted.
    "object",
];

fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).filter(|v| !v.is_null())
}

pub(crate) fn string_field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
    param: &str,
) -> Result<Option<&'a str>, Invalid> {
    match field(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(Invalid::field(
            param,
            "parameter_invalid",
            "must be a string",
        )),
    }
}

fn required<'a>(value: Option<&'a str>, param: &str, hint: &str) -> Result<&'a str, Invalid> {
    value
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Invalid::field(param, "parameter_missing", format!("is required ({hint})")))
}

pub(crate) fn reject_unknown(
    obj: &Map<String, Value>,
    known: &[&str],
    prefix: &str,
) -> Result<(), Invalid> {
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        // An empty key is named `""`, so the error still points at something.
        Some(k) => Err(Invalid::field(
            if k.is_empty() {
                format!("{prefix}\"\"")
            } else {
                format!("{prefix}{k}")
            },
            "parameter_unknown",
            format!(
                "is not a known field (expected one of: {})",
                known.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

impl ChargeRequest {
    /// Validates a charge request body, naming the first bad field.
    pub fn parse(body: &Value) -> Result<ChargeRequest, Invalid> {
        let obj = body
            .as_object()
            .ok_or_else(|| Invalid::body("body_invalid", "the body must be a JSON object"))?;
        reject_unknown(obj, &CHARGE_FIELDS, "")?;

        let currency_text = required(
            string_field(obj, "currency", "currency")?,
            "currency",
            "an ISO 4217 code such as BRL",
        )?;
        let currency = Currency::parse(currency_text)
            .map_err(|e| Invalid::field("currency", "currency_unsupported", e.to_string()))?;

        let amount = match field(obj, "amount") {
            None => {
                return Err(Invalid::field(
                    "amount",
                    "parameter_missing",
                    "is required (an integer in minor units, e.g. 1990 for R$ 19,90)",
                ));
            }
            Some(v) => v.as_i64().ok_or_else(|| {
                Invalid::field(
                    "amount",
                    "amount_invalid",
                    format!("must be an integer in minor units (e.g. 1990 for R$ 19,90), not {v}"),
                )
            })?,
        };
        let money = Money::from_minor(amount, currency)
            .map_err(|e| Invalid::field("amount", "amount_invalid", e.to_string()))?;

        let method_text = required(
            string_field(obj, "method", "method")?,
            "method",
            "pix, card, boleto or link",
        )?;
        let method: PaymentMethod =
            method_text
                .parse()
                .map_err(|e: crate::model::charge::UnknownPaymentMethod| {
                    Invalid::field("method", "parameter_invalid", e.to_string())
                })?;

        let customer = parse_customer(field(obj, "customer"), currency, method)?;

        let description = match string_field(obj, "description", "description")? {
            Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
                return Err(Invalid::field(
                    "description",
                    "parameter_invalid",
                    format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
                ));
            }
            Some(d) if d.chars().any(|c| c.is_control() && c != '\n') => {
                return Err(Invalid::field(
                    "description",
                    "parameter_invalid",
                    "must not contain control characters",
                ));
            }
            Some(d) => Some(d.trim().to_string()).filter(|d| !d.is_empty()),
            None => None,
        };

        let metadata = parse_metadata(field(obj, "metadata"))?;
        let card_tokens = parse_card(field(obj, "card"), method)?;

        let gateway = match string_field(obj, "gateway", "gateway")? {
            None => None,
            Some(g) => Some(
                g.parse::<GatewayId>()
                    .map_err(|e| Invalid::field("gateway", "parameter_invalid", e.to_string()))?,
            ),
        };
        if let Some(g) = gateway
            && method == PaymentMethod::Card
            && !card_tokens.contains_key(&g)
        {
            return Err(Invalid::field(
                "card.tokens",
                "parameter_missing",
                format!("has no token for the pinned gateway `{g}`"),
            ));
        }

        Ok(ChargeRequest {
            money,
            method,
            customer,
            description,
            metadata,
            card_tokens,
            gateway,
        })
    }
}

fn parse_customer(
    value: Option<&Value>,
    currency: Currency,
    method: PaymentMethod,
) -> Result<Customer, Invalid> {
    let obj = match value {
        None => {
            return Err(Invalid::field(
                "customer",
                "parameter_missing",
                "is required (an object with name, document and email)",
            ));
        }
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(Invalid::field(
                "customer",
                "parameter_invalid",
                "must be an object",
            ));
        }
    };
    reject_unknown(obj, &["name", "email", "document"], "customer.")?;
    let name = required(
        string_field(obj, "name", "customer.name")?,
        "customer.name",
        "the payer's name",
    )?;
    let email = string_field(obj, "email", "customer.email")?;
    let document = string_field(obj, "document", "customer.document")?;
    if method.is_payer_initiated()
        && currency == Currency::Brl
        && document.is_none_or(|d| d.trim().is_empty())
    {
        return Err(Invalid::field(
            "customer.document",
            "parameter_missing",
            format!("is required for {method} charges (the payer's CPF or CNPJ)"),
        ));
    }
    Customer::parse(name, email, document, currency).map_err(Invalid::from)
}

fn parse_metadata(value: Option<&Value>) -> Result<BTreeMap<String, String>, Invalid> {
    let obj = match value {
        None => return Ok(BTreeMap::new()),
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(Invalid::field(
                "metadata",
                "parameter_invalid",
                "must be an object of string values",
            ));
        }
    };
    if obj.len() > MAX_METADATA_KEYS {
        return Err(Invalid::field(
            "metadata",
            "parameter_invalid",
            format!(
                "has {} keys; at most {MAX_METADATA_KEYS} are allowed",
                obj.len()
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let param = format!("metadata.{k}");
        if k.is_empty() || k.chars().count() > MAX_METADATA_KEY_CHARS {
            return Err(Invalid::field(
                param,
                "parameter_invalid",
                format!("keys must be 1 to {MAX_METADATA_KEY_CHARS} characters"),
            ));
        }
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(Invalid::field(
                    param,
                    "parameter_invalid",
                    "must be a string, number or boolean",
                ));
            }
        };
        if v.chars().count() > MAX_METADATA_VALUE_CHARS {
            return Err(Invalid::field(
                param,
                "parameter_invalid",
                format!("values must be at most {MAX_METADATA_VALUE_CHARS} characters"),
            ));
        }
        out.insert(k.clone(), v);
    }
    Ok(out)
}

fn parse_card(
    value: Option<&Value>,
    method: PaymentMethod,
) -> Result<BTreeMap<GatewayId, String>, Invalid> {
    let Some(card) = value else {
        if method == PaymentMethod::Card {
            return Err(Invalid::field(
                "card",
                "parameter_missing",
                "is required for card charges: {\"tokens\": {\"stripe\": \"pm_…\"}}",
            ));
        }
        return Ok(BTreeMap::new());
    };
    if method != PaymentMethod::Card {
        return Err(Invalid::field(
            "card",
            "parameter_unexpected",
            format!("is only for card charges, not {method}"),
        ));
    }
    let obj = card
        .as_object()
        .ok_or_else(|| Invalid::field("card", "parameter_invalid", "must be an object"))?;
    reject_unknown(obj, &["tokens"], "card.")?;
    let tokens = field(obj, "tokens")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Invalid::field(
                "card.tokens",
                "parameter_missing",
                "must be an object of gateway → token, e.g. {\"stripe\": \"pm_…\"}",
            )
        })?;
    let mut out = BTreeMap::new();
    for (g, t) in tokens {
        let param = format!("card.tokens.{g}");
        let gateway: GatewayId =
            g.parse()
                .map_err(|e: crate::model::gateway::UnknownGateway| {
                    Invalid::field(param.clone(), "parameter_invalid", e.to_string())
                })?;
        let token = t
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 255 && !t.chars().any(char::is_control))
            .ok_or_else(|| {
                Invalid::field(
                    param,
                    "parameter_invalid",
                    "must be a non-empty token string",
                )
            })?;
        out.insert(gateway, token.to_string());
    }
    if out.is_empty() {
        return Err(Invalid::field(
            "card.tokens",
            "parameter_missing",
            "needs at least one gateway's token",
        ));
    }
    Ok(out)
}

/// A validated `POST /v1/charges/{id}/refunds` body: the amount (default: all that is left).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRequest {
    /// Minor units; `None` refunds everything still refundable.
    pub amount: Option<i64>,
    pub reason: Option<String>,
}

impl RefundRequest {
    pub fn parse(body: &Value) -> Result<RefundRequest, Invalid> {
        let empty = Map::new();
        let obj = match body {
            Value::Null => &empty,
            Value::Object(o) => o,
            _ => {
                return Err(Invalid::body(
                    "body_invalid",
                    "the body must be a JSON object",
                ));
            }
        };
        reject_unknown(obj, &["amount", "reason"], "")?;
        // Only a missing amount means "everything left": an explicit `null` (a client's unset
        // variable) is refused rather than read as a full refund.
        let amount = match obj.get("amount") {
            None => None,
            Some(v) => match v.as_i64() {
                Some(a) if a > 0 => Some(a),
                _ => {
                    return Err(Invalid::field(
                        "amount",
                        "amount_invalid",
                        format!(
                            "must be a positive integer in minor units, not {v} (leave amount \
                             out to refund everything still refundable)"
                        ),
                    ));
                }
            },
        };
        let reason = string_field(obj, "reason", "reason")?
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            return Err(Invalid::field(
                "reason",
                "parameter_invalid",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        Ok(RefundRequest { amount, reason })
    }
}

#[cfg(test)]
mod tests;
