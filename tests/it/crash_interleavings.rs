//! Two processes sharing one store, interleaved at random (issue 10): process A runs a charge
//! and, at a random step, dies or hangs; process B meanwhile retries the merchant's key, runs
//! the reconciler, lets time pass and brings the gateways back, in a random order; a hung A
//! may wake up in the middle of B's work. Whatever the interleaving: nobody is charged twice,
//! payorch ends where the gateways are, the merchant hears one final event, and what A told
//! the merchant (if it answered) is the truth.

use crate::matrix;

use std::time::Duration;

use matrix::{Behaviour, Case, LEASE, Method, Recovery, Route, World, check, create};
use payorch::failpoint::Action;
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Step {
    RetryKey,
    Reconcile,
    PassTime,
    GatewaysUp,
    /// Wakes a hung A (ignored when A died).
    WakeA,
}

#[derive(Clone, Debug)]
struct Plan {
    case: Case,
    /// A hangs at the point (and may wake up) instead of dying there.
    hangs: bool,
    steps: Vec<Step>,
}

const POINTS: &[&str] = &[
    "charge.stored",
    "charge.attempt_recorded",
    "charge.gateway_answered",
    "charge.final_stored",
];

fn plan() -> impl Strategy<Value = Plan> {
    let method = prop_oneof![Just(Method::Card), Just(Method::Pix)];
    let behaviour = prop_oneof![
        Just(Behaviour::Success),
        Just(Behaviour::Decline),
        Just(Behaviour::TimeoutAfterSending),
        Just(Behaviour::Refused),
        Just(Behaviour::ServerError),
    ];
    let step = prop_oneof![
        Just(Step::RetryKey),
        Just(Step::Reconcile),
        Just(Step::PassTime),
        Just(Step::GatewaysUp),
        Just(Step::WakeA),
    ];
    (
        method,
        behaviour,
        0..POINTS.len(),
        1u32..=2,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(step, 1..7),
    )
        .prop_map(|(method, behaviour, point, nth, fallback, hangs, steps)| {
            let behaviour = match (method, behaviour) {
                (Method::Pix, Behaviour::Decline) => Behaviour::Success,
                (_, b) => b,
            };
            Plan {
                case: Case {
                    point: POINTS[point],
                    nth,
                    behaviour,
                    method,
                    route: if fallback {
                        Route::OneFallback
                    } else {
                        Route::Alone
                    },
                    // (Who recovers is the plan's steps; no path is promised success.)
                    recovery: Recovery::Reconciler,
                },
                hangs,
                steps,
            }
        })
}

async fn run(plan: Plan) -> Result<(), String> {
    let case = plan.case;
    let mut world = World::new(case.config()).await;
    let body = case.body();
    world.behave(case.gateways()[0], case.behaviour).await;

    let a = world.core();
    let action = if plan.hangs {
        Action::Pause
    } else {
        Action::Panic
    };
    a.orchestrator
        .failpoints
        .arm_with(case.point, action, case.nth - 1);
    let failpoints = a.orchestrator.failpoints.clone();
    let (tenant, a_body) = (world.tenant.clone(), body.clone());
    let mut a_task = tokio::spawn(async move { create(&a, &tenant, "k1", &a_body).await });
    // Until A is stuck at its point (hung), or finished (died there, or never reached it).
    let mut a_answer = None;
    let hung = tokio::select! {
        _ = failpoints.paused() => true,
        done = &mut a_task => {
            a_answer = Some(done.map_err(|e| format!("A: {e}"))?);
            false
        }
    };
    let mut a_task = hung.then_some(a_task);

    let b = world.core();
    for step in &plan.steps {
        match step {
            Step::RetryKey => {
                create(&b, &world.tenant, "k1", &body).await;
            }
            Step::Reconcile => {
                b.orchestrator
                    .reconcile_once()
                    .await
                    .map_err(|e| format!("reconcile: {e}"))?;
            }
            Step::PassTime => world.clock.advance(LEASE + Duration::from_secs(1)),
            Step::GatewaysUp => world.recover_gateways(case.behaviour).await,
            Step::WakeA => {
                if let Some(task) = a_task.take() {
                    failpoints.release();
                    a_answer = Some(task.await.map_err(|e| format!("A: {e}"))?);
                }
            }
        }
    }
    if let Some(task) = a_task.take() {
        failpoints.release();
        a_answer = Some(task.await.map_err(|e| format!("A: {e}"))?);
    }
    // Then the world settles: healthy gateways, time, the reconciler.
    world.recover_gateways(case.behaviour).await;
    world.reconcile(&b, 3).await?;
    let result = check(&world, &case, None, true).await;
    // What A told the merchant, if it answered with a charge, is what the charge became
    // (the reconciler may only have moved an `unknown` or open charge on since).
    let told = a_answer
        .filter(|a| a.status == 201)
        .and_then(|a| serde_json::from_str::<serde_json::Value>(&a.body).ok());
    let stored = world.only_charge().await;
    world.shutdown().await;
    result?;
    if let (Some(told), Some(stored)) = (told, stored) {
        let status = told["status"].as_str().unwrap_or_default();
        let settled = !matches!(status, "unknown" | "pending");
        if settled && told["gateway"] != stored.gateway.map(|g| g.as_str()).unwrap_or_default() {
            return Err(format!(
                "A answered {} at {} but the charge is at {:?}",
                status, told["gateway"], stored.gateway
            ));
        }
        if settled && status != stored.status().as_str() {
            return Err(format!(
                "A answered {status} but the charge is {}",
                stored.status()
            ));
        }
    }
    Ok(())
}

proptest! {
    // 40 interleavings in the suite; PAYORCH_INTERLEAVINGS=2000 for a long run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PAYORCH_INTERLEAVINGS").ok().and_then(|n| n.parse().ok()).unwrap_or(40),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn two_processes_never_charge_twice_whatever_the_interleaving(plan in plan()) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let result = rt.block_on(run(plan.clone()));
        prop_assert!(result.is_ok(), "{:?}: {}", plan, result.unwrap_err());
    }
}
