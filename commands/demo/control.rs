//! Taking the demo's gateways down and back up: [`DemoHandle`] switches a gateway's mode in
//! the sandbox over its control API (`down` refuses connections on that gateway's port) and
//! keeps the record of outages for the summary. The headless schedule and the dashboard's `x`
//! key both go through it; it knows nothing of charges or breakers.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use payorch::model::GatewayId;
use payorch::sandbox::FaultMode;

use super::outage::AppliedOutage;

/// Takes gateways down and up in the demo's sandbox. Cheap to clone; the dashboard's demo keys
/// use it (`impl DemoControl for DemoHandle`).
#[derive(Clone)]
pub struct DemoHandle(Arc<Control>);

struct Control {
    http: reqwest::Client,
    sandbox_url: String,
    started: Instant,
    down: Mutex<BTreeSet<GatewayId>>,
    outages: Mutex<Vec<AppliedOutage>>,
    /// One switch at a time, so `toggle` reads and changes the state as one step.
    switching: tokio::sync::Mutex<()>,
}

impl DemoHandle {
    /// A switch for the sandbox at `sandbox_url`; times count from `started`.
    pub fn new(sandbox_url: String, started: Instant) -> anyhow::Result<DemoHandle> {
        Ok(DemoHandle(Arc::new(Control {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            sandbox_url,
            started,
            down: Mutex::new(BTreeSet::new()),
            outages: Mutex::new(Vec::new()),
            switching: tokio::sync::Mutex::new(()),
        })))
    }

    /// Down if up, up if down; a one-line message says which.
    pub async fn toggle(&self, gateway: GatewayId) -> anyhow::Result<String> {
        let _one = self.0.switching.lock().await;
        let down = !lock(&self.0.down).contains(&gateway);
        self.switch(gateway, down).await
    }

    /// Takes `gateway` down (`down`) or brings it back up; nothing if it already is.
    pub async fn set(&self, gateway: GatewayId, down: bool) -> anyhow::Result<String> {
        let _one = self.0.switching.lock().await;
        if lock(&self.0.down).contains(&gateway) == down {
            return Ok(format!(
                "{gateway} is already {}",
                if down { "down" } else { "up" }
            ));
        }
        self.switch(gateway, down).await
    }

    /// The gateways down now.
    pub fn down(&self) -> Vec<GatewayId> {
        lock(&self.0.down).iter().copied().collect()
    }

    /// Every outage so far, scheduled or by hand.
    pub fn outages(&self) -> Vec<AppliedOutage> {
        lock(&self.0.outages).clone()
    }

    async fn switch(&self, gateway: GatewayId, down: bool) -> anyhow::Result<String> {
        let mode = if down {
            FaultMode::Down { status: None }
        } else {
            FaultMode::Up
        };
        let url = format!("{}/_sandbox/{gateway}/mode", self.0.sandbox_url);
        let response = self
            .0
            .http
            .put(&url)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&mode)?)
            .send()
            .await
            .with_context(|| format!("the sandbox did not answer {url}"))?;
        if !response.status().is_success() {
            anyhow::bail!(
                "the sandbox refused to take {gateway} {}: {}",
                if down { "down" } else { "up" },
                response.status()
            );
        }
        let at = self.0.started.elapsed().as_secs_f64();
        let at = (at * 10.0).round() / 10.0;
        let mut outages = lock(&self.0.outages);
        let mut set = lock(&self.0.down);
        if down {
            set.insert(gateway);
            outages.push(AppliedOutage {
                gateway,
                down_at_secs: at,
                up_at_secs: None,
            });
            tracing::info!(%gateway, "demo: gateway down");
            Ok(format!(
                "{gateway} is down at {at:.1}s: its listener refuses connections"
            ))
        } else {
            set.remove(&gateway);
            if let Some(o) = outages
                .iter_mut()
                .rev()
                .find(|o| o.gateway == gateway && o.up_at_secs.is_none())
            {
                o.up_at_secs = Some(at);
            }
            tracing::info!(%gateway, "demo: gateway up");
            Ok(format!("{gateway} is back up at {at:.1}s"))
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use payorch::clock::{Clock, SystemClock};
    use payorch::sandbox::SandboxContext;
    use payorch::sandbox::server::{self, SandboxOptions, SandboxServer};

    use super::*;

    #[tokio::test]
    async fn toggle_takes_a_gateway_down_and_back_and_keeps_the_record() {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (ctx, webhooks) = SandboxContext::new(clock.clone());
        let options = SandboxOptions::new("127.0.0.1:0".parse().unwrap(), clock);
        let sandbox = SandboxServer::new(server::standard_fakes(&ctx), webhooks, options)
            .start()
            .await
            .unwrap();
        let handle = DemoHandle::new(sandbox.url(), Instant::now()).unwrap();
        let mode = |g: GatewayId| sandbox.info().gateways[&g].mode.clone();

        let down = handle.toggle(GatewayId::Stripe).await.unwrap();
        assert!(down.starts_with("stripe is down"), "{down}");
        assert_eq!(handle.down(), vec![GatewayId::Stripe]);
        assert_eq!(mode(GatewayId::Stripe), FaultMode::Down { status: None });
        assert_eq!(mode(GatewayId::Efi), FaultMode::Up);
        // Setting what already is changes nothing.
        let again = handle.set(GatewayId::Stripe, true).await.unwrap();
        assert_eq!(again, "stripe is already down");
        assert_eq!(handle.outages().len(), 1);

        let up = handle.toggle(GatewayId::Stripe).await.unwrap();
        assert!(up.starts_with("stripe is back up"), "{up}");
        assert!(handle.down().is_empty());
        assert_eq!(mode(GatewayId::Stripe), FaultMode::Up);
        let record = handle.outages();
        assert_eq!(record.len(), 1);
        assert_eq!(record[0].gateway, GatewayId::Stripe);
        assert!(
            record[0]
                .up_at_secs
                .is_some_and(|up| up >= record[0].down_at_secs)
        );
        sandbox.shutdown().await;
    }
}
