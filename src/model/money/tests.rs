use super::*;
use proptest::prelude::*;

/// An input and a test of the error it must give.
type Case = (&'static str, fn(&MoneyError) -> bool);

fn brl(input: &str) -> Result<i64, MoneyError> {
    Money::parse_major(input, Currency::Brl).map(Money::minor)
}

/// Each input is refused with the expected variant, in a message that names the input.
fn assert_refused<T: fmt::Debug>(parse: impl Fn(&str) -> Result<T, MoneyError>, cases: &[Case]) {
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
