//! A Pix charge's QR code on demand (issue 16): `GET /v1/charges/{id}/pix.png`, and the opt-in
//! inline base64 of `GET /v1/charges/{id}?expand[]=pix.qr_code_png`. The charge path carries
//! only the BR Code (`pix.copy_paste`); the image is rendered from it here, when asked, off the
//! async workers (`spawn_blocking`, at most [`PixImages`]' permits at once, so a burst of image
//! requests queues instead of taking every core from the charges). A charge's BR Code never
//! changes, so the PNG is served with an ETag (its SHA-256) and `immutable`, and a matching
//! `If-None-Match` is answered 304 without rendering.

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use super::{ApiError, AppState, ErrorType};
use crate::model::{ApiKey, Charge, PaymentMethod};

/// The one expandable field of a charge.
pub const EXPAND_QR_CODE_PNG: &str = "pix.qr_code_png";

/// `Cache-Control` of a charge's QR: the caller's own (it took an API key), never stale.
const CACHE_CONTROL: &str = "private, max-age=31536000, immutable";

/// Renders QR PNGs on the blocking pool, a bounded number at a time.
pub struct PixImages {
    permits: Semaphore,
}

impl PixImages {
    /// At most half the cores (at least one) render at once: the rest stay the charges'.
    pub fn new() -> PixImages {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        PixImages {
            permits: Semaphore::new((cores / 2).max(1)),
        }
    }

    /// The QR PNG of `payload`, rendered off the async workers.
    async fn png(&self, payload: &str) -> Result<Vec<u8>, ApiError> {
        let internal = |message: String| {
            ApiError::new(500, ErrorType::ApiError, "qr_code_unavailable", message)
        };
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| internal(e.to_string()))?;
        let payload = payload.to_string();
        tokio::task::spawn_blocking(move || crate::qr::png(&payload))
            .await
            .map_err(|e| internal(format!("the QR code renderer stopped: {e}")))?
            .map_err(internal)
    }
}

impl Default for PixImages {
    fn default() -> Self {
        PixImages::new()
    }
}

/// The BR Code of a Pix charge, or a 409 that says why there is no QR code to show.
fn brcode(charge: &Charge) -> Result<&str, ApiError> {
    let refused = |code: &str, message: String| {
        let mut e = ApiError::new(409, ErrorType::InvalidRequestError, code, message);
        e.param = Some("id".into());
        e
    };
    if charge.method != PaymentMethod::Pix {
        return Err(refused(
            "charge_not_pix",
            format!(
                "charge `{}` is a {} charge: only Pix charges have a QR code",
                charge.id,
                charge.method.as_str()
            ),
        ));
    }
    charge
        .pix
        .as_ref()
        .map(|p| p.copy_paste.as_str())
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            refused(
                "pix_code_missing",
                format!(
                    "Pix charge `{}` has no BR Code (status {}): no gateway issued one, so there is no QR code",
                    charge.id,
                    charge.status().as_str()
                ),
            )
        })
}

/// A strong ETag of `content`: `"{kind}-{hex}"`, the first 128 bits of its SHA-256. A BR Code's
/// QR is `etag("pix", brcode)`; `/v1/openapi.json` is tagged the same way.
pub(super) fn etag(kind: &str, content: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::digest(content.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{kind}-{hex}\"")
}

/// Whether `If-None-Match` names `tag` (or `*`), weak or strong (RFC 9110 §13.1.2).
pub(super) fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

/// `GET /v1/charges/{id}/pix.png`: the charge's QR code, `image/png`.
pub(super) async fn pix_png(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (charge, _) = state.orchestrator.get_charge(&key.tenant, &id).await?;
    let brcode = brcode(&charge)?;
    let tag = etag("pix", brcode);
    let cache = [
        (header::ETAG, HeaderValue::from_str(&tag).ok()),
        (
            header::CACHE_CONTROL,
            Some(HeaderValue::from_static(CACHE_CONTROL)),
        ),
    ];
    let cache = cache.into_iter().filter_map(|(k, v)| Some((k, v?)));
    if not_modified(&headers, &tag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().extend(cache);
        return Ok(r);
    }
    let png = state.pix_images.png(brcode).await?;
    let mut r = ([(header::CONTENT_TYPE, "image/png")], png).into_response();
    r.headers_mut().extend(cache);
    Ok(r)
}

/// What `GET /v1/charges/{id}` was asked to expand: `expand[]=pix.qr_code_png` (also
/// `expand[0]=…` or `expand=…`, Stripe's forms). Other parameters are ignored, as before.
pub(super) fn expand_qr_code(query: Option<&str>) -> Result<bool, ApiError> {
    let mut expand = false;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let is_expand = name == "expand"
            || name
                .strip_prefix("expand[")
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|i| i.chars().all(|c| c.is_ascii_digit()));
        if !is_expand {
            continue;
        }
        if value != EXPAND_QR_CODE_PNG {
            return Err(ApiError::invalid(
                "expand[]",
                "parameter_invalid",
                format!(
                    "cannot expand `{value}`: the one expandable field is `{EXPAND_QR_CODE_PNG}`"
                ),
            ));
        }
        expand = true;
    }
    Ok(expand)
}

/// `GET /v1/charges/{id}`: the charge, with `pix.qr_code_png` when asked for
/// ([`expand_qr_code`]) and the charge has a BR Code (a card charge is answered as it is).
pub(super) async fn read_charge(
    State(state): State<AppState>,
    Extension(key): Extension<ApiKey>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let expand = expand_qr_code(query.as_deref())?;
    let (charge, _) = state.orchestrator.get_charge(&key.tenant, &id).await?;
    let view = crate::api::view::ChargeView::new(&charge);
    let png = match charge
        .pix
        .as_ref()
        .filter(|p| expand && !p.copy_paste.is_empty())
    {
        Some(pix) => {
            let png = state.pix_images.png(&pix.copy_paste).await?;
            Some(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                png,
            ))
        }
        None => None,
    };
    let view = match png.as_deref() {
        Some(png) => view.with_pix_qr_code(png),
        None => view,
    };
    let json = serde_json::to_value(view).unwrap_or(serde_json::Value::Null);
    Ok(axum::Json(json).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_takes_stripes_forms_and_names_a_field_it_cannot_expand() {
        assert!(!expand_qr_code(None).unwrap());
        assert!(!expand_qr_code(Some("other=1")).unwrap());
        for q in [
            "expand%5B%5D=pix.qr_code_png",
            "expand[]=pix.qr_code_png",
            "expand[0]=pix.qr_code_png",
            "expand=pix.qr_code_png",
        ] {
            assert!(expand_qr_code(Some(q)).unwrap(), "{q}");
        }
        let e = expand_qr_code(Some("expand[]=customer")).unwrap_err();
        assert_eq!((e.status, e.param.as_deref()), (400, Some("expand[]")));
        assert!(e.message.contains("`customer`"), "{}", e.message);
    }

    #[test]
    fn if_none_match_matches_the_tag_weak_strong_or_any() {
        let tag = etag("pix", "000201");
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(not_modified(&with(&tag), &tag));
        assert!(not_modified(&with(&format!("\"x\", W/{tag}")), &tag));
        assert!(not_modified(&with("*"), &tag));
        assert!(!not_modified(&with("\"pix-other\""), &tag));
        assert!(!not_modified(&HeaderMap::new(), &tag));
        assert_ne!(etag("pix", "000201"), etag("pix", "000202"));
    }
}
