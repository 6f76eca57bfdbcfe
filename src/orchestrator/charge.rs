//! Creating a charge: routing, breakers, write-ahead attempts, the gateway calls, rule 4 after
//! an ambiguous outcome, and the final commit that stores the outcome with its event.
//!
//! Every gateway call is preceded by a durable record naming it (an `in_flight` attempt with
//! the gateway and the gateway key, one conditional write; the first one is the charge's own
//! creation), and every write is conditional on the version this run last wrote. So a process
//! that dies anywhere leaves a charge that says which gateway to ask, and a run that lost its
//! charge to a recoverer finds out at its next write and stops. Resuming is `recover.rs`.
//!
//! **Two durable commits per charge.** Under an idempotency key ([`KeyHook`], the runtime's
//! lease), the key rides in the charge's own writes: its claim (naming the charge) commits
//! with the charge's creation and first attempt, its answer with the outcome, the event and
//! the delivery. A charge the first gateway decides is two commits in all; each failover adds
//! one (the next attempt's write-ahead record). A crash between the two leaves a claimed key
//! naming a `pending` charge with its attempt in flight: exactly what a retry of the key or
//! the reconciler resumes.

use std::sync::Arc;
use std::time::Instant;

use crate::api::ChargeRequest;
use crate::breaker::Admission;
use crate::clock::Timestamp;
use crate::failpoint;
use crate::gateway::registry::Gateways;
use crate::gateway::{CreateCharge, Gateway, GatewayCharge, GatewayError};
use crate::id::EventId;
use crate::id::{ChargeId, MessageId};
use crate::model::{
    Attempt, AttemptOutcome, BREAKER_OPEN_CODE, Charge, ChargeFailure, ChargeStatus, Event,
    GatewayId, TenantId,
};
use crate::store::{Expect, KEY_ENTITY, KeyWrite, QueueMessage, StoreError};

use super::marks::{Marker, Orphan, OrphanState};
use super::{FlowError, Orchestrator, gateway_key};

/// Why a run stopped before deciding the charge.
#[derive(Debug)]
pub(super) enum Stop {
    /// A conditional write lost: another process took the charge over (its holder looked dead)
    /// or decided it. Its outcome stands; this run must not write again.
    Superseded,
    /// The store failed; the charge stays as last written, for a retry or the reconciler.
    Store(StoreError),
    /// The idempotency key's claim lost to a concurrent request with the same key: this run
    /// wrote nothing.
    KeyTaken,
}

/// The idempotency key a charge is made under, when its writes ride in the charge's commits
/// (see the module docs): the runtime's lease, seen through what the flow needs of it.
#[async_trait::async_trait]
pub trait KeyHook: Send + Sync {
    /// The key's claim, to commit with the charge's creation; `None` when the key is already
    /// stored (a recovered key) and the charge is created alone.
    async fn claim(&self) -> Option<KeyWrite>;
    /// `write` (from [`KeyHook::claim`]) was committed.
    async fn claimed(&self, write: KeyWrite);
    /// The key's answer for `charge` as it is about to be committed with `event` (its
    /// snapshot); `None` to leave the key to the caller.
    async fn answer(&self, charge: &Charge, event: &EventId) -> Option<KeyWrite>;
    /// `write` (from [`KeyHook::answer`]) was committed.
    async fn answered(&self, write: KeyWrite);
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// How a charge ends up, before it is written.
pub(super) enum Decision {
    /// `g` holds the charge (created, found after an ambiguous call, or declined by the
    /// gateway with a charge object: `gc.status` says which).
    Held(GatewayId, Box<GatewayCharge>),
    /// `g` answered definitively: the charge failed there (a decline, an invalid request).
    Failed(GatewayId, GatewayError),
    /// `g` may hold a card charge nobody can see yet: no failover; the reconciler asks again.
    Unknown(GatewayId, GatewayError),
    /// No gateway took it, and none may hold it.
    NoGateway(String),
}

/// What asking a gateway about an unresolved call found out.
pub(super) enum Resolution {
    Found(Box<GatewayCharge>),
    /// A definitive answer without a charge: declined or invalid.
    Refused(GatewayError),
    /// The gateway holds nothing for it, and the call is old enough for that to be believed.
    NotCreated,
    /// Still unknown.
    Undecided(GatewayError),
}

/// One run of the charge flow over one charge.
pub(super) struct ChargeRun<'a> {
    pub(super) o: &'a Orchestrator,
    pub(super) gateways: Arc<Gateways>,
    /// The merchant's request; `None` when the reconciler or a webhook resumes the charge: they
    /// have no card token, so they may ask gateways but never call one to create.
    pub(super) request: Option<&'a ChargeRequest>,
    pub(super) charge: Charge,
    /// The version this run last wrote; 0 before the charge is stored.
    pub(super) version: u64,
    /// The idempotency key whose writes ride in this run's commits, if any.
    pub(super) key: Option<&'a dyn KeyHook>,
}

impl Orchestrator {
    /// Creates a charge with id `id` (the caller generates it and records it on its
    /// idempotency lease first, so a recoverer can find the charge). Returns the charge as
    /// stored, or why there is none, e.g. when no gateway could take it (the failed charge is
    /// stored too, for operators).
    pub async fn create_charge(
        &self,
        tenant: &TenantId,
        id: ChargeId,
        request: &ChargeRequest,
        key: Option<&dyn KeyHook>,
    ) -> Result<Charge, FlowError> {
        let gateways = self.gateways.for_tenant(tenant);
        let candidates = self.routes.candidates(tenant, request, &gateways).await?;
        let now = self.clock.now();
        let mut charge = Charge::new(
            id,
            tenant.clone(),
            request.money,
            request.method,
            request.customer.clone(),
            now,
        );
        charge.description = request.description.clone();
        charge.metadata = request.metadata.clone();
        let mut run = ChargeRun {
            o: self,
            gateways,
            request: Some(request),
            charge,
            version: 0,
            key,
        };
        let decided = run.route(candidates, &[]).await;
        let result = match decided {
            Ok(decision) => run.finish(decision).await,
            Err(stop) => Err(stop),
        };
        self.answer(tenant, &run.charge.id, result).await
    }

    /// The answer to the merchant for a run's result: the charge, or why there is none yet.
    pub(super) async fn answer(
        &self,
        tenant: &TenantId,
        id: &ChargeId,
        result: Result<Charge, Stop>,
    ) -> Result<Charge, FlowError> {
        let charge = match result {
            Ok(charge) => charge,
            Err(Stop::Store(e)) => return Err(FlowError::Store(e)),
            Err(Stop::KeyTaken) => return Err(FlowError::KeyTaken),
            // Someone else took the charge over: answer what it is now.
            Err(Stop::Superseded) => {
                let current = self.store.get_charge(tenant, id).await?.map(|v| v.value);
                match current {
                    Some(c) if c.status() != ChargeStatus::Pending => c,
                    _ => return Err(FlowError::ChargeInProgress(id.clone())),
                }
            }
        };
        match Self::exhausted(&charge) {
            Some(e) => Err(e),
            None => Ok(charge),
        }
    }

    /// The error a decided charge is answered with instead of itself: a failed charge that no
    /// gateway holds (every candidate failed or was unavailable).
    pub fn exhausted(charge: &Charge) -> Option<FlowError> {
        (charge.gateway.is_none() && charge.status() == ChargeStatus::Failed).then(|| {
            FlowError::Exhausted {
                charge: charge.id.clone(),
                attempts: charge.attempts.clone(),
            }
        })
    }

    /// Enqueues the normalized event for the charge's current status, on its own (for
    /// operators' resends; the flows write it with the charge, see
    /// [`ChargeRun::finish`]).
    pub async fn enqueue_event(&self, charge: &Charge) -> Result<(), FlowError> {
        Ok(self.enqueue_charge_event(charge).await?)
    }

    /// [`Self::enqueue_event`] with the store's own error. The event goes to the event log
    /// first (for `payorch events`), then to the delivery queue as the same JSON; a crash
    /// between the two leaves a logged event that `payorch events resend` can deliver.
    pub(super) async fn enqueue_charge_event(&self, charge: &Charge) -> Result<(), StoreError> {
        let (event, message) = self.news(charge)?;
        self.store.record_event(&event).await?;
        self.store
            .enqueue(&message, std::time::Duration::ZERO)
            .await
    }

    /// The normalized event for `charge` as it is, and its delivery. The delivery's group is
    /// the charge: the merchant gets one charge's events one at a time, in the order the queue
    /// took them, which is the order of the charge's versions (each written with its news).
    pub(super) fn news(&self, charge: &Charge) -> Result<(Event, QueueMessage), StoreError> {
        let event = Event::for_charge(charge, self.clock.now());
        let body = serde_json::to_string(&event)
            .map_err(|e| StoreError::Backend(format!("event not serializable: {e}")))?;
        let message = QueueMessage {
            id: MessageId::generate(),
            tenant: charge.tenant.clone(),
            body,
            enqueued_at: self.clock.now(),
            group: Some(charge.id.to_string()),
        };
        Ok((event, message))
    }

    /// Writes `charge` (read at `version`) with its news in one commit.
    pub(super) async fn store_with_news(
        &self,
        charge: &Charge,
        version: u64,
    ) -> Result<u64, StoreError> {
        let (event, message) = self.news(charge)?;
        self.store
            .update_charge_emitting(charge, version, &event, &message)
            .await
    }

    /// A tenant's charge, or [`FlowError::NotFound`] naming it.
    pub async fn get_charge(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<(Charge, u64), FlowError> {
        let not_found = || FlowError::NotFound { id: id.to_string() };
        let id = ChargeId::parse(id).map_err(|_| not_found())?;
        let v = self
            .store
            .get_charge(tenant, &id)
            .await?
            .ok_or_else(not_found)?;
        Ok((v.value, v.version))
    }

    pub(super) async fn record_orphan(&self, tenant: &TenantId, charge: &ChargeId, g: GatewayId) {
        let key = Orphan::key(tenant, charge, g);
        let value = Orphan {
            charge: charge.clone(),
            gateway: g,
            state: OrphanState::Pending,
        }
        .to_value();
        match self.store.put_state(&key, &value, Expect::Absent).await {
            Ok(_) | Err(StoreError::Conflict { .. } | StoreError::AlreadyExists { .. }) => {}
            Err(e) => {
                tracing::warn!(%charge, %g, error = %e, "could not record a possible orphan; the reconciler will find it from the charge's attempts");
            }
        }
    }
}

impl ChargeRun<'_> {
    /// The request a gateway gets for this charge: deterministic, so a retry is the same call.
    /// Without the merchant's request (a resumed charge), it carries no card token: good for
    /// lookups only.
    pub(super) fn gateway_request(&self, g: GatewayId) -> Result<CreateCharge, Stop> {
        let c = &self.charge;
        let money = match self.request {
            Some(r) => r.money,
            None => c.money(),
        };
        Ok(CreateCharge {
            charge_id: c.id.clone(),
            idempotency_key: gateway_key(&c.id, g),
            money,
            method: c.method,
            customer: c.customer.clone(),
            description: c.description.clone(),
            metadata: c.metadata.clone(),
            card_token: self.request.and_then(|r| r.card_tokens.get(&g).cloned()),
            expires_in: self.o.settings.payable_for,
        })
    }

    /// Stores `charge` as this run's first write, with the key's claim when there is one.
    async fn create(&mut self, charge: &Charge) -> Result<(), Stop> {
        let claim = match self.key {
            Some(key) => key.claim().await,
            None => None,
        };
        let created = match &claim {
            Some(write) => self.o.store.create_charge_keyed(charge, write).await,
            None => self.o.store.create_charge(charge).await,
        };
        match created {
            Ok(()) => self.version = 1,
            Err(StoreError::Conflict {
                entity: KEY_ENTITY, ..
            }) => return Err(Stop::KeyTaken),
            Err(StoreError::AlreadyExists { .. }) => return Err(Stop::Superseded),
            Err(e) => return Err(Stop::Store(e)),
        }
        if let (Some(key), Some(write)) = (self.key, claim) {
            key.claimed(write).await;
        }
        Ok(())
    }

    /// Writes the charge as this run holds it: creates it the first time, else replaces it if
    /// nobody wrote since this run did.
    pub(super) async fn save(&mut self) -> Result<(), Stop> {
        if self.version == 0 {
            let charge = self.charge.clone();
            self.create(&charge).await?;
            self.o.failpoints.hit(failpoint::CHARGE_STORED).await;
            return Ok(());
        }
        match self.o.store.update_charge(&self.charge, self.version).await {
            Ok(v) => {
                self.version = v;
                Ok(())
            }
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => Err(Stop::Superseded),
            Err(e) => Err(Stop::Store(e)),
        }
    }

    /// Tries the candidates in order, skipping `skip` (gateways this charge already left as
    /// possible orphans), until one decides the charge.
    pub(super) async fn route(
        &mut self,
        candidates: Vec<GatewayId>,
        skip: &[GatewayId],
    ) -> Result<Decision, Stop> {
        let tenant = self.charge.tenant.clone();
        for g in candidates.into_iter().filter(|g| !skip.contains(g)) {
            let Some(gateway) = self.gateways.get(g).cloned() else {
                continue;
            };
            if let Admission::Rejected { reason, retry_at } =
                self.o.breakers.admit(&tenant, g).await
            {
                let until = retry_at.map(|at| format!(" (until {at})"));
                self.charge.attempts.push(Attempt {
                    gateway: g,
                    outcome: AttemptOutcome::UnavailableNotSent,
                    latency_ms: 0,
                    error: Some(format!(
                        "circuit breaker: {reason}{}",
                        until.unwrap_or_default()
                    )),
                    gateway_code: Some(BREAKER_OPEN_CODE.into()),
                    gateway_reference: None,
                    idempotency_key: None,
                    at: self.o.clock.now(),
                });
                continue;
            }
            let req = self.gateway_request(g)?;
            let since = self.o.clock.now();
            let result = match self.call(gateway.as_ref(), &req).await? {
                Err(e) if e.outcome == AttemptOutcome::UnavailableAmbiguous => {
                    self.resolve(gateway.as_ref(), &req, since, e).await?
                }
                Ok(gc) => Resolution::Found(Box::new(gc)),
                Err(e) if e.outcome.is_safe_to_fail_over() => continue,
                Err(e) => Resolution::Refused(e),
            };
            match result {
                Resolution::Found(gc) => return Ok(Decision::Held(g, gc)),
                Resolution::Refused(e) => return Ok(Decision::Failed(g, e)),
                Resolution::NotCreated => continue,
                Resolution::Undecided(e) => {
                    if !self.charge.method.is_payer_initiated() {
                        return Ok(Decision::Unknown(g, e));
                    }
                    // Nothing moves until the payer pays: fail over, and let the reconciler
                    // cancel whatever this gateway may have created.
                    self.o.record_orphan(&tenant, &self.charge.id, g).await;
                }
            }
        }
        Ok(Decision::NoGateway(
            "no gateway could take the charge".into(),
        ))
    }

    /// One call at one gateway: recorded durably before it leaves (rule 5), timed, recorded
    /// in the breaker, its answer kept on the attempt (stored with the next write).
    pub(super) async fn call(
        &mut self,
        gateway: &dyn Gateway,
        req: &CreateCharge,
    ) -> Result<Result<GatewayCharge, GatewayError>, Stop> {
        let now = self.o.clock.now();
        self.charge.attempts.push(Attempt {
            gateway: gateway.id(),
            outcome: AttemptOutcome::InFlight,
            latency_ms: 0,
            error: None,
            gateway_code: None,
            gateway_reference: None,
            idempotency_key: Some(req.idempotency_key.clone()),
            at: now,
        });
        self.charge.updated_at = now;
        self.save().await?;
        self.o
            .failpoints
            .hit(failpoint::CHARGE_ATTEMPT_RECORDED)
            .await;
        // A holder that stalled here for so long that a recoverer may have taken the charge over
        // (and concluded this call was never made) must not send it now.
        if self.o.is_abandoned(now) {
            return Err(Stop::Superseded);
        }

        let started = Instant::now();
        let result = gateway.create_charge(req).await;
        let latency = started.elapsed();
        self.o
            .failpoints
            .hit(failpoint::CHARGE_GATEWAY_ANSWERED)
            .await;

        let (outcome, error, code, reference) = match &result {
            Ok(c) => (
                AttemptOutcome::Success,
                None,
                None,
                Some(c.reference.clone()),
            ),
            Err(e) => (e.outcome, Some(e.message.clone()), e.code.clone(), None),
        };
        self.o.breakers.record(
            &self.charge.tenant,
            gateway.id(),
            outcome,
            latency,
            error.as_deref(),
        );
        if let Some(attempt) = self.charge.attempts.last_mut() {
            attempt.outcome = outcome;
            attempt.latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
            attempt.error = error;
            attempt.gateway_code = code;
            attempt.gateway_reference = reference;
        }
        Ok(result)
    }

    /// Rule 4 after an ambiguous outcome at `gateway` (of a call made at `since`): with the
    /// merchant's request, retry the same gateway with the same key, if sending it again can
    /// make no second charge (`Gateway::create_resend_is_idempotent_for`; not Asaas, not an Efí link); then ask
    /// the gateway what it holds under payorch's keys. Only a charge found or a definitive answer (declined,
    /// invalid) settles it, or a lookup that finds nothing once the grace has passed;
    /// anything else stays undecided, whatever class the retry's own failure had, because the
    /// first call may have created the charge.
    pub(super) async fn resolve(
        &mut self,
        gateway: &dyn Gateway,
        req: &CreateCharge,
        since: Timestamp,
        first: GatewayError,
    ) -> Result<Resolution, Stop> {
        let mut why = first;
        if self.request.is_some() && gateway.create_resend_is_idempotent_for(req.method) {
            match self.call(gateway, req).await? {
                Ok(c) => return Ok(Resolution::Found(Box::new(c))),
                Err(e)
                    if matches!(
                        e.outcome,
                        AttemptOutcome::Declined | AttemptOutcome::Invalid
                    ) =>
                {
                    return Ok(Resolution::Refused(e));
                }
                Err(e) => why = e,
            }
        }
        let found = gateway.find_charge(req).await;
        Ok(match found {
            Ok(Some(found)) => Resolution::Found(Box::new(found)),
            Ok(None) if self.o.clock.now().since(since) >= self.o.settings.lookup_grace => {
                Resolution::NotCreated
            }
            Ok(None) => Resolution::Undecided(GatewayError {
                outcome: AttemptOutcome::UnavailableAmbiguous,
                message: format!("{} (no charge found at the gateway yet)", why.message),
                ..why
            }),
            Err(lookup) => Resolution::Undecided(GatewayError {
                outcome: AttemptOutcome::UnavailableAmbiguous,
                message: format!("{}; the lookup failed too: {}", why.message, lookup.message),
                ..why
            }),
        })
    }

    /// Writes the decision with its event in one commit and returns the charge as stored.
    pub(super) async fn finish(&mut self, decision: Decision) -> Result<Charge, Stop> {
        let now = self.o.clock.now();
        let charge = &mut self.charge;
        match decision {
            Decision::Held(g, gc) => {
                charge.gateway = Some(g);
                charge.gateway_reference = Some(gc.reference.clone());
                charge.pix = gc.pix.clone();
                charge.boleto = gc.boleto.clone();
                charge.link = gc.link.clone();
                charge.failure = gc.failure.clone();
                // An attempt whose answer never came is settled by what was found.
                if let Some(a) = charge.attempts.iter_mut().rev().find(|a| a.gateway == g)
                    && a.outcome.is_unresolved()
                {
                    a.outcome = AttemptOutcome::Success;
                    a.gateway_reference = Some(gc.reference.clone());
                }
                charge.apply_status(gc.status, now);
                charge.settle_fee(gc.fee, &self.o.settings.fees);
            }
            Decision::Unknown(g, e) => {
                charge.gateway = Some(g);
                charge.failure = Some(ChargeFailure {
                    code: "outcome_unknown".into(),
                    message: format!("{e}; payorch will reconcile with {g}"),
                });
                charge.apply_status(ChargeStatus::Unknown, now);
            }
            Decision::Failed(g, e) => {
                charge.gateway = Some(g);
                charge.failure = Some(ChargeFailure {
                    code: e
                        .code
                        .clone()
                        .unwrap_or_else(|| e.outcome.as_str().to_string()),
                    message: e.message.clone(),
                });
                charge.apply_status(ChargeStatus::Failed, now);
            }
            Decision::NoGateway(why) => {
                charge.failure = Some(ChargeFailure {
                    code: "gateway_unavailable".into(),
                    message: why,
                });
                charge.apply_status(ChargeStatus::Failed, now);
            }
        }
        charge.updated_at = now;
        if self.version == 0 {
            // Decided before any call (every breaker refused): store it, then its news.
            let pending = self.charge.as_pending();
            self.create(&pending).await?;
        }
        self.store_outcome().await?;
        self.o.failpoints.hit(failpoint::CHARGE_FINAL_STORED).await;
        self.o.mark_fee_to_read(&self.charge).await;
        Ok(self.charge.clone())
    }

    /// The charge as decided, with its event and delivery, and the key's answer when there is
    /// a key: one commit.
    async fn store_outcome(&mut self) -> Result<(), Stop> {
        let (event, message) = self.o.news(&self.charge)?;
        let answer = match self.key {
            Some(key) => key.answer(&self.charge, &event.id).await,
            None => None,
        };
        let store = &self.o.store;
        let written = match &answer {
            Some(write) => {
                store
                    .update_charge_emitting_keyed(
                        &self.charge,
                        self.version,
                        &event,
                        &message,
                        write,
                    )
                    .await
            }
            None => store
                .update_charge_emitting(&self.charge, self.version, &event, &message)
                .await
                .map(|v| (v, false)),
        };
        match written {
            Ok((version, answered)) => {
                self.version = version;
                if let (true, Some(key), Some(write)) = (answered, self.key, answer) {
                    key.answered(write).await;
                }
                Ok(())
            }
            Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => Err(Stop::Superseded),
            Err(e) => Err(Stop::Store(e)),
        }
    }
}
