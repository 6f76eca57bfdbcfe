//! The DynamoDB + SQS backend against the store conformance suite, on the AWS emulator
//! (`common::aws`), plus what only it has: the wall-clock queue cases (`queue`).

use crate::common::aws;

mod queue;

mod conformance {
    use super::aws;
    payorch::store_conformance_tests!(wall_clock: aws::fresh_store());
}
