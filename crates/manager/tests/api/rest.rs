//! The REST API over the real server, on both backends.

use crate::helpers::{Backend, TestApp, both_backends, spawn_app, t0};
use manager::api::types::*;
use manager::client::{ClientError, ManagerClient};
use secrecy::SecretString;
use serde_json::{Value, json};

fn client(app: &TestApp, key: &str) -> ManagerClient {
    ManagerClient::new(&app.base, SecretString::from(key.to_string())).unwrap()
}

fn service_request(description: &str) -> CreateIncidentRequest {
    CreateIncidentRequest {
        device_serial: "SN-100".into(),
        kind: "service".into(),
        issue_code: Some("paper_jam".into()),
        description: description.into(),
        supplies: vec![],
        contact: ContactBody {
            name: "Ana Lopez".into(),
            email: "ana@example.com".into(),
            phone: Some("+4930123456".into()),
        },
    }
}

fn meter_request(value: i64, days: i64, replacement: bool) -> RecordMeterReadRequest {
    RecordMeterReadRequest {
        read_at: t0() + chrono::Duration::days(days),
        source: "walk_up".into(),
        meter_replacement: replacement,
        meters: vec![MeterValueBody {
            id: "101".into(),
            name: "Total".into(),
            value,
        }],
    }
}

async fn post_json(
    app: &TestApp,
    key: &str,
    path: &str,
    idem: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut rb = app.http.post(app.url(path)).bearer_auth(key).json(body);
    if let Some(k) = idem {
        rb = rb.header("Idempotency-Key", k);
    }
    rb.send().await.unwrap()
}

both_backends!(
    incidents_are_created_fetched_and_listed_through_the_client,
    same_idempotency_key_same_body_replays_other_body_is_409,
    two_identical_concurrent_creates_make_one_incident,
    bad_input_gets_problem_json_naming_the_field,
    status_changes_keep_history_and_refuse_invalid_transitions,
    meter_reads_are_idempotent_and_refuse_rollback,
    tenants_are_isolated_on_every_api_endpoint,
    a_partners_ticket_reference_is_set_read_and_kept_to_its_partner,
);

/// The help-desk override: the partner's help desk gives its own ticket number for an incident.
async fn a_partners_ticket_reference_is_set_read_and_kept_to_its_partner(b: Backend) {
    let app = spawn_app(b).await;
    let c = client(&app, &app.a.api_key);
    let created = c
        .create_incident("idem-t", &service_request("jam"))
        .await
        .unwrap();
    assert_eq!(c.ticket_reference(&created.number).await.unwrap(), None);
    let path = format!("/api/v1/incidents/{}/ticket-reference", created.number);
    let put = |key: String, body: Value| {
        let app = &app;
        let path = path.clone();
        async move {
            app.http
                .put(app.url(&path))
                .bearer_auth(key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = put(app.a.api_key.clone(), json!({"reference": " HD-4711 "})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["reference"], "HD-4711");
    assert_eq!(
        c.ticket_reference(&created.number)
            .await
            .unwrap()
            .as_deref(),
        Some("HD-4711")
    );
    // Set again: replaced.
    assert_eq!(
        put(app.a.api_key.clone(), json!({"reference": "HD-4712"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        c.ticket_reference(&created.number)
            .await
            .unwrap()
            .as_deref(),
        Some("HD-4712")
    );
    // Bad input names the field; another partner sees no such incident.
    let bad = put(app.a.api_key.clone(), json!({"reference": "x".repeat(65)})).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("reference"));
    let other = put(app.b.api_key.clone(), json!({"reference": "EVIL-1"})).await;
    assert_eq!(other.status(), 404);
    let other = client(&app, &app.b.api_key);
    assert_eq!(other.ticket_reference(&created.number).await.unwrap(), None);
    assert_eq!(
        c.ticket_reference(&created.number)
            .await
            .unwrap()
            .as_deref(),
        Some("HD-4712")
    );
}

#[tokio::test]
async fn healthz_answers_and_openapi_document_is_3_1_with_all_paths() {
    let app = spawn_app(Backend::Sqlite).await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.text().await.unwrap(), "ok");
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/incidents",
        "/api/v1/incidents/{number}",
        "/api/v1/incidents/{number}/status",
        "/api/v1/devices/{serial}/incidents",
        "/api/v1/devices/{serial}/meter-reads",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
}

#[tokio::test]
async fn api_requires_a_valid_api_key() {
    let app = spawn_app(Backend::Sqlite).await;
    for key in [None, Some("sam_wrong"), Some("")] {
        let mut rb = app.http.get(app.url("/api/v1/devices/SN-100/incidents"));
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        let res = rb.send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let err = client(&app, "sam_nope")
        .list_device_incidents("SN-100", t0())
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Problem { status, .. } if status == 401));
}

async fn incidents_are_created_fetched_and_listed_through_the_client(b: Backend) {
    let app = spawn_app(b).await;
    let c = client(&app, &app.a.api_key);
    let created = c
        .create_incident("idem-1", &service_request("jam in tray 2"))
        .await
        .unwrap();
    assert_eq!(created.number, "SR-2026-000001");
    assert_eq!(created.status, manager::domain::IncidentStatus::Open);
    assert!(
        created.contact.is_none(),
        "create answers without contact details"
    );
    let got = c.get_incident(&created.number).await.unwrap();
    assert_eq!(got.description, "jam in tray 2");
    assert_eq!(got.contact.as_ref().unwrap().email, "ana@example.com");
    assert_eq!(got.history.len(), 1);
    app.store.clock.advance(chrono::Duration::days(40));
    let later = c
        .create_incident("idem-2", &service_request("later"))
        .await
        .unwrap();
    let recent = c
        .list_device_incidents("sn-100", t0() + chrono::Duration::days(30))
        .await
        .unwrap();
    assert_eq!(
        recent.iter().map(|i| i.number.as_str()).collect::<Vec<_>>(),
        vec![later.number.as_str()]
    );
    // Default window is the last 30 days.
    let res: Vec<IncidentView> = app
        .http
        .get(app.url("/api/v1/devices/SN-100/incidents"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res.len(), 1);
    let all = c
        .list_device_incidents("SN-100", t0() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
}

async fn same_idempotency_key_same_body_replays_other_body_is_409(b: Backend) {
    let app = spawn_app(b).await;
    let body = serde_json::to_value(service_request("x")).unwrap();
    let first = post_json(
        &app,
        &app.a.api_key,
        "/api/v1/incidents",
        Some("k-1"),
        &body,
    )
    .await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: IncidentView = first.json().await.unwrap();
    let again = post_json(
        &app,
        &app.a.api_key,
        "/api/v1/incidents",
        Some("k-1"),
        &body,
    )
    .await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: IncidentView = again.json().await.unwrap();
    assert_eq!(first.number, again.number);
    let other = serde_json::to_value(service_request("y")).unwrap();
    let conflict = post_json(
        &app,
        &app.a.api_key,
        "/api/v1/incidents",
        Some("k-1"),
        &other,
    )
    .await;
    assert_eq!(conflict.status(), 409);
    let p: Problem = conflict.json().await.unwrap();
    assert_eq!(p.field.as_deref(), Some("Idempotency-Key"));
    let missing = post_json(&app, &app.a.api_key, "/api/v1/incidents", None, &body).await;
    assert_eq!(missing.status(), 400);
    let p: Problem = missing.json().await.unwrap();
    assert_eq!(p.field.as_deref(), Some("Idempotency-Key"));
    // The key is the header the OpenAPI document names, and only that: the earlier
    // `?idempotency_key=` form (which OpenAPI cannot state as "this or the header") is refused,
    // so a caller relying on it learns so instead of creating incidents twice.
    let path = "/api/v1/incidents?idempotency_key=q-1";
    let q1 = post_json(&app, &app.a.api_key, path, None, &body).await;
    assert_eq!(q1.status(), 400);
    let p: Problem = q1.json().await.unwrap();
    assert_eq!(p.field.as_deref(), Some("Idempotency-Key"));
    let again = post_json(
        &app,
        &app.a.api_key,
        "/api/v1/incidents",
        Some("q-1"),
        &body,
    )
    .await;
    assert_eq!(again.status(), 201, "the refused query created nothing");
    let q2: IncidentView = again.json().await.unwrap();
    assert_ne!(q2.number, first.number);
}

async fn two_identical_concurrent_creates_make_one_incident(b: Backend) {
    let app = spawn_app(b).await;
    let c = client(&app, &app.a.api_key);
    let req = service_request("same moment");
    let (x, y) = tokio::join!(
        c.create_incident("same-key", &req),
        c.create_incident("same-key", &req)
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!(x.number, y.number);
    let all = c
        .list_device_incidents("SN-100", t0() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

async fn bad_input_gets_problem_json_naming_the_field(b: Backend) {
    let app = spawn_app(b).await;
    let mut body = serde_json::to_value(service_request("x")).unwrap();
    body["contact"]["email"] = json!("not-an-email");
    body["contact"]["name"] = json!("a\u{0007}b");
    let res = post_json(&app, &app.a.api_key, "/api/v1/incidents", Some("v1"), &body).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Problem = res.json().await.unwrap();
    let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["contact.name", "contact.email"]);
    assert!(p.detail.contains("contact.email"), "{}", p.detail);
    body = serde_json::to_value(service_request(&"x".repeat(2001))).unwrap();
    let p: Problem = post_json(&app, &app.a.api_key, "/api/v1/incidents", Some("v2"), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p.field.as_deref(), Some("description"));
    body = serde_json::to_value(service_request("x")).unwrap();
    body["device_serial"] = json!("UNKNOWN-1");
    let p: Problem = post_json(&app, &app.a.api_key, "/api/v1/incidents", Some("v3"), &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((p.status, p.field.as_deref()), (404, Some("device_serial")));
    assert!(proto::manager::names_unknown_device(&p));
    let res = app
        .http
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&app.a.api_key)
        .header("Idempotency-Key", "v4")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let p: Problem = res.json().await.unwrap();
    assert_eq!(p.field.as_deref(), Some("body"));
    // Wrong JSON types and missing fields are named too.
    let mut wrong = serde_json::to_value(service_request("x")).unwrap();
    wrong["contact"]["email"] = json!(5);
    let p: Problem = post_json(
        &app,
        &app.a.api_key,
        "/api/v1/incidents",
        Some("v5"),
        &wrong,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (p.status, p.field.as_deref()),
        (400, Some("contact.email")),
        "{}",
        p.detail
    );
    let mut missing = serde_json::to_value(service_request("x")).unwrap();
    missing.as_object_mut().unwrap().remove("kind");
    let p: Problem = post_json(
        &app,
        &app.a.api_key,
        "/api/v1/incidents",
        Some("v6"),
        &missing,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(p.field.as_deref(), Some("kind"), "{}", p.detail);
    missing = serde_json::to_value(service_request("x")).unwrap();
    missing["contact"].as_object_mut().unwrap().remove("name");
    let p: Problem = post_json(
        &app,
        &app.a.api_key,
        "/api/v1/incidents",
        Some("v7"),
        &missing,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(p.field.as_deref(), Some("contact.name"), "{}", p.detail);
    let res = app
        .http
        .get(app.url("/api/v1/devices/SN-100/incidents?since=yesterday"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap();
    let p: Problem = res.json().await.unwrap();
    assert_eq!((p.status, p.field.as_deref()), (400, Some("since")));
    let res = app
        .http
        .get(app.url("/api/v1/incidents/SR-1"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap();
    let p: Problem = res.json().await.unwrap();
    assert_eq!((p.status, p.field.as_deref()), (400, Some("number")));
}

async fn status_changes_keep_history_and_refuse_invalid_transitions(b: Backend) {
    let app = spawn_app(b).await;
    let c = client(&app, &app.a.api_key);
    let inc = c.create_incident("s", &service_request("x")).await.unwrap();
    let path = format!("/api/v1/incidents/{}/status", inc.number);
    let res = post_json(
        &app,
        &app.a.api_key,
        &path,
        None,
        &json!({"status": "closed", "actor": "tech"}),
    )
    .await;
    assert_eq!(res.status(), 409);
    let p: Problem = res.json().await.unwrap();
    assert_eq!(p.field.as_deref(), Some("status"));
    assert!(p.detail.contains("open") && p.detail.contains("closed"));
    app.store.clock.advance(chrono::Duration::minutes(5));
    let res = post_json(
        &app,
        &app.a.api_key,
        &path,
        None,
        &json!({"status": "acknowledged", "actor": "Tom", "comment": "on it"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let v: IncidentView = res.json().await.unwrap();
    assert_eq!(v.status, manager::domain::IncidentStatus::Acknowledged);
    let last = v.history.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.comment.as_str()),
        ("Tom", "on it")
    );
    assert_eq!(last.at, t0() + chrono::Duration::minutes(5));
    let res = post_json(
        &app,
        &app.a.api_key,
        &path,
        None,
        &json!({"status": "reopened", "actor": "Tom"}),
    )
    .await;
    let p: Problem = res.json().await.unwrap();
    assert_eq!((p.status, p.field.as_deref()), (422, Some("status")));
}

async fn meter_reads_are_idempotent_and_refuse_rollback(b: Backend) {
    let app = spawn_app(b).await;
    let c = client(&app, &app.a.api_key);
    let first = c
        .record_meter_read("SN-100", "m1", &meter_request(500, 0, false))
        .await
        .unwrap();
    let again = c
        .record_meter_read("SN-100", "m1", &meter_request(500, 0, false))
        .await
        .unwrap();
    assert_eq!(first.id, again.id);
    let err = c
        .record_meter_read("SN-100", "m2", &meter_request(400, 1, false))
        .await
        .unwrap_err();
    match err {
        ClientError::Problem { status, problem } => {
            assert_eq!(status, 409);
            assert_eq!(problem.field.as_deref(), Some("meters"));
            assert!(
                problem.detail.contains("below the previous read"),
                "{}",
                problem.detail
            );
        }
        other => panic!("{other:?}"),
    }
    let neg = c
        .record_meter_read("SN-100", "m3", &meter_request(-1, 1, false))
        .await
        .unwrap_err();
    assert!(
        matches!(&neg, ClientError::Problem { problem, .. } if problem.field.as_deref() == Some("meters[0].value")),
        "{neg:?}"
    );
    c.record_meter_read("SN-100", "m4", &meter_request(3, 2, true))
        .await
        .unwrap();
    let reads = c
        .list_meter_reads("SN-100", t0() - chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        reads.iter().map(|r| r.meters[0].value).collect::<Vec<_>>(),
        vec![500, 3]
    );
    let conflict = c
        .record_meter_read("SN-100", "m1", &meter_request(600, 3, false))
        .await
        .unwrap_err();
    assert!(matches!(conflict, ClientError::Problem { status, .. } if status == 409));
}

async fn tenants_are_isolated_on_every_api_endpoint(b: Backend) {
    let app = spawn_app(b).await;
    // Both partners have a device with serial SN-100; each sees only its own.
    let ca = client(&app, &app.a.api_key);
    let cb = client(&app, &app.b.api_key);
    let inc = ca
        .create_incident("a1", &service_request("a's secret"))
        .await
        .unwrap();
    ca.record_meter_read("SN-100", "a-m", &meter_request(777, 0, false))
        .await
        .unwrap();
    let not_found = cb.get_incident(&inc.number).await.unwrap_err();
    assert!(matches!(not_found, ClientError::Problem { status, .. } if status == 404));
    assert!(
        cb.list_device_incidents("SN-100", t0() - chrono::Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        cb.list_meter_reads("SN-100", t0() - chrono::Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
    let path = format!("/api/v1/incidents/{}/status", inc.number);
    let res = post_json(
        &app,
        &app.b.api_key,
        &path,
        None,
        &json!({"status": "acknowledged", "actor": "b"}),
    )
    .await;
    assert_eq!(res.status(), 404);
    // B's meter read on its own SN-100 is not checked against A's values.
    cb.record_meter_read("SN-100", "b-m", &meter_request(1, 0, false))
        .await
        .unwrap();
    // Same idempotency key in B is B's own request.
    let b_inc = cb
        .create_incident("a1", &service_request("a's secret"))
        .await
        .unwrap();
    // Numbers count per partner: B's first incident is SR-…-000001 too, and each partner's number
    // names its own incident (its own customer).
    assert_eq!(b_inc.number, inc.number);
    assert_eq!(
        cb.get_incident(&b_inc.number).await.unwrap().customer_id,
        app.b.device.customer_id
    );
    assert_eq!(
        ca.get_incident(&inc.number).await.unwrap().customer_id,
        app.a.device.customer_id
    );
    let customers: Vec<CustomerView> = app
        .http
        .get(app.url("/api/v1/customers"))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0].id, app.b.device.customer_id);
    let devices: Vec<DeviceView> = app
        .http
        .get(app.url("/api/v1/devices"))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].customer_id, app.b.device.customer_id);
    let d: DeviceView = app
        .http
        .get(app.url("/api/v1/devices/SN-100"))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d.customer_id, app.b.device.customer_id);
    // B cannot add a device under A's customer.
    let res = post_json(&app, &app.b.api_key, "/api/v1/devices", None,
        &json!({"customer_id": app.a.device.customer_id, "serial": "NEW-1", "model": "M", "location": "L"})).await;
    assert_eq!(res.status(), 404);
    let a_view = ca.get_incident(&inc.number).await.unwrap();
    assert_eq!(
        a_view.status,
        manager::domain::IncidentStatus::Open,
        "B's attempt changed nothing"
    );
}
