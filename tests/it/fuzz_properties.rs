//! Property tests over generated inputs for every parser that reads untrusted bytes (issue 12):
//! the merchant API's bodies, each gateway's inbound webhook verifier and parser, the BR Code
//! parser and the config file. Each property lives in `payorch::fuzzing`, which the `cargo fuzz`
//! targets in `fuzz/` call too; here they get proptest's inputs, shaped to reach past the first
//! refusal, plus the attack inputs each was written against.
//!
//! 128 cases per property in the suite (a few seconds); `PAYORCH_FUZZ_CASES=100000 cargo test
//! --release --test it fuzz_properties::` for a long run.

use payorch::config::{AmountLimits, Config, HumanDuration};
use payorch::fuzzing::{self, BrCodeParts, Tamper};
use payorch::model::{Currency, GatewayId};
use proptest::prelude::*;
use serde_json::{Value, json};

fn cases() -> u32 {
    std::env::var("PAYORCH_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A valid charge body: Pix in BRL, or a card in any currency.
fn charge(amount: Value, currency: &str, card: bool) -> Value {
    let mut body = json!({
        "amount": amount,
        "currency": currency,
        "method": if card { "card" } else { "pix" },
        "customer": {"name": "Maria Silva", "document": "52998224725", "email": "m@example.com"},
        "metadata": {"order": "A-1"},
    });
    if card {
        body["card"] = json!({"tokens": {"stripe": "pm_card_visa"}});
    }
    body
}

const CURRENCIES: [&str; 5] = ["BRL", "USD", "EUR", "JPY", "CLP"];

/// Any JSON value, small.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An amount as JSON text: integers in and out of range, fractions, exponents, strings.
fn amount_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (1i64..=1_000_000_000_000_000).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "[1-9][0-9]{19,30}",
        (1i64..1_000_000, 1u32..100).prop_map(|(n, f)| format!("{n}.{f}")),
        (1i64..1_000_000).prop_map(|n| format!("{n}.0")),
        (1i64..100, 0u32..20).prop_map(|(n, e)| format!("{n}e{e}")),
        (1i64..1_000_000).prop_map(|n| format!("\"{n}\"")),
        Just("null".to_string()),
        Just("-0".to_string()),
    ]
}

/// The text of `body` with `key` (a top-level key it has) given a second time.
fn with_duplicate(body: &Value, key: &str, value: &str, first: bool) -> String {
    let text = body.to_string();
    let inner = &text[1..text.len() - 1];
    if first {
        format!("{{\"{key}\":{value},{inner}}}")
    } else {
        format!("{{{inner},\"{key}\":{value}}}")
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes: a verdict, never a panic; refusals name their field.
    #[test]
    fn merchant_bodies_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = fuzzing::charge_body(&bytes, &AmountLimits::default());
        let _ = fuzzing::refund_body(&bytes);
    }

    /// Any JSON in any field of a charge: accepted only as the properties allow.
    #[test]
    fn charge_fields_take_any_json(
        field in prop_oneof![
            Just("amount"), Just("currency"), Just("method"), Just("customer"),
            Just("metadata"), Just("card"), Just("description"), Just("gateway"), Just("extra"),
        ],
        value in json_value(),
        card in any::<bool>(),
    ) {
        let mut body = charge(json!(1000), "BRL", card);
        body[field] = value;
        let _ = fuzzing::charge_body(body.to_string().as_bytes(), &AmountLimits::default());
    }

    /// Amounts of every shape: only an integer in 1..=the currency's limit passes; anything
    /// else is a 400 naming `amount`.
    #[test]
    fn charge_amounts_are_integers_within_the_limit(
        amount in amount_text(),
        currency in proptest::sample::select(&CURRENCIES[..]),
        card in any::<bool>(),
    ) {
        let limits = AmountLimits::default();
        let body = charge(json!(0), currency, card || currency != "BRL")
            .to_string()
            .replacen("\"amount\":0", &format!("\"amount\":{amount}"), 1);
        let verdict = fuzzing::charge_body(body.as_bytes(), &limits);
        let max = limits.max_charge(currency.parse::<Currency>().unwrap());
        let valid = amount.parse::<i64>().is_ok_and(|n| (1..=max).contains(&n));
        match verdict {
            Ok(r) => prop_assert!(valid, "{amount} {currency} accepted as {}", r.money.minor()),
            Err(e) => {
                prop_assert!(!valid, "{amount} {currency} refused: {e:?}");
                prop_assert_eq!(e.param.as_deref(), Some("amount"), "{:?}", e);
            }
        }
    }

    /// A key given twice, first or last, with the same or another value: refused, naming it.
    #[test]
    fn duplicate_keys_are_refused_naming_the_key(
        key in proptest::sample::select(&["amount", "currency", "method", "customer", "metadata"][..]),
        value in prop_oneof![Just("1".to_string()), Just("\"BRL\"".to_string()), Just("{}".to_string())],
        first in any::<bool>(),
    ) {
        let body = charge(json!(1000), "BRL", false);
        let text = with_duplicate(&body, key, &value, first);
        let e = fuzzing::charge_body(text.as_bytes(), &AmountLimits::default()).unwrap_err();
        prop_assert_eq!(e.param.as_deref(), Some(key), "{}", text);
        let refund = with_duplicate(&json!({"amount": 100}), "amount", &value, first);
        let e = fuzzing::refund_body(refund.as_bytes()).unwrap_err();
        prop_assert_eq!(e.param.as_deref(), Some("amount"));
    }

    /// Refund amounts of every shape: a positive integer, or left out.
    #[test]
    fn refund_amounts_are_positive_integers(amount in amount_text(), reason in proptest::option::of("[ -~]{0,20}")) {
        let mut body = format!("{{\"amount\":{amount}");
        if let Some(r) = &reason {
            body.push_str(&format!(",\"reason\":{}", json!(r)));
        }
        body.push('}');
        let valid = amount.parse::<i64>().is_ok_and(|n| n > 0);
        match fuzzing::refund_body(body.as_bytes()) {
            Ok(r) => prop_assert!(valid && r.amount == amount.parse().ok(), "{body}"),
            Err(e) => {
                prop_assert!(!valid, "{body}: {e:?}");
                prop_assert_eq!(e.param.as_deref(), Some("amount"));
            }
        }
    }

    /// Stripe: only the untampered signature at a fresh timestamp is accepted; any byte of
    /// the body or the MAC changed, or the stated timestamp changed, is refused.
    #[test]
    fn stripe_accepts_exactly_the_signed_body(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        signed_at in 0i64..4_000_000_000,
        skew in prop_oneof![-400i64..400, any::<i32>().prop_map(i64::from)],
        tamper in prop_oneof![
            Just(Tamper::Nothing),
            (any::<usize>(), 1u8..).prop_map(|(i, m)| Tamper::Body(i, m)),
            (any::<usize>(), 1u8..).prop_map(|(i, m)| Tamper::Signature(i, m)),
            (1i64..).prop_map(Tamper::Timestamp),
            any::<i64>().prop_map(Tamper::Timestamp),
        ],
    ) {
        fuzzing::stripe_signed(&body, signed_at, signed_at + skew, tamper);
    }

    /// Stripe: any `Stripe-Signature` header and body; never a panic, never an acceptance.
    #[test]
    fn stripe_takes_any_header(
        header in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..120),
            (any::<i64>(), "[0-9a-fA-F]{0,70}")
                .prop_map(|(t, v)| format!("t={t},v1={v}").into_bytes()),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..200),
        now in any::<i64>(),
    ) {
        let verdict = fuzzing::webhook_raw(
            GatewayId::Stripe,
            &[("stripe-signature", &header)],
            None,
            &body,
            now,
        );
        prop_assert!(verdict.is_err(), "{:?}", String::from_utf8_lossy(&header));
    }

    /// Efí: accepted exactly when the query's `hmac` is the secret, wherever it sits.
    #[test]
    fn efi_accepts_exactly_the_hmac(
        before in "[a-z]{0,5}=[ -~]{0,8}",
        hmac in prop_oneof![
            Just(fuzzing::EFI_HMAC.to_string()),
            "[ -~]{0,20}",
            (0..fuzzing::EFI_HMAC.len(), 1u8..0x5f).prop_map(|(i, c)| {
                let mut s = fuzzing::EFI_HMAC.as_bytes().to_vec();
                s[i] = 0x20 + (s[i] - 0x20 + c) % 0x5f;
                String::from_utf8(s).unwrap()
            }),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let encoded: String = form_urlencoded::byte_serialize(hmac.as_bytes()).collect();
        fuzzing::efi_hmac(&format!("{before}&hmac={encoded}"), &body);
        fuzzing::efi_hmac(&before, &body);
    }

    /// Asaas: accepted exactly when the header is the token; not a byte off, not a prefix.
    #[test]
    fn asaas_accepts_exactly_the_token(
        token in proptest::option::of(prop_oneof![
            Just(fuzzing::ASAAS_TOKEN.as_bytes().to_vec()),
            proptest::collection::vec(any::<u8>(), 0..30),
            (0..fuzzing::ASAAS_TOKEN.len()).prop_map(|n| fuzzing::ASAAS_TOKEN.as_bytes()[..n].to_vec()),
            (0..fuzzing::ASAAS_TOKEN.len(), 1u8..).prop_map(|(i, m)| {
                let mut t = fuzzing::ASAAS_TOKEN.as_bytes().to_vec();
                t[i] ^= m;
                t
            }),
        ]),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        fuzzing::asaas_token(token.as_deref(), &body);
    }

    /// Each gateway's parser takes any bytes, and any JSON shaped like its webhooks.
    #[test]
    fn webhook_parsers_take_any_body(
        gateway in proptest::sample::select(&GatewayId::ALL[..]),
        raw in proptest::collection::vec(any::<u8>(), 0..300),
        value in json_value(),
        shape in 0usize..3,
    ) {
        fuzzing::webhook_parse(gateway, &raw);
        let shaped = match shape {
            0 => json!({"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": value}}),
            1 => json!({"pix": [value]}),
            _ => json!({"id": "evt_1", "event": "PAYMENT_RECEIVED", "payment": value}),
        };
        fuzzing::webhook_parse(gateway, shaped.to_string().as_bytes());
    }

    /// BR Codes: built ones parse back to their parts; one character changed is refused;
    /// any text parses without panic, and what parses rebuilds to the same fields.
    #[test]
    fn brcodes_round_trip_and_refuse_corruption(
        key in prop_oneof!["[A-Za-z0-9@.+-]{1,55}", "[a-z0-9.]{1,20}/[A-Za-z0-9/-]{1,30}", "[ -~]{0,80}"],
        dynamic in any::<bool>(),
        name in "[ -~]{0,30}",
        city in "[ -~]{0,20}",
        amount in proptest::option::of(prop_oneof![1i64..=99_999_999_999, any::<i64>()]),
        txid in proptest::option::of("[A-Za-z0-9*]{0,30}"),
        info in proptest::option::of("[ -~]{0,40}"),
        corrupt in proptest::option::of((any::<usize>(), any::<u8>())),
        text in any::<String>(),
    ) {
        fuzzing::brcode_roundtrip(&BrCodeParts {
            key_or_url: &key,
            dynamic,
            merchant_name: &name,
            merchant_city: &city,
            amount_cents: amount,
            txid: txid.as_deref(),
            info: info.as_deref(),
            corrupt,
        });
        fuzzing::brcode_text(&text);
    }

    /// Any text as the config file: a parse error points inside the text, anything else names
    /// its key; a file that loads renders and loads back to itself.
    #[test]
    fn config_text_takes_anything(
        text in prop_oneof![
            any::<String>(),
            proptest::collection::vec(config_line(), 0..8).prop_map(|l| l.join("\n")),
        ],
    ) {
        if let Ok(config) = fuzzing::config_text(&text) {
            fuzzing::config_roundtrip(&config);
        }
    }

    /// Valid configs, changed in many places, render (`config show`) and load back equal.
    #[test]
    fn configs_round_trip_through_their_rendering(
        port in 1u16..,
        body_limit in 1024u64..=64 * 1024 * 1024,
        header_ms in 100u64..=300_000,
        max_connections in 1u64..=1_000_000,
        brl in 1i64..=i64::MAX,
        allow_private in any::<bool>(),
        stripe in prop_oneof![
            Just("https://api.stripe.com".to_string()),
            (1u16..).prop_map(|p| format!("http://127.0.0.1:{p}")),
            "https://[a-z]{1,10}\\.example/[a-z]{0,5}",
        ],
        retries in proptest::collection::vec(1u64..=7 * 24 * 3600, 0..6),
    ) {
        let mut config = Config {
            data_dir: Some("/nonexistent/payorch".into()),
            ..Config::default()
        };
        config.server.bind = format!("127.0.0.1:{port}");
        config.server.body_limit = body_limit;
        config.server.header_read_timeout = HumanDuration(std::time::Duration::from_millis(header_ms));
        config.server.max_connections = max_connections;
        config.amount_limits.0.insert("BRL".parse().unwrap(), brl);
        config.webhooks.allow_private_targets = allow_private;
        config.gateways.stripe.base_url = stripe;
        config.webhooks.retry_schedule = retries
            .into_iter()
            .map(|s| HumanDuration(std::time::Duration::from_secs(s)))
            .collect();
        fuzzing::config_roundtrip(&config);
    }
}

/// A line of a config file: a section, or a known key with a value of any type.
fn config_line() -> impl Strategy<Value = String> {
    let key = proptest::sample::select(
        &[
            "data_dir",
            "tenant",
            "server.bind",
            "server.body_limit",
            "server.max_header_bytes",
            "server.header_read_timeout",
            "gateways.stripe.base_url",
            "gateways.efi.base_url",
            "routing.primary",
            "routing.fallbacks",
            "webhooks.retry_schedule",
            "webhooks.allow_private_targets",
            "amount_limits.BRL",
            "amount_limits.XYZ",
            "idempotency.ttl",
            "breaker.window_size",
            "log.level",
            "unknown.key",
        ][..],
    );
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[ -~&&[^\"\\\\]]{0,20}".prop_map(|s| format!("\"{s}\"")),
        Just("\"http://user:pw@127.0.0.1:1\"".to_string()),
        Just("\"http://api.stripe.com\"".to_string()),
        Just("\"5s\"".to_string()),
        Just("[\"efi\", \"efi\"]".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
    ];
    prop_oneof![
        (key.clone(), value).prop_map(|(k, v)| format!("{k} = {v}")),
        key.prop_map(|k| format!("[{}]", k.rsplit_once('.').map_or(k, |(s, _)| s))),
    ]
}

/// The attack inputs, each once: what the properties above were written against.
#[test]
fn the_attack_inputs() {
    let limits = AmountLimits::default();
    let pix = charge(json!(0), "BRL", false).to_string();
    let amount = |text: &str| pix.replace("\"amount\":0", &format!("\"amount\":{text}"));
    for body in [
        charge(json!(i64::MAX), "USD", true).to_string(),
        charge(json!(1_000_000_000_000_000_i64), "USD", true).to_string(),
        charge(json!(i64::MAX), "BRL", false).to_string(),
        r#"{"amount":1,"amount":2}"#.to_string(),
        amount("100.5"),
        amount("1e3"),
        amount("\"100\""),
        amount("1,\"amount\":100"),
    ] {
        let e = fuzzing::charge_body(body.as_bytes(), &limits).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("amount"), "{body}: {e:?}");
    }
    let e = fuzzing::charge_body(
        charge(json!(1_000_000_000_000_i64), "JPY", true)
            .to_string()
            .as_bytes(),
        &limits,
    )
    .unwrap_err();
    assert_eq!(e.code, "amount_too_large");
    fuzzing::charge_body(
        charge(json!(1000), "BRL", false).to_string().as_bytes(),
        &limits,
    )
    .unwrap();
    // Found by cargo fuzz: an empty key was refused with an empty `param`.
    let e = fuzzing::charge_body(b"\n{\"\"\n:\"{\"}", &limits).unwrap_err();
    assert_eq!(e.param.as_deref(), Some("\"\""), "{e:?}");
    let mut body = charge(json!(1000), "BRL", false);
    body["customer"][""] = json!(1);
    let e = fuzzing::charge_body(body.to_string().as_bytes(), &limits).unwrap_err();
    assert_eq!(e.param.as_deref(), Some("customer.\"\""), "{e:?}");
    fuzzing::refund_body(br#"{"amount":null}"#).unwrap_err();
    fuzzing::refund_body(b"").unwrap();

    // Stripe, signed with the secret at i64::MIN and i64::MAX: the tolerance check's
    // subtraction overflowed (a panic in debug builds) before it was done in i128.
    for t in [i64::MIN, i64::MAX, -1] {
        fuzzing::stripe_signed(b"{}", t, 1_700_000_000, Tamper::Nothing);
    }
    // Stale and future timestamps, one second past the tolerance each way.
    fuzzing::stripe_signed(b"{}", 1_700_000_000, 1_700_000_301, Tamper::Nothing);
    fuzzing::stripe_signed(b"{}", 1_700_000_301, 1_700_000_000, Tamper::Nothing);
    fuzzing::stripe_signed(b"{}", 1_700_000_000, 1_700_000_300, Tamper::Nothing);
    fuzzing::stripe_signed(b"{}", 1_700_000_000, 1_700_000_000, Tamper::Timestamp(1));
    fuzzing::efi_hmac(&format!("hmac={}&hmac=x", fuzzing::EFI_HMAC), b"{}");
    fuzzing::efi_hmac(&format!("hmac=x&hmac={}", fuzzing::EFI_HMAC), b"{}");
    fuzzing::efi_hmac("HMAC=efi-hmac-fuzzing", b"{}");
    fuzzing::asaas_token(Some(b"asaas-token-fuzzing "), b"{}");
    fuzzing::asaas_token(Some(b""), b"{}");
    fuzzing::config_text("[gateways.stripe]\nbase_url = \"http://user:pw@127.0.0.1:1\"\n")
        .unwrap_err();
    fuzzing::config_roundtrip(&Config {
        data_dir: Some("/nonexistent/payorch".into()),
        ..Config::default()
    });
}
