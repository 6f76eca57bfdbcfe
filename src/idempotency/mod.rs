//! Stripe-style `Idempotency-Key` semantics on top of the [`IdempotencyStore`]: who may run a
//! request, who gets the stored answer replayed, and who is told 409 or 422. Not HTTP (the
//! server maps [`Begin`] to status codes and headers) and not SQL (that is the store's).
//!
//! # The state machine of one (tenant, key)
//!
//! ```text
//!            claim (absent or expired)             complete
//!   free ──────────────────────────────► in flight ─────────► completed ──(expires_at)──► free
//!    ▲                                    │  ▲  │                  │
//!    └───────────── release ──────────────┘  │  │ attach_charge,   └─ same request: Replay
//!                                            │  │ extend (renew)      other request: Mismatch
//!            lease passed: recover ──────────┘◄─┘
//! ```
//!
//! [`IdempotencyKeys::begin`] answers, for a request arriving with a key:
//!
//! * the key is free (never used, or `expires_at <= now`) → [`Begin::Proceed`]: this caller holds
//!   the key under a lease and must [`Lease::complete`] or [`Lease::release`] it;
//! * it was used for a different operation or body → [`Begin::Mismatch`] (422), whether the first
//!   request is still running or finished;
//! * it finished → [`Begin::Replay`] of the stored status and body, or [`Begin::ReplayEvent`]
//!   when the stored answer is the charge of an event (a created charge's, see below);
//! * it is in flight and the holder's lease is still valid → [`Begin::InProgress`] (409);
//! * it is in flight and the lease has passed (the holder died or hung) → [`Begin::Recover`]:
//!   this caller takes the key over and must find out what the dead holder did (look the charge
//!   up at the gateway by the charge id on the record) before completing. It must not guess.
//!
//! # A charge's key rides in the charge's commits
//!
//! [`IdempotencyKeys::begin_charge`] (what `POST /v1/charges` uses) answers the same, but for a
//! free key it writes nothing: the lease is *staged*, and its claim (naming the charge) is a
//! [`KeyWrite`] the charge flow commits with the charge's creation; the key's answer (a
//! pointer to the event committed with the charge's outcome) is another, committed with that
//! outcome ([`Lease::claim_write`], [`Lease::answer_write`]). Each `KeyWrite` is conditional on
//! the key being exactly the record its writer last saw, inside the charge's own transaction
//! (one SQLite transaction, one DynamoDB `TransactWriteItems`), so the rules below hold for it
//! too: of two staged duplicates only one creation commits. Refunds and everything else use
//! the single writes below.
//!
//! # Why every step is one conditional write
//!
//! Several `serve` instances race on the same key. Each transition is a single write to the one
//! record that only succeeds if nobody else wrote first: the claim is "put unless an unexpired record
//! exists"; a takeover, an `attach_charge`, an `extend` and a `complete` are "replace if still at
//! version *v*"; a release is "delete if still at version *v*". Exactly one of several concurrent
//! writers wins each step; the losers re-read and answer from what the winner wrote. That is what
//! keeps two concurrent duplicates from both reaching a gateway (rule 2).
//!
//! A holder's writes also check, by reading first, that the record at its version still names
//! its lease (each lease has a unique owner token). The version alone is not enough: a released
//! key that is claimed again starts over at version 1, and a holder whose lease was recovered
//! and then released must not overwrite the new claimer's record.
//!
//! # Time
//!
//! Keys live `ttl` (at least 24 h) after their first use, and a completed response is kept at
//! least `ttl` after it was stored. A lease lasts `lease` from the holder's last write; it must
//! be longer than the slowest chain of gateway calls the holder makes, because a recoverer
//! that looks the charge up while the holder's call is still in flight could wrongly conclude
//! that nothing happened. Every holder write ([`Lease::attach_charge`], [`Lease::extend`]) renews
//! the lease, and an in-flight record never expires before its lease does.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::clock::{Clock, Timestamp};
use crate::config::IdempotencyConfig;
use crate::id::{ChargeId, EventId, RefundId};
use crate::model::{TenantId, ValidationError};
use crate::store::{
    Claim, IdempotencyRecord, IdempotencyState, IdempotencyStore, KeyWrite, StoreError, Versioned,
};

/// The header the key arrives in; validation errors name it as their `param`.
pub const HEADER: &str = "Idempotency-Key";

/// The longest key accepted, in characters (Stripe's limit).
pub const MAX_KEY_LEN: usize = 255;

/// How many times `begin` re-reads after losing a race on the same key before answering 409.
const BEGIN_ATTEMPTS: usize = 4;

/// Why an idempotency step failed. Outcomes a client caused (409, 422) are [`Begin`] variants,
/// not errors.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The key is not acceptable; `param` is `Idempotency-Key`.
    #[error(transparent)]
    InvalidKey(#[from] ValidationError),
    /// The lease passed and another instance recovered the key (or it was released): this
    /// holder must not write. Nothing was changed.
    #[error(
        "lost the lease on idempotency key `{key}` of tenant `{tenant}`: another request \
         recovered it after the lease passed; nothing was written"
    )]
    LeaseLost { tenant: TenantId, key: String },
    /// `complete` or `release` already succeeded on this lease.
    #[error("the lease on idempotency key `{key}` of tenant `{tenant}` was already {how}")]
    LeaseFinished {
        tenant: TenantId,
        key: String,
        how: &'static str,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to do with a request that carries an idempotency key.
#[derive(Debug)]
pub enum Begin {
    /// The key was free: run the request, then `complete` (or `release` if it was rejected
    /// before any side effect).
    Proceed(Lease),
    /// The same request completed before: answer exactly this, with `Idempotent-Replayed: true`.
    Replay { status_code: u16, body: String },
    /// The same request completed before and its answer is the charge of `event` (written in
    /// the commit that completed the key): render that charge, with `Idempotent-Replayed: true`.
    ReplayEvent { status_code: u16, event: EventId },
    /// The same request is still running under a valid lease elsewhere: 409.
    InProgress,
    /// The key was used with a different operation or body: 422.
    Mismatch,
    /// The previous holder's lease passed while it was in flight. This caller now holds the key
    /// and must find out what happened (the record carries the charge id, if one was attached)
    /// before completing. The record is as the previous holder left it.
    Recover(Lease, Box<IdempotencyRecord>),
}

/// Settings of an [`IdempotencyKeys`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencySettings {
    /// How long a key is remembered after its first use (at least 24 h in production).
    pub ttl: Duration,
    /// How long a holder may go without writing before another instance may recover the key.
    pub lease: Duration,
    /// This process, for the records it holds: see [`process_owner`].
    pub owner: String,
}

impl IdempotencySettings {
    /// Longer than the slowest gateway call chain (connect + read timeouts, one same-gateway
    /// retry), so a live holder is never recovered from under itself.
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

    /// The configured TTL and lease, and [`process_owner`].
    pub fn from_config(config: &IdempotencyConfig) -> Self {
        IdempotencySettings {
            ttl: config.ttl.0,
            lease: config.lease.0,
            owner: process_owner(),
        }
    }
}

/// Names this process in the records it holds: host, pid and a random part (so a restarted
/// process with a recycled pid is someone else).
pub fn process_owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    let mut random = [0u8; 4];
    let suffix = match getrandom::fill(&mut random) {
        Ok(()) => random.iter().map(|b| format!("{b:02x}")).collect(),
        Err(_) => crate::id::new_ulid().to_string(),
    };
    format!("{host}:{}:{suffix}", std::process::id())
}

/// Checks an `Idempotency-Key` header value: 1 to 255 printable ASCII characters (space
/// included), not starting or ending with whitespace. UUIDs and ULIDs pass.
pub fn validate_key(key: &str) -> Result<(), ValidationError> {
    let fail = |message: &str| Err(ValidationError::new(HEADER, message));
    if key.is_empty() {
        return fail("must not be empty");
    }
    if let Some(bad) = key.chars().find(|c| !(' '..='~').contains(c)) {
        return fail(&format!(
            "may contain only printable ASCII characters, found {}",
            bad.escape_default()
        ));
    }
    if key.len() > MAX_KEY_LEN {
        return fail(&format!(
            "is {} characters long; at most {MAX_KEY_LEN} are allowed",
            key.len()
        ));
    }
    if key.starts_with(' ') || key.ends_with(' ') {
        return fail("must not start or end with whitespace");
    }
    Ok(())
}

/// The fingerprint stored with a key: SHA-256 (lowercase hex) of the operation (e.g.
/// `POST /v1/charges`), a NUL byte, and the body in canonical JSON: object keys sorted (by
/// bytes) at every depth, no insignificant whitespace, strings and numbers as serde_json writes
/// them. So `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request; `1` and `1.0` are not;
/// and the same body sent to another endpoint is a different request.
pub fn request_hash(operation: &str, body: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(body, &mut canonical);
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0u8]);
    hasher.update(canonical.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            // serde_json's map is sorted today, but a dependency enabling its `preserve_order`
            // feature would silently change that; sort here so the hash never depends on it.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The idempotency keys of every tenant, over one store. Cheap to share behind an `Arc`.
pub struct IdempotencyKeys {
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    settings: IdempotencySettings,
    /// Makes each lease's owner token unique within this process.
    next_lease: AtomicU64,
}

impl IdempotencyKeys {
    pub fn new(
        store: Arc<dyn IdempotencyStore>,
        clock: Arc<dyn Clock>,
        settings: IdempotencySettings,
    ) -> Self {
        IdempotencyKeys {
            store,
            clock,
            settings,
            next_lease: AtomicU64::new(1),
        }
    }

    pub fn settings(&self) -> &IdempotencySettings {
        &self.settings
    }

    /// Decides what a request carrying `key` may do; see [`Begin`] and the module docs.
    /// `request_hash` is [`request_hash`] of the request's operation and body. The key is
    /// validated first ([`IdempotencyError::InvalidKey`]); store failures pass through.
    pub async fn begin(
        &self,
        tenant: &TenantId,
        key: &str,
        operation: &str,
        request_hash: &str,
    ) -> Result<Begin, IdempotencyError> {
        validate_key(key)?;
        for _ in 0..BEGIN_ATTEMPTS {
            let now = self.clock.now();
            let record = self.fresh_record(tenant, key, operation, request_hash, now);
            let existing = match self.store.claim_idempotency_key(&record, now).await? {
                Claim::Claimed { version } => {
                    return Ok(Begin::Proceed(self.lease(record, version)));
                }
                Claim::Existing(existing) => *existing,
            };
            if let Some(answer) = self.judge(existing, &record, now).await? {
                return Ok(answer);
            }
        }
        // Lost every race: someone is actively working on this key.
        Ok(Begin::InProgress)
    }

    /// [`Self::begin`] for a request that creates charge `charge`, without writing the claim:
    /// a free key comes back as a *staged* lease ([`Lease::claim_write`]) whose claim, naming
    /// the charge, the caller commits together with the charge's creation (one durable write
    /// instead of three: claim, attach, create). Until then nothing is written, so a request
    /// rejected before it (invalid, no route) leaves no trace; a concurrent duplicate may also
    /// get a staged lease, and only one of the two creations commits (the key's condition), the
    /// other's caller answering 409. A key that is in use is answered as by [`Self::begin`].
    pub async fn begin_charge(
        &self,
        tenant: &TenantId,
        key: &str,
        operation: &str,
        request_hash: &str,
        charge: &ChargeId,
    ) -> Result<Begin, IdempotencyError> {
        validate_key(key)?;
        for _ in 0..BEGIN_ATTEMPTS {
            let now = self.clock.now();
            let mut record = self.fresh_record(tenant, key, operation, request_hash, now);
            record.charge_id = Some(charge.clone());
            let seen = self.store.get_idempotency_key(tenant, key).await?;
            match seen {
                Some(existing) if existing.value.expires_at > now => {
                    if let Some(answer) = self.judge(existing, &record, now).await? {
                        return Ok(answer);
                    }
                }
                free => {
                    let mut lease = self.lease(record, 0);
                    lease.staged = Some(Box::new(free));
                    return Ok(Begin::Proceed(lease));
                }
            }
        }
        Ok(Begin::InProgress)
    }

    /// The record a request claiming `key` now writes.
    fn fresh_record(
        &self,
        tenant: &TenantId,
        key: &str,
        operation: &str,
        request_hash: &str,
        now: Timestamp,
    ) -> IdempotencyRecord {
        let lease_until = now.plus(self.settings.lease);
        IdempotencyRecord {
            tenant: tenant.clone(),
            key: key.to_string(),
            operation: operation.to_string(),
            request_hash: request_hash.to_string(),
            charge_id: None,
            refund_id: None,
            state: IdempotencyState::InFlight {
                owner: self.lease_token(),
                lease_until,
            },
            created_at: now,
            expires_at: now.plus(self.settings.ttl).max(lease_until),
        }
    }

    /// What an unexpired record used by someone else means for `record`'s request: a replay,
    /// 409, 422, or a takeover of a dead holder's key. `None`: the takeover lost a race; look
    /// again.
    async fn judge(
        &self,
        existing: Versioned<IdempotencyRecord>,
        record: &IdempotencyRecord,
        now: Timestamp,
    ) -> Result<Option<Begin>, IdempotencyError> {
        let previous = existing.value;
        if previous.operation != record.operation || previous.request_hash != record.request_hash {
            return Ok(Some(Begin::Mismatch));
        }
        match &previous.state {
            IdempotencyState::Completed {
                status_code,
                event: Some(event),
                ..
            } => {
                return Ok(Some(Begin::ReplayEvent {
                    status_code: *status_code,
                    event: event.clone(),
                }));
            }
            IdempotencyState::Completed {
                status_code, body, ..
            } => {
                return Ok(Some(Begin::Replay {
                    status_code: *status_code,
                    body: body.clone(),
                }));
            }
            IdempotencyState::InFlight {
                lease_until: held_until,
                ..
            } if *held_until > now => return Ok(Some(Begin::InProgress)),
            IdempotencyState::InFlight { .. } => {}
        }
        // The holder's lease passed: take the key over, keeping its history (charge id,
        // created_at) so the recoverer can find out what the holder did.
        let lease_until = now.plus(self.settings.lease);
        let takeover = IdempotencyRecord {
            state: record.state.clone(),
            expires_at: previous.expires_at.max(lease_until),
            ..previous.clone()
        };
        match self
            .store
            .update_idempotency_key(&takeover, existing.version)
            .await
        {
            Ok(version) => Ok(Some(Begin::Recover(
                self.lease(takeover, version),
                Box::new(previous),
            ))),
            // Another recoverer (or the holder itself) wrote first: look again.
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the records that expired at or before now; returns how many.
    pub async fn purge_expired(&self) -> Result<u64, IdempotencyError> {
        Ok(self
            .store
            .purge_expired_idempotency_keys(self.clock.now())
            .await?)
    }

    fn lease_token(&self) -> String {
        let n = self.next_lease.fetch_add(1, Ordering::Relaxed);
        format!("{}#{n}", self.settings.owner)
    }

    fn lease(&self, record: IdempotencyRecord, version: u64) -> Lease {
        Lease {
            store: Arc::clone(&self.store),
            clock: Arc::clone(&self.clock),
            lease: self.settings.lease,
            ttl: self.settings.ttl,
            record,
            version,
            staged: None,
            finished: None,
        }
    }
}

/// The right to run the request of one key, until `complete` or `release` succeeds or the
/// lease passes and another instance recovers the key. Dropping an unfinished lease leaves the
/// key in flight: after the lease passes, the next request with the key recovers it.
pub struct Lease {
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    lease: Duration,
    ttl: Duration,
    /// The record as this holder last wrote it, at `version`.
    record: IdempotencyRecord,
    version: u64,
    /// A lease from [`IdempotencyKeys::begin_charge`] whose claim is not written yet: what the
    /// key was when it was found free (`None`: no record). Nothing of it is stored until the
    /// caller commits [`Lease::claim_write`].
    staged: Option<Box<Option<Versioned<IdempotencyRecord>>>>,
    /// Set once `complete` ("completed") or `release` ("released") succeeded.
    finished: Option<&'static str>,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("record", &self.record)
            .field("version", &self.version)
            .field("staged", &self.staged.is_some())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl Lease {
    pub fn tenant(&self) -> &TenantId {
        &self.record.tenant
    }

    pub fn key(&self) -> &str {
        &self.record.key
    }

    /// The charge attached to the key, by this holder or a previous one.
    pub fn charge_id(&self) -> Option<&ChargeId> {
        self.record.charge_id.as_ref()
    }

    /// Until when this holder is safe from recovery; `None` once finished. Do not start a
    /// gateway call that may outlast it: [`Lease::extend`] first.
    pub fn lease_until(&self) -> Option<Timestamp> {
        match (&self.record.state, self.finished) {
            (IdempotencyState::InFlight { lease_until, .. }, None) => Some(*lease_until),
            _ => None,
        }
    }

    /// Records `charge_id` on the key and renews the lease. Call it before any gateway call, so
    /// that a recoverer can look the charge up.
    pub async fn attach_charge(&mut self, charge_id: ChargeId) -> Result<(), IdempotencyError> {
        let mut next = self.renewed()?;
        next.charge_id = Some(charge_id);
        self.write(next).await
    }

    /// The refund attached to the key, by this holder or a previous one.
    pub fn refund_id(&self) -> Option<&RefundId> {
        self.record.refund_id.as_ref()
    }

    /// Records the id of the refund this request makes, and renews the lease. Call it before
    /// the refund is recorded on its charge, so a retry of the key resumes that refund (with
    /// the same gateway key) instead of making another.
    pub async fn attach_refund(&mut self, refund_id: RefundId) -> Result<(), IdempotencyError> {
        let mut next = self.renewed()?;
        next.refund_id = Some(refund_id);
        self.write(next).await
    }

    /// The claim a staged lease's caller commits with its first write, its lease renewed from
    /// now; `None` once the key is written (or for a lease that was never staged).
    pub fn claim_write(&self) -> Option<KeyWrite> {
        let seen = *self.staged.clone()?;
        let record = self.renewed().ok()?;
        Some(KeyWrite { record, seen })
    }

    /// `write` (from [`Lease::claim_write`]) was committed: the key is this holder's.
    pub fn claim_committed(&mut self, write: KeyWrite) {
        self.version = write.next_version();
        self.record = write.record;
        self.staged = None;
    }

    /// The write that completes the key with the charge of `event` as its answer (status
    /// `status_code`), for the caller to commit with that event: see
    /// [`IdempotencyState::Completed`]. An error when the lease is finished or still staged.
    pub fn answer_write(
        &self,
        status_code: u16,
        event: &EventId,
    ) -> Result<KeyWrite, IdempotencyError> {
        self.completion_write(status_code, String::new(), Some(event.clone()))
    }

    /// [`Lease::answer_write`] for an answer kept as it is (an error's body).
    pub fn answer_body_write(
        &self,
        status_code: u16,
        body: String,
    ) -> Result<KeyWrite, IdempotencyError> {
        self.completion_write(status_code, body, None)
    }

    fn completion_write(
        &self,
        status_code: u16,
        body: String,
        event: Option<EventId>,
    ) -> Result<KeyWrite, IdempotencyError> {
        self.check_unfinished()?;
        if self.staged.is_some() {
            return Err(self.lost());
        }
        let now = self.clock.now();
        let record = IdempotencyRecord {
            state: IdempotencyState::Completed {
                status_code,
                body,
                event,
                completed_at: now,
            },
            expires_at: self.record.expires_at.max(now.plus(self.ttl)),
            ..self.record.clone()
        };
        Ok(KeyWrite {
            record,
            seen: Some(Versioned {
                value: self.record.clone(),
                version: self.version,
            }),
        })
    }

    /// `write` (from [`Lease::answer_write`]) was committed: the key is completed.
    pub fn answer_committed(&mut self, write: KeyWrite) {
        self.version = write.next_version();
        self.record = write.record;
        self.finished = Some("completed");
    }

    /// Whether `complete` (or a committed answer) or `release` succeeded.
    pub fn is_finished(&self) -> bool {
        self.finished.is_some()
    }

    /// Renews the lease for another `lease` from now; returns the new end. A staged lease has
    /// nothing stored to renew: its claim is renewed when it is written.
    pub async fn extend(&mut self) -> Result<Timestamp, IdempotencyError> {
        if self.staged.is_some() {
            return self.lease_until().ok_or_else(|| self.lost());
        }
        let next = self.renewed()?;
        self.write(next).await?;
        self.lease_until().ok_or_else(|| self.lost())
    }

    /// Stores the response to replay for this key. Fails with [`IdempotencyError::LeaseLost`],
    /// writing nothing, if another instance recovered the key meanwhile. A store failure leaves
    /// the lease usable, so `complete` may be retried.
    pub async fn complete(
        &mut self,
        status_code: u16,
        body: String,
    ) -> Result<(), IdempotencyError> {
        self.check_unfinished()?;
        if self.staged.is_some() {
            self.write_claim().await?;
        }
        let next = self.answer_body_write(status_code, body)?.record;
        self.write(next).await?;
        self.finished = Some("completed");
        Ok(())
    }

    /// Writes a staged lease's claim on its own (its caller is finishing without the write it
    /// meant to commit the claim with).
    async fn write_claim(&mut self) -> Result<(), IdempotencyError> {
        let Some(write) = self.claim_write() else {
            return Ok(());
        };
        match self
            .store
            .claim_idempotency_key(&write.record, self.clock.now())
            .await?
        {
            Claim::Claimed { version } => {
                self.record = write.record;
                self.version = version;
                self.staged = None;
                Ok(())
            }
            Claim::Existing(_) => Err(self.lost()),
        }
    }

    /// Forgets the key, so it may be used again: for a request rejected before any side effect
    /// (Stripe does not store validation failures). Never release after a gateway was called.
    pub async fn release(&mut self) -> Result<(), IdempotencyError> {
        self.check_unfinished()?;
        if self.staged.is_some() {
            // Never written: nothing to forget.
            self.finished = Some("released");
            return Ok(());
        }
        self.confirm_held().await?;
        let r = &self.record;
        self.store
            .delete_idempotency_key(&r.tenant, &r.key, self.version)
            .await
            .map_err(|e| self.lost_on_conflict(e))?;
        self.finished = Some("released");
        Ok(())
    }

    /// The current record with the lease renewed from now.
    fn renewed(&self) -> Result<IdempotencyRecord, IdempotencyError> {
        self.check_unfinished()?;
        let IdempotencyState::InFlight { owner, .. } = &self.record.state else {
            return Err(self.lost());
        };
        let lease_until = self.clock.now().plus(self.lease);
        Ok(IdempotencyRecord {
            state: IdempotencyState::InFlight {
                owner: owner.clone(),
                lease_until,
            },
            expires_at: self.record.expires_at.max(lease_until),
            ..self.record.clone()
        })
    }

    /// Replaces the record if it is still this holder's, at this holder's version.
    async fn write(&mut self, next: IdempotencyRecord) -> Result<(), IdempotencyError> {
        self.confirm_held().await?;
        let version = self
            .store
            .update_idempotency_key(&next, self.version)
            .await
            .map_err(|e| self.lost_on_conflict(e))?;
        self.record = next;
        self.version = version;
        Ok(())
    }

    /// Reads the record and checks it is at this holder's version and names this lease (see
    /// the module docs for why the version alone does not prove it).
    async fn confirm_held(&self) -> Result<(), IdempotencyError> {
        let current = self
            .store
            .get_idempotency_key(&self.record.tenant, &self.record.key)
            .await?;
        match current {
            Some(current)
                if current.version == self.version && current.value.state == self.record.state =>
            {
                Ok(())
            }
            _ => Err(self.lost()),
        }
    }

    fn check_unfinished(&self) -> Result<(), IdempotencyError> {
        match self.finished {
            None => Ok(()),
            Some(how) => Err(IdempotencyError::LeaseFinished {
                tenant: self.record.tenant.clone(),
                key: self.record.key.clone(),
                how,
            }),
        }
    }

    fn lost_on_conflict(&self, e: StoreError) -> IdempotencyError {
        match e {
            StoreError::Conflict { .. } | StoreError::NotFound { .. } => self.lost(),
            other => other.into(),
        }
    }

    fn lost(&self) -> IdempotencyError {
        IdempotencyError::LeaseLost {
            tenant: self.record.tenant.clone(),
            key: self.record.key.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
