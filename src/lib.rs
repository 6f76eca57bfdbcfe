//! payorch: a payment orchestrator core.
//!
//! One normalized charge API over several gateways (Stripe, Efí Pix, Asaas), with idempotency,
//! per-gateway circuit breakers, failover that never charges twice, and guaranteed webhook
//! delivery. This crate is the core only: no CLI parsing (clap) and no terminal UI (ratatui);
//! those live in the binary's `commands/` and `tui/` modules. See `docs/ARCHITECTURE.md`.

#![warn(unreachable_pub)]

pub mod api;
pub mod brcode;
pub mod breaker;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod datakey;
pub mod egress;
pub(crate) mod env;
pub mod failpoint;
pub mod fleet;
pub mod fuzzing;
pub mod gateway;
pub mod health;
pub mod id;
pub mod idempotency;
pub mod model;
pub mod orchestrator;
pub mod qr;
pub(crate) mod ratelimit;
pub mod routing;
pub mod runtime;
pub mod sandbox;
pub mod secret;
pub mod server;
pub mod store;
pub mod tenancy;
pub mod webhook;
