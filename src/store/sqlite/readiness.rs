//! Whether the store can commit a write, as `/readyz` and the logs tell it: [`Health`], the
//! writable/unwritable state the writer thread reports after each batch (every transition
//! logged once, not once per request), and [`Readiness`], the cached heartbeat commit behind
//! `Store::ping`. Not the writer's retries or its reopening of the file (that is `writer`).
//!
//! Why a real commit: an empty transaction commits without touching the file, so a read-only,
//! full or failing file still looked ready. The heartbeat rewrites one row of `heartbeat`
//! (`beats`, `at`), which needs a WAL frame and an fsync. Why a deadline ([`READY_DEADLINE`]):
//! behind a write lock held elsewhere the writer waits up to its whole busy budget (about
//! 15 s); a load balancer needs its answer sooner. A heartbeat that missed the deadline stays
//! queued and commits later, harmlessly.
//! Why a cache: a load balancer polls every second or so, and several of them may; any number
//! of `/readyz` costs at most one heartbeat commit per [`READY_MAX_AGE`]. A transition seen by
//! any write (a charge that hit a read-only file) discards the cached answer at once, so
//! `/readyz` and the charge path never disagree for longer than one probe.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::sql_error;
use crate::store::{StoreError, StoreResult};

/// How long a readiness answer is reused (unless the state changed meanwhile).
pub(super) const READY_MAX_AGE: Duration = Duration::from_secs(1);
/// A heartbeat not committed by then is a failure: the store cannot take a write promptly (a
/// write lock held by another process, a stalled disk). Shorter than the busy timeout, so a
/// load balancer hears "unavailable" instead of waiting for the writer to give up.
pub(super) const READY_DEADLINE: Duration = Duration::from_secs(2);

/// Writable or not, as the last commits showed; shared by the writer thread and `ping`.
pub(super) struct Health {
    db: PathBuf,
    outage: Mutex<Option<Outage>>,
    /// Bumped on every transition, so a cached readiness answer knows it is stale.
    epoch: AtomicU64,
}

struct Outage {
    since: Instant,
}

impl Health {
    pub(super) fn new(db: &Path) -> Health {
        Health {
            db: db.to_path_buf(),
            outage: Mutex::new(None),
            epoch: AtomicU64::new(0),
        }
    }

    /// A batch or a heartbeat could not commit. Logs a warning only when the store was writable;
    /// true on that transition.
    pub(super) fn unwritable(&self, error: &str) -> bool {
        let mut outage = self.outage.lock().unwrap_or_else(|p| p.into_inner());
        if outage.is_some() {
            return false;
        }
        *outage = Some(Outage {
            since: Instant::now(),
        });
        self.epoch.fetch_add(1, Ordering::SeqCst);
        tracing::warn!(
            db = %self.db.display(),
            error,
            "SQLite store cannot commit writes: writes and /readyz answer 503 until it can"
        );
        true
    }

    /// A batch that changed rows committed. Logs once when the store was unwritable; true on
    /// that transition.
    pub(super) fn writable(&self) -> bool {
        let mut outage = self.outage.lock().unwrap_or_else(|p| p.into_inner());
        let Some(ended) = outage.take() else {
            return false;
        };
        self.epoch.fetch_add(1, Ordering::SeqCst);
        tracing::info!(
            db = %self.db.display(),
            unwritable_for_ms = u64::try_from(ended.since.elapsed().as_millis()).unwrap_or(u64::MAX),
            "SQLite store commits writes again"
        );
        true
    }

    #[cfg(test)]
    pub(super) fn is_writable(&self) -> bool {
        self.outage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }
}

/// The heartbeat write: one row, rewritten by every readiness probe of every process.
pub(super) fn beat(conn: &Connection) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO heartbeat (id, beats, at)
         VALUES (1, 1, CAST(unixepoch('subsec') * 1000 AS INTEGER))
         ON CONFLICT (id) DO UPDATE SET beats = beats + 1, at = excluded.at",
    )
    .and_then(|mut s| s.execute([]))
    .map(|_| ())
    .map_err(|e| sql_error("write the readiness heartbeat", e))
}

/// The last readiness answer and how long it may be reused; one probe at a time.
pub(super) struct Readiness {
    max_age: Duration,
    deadline: Duration,
    last: tokio::sync::Mutex<Option<Checked>>,
}

struct Checked {
    at: Instant,
    epoch: u64,
    outcome: StoreResult<()>,
}

impl Readiness {
    pub(super) fn new(max_age: Duration, deadline: Duration) -> Readiness {
        Readiness {
            max_age,
            deadline,
            last: tokio::sync::Mutex::new(None),
        }
    }

    /// The cached answer while it is fresh and nothing changed; else runs `probe` (at most one
    /// at a time: concurrent callers wait for it and share its answer) within the deadline.
    pub(super) async fn check(
        &self,
        health: &Health,
        probe: impl Future<Output = StoreResult<()>>,
    ) -> StoreResult<()> {
        let mut last = self.last.lock().await;
        if let Some(c) = last.as_ref()
            && c.at.elapsed() < self.max_age
            && c.epoch == health.epoch()
        {
            return c.outcome.as_ref().copied().map_err(same_error);
        }
        let outcome = match tokio::time::timeout(self.deadline, probe).await {
            Ok(outcome) => outcome,
            Err(_) => {
                let m = format!(
                    "no write committed within {} ms (the write lock is held elsewhere or the \
                     disk is stalled)",
                    self.deadline.as_millis()
                );
                health.unwritable(&m);
                Err(StoreError::Unavailable(m))
            }
        };
        let answer = outcome.as_ref().copied().map_err(same_error);
        *last = Some(Checked {
            at: Instant::now(),
            epoch: health.epoch(),
            outcome,
        });
        answer
    }
}

/// A copy of a cached error (`StoreError` is not `Clone`).
fn same_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
        StoreError::Backend(m) => StoreError::Backend(m.clone()),
        other => StoreError::Backend(other.to_string()),
    }
}
