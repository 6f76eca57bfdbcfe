//! Efí's inbound Pix webhooks: any query (its `hmac` parameter authenticates) and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payorch::fuzzing;
use payorch::model::GatewayId;

fuzz_target!(|input: (&str, &[u8])| {
    let (query, body) = input;
    fuzzing::efi_hmac(query, body);
    fuzzing::efi_hmac(&format!("hmac={}&{query}", fuzzing::EFI_HMAC), body);
    fuzzing::webhook_parse(GatewayId::Efi, body);
});
