//! A request's body read before any route sees it, within limits (issue 12, defect 3): a body
//! announced larger than its route's limit is a 413 at once, unread (a client that announces
//! 999999999 bytes and sends nothing gets its answer instead of a wait); one that grows past the
//! limit is a 413; one that does not arrive within `server.body_read_timeout` is a 408. The
//! bodies payorch takes are small (`server.body_limit`, 64 KiB by default; gateway webhooks
//! 256 KiB), so the route gets them whole.

use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::Request;

use super::{ApiError, ErrorType};

/// The largest body the route of `req` takes.
fn limit_for(req: &Request, body_limit: usize) -> usize {
    if req.uri().path().starts_with("/webhooks/") {
        super::inbound::WEBHOOK_BODY_LIMIT
    } else {
        body_limit
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        413,
        ErrorType::InvalidRequestError,
        "body_too_large",
        format!("the body is larger than {limit} bytes"),
    )
}

/// `app` with `serve`'s body limits on every request, for a router served elsewhere (`payorch
/// demo`'s merchant receiver): the body is read whole within `body_limit` and `timeout` before
/// its route sees it, an announced larger one is a 413 unread.
pub fn limited(app: axum::Router, body_limit: usize, timeout: Duration) -> axum::Router {
    use axum::response::IntoResponse;
    app.layer(axum::middleware::from_fn(
        move |req: Request, next: axum::middleware::Next| async move {
            match read_whole(req, body_limit, timeout).await {
                Ok(req) => next.run(req).await,
                Err(e) => e.into_response(),
            }
        },
    ))
}

/// `req` with its body read whole, or the error to answer instead.
pub(super) async fn read_whole(
    req: Request,
    body_limit: usize,
    timeout: Duration,
) -> Result<Request, ApiError> {
    let limit = limit_for(&req, body_limit);
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let (parts, mut body) = req.into_parts();
    let read = async {
        let mut bytes = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            let frame = frame.map_err(|e| {
                ApiError::new(
                    400,
                    ErrorType::InvalidRequestError,
                    "body_invalid",
                    format!("the body could not be read: {e}"),
                )
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > limit {
                    return Err(too_large(limit));
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(bytes)
    };
    let bytes = tokio::time::timeout(timeout, read).await.map_err(|_| {
        ApiError::new(
            408,
            ErrorType::InvalidRequestError,
            "body_timeout",
            format!(
                "the body did not arrive within {} (server.body_read_timeout)",
                humantime::format_duration(timeout)
            ),
        )
    })??;
    Ok(Request::from_parts(parts, Body::from(bytes)))
}
