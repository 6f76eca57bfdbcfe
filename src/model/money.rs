//! Money: integer minor units plus an ISO 4217 currency. No floats, ever (rule 1).
//!
//! SKELETON: the API below is fixed; the bodies are being written (see the foundation issue).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency payorch can charge in, with its minor-unit exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Currency {
    Brl,
    Usd,
    Eur,
    Jpy,
}

impl Currency {
    /// Every supported currency, in code order.
    pub const ALL: &'static [Currency] =
        &[Currency::Brl, Currency::Eur, Currency::Jpy, Currency::Usd];

    /// The ISO 4217 alphabetic code, upper case (`BRL`).
    pub fn code(self) -> &'static str {
        todo!()
    }

    /// Digits after the decimal point in the minor unit (BRL 2, JPY 0).
    pub fn exponent(self) -> u32 {
        todo!()
    }

    /// Parses a code, case-insensitively (`brl`, `BRL`).
    pub fn parse(input: &str) -> Result<Currency, MoneyError> {
        let _ = input;
        todo!()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, MoneyError> {
        Currency::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, MoneyError> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency `{0}`")]
    UnknownCurrency(String),
    #[error("placeholder")]
    Invalid(String),
}

/// A positive amount of money: minor units (`i64`) in one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    amount: i64,
    currency: Currency,
}

impl Money {
    /// A positive amount in minor units.
    pub fn from_minor(amount: i64, currency: Currency) -> Result<Money, MoneyError> {
        Ok(Money { amount, currency })
    }

    /// Parses operator input in major units: `10.50`, `10,50`, `1050`.
    pub fn parse_major(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let _ = (input, currency);
        todo!()
    }

    /// Parses operator input already in minor units (`--minor`): `1050`.
    pub fn parse_minor(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let _ = (input, currency);
        todo!()
    }

    pub fn minor(self) -> i64 {
        self.amount
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Major units with exactly the currency's decimals and a `.`: `10.50`, `1990` (JPY).
    pub fn to_decimal_string(self) -> String {
        todo!()
    }
}

impl fmt::Display for Money {
    /// `10.50 BRL`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}
