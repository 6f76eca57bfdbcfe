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
