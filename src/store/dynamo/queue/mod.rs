//! The delivery queue: **the table holds each message's truth; a standard SQS queue carries it
//! to receivers.**
//!
//! # Why not SQS FIFO
//!
//! `docs/ARCHITECTURE.md` sketched a FIFO queue with `MessageGroupId` = group. Measured on moto
//! and read against the AWS docs, it cannot keep [`DeliveryQueue`]'s contract: FIFO has no
//! per-message delay (only per queue), cannot tell a stale receipt (a `DeleteMessage` with an
//! old handle succeeds silently, so a consumer whose visibility lapsed could ack someone else's
//! delivery), cannot hold a group behind a dead letter beyond 12 h (the longest visibility),
//! and moto returns several messages of one group in a batch and out of order after a timeout.
//! So every decision (who holds a message, is it due, is it its group's turn) is a conditional
//! write of the message's item, and an SQS message is only a *ticket*: "look at message X".
//! Duplicate tickets are harmless (every receive is decided by the item); a lost ticket is
//! repaired by the outbox relay below.
//!
//! # Items
//!
//! | record | pk | sk | indexes |
//! |---|---|---|---|
//! | message | `MSG#<id>` | `MSG` | gsi2 while queued: `QUEUE#<shard>` / `<id>`; while dead: gsi1 `DEAD#<tenant>` (its `gsi1pk` is set at enqueue, its `gsi1sk` only while dead, so `dead_letter` is one write) and gsi2 `DEAD`, both / `<dead ms, 15 digits>#<id>`; gsi3 while its ticket is unsent: `OUTBOX#<shard>` / `<wall ms, 15 digits>#<id>` |
//! | group lane | `GROUP#<group>` | `GROUP` | |
//!
//! A message item has `tenant`, `grp` (absent: no group), `body` (the [`QueueMessage`] JSON),
//! `enqueued_at`, `state` (`queued` | `dead`), `visible_at` (ms, the caller's clock), `receipt`
//! (a fresh ULID per receive: the trait's receipt), `receive_count`, `last_error`, `dead_at`,
//! `version`, `handle` (the SQS receipt handle of the ticket it was last received through) and,
//! while it waits for its group, `parked` (the handle of its hidden ticket). `<shard>` is one
//! of [`SHARDS`] digits from the id, so the live-message and outbox index partitions are not
//! one hot key on AWS.
//!
//! **Group lanes.** `members` lists the group's message ids in arrival order. The append is in
//! the same transaction as the message's put (`list_append(if_not_exists(members, []), [id])`),
//! so the order is DynamoDB's commit order: the queue's, not the sender's clock. A message is
//! deliverable only as `members[0]`; ack and purge remove it with a condition on its position;
//! a dead letter stays in its lane (it holds the group) and a replay keeps its place. The last
//! member's ack or purge deletes the lane in the same transaction (on the condition that it
//! still holds just that member, so a concurrent append wins and the removal is retried).
//! A lane holds at most about 13 000 ids (DynamoDB's 400 KB item limit): one charge's backlog.
//!
//! # Operations (requests per call)
//!
//! - **enqueue** / [`DynamoStore::enqueue_in`]: one `TransactWriteItems` (the caller's items,
//!   the message put with `attribute_not_exists(pk)`, the lane append), one `SendMessage`
//!   (`DelaySeconds` = the delay up to 900 s; longer delays are served by visibility), one
//!   `UpdateItem` clearing the outbox mark (a claim clears a mark left over, too). The
//!   **outbox**: the put carries the gsi3 mark, so a crash (or an SQS outage) between the
//!   commit and the send never loses a message: `receive` relays, at most every
//!   [`RELAY_EVERY`] per table and process, marks older than [`RELAY_AFTER`] (`tickets.rs`).
//!   A send that fails is logged, not returned: the message is committed, and a retry by the
//!   caller would be a duplicate.
//! - **receive**: `ReceiveMessage` (up to 10 tickets, a 1 s long poll the first time so an
//!   empty answer is a real one, `VisibilityTimeout` = visibility), then per ticket a
//!   consistent `GetItem` (and the lane's, for a grouped message), and one of: the item is gone
//!   or dead → `DeleteMessage`; not due by the caller's `now` → `ChangeMessageVisibility` to the
//!   remainder (whole seconds, rounded down: a ticket due within a second stays visible, and
//!   one `receive` call looks at each message once); not its group's turn → **park**; else the
//!   **claim**: one conditional `UpdateItem` (version, state) setting a new receipt,
//!   `receive_count + 1` and `visible_at = now + visibility`. Exactly one of two concurrent
//!   claimers wins. The batch is sorted oldest first (`visible_at`, then id); SQS standard
//!   queues hand tickets out roughly in order, so "oldest first" across batches is best
//!   effort on AWS (exact on moto).
//! - **park**: the ticket is hidden for [`PARK_SECONDS`], then the item records its handle in a
//!   transaction with a `ConditionCheck` that the lane head is still the one read, so an ack
//!   of the head either sees the parked handle or made the check fail (then the ticket is
//!   looked at again at once). Ack and purge of the head **release** the next member: if it is
//!   parked, its ticket is made visible (or, when that handle is gone, a new one is sent
//!   through the outbox). A parked ticket also comes back by itself after [`PARK_SECONDS`]
//!   (the backstop if the releasing process dies). Parking hides the ticket rather than
//!   deleting it, so no crash can leave a parked message without a ticket; the price: parked
//!   tickets count as in flight, and SQS allows 120 000 in flight per standard queue (a
//!   backlog beyond that, across all held groups, makes `ReceiveMessage` fail with
//!   `OverLimit` until it drains), and each one is looked at again every [`PARK_SECONDS`].
//! - **ack**: a consistent `GetItem`, then a `DeleteItem` on the receipt (for a grouped
//!   message: the lane's `GetItem` and a transaction with the lane removal), `DeleteMessage`,
//!   and, when the group has a next member, the release (its `GetItem`, and only if it is
//!   parked an `UpdateItem` and `ChangeMessageVisibility`).
//! - **ack_many** (`ack.rs`): the same per message, with the items read by `BatchGetItem`
//!   and the tickets deleted by `DeleteMessageBatch`.
//! - **retry_later**: one conditional `UpdateItem` (receipt) and `ChangeMessageVisibility`.
//! - **dead_letter**: one conditional `UpdateItem` (receipt) to `dead` with the listing keys,
//!   `DeleteMessage`, and a copy (the [`DeadLetter`] JSON) sent to the SQS dead-letter queue so
//!   AWS tooling sees it too. The item stays the truth: `list_dead`, `get_dead`, `replay_dead`
//!   and `purge_dead` read and write it, never the DLQ copy (which SQS drops after 14 days).
//! - **replay**: back to `queued`, count 0, visible at `now`, listing keys removed, a new
//!   ticket through the outbox. **purge**: delete it and remove it from its lane, release.
//! - **queue_stats**: queries of the live-message and dead-letter indexes, i.e. a read of every
//!   live message and every dead letter (fine for a dashboard, not for a hot path).
//!
//! So one event of a charge (its own group) costs, beyond the charge's transaction it rides
//! in: enqueue 1 `UpdateItem`; receive 3 reads/writes (`GetItem` ×2, `UpdateItem`); ack 3
//! (`GetItem` ×2, `TransactWriteItems`), 4 when a newer event of the charge waits: 7 or 8
//! DynamoDB requests, and 3 SQS requests (`SendMessage`, its share of a `ReceiveMessage`,
//! `DeleteMessage`). Acknowledged in the worker's batches (`ack_many`), its ack's item read and
//! `DeleteMessage` become shares of one `BatchGetItem` and one `DeleteMessageBatch`: measured in
//! `tests/it/fleet_aws.rs`, 5.2 DynamoDB and 0.6 SQS requests per delivery in batches of five.
//!
//! SQS's own redrive (after `payorch aws init`'s `maxReceiveCount`) may move a ticket (a bare
//! message id) to the dead-letter queue beside the dead letters' copies (JSON); a moved
//! ticket's message is still in the table and is released or relayed like any other.
//!
//! **Clocks.** `now` is the caller's: `visible_at` decisions use it. SQS visibility runs on the
//! wall clock, so the conformance cases that move `now` ahead of it (`WALL_CLOCK_SENSITIVE` in
//! `src/store/conformance/mod.rs`) are tested with real short waits instead
//! (`tests/it/store_dynamo/queue.rs`). A stale or unknown receipt is `false`, never an error.
//! Listings read GSIs, which are eventually consistent on AWS (a dead letter may show up in
//! `list_dead` a moment after `dead_letter`).

mod ack;
mod dead;
mod lane;
mod receive;
mod tickets;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};

use super::DynamoStore;
use super::item::{Item, ItemExt, decode, encode, n, s};
use crate::clock::Timestamp;
use crate::id::MessageId;
use crate::model::TenantId;
use crate::store::{
    DeadLetter, DeliveryQueue, QueueMessage, QueueStats, Received, StoreError, StoreResult,
};

use lane::Guard;

#[cfg(any(test, feature = "testing"))]
pub use tickets::lose_next_send;

/// How many partitions the live-message (`QUEUE#`) and outbox (`OUTBOX#`) index keys spread over.
const SHARDS: u32 = 4;
/// How long a parked ticket stays hidden before it is looked at again by itself.
const PARK_SECONDS: i32 = 300;
/// The most messages one `receive` hands out.
const MAX_RECEIVE: u32 = 1000;
/// How often one process relays a table's unsent tickets (see `tickets.rs`).
const RELAY_EVERY: Duration = Duration::from_secs(5);
/// How old an outbox mark must be before the relay sends its ticket.
const RELAY_AFTER: Duration = Duration::from_secs(5);
/// The longest `DelaySeconds` SQS takes.
const MAX_DELAY_SECONDS: u64 = 900;
/// The longest visibility timeout SQS takes: 12 h.
const MAX_VISIBILITY_SECONDS: i64 = 43_200;

const QUEUED: &str = "queued";
const DEAD: &str = "dead";

/// A message item's key.
fn msg_key(id: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".into(), s(format!("MSG#{id}"))),
        ("sk".into(), s("MSG")),
    ])
}

/// A group lane's key.
fn lane_key(group: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".into(), s(format!("GROUP#{group}"))),
        ("sk".into(), s("GROUP")),
    ])
}

/// The index shard of a message id (a digit below [`SHARDS`]).
fn shard(id: &str) -> u32 {
    id.bytes()
        .fold(0u32, |acc, b| acc.wrapping_add(u32::from(b)))
        % SHARDS
}

/// Live-message index partition `shard` (gsi2).
fn live_partition(shard: u32) -> String {
    format!("QUEUE#{shard}")
}

/// The live-message index key of `id` (gsi2).
fn live_key(id: &str) -> String {
    live_partition(shard(id))
}

/// Outbox index partition `shard` (gsi3).
fn outbox_partition(shard: u32) -> String {
    format!("OUTBOX#{shard}")
}

/// The outbox index key of `id` (gsi3).
fn outbox_key(id: &str) -> String {
    outbox_partition(shard(id))
}

/// The outbox mark's sort key: the wall clock now, then the id.
fn outbox_sort(id: &str) -> String {
    format!("{:015}#{id}", wall_millis())
}

/// The wall clock in milliseconds (the outbox's clock; SQS's too).
fn wall_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// A duration in milliseconds, saturating.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A duration in whole seconds, rounded up, as SQS takes a visibility timeout.
fn visibility_seconds(d: Duration) -> i32 {
    let secs = d.as_millis().div_ceil(1000);
    i32::try_from(secs.min(MAX_VISIBILITY_SECONDS as u128)).unwrap_or(i32::MAX)
}

/// The item's receive count as `u32`.
fn receive_count(item: &Item) -> StoreResult<u32> {
    let count = item.opt_int("receive_count")?.unwrap_or(0);
    u32::try_from(count)
        .map_err(|_| StoreError::Corrupt(format!("a queue message has receive count {count}")))
}

/// The message an item carries.
fn message_of(item: &Item) -> StoreResult<QueueMessage> {
    let pk = item.string("pk")?;
    decode("message", pk, item.string("body")?)
}

/// A dead letter from a `dead` item.
fn dead_letter_of(item: &Item) -> StoreResult<DeadLetter> {
    Ok(DeadLetter {
        message: message_of(item)?,
        receive_count: receive_count(item)?,
        last_error: item
            .opt_string("last_error")?
            .unwrap_or_default()
            .to_string(),
        dead_at: Timestamp::from_unix_millis(item.int("dead_at")?),
    })
}

/// A builder's failure (a required field left out: a bug), as a [`StoreError`].
fn build_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("cannot build a DynamoDB request: {e}"))
}

impl DynamoStore {
    /// The message item of `id`, read consistently.
    async fn message_item(&self, id: &str) -> StoreResult<Option<Item>> {
        self.ddb
            .get_item()
            .table_name(&self.settings.table)
            .set_key(Some(msg_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map(|out| out.item)
            .map_err(|e| self.ddb_error("GetItem", e))
    }

    /// Runs `update` on message `id`'s item if it holds `receipt` (and is queued), adding
    /// that condition (`#r`, `#st` are taken). The item as it was, or `None` when the
    /// receipt is stale or unknown (nothing changed).
    async fn update_received(
        &self,
        id: &str,
        receipt: &str,
        update: UpdateItemFluentBuilder,
    ) -> StoreResult<Option<Item>> {
        let result = update
            .table_name(&self.settings.table)
            .set_key(Some(msg_key(id)))
            .condition_expression("#r = :r AND #st = :queued")
            .expression_attribute_names("#r", "receipt")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":r", s(receipt))
            .expression_attribute_values(":queued", s(QUEUED))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
            Err(e) if super::error::is_condition_failed(&e) => Ok(None),
            Err(e) => Err(self.ddb_error("UpdateItem", e)),
        }
    }

    /// Enqueues `message` (visible after `delay`, last in its group) in the same
    /// `TransactWriteItems` as `with` (e.g. a charge update and its event: see
    /// `ChargeStore::update_charge_emitting`), so either all of it is committed or none; then
    /// hands it to SQS (an outbox: a crash before that is repaired by the queue itself).
    /// `Ok(Err(i))` when `with[i]`'s condition failed and nothing was written; a duplicate
    /// message id is [`StoreError::AlreadyExists`].
    pub(super) async fn enqueue_in(
        &self,
        message: &QueueMessage,
        delay: Duration,
        mut with: Vec<TransactWriteItem>,
    ) -> StoreResult<Result<(), usize>> {
        let id = message.id.to_string();
        let enqueued_at = message.enqueued_at.unix_millis();
        let mut item = HashMap::from([
            ("tenant".to_string(), s(message.tenant.to_string())),
            ("body".into(), s(encode("message", &id, message)?)),
            ("enqueued_at".into(), n(enqueued_at)),
            ("state".into(), s(QUEUED)),
            (
                "visible_at".into(),
                n(enqueued_at.saturating_add(millis(delay))),
            ),
            ("receive_count".into(), n(0)),
            ("version".into(), n(1)),
            ("gsi1pk".into(), s(format!("DEAD#{}", message.tenant))),
            ("gsi2pk".into(), s(live_key(&id))),
            ("gsi2sk".into(), s(&id)),
            ("gsi3pk".into(), s(outbox_key(&id))),
            ("gsi3sk".into(), s(outbox_sort(&id))),
        ]);
        item.extend(msg_key(&id));
        if let Some(group) = &message.group {
            item.insert("grp".into(), s(group));
        }
        let put = Put::builder()
            .table_name(&self.settings.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        let position = with.len();
        with.push(TransactWriteItem::builder().put(put).build());
        if let Some(group) = &message.group {
            let append = Update::builder()
                .table_name(&self.settings.table)
                .set_key(Some(lane_key(group)))
                .update_expression("SET #m = list_append(if_not_exists(#m, :empty), :ids)")
                .expression_attribute_names("#m", "members")
                .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
                .expression_attribute_values(":ids", AttributeValue::L(vec![s(&id)]))
                .build()
                .map_err(build_error)?;
            with.push(TransactWriteItem::builder().update(append).build());
        }
        match self.transact(with).await? {
            Ok(()) => {}
            Err(i) if i == position => {
                return Err(StoreError::AlreadyExists {
                    entity: "message",
                    id,
                });
            }
            Err(i) => return Ok(Err(i)),
        }
        let delay_seconds = delay
            .as_millis()
            .div_ceil(1000)
            .min(MAX_DELAY_SECONDS.into());
        self.send_outboxed(&id, i32::try_from(delay_seconds).unwrap_or(0))
            .await;
        Ok(Ok(()))
    }
}

#[async_trait]
impl DeliveryQueue for DynamoStore {
    async fn enqueue(&self, message: &QueueMessage, delay: Duration) -> StoreResult<()> {
        match self.enqueue_in(message, delay, Vec::new()).await? {
            Ok(()) => Ok(()),
            Err(i) => Err(StoreError::Backend(format!(
                "enqueue message `{}`: transaction item {i} failed its condition",
                message.id
            ))),
        }
    }

    async fn receive(
        &self,
        max: u32,
        visibility: Duration,
        now: Timestamp,
    ) -> StoreResult<Vec<Received>> {
        self.receive_tickets(max.min(MAX_RECEIVE), visibility, now)
            .await
    }

    async fn ack(&self, id: &MessageId, receipt: &str) -> StoreResult<bool> {
        let id = id.to_string();
        let Some(item) = self.message_item(&id).await? else {
            return Ok(false);
        };
        if item.opt_string("receipt")? != Some(receipt) {
            return Ok(false);
        }
        let handle = item.opt_string("handle")?.map(str::to_string);
        let deleted = self
            .delete_message_item(&id, &item, Guard::Receipt(receipt))
            .await?;
        if let (true, Some(handle)) = (deleted, handle) {
            self.delete_ticket(&handle).await;
        }
        Ok(deleted)
    }

    /// Batched reads and ticket deletes; each message's delete stays its own conditional
    /// write (`ack.rs`).
    async fn ack_many(&self, acks: &[(MessageId, String)]) -> StoreResult<Vec<bool>> {
        self.ack_batch(acks).await
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
        let id = id.to_string();
        let update = self
            .ddb
            .update_item()
            .update_expression("SET #vis = :vis, #e = :e, #v = #v + :one")
            .expression_attribute_names("#vis", "visible_at")
            .expression_attribute_names("#e", "last_error")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":vis", n(now.unix_millis().saturating_add(millis(delay))))
            .expression_attribute_values(":e", s(error))
            .expression_attribute_values(":one", n(1));
        let Some(old) = self.update_received(&id, receipt, update).await? else {
            return Ok(false);
        };
        if let Some(handle) = old.opt_string("handle")? {
            // If this fails the ticket comes back at its visibility's end, is not due, and
            // is hidden for the remainder then.
            self.hide_ticket(handle, visibility_seconds(delay)).await;
        }
        Ok(true)
    }

    /// The group stays held: the item stays in its lane (see the module docs). One
    /// conditional write: `gsi1pk` (`DEAD#<tenant>`) is on the item from its enqueue, so
    /// setting the sort keys puts it in both dead-letter listings.
    async fn dead_letter(
        &self,
        id: &MessageId,
        receipt: &str,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let id = id.to_string();
        let sort = format!("{}#{id}", super::sort_millis(now));
        let update = self
            .ddb
            .update_item()
            .update_expression(
                "SET #st = :dead, #da = :da, #e = :e, #v = #v + :one, \
                 gsi1sk = :sort, gsi2pk = :g2, gsi2sk = :sort REMOVE #r, #h, #p",
            )
            .expression_attribute_names("#da", "dead_at")
            .expression_attribute_names("#e", "last_error")
            .expression_attribute_names("#v", "version")
            .expression_attribute_names("#h", "handle")
            .expression_attribute_names("#p", "parked")
            .expression_attribute_values(":dead", s(DEAD))
            .expression_attribute_values(":da", n(now.unix_millis()))
            .expression_attribute_values(":e", s(error))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":g2", s("DEAD"))
            .expression_attribute_values(":sort", s(sort));
        let Some(old) = self.update_received(&id, receipt, update).await? else {
            return Ok(false);
        };
        if let Some(handle) = old.opt_string("handle")? {
            self.delete_ticket(handle).await;
        }
        let letter = DeadLetter {
            message: message_of(&old)?,
            receive_count: receive_count(&old)?,
            last_error: error.to_string(),
            dead_at: now,
        };
        self.copy_to_dead_letter_queue(&letter).await;
        Ok(true)
    }

    async fn list_dead(
        &self,
        tenant: Option<&TenantId>,
        since: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<DeadLetter>> {
        self.list_dead_letters(tenant, since, limit).await
    }

    async fn get_dead(&self, id: &MessageId) -> StoreResult<Option<DeadLetter>> {
        match self.message_item(&id.to_string()).await? {
            Some(item) if item.opt_string("state")? == Some(DEAD) => {
                dead_letter_of(&item).map(Some)
            }
            _ => Ok(None),
        }
    }

    async fn replay_dead(&self, id: &MessageId, now: Timestamp) -> StoreResult<()> {
        self.replay(&id.to_string(), now).await
    }

    async fn purge_dead(&self, id: &MessageId) -> StoreResult<()> {
        let id = id.to_string();
        let not_found = || StoreError::NotFound {
            entity: "dead letter",
            id: id.clone(),
        };
        let Some(item) = self.message_item(&id).await? else {
            return Err(not_found());
        };
        if item.opt_string("state")? != Some(DEAD) {
            return Err(not_found());
        }
        if self.delete_message_item(&id, &item, Guard::Dead).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    async fn queue_stats(
        &self,
        tenant: Option<&TenantId>,
        now: Timestamp,
    ) -> StoreResult<QueueStats> {
        self.stats(tenant, now).await
    }
}

#[cfg(test)]
mod tests;
