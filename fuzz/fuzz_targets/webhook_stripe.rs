//! Stripe's inbound webhooks: any `Stripe-Signature` header and body, and signed bodies with one
//! thing tampered with (only the untampered, fresh one is accepted).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use payorch::fuzzing::{self, Tamper};
use payorch::model::GatewayId;

#[derive(Arbitrary, Debug)]
enum Change {
    Nothing,
    Body(usize, u8),
    Signature(usize, u8),
    Timestamp(i64),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    header: &'a [u8],
    body: &'a [u8],
    now: i64,
    signed_at: u32,
    skew: i16,
    change: Change,
}

fuzz_target!(|input: Input<'_>| {
    let _ = fuzzing::webhook_raw(
        GatewayId::Stripe,
        &[("stripe-signature", input.header)],
        None,
        input.body,
        input.now,
    );
    fuzzing::webhook_parse(GatewayId::Stripe, input.body);
    let signed_at = i64::from(input.signed_at);
    let tamper = match input.change {
        Change::Nothing => Tamper::Nothing,
        Change::Body(i, m) => Tamper::Body(i, m),
        Change::Signature(i, m) => Tamper::Signature(i, m),
        Change::Timestamp(m) => Tamper::Timestamp(m),
    };
    fuzzing::stripe_signed(
        input.body,
        signed_at,
        signed_at + i64::from(input.skew),
        tamper,
    );
});
