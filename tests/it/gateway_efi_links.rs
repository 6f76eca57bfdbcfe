//! Efí payment links (its API Cobranças) against a local HTTP server that records every
//! request: the token at `/v1/authorize`, the exact one-step link body, the read, the cancel,
//! the lookup by `custom_id`, the notification read, and what a link never does (a second POST,
//! a call without payorch's public URL, a refund).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use payorch::clock::{ManualClock, Timestamp};
use payorch::config::EfiSettings;
use payorch::gateway::efi::{EfiCredentials, EfiGateway, EfiOptions};
use payorch::gateway::{CreateCharge, CreateRefund, Gateway};
use payorch::id::RefundId;
use payorch::model::{AttemptOutcome, ChargeStatus, Money, PaymentMethod, TenantId};
use payorch::secret::Secret;
use serde_json::{Value, json};

use crate::common::scripted::{Reply, Scripted, Seen};

type Answer = (u16, Value);

/// Answers `/v1/authorize` with a token unless `respond` does; anything unscripted is a 500.
async fn mock(respond: impl Fn(&Seen) -> Option<Answer> + Send + Sync + 'static) -> Scripted {
    let tokens = AtomicUsize::new(0);
    Scripted::answering(move |s| {
        let (status, body) = match respond(s) {
            Some(a) => a,
            None if s.path == "/v1/authorize" => {
                let n = tokens.fetch_add(1, Ordering::SeqCst) + 1;
                (
                    200,
                    json!({"access_token": format!("ctok-{n}"), "refresh_token": "r", "expires_in": 600, "expire_at": "1690000000000", "token_type": "Bearer"}),
                )
            }
            None => (500, json!({"code": 500, "error": "unexpected", "error_description": s.path})),
        };
        Some(Reply::json(status, body))
    })
    .await
}

const PUBLIC: &str = "https://payorch.example.com";

fn gateway_at(base: &str, public_url: Option<&str>) -> EfiGateway {
    let settings = EfiSettings {
        // The Pix API is never called for a link: an unused port.
        base_url: "http://127.0.0.1:9".into(),
        cobrancas_base_url: base.to_string(),
        public_url: public_url.map(str::to_string),
        pix_key: Some("pix@example.com".into()),
        ..EfiSettings::default()
    };
    let start = Timestamp::parse_rfc3339("2026-11-24T03:00:00Z").unwrap();
    EfiGateway::with_options(
        &settings,
        EfiCredentials {
            client_id: Secret::new("Client_Id_abc"),
            client_secret: Secret::new("Client_Secret_xyz"),
            webhook_hmac: None,
        },
        EfiOptions {
            extra_roots: vec![],
            clock: Arc::new(ManualClock::new(start)),
        },
    )
    .unwrap()
    .for_tenant(&TenantId::parse("acme").unwrap())
}

fn gateway(base: &str) -> EfiGateway {
    gateway_at(base, Some(PUBLIC))
}

fn link(amount: i64) -> CreateCharge {
    CreateCharge {
        method: PaymentMethod::Link,
        ..crate::common::pix_request(amount)
    }
}

fn assert_token_request(s: &Seen) {
    assert_eq!(
        (s.method.as_str(), s.path.as_str()),
        ("POST", "/v1/authorize")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode("Client_Id_abc:Client_Secret_xyz");
    assert_eq!(s.header("authorization"), Some(&*format!("Basic {basic}")));
    assert_eq!(s.json(), json!({"grant_type": "client_credentials"}));
}

fn created(id: u64, custom_id: &str, total: i64) -> Value {
    json!({"code": 200, "data": {
        "charge_id": id, "status": "link", "total": total, "custom_id": custom_id,
        "payment_url": format!("https://pagamento.gerencianet.com.br/{id}abc"),
        "payment_method": "all", "request_delivery_address": false,
        "expire_at": "2026-11-24", "created_at": "2026-11-24 00:00:01"
    }})
}

fn detail(id: u64, custom_id: &str, status: &str, total: i64) -> Value {
    json!({"code": 200, "data": {
        "charge_id": id, "total": total, "status": status, "custom_id": custom_id,
        "created_at": "2026-11-24 00:00:01", "notification_url": "https://payorch.example.com/webhooks/acme/efi/links",
        "items": [{"name": "Order 1234", "value": total, "amount": 1}],
        "history": [{"message": "Cobrança criada", "created_at": "2026-11-24 00:00:01"}],
        "link": {"billet_discount": null, "card_discount": null, "message": null,
                 "expire_at": "2026-11-24", "request_delivery_address": false,
                 "payment_method": "all",
                 "payment_url": format!("https://pagamento.gerencianet.com.br/{id}abc")}
    }})
}

#[tokio::test]
async fn a_link_is_one_post_of_the_one_step_link_with_the_charge_id_and_the_notification_url() {
    let req = link(4590);
    let custom = req.charge_id.as_str().to_string();
    let custom2 = custom.clone();
    let server = mock(move |s| {
        (s.path == "/v1/charge/one-step/link").then(|| (200, created(3714507, &custom2, 4590)))
    })
    .await;
    let gw = gateway(&server.base);
    assert!(
        gw.capabilities()
            .supports(PaymentMethod::Link, payorch::model::Currency::Brl)
    );
    // A txid makes a Pix create idempotent; a link's POST is not, so it is never resent.
    assert!(gw.create_resend_is_idempotent_for(PaymentMethod::Pix));
    assert!(!gw.create_resend_is_idempotent_for(PaymentMethod::Link));

    let charge = gw.create_charge(&req).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "{:?}", server.paths());
    assert_token_request(&seen[0]);
    let post = &seen[1];
    assert_eq!(post.method.as_str(), "POST");
    assert_eq!(post.header("authorization"), Some("Bearer ctok-1"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    // 2026-11-24T03:00Z is midnight in Brasília; an hour later is still the 24th there.
    assert_eq!(
        post.json(),
        json!({
            "items": [{"name": "Order 1234", "value": 4590, "amount": 1}],
            "metadata": {"custom_id": custom,
                         "notification_url": "https://payorch.example.com/webhooks/acme/efi/links"},
            "settings": {"payment_method": "all", "expire_at": "2026-11-24",
                         "request_delivery_address": false}
        })
    );
    assert_eq!(charge.reference, "3714507");
    assert_eq!(charge.status, ChargeStatus::RequiresAction);
    assert_eq!(charge.gateway_status, "link");
    assert_eq!(charge.amount, 4590);
    let details = charge.link.expect("the link");
    assert_eq!(
        details.url,
        "https://pagamento.gerencianet.com.br/3714507abc"
    );
    // The end of the expire_at day, Brasília (-03:00).
    assert_eq!(
        details.expires_at,
        Some(Timestamp::parse_rfc3339("2026-11-25T02:59:59Z").unwrap())
    );
    assert!(charge.pix.is_none() && charge.fee.is_none());
}

#[tokio::test]
async fn without_a_description_the_item_is_named_after_the_charge() {
    let mut req = link(1);
    req.description = Some("   ".into());
    let custom = req.charge_id.as_str().to_string();
    let custom2 = custom.clone();
    let server = mock(move |s| {
        (s.path == "/v1/charge/one-step/link").then(|| (200, created(1, &custom2, 1)))
    })
    .await;
    gateway(&server.base).create_charge(&req).await.unwrap();
    let body = server.seen()[1].json();
    assert_eq!(body["items"][0]["name"], json!(format!("Charge {custom}")));
    assert_eq!(body["items"][0]["value"], json!(1));
}

#[tokio::test]
async fn without_a_public_url_efi_offers_no_links_and_sends_nothing() {
    let server = mock(|_| None).await;
    let gw = gateway_at(&server.base, None);
    assert!(!gw.capabilities().methods.contains(&PaymentMethod::Link));
    assert!(gw.capabilities().methods.contains(&PaymentMethod::Pix));
    assert_eq!(gw.link_notification_url(), None);
    let e = gw.create_charge(&link(100)).await.unwrap_err();
    assert_eq!(e.outcome, AttemptOutcome::Invalid);
    assert!(e.message.contains("gateways.efi.public_url"), "{e}");
    assert!(server.seen().is_empty());

    let bad = EfiSettings {
        base_url: "http://127.0.0.1:9".into(),
        public_url: Some("payorch.example.com".into()),
        ..EfiSettings::default()
    };
    let creds = EfiCredentials {
        client_id: Secret::new("a"),
        client_secret: Secret::new("b"),
        webhook_hmac: None,
    };
    let e = EfiGateway::new(&bad, creds).err().expect("refused");
    assert!(e.message.contains("gateways.efi.public_url"), "{e}");
}

#[tokio::test]
async fn create_errors_keep_their_class() {
    let server = mock(|s| {
        (s.path == "/v1/charge/one-step/link").then(|| {
            (
                400,
                json!({"code": 3500034, "error": "validation_error", "error_description": {"property": "/items/0/value", "message": "too small"}}),
            )
        })
    })
    .await;
    let e = gateway(&server.base)
        .create_charge(&link(1))
        .await
        .unwrap_err();
    assert_eq!(e.outcome, AttemptOutcome::Invalid, "{e}");
    assert_eq!(e.http_status, Some(400));

    let server = mock(|s| (s.path == "/v1/charge/one-step/link").then(|| (502, json!({})))).await;
    let e = gateway(&server.base)
        .create_charge(&link(1))
        .await
        .unwrap_err();
    assert_eq!(e.outcome, AttemptOutcome::UnavailableAmbiguous, "{e}");

    // A 200 that is not a charge: the link may exist, so the outcome is unknown.
    let server = mock(|s| {
        (s.path == "/v1/charge/one-step/link").then(|| (200, json!({"code": 200, "data": {}})))
    })
    .await;
    let e = gateway(&server.base)
        .create_charge(&link(1))
        .await
        .unwrap_err();
    assert_eq!(e.outcome, AttemptOutcome::UnavailableAmbiguous, "{e}");
}

#[tokio::test]
async fn read_cancel_and_the_statuses_of_a_link() {
    for (status, expected) in [
        ("link", ChargeStatus::RequiresAction),
        ("waiting", ChargeStatus::Processing),
        ("paid", ChargeStatus::Succeeded),
        ("settled", ChargeStatus::Succeeded),
        ("unpaid", ChargeStatus::Failed),
        ("expired", ChargeStatus::Canceled),
        ("canceled", ChargeStatus::Canceled),
        ("refunded", ChargeStatus::Refunded),
    ] {
        let server = mock(move |s| {
            (s.path == "/v1/charge/42").then(|| (200, detail(42, "ch_x", status, 4590)))
        })
        .await;
        let c = gateway(&server.base).get_charge("42").await.unwrap();
        assert_eq!(c.status, expected, "{status}");
        assert_eq!(c.gateway_status, status);
        assert_eq!(
            c.link.unwrap().url,
            "https://pagamento.gerencianet.com.br/42abc"
        );
        assert_eq!(c.failure.is_some(), expected == ChargeStatus::Failed);
    }

    let cancelled = AtomicUsize::new(0);
    let server = mock(move |s| match (s.method.as_str(), s.path.as_str()) {
        ("PUT", "/v1/charge/42/cancel") => {
            cancelled.fetch_add(1, Ordering::SeqCst);
            Some((200, json!({"code": 200})))
        }
        ("GET", "/v1/charge/42") => Some((200, detail(42, "ch_x", "canceled", 4590))),
        _ => None,
    })
    .await;
    let c = gateway(&server.base).cancel("42").await.unwrap();
    assert_eq!(c.status, ChargeStatus::Canceled);
    let paths = server.paths();
    assert_eq!(
        paths,
        [
            "POST /v1/authorize",
            "PUT /v1/charge/42/cancel",
            "GET /v1/charge/42"
        ]
    );
    assert!(server.seen()[1].body.is_empty());

    // A paid link cannot be cancelled: Efí's refusal comes back as it is.
    let server = mock(|s| {
        (s.path == "/v1/charge/7/cancel").then(|| {
            (
                400,
                json!({"code": 3500010, "error": "charge_status_not_allowed", "error_description": "A transação não pode ser cancelada"}),
            )
        })
    })
    .await;
    let e = gateway(&server.base).cancel("7").await.unwrap_err();
    assert_eq!(e.outcome, AttemptOutcome::Invalid, "{e}");
}

#[tokio::test]
async fn find_looks_the_charge_up_by_custom_id_among_boletos_then_cards() {
    let req = link(4590);
    let custom = req.charge_id.as_str().to_string();
    let c2 = custom.clone();
    let server = mock(move |s| match (s.path.as_str(), s.query.as_deref()) {
        ("/v1/charges", Some(q)) if q.contains("charge_type=billet") => {
            // Efí's filter is a match; another charge must not be taken for ours.
            Some((200, json!({"code": 200, "data": [
                {"id": 11, "total": 4590, "status": "link", "custom_id": "ch_someone_else", "created_at": "2026-11-24 00:00:01"}
            ]})))
        }
        ("/v1/charges", Some(_)) => Some((200, json!({"code": 200, "data": [
            {"id": 12, "total": 4590, "status": "paid", "custom_id": c2.clone(), "created_at": "2026-11-24 00:00:01"}
        ]}))),
        ("/v1/charge/12", _) => Some((200, detail(12, &c2, "paid", 4590))),
        _ => None,
    })
    .await;
    let found = gateway(&server.base)
        .find_charge(&req)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.reference, "12");
    assert_eq!(found.status, ChargeStatus::Succeeded);
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "{:?}", server.paths());
    let query = |s: &Seen| {
        let mut q: Vec<String> = s
            .query
            .clone()
            .unwrap()
            .split('&')
            .map(str::to_string)
            .collect();
        q.sort();
        q
    };
    // The days around the charge id's time, in Brasília.
    let made = ulid::Ulid::from_string(req.charge_id.ulid_part()).unwrap();
    let made = Timestamp::from_unix_millis(made.timestamp_ms() as i64);
    let day = std::time::Duration::from_secs(86_400);
    let begin = payorch::gateway::asaas::brasilia_date(made.minus(day));
    let end = payorch::gateway::asaas::brasilia_date(made.plus(day));
    for (s, kind) in [(&seen[1], "billet"), (&seen[2], "card")] {
        assert_eq!((s.method.as_str(), s.path.as_str()), ("GET", "/v1/charges"));
        let mut expected = vec![
            format!("begin_date={begin}"),
            format!("charge_type={kind}"),
            format!("custom_id={custom}"),
            format!("end_date={end}"),
        ];
        expected.sort();
        assert_eq!(query(s), expected);
    }

    // Nothing under the id: nothing was made.
    let server =
        mock(|s| (s.path == "/v1/charges").then(|| (200, json!({"code": 200, "data": []})))).await;
    assert!(
        gateway(&server.base)
            .find_charge(&link(1))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_notification_token_is_read_back_from_efi() {
    let server = mock(|s| {
        (s.path == "/v1/notification/0476a1d1-cf40-4702-889c-60f06acecb73").then(|| {
            (
                200,
                json!({"code": 200, "data": [
                    {"id": 1, "type": "charge", "custom_id": "ch_x", "status": {"current": "new", "previous": null},
                     "identifiers": {"charge_id": 42}, "created_at": "2026-11-24 00:00:01"},
                    {"id": 2, "type": "charge", "custom_id": "ch_x", "status": {"current": "paid", "previous": "link"},
                     "identifiers": {"charge_id": 42}, "value": 4590, "received_by_bank_at": "2026-11-24",
                     "created_at": "2026-11-24 00:10:00"}
                ]}),
            )
        })
    })
    .await;
    let gw = gateway(&server.base);
    let entries = gw
        .link_notification("0476a1d1-cf40-4702-889c-60f06acecb73")
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].status.current, "paid");
    assert_eq!(entries[1].identifiers.charge_id, Some(42));
    assert_eq!(entries[1].value, Some(4590));
    assert_eq!(
        server.seen()[1].header("authorization"),
        Some("Bearer ctok-1")
    );

    // A token that could leave its path segment is refused before any call.
    let e = gw.link_notification("../charge/1").await.unwrap_err();
    assert_eq!(e.outcome, AttemptOutcome::Invalid);
    assert_eq!(server.seen().len(), 2);

    // An unknown token: Efí's refusal, never news.
    let server = mock(|s| {
        s.path.starts_with("/v1/notification/").then(|| {
            (
                404,
                json!({"code": 404, "error": "notification_not_found", "error_description": "Notificação não encontrada"}),
            )
        })
    })
    .await;
    let e = gateway(&server.base)
        .link_notification("forged")
        .await
        .unwrap_err();
    assert_eq!(e.outcome, AttemptOutcome::Invalid);
}

#[tokio::test]
async fn a_link_is_not_refunded_through_payorch() {
    let server = mock(|_| None).await;
    let e = gateway(&server.base)
        .refund(&CreateRefund {
            refund_id: RefundId::generate(),
            charge_reference: "42".into(),
            payment_reference: None,
            money: Money::from_minor(100, payorch::model::Currency::Brl).unwrap(),
            idempotency_key: "r".into(),
            reason: None,
        })
        .await
        .unwrap_err();
    assert_eq!(e.outcome, AttemptOutcome::Invalid);
    assert!(server.seen().is_empty());
}
