//! The sandbox's Stripe, driven by Stripe's official Python library (`stripe` on PyPI, pinned
//! in `tests/sdk/requirements.txt`): create, confirm, retrieve, list with auto-pagination,
//! expand, manual capture, refunds, idempotent replay and mismatch, declines, error shapes,
//! `Stripe-Version`, events, and a webhook verified by `stripe.Webhook.construct_event`.
//! The checks themselves are in `tests/sdk/stripe_sdk.py`; this starts the real
//! `payorch sandbox` on loopback and runs them against it.

use crate::common;

#[test]
fn stripes_official_python_library_works_against_the_sandbox() {
    let env = common::Env::new();
    let sandbox = env.start_sandbox();
    let out = common::sdk::run_sdk_script("stripe_sdk.py", &[&sandbox.url]);
    assert!(out.contains(" 0 failed"), "{out}");
    println!("{out}");
}
