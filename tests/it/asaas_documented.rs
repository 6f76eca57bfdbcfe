//! The real `payorch sandbox`'s Asaas fake, driven with the request examples of Asaas's API
//! reference (docs.asaas.com), every answer checked against the response schemas written from
//! Asaas's OpenAPI document (`tests/sdk/asaas-schemas.yaml`, which names its source): payments
//! with their documented fields, `billingType=UNDEFINED`, the validation order, remove and
//! restore, receive in cash, refunds and their list, customers with their fields, and the
//! webhook configuration, whose URL then receives the webhooks.

use crate::common;

use std::path::PathBuf;

use common::Env;
use common::openapi::OpenApi;
use serde_json::{Value, json};

fn schemas() -> OpenApi {
    OpenApi::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/asaas-schemas.yaml"))
}

struct Asaas {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Asaas {
    /// `(status, body)` of a call with the key and a User-Agent, as Asaas requires.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("access_token", &self.key)
            .header("user-agent", "payorch-tests");
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let r = req.send().await.expect("the sandbox answers");
        let status = r.status().as_u16();
        let bytes = r.bytes().await.unwrap();
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&bytes)))
        };
        (status, v)
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }
}

use common::http_client as client;

async fn control(url: &str, post: bool) -> Value {
    let http = client();
    let req = if post { http.post(url) } else { http.get(url) };
    let text = req.send().await.unwrap().text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

#[tokio::test]
async fn the_asaas_fake_answers_as_asaas_documents() {
    let env = Env::new();
    let sandbox = env.start_sandbox();
    let info = control(&format!("{}/_sandbox/info", sandbox.url), false).await;
    let asaas = Asaas {
        http: client(),
        base: info["gateways"]["asaas"]["base_url"]
            .as_str()
            .unwrap()
            .to_string(),
        key: info["gateways"]["asaas"]["credentials"]["api_key"]
            .as_str()
            .unwrap()
            .to_string(),
    };
    let s = schemas();

    // Asaas's sandbox reports the customer first.
    let (status, err) = asaas.post("/v3/payments", json!({})).await;
    assert_eq!(status, 400);
    s.assert_valid("ErrorResponse", &err);
    assert_eq!(err["errors"][0]["code"], "invalid_customer");

    // "Criar novo cliente", the reference's example.
    let (status, customer) = asaas
        .post(
            "/v3/customers",
            json!({
                "name": "John Doe", "cpfCnpj": "24971563792", "email": "john.doe@asaas.com.br",
                "phone": "4738010919", "mobilePhone": "4799376637", "address": "Av. Paulista",
                "addressNumber": "150", "complement": "Sala 201", "province": "Centro",
                "postalCode": "01310-000", "externalReference": "12987382",
                "notificationDisabled": false,
                "additionalEmails": "john.doe@asaas.com,john.doe.silva@asaas.com.br",
                "municipalInscription": "46683695908", "stateInscription": "646681195275",
                "observations": "ótimo pagador, nenhum problema até o momento",
                "groupName": null, "company": null, "foreignCustomer": false
            }),
        )
        .await;
    assert_eq!(status, 200, "{customer}");
    s.assert_valid("CustomerGetResponseDTO", &customer);
    assert_eq!(customer["mobilePhone"], "4799376637");
    assert_eq!(customer["personType"], "FISICA");
    let cus = customer["id"].as_str().unwrap();

    // "Criar nova cobrança": Pix, and UNDEFINED (the payer chooses).
    let (status, pix) = asaas
        .post(
            "/v3/payments",
            json!({"customer": cus, "billingType": "PIX", "value": 100.90, "dueDate": "2099-07-21"}),
        )
        .await;
    assert_eq!(status, 200, "{pix}");
    s.assert_valid("PaymentGetResponseDTO", &pix);
    let (status, undefined) = asaas
        .post(
            "/v3/payments",
            json!({"customer": cus, "billingType": "UNDEFINED", "value": 129.90, "dueDate": "2099-06-10",
                   "description": "Pedido 056984", "externalReference": "056984",
                   "discount": {"value": 10, "dueDateLimitDays": 0, "type": "PERCENTAGE"},
                   "fine": {"value": 1}, "interest": {"value": 2}}),
        )
        .await;
    assert_eq!(status, 200, "{undefined}");
    s.assert_valid("PaymentGetResponseDTO", &undefined);
    assert_eq!(undefined["billingType"], "UNDEFINED");
    assert_eq!(
        (
            &undefined["discount"],
            &undefined["fine"],
            &undefined["interest"]
        ),
        (
            &json!({"value": 10.0, "dueDateLimitDays": 0, "type": "PERCENTAGE"}),
            &json!({"value": 1.0}),
            &json!({"value": 2.0})
        )
    );
    let (status, bad) = asaas
        .post(
            "/v3/payments",
            json!({"customer": cus, "billingType": "PIX", "value": 10, "dueDate": "2099-06-10",
                   "discount": {"value": -1}}),
        )
        .await;
    assert_eq!(status, 400);
    s.assert_valid("ErrorResponse", &bad);
    assert_eq!(bad["errors"][0]["code"], "invalid_discount");
    let und = undefined["id"].as_str().unwrap();

    // Remove, restore (once).
    let (status, deleted) = asaas
        .call(
            reqwest::Method::DELETE,
            &format!("/v3/payments/{und}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    s.assert_valid("Deleted", &deleted);
    let (status, restored) = asaas
        .post(&format!("/v3/payments/{und}/restore"), json!({}))
        .await;
    assert_eq!(status, 200, "{restored}");
    s.assert_valid("PaymentGetResponseDTO", &restored);
    assert_eq!(restored["deleted"], false);
    let (status, again) = asaas
        .post(&format!("/v3/payments/{und}/restore"), json!({}))
        .await;
    assert_eq!(status, 400);
    s.assert_valid("ErrorResponse", &again);

    // "Criar novo Webhook", the reference's example: the token is never answered back.
    let hook_url = format!("{}/asaas-hook", sandbox.url);
    let (status, hook) = asaas
        .post(
            "/v3/webhooks",
            json!({"name": "Nome Exemplo", "url": hook_url, "email": "john.doe@asaas.com",
                   "enabled": true, "interrupted": false, "apiVersion": 3,
                   "authToken": "5tLxsL6uoN", "sendType": "SEQUENTIALLY",
                   "events": ["PAYMENT_CREATED", "PAYMENT_RECEIVED"]}),
        )
        .await;
    assert_eq!(status, 200, "{hook}");
    s.assert_valid("WebhookGetResponseDTO", &hook);
    assert_eq!(hook["hasAuthToken"], true);
    assert!(hook.get("authToken").is_none(), "{hook}");
    let hook_id = hook["id"].as_str().unwrap();
    let (status, missing_name) = asaas
        .post(
            "/v3/webhooks",
            json!({"url": hook_url, "sendType": "SEQUENTIALLY"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(missing_name["errors"][0]["code"], "invalid_name");
    let (_, hooks) = asaas.get("/v3/webhooks").await;
    s.assert_valid("List", &hooks);
    for h in hooks["data"].as_array().unwrap() {
        s.assert_valid("WebhookGetResponseDTO", h);
    }
    let (status, updated) = asaas
        .call(
            reqwest::Method::PUT,
            &format!("/v3/webhooks/{hook_id}"),
            Some(json!({"sendType": "NON_SEQUENTIALLY"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(updated["sendType"], "NON_SEQUENTIALLY");
    assert_eq!(updated["name"], "Nome Exemplo");

    // "Confirmar recebimento em dinheiro".
    let (status, cash) = asaas
        .post(
            &format!("/v3/payments/{und}/receiveInCash"),
            json!({"paymentDate": "2099-06-01", "value": 129.90, "notifyCustomer": false}),
        )
        .await;
    assert_eq!(status, 200, "{cash}");
    s.assert_valid("PaymentGetResponseDTO", &cash);
    assert_eq!(cash["status"], "RECEIVED_IN_CASH");
    assert_eq!(cash["paymentDate"], "2099-06-01");

    // The Pix paid, then partly refunded; the refunds listed.
    let pix_id = pix["id"].as_str().unwrap();
    control(
        &format!("{}/_sandbox/asaas/charges/{pix_id}/pay", sandbox.url),
        true,
    )
    .await;
    let (_, paid) = asaas.get(&format!("/v3/payments/{pix_id}")).await;
    s.assert_valid("PaymentGetResponseDTO", &paid);
    assert_eq!(paid["status"], "RECEIVED");
    assert!(paid["creditDate"].is_string() && paid["transactionReceiptUrl"].is_string());
    let (status, refunded) = asaas
        .post(
            &format!("/v3/payments/{pix_id}/refund"),
            json!({"value": 10.00, "description": "Cliente desistiu da compra"}),
        )
        .await;
    assert_eq!(status, 200, "{refunded}");
    s.assert_valid("PaymentGetResponseDTO", &refunded);
    let (status, refunds) = asaas.get(&format!("/v3/payments/{pix_id}/refunds")).await;
    assert_eq!(status, 200);
    s.assert_valid("List", &refunds);
    assert_eq!(refunds["totalCount"], 1);
    s.assert_valid("PaymentRefundGetResponseDTO", &refunds["data"][0]);
    assert_eq!(refunds["data"][0]["value"], 10.0);

    // Webhooks since the configuration went to its URL.
    let deliveries = control(
        &format!(
            "{}/_sandbox/webhooks?wait_for=7&timeout_ms=60000",
            sandbox.url
        ),
        false,
    )
    .await;
    let to_hook = deliveries
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["gateway"] == "asaas" && d["url"].as_str() == Some(&hook_url))
        .count();
    assert!(to_hook >= 3, "{deliveries:#}");

    let (status, gone) = asaas
        .call(
            reqwest::Method::DELETE,
            &format!("/v3/webhooks/{hook_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    s.assert_valid("Deleted", &gone);
    let (status, _) = asaas.get(&format!("/v3/webhooks/{hook_id}")).await;
    assert_eq!(status, 404);
}
