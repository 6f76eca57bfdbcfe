//! SQL for the delivery queue and its dead-letter queue: a `queue` table ordered by
//! `visible_at`, and a `dead_letters` table that messages move to and back from.
//!
//! Receiving is a write: select the visible messages and hide them in one IMMEDIATE
//! transaction, so two receivers (in this process or another) never get the same message.
//! Time is what the caller says: a message enqueued with `delay` is visible from
//! `enqueued_at + delay`; receive, retry and dead-letter use the `now` they are given.
//!
//! Groups: `seq` is the arrival order (AUTOINCREMENT: never reused, so a dead letter keeps its
//! place for a replay). A message is `blocked` while an older message of its group (`grp`) is
//! queued or dead; enqueue, ack, replay and purge keep that flag true, each with a probe of the
//! `(grp, seq)` indexes, so that `receive` reads only unblocked rows through the partial index
//! `queue_ready` and never walks a group's backlog.

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::{SqliteStore, decode, encode, insert_new, millis, page_size, sql_error};
use crate::clock::Timestamp;
use crate::id::{MessageId, new_ulid};
use crate::model::TenantId;
use crate::store::{
    DeadLetter, DeliveryQueue, QueueMessage, QueueStats, Received, StoreError, StoreResult,
};

/// The most messages one `receive` hands out.
const MAX_RECEIVE: u32 = 1000;

/// The receivable messages: unblocked (heads of groups, or in none) and visible, oldest
/// first, ties in arrival order. Reads only such rows, in order, through `queue_ready`.
const RECEIVE: &str = "SELECT seq, id, body, receive_count, last_error FROM queue
     WHERE blocked = 0 AND visible_at <= ?1 ORDER BY visible_at, seq LIMIT ?2";

/// Whether a message of group ?1 is queued or dead (two probes of the group indexes).
const GROUP_BUSY: &str = "SELECT EXISTS (SELECT 1 FROM queue WHERE grp = ?1)
     OR EXISTS (SELECT 1 FROM dead_letters WHERE grp = ?1)";

/// Unblocks the oldest queued message of group ?1 unless a dead letter of the group is older.
const RELEASE_NEXT: &str = "UPDATE queue SET blocked = 0
     WHERE seq = (SELECT min(seq) FROM queue WHERE grp = ?1) AND blocked = 1
       AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.grp = ?1 AND d.seq < queue.seq)";

/// A count column as `u32`; a negative one is corrupt.
fn count_of(id: &str, n: i64) -> StoreResult<u32> {
    u32::try_from(n)
        .map_err(|_| StoreError::Corrupt(format!("message `{id}` has receive count {n}")))
}

/// Whether `id` currently holds `receipt` (a stale or unknown receipt is simply `false`).
fn holds_receipt(conn: &Connection, id: &str, receipt: &str) -> StoreResult<bool> {
    conn.prepare_cached("SELECT 1 FROM queue WHERE id = ?1 AND receipt = ?2")
        .and_then(|mut s| s.exists([id, receipt]))
        .map_err(|e| sql_error(&format!("check the receipt of message `{id}`"), e))
}

/// Whether a message of `group` is queued or dead: a message enqueued now waits behind it.
fn group_is_busy(conn: &Connection, group: &str) -> StoreResult<bool> {
    conn.prepare_cached(GROUP_BUSY)
        .and_then(|mut s| s.query_row([group], |r| r.get::<_, bool>(0)))
        .map_err(|e| sql_error(&format!("look at message group `{group}`"), e))
}

/// Unblocks the oldest queued message of `group` unless a dead letter of the group is older:
/// after the message ahead of it left (acked or purged).
fn release_next(conn: &Connection, group: &str) -> StoreResult<()> {
    conn.prepare_cached(RELEASE_NEXT)
        .and_then(|mut s| s.execute([group]))
        .map(drop)
        .map_err(|e| sql_error(&format!("release message group `{group}`"), e))
}

/// Deletes message `id` if it holds `receipt` and releases its group's next message: `false`
/// (nothing changed) on a stale or unknown receipt. Inside the caller's write job.
fn ack_one(c: &Connection, id: &str, receipt: &str) -> StoreResult<bool> {
    let deleted = c
        .prepare_cached("DELETE FROM queue WHERE id = ?1 AND receipt = ?2 RETURNING grp")
        .and_then(|mut s| {
            s.query_row([id, receipt], |r| r.get::<_, Option<String>>(0))
                .optional()
        })
        .map_err(|e| sql_error(&format!("ack message `{id}`"), e))?;
    match deleted {
        None => Ok(false),
        Some(group) => {
            if let Some(group) = group {
                release_next(c, &group)?;
            }
            Ok(true)
        }
    }
}

/// A message's columns for `enqueue`, computed before the write is queued.
pub(super) struct MessageRow {
    id: String,
    tenant: String,
    group: Option<String>,
    enqueued_at: i64,
    visible_at: i64,
    body: String,
}

impl MessageRow {
    pub(super) fn new(message: &QueueMessage, delay: Duration) -> StoreResult<MessageRow> {
        let id = message.id.to_string();
        let enqueued_at = message.enqueued_at.unix_millis();
        Ok(MessageRow {
            body: encode("message", &id, message)?,
            tenant: message.tenant.to_string(),
            group: message.group.clone(),
            enqueued_at,
            visible_at: enqueued_at.saturating_add(millis(delay)),
            id,
        })
    }

    /// Enqueues the message last in its group, inside the caller's write job; a message that
    /// is (or was) in the DLQ under the same id is not enqueued again.
    pub(super) fn insert(&self, c: &Connection) -> StoreResult<()> {
        let id = &self.id;
        let dead = c
            .prepare_cached("SELECT 1 FROM dead_letters WHERE id = ?1")
            .and_then(|mut s| s.exists([id]))
            .map_err(|e| sql_error(&format!("enqueue message `{id}`"), e))?;
        if dead {
            return Err(StoreError::AlreadyExists {
                entity: "message",
                id: id.clone(),
            });
        }
        let blocked = match &self.group {
            Some(group) => group_is_busy(c, group)?,
            None => false,
        };
        insert_new(
            c,
            "message",
            id,
            "INSERT INTO queue (id, tenant, grp, blocked, enqueued_at, visible_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                self.tenant,
                self.group,
                blocked,
                self.enqueued_at,
                self.visible_at,
                self.body
            ],
        )
    }
}

#[async_trait]
impl DeliveryQueue for SqliteStore {
    async fn enqueue(&self, message: &QueueMessage, delay: Duration) -> StoreResult<()> {
        let row = MessageRow::new(message, delay)?;
        self.write(move |c| row.insert(c)).await
    }

    /// Oldest first means the earliest `visible_at` first (ties in arrival order). Only heads
    /// of groups (and ungrouped messages) are candidates: `blocked = 0` through `queue_ready`.
    /// `max` 0 receives nothing; it is capped at 1000.
    async fn receive(
        &self,
        max: u32,
        visibility: Duration,
        now: Timestamp,
    ) -> StoreResult<Vec<Received>> {
        let max = max.min(MAX_RECEIVE);
        if max == 0 {
            return Ok(Vec::new());
        }
        let now = now.unix_millis();
        let hidden_until = now.saturating_add(millis(visibility));
        self.write(move |c| {
            let ctx = |e| sql_error("receive messages", e);
            let mut pick = c.prepare_cached(RECEIVE).map_err(ctx)?;
            let rows = pick
                .query_map(params![now, max], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                })
                .map_err(ctx)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(ctx)?;
            let mut hide = c
                .prepare_cached(
                    "UPDATE queue SET visible_at = ?1, receive_count = ?2, receipt = ?3
                     WHERE seq = ?4",
                )
                .map_err(ctx)?;
            let mut received = Vec::with_capacity(rows.len());
            for (seq, id, body, count, last_error) in rows {
                let receive_count = count_of(&id, count)?.saturating_add(1);
                let receipt = format!("{receive_count}.{}", new_ulid());
                hide.execute(params![hidden_until, receive_count, receipt, seq])
                    .map_err(ctx)?;
                received.push(Received {
                    message: decode("message", &id, &body)?,
                    receipt,
                    receive_count,
                    last_error,
                });
            }
            Ok(received)
        })
        .await
    }

    /// The group's next message becomes receivable in the same commit.
    async fn ack(&self, id: &MessageId, receipt: &str) -> StoreResult<bool> {
        let (id, receipt) = (id.to_string(), receipt.to_string());
        self.write(move |c| ack_one(c, &id, &receipt)).await
    }

    /// One write job, so one transaction (and one savepoint) for the whole batch: every
    /// message is deleted and its group released exactly as `ack` does, one after another.
    async fn ack_many(&self, acks: &[(MessageId, String)]) -> StoreResult<Vec<bool>> {
        if acks.is_empty() {
            return Ok(Vec::new());
        }
        let acks: Vec<(String, String)> = acks
            .iter()
            .map(|(id, receipt)| (id.to_string(), receipt.clone()))
            .collect();
        self.write(move |c| {
            acks.iter()
                .map(|(id, receipt)| ack_one(c, id, receipt))
                .collect()
        })
        .await
    }

    /// The receipt stays valid (as with SQS's visibility change) until the next receive.
    async fn retry_later(
        &self,
        id: &MessageId,
        receipt: &str,
        delay: Duration,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let (id, receipt, error) = (id.to_string(), receipt.to_string(), error.to_string());
        let visible_at = now.unix_millis().saturating_add(millis(delay));
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE queue SET visible_at = ?1, last_error = ?2 WHERE id = ?3 AND receipt = ?4",
            )
            .and_then(|mut s| s.execute(params![visible_at, error, id, receipt]))
            .map(|n| n == 1)
            .map_err(|e| sql_error(&format!("retry message `{id}` later"), e))
        })
        .await
    }

    /// The group stays held: its next message is not released (see [`DeliveryQueue`]).
    async fn dead_letter(
        &self,
        id: &MessageId,
        receipt: &str,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let (id, receipt, error) = (id.to_string(), receipt.to_string(), error.to_string());
        self.write(move |c| {
            if !holds_receipt(c, &id, &receipt)? {
                return Ok(false);
            }
            let ctx = |e| sql_error(&format!("dead-letter message `{id}`"), e);
            c.prepare_cached(
                "INSERT INTO dead_letters
                    (id, tenant, grp, seq, enqueued_at, dead_at, receive_count, last_error, body)
                 SELECT id, tenant, grp, seq, enqueued_at, ?1, receive_count, ?2, body
                 FROM queue WHERE id = ?3",
            )
            .and_then(|mut s| s.execute(params![now.unix_millis(), error, id]))
            .map_err(ctx)?;
            c.prepare_cached("DELETE FROM queue WHERE id = ?1")
                .and_then(|mut s| s.execute([&id]))
                .map_err(ctx)?;
            Ok(true)
        })
        .await
    }

    /// Newest first by `dead_at`; `limit` 0 means 20, capped at 1000.
    async fn list_dead(
        &self,
        tenant: Option<&TenantId>,
        since: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<DeadLetter>> {
        let mut sql = String::from(
            "SELECT id, body, receive_count, last_error, dead_at FROM dead_letters WHERE 1 = 1",
        );
        let mut args = Vec::new();
        if let Some(tenant) = tenant {
            sql.push_str(" AND tenant = ?");
            args.push(Value::Text(tenant.to_string()));
        }
        if let Some(since) = since {
            sql.push_str(" AND dead_at >= ?");
            args.push(Value::Integer(since.unix_millis()));
        }
        sql.push_str(" ORDER BY dead_at DESC, id DESC LIMIT ?");
        args.push(Value::Integer(i64::from(page_size(limit))));
        self.read(move |c| {
            let ctx = |e| sql_error("list dead letters", e);
            let mut stmt = c.prepare_cached(&sql).map_err(ctx)?;
            let rows = stmt
                .query_map(params_from_iter(args), dead_letter_columns)
                .map_err(ctx)?;
            rows.map(|row| row.map_err(ctx).and_then(DeadRow::into_dead_letter))
                .collect()
        })
        .await
    }

    async fn get_dead(&self, id: &MessageId) -> StoreResult<Option<DeadLetter>> {
        let id = id.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT id, body, receive_count, last_error, dead_at FROM dead_letters
                 WHERE id = ?1",
            )
            .and_then(|mut s| s.query_row([&id], dead_letter_columns).optional())
            .map_err(|e| sql_error(&format!("read dead letter `{id}`"), e))?
            .map(DeadRow::into_dead_letter)
            .transpose()
        })
        .await
    }

    /// Back in the queue visible at `now`, receive count 0 and no last error: a fresh start,
    /// under its old `seq` (its place in its group; a dead letter from before groups gets a
    /// new one). Newer messages of the group stay blocked, now behind it.
    async fn replay_dead(&self, id: &MessageId, now: Timestamp) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |c| {
            let ctx = |e| sql_error(&format!("replay dead letter `{id}`"), e);
            let moved = c
                .prepare_cached(
                    "INSERT INTO queue (seq, id, tenant, grp, blocked, enqueued_at, visible_at, body)
                     SELECT d.seq, d.id, d.tenant, d.grp,
                            d.grp IS NOT NULL AND (
                                EXISTS (SELECT 1 FROM queue q
                                        WHERE q.grp = d.grp AND q.seq < d.seq)
                                OR EXISTS (SELECT 1 FROM dead_letters o
                                           WHERE o.grp = d.grp AND o.seq < d.seq)),
                            d.enqueued_at, ?1, d.body
                     FROM dead_letters d WHERE d.id = ?2
                     RETURNING seq, grp",
                )
                .and_then(|mut s| {
                    s.query_row(params![now.unix_millis(), id], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
                    })
                    .optional()
                })
                .map_err(ctx)?;
            let Some((seq, group)) = moved else {
                return Err(StoreError::NotFound {
                    entity: "dead letter",
                    id: id.clone(),
                });
            };
            c.prepare_cached("DELETE FROM dead_letters WHERE id = ?1")
                .and_then(|mut s| s.execute([&id]))
                .map_err(ctx)?;
            if let Some(group) = group {
                // Nothing newer of the group can be unblocked while it was dead; keep it so.
                c.prepare_cached(
                    "UPDATE queue SET blocked = 1 WHERE grp = ?1 AND seq > ?2 AND blocked = 0",
                )
                .and_then(|mut s| s.execute(params![group, seq]))
                .map_err(ctx)?;
            }
            Ok(())
        })
        .await
    }

    /// Releases the group's next message in the same commit.
    async fn purge_dead(&self, id: &MessageId) -> StoreResult<()> {
        let id = id.to_string();
        self.write(move |c| {
            let gone = c
                .prepare_cached("DELETE FROM dead_letters WHERE id = ?1 RETURNING grp")
                .and_then(|mut s| {
                    s.query_row([&id], |r| r.get::<_, Option<String>>(0))
                        .optional()
                })
                .map_err(|e| sql_error(&format!("purge dead letter `{id}`"), e))?;
            match gone {
                None => Err(StoreError::NotFound {
                    entity: "dead letter",
                    id: id.clone(),
                }),
                Some(Some(group)) => release_next(c, &group),
                Some(None) => Ok(()),
            }
        })
        .await
    }

    async fn queue_stats(
        &self,
        tenant: Option<&TenantId>,
        now: Timestamp,
    ) -> StoreResult<QueueStats> {
        // One tenant's: the dead letters' tenant index serves it; the queue is short.
        let (filter, tenant) = match tenant {
            Some(t) => (" WHERE tenant = ?2", Some(t.to_string())),
            None => (" WHERE ?2 IS NULL", None),
        };
        let live = format!(
            "SELECT count(*) FILTER (WHERE visible_at <= ?1), count(*) FILTER (WHERE visible_at > ?1) \
             FROM queue{filter}"
        );
        let dead = format!(
            "SELECT count(*), min(dead_at) FROM dead_letters{}",
            filter.replace("?2", "?1")
        );
        self.read(move |c| {
            let ctx = |e| sql_error("read queue stats", e);
            let (ready, delayed) = c
                .query_row(&live, params![now.unix_millis(), tenant], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(ctx)?;
            let (dead, oldest) = c
                .query_row(&dead, params![tenant], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
                })
                .map_err(ctx)?;
            let count = |n: i64| {
                u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative count {n}")))
            };
            Ok(QueueStats {
                ready: count(ready)?,
                delayed: count(delayed)?,
                dead: count(dead)?,
                oldest_dead_at: oldest.map(Timestamp::from_unix_millis),
            })
        })
        .await
    }
}

/// A `dead_letters` row before decoding.
struct DeadRow {
    id: String,
    body: String,
    receive_count: i64,
    last_error: String,
    dead_at: i64,
}

fn dead_letter_columns(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeadRow> {
    Ok(DeadRow {
        id: r.get(0)?,
        body: r.get(1)?,
        receive_count: r.get(2)?,
        last_error: r.get(3)?,
        dead_at: r.get(4)?,
    })
}

impl DeadRow {
    fn into_dead_letter(self) -> StoreResult<DeadLetter> {
        Ok(DeadLetter {
            message: decode("dead letter", &self.id, &self.body)?,
            receive_count: count_of(&self.id, self.receive_count)?,
            last_error: self.last_error,
            dead_at: Timestamp::from_unix_millis(self.dead_at),
        })
    }
}

#[cfg(test)]
mod tests;
