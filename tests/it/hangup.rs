//! A client that hangs up does not cancel a money flow (issue 10, reproduction 3): charges
//! whose merchants closed the connection while the gateway was still answering run to the end,
//! are stored with their outcome, and are captured exactly once; and a drained core (graceful
//! shutdown) has finished every flow that was in flight.

use crate::matrix;

use std::time::Duration;

use matrix::{Case, Method, State, World};
use payorch::model::ChargeStatus;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charges_whose_client_hung_up_run_to_the_end() {
    let case = Case::uncrashed(Method::Card);
    let mut config = case.config();
    config.routing.primary = payorch::model::GatewayId::Stripe;
    // The gateway answers after the merchants gave up, but well within payorch's timeout.
    config.gateways.stripe.timeout = payorch::config::HumanDuration(Duration::from_secs(10));
    let mut world = World::new(config).await;
    world
        .set_mode(
            payorch::model::GatewayId::Stripe,
            json!({"mode": "slow", "latency_ms": 800}),
        )
        .await;
    let core = world.core();
    let bearer = format!("Bearer {}", world.api_key(&core).await);
    let (base, server) = matrix::serve(&core, "127.0.0.1:0").await;

    // Merchants that wait 200 ms for an answer, then close the connection.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let mut posts = tokio::task::JoinSet::new();
    for i in 0..16 {
        let request = client
            .post(format!("{base}/v1/charges"))
            .header("Authorization", &bearer)
            .header("Idempotency-Key", format!("hang-up-{i}"))
            .header("Content-Type", "application/json")
            .body(case.body().to_string());
        posts.spawn(async move { request.send().await.map(|r| r.status()) });
    }
    while let Some(sent) = posts.join_next().await {
        let answer = sent.unwrap();
        assert!(
            answer.as_ref().is_err_and(reqwest::Error::is_timeout),
            "the merchant should have given up before the answer: {answer:?}"
        );
    }

    // Every flow finishes on its own: no retry, no reconciler.
    let mut charges = Vec::new();
    for _ in 0..200 {
        let page = world
            .store
            .list_charges(
                &world.tenant,
                &payorch::store::ChargeQuery {
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        charges = page.items;
        if charges.len() == 16 && charges.iter().all(|c| c.status() != ChargeStatus::Pending) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(charges.len(), 16, "one charge per request");
    for charge in &charges {
        assert_eq!(
            charge.status(),
            ChargeStatus::Succeeded,
            "{} was cut short: {:?}",
            charge.id,
            charge.attempts
        );
        let truth = world.truth(charge.id.as_str()).await;
        let paid: Vec<_> = truth.iter().filter(|h| h.state == State::Paid).collect();
        assert_eq!(paid.len(), 1, "{}: {truth:?}", charge.id);
        assert_eq!(
            Some(paid[0].reference.as_str()),
            charge.gateway_reference.as_deref()
        );
    }
    // Each key replays the stored outcome to a merchant who asks again.
    let again = client
        .post(format!("{base}/v1/charges"))
        .header("Authorization", &bearer)
        .header("Idempotency-Key", "hang-up-0")
        .header("Content-Type", "application/json")
        .body(case.body().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("Idempotent-Replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    server.abort();
    world.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_core_has_finished_every_flow_in_flight() {
    let case = Case::uncrashed(Method::Pix);
    let mut config = case.config();
    config.gateways.efi.timeout = payorch::config::HumanDuration(Duration::from_secs(10));
    let mut world = World::new(config).await;
    world
        .set_mode(
            payorch::model::GatewayId::Efi,
            json!({"mode": "slow", "latency_ms": 500}),
        )
        .await;
    let core = world.core();
    let (orchestrator, keys, tenant) = (
        core.orchestrator.clone(),
        core.idempotency.clone(),
        world.tenant.clone(),
    );
    // The merchant's side of the request is dropped at once; the flow is not.
    let body = case.body();
    let request = payorch::runtime::create_charge(
        &orchestrator,
        &keys,
        &payorch::server::HttpRender,
        &tenant,
        "drain-1",
        &body,
    );
    let _ = tokio::time::timeout(Duration::from_millis(50), request).await;
    core.orchestrator.drain().await;
    let charge = world.only_charge().await.expect("the charge is stored");
    assert_eq!(charge.status(), ChargeStatus::RequiresAction, "{charge:?}");
    world.shutdown().await;
}
