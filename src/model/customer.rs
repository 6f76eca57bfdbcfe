//! The payer: name, e-mail and tax document, validated at the edge.

use serde::{Deserialize, Serialize};

use super::ValidationError;
use super::document::Document;
use super::money::Currency;

/// Who pays a charge. Pix and boleto gateways need the document; card gateways may not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
}

/// The longest customer name payorch accepts (gateways truncate around 200).
pub(crate) const MAX_NAME_CHARS: usize = 200;

impl Customer {
    /// Validates raw input. Errors name the field as `customer.name`, `customer.email` or
    /// `customer.document`.
    pub fn parse(
        name: &str,
        email: Option<&str>,
        document: Option<&str>,
        currency: Currency,
    ) -> Result<Customer, ValidationError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ValidationError::new("customer.name", "must not be empty"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(ValidationError::new(
                "customer.name",
                format!("must be at most {MAX_NAME_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "customer.name",
                "must not contain control characters",
            ));
        }
        let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
            None => None,
            Some(e) if is_plausible_email(e) => Some(e.to_string()),
            Some(e) => {
                return Err(ValidationError::new(
                    "customer.email",
                    format!("`{e}` is not an e-mail address"),
                ));
            }
        };
        let document = match document.map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(
                Document::parse(d, currency)
                    .map_err(|e| ValidationError::new("customer.document", e.to_string()))?,
            ),
        };
        Ok(Customer {
            name: name.to_string(),
            email,
            document,
        })
    }
}

/// The check gateways themselves apply: one `@`, a local part, a dotted domain, no spaces.
fn is_plausible_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    e.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_complete_customer() {
        let c = Customer::parse(
            "  Maria Silva ",
            Some("maria@example.com"),
            Some("529.982.247-25"),
            Currency::Brl,
        )
        .unwrap();
        assert_eq!(c.name, "Maria Silva");
        assert_eq!(c.email.as_deref(), Some("maria@example.com"));
        assert_eq!(c.document.unwrap().number, "52998224725");
    }

    #[test]
    fn names_the_bad_field() {
        let cases = [
            ("", None, None, "customer.name"),
            ("Ana", Some("ana@"), None, "customer.email"),
            ("Ana", Some("ana example.com"), None, "customer.email"),
            ("Ana", Some("a@b@c.com"), None, "customer.email"),
            ("Ana", None, Some("111.111.111-11"), "customer.document"),
            ("Ana", None, Some("529.982.247-26"), "customer.document"),
        ];
        for (name, email, doc, field) in cases {
            let err = Customer::parse(name, email, doc, Currency::Brl).unwrap_err();
            assert_eq!(err.param, field, "{name:?} {email:?} {doc:?}");
        }
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            Customer::parse(&long, None, None, Currency::Brl)
                .unwrap_err()
                .param,
            "customer.name"
        );
    }
}
