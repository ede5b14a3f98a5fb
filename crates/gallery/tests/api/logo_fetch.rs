//! A logo URL is fetched once, when the partner saves the configuration, checked like an upload
//! (size, type, dimensions, SVG content) and stored as the image; what cannot be fetched is
//! "no logo found", and a URL pointing into our own network is refused.

use crate::helpers::*;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use gallery::config::AppConfiguration;
use gallery::logo::{Logo, LogoFetcher};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// An SVG logo of the vendor's size.
pub const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="247" height="72" viewBox="0 0 247 72"><rect width="247" height="72" fill="#0a5"/><text x="12" y="46" font-size="30" fill="#fff">ACME</text></svg>"##;

/// The first bytes of a PNG of `width` × `height` (signature and IHDR; enough for the checks).
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    png.extend_from_slice(&width.to_be_bytes());
    png.extend_from_slice(&height.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png
}

/// An https server on 127.0.0.1 with a development certificate, serving test logos.
pub struct LogoServer {
    pub base: String,
    pub hits: Arc<AtomicUsize>,
    pub ca: reqwest::Certificate,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

pub async fn logo_server() -> LogoServer {
    platform::ops::tls::install_crypto_provider();
    let dir = tempfile::tempdir().expect("dir");
    let dev = platform::ops::tls::dev_certificate(dir.path()).expect("certificate");
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&dev.ca).expect("ca")).expect("pem");
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let svg = |body: Vec<u8>| ([(header::CONTENT_TYPE, "image/svg+xml")], body).into_response();
    let router = Router::new()
        .route(
            "/logo.svg",
            get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async move { svg(LOGO_SVG.as_bytes().to_vec()) }
            }),
        )
        .route(
            "/page.html",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html></html>") }),
        )
        .route(
            "/big.svg",
            get(move || async move {
                let padding = format!("<!--{}-->", "x".repeat(11 * 1024));
                svg(LOGO_SVG
                    .replace("</svg>", &format!("{padding}</svg>"))
                    .into_bytes())
            }),
        )
        .route(
            "/wide.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], png_header(500, 72)) }),
        )
        .route(
            "/moved.svg",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/logo.svg")]) }),
        );
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, _task) = platform::ops::tls::serve_bound(
        router,
        "127.0.0.1:0".parse().expect("addr"),
        Some(dev.tls.clone()),
        async move {
            let _ = rx.await;
        },
    )
    .await
    .expect("serve");
    LogoServer {
        base: format!("https://127.0.0.1:{}", addr.port()),
        hits,
        ca,
        _shutdown: tx,
        _dir: dir,
    }
}

/// The gallery, allowed to fetch from the test's own 127.0.0.1 server.
async fn gallery_for(server: &LogoServer) -> TestApp {
    spawn_app_with(
        Backend::Sqlite,
        LogoFetcher {
            allow_private: true,
            extra_roots: vec![server.ca.clone()],
        },
    )
    .await
}

async fn put_logo_url(app: &TestApp, url: &str) -> (u16, Value) {
    let response = app
        .http
        .put(app.url("/api/devices/D1/configuration"))
        .bearer_auth(&app.api_key)
        .json(&json!({ "logo": { "url": url } }))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn stored(app: &TestApp) -> AppConfiguration {
    app.http
        .get(app.url("/api/devices/D1/configuration"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn a_logo_url_is_fetched_once_when_saved_and_stored_as_the_image() {
    let server = logo_server().await;
    let app = gallery_for(&server).await;
    app.register("D1", "partner-a", false).await;
    let url = format!("{}/logo.svg", server.base);
    let (status, answer) = put_logo_url(&app, &url).await;
    assert_eq!(status, 200, "{answer}");
    let opened = helpers_open(&app, answer["sealed_config"].as_str().expect("blob"));
    let expected = Logo::Image {
        kind: gallery::logo::ImageType::Svg,
        bytes: LOGO_SVG.as_bytes().to_vec(),
        source: Some(url.clone()),
    };
    assert_eq!(
        opened.logo,
        Some(expected.clone()),
        "the sealed blob holds the image"
    );
    assert_eq!(stored(&app).await.logo, Some(expected));
    // Reading the configuration and the sealed blob again fetches nothing.
    let sealed = app
        .http
        .get(app.url("/api/devices/D1/configuration/sealed"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .expect("request");
    assert_eq!(sealed.status(), 200);
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        1,
        "fetched once, when saved"
    );
}

fn helpers_open(app: &TestApp, blob: &str) -> AppConfiguration {
    crate::helpers::open_config(&app.state.sealing, blob).expect("unseal")
}

#[tokio::test]
async fn a_logo_that_cannot_be_fetched_or_is_not_a_logo_is_refused_and_nothing_is_stored() {
    let server = logo_server().await;
    let app = gallery_for(&server).await;
    app.register("D1", "partner-a", false).await;
    let cases = [
        ("/missing.png", "no logo found at"),
        ("/missing.png", "HTTP 404"),
        ("/page.html", "not a PNG, JPEG or SVG image"),
        ("/big.svg", "at most 10240 bytes"),
        ("/wide.png", "500×72 px; at most 247 px wide and 72 px high"),
        ("/moved.svg", "redirects"),
    ];
    for (path, says) in cases {
        let (status, problem) = put_logo_url(&app, &format!("{}{path}", server.base)).await;
        assert_eq!(status, 400, "{path}: {problem}");
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains(says), "{path}: {detail}");
    }
    let closed = "https://127.0.0.1:9/logo.png";
    let (status, problem) = put_logo_url(&app, closed).await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .starts_with(&format!("no logo found at {closed}")),
        "{problem}"
    );
    assert_eq!(stored(&app).await.logo, None, "nothing was stored");
}

#[tokio::test]
async fn a_logo_url_pointing_into_our_own_network_is_refused() {
    let server = logo_server().await;
    // The gallery as `serve gallery` runs it: no private addresses.
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    for url in [
        format!("{}/logo.svg", server.base),
        "https://localhost/logo.svg".to_string(),
        "https://10.0.0.1/logo.svg".to_string(),
        "https://[::1]/logo.svg".to_string(),
        "https://169.254.169.254/latest/meta-data".to_string(),
    ] {
        let (status, problem) = put_logo_url(&app, &url).await;
        assert_eq!(status, 400, "{url}: {problem}");
        let detail = problem["detail"].as_str().expect("detail");
        assert!(
            detail.contains("private or local address"),
            "{url}: {detail}"
        );
    }
    let (status, problem) = put_logo_url(&app, "http://partner.example/logo.png").await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("https://")
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "nothing was fetched");
}

#[tokio::test]
async fn the_admin_page_fetches_a_logo_url_and_shows_the_stored_image() {
    let server = logo_server().await;
    let app = gallery_for(&server).await;
    app.register("D1", "partner-a", false).await;
    let url = format!("{}/logo.svg", server.base);
    let form = reqwest::multipart::Form::new()
        .text("snmp_community", "public")
        .text("language", "en")
        .text("tab_service", "on")
        .text("logo_url", url.clone());
    let saved = app
        .http
        .post(app.url("/admin/devices/D1"))
        .basic_auth("admin", Some(&app.api_key))
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(saved.status(), 200);
    let html = saved.text().await.expect("html");
    assert!(
        html.contains("id=\"current-logo\" src=\"data:image/svg+xml;base64,"),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{url}\"")),
        "the form shows the URL"
    );
    // Saving again with the same URL keeps the stored image (no second fetch).
    let again = reqwest::multipart::Form::new()
        .text("snmp_community", "public")
        .text("language", "en")
        .text("tab_service", "on")
        .text("logo_url", url.clone());
    let saved = app
        .http
        .post(app.url("/admin/devices/D1"))
        .basic_auth("admin", Some(&app.api_key))
        .header("sec-fetch-site", "same-origin")
        .multipart(again)
        .send()
        .await
        .expect("request");
    assert_eq!(saved.status(), 200);
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
    let config = stored(&app).await;
    assert!(config.tabs.service && !config.tabs.supplies && !config.tabs.meters);

    let refused = reqwest::multipart::Form::new()
        .text("snmp_community", "public")
        .text("language", "en")
        .text("tab_service", "on")
        .text("logo_url", format!("{}/missing.png", server.base));
    let refused = app
        .http
        .post(app.url("/admin/devices/D1"))
        .basic_auth("admin", Some(&app.api_key))
        .header("sec-fetch-site", "same-origin")
        .multipart(refused)
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("no logo found at")
    );
}
