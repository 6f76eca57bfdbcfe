//! Requests the record files share: a consistent `GetItem`, the put of a new item (alone or in
//! a transaction), and the newest-first index listing behind every paginated list (charges,
//! events, the audit log).
//!
//! A listing reads an index partition in descending sort-key order (the sort key is a ULID-based
//! id, so newest first), starting strictly below the caller's cursor, and keeps reading pages
//! (`LastEvaluatedKey`) until it holds one item more than the limit or the partition ends: a
//! filter expression is applied after DynamoDB's `Limit`, so one page can come back short. The
//! extra item only says whether there is a next page; the cursor handed back is the id of the
//! last item returned, exactly as the SQLite backend gives it.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::put_item::builders::PutItemFluentBuilder;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

use super::error::is_condition_failed;
use super::item::{Item, s};
use super::{DynamoStore, page_size};
use crate::store::{Page, StoreError, StoreResult};

/// How many items one request may evaluate while a filter expression thins them out: enough
/// that a sparse filter does not cost a round trip per few items.
const FILTERED_PAGE: u32 = 100;

/// Conditions on attributes no key covers, as one `FilterExpression` (`a AND b AND …`).
#[derive(Default)]
pub(super) struct Filter {
    clauses: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Filter {
    /// Adds `attribute <op> value`, e.g. `("status", "=", s("succeeded"))`.
    pub(super) fn and(&mut self, attribute: &str, op: &str, value: AttributeValue) {
        let i = self.clauses.len();
        self.clauses.push(format!("#f{i} {op} :f{i}"));
        self.names.insert(format!("#f{i}"), attribute.to_string());
        self.values.insert(format!(":f{i}"), value);
    }
}

/// One newest-first listing of an index partition.
pub(super) struct Listing<'a> {
    /// The index (`GSI1`, …) and the names of its partition and sort key attributes.
    pub index: &'static str,
    pub pk: &'static str,
    pub sk: &'static str,
    /// The partition, e.g. `CHARGES#acme`.
    pub partition: String,
    /// Only items whose sort key is strictly below this one (the previous page's cursor).
    pub before: Option<&'a str>,
    pub filter: Filter,
    /// The caller's limit: 0 is the default, capped like every listing ([`page_size`]).
    pub limit: u32,
}

/// `put` as one item of a `TransactWriteItems`.
pub(super) fn in_transaction(put: Put) -> TransactWriteItem {
    TransactWriteItem::builder().put(put).build()
}

impl DynamoStore {
    /// A put of `item` into the table, with no condition yet.
    pub(super) fn put(&self, item: Item) -> StoreResult<Put> {
        Put::builder()
            .table_name(&self.settings.table)
            .set_item(Some(item))
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot build a DynamoDB put: {e}")))
    }

    /// A put of `item` only if no item has its key: a create.
    pub(super) fn put_new(&self, item: Item) -> StoreResult<Put> {
        let mut put = self.put(item)?;
        put.condition_expression = Some("attribute_not_exists(pk)".into());
        Ok(put)
    }

    /// `put` as a `PutItem` request, for the caller to add to and send.
    pub(super) fn put_request(&self, put: Put) -> PutItemFluentBuilder {
        self.ddb
            .put_item()
            .table_name(put.table_name)
            .set_item(Some(put.item))
            .set_condition_expression(put.condition_expression)
            .set_expression_attribute_names(put.expression_attribute_names)
            .set_expression_attribute_values(put.expression_attribute_values)
    }

    /// Creates `item` (one `PutItem`); [`StoreError::AlreadyExists`] naming `entity` `id`
    /// when its key is taken.
    pub(super) async fn create(
        &self,
        item: Item,
        entity: &'static str,
        id: &str,
    ) -> StoreResult<()> {
        match self.put_request(self.put_new(item)?).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Err(StoreError::AlreadyExists {
                entity,
                id: id.to_string(),
            }),
            Err(e) => Err(self.ddb_error("PutItem", e)),
        }
    }

    /// The item at (`pk`, `sk`), read consistently (it reflects every write acknowledged before).
    pub(super) async fn get(&self, pk: &str, sk: &str) -> StoreResult<Option<Item>> {
        let out = self
            .ddb
            .get_item()
            .table_name(&self.settings.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.ddb_error("GetItem", e))?;
        Ok(out.item)
    }

    /// One page of `listing`, newest first, each item decoded by `decode`; `cursor_of` names
    /// the item a next page starts after. Index queries are eventually consistent on AWS: a
    /// record written a moment ago may be missing from a listing for well under a second.
    pub(super) async fn list_newest<T>(
        &self,
        listing: Listing<'_>,
        decode: impl Fn(&Item) -> StoreResult<T>,
        cursor_of: impl Fn(&T) -> String,
    ) -> StoreResult<Page<T>> {
        let limit = page_size(listing.limit) as usize;
        let Filter {
            clauses,
            mut names,
            mut values,
        } = listing.filter;
        let filtered = !clauses.is_empty();
        let mut key_condition = String::from("#pk = :pk");
        names.insert("#pk".into(), listing.pk.into());
        values.insert(":pk".into(), s(listing.partition));
        if let Some(before) = listing.before {
            key_condition.push_str(" AND #sk < :before");
            names.insert("#sk".into(), listing.sk.into());
            values.insert(":before".into(), s(before));
        }
        let filter_expression = filtered.then(|| clauses.join(" AND "));

        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            // One more than the limit, to know whether a next page exists.
            let wanted = (limit + 1 - items.len()) as i32;
            let page_limit = if filtered {
                wanted.max(FILTERED_PAGE as i32)
            } else {
                wanted
            };
            let out = self
                .ddb
                .query()
                .table_name(&self.settings.table)
                .index_name(listing.index)
                .key_condition_expression(&key_condition)
                .set_filter_expression(filter_expression.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(false)
                .limit(page_limit)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.ddb_error("Query", e))?;
            for item in out.items.unwrap_or_default() {
                items.push(decode(&item)?);
                if items.len() > limit {
                    break;
                }
            }
            match out.last_evaluated_key {
                Some(key) if items.len() <= limit => start = Some(key),
                _ => break,
            }
        }
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(&cursor_of)
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Every item of a partition of the table or an index, in ascending sort-key order,
    /// reading every page. `sk_prefix` narrows to sort keys that begin with it (table queries).
    /// Table queries are consistent; index queries are eventually consistent on AWS.
    pub(super) async fn query_all(
        &self,
        index: Option<&'static str>,
        pk: (&'static str, String),
        sk_prefix: Option<(&'static str, &str)>,
    ) -> StoreResult<Vec<Item>> {
        let mut names = HashMap::from([("#pk".to_string(), pk.0.to_string())]);
        let mut values = HashMap::from([(":pk".to_string(), s(pk.1))]);
        let mut key_condition = String::from("#pk = :pk");
        if let Some((attribute, prefix)) = sk_prefix {
            key_condition.push_str(" AND begins_with(#sk, :prefix)");
            names.insert("#sk".into(), attribute.into());
            values.insert(":prefix".into(), s(prefix));
        }
        let query = self
            .ddb
            .query()
            .table_name(&self.settings.table)
            .set_index_name(index.map(String::from))
            .consistent_read(index.is_none())
            .key_condition_expression(&key_condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values));
        self.collect_query(query).await
    }

    /// Every item `query` matches, following `LastEvaluatedKey` page by page.
    pub(super) async fn collect_query(&self, query: QueryFluentBuilder) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        self.each_page(query, |page| {
            items.extend(page);
            Ok(())
        })
        .await?;
        Ok(items)
    }

    /// Hands each page of what `query` matches to `each` as it arrives, following
    /// `LastEvaluatedKey`: for a reader that keeps sums, not items.
    pub(super) async fn each_page(
        &self,
        query: QueryFluentBuilder,
        mut each: impl FnMut(Vec<Item>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut start: Option<Item> = None;
        loop {
            let out = query
                .clone()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.ddb_error("Query", e))?;
            each(out.items.unwrap_or_default())?;
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(()),
            }
        }
    }
}
