//! `payorch aws init` and `payorch aws status`: the table, its indexes and TTL, and the two
//! queues with the redrive policy, created idempotently; and what is there now.
//!
//! `init` never changes what it finds: an existing table or queue is reported as found (with
//! a warning when it lacks what payorch needs, e.g. an index), never altered or replaced.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus as DdbTableStatus,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;

use super::error::{Target, sdk_error};
use super::{
    AwsSettings, GSI1, GSI2, GSI3, StaticCredentials, check_credentials, place_of, sdk_config,
};
use crate::store::{StoreError, StoreResult};

/// How many receives a message may take before SQS moves it to the dead-letter queue: a
/// backstop for a message payorch cannot even read (payorch dead-letters a failing delivery
/// itself, after its retry schedule, long before this).
pub const MAX_RECEIVE_COUNT: u32 = 1000;
/// How long SQS keeps a message: the maximum, 14 days.
const RETENTION_SECONDS: u32 = 14 * 24 * 3600;

/// What `init` did to one resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Found,
}

/// One line of `payorch aws init`'s report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InitStep {
    /// `table`, `ttl`, `queue`, `dead_letter_queue`.
    pub resource: String,
    pub name: String,
    pub outcome: Outcome,
    /// Anything the operator should know (an index missing from a table that was found).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where `init` and `status` go: the clients and a target per resource for error sentences.
struct Admin {
    ddb: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    place: String,
}

impl Admin {
    async fn new(
        settings: &AwsSettings,
        credentials: Option<&StaticCredentials>,
    ) -> StoreResult<Admin> {
        let config = sdk_config(settings, credentials).await;
        let place = place_of(settings, &config)?;
        check_credentials(&config).await?;
        Ok(Admin {
            ddb: aws_sdk_dynamodb::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            place,
        })
    }

    fn target(&self, service: &'static str, resource: &str) -> Target {
        Target {
            service,
            resource: resource.to_string(),
            place: self.place.clone(),
        }
    }
}

/// Creates what is missing of the table (keys, indexes, TTL) and the two queues (the delivery
/// queue redriving to the dead-letter queue); reports each as created or found. Waits until a
/// created table is active.
pub async fn init(
    settings: &AwsSettings,
    credentials: Option<&StaticCredentials>,
) -> StoreResult<Vec<InitStep>> {
    let admin = Admin::new(settings, credentials).await?;
    let mut steps = vec![init_table(&admin, &settings.table).await?];
    steps.push(init_ttl(&admin, &settings.table).await?);
    let (dlq_step, dlq_url) = init_queue(&admin, &settings.dead_letter_queue, None).await?;
    let dlq_arn = queue_arn(&admin, &settings.dead_letter_queue, &dlq_url).await?;
    let (mut queue_step, _) = init_queue(&admin, &settings.queue, Some(&dlq_arn)).await?;
    queue_step.resource = "queue".into();
    let mut dlq_step = dlq_step;
    dlq_step.resource = "dead_letter_queue".into();
    steps.push(queue_step);
    steps.push(dlq_step);
    Ok(steps)
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .expect("name and type are set")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("name and type are set")
}

fn index(name: &str) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(&format!("{name}pk"), KeyType::Hash))
        .key_schema(key(&format!("{name}sk"), KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .expect("name, keys and projection are set")
}

async fn init_table(admin: &Admin, table: &str) -> StoreResult<InitStep> {
    let target = admin.target("DynamoDB", table);
    let existing = admin.ddb.describe_table().table_name(table).send().await;
    match existing {
        Ok(out) => {
            let have: Vec<String> = out
                .table()
                .map(|t| {
                    t.global_secondary_indexes()
                        .iter()
                        .filter_map(|i| i.index_name().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let missing: Vec<&str> = [GSI1, GSI2, GSI3]
                .into_iter()
                .filter(|want| !have.iter().any(|h| h == want))
                .collect();
            return Ok(InitStep {
                resource: "table".into(),
                name: table.into(),
                outcome: Outcome::Found,
                note: (!missing.is_empty()).then(|| {
                    format!(
                        "missing index {}: this table was not made by `payorch aws init`; use another `[aws] table`",
                        missing.join(", ")
                    )
                }),
            });
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(sdk_error(&target, "DescribeTable", e)),
    }
    let mut create = admin
        .ddb
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range));
    for attribute in ["pk", "sk"] {
        create = create.attribute_definitions(string_attribute(attribute));
    }
    for gsi in [GSI1, GSI2, GSI3] {
        create = create
            .attribute_definitions(string_attribute(&format!("{gsi}pk")))
            .attribute_definitions(string_attribute(&format!("{gsi}sk")))
            .global_secondary_indexes(index(gsi));
    }
    match create.send().await {
        Ok(_) => {}
        // Another `init` created it meanwhile: found.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) => {}
        Err(e) => return Err(sdk_error(&target, "CreateTable", e)),
    }
    wait_active(admin, table).await?;
    Ok(InitStep {
        resource: "table".into(),
        name: table.into(),
        outcome: Outcome::Created,
        note: None,
    })
}

/// Waits (up to five minutes) until the table and its indexes are active.
async fn wait_active(admin: &Admin, table: &str) -> StoreResult<()> {
    let target = admin.target("DynamoDB", table);
    for _ in 0..600 {
        let out = admin
            .ddb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| sdk_error(&target, "DescribeTable", e))?;
        let Some(t) = out.table() else { break };
        let indexes_active = t
            .global_secondary_indexes()
            .iter()
            .all(|i| i.index_status() == Some(&IndexStatus::Active));
        if t.table_status() == Some(&DdbTableStatus::Active) && indexes_active {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StoreError::Unavailable(format!(
        "the DynamoDB table `{table}` did not become active within five minutes"
    )))
}

async fn init_ttl(admin: &Admin, table: &str) -> StoreResult<InitStep> {
    let target = admin.target("DynamoDB", table);
    let current = admin
        .ddb
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk_error(&target, "DescribeTimeToLive", e))?;
    let description = current.time_to_live_description();
    let status = description
        .and_then(|d| d.time_to_live_status())
        .map(|s| s.as_str().to_string());
    let attribute = description
        .and_then(|d| d.attribute_name())
        .map(str::to_string);
    let found = |note| InitStep {
        resource: "ttl".into(),
        name: format!("{table}.ttl"),
        outcome: Outcome::Found,
        note,
    };
    match (status.as_deref(), attribute.as_deref()) {
        (Some("ENABLED" | "ENABLING"), Some("ttl")) => return Ok(found(None)),
        (Some("ENABLED" | "ENABLING"), Some(other)) => {
            return Ok(found(Some(format!(
                "TTL is on attribute `{other}`, not `ttl`: expired records stay until read (payorch checks expiry itself)"
            ))));
        }
        _ => {}
    }
    admin
        .ddb
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("ttl")
                .enabled(true)
                .build()
                .expect("name and flag are set"),
        )
        .send()
        .await
        .map_err(|e| sdk_error(&target, "UpdateTimeToLive", e))?;
    Ok(InitStep {
        resource: "ttl".into(),
        name: format!("{table}.ttl"),
        outcome: Outcome::Created,
        note: None,
    })
}

/// Creates a standard queue (with a redrive policy to `dead_letter_arn`), or finds it.
async fn init_queue(
    admin: &Admin,
    name: &str,
    dead_letter_arn: Option<&str>,
) -> StoreResult<(InitStep, String)> {
    let target = admin.target("SQS", name);
    match admin.sqs.get_queue_url().queue_name(name).send().await {
        Ok(out) => {
            let url = out.queue_url.unwrap_or_default();
            let step = InitStep {
                resource: "queue".into(),
                name: name.into(),
                outcome: Outcome::Found,
                note: None,
            };
            return Ok((step, url));
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_queue_does_not_exist()) => {}
        Err(e) => return Err(sdk_error(&target, "GetQueueUrl", e)),
    }
    let mut attributes = HashMap::from([(
        QueueAttributeName::MessageRetentionPeriod,
        RETENTION_SECONDS.to_string(),
    )]);
    if let Some(arn) = dead_letter_arn {
        attributes.insert(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({
                "deadLetterTargetArn": arn,
                "maxReceiveCount": MAX_RECEIVE_COUNT.to_string(),
            })
            .to_string(),
        );
    }
    let out = admin
        .sqs
        .create_queue()
        .queue_name(name)
        .set_attributes(Some(attributes))
        .send()
        .await
        .map_err(|e| sdk_error(&target, "CreateQueue", e))?;
    let step = InitStep {
        resource: "queue".into(),
        name: name.into(),
        outcome: Outcome::Created,
        note: None,
    };
    Ok((step, out.queue_url.unwrap_or_default()))
}

async fn queue_arn(admin: &Admin, name: &str, url: &str) -> StoreResult<String> {
    let target = admin.target("SQS", name);
    let out = admin
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| sdk_error(&target, "GetQueueAttributes", e))?;
    out.attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| StoreError::Backend(format!("SQS gave no ARN for the queue `{name}`")))
}

/// Deletes the table and both queues (what `payorch demo --backend dynamodb` made for one run).
/// What is already gone is no error.
pub async fn remove(
    settings: &AwsSettings,
    credentials: Option<&StaticCredentials>,
) -> StoreResult<()> {
    let admin = Admin::new(settings, credentials).await?;
    let target = admin.target("DynamoDB", &settings.table);
    match admin
        .ddb
        .delete_table()
        .table_name(&settings.table)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(sdk_error(&target, "DeleteTable", e)),
    }
    for name in [&settings.queue, &settings.dead_letter_queue] {
        let target = admin.target("SQS", name);
        let url = match admin.sqs.get_queue_url().queue_name(name).send().await {
            Ok(out) => out.queue_url.unwrap_or_default(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_queue_does_not_exist()) =>
            {
                continue;
            }
            Err(e) => return Err(sdk_error(&target, "GetQueueUrl", e)),
        };
        admin
            .sqs
            .delete_queue()
            .queue_url(url)
            .send()
            .await
            .map_err(|e| sdk_error(&target, "DeleteQueue", e))?;
    }
    Ok(())
}

/// What `payorch aws status` shows of the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableStatus {
    pub name: String,
    /// `ACTIVE`, `CREATING`, …, or `MISSING`.
    pub status: String,
    /// Each index's name and status (`ACTIVE`, `CREATING`, …).
    pub indexes: Vec<(String, String)>,
    /// DynamoDB's item count, refreshed by AWS about every six hours.
    pub approximate_items: Option<i64>,
    /// `ENABLED`, `DISABLED`, …
    pub ttl: Option<String>,
}

/// What `payorch aws status` shows of a queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QueueStatus {
    pub name: String,
    /// Whether the queue exists.
    pub exists: bool,
    /// Visible messages (SQS's approximate counts).
    pub visible: Option<u64>,
    /// Received and not yet deleted, or hidden for a retry.
    pub in_flight: Option<u64>,
    /// Sent with a delay that has not passed.
    pub delayed: Option<u64>,
}

/// The table, its indexes and TTL, and both queues' depths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    pub endpoint: String,
    pub table: TableStatus,
    pub queue: QueueStatus,
    pub dead_letter_queue: QueueStatus,
}

/// Reads what is there now; a missing table or queue is reported, not an error.
pub async fn status(
    settings: &AwsSettings,
    credentials: Option<&StaticCredentials>,
) -> StoreResult<Status> {
    let admin = Admin::new(settings, credentials).await?;
    Ok(Status {
        endpoint: admin.place.clone(),
        table: table_status(&admin, &settings.table).await?,
        queue: queue_status(&admin, &settings.queue).await?,
        dead_letter_queue: queue_status(&admin, &settings.dead_letter_queue).await?,
    })
}

async fn table_status(admin: &Admin, table: &str) -> StoreResult<TableStatus> {
    let target = admin.target("DynamoDB", table);
    let described = match admin.ddb.describe_table().table_name(table).send().await {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(TableStatus {
                name: table.into(),
                status: "MISSING".into(),
                indexes: Vec::new(),
                approximate_items: None,
                ttl: None,
            });
        }
        Err(e) => return Err(sdk_error(&target, "DescribeTable", e)),
    };
    let ttl = admin
        .ddb
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| sdk_error(&target, "DescribeTimeToLive", e))?
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status())
        .map(|s| s.as_str().to_string());
    let t = described.table();
    Ok(TableStatus {
        name: table.into(),
        status: t
            .and_then(|t| t.table_status())
            .map_or("UNKNOWN".into(), |s| s.as_str().to_string()),
        indexes: t
            .map(|t| {
                t.global_secondary_indexes()
                    .iter()
                    .map(|i| {
                        (
                            i.index_name().unwrap_or("?").to_string(),
                            i.index_status()
                                .map_or("UNKNOWN".into(), |s| s.as_str().to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        approximate_items: t.and_then(|t| t.item_count()),
        ttl,
    })
}

async fn queue_status(admin: &Admin, name: &str) -> StoreResult<QueueStatus> {
    let target = admin.target("SQS", name);
    let url = match admin.sqs.get_queue_url().queue_name(name).send().await {
        Ok(out) => out.queue_url.unwrap_or_default(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_queue_does_not_exist()) =>
        {
            return Ok(QueueStatus {
                name: name.into(),
                exists: false,
                visible: None,
                in_flight: None,
                delayed: None,
            });
        }
        Err(e) => return Err(sdk_error(&target, "GetQueueUrl", e)),
    };
    let out = admin
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| sdk_error(&target, "GetQueueAttributes", e))?;
    let count = |name: QueueAttributeName| {
        out.attributes()
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
    };
    Ok(QueueStatus {
        name: name.into(),
        exists: true,
        visible: count(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    })
}
