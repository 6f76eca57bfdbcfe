//! The DynamoDB + SQS backend against the store conformance suite, on the AWS emulator
//! (`common::aws`), plus what only it has.

use crate::common::aws;

mod conformance {
    use super::aws;
    payorch::store_conformance_tests!(wall_clock: aws::fresh_store());
}
