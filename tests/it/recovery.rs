//! Rule 2's hardest case: the process holding an idempotency key dies after the gateway created
//! the charge. After the lease expires, a retry with the same key must find that charge at the
//! gateway (the keys derive from the charge id recorded on the lease), not charge again.

use std::time::Duration;

use payorch::clock::{Clock, Timestamp};
use payorch::config::Config;
use payorch::gateway::{CreateCharge, registry};
use payorch::id::ChargeId;
use payorch::idempotency::{Begin, request_hash};
use payorch::model::{Charge, Currency, Customer, GatewayId, Money, PaymentMethod};
use payorch::orchestrator::gateway_key;
use payorch::runtime;
use serde_json::json;

use crate::common::get_text as reqwest_get;
use crate::matrix::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_holders_charge_is_found_at_the_gateway_not_made_again() {
    // The sandbox in-process, a store and a manual clock: the crash harness's world.
    let mut world = World::new(Config::default()).await;
    let (store, clock) = (world.store.clone(), world.clock.clone());
    let tenant = world.tenant.clone();
    let info = world.sandbox().info();
    let gateways = registry::for_sandbox(&world.config.gateways, &info.for_registry(), &tenant);
    let core = world.core();

    let body = json!({"amount": 1990, "currency": "BRL", "method": "pix",
                      "customer": {"name": "Maria Silva", "document": "529.982.247-25"}});
    let operation = "POST /v1/charges";

    // The first holder: claims the key, records its charge id, persists the pending charge,
    // reaches Stripe… and dies before answering.
    let Begin::Proceed(mut lease) = core
        .idempotency
        .begin(
            &tenant,
            "order-1",
            operation,
            &request_hash(operation, &body),
        )
        .await
        .unwrap()
    else {
        panic!("a fresh key proceeds")
    };
    let id = ChargeId::generate();
    lease.attach_charge(id.clone()).await.unwrap();
    let now = clock.now();
    let customer =
        Customer::parse("Maria Silva", None, Some("529.982.247-25"), Currency::Brl).unwrap();
    let pending = Charge::new(
        id.clone(),
        tenant.clone(),
        Money::from_minor(1990, Currency::Brl).unwrap(),
        PaymentMethod::Pix,
        customer.clone(),
        now,
    );
    store.create_charge(&pending).await.unwrap();
    let stripe = gateways.get(GatewayId::Stripe).unwrap();
    let created_by_the_dead = stripe
        .create_charge(&CreateCharge {
            charge_id: id.clone(),
            idempotency_key: gateway_key(&id, GatewayId::Stripe),
            money: Money::from_minor(1990, Currency::Brl).unwrap(),
            method: PaymentMethod::Pix,
            customer,
            description: None,
            metadata: Default::default(),
            card_token: None,
            expires_in: Duration::from_secs(3600),
        })
        .await
        .unwrap();
    drop(lease);

    // While the lease holds, a retry is told to wait.
    let a = runtime::create_charge(
        &core.orchestrator,
        &core.idempotency,
        &payorch::server::HttpRender,
        &tenant,
        "order-1",
        &body,
    )
    .await;
    assert_eq!(a.status, 409, "{}", a.body);

    // The lease expires; the retry recovers the key and resumes the same charge.
    clock.set(Timestamp::from_unix_millis(
        clock.now().unix_millis() + 61_000,
    ));
    let a = runtime::create_charge(
        &core.orchestrator,
        &core.idempotency,
        &payorch::server::HttpRender,
        &tenant,
        "order-1",
        &body,
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let charge: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(charge["id"], id.as_str(), "the same charge, not a new one");
    assert_eq!(charge["gateway"], "stripe");
    assert_eq!(
        charge["gateway_reference"],
        created_by_the_dead.reference.as_str(),
        "found at the gateway"
    );
    assert_eq!(charge["status"], "requires_action");

    // Exactly one intent exists at Stripe, and the key now replays.
    let body_text = reqwest_get(&format!(
        "{}/_sandbox/stripe/charges",
        world.sandbox().url()
    ))
    .await;
    let intents: serde_json::Value = serde_json::from_str(&body_text).unwrap();
    assert_eq!(intents.as_array().unwrap().len(), 1, "{intents}");
    let again = runtime::create_charge(
        &core.orchestrator,
        &core.idempotency,
        &payorch::server::HttpRender,
        &tenant,
        "order-1",
        &body,
    )
    .await;
    assert!(again.replayed());
    world.shutdown().await;
}
