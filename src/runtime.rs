//! A running core assembled from configuration: the store, the gateways (configured, or a
//! sandbox's), the fleet breakers, routing, idempotency and the orchestrator, plus the
//! background work `serve` runs (breaker sync, reconciler, idempotency purge). `serve` and
//! `charge create` both start from here, so the CLI runs exactly the core the server runs.
//!
//! The idempotent create and refund ([`create_charge`], [`refund`]) answer a typed [`Outcome`];
//! the response stored under the key (and replayed) is what the caller's [`Render`] makes of it
//! (`server`'s `HttpRender`): the runtime knows nothing of HTTP. A created charge's answer is
//! stored as the event committed with its outcome and rendered from that event's charge on a
//! replay (the same renderer, so the same bytes); errors and refunds are stored as rendered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::api::{ChargeRequest, Invalid, RefundRequest};
use crate::clock::Clock;
use crate::config::{Config, ProcessEnv};
use crate::credentials::{self, OsKeyring};
use crate::failpoint::Failpoints;
use crate::fleet::{Breakers, SyncTask};
use crate::gateway::registry::SandboxInfo;
use crate::gateway::registry::{self, Gateways};
use crate::id::{ChargeId, EventId, RefundId};
use crate::idempotency::{Begin, IdempotencyError, Lease, request_hash};
use crate::idempotency::{IdempotencyKeys, IdempotencySettings};
use crate::model::{Charge, GatewayId, TenantId};
use crate::orchestrator::{
    FlowError, FlowSettings, GatewayDirectory, KeyHook, Orchestrator, SharedGateways,
};
use crate::ratelimit::RateLimits;
use crate::routing::Routing;
use crate::store::{KeyWrite, Store};

/// How often `serve` purges expired idempotency keys.
pub const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Why the core could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("no sandbox at {url}: {reason} (start one with `payorch sandbox`)")]
    Sandbox { url: String, reason: String },
    #[error("routing: {0}")]
    Routing(String),
    #[error("{0}")]
    Failpoints(String),
}

/// Each tenant's gateways from `[gateways.*]` and that tenant's credentials (keyring, with
/// `PAYORCH_<GATEWAY>_<FIELD>` environment variables winning), built on first use and kept for
/// the life of the process (restart `serve` after changing credentials).
pub struct ConfiguredGateways {
    config: crate::config::GatewaysConfig,
    keyring: OsKeyring,
    built: Mutex<HashMap<TenantId, Arc<Gateways>>>,
}

impl ConfiguredGateways {
    pub fn new(config: &Config) -> Self {
        ConfiguredGateways {
            config: config.gateways.clone(),
            keyring: OsKeyring::new(&ProcessEnv),
            built: Mutex::new(HashMap::new()),
        }
    }
}

impl GatewayDirectory for ConfiguredGateways {
    fn for_tenant(&self, tenant: &TenantId) -> Arc<Gateways> {
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        built
            .entry(tenant.clone())
            .or_insert_with(|| {
                let gateways = registry::build(&self.config, |g: GatewayId| {
                    credentials::resolve(&self.keyring, &ProcessEnv, tenant, g)
                });
                for (g, why) in &gateways.unavailable {
                    tracing::warn!(%tenant, gateway = %g, reason = %why, "gateway unavailable for this tenant");
                }
                Arc::new(gateways)
            })
            .clone()
    }
}

/// Every tenant's gateways from the configuration and the keyring.
pub fn configured_gateways(config: &Config) -> Arc<dyn GatewayDirectory> {
    Arc::new(ConfiguredGateways::new(config))
}

/// One set of gateways, for every tenant, against a running `payorch sandbox` at `url` (its
/// test accounts).
pub async fn sandbox_gateways(
    config: &Config,
    url: &str,
) -> Result<Arc<dyn GatewayDirectory>, RuntimeError> {
    let tenant = TenantId::default_tenant();
    crate::gateway::http::install_crypto_provider();
    let err = |reason: String| RuntimeError::Sandbox {
        url: url.to_string(),
        reason,
    };
    let info_url = format!("{}/_sandbox/info", url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| err(e.to_string()))?;
    let response = client
        .get(&info_url)
        .send()
        .await
        .map_err(|e| err(e.to_string()))?;
    if !response.status().is_success() {
        return Err(err(format!("{info_url} answered {}", response.status())));
    }
    let bytes = response.bytes().await.map_err(|e| err(e.to_string()))?;
    let info: SandboxInfo = serde_json::from_slice(&bytes)
        .map_err(|e| err(format!("not a sandbox info document: {e}")))?;
    Ok(Arc::new(SharedGateways(Arc::new(registry::for_sandbox(
        &config.gateways,
        &info,
        &tenant,
    )))))
}

/// Every part of a running core.
pub struct Core {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub gateways: Arc<dyn GatewayDirectory>,
    pub breakers: Arc<Breakers>,
    pub routing: Arc<Routing>,
    pub idempotency: Arc<IdempotencyKeys>,
    pub orchestrator: Arc<Orchestrator>,
    /// `serve`'s request rate limits (`[limits]`), on the core's clock.
    pub rate_limits: Arc<RateLimits>,
}

impl Core {
    pub fn assemble(
        config: Config,
        store: Arc<dyn Store>,
        gateways: Arc<dyn GatewayDirectory>,
        clock: Arc<dyn Clock>,
    ) -> Result<Core, RuntimeError> {
        let breakers = Arc::new(Breakers::new(
            store.clone(),
            clock.clone(),
            config.breaker.clone(),
        ));
        let routing = Arc::new(
            Routing::new(store.clone(), clock.clone(), &config)
                .map_err(|e| RuntimeError::Routing(e.to_string()))?,
        );
        let idempotency = Arc::new(IdempotencyKeys::new(
            store.clone(),
            clock.clone(),
            IdempotencySettings::from_config(&config.idempotency),
        ));
        let orchestrator = Arc::new(Orchestrator {
            store: store.clone(),
            gateways: gateways.clone(),
            breakers: breakers.clone(),
            routes: routing.clone(),
            clock: clock.clone(),
            settings: FlowSettings::from_config(&config),
            failpoints: Arc::new(Failpoints::from_env().map_err(RuntimeError::Failpoints)?),
            flows: tokio_util::task::TaskTracker::new(),
            known_tenants: Default::default(),
        });
        let rate_limits = Arc::new(RateLimits::new(&config.limits, clock.clone()));
        Ok(Core {
            config,
            store,
            clock,
            gateways,
            breakers,
            routing,
            idempotency,
            orchestrator,
            rate_limits,
        })
    }

    /// Starts the background work of `serve`; it stops when the returned value is dropped.
    /// `keys` decrypt the webhook endpoints' signing secrets ([`crate::datakey`]).
    pub async fn spawn_background(&self, keys: Arc<crate::datakey::DataKeys>) -> Background {
        if let Ok(tenants) = self.store.list_tenants().await {
            for t in tenants {
                self.breakers.watch(&t.id);
            }
        }
        let sync = self.breakers.spawn_sync();
        let orchestrator = self.orchestrator.clone();
        let idempotency = self.idempotency.clone();
        let every = self.config.recovery.every.0;
        let (store, clock) = (self.store.clone(), self.clock.clone());
        let retention = self.config.retention.inbound_bodies.0;
        let reconciler = tokio::spawn(async move {
            let mut reconcile = tokio::time::interval(every);
            let mut purge = tokio::time::interval(PURGE_EVERY);
            let mut prune = tokio::time::interval(PURGE_EVERY);
            loop {
                tokio::select! {
                    _ = reconcile.tick() => match orchestrator.reconcile_once().await {
                        Ok(r) if r != Default::default() => tracing::info!(?r, "reconciled"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "reconcile pass failed"),
                    },
                    _ = purge.tick() => if let Err(e) = idempotency.purge_expired().await {
                        tracing::warn!(error = %e, "idempotency purge failed");
                    },
                    // `[retention] inbound_bodies`: the bodies go, the dedupe records stay.
                    _ = prune.tick() => match store.prune_inbound_bodies(clock.now().minus(retention)).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(bodies = n, "pruned inbound webhook bodies past their retention"),
                        Err(e) => tracing::warn!(error = %e, "inbound webhook body pruning failed"),
                    },
                }
            }
        });
        if let Some(warning) = self.config.lookup_grace_warning() {
            tracing::warn!("{warning}");
        }
        if self.config.webhooks.allow_private_targets {
            tracing::warn!(
                "webhooks.allow_private_targets is on: webhooks may go to loopback, private and \
                 link-local addresses and over plain http (for development and internal networks)"
            );
        }
        let delivery = crate::webhook::outbound::spawn_delivery_worker(
            self.store.clone(),
            self.clock.clone(),
            crate::webhook::outbound::DeliverySettings::from_config(&self.config.webhooks),
            keys,
        );
        Background {
            _sync: sync,
            reconciler,
            delivery: Some(delivery),
        }
    }
}

/// `serve`'s background tasks; dropping this stops them.
pub struct Background {
    _sync: SyncTask,
    reconciler: tokio::task::JoinHandle<()>,
    delivery: Option<crate::webhook::outbound::DeliveryWorker>,
}

impl Background {
    /// Stops the tasks, letting webhook deliveries in progress finish (a delivery cut short
    /// would be retried anyway once its visibility timeout passes).
    pub async fn shutdown(mut self) {
        if let Some(d) = self.delivery.take() {
            d.shutdown().await;
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.reconciler.abort();
    }
}

/// Why a request under an idempotency key answered without a charge: the flow's reasons and
/// the key's. No HTTP here: the caller's [`Render`] turns it into a response, `commands/` into
/// an exit code. The `Display` text is the message both show.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The flow's own answer.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// The request (its body or its key) is wrong: fix it before retrying.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Another request with this key is still running.
    #[error("a request with Idempotency-Key `{0}` is still being processed; retry later")]
    KeyInUse(String),
    /// The key was used before with a different request.
    #[error("Idempotency-Key `{0}` was already used with a different request")]
    KeyReused(String),
    /// The key could not be claimed or written (the store failed).
    #[error("{0}")]
    KeyStore(IdempotencyError),
    /// The key records a different kind of request than this one.
    #[error("the idempotency key records a different kind of request")]
    KeyCorrupt,
    /// The flow's task panicked (a bug, or a crash point armed by a test). Its key stays in
    /// flight, so a retry after the lease resumes whatever the flow left.
    #[error("the request stopped unexpectedly; retry it with the same Idempotency-Key")]
    Died,
}

impl RequestError {
    /// Whether this answer is final for its key. Not final: the work may still be going on or
    /// half done (another process holds it, a refund's outcome is unknown, the store failed);
    /// the key stays in flight and a retry after the lease resumes the work.
    fn settles_key(&self) -> bool {
        !matches!(
            self,
            RequestError::KeyInUse(_)
                | RequestError::KeyStore(_)
                | RequestError::Flow(
                    FlowError::ChargeInProgress(_)
                        | FlowError::RefundInProgress(_)
                        | FlowError::RefundOutcomeUnknown { .. }
                        | FlowError::Store(_)
                )
        )
    }
}

/// What a request under an idempotency key came to, typed, for the edges' own decisions
/// (metrics, exit codes).
#[derive(Debug)]
pub enum Outcome {
    /// The request made its charge or refund (or, resumed, finished it): the charge as it is.
    Done(Box<Charge>),
    /// It made nothing, or nothing final yet: why.
    Failed(RequestError),
    /// An earlier request with the same key answered: its stored response is the answer.
    Replayed,
}

/// A response as the serving edge renders it: its status and JSON body. What a request
/// answers, and what its idempotency key stores, byte for byte, to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub status: u16,
    pub body: String,
}

/// How the edge that serves the API renders an answer (`server`'s `HttpRender`), handed in by
/// the caller, so the runtime stores exactly what is sent without knowing HTTP. Rendering must
/// be deterministic: a retry's answer is compared with nothing, it *is* the stored one.
pub trait Render: Send + Sync {
    /// A charge just created (or found decided, for a resumed key).
    fn created(&self, charge: &Charge) -> Rendered;
    /// The status [`Render::created`] answers with (stored with a key whose answer is the
    /// charge of an event, and rendered again from it on a replay).
    fn created_status(&self) -> u16;
    /// A charge after a refund.
    fn refunded(&self, charge: &Charge) -> Rendered;
    /// A request that made no charge.
    fn failed(&self, error: &RequestError) -> Rendered;
}

/// A finished API request: what happened, and the response to it (the stored one, for a
/// replay).
#[derive(Debug)]
pub struct Answer {
    pub outcome: Outcome,
    /// The response's status, as the [`Render`] decided it.
    pub status: u16,
    /// The JSON body.
    pub body: String,
}

impl Answer {
    fn new(outcome: Outcome, rendered: Rendered) -> Answer {
        Answer {
            outcome,
            status: rendered.status,
            body: rendered.body,
        }
    }

    fn failed(render: &dyn Render, error: RequestError) -> Answer {
        let rendered = render.failed(&error);
        Answer::new(Outcome::Failed(error), rendered)
    }

    /// The stored answer of an earlier request with the same idempotency key.
    pub fn replayed(&self) -> bool {
        matches!(self.outcome, Outcome::Replayed)
    }
}

/// What a request under an idempotency key makes, recorded on the key before anything else
/// happens, so a retry after a crash resumes that very charge or refund.
#[derive(Clone, Debug)]
enum Resource {
    Charge(ChargeId),
    Refund(RefundId),
}

/// `POST /v1/charges` under an idempotency key (rule 2), for `serve` and `charge create`. The
/// flow runs in a task of its own: dropping this future (a client that hung up) does not stop
/// it, and its outcome is stored for the key either way, as `render` renders it.
pub async fn create_charge(
    orchestrator: &Arc<Orchestrator>,
    keys: &Arc<IdempotencyKeys>,
    render: &'static dyn Render,
    tenant: &TenantId,
    key: &str,
    body: &Value,
) -> Answer {
    let (o, keys, tenant, key, body) = (
        orchestrator.clone(),
        keys.clone(),
        tenant.clone(),
        key.to_string(),
        body.clone(),
    );
    let fresh = Resource::Charge(ChargeId::generate());
    orchestrator
        .run_flow(async move {
            let (o, tenant, body) = (&o, &tenant, &body);
            if let Err(e) = o.require_tenant(tenant).await {
                return Answer::failed(render, e.into());
            }
            let request = Request {
                keys: &keys,
                store: o.store.as_ref(),
                render,
                tenant,
                key: &key,
                operation: "POST /v1/charges",
                body,
            };
            let key = &key;
            idempotent(request, fresh, |made, resumed, hook| async move {
                let request = ChargeRequest::parse(body).map_err(untouched)?;
                let Resource::Charge(id) = made else {
                    return Err(untouched(RequestError::KeyCorrupt));
                };
                let hook: &dyn KeyHook = hook.as_ref();
                let result = if resumed {
                    o.resume_charge(tenant, id.clone(), &request, Some(hook))
                        .await
                } else {
                    o.create_charge(tenant, id.clone(), &request, Some(hook))
                        .await
                };
                // No charge stored means no gateway was called (each call is recorded first):
                // the request changed nothing.
                match result {
                    Ok(charge) => Ok(charge),
                    // The charge and the key's claim are one commit: it was not made.
                    Err(FlowError::KeyTaken) => Err(untouched(RequestError::KeyInUse(key.clone()))),
                    Err(e) => {
                        let stored = o.store.get_charge(tenant, &id).await;
                        let changed = !matches!(stored, Ok(None));
                        Err(Failure {
                            error: e.into(),
                            changed,
                        })
                    }
                }
            })
            .await
        })
        .await
        .unwrap_or_else(|| Answer::failed(render, RequestError::Died))
}

/// `POST /v1/charges/{id}/refunds` under an idempotency key, in a task of its own like
/// [`create_charge`].
pub async fn refund(
    orchestrator: &Arc<Orchestrator>,
    keys: &Arc<IdempotencyKeys>,
    render: &'static dyn Render,
    tenant: &TenantId,
    charge: &str,
    key: &str,
    body: &Value,
) -> Answer {
    let (o, keys, tenant, charge, key, body) = (
        orchestrator.clone(),
        keys.clone(),
        tenant.clone(),
        charge.to_string(),
        key.to_string(),
        body.clone(),
    );
    let fresh = Resource::Refund(RefundId::generate());
    orchestrator
        .run_flow(async move {
            let (o, tenant, charge, body) = (&o, &tenant, &charge, &body);
            if let Err(e) = o.require_tenant(tenant).await {
                return Answer::failed(render, e.into());
            }
            let operation = format!("POST /v1/charges/{charge}/refunds");
            let request = Request {
                keys: &keys,
                store: o.store.as_ref(),
                render,
                tenant,
                key: &key,
                operation: &operation,
                body,
            };
            idempotent(request, fresh, |made, _, _| async move {
                let request = RefundRequest::parse(body).map_err(untouched)?;
                let Resource::Refund(refund_id) = made else {
                    return Err(untouched(RequestError::KeyCorrupt));
                };
                match o.refund(tenant, charge, &refund_id, &request).await {
                    Ok(charge) => Ok(charge),
                    // Not recorded on its charge means never sent to the gateway.
                    Err(e) => {
                        let recorded = match o.get_charge(tenant, charge).await {
                            Ok((c, _)) => c.refunds.iter().any(|r| r.id == refund_id),
                            Err(found) => !matches!(found, FlowError::NotFound { .. }),
                        };
                        Err(Failure {
                            error: e.into(),
                            changed: recorded,
                        })
                    }
                }
            })
            .await
        })
        .await
        .unwrap_or_else(|| Answer::failed(render, RequestError::Died))
}

/// A failed request, and whether it may have changed anything (stored a charge or refund, and
/// so possibly reached a gateway). One that changed nothing does not use its key up: a retry,
/// after fixing the request or the configuration, runs afresh (as Stripe does).
struct Failure {
    error: RequestError,
    changed: bool,
}

fn untouched(error: impl Into<RequestError>) -> Failure {
    Failure {
        error: error.into(),
        changed: false,
    }
}

/// A mutating request as [`idempotent`] runs it.
struct Request<'r> {
    keys: &'r IdempotencyKeys,
    /// Where a replayed answer's event is read.
    store: &'r dyn Store,
    render: &'static dyn Render,
    tenant: &'r TenantId,
    key: &'r str,
    /// What the key's fingerprint is taken over, with `body`.
    operation: &'r str,
    body: &'r Value,
}

/// A key claimed for a request: its lease, what the request makes (recorded on the key), and
/// whether a dead holder's key was recovered.
struct Claim {
    lease: Lease,
    made: Resource,
    resumed: bool,
}

/// Why a key could not be claimed: the stored answer to replay, or a refusal.
enum Unclaimed {
    Replay(Rendered),
    Refused(RequestError),
}

/// Runs a mutating request under its idempotency key: replays, 409s and 422s per rule 2.
/// `fresh` is what the request will make, recorded on the key before anything else happens;
/// `run` gets what to make (the recorded one when a dead holder's key is recovered, so the flow
/// resumes it, idempotently at the gateways, instead of making another), whether it was
/// recovered, and the key as a [`KeyHook`] (a charge's flow commits the key's claim and answer
/// with the charge). While `run` works, the lease is renewed, so nobody takes over a live flow.
async fn idempotent<'a, F, Fut>(request: Request<'_>, fresh: Resource, run: F) -> Answer
where
    F: FnOnce(Resource, bool, Arc<LeaseHook>) -> Fut,
    Fut: std::future::Future<Output = Result<Charge, Failure>> + 'a,
{
    let Claim {
        lease,
        made,
        resumed,
    } = match claim(&request, fresh).await {
        Ok(claim) => claim,
        Err(Unclaimed::Replay(stored)) => return Answer::new(Outcome::Replayed, stored),
        Err(Unclaimed::Refused(e)) => return Answer::failed(request.render, e),
    };
    let kind = made.clone();
    let beat = request.keys.settings().lease / 3;
    let hook = Arc::new(LeaseHook {
        lease: tokio::sync::Mutex::new(lease),
        render: request.render,
    });
    let result = renewing(
        &hook.lease,
        beat,
        request.key,
        run(made, resumed, hook.clone()),
    )
    .await;
    let mut lease = hook.lease.lock().await;
    settle(&mut lease, request.render, &kind, result).await
}

/// A claimed key as a charge flow sees it ([`KeyHook`]): its claim and its answer ride in the
/// charge's two commits. Shared with the renewal beat, hence the lock (held across a renewal's
/// write, so a commit never races one).
struct LeaseHook {
    lease: tokio::sync::Mutex<Lease>,
    render: &'static dyn Render,
}

#[async_trait::async_trait]
impl KeyHook for LeaseHook {
    async fn claim(&self) -> Option<KeyWrite> {
        self.lease.lock().await.claim_write()
    }

    async fn claimed(&self, write: KeyWrite) {
        self.lease.lock().await.claim_committed(write);
    }

    /// The answer [`settle`] would store: a created charge as its event's snapshot, or the
    /// error a decided charge is answered with, rendered (if that error is final for the key).
    async fn answer(&self, charge: &Charge, event: &EventId) -> Option<KeyWrite> {
        let lease = self.lease.lock().await;
        let write = match Orchestrator::exhausted(charge) {
            None => lease.answer_write(self.render.created_status(), event),
            Some(e) => {
                let error = RequestError::Flow(e);
                if !error.settles_key() {
                    return None;
                }
                let r = self.render.failed(&error);
                lease.answer_body_write(r.status, r.body)
            }
        };
        write.ok()
    }

    async fn answered(&self, write: KeyWrite) {
        self.lease.lock().await.answer_committed(write);
    }
}

/// Claims the key (or finds why not) and records on it what the request makes. A charge's
/// claim is staged: the flow commits it with the charge ([`IdempotencyKeys::begin_charge`]).
async fn claim(request: &Request<'_>, fresh: Resource) -> Result<Claim, Unclaimed> {
    let Request {
        keys,
        tenant,
        key,
        operation,
        body,
        ..
    } = *request;
    let refused = |e: RequestError| Unclaimed::Refused(e);
    let hash = request_hash(operation, body);
    let begun = match &fresh {
        Resource::Charge(id) => keys.begin_charge(tenant, key, operation, &hash, id).await,
        Resource::Refund(_) => keys.begin(tenant, key, operation, &hash).await,
    };
    let (mut lease, made, resumed) = match begun {
        Ok(Begin::Proceed(lease)) => (lease, fresh, false),
        Ok(Begin::Recover(lease, record)) => {
            let made = match fresh {
                Resource::Charge(id) => Resource::Charge(record.charge_id.unwrap_or(id)),
                Resource::Refund(id) => Resource::Refund(record.refund_id.unwrap_or(id)),
            };
            (lease, made, true)
        }
        Ok(Begin::Replay { status_code, body }) => {
            return Err(Unclaimed::Replay(Rendered {
                status: status_code,
                body,
            }));
        }
        Ok(Begin::ReplayEvent { status_code, event }) => {
            return Err(replay_event(request, status_code, &event).await);
        }
        Ok(Begin::InProgress) => return Err(refused(RequestError::KeyInUse(key.into()))),
        Ok(Begin::Mismatch) => return Err(refused(RequestError::KeyReused(key.into()))),
        Err(IdempotencyError::InvalidKey(v)) => return Err(refused(Invalid::from(v).into())),
        Err(e) => return Err(refused(RequestError::KeyStore(e))),
    };
    let attached = match &made {
        Resource::Charge(id) if lease.charge_id() != Some(id) => {
            lease.attach_charge(id.clone()).await
        }
        Resource::Refund(id) if lease.refund_id() != Some(id) => {
            lease.attach_refund(id.clone()).await
        }
        _ => Ok(()),
    };
    match attached {
        Ok(()) => Ok(Claim {
            lease,
            made,
            resumed,
        }),
        Err(e) => Err(refused(RequestError::KeyStore(e))),
    }
}

/// The stored answer of a key completed with an event: that event's charge, rendered.
async fn replay_event(request: &Request<'_>, status: u16, event: &EventId) -> Unclaimed {
    match request.store.get_event(request.tenant, event).await {
        Ok(Some(event)) => Unclaimed::Replay(Rendered {
            status,
            body: request.render.created(&event.data.charge).body,
        }),
        Ok(None) => Unclaimed::Refused(RequestError::KeyCorrupt),
        Err(e) => Unclaimed::Refused(RequestError::KeyStore(e.into())),
    }
}

/// Waits for `flow`, renewing `lease` every `beat` meanwhile.
async fn renewing<T>(
    lease: &tokio::sync::Mutex<Lease>,
    beat: Duration,
    key: &str,
    flow: impl std::future::Future<Output = T>,
) -> T {
    tokio::pin!(flow);
    loop {
        tokio::select! {
            result = &mut flow => return result,
            _ = tokio::time::sleep(beat) => {
                let mut lease = lease.lock().await;
                if lease.is_finished() {
                    continue;
                }
                if let Err(e) = lease.extend().await {
                    tracing::warn!(key, error = %e, "could not renew an idempotency lease");
                }
            },
        }
    }
}

/// Finishes the key with the flow's result: the rendered answer stored to be replayed, the key
/// released when nothing happened, or left in flight when the outcome is not final.
async fn settle(
    lease: &mut Lease,
    render: &dyn Render,
    made: &Resource,
    result: Result<Charge, Failure>,
) -> Answer {
    match result {
        Ok(charge) => {
            let rendered = match made {
                Resource::Charge(_) => render.created(&charge),
                Resource::Refund(_) => render.refunded(&charge),
            };
            // Completed already when the flow committed the answer with the charge.
            if !lease.is_finished()
                && let Err(e) = lease.complete(rendered.status, rendered.body.clone()).await
            {
                tracing::warn!(error = %e, "could not store the idempotent response");
            }
            Answer::new(Outcome::Done(Box::new(charge)), rendered)
        }
        // Nothing happened: the key may be used again (as Stripe does).
        Err(Failure {
            error,
            changed: false,
        }) => {
            if let Err(err) = lease.release().await {
                tracing::warn!(error = %err, "could not release an idempotency key");
            }
            Answer::failed(render, error)
        }
        Err(Failure { error, .. }) if !error.settles_key() => Answer::failed(render, error),
        Err(Failure { error, .. }) => {
            let a = Answer::failed(render, error);
            if lease.is_finished() {
                return a;
            }
            if let Err(err) = lease.complete(a.status, a.body.clone()).await {
                tracing::warn!(error = %err, "could not store the idempotent error response");
            }
            a
        }
    }
}
