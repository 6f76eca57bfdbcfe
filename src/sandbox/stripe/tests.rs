//! The Stripe fake's own rules: validation, test cards, idempotency, webhooks.

use super::*;

#[test]
fn keys_are_masked_like_stripe_does() {
    assert_eq!(
        masked("sk_live_abcdefghijklmnop1234"),
        "sk_live_********************1234"
    );
    assert!(!masked("short").contains("short"));
}

#[test]
fn only_test_keys_pass() {
    let with = |v: &str| {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        api_key(&h)
    };
    assert_eq!(
        with("Bearer sk_test_abc").ok().as_deref(),
        Some("sk_test_abc")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode("sk_test_xyz:");
    assert_eq!(
        with(&format!("Basic {basic}")).ok().as_deref(),
        Some("sk_test_xyz")
    );
    for bad in [
        "Bearer sk_live_abc",
        "Bearer sk_test_",
        "Token sk_test_abc",
        "Bearer pk_test_a",
    ] {
        assert_eq!(with(bad).err().map(|e| e.status), Some(401), "{bad}");
    }
    assert_eq!(
        api_key(&HeaderMap::new()).err().map(|e| e.status),
        Some(401)
    );
}

#[test]
fn unknown_parameters_are_named() {
    let params = vec![
        ("amount".to_string(), "1".to_string()),
        ("amout".into(), "1".into()),
    ];
    let err = check_known(&params, &[CREATE_PARAMS]).err().unwrap();
    assert_eq!(err.body["error"]["param"], "amout");
    let ok = vec![
        ("metadata[a]".to_string(), "1".to_string()),
        ("expand[]".into(), "x".into()),
    ];
    assert!(check_known(&ok, &[CREATE_PARAMS]).is_ok());
    let empty_key = vec![("metadata[]".to_string(), "1".to_string())];
    assert!(check_known(&empty_key, &[CREATE_PARAMS]).is_err());
}

#[test]
fn stripes_amount_limits_hold_per_currency() {
    let code = |amount, currency| {
        check_amount_limits(amount, currency).err().map(|e| {
            e.body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    };
    assert_eq!(code(49, "usd").as_deref(), Some("amount_too_small"));
    assert_eq!(code(50, "usd"), None);
    assert_eq!(code(29, "gbp").as_deref(), Some("amount_too_small"));
    assert_eq!(code(30, "gbp"), None);
    assert_eq!(code(999, "mxn").as_deref(), Some("amount_too_small"));
    assert_eq!(code(49, "brl").as_deref(), Some("amount_too_small"));
    // Outside Stripe's table only the eight-digit maximum is enforced.
    assert_eq!(code(1, "clp"), None);
    assert_eq!(code(MAX_AMOUNT, "brl"), None);
    assert_eq!(
        code(MAX_AMOUNT + 1, "brl").as_deref(),
        Some("amount_too_large")
    );
}

#[test]
fn payment_method_types_default_as_the_api_version_says() {
    let params = |pairs: &[(&str, &str)]| -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let pinned = ApiVersion::pinned();
    let old = ApiVersion::parse("2022-11-15").unwrap();
    let types = |p: &Params, v: &ApiVersion, currency, capture| {
        method_types(p, v, currency, capture).ok().unwrap()
    };
    let none = params(&[]);
    assert_eq!(
        types(&none, &pinned, "brl", "automatic_async"),
        (vec!["card".to_string(), "pix".into()], true)
    );
    assert_eq!(
        types(&none, &pinned, "brl", "manual"),
        (vec!["card".to_string()], true)
    );
    assert_eq!(
        types(&none, &pinned, "usd", "automatic_async"),
        (vec!["card".to_string()], true)
    );
    assert_eq!(
        types(&none, &old, "brl", "automatic"),
        (vec!["card".to_string()], false)
    );
    let asked = params(&[("automatic_payment_methods[enabled]", "true")]);
    assert!(types(&asked, &old, "brl", "automatic").1);
    let both = params(&[
        ("automatic_payment_methods[enabled]", "true"),
        ("payment_method_types[]", "card"),
    ]);
    let err = method_types(&both, &pinned, "brl", "automatic_async")
        .err()
        .unwrap();
    assert_eq!(err.body["error"]["param"], "automatic_payment_methods");
    let pix_in_usd = params(&[("payment_method_types[]", "pix")]);
    let err = method_types(&pix_in_usd, &pinned, "usd", "automatic_async")
        .err()
        .unwrap();
    assert_eq!(err.body["error"]["param"], "currency");
}

/// The intent's statuses keep Stripe's wire text, in `as_str` and in the JSON.
#[test]
fn intent_statuses_are_stripes_texts() {
    use IntentStatus::*;
    for (status, text) in [
        (RequiresPaymentMethod, "requires_payment_method"),
        (RequiresConfirmation, "requires_confirmation"),
        (RequiresAction, "requires_action"),
        (RequiresCapture, "requires_capture"),
        (Succeeded, "succeeded"),
        (Canceled, "canceled"),
    ] {
        assert_eq!(status.as_str(), text);
        assert_eq!(serde_json::to_value(status).unwrap(), json!(text));
        assert_eq!(
            status.is_cancelable(),
            !matches!(status, Succeeded | Canceled)
        );
    }
    assert_eq!(IntentStatus::created(true), RequiresConfirmation);
    assert_eq!(IntentStatus::created(false), RequiresPaymentMethod);
}
