use assistant::ops::{FrameAncestor, OpsSettings, RateLimitSettings};

use crate::helpers::{spawn_app, spawn_app_with};

fn assert_common(h: &reqwest::header::HeaderMap) {
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn api_answers_carry_security_headers_and_no_store() {
    let app = spawn_app(OpsSettings::default()).await;
    let res = app.get_as("dev-1", "/api/devices/X1/echo").await;
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_common(h);
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["cache-control"], "no-store");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
    app.stop().await;
}

#[tokio::test]
async fn configured_frame_ancestors_replace_x_frame_options() {
    let settings = OpsSettings {
        frame_ancestors: vec![
            FrameAncestor::parse("https://panel.example.com").unwrap(),
            FrameAncestor::parse("http://127.0.0.1:8080").unwrap(),
        ],
        ..Default::default()
    };
    let app = spawn_app(settings).await;
    let res = app.get_as("dev-1", "/api/devices/X1/echo").await;
    let h = res.headers();
    assert_common(h);
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.ends_with("frame-ancestors https://panel.example.com http://127.0.0.1:8080"),
        "{csp}"
    );
    assert!(h.get("x-frame-options").is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_route_that_sets_its_own_cache_control_keeps_it() {
    let app = spawn_app(OpsSettings::default()).await;
    let res = app.get_as("dev-1", "/api/cached").await;
    assert_eq!(res.headers()["cache-control"], "max-age=60");
    assert_common(res.headers());
    app.stop().await;
}

#[tokio::test]
async fn error_answers_of_the_layers_carry_the_headers_too() {
    let settings = OpsSettings {
        rate_limit: Some(RateLimitSettings {
            burst: 1,
            per_second: 0.001,
        }),
        ..Default::default()
    };
    let app = spawn_app(settings).await;
    assert_eq!(
        app.get_as("dev-1", "/api/devices/X1/echo").await.status(),
        200
    );
    let res = app.get_as("dev-1", "/api/devices/X1/echo").await;
    assert_eq!(res.status(), 429);
    assert_common(res.headers());
    assert_eq!(res.headers()["cache-control"], "no-store");
    app.stop().await;
}

#[tokio::test]
async fn hsts_is_sent_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let dev = assistant::ops::tls::dev_certificate(dir.path()).unwrap();
    let settings = OpsSettings {
        hsts: true,
        ..Default::default()
    };
    let app = spawn_app_with(settings, Some(dev.tls.clone()), Some(&dev.ca)).await;
    let res = app.get_as("dev-1", "/api/devices/X1/echo").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    assert_common(res.headers());
    app.stop().await;
}
