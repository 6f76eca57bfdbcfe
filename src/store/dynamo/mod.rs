//! The fleet backend: every record in one DynamoDB table, the delivery queue on SQS (with its
//! bookkeeping in the same table). Several `payorch serve` processes share it; SQLite stays the
//! zero-setup default. `payorch aws init` creates the table and queues ([`admin`]).
//!
//! **Credentials and region** come from the standard AWS chain (environment, profile, web
//! identity, ECS, instance metadata), or [`StaticCredentials`] when the caller has them (tests
//! against an emulator). HTTPS through rustls with ring, like the rest of payorch.
//!
//! # The table
//!
//! One table, string keys `pk` (partition) and `sk` (sort), three overloaded global secondary
//! indexes `gsi1`..`gsi3` (keys `gsiNpk`/`gsiNsk`, all attributes projected) and TTL on the
//! number attribute `ttl` (epoch seconds). TTL deletes late (hours; never on emulators), so
//! every read of an expiring item checks its own expiry attribute. Every record that is
//! updated carries `version` (N) and is written with a condition on it; a record's JSON, where
//! it has one, is the string attribute `body` (the same JSON the SQLite backend stores).
//! Reads that the conformance suite expects to see a write just made are consistent reads
//! (`GetItem`/`Query` on the table); index queries (listings) are eventually consistent on
//! AWS (usually well under a second), immediately on emulators.
//!
//! | record | pk | sk | indexes |
//! |---|---|---|---|
//! | tenant | `TENANT#<id>` | `TENANT` | gsi1: `TENANTS` / `<id>` |
//! | API key | `TENANT#<t>` | `APIKEY#<key id>` | |
//! | API key hash | `APIKEYHASH#<sha256>` | `APIKEYHASH` | (points at the key; put with it in one transaction) |
//! | charge | `CHARGE#<id>` | `CHARGE` | gsi1: `CHARGES#<t>` / `<charge id>` |
//! | event | `EVENT#<id>` | `EVENT` | gsi1: `EVENTS#<t>` / `<event id>`; gsi2: `CHARGEEVENTS#<charge id>` / `<event id>` |
//! | audit entry | `AUDIT#<id>` | `AUDIT` | gsi1: `AUDIT#<t>` / `<audit id>`; gsi2: `AUDIT` / `<audit id>` |
//! | idempotency key | `IDEM#<t>#<key>` | `IDEM` | ttl = expiry; gsi2: `IDEMEXPIRY#<0-9>` / `<expires ms>` (for the purge) |
//! | state document | `STATE#<t>#<kind>` | `<name>` | |
//! | counter bucket | `COUNTER#<t>#<series>` | `<bucket ms, 15 digits>` | ttl = expiry |
//! | inbound webhook | `INBOUND#<t>#<gateway>#<gateway event id>` | `INBOUND` | gsi1: `INBOUND#<t>` / `<received ms, 15 digits>#<inbound id>`; gsi2 (only while a body is kept): `INBOUNDBODY#<0-9>` / `<received ms>#<inbound id>` |
//! | readiness heartbeat | `PING` | `PING` | |
//! | queue records | see [`queue`] | | |
//!
//! Ids are ULID-based (time-ordered), so "newest first by id" is a descending index query and
//! a cursor is a key condition `gsiNsk < :cursor`. Filters that no key covers (a charge's
//! status, an event's type) are filter expressions, read page by page until the limit is met.

pub mod admin;
mod error;
mod item;
mod meter;
mod query;
mod settings;

mod accounts;
mod audit;
mod charges;
mod counters;
mod events;
mod idempotency;
mod inbound;
mod queue;
mod state;

pub use meter::Meter;
pub use settings::AwsSettings;

/// Test hook: lose the next SQS send of a message's ticket (the outbox relay's test).
#[cfg(any(test, feature = "testing"))]
pub use queue::lose_next_send;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;
use aws_smithy_http_client::tls;

use error::{Target, sdk_error};
use item::{n, s};

use super::{Store, StoreError, StoreResult};

/// Names of the table's indexes, as created by `payorch aws init`.
pub(crate) const GSI1: &str = "gsi1";
pub(crate) const GSI2: &str = "gsi2";
pub(crate) const GSI3: &str = "gsi3";
/// A listing's page size when the caller asks for 0.
const DEFAULT_LIMIT: u32 = 20;
/// The largest page a listing returns.
const MAX_LIMIT: u32 = 1000;

/// Access keys given directly instead of the AWS chain (an emulator accepts any).
#[derive(Clone, Debug)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// payorch's records in one DynamoDB table and its delivery queue on SQS.
pub struct DynamoStore {
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    settings: AwsSettings,
    /// The delivery queue's and the dead-letter queue's URLs.
    queue_url: String,
    dead_letter_url: String,
    table_target: Target,
    queue_target: Target,
    /// Requests sent, per operation.
    meter: Arc<Meter>,
}

/// The SDK configuration for `settings`: region, endpoint, credentials, timeouts, rustls.
pub(crate) async fn sdk_config(
    settings: &AwsSettings,
    credentials: Option<&StaticCredentials>,
) -> aws_config::SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(25))
        .operation_timeout(Duration::from_secs(60))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts);
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    }
    if let Some(c) = credentials {
        loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            None,
            None,
            "payorch",
        ));
    }
    loader.load().await
}

/// Resolves the credentials once, so that having none is one sentence naming the fixes
/// rather than a failure of the first request.
pub(crate) async fn check_credentials(config: &aws_config::SdkConfig) -> StoreResult<()> {
    use aws_sdk_dynamodb::config::ProvideCredentials as _;
    let Some(provider) = config.credentials_provider() else {
        return Err(StoreError::Backend(NO_CREDENTIALS.into()));
    };
    provider
        .provide_credentials()
        .await
        .map(|_| ())
        .map_err(|_| StoreError::Backend(NO_CREDENTIALS.into()))
}

/// Where requests go, for error sentences: the endpoint (an emulator) or the region; no
/// region at all is the operator's to fix.
pub(crate) fn place_of(
    settings: &AwsSettings,
    config: &aws_config::SdkConfig,
) -> StoreResult<String> {
    match (&settings.endpoint_url, config.region()) {
        (Some(url), _) => Ok(url.clone()),
        (None, Some(region)) => Ok(format!("region {region}")),
        (None, None) => Err(StoreError::Backend(
            "no AWS region is set: set `[aws] region` (PAYORCH_AWS_REGION) or AWS_REGION".into(),
        )),
    }
}

const NO_CREDENTIALS: &str = "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance or task role applies";

impl DynamoStore {
    /// Connects to the table and queues `settings` names and checks they exist (so a missing
    /// one is a clear error at startup, naming `payorch aws init`, not at the first charge).
    pub async fn connect(
        settings: &AwsSettings,
        credentials: Option<&StaticCredentials>,
    ) -> StoreResult<DynamoStore> {
        let config = sdk_config(settings, credentials).await;
        let place = place_of(settings, &config)?;
        check_credentials(&config).await?;
        let meter = Arc::new(Meter::default());
        let ddb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&config)
                .interceptor(meter::Counting(Arc::clone(&meter)))
                .build(),
        );
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&config)
                .interceptor(meter::Counting(Arc::clone(&meter)))
                .build(),
        );
        let table_target = Target {
            service: "DynamoDB",
            resource: settings.table.clone(),
            place: place.clone(),
        };
        ddb.describe_table()
            .table_name(&settings.table)
            .send()
            .await
            .map_err(|e| sdk_error(&table_target, "DescribeTable", e))?;
        let queue_url = find_queue(&sqs, &settings.queue, &place).await?;
        let dead_letter_url = find_queue(&sqs, &settings.dead_letter_queue, &place).await?;
        Ok(DynamoStore {
            ddb,
            sqs,
            settings: settings.clone(),
            queue_url,
            dead_letter_url,
            queue_target: Target {
                service: "SQS",
                resource: settings.queue.clone(),
                place,
            },
            table_target,
            meter,
        })
    }

    /// The requests this store has sent, per `Service:Operation` (retries included).
    pub fn requests(&self) -> &Meter {
        &self.meter
    }

    /// The settings this store was opened with.
    pub fn settings(&self) -> &AwsSettings {
        &self.settings
    }

    /// A DynamoDB error from `operation`, as a [`StoreError`].
    fn ddb_error<E, R>(&self, operation: &str, err: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        sdk_error(&self.table_target, operation, err)
    }

    /// Commits `items` in one `TransactWriteItems` (at most 100). `Ok(Err(i))` when the
    /// transaction was cancelled because item `i`'s condition failed (nothing was written);
    /// any other failure is an `Err`. A cancellation because another transaction was writing
    /// one of the items at that moment (`TransactionConflict`) wrote nothing either: it is
    /// tried again a few times, then answered [`StoreError::Unavailable`].
    async fn transact(&self, items: Vec<TransactWriteItem>) -> StoreResult<Result<(), usize>> {
        const ATTEMPTS: u64 = 5;
        let mut attempt = 1;
        loop {
            let result = self
                .ddb
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Ok(())),
                Err(err) => err,
            };
            let reasons: Vec<&str> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None"))
                    .collect(),
                _ => Vec::new(),
            };
            if let Some(index) = reasons.iter().position(|c| *c == "ConditionalCheckFailed") {
                return Ok(Err(index));
            }
            if reasons.contains(&"TransactionConflict") {
                if attempt < ATTEMPTS {
                    tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
                    attempt += 1;
                    continue;
                }
                return Err(StoreError::Unavailable(format!(
                    "DynamoDB kept cancelling a transaction on `{}` for conflicts with others ({ATTEMPTS} tries): try again",
                    self.settings.table
                )));
            }
            return Err(self.ddb_error("TransactWriteItems", err));
        }
    }

    /// An SQS error from `operation`, as a [`StoreError`].
    fn sqs_error<E, R>(&self, operation: &str, err: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        sdk_error(&self.queue_target, operation, err)
    }
}

/// A queue's URL from its name.
async fn find_queue(sqs: &aws_sdk_sqs::Client, name: &str, place: &str) -> StoreResult<String> {
    let target = Target {
        service: "SQS",
        resource: name.to_string(),
        place: place.to_string(),
    };
    let out = sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| sdk_error(&target, "GetQueueUrl", e))?;
    out.queue_url
        .ok_or_else(|| StoreError::Backend(format!("SQS gave no URL for the queue `{name}`")))
}

/// A listing's page size: 0 is the default, and at most [`MAX_LIMIT`].
fn page_size(limit: u32) -> u32 {
    match limit {
        0 => DEFAULT_LIMIT,
        n => n.min(MAX_LIMIT),
    }
}

/// A timestamp as a sort key: milliseconds, zero-padded to 15 digits so strings sort as numbers.
fn sort_millis(t: crate::clock::Timestamp) -> String {
    format!("{:015}", t.unix_millis().max(0))
}

#[async_trait]
impl Store for DynamoStore {
    /// A consistent read and a conditional write of the heartbeat item, and the queue answers.
    async fn ping(&self) -> StoreResult<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        self.ddb
            .put_item()
            .table_name(&self.settings.table)
            .item("pk", s("PING"))
            .item("sk", s("PING"))
            .item("at", n(now))
            .send()
            .await
            .map_err(|e| self.ddb_error("PutItem", e))?;
        self.ddb
            .get_item()
            .table_name(&self.settings.table)
            .key("pk", s("PING"))
            .key("sk", s("PING"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.ddb_error("GetItem", e))?;
        self.sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| self.sqs_error("GetQueueAttributes", e))?;
        Ok(())
    }

    fn describe(&self) -> String {
        let place = self
            .settings
            .endpoint_url
            .clone()
            .or_else(|| self.settings.region.clone())
            .unwrap_or_default();
        format!(
            "dynamodb:{}@{place} + sqs:{}",
            self.settings.table, self.settings.queue
        )
    }
}
