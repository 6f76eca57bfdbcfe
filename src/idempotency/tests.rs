use super::*;
use serde_json::json;

#[test]
fn keys_are_printable_ascii_of_1_to_255_chars() {
    for good in [
        "8e03978e-40d5-43e8-bc93-6894a57f9324",
        "01JD5ZKQ3V6X8Y9Z0A1B2C3D4E",
        "a",
        "order 1234 / attempt #2",
        &"k".repeat(255),
    ] {
        assert_eq!(validate_key(good), Ok(()), "{good:?}");
    }
    for (bad, why) in [
        ("", "empty"),
        (&"k".repeat(256) as &str, "at most 255"),
        ("abc\n", "printable ASCII"),
        ("a\u{0}b", "printable ASCII"),
        ("tab\there", "printable ASCII"),
        ("chave-ção", "printable ASCII"),
        (" lead", "whitespace"),
        ("trail ", "whitespace"),
    ] {
        let err = validate_key(bad).expect_err(bad);
        assert_eq!(err.param, "Idempotency-Key", "{bad:?}");
        assert!(err.message.contains(why), "{bad:?}: {}", err.message);
    }
}

#[test]
fn the_hash_ignores_key_order_and_whitespace_at_every_depth() {
    let a: Value =
        serde_json::from_str(r#"{"a":1,"b":{"x":[1,{"p":true,"q":null}],"y":"s"}}"#).unwrap();
    let b: Value = serde_json::from_str(
        r#"{ "b" : { "y" : "s", "x" : [ 1, { "q" : null, "p" : true } ] }, "a" : 1 }"#,
    )
    .unwrap();
    let op = "POST /v1/charges";
    assert_eq!(request_hash(op, &a), request_hash(op, &b));
    let h = request_hash(op, &a);
    assert_eq!(h.len(), 64);
    assert!(
        h.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn the_canonical_form_is_sorted_and_compact() {
    let v = json!({"b": [2, {"d": "é\"", "c": 1.5}], "a": {}});
    let mut out = String::new();
    write_canonical(&v, &mut out);
    assert_eq!(out, r#"{"a":{},"b":[2,{"c":1.5,"d":"é\""}]}"#);
}

#[test]
fn any_difference_in_operation_or_body_changes_the_hash() {
    let body = json!({"amount": 1990, "currency": "BRL", "items": [1, 2]});
    let base = request_hash("POST /v1/charges", &body);
    assert_eq!(
        base,
        // SHA-256 of "POST /v1/charges\0" + canonical body, computed independently.
        {
            let mut h = Sha256::new();
            h.update(b"POST /v1/charges\0{\"amount\":1990,\"currency\":\"BRL\",\"items\":[1,2]}");
            h.finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        }
    );
    for (op, other) in [
        ("POST /v1/charges/ch_1/refunds", body.clone()),
        (
            "POST /v1/charges",
            json!({"amount": 1991, "currency": "BRL", "items": [1, 2]}),
        ),
        (
            "POST /v1/charges",
            json!({"amount": 1990, "currency": "BRL", "items": [2, 1]}),
        ),
        (
            "POST /v1/charges",
            json!({"amount": 1990.0, "currency": "BRL", "items": [1, 2]}),
        ),
        (
            "POST /v1/charges",
            json!({"amount": 1990, "currency": "BRL"}),
        ),
    ] {
        assert_ne!(request_hash(op, &other), base, "{op} {other}");
    }
}

#[test]
fn settings_come_from_config_and_name_this_process() {
    let a = process_owner();
    assert!(a.contains(&format!(":{}:", std::process::id())), "{a}");
    assert_ne!(a, process_owner(), "the random part differs per call");
    let settings = IdempotencySettings::from_config(&IdempotencyConfig::default());
    assert_eq!(settings.ttl, Duration::from_secs(24 * 3600));
    assert_eq!(settings.lease, Duration::from_secs(60));
    assert!(
        settings
            .owner
            .contains(&format!(":{}:", std::process::id()))
    );
}
