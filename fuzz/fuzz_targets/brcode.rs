//! Any text as a BR Code payload, and BR Codes built from any parts (round trip, corruption).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use payorch::fuzzing::{self, BrCodeParts};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    text: &'a str,
    key_or_url: &'a str,
    dynamic: bool,
    merchant_name: &'a str,
    merchant_city: &'a str,
    amount_cents: Option<i64>,
    txid: Option<&'a str>,
    info: Option<&'a str>,
    corrupt: Option<(usize, u8)>,
}

fuzz_target!(|input: Input<'_>| {
    fuzzing::brcode_text(input.text);
    fuzzing::brcode_roundtrip(&BrCodeParts {
        key_or_url: input.key_or_url,
        dynamic: input.dynamic,
        merchant_name: input.merchant_name,
        merchant_city: input.merchant_city,
        amount_cents: input.amount_cents,
        txid: input.txid,
        info: input.info,
        corrupt: input.corrupt,
    });
});
