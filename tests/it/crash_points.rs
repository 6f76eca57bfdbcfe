//! The crash points outside the create and refund flows (issue 10): a process that dies while
//! applying a gateway webhook (after storing it, after applying it) or while reconciling (after
//! the gateway answered) loses nothing and tells the merchant nothing twice, once the gateway
//! redelivers or another process reconciles.

use crate::matrix;

use std::sync::Arc;
use std::time::Duration;

use matrix::{Behaviour, Case, Method, Recovery, World, create};
use payorch::failpoint::Action;
use payorch::model::{ChargeStatus, GatewayId};

fn pix_case() -> Case {
    Case {
        recovery: Recovery::Webhook,
        ..Case::uncrashed(Method::Pix)
    }
}

async fn a_paid_pix_survives_a_crash_at(point: &str) {
    let case = pix_case();
    let mut world = World::new(case.config()).await;
    let doomed = world.core();
    doomed
        .orchestrator
        .failpoints
        .arm_with(point, Action::Panic, 0);
    let (doomed_url, doomed_server) = matrix::serve(&doomed, "127.0.0.1:0").await;
    world.set_webhooks(&doomed_url).await;

    let a = create(&doomed, &world.tenant, "pix-1", &case.body()).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let charge: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    let reference = charge["gateway_reference"].as_str().unwrap().to_string();
    assert_eq!(charge["gateway"], "efi");

    // The payer pays; Efí's webhook reaches the doomed process, which dies at the point.
    let url = format!(
        "{}/_sandbox/efi/charges/{reference}/pay",
        world.sandbox().url()
    );
    let paid = reqwest::Client::new().post(&url).send().await.unwrap();
    assert!(paid.status().is_success(), "{url}: {}", paid.status());
    let mut fired = false;
    for _ in 0..200 {
        if doomed.orchestrator.failpoints.has_fired(point) {
            fired = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(fired, "the webhook never reached the crash point {point}");
    doomed_server.abort();
    drop(doomed);

    // The process restarts on the same address while the gateway keeps redelivering; the dead
    // delivery's record is by then old enough to be taken for a crash's leftover.
    world
        .clock
        .advance(payorch::orchestrator::INBOUND_IN_FLIGHT_GRACE + Duration::from_secs(1));
    let survivor = world.core();
    let addr = doomed_url.trim_start_matches("http://").to_string();
    let (_, survivor_server) = matrix::serve(&survivor, &addr).await;
    // Until the redelivery has settled the webhook's record (the charge may have moved
    // before the crash already).
    let mut charge = None;
    for _ in 0..400 {
        let inbound = world.store.list_inbound(&world.tenant, 10).await.unwrap();
        let settled = !inbound.is_empty()
            && inbound
                .iter()
                .all(|w| w.status != payorch::store::InboundStatus::Received);
        charge = world.only_charge().await;
        if settled {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let charge = charge.unwrap();
    assert_eq!(charge.status(), ChargeStatus::Succeeded, "{charge:?}");
    let events = world.events(&charge).await;
    assert_eq!(
        events.iter().filter(|k| *k == "charge.succeeded").count(),
        1,
        "{events:?}"
    );
    survivor_server.abort();
    world.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_stored_but_not_applied_is_applied_on_redelivery() {
    a_paid_pix_survives_a_crash_at("inbound.recorded").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_applied_but_not_marked_sends_no_second_event() {
    a_paid_pix_survives_a_crash_at("inbound.applied").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconciler_that_dies_after_asking_leaves_the_work_to_the_next() {
    let case = Case {
        behaviour: Behaviour::TimeoutAfterSending,
        ..Case::uncrashed(Method::Card)
    };
    // Stripe: its create is the POST itself (Asaas looks the payment up first, and a timeout
    // there means nothing was sent).
    let mut config = case.config();
    config.routing.primary = GatewayId::Stripe;
    let mut world = World::new(config).await;
    world.behave(GatewayId::Stripe, case.behaviour).await;
    let core = world.core();
    let a = create(&core, &world.tenant, "card-1", &case.body()).await;
    let answered: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(answered["status"], "unknown", "{}", a.body);
    world.recover_gateways(case.behaviour).await;

    let doomed = world.core();
    doomed
        .orchestrator
        .failpoints
        .arm_with("reconcile.gateway_answered", Action::Panic, 0);
    let orchestrator = Arc::clone(&doomed.orchestrator);
    let died = tokio::spawn(async move { orchestrator.reconcile_once().await }).await;
    assert!(
        died.is_err(),
        "the reconciler should have died at its crash point"
    );

    let survivor = world.core();
    world.reconcile(&survivor, 2).await.unwrap();
    let charge = world.only_charge().await.unwrap();
    assert_eq!(charge.status(), ChargeStatus::Succeeded, "{charge:?}");
    assert_eq!(charge.gateway, Some(GatewayId::Stripe));
    // The reconciler's resolution records a fee too: the search answer carries none (the
    // schedule's estimate for a Stripe card), so it leaves a mark and its fee pass reads the
    // intent with its balance transaction: Stripe's own figure.
    let fee = charge.fee.expect("a fee once the reconciler resolved it");
    assert_eq!(fee.source, payorch::model::FeeSource::Gateway, "{fee:?}");
    let events = world.events(&charge).await;
    assert_eq!(
        events.iter().filter(|k| *k == "charge.succeeded").count(),
        1,
        "{events:?}"
    );
    world.shutdown().await;
}
