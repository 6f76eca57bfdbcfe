//! Any bytes as the body of `POST /v1/charges` and of a refund.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payorch::config::AmountLimits;
use payorch::fuzzing;

fuzz_target!(|bytes: &[u8]| {
    let _ = fuzzing::charge_body(bytes, &AmountLimits::default());
    let _ = fuzzing::refund_body(bytes);
});
