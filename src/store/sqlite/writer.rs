//! The writer thread of one [`super::SqliteStore`]: group commit of queued write jobs, on the
//! one connection the thread owns. It knows transactions, retries and reconnecting, not what the
//! jobs write.
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
//!
//! When the file cannot take a write (read-only, an I/O error, full, cannot be opened), the
//! batch fails at once: every caller gets [`StoreError::Unavailable`] and the batch is never
//! re-run (a failed COMMIT may even have reached the WAL; the callers were told it failed, and
//! the layers above treat that as an unknown outcome). The connection becomes suspect: before
//! the next batch the thread tries a fresh one ([`Reopen`]: never creates a missing file,
//! refuses a connection SQLite could only open read-only, migrates like a start) and swaps it
//! in if it can write; otherwise it goes on with the old one, which in WAL mode usually works
//! again by itself once the cause is gone. A fresh connection is what a restart would give, so
//! a restart is never the cure: committed writes are in the WAL or the file, and nothing is
//! re-run. It matters when the connection itself is stuck: one SQLite opened while the file was
//! not writable stays read-only for life.
//!
//! Every batch reports to [`Health`]: one that failed makes the store unwritable, one that
//! committed changed rows makes it writable again (each transition is logged once there).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rusqlite::{Connection, MAIN_DB};
use tokio::sync::oneshot;

use super::readiness::Health;
use super::{Trouble, sql_error, trouble};
use crate::store::{StoreError, StoreResult};

/// The most jobs one transaction commits.
pub(super) const MAX_BATCH: usize = 256;
/// How long a batch keeps retrying a busy database before giving up.
const BUSY_RETRY_BUDGET: Duration = Duration::from_secs(15);

/// Opens the fresh connection that replaces one closed after a failure of the file.
pub(super) type Reopen = Box<dyn FnMut() -> StoreResult<Connection> + Send>;

/// The writer's handle: the job channel and the thread, joined on drop.
pub(super) struct Writer {
    jobs: Option<mpsc::Sender<Box<dyn PendingWrite>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the thread on `conn`; `reopen` replaces it after a failure of the file, and
    /// every batch's outcome goes to `health`.
    pub(super) fn start(
        conn: Connection,
        reopen: Reopen,
        health: Arc<Health>,
    ) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel::<Box<dyn PendingWrite>>();
        let writer = WriterThread {
            conn,
            suspect: false,
            reopen,
            health,
        };
        let thread = thread::Builder::new()
            .name("payorch-sqlite-writer".into())
            .spawn(move || writer.run(&rx))?;
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
    /// Rolled back to its savepoint; the caller gets the job's own error (here as text).
    Failed(String),
    /// The job's error was `Unavailable`: the whole batch may have to be retried.
    Unavailable(String),
}

/// Why a whole batch did not commit: every job in it gets this.
enum BatchFailure {
    /// Another connection held the write lock past the busy timeout.
    Busy(String),
    /// The file cannot take a write now (read-only, I/O error, full, cannot be opened): the
    /// connection becomes suspect (see the module docs). Never re-run.
    Unwritable(String),
    /// Anything else.
    Backend(String),
}

impl BatchFailure {
    /// A failure of one of the writer's own statements.
    fn of(context: &str, e: rusqlite::Error) -> BatchFailure {
        let class = trouble(&e);
        let message = match sql_error(context, e) {
            StoreError::Unavailable(m) | StoreError::Backend(m) | StoreError::Corrupt(m) => m,
            other => other.to_string(),
        };
        match class {
            Trouble::Busy => BatchFailure::Busy(message),
            Trouble::File => BatchFailure::Unwritable(message),
            Trouble::Other => BatchFailure::Backend(message),
        }
    }

    fn message(&self) -> &str {
        match self {
            BatchFailure::Busy(m) | BatchFailure::Unwritable(m) | BatchFailure::Backend(m) => m,
        }
    }

    fn to_error(&self) -> StoreError {
        match self {
            BatchFailure::Busy(m) | BatchFailure::Unwritable(m) => {
                StoreError::Unavailable(m.clone())
            }
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
            Err(StoreError::Unavailable(m)) => JobStatus::Unavailable(m.clone()),
            Err(e) => JobStatus::Failed(e.to_string()),
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

/// The thread's state: its connection, whether a failure of the file makes it suspect, how to
/// open a replacement, and where outcomes go.
struct WriterThread {
    conn: Connection,
    /// A batch failed with the file in trouble and none has written since: try a fresh
    /// connection before the next batch.
    suspect: bool,
    reopen: Reopen,
    health: Arc<Health>,
}

impl WriterThread {
    /// The thread's loop: block for one job, take whatever else is waiting, commit, answer.
    fn run(mut self, jobs: &mpsc::Receiver<Box<dyn PendingWrite>>) {
        while let Ok(first) = jobs.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let outcome = self.commit(&mut batch);
            for job in batch {
                job.reply(outcome.as_ref().map(|_| ()));
            }
        }
    }

    /// Commits one batch (on a fresh connection if the last one is suspect and a fresh one can
    /// be had) and reports the outcome to [`Health`].
    fn commit(&mut self, batch: &mut [Box<dyn PendingWrite>]) -> Result<(), BatchFailure> {
        if self.suspect {
            self.replace_connection();
        }
        let before = self.conn.total_changes();
        match commit_with_retry(&self.conn, batch) {
            // A commit that changed nothing never touched the file: it proves nothing.
            Ok(()) if self.conn.total_changes() > before => {
                self.suspect = false;
                self.health.writable();
                Ok(())
            }
            Ok(()) => Ok(()),
            Err(failure) => {
                self.health.unwritable(failure.message());
                if let BatchFailure::Unwritable(_) = failure {
                    self.suspect = true;
                }
                Err(failure)
            }
        }
    }

    /// Swaps in a fresh connection if one that can write opens; else keeps the old one (after
    /// an I/O error or a full disk a WAL connection works again by itself once the cause is
    /// gone, and a fresh one opened now would be read-only for life). The old connection is
    /// closed only once the fresh one holds the file: closing the last connection runs a
    /// checkpoint, which on a file that cannot be written can crash the process (SIGBUS
    /// observed with `chattr +i`).
    fn replace_connection(&mut self) {
        match (self.reopen)() {
            Ok(fresh) => {
                drop(std::mem::replace(&mut self.conn, fresh));
                self.suspect = false;
                tracing::debug!("replaced the SQLite writer connection");
            }
            Err(e) => {
                tracing::debug!(error = %e, "no fresh SQLite writer connection yet; keeping the old one");
            }
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
            Err(BatchFailure::Busy(m)) if started.elapsed() < BUSY_RETRY_BUDGET => {
                tracing::debug!(error = %m, "SQLite batch hit a busy database; retrying");
                thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_millis(500));
            }
            Err(BatchFailure::Busy(m)) => {
                return Err(BatchFailure::Busy(format!(
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
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| BatchFailure::of("begin a write transaction", e))?;
    for job in batch.iter_mut() {
        let step = conn
            .execute_batch("SAVEPOINT job")
            .map_err(|e| BatchFailure::of("open a savepoint", e))
            .and_then(|()| end_savepoint(conn, job.run(conn)));
        if let Err(failure) = step {
            rollback(conn);
            return Err(failure);
        }
    }
    conn.execute_batch("COMMIT").map_err(|e| {
        rollback(conn);
        BatchFailure::of("commit", e)
    })
}

/// Releases or rolls back one job's savepoint, or says why the batch cannot go on.
fn end_savepoint(conn: &Connection, status: JobStatus) -> Result<(), BatchFailure> {
    // Some errors (disk full, I/O) make SQLite abandon the whole transaction; the jobs before
    // this one are gone too, so the batch fails as a whole.
    if conn.is_autocommit() {
        let cause = match &status {
            JobStatus::Failed(m) | JobStatus::Unavailable(m) => m.as_str(),
            JobStatus::Done => "a write",
        };
        return Err(BatchFailure::Unwritable(format!(
            "SQLite rolled back the write transaction after an error: {cause}"
        )));
    }
    match status {
        JobStatus::Done => conn
            .execute_batch("RELEASE job")
            .map_err(|e| BatchFailure::of("release a savepoint", e)),
        JobStatus::Failed(_) => conn
            .execute_batch("ROLLBACK TO job; RELEASE job")
            .map_err(|e| BatchFailure::of("roll back a savepoint", e)),
        // A connection SQLite opened read-only never takes a write: replace it.
        JobStatus::Unavailable(m) if conn.is_readonly(MAIN_DB).unwrap_or(false) => {
            Err(BatchFailure::Unwritable(m))
        }
        JobStatus::Unavailable(m) => Err(BatchFailure::Busy(m)),
    }
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit()
        && let Err(e) = conn.execute_batch("ROLLBACK")
    {
        tracing::warn!(error = %e, "SQLite rollback failed");
    }
}
