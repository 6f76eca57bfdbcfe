//! `ack_many`: the delivery worker's batch of acks in as few requests as the queue's conditions
//! allow. Every message is still deleted by its own conditional write (on its receipt, with
//! its group lane in a transaction, exactly as [`DeliveryQueue::ack`] does): DynamoDB can
//! batch reads and SQS deletes, but `BatchWriteItem` takes no conditions, and one
//! `TransactWriteItems` over several messages would fail all of them for one stale receipt.
//! What is batched: the consistent reads of the items (`BatchGetItem`, up to 100 keys) and the
//! tickets' deletes (`DeleteMessageBatch`, up to 10 handles). For n ungrouped messages that is
//! ⌈n/100⌉ + n DynamoDB and ⌈n/10⌉ SQS requests instead of 2n and n.
//!
//! [`DeliveryQueue::ack`]: crate::store::DeliveryQueue::ack

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;

use super::lane::Guard;
use super::{DynamoStore, build_error, msg_key};
use crate::id::MessageId;
use crate::store::StoreResult;
use crate::store::dynamo::item::{Item, ItemExt};

/// The most keys one `BatchGetItem` reads.
const READ_BATCH: usize = 100;
/// The most handles one `DeleteMessageBatch` deletes.
const TICKET_BATCH: usize = 10;
/// How many times keys DynamoDB left unprocessed are asked for again before they are read
/// one by one.
const READ_ROUNDS: usize = 3;

impl DynamoStore {
    /// See the module doc; one answer per pair, in order.
    pub(super) async fn ack_batch(&self, acks: &[(MessageId, String)]) -> StoreResult<Vec<bool>> {
        let ids: Vec<String> = acks.iter().map(|(id, _)| id.to_string()).collect();
        let mut items = self.message_items(&ids).await?;
        let mut answers = Vec::with_capacity(acks.len());
        let mut handles = Vec::new();
        let mut seen = HashSet::new();
        for (id, (_, receipt)) in ids.iter().zip(acks) {
            // A message listed twice is acknowledged once: its item is taken by the first.
            let item = match items.remove(id) {
                Some(item) if seen.insert(id.as_str()) => item,
                _ => {
                    answers.push(false);
                    continue;
                }
            };
            if item.opt_string("receipt")? != Some(receipt.as_str()) {
                answers.push(false);
                continue;
            }
            let deleted = self
                .delete_message_item(id, &item, Guard::Receipt(receipt))
                .await?;
            if deleted && let Some(handle) = item.opt_string("handle")? {
                handles.push(handle.to_string());
            }
            answers.push(deleted);
        }
        self.delete_tickets(&handles).await;
        Ok(answers)
    }

    /// The message items of `ids` that exist, read consistently, by id.
    async fn message_items(&self, ids: &[String]) -> StoreResult<HashMap<String, Item>> {
        let mut found = HashMap::with_capacity(ids.len());
        let unique: Vec<&String> = {
            let mut seen = HashSet::new();
            ids.iter().filter(|id| seen.insert(id.as_str())).collect()
        };
        for chunk in unique.chunks(READ_BATCH) {
            let mut keys: Vec<HashMap<String, AttributeValue>> =
                chunk.iter().map(|id| msg_key(id)).collect();
            for _ in 0..READ_ROUNDS {
                if keys.is_empty() {
                    break;
                }
                let wanted = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .consistent_read(true)
                    .build()
                    .map_err(build_error)?;
                let out = self
                    .ddb
                    .batch_get_item()
                    .request_items(&self.settings.table, wanted)
                    .send()
                    .await
                    .map_err(|e| self.ddb_error("BatchGetItem", e))?;
                for item in out
                    .responses
                    .and_then(|mut r| r.remove(&self.settings.table))
                    .unwrap_or_default()
                {
                    let id = item.string("pk")?.trim_start_matches("MSG#").to_string();
                    found.insert(id, item);
                }
                keys = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.settings.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
            // Throttled past the rounds: the rest one by one (each a consistent `GetItem`).
            for key in keys {
                let Some(AttributeValue::S(pk)) = key.get("pk") else {
                    continue;
                };
                let id = pk.trim_start_matches("MSG#");
                if let Some(item) = self.message_item(id).await? {
                    found.insert(id.to_string(), item);
                }
            }
        }
        Ok(found)
    }

    /// Deletes tickets `handles`, up to ten per request. A failure only leaves duplicate
    /// tickets, which find their messages gone; logged (as [`Self::delete_ticket`]).
    async fn delete_tickets(&self, handles: &[String]) {
        for chunk in handles.chunks(TICKET_BATCH) {
            if let [one] = chunk {
                self.delete_ticket(one).await;
                continue;
            }
            let entries: Result<Vec<_>, _> = chunk
                .iter()
                .enumerate()
                .map(|(i, handle)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .build()
                })
                .collect();
            let entries = match entries {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::debug!("cannot build DeleteMessageBatch: {e}");
                    continue;
                }
            };
            let result = self
                .sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await;
            match result {
                Ok(out) if !out.failed.is_empty() => tracing::debug!(
                    "DeleteMessageBatch refused {} of {} tickets",
                    out.failed.len(),
                    chunk.len()
                ),
                Ok(_) => {}
                Err(e) => tracing::debug!(
                    "DeleteMessageBatch refused: {}",
                    self.sqs_error("DeleteMessageBatch", e)
                ),
            }
        }
    }
}
