//! The one conformance suite every [`Store`] backend runs: each trait method, its edge
//! semantics, and its behaviour under concurrency. Not a backend and not a benchmark.
//!
//! Each case is a public `async fn(Arc<S>)` that panics on a violation, so a backend can also
//! call single cases. [`crate::store_conformance_tests!`] expands into one `#[tokio::test]` per
//! case, each with a fresh, empty store from the factory expression:
//!
//! ```ignore
//! async fn fresh() -> (SqliteStore, tempfile::TempDir) {
//!     let dir = tempfile::tempdir().unwrap();
//!     (SqliteStore::open(&dir.path().join("payorch.db")).unwrap(), dir)
//! }
//! payorch::store_conformance_tests!(fresh());
//! ```
//!
//! The factory yields `(store, guard)`; the guard (a temp dir, a container handle, `()`) lives
//! until the case ends. The tests need tokio's `macros` and `rt-multi-thread` features.
//!
//! **Time.** No case sleeps. Expiry and visibility are decided by the timestamps the cases
//! pass (`now`, `enqueued_at`, `expires_at`), all around the fixed instant [`T0`]. A queue
//! message enqueued with `delay` must become visible at `enqueued_at + delay`. A backend whose
//! visibility runs on the wall clock (SQS) cannot honour the cases that move time forward;
//! those are collected in [`WALL_CLOCK_SENSITIVE`] so such a backend can document and skip
//! exactly them.

mod accounts;
mod charges;
mod concurrency;
mod costs;
mod events;
mod queue;
mod queue_batch;
mod queue_groups;
mod state;
mod webhooks;

pub use accounts::*;
pub use charges::*;
pub use concurrency::*;
pub use costs::*;
pub use events::*;
pub use queue::*;
pub use queue_batch::*;
pub use queue_groups::*;
pub use state::*;
pub use webhooks::*;

use std::collections::BTreeMap;

use crate::clock::Timestamp;
use crate::id::{ChargeId, MessageId};
use crate::model::{Charge, Currency, Customer, GatewayId, Money, PaymentMethod, TenantId};
use crate::store::{IdempotencyRecord, IdempotencyState, QueueMessage, StoreResult};

#[doc(hidden)]
pub use std::sync::Arc as __Arc;

/// The instant the cases' timelines start from (2027-01-15).
pub const T0: Timestamp = Timestamp::from_unix_millis(1_800_000_000_000);

/// The cases that pass queue timestamps ahead of the wall clock; see the module docs.
pub const WALL_CLOCK_SENSITIVE: &[&str] = &[
    "queue_delay_hides_until_due",
    "queue_visibility_timeout_and_stale_receipts",
    "queue_retry_later_hides_and_records_the_error",
    "queue_stats_count_where_messages_are",
    "queue_group_waits_for_a_retry_and_a_lapsed_receipt",
];

/// Expands into one `#[tokio::test]` per conformance case. `$factory` is an expression whose
/// value is a future of `(store, guard)`; it is evaluated once per case. `wall_clock: $factory`
/// leaves out the [`WALL_CLOCK_SENSITIVE`] cases (a test checks the two lists agree).
#[macro_export]
macro_rules! store_conformance_tests {
    ($factory:expr) => {
        $crate::store_conformance_tests!(wall_clock: $factory);
        $crate::store_conformance_tests!(@cases $factory;
            queue_delay_hides_until_due,
            queue_visibility_timeout_and_stale_receipts,
            queue_retry_later_hides_and_records_the_error,
            queue_stats_count_where_messages_are,
            queue_group_waits_for_a_retry_and_a_lapsed_receipt,
        );
    };
    // A backend whose queue visibility runs on the wall clock (SQS): every case but
    // [`WALL_CLOCK_SENSITIVE`]; it tests those behaviours with real waits instead.
    (wall_clock: $factory:expr) => {
        $crate::store_conformance_tests!(@cases $factory;
            tenants_create_get_list,
            api_keys_create_find_list,
            api_key_revoke_keeps_the_first_time,
            api_key_rate_limit_is_set_and_cleared,
            charge_create_and_get_round_trip,
            charge_of_another_tenant_reads_as_none,
            charge_update_is_conditional,
            charge_update_with_its_news_is_one_commit,
            charge_created_with_its_key_claim_is_one_commit,
            charge_outcome_with_its_key_answer_is_one_commit,
            charge_news_with_its_webhook_record_is_one_commit,
            charge_list_newest_first_with_cursor,
            charge_list_filters,
            charge_list_limit_default_and_cap,
            charge_costs_by_gateway_match_hand_sums,
            charge_costs_by_method_and_tenant_match_hand_sums,
            charge_costs_by_day_cut_at_the_offset_and_respect_range_edges,
            idempotency_claim_then_existing,
            idempotency_keys_are_scoped_by_tenant,
            idempotency_expired_record_is_replaced,
            idempotency_update_and_delete_are_conditional,
            idempotency_purge_removes_only_expired,
            state_put_get_list,
            counters_add_and_read_ranges,
            inbound_record_dedupes,
            inbound_status_and_listing,
            inbound_prune_drops_old_bodies_and_keeps_dedupe,
            audit_append_and_paginate,
            event_record_get_and_tenant_isolation,
            event_list_filters_newest_first,
            event_list_paginates_with_cursor,
            queue_enqueue_receive_ack,
            queue_ack_many_answers_each_receipt,
            queue_ack_many_releases_each_group_in_order,
            queue_receive_oldest_first_up_to_max,
            queue_dead_letter_and_replay,
            queue_list_and_purge_dead,
            queue_group_hands_out_one_message_at_a_time_in_order,
            queue_group_order_is_the_queue_s_not_the_sender_s_clock,
            queue_group_is_held_by_its_dead_letter_until_a_replay,
            queue_group_is_released_by_purging_its_dead_letter,
            ping_and_describe,
            concurrent_idempotency_claims_one_wins,
            concurrent_put_state_one_wins,
            concurrent_charge_updates_one_wins,
            concurrent_counter_adds_sum_exactly,
            concurrent_receivers_get_each_message_once,
            concurrent_receivers_keep_each_group_in_order,
        );
    };
    (@cases $factory:expr; $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let (store, _guard) = $factory.await;
                $crate::store::conformance::$case($crate::store::conformance::__Arc::new(store))
                    .await;
            }
        )*
    };
}

/// Unwraps a store result, naming the step that failed.
#[track_caller]
fn ok<T>(result: StoreResult<T>, step: &str) -> T {
    result.unwrap_or_else(|e| panic!("{step}: {e}"))
}

/// `T0` plus `ms` milliseconds.
pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0.unix_millis() + ms)
}

/// A tenant id from a slug the suite knows is valid.
pub fn tenant(slug: &str) -> TenantId {
    TenantId::parse(slug).expect("the suite's tenant slugs are valid")
}

/// A pending Pix charge of 19.90 BRL (no Document logic involved).
pub fn sample_charge(tenant: &TenantId, created_at: Timestamp) -> Charge {
    let mut charge = Charge::new(
        ChargeId::generate(),
        tenant.clone(),
        Money::from_minor(1990, Currency::Brl).expect("a positive amount"),
        PaymentMethod::Pix,
        Customer {
            name: "Maria Silva".into(),
            email: None,
            document: None,
        },
        created_at,
    );
    charge.gateway = Some(GatewayId::Efi);
    charge.description = Some("Order 1234".into());
    charge.metadata = BTreeMap::from([("order_id".to_string(), "1234".to_string())]);
    charge
}

/// An in-flight idempotency record created at `now`, expiring at `expires_at`.
pub fn idempotency_record(
    tenant: &TenantId,
    key: &str,
    owner: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> IdempotencyRecord {
    IdempotencyRecord {
        tenant: tenant.clone(),
        key: key.to_string(),
        operation: "POST /v1/charges".into(),
        request_hash: "hash-of-the-body".into(),
        charge_id: None,
        refund_id: None,
        state: IdempotencyState::InFlight {
            owner: owner.to_string(),
            lease_until: now.plus(std::time::Duration::from_secs(30)),
        },
        created_at: now,
        expires_at,
    }
}

/// A queue message for `tenant`, enqueued at `enqueued_at`, in no group.
pub fn queue_message(tenant: &TenantId, enqueued_at: Timestamp) -> QueueMessage {
    let id = MessageId::generate();
    QueueMessage {
        body: format!("{{\"id\":\"{id}\",\"type\":\"charge.succeeded\"}}"),
        id,
        tenant: tenant.clone(),
        enqueued_at,
        group: None,
    }
}

/// [`queue_message`] in message group `group`.
pub fn grouped_message(tenant: &TenantId, group: &str, enqueued_at: Timestamp) -> QueueMessage {
    QueueMessage {
        group: Some(group.to_string()),
        ..queue_message(tenant, enqueued_at)
    }
}
