//! Charges: `CHARGE#<id>` items, listed through gsi1 `CHARGES#<tenant>` newest first.
//!
//! Besides `body` (the charge's JSON) and `version`, an item carries what listings filter on,
//! as attributes: `tenant`, `status`, `gateway` (absent while none was chosen) and `created`
//! (N, unix ms). Ids are generated times but a charge's `created_at` is the caller's, so the
//! created range is a filter expression like status and gateway, not a key condition.
//!
//! An update replaces the whole item with a conditional `PutItem` (`version = :expected AND
//! tenant = :tenant`): exactly one of several writers expecting the same version wins. When
//! the condition fails, DynamoDB hands back the item as it was
//! (`ReturnValuesOnConditionCheckFailure::AllOld`), which tells a conflict from a charge that
//! is absent (or another tenant's) without a second request.
//!
//! DynamoDB requests per operation:
//!
//! | operation | requests |
//! |---|---|
//! | `create_charge` | 1 `PutItem` |
//! | `get_charge` | 1 `GetItem` (consistent) |
//! | `update_charge` | 1 `PutItem`; + 1 `GetItem` only when the condition failed and the emulator did not return the old item |
//! | `update_charge_emitting` | 1 `TransactWriteItems` (charge, event, the message's outbox item) + the queue's own SQS send (see `queue`); + 1 `GetItem` when the charge's condition failed |
//! | `create_charge_keyed` | 1 `TransactWriteItems` (charge, idempotency key) |
//! | `update_charge_emitting_keyed` | as `update_charge_emitting`, the key in the same transaction; + the transaction again without the key when only the key's condition failed |
//! | `list_charges` | 1 `Query` per index page: one when no filter is given, more while filters leave pages short |
//! | `charge_costs` | 1 `Query` per 1 MB page of each tenant's whole gsi1 partition (the created range is a filter; read capacity is paid for every charge of the tenant, in range or not); + 1 `Query` for the tenant list when every tenant is asked |
//! | `record_event`, `get_event` | 1 `PutItem`, 1 `GetItem` |
//! | `list_events` | as `list_charges` |
//! | `append_audit` | 1 `PutItem` |
//! | `list_audit` | 1 `Query` per index page (no filters: one) |
//! | tenants, API keys | see `accounts` |

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};

use super::item::{Item, ItemExt, decode, encode, n, s};
use super::query::{Filter, Listing, in_transaction};
use super::{DynamoStore, GSI1};
use crate::id::ChargeId;
use crate::model::{Charge, Event, FeeSchedule, TenantId};
use crate::store::costs::{ChargeCost, CostSums};
use crate::store::{
    ChargeQuery, ChargeStore, CostQuery, CostRow, InboundWebhook, KeyWrite, Page, QueueMessage,
    StoreError, StoreResult, TenantStore, Versioned,
};

const CHARGE_SK: &str = "CHARGE";

fn charge_pk(id: &str) -> String {
    format!("CHARGE#{id}")
}

/// The whole item of `charge` at `version`.
fn charge_item(charge: &Charge, version: u64) -> StoreResult<Item> {
    let id = charge.id.as_str();
    let tenant = charge.tenant.as_str();
    let mut item = Item::from([
        ("pk".to_string(), s(charge_pk(id))),
        ("sk".to_string(), s(CHARGE_SK)),
        ("tenant".to_string(), s(tenant)),
        ("status".to_string(), s(charge.status().as_str())),
        ("created".to_string(), n(charge.created_at.unix_millis())),
        ("version".to_string(), n(version)),
        ("body".to_string(), s(encode("charge", id, charge)?)),
        ("gsi1pk".to_string(), s(format!("CHARGES#{tenant}"))),
        ("gsi1sk".to_string(), s(id)),
    ]);
    if let Some(gateway) = charge.gateway {
        item.insert("gateway".into(), s(gateway.as_str()));
    }
    Ok(item)
}

fn decode_charge(item: &Item) -> StoreResult<Charge> {
    decode("charge", item.string("pk")?, item.string("body")?)
}

/// The condition of an update from `expected`: the charge is there, this tenant's, at that
/// version (`version` through `#v`, as the name may be reserved).
const UPDATE_CONDITION: &str = "#v = :expected AND tenant = :tenant";

fn conflict(charge: &Charge, expected: u64) -> StoreError {
    StoreError::Conflict {
        entity: "charge",
        id: charge.id.to_string(),
        expected,
    }
}

fn not_found(charge: &Charge) -> StoreError {
    StoreError::NotFound {
        entity: "charge",
        id: charge.id.to_string(),
    }
}

/// Why an update of `charge` from `expected` lost its condition, from the item as it was
/// (`None`: absent): [`StoreError::Conflict`] when it is this tenant's charge, else
/// [`StoreError::NotFound`].
fn update_failure(charge: &Charge, expected: u64, old: Option<&Item>) -> StoreError {
    let ours = old
        .and_then(|item| item.opt_string("tenant").ok().flatten())
        .is_some_and(|t| t == charge.tenant.as_str());
    if ours {
        conflict(charge, expected)
    } else {
        not_found(charge)
    }
}

impl DynamoStore {
    /// The conditional put that moves `charge` from `expected_version` to the next.
    fn charge_update(&self, charge: &Charge, expected_version: u64) -> StoreResult<Put> {
        let mut put = self.put(charge_item(charge, expected_version + 1)?)?;
        put.condition_expression = Some(UPDATE_CONDITION.into());
        put.expression_attribute_names = Some(HashMap::from([("#v".into(), "version".into())]));
        put.expression_attribute_values = Some(HashMap::from([
            (":expected".into(), n(expected_version)),
            (":tenant".into(), s(charge.tenant.as_str())),
        ]));
        Ok(put)
    }

    /// [`Self::charge_update`] for a transaction (`update_charge_emitting`, the queue).
    pub(super) fn charge_update_write(
        &self,
        charge: &Charge,
        expected_version: u64,
    ) -> StoreResult<TransactWriteItem> {
        Ok(in_transaction(
            self.charge_update(charge, expected_version)?,
        ))
    }

    /// Why a transaction's update of `charge` lost its condition: one consistent read.
    async fn charge_update_failure(
        &self,
        charge: &Charge,
        expected: u64,
    ) -> StoreResult<StoreError> {
        let old = self.get(&charge_pk(charge.id.as_str()), CHARGE_SK).await?;
        Ok(update_failure(charge, expected, old.as_ref()))
    }
}

#[async_trait]
impl ChargeStore for DynamoStore {
    async fn create_charge(&self, charge: &Charge) -> StoreResult<()> {
        self.create(charge_item(charge, 1)?, "charge", charge.id.as_str())
            .await
    }

    async fn get_charge(
        &self,
        tenant: &TenantId,
        id: &ChargeId,
    ) -> StoreResult<Option<Versioned<Charge>>> {
        let Some(item) = self.get(&charge_pk(id.as_str()), CHARGE_SK).await? else {
            return Ok(None);
        };
        if item.string("tenant")? != tenant.as_str() {
            return Ok(None);
        }
        Ok(Some(Versioned {
            value: decode_charge(&item)?,
            version: item.version()?,
        }))
    }

    async fn update_charge(&self, charge: &Charge, expected_version: u64) -> StoreResult<u64> {
        let result = self
            .put_request(self.charge_update(charge, expected_version)?)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(expected_version + 1),
            Err(err) => err,
        };
        match err.as_service_error() {
            // The old item came back: decided without another request.
            Some(PutItemError::ConditionalCheckFailedException(failed))
                if failed.item().is_some() =>
            {
                Err(update_failure(charge, expected_version, failed.item()))
            }
            // Absent, or an emulator that does not return it: one consistent read says.
            Some(PutItemError::ConditionalCheckFailedException(_)) => {
                Err(self.charge_update_failure(charge, expected_version).await?)
            }
            _ => Err(self.ddb_error("PutItem", err)),
        }
    }

    /// The charge's update and the event's put ride in the queue's transaction with the
    /// message's outbox item (`enqueue_in`): all three are written or none.
    async fn update_charge_emitting(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
    ) -> StoreResult<u64> {
        let writes = vec![
            self.charge_update_write(charge, expected_version)?,
            self.event_put_write(event)?,
        ];
        match self.enqueue_in(message, Duration::ZERO, writes).await? {
            Ok(()) => Ok(expected_version + 1),
            Err(0) => Err(self.charge_update_failure(charge, expected_version).await?),
            Err(1) => Err(super::events::event_exists(event)),
            Err(i) => Err(StoreError::Backend(format!(
                "updating charge `{}` with its event failed on item {i} of the transaction",
                charge.id
            ))),
        }
    }

    /// One transaction: the charge (if its id is free) and the key (if as seen).
    async fn create_charge_keyed(&self, charge: &Charge, key: &KeyWrite) -> StoreResult<()> {
        let writes = vec![
            in_transaction(self.put_new(charge_item(charge, 1)?)?),
            self.key_write(key)?,
        ];
        match self.transact(writes).await? {
            Ok(()) => Ok(()),
            Err(0) => Err(StoreError::AlreadyExists {
                entity: "charge",
                id: charge.id.to_string(),
            }),
            Err(_) => Err(super::idempotency::key_conflict(key)),
        }
    }

    /// The key rides in `update_charge_emitting`'s transaction. DynamoDB cancels a whole
    /// transaction when one condition fails, so a key that moved costs the transaction again
    /// without it: the charge and its news must be written regardless.
    async fn update_charge_emitting_keyed(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
        key: &KeyWrite,
    ) -> StoreResult<(u64, bool)> {
        let writes = vec![
            self.charge_update_write(charge, expected_version)?,
            self.event_put_write(event)?,
            self.key_write(key)?,
        ];
        match self.enqueue_in(message, Duration::ZERO, writes).await? {
            Ok(()) => Ok((expected_version + 1, true)),
            Err(0) => Err(self.charge_update_failure(charge, expected_version).await?),
            Err(1) => Err(super::events::event_exists(event)),
            Err(2) => {
                let version = self
                    .update_charge_emitting(charge, expected_version, event, message)
                    .await?;
                Ok((version, false))
            }
            Err(i) => Err(StoreError::Backend(format!(
                "updating charge `{}` with its event and key failed on item {i} of the transaction",
                charge.id
            ))),
        }
    }

    /// One transaction: the webhook's record (if new), the charge (if at its version), the
    /// event and the delivery's outbox item.
    async fn update_charge_emitting_inbound(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
        webhook: &InboundWebhook,
    ) -> StoreResult<u64> {
        let writes = vec![
            self.charge_update_write(charge, expected_version)?,
            self.event_put_write(event)?,
            in_transaction(self.inbound_put(webhook)?),
        ];
        match self.enqueue_in(message, Duration::ZERO, writes).await? {
            Ok(()) => Ok(expected_version + 1),
            Err(0) => Err(self.charge_update_failure(charge, expected_version).await?),
            Err(1) => Err(super::events::event_exists(event)),
            Err(2) => Err(super::inbound::inbound_taken(webhook)),
            Err(i) => Err(StoreError::Backend(format!(
                "updating charge `{}` with its event and webhook record failed on item {i} of \
                 the transaction",
                charge.id
            ))),
        }
    }

    /// Through gsi1, newest first; status, gateway and the created range are filter
    /// expressions, read page by page until the limit is met. Eventually consistent on AWS.
    async fn list_charges(
        &self,
        tenant: &TenantId,
        query: &ChargeQuery,
    ) -> StoreResult<Page<Charge>> {
        let mut filter = Filter::default();
        if let Some(status) = query.status {
            filter.and("status", "=", s(status.as_str()));
        }
        if let Some(gateway) = query.gateway {
            filter.and("gateway", "=", s(gateway.as_str()));
        }
        if let Some(from) = query.created_from {
            filter.and("created", ">=", n(from.unix_millis()));
        }
        if let Some(to) = query.created_to {
            filter.and("created", "<", n(to.unix_millis()));
        }
        let listing = Listing {
            index: GSI1,
            pk: "gsi1pk",
            sk: "gsi1sk",
            partition: format!("CHARGES#{tenant}"),
            before: query.starting_after.as_ref().map(ChargeId::as_str),
            filter,
            limit: query.limit,
        };
        self.list_newest(listing, decode_charge, |c: &Charge| c.id.to_string())
            .await
    }

    /// Each tenant's gsi1 partition, page by page, the created range as a filter expression
    /// (ids are generated times but `created_at` is the caller's, so no key condition can
    /// bound it); each page added up as it arrives, nothing kept. Reads the whole partition:
    /// see the table above.
    async fn charge_costs(
        &self,
        query: &CostQuery,
        schedule: &FeeSchedule,
    ) -> StoreResult<Vec<CostRow>> {
        let tenants = match &query.tenant {
            Some(t) => vec![t.clone()],
            None => self
                .list_tenants()
                .await?
                .into_iter()
                .map(|t| t.id)
                .collect(),
        };
        let mut sums = CostSums::new(query, schedule);
        for tenant in &tenants {
            let request = self
                .ddb
                .query()
                .table_name(&self.settings.table)
                .index_name(GSI1)
                .key_condition_expression("#pk = :pk")
                .filter_expression("#created >= :from AND #created < :to")
                .projection_expression("#pk0, #body")
                .expression_attribute_names("#pk", "gsi1pk")
                .expression_attribute_names("#created", "created")
                .expression_attribute_names("#pk0", "pk")
                .expression_attribute_names("#body", "body")
                .expression_attribute_values(":pk", s(format!("CHARGES#{tenant}")))
                .expression_attribute_values(":from", n(query.from.unix_millis()))
                .expression_attribute_values(":to", n(query.to.unix_millis()));
            self.each_page(request, |page| {
                for item in &page {
                    sums.add(&ChargeCost::of(&decode_charge(item)?));
                }
                Ok(())
            })
            .await?;
        }
        Ok(sums.finish())
    }
}
