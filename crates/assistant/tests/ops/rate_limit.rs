use assistant::ops::{OpsSettings, RateLimitSettings};

use crate::helpers::{problem, spawn_app};

const BURST: u32 = 5;

fn settings() -> OpsSettings {
    OpsSettings {
        // Practically no refill during the test, so the count is exact.
        rate_limit: Some(RateLimitSettings {
            burst: BURST,
            per_second: 0.001,
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_device_over_its_limit_gets_429_while_another_device_gets_200() {
    let app = spawn_app(settings()).await;
    for i in 0..BURST {
        let res = app.get_as("device-A", "/api/devices/A/echo").await;
        assert_eq!(
            res.status(),
            200,
            "request {i} of device A within the burst"
        );
    }
    let res = app.get_as("device-A", "/api/devices/A/echo").await;
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1, "Retry-After {retry_after}");
    let body = problem(res).await;
    assert_eq!(
        body["type"],
        "https://support-assistant.dev/problems/rate-limited"
    );

    // Same peer address, other device: its own bucket.
    let res = app.get_as("device-B", "/api/devices/B/echo").await;
    assert_eq!(res.status(), 200);
    // Device A stays limited.
    assert_eq!(
        app.get_as("device-A", "/api/devices/A/echo").await.status(),
        429
    );
    app.stop().await;
}

#[tokio::test]
async fn without_a_device_key_the_peer_address_is_limited() {
    let app = spawn_app(settings()).await;
    for i in 0..BURST {
        let res = app
            .client
            .get(app.url("/api/devices/A/echo"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "anonymous request {i}");
    }
    let res = app
        .client
        .get(app.url("/api/devices/A/echo"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    // An authenticated device from the same address is not caught by the address's bucket.
    assert_eq!(
        app.get_as("device-C", "/api/devices/C/echo").await.status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn probes_and_metrics_are_not_rate_limited() {
    let app = spawn_app(settings()).await;
    for _ in 0..(BURST * 2) {
        for path in ["/healthz", "/readyz", "/metrics"] {
            let res = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
        }
    }
    app.stop().await;
}

/// The App API learns the device in the extractor that verifies its credential, after the
/// middleware has run: it checks the shared limiter there, and `RateLimited` answers 429.
#[tokio::test]
async fn an_extractor_can_check_the_device_limit_itself() {
    use assistant::ops::{self, DeviceKey, RateLimited, RateLimiter};
    use axum::http::HeaderMap;
    use axum::routing::get;

    let limiter = RateLimiter::new(RateLimitSettings {
        burst: 2,
        per_second: 0.001,
    });
    let handler_limiter = limiter.clone();
    let api = axum::Router::new().route(
        "/api/checked",
        get(move |headers: HeaderMap| {
            let limiter = handler_limiter.clone();
            async move {
                let device = headers[crate::helpers::TEST_DEVICE_HEADER]
                    .to_str()
                    .unwrap();
                limiter.check(&DeviceKey(device.to_string()))?;
                Ok::<_, RateLimited>("ok")
            }
        }),
    );
    let settings = OpsSettings {
        rate_limit: None,
        ..Default::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, task) = ops::serve_bound(
        ops::layers(api, &settings),
        "127.0.0.1:0".parse().unwrap(),
        None,
        async {
            let _ = rx.await;
        },
    )
    .await
    .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |device: &'static str| {
        client
            .get(format!("http://{addr}/api/checked"))
            .header(crate::helpers::TEST_DEVICE_HEADER, device)
            .send()
    };
    assert_eq!(get("dev-A").await.unwrap().status(), 200);
    assert_eq!(get("dev-A").await.unwrap().status(), 200);
    let res = get("dev-A").await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    problem(res).await;
    assert_eq!(get("dev-B").await.unwrap().status(), 200);
    // The same buckets, seen from outside the handler.
    assert!(limiter.check(&DeviceKey("dev-A".into())).is_err());
    assert!(limiter.check(&DeviceKey("dev-B".into())).is_ok());

    tx.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(15), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
