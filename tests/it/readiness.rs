//! `/readyz` tells the truth about the store: the real `payorch serve` (in front of the real
//! sandbox) has its SQLite file made unwritable under it, then cured, and must follow without a
//! restart: ready → 503 from `/readyz` and 503 (never 500) for a charge → ready and charging
//! again, with one warning and one recovery line in its log however often `/readyz` was asked.
//!
//! Two ways to make the file unwritable, both of which work as root (where `chmod` does not,
//! and where it would not stop a running process anyway: its file descriptors are open):
//! another connection holding the write lock (runs everywhere), and `chattr +i` on the file and
//! its `-wal` (the user's "read-only database": commits fail with SQLITE_IOERR_WRITE; skipped,
//! saying why, where the filesystem or the capabilities do not allow it). Not on the `-shm`:
//! SQLite has it mapped into memory, and a write to a mapped page of an immutable file kills
//! the process with SIGBUS (observed), which no store code can catch.

use crate::common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::stack::ServeStack;

/// What serve logs when the store stops / starts again taking commits.
const UNWRITABLE: &str = "SQLite store cannot commit writes";
const RECOVERED: &str = "SQLite store commits writes again";

/// How many times `/readyz` is asked while the store is unwritable.
const POLLS: usize = 15;

/// The shared stack (a sandbox and a serve on a fresh data dir, with an API key; both killed
/// on drop) with this test's probes.
struct Stack(ServeStack);

impl std::ops::Deref for Stack {
    type Target = ServeStack;
    fn deref(&self) -> &ServeStack {
        &self.0
    }
}

impl Stack {
    fn start() -> Stack {
        let mut stack = ServeStack::new("");
        // Bounds a hung request (a liveness bound, not a timing claim).
        stack.http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("HTTP client");
        stack.start_serve();
        Stack(stack)
    }

    /// The database file and its write-ahead log.
    fn db_files(&self) -> Vec<PathBuf> {
        let db = self.env.data_dir().join("payorch.db");
        ["", "-wal"]
            .iter()
            .map(|suffix| PathBuf::from(format!("{}{suffix}", db.display())))
            .collect()
    }

    async fn readyz(&self) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}/readyz", self.url()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET /readyz: {e}\nlog:\n{}", self.log()));
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap_or_default();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// Polls `/readyz` until it answers `want` (liveness bound only, not a timing claim).
    async fn until_readyz(&self, want: u16) -> Value {
        let give_up = Instant::now() + Duration::from_secs(120);
        loop {
            let (status, body) = self.readyz().await;
            if status == want {
                return body;
            }
            assert!(
                Instant::now() < give_up,
                "/readyz never answered {want}; last {status} {body}\nlog:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `/readyz` asked [`POLLS`] times in a row: every answer must be a 503 naming the store.
    async fn assert_unavailable_throughout(&self) {
        for _ in 0..POLLS {
            let (status, body) = self.readyz().await;
            assert_eq!(status, 503, "{body}");
            assert_eq!(body["status"], "unavailable", "{body}");
            assert!(
                body["store"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("sqlite:")),
                "{body}"
            );
            assert!(
                body["error"].as_str().is_some_and(|e| !e.is_empty()),
                "{body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn charge(&self, idempotency_key: &str) -> (u16, Value) {
        let body = json!({"amount": 1990, "currency": "BRL", "method": "pix",
            "customer": {"name": "Maria Silva", "document": "529.982.247-25"}});
        let resp = self
            .http
            .post(format!("{}/v1/charges", self.url()))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .header("Idempotency-Key", idempotency_key)
            .body(body.to_string())
            .send()
            .await
            .expect("POST /v1/charges");
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap_or_default();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn log(&self) -> String {
        self.env.serve_log()
    }

    /// Everything ready before the store is broken: `/readyz` 200 and a charge created.
    async fn assert_serving(&self, idempotency_key: &str) {
        let ready = self.until_readyz(200).await;
        assert_eq!(ready["status"], "ready", "{ready}");
        let (status, body) = self.charge(idempotency_key).await;
        assert_eq!(status, 201, "{body}");
    }

    /// The outage as the log tells it: from `from` (a log length) to now, `line` exactly once.
    fn assert_logged_once(&self, from: usize, line: &str) {
        let log = self.log();
        let count = log[from.min(log.len())..].matches(line).count();
        assert_eq!(count, 1, "`{line}` logged {count} times:\n{log}");
    }
}

/// The outage script both ways share: `/readyz` and a charge both say 503 (never 500) while
/// `unwritable` holds, both work again after `cure`, and the log has one line for each.
async fn outage_and_recovery(stack: &Stack, break_store: impl FnOnce(), cure: impl FnOnce()) {
    stack.assert_serving("before").await;
    let before = stack.log().len();
    break_store();

    stack.until_readyz(503).await;
    stack.assert_unavailable_throughout().await;
    let (status, body) = stack.charge("during").await;
    assert_eq!(status, 503, "a store outage is a 503, not a 500: {body}");
    assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
    stack.assert_logged_once(before, UNWRITABLE);

    let cured = stack.log().len();
    cure();
    stack.assert_serving("after").await;
    stack.assert_logged_once(cured, RECOVERED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_and_charges_follow_a_write_lock_held_elsewhere() {
    let stack = Stack::start();
    let db = stack.db_files().remove(0);
    let holder = rusqlite::Connection::open(&db).expect("open the database beside serve");
    holder
        .busy_timeout(Duration::from_secs(30))
        .expect("busy timeout");
    // A charge waits out the busy timeout and the writer's retries before its 503 (~15 s).
    outage_and_recovery(
        &stack,
        || {
            holder
                .execute_batch("BEGIN EXCLUSIVE")
                .expect("take the write lock")
        },
        || {
            holder
                .execute_batch("COMMIT")
                .expect("release the write lock")
        },
    )
    .await;
}

/// Sets or clears the immutable attribute; the error says why not.
fn chattr(flag: &str, files: &[PathBuf]) -> Result<(), String> {
    let out = Command::new("chattr")
        .arg(flag)
        .args(files)
        .output()
        .map_err(|e| format!("cannot run chattr: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Clears `chattr +i` again however the test ends, so the temp dir can be removed.
struct Immutable(Vec<PathBuf>);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = chattr("-i", &self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_and_charges_follow_a_read_only_database_file() {
    let stack = Stack::start();
    let probe = stack.env.path().join("chattr-probe");
    std::fs::write(&probe, "probe").expect("probe file");
    if let Err(why) = chattr("+i", std::slice::from_ref(&probe)) {
        eprintln!(
            "skipping: `chattr +i` is not possible here ({why}); it needs CAP_LINUX_IMMUTABLE \
             and a filesystem with the immutable attribute (ext4, xfs, btrfs)"
        );
        return;
    }
    let _probe = Immutable(vec![probe]);
    let files = stack.db_files();
    let guard = std::cell::RefCell::new(None);
    outage_and_recovery(
        &stack,
        || {
            chattr("+i", &files).expect("make the database immutable");
            *guard.borrow_mut() = Some(Immutable(files.clone()));
        },
        || drop(guard.borrow_mut().take()),
    )
    .await;
}
