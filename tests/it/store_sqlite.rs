//! The SQLite backend against the store conformance suite, plus what only SQLite has:
//! migrations, durability across reopen, corrupt rows, and two OS processes on one file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use payorch::clock::Timestamp;
use payorch::model::TenantId;
use payorch::store::conformance::{T0, at, queue_message, sample_charge, tenant};
use payorch::store::sqlite::SqliteStore;
use payorch::store::{
    ChargeQuery, ChargeStore, CounterKey, CounterStore, DeliveryQueue, Store, StoreError,
};
use tempfile::TempDir;

/// A fresh store in its own temp dir (in a subdirectory, so `open` has to create it).
async fn fresh() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let store = SqliteStore::open(&dir.path().join("data").join("payorch.db"))
        .expect("open a fresh SQLite store");
    (store, dir)
}

mod conformance {
    use super::fresh;
    payorch::store_conformance_tests!(fresh());
}

fn db_path(dir: &TempDir) -> PathBuf {
    dir.path().join("payorch.db")
}

fn user_version(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).expect("open with rusqlite");
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("read user_version")
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = db_path(&dir);
    let charge = sample_charge(&tenant("acme"), T0);
    {
        let store = SqliteStore::open(&path).expect("first open");
        store.create_charge(&charge).await.expect("create");
        assert_eq!(store.describe(), format!("sqlite:{}", path.display()));
    }
    let version = user_version(&path);
    assert!(version >= 1, "migrations recorded in user_version");
    let store = SqliteStore::open(&path).expect("second open migrates nothing and succeeds");
    assert_eq!(user_version(&path), version);
    let got = store
        .get_charge(&charge.tenant, &charge.id)
        .await
        .expect("get");
    assert_eq!(got.map(|v| v.value), Some(charge));
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = db_path(&dir);
    drop(SqliteStore::open(&path).expect("create"));
    let known = user_version(&path);
    let conn = rusqlite::Connection::open(&path).expect("open with rusqlite");
    conn.execute_batch(&format!("PRAGMA user_version = {}", known + 5))
        .expect("bump user_version");
    drop(conn);
    let err = match SqliteStore::open(&path) {
        Ok(_) => panic!("a newer schema must be refused"),
        Err(e) => e.to_string(),
    };
    let expected = format!(
        "database schema version {} of {} is newer than this payorch supports ({known}); upgrade payorch",
        known + 5,
        path.display()
    );
    assert!(err.contains(&expected), "{err}");
    assert_eq!(
        user_version(&path),
        known + 5,
        "the refused file is left alone"
    );
}

#[tokio::test]
async fn data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = db_path(&dir);
    let acme = tenant("acme");
    let charge = sample_charge(&acme, T0);
    let msg = queue_message(&acme, T0);
    let key = CounterKey {
        tenant: acme.clone(),
        series: "gw:efi".into(),
        bucket: T0,
    };
    {
        let store = SqliteStore::open(&path).expect("open");
        store.create_charge(&charge).await.expect("create");
        store.enqueue(&msg, Duration::ZERO).await.expect("enqueue");
        let deltas = BTreeMap::from([("ok".to_string(), 3)]);
        store
            .add_counters(&key, &deltas, at(60_000))
            .await
            .expect("add");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    let got = store.get_charge(&acme, &charge.id).await.expect("get");
    assert_eq!(got.map(|v| (v.value, v.version)), Some((charge, 1)));
    let received = store
        .receive(10, Duration::from_secs(30), T0)
        .await
        .expect("receive");
    assert_eq!(
        received.into_iter().map(|r| r.message).collect::<Vec<_>>(),
        vec![msg]
    );
    let counters = store
        .read_counters(&acme, "gw:efi", T0, at(1))
        .await
        .expect("read");
    assert_eq!(
        counters,
        vec![(T0, BTreeMap::from([("ok".to_string(), 3)]))]
    );
}

#[tokio::test]
async fn an_unreadable_row_is_corrupt_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = db_path(&dir);
    let acme = tenant("acme");
    let charge = sample_charge(&acme, T0);
    let store = SqliteStore::open(&path).expect("open");
    store.create_charge(&charge).await.expect("create");
    let conn = rusqlite::Connection::open(&path).expect("open with rusqlite");
    conn.execute(
        "UPDATE charges SET body = '{\"id\": 42' WHERE id = ?1",
        [charge.id.as_str()],
    )
    .expect("tamper");
    drop(conn);
    match store.get_charge(&acme, &charge.id).await {
        Err(StoreError::Corrupt(m)) => assert!(m.contains(charge.id.as_str()), "{m}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    let listed = store.list_charges(&acme, &ChargeQuery::default()).await;
    assert!(matches!(listed, Err(StoreError::Corrupt(_))), "{listed:?}");
}

/// Group commit runs each write in its own savepoint: a write that fails half-way (here the
/// second counter field overflows after the first was added) rolls back alone, and the writes
/// batched with it still commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_write_rolls_back_alone_within_its_batch() {
    let (store, _dir) = fresh().await;
    let store = Arc::new(store);
    let key = CounterKey {
        tenant: tenant("acme"),
        series: "gw:stripe".into(),
        bucket: T0,
    };
    let one = BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 1)]);
    store
        .add_counters(&key, &one, at(60_000))
        .await
        .expect("seed");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let (store, key) = (Arc::clone(&store), key.clone());
        let deltas = if i == 32 {
            BTreeMap::from([("a".to_string(), 1), ("b".to_string(), i64::MAX)])
        } else {
            BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 1)])
        };
        tasks.spawn(async move { (i, store.add_counters(&key, &deltas, at(60_000)).await) });
    }
    for (i, result) in tasks.join_all().await {
        assert_eq!(result.is_err(), i == 32, "write #{i}: {result:?}");
    }
    let read = store
        .read_counters(&key.tenant, "gw:stripe", T0, at(1))
        .await
        .expect("read");
    let expected = BTreeMap::from([("a".to_string(), 64), ("b".to_string(), 64)]);
    assert_eq!(
        read,
        vec![(T0, expected)],
        "the overflowing write left no trace"
    );
}

// ---------------------------------------------------------------------------------------------
// Two OS processes writing one file at once.

/// Set in a child process: the database both children write.
const CHILD_DB: &str = "PAYORCH_TEST_SQLITE_CHILD_DB";
/// Set in a child process: which writer it is (`0` or `1`).
const CHILD_WRITER: &str = "PAYORCH_TEST_SQLITE_CHILD_WRITER";
/// Set in a child process: a file whose appearance says "start writing", so both overlap.
const CHILD_GO: &str = "PAYORCH_TEST_SQLITE_CHILD_GO";
const WRITES_PER_CHILD: i64 = 200;
const SERIES: &str = "both-writers";

fn writer_tenant(writer: &str) -> TenantId {
    tenant(&format!("writer-{writer}"))
}

/// The child's half of [`two_processes_write_one_file_at_once`]. Run normally (without the
/// environment variables) it does nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_writer_process() {
    let (Ok(db), Ok(writer), Ok(go)) = (
        std::env::var(CHILD_DB),
        std::env::var(CHILD_WRITER),
        std::env::var(CHILD_GO),
    ) else {
        return;
    };
    // Both children open the fresh file at once: the migration must not race.
    let store = Arc::new(SqliteStore::open(Path::new(&db)).expect("child opens the store"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !Path::new(&go).exists() {
        assert!(Instant::now() < deadline, "the parent never said go");
        std::thread::sleep(Duration::from_millis(1));
    }
    let owner = writer_tenant(&writer);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..WRITES_PER_CHILD {
        let store = Arc::clone(&store);
        let owner = owner.clone();
        tasks.spawn(async move {
            let charge = sample_charge(&owner, at(i));
            store.create_charge(&charge).await?;
            let key = CounterKey {
                tenant: tenant("shared"),
                series: SERIES.into(),
                bucket: T0,
            };
            let deltas = BTreeMap::from([("calls".to_string(), 1), ("sum".to_string(), i)]);
            store.add_counters(&key, &deltas, at(3_600_000)).await?;
            store
                .enqueue(&queue_message(&owner, at(i)), Duration::ZERO)
                .await
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("writer task").expect("child write");
    }
}

#[tokio::test]
async fn two_processes_write_one_file_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = db_path(&dir);
    let go = dir.path().join("go");
    let exe = std::env::current_exe().expect("the test binary");
    // The child's test as the harness names it: its path below the binary's root module.
    let (_, module) = module_path!()
        .split_once("::")
        .expect("a module of tests/it");
    let child = format!("{module}::child_writer_process");
    let children: Vec<_> = ["0", "1"]
        .into_iter()
        .map(|writer| {
            Command::new(&exe)
                .args(["--exact", &child, "--nocapture"])
                .env(CHILD_DB, &db)
                .env(CHILD_WRITER, writer)
                .env(CHILD_GO, &go)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn a child writer")
        })
        .collect();
    std::fs::write(&go, b"go").expect("say go");
    for child in children {
        let out = child.wait_with_output().expect("wait for a child");
        assert!(
            out.status.success(),
            "child writer failed: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Guard against the child running zero tests (a renamed test would pass vacuously).
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("1 passed"),
            "the child ran no writer:\n{stdout}"
        );
    }

    let store = SqliteStore::open(&db).expect("parent opens the store");
    let everything = ChargeQuery {
        limit: 1000,
        ..ChargeQuery::default()
    };
    for writer in ["0", "1"] {
        let page = store
            .list_charges(&writer_tenant(writer), &everything)
            .await
            .expect("list");
        assert_eq!(
            page.items.len() as i64,
            WRITES_PER_CHILD,
            "writer {writer}'s charges"
        );
    }
    let counters = store
        .read_counters(&tenant("shared"), SERIES, T0, at(1))
        .await
        .expect("read counters");
    let n = WRITES_PER_CHILD;
    let expected = BTreeMap::from([
        ("calls".to_string(), 2 * n),
        ("sum".to_string(), 2 * (n * (n - 1) / 2)),
    ]);
    assert_eq!(counters, vec![(T0, expected)], "no increment lost");
    let received = store
        .receive(
            1000,
            Duration::from_secs(30),
            Timestamp::from_unix_millis(i64::MAX / 2),
        )
        .await
        .expect("receive");
    let mut per_tenant = BTreeMap::new();
    for r in &received {
        *per_tenant.entry(r.message.tenant.to_string()).or_insert(0) += 1;
    }
    let expected = BTreeMap::from([("writer-0".to_string(), n), ("writer-1".to_string(), n)]);
    assert_eq!(per_tenant, expected, "every enqueued message is there");
}

/// Charge bodies as the code before `Charge`'s invariants went private wrote them (its derive,
/// field for field, `decline_code` derived on write): a declined card charge and a partly
/// refunded Pix charge, every optional part present. `<id>` is the row's id.
const STORED_BEFORE_ISSUE_13: [&str; 2] = [
    r#"{"id":"<id>","tenant":"acme","status":"failed","amount":5000,"currency":"BRL","amount_refunded":0,"method":"card","gateway":"asaas","gateway_reference":"pay_080225913252","attempts":[{"gateway":"stripe","outcome":"unavailable_not_sent","latency_ms":0,"error":"stripe: circuit breaker open","gateway_code":"breaker_open","at":"2026-01-02T03:04:05.006Z"},{"gateway":"asaas","outcome":"declined","latency_ms":412,"error":"declined by the issuer","gateway_code":"insufficient_funds","gateway_reference":"pay_080225913252","idempotency_key":"<id>-asaas","at":"2026-01-02T03:04:05.418Z"}],"refunds":[],"customer":{"name":"Maria Silva","email":"maria@example.com","document":{"type":"cpf","number":"52998224725"}},"description":"Order 1001","metadata":{"order":"1001","sku":"A-7"},"failure":{"code":"insufficient_funds","message":"The card has insufficient funds."},"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05.418Z","decline_code":"insufficient_funds"}"#,
    r#"{"id":"<id>","tenant":"acme","status":"partially_refunded","amount":1990,"currency":"BRL","amount_refunded":500,"method":"pix","gateway":"efi","gateway_reference":"txid0001","pix":{"copy_paste":"00020101021226830014BR.GOV.BCB.PIX","qr_code_png":"iVBORw0KGgo=","expires_at":"2026-01-03T03:04:05Z"},"attempts":[{"gateway":"efi","outcome":"success","latency_ms":87,"gateway_reference":"txid0001","idempotency_key":"<id>-efi","at":"2026-01-02T03:04:05.118Z"}],"refunds":[{"id":"re_01KF3T1VQ0000000000000000R","amount":500,"status":"succeeded","gateway_reference":"D123","reason":"requested_by_customer","created_at":"2026-01-02T04:00:00Z","updated_at":"2026-01-02T04:00:01Z"}],"customer":{"name":"João Souza","document":{"type":"cnpj","number":"11222333000181"}},"metadata":{},"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T04:00:01Z"}"#,
];

/// The stored form of a charge did not change when its status and amount went private: a row
/// written by the earlier code loads, reads the same, and is written back byte for byte.
#[tokio::test]
async fn charge_rows_written_before_the_private_fields_load_and_write_back_unchanged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = db_path(&dir);
    let acme = tenant("acme");
    let store = SqliteStore::open(&path).expect("open");
    for literal in STORED_BEFORE_ISSUE_13 {
        let charge = sample_charge(&acme, T0);
        store.create_charge(&charge).await.expect("create");
        let body = literal.replace("<id>", charge.id.as_str());
        let conn = rusqlite::Connection::open(&path).expect("open with rusqlite");
        let raw = |conn: &rusqlite::Connection| -> String {
            conn.query_row(
                "SELECT body FROM charges WHERE id = ?1",
                [charge.id.as_str()],
                |r| r.get(0),
            )
            .expect("read the row")
        };
        conn.execute(
            "UPDATE charges SET body = ?1 WHERE id = ?2",
            [body.as_str(), charge.id.as_str()],
        )
        .expect("write the old body");

        let got = store
            .get_charge(&acme, &charge.id)
            .await
            .expect("an old row loads")
            .expect("exists");
        let c = &got.value;
        let expected: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(c.status().as_str(), expected["status"]);
        assert_eq!(c.amount(), expected["amount"]);
        assert_eq!(c.currency().code(), expected["currency"]);
        assert_eq!(c.amount_refunded(), expected["amount_refunded"]);
        assert_eq!(c.decline_code(), expected["decline_code"].as_str());
        assert_eq!(c.fee, None, "rows from before issue 18 have no fee");
        assert_eq!(serde_json::to_string(c).expect("encode"), body, "same JSON");

        store
            .update_charge(c, got.version)
            .await
            .expect("write it back");
        assert_eq!(raw(&conn), body, "the row written back is the same bytes");
    }
}

/// The cost query reads rows written before fees existed (issue 18), and before
/// `amount_refunded` and `attempts` were always written: no fee is `unpriced`, a missing
/// amount refunded is 0, missing attempts are no failover.
#[tokio::test]
async fn costs_sum_rows_written_before_fees() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = db_path(&dir);
    let acme = tenant("acme");
    let store = SqliteStore::open(&path).expect("open");
    let conn = rusqlite::Connection::open(&path).expect("open with rusqlite");
    let mut bodies: Vec<String> = STORED_BEFORE_ISSUE_13
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut older: serde_json::Value =
        serde_json::from_str(STORED_BEFORE_ISSUE_13[1]).expect("json");
    for key in ["amount_refunded", "attempts", "refunds"] {
        older.as_object_mut().expect("an object").remove(key);
    }
    bodies.push(older.to_string());
    for literal in &bodies {
        let charge = sample_charge(&acme, T0);
        store.create_charge(&charge).await.expect("create");
        let body = literal.replace("<id>", charge.id.as_str());
        conn.execute(
            "UPDATE charges SET body = ?1, status = json_extract(?1, '$.status'),
                gateway = json_extract(?1, '$.gateway') WHERE id = ?2",
            [body.as_str(), charge.id.as_str()],
        )
        .expect("write the old body");
    }
    let query = payorch::store::CostQuery {
        tenant: Some(acme),
        from: T0,
        to: at(1),
        group: payorch::store::CostGroup::Gateway,
        utc_offset_minutes: 0,
    };
    let rows = store
        .charge_costs(&query, &payorch::model::FeeSchedule::builtin())
        .await
        .expect("old rows sum");
    let sums: Vec<(String, u64, i64, i64, i64, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r.key.to_string(),
                r.charges,
                r.volume,
                r.refunded,
                r.fees,
                r.unpriced,
                r.failover.charges,
            )
        })
        .collect();
    assert_eq!(
        sums,
        vec![
            // efi: the partially refunded Pix, twice (once without amount_refunded).
            ("efi".to_string(), 2, 3_980, 500, 0, 2, 0),
            // asaas: the declined card after a refused Stripe call: not paid, no failover.
            ("asaas".to_string(), 1, 0, 0, 0, 0, 0),
        ]
    );
}
