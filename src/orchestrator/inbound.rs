//! Gateway webhooks in: what one authentic, parsed gateway event does to its charge, and to
//! the charge's refunds still pending at the gateway (see `refund.rs`).

use std::time::Duration;

use crate::clock::Timestamp;
use crate::gateway::GatewayEvent;
use crate::id::InboundId;
use crate::model::{
    Charge, ChargeStatus, Event, FeeSchedule, GatewayId, RefundStatus, TenantId, Transition,
};
use crate::store::{
    EventQuery, INBOUND_ENTITY, InboundStatus, InboundWebhook, StoreError, Versioned,
};

use super::refund::settle_refunds;
use super::{Orchestrator, WEBHOOK_UPDATE_TRIES};

/// How long a webhook record left `received` (without a note) is taken to be still in progress
/// at another delivery; after that, a crash is assumed and a redelivery processes it again.
pub const INBOUND_IN_FLIGHT_GRACE: Duration = Duration::from_secs(30);

/// What one gateway event did. The server answers 2xx for every variant but [`Applied::NotYet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The charge moved to this status; its normalized event is enqueued.
    Applied(ChargeStatus),
    /// Late, repeated or unmapped news: recorded, nothing changed.
    Ignored(String),
    /// Contradicts what payorch knows (e.g. failed after succeeded): recorded for an operator.
    Rejected(String),
    /// News that does not move the charge brought the gateway's fee for it, which the charge
    /// lacked (it had none, or only the estimate): recorded on the charge, with no event (the
    /// merchant's news is the status; the fee is on the charge and in the reports).
    FeeRecorded(String),
    /// No charge of this tenant matches it: recorded for an operator.
    UnknownCharge(String),
    /// The charge's create flow is still running: nothing changed; the gateway should deliver
    /// it again later (the server answers 503 and the record stays `received`).
    NotYet(String),
    /// Another delivery of the same gateway event is being processed right now: nothing
    /// changed; the server answers 503 so the gateway delivers again (nothing is lost if that
    /// other delivery fails).
    InFlight,
    /// The same gateway event was received and settled before: a no-op.
    Duplicate,
}

impl Applied {
    /// The inbound record's status for this result (`None`: leave it as it is).
    pub fn inbound_status(&self) -> Option<InboundStatus> {
        match self {
            Applied::Applied(_) | Applied::FeeRecorded(_) => Some(InboundStatus::Applied),
            Applied::Ignored(_) => Some(InboundStatus::Ignored),
            Applied::Rejected(_) => Some(InboundStatus::Rejected),
            Applied::UnknownCharge(_) => Some(InboundStatus::UnknownCharge),
            // Stays `received`, with the note saying why, so a redelivery processes it.
            Applied::NotYet(_) => Some(InboundStatus::Received),
            Applied::InFlight | Applied::Duplicate => None,
        }
    }

    /// Why, for the operator.
    pub fn note(&self) -> Option<String> {
        match self {
            Applied::Applied(status) => Some(format!("charge moved to {status}")),
            Applied::Ignored(n)
            | Applied::Rejected(n)
            | Applied::FeeRecorded(n)
            | Applied::UnknownCharge(n)
            | Applied::NotYet(n) => Some(n.clone()),
            Applied::InFlight | Applied::Duplicate => None,
        }
    }
}

impl Orchestrator {
    /// Receives one authentic gateway event: records it durably (the dedupe on the gateway's
    /// event id), applies it with [`Self::apply_gateway_event`] and records the outcome, all
    /// before returning, so a 2xx answered after this loses nothing (rule 5). A record left
    /// `received` by a [`Applied::NotYet`], or by a crash (older than
    /// [`INBOUND_IN_FLIGHT_GRACE`]), is processed again on redelivery; a younger one is another
    /// delivery still at work ([`Applied::InFlight`]).
    pub async fn receive_gateway_event(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        event: &GatewayEvent,
        body: &str,
    ) -> Result<Applied, StoreError> {
        let mut record = InboundWebhook {
            id: InboundId::generate(),
            tenant: tenant.clone(),
            gateway,
            gateway_event_id: event.event_id.clone(),
            received_at: self.clock.now(),
            // Verified on the raw bytes by the caller; kept for diagnosis without personal data
            // (nothing parses it back: dedupe is on the event id).
            body: crate::model::pii::redact_body(body),
            status: InboundStatus::Received,
            note: None,
        };
        // News that can change no charge (nothing to change, or no charge of this tenant) is
        // decided before it is recorded, and recorded settled: one write instead of two.
        // Deciding it writes nothing, so a concurrent delivery of the same event deciding it
        // too is harmless; the record still dedupes, and a duplicate goes the way below.
        let (first, settled) = match self.changes_no_charge(tenant, gateway, event).await? {
            Ok(settled) => (None, Some(settled)),
            Err(charge) => (charge, None),
        };
        // News the charge as read takes nothing from (a late or repeated report, a
        // contradiction, an orphan's news, a charge still being created) is decided on that
        // read as well, as applying it would decide it, and recorded settled in the same one
        // write. Those verdicts hold for every later state of the charge (statuses only move
        // forward, a charge's gateway and reference never change once set), except "still
        // being created", which a redelivery decides again (the record stays `received`).
        let (first, settled) = match (first, settled) {
            (Some(charge), None) => match self.unchanged_by(&charge.value, gateway, event) {
                Some(unchanged) => (None, Some(unchanged)),
                None => (Some(charge), None),
            },
            other => other,
        };
        if let Some(settled) = &settled {
            record.status = settled.inbound_status().unwrap_or(InboundStatus::Received);
            record.note = settled.note();
        }
        // News that moves the charge is applied in one commit with the record (settled as
        // applied), unless the charge moved on since it was read: then, or when the news only
        // settles a refund or the charge is an abandoned pending one, the record is written
        // first and the news applied after it.
        let mut first = first;
        let stored = match (&settled, first.take()) {
            (None, Some(read)) => match self.apply_at_once(&record, read, gateway, event).await? {
                AtOnce::Done(applied) => {
                    self.failpoints
                        .hit(crate::failpoint::INBOUND_RECORDED)
                        .await;
                    self.failpoints.hit(crate::failpoint::INBOUND_APPLIED).await;
                    return Ok(applied);
                }
                AtOnce::Recorded => false,
                AtOnce::NotSo(read) => {
                    first = read.map(|r| *r);
                    self.store.record_inbound(&record).await?
                }
            },
            (_, read) => {
                first = read;
                self.store.record_inbound(&record).await?
            }
        };
        if stored && let Some(settled) = settled {
            self.failpoints
                .hit(crate::failpoint::INBOUND_RECORDED)
                .await;
            self.failpoints.hit(crate::failpoint::INBOUND_APPLIED).await;
            return Ok(settled);
        }
        let mut resumed = false;
        if !stored {
            match self
                .store
                .get_inbound(tenant, gateway, &event.event_id)
                .await?
            {
                Some(existing) if existing.status == InboundStatus::Received => {
                    let stale =
                        self.clock.now().since(existing.received_at) >= INBOUND_IN_FLIGHT_GRACE;
                    if existing.note.is_none() && !stale {
                        return Ok(Applied::InFlight);
                    }
                    resumed = true;
                }
                _ => return Ok(Applied::Duplicate),
            }
        }
        self.failpoints
            .hit(crate::failpoint::INBOUND_RECORDED)
            .await;
        let mut applied = self.apply_from(tenant, gateway, event, first).await?;
        self.failpoints.hit(crate::failpoint::INBOUND_APPLIED).await;
        if resumed && let Applied::Ignored(_) = applied {
            // A charge moves together with its event (one commit), so an earlier delivery that
            // moved it and then died left its event queued: sending another would tell the
            // merchant the same news twice under two event ids. Only a charge whose state the
            // event log lacks (written before moves and events were one commit) gets it now.
            if let (Some(status), Some(charge)) =
                (event.status, self.charge_for_event(tenant, event).await?)
                && charge.value.status() == status
                && !self.state_is_logged(&charge.value).await?
            {
                self.enqueue_charge_event(&charge.value).await?;
                applied = Applied::Applied(status);
            }
        }
        if let Some(status) = applied.inbound_status() {
            let note = applied.note();
            self.store
                .set_inbound_status(tenant, gateway, &event.event_id, status, note.as_deref())
                .await?;
        }
        Ok(applied)
    }

    /// The event log already holds an event showing `charge` as it is now (its status and
    /// refunded amount).
    async fn state_is_logged(&self, charge: &Charge) -> Result<bool, StoreError> {
        let kind = Event::for_charge(charge, self.clock.now()).kind;
        let query = EventQuery {
            kind: Some(kind),
            charge: Some(charge.id.clone()),
            starting_after: None,
            limit: 100,
        };
        let page = self.store.list_events(&charge.tenant, &query).await?;
        Ok(page.items.iter().any(|e| {
            e.data.charge.status() == charge.status()
                && e.data.charge.amount_refunded() == charge.amount_refunded()
        }))
    }

    /// The charge a gateway event is about: by the charge id the gateway echoes (Stripe
    /// metadata, Asaas `externalReference`, the Efí txid). The store has no index on gateway
    /// references, so an event without a charge id names no charge.
    async fn charge_for_event(
        &self,
        tenant: &TenantId,
        event: &GatewayEvent,
    ) -> Result<Option<crate::store::Versioned<Charge>>, StoreError> {
        match &event.charge_id {
            Some(id) => self.store.get_charge(tenant, id).await,
            None => Ok(None),
        }
    }

    /// Applies one gateway event to its charge with the model's transition rules: a
    /// conditional update, retried when another writer moved the charge first. `Apply` updates
    /// the status (and `amount_refunded` for refunds) and enqueues the normalized event;
    /// `Ignore` and `Reject` change nothing. The refunds the event reports final settle the
    /// charge's pending ones (succeeded: with the charge's move and event; failed: the amount
    /// released, no event). Writes nothing to the inbound record (see
    /// [`Self::receive_gateway_event`]).
    pub async fn apply_gateway_event(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        event: &GatewayEvent,
    ) -> Result<Applied, StoreError> {
        self.apply_from(tenant, gateway, event, None).await
    }

    /// `Ok` with the outcome when `event` can change no charge: it reports nothing a charge
    /// takes, or no charge of `tenant` matches it. `Err` with the charge it names otherwise
    /// (read once here, so applying it need not read it again).
    async fn changes_no_charge(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        event: &GatewayEvent,
    ) -> Result<Result<Applied, Option<Versioned<Charge>>>, StoreError> {
        if let Some(ignored) = reports_nothing(event) {
            return Ok(Ok(ignored));
        }
        match self.charge_for_event(tenant, event).await? {
            None => Ok(Ok(unknown_charge(gateway, event))),
            Some(charge) => Ok(Err(Some(charge))),
        }
    }

    /// What applying `event` to `charge` as read would decide when it changes nothing (see
    /// [`decide`]); `None` when it changes the charge, or when the charge is an abandoned
    /// pending one that applying takes over first.
    fn unchanged_by(
        &self,
        charge: &Charge,
        gateway: GatewayId,
        event: &GatewayEvent,
    ) -> Option<Applied> {
        if charge.status() == ChargeStatus::Pending && self.is_abandoned(charge.updated_at) {
            return None;
        }
        decide(
            &mut charge.clone(),
            gateway,
            event,
            self.clock.now(),
            &self.settings.fees,
        )
        .err()
    }

    /// Applies news that moves `read` (the charge as just read) in one commit: the charge, its
    /// event and delivery, and `record` settled as applied. [`AtOnce::NotSo`] when the news
    /// does not move it (it only settles a refund), the charge is an abandoned pending one (to
    /// be taken over first), or it moved on since it was read (then without the stale read).
    async fn apply_at_once(
        &self,
        record: &InboundWebhook,
        read: Versioned<Charge>,
        gateway: GatewayId,
        event: &GatewayEvent,
    ) -> Result<AtOnce, StoreError> {
        if read.value.status() == ChargeStatus::Pending && self.is_abandoned(read.value.updated_at)
        {
            return Ok(AtOnce::NotSo(Some(Box::new(read))));
        }
        let mut charge = read.value.clone();
        let now = self.clock.now();
        if decide(&mut charge, gateway, event, now, &self.settings.fees) != Ok(Change::Moved) {
            return Ok(AtOnce::NotSo(Some(Box::new(read))));
        }
        charge.updated_at = now;
        let applied = Applied::Applied(charge.status());
        let record = InboundWebhook {
            status: InboundStatus::Applied,
            note: applied.note(),
            ..record.clone()
        };
        let (news, message) = self.news(&charge)?;
        match self
            .store
            .update_charge_emitting_inbound(&charge, read.version, &news, &message, &record)
            .await
        {
            Ok(_) => {
                self.mark_fee_to_read(&charge).await;
                Ok(AtOnce::Done(applied))
            }
            Err(StoreError::AlreadyExists { entity, .. }) if entity == INBOUND_ENTITY => {
                Ok(AtOnce::Recorded)
            }
            Err(StoreError::Conflict { .. }) => Ok(AtOnce::NotSo(None)),
            Err(e) => Err(e),
        }
    }

    /// [`Self::apply_gateway_event`], starting from `first` (the charge just read) when given.
    async fn apply_from(
        &self,
        tenant: &TenantId,
        gateway: GatewayId,
        event: &GatewayEvent,
        mut first: Option<Versioned<Charge>>,
    ) -> Result<Applied, StoreError> {
        if let Some(ignored) = reports_nothing(event) {
            return Ok(ignored);
        }
        for _ in 0..WEBHOOK_UPDATE_TRIES {
            let read = match first.take() {
                Some(charge) => Some(charge),
                None => self.charge_for_event(tenant, event).await?,
            };
            let Some(versioned) = read else {
                return Ok(unknown_charge(gateway, event));
            };
            // The charge's holder stopped before deciding it: finish it now (asking the gateway
            // first, like every resumer), then apply this news to what it became.
            if versioned.value.status() == ChargeStatus::Pending
                && self.is_abandoned(versioned.value.updated_at)
            {
                match self.take_over(tenant, versioned, None, None).await {
                    // (No key rides here, so it is never `KeyTaken`.)
                    Ok(_)
                    | Err(super::charge::Stop::Superseded | super::charge::Stop::KeyTaken) => {
                        continue;
                    }
                    Err(super::charge::Stop::Store(e)) => return Err(e),
                }
            }
            let mut charge = versioned.value;
            let now = self.clock.now();
            let change = match decide(&mut charge, gateway, event, now, &self.settings.fees) {
                Ok(change) => change,
                Err(unchanged) => return Ok(unchanged),
            };
            charge.updated_at = now;
            let written = if change == Change::Moved {
                self.store_with_news(&charge, versioned.version).await
            } else {
                // Only a refund's state (a denied refund released) or the fee changed: no news.
                self.store.update_charge(&charge, versioned.version).await
            };
            match written {
                Ok(_) if change == Change::Fee => {
                    let fee = charge.fee.map_or(0, |f| f.amount);
                    return Ok(Applied::FeeRecorded(format!(
                        "recorded {gateway}'s fee of {fee} (minor units) on the {} charge; no event",
                        charge.status()
                    )));
                }
                Ok(_) => {
                    if change == Change::Moved {
                        self.mark_fee_to_read(&charge).await;
                    }
                    return Ok(Applied::Applied(charge.status()));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(format!(
            "the charge of {gateway} event `{}` kept changing; try again",
            event.event_id
        )))
    }
}

/// What [`Orchestrator::apply_at_once`] did.
enum AtOnce {
    /// The news moved the charge, recorded with it in one commit.
    Done(Applied),
    /// The webhook was recorded already (another delivery of it): nothing written.
    Recorded,
    /// Not applied at once; nothing written. The charge as read, if it still is.
    NotSo(Option<Box<Versioned<Charge>>>),
}

/// What [`decide`] changed on a charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// Its status or refunded amount: news for the merchant (an event).
    Moved,
    /// Only a pending refund settled (a failed one released): no news.
    RefundSettled,
    /// Only the gateway's fee, which the paid charge lacked: no news.
    Fee,
}

/// What `event` does to `charge`, in place: `Ok` with what it changed, `Err` with why when it
/// changes nothing (`charge` then is as it was). A charge it changes takes the fee the event
/// reports, or the schedule's estimate, once paid. News that changes nothing else still brings
/// the gateway's fee to a paid charge that has no gateway figure yet (Asaas's
/// `PAYMENT_RECEIVED` after `PAYMENT_CONFIRMED`, a redelivery): an estimate is replaced by the
/// gateway's figure, never the reverse, and a gateway figure already recorded stays.
fn decide(
    charge: &mut Charge,
    gateway: GatewayId,
    event: &GatewayEvent,
    now: Timestamp,
    fees: &FeeSchedule,
) -> Result<Change, Applied> {
    if let Some(refusal) = refuse_news(charge, gateway, event) {
        return Err(refusal);
    }
    let before = (charge.status(), charge.amount_refunded());
    let unchanged = match event.status {
        Some(next) => apply_news(charge, event, next, now),
        None => Some(Applied::Ignored(format!(
            "`{}` events do not change a charge",
            event.kind
        ))),
    };
    if let Some(Applied::Rejected(why)) = unchanged {
        return Err(Applied::Rejected(why));
    }
    let settled = settle_refunds(charge, &event.refunds, now);
    let moved = (charge.status(), charge.amount_refunded()) != before;
    match unchanged {
        Some(_) if !settled && !moved && brings_gateway_fee(charge, event) => {
            charge.settle_fee(event.fee, fees);
            Ok(Change::Fee)
        }
        Some(unchanged) if !settled && !moved => Err(unchanged),
        _ => {
            charge.settle_fee(event.fee, fees);
            Ok(if moved {
                Change::Moved
            } else {
                Change::RefundSettled
            })
        }
    }
}

/// `event` reports the gateway's own fee and `charge` is paid without one: no fee yet, or
/// only payorch's estimate.
fn brings_gateway_fee(charge: &Charge, event: &GatewayEvent) -> bool {
    charge.status().is_paid()
        && event
            .fee
            .is_some_and(|f| f.source == crate::model::FeeSource::Gateway)
        && charge
            .fee
            .is_none_or(|f| f.source != crate::model::FeeSource::Gateway)
}

/// `Ignored` when `event` reports nothing a charge takes: no status and no refund settled.
fn reports_nothing(event: &GatewayEvent) -> Option<Applied> {
    let settles = event
        .refunds
        .iter()
        .any(|n| matches!(n.status, RefundStatus::Succeeded | RefundStatus::Failed));
    (event.status.is_none() && !settles)
        .then(|| Applied::Ignored(format!("`{}` events do not change a charge", event.kind)))
}

/// No charge of the tenant matches `event`.
fn unknown_charge(gateway: GatewayId, event: &GatewayEvent) -> Applied {
    Applied::UnknownCharge(format!(
        "no charge of this tenant matches {gateway} reference `{}`",
        event.reference
    ))
}

/// Why news from `gateway` cannot apply to `charge` as it stands, if it cannot: the charge is
/// still being created, is held by another gateway, is another payment there, or already knows
/// of more refunded than the news says.
fn refuse_news(charge: &Charge, gateway: GatewayId, event: &GatewayEvent) -> Option<Applied> {
    match charge.gateway {
        None if charge.status() == ChargeStatus::Pending
            && event.status.is_none_or(|next| {
                matches!(
                    next,
                    ChargeStatus::Pending | ChargeStatus::RequiresAction | ChargeStatus::Processing
                )
            }) =>
        {
            return Some(Applied::Ignored(format!(
                "reports {} while charge {} is being created: the create flow records that itself",
                event
                    .status
                    .map_or_else(|| event.kind.clone(), |s| s.to_string()),
                charge.id
            )));
        }
        None if charge.status() == ChargeStatus::Pending => {
            return Some(Applied::NotYet(format!(
                "charge {} is still being created",
                charge.id
            )));
        }
        Some(held) if held != gateway => {
            return Some(Applied::Rejected(format!(
                "charge {} is held by {held}, not {gateway}: news of an orphan at {gateway}",
                charge.id
            )));
        }
        _ => {}
    }
    if let Some(known) = &charge.gateway_reference
        && !event.reference.is_empty()
        && known != &event.reference
    {
        return Some(Applied::Rejected(format!(
            "charge {} is `{known}` at {gateway}, the event is about `{}`",
            charge.id, event.reference
        )));
    }
    if let Some(reported) = event.amount_refunded
        && reported < charge.amount_refunded()
    {
        return Some(Applied::Ignored(format!(
            "reports {reported} refunded, less than the {} already known: an earlier refund's news",
            charge.amount_refunded()
        )));
    }
    None
}

/// Applies the news to `charge` with the model's transition rules (status, the reference an
/// `unknown` charge learns, the refunded amount). `Some` says why nothing changed.
fn apply_news(
    charge: &mut Charge,
    event: &GatewayEvent,
    next: ChargeStatus,
    now: Timestamp,
) -> Option<Applied> {
    let before = (charge.status(), charge.amount_refunded());
    if charge.gateway_reference.is_none() && !event.reference.is_empty() {
        // An `unknown` charge learns its reference from the gateway's own news.
        charge.gateway_reference = Some(event.reference.clone());
    }
    match charge.apply_status(next, now) {
        Transition::Ignore => {
            return Some(Applied::Ignored(format!(
                "reports {next} on a {} charge: a late or repeated report",
                charge.status()
            )));
        }
        Transition::Reject => {
            return Some(Applied::Rejected(format!(
                "reports {next}, which contradicts the charge's {} status",
                charge.status()
            )));
        }
        Transition::Apply => {}
    }
    if matches!(
        next,
        ChargeStatus::Refunded | ChargeStatus::PartiallyRefunded
    ) {
        let reported = match (next, event.amount_refunded) {
            (_, Some(amount)) => amount,
            (ChargeStatus::Refunded, None) => charge.amount(),
            _ => charge.amount_refunded(),
        };
        charge.set_amount_refunded(charge.amount_refunded().max(reported));
    }
    if (charge.status(), charge.amount_refunded()) == before {
        return Some(Applied::Ignored(format!(
            "reports the {next} payorch already knows"
        )));
    }
    None
}
