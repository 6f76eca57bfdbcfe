//! Group lanes (`GROUP#<group>` items whose `members` are the group's message ids in arrival
//! order): reading one, removing a message from it together with the message's item, and
//! releasing the group's next message when its head leaves.

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem, Update};

use super::{DEAD, DynamoStore, build_error, lane_key, msg_key, outbox_key, outbox_sort};
use crate::store::StoreResult;
use crate::store::dynamo::error::is_condition_failed;
use crate::store::dynamo::item::{Item, ItemExt, n, s};

/// What must hold for a message's item to be deleted.
pub(super) enum Guard<'a> {
    /// It holds this receipt (an ack).
    Receipt(&'a str),
    /// It is a dead letter (a purge).
    Dead,
}

/// How often a lane write is retried when the lane moved under it (another member left).
const LANE_ATTEMPTS: usize = 5;

impl DynamoStore {
    /// The message ids of `group`'s lane, oldest first (empty when there is no lane).
    pub(super) async fn lane(&self, group: &str) -> StoreResult<Vec<String>> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.settings.table)
            .set_key(Some(lane_key(group)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.ddb_error("GetItem", e))?;
        let Some(AttributeValue::L(members)) = out.item.and_then(|mut i| i.remove("members"))
        else {
            return Ok(Vec::new());
        };
        Ok(members
            .into_iter()
            .filter_map(|m| match m {
                AttributeValue::S(id) => Some(id),
                _ => None,
            })
            .collect())
    }

    /// A `ConditionCheck` that `group`'s lane starts with `head`: a park commits only while the
    /// message it waits behind is still there.
    pub(super) fn lane_head_is(&self, group: &str, head: &str) -> StoreResult<TransactWriteItem> {
        let check = ConditionCheck::builder()
            .table_name(&self.settings.table)
            .set_key(Some(lane_key(group)))
            .condition_expression("#m[0] = :head")
            .expression_attribute_names("#m", "members")
            .expression_attribute_values(":head", s(head))
            .build()
            .map_err(build_error)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    /// Deletes message `id`'s item (`item`, as just read) if `guard` holds, and removes it
    /// from its group's lane in the same transaction; then releases the group's next
    /// message. `false` when `guard` failed: nothing changed.
    pub(super) async fn delete_message_item(
        &self,
        id: &str,
        item: &Item,
        guard: Guard<'_>,
    ) -> StoreResult<bool> {
        let (attribute, value) = match guard {
            Guard::Receipt(receipt) => ("receipt", s(receipt)),
            Guard::Dead => ("state", s(DEAD)),
        };
        let delete = || {
            Delete::builder()
                .table_name(&self.settings.table)
                .set_key(Some(msg_key(id)))
                .condition_expression("#g = :g")
                .expression_attribute_names("#g", attribute)
                .expression_attribute_values(":g", value.clone())
                .build()
                .map_err(build_error)
        };
        let Some(group) = item.opt_string("grp")? else {
            let result = self
                .ddb
                .delete_item()
                .table_name(&self.settings.table)
                .set_key(Some(msg_key(id)))
                .condition_expression("#g = :g")
                .expression_attribute_names("#g", attribute)
                .expression_attribute_values(":g", value.clone())
                .send()
                .await;
            return match result {
                Ok(_) => Ok(true),
                Err(e) if is_condition_failed(&e) => Ok(false),
                Err(e) => Err(self.ddb_error("DeleteItem", e)),
            };
        };
        for _ in 0..LANE_ATTEMPTS {
            let lane = self.lane(group).await?;
            let mut items = vec![TransactWriteItem::builder().delete(delete()?).build()];
            let position = lane.iter().position(|m| m == id);
            let alone = lane.len() == 1 && position == Some(0);
            if alone {
                // The last member leaves: the lane goes with it, unless an append came since
                // (then the condition fails and the lane is read again).
                let drop = Delete::builder()
                    .table_name(&self.settings.table)
                    .set_key(Some(lane_key(group)))
                    .condition_expression("size(#m) = :one AND #m[0] = :id")
                    .expression_attribute_names("#m", "members")
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":id", s(id))
                    .build()
                    .map_err(build_error)?;
                items.push(TransactWriteItem::builder().delete(drop).build());
            } else if let Some(at) = position {
                let pop = Update::builder()
                    .table_name(&self.settings.table)
                    .set_key(Some(lane_key(group)))
                    .update_expression(format!("REMOVE #m[{at}]"))
                    .condition_expression(format!("#m[{at}] = :id"))
                    .expression_attribute_names("#m", "members")
                    .expression_attribute_values(":id", s(id))
                    .build()
                    .map_err(build_error)?;
                items.push(TransactWriteItem::builder().update(pop).build());
            }
            match self.transact(items).await? {
                Ok(()) => {
                    // Only the head leaves a lane (ack, purge), so the next head is the
                    // second member read: nothing can come before it.
                    if let (Some(0), Some(next)) = (position, lane.get(1))
                        && let Err(e) = self.release_next(next).await
                    {
                        // The parked ticket comes back by itself after PARK_SECONDS.
                        tracing::warn!(group, "cannot release the group's next message: {e}");
                    }
                    return Ok(true);
                }
                Err(0) => return Ok(false),
                // The lane moved (an older member left, or one was appended to a lane of
                // one): read it again.
                Err(_) => continue,
            }
        }
        Err(crate::store::StoreError::Unavailable(format!(
            "message group `{group}` kept changing while message `{id}` left it; try again"
        )))
    }

    /// After a group's head left, `head` is the new one: if it is parked, its ticket is made
    /// visible (or a new one is sent when that handle is gone).
    async fn release_next(&self, head: &str) -> StoreResult<()> {
        let Some(item) = self.message_item(head).await? else {
            return Ok(());
        };
        let Some(parked) = item.opt_string("parked")? else {
            return Ok(());
        };
        // Unpark, with the outbox mark in case the handle is gone and this process dies
        // before the new ticket is sent.
        let result = self
            .ddb
            .update_item()
            .table_name(&self.settings.table)
            .set_key(Some(msg_key(head)))
            .update_expression("SET gsi3pk = :ob, gsi3sk = :obs REMOVE #p")
            .condition_expression("#p = :h")
            .expression_attribute_names("#p", "parked")
            .expression_attribute_values(":h", s(parked))
            .expression_attribute_values(":ob", s(outbox_key(head)))
            .expression_attribute_values(":obs", s(outbox_sort(head)))
            .send()
            .await;
        match result {
            Ok(_) => {}
            // Someone else released or received it.
            Err(e) if is_condition_failed(&e) => return Ok(()),
            Err(e) => return Err(self.ddb_error("UpdateItem", e)),
        }
        // The mark stays when the parked ticket is made visible: SQS may accept a visibility
        // change for a ticket it no longer has (redriven after its receive count); if the
        // claim does not clear the mark within RELAY_AFTER, the relay sends a new ticket.
        if !self.hide_ticket(parked, 0).await {
            self.send_outboxed(head, 0).await;
        }
        Ok(())
    }
}
