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

/// A fake on a manual clock, the webhooks it sends, and a way to read its answers.
mod sessions {
    use super::*;
    use crate::clock::{ManualClock, Timestamp};
    use std::time::Duration;

    const T0: i64 = 1_796_464_800;

    fn fake() -> (
        Arc<StripeFake>,
        Arc<ManualClock>,
        tokio::sync::mpsc::UnboundedReceiver<(GatewayId, crate::sandbox::OutboundWebhook)>,
    ) {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_millis(T0 * 1000)));
        let (ctx, rx) = crate::sandbox::SandboxContext::new(clock.clone());
        (Arc::new(StripeFake::new(ctx)), clock, rx)
    }

    fn headers(key: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Bearer sk_test_abc".parse().unwrap());
        h.insert(header::HOST, "127.0.0.1:7700".parse().unwrap());
        if let Some(k) = key {
            h.insert("idempotency-key", k.parse().unwrap());
        }
        h
    }

    async fn read(r: Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    fn body(extra: &str) -> String {
        format!(
            "mode=payment&line_items[0][price_data][currency]=brl\
&line_items[0][price_data][unit_amount]=4590\
&line_items[0][price_data][product_data][name]=Pedido\
&line_items[0][quantity]=1&client_reference_id=ch_1{extra}"
        )
    }

    fn kinds(
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<(GatewayId, crate::sandbox::OutboundWebhook)>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok((_, w)) = rx.try_recv() {
            let event: Value = serde_json::from_slice(&w.body).unwrap();
            out.push(event["type"].as_str().unwrap().to_string());
        }
        out
    }

    #[tokio::test]
    async fn a_session_is_created_replayed_and_refused_like_stripes() {
        let (fake, _, _) = fake();
        let (status, s) =
            read(fake.create_session(&headers(Some("k1")), body("").as_bytes())).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(s["object"], "checkout.session");
        assert_eq!(
            (s["status"].as_str(), s["payment_status"].as_str()),
            (Some("open"), Some("unpaid"))
        );
        assert_eq!(s["amount_total"], 4590);
        assert_eq!(
            s["payment_intent"],
            Value::Null,
            "no intent before the payer pays"
        );
        assert_eq!(s["payment_method_types"], json!(["card", "pix"]));
        assert_eq!(s["expires_at"], T0 + 86_400, "Stripe's default: 24 h");
        let id = s["id"].as_str().unwrap();
        assert_eq!(s["url"], format!("http://127.0.0.1:7700/stripe/c/pay/{id}"));
        // The same key replays the same session; other parameters under it are refused.
        let (_, again) = read(fake.create_session(&headers(Some("k1")), body("").as_bytes())).await;
        assert_eq!(again["id"], s["id"]);
        let (status, _) = read(fake.create_session(
            &headers(Some("k1")),
            body("&customer_email=a@b.c").as_bytes(),
        ))
        .await;
        assert_eq!(status, 400);
        for (extra, param) in [
            ("&expires_at=1796466000", "expires_at"), // 20 minutes: under Stripe's 30
            ("&expires_at=1796551300", "expires_at"), // 24 h and 100 s
            ("&mode=subscription", "mode"),
            ("&payment_method_types[]=boleto", "payment_method_types"),
            (
                "&line_items[0][price_data][recurring][interval]=month",
                "line_items[0][price_data][recurring][interval]",
            ),
        ] {
            let (status, e) =
                read(fake.create_session(&headers(None), body(extra).as_bytes())).await;
            assert_eq!(status, 400, "{extra}: {e}");
            assert_eq!(e["error"]["param"], param, "{extra}: {e}");
        }
        let usd = body("").replace("=brl", "=usd") + "&payment_method_types[]=pix";
        let (status, e) = read(fake.create_session(&headers(None), usd.as_bytes())).await;
        assert_eq!(
            (status, e["error"]["param"].as_str()),
            (400, Some("payment_method_types"))
        );
    }

    #[tokio::test]
    async fn a_session_expires_when_due_or_asked_once_and_then_cannot_be_paid() {
        let (fake, clock, mut rx) = fake();
        let (_, s) =
            read(fake.create_session(&headers(None), body("&expires_at=1796466600").as_bytes()))
                .await;
        let id = s["id"].as_str().unwrap().to_string();
        clock.advance(Duration::from_secs(1_800));
        let (_, got) = read(fake.retrieve_session(&headers(None), &id, None)).await;
        assert_eq!(
            (got["status"].as_str(), got["url"].clone()),
            (Some("expired"), Value::Null)
        );
        assert_eq!(kinds(&mut rx), ["checkout.session.expired"]);
        assert!(matches!(
            fake.pay_session(&id, "card"),
            Err(SandboxError::Conflict(_))
        ));

        let (_, s) = read(fake.create_session(&headers(None), body("").as_bytes())).await;
        let id = s["id"].as_str().unwrap().to_string();
        let (status, done) = read(fake.expire_session(&headers(None), &id, b"")).await;
        assert_eq!((status, done["status"].as_str()), (200, Some("expired")));
        let (status, e) = read(fake.expire_session(&headers(None), &id, b"")).await;
        assert_eq!(status, 400, "{e}");
        assert_eq!(
            kinds(&mut rx),
            ["checkout.session.expired"],
            "one event per expiry"
        );
    }

    #[tokio::test]
    async fn paying_makes_a_succeeded_intent_and_stripes_events() {
        let (fake, _, mut rx) = fake();
        let create = body("&payment_intent_data[metadata][payorch_charge_id]=ch_1");
        let (_, s) = read(fake.create_session(&headers(None), create.as_bytes())).await;
        let id = s["id"].as_str().unwrap().to_string();
        let paid = fake.pay_session(&id, "card").unwrap();
        assert_eq!(
            (paid["status"].as_str(), paid["payment_status"].as_str()),
            (Some("complete"), Some("paid"))
        );
        assert_eq!(
            kinds(&mut rx),
            [
                "charge.succeeded",
                "payment_intent.succeeded",
                "checkout.session.completed"
            ]
        );
        let expand = "expand[]=payment_intent.latest_charge.balance_transaction";
        let (_, got) = read(fake.retrieve_session(&headers(None), &id, Some(expand))).await;
        let pi = &got["payment_intent"];
        assert_eq!(pi["status"], "succeeded", "{got}");
        assert_eq!(pi["metadata"]["payorch_charge_id"], "ch_1");
        assert_eq!(pi["latest_charge"]["balance_transaction"]["fee"], 222);
        assert!(matches!(
            fake.pay_session(&id, "card"),
            Err(SandboxError::Conflict(_))
        ));

        // Pix settles later: completed unpaid, then the async payment succeeded.
        let (_, s) = read(fake.create_session(&headers(None), body("").as_bytes())).await;
        fake.pay(s["id"].as_str().unwrap()).unwrap();
        assert_eq!(
            kinds(&mut rx),
            [
                "checkout.session.completed",
                "charge.succeeded",
                "payment_intent.succeeded",
                "checkout.session.async_payment_succeeded"
            ]
        );
        // Listed newest first, with Stripe's created filters.
        let (_, list) = read(fake.list_sessions(&headers(None), Some("limit=1"))).await;
        assert_eq!(list["data"][0]["id"], s["id"]);
        assert_eq!(list["has_more"], true);
        let (_, none) =
            read(fake.list_sessions(&headers(None), Some(&format!("created[gt]={T0}")))).await;
        assert_eq!(none["data"], json!([]));
    }
}
