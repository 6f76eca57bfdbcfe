//! The writer thread of one [`super::SqliteStore`]: group commit of queued write jobs.
//! It knows transactions and retries, not what the jobs write.
//!
//! Callers queue a job (a closure over the connection) and await a oneshot. The thread takes
//! every job waiting (up to [`MAX_BATCH`]), runs them in one `BEGIN IMMEDIATE … COMMIT`, each
//! inside its own `SAVEPOINT` so a failed job (a lost condition, a duplicate) rolls back alone,
//! then answers each caller. One fsync per batch instead of one per request. Answers are sent
//! only after the commit: a caller never hears "done" for a write that is not durable.
//!
//! When another process holds the write lock past the busy timeout, the whole batch is rolled
//! back and run again with backoff; after [`BUSY_RETRY_BUDGET`] every caller gets
//! [`StoreError::Unavailable`]. Jobs are `FnMut` so a batch can be re-run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::sql_error;
use crate::store::{StoreError, StoreResult};

/// The most jobs one transaction commits.
pub(super) const MAX_BATCH: usize = 256;
/// How long a batch keeps retrying a busy database before giving up.
const BUSY_RETRY_BUDGET: Duration = Duration::from_secs(15);

/// The writer's handle: the job channel and the thread, joined on drop.
pub(super) struct Writer {
    jobs: Option<mpsc::Sender<Box<dyn PendingWrite>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(conn: Connection) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel::<Box<dyn PendingWrite>>();
        let thread = thread::Builder::new()
            .name("payorch-sqlite-writer".into())
            .spawn(move || run(&conn, &rx))?;
        Ok(Writer {
            jobs: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues `work` for the next batch and waits for the commit.
    pub(super) async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let stopped = || StoreError::Backend("the SQLite writer thread has stopped".into());
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Job {
            work,
            result: None,
            reply,
        });
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    /// Closes the channel and waits for the thread to finish its last batch, so the file is
    /// closed when the store is gone (a reopen in the same process sees everything).
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How one job ended inside its savepoint.
enum JobStatus {
    Done,
    /// Rolled back to its savepoint; the caller gets the job's own error.
    Failed,
    /// The database was busy: the whole batch must be retried.
    Busy(String),
}

/// Why a whole batch did not commit: every job in it gets this.
enum BatchFailure {
    Unavailable(String),
    Backend(String),
}

impl BatchFailure {
    fn to_error(&self) -> StoreError {
        match self {
            BatchFailure::Unavailable(m) => StoreError::Unavailable(m.clone()),
            BatchFailure::Backend(m) => StoreError::Backend(m.clone()),
        }
    }
}

/// A queued write, type-erased so one channel carries every result type.
trait PendingWrite: Send {
    fn run(&mut self, conn: &Connection) -> JobStatus;
    fn reply(self: Box<Self>, batch: Result<(), &BatchFailure>);
}

struct Job<T, F> {
    work: F,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> PendingWrite for Job<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> JobStatus {
        let outcome = catch_unwind(AssertUnwindSafe(|| (self.work)(conn))).unwrap_or_else(|_| {
            Err(StoreError::Backend(
                "a SQLite write panicked and was rolled back".into(),
            ))
        });
        let status = match &outcome {
            Ok(_) => JobStatus::Done,
            Err(StoreError::Unavailable(m)) => JobStatus::Busy(m.clone()),
            Err(_) => JobStatus::Failed,
        };
        self.result = Some(outcome);
        status
    }

    fn reply(self: Box<Self>, batch: Result<(), &BatchFailure>) {
        let answer = match batch {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(StoreError::Backend("a SQLite write job never ran".into()))),
            Err(failure) => Err(failure.to_error()),
        };
        // The caller may have stopped waiting (its future was dropped); nothing to do then.
        let _ = self.reply.send(answer);
    }
}

/// The thread's loop: block for one job, take whatever else is waiting, commit, answer.
fn run(conn: &Connection, jobs: &mpsc::Receiver<Box<dyn PendingWrite>>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let outcome = commit_with_retry(conn, &mut batch);
        for job in batch {
            job.reply(outcome.as_ref().map(|_| ()));
        }
    }
}

fn commit_with_retry(
    conn: &Connection,
    batch: &mut [Box<dyn PendingWrite>],
) -> Result<(), BatchFailure> {
    let started = Instant::now();
    let mut backoff = Duration::from_millis(5);
    loop {
        match commit_batch(conn, batch) {
            Err(BatchFailure::Unavailable(m)) if started.elapsed() < BUSY_RETRY_BUDGET => {
                tracing::debug!(error = %m, "SQLite batch hit a busy database; retrying");
                thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_millis(500));
            }
            Err(BatchFailure::Unavailable(m)) => {
                return Err(BatchFailure::Unavailable(format!(
                    "{m} (gave up after {}s)",
                    started.elapsed().as_secs()
                )));
            }
            other => return other,
        }
    }
}

/// One attempt at a batch: one IMMEDIATE transaction, one savepoint per job.
fn commit_batch(
    conn: &Connection,
    batch: &mut [Box<dyn PendingWrite>],
) -> Result<(), BatchFailure> {
    let fail = |context: &str, e: rusqlite::Error| match sql_error(context, e) {
        StoreError::Unavailable(m) => BatchFailure::Unavailable(m),
        other => BatchFailure::Backend(other.to_string()),
    };
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| fail("begin a write transaction", e))?;
    for job in batch.iter_mut() {
        let step = conn
            .execute_batch("SAVEPOINT job")
            .map_err(|e| fail("open a savepoint", e))
            .and_then(|()| match job.run(conn) {
                JobStatus::Done => conn
                    .execute_batch("RELEASE job")
                    .map_err(|e| fail("release a savepoint", e)),
                JobStatus::Failed => conn
                    .execute_batch("ROLLBACK TO job; RELEASE job")
                    .map_err(|e| fail("roll back a savepoint", e)),
                JobStatus::Busy(m) => Err(BatchFailure::Unavailable(m)),
            })
            .and_then(|()| {
                // Some errors (disk full, I/O) make SQLite abandon the whole transaction; the
                // jobs before this one are gone too, so the batch fails as a whole.
                if conn.is_autocommit() {
                    Err(BatchFailure::Backend(
                        "SQLite rolled back the write transaction after an error".into(),
                    ))
                } else {
                    Ok(())
                }
            });
        if let Err(failure) = step {
            rollback(conn);
            return Err(failure);
        }
    }
    conn.execute_batch("COMMIT").map_err(|e| {
        rollback(conn);
        fail("commit", e)
    })
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        tracing::warn!(error = %e, "SQLite rollback failed");
    }
}
