//! What only the inside of the SQLite backend shows: the writer replacing a connection that can
//! no longer write, opens that never create a missing file, and the readiness heartbeat with its
//! cache and deadline. The behaviour every backend shares is in `store::conformance`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::readiness::{Health, Readiness};
use super::writer::Writer;
use super::{Role, SqliteStore, open_connection, reopen_writer};
use crate::store::{Store, StoreError};

fn fresh() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("payorch.db")).expect("open");
    (store, dir)
}

/// How many heartbeats have committed to the file, read on a connection of its own.
fn beats(store: &SqliteStore) -> i64 {
    let conn = Connection::open(store.path()).expect("open with rusqlite");
    conn.query_row("SELECT coalesce(sum(beats), 0) FROM heartbeat", [], |r| {
        r.get(0)
    })
    .expect("read heartbeat")
}

#[test]
fn health_logs_each_transition_once() {
    let health = Health::new(std::path::Path::new("payorch.db"));
    assert!(!health.writable(), "writable from the start: no transition");
    assert!(health.unwritable("disk I/O error"));
    assert!(!health.unwritable("disk I/O error"), "already unwritable");
    assert!(!health.is_writable());
    assert!(health.writable());
    assert!(!health.writable(), "already writable");
    assert!(health.is_writable());
}

/// A connection SQLite opened read-only (as it does, silently and for good, when the file is not
/// writable at open) fails its job once, is replaced, and the next job commits.
#[tokio::test]
async fn the_writer_replaces_a_connection_that_cannot_write() {
    let (store, _dir) = fresh();
    let path = store.path().to_path_buf();
    let read_only = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open read-only");
    let reopened = Arc::new(AtomicUsize::new(0));
    let health = Arc::new(Health::new(&path));
    let reopen = {
        let (reopened, path) = (Arc::clone(&reopened), path.clone());
        Box::new(move || {
            reopened.fetch_add(1, Ordering::SeqCst);
            reopen_writer(&path)
        })
    };
    let writer = Writer::start(read_only, reopen, Arc::clone(&health)).expect("writer");

    let runs = Arc::new(AtomicUsize::new(0));
    let first = {
        let runs = Arc::clone(&runs);
        writer
            .write(move |c| {
                runs.fetch_add(1, Ordering::SeqCst);
                super::readiness::beat(c)
            })
            .await
    };
    assert!(
        matches!(&first, Err(StoreError::Unavailable(m)) if m.contains("readonly")),
        "a write on a read-only connection is Unavailable (503), not a 500: {first:?}"
    );
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "a failed job is never re-run"
    );
    assert!(!health.is_writable());
    assert_eq!(reopened.load(Ordering::SeqCst), 0, "reopened lazily");

    writer
        .write(super::readiness::beat)
        .await
        .expect("commits on a fresh connection");
    assert_eq!(reopened.load(Ordering::SeqCst), 1);
    assert!(health.is_writable());
    drop(writer);
    assert_eq!(beats(&store), 1, "exactly the second job committed");
}

#[test]
fn connections_after_the_first_never_create_a_missing_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("moved-away.db");
    let writer = reopen_writer(&missing);
    assert!(
        matches!(&writer, Err(StoreError::Unavailable(m)) if m.contains("unable to open")),
        "{:?}",
        writer.err()
    );
    let reader = open_connection(&missing, Role::Reader);
    assert!(matches!(reader, Err(StoreError::Unavailable(_))));
    assert!(!missing.exists(), "no empty database appeared in its place");
}

#[tokio::test]
async fn readiness_commits_a_heartbeat_and_reuses_the_answer() {
    let (mut store, _dir) = fresh();
    store.readiness = Readiness::new(Duration::from_secs(3600), Duration::from_secs(60));
    for _ in 0..5 {
        store.ping().await.expect("ready");
    }
    assert_eq!(beats(&store), 1, "one commit serves every poll while fresh");

    // A transition seen elsewhere (a charge's failed commit) makes the cached answer stale.
    store.health.unwritable("a charge could not commit");
    store.ping().await.expect("ready again");
    assert_eq!(beats(&store), 2);
    assert!(
        store.health.is_writable(),
        "the heartbeat's commit proves it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_another_connection_holds_the_write_lock() {
    let (mut store, _dir) = fresh();
    store.readiness = Readiness::new(Duration::ZERO, Duration::from_millis(200));
    store.ping().await.expect("ready at first");

    let other = Connection::open(store.path()).expect("second connection");
    other
        .execute_batch("BEGIN EXCLUSIVE")
        .expect("take the write lock");
    let held = store.ping().await;
    assert!(
        matches!(&held, Err(StoreError::Unavailable(m)) if m.contains("no write committed")),
        "{held:?}"
    );
    assert!(!store.health.is_writable());
    other.execute_batch("COMMIT").expect("release the lock");

    // Liveness only: the writer finishes its waiting batch, then a heartbeat commits.
    let give_up = Instant::now() + Duration::from_secs(120);
    while store.ping().await.is_err() {
        assert!(
            Instant::now() < give_up,
            "never ready again after the lock was released"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(store.health.is_writable());
}

#[tokio::test]
async fn idle_readers_are_not_reused_after_a_retire() {
    let (store, _dir) = fresh();
    store.ping().await.expect("ready");
    assert!(
        store.readers.take_idle().is_some(),
        "the ping's reader went back to the pool"
    );
    store.ping().await.expect("ready");
    store.readers.retire();
    assert!(store.readers.take_idle().is_none());
    let stale = open_connection(store.path(), Role::Reader).expect("reader");
    store.readers.put_idle(0, stale);
    assert!(
        store.readers.take_idle().is_none(),
        "a connection of an older generation is closed, not pooled"
    );
}
