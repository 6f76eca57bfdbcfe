//! Issue 10's reproductions with real processes: `payorch serve` in front of `payorch sandbox`,
//! killed with SIGKILL in the middle of a card charge's failover, then restarted on the same data
//! dir; and clients that hang up while their charges are at a slow gateway. Each test ends by
//! judging the whole money picture with `common::ledger`: across all gateways no charge captured
//! twice, payorch's state equal to the gateways', exactly one final event per charge.
//!
//! - `a_retry_after_a_crash_mid_failover_adopts_the_first_gateways_capture`: the merchant retries
//!   the key after the crash (the double-charge case);
//! - `the_reconciler_finishes_a_charge_whose_process_died_after_the_gateway_took_the_money`: no
//!   retry, the reconciler alone (the paid-but-pending case);
//! - `a_client_that_hangs_up_does_not_stop_its_charge`: the flows must run to the end by
//!   themselves, well before any lease could let someone else take them over.

use crate::common;

use std::time::Duration;

use common::ledger::{self, describe};
use common::stack::{ServeStack, wait_for};
use payorch::model::{Charge, ChargeStatus, GatewayId};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

/// Asaas is the primary and Stripe the fallback, so a card charge with tokens for both fails
/// over from a refused Asaas to Stripe. Stripe's timeout is above the 4 s the slow fake takes,
/// and the lease above that (a lease must outlast one gateway call); lookups are believed at
/// once (the sandbox's are immediate). `{every}` is the reconciler's period.
fn config(lease: &str, every: &str) -> String {
    format!(
        r#"
[routing]
primary = "asaas"
fallbacks = ["stripe"]

[idempotency]
lease = "{lease}"

[recovery]
every = "{every}"
lookup_grace = "0s"

[gateways.stripe]
timeout = "6s"

[gateways.asaas]
timeout = "6s"
"#
    )
}

/// How long Stripe's fake holds each request: the window in which serve is killed.
const STRIPE_LATENCY_MS: u64 = 4000;

/// A card charge with a token for both gateways (Asaas needs the payer's IP for cards).
fn card(order: &str) -> Value {
    json!({"amount": 5000, "currency": "BRL", "method": "card",
           "customer": {"name": "Maria Silva", "document": "529.982.247-25"},
           "metadata": {"order_id": order, "remote_ip": "203.0.113.7"},
           "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "tok_payorch_crash"}}})
}

/// A generous bound for anything that should happen within seconds.
const BOUND: Duration = Duration::from_secs(90);

/// The charge with `id` in payorch's store.
async fn stored(stack: &ServeStack, id: &str) -> Charge {
    ledger::payorch_charges(&stack.db())
        .await
        .into_iter()
        .find(|c| c.id.as_str() == id)
        .unwrap_or_else(|| panic!("payorch has no charge {id}"))
}

/// The issue's crash: Asaas refuses connections, Stripe is slow; a card charge under key `k1`
/// fails over to Stripe, and serve is killed while Stripe is still answering. Then both
/// gateways are up again, and Stripe has captured the payment serve never heard about.
/// Returns payorch's charge id and Stripe's PaymentIntent id. Serve is left dead.
async fn crash_mid_failover(stack: &mut ServeStack) -> (String, String) {
    stack.set_mode("asaas", json!({"mode": "down"})).await;
    stack
        .set_mode(
            "stripe",
            json!({"mode": "slow", "latency_ms": STRIPE_LATENCY_MS}),
        )
        .await;
    stack.start_serve();
    let api = stack.api();
    let client = tokio::spawn(async move {
        api.post_charge("k1", &card("k1"), Duration::from_secs(60))
            .await
    });
    let db = stack.db();
    // The write-ahead record of the Stripe call is stored just before the request leaves.
    let id = wait_for("the Stripe call is recorded in flight", BOUND, || async {
        match ledger::payorch_charges(&db).await.as_slice() {
            [c] if c.status() == ChargeStatus::Pending
                && c.attempts.iter().any(|a| {
                    a.gateway == GatewayId::Stripe
                        && a.outcome == payorch::model::AttemptOutcome::InFlight
                }) =>
            {
                Ok(c.id.to_string())
            }
            other => Err(format!(
                "{:?}",
                other.iter().map(describe).collect::<Vec<_>>()
            )),
        }
    })
    .await;
    // Stripe holds the request for 4 s: kill inside that window, once the request is there.
    tokio::time::sleep(Duration::from_millis(800)).await;
    stack.kill_serve();
    let answer = client.await.expect("the client task");
    assert!(
        answer.is_err(),
        "the kill came too late: the request was answered {answer:?}"
    );
    stack.set_mode("asaas", json!({"mode": "up"})).await;
    stack.set_mode("stripe", json!({"mode": "up"})).await;

    // The fake finishes the slow request although its client is gone, like a real gateway.
    let (http, sandbox) = (stack.http.clone(), stack.sandbox.url.clone());
    let pi = wait_for(
        "Stripe captures the payment of the killed request",
        BOUND,
        || async {
            let held = ledger::held(&http, &sandbox, &[]).await;
            match held
                .iter()
                .find(|h| h.charge.as_deref() == Some(id.as_str()))
            {
                Some(h) if h.gateway == GatewayId::Stripe && h.captured() => {
                    Ok(h.reference.clone())
                }
                _ => Err(format!("the fakes hold {held:?}")),
            }
        },
    )
    .await;
    (id, pi)
}

/// payorch holds `charge` as Stripe does: succeeded, as PaymentIntent `pi`.
#[track_caller]
fn assert_succeeded_at_stripe(charge: &Charge, pi: &str) {
    assert_eq!(
        (
            charge.status(),
            charge.gateway,
            charge.gateway_reference.as_deref()
        ),
        (ChargeStatus::Succeeded, Some(GatewayId::Stripe), Some(pi)),
        "{}",
        describe(charge)
    );
}

/// Everything the stack's store and gateways say, judged; panics listing every violation.
async fn assert_money_is_right(stack: &ServeStack) -> Vec<Charge> {
    let charges = ledger::payorch_charges(&stack.db()).await;
    let held = ledger::held(&stack.http, &stack.sandbox.url, &charges).await;
    let events = ledger::payorch_events(&stack.db()).await;
    let mut violations = ledger::money_violations(&charges, &held);
    violations.extend(ledger::event_violations(&charges, &events));
    assert!(
        violations.is_empty(),
        "{} violation(s):\n  {}\ngateways hold: {held:?}",
        violations.len(),
        violations.join("\n  ")
    );
    charges
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_crash_mid_failover_adopts_the_first_gateways_capture() {
    // The reconciler stays out of it (its first pass runs at start, before the lease passed).
    let mut stack = ServeStack::new(&config("8s", "1h"));
    let (id, pi) = crash_mid_failover(&mut stack).await;
    stack.start_serve();

    // The merchant retries `k1` with the same body, as told: 409 while the lease holds.
    let api = stack.api();
    let (status, answer) = wait_for("the retry of k1 gets an answer", BOUND, || async {
        match api.post_charge("k1", &card("k1"), BOUND).await {
            Ok((409, v)) => Err(format!("409 {v}")),
            Ok(answer) => Ok(answer),
            Err(e) => Err(e.to_string()),
        }
    })
    .await;

    // At most one capture across all gateways, and payorch's state is the gateways'.
    assert_money_is_right(&stack).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["id"], id.as_str(), "the same charge: {answer}");
    assert_eq!(answer["gateway"], "stripe", "{answer}");
    assert_eq!(answer["gateway_reference"], pi.as_str(), "{answer}");
    assert_eq!(answer["status"], "succeeded", "{answer}");
    assert_succeeded_at_stripe(&stored(&stack, &id).await, &pi);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_finishes_a_charge_whose_process_died_after_the_gateway_took_the_money() {
    let mut stack = ServeStack::new(&config("8s", "1s"));
    let (id, pi) = crash_mid_failover(&mut stack).await;
    stack.start_serve();

    // Nobody retries: the reconciler must take the abandoned charge over once its lease passed.
    let charge = wait_for(
        &format!("the reconciler settles {id}, which Stripe captured as {pi}"),
        BOUND,
        || async {
            let c = stored(&stack, &id).await;
            match c.status() {
                ChargeStatus::Pending | ChargeStatus::Processing | ChargeStatus::Unknown => {
                    Err(describe(&c))
                }
                _ => Ok(c),
            }
        },
    )
    .await;
    assert_succeeded_at_stripe(&charge, &pi);
    assert_money_is_right(&stack).await;

    // The operator's view: exactly one final event for the charge, `charge.succeeded`.
    let events: Value =
        serde_json::from_str(&stack.cli(&["events", "list", "--charge", &id, "-o", "json"]))
            .unwrap();
    let kinds: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .filter(|t| ["charge.succeeded", "charge.failed", "charge.canceled"].contains(t))
        .collect();
    assert_eq!(kinds, ["charge.succeeded"], "{events}");
}

/// How many clients hang up at once.
const HANGUPS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_does_not_stop_its_charge() {
    // A long lease: within the bound below, nobody may take a charge over from its flow, so
    // only a flow that runs to the end by itself can settle its charge.
    let mut stack = ServeStack::new(&config("120s", "1s"));
    stack.set_mode("asaas", json!({"mode": "down"})).await;
    stack
        .set_mode("stripe", json!({"mode": "slow", "latency_ms": 3000}))
        .await;
    stack.start_serve();
    let addr = stack.api().url.trim_start_matches("http://").to_string();

    // Each client sends its whole request on a connection of its own…
    let mut sockets = Vec::new();
    for i in 0..HANGUPS {
        let body = card(&format!("hangup-{i}")).to_string();
        let request = format!(
            "POST /v1/charges HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
             Idempotency-Key: hangup-{i}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            stack.key,
            body.len()
        );
        let mut s = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        s.write_all(request.as_bytes()).await.expect("send");
        sockets.push(s);
    }
    // …and, once every charge is on its way (stored, its gateway call under way), hangs up.
    let db = stack.db();
    wait_for("every charge is stored", BOUND, || async {
        let n = ledger::payorch_charges(&db).await.len();
        if n == HANGUPS {
            Ok(())
        } else {
            Err(format!("{n} of {HANGUPS}"))
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(sockets);
    stack.set_mode("asaas", json!({"mode": "up"})).await;
    stack.set_mode("stripe", json!({"mode": "up"})).await;

    wait_for(
        "every flow ran to the end although its client hung up (the 120 s lease lets no one \
         else finish it before)",
        Duration::from_secs(60),
        || async {
            let charges = ledger::payorch_charges(&db).await;
            let open: Vec<String> = ledger::unsettled(&charges)
                .into_iter()
                .map(describe)
                .collect();
            if open.is_empty() {
                return Ok(());
            }
            let held = ledger::held(&stack.http, &stack.sandbox.url, &charges).await;
            let captured = held.iter().filter(|h| h.captured()).count();
            Err(format!(
                "{} left, while the gateways hold {captured} captures for these charges: \
                 {open:#?}",
                open.len()
            ))
        },
    )
    .await;
    let charges = assert_money_is_right(&stack).await;
    assert_eq!(charges.len(), HANGUPS);
}
