//! SDK errors as [`StoreError`]s an operator can act on: one sentence naming what is wrong and
//! the fix, never the SDK's debug dump. Throttling, timeouts and an unreachable endpoint are
//! [`StoreError::Unavailable`] (retry later, a 503); a missing table or queue, bad credentials
//! or a wrong region are [`StoreError::Backend`] with the fix.

use std::error::Error as StdError;
use std::fmt::Debug;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::store::StoreError;

/// Where a request went, for the sentence.
#[derive(Clone, Debug)]
pub(super) struct Target {
    /// `DynamoDB` or `SQS`.
    pub service: &'static str,
    /// The table or queue name.
    pub resource: String,
    /// The endpoint (an emulator's URL) or the region.
    pub place: String,
}

/// The innermost cause of an error: the part that says what happened.
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Error codes that mean "slow down / try again": the request may succeed later.
const RETRYABLE: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "RequestThrottled",
    "AWS.SimpleQueueService.RequestThrottled",
];

/// Error codes that mean the credentials are missing, wrong or not allowed.
const CREDENTIALS: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "ExpiredToken",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "MissingAuthenticationToken",
    "AccessDeniedException",
    "AccessDenied",
];

/// Turns an SDK error from `operation` (e.g. `PutItem`) into a [`StoreError`].
pub(super) fn sdk_error<E, R>(target: &Target, operation: &str, err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: Debug + Send + Sync + 'static,
{
    let Target {
        service,
        resource,
        place,
    } = target;
    match &err {
        SdkError::TimeoutError(_) => StoreError::Unavailable(format!(
            "{service} at {place} did not answer {operation} in time"
        )),
        SdkError::DispatchFailure(failure) => {
            let cause = root_cause(&err);
            if failure.is_user() || cause.contains("credentials") {
                StoreError::Backend(no_credentials(service, &cause))
            } else {
                StoreError::Unavailable(format!("cannot reach {service} at {place}: {cause}"))
            }
        }
        SdkError::ConstructionFailure(_) => {
            let cause = root_cause(&err);
            if cause.contains("credentials") {
                StoreError::Backend(no_credentials(service, &cause))
            } else if cause.to_lowercase().contains("region") {
                StoreError::Backend(format!(
                    "no AWS region is set for {service}: set `[aws] region` (PAYORCH_AWS_REGION) or AWS_REGION"
                ))
            } else {
                StoreError::Backend(format!(
                    "cannot build the {service} {operation} request: {cause}"
                ))
            }
        }
        SdkError::ServiceError(service_err) => {
            let e = service_err.err();
            let code = e.code().unwrap_or("unknown");
            let message = e.message().unwrap_or("no message");
            if code == "ResourceNotFoundException"
                || code == "AWS.SimpleQueueService.NonExistentQueue"
                || code == "QueueDoesNotExist"
            {
                StoreError::Backend(format!(
                    "the {service} {} `{resource}` does not exist at {place}: create it with `payorch aws init`",
                    if *service == "SQS" { "queue" } else { "table" }
                ))
            } else if CREDENTIALS.contains(&code) {
                StoreError::Backend(format!(
                    "{service} refused the AWS credentials ({code}: {message}): check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY and the IAM policy in the README"
                ))
            } else if RETRYABLE.contains(&code) {
                StoreError::Unavailable(format!("{service} is busy ({code}): {message}"))
            } else {
                StoreError::Backend(format!("{service} {operation} failed ({code}): {message}"))
            }
        }
        SdkError::ResponseError(_) => StoreError::Unavailable(format!(
            "{service} at {place} sent an unreadable answer to {operation}: {}",
            root_cause(&err)
        )),
        _ => StoreError::Backend(format!(
            "{service} {operation} failed: {}",
            root_cause(&err)
        )),
    }
}

fn no_credentials(service: &str, cause: &str) -> String {
    format!(
        "no AWS credentials for {service} ({cause}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance role applies"
    )
}

/// Whether a conditional write lost its condition (`ConditionalCheckFailedException`).
pub(super) fn is_condition_failed<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

/// The item a failed conditional write found, when DynamoDB returned it
/// (`ReturnValuesOnConditionCheckFailure::AllOld`; an emulator may leave it out).
pub(super) trait OldItem {
    fn old_item(&self) -> Option<super::item::Item>;
}

macro_rules! old_item_of {
    ($($error:path),*) => {$(
        impl OldItem for $error {
            fn old_item(&self) -> Option<super::item::Item> {
                match self {
                    Self::ConditionalCheckFailedException(e) => e.item().cloned(),
                    _ => None,
                }
            }
        }
    )*};
}

old_item_of!(
    aws_sdk_dynamodb::operation::put_item::PutItemError,
    aws_sdk_dynamodb::operation::update_item::UpdateItemError,
    aws_sdk_dynamodb::operation::delete_item::DeleteItemError
);

/// `Some(old item, if returned)` when `err` is a lost condition; `None` for any other error.
pub(super) fn lost_condition<E, R>(err: &SdkError<E, R>) -> Option<Option<super::item::Item>>
where
    E: ProvideErrorMetadata + OldItem,
{
    is_condition_failed(err).then(|| err.as_service_error().and_then(OldItem::old_item))
}

/// Whether a conditional write was applied: `Ok(false)` when it lost its condition, the
/// error for anything else.
pub(super) fn applied<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, SdkError<E, R>>
where
    E: ProvideErrorMetadata,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if is_condition_failed(&err) => Ok(false),
        Err(err) => Err(err),
    }
}
