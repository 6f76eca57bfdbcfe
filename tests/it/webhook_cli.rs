//! `payorch webhook …` and `payorch dlq …` through the real binary: secrets shown once then
//! masked, dead letters listed with their attempts, replayed and purged (with --yes; without a
//! terminal and without --yes, refused), each change audited.

use crate::common;

use std::time::Duration;

use payorch::clock::Timestamp;
use payorch::id::{ChargeId, EventId, MessageId};
use payorch::model::TenantId;
use payorch::store::sqlite::SqliteStore;
use payorch::store::{DeliveryQueue, QueueMessage};
use payorch::webhook::outbound::{AttemptRecord, DeliveryLog};

/// The SSRF inputs: refused with exit 2 and the field named, nothing stored; with
/// `PAYORCH_WEBHOOKS_ALLOW_PRIVATE_TARGETS` a loopback http receiver is accepted.
#[test]
fn endpoint_set_refuses_local_targets_http_and_credentials() {
    let env = common::Env::new();
    for url in [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://192.168.1.1/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://0.0.0.0:22/",
        "https://localhost/hook",
        "https://2130706433/hook",
        "https://0x7f.1/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://admin:hunter2@shop.example/hook",
        "http://shop.example/hook",
    ] {
        let err = env.run(&["webhook", "endpoint", "set", url]).fails(2);
        assert!(err.contains("url: "), "{url}: {err}");
        assert!(!err.contains("hunter2"), "{url}: {err}");
    }
    env.run(&["webhook", "endpoint", "show"]).fails(3);
    let err = env
        .run(&["webhook", "endpoint", "set", "http://127.0.0.1:9/hook"])
        .fails(2);
    assert!(err.contains("webhooks.allow_private_targets"), "{err}");

    let allowed = common::Env::allowing_private_targets();
    allowed
        .run(&["webhook", "endpoint", "set", "http://127.0.0.1:9/hook"])
        .ok();
    let err = allowed
        .run(&[
            "webhook",
            "endpoint",
            "set",
            "http://user:pass@127.0.0.1:9/",
        ])
        .fails(2);
    assert!(err.contains("credentials"), "{err}");
}

#[test]
fn endpoint_set_shows_the_secret_once_then_masks_it() {
    let env = common::Env::new();
    env.run(&["webhook", "endpoint", "show"]).fails(3);
    let err = env
        .run(&["webhook", "endpoint", "set", "not a url"])
        .fails(2);
    assert!(err.contains("not a url"), "{err}");

    let set = env
        .run(&[
            "-o",
            "json",
            "webhook",
            "endpoint",
            "set",
            "https://shop.example/hooks",
        ])
        .json();
    let secret = set["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 30,
        "{secret}"
    );

    let shown = env.run(&["webhook", "endpoint", "show"]).ok();
    assert!(shown.contains("https://shop.example/hooks"));
    assert!(!shown.contains(&secret), "masked by default: {shown}");
    assert!(shown.contains("whsec_"));
    let revealed = env.run(&["webhook", "endpoint", "show", "--reveal"]).ok();
    assert!(revealed.contains(&secret));

    // Setting the URL again keeps the secret and does not print it.
    let again = env
        .run(&["webhook", "endpoint", "set", "https://shop.example/v2"])
        .ok();
    assert!(!again.contains(&secret));

    let rotated = env
        .run(&[
            "-o",
            "json",
            "webhook",
            "secret",
            "rotate",
            "--overlap",
            "1h",
        ])
        .json();
    let new = rotated["secret"].as_str().unwrap();
    assert_ne!(new, secret);
    assert!(new.starts_with("whsec_"));
    assert!(
        !rotated["previous_secret"]
            .as_str()
            .unwrap()
            .contains(&secret[10..])
    );
    let shown = env.run(&["webhook", "endpoint", "show"]).ok();
    assert!(shown.contains("previous_secret") && !shown.contains(new));

    env.run(&["webhook", "endpoint", "enable"]).ok();
    let audit = env.run(&["audit", "list"]).ok();
    for action in [
        "webhook.endpoint_set",
        "webhook.secret_rotate",
        "webhook.endpoint_enable",
    ] {
        assert!(audit.contains(action), "{action} missing: {audit}");
    }
    assert!(!audit.contains("whsec_"), "no secret in the audit log");
}

/// Puts `n` dead letters in the env's store; returns their ids.
async fn bury(env: &common::Env, n: usize) -> Vec<MessageId> {
    let store = SqliteStore::open(&env.data_dir().join("payorch.db")).unwrap();
    let now = Timestamp::from_unix_millis(1_600_000_000_000);
    let mut ids = Vec::new();
    for _ in 0..n {
        let message = QueueMessage {
            id: MessageId::generate(),
            tenant: TenantId::default_tenant(),
            body: serde_json::json!({"id": EventId::generate(), "type": "charge.succeeded"})
                .to_string(),
            enqueued_at: now,
            group: Some(ChargeId::generate().to_string()),
        };
        store.enqueue(&message, Duration::ZERO).await.unwrap();
        ids.push(message.id);
    }
    let log = DeliveryLog {
        failures: 2,
        last_error: "HTTP 503: down for maintenance".into(),
        attempts: vec![
            AttemptRecord {
                at: now,
                status: None,
                error: Some("cannot connect: connection refused".into()),
            },
            AttemptRecord {
                at: now,
                status: Some(503),
                error: Some("HTTP 503: down for maintenance".into()),
            },
        ],
    };
    for r in store
        .receive(100, Duration::from_secs(60), now)
        .await
        .unwrap()
    {
        assert!(
            store
                .dead_letter(&r.message.id, &r.receipt, &log.encode(), now)
                .await
                .unwrap()
        );
    }
    ids
}

#[tokio::test]
async fn dlq_list_show_replay_and_purge() {
    let env = common::Env::new();
    env.run(&["dlq", "list"]).ok();
    let ids = bury(&env, 4).await;
    let store = SqliteStore::open(&env.data_dir().join("payorch.db")).unwrap();

    let listed = env.run(&["dlq", "list"]).ok();
    for id in &ids {
        assert!(listed.contains(id.as_str()), "{listed}");
    }
    assert!(listed.contains("HTTP 503"));
    let json = env
        .run(&["-o", "json", "dlq", "list", "--limit", "2"])
        .json();
    assert_eq!(json.as_array().unwrap().len(), 2);
    let json = env
        .run(&["-o", "json", "dlq", "list", "--since", "1h"])
        .json();
    assert_eq!(json.as_array().unwrap().len(), 0, "they died in 2020");
    env.run(&["dlq", "list", "--since", "yesterday"]).fails(2);

    let shown = env.run(&["dlq", "show", ids[0].as_str()]).ok();
    assert!(
        shown.contains("connection refused") && shown.contains("503"),
        "{shown}"
    );
    assert!(
        shown.contains("newer events of ch_") && shown.contains("replayed or purged"),
        "what the dead letter holds back: {shown}"
    );
    let json = env
        .run(&["-o", "json", "dlq", "show", ids[0].as_str()])
        .json();
    assert_eq!(json["attempt_log"].as_array().unwrap().len(), 2);
    assert_eq!(json["event_type"], "charge.succeeded");
    assert!(json["group"].as_str().unwrap().starts_with("ch_"), "{json}");
    env.run(&["dlq", "show", MessageId::generate().as_str()])
        .fails(3);

    // Dry run changes nothing.
    let dry = env
        .run(&["dlq", "replay", ids[0].as_str(), "--dry-run"])
        .ok();
    assert!(dry.contains(ids[0].as_str()));
    assert!(store.get_dead(&ids[0]).await.unwrap().is_some());
    env.run(&["dlq", "replay", ids[0].as_str()]).ok();
    assert!(store.get_dead(&ids[0]).await.unwrap().is_none());
    let stats = store
        .queue_stats(None, Timestamp::from_unix_millis(i64::MAX / 2))
        .await
        .unwrap();
    assert_eq!((stats.ready, stats.dead), (1, 3));

    // --since narrows --all (and needs it); a far-future time selects nothing.
    let err = env
        .run(&["dlq", "replay", ids[1].as_str(), "--since", "1h"])
        .fails(2);
    assert!(err.contains("--since") || err.contains("--all"), "{err}");
    let none = env
        .run(&[
            "dlq",
            "replay",
            "--all",
            "--since",
            "2999-01-01T00:00:00Z",
            "--dry-run",
            "-o",
            "json",
        ])
        .ok();
    assert!(!none.contains(ids[1].as_str()), "{none}");
    let some = env
        .run(&[
            "dlq",
            "replay",
            "--all",
            "--since",
            "2019-01-01T00:00:00Z",
            "--dry-run",
        ])
        .ok();
    assert!(some.contains(ids[1].as_str()), "{some}");

    // Purge without a terminal and without --yes: refused, nothing deleted.
    let err = env.run(&["dlq", "purge", ids[1].as_str()]).fails(2);
    assert!(err.contains("--yes"), "{err}");
    assert!(store.get_dead(&ids[1]).await.unwrap().is_some());
    env.run(&["dlq", "purge", ids[1].as_str(), "--yes"]).ok();
    assert!(store.get_dead(&ids[1]).await.unwrap().is_none());
    env.run(&["dlq", "purge", ids[1].as_str(), "--yes"])
        .fails(3);

    let replayed = env.run(&["-o", "json", "dlq", "replay", "--all"]).json();
    assert_eq!(replayed["ids"].as_array().unwrap().len(), 2);
    env.run(&["dlq", "purge", "--all", "--yes"]).ok();
    env.run(&["dlq", "replay"]).fails(2);

    let audit = env.run(&["audit", "list"]).ok();
    assert!(
        audit.contains("dlq.replay") && audit.contains("dlq.purge"),
        "{audit}"
    );
}
