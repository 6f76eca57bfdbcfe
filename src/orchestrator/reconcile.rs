//! The reconciler: owns abandoned work. It finishes `pending` charges and in-flight refunds
//! whose holder stopped (by the recovery protocol of `recover.rs`), resolves `unknown` charges
//! and cancels orphans, always by asking the gateways first.

use std::time::Duration;

use crate::failpoint;
use crate::gateway::CreateCharge;
use crate::id::{ChargeId, RefundId};
use crate::model::{Charge, ChargeFailure, ChargeStatus, GatewayId, RefundStatus, TenantId};
use crate::store::{Expect, StoreError};

use super::charge::Stop;
use super::marks::{Marker, ORPHAN_KIND, Orphan, OrphanState};
use super::{Orchestrator, gateway_key};

/// What one reconciliation pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileReport {
    /// Abandoned `pending` charges finished, with the status they ended in.
    pub abandoned: Vec<(ChargeId, ChargeStatus)>,
    /// Refunds left in flight by a holder that stopped, settled.
    pub refunds: Vec<(RefundId, RefundStatus)>,
    /// `unknown` charges resolved, with the status the gateway reported.
    pub resolved: Vec<(ChargeId, ChargeStatus)>,
    /// Orphans cancelled at a gateway the charge left: (charge, gateway, gateway reference).
    pub orphans_cancelled: Vec<(ChargeId, GatewayId, String)>,
    /// Orphans the payer paid anyway: money to return, for an operator.
    pub orphans_paid: Vec<(ChargeId, GatewayId, String)>,
    /// Charges or orphans left for a later pass (the gateway did not answer).
    pub deferred: usize,
    /// Paid charges whose gateway's own fee was read and recorded (it replaced the estimate).
    pub fees_recorded: Vec<ChargeId>,
    /// Paid charges whose fee could not be read after every try: the estimate stays.
    pub fees_given_up: Vec<ChargeId>,
}

/// The most payments the reconciler cancels for one orphan in one pass (a bound on a lookup
/// that keeps answering open payments).
const MAX_ORPHANS_PER_GATEWAY: usize = 10;

/// How long after the last attempt a lookup that finds nothing is believed by default: some
/// gateways' searches (Stripe's) lag behind writes. `recovery.lookup_grace` sets it.
pub const LOOKUP_GRACE: Duration = Duration::from_secs(120);

impl Orchestrator {
    /// The lookup request for a persisted charge at `g` (the same keys the create used).
    fn lookup_request(&self, charge: &Charge, g: GatewayId) -> Option<CreateCharge> {
        Some(CreateCharge {
            charge_id: charge.id.clone(),
            idempotency_key: gateway_key(&charge.id, g),
            money: charge.money(),
            method: charge.method,
            customer: charge.customer.clone(),
            description: charge.description.clone(),
            metadata: charge.metadata.clone(),
            card_token: None,
            expires_in: self.settings.payable_for,
        })
    }

    /// One pass of the reconciler: finishes abandoned charges and refunds, resolves
    /// `unknown` charges by asking their gateway, cancels Pix/boleto orphans left at
    /// gateways a charge failed over from, and reads the gateway's fee of paid charges that
    /// got only the estimate (`fees.rs`).
    pub async fn reconcile_once(&self) -> Result<ReconcileReport, StoreError> {
        let mut report = ReconcileReport::default();
        for tenant in self.store.list_tenants().await? {
            self.reconcile_abandoned(&tenant.id, &mut report).await?;
            let (refunds, deferred) = self.reconcile_refunds(&tenant.id).await?;
            report.refunds.extend(refunds);
            report.deferred += deferred;
            self.reconcile_unknown(&tenant.id, &mut report).await?;
            self.reconcile_orphans(&tenant.id, &mut report).await?;
            self.reconcile_fees(&tenant.id, &mut report).await;
        }
        Ok(report)
    }

    /// Every charge of the tenant in `status`, newest first (the reconciler's statuses hold few).
    async fn charges_with_status(
        &self,
        tenant: &TenantId,
        status: ChargeStatus,
    ) -> Result<Vec<Charge>, StoreError> {
        let mut query = crate::store::ChargeQuery {
            status: Some(status),
            limit: 100,
            ..Default::default()
        };
        let mut all = Vec::new();
        loop {
            let page = self.store.list_charges(tenant, &query).await?;
            all.extend(page.items);
            match page.next_cursor.and_then(|c| ChargeId::parse(&c).ok()) {
                Some(next) => query.starting_after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Finishes the tenant's `pending` charges whose holder has written nothing for
    /// [`super::FlowSettings::abandoned_after`].
    async fn reconcile_abandoned(
        &self,
        tenant: &TenantId,
        report: &mut ReconcileReport,
    ) -> Result<(), StoreError> {
        for charge in &self
            .charges_with_status(tenant, ChargeStatus::Pending)
            .await?
        {
            if !self.is_abandoned(charge.updated_at) {
                continue;
            }
            // Read again for the version the takeover is conditional on.
            let Some(found) = self.store.get_charge(tenant, &charge.id).await? else {
                continue;
            };
            if found.value.status() != ChargeStatus::Pending
                || !self.is_abandoned(found.value.updated_at)
            {
                continue;
            }
            match self.take_over(tenant, found, None, None).await {
                Ok(c) => report.abandoned.push((c.id.clone(), c.status())),
                // Another resumer (a retried key, a webhook, another instance) won.
                Err(Stop::Superseded | Stop::KeyTaken) => report.deferred += 1,
                Err(Stop::Store(e)) => {
                    tracing::warn!(charge = %charge.id, error = %e, "reconcile: abandoned charge not finished; will retry");
                    report.deferred += 1;
                }
            }
        }
        Ok(())
    }

    async fn reconcile_unknown(
        &self,
        tenant: &TenantId,
        report: &mut ReconcileReport,
    ) -> Result<(), StoreError> {
        let gateways = self.gateways.for_tenant(tenant);
        for charge in &self
            .charges_with_status(tenant, ChargeStatus::Unknown)
            .await?
        {
            let (Some(g), Some(gateway)) = (
                charge.gateway,
                charge.gateway.and_then(|g| gateways.get(g).cloned()),
            ) else {
                report.deferred += 1;
                continue;
            };
            let Some(req) = self.lookup_request(charge, g) else {
                continue;
            };
            let found = gateway.find_charge(&req).await;
            self.failpoints
                .hit(failpoint::RECONCILE_GATEWAY_ANSWERED)
                .await;
            let found = match found {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(charge = %charge.id, %g, error = %e, "reconcile: lookup failed; will retry");
                    report.deferred += 1;
                    continue;
                }
            };
            let now = self.clock.now();
            let Some(versioned) = self.store.get_charge(tenant, &charge.id).await? else {
                continue;
            };
            let mut current = versioned.value;
            match found {
                Some(gc) => {
                    current.gateway_reference = Some(gc.reference.clone());
                    current.pix = gc.pix.clone().or(current.pix);
                    current.link = gc.link.clone().or(current.link);
                    current.failure = gc.failure.clone();
                    current.apply_status(gc.status, now);
                    current.settle_fee(gc.fee, &self.settings.fees);
                }
                None if now.since(current.updated_at) >= self.settings.lookup_grace => {
                    current.failure = Some(ChargeFailure {
                        code: "not_created".into(),
                        message: format!(
                            "{g} holds no charge for it: the ambiguous call created nothing"
                        ),
                    });
                    current.apply_status(ChargeStatus::Failed, now);
                }
                None => {
                    report.deferred += 1;
                    continue;
                }
            }
            if current.status() == ChargeStatus::Unknown {
                // The gateway still reports nothing final: nothing to tell the merchant.
                report.deferred += 1;
                continue;
            }
            current.updated_at = now;
            match self.store_with_news(&current, versioned.version).await {
                Ok(_) => {
                    report.resolved.push((current.id.clone(), current.status()));
                    self.mark_fee_to_read(&current).await;
                }
                // Someone else (a webhook, another reconciler) moved it: theirs stands.
                Err(StoreError::Conflict { .. }) => report.deferred += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn reconcile_orphans(
        &self,
        tenant: &TenantId,
        report: &mut ReconcileReport,
    ) -> Result<(), StoreError> {
        let gateways = self.gateways.for_tenant(tenant);
        for (_, doc) in self.store.list_state(tenant, ORPHAN_KIND).await? {
            let Some(Orphan {
                charge: charge_id,
                gateway: g,
                state: OrphanState::Pending,
            }) = Orphan::parse(&doc.value)
            else {
                continue;
            };
            let (Some(gateway), Some(charge)) = (
                gateways.get(g).cloned(),
                self.store.get_charge(tenant, &charge_id).await?,
            ) else {
                report.deferred += 1;
                continue;
            };
            // A charge that was recovered at this very gateway adopted what it found there:
            // that is the charge itself, not an orphan. A pending charge's own recovery decides
            // first (it may adopt it).
            if charge.value.gateway == Some(g) || charge.value.status() == ChargeStatus::Pending {
                if charge.value.gateway == Some(g) {
                    self.settle_orphan(tenant, doc.version, OrphanState::Adopted, &charge_id, g)
                        .await?;
                } else {
                    report.deferred += 1;
                }
                continue;
            }
            let Some(req) = self.lookup_request(&charge.value, g) else {
                continue;
            };
            // Looked up again after each cancel: a gateway without idempotency keys (Asaas) may
            // hold more than one payment under the charge's keys (made by an older payorch's
            // resend of the create, or by a create retried after the lookup grace), and its
            // lookup prefers a live one. A reference cancelled in this pass and found open again
            // is a lagging search (Stripe's), not another payment.
            let mut cancelled: Vec<String> = Vec::new();
            let outcome = loop {
                match gateway.find_charge(&req).await {
                    Ok(Some(found)) if found.status.is_paid() => {
                        tracing::warn!(charge = %charge_id, %g, reference = %found.reference, "orphan was paid: the payer must be refunded by an operator");
                        report
                            .orphans_paid
                            .push((charge_id.clone(), g, found.reference.clone()));
                        break OrphanState::Paid {
                            reference: found.reference,
                        };
                    }
                    Ok(Some(found))
                        if found.status.is_final()
                            || cancelled.contains(&found.reference)
                            || cancelled.len() >= MAX_ORPHANS_PER_GATEWAY =>
                    {
                        break match cancelled.first().cloned() {
                            Some(reference) => OrphanState::Cancelled { reference },
                            None => OrphanState::Closed {
                                reference: found.reference,
                            },
                        };
                    }
                    Ok(Some(found)) => match gateway.cancel(&found.reference).await {
                        Ok(_) => {
                            report.orphans_cancelled.push((
                                charge_id.clone(),
                                g,
                                found.reference.clone(),
                            ));
                            cancelled.push(found.reference);
                        }
                        Err(e) => {
                            tracing::warn!(charge = %charge_id, %g, error = %e, "reconcile: orphan cancel failed; will retry");
                            report.deferred += 1;
                            break OrphanState::Pending;
                        }
                    },
                    Ok(None) | Err(_) if !cancelled.is_empty() => {
                        break OrphanState::Cancelled {
                            reference: cancelled[0].clone(),
                        };
                    }
                    Ok(None)
                        if self.clock.now().since(charge.value.created_at)
                            >= self.settings.lookup_grace =>
                    {
                        break OrphanState::None;
                    }
                    Ok(None) | Err(_) => {
                        report.deferred += 1;
                        break OrphanState::Pending;
                    }
                }
            };
            if outcome == OrphanState::Pending {
                // Deferred (a cancel that failed after others succeeded included): the mark
                // stays pending, and the next pass looks again.
                continue;
            }
            self.settle_orphan(tenant, doc.version, outcome, &charge_id, g)
                .await?;
        }
        Ok(())
    }

    /// Records what became of an orphan (`state`), if nobody
    /// wrote its document since version `version`.
    async fn settle_orphan(
        &self,
        tenant: &TenantId,
        version: u64,
        state: OrphanState,
        charge: &ChargeId,
        g: GatewayId,
    ) -> Result<(), StoreError> {
        let key = Orphan::key(tenant, charge, g);
        let outcome = Orphan {
            charge: charge.clone(),
            gateway: g,
            state,
        }
        .to_value();
        match self
            .store
            .put_state(&key, &outcome, Expect::Version(version))
            .await
        {
            Ok(_) | Err(StoreError::Conflict { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
