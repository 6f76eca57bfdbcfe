//! A Pix charge's QR code on demand (issue 16), through the real `payorch serve` in front of the
//! real `payorch sandbox`: the charge, its stored event, its idempotent replay and its webhook
//! carry the BR Code and no PNG; `GET /v1/charges/{id}/pix.png` renders the QR of that BR Code
//! (read back with a QR decoder), scoped like `GET /v1/charges/{id}`, cacheable; and
//! `?expand[]=pix.qr_code_png` puts the same image inline for merchants who relied on it.

use crate::common;

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use common::scripted::Scripted;
use common::stack::{ServeStack, wait_for};

const CONFIG: &str = "[webhooks]\nallow_private_targets = true\n";

fn pix_charge() -> Value {
    json!({
        "amount": 1990, "currency": "BRL", "method": "pix",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25"}
    })
}

fn card_charge() -> Value {
    json!({
        "amount": 4990, "currency": "BRL", "method": "card",
        "customer": {"name": "Maria Silva", "document": "529.982.247-25"},
        "card": {"tokens": {"stripe": "pm_card_visa", "asaas": "asaas-card-token-1"}}
    })
}

/// `GET {url}{path}` with `key` (none when empty) and extra headers: status, headers, bytes.
async fn get(
    http: &reqwest::Client,
    url: &str,
    path: &str,
    key: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = http
        .get(format!("{url}{path}"))
        .timeout(Duration::from_secs(60));
    if !key.is_empty() {
        request = request.bearer_auth(key);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let r = request.send().await.expect("serve answers");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.expect("a body").to_vec())
}

/// Asserts that an API error's message names every one of `words`.
fn assert_says(error: &Value, words: &[&str]) {
    let message = error["error"]["message"].as_str().unwrap_or_default();
    for word in words {
        assert!(message.contains(word), "`{word}` not in {error}");
    }
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("a JSON body")
}

/// The payload of the one QR code in a PNG, read back by a QR decoder, and the PNG's side.
fn decode_qr(png_bytes: &[u8]) -> (String, u32) {
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG magic bytes");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut image = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut image).expect("a PNG frame");
    let (w, h, line) = (frame.width as usize, frame.height as usize, frame.line_size);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| image[y * line + x]);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (_, payload) = grids[0].decode().expect("a readable QR code");
    (payload, frame.width)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pix_charge_carries_its_brcode_and_its_qr_is_rendered_on_demand() {
    let receiver = Scripted::receiver().await;
    let mut stack = ServeStack::new(CONFIG);
    stack.cli(&[
        "webhook",
        "endpoint",
        "set",
        &format!("{}/hooks", receiver.base),
    ]);
    stack.start_serve();
    let api = stack.api();
    let (http, url, key) = (api.http.clone(), api.url.clone(), api.key.clone());

    // Created: the BR Code inline, no PNG; the replay (the stored answer) is the same bytes.
    let create = |body: Value, idem: &'static str| {
        let (http, url, key) = (http.clone(), url.clone(), key.clone());
        async move {
            let r = http
                .post(format!("{url}/v1/charges"))
                .bearer_auth(&key)
                .header("Idempotency-Key", idem)
                .header("content-type", "application/json")
                .body(body.to_string())
                .timeout(Duration::from_secs(60))
                .send()
                .await
                .expect("serve answers");
            (
                r.status().as_u16(),
                r.bytes().await.expect("a body").to_vec(),
            )
        }
    };
    let (status, created) = create(pix_charge(), "pix-1").await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&created));
    let charge = json(&created);
    let id = charge["id"].as_str().expect("an id").to_string();
    let brcode = charge["pix"]["copy_paste"]
        .as_str()
        .expect("the BR Code inline")
        .to_string();
    assert!(payorch::brcode::parse(&brcode).is_ok(), "{brcode}");
    assert_eq!(charge["pix"].get("qr_code_png"), None, "{charge}");
    let (_, replayed) = create(pix_charge(), "pix-1").await;
    assert_eq!(
        replayed, created,
        "the stored answer is the same, without a PNG"
    );
    assert!(!String::from_utf8_lossy(&replayed).contains("qr_code_png"));

    // The image: the QR of exactly that BR Code, cacheable.
    let png_path = format!("/v1/charges/{id}/pix.png");
    let (status, headers, png) = get(&http, &url, &png_path, &key, &[]).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&png));
    assert_eq!(headers["content-type"], "image/png");
    let cache = headers["cache-control"].to_str().expect("ASCII");
    assert!(
        cache.contains("immutable") && cache.contains("private"),
        "{cache}"
    );
    let etag = headers["etag"].to_str().expect("ASCII").to_string();
    let (payload, side) = decode_qr(&png);
    assert_eq!(payload, brcode, "the QR encodes the charge's BR Code");
    assert_eq!(png, payorch::qr::png(&brcode).expect("rendered"));
    assert!(side >= 200, "a QR big enough to scan: {side} px");

    // Asked again with its ETag: 304, nothing rendered or sent.
    let (status, headers, body) =
        get(&http, &url, &png_path, &key, &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.len()), (304, 0));
    assert_eq!(headers["etag"], etag.as_str());

    // The expand: the same image inline, base64; without it, no image.
    let (status, _, expanded) = get(
        &http,
        &url,
        &format!("/v1/charges/{id}?expand%5B%5D=pix.qr_code_png"),
        &key,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let expanded = json(&expanded);
    let inline = base64::engine::general_purpose::STANDARD
        .decode(
            expanded["pix"]["qr_code_png"]
                .as_str()
                .expect("the PNG inline"),
        )
        .expect("base64");
    assert_eq!(inline, png);
    assert_eq!(expanded["pix"]["copy_paste"], brcode.as_str());
    let (_, _, plain) = get(&http, &url, &format!("/v1/charges/{id}"), &key, &[]).await;
    assert_eq!(json(&plain)["pix"].get("qr_code_png"), None);
    let (status, _, body) = get(
        &http,
        &url,
        &format!("/v1/charges/{id}?expand[]=customer"),
        &key,
        &[],
    )
    .await;
    let error = json(&body);
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["param"], "expand[]");
    assert_says(&error, &["pix.qr_code_png"]);

    // The stored event and the delivered webhook: the BR Code, no PNG.
    let events = stack.cli(&[
        "events",
        "list",
        "--charge",
        &id,
        "--type",
        "charge.requires_action",
        "-o",
        "json",
    ]);
    let event_id = json(events.as_bytes())["data"][0]["id"]
        .as_str()
        .expect("the charge's event")
        .to_string();
    let event = json(stack.cli(&["events", "show", &event_id]).as_bytes());
    assert_eq!(
        event["data"]["charge"]["pix"]["copy_paste"],
        brcode.as_str()
    );
    assert_eq!(event["data"]["charge"]["pix"].get("qr_code_png"), None);
    let delivered = wait_for("the Pix charge's webhook", Duration::from_secs(60), || {
        let seen = receiver.seen();
        let id = id.clone();
        async move {
            seen.iter()
                .map(|s| json(s.body.as_bytes()))
                .find(|v| v["data"]["charge"]["id"] == id.as_str())
                .ok_or_else(|| format!("{} deliveries, none of {id}", seen.len()))
        }
    })
    .await;
    assert_eq!(
        delivered["data"]["charge"]["pix"]["copy_paste"],
        brcode.as_str()
    );
    assert!(
        !delivered.to_string().contains("qr_code_png"),
        "{delivered}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_route_is_scoped_like_the_charge_and_says_why_there_is_no_image() {
    let mut stack = ServeStack::new(CONFIG);
    stack.cli(&["tenant", "create", "acme"]);
    let acme_key = json(
        stack
            .cli(&["apikey", "create", "--tenant", "acme", "-o", "json"])
            .as_bytes(),
    )["secret"]
        .as_str()
        .expect("acme's key")
        .to_string();
    stack.start_serve();
    let api = stack.api();
    let (http, url, key) = (api.http.clone(), api.url.clone(), api.key.clone());
    let timeout = Duration::from_secs(60);
    let (status, pix) = api
        .post_charge("pix-1", &pix_charge(), timeout)
        .await
        .expect("created");
    assert_eq!(status, 201, "{pix}");
    let pix_id = pix["id"].as_str().expect("an id").to_string();
    let (status, card) = api
        .post_charge("card-1", &card_charge(), timeout)
        .await
        .expect("created");
    assert_eq!(status, 201, "{card}");
    let card_id = card["id"].as_str().expect("an id").to_string();
    let png_of = |id: &str| format!("/v1/charges/{id}/pix.png");

    // No key, a bad key: 401, as for the charge itself.
    for bad in ["", "sk_nope"] {
        let (status, _, body) = get(&http, &url, &png_of(&pix_id), bad, &[]).await;
        assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
        assert_eq!(json(&body)["error"]["type"], "authentication_error");
    }
    // Another tenant's charge and an unknown id: 404 naming the charge.
    let unknown = "ch_01KF3T1VQ0000000000000000R";
    for (id, key) in [(pix_id.as_str(), acme_key.as_str()), (unknown, &key)] {
        let (status, _, body) = get(&http, &url, &png_of(id), key, &[]).await;
        let error = json(&body);
        assert_eq!(status, 404, "{error}");
        assert_eq!(error["error"]["code"], "resource_missing");
        assert_says(&error, &[id]);
        // The charge itself answers the same.
        let (status, _, _) = get(&http, &url, &format!("/v1/charges/{id}"), key, &[]).await;
        assert_eq!(status, 404);
    }
    // A card charge has no QR code: 409 saying so; its expand leaves it as it is.
    let (status, _, body) = get(&http, &url, &png_of(&card_id), &key, &[]).await;
    let error = json(&body);
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["error"]["code"], "charge_not_pix");
    assert_eq!(error["error"]["param"], "id");
    assert_says(&error, &[&card_id, "card"]);
    let (status, _, body) = get(
        &http,
        &url,
        &format!("/v1/charges/{card_id}?expand[]=pix.qr_code_png"),
        &key,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(json(&body), card);

    // A Pix charge no gateway took has no BR Code: 409 saying so.
    for gateway in ["stripe", "efi", "asaas"] {
        stack.set_mode(gateway, json!({"mode": "down"})).await;
    }
    let (status, refused) = api
        .post_charge("pix-2", &pix_charge(), timeout)
        .await
        .expect("answered");
    assert_eq!(status, 503, "{refused}");
    let (_, _, listed) = get(&http, &url, "/v1/charges?status=failed", &key, &[]).await;
    let failed = json(&listed)["data"][0]["id"]
        .as_str()
        .expect("the failed Pix charge")
        .to_string();
    let (status, _, body) = get(&http, &url, &png_of(&failed), &key, &[]).await;
    let error = json(&body);
    assert_eq!(status, 409, "{error}");
    assert_eq!(error["error"]["code"], "pix_code_missing");
    assert_says(&error, &[&failed, "BR Code"]);
}
