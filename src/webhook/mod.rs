//! Outbound webhooks: events signed per Standard Webhooks ([`signing`]) and delivered to each
//! tenant's endpoint ([`endpoint`]) by the delivery worker ([`outbound`]), with retries, a
//! dead-letter queue and replay ([`dlq`]: what operators do with it). [`manage`]: each change an
//! operator (CLI) or the merchant (API) makes to its endpoint, events and dead letters, audited.

pub mod dlq;
pub mod endpoint;
pub mod manage;
pub mod outbound;
pub mod signing;
