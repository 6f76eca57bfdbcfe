//! Outbound webhooks: events signed per Standard Webhooks ([`signing`]) and delivered to each
//! tenant's endpoint by the delivery worker, with retries, a dead-letter queue and replay.

pub mod signing;
