//! The embedded SQLite backend: [`SqliteStore`], one file in the data dir, WAL, durable commits.
//! All of payorch's SQL lives under this module; the record and queue semantics are the traits'.
//!
//! Writes go to one writer thread per store that group-commits ([`writer`]); reads run on a
//! small pool of read connections through `spawn_blocking`. Several processes may open the same
//! file: writes take the write lock with `BEGIN IMMEDIATE`, wait on it (busy timeout) and retry
//! a busy batch with backoff before answering [`StoreError::Unavailable`].
//!
//! A file that cannot be used (read-only, an I/O error, full, cannot be opened) is also
//! [`StoreError::Unavailable`] (a 503, not a 500): an operator or the OS has to act, and the
//! store recovers by itself once they did, without a restart. The writer swaps in a fresh
//! connection once one can write (see [`writer`]) and the read pool then drops its idle ones;
//! a read connection is not pooled after an `Unavailable` or if SQLite could only open it
//! read-only. No connection is opened with "create" after the first, so a file moved away is
//! never silently replaced by an empty one. `ping` (`/readyz`) commits a real write
//! ([`readiness`]).

mod accounts;
mod charges;
mod costs;
mod events;
pub mod private;
mod queue;
mod readiness;
mod schema;
mod state;
#[cfg(test)]
mod tests;
mod webhooks;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, ErrorCode, MAIN_DB, OpenFlags, OptionalExtension, Params, ffi};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::{Page, Store, StoreError, StoreResult, Versioned};
use readiness::{Health, READY_DEADLINE, READY_MAX_AGE, Readiness};
use writer::Writer;

/// How long a statement waits for another connection's lock before giving up with BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// At most this many read connections (and concurrent blocking reads) per store.
const MAX_READERS: usize = 8;
/// A listing's page size when the caller asks for 0.
const DEFAULT_LIMIT: u32 = 20;
/// The largest page a listing returns.
const MAX_LIMIT: u32 = 1000;

/// payorch's records and delivery queue in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Arc<Readers>,
    /// Whether the file takes commits, as the writer last saw; shared with it.
    health: Arc<Health>,
    readiness: Readiness,
}

impl SqliteStore {
    /// Opens (creating the file and its parent dir if needed) and migrates the database.
    ///
    /// Fails with [`StoreError::Backend`] when the file cannot be opened or its schema is newer
    /// than this binary knows.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private::create_dir(parent).map_err(|e| {
                StoreError::Backend(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        // Created 0600 before SQLite opens it: SQLite gives its `-wal` and `-shm` files the
        // main file's mode.
        private::create_file(path)
            .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", path.display())))?;
        let conn = open_connection(path, Role::Create)?;
        schema::migrate(&conn, path)?;
        let readers = Arc::new(Readers {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(MAX_READERS),
            generation: AtomicU64::new(0),
        });
        let health = Arc::new(Health::new(path));
        let reopen = {
            let (readers, path) = (Arc::clone(&readers), path.to_path_buf());
            Box::new(move || {
                let conn = reopen_writer(&path)?;
                // Idle readers may hold the same trouble (or a file since replaced): drop them,
                // now that the fresh writer keeps the file open (see `writer`).
                readers.retire();
                Ok(conn)
            })
        };
        let writer = Writer::start(conn, reopen, Arc::clone(&health)).map_err(|e| {
            StoreError::Backend(format!("cannot start the SQLite writer thread: {e}"))
        })?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer,
            readers,
            health,
            readiness: Readiness::new(READY_MAX_AGE, READY_DEADLINE),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in the next group commit; see [`writer`].
    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.writer.write(work).await
    }

    /// Runs `work` on a read connection, off the async threads.
    async fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.readers.read(work).await
    }
}

/// Idle read connections, opened on demand, at most [`MAX_READERS`] in use at once.
struct Readers {
    path: PathBuf,
    /// Each with the generation it was opened in.
    idle: Mutex<Vec<(u64, Connection)>>,
    permits: Semaphore,
    /// Bumped by [`Readers::retire`]: connections of an older generation are not reused.
    generation: AtomicU64,
}

impl Readers {
    async fn read<T, F>(self: &Arc<Self>, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        // A semaphore permit, not a lock: it bounds the blocking reads in flight.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Backend("the SQLite read pool is closed".into()))?;
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let (generation, conn) = match readers.take_idle() {
                Some(idle) => idle,
                None => (
                    readers.generation.load(Ordering::SeqCst),
                    open_connection(&readers.path, Role::Reader)?,
                ),
            };
            let out = work(&conn);
            // After an Unavailable (busy, or a file in trouble) or from a connection SQLite
            // could only open read-only, the next read gets a fresh connection.
            let healthy = !matches!(out, Err(StoreError::Unavailable(_)))
                && !conn.is_readonly(MAIN_DB).unwrap_or(true);
            if healthy {
                readers.put_idle(generation, conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Backend(format!("SQLite read task failed: {e}")))?
    }

    /// An idle connection of the current generation; older ones are closed on the way.
    fn take_idle(&self) -> Option<(u64, Connection)> {
        let current = self.generation.load(Ordering::SeqCst);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((generation, conn)) = idle.pop() {
            if generation == current {
                return Some((generation, conn));
            }
        }
        None
    }

    fn put_idle(&self, generation: u64, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_READERS && generation == self.generation.load(Ordering::SeqCst) {
            idle.push((generation, conn));
        }
    }

    /// Closes the idle connections and keeps those in use from coming back to the pool.
    fn retire(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        idle.clear();
    }
}

/// Which connection [`open_connection`] opens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The writer's first connection: creates the file if it is missing.
    Create,
    /// A writer's replacement: the file must exist.
    Writer,
    /// A read connection (`query_only`); the file must exist.
    Reader,
}

/// A fresh writer connection after a failure of the file: it must be writable (SQLite silently
/// opens a file it cannot write read-only, for good) and at this binary's schema.
fn reopen_writer(path: &Path) -> StoreResult<Connection> {
    let conn = open_connection(path, Role::Writer)?;
    if conn.is_readonly(MAIN_DB).unwrap_or(true) {
        return Err(StoreError::Unavailable(format!(
            "{} can only be opened read-only: the file, its -wal/-shm files or its directory \
             are not writable",
            path.display()
        )));
    }
    schema::migrate(&conn, path)?;
    Ok(conn)
}

/// Opens one connection with payorch's pragmas. Read connections are `query_only`.
fn open_connection(path: &Path, role: Role) -> StoreResult<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if role == Role::Create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let ctx = |e: rusqlite::Error| {
        let context = format!("cannot open SQLite database {}", path.display());
        match role {
            // At start-up this is a setup problem (a wrong path), not an outage.
            Role::Create => StoreError::Backend(format!("{context}: {e}")),
            Role::Writer | Role::Reader => sql_error(&context, e),
        }
    };
    let conn = Connection::open_with_flags(path, flags).map_err(ctx)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(ctx)?;
    schema::set_wal(&conn, path)?;
    // FULL: the WAL is fsynced on every commit, so an acknowledged write survives power loss.
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .map_err(ctx)?;
    if role == Role::Reader {
        conn.execute_batch("PRAGMA query_only = ON;").map_err(ctx)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

// ---------------------------------------------------------------------------------------------
// Shared helpers for the record and queue modules.

/// What a SQLite failure says about the database, beyond the one statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trouble {
    /// Another connection holds the lock: wait and retry.
    Busy,
    /// The file cannot be used now (read-only, an I/O error, full, cannot be opened): someone
    /// has to act; afterwards a fresh connection may be needed.
    File,
    /// Anything else (a constraint, a bug, corruption).
    Other,
}

fn trouble(e: &rusqlite::Error) -> Trouble {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Trouble::Busy,
        Some(
            ErrorCode::ReadOnly
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::CannotOpen,
        ) => Trouble::File,
        _ => Trouble::Other,
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    trouble(e) == Trouble::Busy
}

/// Maps a SQLite error: busy/locked and a file in trouble → `Unavailable` (retry later),
/// undecodable column → `Corrupt`. Uniqueness violations are mapped by the caller, who knows
/// the entity ([`insert_new`]).
fn sql_error(context: &str, e: rusqlite::Error) -> StoreError {
    use rusqlite::Error as E;
    match &e {
        E::InvalidColumnType(..)
        | E::FromSqlConversionFailure(..)
        | E::IntegralValueOutOfRange(..) => StoreError::Corrupt(format!("{context}: {e}")),
        _ => match trouble(&e) {
            Trouble::Busy => StoreError::Unavailable(format!("{context}: database is busy ({e})")),
            Trouble::File => StoreError::Unavailable(format!("{context}: {e}")),
            Trouble::Other => StoreError::Backend(format!("{context}: {e}")),
        },
    }
}

/// True for a PRIMARY KEY or UNIQUE violation.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

/// Runs an INSERT; a uniqueness violation is [`StoreError::AlreadyExists`] for `entity`/`id`.
fn insert_new(
    conn: &Connection,
    entity: &'static str,
    id: &str,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<()> {
    match conn.prepare_cached(sql).and_then(|mut s| s.execute(params)) {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists {
            entity,
            id: id.to_string(),
        }),
        Err(e) => Err(sql_error(&format!("insert {entity} `{id}`"), e)),
    }
}

/// Runs a query whose rows are `(id, body)` and decodes each body.
fn query_bodies<T: DeserializeOwned>(
    conn: &Connection,
    entity: &'static str,
    sql: &str,
    params: impl Params,
) -> StoreResult<Vec<T>> {
    let ctx = |e| sql_error(&format!("list {entity}s"), e);
    let mut stmt = conn.prepare_cached(sql).map_err(ctx)?;
    let rows = stmt
        .query_map(params, |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(ctx)?;
    rows.map(|row| {
        let (id, body) = row.map_err(ctx)?;
        decode(entity, &id, &body)
    })
    .collect()
}

/// Reads at most one `(body, version)` row of `entity` `id` and decodes it.
fn query_versioned<T: DeserializeOwned>(
    conn: &Connection,
    entity: &'static str,
    id: &str,
    sql: &str,
    params: impl Params,
) -> StoreResult<Option<Versioned<T>>> {
    let row = conn
        .prepare_cached(sql)
        .and_then(|mut s| {
            s.query_row(params, |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .optional()
        })
        .map_err(|e| sql_error(&format!("read {entity} `{id}`"), e))?;
    row.map(|(body, version)| {
        Ok(Versioned {
            value: decode(entity, id, &body)?,
            version: version_of(entity, id, version)?,
        })
    })
    .transpose()
}

/// Turns `limit + 1` fetched rows into a page whose cursor is the last item's id.
fn into_page<T>(mut items: Vec<T>, limit: u32, id_of: impl Fn(&T) -> String) -> Page<T> {
    let limit = limit as usize;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(id_of)
    } else {
        None
    };
    Page { items, next_cursor }
}

/// The one row a conditional write targets, and how to tell "absent" from "moved on".
struct Target<'a> {
    entity: &'static str,
    /// For messages: the row's id as people know it.
    id: &'a str,
    /// `SELECT 1 FROM … WHERE <key>` with the key as `?1, ?2, …`.
    exists_sql: &'static str,
    key: &'a [&'a str],
}

/// Runs an `UPDATE`/`DELETE … AND version = ?` that must change exactly the target row. When it
/// changes nothing: [`StoreError::NotFound`] if the row is absent, else
/// [`StoreError::Conflict`] (it is at another version).
fn write_at_version(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    target: &Target<'_>,
    expected: u64,
) -> StoreResult<()> {
    let (entity, id) = (target.entity, target.id);
    let changed = conn
        .prepare_cached(sql)
        .and_then(|mut s| s.execute(params))
        .map_err(|e| sql_error(&format!("write {entity} `{id}`"), e))?;
    if changed > 0 {
        return Ok(());
    }
    let exists = conn
        .prepare_cached(target.exists_sql)
        .and_then(|mut s| s.exists(rusqlite::params_from_iter(target.key)))
        .map_err(|e| sql_error(&format!("check {entity} `{id}`"), e))?;
    Err(if exists {
        StoreError::Conflict {
            entity,
            id: id.to_string(),
            expected,
        }
    } else {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    })
}

/// Serializes a record for the `body` column.
fn encode<T: Serialize>(entity: &str, id: &str, value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode {entity} `{id}`: {e}")))
}

/// Decodes a `body` column; a failure means the row is [`StoreError::Corrupt`].
fn decode<T: DeserializeOwned>(entity: &str, id: &str, body: &str) -> StoreResult<T> {
    serde_json::from_str(body)
        .map_err(|e| StoreError::Corrupt(format!("{entity} `{id}` has an unreadable body: {e}")))
}

/// A stored version column as the traits' `u64`.
fn version_of(entity: &str, id: &str, v: i64) -> StoreResult<u64> {
    u64::try_from(v)
        .map_err(|_| StoreError::Corrupt(format!("{entity} `{id}` has a negative version {v}")))
}

/// A version from the traits as a column value (versions never reach 2^63).
fn version_param(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A listing's effective page size: 0 means the default, and it is capped.
fn page_size(limit: u32) -> u32 {
    match limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    }
}

/// A duration as whole milliseconds for arithmetic on unix-ms columns.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[async_trait]
impl Store for SqliteStore {
    /// Proves both paths work: a read connection answers and the writer commits the heartbeat
    /// (a real write to the file), within [`READY_DEADLINE`]; the answer is reused for up to
    /// [`READY_MAX_AGE`] unless the store became (un)writable meanwhile. See [`readiness`].
    async fn ping(&self) -> StoreResult<()> {
        let probe = async {
            self.read(|c| {
                c.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(|e| sql_error("ping", e))
            })
            .await?;
            self.write(readiness::beat).await
        };
        self.readiness.check(&self.health, probe).await
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }
}
