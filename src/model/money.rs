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
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An input and a test of the error it must give.
    type Case = (&'static str, fn(&MoneyError) -> bool);

    fn brl(input: &str) -> Result<i64, MoneyError> {
        Money::parse_major(input, Currency::Brl).map(Money::minor)
    }

    /// Each input is refused with the expected variant, in a message that names the input.
    fn assert_refused<T: fmt::Debug>(
        parse: impl Fn(&str) -> Result<T, MoneyError>,
        cases: &[Case],
    ) {
        for &(input, is_expected) in cases {
            let err = parse(input).unwrap_err();
            assert!(is_expected(&err), "{input:?} gave {err:?}");
            let msg = err.to_string();
            assert!(msg.contains(input.trim()), "{input:?}: {msg}");
        }
    }

    #[test]
    fn currency_codes_parse_case_insensitively_and_nothing_else() {
        for &c in Currency::ALL {
            assert_eq!(Currency::parse(c.code()), Ok(c));
            assert_eq!(Currency::parse(&c.code().to_lowercase()), Ok(c));
            assert_eq!(c.to_string(), c.code());
            assert_eq!(String::from(c), c.code());
        }
        assert_eq!("brl".parse::<Currency>(), Ok(Currency::Brl));
        assert_eq!(Currency::parse("bRl"), Ok(Currency::Brl));
        for bad in ["", " BRL", "BRL ", "XYZ", "BR", "BRLL", "R$"] {
            let err = Currency::parse(bad).unwrap_err();
            assert_eq!(err, MoneyError::UnknownCurrency(bad.to_string()));
            let msg = err.to_string();
            assert!(msg.contains(&format!("`{bad}`")), "{msg}");
            assert!(msg.contains("BRL, CLP"), "{msg}");
        }
    }

    #[test]
    fn currency_list_is_in_code_order_with_iso_exponents() {
        let codes: Vec<&str> = Currency::ALL.iter().map(|c| c.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted);
        let mut by_ord = Currency::ALL.to_vec();
        by_ord.sort();
        assert_eq!(by_ord, Currency::ALL);
        for code in [
            "BRL", "USD", "EUR", "GBP", "JPY", "CLP", "MXN", "ARS", "COP", "PEN", "UYU",
        ] {
            let c = Currency::parse(code).unwrap();
            let expected = if matches!(code, "JPY" | "CLP") { 0 } else { 2 };
            assert_eq!(c.exponent(), expected, "{code}");
        }
    }

    #[test]
    fn currency_serde_uses_the_code() {
        assert_eq!(serde_json::to_value(Currency::Brl).unwrap(), "BRL");
        assert_eq!(
            serde_json::from_str::<Currency>("\"usd\"").unwrap(),
            Currency::Usd
        );
        assert!(serde_json::from_str::<Currency>("\"XXX\"").is_err());
    }

    #[test]
    fn accepts_major_units_exactly() {
        for (input, minor) in [
            ("10.50", 1050),
            ("10,50", 1050),
            ("10.5", 1050),
            ("10,5", 1050),
            ("1050", 105_000),
            ("0.01", 1),
            ("0,01", 1),
            ("007.50", 750),
            ("  19.90\n", 1990),
            ("1", 100),
            ("92233720368547758.07", i64::MAX),
            ("0092233720368547758.07", i64::MAX),
        ] {
            assert_eq!(brl(input), Ok(minor), "{input:?}");
        }
    }

    #[test]
    fn refuses_bad_major_input_with_a_named_reason() {
        use MoneyError as E;
        let cases: &[Case] = &[
            ("abc", |e| {
                matches!(
                    e,
                    E::NotANumber {
                        unexpected: 'a',
                        ..
                    }
                )
            }),
            ("1e3", |e| {
                matches!(
                    e,
                    E::NotANumber {
                        unexpected: 'e',
                        ..
                    }
                )
            }),
            ("+5", |e| {
                matches!(
                    e,
                    E::NotANumber {
                        unexpected: '+',
                        ..
                    }
                )
            }),
            ("10.50 BRL", |e| {
                matches!(
                    e,
                    E::NotANumber {
                        unexpected: ' ',
                        ..
                    }
                )
            }),
            ("10 50", |e| {
                matches!(
                    e,
                    E::NotANumber {
                        unexpected: ' ',
                        ..
                    }
                )
            }),
            ("R$10", |e| {
                matches!(
                    e,
                    E::NotANumber {
                        unexpected: 'R',
                        ..
                    }
                )
            }),
            ("١٢", |e| matches!(e, E::NotANumber { .. })),
            ("--5", |e| {
                matches!(
                    e,
                    E::NotANumber {
                        unexpected: '-',
                        ..
                    }
                )
            }),
            ("1.234,56", |e| matches!(e, E::MultipleSeparators { .. })),
            ("1,234.56", |e| matches!(e, E::MultipleSeparators { .. })),
            ("1.234.567", |e| matches!(e, E::MultipleSeparators { .. })),
            ("1..5", |e| matches!(e, E::MultipleSeparators { .. })),
            ("10.", |e| matches!(e, E::NoDigitsAfterSeparator { .. })),
            ("10,", |e| matches!(e, E::NoDigitsAfterSeparator { .. })),
            (".50", |e| matches!(e, E::NoDigitsBeforeSeparator { .. })),
            ("10.505", |e| {
                matches!(e, E::TooManyDecimals { decimals: 3, .. })
            }),
            ("10.500", |e| {
                matches!(e, E::TooManyDecimals { decimals: 3, .. })
            }),
            ("-5", |e| matches!(e, E::Negative { .. })),
            ("-0.50", |e| matches!(e, E::Negative { .. })),
            ("0", |e| matches!(e, E::Zero { .. })),
            ("0.00", |e| matches!(e, E::Zero { .. })),
            ("000,0", |e| matches!(e, E::Zero { .. })),
            ("92233720368547758.08", |e| matches!(e, E::TooLarge { .. })),
            ("92233720368547759", |e| matches!(e, E::TooLarge { .. })),
            ("99999999999999999999999", |e| {
                matches!(e, E::TooLarge { .. })
            }),
        ];
        assert_refused(brl, cases);
        for blank in ["", "   ", "\t\n"] {
            assert_eq!(brl(blank), Err(MoneyError::Empty), "{blank:?}");
        }
    }

    #[test]
    fn messages_say_what_to_do() {
        let msg = |input: &str| brl(input).unwrap_err().to_string();
        assert_eq!(
            msg("10.505"),
            "`10.505` has 3 decimal places but BRL allows at most 2"
        );
        for (input, says) in [
            ("1.234,56", "like `1234.56`"),
            ("2.500,75", "like `2500.75`"),
            ("2,500.75", "like `2500.75`"),
            ("1.5,0,0", "like `1234.56`"),
            ("1.234.567", "like `1234.56`"),
            ("10 50", "a space is not a digit"),
            ("1e3", "`e` is not a digit"),
            (".50", "write `0.50`"),
            ("10.", "no digits after it"),
        ] {
            let message = msg(input);
            assert!(message.contains(says), "{input:?}: {message}");
        }
        assert_eq!(
            msg("92233720368547758.08"),
            "`92233720368547758.08` is too large; the largest amount in BRL is 92233720368547758.07"
        );
    }

    #[test]
    fn zero_exponent_currencies_take_no_decimals() {
        for c in [Currency::Jpy, Currency::Clp] {
            assert_eq!(Money::parse_major("1990", c).unwrap().minor(), 1990);
            assert_eq!(Money::parse_major("007", c).unwrap().minor(), 7);
            let err = Money::parse_major("100.5", c).unwrap_err();
            assert!(
                matches!(err, MoneyError::TooManyDecimals { decimals: 1, .. }),
                "{err:?}"
            );
            assert_eq!(
                err.to_string(),
                format!("`100.5` has 1 decimal place but {c} allows none (it has no minor unit)")
            );
            assert!(matches!(
                Money::parse_major("100.0", c),
                Err(MoneyError::TooManyDecimals { .. })
            ));
            let max = Money::parse_major("9223372036854775807", c).unwrap();
            assert_eq!(max.minor(), i64::MAX);
            assert_eq!(max.to_decimal_string(), "9223372036854775807");
            assert!(matches!(
                Money::parse_major("9223372036854775808", c),
                Err(MoneyError::TooLarge { .. })
            ));
        }
        let yen = Money::from_minor(1990, Currency::Jpy).unwrap();
        assert_eq!(yen.to_decimal_string(), "1990");
        assert_eq!(yen.to_string(), "1990 JPY");
    }

    #[test]
    fn minor_units_are_integers_only() {
        let minor = |s: &str| Money::parse_minor(s, Currency::Brl);
        assert_eq!(minor("1050").map(Money::minor), Ok(1050));
        assert_eq!(minor(" 1 ").map(Money::minor), Ok(1));
        assert_eq!(minor("0001").map(Money::minor), Ok(1));
        assert_eq!(minor("9223372036854775807").map(Money::minor), Ok(i64::MAX));
        use MoneyError as E;
        let cases: &[Case] = &[
            ("10.50", |e| matches!(e, E::FractionalMinorUnits { .. })),
            ("10,50", |e| matches!(e, E::FractionalMinorUnits { .. })),
            ("1.234,56", |e| matches!(e, E::FractionalMinorUnits { .. })),
            ("abc", |e| matches!(e, E::NotANumber { .. })),
            ("1e3", |e| matches!(e, E::NotANumber { .. })),
            ("+5", |e| matches!(e, E::NotANumber { .. })),
            ("-5", |e| matches!(e, E::Negative { .. })),
            ("0", |e| matches!(e, E::Zero { .. })),
            ("9223372036854775808", |e| matches!(e, E::TooLarge { .. })),
        ];
        assert_refused(minor, cases);
        assert_eq!(minor(""), Err(MoneyError::Empty));
    }

    #[test]
    fn from_minor_refuses_zero_and_negatives() {
        assert_eq!(
            Money::from_minor(0, Currency::Brl),
            Err(MoneyError::Zero { input: "0".into() })
        );
        assert_eq!(
            Money::from_minor(-5, Currency::Brl),
            Err(MoneyError::Negative { input: "-5".into() })
        );
        assert!(Money::from_minor(i64::MIN, Currency::Brl).is_err());
        let m = Money::from_minor(1050, Currency::Brl).unwrap();
        assert_eq!((m.minor(), m.currency()), (1050, Currency::Brl));
    }

    #[test]
    fn decimal_strings_and_display() {
        let s = |amount, c| Money::from_minor(amount, c).unwrap().to_decimal_string();
        assert_eq!(s(1050, Currency::Brl), "10.50");
        assert_eq!(s(1, Currency::Brl), "0.01");
        assert_eq!(s(10, Currency::Usd), "0.10");
        assert_eq!(s(100, Currency::Eur), "1.00");
        assert_eq!(s(i64::MAX, Currency::Brl), "92233720368547758.07");
        assert_eq!(s(1990, Currency::Clp), "1990");
        assert_eq!(
            Money::from_minor(1050, Currency::Brl).unwrap().to_string(),
            "10.50 BRL"
        );
    }

    #[test]
    fn deserializing_money_keeps_it_positive() {
        let m: Money = serde_json::from_str(r#"{"amount":1990,"currency":"brl"}"#).unwrap();
        assert_eq!((m.minor(), m.currency()), (1990, Currency::Brl));
        assert_eq!(
            serde_json::to_value(m).unwrap(),
            serde_json::json!({"amount": 1990, "currency": "BRL"})
        );
        for bad in [
            r#"{"amount":0,"currency":"BRL"}"#,
            r#"{"amount":-1,"currency":"BRL"}"#,
            r#"{"amount":1,"currency":"XXX"}"#,
        ] {
            assert!(serde_json::from_str::<Money>(bad).is_err(), "{bad}");
        }
    }

    fn any_money() -> impl Strategy<Value = Money> {
        // Small amounts (where `0.01` and padding live) as often as the whole range.
        let amount = prop_oneof![1..=100_000i64, 1..=i64::MAX];
        (proptest::sample::select(Currency::ALL), amount).prop_map(|(c, amount)| Money {
            amount,
            currency: c,
        })
    }

    proptest! {
        #[test]
        fn decimal_strings_parse_back(m in any_money()) {
            let text = m.to_decimal_string();
            prop_assert_eq!(Money::parse_major(&text, m.currency()), Ok(m));
            let comma = text.replace('.', ",");
            prop_assert_eq!(Money::parse_major(&comma, m.currency()), Ok(m));
            prop_assert_eq!(Money::parse_minor(&m.minor().to_string(), m.currency()), Ok(m));
        }

        #[test]
        fn decimal_strings_are_digits_and_one_dot(m in any_money()) {
            let text = m.to_decimal_string();
            prop_assert!(text.chars().all(|c| c.is_ascii_digit() || c == '.'), "{}", text);
            let dots = text.matches('.').count();
            prop_assert_eq!(dots, usize::from(m.currency().exponent() > 0));
            if let Some((_, decimals)) = text.split_once('.') {
                prop_assert_eq!(decimals.len(), m.currency().exponent() as usize);
            }
        }

        #[test]
        fn parsing_never_panics(input in "\\PC{0,30}", i in 0..Currency::ALL.len()) {
            let _ = Money::parse_major(&input, Currency::ALL[i]);
            let _ = Money::parse_minor(&input, Currency::ALL[i]);
        }
    }
}
