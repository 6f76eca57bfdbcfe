//! `payorch sandbox --max-objects N`: each fake keeps at most N objects of a kind, evicting
//! the oldest settled ones (which then answer 404 like an unknown id) and never one a payer or
//! test may still act on; with every object unsettled, new ones get the gateway's 429. Through
//! the real binary and the fakes' HTTP APIs.

use crate::common;

use serde_json::Value;

use common::{Env, http_client, json_of};

const KEY: &str = "sk_test_bounded";

struct Stripe {
    http: reqwest::Client,
    url: String,
}

impl Stripe {
    fn of(sandbox: &common::SandboxProcess) -> Stripe {
        Stripe {
            http: http_client(),
            url: sandbox.url.clone(),
        }
    }

    /// Creates an intent; the status and the answer.
    async fn create(&self, form: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/stripe/v1/payment_intents", self.url))
            .basic_auth(KEY, Some(""))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_string())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), json_of(response).await)
    }

    /// A confirmed card intent: succeeded at once.
    async fn card(&self) -> Value {
        let (status, body) = self
            .create("amount=1990&currency=usd&payment_method=pm_card_visa&confirm=true")
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("succeeded")),
            "{body}"
        );
        body
    }

    /// A confirmed Pix intent: `requires_action` until paid.
    async fn pix(&self) -> (u16, Value) {
        self.create(
            "amount=1990&currency=brl&payment_method_types[]=pix\
             &payment_method_data[type]=pix&confirm=true",
        )
        .await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}/stripe/v1/{path}", self.url))
            .basic_auth(KEY, Some(""))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), json_of(response).await)
    }

    /// The ids `GET /_sandbox/stripe/charges` lists, oldest first.
    async fn listed(&self) -> Vec<String> {
        let list = self
            .http
            .get(format!("{}/_sandbox/stripe/charges", self.url))
            .send()
            .await
            .unwrap();
        let list = json_of(list).await;
        ids(list.as_array().unwrap())
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn past_max_objects_the_oldest_settled_intents_answer_404_like_unknown_ones() {
    let env = Env::new();
    let sandbox = env.start_sandbox_with(&["--max-objects", "5"]);
    let stripe = Stripe::of(&sandbox);
    let mut created = Vec::new();
    for _ in 0..8 {
        created.push(stripe.card().await);
    }
    let created_ids = ids(&created);

    // The last five are kept, and the control API lists exactly them, oldest first.
    for intent in &created[3..] {
        let (status, body) = stripe
            .get(&format!(
                "payment_intents/{}",
                intent["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "succeeded");
        let charge = intent["latest_charge"].as_str().unwrap();
        assert_eq!(stripe.get(&format!("charges/{charge}")).await.0, 200);
    }
    assert_eq!(stripe.listed().await, created_ids[3..]);

    // The first three are gone: 404 with the same answer as an id never issued.
    let (_, unknown) = stripe.get("payment_intents/pi_neverIssued").await;
    for intent in &created[..3] {
        let id = intent["id"].as_str().unwrap();
        let (status, body) = stripe.get(&format!("payment_intents/{id}")).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(
            body.to_string(),
            unknown.to_string().replace("pi_neverIssued", id)
        );
        // Their charges too.
        let charge = intent["latest_charge"].as_str().unwrap();
        let (status, body) = stripe.get(&format!("charges/{charge}")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("resource_missing"))
        );
    }
}

#[tokio::test]
async fn pending_intents_are_never_evicted_and_a_full_sandbox_answers_429() {
    let env = Env::new();
    let sandbox = env.start_sandbox_with(&["--max-objects", "3"]);
    let stripe = Stripe::of(&sandbox);
    let settled = stripe.card().await;
    let mut pending = Vec::new();
    for _ in 0..2 {
        let (status, body) = stripe.pix().await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("requires_action"))
        );
        pending.push(body);
    }
    // Full: the settled card intent makes room, not the newer pending ones.
    let (status, third) = stripe.pix().await;
    assert_eq!(status, 200, "{third}");
    let settled_id = settled["id"].as_str().unwrap();
    assert_eq!(
        stripe.get(&format!("payment_intents/{settled_id}")).await.0,
        404
    );
    pending.push(third);

    // Everything is pending now: a new intent is refused with Stripe's rate-limit answer, and
    // nothing is created or evicted.
    let before = stripe.listed().await;
    assert_eq!(before, ids(&pending));
    let (status, body) = stripe.pix().await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limit");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--max-objects")
    );
    assert_eq!(stripe.listed().await, before);
    for p in &pending {
        let (status, body) = stripe
            .get(&format!("payment_intents/{}", p["id"].as_str().unwrap()))
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("requires_action"))
        );
    }

    // The payer pays the oldest Pix: settled, so it is the one that makes room next.
    let first = pending[0]["id"].as_str().unwrap();
    let paid = stripe
        .http
        .post(format!(
            "{}/_sandbox/stripe/charges/{first}/pay",
            stripe.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);
    let (status, fourth) = stripe.pix().await;
    assert_eq!(status, 200, "{fourth}");
    assert_eq!(stripe.get(&format!("payment_intents/{first}")).await.0, 404);
    let mut kept = ids(&pending[1..]);
    kept.push(fourth["id"].as_str().unwrap().to_string());
    assert_eq!(stripe.listed().await, kept);
}

#[test]
fn bad_max_objects_values_exit_2_naming_the_flag() {
    let env = Env::new();
    for bad in ["0", "-1", "many", "100000001", ""] {
        let flag = format!("--max-objects={bad}");
        let err = env
            .run(&["sandbox", "--bind", "127.0.0.1:0", &flag])
            .fails(2);
        assert!(err.contains("invalid value"), "{bad}: {err}");
        assert!(err.contains("--max-objects"), "{bad}: {err}");
    }
}

/// Efí and Asaas the same way: pending Pix are kept and refuse a third with the gateway's 429;
/// once one is paid it is the one evicted, and answers the gateway's 404.
#[tokio::test]
async fn efi_and_asaas_keep_pending_pix_and_evict_paid_ones_first() {
    use payorch::sandbox::efi::{CLIENT_ID, CLIENT_SECRET};
    let env = Env::new();
    let sandbox = env.start_sandbox_with(&["--max-objects", "2"]);
    let http = http_client();
    let url = &sandbox.url;
    let pay = |id: String| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let paid = http
                .post(format!("{url}/_sandbox/pay/{id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
        }
    };

    // Efí: cobs above R$ 10,00 wait for the payer.
    let token = http
        .post(format!("{url}/efi/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .header("Content-Type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    let token = json_of(token).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let cob = |n: u32| {
        let request = http
            .post(format!("{url}/efi/v2/cob"))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(
                serde_json::json!({"calendario": {"expiracao": 3600},
                "valor": {"original": format!("2{n}.00")}, "chave": "pix@example.com"})
                .to_string(),
            );
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), json_of(response).await)
        }
    };
    let get_cob = |txid: String| {
        let request = http
            .get(format!("{url}/efi/v2/cob/{txid}"))
            .bearer_auth(&token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let (s1, first) = cob(1).await;
    let (s2, second) = cob(2).await;
    assert_eq!((s1, s2), (201, 201));
    let (status, body) = cob(3).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["mensagem"].as_str().unwrap().contains("--max-objects"));
    let txid = |c: &Value| c["txid"].as_str().unwrap().to_string();
    pay(txid(&first)).await;
    let (status, _) = cob(3).await;
    assert_eq!(status, 201);
    assert_eq!(get_cob(txid(&first)).await, 404);
    assert_eq!(get_cob(txid(&second)).await, 200);

    // Asaas: Pix payments stay PENDING until paid.
    const ASAAS_KEY: &str = "$aact_hmlg_payorch_sandbox_000000000000000000000000";
    let asaas = |path: &str, body: Value| {
        let request = http
            .post(format!("{url}/asaas/v3/{path}"))
            .header("access_token", ASAAS_KEY)
            .header("User-Agent", "payorch-tests")
            .header("Content-Type", "application/json")
            .body(body.to_string());
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), json_of(response).await)
        }
    };
    let (_, customer) = asaas(
        "customers",
        serde_json::json!({"name": "Ana", "cpfCnpj": "52998224725"}),
    )
    .await;
    let payment = serde_json::json!({"customer": customer["id"], "billingType": "PIX",
        "value": 19.90, "dueDate": "2030-01-01"});
    let (s1, first) = asaas("payments", payment.clone()).await;
    let (s2, second) = asaas("payments", payment.clone()).await;
    assert_eq!((s1, s2), (200, 200), "{first} {second}");
    let (status, body) = asaas("payments", payment.clone()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["code"], "too_many_requests");
    let id = |p: &Value| p["id"].as_str().unwrap().to_string();
    pay(id(&first)).await;
    let (status, _) = asaas("payments", payment).await;
    assert_eq!(status, 200);
    let get = |id: String| {
        let request = http
            .get(format!("{url}/asaas/v3/payments/{id}"))
            .header("access_token", ASAAS_KEY)
            .header("User-Agent", "payorch-tests");
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(id(&first)).await, 404);
    assert_eq!(get(id(&second)).await, 200);
}
