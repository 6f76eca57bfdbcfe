//! The crash matrix (issue 10): every crash point of the charge flow × what the first gateway
//! does (success, decline, timeout after sending, connection refused, 5xx) × routing (no
//! fallback, failover to a second and to a third gateway) × who finishes the charge (the
//! merchant retrying its key, the reconciler alone, the gateway's webhook alone), against the
//! real gateway fakes over HTTP and a real SQLite file.
//!
//! A "crash" is a crash point armed on one core: its flow panics there, so nothing after the
//! point runs (no error path, no cleanup), and that core is dropped. A second core over the
//! same store then recovers, as a restarted process would. Each case answers the issue's
//! question: across all gateways, was anyone charged twice, or charged without payorch
//! knowing? And does the merchant hear exactly one final event?

use crate::matrix;

use matrix::refund::{RefundCase, run_refund_case};
use matrix::{Behaviour, Case, Method, Recovery, Route, run_all, run_cases};
use payorch::model::GatewayId;

/// Where a card flow can die: the point and which of its hits (a failover hits the per-call
/// points once per gateway call).
const POINTS: &[(&str, u32)] = &[
    ("charge.stored", 1),
    ("charge.attempt_recorded", 1),
    ("charge.gateway_answered", 1),
    ("charge.attempt_recorded", 2),
    ("charge.gateway_answered", 2),
    ("charge.final_stored", 1),
];

const BEHAVIOURS: &[Behaviour] = &[
    Behaviour::Success,
    Behaviour::Decline,
    Behaviour::TimeoutAfterSending,
    Behaviour::Refused,
    Behaviour::ServerError,
];

fn cases(method: Method, routes: &[Route], recoveries: &[Recovery]) -> Vec<Case> {
    let mut cases = Vec::new();
    for &(point, nth) in POINTS {
        for &behaviour in BEHAVIOURS {
            if behaviour == Behaviour::Decline && method == Method::Pix {
                continue; // nobody declines a QR code
            }
            for &route in routes {
                for &recovery in recoveries {
                    cases.push(Case {
                        point,
                        nth,
                        behaviour,
                        method,
                        route,
                        recovery,
                    });
                }
            }
        }
    }
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_charges_are_never_captured_twice_nor_lost_whatever_the_crash() {
    run_cases(cases(
        Method::Card,
        &[Route::Alone, Route::OneFallback],
        &[Recovery::KeyRetry, Recovery::Reconciler, Recovery::Webhook],
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pix_charges_end_at_one_gateway_whatever_the_crash() {
    run_cases(cases(
        Method::Pix,
        &[Route::Alone, Route::OneFallback, Route::TwoFallbacks],
        &[Recovery::KeyRetry, Recovery::Reconciler],
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_are_never_made_twice_nor_lost_whatever_the_crash() {
    let mut cases = Vec::new();
    for gateway in [GatewayId::Stripe, GatewayId::Asaas] {
        for point in [
            "refund.recorded",
            "refund.gateway_answered",
            "refund.final_stored",
        ] {
            for behaviour in [
                Behaviour::Success,
                Behaviour::TimeoutAfterSending,
                Behaviour::Refused,
                Behaviour::ServerError,
            ] {
                for recovery in [Recovery::KeyRetry, Recovery::Reconciler] {
                    cases.push(RefundCase {
                        gateway,
                        point,
                        behaviour,
                        recovery,
                    });
                }
            }
        }
    }
    run_all(cases, run_refund_case).await;
}
