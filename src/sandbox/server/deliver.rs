//! Webhook delivery: POSTs what the fakes queue to each gateway's registered URL, retried with
//! doubling backoff, every attempt in the bounded delivery log.

use super::*;

pub(super) fn delivery_client(retry: RetryPolicy) -> Result<reqwest::Client, ServerError> {
    install_crypto_provider();
    reqwest::Client::builder()
        .tls_backend_rustls()
        .connect_timeout(Duration::from_secs(3).min(retry.timeout))
        .timeout(retry.timeout)
        .user_agent(concat!("payorch-sandbox/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ServerError::Invalid(format!("cannot build the webhook HTTP client: {e}")))
}

/// Drains the fakes' webhooks, one delivery task each (so one slow receiver delays no other).
pub(super) async fn deliver_all(
    shared: Arc<Shared>,
    mut queue: mpsc::UnboundedReceiver<(GatewayId, OutboundWebhook)>,
    client: reqwest::Client,
    retry: RetryPolicy,
) {
    // Owned here: aborting this task drops the set, which aborts every pending delivery.
    let mut deliveries = JoinSet::new();
    loop {
        tokio::select! {
            next = queue.recv() => match next {
                Some((gateway, webhook)) => {
                    deliveries.spawn(deliver(
                        Arc::clone(&shared),
                        client.clone(),
                        retry,
                        gateway,
                        webhook,
                    ));
                }
                None => break,
            },
            Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
        }
    }
    while deliveries.join_next().await.is_some() {}
}

/// `url` with `query` appended to whatever query it has.
pub(super) fn with_query(url: &reqwest::Url, query: Option<&str>) -> reqwest::Url {
    let mut url = url.clone();
    if let Some(extra) = query.filter(|q| !q.is_empty()) {
        let merged = match url.query() {
            Some(existing) if !existing.is_empty() => format!("{existing}&{extra}"),
            _ => extra.to_string(),
        };
        url.set_query(Some(&merged));
    }
    url
}

pub(super) async fn deliver(
    shared: Arc<Shared>,
    client: reqwest::Client,
    retry: RetryPolicy,
    gateway: GatewayId,
    webhook: OutboundWebhook,
) {
    let seq = shared.next_webhook();
    let registered = match &webhook.url {
        Some(own) => Some(own.clone()),
        None => shared
            .slot_by_id(gateway)
            .and_then(|s| s.fake.webhook_url(lock(&s.webhook_url).clone())),
    };
    let entry = |url: Option<String>, attempt, status, error, outcome| Delivery {
        seq: 0,
        webhook: seq,
        gateway,
        url,
        attempt,
        status,
        error,
        outcome,
        at: String::new(),
    };
    let Some(url) = registered else {
        tracing::info!(%gateway, "sandbox webhook dropped: no URL registered");
        shared.record(entry(
            None,
            0,
            None,
            Some("no webhook URL registered for this gateway".into()),
            DeliveryOutcome::Dropped,
        ));
        return;
    };
    let url = with_query(&url, webhook.query.as_deref());
    let attempts = retry.attempts.max(1);
    let mut backoff = retry.first_backoff;
    for attempt in 1..=attempts {
        let mut request = client.post(url.clone()).body(webhook.body.clone());
        for (name, value) in &webhook.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let (status, error, retryable) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (Some(status), None, response.status().is_server_error())
            }
            Err(e) => {
                let retryable = !e.is_builder();
                (None, Some(error_text(&e)), retryable)
            }
        };
        let last = attempt == attempts;
        let outcome = match status {
            Some(s) if (200..300).contains(&s) => DeliveryOutcome::Delivered,
            _ if retryable && !last => DeliveryOutcome::Retrying,
            _ => DeliveryOutcome::Failed,
        };
        shared.record(entry(
            Some(url.to_string()),
            attempt,
            status,
            error,
            outcome,
        ));
        if outcome != DeliveryOutcome::Retrying {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = backoff.saturating_mul(2);
    }
}

/// A transport error and its innermost cause, in one line.
pub(super) fn error_text(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut innermost = None;
    while let Some(c) = cause {
        innermost = Some(c.to_string());
        cause = c.source();
    }
    if let Some(inner) = innermost {
        text = format!("{text}: {inner}");
    }
    text
}
