//! Every integration test in one binary, one module per area (ripgrep's `tests/` is the model):
//! the crate is linked once instead of once per file. `common/` holds the shared harness.
//! `tests/tidy.rs` stays a binary of its own: it reads the source tree, not the crate.

mod common;
mod matrix;

mod asaas_documented;
mod asaas_refunds;
mod aws_cli;
mod bench_cli;
mod breaker_cli;
mod cli;
mod completions;
mod connection_limits;
mod crash;
mod crash_interleavings;
mod crash_matrix;
mod crash_points;
mod crash_soak;
mod credentials;
mod dashboard_cli;
mod demo;
mod efi_fake;
mod efi_mtls;
mod efi_sdk;
mod events_cli;
mod failpoints_env;
mod fleet_aws;
mod fleet_breakers;
mod fuzz_properties;
mod gateway_asaas;
mod gateway_efi;
mod gateway_routing;
mod gateway_stripe;
mod hangup;
mod idempotency;
mod inbound_apply;
mod money_guards;
mod operator_cli;
mod public_json;
mod rate_limits;
mod readiness;
mod recovery;
mod sandbox;
mod sandbox_bounded;
mod sandbox_e2e;
mod sandbox_sdk_stripe;
mod secrets_at_rest;
mod serve;
mod store_dynamo;
mod store_sqlite;
mod strict_input;
mod terminal;
mod tour;
mod webhook_cli;
mod webhook_delivery;
mod webhooks_inbound;
