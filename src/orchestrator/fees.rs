//! The gateway's own fee for a paid charge that got only payorch's estimate (or none), read in
//! the background: Stripe's Pix (paid by a webhook whose intent names its charge by id only, so
//! no balance transaction rides with it) and charges the reconciler resolved through a search.
//! Not the charge path: a flow that stores such a charge leaves a mark (a `fee` state
//! document) after its commit, best effort; the reconciler reads the charge at its gateway
//! (`Gateway::get_charge`, which expands the fee where the gateway has one), records the
//! figure with a conditional write and no event, and on failure tries again with a doubling
//! wait, giving up after [`FEE_READ_TRIES`] with the estimate left in place; a mark is deleted
//! once read or given up (`StateStore::delete_state`, conditional on its version), so a pass
//! lists only the work left. Marks live in the store, so a restart loses none; a crash between a charge's commit and its mark leaves the
//! estimate (the fee is a report's figure, never money moved).

use std::time::Duration;

use crate::id::ChargeId;
use crate::model::{Charge, FeeSource, GatewayId, TenantId};
use crate::store::{Expect, StoreError};

use super::marks::{FEE_KIND, FeeMark, Marker};
use super::{Orchestrator, ReconcileReport, WEBHOOK_UPDATE_TRIES};

/// How many reads of a charge's fee fail before the estimate is left for good.
pub const FEE_READ_TRIES: u32 = 6;

/// The wait after the first failed read; it doubles with each failure, up to [`LONGEST_WAIT`]
/// (1, 2, 4, 8, 16 minutes: about half an hour from the first read to giving up).
const FIRST_WAIT: Duration = Duration::from_secs(60);
const LONGEST_WAIT: Duration = Duration::from_secs(3600);

/// How long to wait after the `tries`-th failed read.
fn wait_after(tries: u32) -> Duration {
    let doublings = tries.saturating_sub(1).min(16);
    FIRST_WAIT.saturating_mul(1 << doublings).min(LONGEST_WAIT)
}

/// What one read did.
enum Read {
    /// The gateway's figure is on the charge now.
    Recorded,
    /// Nothing to read any more: the charge has the gateway's figure, is not paid, or is gone.
    Needless,
}

/// `charge` is paid and has no figure from its gateway.
fn lacks_gateway_fee(charge: &Charge) -> bool {
    charge.status().is_paid() && charge.fee.is_none_or(|f| f.source != FeeSource::Gateway)
}

impl Orchestrator {
    /// Leaves a mark for the reconciler to read `charge`'s fee at its gateway, when the charge
    /// (as just stored) is paid without the gateway's figure and the gateway tells it on a read
    /// (`Capabilities::fee_on_read`). One conditional put, only for such charges; a failure is
    /// logged, never returned: the estimate stays, and nothing about the charge changes.
    pub(super) async fn mark_fee_to_read(&self, charge: &Charge) {
        let Some(g) = charge.gateway else {
            return;
        };
        if !lacks_gateway_fee(charge) {
            return;
        }
        let gateways = self.gateways.for_tenant(&charge.tenant);
        if !gateways
            .get(g)
            .is_some_and(|gw| gw.capabilities().fee_on_read)
        {
            return;
        }
        let mark = FeeMark {
            charge: charge.id.clone(),
            gateway: g,
            tries: 0,
            next_at: self.clock.now(),
        };
        let key = FeeMark::key(&charge.tenant, &charge.id);
        match self
            .store
            .put_state(&key, &mark.to_value(), Expect::Absent)
            .await
        {
            Ok(_) | Err(StoreError::AlreadyExists { .. } | StoreError::Conflict { .. }) => {}
            Err(e) => {
                tracing::warn!(charge = %charge.id, %g, error = %e, "could not leave the fee to read; the estimate stays");
            }
        }
    }

    /// Reads the fees whose marks are due, for one tenant. Never fails the reconciler's pass:
    /// a store or gateway failure is logged and the mark waits for a later pass.
    pub(super) async fn reconcile_fees(&self, tenant: &TenantId, report: &mut ReconcileReport) {
        let marks = match self.store.list_state(tenant, FEE_KIND).await {
            Ok(marks) => marks,
            Err(e) => {
                tracing::warn!(%tenant, error = %e, "reconcile: fee marks not listed; next pass");
                return;
            }
        };
        let now = self.clock.now();
        for (_, doc) in marks {
            let Some(mark) = FeeMark::parse(&doc.value) else {
                continue;
            };
            if mark.next_at > now {
                continue;
            }
            let (charge, gateway) = (mark.charge.clone(), mark.gateway);
            // `None`: finished (read, needless or given up): the mark is deleted.
            let next = match self.read_fee(tenant, &charge, gateway).await {
                Ok(Read::Recorded) => {
                    report.fees_recorded.push(charge.clone());
                    None
                }
                Ok(Read::Needless) => None,
                Err(why) if mark.tries + 1 >= FEE_READ_TRIES => {
                    tracing::warn!(%charge, %gateway, error = %why, "reconcile: gave up reading the gateway's fee; the estimate stays");
                    report.fees_given_up.push(charge.clone());
                    None
                }
                Err(why) => {
                    tracing::info!(%charge, %gateway, error = %why, "reconcile: the gateway's fee not read yet; will retry");
                    Some(FeeMark {
                        tries: mark.tries + 1,
                        next_at: now.plus(wait_after(mark.tries + 1)),
                        ..mark
                    })
                }
            };
            let key = FeeMark::key(tenant, &charge);
            let written = match next {
                Some(next) => self
                    .store
                    .put_state(&key, &next.to_value(), Expect::Version(doc.version))
                    .await
                    .map(|_| ()),
                None => self.store.delete_state(&key, doc.version).await,
            };
            match written {
                // Another reconciler got there first: theirs stands.
                Ok(()) | Err(StoreError::Conflict { .. } | StoreError::NotFound { .. }) => {}
                Err(e) => {
                    tracing::warn!(%charge, error = %e, "reconcile: fee mark not updated; next pass");
                }
            }
        }
    }

    /// Reads charge `id`'s fee at `g` and records it; `Err` says why it could not (the gateway
    /// failed or reports none yet, or the store failed).
    async fn read_fee(
        &self,
        tenant: &TenantId,
        id: &ChargeId,
        g: GatewayId,
    ) -> Result<Read, String> {
        let store_error = |e: StoreError| format!("the store failed: {e}");
        let Some(mut found) = self
            .store
            .get_charge(tenant, id)
            .await
            .map_err(store_error)?
        else {
            return Ok(Read::Needless);
        };
        let reference = match &found.value.gateway_reference {
            Some(r) if found.value.gateway == Some(g) && lacks_gateway_fee(&found.value) => {
                r.clone()
            }
            _ => return Ok(Read::Needless),
        };
        let gateway = self
            .gateways
            .for_tenant(tenant)
            .get(g)
            .cloned()
            .ok_or_else(|| format!("{g} is not configured now"))?;
        let read = gateway
            .get_charge(&reference)
            .await
            .map_err(|e| e.to_string())?;
        let fee = read
            .fee
            .filter(|f| f.source == FeeSource::Gateway)
            .ok_or_else(|| format!("{g} reports no fee for {reference} yet"))?;
        for _ in 0..WEBHOOK_UPDATE_TRIES {
            let mut charge = found.value;
            if !lacks_gateway_fee(&charge) {
                return Ok(Read::Needless);
            }
            charge.settle_fee(Some(fee), &self.settings.fees);
            charge.updated_at = self.clock.now();
            match self.store.update_charge(&charge, found.version).await {
                Ok(_) => return Ok(Read::Recorded),
                Err(StoreError::Conflict { .. }) => {
                    found = match self
                        .store
                        .get_charge(tenant, id)
                        .await
                        .map_err(store_error)?
                    {
                        Some(again) => again,
                        None => return Ok(Read::Needless),
                    };
                }
                Err(e) => return Err(store_error(e)),
            }
        }
        Err(format!("charge {id} kept changing"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_a_minute_up_to_an_hour() {
        let minutes: Vec<u64> = (1..=8).map(|t| wait_after(t).as_secs() / 60).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(wait_after(u32::MAX), LONGEST_WAIT);
    }
}
