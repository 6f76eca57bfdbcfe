//! The demo's whole world in one process: a throwaway data dir and SQLite store, the sandbox
//! with its three fakes, the core behind `serve`'s router on 127.0.0.1:0 with its background
//! work, the merchant's receiver, and the traffic. [`Demo`] starts it, takes gateways down and
//! up (through `control.rs`'s `DemoHandle`, also what the dashboard's keys call), and [`Demo::finish`] stops it in
//! order and gathers the facts for the summary. No config file or user data dir is touched.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use payorch::breaker::{BreakerOverrides, BreakerState, SlidingWindow, SyncInterval};
use payorch::clock::{Clock, SystemClock};
use payorch::config::{Config, HumanDuration};
use payorch::datakey::{DataKey, DataKeys};
use payorch::egress::TargetPolicy;
use payorch::fleet::Breakers;
use payorch::id::{ChargeId, EventId};
use payorch::model::{Event, GatewayId, TenantId};
use payorch::runtime::{self, Background, Core};
use payorch::sandbox::SandboxContext;
use payorch::sandbox::server::{self, RunningSandbox, SandboxOptions, SandboxServer};
use payorch::server::listen::{self, ConnectionLimits};
use payorch::store::dynamo::{AwsSettings, DynamoStore, StaticCredentials, admin};
use payorch::store::sqlite::SqliteStore;
use payorch::store::{EventQuery, Store};
use payorch::tenancy::{self, Actor};
use payorch::webhook::endpoint;

use super::control::DemoHandle;
use super::merchant::Merchant;
use super::summary::{BreakerChange, BreakerTuning, Facts, Reconciled, Summary};
use super::traffic::{Sent, Traffic, TrafficSettings};

/// How long `finish` waits for charges in flight and their payers.
const TRAFFIC_DRAIN: Duration = Duration::from_secs(15);
/// How long `finish` waits at most for webhooks to reach the merchant (it returns as soon as
/// all have). Longer than the minute a delivery waits after a timed-out attempt (the
/// worker's rule for a timeout or a 429), so an attempt that timed out on a starved machine is
/// retried and counted rather than reported lost.
const DELIVERY_DRAIN: Duration = Duration::from_secs(80);
/// How often the breakers are looked at for the transition log.
const BREAKER_POLL: Duration = Duration::from_millis(100);

/// How to run the demo.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Charges per second.
    pub rate: f64,
    pub seed: u64,
    /// Keep the data dir at the end (its path is in the summary).
    pub keep: bool,
    /// DynamoDB + SQS at this endpoint (fresh table and queues) instead of SQLite.
    pub aws: Option<String>,
}

/// A fresh table and pair of queues (`payorch-demo-<id>`) at `endpoint`, created with
/// `aws init`'s code. Credentials from the AWS chain when it has some, else the placeholder an
/// emulator accepts.
async fn aws_store(
    endpoint: &str,
) -> anyhow::Result<(DynamoStore, AwsSettings, Option<StaticCredentials>)> {
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let settings = AwsSettings {
        region: Some(std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into())),
        table: format!("payorch-demo-{tag}"),
        queue: format!("payorch-demo-{tag}"),
        dead_letter_queue: format!("payorch-demo-{tag}-dlq"),
        endpoint_url: Some(endpoint.to_string()),
    };
    let placeholder = StaticCredentials {
        access_key_id: "payorch-demo".into(),
        secret_access_key: "payorch-demo".into(),
    };
    let credentials = std::env::var_os("AWS_ACCESS_KEY_ID")
        .is_none()
        .then_some(placeholder);
    let fail = |e: payorch::store::StoreError| super::super::aws::aws_error(e);
    admin::init(&settings, credentials.as_ref())
        .await
        .map_err(fail)?;
    let store = DynamoStore::connect(&settings, credentials.as_ref())
        .await
        .map_err(fail)?;
    Ok((store, settings, credentials))
}

/// The demo's configuration: the defaults, a fresh data dir, breakers tuned so a few seconds'
/// outage is detected and recovered within a short run, and a short webhook retry schedule.
pub fn demo_config(data_dir: &Path) -> Config {
    let secs = |s: u64| HumanDuration(Duration::from_secs(s));
    let mut config = Config {
        data_dir: Some(data_dir.to_path_buf()),
        ..Config::default()
    };
    config.breaker.sync_interval = SyncInterval(HumanDuration(Duration::from_millis(100)));
    // Three failures among the last five calls open a breaker: even a slow machine makes
    // three calls during an outage. Three seconds open, then two probes.
    config.breaker.defaults = BreakerOverrides {
        sliding_window: Some(SlidingWindow::Count),
        window_size: Some(5),
        minimum_calls: Some(3),
        failure_rate_threshold: Some(50),
        wait_in_open: Some(secs(3)),
        permitted_calls_in_half_open: Some(2),
        max_wait_in_half_open: Some(Some(secs(5))),
        ..BreakerOverrides::default()
    };
    config.webhooks.retry_schedule = vec![secs(1), secs(2), secs(4)];
    config.webhooks.attempt_timeout = secs(5);
    // The demo's merchant receiver listens on loopback, over plain http.
    config.webhooks.allow_private_targets = true;
    config
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The breaker transitions of one tenant, polled from the in-process breakers.
struct BreakerLog {
    changes: Arc<Mutex<Vec<BreakerChange>>>,
    task: JoinHandle<()>,
}

impl BreakerLog {
    fn start(breakers: Arc<Breakers>, tenant: TenantId, started: Instant) -> BreakerLog {
        let changes = Arc::new(Mutex::new(Vec::new()));
        let log = changes.clone();
        let task = tokio::spawn(async move {
            let mut last: BTreeMap<GatewayId, BreakerState> = BTreeMap::new();
            let mut tick = tokio::time::interval(BREAKER_POLL);
            loop {
                tick.tick().await;
                for status in breakers.local_status() {
                    if status.tenant != tenant {
                        continue;
                    }
                    let before = last.insert(status.gateway, status.state);
                    let before = before.unwrap_or(BreakerState::Closed);
                    if before != status.state {
                        let at = started.elapsed().as_secs_f64();
                        lock(&log).push(BreakerChange {
                            gateway: status.gateway,
                            from: before,
                            to: status.state,
                            at_secs: (at * 10.0).round() / 10.0,
                        });
                    }
                }
            }
        });
        BreakerLog { changes, task }
    }

    fn changes(&self) -> Vec<BreakerChange> {
        lock(&self.changes).clone()
    }
}

/// Everything the demo runs, in-process.
pub struct Demo {
    options: DemoOptions,
    started: Instant,
    dir: tempfile::TempDir,
    config: Config,
    tenant: TenantId,
    store: Arc<dyn Store>,
    core: Core,
    background: Background,
    sandbox: RunningSandbox,
    serve_stop: oneshot::Sender<()>,
    serve: JoinHandle<()>,
    /// serve's address, `http://127.0.0.1:PORT`.
    api_url: String,
    merchant: Merchant,
    traffic: Traffic,
    breakers: BreakerLog,
    handle: DemoHandle,
    /// The table and queues made for this run on DynamoDB + SQS, removed at the end.
    aws: Option<(AwsSettings, Option<StaticCredentials>)>,
}

impl Demo {
    /// Creates the data dir and starts everything; traffic flows when this returns.
    pub async fn start(options: DemoOptions) -> anyhow::Result<Demo> {
        payorch::gateway::http::install_crypto_provider();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let dir = tempfile::Builder::new()
            .prefix("payorch-demo-")
            .tempdir()
            .context("cannot create the demo's temporary data dir")?;
        let config = demo_config(dir.path());
        config
            .breaker
            .validate()
            .map_err(|(k, m)| anyhow::anyhow!("demo breaker tuning: `{k}`: {m}"))?;
        let tenant = TenantId::default_tenant();
        let (store, aws): (Arc<dyn Store>, _) = match &options.aws {
            None => {
                let path = config.sqlite_path();
                let store = SqliteStore::open(&path)
                    .with_context(|| format!("cannot open the demo store at {}", path.display()))?;
                (Arc::new(store), None)
            }
            Some(endpoint) => {
                let (store, settings, credentials) = aws_store(endpoint).await?;
                (Arc::new(store), Some((settings, credentials)))
            }
        };
        tenancy::ensure_default_tenant(store.as_ref(), clock.as_ref()).await?;
        let key = tenancy::issue_api_key(
            store.as_ref(),
            clock.as_ref(),
            &actor(),
            &tenant,
            Some("demo merchant"),
        )
        .await?;

        // The merchant's receiver, and the tenant's endpoint pointed at it. The data key lives
        // in memory, like the rest of the demo: nothing goes to the operator's keyring.
        let merchant = Merchant::start().await?;
        let keys = Arc::new(DataKeys::in_memory(vec![
            DataKey::generate().context("the demo's data key")?,
        ]));
        let (endpoint, _) = endpoint::set(
            store.as_ref(),
            &keys,
            &tenant,
            &merchant.url,
            TargetPolicy::ALLOW_PRIVATE,
            clock.now(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("the demo's webhook endpoint: {e}"))?;
        merchant.trust(endpoint.secret.clone());

        // serve's listener first: the sandbox's webhooks go to its inbound routes.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("the demo cannot listen on 127.0.0.1")?;
        let serve_url = format!("http://{}", listener.local_addr()?);
        let (ctx, webhooks) = SandboxContext::new(clock.clone());
        let mut sandbox_options = SandboxOptions::new("127.0.0.1:0".parse()?, clock.clone());
        for g in GatewayId::ALL {
            let url = format!("{serve_url}/webhooks/{tenant}/{g}");
            sandbox_options
                .webhook_urls
                .push((g, server::parse_webhook_url(&url)?));
        }
        let sandbox = SandboxServer::new(server::standard_fakes(&ctx), webhooks, sandbox_options)
            .start()
            .await
            .context("cannot start the demo's sandbox")?;
        let sandbox_url = sandbox.url();

        // The core, exactly as `serve --sandbox` assembles it.
        let gateways = runtime::sandbox_gateways(&config, &sandbox_url).await?;
        let core = Core::assemble(config.clone(), store.clone(), gateways, clock.clone())?;
        let app = payorch::server::router(
            payorch::server::AppState::from_core(&core).with_data_keys(keys.clone()),
        );
        let (serve_stop, stopped) = oneshot::channel::<()>();
        // With `serve`'s own connection limits (`[server]`), as `serve` listens.
        let limits = ConnectionLimits::from(&config.server);
        let serve = tokio::spawn(listen::serve(listener, app, limits, async {
            let _ = stopped.await;
        }));
        let background = core.spawn_background(keys).await;
        let started = Instant::now();
        let breakers = BreakerLog::start(core.breakers.clone(), tenant.clone(), started);
        let handle = DemoHandle::new(sandbox_url.clone(), started)?;
        let traffic = Traffic::start(TrafficSettings {
            started,
            api_url: serve_url.clone(),
            api_key: key.secret,
            sandbox_url,
            rate: options.rate,
            seed: options.seed,
        })?;
        tracing::info!(data_dir = %dir.path().display(), "demo started");
        Ok(Demo {
            aws,
            options,
            started,
            dir,
            config,
            tenant,
            store,
            core,
            background,
            sandbox,
            serve_stop,
            serve,
            api_url: serve_url,
            merchant,
            traffic,
            breakers,
            handle,
        })
    }

    /// Where the demo's listeners are: its `serve`, its merchant's receiver, its sandbox.
    pub fn urls(&self) -> [(&'static str, String); 3] {
        [
            ("api", self.api_url.clone()),
            ("merchant", self.merchant.url.clone()),
            ("sandbox", self.sandbox.url()),
        ]
    }

    /// The gateways down now.
    pub fn down(&self) -> Vec<GatewayId> {
        self.handle.down()
    }

    /// The switch, shareable with the dashboard.
    pub fn handle(&self) -> DemoHandle {
        self.handle.clone()
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// Who the dashboard's operator actions are audited as.
    pub fn actor(&self) -> Actor {
        actor()
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The merchant's requests so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.traffic.sent()
    }

    /// The breaker changes so far.
    pub fn breaker_changes(&self) -> Vec<BreakerChange> {
        self.breakers.changes()
    }

    /// Stops the traffic, waits (bounded) for the charges in flight, their payers and the
    /// webhooks, stops everything, and sums the run up. The data dir is removed unless kept.
    pub async fn finish(self) -> anyhow::Result<Summary> {
        let Demo {
            aws,
            options,
            started,
            dir,
            config,
            tenant,
            store,
            core,
            background,
            sandbox,
            serve_stop,
            serve,
            api_url: _,
            merchant,
            traffic,
            breakers,
            handle,
        } = self;
        let elapsed = started.elapsed();
        let sent = traffic.stop(TRAFFIC_DRAIN).await;
        let paid = sent.iter().filter(|s| s.paid).count();

        // Rule 4's leftovers (unknown card charges, Pix orphans at a gateway a charge left):
        // one reconciler pass now rather than on serve's 30-second schedule.
        let reconciled = match core.orchestrator.reconcile_once().await {
            Ok(report) => Reconciled {
                resolved: report.resolved.len(),
                orphans_cancelled: report.orphans_cancelled.len(),
                orphans_paid: report.orphans_paid.len(),
                deferred: report.deferred,
            },
            Err(e) => {
                tracing::warn!(error = %e, "demo: the final reconcile failed");
                Reconciled::default()
            }
        };
        drain(&sandbox, store.as_ref(), &tenant, &merchant, paid).await;

        breakers.task.abort();
        let breaker_changes = breakers.changes();
        let outages = handle.outages();
        let charges = read_charges(store.as_ref(), &tenant, &sent).await?;
        let log = event_log(store.as_ref(), &tenant).await?;
        let repeated_events = repeated(&log);
        let emitted = log.iter().map(|e| e.id.to_string()).collect();
        let queue = store.queue_stats(None, SystemClock.now()).await?;
        let received = merchant.received();
        let tuning = {
            let b = config.breaker.for_gateway(GatewayId::Stripe);
            BreakerTuning {
                window_size: b.window_size,
                minimum_calls: b.minimum_calls,
                failure_rate_threshold: b.failure_rate_threshold,
                wait_in_open_secs: b.wait_in_open.0.as_secs_f64(),
                permitted_calls_in_half_open: b.permitted_calls_in_half_open,
            }
        };

        background.shutdown().await;
        let _ = serve_stop.send(());
        let _ = serve.await;
        sandbox.shutdown().await;
        merchant.stop().await;
        drop(core);
        drop(store);
        if let Some((settings, credentials)) = aws.filter(|_| !options.keep) {
            admin::remove(&settings, credentials.as_ref())
                .await
                .map_err(super::super::aws::aws_error)?;
        }
        let data_dir: Option<PathBuf> = if options.keep {
            Some(dir.keep())
        } else {
            let path = dir.path().to_path_buf();
            dir.close()
                .with_context(|| format!("cannot remove the demo data dir {}", path.display()))?;
            None
        };
        Ok(Summary::from_facts(Facts {
            elapsed,
            rate: options.rate,
            seed: options.seed,
            sent,
            charges,
            emitted,
            repeated_events,
            queue,
            received,
            breakers: breaker_changes,
            outages,
            tuning,
            reconciled,
            data_dir,
        }))
    }
}

/// Waits until the queue is empty, the sandbox has sent a webhook for each payment and none is
/// being retried, and every emitted event reached the merchant (or `DELIVERY_DRAIN` passed).
/// Two calm looks in a row, so a webhook in flight between them is not missed.
async fn drain(
    sandbox: &RunningSandbox,
    store: &dyn Store,
    tenant: &TenantId,
    merchant: &Merchant,
    paid: usize,
) {
    let deadline = Instant::now() + DELIVERY_DRAIN;
    let mut calm = 0;
    while Instant::now() < deadline {
        if is_calm(sandbox, store, tenant, merchant, paid).await {
            calm += 1;
            if calm >= 2 {
                return;
            }
        } else {
            calm = 0;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    tracing::warn!("demo: deliveries still in progress at the end of the drain");
}

async fn is_calm(
    sandbox: &RunningSandbox,
    store: &dyn Store,
    tenant: &TenantId,
    merchant: &Merchant,
    paid: usize,
) -> bool {
    let mut last: BTreeMap<u64, server::DeliveryOutcome> = BTreeMap::new();
    for d in sandbox.deliveries() {
        last.insert(d.webhook, d.outcome);
    }
    // Webhooks are numbered from 1, so the highest number counts them all, even once the
    // bounded log dropped the oldest entries.
    let sent = last.keys().next_back().copied().unwrap_or(0);
    let sandbox_done = sent >= paid as u64
        && last
            .values()
            .all(|o| *o != server::DeliveryOutcome::Retrying);
    let Ok(queue) = store.queue_stats(None, SystemClock.now()).await else {
        return false;
    };
    let Ok(emitted) = emitted(store, tenant).await else {
        return false;
    };
    let delivered = emitted.is_subset(&merchant.received().ids);
    sandbox_done && queue.ready + queue.delayed == 0 && (delivered || queue.dead > 0)
}

/// The stored charges the merchant got ids for.
async fn read_charges(
    store: &dyn Store,
    tenant: &TenantId,
    sent: &[Sent],
) -> anyhow::Result<Vec<payorch::model::Charge>> {
    let mut out = Vec::new();
    for id in sent.iter().filter_map(|s| s.charge.as_deref()) {
        let Ok(id) = ChargeId::parse(id) else {
            continue;
        };
        if let Some(v) = store.get_charge(tenant, &id).await? {
            out.push(v.value);
        }
    }
    Ok(out)
}

/// Ids of every event in the event log.
async fn emitted(store: &dyn Store, tenant: &TenantId) -> anyhow::Result<BTreeSet<String>> {
    Ok(event_log(store, tenant)
        .await?
        .iter()
        .map(|e| e.id.to_string())
        .collect())
}

/// Events that repeat news already sent: the same charge, type and refunded amount.
fn repeated(events: &[Event]) -> u64 {
    let distinct: BTreeSet<(String, String, i64)> = events
        .iter()
        .map(|e| {
            (
                e.data.charge.id.to_string(),
                e.kind.to_string(),
                e.data.charge.amount_refunded(),
            )
        })
        .collect();
    (events.len() - distinct.len()) as u64
}

/// Every event in the event log.
async fn event_log(store: &dyn Store, tenant: &TenantId) -> anyhow::Result<Vec<Event>> {
    let mut events = Vec::new();
    let mut query = EventQuery {
        limit: 1000,
        ..EventQuery::default()
    };
    loop {
        let page = store.list_events(tenant, &query).await?;
        events.extend(page.items);
        match page.next_cursor.as_deref().map(EventId::parse) {
            Some(Ok(cursor)) => query.starting_after = Some(cursor),
            _ => return Ok(events),
        }
    }
}

fn actor() -> Actor {
    Actor("demo".into())
}
