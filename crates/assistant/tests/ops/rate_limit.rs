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
