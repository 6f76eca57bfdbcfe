//! Strict input for the merchant API, checked before anything is stored: the largest amount of
//! one charge per currency, and JSON objects that name a key twice (serde_json would silently
//! keep the last one; a body that says two things is refused, naming the field).

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{ChargeRequest, Invalid};
use crate::model::{Currency, Money};

/// Refuses a charge body whose amount is above its currency's limit (`max_charge`), naming
/// `amount`. A body that does not parse is left to [`ChargeRequest::parse`], which names
/// its first bad field.
pub fn check_charge_limit(
    body: &Value,
    max_charge: impl Fn(Currency) -> i64,
) -> Result<(), Invalid> {
    let Ok(request) = ChargeRequest::parse(body) else {
        return Ok(());
    };
    let (amount, currency) = (request.money.minor(), request.money.currency());
    let max = max_charge(currency);
    if amount > max {
        let limit = Money::from_minor(max, currency)
            .map(|m| m.to_string())
            .unwrap_or_else(|_| format!("{max} {currency}"));
        return Err(Invalid::field(
            "amount",
            "amount_too_large",
            format!(
                "{amount} is above the largest charge accepted in {currency} ({max}, i.e. {limit})"
            ),
        ));
    }
    Ok(())
}

/// A request body's bytes as JSON: `invalid_json` when they are not, and a refusal naming the
/// field when an object names a key twice. What `serve` does with every JSON body, and the
/// entry point of the merchant body's property tests and fuzz target (`payorch::fuzzing`).
pub fn json_value(bytes: &[u8]) -> Result<Value, Invalid> {
    let value = serde_json::from_slice(bytes)
        .map_err(|e| Invalid::body("invalid_json", format!("the body is not valid JSON: {e}")))?;
    if let Some(param) = duplicate_key(bytes) {
        return Err(Invalid::field(
            param,
            "parameter_duplicated",
            "is given more than once; send each field once",
        ));
    }
    Ok(value)
}

/// The first key an object in `bytes` names twice, as a dotted path (`customer.name`,
/// `metadata.order`, `items[2].sku`); `None` when there is none or the bytes are not JSON
/// (the JSON parser reports that).
pub fn duplicate_key(bytes: &[u8]) -> Option<String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match (Walker {
        path: String::new(),
    })
    .deserialize(&mut de)
    {
        Err(e) => e.to_string().strip_prefix(DUPLICATE).map(|rest| {
            // serde_json appends " at line L column C"; the path is what comes before.
            rest.rsplit_once(" at line ")
                .map_or(rest, |(p, _)| p)
                .to_string()
        }),
        Ok(()) => None,
    }
}

const DUPLICATE: &str = "duplicate key: ";

/// Walks any JSON value, failing at the first object with a repeated key.
struct Walker {
    path: String,
}

impl Walker {
    fn child(&self, name: &str) -> Walker {
        let path = if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        };
        Walker { path }
    }
}

impl<'de> DeserializeSeed<'de> for Walker {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walker {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq
            .next_element_seed(Walker {
                path: format!("{}[{i}]", self.path),
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = BTreeSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let child = self.child(&key);
            if !seen.insert(key) {
                return Err(de::Error::custom(format!("{DUPLICATE}{}", child.path)));
            }
            map.next_value_seed(child)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_repeated_key_is_named_with_its_path() {
        assert_eq!(
            duplicate_key(br#"{"amount":1,"amount":2}"#).as_deref(),
            Some("amount")
        );
        assert_eq!(
            duplicate_key(br#"{"customer":{"name":"a","name":"b"}}"#).as_deref(),
            Some("customer.name")
        );
        assert_eq!(
            duplicate_key(br#"{"a":[{"x":1},{"x":1,"x":2}]}"#).as_deref(),
            Some("a[1].x")
        );
        assert_eq!(duplicate_key(br#"{"a":{"x":1},"b":{"x":1}}"#), None);
        assert_eq!(duplicate_key(b"not json"), None);
        assert_eq!(duplicate_key(b"[1,2,\"x\",null,true,1.5]"), None);
    }

    fn charge(amount: Value, currency: &str, method: &str) -> Value {
        let mut body = json!({
            "amount": amount,
            "currency": currency,
            "method": method,
            "customer": {"name": "Ana", "document": "52998224725", "email": "a@example.com"},
        });
        if method == "card" {
            body["card"] = json!({"tokens": {"stripe": "pm_card_visa"}});
        }
        body
    }

    #[test]
    fn amounts_above_the_currency_limit_are_refused_naming_amount() {
        let max = |c: Currency| c.default_max_charge();
        for (amount, currency, method) in [
            (json!(i64::MAX), "USD", "card"),
            (json!(1_000_000_000_000_000_i64), "USD", "card"),
            (json!(1_000_000_000_000_i64), "JPY", "card"),
            (json!(i64::MAX), "BRL", "pix"),
            (json!(100_000_001), "BRL", "pix"),
        ] {
            let e = check_charge_limit(&charge(amount.clone(), currency, method), max)
                .expect_err(&format!("{amount} {currency}"));
            assert_eq!(e.param.as_deref(), Some("amount"));
            assert_eq!(e.code, "amount_too_large");
        }
        check_charge_limit(&charge(json!(100_000_000), "BRL", "pix"), max).unwrap();
        check_charge_limit(&charge(json!(5), "BRL", "pix"), |_| 4).unwrap_err();
    }
}
