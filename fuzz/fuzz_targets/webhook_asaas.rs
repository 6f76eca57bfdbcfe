//! Asaas's inbound webhooks: any `asaas-access-token` and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use payorch::fuzzing;
use payorch::model::GatewayId;

fuzz_target!(|input: (Option<&[u8]>, &[u8])| {
    let (token, body) = input;
    fuzzing::asaas_token(token, body);
    fuzzing::asaas_token(Some(fuzzing::ASAAS_TOKEN.as_bytes()), body);
    fuzzing::webhook_parse(GatewayId::Asaas, body);
});
