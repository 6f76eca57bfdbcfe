//! The Efí adapter against a local HTTP server that records every request: method, path,
//! headers and exact JSON bodies, every outcome class, token caching and refresh, timeouts,
//! and webhooks. The fake and the BCB spec are checked in `efi_fake.rs`; mTLS in `efi_mtls.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine as _;
use payorch::clock::{ManualClock, Timestamp};
use payorch::config::{EfiSettings, HumanDuration};
use payorch::gateway::efi::{EfiCredentials, EfiGateway, EfiOptions};
use payorch::gateway::{CreateCharge, CreateRefund, Gateway, WebhookError, WebhookRequest};
use payorch::id::RefundId;
use payorch::model::{
    AttemptOutcome, ChargeStatus, Currency, Customer, Money, PaymentMethod, RefundStatus,
};
use payorch::secret::Secret;
use serde_json::{Value, json};

use crate::common::scripted::{Reply, Scripted, Seen};

/// An answer: status and body; status 0 means "never answer".
type Answer = (u16, Value);

/// The shared scripted server answering every request with `respond`. Token requests get
/// `tok-1`, `tok-2`, … unless `respond` answers them itself; anything else is a 500.
async fn mock(respond: impl Fn(&Seen) -> Option<Answer> + Send + Sync + 'static) -> Scripted {
    let tokens = AtomicUsize::new(0);
    Scripted::answering(move |s| {
        let (status, body) = match respond(s) {
            Some(a) => a,
            None if s.path == "/oauth/token" => {
                let n = tokens.fetch_add(1, Ordering::SeqCst) + 1;
                (
                    200,
                    json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600, "scope": "cob.write cob.read pix.write pix.read"}),
                )
            }
            None => (500, json!({"nome": "unexpected", "mensagem": s.path})),
        };
        Some(match status {
            0 => Reply::never(),
            status => Reply::json(status, body),
        })
    })
    .await
}

const PIX_KEY: &str = "7d9f0335-8dcc-4054-9bf9-0dbd61d36906";
const HMAC: &str = "hmac-secret-123";

fn settings(base: &str) -> EfiSettings {
    EfiSettings {
        base_url: base.to_string(),
        pix_key: Some(PIX_KEY.into()),
        ..EfiSettings::default()
    }
}

fn credentials() -> EfiCredentials {
    EfiCredentials {
        client_id: Secret::new("Client_Id_abc"),
        client_secret: Secret::new("Client_Secret_xyz"),
        webhook_hmac: Some(Secret::new(HMAC)),
    }
}

fn start() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-24T03:00:00Z").unwrap()
}

fn gateway_with_clock(base: &str, clock: Arc<ManualClock>) -> EfiGateway {
    EfiGateway::with_options(
        &settings(base),
        credentials(),
        EfiOptions {
            extra_roots: vec![],
            clock,
        },
    )
    .unwrap()
}

fn gateway(base: &str) -> EfiGateway {
    gateway_with_clock(base, Arc::new(ManualClock::new(start())))
}

fn charge(amount: i64, document: Option<&str>) -> CreateCharge {
    CreateCharge {
        idempotency_key: "idem-1".into(),
        customer: Customer::parse("Maria Silva", None, document, Currency::Brl).unwrap(),
        ..crate::common::pix_request(amount)
    }
}

fn txid(c: &CreateCharge) -> String {
    format!("payorch{}", c.charge_id.ulid_part())
}

fn cob(txid: &str, status: &str, valor: &str) -> Value {
    let copy = payorch::brcode::BrCode::builder_dynamic(
        "pix.example.com/qr/v2/9d36b84fc70b478fb95c12729b90ca25",
        "EFI SA",
        "SAO PAULO",
    )
    .build()
    .unwrap();
    json!({
        "calendario": {"criacao": "2026-11-24T03:00:00.000Z", "expiracao": 3600},
        "txid": txid, "revisao": 0,
        "loc": {"id": 789, "location": "pix.example.com/qr/v2/9d36b84fc70b478fb95c12729b90ca25", "tipoCob": "cob"},
        "location": "pix.example.com/qr/v2/9d36b84fc70b478fb95c12729b90ca25",
        "status": status, "valor": {"original": valor}, "chave": PIX_KEY,
        "pixCopiaECola": copy,
    })
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("Client_Id_abc:Client_Secret_xyz")
    )
}

fn assert_token_request(s: &Seen) {
    assert_eq!(
        (s.method.as_str(), s.path.as_str()),
        ("POST", "/oauth/token")
    );
    assert_eq!(s.header("authorization"), Some(&*basic()));
    assert_eq!(s.header("content-type"), Some("application/json"));
    assert_eq!(s.json(), json!({"grant_type": "client_credentials"}));
}

#[tokio::test]
async fn create_fetches_a_token_and_puts_the_cob_without_reading_its_qr_image() {
    let req = charge(12345, Some("529.982.247-25"));
    let t = txid(&req);
    let t2 = t.clone();
    let server = mock(move |s| match (s.method.as_str(), s.path.as_str()) {
        ("PUT", p) if p == format!("/v2/cob/{t2}") => Some((201, cob(&t2, "ATIVA", "123.45"))),
        ("GET", "/v2/loc/789/qrcode") => Some((
            200,
            json!({"qrcode": "000201", "imagemQrcode": "data:image/png;base64,iVBORw0KGgo=", "linkVisualizacao": "https://x"}),
        )),
        _ => None,
    })
    .await;
    let got = gateway(&server.base).create_charge(&req).await.unwrap();

    let seen = server.seen();
    // The token and the cob: no `GET /v2/loc/{id}/qrcode` for an image on the charge path
    // (issue 16), the cob's `pixCopiaECola` is the BR Code.
    assert_eq!(seen.len(), 2, "{:?}", server.paths());
    assert_token_request(&seen[0]);
    assert_eq!(seen[1].method, "PUT");
    assert_eq!(seen[1].path, format!("/v2/cob/{t}"));
    assert_eq!(seen[1].header("authorization"), Some("Bearer tok-1"));
    assert_eq!(seen[1].header("content-type"), Some("application/json"));
    assert_eq!(
        seen[1].json(),
        json!({
            "calendario": {"expiracao": 3600},
            "devedor": {"cpf": "52998224725", "nome": "Maria Silva"},
            "valor": {"original": "123.45"},
            "chave": PIX_KEY,
            "solicitacaoPagador": "Order 1234",
        })
    );

    assert_eq!(got.reference, t);
    assert_eq!(got.status, ChargeStatus::RequiresAction);
    assert_eq!(got.gateway_status, "ATIVA");
    assert_eq!(got.amount, 12345);
    let pix = got.pix.unwrap();
    assert!(payorch::brcode::parse(&pix.copy_paste).is_ok());
    assert_eq!(pix.qr_code_png, None);
    assert_eq!(
        pix.expires_at,
        Some(start().plus(Duration::from_secs(3600)))
    );
}

#[tokio::test]
async fn a_cob_answered_without_its_brcode_takes_its_locations() {
    let req = charge(12345, None);
    let t = txid(&req);
    let t2 = t.clone();
    let server = mock(move |s| match (s.method.as_str(), s.path.as_str()) {
        ("PUT", _) => {
            let mut c = cob(&t2, "ATIVA", "123.45");
            c.as_object_mut().unwrap().remove("pixCopiaECola");
            Some((201, c))
        }
        ("GET", "/v2/loc/789/qrcode") => Some((
            200,
            json!({"qrcode": "000201from-loc", "imagemQrcode": "data:image/png;base64,iVBORw0KGgo="}),
        )),
        _ => None,
    })
    .await;
    let got = gateway(&server.base).create_charge(&req).await.unwrap();
    assert_eq!(
        server.paths()[1..],
        [
            format!("PUT /v2/cob/{t}"),
            "GET /v2/loc/789/qrcode".to_string()
        ]
    );
    let pix = got.pix.unwrap();
    assert_eq!(
        (pix.copy_paste.as_str(), pix.qr_code_png),
        ("000201from-loc", None)
    );
}

#[tokio::test]
async fn the_body_follows_the_customer_and_description() {
    let server =
        mock(|s| (s.method == "PUT").then(|| (201, cob(&s.path[8..], "ATIVA", "0.99")))).await;
    let efi = gateway(&server.base);
    // An alphanumeric CNPJ goes as it is; a long description is cut at 140 characters.
    let mut with_cnpj = charge(99, Some("12.ABC.345/01DE-35"));
    with_cnpj.description = Some("x".repeat(200));
    efi.create_charge(&with_cnpj).await.unwrap();
    // No document: no devedor (the BCB requires a CPF or CNPJ with nome). No description.
    let mut anonymous = charge(99, None);
    anonymous.description = None;
    efi.create_charge(&anonymous).await.unwrap();

    let puts: Vec<Value> = server
        .seen()
        .iter()
        .filter(|s| s.method == "PUT")
        .map(Seen::json)
        .collect();
    assert_eq!(
        puts[0]["devedor"],
        json!({"cnpj": "12ABC34501DE35", "nome": "Maria Silva"})
    );
    assert_eq!(
        puts[0]["solicitacaoPagador"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        140
    );
    assert_eq!(
        puts[1],
        json!({"calendario": {"expiracao": 3600}, "valor": {"original": "0.99"}, "chave": PIX_KEY})
    );
}

#[tokio::test]
async fn get_cancel_find_and_refund() {
    let req = charge(1000, None);
    let t = txid(&req);
    let e2e = "E09089356202611240300abcdefghijk";
    let refund = CreateRefund {
        refund_id: RefundId::generate(),
        charge_reference: t.clone(),
        payment_reference: Some(e2e.into()),
        money: Money::from_minor(789, Currency::Brl).unwrap(),
        idempotency_key: "r-1".into(),
        reason: None,
    };
    let dev_id = format!("payorch{}", refund.refund_id.ulid_part());
    let (t2, dev2) = (t.clone(), dev_id.clone());
    let server = mock(move |s| {
        let cob_path = format!("/v2/cob/{t2}");
        match (s.method.as_str(), s.path.as_str()) {
            ("GET", p) if p == cob_path => {
                let mut paid = cob(&t2, "CONCLUIDA", "10.00");
                paid["pix"] = json!([{"endToEndId": e2e, "txid": t2, "valor": "10.00", "horario": "2026-11-24T03:01:00Z",
                    "devolucoes": [{"id": "a1", "rtrId": "D09089356202611240300abcdefghijk", "valor": "2.50", "status": "DEVOLVIDO", "horario": {"solicitacao": "2026-11-24T03:02:00Z"}}]}]);
                Some((200, paid))
            }
            ("GET", _) if s.path.starts_with("/v2/cob/") => Some((
                404,
                json!({"nome": "cobranca_nao_encontrada", "mensagem": "Nenhuma cobrança encontrada para o txid informado"}),
            )),
            ("PATCH", p) if p == cob_path => {
                Some((200, cob(&t2, "REMOVIDA_PELO_USUARIO_RECEBEDOR", "10.00")))
            }
            ("PUT", p) if p == format!("/v2/pix/{e2e}/devolucao/{dev2}") => Some((
                201,
                json!({"id": dev2, "rtrId": "D09089356202611240300abcdefghijk", "valor": "7.89", "horario": {"solicitacao": "2026-11-24T03:05:00Z"}, "status": "EM_PROCESSAMENTO"}),
            )),
            _ => None,
        }
    })
    .await;
    let efi = gateway(&server.base);

    let got = efi.get_charge(&t).await.unwrap();
    assert_eq!(got.status, ChargeStatus::PartiallyRefunded);
    assert_eq!(got.amount_refunded, 250);
    assert_eq!(got.payment_reference.as_deref(), Some(e2e));
    // A paid cob carries no fee (the BCB Pix API has none): payorch estimates it.
    assert_eq!(got.fee, None);

    let found = efi.find_charge(&req).await.unwrap().unwrap();
    assert_eq!(found.reference, t);
    assert_eq!(efi.find_charge(&charge(1000, None)).await.unwrap(), None);

    let canceled = efi.cancel(&t).await.unwrap();
    assert_eq!(canceled.status, ChargeStatus::Canceled);

    let r = efi.refund(&refund).await.unwrap();
    assert_eq!(r.status, RefundStatus::Pending);
    assert_eq!((r.reference.as_str(), r.amount), (dev_id.as_str(), 789));

    let seen = server.seen();
    assert_eq!(seen.len(), 6, "{:?}", server.paths());
    assert_token_request(&seen[0]);
    assert!(
        seen[1..]
            .iter()
            .all(|s| s.header("authorization") == Some("Bearer tok-1"))
    );
    let patch = seen.iter().find(|s| s.method == "PATCH").unwrap();
    assert_eq!(patch.path, format!("/v2/cob/{t}"));
    assert_eq!(patch.header("content-type"), Some("application/json"));
    assert_eq!(
        patch.json(),
        json!({"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"})
    );
    let put = seen.iter().find(|s| s.method == "PUT").unwrap();
    assert_eq!(put.path, format!("/v2/pix/{e2e}/devolucao/{dev_id}"));
    assert_eq!(put.header("content-type"), Some("application/json"));
    assert_eq!(put.json(), json!({"valor": "7.89"}));
}

#[tokio::test]
async fn refund_statuses_and_a_refund_without_an_end_to_end_id() {
    for (status, expected) in [
        ("EM_PROCESSAMENTO", RefundStatus::Pending),
        ("DEVOLVIDO", RefundStatus::Succeeded),
        ("NAO_REALIZADO", RefundStatus::Failed),
    ] {
        let server = mock(move |s| {
            (s.method == "PUT").then(|| (201, json!({"id": "x1", "rtrId": "D09089356202611240300abcdefghijk", "valor": "1.00", "status": status})))
        })
        .await;
        let mut req = CreateRefund {
            refund_id: RefundId::generate(),
            charge_reference: "t".into(),
            payment_reference: Some("E09089356202611240300abcdefghijk".into()),
            money: Money::from_minor(100, Currency::Brl).unwrap(),
            idempotency_key: "r".into(),
            reason: None,
        };
        let efi = gateway(&server.base);
        assert_eq!(efi.refund(&req).await.unwrap().status, expected);
        req.payment_reference = None;
        let err = efi.refund(&req).await.unwrap_err();
        assert_eq!(err.outcome, AttemptOutcome::Invalid);
        assert!(err.message.contains("endToEndId"), "{err}");
    }
}

#[tokio::test]
async fn both_error_shapes_and_every_outcome_class() {
    let cases: Vec<(u16, Value, AttemptOutcome, Option<&str>, &str)> = vec![
        (
            400,
            json!({"type": "https://pix.bcb.gov.br/api/v2/error/CobOperacaoInvalida", "title": "Cobrança inválida.", "status": 400,
                   "detail": "A requisição não respeita o _schema_.", "violacoes": [{"razao": "O campo cob.valor.original não respeita o _schema_.", "propriedade": "cob.valor.original"}]}),
            AttemptOutcome::Invalid,
            Some("CobOperacaoInvalida"),
            "cob.valor.original",
        ),
        (
            404,
            json!({"nome": "chave_nao_encontrada", "mensagem": "A chave informada não pertence a esta conta"}),
            AttemptOutcome::Invalid,
            Some("chave_nao_encontrada"),
            "não pertence",
        ),
        (
            403,
            json!({"type": "https://pix.bcb.gov.br/api/v2/error/AcessoNegado", "title": "Acesso Negado", "status": 403, "detail": "Requisição viola uma regra de autorização."}),
            AttemptOutcome::Auth,
            Some("AcessoNegado"),
            "Acesso Negado",
        ),
        (
            429,
            json!({"nome": "limite_requisicoes", "mensagem": "Muitas requisições"}),
            AttemptOutcome::RateLimited,
            Some("limite_requisicoes"),
            "Muitas",
        ),
        (
            500,
            json!({"nome": "erro_aplicacao", "mensagem": "Ocorreu um erro interno"}),
            AttemptOutcome::UnavailableAmbiguous,
            Some("erro_aplicacao"),
            "erro interno",
        ),
        (
            503,
            json!({"type": "https://pix.bcb.gov.br/api/v2/error/ServicoIndisponivel", "title": "Serviço Indisponível", "status": 503}),
            AttemptOutcome::UnavailableAmbiguous,
            Some("ServicoIndisponivel"),
            "Indisponível",
        ),
    ];
    for (status, body, outcome, code, says) in cases {
        let server = mock(move |s| (s.method == "PUT").then(|| (status, body.clone()))).await;
        let err = gateway(&server.base)
            .create_charge(&charge(5000, None))
            .await
            .unwrap_err();
        assert_eq!(err.outcome, outcome, "{status}: {err}");
        assert_eq!(err.code.as_deref(), code, "{status}");
        assert_eq!(err.http_status, Some(status));
        assert!(err.message.contains(says), "{status}: {err}");
        assert_eq!(server.seen().len(), 2, "no retry on {status}");
    }
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries_once() {
    // The first token is refused, the second accepted.
    let server = mock(|s| {
        (s.path.starts_with("/v2/cob/") && s.header("authorization") == Some("Bearer tok-1"))
            .then(|| {
                (
                    401,
                    json!({"nome": "token_invalido", "mensagem": "Token expirado"}),
                )
            })
            .or_else(|| {
                (s.method == "GET" && s.path.starts_with("/v2/cob/"))
                    .then(|| (200, cob(&s.path[8..], "ATIVA", "1.00")))
            })
    })
    .await;
    let efi = gateway(&server.base);
    let t = "payorch01JD0000000000000000000000";
    efi.get_charge(t).await.unwrap();
    assert_eq!(
        server.paths(),
        vec![
            "POST /oauth/token".to_string(),
            format!("GET /v2/cob/{t}"),
            "POST /oauth/token".to_string(),
            format!("GET /v2/cob/{t}"),
        ]
    );
    assert_eq!(
        server.seen()[3].header("authorization"),
        Some("Bearer tok-2")
    );

    // Refused again after the refresh: auth, and still exactly one refresh.
    let always = mock(|s| {
        s.path.starts_with("/v2/").then(|| {
            (
                401,
                json!({"nome": "token_invalido", "mensagem": "Token inválido"}),
            )
        })
    })
    .await;
    let err = gateway(&always.base).get_charge(t).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Auth, "{err}");
    assert_eq!(err.code.as_deref(), Some("token_invalido"));
    assert_eq!(always.seen().len(), 4, "{:?}", always.paths());

    // Bad client credentials: Efí's OAuth error, classified auth.
    let refused = mock(|s| {
        (s.path == "/oauth/token").then(|| (401, json!({"error": "invalid_client", "error_description": "Invalid or inactive credentials"})))
    })
    .await;
    let err = gateway(&refused.base).get_charge(t).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Auth);
    assert_eq!(err.code.as_deref(), Some("invalid_client"));
    assert!(!err.to_string().contains("Client_Secret_xyz"), "{err}");
}

#[tokio::test]
async fn the_token_is_cached_until_it_expires() {
    let server =
        mock(|s| (s.method == "GET").then(|| (200, cob(&s.path[8..], "ATIVA", "1.00")))).await;
    let clock = Arc::new(ManualClock::new(start()));
    let efi = gateway_with_clock(&server.base, clock.clone());
    let t = "payorch01JD0000000000000000000000";
    efi.get_charge(t).await.unwrap();
    clock.advance(Duration::from_secs(3000));
    efi.get_charge(t).await.unwrap();
    // Past expires_in (3600 s, renewed 30 s early): a new token.
    clock.advance(Duration::from_secs(600));
    efi.get_charge(t).await.unwrap();
    let seen = server.seen();
    let tokens = seen.iter().filter(|s| s.path == "/oauth/token").count();
    assert_eq!(tokens, 2, "{:?}", server.paths());
    let auths: Vec<&str> = seen
        .iter()
        .filter(|s| s.method == "GET")
        .filter_map(|s| s.header("authorization"))
        .collect();
    assert_eq!(auths, ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let server =
        mock(|s| (s.method == "GET").then(|| (200, cob(&s.path[8..], "ATIVA", "1.00")))).await;
    let efi = Arc::new(gateway(&server.base));
    let calls = (0..16).map(|_| {
        let efi = efi.clone();
        tokio::spawn(async move { efi.get_charge("payorch01JD0000000000000000000000").await })
    });
    for c in calls {
        c.await.unwrap().unwrap();
    }
    let tokens = server
        .seen()
        .iter()
        .filter(|s| s.path == "/oauth/token")
        .count();
    assert_eq!(tokens, 1);
}

#[tokio::test]
async fn a_repeated_create_is_resolved_to_the_same_cob() {
    let req = charge(2500, None);
    let t = txid(&req);
    let t2 = t.clone();
    let dup = json!({"nome": "txid_duplicado", "mensagem": "Campo txid informado já foi utilizado em outra cobrança"});
    let server = mock(move |s| match s.method.as_str() {
        "PUT" => Some((409, dup.clone())),
        "GET" if s.path.starts_with("/v2/cob/") => Some((200, cob(&t2, "ATIVA", "25.00"))),
        "GET" => Some((
            200,
            json!({"qrcode": "x", "imagemQrcode": "data:image/png;base64,AAAA"}),
        )),
        _ => None,
    })
    .await;
    let efi = gateway(&server.base);
    let got = efi.create_charge(&req).await.unwrap();
    assert_eq!((got.reference.as_str(), got.amount), (t.as_str(), 2500));
    assert_eq!(
        server.paths()[1..],
        [format!("PUT /v2/cob/{t}"), format!("GET /v2/cob/{t}")]
    );
    // The txid holds a different charge: refused, not taken for ours.
    let other = CreateCharge {
        money: Money::from_minor(9999, Currency::Brl).unwrap(),
        ..req
    };
    let err = efi.create_charge(&other).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert_eq!(err.code.as_deref(), Some("txid_duplicado"));
}

#[tokio::test]
async fn refused_before_sending_and_ambiguous_after() {
    let err = gateway(&crate::common::refused_base())
        .create_charge(&charge(100, None))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableNotSent, "{err}");

    // The cob PUT reaches the server, which never answers: ambiguous.
    let server = mock(|s| (s.method == "PUT").then_some((0, Value::Null))).await;
    let mut s = settings(&server.base);
    s.timeout = HumanDuration(Duration::from_millis(300));
    let efi = EfiGateway::new(&s, credentials()).unwrap();
    let err = efi.create_charge(&charge(100, None)).await.unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::UnavailableAmbiguous, "{err}");
    assert!(err.message.contains("timed out"), "{err}");
}

#[tokio::test]
async fn requests_efi_cannot_take_are_refused_before_any_call() {
    let server = mock(|_| None).await;
    let efi = gateway(&server.base);
    let mut card = charge(100, None);
    card.method = PaymentMethod::Card;
    assert_eq!(
        efi.create_charge(&card).await.unwrap_err().outcome,
        AttemptOutcome::Invalid
    );
    let mut no_key = settings(&server.base);
    no_key.pix_key = None;
    let err = EfiGateway::new(&no_key, credentials())
        .unwrap()
        .create_charge(&charge(100, None))
        .await
        .unwrap_err();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert!(err.message.contains("pix_key"), "{err}");
    assert!(server.seen().is_empty());
    assert!(
        efi.capabilities()
            .supports(PaymentMethod::Pix, Currency::Brl)
    );
    assert!(
        !efi.capabilities()
            .supports(PaymentMethod::Card, Currency::Brl)
    );
}

#[test]
fn https_needs_a_readable_certificate() {
    let mut s = settings("https://pix-h.api.efipay.com.br");
    let err = EfiGateway::new(&s, credentials()).err().unwrap();
    assert!(err.message.contains("gateways.efi.certificate"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("efi-missing.p12");
    s.certificate = Some(missing.clone());
    let err = EfiGateway::new(&s, credentials()).err().unwrap();
    assert!(err.message.contains("efi-missing.p12"), "{err}");

    let garbage = dir.path().join("efi-garbage.p12");
    std::fs::write(&garbage, b"not a certificate").unwrap();
    s.certificate = Some(garbage);
    let err = EfiGateway::new(&s, credentials()).err().unwrap();
    assert_eq!(err.outcome, AttemptOutcome::Invalid);
    assert!(err.message.contains("efi-garbage.p12"), "{err}");

    let half = dir.path().join("efi-cert-only.pem");
    std::fs::write(
        &half,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    s.certificate = Some(half);
    let err = EfiGateway::new(&s, credentials()).err().unwrap();
    assert!(
        err.message.contains("efi-cert-only.pem") && err.message.contains("private key"),
        "{err}"
    );
}

fn webhook(
    efi: &EfiGateway,
    query: Option<&str>,
    body: &[u8],
) -> Result<Vec<payorch::gateway::GatewayEvent>, WebhookError> {
    let headers = HeaderMap::new();
    let req = WebhookRequest {
        headers: &headers,
        query,
        body,
        now: start(),
    };
    efi.verify_webhook(&req)?;
    efi.parse_webhook(&req)
}

#[tokio::test]
async fn webhooks_are_authenticated_by_the_hmac_query_parameter() {
    let efi = gateway("http://127.0.0.1:9");
    let body = br#"{"pix":[{"endToEndId":"E09089356202611240300abcdefghijk","txid":"payorch01JD0000000000000000000000","valor":"10.00","horario":"2026-11-24T03:01:00.000Z"}]}"#;
    let events = webhook(&efi, Some(&format!("hmac={HMAC}")), body).unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event_id, "E09089356202611240300abcdefghijk");
    assert_eq!(e.reference, "payorch01JD0000000000000000000000");
    assert_eq!(e.status, Some(ChargeStatus::Succeeded));
    assert_eq!(
        e.payment_reference.as_deref(),
        Some("E09089356202611240300abcdefghijk")
    );
    assert_eq!(
        e.occurred_at,
        Timestamp::parse_rfc3339("2026-11-24T03:01:00Z").ok()
    );
    // With Efí's `ignorar` parameter alongside.
    assert!(webhook(&efi, Some(&format!("ignorar=/pix&hmac={HMAC}")), body).is_ok());

    for query in [None, Some("hmac=wrong"), Some("hmac="), Some("other=1")] {
        let err = webhook(&efi, query, body).unwrap_err();
        assert!(
            matches!(err, WebhookError::Unauthenticated(_)),
            "{query:?}: {err}"
        );
        assert!(!err.to_string().contains(HMAC));
    }
    let mut no_secret = credentials();
    no_secret.webhook_hmac = None;
    let unconfigured = EfiGateway::new(&settings("http://127.0.0.1:9"), no_secret).unwrap();
    assert!(matches!(
        webhook(&unconfigured, Some(&format!("hmac={HMAC}")), body),
        Err(WebhookError::Unauthenticated(_))
    ));
}

#[tokio::test]
async fn one_post_can_carry_several_payments_and_devolucoes() {
    let efi = gateway("http://127.0.0.1:9");
    let q = format!("hmac={HMAC}");
    let body = json!({"pix": [
        {"endToEndId": "E09089356202611240300aaaaaaaaaaa", "txid": "payorch01JD0000000000000000000001", "valor": "10.00", "horario": "2026-11-24T03:01:00Z", "infoPagador": "pedido 1"},
        {"endToEndId": "E09089356202611240300bbbbbbbbbbb", "txid": "payorch01JD0000000000000000000002", "valor": "20.00", "horario": "2026-11-24T03:02:00Z"},
        {"endToEndId": "E09089356202611240300ccccccccccc", "txid": "payorch01JD0000000000000000000003", "valor": "30.00", "horario": "2026-11-24T03:03:00Z",
         "devolucoes": [{"id": "d1", "rtrId": "D09089356202611240310ddddddddddd", "valor": "10.00", "status": "DEVOLVIDO", "horario": {"solicitacao": "2026-11-24T03:10:00Z", "liquidacao": "2026-11-24T03:10:05Z"}},
                        {"id": "d2", "rtrId": "D09089356202611240311eeeeeeeeeee", "valor": "5.00", "status": "EM_PROCESSAMENTO", "horario": {"solicitacao": "2026-11-24T03:11:00Z"}}]},
        {"endToEndId": "E09089356202611240300fffffffffff", "valor": "1.00", "horario": "2026-11-24T03:04:00Z"}
    ]});
    let events = webhook(&efi, Some(&q), body.to_string().as_bytes()).unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0].reference, "payorch01JD0000000000000000000001");
    assert_eq!(events[1].status, Some(ChargeStatus::Succeeded));
    let refund = &events[2];
    assert_eq!(refund.kind, "pix.devolucao");
    assert_eq!(refund.event_id, "D09089356202611240310ddddddddddd");
    assert_eq!(refund.status, Some(ChargeStatus::PartiallyRefunded));
    assert_eq!(refund.amount_refunded, Some(1000));
    assert_eq!(
        refund.payment_reference.as_deref(),
        Some("E09089356202611240300ccccccccccc")
    );
    // Each devolução is news of its refund, by its id: how a refund answered
    // EM_PROCESSAMENTO settles.
    assert_eq!(
        crate::common::refund_news(refund),
        [
            ("d1", None, RefundStatus::Succeeded, 1000),
            ("d2", None, RefundStatus::Pending, 500)
        ]
    );
    // A Pix to the key without a txid is not a payorch charge: kept, not mapped.
    assert_eq!(events[3].status, None);

    // A devolução payorch asked for names payorch's refund; one NAO_REALIZADO failed.
    let ours = RefundId::generate();
    let id = payorch::gateway::efi::wire::devolucao_id_for(&ours);
    let denied = json!({"pix": [{"endToEndId": "E09089356202611240300ccccccccccc", "txid": "payorch01JD0000000000000000000003", "valor": "30.00",
        "devolucoes": [{"id": id, "valor": "7.00", "status": "NAO_REALIZADO"}]}]});
    let events = webhook(&efi, Some(&q), denied.to_string().as_bytes()).unwrap();
    let n = &events[0].refunds[0];
    assert_eq!(
        (
            n.reference.as_str(),
            n.refund_id.as_ref(),
            n.status,
            n.amount
        ),
        (id.as_str(), Some(&ours), RefundStatus::Failed, 700)
    );

    let full = json!({"pix": [{"endToEndId": "E09089356202611240300ccccccccccc", "txid": "payorch01JD0000000000000000000003", "valor": "30.00",
        "devolucoes": [{"id": "d1", "rtrId": "D09089356202611240310ddddddddddd", "valor": "30.00", "status": "DEVOLVIDO"}]}]});
    let events = webhook(&efi, Some(&q), full.to_string().as_bytes()).unwrap();
    assert_eq!(events[0].status, Some(ChargeStatus::Refunded));

    for bad in [
        &b"{not json"[..],
        br#"{"pix":{}}"#,
        br#"{"pix":[{"txid":"x","valor":"1.00"}]}"#,
        br#"{"pix":[{"endToEndId":"E1","valor":"1,00"}]}"#,
    ] {
        let err = webhook(&efi, Some(&q), bad).unwrap_err();
        assert!(matches!(err, WebhookError::Malformed(_)), "{err}");
    }
}
