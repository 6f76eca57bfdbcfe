//! A running core assembled from configuration: the store, the gateways (configured, or a
//! sandbox's), the fleet breakers, routing, idempotency and the orchestrator, plus the
//! background work `serve` runs (breaker sync, reconciler, idempotency purge). `serve` and
//! `charge create` both start from here, so the CLI runs exactly the core the server runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::api::{ApiError, ChargeRequest, ErrorType, RefundRequest};
use crate::clock::Clock;
use crate::config::{Config, ProcessEnv};
use crate::credentials::{self, OsKeyring};
use crate::failpoint::Failpoints;
use crate::fleet::{Breakers, SyncTask};
use crate::gateway::registry::SandboxInfo;
use crate::gateway::registry::{self, Gateways};
use crate::id::{ChargeId, RefundId};
use crate::idempotency::{Begin, IdempotencyError, request_hash};
use crate::idempotency::{IdempotencyKeys, IdempotencySettings};
use crate::model::{GatewayId, TenantId};
use crate::orchestrator::{FlowSettings, GatewayDirectory, Orchestrator, SharedGateways};
use crate::ratelimit::RateLimits;
use crate::routing::Routing;
use crate::server::AppState;
use crate::server::metrics::Metrics;
use crate::store::Store;

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
    pub metrics: Arc<Metrics>,
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
            metrics: Arc::new(Metrics::new()),
            rate_limits,
        })
    }

    /// The HTTP handlers' state.
    pub fn app_state(&self) -> AppState {
        AppState {
            orchestrator: self.orchestrator.clone(),
            store: self.store.clone(),
            idempotency: self.idempotency.clone(),
            metrics: self.metrics.clone(),
            breakers: self.breakers.clone(),
            body_limit: usize::try_from(self.config.server.body_limit).unwrap_or(64 * 1024),
            body_read_timeout: self.config.server.body_read_timeout.0,
            amount_limits: self.config.amount_limits.clone(),
            rate_limits: self.rate_limits.clone(),
        }
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

/// A finished API request, independent of the transport: what to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// The stored answer of an earlier request with the same idempotency key.
    pub replayed: bool,
}

impl Answer {
    fn error(e: &ApiError) -> Answer {
        Answer {
            status: e.status,
            body: e.body().to_string(),
            replayed: false,
        }
    }
}

/// A charge as the API shows it: the stored record plus `"object": "charge"`.
pub fn charge_json(charge: &crate::model::Charge) -> Value {
    let mut v = serde_json::to_value(charge).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("object".into(), Value::String("charge".into()));
    }
    v
}

/// A charge as listings show it (`GET /v1/charges`, the CLI): [`charge_json`] with the
/// customer's document masked. The merchant gets back what it sent only from the charge's own
/// endpoints (create, `GET /v1/charges/{id}`); a listing, the usual leak, never carries it.
pub fn charge_json_masked(charge: &crate::model::Charge) -> Value {
    let mut masked = charge.clone();
    masked.customer = charge.customer.masked();
    charge_json(&masked)
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
/// it, and its outcome is stored for the key either way.
pub async fn create_charge(
    orchestrator: &Arc<Orchestrator>,
    keys: &Arc<IdempotencyKeys>,
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
                return Answer::error(&e);
            }
            idempotent(
                &keys,
                tenant,
                &key,
                "POST /v1/charges",
                body,
                fresh,
                |made, resumed| async move {
                    let request = ChargeRequest::parse(body).map_err(untouched)?;
                    let Resource::Charge(id) = made else {
                        return Err(untouched(wrong_resource()));
                    };
                    let result = if resumed {
                        o.resume_charge(tenant, id.clone(), &request).await
                    } else {
                        o.create_charge(tenant, id.clone(), &request).await
                    };
                    match result {
                        Ok(charge) => Ok((201, charge_json(&charge))),
                        // No charge stored means no gateway was called (each call is recorded
                        // first): the request changed nothing.
                        Err(e) => {
                            let stored = o.store.get_charge(tenant, &id).await;
                            let changed = !matches!(stored, Ok(None));
                            Err(Failure { error: e, changed })
                        }
                    }
                },
            )
            .await
        })
        .await
        .unwrap_or_else(flow_died)
}

/// `POST /v1/charges/{id}/refunds` under an idempotency key, in a task of its own like
/// [`create_charge`].
pub async fn refund(
    orchestrator: &Arc<Orchestrator>,
    keys: &Arc<IdempotencyKeys>,
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
                return Answer::error(&e);
            }
            let operation = format!("POST /v1/charges/{charge}/refunds");
            idempotent(
                &keys,
                tenant,
                &key,
                &operation,
                body,
                fresh,
                |made, _| async move {
                    let request = RefundRequest::parse(body).map_err(untouched)?;
                    let Resource::Refund(refund_id) = made else {
                        return Err(untouched(wrong_resource()));
                    };
                    match o.refund(tenant, charge, &refund_id, &request).await {
                        Ok(charge) => Ok((200, charge_json(&charge))),
                        // Not recorded on its charge means never sent to the gateway.
                        Err(e) => {
                            let recorded = match o.get_charge(tenant, charge).await {
                                Ok((c, _)) => c.refunds.iter().any(|r| r.id == refund_id),
                                Err(found) => found.status != 404,
                            };
                            Err(Failure {
                                error: e,
                                changed: recorded,
                            })
                        }
                    }
                },
            )
            .await
        })
        .await
        .unwrap_or_else(flow_died)
}

/// A failed request, and whether it may have changed anything (stored a charge or refund, and
/// so possibly reached a gateway). One that changed nothing does not use its key up: a retry,
/// after fixing the request or the configuration, runs afresh (as Stripe does).
struct Failure {
    error: ApiError,
    changed: bool,
}

fn untouched(error: ApiError) -> Failure {
    Failure {
        error,
        changed: false,
    }
}

fn wrong_resource() -> ApiError {
    ApiError::new(
        500,
        ErrorType::ApiError,
        "idempotency_key_corrupt",
        "the idempotency key records a different kind of request",
    )
}

/// The answer when a flow's task panicked (a bug, or a crash point armed by a test). Its key
/// stays in flight, so a retry after the lease resumes whatever the flow left.
fn flow_died() -> Answer {
    Answer::error(&ApiError::new(
        500,
        ErrorType::ApiError,
        "internal_error",
        "the request stopped unexpectedly; retry it with the same Idempotency-Key",
    ))
}

/// Whether an error answer is final for its key. Not final: the work may still be going on
/// or half done (another process holds it, a refund's outcome is unknown, the store failed);
/// the key stays in flight and a retry after the lease resumes the work.
fn settles_key(e: &ApiError) -> bool {
    !matches!(
        e.code.as_str(),
        "idempotency_key_in_use" | "refund_outcome_unknown" | "store_error" | "store_unavailable"
    )
}

/// Runs a mutating request under its idempotency key: replays, 409s and 422s per rule 2.
/// `fresh` is what the request will make, recorded on the key before anything else happens;
/// `run` gets what to make (the recorded one when a dead holder's key is recovered, so the flow
/// resumes it, idempotently at the gateways, instead of making another) and whether it was
/// recovered. While `run` works, the lease is renewed, so nobody takes over a live flow.
async fn idempotent<'a, F, Fut>(
    keys: &IdempotencyKeys,
    tenant: &TenantId,
    key: &str,
    operation: &str,
    body: &Value,
    fresh: Resource,
    run: F,
) -> Answer
where
    F: FnOnce(Resource, bool) -> Fut,
    Fut: std::future::Future<Output = Result<(u16, Value), Failure>> + 'a,
{
    let hash = request_hash(operation, body);
    let (mut lease, made, resumed) = match keys.begin(tenant, key, operation, &hash).await {
        Ok(Begin::Proceed(lease)) => (lease, fresh, false),
        Ok(Begin::Recover(lease, record)) => {
            let made = match fresh {
                Resource::Charge(id) => Resource::Charge(record.charge_id.unwrap_or(id)),
                Resource::Refund(id) => Resource::Refund(record.refund_id.unwrap_or(id)),
            };
            (lease, made, true)
        }
        Ok(Begin::Replay { status_code, body }) => {
            return Answer {
                status: status_code,
                body,
                replayed: true,
            };
        }
        Ok(Begin::InProgress) => {
            return Answer::error(&ApiError::new(
                409,
                ErrorType::IdempotencyError,
                "idempotency_key_in_use",
                format!(
                    "a request with Idempotency-Key `{key}` is still being processed; retry later"
                ),
            ));
        }
        Ok(Begin::Mismatch) => {
            let mut e = ApiError::new(
                422,
                ErrorType::IdempotencyError,
                "idempotency_key_reused",
                format!("Idempotency-Key `{key}` was already used with a different request"),
            );
            e.param = Some("Idempotency-Key".into());
            return Answer::error(&e);
        }
        Err(IdempotencyError::InvalidKey(v)) => return Answer::error(&ApiError::from(v)),
        Err(e) => {
            return Answer::error(&ApiError::new(
                503,
                ErrorType::ApiError,
                "store_unavailable",
                e.to_string(),
            ));
        }
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
    if let Err(e) = attached {
        return Answer::error(&ApiError::new(
            503,
            ErrorType::ApiError,
            "store_unavailable",
            e.to_string(),
        ));
    }
    let flow = run(made, resumed);
    tokio::pin!(flow);
    let beat = keys.settings().lease / 3;
    let result = loop {
        tokio::select! {
            result = &mut flow => break result,
            _ = tokio::time::sleep(beat) => if let Err(e) = lease.extend().await {
                tracing::warn!(key, error = %e, "could not renew an idempotency lease");
            },
        }
    };
    match result {
        Ok((status, value)) => {
            let text = value.to_string();
            if let Err(e) = lease.complete(status, text.clone()).await {
                tracing::warn!(error = %e, "could not store the idempotent response");
            }
            Answer {
                status,
                body: text,
                replayed: false,
            }
        }
        // Nothing happened: the key may be used again (as Stripe does).
        Err(Failure {
            error,
            changed: false,
        }) => {
            if let Err(err) = lease.release().await {
                tracing::warn!(error = %err, "could not release an idempotency key");
            }
            Answer::error(&error)
        }
        Err(Failure { error: e, .. }) if !settles_key(&e) => Answer::error(&e),
        Err(Failure { error: e, .. }) => {
            let a = Answer::error(&e);
            if let Err(err) = lease.complete(a.status, a.body.clone()).await {
                tracing::warn!(error = %err, "could not store the idempotent error response");
            }
            a
        }
    }
}
