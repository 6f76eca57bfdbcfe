//! The AWS emulator the DynamoDB + SQS tests run against: moto's server (PyPI `moto[server]`)
//! run by `tests/aws/emulator.py`, which `scripts/test` installs, starts on a free loopback port
//! and names in `PAYORCH_TEST_AWS_ENDPOINT`. Without it these tests fail, never skip: run
//! `./scripts/test`, or start one yourself (`./scripts/sdk-deps`, then
//! `.venv-aws/bin/python tests/aws/emulator.py --port 5000`) and export
//! `PAYORCH_TEST_AWS_ENDPOINT=http://127.0.0.1:5000`.

use payorch::store::dynamo::{AwsSettings, DynamoStore, StaticCredentials, admin};

/// The emulator's URL, or a panic that says how to get one.
pub fn endpoint() -> String {
    match std::env::var("PAYORCH_TEST_AWS_ENDPOINT") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "no AWS emulator for the DynamoDB + SQS tests: run ./scripts/test, or run \
             ./scripts/sdk-deps, start `.venv-aws/bin/python tests/aws/emulator.py --port 5000` \
             and export PAYORCH_TEST_AWS_ENDPOINT=http://127.0.0.1:5000"
        ),
    }
}

/// The emulator accepts any key; these are what the tests (and child processes) present.
pub fn credentials() -> StaticCredentials {
    StaticCredentials {
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
    }
}

/// The environment a `payorch` child process needs to use the emulator's `settings`.
pub fn child_env(settings: &AwsSettings) -> Vec<(&'static str, String)> {
    vec![
        ("PAYORCH_STORE_BACKEND", "dynamodb".into()),
        ("PAYORCH_AWS_ENDPOINT_URL", endpoint()),
        ("PAYORCH_AWS_REGION", "us-east-1".into()),
        ("PAYORCH_AWS_TABLE", settings.table.clone()),
        ("PAYORCH_AWS_QUEUE", settings.queue.clone()),
        (
            "PAYORCH_AWS_DEAD_LETTER_QUEUE",
            settings.dead_letter_queue.clone(),
        ),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
    ]
}

/// Settings naming a table and queues no other test uses, on the emulator.
pub fn unique_settings() -> AwsSettings {
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    AwsSettings {
        region: Some("us-east-1".into()),
        table: format!("payorch-{tag}"),
        queue: format!("payorch-q-{tag}"),
        dead_letter_queue: format!("payorch-dlq-{tag}"),
        endpoint_url: Some(endpoint()),
    }
}

/// A fresh, empty store: its own table and queues, created with `aws init`.
pub async fn fresh_store() -> (DynamoStore, AwsSettings) {
    let settings = unique_settings();
    admin::init(&settings, Some(&credentials()))
        .await
        .unwrap_or_else(|e| panic!("aws init on the emulator: {e}"));
    let store = DynamoStore::connect(&settings, Some(&credentials()))
        .await
        .unwrap_or_else(|e| panic!("connect to the emulator: {e}"));
    (store, settings)
}
