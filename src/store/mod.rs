//! Persistence: the traits the core talks to, and their backends.
//!
//! Most operations are a single-item read, a put, or a conditional update of one item (plus
//! queries over one index), so that each trait has two honest implementations: SQLite
//! ([`sqlite`], the embedded default) and DynamoDB + SQS (for a fleet). The few multi-item
//! writes are the ones a charge's two durable commits need (a charge with its idempotency key,
//! its news and the key's answer: [`ChargeStore::create_charge_keyed`],
//! [`ChargeStore::update_charge_emitting_keyed`]): one SQLite transaction, one DynamoDB
//! `TransactWriteItems`, every item's condition kept. Flows that touch other records order
//! their writes so a crash between two of them is recoverable (see the orchestrator).
//!
//! `conformance` is one test suite, generic over [`Store`], that every backend runs. It is
//! test code (cases that panic), so it is compiled only for tests: the crate's own unit tests,
//! and the integration tests through the `testing` feature, which the crate's dev-dependency on
//! itself turns on (`Cargo.toml`); a release build of `payorch` does not carry it.
//! SQL lives only in `sqlite/`.

mod audit;
#[cfg(any(test, feature = "testing"))]
pub mod conformance;
pub mod costs;
pub mod dynamo;
pub mod sqlite;
mod state_key;
mod text_enum;

pub use audit::{AuditAction, UnknownAuditAction};
pub use costs::{CostGroup, CostKey, CostQuery, CostRow, FailoverCost};
pub use state_key::{BadStateName, StateDoc, StateKind};

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::id::{ApiKeyId, AuditId, ChargeId, EventId, InboundId, MessageId};
use crate::model::{
    ApiKey, Charge, ChargeStatus, Event, EventType, FeeSchedule, GatewayId, RateLimit, Tenant,
    TenantId,
};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create found the item already there.
    #[error("{entity} `{id}` already exists")]
    AlreadyExists { entity: &'static str, id: String },
    /// An update or delete found no such item.
    #[error("{entity} `{id}` not found")]
    NotFound { entity: &'static str, id: String },
    /// A conditional write lost: the item changed since it was read.
    #[error("{entity} `{id}` was changed concurrently (expected version {expected})")]
    Conflict {
        entity: &'static str,
        id: String,
        expected: u64,
    },
    /// The backend could not be reached or is locked/busy beyond its timeout: retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be decoded: a bug or manual tampering.
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
    /// Any other backend failure.
    #[error("store error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A record with the version its conditional updates must name. Versions start at 1 and grow by
/// one on every successful update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// The condition a conditional put requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The item must not exist.
    Absent,
    /// The item must exist at exactly this version.
    Version(u64),
}

/// One page of a listing, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back as `starting_after` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Tenants and API keys

#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant; [`StoreError::AlreadyExists`] when the id is taken.
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>>;
    /// All tenants, ordered by id.
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key; [`StoreError::AlreadyExists`] when its id or hash is taken.
    async fn create_api_key(&self, key: &ApiKey) -> StoreResult<()>;
    /// The key whose secret hashes to `hash`, revoked or not (the caller checks).
    async fn find_api_key_by_hash(&self, hash: &str) -> StoreResult<Option<ApiKey>>;
    /// A tenant's keys, oldest first, revoked ones included.
    async fn list_api_keys(&self, tenant: &TenantId) -> StoreResult<Vec<ApiKey>>;
    /// Marks a key revoked at `at` and returns it. Revoking a revoked key keeps the first time.
    /// [`StoreError::NotFound`] when the tenant has no such key.
    async fn revoke_api_key(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        at: Timestamp,
    ) -> StoreResult<ApiKey>;
    /// Sets (or with `None` clears) a key's own rate limit and returns the key, revoked or not.
    /// [`StoreError::NotFound`] when the tenant has no such key.
    async fn set_api_key_rate_limit(
        &self,
        tenant: &TenantId,
        id: &ApiKeyId,
        limit: Option<RateLimit>,
    ) -> StoreResult<ApiKey>;
}

// ---------------------------------------------------------------------------------------------
// Charges

/// Filters for listing a tenant's charges. Results are newest first (by id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChargeQuery {
    pub status: Option<ChargeStatus>,
    pub gateway: Option<GatewayId>,
    /// Inclusive lower bound on `created_at`.
    pub created_from: Option<Timestamp>,
    /// Exclusive upper bound on `created_at`.
    pub created_to: Option<Timestamp>,
    /// Only charges with ids strictly older than this one (the previous page's cursor).
    pub starting_after: Option<ChargeId>,
    /// At most this many (backends cap it at 1000); 0 means the default of 20.
    pub limit: u32,
}

#[async_trait]
pub trait ChargeStore: Send + Sync {
    /// Stores a new charge at version 1; [`StoreError::AlreadyExists`] if the id is taken.
    async fn create_charge(&self, charge: &Charge) -> StoreResult<()>;
    /// A tenant's charge. Another tenant's id reads as `None`.
    async fn get_charge(
        &self,
        tenant: &TenantId,
        id: &ChargeId,
    ) -> StoreResult<Option<Versioned<Charge>>>;
    /// Replaces the charge if it is still at `expected_version`; returns the new version.
    /// [`StoreError::Conflict`] when it moved on, [`StoreError::NotFound`] when absent.
    async fn update_charge(&self, charge: &Charge, expected_version: u64) -> StoreResult<u64>;
    /// [`Self::update_charge`] together with the charge's news, atomically: the event goes to
    /// the event log and its delivery to the queue in the same commit as the charge (one
    /// transaction; `TransactWriteItems` on DynamoDB, with the delivery as an outbox item). So a
    /// crash can never leave a charge moved without its event, nor an event without its charge.
    /// On a conflict nothing is written.
    async fn update_charge_emitting(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
    ) -> StoreResult<u64>;
    async fn list_charges(
        &self,
        tenant: &TenantId,
        query: &ChargeQuery,
    ) -> StoreResult<Page<Charge>>;
    /// [`Self::create_charge`] and `key` in one commit (a charge's first): both or nothing.
    /// [`StoreError::AlreadyExists`] when the charge id is taken; [`StoreError::Conflict`]
    /// naming [`KEY_ENTITY`] when the key is not as `key.seen` says (someone claimed it first).
    async fn create_charge_keyed(&self, charge: &Charge, key: &KeyWrite) -> StoreResult<()>;
    /// [`Self::update_charge_emitting`] and, in the same commit, `key` (a charge's last commit,
    /// with the key's answer). A key that is no longer as `key.seen` says does not stop the
    /// charge: it is written with its news, the key left alone. Returns the charge's new
    /// version and whether the key was written.
    async fn update_charge_emitting_keyed(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
        key: &KeyWrite,
    ) -> StoreResult<(u64, bool)>;
    /// [`Self::update_charge_emitting`] and, in the same commit, the record of the gateway
    /// webhook that brought this news (`webhook`, already settled), as
    /// [`InboundWebhookStore::record_inbound`] would record it: one commit for the news a
    /// webhook applies. The record must be new, or nothing is written:
    /// [`StoreError::AlreadyExists`] naming [`INBOUND_ENTITY`] when the webhook is already
    /// recorded (another delivery of it), [`StoreError::Conflict`] when the charge moved on.
    async fn update_charge_emitting_inbound(
        &self,
        charge: &Charge,
        expected_version: u64,
        event: &Event,
        message: &QueueMessage,
        webhook: &InboundWebhook,
    ) -> StoreResult<u64>;
    /// What the charges `query` selects cost, one row per group and currency, ordered by key
    /// then currency (the sums are defined in [`costs`]); `schedule` prices what a failed-over
    /// charge would have paid at its first gateway. One pass over the range: SQLite reads the
    /// `(tenant, created_at)` index, DynamoDB each tenant's charge index. An empty range, or a
    /// tenant without charges, is no rows.
    async fn charge_costs(
        &self,
        query: &CostQuery,
        schedule: &FeeSchedule,
    ) -> StoreResult<Vec<CostRow>>;
}

/// The entity [`StoreError`]s name for an idempotency key.
pub const KEY_ENTITY: &str = "idempotency key";

/// The entity [`StoreError`]s name for a gateway webhook's record.
pub const INBOUND_ENTITY: &str = "inbound webhook";

/// One idempotency key's write inside a charge's commit: `record` replaces the key if it is
/// exactly as its writer last saw it (`seen`: the record at its version; `None`: no record).
/// The check is the whole record, not only the version: a key that was released or purged
/// and claimed again starts over at version 1, and a stale writer must not overwrite it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyWrite {
    pub record: IdempotencyRecord,
    pub seen: Option<Versioned<IdempotencyRecord>>,
}

impl KeyWrite {
    /// The version the key has once this write commits (a claim of an expired record goes on
    /// from its version, so a holder of the old lease cannot update the new record).
    pub fn next_version(&self) -> u64 {
        self.seen.as_ref().map_or(1, |s| s.version + 1)
    }
}

// ---------------------------------------------------------------------------------------------
// Idempotency keys

/// Where the request that first used a key is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum IdempotencyState {
    /// Still running, held by `owner` until `lease_until`; after that another instance may
    /// recover it.
    InFlight {
        owner: String,
        lease_until: Timestamp,
    },
    /// Finished: the response to replay. A created charge's answer is not copied here: `event`
    /// names the event written in the same commit, whose charge is the answer (rendered again
    /// on a replay); `body` is then empty. Other answers (errors, refunds) are in `body`.
    Completed {
        status_code: u16,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<EventId>,
        completed_at: Timestamp,
    },
}

/// One idempotency key of one tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub tenant: TenantId,
    pub key: String,
    /// The operation it was used for, e.g. `POST /v1/charges`.
    pub operation: String,
    /// Hash of the canonical request body: a different body under the same key is a 422.
    pub request_hash: String,
    /// The charge the request created or touched, once known.
    pub charge_id: Option<ChargeId>,
    /// The refund the request makes, once its id was chosen (a refund request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<crate::id::RefundId>,
    pub state: IdempotencyState,
    pub created_at: Timestamp,
    /// After this the key is forgotten and may be used again.
    pub expires_at: Timestamp,
}

/// The result of claiming a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key was free (absent or expired): the caller now holds it at this version.
    Claimed { version: u64 },
    /// Someone used the key before and it has not expired.
    Existing(Box<Versioned<IdempotencyRecord>>),
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Puts `record` unless an unexpired record holds the same (tenant, key). An expired one
    /// (`expires_at <= now`) is replaced. Exactly one of several concurrent claimers wins.
    async fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: Timestamp,
    ) -> StoreResult<Claim>;
    async fn get_idempotency_key(
        &self,
        tenant: &TenantId,
        key: &str,
    ) -> StoreResult<Option<Versioned<IdempotencyRecord>>>;
    /// Conditional replace (complete, extend or take over a lease); returns the new version.
    async fn update_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        expected_version: u64,
    ) -> StoreResult<u64>;
    /// Conditional delete: releases a key whose request never started (e.g. it failed
    /// validation), so it may be used again.
    async fn delete_idempotency_key(
        &self,
        tenant: &TenantId,
        key: &str,
        expected_version: u64,
    ) -> StoreResult<()>;
    /// Removes records that expired before `now`; returns how many. (DynamoDB's TTL does this
    /// itself; the call is then a no-op.)
    async fn purge_expired_idempotency_keys(&self, now: Timestamp) -> StoreResult<u64>;
}

// ---------------------------------------------------------------------------------------------
// Shared state documents (breaker state, routing) and counters (health statistics)

/// Names one state document: e.g. scope = tenant, kind = `breaker`, name = `stripe`, as
/// stored. Build one from a [`StateDoc`] (`StateDoc::key`), which renders the name, and read
/// the name back with [`StateKey::doc`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateKey {
    pub tenant: TenantId,
    pub kind: StateKind,
    pub name: String,
}

#[async_trait]
pub trait StateStore: Send + Sync {
    /// A small JSON document that instances share, e.g. a breaker's state or a routing table.
    async fn get_state(&self, key: &StateKey) -> StoreResult<Option<Versioned<serde_json::Value>>>;
    /// Conditional put; returns the new version (1 when created). Exactly one of several
    /// writers expecting the same version wins; the others get [`StoreError::Conflict`] (or
    /// [`StoreError::AlreadyExists`] for [`Expect::Absent`]).
    async fn put_state(
        &self,
        key: &StateKey,
        value: &serde_json::Value,
        expect: Expect,
    ) -> StoreResult<u64>;
    /// Every document of one kind for a tenant, ordered by name.
    async fn list_state(
        &self,
        tenant: &TenantId,
        kind: StateKind,
    ) -> StoreResult<Vec<(String, Versioned<serde_json::Value>)>>;
    /// Deletes a document if it is still at `expected` (a work list's finished entry, so
    /// listings stay as long as the work left): [`StoreError::Conflict`] when it moved on,
    /// [`StoreError::NotFound`] when it is gone.
    async fn delete_state(&self, key: &StateKey, expected: u64) -> StoreResult<()>;
}

/// Names a counter bucket: a series (e.g. `gw:stripe`) of a tenant, at a bucket start time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CounterKey {
    pub tenant: TenantId,
    pub series: String,
    pub bucket: Timestamp,
}

#[async_trait]
pub trait CounterStore: Send + Sync {
    /// Atomically adds each delta to its field of the bucket (creating both as needed); the
    /// bucket may be forgotten after `expires_at`. Concurrent adds never lose an increment.
    async fn add_counters(
        &self,
        key: &CounterKey,
        deltas: &BTreeMap<String, i64>,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// The buckets of one series with `from <= bucket < to`, oldest first.
    async fn read_counters(
        &self,
        tenant: &TenantId,
        series: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<(Timestamp, BTreeMap<String, i64>)>>;
}

// ---------------------------------------------------------------------------------------------
// Inbound webhooks (dedupe + durable record) and the audit log

/// What became of an inbound webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundStatus {
    Received,
    Applied,
    Ignored,
    /// For a charge payorch never made: kept for an operator.
    UnknownCharge,
    Rejected,
}

/// A gateway webhook as received, stored before it is answered 2xx.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundWebhook {
    pub id: InboundId,
    pub tenant: TenantId,
    pub gateway: GatewayId,
    /// The gateway's own event id (for Efí, the endToEndId): the dedupe key.
    pub gateway_event_id: String,
    pub received_at: Timestamp,
    pub body: String,
    pub status: InboundStatus,
    /// Why it was ignored or rejected, for the operator.
    pub note: Option<String>,
}

#[async_trait]
pub trait InboundWebhookStore: Send + Sync {
    /// Stores the webhook unless one with the same (tenant, gateway, gateway_event_id) exists.
    /// Returns `true` when stored (first delivery), `false` for a duplicate.
    async fn record_inbound(&self, webhook: &InboundWebhook) -> StoreResult<bool>;
    async fn get_inbound(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        gateway_event_id: &str,
    ) -> StoreResult<Option<InboundWebhook>>;
    /// Sets the status and note of a recorded webhook.
    async fn set_inbound_status(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        gateway_event_id: &str,
        status: InboundStatus,
        note: Option<&str>,
    ) -> StoreResult<()>;
    /// A tenant's webhooks, newest first.
    async fn list_inbound(&self, tenant: &TenantId, limit: u32)
    -> StoreResult<Vec<InboundWebhook>>;
    /// Empties the `body` of every webhook (of every tenant) received before `before`, keeping
    /// the record itself, so a late redelivery is still deduplicated (the retention of
    /// `[retention] inbound_bodies`). Returns how many bodies were emptied; a second call
    /// with the same time empties none.
    async fn prune_inbound_bodies(&self, before: Timestamp) -> StoreResult<u64>;
}

/// One operator action, for `payorch audit list`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: AuditId,
    pub tenant: TenantId,
    pub at: Timestamp,
    /// Who: the OS user of the CLI, or `api:<key id>`.
    pub actor: String,
    /// What, stored as `noun.verb`: `gateway.switch`, `breaker.open`, `apikey.create`.
    pub action: AuditAction,
    /// What it was done to: a gateway, a key id, a charge id.
    pub target: String,
    /// The change in detail (e.g. `{"from":"stripe","to":"efi"}`).
    pub detail: serde_json::Value,
    pub reason: Option<String>,
}

#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn append_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Newest first; `tenant = None` lists every tenant's entries.
    async fn list_audit(
        &self,
        tenant: Option<&TenantId>,
        starting_after: Option<&AuditId>,
        limit: u32,
    ) -> StoreResult<Page<AuditEntry>>;
}

// ---------------------------------------------------------------------------------------------
// The event log: every outbound event as it was first enqueued

/// Filters for listing a tenant's events. Results are newest first (by id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub kind: Option<EventType>,
    pub charge: Option<ChargeId>,
    /// Only events with ids strictly older than this one (the previous page's cursor).
    pub starting_after: Option<EventId>,
    /// At most this many (backends cap it at 1000); 0 means the default of 20.
    pub limit: u32,
}

#[async_trait]
pub trait EventLog: Send + Sync {
    /// Stores an event; [`StoreError::AlreadyExists`] when its id is taken.
    async fn record_event(&self, event: &Event) -> StoreResult<()>;
    /// A tenant's event. Another tenant's id reads as `None`.
    async fn get_event(&self, tenant: &TenantId, id: &EventId) -> StoreResult<Option<Event>>;
    async fn list_events(&self, tenant: &TenantId, query: &EventQuery) -> StoreResult<Page<Event>>;
}

// ---------------------------------------------------------------------------------------------
// The delivery queue and its dead-letter queue

/// A message as enqueued: an outbound event for a tenant's endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueMessage {
    pub id: MessageId,
    pub tenant: TenantId,
    /// The event's JSON, exactly as it will be delivered.
    pub body: String,
    pub enqueued_at: Timestamp,
    /// The message group (SQS FIFO's `MessageGroupId`): messages of one group are handed out
    /// one at a time, in the order they were enqueued; see [`DeliveryQueue`]. A charge's events
    /// use the charge id. `None`: no order with any other message. Names are compared across
    /// the whole queue, so they must be unique across tenants (charge ids are). Messages stored
    /// before groups existed read as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// A message handed to a consumer, invisible to others until its visibility timeout passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub message: QueueMessage,
    /// Proof of this receipt: `ack`, `retry_later` and `dead_letter` must present it. A
    /// receipt is stale once the message was received again after its timeout.
    pub receipt: String,
    /// How many times the message has been received, this time included.
    pub receive_count: u32,
    /// The error recorded by the previous `retry_later`, if any.
    pub last_error: Option<String>,
}

/// A message that exhausted its retries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub message: QueueMessage,
    pub receive_count: u32,
    pub last_error: String,
    pub dead_at: Timestamp,
}

/// How many messages are where.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueStats {
    /// Visible now (one may still wait for an older message of its group).
    pub ready: u64,
    /// Received and not yet acknowledged, or waiting for a retry.
    pub delayed: u64,
    pub dead: u64,
    pub oldest_dead_at: Option<Timestamp>,
}

/// The delivery queue: at-least-once, with visibility timeouts, and FIFO within a message group.
///
/// **Groups.** A message's place in its group is the order the queue accepted it (not its
/// `enqueued_at`, which is the sender's clock). [`DeliveryQueue::receive`] never hands out a
/// message while an older message of its group is still in the queue: visible, received and
/// not yet acknowledged, waiting for a retry, or **dead** (in the dead-letter queue). So a
/// group's messages are in flight one at a time, in order, and a dead letter holds its group:
/// the newer messages wait (unreceived, no attempts counted) until an operator replays it,
/// which puts it back in its original place, ahead of them, or purges it, which lets them go.
/// Messages without a group, and other groups, are never held back by a group.
///
/// (SQS FIFO does the in-flight part natively but releases a group when a message goes to its
/// DLQ. The DynamoDB + SQS backend keeps the order in the table instead, the dead letter in
/// its group's lane and a copy in the SQS DLQ: see `store/dynamo/queue/`.)
#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    /// Adds a message, visible after `delay`, last in its group. Enqueuing an id already
    /// queued or dead is [`StoreError::AlreadyExists`].
    async fn enqueue(&self, message: &QueueMessage, delay: Duration) -> StoreResult<()>;
    /// Up to `max` visible messages, oldest first, each hidden from other receivers for
    /// `visibility`. Two concurrent receivers never get the same message. A message whose
    /// group has an older message in the queue or the DLQ is not received (see above); so
    /// one batch holds at most one message of a group.
    async fn receive(
        &self,
        max: u32,
        visibility: Duration,
        now: Timestamp,
    ) -> StoreResult<Vec<Received>>;
    /// Deletes a delivered message. Returns `false` if the receipt is stale (the message was
    /// received again, or is gone): nothing changes then.
    async fn ack(&self, id: &MessageId, receipt: &str) -> StoreResult<bool>;
    /// [`DeliveryQueue::ack`] for several delivered messages at once (the delivery worker's
    /// batch): one answer per pair, in order, each what `ack` would have answered (`false`: a
    /// stale or unknown receipt, nothing changed for that message). A message listed twice is
    /// acknowledged once (the second answer is `false`). Each group's next message becomes
    /// receivable as with `ack`. SQLite commits them all in one transaction; DynamoDB + SQS
    /// batches what its conditions allow (see `store/dynamo/queue/`). An `Err` means some may
    /// be acknowledged and some not: the rest come back after their visibility timeout.
    async fn ack_many(&self, acks: &[(MessageId, String)]) -> StoreResult<Vec<bool>>;
    /// Hides the message for `delay` more and records `error`. `false` on a stale receipt.
    async fn retry_later(
        &self,
        id: &MessageId,
        receipt: &str,
        delay: Duration,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Moves the message to the dead-letter queue with its last error. `false` on a stale
    /// receipt. Its group's newer messages wait until it is replayed or purged.
    async fn dead_letter(
        &self,
        id: &MessageId,
        receipt: &str,
        error: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Dead letters, newest first, optionally one tenant's and dead at or after `since`.
    async fn list_dead(
        &self,
        tenant: Option<&TenantId>,
        since: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<DeadLetter>>;
    async fn get_dead(&self, id: &MessageId) -> StoreResult<Option<DeadLetter>>;
    /// Moves a dead letter back to the queue, visible now, its receive count reset, in its
    /// original place in its group (ahead of the newer messages it held).
    /// [`StoreError::NotFound`] when no such dead letter.
    async fn replay_dead(&self, id: &MessageId, now: Timestamp) -> StoreResult<()>;
    /// Deletes a dead letter for good; its group's next message may then be received.
    /// [`StoreError::NotFound`] when no such dead letter.
    async fn purge_dead(&self, id: &MessageId) -> StoreResult<()>;
    /// Where messages are: every tenant's, or one tenant's (the dashboard's DLQ panel).
    async fn queue_stats(
        &self,
        tenant: Option<&TenantId>,
        now: Timestamp,
    ) -> StoreResult<QueueStats>;
}

/// Everything the core persists, from one backend.
#[async_trait]
pub trait Store:
    TenantStore
    + ApiKeyStore
    + ChargeStore
    + IdempotencyStore
    + StateStore
    + CounterStore
    + InboundWebhookStore
    + AuditLog
    + EventLog
    + DeliveryQueue
{
    /// Proves the backend can serve a charge now (for `/readyz`): it answers a read and commits
    /// a small write, promptly. Cheap enough to be polled every second; a backend may reuse
    /// its answer briefly (SQLite: up to one second, see `store::sqlite`).
    async fn ping(&self) -> StoreResult<()>;
    /// A short description for logs and `config show`, e.g. `sqlite:/var/lib/payorch/payorch.db`.
    fn describe(&self) -> String;
}
