//! Crash cases of the refund flow: a paid card charge is half refunded, the refunding process
//! dies at a crash point while the gateway succeeds, times out after refunding, refuses the
//! connection or answers 5xx; a retry of the key or the reconciler finishes it. A half refund
//! is used so that a refund made twice shows at the gateway (the whole amount back).

use std::time::Duration;

use payorch::failpoint::Action;
use payorch::model::{ChargeStatus, GatewayId, RefundStatus};
use payorch::runtime;
use serde_json::json;

use super::{Behaviour, LEASE, Recovery, TIMEOUT, World};

#[derive(Clone, Copy, Debug)]
pub struct RefundCase {
    pub gateway: GatewayId,
    pub point: &'static str,
    pub behaviour: Behaviour,
    pub recovery: Recovery,
}

const AMOUNT: i64 = 4990;
const HALF: i64 = 2495;

/// Runs one case; `Ok(true)` when the flow did crash at the point.
pub async fn run_refund_case(case: RefundCase) -> Result<bool, String> {
    let mut config = payorch::config::Config::default();
    config.routing.primary = case.gateway;
    config.routing.fallbacks = vec![];
    for s in [
        &mut config.gateways.stripe.timeout,
        &mut config.gateways.asaas.timeout,
    ] {
        *s = payorch::config::HumanDuration(TIMEOUT);
    }
    config.idempotency.lease = payorch::config::HumanDuration(LEASE);
    config.recovery.lookup_grace = payorch::config::HumanDuration(Duration::ZERO);
    let mut world = World::new(config).await;
    let body = json!({
        "amount": AMOUNT, "currency": "BRL", "method": "card",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25"},
        "metadata": {"remote_ip": "203.0.113.7"},
        "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "tok_asaas_ok"}},
    });
    let survivor = world.core();
    let created = super::create(&survivor, &world.tenant, "charge-1", &body).await;
    let charge: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    let id = charge["id"].as_str().unwrap().to_string();
    // On a loaded machine the charge's own call can outlast its timeout and end `unknown`:
    // the reconciler settles it, as it would in production.
    if charge["status"] == "unknown" {
        world.reconcile(&survivor, 2).await?;
    }
    let charge = world.charge(&id).await.unwrap();
    if charge.status() != ChargeStatus::Succeeded {
        return Err(format!(
            "the charge to refund did not succeed: {}",
            created.body
        ));
    }
    let reference = charge.gateway_reference.clone().unwrap();

    world.behave(case.gateway, case.behaviour).await;
    let refund = json!({"amount": HALF, "reason": "requested_by_customer"});
    let doomed = world.core();
    doomed
        .orchestrator
        .failpoints
        .arm_with(case.point, Action::Panic, 0);
    let a = runtime::refund(
        &doomed.orchestrator,
        &doomed.idempotency,
        &payorch::server::HttpRender,
        &world.tenant,
        &id,
        "refund-1",
        &refund,
    )
    .await;
    let crashed = a.status == 500 && a.body.contains("internal_error");
    drop(doomed);
    world.recover_gateways(case.behaviour).await;

    if case.recovery == Recovery::KeyRetry {
        // `refund_outcome_unknown` asks the merchant to retry later with the same key; a
        // merchant does, and so does this test, a few times (on a loaded machine a gateway
        // call can outlast its timeout).
        let mut tries = 0;
        loop {
            let a = runtime::refund(
                &survivor.orchestrator,
                &survivor.idempotency,
                &payorch::server::HttpRender,
                &world.tenant,
                &id,
                "refund-1",
                &refund,
            )
            .await;
            if !(a.status >= 500 && a.body.contains("refund_outcome_unknown")) {
                break;
            }
            tries += 1;
            if tries == 3 {
                return Err(format!("the retry could not settle the refund: {}", a.body));
            }
            world.clock.advance(LEASE + Duration::from_secs(1));
        }
    }
    world.reconcile(&survivor, 2).await?;

    // The gateway's truth, read through the adapter's own retrieve, with all the time it needs.
    let mut patient = world.config.gateways.clone();
    for s in [&mut patient.stripe.timeout, &mut patient.asaas.timeout] {
        *s = payorch::config::HumanDuration(Duration::from_secs(30));
    }
    let gateways = payorch::gateway::registry::for_sandbox(
        &patient,
        &world.sandbox().info().for_registry(),
        &world.tenant,
    );
    let at_gateway = gateways
        .get(case.gateway)
        .unwrap()
        .get_charge(&reference)
        .await
        .map_err(|e| format!("read the gateway: {e}"))?;
    let stored = world.charge(&id).await.unwrap();
    let context = format!(
        "crashed: {crashed}; gateway refunded {}; payorch: {} refunded {} refunds {:?}",
        at_gateway.amount_refunded,
        stored.status(),
        stored.amount_refunded(),
        stored
            .refunds
            .iter()
            .map(|r| (r.amount, r.status))
            .collect::<Vec<_>>()
    );
    world.shutdown().await;
    if at_gateway.amount_refunded > HALF {
        return Err(format!("refunded twice: {context}"));
    }
    if stored.refunds.len() > 1 {
        return Err(format!("one request made two refunds: {context}"));
    }
    let made = stored.refunds.first().map(|r| r.status);
    match made {
        Some(RefundStatus::Succeeded | RefundStatus::Pending) => {
            if at_gateway.amount_refunded != HALF || stored.amount_refunded() != HALF {
                return Err(format!("payorch and the gateway disagree: {context}"));
            }
            if stored.status() != ChargeStatus::PartiallyRefunded {
                return Err(format!("wrong status after the refund: {context}"));
            }
            let events = world.events(&stored).await;
            let n = events
                .iter()
                .filter(|k| *k == "charge.partially_refunded")
                .count();
            if n != 1 {
                return Err(format!(
                    "{n} charge.partially_refunded events: {events:?}; {context}"
                ));
            }
        }
        Some(RefundStatus::Failed) | None => {
            if at_gateway.amount_refunded != 0 {
                return Err(format!(
                    "the gateway refunded what payorch does not know: {context}"
                ));
            }
        }
        Some(RefundStatus::InFlight) => {
            return Err(format!("left in flight after recovery: {context}"));
        }
    }
    // A refund the gateway could make must not be lost to a crash.
    if case.behaviour == Behaviour::Success && made != Some(RefundStatus::Succeeded) {
        return Err(format!("a good refund was lost: {context}"));
    }
    Ok(crashed)
}
