//! The merchant API's contract, `openapi.yaml`, held against a real `payorch serve` +
//! `payorch sandbox`:
//!
//! - `serve` answers the document itself at `GET /v1/openapi.json` (no key), and its
//!   `info.version` is the crate's;
//! - schemathesis (installed by `scripts/sdk-deps` into `.venv-contract/`, found through
//!   `PAYORCH_CONTRACT_PYTHON`) generates requests from the document, valid and invalid,
//!   one operation at a time and as chains along its links (create → get → refund), and checks
//!   every answer: no 5xx, a documented status, content type and headers, a body that matches
//!   its schema, invalid input refused, unauthenticated requests refused, `405` with `Allow`
//!   for undocumented methods;
//! - the webhook deliveries (`webhooks:`, which schemathesis cannot call) are checked here: each
//!   event type's payload against its schema, and the Standard Webhooks headers, verified.
//!
//! A mismatch is a bug in the server or in the document: fix whichever is wrong.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::openapi::OpenApi;
use crate::common::scripted::Scripted;
use crate::common::sdk::{loopback_only, venv_python};
use crate::common::stack::ServeStack;
use crate::common::{Env, verify_delivery};

/// Deliveries may go to the test's loopback receiver.
const CONFIG: &str = "[webhooks]\nallow_private_targets = true\n";

/// The env var naming the python of the venv schemathesis is installed in.
const CONTRACT_PYTHON_VAR: &str = "PAYORCH_CONTRACT_PYTHON";

/// Examples per operation and phase: about a minute of requests on a loaded 2-core machine.
const MAX_EXAMPLES: &str = "40";

/// The generator's seed, fixed so that a run can be repeated; set
/// `PAYORCH_CONTRACT_SEED` to explore others.
const SEED: &str = "17";

/// `openapi.yaml` as JSON.
fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("openapi.yaml");
    serde_yaml_ng::from_str(&text).expect("openapi.yaml is YAML")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_the_document_at_v1_openapi_json() {
    let mut stack = ServeStack::new(CONFIG);
    stack.start_serve();
    let url = format!("{}/v1/openapi.json", stack.url());

    // No API key: the document holds nothing of a tenant's.
    let r = stack.http.get(&url).send().await.expect("serve answers");
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert!(
        headers.get("ratelimit").is_none(),
        "not rate limited: {headers:?}"
    );
    let etag = headers["etag"].to_str().expect("an ETag").to_string();
    let served: Value = serde_json::from_slice(&r.bytes().await.expect("a body")).expect("JSON");
    assert!(served == document(), "/v1/openapi.json is not openapi.yaml");
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(
        served["info"]["version"],
        env!("CARGO_PKG_VERSION"),
        "openapi.yaml's info.version is the crate's version"
    );

    // Cached by its tag.
    let again = stack
        .http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("serve answers");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_the_server_as_the_document_says() {
    let receiver = Scripted::receiver().await;
    let mut stack = ServeStack::in_env(Env::allowing_private_targets(), CONFIG);
    stack.set_webhook_endpoint(&format!("{}/hooks", receiver.base));
    stack.start_serve();
    let seed = std::env::var("PAYORCH_CONTRACT_SEED").unwrap_or_else(|_| SEED.into());
    // A key without a rate limit of its own: the generated requests reach their routes.
    let unlimited = api_key(&stack, "off");
    let stdout = schemathesis(
        &stack,
        &unlimited,
        &["--max-examples", MAX_EXAMPLES, "--seed", &seed],
    )
    .await;
    // It ran every phase, the chains along the links included, over every documented operation.
    let operations: usize = document()["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| {
            p.as_object()
                .expect("a path item")
                .keys()
                .filter(|m| ["get", "put", "post", "delete", "patch"].contains(&m.as_str()))
                .count()
        })
        .sum();
    assert!(
        stdout.contains(&format!("Tested: {operations}")),
        "schemathesis did not test all {operations} operations:\n{stdout}"
    );
    for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
        assert!(stdout.contains(phase), "no {phase} phase:\n{stdout}");
    }

    // And over its rate limit: every operation's 429 as documented (Retry-After, RateLimit).
    let limited = api_key(&stack, "1/min");
    let stdout = schemathesis(
        &stack,
        &limited,
        &[
            "--phases",
            "fuzzing",
            "--max-examples",
            "5",
            "--seed",
            &seed,
        ],
    )
    .await;
    assert!(
        stdout.contains("429"),
        "no request was rate limited:\n{stdout}"
    );
}

/// A new API key of the stack's tenant with the rate limit `rate` (`off`, `1/min`): its secret.
fn api_key(stack: &ServeStack, rate: &str) -> String {
    let key: Value =
        serde_json::from_str(&stack.cli(&["apikey", "create", "-o", "json"])).expect("JSON");
    let id = key["id"].as_str().expect("a key id");
    stack.cli(&["apikey", "update", id, "--rate-limit", rate]);
    key["secret"].as_str().expect("a secret").to_string()
}

/// Runs schemathesis with every check against `stack`'s serve as the API key `key`, with
/// `args` (phases, examples, seed); panics with its report unless every check passed. Returns
/// its output. Its settings are `tests/contract/schemathesis.toml` (the key, through the
/// document's security scheme) and `tests/contract/hooks.py` (generators for the document's
/// own formats, a fresh `Idempotency-Key` for each request that has a valid one).
async fn schemathesis(stack: &ServeStack, key: &str, args: &[&str]) -> String {
    let python = venv_python(
        CONTRACT_PYTHON_VAR,
        ".venv-contract",
        "schemathesis is not installed",
    );
    let contract = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/contract");
    let mut st = Command::new(python);
    st.args(["-m", "schemathesis.cli", "--config-file"])
        .arg(format!("{contract}/schemathesis.toml"))
        .arg("run")
        // The file, not `{url}/v1/openapi.json`: schemathesis leaves out the operation its
        // document came from. The two are the same (the test above).
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .args(["--url", stack.url()])
        .env("PAYORCH_CONTRACT_API_KEY", key)
        .env("SCHEMATHESIS_HOOKS", format!("{contract}/hooks.py"))
        // Every check but one: a request valid by the schema may still be refused (a CPF
        // whose check digits are wrong, an unknown charge id), which no schema can say.
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(args)
        .args(["--request-timeout", "60", "--no-color"])
        // Hypothesis keeps its example database in the working directory: the test's own.
        .current_dir(stack.env.path());
    loopback_only(&mut st).env("PYTHONDONTWRITEBYTECODE", "1");
    let out = tokio::task::spawn_blocking(move || st.output())
        .await
        .expect("the schemathesis run")
        .expect("schemathesis starts");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "schemathesis found the server and openapi.yaml disagree ({args:?}; fix whichever is \
         wrong):\n{stdout}\n--- stderr\n{}\n--- serve's log\n{}",
        String::from_utf8_lossy(&out.stderr),
        stack.env.serve_log()
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_deliveries_are_the_documents_webhooks() {
    let doc = document();
    let spec = OpenApi::from_value(doc.clone());
    let webhooks = doc["webhooks"].as_object().expect("a webhooks section");
    let documented: Vec<&str> = webhooks.keys().map(String::as_str).collect();
    let emitted: Vec<&str> = payorch::model::EventType::ALL
        .iter()
        .map(|t| t.as_str())
        .collect();
    assert_eq!(
        sorted(documented),
        sorted(emitted),
        "openapi.yaml's webhooks are payorch's event types"
    );

    let receiver = Scripted::receiver().await;
    let mut stack = ServeStack::in_env(Env::allowing_private_targets(), CONFIG);
    let secret = stack.set_webhook_endpoint(&format!("{}/hooks", receiver.base));
    let secret = payorch::secret::Secret::new(secret);
    stack.start_serve();
    let api = stack.api();
    let post = |path: &str, idem: &str, body: Value| {
        let api = api.clone();
        let (path, idem) = (path.to_string(), idem.to_string());
        async move {
            api.post(&path, &idem, &body, Duration::from_secs(60))
                .await
                .expect("serve answers")
        }
    };
    let customer = json!({"name": "Maria Silva", "document": "529.982.247-25"});

    // A Pix charge, paid (requires_action, succeeded); a card charge refunded in two steps
    // (succeeded, partially_refunded, refunded); a declined card (failed).
    let (status, pix) = post(
        "/v1/charges",
        "pix",
        json!({"amount": 1990, "currency": "BRL", "method": "pix", "customer": customer}),
    )
    .await;
    assert_eq!(status, 201, "{pix}");
    stack.sandbox(&[
        "pay",
        pix["gateway_reference"].as_str().expect("a reference"),
    ]);
    let card = |token: &str| {
        json!({"amount": 4990, "currency": "BRL", "method": "card", "customer": customer,
               "card": {"tokens": {"stripe": token}}})
    };
    let (status, paid) = post("/v1/charges", "card", card("pm_card_visa")).await;
    assert_eq!(status, 201, "{paid}");
    let refunds = format!("/v1/charges/{}/refunds", paid["id"].as_str().unwrap());
    let (status, body) = post(&refunds, "refund-1", json!({"amount": 990})).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(&refunds, "refund-2", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (status, declined) = post("/v1/charges", "declined", card("pm_card_chargeDeclined")).await;
    assert_eq!(declined["status"], "failed", "{status} {declined}");

    let expected = [
        "charge.requires_action",
        "charge.succeeded",
        "charge.partially_refunded",
        "charge.refunded",
        "charge.failed",
    ];
    let mut seen_types = Vec::new();
    let mut n = 0;
    while !expected.iter().all(|t| seen_types.contains(t)) {
        n += 1;
        let delivery = receiver.wait_for(n).await.swap_remove(n - 1);
        let now = payorch::clock::Clock::now(&payorch::clock::SystemClock);
        verify_delivery(&[&secret], &delivery.headers, delivery.body.as_bytes(), now)
            .unwrap_or_else(|e| panic!("a delivery that does not verify ({e}): {delivery:?}"));
        let event = delivery.json();
        let kind = event["type"].as_str().expect("a type").to_string();
        let operation = &webhooks[&kind]["post"];
        let schema = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .unwrap_or_else(|| panic!("webhook {kind} has no payload schema"));
        spec.assert_valid(schema, &event);
        // Each documented header, as its schema says.
        for parameter in operation["parameters"].as_array().expect("parameters") {
            let name = parameter["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/parameters/"))
                .map(|p| &doc["components"]["parameters"][p])
                .unwrap_or(parameter);
            let header = name["name"].as_str().expect("a header name");
            let value = delivery
                .header(header)
                .unwrap_or_else(|| panic!("{kind}: no {header} header"));
            let errors = schema_errors(&doc, &name["schema"], value);
            assert!(errors.is_empty(), "{kind}: {header}: {errors:?}");
        }
        if let Some(t) = expected.iter().find(|t| **t == kind) {
            seen_types.push(*t);
        }
    }
}

/// Violations of an inline or `$ref` schema by a header's text.
fn schema_errors(doc: &Value, schema: &Value, value: &str) -> Vec<String> {
    // The checker takes named schemas: give this one a name in a copy of the document.
    let mut doc = doc.clone();
    doc["components"]["schemas"]["__header"] = schema.clone();
    OpenApi::from_value(doc).errors("__header", &Value::String(value.to_string()))
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_answers_the_documented_error_with_its_attempts() {
    // Every gateway down: what schemathesis cannot bring about.
    let spec = OpenApi::from_value(document());
    let mut stack = ServeStack::new(CONFIG);
    for gateway in ["stripe", "efi", "asaas"] {
        stack.set_mode(gateway, json!({"mode": "down"})).await;
    }
    stack.start_serve();
    let charge = json!({"amount": 1990, "currency": "BRL", "method": "pix",
                        "customer": {"name": "Maria Silva", "document": "529.982.247-25"}});
    let (status, body) = stack
        .api()
        .post_charge("outage", &charge, Duration::from_secs(60))
        .await
        .expect("serve answers");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "gateway_unavailable");
    assert_eq!(body["error"]["attempts"].as_array().map(Vec::len), Some(3));
    spec.assert_valid("Error", &body);
    let documented = &document()["paths"]["/v1/charges"]["post"]["responses"]["503"];
    assert!(documented.is_object(), "POST /v1/charges documents its 503");
}
