//! The delivery worker: takes events from the [`DeliveryQueue`], signs them and POSTs them to
//! the tenant's endpoint, retrying on a schedule and dead-lettering what never got through.
//!
//! Rule 5: a message leaves the queue only when the merchant answered 2xx (`ack`) or it reached
//! the DLQ (`dead_letter`). Everything else hides it for a while (`retry_later`): failures on the
//! retry schedule (with ±20% jitter, at least `Retry-After`, at least a minute after a 429 or a
//! timeout), and, without counting as attempts, events whose tenant has no endpoint or whose
//! endpoint is disabled (a 410 Gone disables it): those wait until an operator fixes it.
//!
//! Several workers (tasks or processes) share the queue safely: `receive` hides each message
//! from other receivers for longer than an attempt can take, and every outcome is reported
//! with the receipt, so a stale worker changes nothing. Order is the queue's: it hands out a
//! charge's events (one message group) one at a time, so no batch holds two of one charge.
//!
//! Batches (issue 16): each of `concurrency` loops receives up to `batch_size` messages, reads
//! each tenant's endpoint once, POSTs them all concurrently and, when every POST is answered,
//! acknowledges the delivered ones in one `ack_many` (one SQLite commit), so a delivery costs
//! the shared writer a share of two commits instead of a commit of its own. Until then they
//! stay hidden (the visibility is longer than any attempt); a crash before the ack delivers
//! them again (at least once).
//!
//! Each message's delivery history ([`DeliveryLog`]: attempts with time and status or error)
//! travels with it as the queue's error text (JSON), written atomically with `retry_later` and
//! `dead_letter`; `payorch dlq show` decodes it. A replayed dead letter starts a fresh log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::{Clock, Timestamp};
use crate::config::WebhooksConfig;
use crate::datakey::DataKeys;
use crate::gateway::http::install_crypto_provider;
use crate::id::MessageId;
use crate::model::TenantId;
use crate::store::{Received, Store, StoreError};

use super::endpoint::{self, Endpoint, EndpointError};
use super::signing::{self, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use crate::egress::{self as target, GuardedResolver, TargetPolicy};

mod timing;
mod transport;

use timing::jitter;
pub use timing::parse_retry_after;
use transport::transport_error;

/// At least this long after a 429 or a timeout.
const MIN_BACKOFF_THROTTLED: Duration = Duration::from_secs(60);
/// A `Retry-After` longer than this is capped: the schedule still bounds the event's life.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);
/// How many attempts a log keeps (the newest).
const MAX_LOGGED_ATTEMPTS: usize = 20;

/// Why the worker could not do its job (per-message delivery failures are not errors).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(String),
}

/// How the worker delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverySettings {
    /// The waits before each retry; the first attempt is immediate. After the last retry
    /// fails the event goes to the DLQ. Default: 5s, 5m, 30m, 2h, 5h, 10h, 10h (8 attempts).
    pub retry_schedule: Vec<Duration>,
    /// One POST's whole time limit.
    pub attempt_timeout: Duration,
    /// Each wait is varied by up to this percentage either way.
    pub jitter_percent: u32,
    /// Messages received per batch.
    pub batch_size: u32,
    /// How long an idle worker waits before looking at the queue again.
    pub poll_interval: Duration,
    /// How long an event waits when its tenant has no enabled endpoint, before being looked
    /// at again (it is kept, not counted as an attempt).
    pub hold_delay: Duration,
    /// Concurrent delivery loops in one worker.
    pub concurrency: usize,
    /// Which endpoint URLs and addresses may be called ([`super::target`]).
    pub targets: TargetPolicy,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings::from_config(&WebhooksConfig::default())
    }
}

impl DeliverySettings {
    pub fn from_config(c: &WebhooksConfig) -> Self {
        DeliverySettings {
            retry_schedule: c.retry_schedule.iter().map(|d| d.0).collect(),
            attempt_timeout: c.attempt_timeout.0,
            jitter_percent: 20,
            batch_size: c.batch_size,
            poll_interval: Duration::from_secs(1),
            hold_delay: Duration::from_secs(60),
            concurrency: usize::try_from(c.concurrency).unwrap_or(1),
            targets: TargetPolicy {
                allow_private: c.allow_private_targets,
            },
        }
    }

    /// Longer than any attempt can take, so no other receiver gets a message mid-attempt.
    fn visibility(&self) -> Duration {
        self.attempt_timeout + Duration::from_secs(30)
    }

    /// How many attempts an event gets before the DLQ.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.retry_schedule.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }
}

/// One delivery attempt, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub at: Timestamp,
    /// The merchant's HTTP status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong (absent on success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A message's delivery history, carried in the queue's error text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryLog {
    /// Failed attempts that count against the retry schedule.
    pub failures: u32,
    /// The newest problem, in one line.
    pub last_error: String,
    /// The newest attempts, oldest first.
    pub attempts: Vec<AttemptRecord>,
}

impl DeliveryLog {
    /// Reads a log from the queue's error text; text that is not a log becomes its
    /// `last_error`.
    pub fn decode(text: &str) -> DeliveryLog {
        serde_json::from_str(text).unwrap_or_else(|_| DeliveryLog {
            last_error: text.to_string(),
            ..DeliveryLog::default()
        })
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.last_error.clone())
    }

    fn record(&mut self, attempt: AttemptRecord) {
        if let Some(e) = &attempt.error {
            self.last_error.clone_from(e);
        }
        self.attempts.push(attempt);
        if self.attempts.len() > MAX_LOGGED_ATTEMPTS {
            let extra = self.attempts.len() - MAX_LOGGED_ATTEMPTS;
            self.attempts.drain(..extra);
        }
    }
}

/// What one `deliver_once` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages received.
    pub received: u32,
    /// Answered 2xx and acknowledged.
    pub delivered: u32,
    /// Failed and scheduled for a retry.
    pub retried: u32,
    /// Moved to the DLQ.
    pub dead: u32,
    /// Kept for later without an attempt counted: no endpoint, disabled, or a 410.
    pub held: u32,
    /// The receipt went stale (another receiver has it now) or the store failed.
    pub lost_receipt: u32,
}

/// The outcome of one POST.
enum Outcome {
    Delivered,
    Gone(String),
    Failed {
        status: Option<u16>,
        error: String,
        retry_after: Option<Duration>,
        throttled: bool,
    },
}

/// Delivers batches from the queue: the worker's engine, also driven directly by tests.
pub struct Deliverer {
    inner: Arc<Inner>,
}

/// What every delivery task of a [`Deliverer`] shares.
struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: DeliverySettings,
    client: reqwest::Client,
    /// Decrypt the endpoints' signing secrets.
    keys: Arc<DataKeys>,
}

impl Deliverer {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: DeliverySettings,
        keys: Arc<DataKeys>,
    ) -> Result<Deliverer, WebhookError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .tls_backend_rustls()
            .timeout(settings.attempt_timeout)
            .connect_timeout(settings.attempt_timeout.min(Duration::from_secs(10)))
            // A 3xx is a failed delivery; the host is resolved (and checked) by the guard only,
            // never by a proxy from the environment.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(GuardedResolver {
                policy: settings.targets,
            })
            .user_agent(concat!("payorch-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookError::Client(e.to_string()))?;
        Ok(Deliverer {
            inner: Arc::new(Inner {
                store,
                clock,
                settings,
                client,
                keys,
            }),
        })
    }

    pub fn settings(&self) -> &DeliverySettings {
        &self.inner.settings
    }

    /// Receives one batch and delivers its messages concurrently, once each (so every attempt
    /// ends well within the batch's visibility timeout), then acknowledges every message the
    /// merchant answered 2xx in one [`DeliveryQueue::ack_many`] (one commit on SQLite). Each
    /// tenant's endpoint is read once per batch. Returns what happened; an error only when the
    /// queue itself could not be read.
    ///
    /// [`DeliveryQueue::ack_many`]: crate::store::DeliveryQueue::ack_many
    pub async fn deliver_once(&self) -> Result<DeliveryReport, WebhookError> {
        let inner = &self.inner;
        let batch = inner
            .store
            .receive(
                inner.settings.batch_size,
                inner.settings.visibility(),
                inner.clock.now(),
            )
            .await?;
        let mut report = DeliveryReport {
            received: u32::try_from(batch.len()).unwrap_or(u32::MAX),
            ..DeliveryReport::default()
        };
        let endpoints = inner.endpoints_of(&batch).await;
        let mut tasks = tokio::task::JoinSet::new();
        for r in batch {
            let Some(lookup) = endpoints.get(&r.message.tenant).cloned().flatten() else {
                // Its endpoint could not be read (logged): it comes back after its visibility.
                report.lost_receipt += 1;
                continue;
            };
            let inner = inner.clone();
            tasks.spawn(async move {
                let result = inner.deliver(&r, &lookup).await;
                (r, result)
            });
        }
        let mut acks = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((r, Ok(Some(d)))) => match d {
                    Disposition::Delivered => acks.push((r.message.id, r.receipt)),
                    Disposition::Retried => report.retried += 1,
                    Disposition::Dead => report.dead += 1,
                    Disposition::Held => report.held += 1,
                },
                Ok((r, Ok(None))) => {
                    tracing::warn!(message = %r.message.id, "webhook receipt went stale; another receiver has the message");
                    report.lost_receipt += 1;
                }
                Ok((r, Err(e))) => {
                    // The message stays hidden until its visibility timeout, then comes back.
                    tracing::warn!(message = %r.message.id, error = %e, "webhook delivery bookkeeping failed");
                    report.lost_receipt += 1;
                }
                Err(e) => {
                    tracing::error!(error = %e, "a webhook delivery task failed");
                    report.lost_receipt += 1;
                }
            }
        }
        inner.ack_delivered(&acks, &mut report).await;
        Ok(report)
    }
}

/// A tenant's endpoint as one batch sees it.
enum Lookup {
    Found(Endpoint),
    /// No endpoint, a disabled one, or secrets that cannot be decrypted: the events wait.
    Hold(String),
}

impl Inner {
    /// The endpoint of every tenant in `batch`, each read (and its secrets decrypted) once. A
    /// tenant whose endpoint cannot be read maps to `None`, logged once: its messages are not
    /// attempted and come back after their visibility timeout.
    async fn endpoints_of(&self, batch: &[Received]) -> HashMap<TenantId, Option<Arc<Lookup>>> {
        let mut endpoints = HashMap::new();
        for r in batch {
            let tenant = &r.message.tenant;
            if endpoints.contains_key(tenant) {
                continue;
            }
            let lookup = match endpoint::get(self.store.as_ref(), &self.keys, tenant).await {
                Ok(Some((e, _))) if e.enabled => Lookup::Found(e),
                Ok(Some((e, _))) => {
                    let why = e
                        .disabled_reason
                        .as_deref()
                        .unwrap_or("disabled by an operator");
                    Lookup::Hold(format!("webhook endpoint disabled: {why}"))
                }
                Ok(None) => Lookup::Hold("no webhook endpoint configured".into()),
                // A secret that cannot be decrypted (its data key is missing): the events
                // wait, never sent unsigned; the message says how to provide the key or recover.
                Err(e @ EndpointError::DataKey { .. }) => {
                    tracing::error!(tenant = %tenant, error = %e, "cannot sign webhook deliveries");
                    Lookup::Hold(e.to_string())
                }
                Err(e) => {
                    tracing::warn!(tenant = %tenant, error = %e, "cannot read the webhook endpoint; its events are retried later");
                    endpoints.insert(tenant.clone(), None);
                    continue;
                }
            };
            endpoints.insert(tenant.clone(), Some(Arc::new(lookup)));
        }
        endpoints
    }

    /// Acknowledges the delivered messages in one store call and counts them in `report`: a
    /// stale receipt (another receiver has the message) or a failed call is a lost receipt,
    /// and the message comes back after its visibility timeout (at least once).
    async fn ack_delivered(&self, acks: &[(MessageId, String)], report: &mut DeliveryReport) {
        if acks.is_empty() {
            return;
        }
        match self.store.ack_many(acks).await {
            Ok(answers) => {
                for ((id, _), acked) in acks.iter().zip(answers) {
                    if acked {
                        report.delivered += 1;
                    } else {
                        tracing::warn!(message = %id, "webhook receipt went stale; another receiver has the message");
                        report.lost_receipt += 1;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(messages = acks.len(), error = %e, "cannot acknowledge delivered webhooks; they will be delivered again");
                report.lost_receipt += u32::try_from(acks.len()).unwrap_or(u32::MAX);
            }
        }
    }

    /// Delivers one received message to its tenant's endpoint as `lookup` found it;
    /// `Delivered` (still to be acknowledged) when the merchant answered 2xx, `None` when its
    /// receipt went stale.
    async fn deliver(
        &self,
        r: &Received,
        lookup: &Lookup,
    ) -> Result<Option<Disposition>, WebhookError> {
        let msg = &r.message;
        let mut log = r
            .last_error
            .as_deref()
            .map(DeliveryLog::decode)
            .unwrap_or_default();
        let endpoint = match lookup {
            Lookup::Found(e) => e,
            Lookup::Hold(why) => return self.hold(r, &mut log, why.clone()).await,
        };
        let now = self.clock.now();
        let webhook_id = event_id(&msg.body).unwrap_or_else(|| msg.id.to_string());
        let timestamp = now.unix_seconds();
        let signature = match signing::signature_header(
            &endpoint.signing_secrets(now),
            &webhook_id,
            timestamp,
            msg.body.as_bytes(),
        ) {
            Ok(s) => s,
            Err(e) => return self.hold(r, &mut log, e.to_string()).await,
        };
        let outcome = self
            .post(&endpoint.url, &webhook_id, timestamp, &signature, &msg.body)
            .await;
        let stale = |ok: bool| ok.then_some(());
        // Waits count from the answer, not from the start of the attempt.
        let answered = self.clock.now();
        match outcome {
            Outcome::Delivered => Ok(Some(Disposition::Delivered)),
            Outcome::Gone(error) => {
                log.record(AttemptRecord {
                    at: now,
                    status: Some(410),
                    error: Some(error.clone()),
                });
                let reason = format!("410 Gone at {now}");
                endpoint::disable(
                    self.store.as_ref(),
                    &self.keys,
                    &msg.tenant,
                    &reason,
                    answered,
                )
                .await?;
                tracing::warn!(tenant = %msg.tenant, "webhook endpoint answered 410 Gone: disabled it; events are kept until `payorch webhook endpoint enable`");
                self.hold(r, &mut log, error).await
            }
            Outcome::Failed {
                status,
                error,
                retry_after,
                throttled,
            } => {
                log.failures = log.failures.saturating_add(1);
                log.record(AttemptRecord {
                    at: now,
                    status,
                    error: Some(error),
                });
                let index = usize::try_from(log.failures - 1).unwrap_or(usize::MAX);
                let Some(base) = self.settings.retry_schedule.get(index).copied() else {
                    let done = self
                        .store
                        .dead_letter(&msg.id, &r.receipt, &log.encode(), answered)
                        .await?;
                    if done {
                        tracing::warn!(message = %msg.id, tenant = %msg.tenant, error = %log.last_error, "webhook moved to the DLQ");
                    }
                    return Ok(stale(done).map(|()| Disposition::Dead));
                };
                let mut delay = jitter(base, self.settings.jitter_percent);
                if throttled {
                    delay = delay.max(MIN_BACKOFF_THROTTLED);
                }
                if let Some(ra) = retry_after {
                    delay = delay.max(ra.min(MAX_RETRY_AFTER));
                }
                let done = self
                    .store
                    .retry_later(&msg.id, &r.receipt, delay, &log.encode(), answered)
                    .await?;
                Ok(stale(done).map(|()| Disposition::Retried))
            }
        }
    }

    /// Keeps the message for later without counting an attempt.
    async fn hold(
        &self,
        r: &Received,
        log: &mut DeliveryLog,
        why: String,
    ) -> Result<Option<Disposition>, WebhookError> {
        log.last_error = why;
        let done = self
            .store
            .retry_later(
                &r.message.id,
                &r.receipt,
                self.settings.hold_delay,
                &log.encode(),
                self.clock.now(),
            )
            .await?;
        Ok(done.then_some(Disposition::Held))
    }

    async fn post(
        &self,
        url: &str,
        id: &str,
        timestamp: i64,
        signature: &str,
        body: &str,
    ) -> Outcome {
        // A stored URL may predate the policy; IP literals never reach the resolver.
        if let Err(e) = target::check_url(url, self.settings.targets) {
            return Outcome::Failed {
                status: None,
                error: e.to_string(),
                retry_after: None,
                throttled: false,
            };
        }
        let sent = self
            .client
            .post(url)
            .header(HEADER_ID, id)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                return Outcome::Failed {
                    status: None,
                    error: transport_error(&e),
                    retry_after: None,
                    throttled: e.is_timeout(),
                };
            }
        };
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Outcome::Delivered;
        }
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, self.clock.now()));
        let snippet = target::body_excerpt(response).await;
        let error = if snippet.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {snippet}")
        };
        if status == 410 {
            return Outcome::Gone(error);
        }
        Outcome::Failed {
            status: Some(status),
            error,
            retry_after,
            throttled: status == 429,
        }
    }
}

/// What became of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Disposition {
    /// Answered 2xx: acknowledged with the rest of its batch.
    Delivered,
    Retried,
    Dead,
    Held,
}

/// The event's id from its JSON: the `webhook-id`, the same on every retry. Reads only `id`
/// (the rest of the body is skipped, not built into a value).
fn event_id(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Head {
        id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Head>(body).ok()?.id? {
        serde_json::Value::String(id) => Some(id),
        _ => None,
    }
}

/// A running delivery worker. Dropping it stops it; [`DeliveryWorker::shutdown`] stops it
/// after the current attempts finish. A message interrupted mid-attempt is not lost: it comes
/// back after its visibility timeout.
pub struct DeliveryWorker {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl DeliveryWorker {
    /// Stops the loops and waits for them to finish their current message.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let _ = task.await;
        }
    }
}

impl Drop for DeliveryWorker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts `settings.concurrency` delivery loops on the current Tokio runtime. Each receives a
/// batch, delivers it, and waits `poll_interval` when the queue had nothing ready.
pub fn spawn_delivery_worker(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: DeliverySettings,
    keys: Arc<DataKeys>,
) -> DeliveryWorker {
    let (stop, stopped) = watch::channel(false);
    let loops = settings.concurrency.max(1);
    let tasks = (0..loops)
        .map(|_| {
            let (store, clock, settings) = (store.clone(), clock.clone(), settings.clone());
            let (keys, stopped) = (keys.clone(), stopped.clone());
            tokio::spawn(run_loop(store, clock, settings, keys, stopped))
        })
        .collect();
    DeliveryWorker { stop, tasks }
}

async fn run_loop(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: DeliverySettings,
    keys: Arc<DataKeys>,
    mut stopped: watch::Receiver<bool>,
) {
    let poll = settings.poll_interval;
    let deliverer = loop {
        match Deliverer::new(store.clone(), clock.clone(), settings.clone(), keys.clone()) {
            Ok(d) => break d,
            Err(e) => {
                tracing::error!(error = %e, "webhook delivery worker cannot start; retrying");
                if wait(&mut stopped, poll).await {
                    return;
                }
            }
        }
    };
    loop {
        if *stopped.borrow() {
            return;
        }
        let busy = match deliverer.deliver_once().await {
            Ok(report) => report.received > 0,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the delivery queue");
                false
            }
        };
        if !busy && wait(&mut stopped, poll).await {
            return;
        }
    }
}

/// Waits `d` or until told to stop; `true` when told to stop.
async fn wait(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        r = stopped.changed() => r.is_err() || *stopped.borrow(),
        () = tokio::time::sleep(d) => *stopped.borrow(),
    }
}

#[cfg(test)]
mod tests;
