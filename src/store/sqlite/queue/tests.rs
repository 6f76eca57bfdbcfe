//! What only the SQLite queue shows: a queue from before message groups migrates with its
//! messages and dead letters, and the group bookkeeping reads through indexes, never a scan
//! of the queue (`receive` is on every delivery's path).

use std::time::Duration;

use rusqlite::Connection;

use super::super::schema::MIGRATIONS;
use super::{GROUP_BUSY, RECEIVE, RELEASE_NEXT};
use crate::id::MessageId;
use crate::model::TenantId;
use crate::store::conformance::{T0, at, grouped_message};
use crate::store::sqlite::SqliteStore;
use crate::store::{DeliveryQueue, QueueMessage};

/// A database file at schema 3 (before groups), holding one queued message and one dead
/// letter, both stored as that version wrote them (no group in the body).
fn schema_3_with(path: &std::path::Path, queued: &MessageId, dead: &MessageId) {
    let conn = Connection::open(path).expect("open");
    for sql in &MIGRATIONS[..3] {
        conn.execute_batch(sql).expect("old migration");
    }
    conn.execute_batch("PRAGMA user_version = 3")
        .expect("version");
    let body = |id: &MessageId| {
        format!(
            r#"{{"id":"{id}","tenant":"default","body":"{{}}","enqueued_at":"{}"}}"#,
            T0.to_rfc3339()
        )
    };
    conn.execute(
        "INSERT INTO queue (id, tenant, enqueued_at, visible_at, body) VALUES (?1, 'default', ?2, ?2, ?3)",
        rusqlite::params![queued.to_string(), T0.unix_millis(), body(queued)],
    )
    .expect("old queued row");
    conn.execute(
        "INSERT INTO dead_letters (id, tenant, enqueued_at, dead_at, receive_count, last_error, body)
         VALUES (?1, 'default', ?2, ?2, 8, 'HTTP 500', ?3)",
        rusqlite::params![dead.to_string(), T0.unix_millis(), body(dead)],
    )
    .expect("old dead letter");
}

#[tokio::test]
async fn a_queue_from_before_groups_keeps_its_messages_and_dead_letters() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("payorch.db");
    let (queued, dead) = (MessageId::generate(), MessageId::generate());
    schema_3_with(&path, &queued, &dead);

    let store = SqliteStore::open(&path).expect("open migrates");
    let letter = store
        .get_dead(&dead)
        .await
        .expect("get dead")
        .expect("kept");
    assert_eq!(letter.message.group, None, "an old row reads as ungrouped");
    store.replay_dead(&dead, at(10)).await.expect("replay");
    // A new grouped message is not held back by the old, ungrouped ones.
    let tenant = TenantId::default_tenant();
    let fresh = grouped_message(&tenant, "ch_a", at(10));
    store
        .enqueue(&fresh, Duration::ZERO)
        .await
        .expect("enqueue");

    let got = store
        .receive(10, Duration::from_secs(30), at(10))
        .await
        .expect("receive");
    let ids: Vec<_> = got.iter().map(|r| r.message.id.clone()).collect();
    assert_eq!(ids, vec![queued.clone(), dead, fresh.id]);
    assert_eq!(got[0].message.group, None);
}

/// How SQLite runs `sql` on the store's schema (its details, joined).
fn plan(conn: &Connection, sql: &str) -> String {
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("explain");
    let args = vec!["x"; stmt.parameter_count()];
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
        .expect("plan rows");
    rows.map(|r| r.expect("plan row"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn group_bookkeeping_reads_through_indexes_never_the_whole_queue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("payorch.db");
    let store = SqliteStore::open(&path).expect("open");
    // Enough rows for the planner to prefer an index when it has one.
    let tenant = TenantId::default_tenant();
    for i in 0..50 {
        let m: QueueMessage = grouped_message(&tenant, &format!("ch_{}", i % 5), at(i));
        store.enqueue(&m, Duration::ZERO).await.expect("enqueue");
    }
    drop(store);
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch("ANALYZE").expect("analyze");

    let receive = plan(&conn, RECEIVE);
    assert!(
        receive.contains("USING INDEX queue_ready") && !receive.contains("TEMP B-TREE"),
        "receive walks the ready heads in order: {receive}"
    );
    let busy = plan(&conn, GROUP_BUSY);
    assert!(
        busy.contains("queue_by_group") && busy.contains("dead_letters_by_group"),
        "{busy}"
    );
    let release = plan(&conn, RELEASE_NEXT);
    assert!(
        release.contains("queue_by_group")
            && release.contains("dead_letters_by_group")
            && !release.contains("SCAN queue"),
        "{release}"
    );
}
