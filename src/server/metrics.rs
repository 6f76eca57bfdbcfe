//! `/metrics`: payorch's Prometheus metrics (text exposition format), via prometheus-client.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::model::{Charge, GatewayId};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChargeLabels {
    pub tenant: String,
    pub gateway: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    pub gateway: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TenantLabels {
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BreakerLabels {
    pub tenant: String,
    pub gateway: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebhookLabels {
    pub gateway: String,
    /// What the event did: applied, ignored, rejected, unknown_charge, duplicate, not_yet,
    /// in_flight.
    pub result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RateLimitLabels {
    /// The bucket that refused: key, tenant or inbound.
    pub scope: String,
    pub tenant: String,
    /// For `inbound`: the gateway whose webhooks were refused; empty otherwise.
    pub gateway: String,
}

/// Every metric `serve` exports.
pub struct Metrics {
    registry: Mutex<Registry>,
    pub charges: Family<ChargeLabels, Counter>,
    pub gateway_latency: Family<AttemptLabels, Histogram>,
    pub failovers: Family<TenantLabels, Counter>,
    /// 0 closed, 1 half-open, 2 open, 3 forced open, 4 forced closed.
    pub breaker_state: Family<BreakerLabels, Gauge>,
    pub http_requests: Family<HttpLabels, Counter>,
    /// Gateway webhook events received (authentic and parsed), by what they did.
    pub gateway_webhooks: Family<WebhookLabels, Counter>,
    /// Requests refused with a 429, by the bucket that refused them.
    pub rate_limited: Family<RateLimitLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("payorch");
        let charges = Family::<ChargeLabels, Counter>::default();
        registry.register(
            "charges",
            "Charges created, by tenant, gateway and status",
            charges.clone(),
        );
        let gateway_latency = Family::<AttemptLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 14))
        });
        registry.register(
            "gateway_call_seconds",
            "Gateway call latency, by gateway and outcome class",
            gateway_latency.clone(),
        );
        let failovers = Family::<TenantLabels, Counter>::default();
        registry.register(
            "failovers",
            "Charges that succeeded at a gateway other than the first tried",
            failovers.clone(),
        );
        let breaker_state = Family::<BreakerLabels, Gauge>::default();
        registry.register(
            "breaker_state",
            "Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 forced open, 4 forced closed",
            breaker_state.clone(),
        );
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests, by route and status",
            http_requests.clone(),
        );
        let gateway_webhooks = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "gateway_webhooks",
            "Gateway webhook events received, by gateway and result",
            gateway_webhooks.clone(),
        );
        let rate_limited = Family::<RateLimitLabels, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests refused with 429, by scope (key, tenant, inbound), tenant and gateway",
            rate_limited.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            charges,
            gateway_latency,
            failovers,
            breaker_state,
            http_requests,
            gateway_webhooks,
            rate_limited,
        }
    }

    /// Counts a charge answered by the API, its attempts and whether it failed over.
    pub fn observe_charge(&self, charge: &Charge) {
        self.charges
            .get_or_create(&ChargeLabels {
                tenant: charge.tenant.to_string(),
                gateway: charge
                    .gateway
                    .map(GatewayId::as_str)
                    .unwrap_or("none")
                    .to_string(),
                status: charge.status().as_str().to_string(),
            })
            .inc();
        for a in &charge.attempts {
            self.gateway_latency
                .get_or_create(&AttemptLabels {
                    gateway: a.gateway.to_string(),
                    outcome: a.outcome.as_str().to_string(),
                })
                .observe(a.latency_ms as f64 / 1000.0);
        }
        if let (Some(first), Some(holder)) = (charge.attempts.first(), charge.gateway)
            && first.gateway != holder
        {
            self.failovers
                .get_or_create(&TenantLabels {
                    tenant: charge.tenant.to_string(),
                })
                .inc();
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            out.push_str("# metrics encoding failed\n");
        }
        out
    }
}
