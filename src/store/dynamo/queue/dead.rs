//! Dead letters (listing, replay) and the queue's statistics, from the table's indexes.
//! Listings read GSIs, which are eventually consistent on AWS.

use super::{
    DEAD, DynamoStore, QUEUED, SHARDS, dead_letter_of, live_key, live_partition, msg_key,
    outbox_key, outbox_sort,
};
use crate::clock::Timestamp;
use crate::model::TenantId;
use crate::store::dynamo::error::is_condition_failed;
use crate::store::dynamo::item::{Item, ItemExt, n, s};
use crate::store::dynamo::{GSI1, GSI2, page_size, sort_millis};
use crate::store::{DeadLetter, QueueStats, StoreError, StoreResult};

impl DynamoStore {
    /// Newest first by `dead_at` (then id): gsi1 `DEAD#<tenant>` for one tenant's, gsi2
    /// `DEAD` for all; `since` is a key condition on the sort key `<dead ms>#<id>`.
    pub(super) async fn list_dead_letters(
        &self,
        tenant: Option<&TenantId>,
        since: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<DeadLetter>> {
        let (index, pk, sk, key) = match tenant {
            Some(t) => (GSI1, "gsi1pk", "gsi1sk", format!("DEAD#{t}")),
            None => (GSI2, "gsi2pk", "gsi2sk", "DEAD".to_string()),
        };
        let mut condition = format!("{pk} = :pk");
        let mut query = self
            .ddb
            .query()
            .table_name(&self.settings.table)
            .index_name(index)
            .scan_index_forward(false)
            .limit(i32::try_from(page_size(limit)).unwrap_or(i32::MAX))
            .expression_attribute_values(":pk", s(key));
        if let Some(since) = since {
            condition.push_str(&format!(" AND {sk} >= :since"));
            query = query.expression_attribute_values(":since", s(sort_millis(since)));
        }
        let out = query
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(|e| self.ddb_error("Query", e))?;
        out.items
            .unwrap_or_default()
            .iter()
            .map(dead_letter_of)
            .collect()
    }

    /// Back to `queued` in its lane place, count 0, visible at `now`, out of the dead-letter
    /// listings, with a new ticket through the outbox.
    pub(super) async fn replay(&self, id: &str, now: Timestamp) -> StoreResult<()> {
        let result = self
            .ddb
            .update_item()
            .table_name(&self.settings.table)
            .set_key(Some(msg_key(id)))
            .update_expression(
                "SET #st = :queued, #c = :zero, #vis = :now, #v = #v + :one, \
                 gsi2pk = :live, gsi2sk = :id, gsi3pk = :ob, gsi3sk = :obs \
                 REMOVE #e, #da, gsi1sk",
            )
            .condition_expression("#st = :dead")
            .expression_attribute_names("#st", "state")
            .expression_attribute_names("#c", "receive_count")
            .expression_attribute_names("#vis", "visible_at")
            .expression_attribute_names("#v", "version")
            .expression_attribute_names("#e", "last_error")
            .expression_attribute_names("#da", "dead_at")
            .expression_attribute_values(":queued", s(QUEUED))
            .expression_attribute_values(":dead", s(DEAD))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now.unix_millis()))
            .expression_attribute_values(":live", s(live_key(id)))
            .expression_attribute_values(":id", s(id))
            .expression_attribute_values(":ob", s(outbox_key(id)))
            .expression_attribute_values(":obs", s(outbox_sort(id)))
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(e) if is_condition_failed(&e) => {
                return Err(StoreError::NotFound {
                    entity: "dead letter",
                    id: id.to_string(),
                });
            }
            Err(e) => return Err(self.ddb_error("UpdateItem", e)),
        }
        self.send_outboxed(id, 0).await;
        Ok(())
    }

    /// Every live message (each [`SHARDS`] partition of gsi2 `QUEUE#`) and every dead letter
    /// (gsi1 or gsi2 `DEAD`), counted here: a read of the whole queue, fine for a dashboard.
    pub(super) async fn stats(
        &self,
        tenant: Option<&TenantId>,
        now: Timestamp,
    ) -> StoreResult<QueueStats> {
        let mut stats = QueueStats::default();
        let now = now.unix_millis();
        for shard in 0..SHARDS {
            let key = live_partition(shard);
            let tenant_filter = tenant.map(|t| ("tenant", t.to_string()));
            for item in self.stat_items(GSI2, "gsi2pk", &key, tenant_filter).await? {
                if item.int("visible_at")? <= now {
                    stats.ready += 1;
                } else {
                    stats.delayed += 1;
                }
            }
        }
        let (index, pk, key) = match tenant {
            Some(t) => (GSI1, "gsi1pk", format!("DEAD#{t}")),
            None => (GSI2, "gsi2pk", "DEAD".to_string()),
        };
        for item in self.stat_items(index, pk, &key, None).await? {
            stats.dead += 1;
            let dead_at = Timestamp::from_unix_millis(item.int("dead_at")?);
            if stats.oldest_dead_at.is_none_or(|t| dead_at < t) {
                stats.oldest_dead_at = Some(dead_at);
            }
        }
        Ok(stats)
    }

    /// Every item of index partition `pk = key` (page by page), optionally only those whose
    /// attribute `filter.0` equals `filter.1`; only the attributes the statistics use.
    async fn stat_items(
        &self,
        index: &str,
        pk: &str,
        key: &str,
        filter: Option<(&str, String)>,
    ) -> StoreResult<Vec<Item>> {
        let mut query = self
            .ddb
            .query()
            .table_name(&self.settings.table)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .projection_expression("pk, #vis, #da")
            .expression_attribute_names("#pk", pk)
            .expression_attribute_names("#vis", "visible_at")
            .expression_attribute_names("#da", "dead_at")
            .expression_attribute_values(":pk", s(key));
        if let Some((attribute, value)) = &filter {
            query = query
                .filter_expression("#f = :f")
                .expression_attribute_names("#f", *attribute)
                .expression_attribute_values(":f", s(value));
        }
        self.collect_query(query).await
    }
}
