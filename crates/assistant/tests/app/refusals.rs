//! Refused before acknowledged (#10 item 1): everything the Services Manager would refuse is
//! refused by the App API with a 4xx problem+json that names what is wrong, never a 202, and
//! nothing stays in the outbox. Every case of the issue's list, through the App API.

use crate::helpers::*;

/// A device the gallery knows (registered, with contracts) that its partner's manager does not.
pub const SERIAL_GALLERY_ONLY: &str = "XRXNOTINMANAGER7";

async fn outbox_is_empty(sys: &System) -> Vec<(assistant::store::SubmissionState, i64)> {
    sys.assistant
        .state
        .services
        .store
        .counts()
        .await
        .expect("counts")
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Posts `body` to `path` and asserts a 4xx problem+json (not 202) with an empty outbox after it.
async fn refused(
    sys: &System,
    serial: &str,
    path: &str,
    key: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let (status, problem) = sys.panel(serial).post(path, Some(key), body).await;
    assert!(
        (400..500).contains(&status),
        "{key}: expected a 4xx, got {status}: {problem}"
    );
    assert!(
        problem["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://support-assistant.dev/problems/")),
        "{key}: a problem+json body: {problem}"
    );
    assert_eq!(
        outbox_is_empty(sys).await,
        vec![],
        "{key}: nothing acknowledged"
    );
    (status, problem)
}

fn first_field(problem: &serde_json::Value) -> String {
    problem["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn supply(extra: serde_json::Value) -> serde_json::Value {
    let mut s = serde_json::json!({"index": "1.1", "description": "Black Toner"});
    if let (Some(s), Some(extra)) = (s.as_object_mut(), extra.as_object()) {
        s.extend(extra.clone());
    }
    s
}

#[tokio::test]
async fn every_supply_the_manager_would_refuse_is_refused_before_acknowledging() {
    let sys = start_system().await;
    let cases = [
        (
            "level-101",
            vec![supply(serde_json::json!({"percent": 101}))],
            "supplies[0].level_percent",
        ),
        (
            "part-65",
            vec![supply(serde_json::json!({"part_number": "P".repeat(65)}))],
            "supplies[0].part_number",
        ),
        (
            "colorant-control",
            vec![supply(serde_json::json!({"colorant": "Bl\u{7}ack"}))],
            "supplies[0].colorant",
        ),
        (
            "21-supplies",
            (0..21)
                .map(|_| supply(serde_json::json!({})))
                .collect::<Vec<_>>(),
            "supplies",
        ),
    ];
    for (key, supplies, field) in cases {
        let (status, problem) = refused(
            &sys,
            SERIAL_A,
            "/api/v1/supply-incidents",
            key,
            serde_json::json!({"supplies": supplies, "contact": contact()}),
        )
        .await;
        assert_eq!(status, 422, "{key}: {problem}");
        assert_eq!(first_field(&problem), field, "{key}: {problem}");
    }
}

fn meter(id: &str, name: &str, value: i64) -> serde_json::Value {
    serde_json::json!({"id": id, "name": name, "value": value})
}

#[tokio::test]
async fn every_meter_read_the_manager_would_refuse_is_refused_before_acknowledging() {
    let sys = start_system().await;
    let cases = [
        ("empty-name", vec![meter("101", "", 5)], "meters[0].name"),
        (
            "same-id-twice",
            vec![meter("101", "Total", 5), meter("101", "Total again", 6)],
            "meters[1].id",
        ),
        (
            "201-meters",
            (0..201)
                .map(|i| meter(&format!("m{i}"), "Meter", 1))
                .collect::<Vec<_>>(),
            "meters",
        ),
    ];
    for (key, meters, field) in cases {
        let (status, problem) = refused(
            &sys,
            SERIAL_A,
            "/api/v1/meter-reads",
            key,
            serde_json::json!({"meters": meters}),
        )
        .await;
        assert_eq!(status, 422, "{key}: {problem}");
        assert_eq!(first_field(&problem), field, "{key}: {problem}");
    }
}

#[tokio::test]
async fn a_meter_below_its_previous_read_is_refused_naming_the_meter() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (status, body) = panel
        .post(
            "/api/v1/meter-reads",
            Some("first"),
            serde_json::json!({"meters": [meter("101", "Total Impressions", 5000), meter("102", "Black", 3000)]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let before = outbox_is_empty(&sys).await;
    let (status, problem) = panel
        .post(
            "/api/v1/meter-reads",
            Some("second"),
            serde_json::json!({"meters": [meter("101", "Total Impressions", 5100), meter("102", "Black", 2999)]}),
        )
        .await;
    // 409 as the manager answers it: the read conflicts with the one before, its form is fine.
    assert_eq!(status, 409, "{problem}");
    assert_eq!(first_field(&problem), "meters", "{problem}");
    let detail = problem["errors"][0]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("meter 102") && detail.contains("below the previous read (3000)"),
        "{problem}"
    );
    assert_eq!(
        outbox_is_empty(&sys).await,
        before,
        "the refused read left nothing behind"
    );
}

/// Registers `serial` in the gallery (tenant acme, both contracts) but not in the manager.
pub async fn register_in_gallery_only(gallery: &Gallery, serial: &str) {
    let http = reqwest::Client::new();
    let today = chrono::Utc::now().date_naive();
    let r = http
        .put(format!("{}/api/devices/{serial}", gallery.base))
        .bearer_auth(&gallery.api_key)
        .json(&serde_json::json!({"tenant": "acme", "auto_update": false}))
        .send()
        .await
        .expect("register");
    assert!(r.status().is_success(), "{}", r.status());
    let contract = serde_json::json!({"starts_on": today - chrono::Duration::days(30), "ends_on": today + chrono::Duration::days(365)});
    let r = http
        .put(format!(
            "{}/api/devices/{serial}/entitlements",
            gallery.base
        ))
        .bearer_auth(&gallery.api_key)
        .json(&serde_json::json!({"service": contract, "supplies": contract}))
        .send()
        .await
        .expect("entitlements");
    assert!(r.status().is_success(), "{}", r.status());
}

#[tokio::test]
async fn a_device_the_manager_does_not_know_is_told_so_before_anything_is_acknowledged() {
    let sys = start_system().await;
    register_in_gallery_only(&sys.gallery, SERIAL_GALLERY_ONLY).await;
    let cases = [
        (
            "/api/v1/service-incidents",
            serde_json::json!({"issue_code": "noise", "contact": contact()}),
        ),
        (
            "/api/v1/supply-incidents",
            serde_json::json!({"supplies": [supply(serde_json::json!({}))], "contact": contact()}),
        ),
        (
            "/api/v1/meter-reads",
            serde_json::json!({"meters": [meter("101", "Total", 5)]}),
        ),
    ];
    for (i, (path, body)) in cases.into_iter().enumerate() {
        let (status, problem) = refused(
            &sys,
            SERIAL_GALLERY_ONLY,
            path,
            &format!("unknown-{i}"),
            body,
        )
        .await;
        assert_eq!(status, 403, "{path}: {problem}");
        assert_eq!(
            problem["type"], "https://support-assistant.dev/problems/device-not-registered",
            "{problem}"
        );
        assert!(
            problem["detail"].as_str().is_some_and(
                |d| d.starts_with("This device is not registered with your service partner")
            ),
            "{problem}"
        );
    }
    // The panel page says the same in words, with the same status.
    let panel = sys.panel(SERIAL_GALLERY_ONLY);
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("step", "3"),
            ("op", "send"),
            ("meters", r#"[{"id":"101","name":"Total","value":5}]"#),
        ])
        .finish();
    let res = panel
        .request(reqwest::Method::POST, "/ui/v1/meter-reads")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", "unknown-page")
        .body(form)
        .send()
        .await
        .expect("page");
    assert_eq!(res.status(), 403);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("This device is not registered with your service partner"),
        "{html}"
    );
    assert_eq!(outbox_is_empty(&sys).await, vec![]);
}
