//! The real `payorch sandbox` driven by Efí's official Python SDK (`efipay`, pinned in
//! `tests/sdk/requirements.txt`, installed by `scripts/sdk-deps`, which `scripts/test` runs): every route the SDK calls for immediate charges, locations,
//! received Pix, devoluções and the webhook configuration. Each success answer is checked
//! against the BCB's schema (`specs/bcb-pix-api-v2.9.0.yaml`), each error against the shape
//! Efí documents (`{"nome","mensagem"}` and nothing else), and the webhook the fake sends
//! after the SDK configured one goes to the configured URL + `/pix`, as Efí posts.

use crate::common;

use std::path::PathBuf;

use common::Env;
use common::openapi::OpenApi;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

use common::http_client as client;

async fn get(url: &str) -> Value {
    let out = client()
        .get(url)
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{url}: {e}: {out}"))
}

/// The exchanges the SDK made in `step`.
fn exchanges<'a>(steps: &'a [Value], step: &str) -> Vec<&'a Value> {
    let found: Vec<&Value> = steps
        .iter()
        .filter(|s| s["step"] == step && !s["url"].as_str().unwrap().ends_with("/oauth/token"))
        .collect();
    assert!(!found.is_empty(), "the SDK made no call for {step}");
    found
}

/// The one API answer of `step`: (status, body).
fn answer<'a>(steps: &'a [Value], step: &str) -> (u64, &'a Value) {
    let all = exchanges(steps, step);
    let last = all.last().unwrap();
    (last["status"].as_u64().unwrap(), &last["body"])
}

/// An error exactly as Efí documents them: `nome` and `mensagem`, nothing else.
fn assert_efi_error(steps: &[Value], step: &str, status: u64, nome: &str) -> String {
    let (got, body) = answer(steps, step);
    assert_eq!(got, status, "{step}: {body}");
    let obj = body.as_object().unwrap_or_else(|| panic!("{step}: {body}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["mensagem", "nome"], "{step}: {body}");
    assert_eq!(body["nome"], nome, "{step}: {body}");
    body["mensagem"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_official_efi_sdk_runs_against_the_sandbox() {
    let env = Env::new();
    let sandbox = env.start_sandbox();
    let info = get(&format!("{}/_sandbox/info", sandbox.url)).await;
    let efi = &info["gateways"]["efi"];
    let base = efi["base_url"].as_str().unwrap();
    let cert = env.path().join("efi-homologacao.pem");
    std::fs::write(&cert, "not checked over plain http\n").unwrap();
    // Delivery target: the sandbox's own control port, which answers 404 to it; the delivery
    // log still shows where the webhook went.
    let hook = format!("{}/efi-hook", sandbox.url);

    let (id, secret) = (
        efi["credentials"]["client_id"].as_str().unwrap(),
        efi["credentials"]["client_secret"].as_str().unwrap(),
    );
    let out = common::sdk::run_sdk_script_with(
        "efi_conformance.py",
        &[],
        &[
            ("EFI_BASE_URL", base.as_ref()),
            ("EFI_CLIENT_ID", id.as_ref()),
            ("EFI_CLIENT_SECRET", secret.as_ref()),
            ("EFI_CERTIFICATE", cert.as_os_str()),
            ("EFI_WEBHOOK_URL", hook.as_ref()),
        ],
    );
    let doc: Value = serde_json::from_str(&out).expect("the script prints JSON");
    let steps = doc["steps"].as_array().unwrap();
    let spec = OpenApi::load(&repo().join("specs/bcb-pix-api-v2.9.0.yaml"));

    // Creates: PSP-chosen txid and the caller's; both the BCB's CobGerada.
    let (status, created) = answer(steps, "create_without_txid");
    assert_eq!(status, 201, "{created}");
    spec.assert_valid("CobGerada", created);
    assert_eq!(created["loc"]["txid"], created["txid"]);
    assert_eq!(created["infoAdicionais"][0]["nome"], "Pedido");
    let (status, with_txid) = answer(steps, "create_with_txid");
    assert_eq!(status, 201);
    spec.assert_valid("CobGerada", with_txid);
    assert_eq!(with_txid["txid"], "payorchSdk000000000000000000001");

    // Errors, in Efí's documented shape and statuses.
    assert_efi_error(steps, "create_repeated", 409, "txid_duplicado");
    let m = assert_efi_error(steps, "create_without_calendario", 400, "valor_invalido");
    assert!(m.contains("calendario"), "{m}");
    let m = assert_efi_error(steps, "create_bad_cpf", 400, "valor_invalido");
    assert!(m.contains("devedor.cpf"), "{m}");
    assert_efi_error(steps, "revise_paid", 400, "status_cobranca_invalido");
    assert_efi_error(steps, "list_cobs_without_window", 400, "valor_invalido");
    assert_efi_error(steps, "detail_pix_unknown", 404, "pix_nao_encontrado");
    assert_efi_error(steps, "devolution_repeated", 409, "devolucao_id_duplicado");
    assert_efi_error(steps, "detail_unknown", 404, "cobranca_nao_encontrada");
    assert_efi_error(
        steps,
        "detail_deleted_webhook",
        404,
        "webhook_nao_encontrado",
    );

    // Homologation paid the R$ 5,00 cob; the read is the BCB's CobCompleta.
    let (_, paid) = answer(steps, "detail_paid");
    spec.assert_valid("CobCompleta", paid);
    assert_eq!(paid["status"], "CONCLUIDA");
    let e2e = paid["pix"][0]["endToEndId"].as_str().unwrap();

    // A revision changes valor and devedor and counts revisao up.
    let (status, revised) = answer(steps, "revise");
    assert_eq!(status, 200);
    spec.assert_valid("CobGerada", revised);
    assert_eq!(revised["valor"]["original"], "150.00");
    assert_eq!(revised["devedor"]["cnpj"], "12345678000195");
    assert_eq!(revised["revisao"], 1);
    let code = payorch::brcode::parse(revised["pixCopiaECola"].as_str().unwrap()).unwrap();
    assert_eq!(
        code.amount_cents(),
        Some(15000),
        "the BR Code follows the revision"
    );

    // Lists with the required window and paging. (The BCB's CobsConsultadas also requires
    // an `idCob` on each item, a field Efí does not send: checked as CobCompleta instead.)
    let (status, list) = answer(steps, "list_cobs");
    assert_eq!(status, 200);
    spec.assert_valid("ParametrosConsultaCob", &list["parametros"]);
    let cobs = list["cobs"].as_array().unwrap();
    assert_eq!(cobs.len(), 2, "{list}");
    for c in cobs {
        spec.assert_valid("CobCompleta", c);
    }
    let (_, paged) = answer(steps, "list_cobs_paged");
    assert_eq!(paged["cobs"].as_array().unwrap().len(), 1);
    assert_eq!(paged["cobs"][0]["txid"], cobs[1]["txid"]);
    assert_eq!(
        paged["parametros"]["paginacao"],
        serde_json::json!({"paginaAtual": 1, "itensPorPagina": 1, "quantidadeDePaginas": 2, "quantidadeTotalDeItens": 2})
    );

    let (status, loc) = answer(steps, "detail_location");
    assert_eq!(status, 200);
    spec.assert_valid("PayloadLocationCompleta", loc);
    assert_eq!(loc["txid"], created["txid"]);
    let (status, qr) = answer(steps, "qrcode");
    assert_eq!(status, 200);
    assert!(
        qr["imagemQrcode"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );

    let (status, pix_list) = answer(steps, "list_pix");
    assert_eq!(status, 200);
    // (The BCB's PixConsultados requires `cobs`, a slip for `pix`: its parts are checked.)
    spec.assert_valid("ParametrosConsultaPix", &pix_list["parametros"]);
    let received = pix_list["pix"].as_array().unwrap();
    assert_eq!(received.len(), 1, "{pix_list}");
    for p in received {
        spec.assert_valid("Pix", p);
    }
    let (status, pix) = answer(steps, "detail_pix");
    assert_eq!(status, 200);
    spec.assert_valid("Pix", pix);
    assert_eq!(pix["endToEndId"], e2e);

    let (status, dev) = answer(steps, "devolution");
    assert_eq!(status, 201);
    spec.assert_valid("Devolucao", dev);
    assert_eq!(dev["status"], "EM_PROCESSAMENTO");
    let (status, dev) = answer(steps, "detail_devolution");
    assert_eq!(status, 200);
    spec.assert_valid("Devolucao", dev);
    assert_eq!(dev["status"], "DEVOLVIDO");

    // Webhook configuration. (The BCB's WebhookCompleto lists `cnpj` as required where it
    // means the key; Efí answers `chave`: every other property is checked.)
    let (status, put) = answer(steps, "config_webhook");
    assert_eq!(status, 200);
    assert_eq!(put["webhookUrl"], hook);
    let (status, detail) = answer(steps, "detail_webhook");
    assert_eq!(status, 200);
    assert_eq!(detail["chave"], "sandbox@payorch.dev");
    let errors = spec.errors("WebhookCompleto", detail);
    assert_eq!(errors, ["$: missing required `cnpj`"], "{detail}");
    let (status, hooks) = answer(steps, "list_webhooks");
    assert_eq!(status, 200);
    assert_eq!(hooks["webhooks"][0]["webhookUrl"], hook);
    spec.assert_valid("ParametrosConsultaWebhooks", &hooks["parametros"]);
    let (status, cancelled) = answer(steps, "cancel");
    assert_eq!(status, 200);
    assert_eq!(cancelled["status"], "REMOVIDA_PELO_USUARIO_RECEBEDOR");
    let (status, _) = answer(steps, "delete_webhook");
    assert_eq!(status, 204);

    // The auto-paid cob created after the configuration sent its webhook to `{url}/pix`,
    // with the hmac query, as Efí does. Three webhooks in all, each one log entry (the two
    // before the configuration are dropped: no URL; the control port answers the third 404,
    // which is final): wait for all three.
    let deliveries = get(&format!(
        "{}/_sandbox/webhooks?wait_for=3&timeout_ms=60000",
        sandbox.url
    ))
    .await;
    let urls: Vec<&str> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["url"].as_str())
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.starts_with(&format!("{hook}/pix?hmac="))),
        "{deliveries:#}"
    );

    // The SDK returned the parsed body on every call.
    for s in steps {
        if s["body"].is_object() {
            assert!(s["sdk"].is_object(), "{s}");
        }
    }
}

#[tokio::test]
async fn an_unknown_route_is_a_404_with_a_body() {
    let env = Env::new();
    let sandbox = env.start_sandbox();
    let info = get(&format!("{}/_sandbox/info", sandbox.url)).await;
    let base = info["gateways"]["efi"]["base_url"].as_str().unwrap();
    let client = client();
    for (method, path) in [
        (reqwest::Method::GET, "/v2/cobv/abc"),
        (reqwest::Method::DELETE, "/v2/cob/abc"),
    ] {
        let r = client
            .request(method.clone(), format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{method} {path}");
        let body: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(body["nome"], "rota_nao_encontrada", "{body}");
        assert!(body["mensagem"].as_str().unwrap().contains(path), "{body}");
    }
}
