//! `[aws]`: where the fleet backend's table and queues are. Plain data; `config` re-exports it
//! and reads it from the file and `PAYORCH_AWS_*`.

use serde::{Deserialize, Serialize};

/// The DynamoDB table and SQS queues a fleet of `payorch serve` shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsSettings {
    /// The AWS region, e.g. `sa-east-1`; unset: the standard chain (`AWS_REGION`, the profile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The one DynamoDB table every record lives in.
    pub table: String,
    /// The SQS delivery queue.
    pub queue: String,
    /// The SQS dead-letter queue the delivery queue redrives to.
    pub dead_letter_queue: String,
    /// Another endpoint for both services (an emulator such as moto), e.g.
    /// `http://127.0.0.1:5000`; unset: AWS itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            region: None,
            table: "payorch".into(),
            queue: "payorch-deliveries".into(),
            dead_letter_queue: "payorch-deliveries-dlq".into(),
            endpoint_url: None,
        }
    }
}
