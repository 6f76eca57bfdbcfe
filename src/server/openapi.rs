//! `GET /v1/openapi.json`: the merchant API's contract, `openapi.yaml` at the repository root
//! (hand-written, OpenAPI 3.1), compiled into the binary and converted to JSON once, on the first
//! request. No API key and no rate limit: it describes the API, it holds nothing of a tenant's.
//! Sent with an `ETag` (a hash of the JSON); a matching `If-None-Match` is a 304.
//!
//! `tests/it/contract.rs` runs schemathesis against a real `serve` with this document, and
//! checks that this route answers exactly `openapi.yaml` and that its `info.version` is the
//! crate's: change the server and the document together.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ApiError, ErrorType};

/// The document as written.
const YAML: &str = include_str!("../../openapi.yaml");

/// The document as JSON and its `ETag`, or why the YAML could not be read (a build of a broken
/// document, which the unit test below keeps from being committed).
static DOCUMENT: LazyLock<Result<(String, String), String>> = LazyLock::new(|| {
    let value: serde_json::Value = serde_yaml_ng::from_str(YAML).map_err(|e| e.to_string())?;
    let json = value.to_string();
    let tag = super::pix::etag("openapi", &json);
    Ok((json, tag))
});

/// `GET /v1/openapi.json`.
pub(super) async fn openapi_json(headers: HeaderMap) -> Response {
    let (json, tag) = match &*DOCUMENT {
        Ok(d) => d,
        Err(e) => {
            return ApiError::new(
                500,
                ErrorType::ApiError,
                "internal_error",
                format!("openapi.yaml cannot be read: {e}"),
            )
            .into_response();
        }
    };
    let etag = HeaderValue::from_str(tag).ok();
    if super::pix::not_modified(&headers, tag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        if let Some(v) = etag {
            r.headers_mut().insert(header::ETAG, v);
        }
        return r;
    }
    let mut r = ([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response();
    if let Some(v) = etag {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_converts_and_names_the_crates_version() {
        let (json, tag) = DOCUMENT.as_ref().expect("openapi.yaml is valid YAML");
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert_eq!(v["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert!(tag.starts_with("\"openapi-"), "{tag}");
    }
}
