use assistant::ops::OpsSettings;

use crate::helpers::{TestApp, spawn_app};

/// The value of the `http_requests_total` series with these labels, if present.
fn requests_total(text: &str, method: &str, route: &str, status: &str) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .find(|l| {
            l.contains(&format!("method=\"{method}\""))
                && l.contains(&format!("route=\"{route}\""))
                && l.contains(&format!("status=\"{status}\""))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    res.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    // Two apps in one process share the one recorder (installing it twice would panic).
    let app = spawn_app(OpsSettings::default()).await;
    let other = spawn_app(OpsSettings::default()).await;
    let route = "/api/devices/{serial}/echo";

    let before = requests_total(&scrape(&app).await, "GET", route, "200").unwrap_or(0.0);
    for serial in ["SERIAL-ONE", "SERIAL-TWO", "SERIAL-THREE"] {
        let res = app
            .get_as("dev-1", &format!("/api/devices/{serial}/echo"))
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = other.get_as("dev-2", "/api/devices/SERIAL-FOUR/echo").await;
    assert_eq!(res.status(), 200);
    let res = app.get_as("dev-1", "/no/such/route").await;
    assert_eq!(res.status(), 404);

    let text = scrape(&app).await;
    let after = requests_total(&text, "GET", route, "200").unwrap();
    assert_eq!(after - before, 4.0, "{text}");
    assert!(
        requests_total(&text, "GET", "unmatched", "404").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        !text.contains("SERIAL-ONE") && !text.contains("/no/such/route"),
        "labels hold route templates, not concrete paths: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("http_request_duration_seconds_bucket{")
                && l.contains(&format!("route=\"{route}\""))),
        "latency histogram: {text}"
    );
    other.stop().await;
    app.stop().await;
}
