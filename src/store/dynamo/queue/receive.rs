//! `receive`: tickets from SQS, each decided by its message's item (see the module docs of
//! [`super`]): delete, hide until due, park behind its group's head, or claim.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_dynamodb::types::{ReturnValue, TransactWriteItem, Update};

use super::{
    DynamoStore, MAX_VISIBILITY_SECONDS, PARK_SECONDS, QUEUED, build_error, message_of, millis,
    msg_key, receive_count, visibility_seconds,
};
use crate::clock::Timestamp;
use crate::id::new_ulid;
use crate::store::dynamo::error::is_condition_failed;
use crate::store::dynamo::item::{Item, ItemExt, n, s};
use crate::store::{Received, StoreResult};

/// The most tickets one `ReceiveMessage` returns.
const SQS_BATCH: u32 = 10;
/// The most `ReceiveMessage` calls of one `receive`: a backlog of tickets that all park or
/// are not due (e.g. a held group's members, back after the park time) is worked off over
/// several calls rather than keeping one caller waiting for all of it.
const MAX_ROUNDS: u32 = 25;
/// How often one ticket is looked at again when its group's head moved while it was parked.
const TICKET_ATTEMPTS: usize = 4;

/// What one ticket came to.
enum Outcome {
    /// Claimed: handed to the caller (with the `visible_at` it had, for the order).
    Claimed(i64, Received),
    /// Not deliverable now (gone, dead, not due, parked, or claimed by another receiver).
    Skipped,
}

impl DynamoStore {
    /// Receives tickets until `max` messages are claimed or SQS has no more: see [`super`].
    pub(super) async fn receive_tickets(
        &self,
        max: u32,
        visibility: Duration,
        now: Timestamp,
    ) -> StoreResult<Vec<Received>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        self.relay_if_due().await;
        let hide = visibility_seconds(visibility);
        let mut claimed: Vec<(i64, Received)> = Vec::new();
        let mut seen = HashSet::new();
        let mut first = true;
        // A failure after some claims still hands those out (their tickets are hidden: a
        // failed call would only delay them by the visibility); the rest of the batch comes
        // back when its visibility lapses.
        let mut failure = None;
        let mut rounds = 0;
        'receive: while claimed.len() < max as usize && rounds < MAX_ROUNDS {
            rounds += 1;
            let want = (max as usize - claimed.len()).min(SQS_BATCH as usize);
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(i32::try_from(want).unwrap_or(10))
                .visibility_timeout(hide)
                // A short long poll the first time: SQS's short poll samples only some of its
                // servers and may answer "empty" when it is not.
                .wait_time_seconds(if first { 1 } else { 0 })
                .send()
                .await;
            let out = match out {
                Ok(out) => out,
                Err(e) => {
                    failure = Some(self.sqs_error("ReceiveMessage", e));
                    break;
                }
            };
            first = false;
            let tickets = out.messages.unwrap_or_default();
            if tickets.is_empty() {
                break;
            }
            let mut fresh = false;
            for ticket in tickets {
                let (Some(id), Some(handle)) = (ticket.body, ticket.receipt_handle) else {
                    continue;
                };
                // Looked at already in this call (a ticket due within the second, or a
                // duplicate): leave it for the next call.
                if !seen.insert(id.clone()) {
                    self.hide_ticket(&handle, 0).await;
                    continue;
                }
                fresh = true;
                match self.take_ticket(&id, &handle, visibility, now).await {
                    Ok(Outcome::Claimed(at, received)) => claimed.push((at, received)),
                    Ok(Outcome::Skipped) => {}
                    Err(e) => {
                        failure = Some(e);
                        break 'receive;
                    }
                }
            }
            if !fresh {
                break;
            }
        }
        if let Some(e) = failure {
            if claimed.is_empty() {
                return Err(e);
            }
            tracing::warn!(
                claimed = claimed.len(),
                "receive stopped early and hands out what it claimed: {e}"
            );
        }
        claimed.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.message.id.cmp(&y.message.id)));
        Ok(claimed.into_iter().map(|(_, r)| r).collect())
    }

    /// Decides ticket `handle` of message `id`.
    async fn take_ticket(
        &self,
        id: &str,
        handle: &str,
        visibility: Duration,
        now: Timestamp,
    ) -> StoreResult<Outcome> {
        for _ in 0..TICKET_ATTEMPTS {
            let Some(item) = self.message_item(id).await? else {
                self.delete_ticket(handle).await;
                return Ok(Outcome::Skipped);
            };
            if item.opt_string("state")? != Some(QUEUED) {
                // A dead letter has no ticket: a replay sends a new one.
                self.delete_ticket(handle).await;
                return Ok(Outcome::Skipped);
            }
            let visible_at = item.int("visible_at")?;
            let now_ms = now.unix_millis();
            if visible_at > now_ms {
                // Whole seconds, rounded down: due within a second stays visible.
                let seconds = ((visible_at - now_ms) / 1000).min(MAX_VISIBILITY_SECONDS);
                self.hide_ticket(handle, i32::try_from(seconds).unwrap_or(0))
                    .await;
                return Ok(Outcome::Skipped);
            }
            if let Some(group) = item.opt_string("grp")? {
                let lane = self.lane(group).await?;
                // Not in its lane at all would be a lost lane: deliver rather than hold forever.
                if let Some(head) = lane
                    .first()
                    .filter(|h| *h != id && lane.iter().any(|m| m == id))
                {
                    if self.park(id, &item, handle, group, head).await? {
                        return Ok(Outcome::Skipped);
                    }
                    // The head left (or another receiver wrote the item) meanwhile: back to
                    // this receive's visibility, and look again.
                    self.hide_ticket(handle, visibility_seconds(visibility))
                        .await;
                    continue;
                }
            }
            return self.claim(id, &item, handle, visibility, now).await;
        }
        // The group kept moving: let the ticket come back soon.
        self.hide_ticket(handle, 0).await;
        Ok(Outcome::Skipped)
    }

    /// Hides the ticket for [`PARK_SECONDS`] and records its handle on the item, while
    /// `head` is still its group's head and the item is as read. `false` when either moved.
    async fn park(
        &self,
        id: &str,
        item: &Item,
        handle: &str,
        group: &str,
        head: &str,
    ) -> StoreResult<bool> {
        // Hidden first: an ack of the head that sees the handle makes it visible after this.
        self.hide_ticket(handle, PARK_SECONDS).await;
        let version = item.version()?;
        let mark = Update::builder()
            .table_name(&self.settings.table)
            .set_key(Some(msg_key(id)))
            .update_expression("SET #p = :h, #v = :next")
            .condition_expression("#v = :v")
            .expression_attribute_names("#p", "parked")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":h", s(handle))
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":next", n(version + 1))
            .build()
            .map_err(build_error)?;
        let items = vec![
            TransactWriteItem::builder().update(mark).build(),
            self.lane_head_is(group, head)?,
        ];
        Ok(self.transact(items).await?.is_ok())
    }

    /// Claims message `id` (`item`, as just read) through ticket `handle`: a new receipt,
    /// one more receive, hidden until `now + visibility`. Another receiver's claim in
    /// between makes this one [`Outcome::Skipped`].
    async fn claim(
        &self,
        id: &str,
        item: &Item,
        handle: &str,
        visibility: Duration,
        now: Timestamp,
    ) -> StoreResult<Outcome> {
        let version = item.version()?;
        let count = receive_count(item)?.saturating_add(1);
        let receipt = format!("{count}.{}", new_ulid());
        let result = self
            .ddb
            .update_item()
            .table_name(&self.settings.table)
            .set_key(Some(msg_key(id)))
            // A claimed message has a ticket: any outbox mark left is obsolete.
            .update_expression(
                "SET #r = :r, #c = :c, #vis = :vis, #h = :h, #v = :next \
                 REMOVE #p, gsi3pk, gsi3sk",
            )
            .condition_expression("#v = :v AND #st = :queued")
            .expression_attribute_names("#r", "receipt")
            .expression_attribute_names("#c", "receive_count")
            .expression_attribute_names("#vis", "visible_at")
            .expression_attribute_names("#h", "handle")
            .expression_attribute_names("#v", "version")
            .expression_attribute_names("#p", "parked")
            .expression_attribute_names("#st", "state")
            .expression_attribute_values(":r", s(&receipt))
            .expression_attribute_values(":c", n(count))
            .expression_attribute_values(
                ":vis",
                n(now.unix_millis().saturating_add(millis(visibility))),
            )
            .expression_attribute_values(":h", s(handle))
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":next", n(version + 1))
            .expression_attribute_values(":queued", s(QUEUED))
            .return_values(ReturnValue::None)
            .send()
            .await;
        match result {
            Ok(_) => {}
            // Another receiver claimed it (through a duplicate ticket): ours stays hidden and
            // is decided again when it comes back.
            Err(e) if is_condition_failed(&e) => return Ok(Outcome::Skipped),
            Err(e) => return Err(self.ddb_error("UpdateItem", e)),
        }
        Ok(Outcome::Claimed(
            item.int("visible_at")?,
            Received {
                message: message_of(item)?,
                receipt,
                receive_count: count,
                last_error: item.opt_string("last_error")?.map(str::to_string),
            },
        ))
    }
}
