use gallery::config::AppConfiguration;

use crate::helpers::*;

#[tokio::test]
async fn supplies_without_a_supplies_contract_are_refused_with_the_reason() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_NO_SUPPLIES);
    let (status, body) = panel
        .post("/api/v1/supply-incidents", Some("k1"), serde_json::json!({"supplies": [{"index": "1.1", "description": "Black Toner"}], "contact": contact()}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("not under a supplies contract"),
        "{body}"
    );
    let (_, startup) = panel
        .post("/api/v1/startup", None, serde_json::json!({}))
        .await;
    assert_eq!(startup["entitlements"]["supplies"], false);
}

#[tokio::test]
async fn a_switched_off_workflow_is_refused_with_the_reason() {
    let sys = start_system().await;
    let mut config = AppConfiguration::default();
    config.permissions.create_service_incidents = false;
    let panel = sys.panel_with(SERIAL_A, &config);
    let (status, body) = panel
        .post(
            "/api/v1/service-incidents",
            Some("k1"),
            serde_json::json!({"issue_code": "noise", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 403);
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("switched off"),
        "{body}"
    );
}

#[tokio::test]
async fn a_wrong_email_is_named() {
    let sys = start_system().await;
    let (status, body) = sys
        .panel(SERIAL_A)
        .post("/api/v1/service-incidents", Some("k1"), serde_json::json!({"issue_code": "noise", "contact": {"name": "Erika", "email": "erika-at-example"}}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "contact.email");
}

#[tokio::test]
async fn idempotency_key_required_and_honoured() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let body = serde_json::json!({"issue_code": "noise", "contact": contact()});
    let (status, problem) = panel
        .post("/api/v1/service-incidents", None, body.clone())
        .await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("Idempotency-Key")
    );
    let (s1, first) = panel
        .post("/api/v1/service-incidents", Some("same-key"), body.clone())
        .await;
    let (s2, second) = panel
        .post("/api/v1/service-incidents", Some("same-key"), body.clone())
        .await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first["incident_number"], second["incident_number"]);
    let other = serde_json::json!({"issue_code": "paper_jam", "contact": contact()});
    let (s3, _) = panel
        .post("/api/v1/service-incidents", Some("same-key"), other)
        .await;
    assert_eq!(s3, 409);
    let (_, list) = panel.get("/api/v1/incidents").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_device_cannot_read_another_devices_incidents() {
    let sys = start_system().await;
    let a = sys.panel(SERIAL_A);
    let (status, _) = a
        .post(
            "/api/v1/service-incidents",
            Some("k1"),
            serde_json::json!({"issue_code": "noise", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201);
    let b = sys.panel(SERIAL_B);
    let (_, list) = b.get("/api/v1/incidents").await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "B sees none of A's incidents"
    );
    // A tampered credential (A's payload with B's signature) is refused.
    let (a_head, _) = a.credential.split_once('.').expect("token");
    let (_, b_sig) = b.credential.split_once('.').expect("token");
    let forged = Panel {
        sys: &sys,
        credential: format!("{a_head}.{b_sig}"),
        sealed_config: a.sealed_config.clone(),
        demo: false,
    };
    let (status, body) = forged.get("/api/v1/incidents").await;
    assert_eq!(status, 401, "{body}");
    let none = Panel {
        sys: &sys,
        credential: String::new(),
        sealed_config: a.sealed_config.clone(),
        demo: false,
    };
    assert_eq!(none.get("/api/v1/incidents").await.0, 401);
}

#[tokio::test]
async fn a_changed_app_configuration_is_refused() {
    let sys = start_system().await;
    let mut panel = sys.panel(SERIAL_A);
    let mut bytes = panel.sealed_config.into_bytes();
    let mid = bytes.len() / 2;
    bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
    panel.sealed_config = String::from_utf8(bytes).expect("ascii");
    let (status, body) = panel
        .post("/api/v1/startup", None, serde_json::json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("app configuration cannot be opened"),
        "{body}"
    );
}
