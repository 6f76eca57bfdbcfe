//! Counting the requests payorch sends to DynamoDB and SQS, per operation (`DynamoDB:PutItem`),
//! with an SDK interceptor: every attempt that goes on the wire counts, retries included, as
//! AWS bills them. The figures per charge in `docs/ARCHITECTURE.md` come from here, and a test
//! fails if a charge's count grows (`tests/it/store_dynamo/`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Requests sent so far, by `Service:Operation`.
#[derive(Debug, Default)]
pub struct Meter {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl Meter {
    /// Every count so far.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn add(&self, operation: String) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry(operation).or_default() += 1;
    }
}

/// The interceptor both clients carry.
#[derive(Debug)]
pub(super) struct Counting(pub Arc<Meter>);

impl Intercept for Counting {
    fn name(&self) -> &'static str {
        "payorch-request-meter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg.load::<Metadata>().map_or_else(
            || "unknown".to_string(),
            |m| format!("{}:{}", m.service(), m.name()),
        );
        self.0.add(operation);
        Ok(())
    }
}
