//! The SQS side: tickets (an SQS message whose body is a message id), the outbox that makes
//! sure every committed message gets one, and the copy of a dead letter in the SQS DLQ.
//!
//! **Outbox.** A write that needs a ticket sent (enqueue, replay, a release whose parked
//! ticket is gone) sets the gsi3 mark `OUTBOX#<shard>` / `<wall ms>#<id>` in the same commit;
//! after `SendMessage` succeeds the mark is removed. A mark older than [`RELAY_AFTER`] means
//! the send failed or its process died in between: `receive` relays those (at most every
//! [`RELAY_EVERY`] per table in this process), sending a ticket and removing the mark. A
//! process that is merely slow makes a duplicate ticket, which is harmless.
//!
//! Errors on the SQS side of an operation whose item write is committed are logged, not
//! returned: the write is the truth, and the queue repairs the ticket (relay, visibility).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    DynamoStore, RELAY_AFTER, RELAY_EVERY, SHARDS, encode, millis, msg_key, outbox_partition,
    wall_millis,
};
use crate::store::dynamo::item::{ItemExt, s};
use crate::store::{DeadLetter, StoreResult};

/// When this process last relayed each table's outbox.
static LAST_RELAY: LazyLock<Mutex<HashMap<String, Instant>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The most marks one relay pass sends.
const RELAY_BATCH: i32 = 100;

#[cfg(any(test, feature = "testing"))]
static LOST_SENDS: LazyLock<Mutex<std::collections::HashSet<String>>> =
    LazyLock::new(|| Mutex::new(std::collections::HashSet::new()));

/// Test hook: the next `SendMessage` of message `id`'s ticket is "lost" (not made), as if the
/// process died between the commit and the send. Only the outbox relay can deliver it then.
#[cfg(any(test, feature = "testing"))]
pub fn lose_next_send(id: &crate::id::MessageId) {
    LOST_SENDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.to_string());
}

/// Test access to the SQS side, to look at what reached the queues.
#[cfg(any(test, feature = "testing"))]
impl DynamoStore {
    /// The SQS client this store sends with.
    pub fn sqs_client(&self) -> &aws_sdk_sqs::Client {
        &self.sqs
    }

    /// The URL of the SQS delivery queue (where tickets go).
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// The URL of the SQS dead-letter queue (where dead letters' copies go).
    pub fn dead_letter_queue_url(&self) -> &str {
        &self.dead_letter_url
    }
}

#[cfg(any(test, feature = "testing"))]
fn send_is_lost(id: &str) -> bool {
    LOST_SENDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(id)
}

#[cfg(not(any(test, feature = "testing")))]
fn send_is_lost(_id: &str) -> bool {
    false
}

impl DynamoStore {
    /// Sends `id`'s ticket (visible after `delay_seconds`), then removes its outbox mark,
    /// which the caller's commit set. A failure is logged: the relay sends it later.
    pub(super) async fn send_outboxed(&self, id: &str, delay_seconds: i32) {
        match self.send_ticket(id, delay_seconds).await {
            Ok(()) => self.clear_outbox(id).await,
            Err(e) => tracing::warn!(
                message = id,
                "the delivery queue's ticket was not sent ({e}); the outbox relay will send it"
            ),
        }
    }

    /// `SendMessage` of a ticket naming `id`.
    async fn send_ticket(&self, id: &str, delay_seconds: i32) -> StoreResult<()> {
        if send_is_lost(id) {
            return Err(crate::store::StoreError::Unavailable(
                "the send was lost (test hook)".into(),
            ));
        }
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(id)
            .delay_seconds(delay_seconds)
            .send()
            .await
            .map(drop)
            .map_err(|e| self.sqs_error("SendMessage", e))
    }

    /// Removes `id`'s outbox mark (if the item is still there).
    async fn clear_outbox(&self, id: &str) {
        let result = self
            .ddb
            .update_item()
            .table_name(&self.settings.table)
            .set_key(Some(msg_key(id)))
            .update_expression("REMOVE gsi3pk, gsi3sk")
            .condition_expression("attribute_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(e) if crate::store::dynamo::error::is_condition_failed(&e) => {}
            Err(e) => tracing::warn!(
                message = id,
                "cannot clear the outbox mark ({}); the relay will send a duplicate ticket",
                self.ddb_error("UpdateItem", e)
            ),
        }
    }

    /// Makes ticket `handle` invisible for `seconds` (0: visible now). `false` when SQS
    /// refused (the handle is stale or its message gone); logged.
    pub(super) async fn hide_ticket(&self, handle: &str, seconds: i32) -> bool {
        let result = self
            .sqs
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(handle)
            .visibility_timeout(seconds)
            .send()
            .await;
        match result {
            Ok(_) => true,
            Err(e) => {
                tracing::debug!(
                    "ChangeMessageVisibility refused: {}",
                    self.sqs_error("ChangeMessageVisibility", e)
                );
                false
            }
        }
    }

    /// Deletes ticket `handle`. A failure only leaves a duplicate ticket, which finds its
    /// message gone (or not due) and is dealt with then; logged.
    pub(super) async fn delete_ticket(&self, handle: &str) {
        let result = self
            .sqs
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(handle)
            .send()
            .await;
        if let Err(e) = result {
            tracing::debug!(
                "DeleteMessage refused: {}",
                self.sqs_error("DeleteMessage", e)
            );
        }
    }

    /// Sends `letter` (its JSON) to the SQS dead-letter queue, for AWS tooling and alarms.
    /// The table's item is what payorch reads; a failure here is logged.
    pub(super) async fn copy_to_dead_letter_queue(&self, letter: &DeadLetter) {
        let id = letter.message.id.to_string();
        let body = match encode("dead letter", &id, letter) {
            Ok(body) => body,
            Err(e) => {
                tracing::warn!(message = %id, "cannot copy the dead letter to the SQS DLQ: {e}");
                return;
            }
        };
        let result = self
            .sqs
            .send_message()
            .queue_url(&self.dead_letter_url)
            .message_body(body)
            .send()
            .await;
        if let Err(e) = result {
            tracing::warn!(
                message = %id,
                "cannot copy the dead letter to the SQS DLQ: {}",
                self.sqs_error("SendMessage", e)
            );
        }
    }

    /// Relays this table's old outbox marks, unless this process did so less than
    /// [`RELAY_EVERY`] ago. Failures are logged: the next pass tries again.
    pub(super) async fn relay_if_due(&self) {
        {
            let mut last = LAST_RELAY.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            match last.get(&self.settings.table) {
                Some(at) if now.duration_since(*at) < RELAY_EVERY => return,
                _ => {
                    last.insert(self.settings.table.clone(), now);
                }
            }
        }
        if let Err(e) = self.relay().await {
            tracing::warn!("the delivery queue's outbox relay failed: {e}");
        }
    }

    /// One relay pass over every outbox shard: marks older than [`RELAY_AFTER`].
    async fn relay(&self) -> StoreResult<()> {
        let before = format!(
            "{:015}",
            wall_millis().saturating_sub(millis(RELAY_AFTER)).max(0)
        );
        for shard in 0..SHARDS {
            let out = self
                .ddb
                .query()
                .table_name(&self.settings.table)
                .index_name(crate::store::dynamo::GSI3)
                .key_condition_expression("gsi3pk = :pk AND gsi3sk < :before")
                .expression_attribute_values(":pk", s(outbox_partition(shard)))
                .expression_attribute_values(":before", s(&before))
                .limit(RELAY_BATCH)
                .send()
                .await
                .map_err(|e| self.ddb_error("Query", e))?;
            for item in out.items.unwrap_or_default() {
                let Some(AttributeValue::S(pk)) = item.get("pk") else {
                    continue;
                };
                let Some(id) = pk.strip_prefix("MSG#") else {
                    continue;
                };
                let id = id.to_string();
                if item.opt_string("gsi3sk")?.is_none() {
                    continue;
                }
                tracing::info!(message = %id, "relaying an unsent delivery ticket");
                self.send_outboxed(&id, 0).await;
            }
        }
        Ok(())
    }
}
