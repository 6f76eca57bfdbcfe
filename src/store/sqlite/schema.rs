//! The SQLite schema as embedded, versioned migrations tracked by `PRAGMA user_version`.
//! Add a migration by appending to [`MIGRATIONS`]; never edit one that has shipped.
//!
//! Tables keep the queryable fields as columns (unix-ms times, versions, status, gateway) and
//! the whole record as JSON in `body`, so `sqlite3` can read it (`json_extract(body,'$.amount')`).
//! There are no foreign keys between entities on purpose: the traits do not promise them and
//! the DynamoDB backend could not enforce them.

use std::path::Path;
use std::thread;
use std::time::Duration;

use rusqlite::Connection;

use super::{is_busy, sql_error};
use crate::store::{StoreError, StoreResult};

/// Migration `i` takes the database from `user_version` i to i + 1.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
    CREATE TABLE tenants (
        id         TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        body       TEXT NOT NULL
    ) STRICT;

    CREATE TABLE api_keys (
        id         TEXT PRIMARY KEY,
        tenant     TEXT NOT NULL,
        hash       TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        body       TEXT NOT NULL
    ) STRICT;
    CREATE INDEX api_keys_by_tenant ON api_keys (tenant, created_at, id);

    CREATE TABLE charges (
        id         TEXT PRIMARY KEY,
        tenant     TEXT NOT NULL,
        status     TEXT NOT NULL,
        gateway    TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version    INTEGER NOT NULL,
        body       TEXT NOT NULL
    ) STRICT;
    CREATE INDEX charges_by_tenant ON charges (tenant, id DESC);
    CREATE INDEX charges_by_tenant_status ON charges (tenant, status, id DESC);
    CREATE INDEX charges_by_tenant_gateway ON charges (tenant, gateway, id DESC);
    CREATE INDEX charges_by_tenant_created ON charges (tenant, created_at);

    CREATE TABLE idempotency_keys (
        tenant     TEXT NOT NULL,
        key        TEXT NOT NULL,
        version    INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        body       TEXT NOT NULL,
        PRIMARY KEY (tenant, key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

    CREATE TABLE state (
        tenant  TEXT NOT NULL,
        kind    TEXT NOT NULL,
        name    TEXT NOT NULL,
        version INTEGER NOT NULL,
        body    TEXT NOT NULL,
        PRIMARY KEY (tenant, kind, name)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE counters (
        tenant     TEXT NOT NULL,
        series     TEXT NOT NULL,
        bucket     INTEGER NOT NULL,
        field      TEXT NOT NULL,
        value      INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, series, bucket, field)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE inbound_webhooks (
        id               TEXT PRIMARY KEY,
        tenant           TEXT NOT NULL,
        gateway          TEXT NOT NULL,
        gateway_event_id TEXT NOT NULL,
        received_at      INTEGER NOT NULL,
        status           TEXT NOT NULL,
        body             TEXT NOT NULL,
        UNIQUE (tenant, gateway, gateway_event_id)
    ) STRICT;
    CREATE INDEX inbound_webhooks_by_tenant ON inbound_webhooks (tenant, id DESC);

    CREATE TABLE audit_log (
        id     TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        at     INTEGER NOT NULL,
        action TEXT NOT NULL,
        body   TEXT NOT NULL
    ) STRICT;
    CREATE INDEX audit_log_by_tenant ON audit_log (tenant, id DESC);

    CREATE TABLE queue (
        id            TEXT PRIMARY KEY,
        tenant        TEXT NOT NULL,
        enqueued_at   INTEGER NOT NULL,
        visible_at    INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        receipt       TEXT,
        last_error    TEXT,
        body          TEXT NOT NULL
    ) STRICT;
    CREATE INDEX queue_by_visible_at ON queue (visible_at, id);

    CREATE TABLE dead_letters (
        id            TEXT PRIMARY KEY,
        tenant        TEXT NOT NULL,
        enqueued_at   INTEGER NOT NULL,
        dead_at       INTEGER NOT NULL,
        receive_count INTEGER NOT NULL,
        last_error    TEXT NOT NULL,
        body          TEXT NOT NULL
    ) STRICT;
    CREATE INDEX dead_letters_by_dead_at ON dead_letters (dead_at DESC, id DESC);
    CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant, dead_at DESC, id DESC);
    ",
    // 2: the event log behind `payorch events`.
    "
    CREATE TABLE events (
        id         TEXT PRIMARY KEY,
        tenant     TEXT NOT NULL,
        type       TEXT NOT NULL,
        charge_id  TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        body       TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_by_tenant ON events (tenant, id DESC);
    CREATE INDEX events_by_tenant_type ON events (tenant, type, id DESC);
    CREATE INDEX events_by_tenant_charge ON events (tenant, charge_id, id DESC);
    ",
    // 3: the one row `/readyz` rewrites to prove the file takes a commit (see `readiness.rs`).
    "
    CREATE TABLE heartbeat (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        beats INTEGER NOT NULL,
        at    INTEGER NOT NULL
    ) STRICT;
    ",
    // 4: message groups (one charge's events in order; see `queue/`). `seq` is the queue's
    // own arrival order, never reused (AUTOINCREMENT), kept by a dead letter so that a replay
    // returns to its place; `grp` the group; `blocked` is 1 while an older message of the group
    // is queued or dead, so that `receive` reads only the heads of groups (`queue_ready`).
    // Messages already queued keep their order and have no group.
    "
    CREATE TABLE queue_grouped (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        id            TEXT NOT NULL UNIQUE,
        tenant        TEXT NOT NULL,
        grp           TEXT,
        blocked       INTEGER NOT NULL DEFAULT 0,
        enqueued_at   INTEGER NOT NULL,
        visible_at    INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        receipt       TEXT,
        last_error    TEXT,
        body          TEXT NOT NULL
    ) STRICT;
    INSERT INTO queue_grouped
        (id, tenant, enqueued_at, visible_at, receive_count, receipt, last_error, body)
    SELECT id, tenant, enqueued_at, visible_at, receive_count, receipt, last_error, body
    FROM queue ORDER BY visible_at, id;
    DROP TABLE queue;
    ALTER TABLE queue_grouped RENAME TO queue;
    CREATE INDEX queue_ready ON queue (visible_at, seq) WHERE blocked = 0;
    CREATE INDEX queue_by_group ON queue (grp, seq) WHERE grp IS NOT NULL;

    ALTER TABLE dead_letters ADD COLUMN grp TEXT;
    ALTER TABLE dead_letters ADD COLUMN seq INTEGER;
    CREATE INDEX dead_letters_by_group ON dead_letters (grp, seq) WHERE grp IS NOT NULL;
    ",
];

/// The schema version this binary writes.
pub(super) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Switches the file to WAL. The first connection to a fresh file changes the journal mode,
/// which needs an exclusive lock and can answer BUSY without waiting when another process is
/// doing the same; retry briefly.
pub(super) fn set_wal(conn: &Connection, path: &Path) -> StoreResult<()> {
    let mut attempt = 0;
    loop {
        let mode = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
        match mode {
            Ok(m) if m.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(m) => {
                return Err(StoreError::Backend(format!(
                    "{} cannot use write-ahead logging (journal mode stays `{m}`)",
                    path.display()
                )));
            }
            Err(e) if is_busy(&e) && attempt < 50 => {
                attempt += 1;
                thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(sql_error("set journal_mode=WAL", e)),
        }
    }
}

/// Brings the schema up to [`SCHEMA_VERSION`] inside one IMMEDIATE transaction, so two
/// processes opening a fresh file at once apply each migration exactly once.
pub(super) fn migrate(conn: &Connection, path: &Path) -> StoreResult<()> {
    let ctx = |what: &str| format!("migrate {}: {what}", path.display());
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| sql_error(&ctx("begin"), e))?;
    let outcome = apply_missing(conn, path);
    let end = if outcome.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    let ended = conn.execute_batch(end).map_err(|e| sql_error(&ctx(end), e));
    outcome.and(ended)
}

fn apply_missing(conn: &Connection, path: &Path) -> StoreResult<()> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| sql_error("read the schema version", e))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "database schema version {current} of {} is newer than this payorch supports \
             ({SCHEMA_VERSION}); upgrade payorch",
            path.display()
        )));
    }
    let start = usize::try_from(current).map_err(|_| {
        StoreError::Corrupt(format!(
            "{} has a negative schema version {current}",
            path.display()
        ))
    })?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let to = i + 1;
        conn.execute_batch(sql)
            .and_then(|()| conn.execute_batch(&format!("PRAGMA user_version = {to}")))
            .map_err(|e| sql_error(&format!("apply schema migration {to}"), e))?;
        tracing::info!(db = %path.display(), version = to, "applied SQLite schema migration");
    }
    Ok(())
}
