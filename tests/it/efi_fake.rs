//! The Efí adapter against the Efí fake, end to end (create, read, pay → webhook → refund,
//! the homologation auto-pay), and both checked against the Banco Central's Pix API spec:
//! the patterns for txid, endToEndId, devolução id and amounts, and the cob and devolução
//! status enums are read from the YAML, not copied into the test.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use payorch::clock::{ManualClock, Timestamp};
use payorch::config::EfiSettings;
use payorch::gateway::efi::{EfiCredentials, EfiGateway, EfiOptions};
use payorch::gateway::{CreateCharge, CreateRefund, Gateway, GatewayEvent};
use payorch::id::RefundId;
use payorch::model::{ChargeStatus, Currency, Customer, Money, RefundStatus};
use payorch::sandbox::efi::{CLIENT_ID, CLIENT_SECRET, EfiFake, WEBHOOK_HMAC};
use payorch::sandbox::{FakeGateway, SandboxError};
use payorch::secret::Secret;
use regex::Regex;
use serde_json::{Value, json};

use crate::common::fake::InProcessFake;
use crate::common::json_of;

const SPEC: &str = "bcb-pix-api-v2.9.0.yaml";

/// The spec, kept in the repository's `specs/` (see `specs/README.md` for its source and
/// licence): a test never reads anything outside the repository.
fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("specs")
        .join(SPEC)
}

/// What the tests check against, straight from the spec.
struct Spec {
    txid: Regex,
    end_to_end_id: Regex,
    devolucao_id: Regex,
    rtr_id: Regex,
    valor: Regex,
    cpf: Regex,
    cnpj: Regex,
    cob_status: Vec<String>,
    devolucao_status: Vec<String>,
}

fn spec() -> Spec {
    let path = spec_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    let schemas = &doc["components"]["schemas"];
    let at = |route: &[&str]| -> serde_yaml_ng::Value {
        let mut v = schemas;
        for step in route {
            v = &v[*step];
        }
        assert!(
            !v.is_null(),
            "the spec has no components.schemas.{}",
            route.join(".")
        );
        v.clone()
    };
    // Patterns are unanchored in the spec (`[a-zA-Z0-9]{26,35}`), some written JS-style
    // (`/^\d{11}$/`): anchor them all for a whole-value match.
    let pattern = |route: &[&str]| -> Regex {
        let raw = at(route);
        let raw = raw.as_str().expect("a string pattern");
        let bare = raw
            .strip_prefix('/')
            .and_then(|r| r.strip_suffix('/'))
            .unwrap_or(raw);
        let bare = bare.trim_start_matches('^').trim_end_matches('$');
        Regex::new(&format!("^(?:{bare})$")).expect("a valid regex")
    };
    let list = |route: &[&str]| -> Vec<String> {
        at(route)
            .as_sequence()
            .expect("an enum")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    Spec {
        txid: pattern(&["TxId", "pattern"]),
        end_to_end_id: pattern(&["EndToEndId", "pattern"]),
        devolucao_id: pattern(&["DevolucaoId", "pattern"]),
        rtr_id: pattern(&["Devolucao", "properties", "rtrId", "pattern"]),
        valor: pattern(&["CobValor", "properties", "original", "pattern"]),
        cpf: pattern(&["PessoaFisica", "properties", "cpf", "pattern"]),
        cnpj: pattern(&["PessoaJuridica", "properties", "cnpj", "pattern"]),
        cob_status: list(&["CobrancaStatus", "enum"]),
        devolucao_status: list(&["Devolucao", "properties", "status", "enum"]),
    }
}

/// The fake served on loopback under `/efi`, every request recorded.
type Sandbox = InProcessFake<EfiFake>;

fn start() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-24T03:00:00Z").unwrap()
}

async fn sandbox() -> Sandbox {
    InProcessFake::start(start(), EfiFake::new).await
}

fn adapter(base: &str) -> EfiGateway {
    let settings = EfiSettings {
        base_url: base.into(),
        pix_key: Some("sandbox@payorch.dev".into()),
        ..EfiSettings::default()
    };
    let credentials = EfiCredentials {
        client_id: Secret::new(CLIENT_ID),
        client_secret: Secret::new(CLIENT_SECRET),
        webhook_hmac: Some(Secret::new(WEBHOOK_HMAC)),
    };
    let options = EfiOptions {
        extra_roots: vec![],
        clock: Arc::new(ManualClock::new(start())),
    };
    EfiGateway::with_options(&settings, credentials, options).unwrap()
}

fn charge(amount: i64, document: Option<&str>) -> CreateCharge {
    CreateCharge {
        idempotency_key: "idem".into(),
        customer: Customer::parse("Maria Silva", None, document, Currency::Brl).unwrap(),
        description: Some("Pedido 1234".into()),
        expires_in: Duration::from_secs(1800),
        ..crate::common::pix_request(amount)
    }
}

/// The next webhook the fake sent, run through the adapter's verify and parse.
fn next_events(sb: &mut Sandbox, efi: &EfiGateway) -> (Value, Vec<GatewayEvent>) {
    let hook = sb.next_webhook().expect("a webhook was queued");
    let req = hook.request(start());
    efi.verify_webhook(&req).expect("the fake's hmac verifies");
    let events = efi.parse_webhook(&req).expect("the fake's webhook parses");
    (hook.json(), events)
}

fn check_cob(spec: &Spec, cob: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    assert!(spec.txid.is_match(&s(&cob["txid"])), "txid {cob}");
    assert!(
        spec.valor.is_match(&s(&cob["valor"]["original"])),
        "valor {cob}"
    );
    assert!(spec.cob_status.contains(&s(&cob["status"])), "status {cob}");
    assert!(
        cob["loc"]["id"].is_i64() && cob["revisao"].is_u64(),
        "{cob}"
    );
    assert!(cob["location"].as_str().unwrap().len() <= 77);
    Timestamp::parse_rfc3339(&s(&cob["calendario"]["criacao"])).expect("criacao is RFC 3339");
    let code = payorch::brcode::parse(&s(&cob["pixCopiaECola"])).expect("pixCopiaECola parses");
    assert!(code.is_dynamic());
    assert_eq!(code.url(), cob["location"].as_str());
    if let Some(cpf) = cob["devedor"]["cpf"].as_str() {
        assert!(spec.cpf.is_match(cpf), "{cpf}");
    }
    if let Some(cnpj) = cob["devedor"]["cnpj"].as_str() {
        assert!(spec.cnpj.is_match(cnpj), "{cnpj}");
    }
    for pix in cob["pix"].as_array().into_iter().flatten() {
        check_pix(spec, pix);
    }
}

fn check_pix(spec: &Spec, pix: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    assert!(spec.end_to_end_id.is_match(&s(&pix["endToEndId"])), "{pix}");
    // The manual's structure too: E + ISPB + yyyyMMddHHmm + 11 characters.
    let structured =
        Regex::new(r"^[EeDd][0-9]{8}[0-9]{4}[0-9]{2}[0-9]{2}[0-9]{2}[0-9]{2}[a-zA-Z0-9]{11}$")
            .unwrap();
    assert!(structured.is_match(&s(&pix["endToEndId"])), "{pix}");
    assert!(spec.valor.is_match(&s(&pix["valor"])), "{pix}");
    for d in pix["devolucoes"].as_array().into_iter().flatten() {
        check_devolucao(spec, d);
    }
}

fn check_devolucao(spec: &Spec, d: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    assert!(spec.devolucao_id.is_match(&s(&d["id"])), "{d}");
    assert!(spec.rtr_id.is_match(&s(&d["rtrId"])), "{d}");
    assert!(spec.valor.is_match(&s(&d["valor"])), "{d}");
    assert!(spec.devolucao_status.contains(&s(&d["status"])), "{d}");
}

#[tokio::test]
async fn create_read_pay_webhook_refund_round_trip() {
    let spec = spec();
    let mut sb = sandbox().await;
    let efi = adapter(&sb.base);

    let req = charge(5000, Some("529.982.247-25"));
    let created = efi.create_charge(&req).await.unwrap();
    assert_eq!(created.status, ChargeStatus::RequiresAction);
    assert_eq!(created.amount, 5000);
    let pix = created.pix.clone().unwrap();
    let code = payorch::brcode::parse(&pix.copy_paste).unwrap();
    assert_eq!(code.amount_cents(), Some(5000));
    assert_eq!(pix.qr_code_png, None, "the BR Code only, no image fetched");
    assert_eq!(
        pix.expires_at,
        Some(start().plus(Duration::from_secs(1800)))
    );
    assert!(sb.next_webhook().is_none(), "R$ 50,00 is not auto-paid");

    // A retried create is the same cob.
    let again = efi.create_charge(&req).await.unwrap();
    assert_eq!(again.reference, created.reference);
    assert_eq!(sb.fake.charges().len(), 1);
    assert_eq!(
        efi.get_charge(&created.reference).await.unwrap().status,
        ChargeStatus::RequiresAction
    );

    let paid = sb.fake.pay(&created.reference).unwrap();
    check_cob(&spec, &paid);
    let (body, events) = next_events(&mut sb, &efi);
    check_pix(&spec, &body["pix"][0]);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reference, created.reference);
    assert_eq!(events[0].status, Some(ChargeStatus::Succeeded));
    let e2e = events[0].payment_reference.clone().unwrap();
    assert!(matches!(
        sb.fake.pay(&created.reference),
        Err(SandboxError::Conflict(_))
    ));

    let read = efi.get_charge(&created.reference).await.unwrap();
    assert_eq!(read.status, ChargeStatus::Succeeded);
    assert_eq!(read.payment_reference.as_deref(), Some(e2e.as_str()));

    let refund = CreateRefund {
        refund_id: RefundId::generate(),
        charge_reference: created.reference.clone(),
        payment_reference: Some(e2e.clone()),
        money: Money::from_minor(2000, Currency::Brl).unwrap(),
        idempotency_key: "r".into(),
        reason: None,
    };
    let r = efi.refund(&refund).await.unwrap();
    assert_eq!((r.status, r.amount), (RefundStatus::Pending, 2000));
    let (body, events) = next_events(&mut sb, &efi);
    check_pix(&spec, &body["pix"][0]);
    assert_eq!(events[0].status, Some(ChargeStatus::PartiallyRefunded));
    assert_eq!(events[0].amount_refunded, Some(2000));
    // The same refund again resolves to the one devolução, now completed.
    let again = efi.refund(&refund).await.unwrap();
    assert_eq!(
        (again.status, again.reference),
        (RefundStatus::Succeeded, r.reference)
    );
    let read = efi.get_charge(&created.reference).await.unwrap();
    assert_eq!(
        (read.status, read.amount_refunded),
        (ChargeStatus::PartiallyRefunded, 2000)
    );

    // Every request the adapter sent and every cob the fake holds fit the spec.
    for s in sb.seen() {
        if let Some(txid) = s.path.strip_prefix("/efi/v2/cob/") {
            assert!(spec.txid.is_match(txid), "{txid}");
        }
        if s.method == "PUT" && s.path.starts_with("/efi/v2/cob/") {
            let body: Value = serde_json::from_str(&s.body).unwrap();
            assert!(
                spec.valor
                    .is_match(body["valor"]["original"].as_str().unwrap())
            );
            assert!(spec.cpf.is_match(body["devedor"]["cpf"].as_str().unwrap()));
        }
        if let Some(rest) = s.path.strip_prefix("/efi/v2/pix/") {
            let (e2e, id) = rest.split_once("/devolucao/").unwrap();
            assert!(
                spec.end_to_end_id.is_match(e2e) && spec.devolucao_id.is_match(id),
                "{rest}"
            );
            if s.method == "PUT" {
                let body: Value = serde_json::from_str(&s.body).unwrap();
                assert!(spec.valor.is_match(body["valor"].as_str().unwrap()));
            }
        }
    }
    for cob in sb.fake.charges() {
        check_cob(&spec, &cob);
    }
}

#[tokio::test]
async fn homologation_pays_cobs_up_to_ten_reais_by_itself() {
    let spec = spec();
    let mut sb = sandbox().await;
    let efi = adapter(&sb.base);
    let created = efi.create_charge(&charge(500, None)).await.unwrap();
    // Answered as created, paid right after, with its webhook.
    assert_eq!(created.status, ChargeStatus::RequiresAction);
    let (_, events) = next_events(&mut sb, &efi);
    assert_eq!(events[0].reference, created.reference);
    assert_eq!(events[0].status, Some(ChargeStatus::Succeeded));
    assert_eq!(
        efi.get_charge(&created.reference).await.unwrap().status,
        ChargeStatus::Succeeded
    );
    for cob in sb.fake.charges() {
        check_cob(&spec, &cob);
    }
    // R$ 10,01 stays active.
    let big = efi.create_charge(&charge(1001, None)).await.unwrap();
    assert!(sb.next_webhook().is_none());
    let canceled = efi.cancel(&big.reference).await.unwrap();
    assert_eq!(canceled.status, ChargeStatus::Canceled);
    assert!(matches!(
        sb.fake.pay(&big.reference),
        Err(SandboxError::Conflict(_))
    ));
    assert!(matches!(
        sb.fake.pay("payorchNOPE00000000000000000000"),
        Err(SandboxError::NotFound(_))
    ));
}

#[tokio::test]
async fn the_fake_refuses_what_efi_refuses() {
    payorch::gateway::http::install_crypto_provider();
    let sb = sandbox().await;
    let http = reqwest::Client::builder()
        .tls_backend_rustls()
        .build()
        .unwrap();
    let basic = |id: &str, secret: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };
    let token_url = format!("{}/oauth/token", sb.base);
    let grant = r#"{"grant_type":"client_credentials"}"#;
    let refused = http
        .post(&token_url)
        .header("authorization", basic(CLIENT_ID, "wrong"))
        .body(grant)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(json_of(refused).await["error"], "invalid_client");
    let token = http
        .post(&token_url)
        .header("authorization", basic(CLIENT_ID, CLIENT_SECRET))
        .body(grant)
        .send()
        .await
        .unwrap();
    let token = json_of(token).await;
    assert_eq!(token["expires_in"], 3600);
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());

    let txid = "payorch01JD00000000000000000000AA";
    let put = |path: String, body: Value| {
        http.put(format!("{}{path}", sb.base))
            .header("authorization", bearer.clone())
            .body(body.to_string())
            .send()
    };
    let good = json!({"calendario": {"expiracao": 3600}, "valor": {"original": "20.00"}, "chave": "k@x.dev"});
    // Efí's documented error shape, `{"nome","mensagem"}`, the message naming the field.
    let cal = json!({"expiracao": 3600});
    for (path, body, field) in [
        (
            format!("/v2/cob/{txid}"),
            json!({"calendario": cal, "valor": {"original": "20.00"}}),
            "chave",
        ),
        (
            format!("/v2/cob/{txid}"),
            json!({"valor": {"original": "20.00"}, "chave": "k"}),
            "calendario",
        ),
        (
            format!("/v2/cob/{txid}"),
            json!({"calendario": cal, "valor": {"original": "20.5"}, "chave": "k"}),
            "valor.original",
        ),
        (
            format!("/v2/cob/{txid}"),
            json!({"calendario": cal, "valor": {"original": "20.00"}, "chave": "k", "devedor": {"cpf": "52998224726", "nome": "A"}}),
            "devedor.cpf",
        ),
        (
            format!("/v2/cob/{txid}"),
            json!({"calendario": cal, "valor": {"original": "20.00"}, "chave": "k", "devedor": {"cnpj": "12abc34501de35", "nome": "A"}}),
            "devedor.cnpj",
        ),
        ("/v2/cob/tooshort".to_string(), good.clone(), "txid"),
    ] {
        let r = put(path, body).await.unwrap();
        assert_eq!(r.status(), 400);
        let error = json_of(r).await;
        assert_eq!(error.as_object().unwrap().len(), 2, "{error}");
        assert_eq!(error["nome"], "valor_invalido", "{error}");
        let mensagem = error["mensagem"].as_str().unwrap();
        assert!(mensagem.contains(field), "{field}: {error}");
    }
    assert_eq!(
        put(format!("/v2/cob/{txid}"), good.clone())
            .await
            .unwrap()
            .status(),
        201
    );
    let dup = put(format!("/v2/cob/{txid}"), good).await.unwrap();
    assert_eq!(dup.status(), 409);
    assert_eq!(json_of(dup).await["nome"], "txid_duplicado");
    assert_eq!(sb.fake.charges().len(), 1);

    // Tokens expire on the sandbox clock; the adapter then refreshes by itself.
    let efi = adapter(&sb.base);
    efi.get_charge(txid).await.unwrap();
    sb.clock.advance(Duration::from_secs(3601));
    let expired = http
        .get(format!("{}/v2/cob/{txid}", sb.base))
        .header("authorization", bearer.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    assert_eq!(
        efi.get_charge(txid).await.unwrap().status,
        ChargeStatus::RequiresAction
    );
    let missing = http
        .get(format!(
            "{}/v2/cob/payorch01JD00000000000000000000ZZ",
            sb.base
        ))
        .header("authorization", bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        missing.status(),
        401,
        "an expired token is refused before the lookup"
    );

    let names: Vec<&str> = sb.fake.credentials().iter().map(|(k, _)| *k).collect();
    assert_eq!(names, ["client_id", "client_secret", "webhook_hmac"]);
}
