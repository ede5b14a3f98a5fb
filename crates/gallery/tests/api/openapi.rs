//! The OpenAPI document says what the handlers do (schemathesis checks the rest against a
//! running demo: scripts/schemathesis.sh): parameter rules, strict bodies, 400 vs 422.

use crate::helpers::{fixture_weblet, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn the_document_states_the_serial_rule_and_strict_bodies() {
    let app = spawn_app().await;
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let parameters = &doc["paths"]["/api/devices/{serial}/entitlements"]["get"]["parameters"];
    let serial = parameters
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "serial")
        .expect("serial parameter");
    assert_eq!(
        serial["schema"]["pattern"],
        gallery::http::openapi::SERIAL_PATTERN
    );
    assert_eq!(serial["schema"]["maxLength"], 64);
    let body = &doc["paths"]["/api/devices/{serial}/entitlements"]["put"]["requestBody"]["content"]
        ["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/EntitlementsUpdate");
    assert_eq!(
        doc["components"]["schemas"]["EntitlementsUpdate"]["additionalProperties"],
        false
    );
    assert_eq!(
        doc["components"]["schemas"]["AppConfiguration"]["additionalProperties"],
        false
    );
    let publish = &doc["paths"]["/api/apps/{app_id}/versions"]["post"];
    assert!(publish["requestBody"]["content"]["application/zip"].is_object());
    assert!(publish["responses"]["422"].is_object());
}

#[tokio::test]
async fn a_serial_of_dots_or_with_spaces_is_refused_with_a_problem() {
    let app = spawn_app().await;
    for path in [
        "/api/devices/%20D1/entitlements",
        "/api/devices/.../entitlements",
    ] {
        let response = app
            .http
            .get(app.url(path))
            .bearer_auth(&app.api_key)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 400, "{path}");
        let problem: Value = response.json().await.expect("problem");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("device serial"),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn a_body_that_is_an_array_is_refused_not_read_field_by_field() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let response = app
        .http
        .put(app.url("/api/devices/D1/entitlements"))
        .bearer_auth(&app.api_key)
        .json(&json!([null, null]))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("expected a JSON object")
    );
}

#[tokio::test]
async fn a_device_with_unknown_fields_is_refused_by_name() {
    let app = spawn_app().await;
    let response = app
        .http
        .put(app.url("/api/devices/D1"))
        .bearer_auth(&app.api_key)
        .json(&json!({ "tenant": "partner-a", "auto_updates": true }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let problem: Value = response.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("auto_updates"),
        "{problem}"
    );
}

#[tokio::test]
async fn valid_days_written_as_a_whole_float_is_a_number_of_days() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    app.publish("1.0.0").await;
    let install = |days: Value| {
        app.http
            .post(app.url("/api/devices/D1/install"))
            .bearer_auth(&app.api_key)
            .json(&json!({ "valid_days": days }))
            .send()
    };
    assert_eq!(install(json!(30.0)).await.expect("request").status(), 201);
    assert_eq!(install(json!(30.5)).await.expect("request").status(), 400);
}

#[tokio::test]
async fn a_package_for_another_app_is_unprocessable_and_a_missing_serial_a_problem() {
    let app = spawn_app().await;
    let package = gallery::package::Package::build(&fixture_weblet()).expect("build");
    let response = app
        .http
        .post(app.url("/api/apps/other-app/versions"))
        .bearer_auth(&app.api_key)
        .header("content-type", "application/zip")
        .body(package.bytes)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    let response = app
        .http
        .get(app.url("/api/apps/support-assistant/versions/1.0.0/package"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
}
