//! Money: a positive amount of integer minor units plus an ISO 4217 currency, and the exact
//! parsing of operator input into it. No floats, ever (rule 1); no guessing at separators.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency payorch can charge in, with its minor-unit exponent.
///
/// Variants are declared in code order, so the derived `Ord` sorts by code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Currency {
    Ars,
    Brl,
    Clp,
    Cop,
    Eur,
    Gbp,
    Jpy,
    Mxn,
    Pen,
    Usd,
    Uyu,
}

impl Currency {
    /// Every supported currency, in code order.
    pub const ALL: &'static [Currency] = &[
        Currency::Ars,
        Currency::Brl,
        Currency::Clp,
        Currency::Cop,
        Currency::Eur,
        Currency::Gbp,
        Currency::Jpy,
        Currency::Mxn,
        Currency::Pen,
        Currency::Usd,
        Currency::Uyu,
    ];

    /// The ISO 4217 alphabetic code, upper case (`BRL`).
    pub fn code(self) -> &'static str {
        match self {
            Currency::Ars => "ARS",
            Currency::Brl => "BRL",
            Currency::Clp => "CLP",
            Currency::Cop => "COP",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Jpy => "JPY",
            Currency::Mxn => "MXN",
            Currency::Pen => "PEN",
            Currency::Usd => "USD",
            Currency::Uyu => "UYU",
        }
    }

    /// Digits after the decimal point in the minor unit (BRL 2, JPY 0), per ISO 4217.
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Clp | Currency::Jpy => 0,
            Currency::Ars
            | Currency::Brl
            | Currency::Cop
            | Currency::Eur
            | Currency::Gbp
            | Currency::Mxn
            | Currency::Pen
            | Currency::Usd
            | Currency::Uyu => 2,
        }
    }

    /// The built-in largest amount of one charge, minor units: about R$ 1,000,000 in each
    /// currency (rounded to a round number in its own units), so a typo or an overflow attempt
    /// is refused before anything is stored. `[amount_limits]` in the config overrides it.
    pub fn default_max_charge(self) -> i64 {
        match self {
            Currency::Ars => 20_000_000_000, // ARS 200,000,000.00
            Currency::Brl => 100_000_000,    // R$ 1,000,000.00
            Currency::Clp => 200_000_000,    // CLP 200,000,000
            Currency::Cop => 80_000_000_000, // COP 800,000,000.00
            Currency::Eur => 20_000_000,     // EUR 200,000.00
            Currency::Gbp => 20_000_000,     // GBP 200,000.00
            Currency::Jpy => 30_000_000,     // JPY 30,000,000
            Currency::Mxn => 400_000_000,    // MXN 4,000,000.00
            Currency::Pen => 80_000_000,     // PEN 800,000.00
            Currency::Usd => 20_000_000,     // USD 200,000.00
            Currency::Uyu => 800_000_000,    // UYU 8,000,000.00
        }
    }

    /// Parses a code, case-insensitively (`brl`, `BRL`). Nothing is trimmed: ` BRL` is refused.
    pub fn parse(input: &str) -> Result<Currency, MoneyError> {
        Currency::ALL
            .iter()
            .copied()
            .find(|c| c.code().eq_ignore_ascii_case(input))
            .ok_or_else(|| MoneyError::UnknownCurrency(input.to_string()))
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

/// Why an amount or currency was refused. Each message is one sentence naming the value; the
/// caller adds the field (`amount: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency `{0}` (supported: {codes})", codes = supported_codes())]
    UnknownCurrency(String),
    #[error("an amount is required but the input is empty")]
    Empty,
    #[error("`{input}` is not an amount: {} is not a digit or a decimal separator", describe(*.unexpected))]
    NotANumber { input: String, unexpected: char },
    #[error(
        "`{input}` has more than one `.` or `,`; thousands separators are not accepted, so write it with one decimal separator, like `{hint}`"
    )]
    MultipleSeparators { input: String, hint: String },
    #[error("`{input}` has a decimal separator with no digits after it")]
    NoDigitsAfterSeparator { input: String },
    #[error("`{input}` has no digits before the decimal separator; write `0{input}`")]
    NoDigitsBeforeSeparator { input: String },
    #[error(
        "`{input}` has {decimals} decimal place{} but {currency} allows {}",
        plural(*.decimals),
        allowed_decimals(*.currency)
    )]
    TooManyDecimals {
        input: String,
        decimals: usize,
        currency: Currency,
    },
    #[error(
        "`{input}` is not a whole number of minor units; minor units take no `.` or `,` (10.50 BRL is 1050)"
    )]
    FractionalMinorUnits { input: String },
    #[error("`{input}` is negative; an amount must be greater than zero")]
    Negative { input: String },
    #[error("`{input}` is zero; an amount must be greater than zero")]
    Zero { input: String },
    #[error(
        "`{input}` is too large; the largest amount in {currency} is {}",
        largest(*.currency)
    )]
    TooLarge { input: String, currency: Currency },
}

fn supported_codes() -> String {
    let codes: Vec<&str> = Currency::ALL.iter().map(|c| c.code()).collect();
    codes.join(", ")
}

fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        c if c.is_whitespace() || c.is_control() => format!("`{}`", c.escape_debug()),
        c => format!("`{c}`"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn allowed_decimals(currency: Currency) -> String {
    match currency.exponent() {
        0 => "none (it has no minor unit)".to_string(),
        1 => "at most 1".to_string(),
        n => format!("at most {n}"),
    }
}

fn largest(currency: Currency) -> String {
    Money {
        amount: i64::MAX,
        currency,
    }
    .to_decimal_string()
}

/// A positive amount of money: minor units (`i64`) in one currency.
///
/// Every constructor (including deserialization) refuses zero and negative amounts, so a
/// `Money` in hand is always positive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawMoney")]
pub struct Money {
    amount: i64,
    currency: Currency,
}

/// The wire shape of [`Money`], checked by [`Money::from_minor`] on the way in.
#[derive(Deserialize)]
struct RawMoney {
    amount: i64,
    currency: Currency,
}

impl TryFrom<RawMoney> for Money {
    type Error = MoneyError;
    fn try_from(raw: RawMoney) -> Result<Money, MoneyError> {
        Money::from_minor(raw.amount, raw.currency)
    }
}

/// Whether the input is in major units (separators allowed, scaled by the exponent) or already
/// in minor units (an integer).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Units {
    Major,
    Minor,
}

impl Money {
    /// A positive amount in minor units.
    pub fn from_minor(amount: i64, currency: Currency) -> Result<Money, MoneyError> {
        match amount {
            0 => Err(MoneyError::Zero {
                input: amount.to_string(),
            }),
            a if a < 0 => Err(MoneyError::Negative {
                input: amount.to_string(),
            }),
            _ => Ok(Money { amount, currency }),
        }
    }

    /// Parses operator input in major units: `10.50`, `10,50`, `10.5`, `1050` (= 1050.00).
    ///
    /// Exactly one `.` or `,` may separate the decimals, which may not exceed the currency's
    /// exponent. Thousands separators are refused, never guessed. Surrounding whitespace is
    /// trimmed.
    pub fn parse_major(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        parse_amount(input, currency, Units::Major)
    }

    /// Parses operator input already in minor units (`--minor`): `1050`. No separators.
    pub fn parse_minor(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        parse_amount(input, currency, Units::Minor)
    }

    pub fn minor(self) -> i64 {
        self.amount
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Major units with exactly the currency's decimals and a `.`: `10.50`, `1990` (JPY).
    pub fn to_decimal_string(self) -> String {
        let exponent = self.currency.exponent();
        // Positive by construction, so `unsigned_abs` is the amount itself.
        let amount = self.amount.unsigned_abs();
        if exponent == 0 {
            return amount.to_string();
        }
        let scale = 10u64.pow(exponent);
        format!(
            "{}.{:0width$}",
            amount / scale,
            amount % scale,
            width = exponent as usize
        )
    }
}

impl fmt::Display for Money {
    /// `10.50 BRL`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

fn is_separator(c: char) -> bool {
    c == '.' || c == ','
}

/// The one parser behind [`Money::parse_major`] and [`Money::parse_minor`]. Checks run in the
/// order an operator would want to hear about them: shape first, then size.
fn parse_amount(input: &str, currency: Currency, units: Units) -> Result<Money, MoneyError> {
    let text = input.trim();
    let owned = || text.to_string();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    let negative = text.strip_prefix('-').is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || is_separator(c))
    });
    if negative {
        return Err(MoneyError::Negative { input: owned() });
    }
    if let Some(unexpected) = text
        .chars()
        .find(|&c| !c.is_ascii_digit() && !is_separator(c))
    {
        return Err(MoneyError::NotANumber {
            input: owned(),
            unexpected,
        });
    }

    let (whole, decimals) = match (units, text.split_once(is_separator)) {
        (_, None) => (text, ""),
        (Units::Minor, Some(_)) => return Err(MoneyError::FractionalMinorUnits { input: owned() }),
        (Units::Major, Some((_, decimals))) if decimals.contains(is_separator) => {
            return Err(MoneyError::MultipleSeparators {
                input: owned(),
                hint: separator_hint(text),
            });
        }
        (Units::Major, Some((_, ""))) => {
            return Err(MoneyError::NoDigitsAfterSeparator { input: owned() });
        }
        (Units::Major, Some(("", _))) => {
            return Err(MoneyError::NoDigitsBeforeSeparator { input: owned() });
        }
        (Units::Major, Some(parts)) => parts,
    };

    let exponent = match units {
        Units::Major => currency.exponent() as usize,
        Units::Minor => 0,
    };
    if decimals.len() > exponent {
        return Err(MoneyError::TooManyDecimals {
            input: owned(),
            decimals: decimals.len(),
            currency,
        });
    }

    // Whole digits, then the decimals, then zeros up to the exponent: `10.5` in BRL is the
    // digits `10`, `5`, `0` = 1050 minor units.
    let padding = std::iter::repeat_n(b'0', exponent - decimals.len());
    let mut digits = whole.bytes().chain(decimals.bytes()).chain(padding);
    let amount = digits
        .try_fold(0i64, |acc, d| {
            acc.checked_mul(10)?.checked_add(i64::from(d - b'0'))
        })
        .ok_or_else(|| MoneyError::TooLarge {
            input: owned(),
            currency,
        })?;
    if amount == 0 {
        return Err(MoneyError::Zero { input: owned() });
    }
    Ok(Money { amount, currency })
}

/// The example in a [`MoneyError::MultipleSeparators`] message. When the input mixes the two
/// separators and the last one appears once (`1.234,56`, `1,234.56`), that last one reads as the
/// decimal separator and the hint shows the amount written our way (`1234.56`); otherwise
/// (`1.234.567`) there is no reading worth suggesting and the hint is a generic `1234.56`.
/// Only ever a hint in an error, never applied.
fn separator_hint(text: &str) -> String {
    const GENERIC: &str = "1234.56";
    let Some(at) = text.rfind(is_separator) else {
        return GENERIC.to_string();
    };
    let (before, after) = (&text[..at], &text[at + 1..]);
    let last = &text[at..=at];
    let mixed = !before.contains(last) && before.contains(is_separator);
    let digits_only = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (whole, decimals) = (digits_only(before), digits_only(after));
    if mixed && !whole.is_empty() && !decimals.is_empty() {
        format!("{whole}.{decimals}")
    } else {
        GENERIC.to_string()
    }
}

#[cfg(test)]
mod tests;
