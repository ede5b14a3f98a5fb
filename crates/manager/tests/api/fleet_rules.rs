//! Fleet intelligence (issue 13) on both backends, through the running server: policies,
//! automatic supply orders, incidents from printer alerts, silent devices, signed webhooks.

use crate::helpers::{Backend, TestApp, both_backends, spawn_app, spawn_app_with, t0};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use manager::auth::token_hash;
use manager::clock::Clock;
use manager::fleet::evaluate::{Evaluator, Scope, evaluate};
use manager::fleet::notify::{Notifier, hmac_sha256};
use manager::storage::Storage;
use proto::fleet::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const SERIAL: &str = "SN-100";

/// An enrolled agent of the partner's first customer; returns its credential.
pub(crate) async fn agent(store: &dyn Storage, partner: Uuid) -> String {
    let customer = store.list_customers(partner).await.unwrap()[0].id;
    let token = format!("sae_{}", Uuid::new_v4().simple());
    let credential = format!("saa_{}", Uuid::new_v4().simple());
    store
        .create_agent(
            partner,
            customer,
            "HQ",
            &token_hash(&token),
            t0() + Duration::days(30),
        )
        .await
        .unwrap();
    store
        .enroll_agent(&token_hash(&token), &token_hash(&credential), "0.1.0", None)
        .await
        .unwrap()
        .unwrap();
    credential
}

fn toner(percent: u8) -> FleetSupply {
    FleetSupply {
        index: "1.1".into(),
        description: "Black Toner".into(),
        part_number: Some("106R01234".into()),
        kind: "toner".into(),
        class: SupplyClass::Consumed,
        colorant: Some("black".into()),
        max_capacity: Some(100),
        level: Some(i64::from(percent)),
        percent: Some(percent),
        status: SupplyStatus::Ok,
    }
}

fn alert(code: i64, code_name: &str, severity: &str, training: &str) -> FleetAlert {
    FleetAlert {
        index: "1".into(),
        severity: severity.into(),
        training_level: Some(training.into()),
        group: Some("general_printer".into()),
        group_index: Some(1),
        location: Some(1),
        code,
        code_name: code_name.into(),
        description: code_name.into(),
        time: None,
    }
}

fn reading(at: DateTime<Utc>, supplies: Vec<FleetSupply>, alerts: Vec<FleetAlert>) -> Reading {
    Reading {
        reading_id: Uuid::new_v4(),
        read_at: at,
        address: "127.0.10.1:1161".into(),
        identity: FleetIdentity {
            serial: SERIAL.into(),
            model: Some("MFD 5000".into()),
            ..Default::default()
        },
        status: FleetStatus {
            device: Some("running".into()),
            printer: Some("idle".into()),
            errors: vec![],
        },
        supplies,
        meters: vec![],
        alerts,
    }
}

/// Posts one batch as the agent does, then evaluates what it stored (the server evaluates it too,
/// after answering, in a task of its own: see `an_upload_is_evaluated_after_its_answer`; evaluated
/// here, the test need not wait for that task).
pub(crate) async fn send(app: &TestApp, credential: &str, readings: Vec<Reading>) {
    post(app, credential, readings).await;
    manager::fleet::evaluate::drain(&*app.store.store, &*app.store.clock, u32::MAX)
        .await
        .unwrap();
}

/// Posts one batch as the agent does.
async fn post(app: &TestApp, credential: &str, readings: Vec<Reading>) {
    let res = app
        .http
        .post(app.url("/api/v1/agents/readings"))
        .bearer_auth(credential)
        .json(&ReadingBatch {
            batch_id: Uuid::new_v4(),
            agent_version: "0.1.0".into(),
            readings,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
}

async fn incidents(app: &TestApp, key: &str) -> Vec<Value> {
    let res = app
        .http
        .get(app.url(&format!("/api/v1/devices/{SERIAL}/incidents")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    v.as_array()
        .cloned()
        .or_else(|| v["incidents"].as_array().cloned())
        .unwrap_or_default()
}

async fn incident(app: &TestApp, number: &str) -> Value {
    app.http
        .get(app.url(&format!("/api/v1/incidents/{number}")))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

both_backends!(
    policies_have_defaults_overrides_checks_and_stay_within_the_partner,
    a_low_supply_with_a_contract_is_ordered_once_and_closed_after_replacement,
    an_alert_raises_one_incident_and_it_is_resolved_when_it_clears,
    a_silent_device_alerts_once,
    webhooks_are_signed_and_retried_after_the_receiver_was_down,
    an_upload_is_evaluated_after_its_answer,
    a_device_left_waiting_is_evaluated_by_the_periodic_run,
);

/// Waits (5 s at most) until no device awaits evaluation; false if some still does.
async fn evaluated(store: &dyn Storage) -> bool {
    for _ in 0..100 {
        if store.devices_to_evaluate(10).await.unwrap().is_empty() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

fn fuser_failure() -> FleetAlert {
    FleetAlert {
        description: "Service call: fuser failure".into(),
        ..alert(
            30,
            "subunitUnrecoverableFailure",
            "critical",
            "field_service",
        )
    }
}

/// The upload is answered once stored; the server's own task then evaluates its device (nothing
/// else evaluates here): the incident appears and the device no longer waits.
async fn an_upload_is_evaluated_after_its_answer(b: Backend) {
    let app = spawn_app(b).await;
    let store = app.store.store.clone();
    let credential = agent(&*store, app.a.partner_id).await;
    post(
        &app,
        &credential,
        vec![reading(t0(), vec![toner(80)], vec![fuser_failure()])],
    )
    .await;
    assert!(
        evaluated(&*store).await,
        "the device still awaits evaluation"
    );
    let list = incidents(&app, &app.a.api_key).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["source"], "automatic");
    // A second batch of the device: evaluated again (the first pass's pause included).
    post(
        &app,
        &credential,
        vec![reading(
            t0() + Duration::minutes(15),
            vec![toner(79)],
            vec![],
        )],
    )
    .await;
    assert!(
        evaluated(&*store).await,
        "the second batch was not evaluated"
    );
    let list = incidents(&app, &app.a.api_key).await;
    assert_eq!(list[0]["status"], "resolved", "{list:?}");
}

/// A batch stored but never evaluated (the instance stopped right after its commit) waits in
/// the database; the periodic evaluator of any instance evaluates it.
async fn a_device_left_waiting_is_evaluated_by_the_periodic_run(b: Backend) {
    let app = spawn_app(b).await;
    let store = app.store.store.clone();
    let credential = agent(&*store, app.a.partner_id).await;
    let me = store
        .agent_for_credential(&token_hash(&credential), None)
        .await
        .unwrap()
        .unwrap();
    store
        .ingest_batch(
            &me,
            Uuid::new_v4(),
            1,
            &[reading(t0(), vec![toner(80)], vec![fuser_failure()])],
        )
        .await
        .unwrap();
    let waiting = store.devices_to_evaluate(10).await.unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].serial, SERIAL);
    assert!(incidents(&app, &app.a.api_key).await.is_empty());
    Evaluator::new(store.clone(), app.store.clock.clone())
        .run_once(std::time::Duration::from_secs(300))
        .await
        .unwrap();
    assert!(store.devices_to_evaluate(10).await.unwrap().is_empty());
    assert_eq!(incidents(&app, &app.a.api_key).await.len(), 1);
}

async fn policies_have_defaults_overrides_checks_and_stay_within_the_partner(b: Backend) {
    let app = spawn_app(b).await;
    let put = |key: &str, path: &str, body: Value| {
        app.http
            .put(app.url(path))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let get = |key: &str, path: &str| app.http.get(app.url(path)).bearer_auth(key).send();
    let all: Value = get(&app.a.api_key, "/api/v1/fleet/policies")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["defaults"]["order_within_days"], 10);
    assert_eq!(all["defaults"]["order_below_percent"], 15);
    assert_eq!(all["defaults"]["silent_after_days"], 3);
    assert_eq!(all["defaults"]["persist_minutes"], 30);
    // Documented in the OpenAPI document, with the webhook payloads.
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/fleet/policies",
        "/api/v1/fleet/policies/partner",
        "/api/v1/fleet/policies/customers/{id}",
        "/api/v1/fleet/policies/devices/{serial}",
        "/api/v1/fleet/policies/devices/{serial}/effective",
        "/api/v1/fleet/devices/{serial}/supplies-contract",
        "/api/v1/fleet/devices/{serial}/conditions",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}",
        "/api/v1/webhooks/{id}/deliveries",
    ] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    for schema in ["WebhookEvent", "EventData", "PolicyDocument", "Policy"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "missing {schema}"
        );
    }
    assert!(doc["components"]["schemas"]["IncidentView"]["properties"]["source"].is_object());

    let res = put(
        &app.a.api_key,
        "/api/v1/fleet/policies/partner",
        json!({"order_below_percent": 30, "order_within_days": 20}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let customer = app.a.device.customer_id;
    let res = put(
        &app.a.api_key,
        &format!("/api/v1/fleet/policies/customers/{customer}"),
        json!({"order_within_days": 5}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let res = put(
        &app.a.api_key,
        &format!("/api/v1/fleet/policies/devices/{SERIAL}"),
        json!({"silent_after_days": 1}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let eff: Value = get(
        &app.a.api_key,
        &format!("/api/v1/fleet/policies/devices/{SERIAL}/effective"),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(eff["order_below_percent"], 30);
    assert_eq!(eff["order_within_days"], 5);
    assert_eq!(eff["silent_after_days"], 1);
    assert_eq!(eff["persist_minutes"], 30);

    // Bad input: 422 naming the field; unknown fields refused.
    let res = put(
        &app.a.api_key,
        "/api/v1/fleet/policies/partner",
        json!({"order_below_percent": 140, "alert_severities": ["loud"]}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    let text = p.to_string();
    assert!(
        text.contains("order_below_percent") && text.contains("alert_severities"),
        "{text}"
    );
    let res = put(
        &app.a.api_key,
        "/api/v1/fleet/policies/partner",
        json!({"order_percent": 10}),
    )
    .await
    .unwrap();
    assert!(res.status().is_client_error());

    // Tenant isolation: b cannot set a's customer's or device's policy, and does not see a's.
    let res = put(
        &app.b.api_key,
        &format!("/api/v1/fleet/policies/customers/{customer}"),
        json!({"order_within_days": 1}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 404);
    let b_all: Value = get(&app.b.api_key, "/api/v1/fleet/policies")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b_all["partner"], json!({}));
    assert_eq!(b_all["customers"], json!({}));
    let b_eff: Value = get(
        &app.b.api_key,
        &format!("/api/v1/fleet/policies/devices/{SERIAL}/effective"),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    // b has its own SN-100: the defaults apply to it.
    assert_eq!(b_eff["order_below_percent"], 15);
    assert_eq!(b_eff["silent_after_days"], 3);
    let res = app
        .http
        .get(app.url("/api/v1/fleet/policies"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Removing the device's document falls back to the customer's and partner's.
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/fleet/policies/devices/{SERIAL}")))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let eff: Value = get(
        &app.a.api_key,
        &format!("/api/v1/fleet/policies/devices/{SERIAL}/effective"),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(eff["silent_after_days"], 3);
}

async fn set_contract(app: &TestApp, key: &str) -> u16 {
    app.http
        .put(app.url(&format!("/api/v1/fleet/devices/{SERIAL}/supplies-contract")))
        .bearer_auth(key)
        .json(&json!({"starts_on": "2026-01-01", "ends_on": "2026-12-31"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_low_supply_with_a_contract_is_ordered_once_and_closed_after_replacement(b: Backend) {
    let app = spawn_app(b).await;
    let store = app.store.store.clone();
    let credential = agent(&*store, app.a.partner_id).await;
    assert_eq!(set_contract(&app, &app.a.api_key).await, 200);
    // b's partner has no device SN-100 of a: b's key sets b's own device, never a's.
    let t = t0();
    send(
        &app,
        &credential,
        vec![reading(t - Duration::hours(2), vec![toner(40)], vec![])],
    )
    .await;
    assert!(incidents(&app, &app.a.api_key).await.is_empty());
    send(
        &app,
        &credential,
        vec![reading(t - Duration::hours(1), vec![toner(12)], vec![])],
    )
    .await;
    let list = incidents(&app, &app.a.api_key).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["kind"], "supply");
    assert_eq!(list[0]["source"], "automatic");
    assert_eq!(list[0]["status"], "open");
    assert_eq!(list[0]["supplies"][0]["description"], "Black Toner");
    assert_eq!(list[0]["supplies"][0]["part_number"], "106R01234");

    // Still low: more batches, the periodic evaluator and four concurrent evaluations add nothing.
    send(&app, &credential, vec![reading(t, vec![toner(10)], vec![])]).await;
    Evaluator::new(store.clone(), app.store.clock.clone())
        .run_once(std::time::Duration::from_secs(300))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let s = store.clone();
        let p = app.a.partner_id;
        tasks.push(tokio::spawn(async move {
            evaluate(&*s, p, Scope::All, t0()).await.unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let list = incidents(&app, &app.a.api_key).await;
    assert_eq!(list.len(), 1, "a second open order: {list:?}");
    assert!(incidents(&app, &app.b.api_key).await.is_empty());

    // Replaced: the level jumps up, the order is closed with a history entry.
    send(
        &app,
        &credential,
        vec![reading(t + Duration::hours(1), vec![toner(100)], vec![])],
    )
    .await;
    let number = list[0]["number"].as_str().unwrap().to_string();
    let one = incident(&app, &number).await;
    assert_eq!(one["status"], "closed");
    let history = one["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["actor"], "fleet");
    assert!(
        last["comment"].as_str().unwrap().contains("replaced"),
        "{last}"
    );

    // Low again later: a new order (the old one is closed).
    app.store.clock.advance(Duration::days(20));
    send(
        &app,
        &credential,
        vec![reading(t + Duration::days(20), vec![toner(5)], vec![])],
    )
    .await;
    assert_eq!(incidents(&app, &app.a.api_key).await.len(), 2);
}

async fn an_alert_raises_one_incident_and_it_is_resolved_when_it_clears(b: Backend) {
    let app = spawn_app(b).await;
    let store = app.store.store.clone();
    let credential = agent(&*store, app.a.partner_id).await;
    let t = t0();
    let failure = FleetAlert {
        description: "Service call: fuser failure\r\n".into(),
        ..alert(
            30,
            "subunitUnrecoverableFailure",
            "critical",
            "field_service",
        )
    };
    let jam = FleetAlert {
        index: "2".into(),
        group: Some("media_path".into()),
        ..alert(8, "jam", "critical", "untrained")
    };
    let low_toner = FleetAlert {
        index: "3".into(),
        ..alert(
            1104,
            "markerTonerAlmostEmpty",
            "warning",
            "no_intervention_required",
        )
    };
    send(
        &app,
        &credential,
        vec![reading(
            t,
            vec![toner(80)],
            vec![failure.clone(), jam.clone(), low_toner.clone()],
        )],
    )
    .await;
    let list = incidents(&app, &app.a.api_key).await;
    assert_eq!(list.len(), 1, "only the failure at once: {list:?}");
    assert_eq!(list[0]["kind"], "service");
    assert_eq!(list[0]["source"], "automatic");
    // The panel shows the description: the printer's own words, not the policy's codes.
    assert_eq!(list[0]["description"], "Service call: fuser failure");

    // The failure lasts: updated, not repeated. The jam after 10 minutes: still waiting.
    send(
        &app,
        &credential,
        vec![reading(
            t + Duration::minutes(10),
            vec![toner(80)],
            vec![failure.clone(), jam.clone()],
        )],
    )
    .await;
    assert_eq!(incidents(&app, &app.a.api_key).await.len(), 1);
    // The jam persists past 30 minutes: its own incident.
    send(
        &app,
        &credential,
        vec![reading(
            t + Duration::minutes(35),
            vec![toner(80)],
            vec![failure.clone(), jam.clone()],
        )],
    )
    .await;
    let list = incidents(&app, &app.a.api_key).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(
        list.iter()
            .any(|i| i["description"].as_str().unwrap().contains("jam"))
    );

    // Both clear: resolved automatically, with a history entry.
    send(
        &app,
        &credential,
        vec![reading(t + Duration::minutes(50), vec![toner(80)], vec![])],
    )
    .await;
    for i in incidents(&app, &app.a.api_key).await {
        let one = incident(&app, i["number"].as_str().unwrap()).await;
        assert_eq!(one["status"], "resolved", "{one}");
        let last = one["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["actor"], "fleet");
        assert!(
            last["comment"]
                .as_str()
                .unwrap()
                .contains("resolved automatically")
        );
    }
    // A jam that clears within the 30 minutes raises nothing.
    send(
        &app,
        &credential,
        vec![reading(
            t + Duration::minutes(60),
            vec![toner(80)],
            vec![jam.clone()],
        )],
    )
    .await;
    send(
        &app,
        &credential,
        vec![reading(t + Duration::minutes(70), vec![toner(80)], vec![])],
    )
    .await;
    assert_eq!(incidents(&app, &app.a.api_key).await.len(), 2);
    // The other partner sees none of it.
    assert!(incidents(&app, &app.b.api_key).await.is_empty());
    // The alert history: the failure and the jams, raised or not, each cleared.
    let history: Value = app
        .http
        .get(app.url(&format!("/api/v1/fleet/devices/{SERIAL}/conditions")))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let history = history.as_array().unwrap();
    let alerts: Vec<&Value> = history.iter().filter(|c| c["kind"] == "alert").collect();
    assert_eq!(alerts.len(), 3, "{history:?}");
    assert!(alerts.iter().all(|c| !c["cleared_at"].is_null()));
    assert_eq!(
        alerts
            .iter()
            .filter(|c| !c["incident_number"].is_null())
            .count(),
        2
    );
    let b_history: Value = app
        .http
        .get(app.url(&format!("/api/v1/fleet/devices/{SERIAL}/conditions")))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b_history, json!([]), "b's own SN-100 has no history");
}

/// A test receiver: records what it gets; verifies the Standard Webhooks signature itself.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, String, bool)>>>,
}

impl Receiver {
    async fn serve(
        self,
        listener: tokio::net::TcpListener,
        secret: String,
    ) -> tokio::task::JoinHandle<()> {
        use axum::http::HeaderMap;
        let got = self.got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let got = got.clone();
                let secret = secret.clone();
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let key = base64::engine::general_purpose::STANDARD
                        .decode(secret.trim_start_matches("whsec_"))
                        .unwrap();
                    let signed = format!("{}.{}.{}", h("webhook-id"), h("webhook-timestamp"), body);
                    let expected = format!(
                        "v1,{}",
                        base64::engine::general_purpose::STANDARD
                            .encode(hmac_sha256(&key, signed.as_bytes()))
                    );
                    let ok = h("webhook-signature") == expected;
                    let v: Value = serde_json::from_str(&body).unwrap_or_default();
                    got.lock().unwrap().push((
                        v["type"].as_str().unwrap_or_default().to_string(),
                        body,
                        ok,
                    ));
                    if ok {
                        axum::http::StatusCode::NO_CONTENT
                    } else {
                        axum::http::StatusCode::UNAUTHORIZED
                    }
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        })
    }
}

async fn add_webhook(app: &TestApp, key: &str, url: &str, events: Value) -> (String, String) {
    let res = app
        .http
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(key)
        .json(&json!({"url": url, "events": events}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    (
        v["webhook"]["id"].as_str().unwrap().to_string(),
        v["secret"].as_str().unwrap().to_string(),
    )
}

async fn a_silent_device_alerts_once(b: Backend) {
    let app = spawn_app_with(b, |c| c.webhook_allow_private = true).await;
    let store = app.store.store.clone();
    let clock = app.store.clock.clone();
    let credential = agent(&*store, app.a.partner_id).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (_, secret) = add_webhook(&app, &app.a.api_key, &url, json!(["device.silent"])).await;
    let receiver = Receiver::default();
    let server = receiver.clone().serve(listener, secret).await;
    send(
        &app,
        &credential,
        vec![reading(t0(), vec![toner(80)], vec![])],
    )
    .await;
    let evaluator = Evaluator::new(store.clone(), clock.clone());
    let notifier = Notifier::new(store.clone(), clock.clone()).allow_private(true);
    let every = std::time::Duration::from_secs(300);
    // Two days: not silent yet.
    clock.advance(Duration::days(2));
    evaluator.run_once(every).await.unwrap();
    notifier.run_once().await.unwrap();
    assert!(receiver.got.lock().unwrap().is_empty());
    // Four days: silent, announced once however often the evaluator runs.
    clock.advance(Duration::days(2));
    for _ in 0..3 {
        evaluator.run_once(every).await.unwrap();
        notifier.run_once().await.unwrap();
        clock.advance(Duration::minutes(10));
    }
    // A second instance does not run while the first holds the lease (5 minutes).
    evaluator.run_once(every).await.unwrap();
    let other = Evaluator::new(store.clone(), clock.clone());
    assert!(other.run_once(every).await.unwrap().is_none());
    clock.advance(Duration::minutes(6));
    assert!(other.run_once(every).await.unwrap().is_some());
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, "device.silent");
    assert!(got[0].2, "signature verified");
    let body: Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!(body["data"]["device_serial"], SERIAL);
    // Read again: the device's condition clears (the agent called in too); silent again later
    // alerts again, once.
    let now = clock.now();
    send(
        &app,
        &credential,
        vec![reading(now, vec![toner(80)], vec![])],
    )
    .await;
    assert!(other.run_once(every).await.unwrap().is_some());
    assert!(
        store
            .open_conditions(app.a.partner_id)
            .await
            .unwrap()
            .is_empty()
    );
    clock.advance(Duration::days(5));
    other.run_once(every).await.unwrap();
    other.run_once(every).await.unwrap();
    notifier.run_once().await.unwrap();
    assert_eq!(receiver.got.lock().unwrap().len(), 2);
    server.abort();
}

async fn webhooks_are_signed_and_retried_after_the_receiver_was_down(b: Backend) {
    let app = spawn_app_with(b, |c| c.webhook_allow_private = true).await;
    let store = app.store.store.clone();
    let clock = app.store.clock.clone();
    let credential = agent(&*store, app.a.partner_id).await;
    // A port with nobody listening: the receiver is down.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/hook");
    let (hook, secret) = add_webhook(&app, &app.a.api_key, &url, json!([])).await;
    // Bad input is refused with the field named.
    let res = app
        .http
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(&app.a.api_key)
        .json(&json!({"url": "ftp://x", "events": ["nope"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(text.contains("url") && text.contains("events"), "{text}");

    let failure = alert(
        30,
        "subunitUnrecoverableFailure",
        "critical",
        "field_service",
    );
    send(
        &app,
        &credential,
        vec![reading(t0(), vec![toner(80)], vec![failure])],
    )
    .await;
    let notifier = Notifier::new(store.clone(), clock.clone()).allow_private(true);
    assert_eq!(notifier.run_once().await.unwrap(), 0);
    let log: Value = app
        .http
        .get(app.url(&format!("/api/v1/webhooks/{hook}/deliveries")))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(
        log.len(),
        2,
        "alert.raised and incident.created, one failed attempt each: {log:?}"
    );
    assert!(
        log.iter()
            .all(|d| d["status_code"].is_null() && d["state"] == "pending")
    );
    // Not due again before the backoff.
    clock.advance(Duration::seconds(10));
    notifier.run_once().await.unwrap();
    // The receiver comes up; after the backoff both are delivered, signed.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let receiver = Receiver::default();
    let server = receiver.clone().serve(listener, secret).await;
    assert!(receiver.got.lock().unwrap().is_empty());
    clock.advance(Duration::seconds(30));
    assert_eq!(notifier.run_once().await.unwrap(), 2);
    let got = receiver.got.lock().unwrap().clone();
    let mut types: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    types.sort();
    assert_eq!(types, ["alert.raised", "incident.created"]);
    assert!(got.iter().all(|g| g.2), "every signature verified");
    let log: Value = app
        .http
        .get(app.url(&format!("/api/v1/webhooks/{hook}/deliveries")))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(log[0]["status_code"], 204);
    assert_eq!(log[0]["attempt"], 2);
    assert_eq!(log[0]["state"], "delivered");
    // Delivered once: nothing more to send.
    clock.advance(Duration::hours(1));
    assert_eq!(notifier.run_once().await.unwrap(), 0);
    // A walk-up incident created and changed through the API: incident.created (source walk_up)
    // and incident.status_changed, without contact details.
    let res = app
        .http
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&app.a.api_key)
        .header("Idempotency-Key", "walk-up-1")
        .json(&json!({
            "device_serial": SERIAL, "kind": "service", "issue_code": "paper_jam",
            "description": "paper jam in tray 2", "supplies": [],
            "contact": {"name": "Ana Lopez", "email": "ana@example.com"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let number = res.json::<Value>().await.unwrap()["number"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .http
        .post(app.url(&format!("/api/v1/incidents/{number}/status")))
        .bearer_auth(&app.a.api_key)
        .json(&json!({"status": "acknowledged", "actor": "desk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(notifier.run_once().await.unwrap(), 2);
    let got = receiver.got.lock().unwrap().clone();
    // Deliveries are not ordered (receivers order by occurred_at): find each by type.
    let of = |t: &str| -> Value {
        got[2..]
            .iter()
            .map(|g| serde_json::from_str::<Value>(&g.1).unwrap())
            .find(|v| v["type"] == t)
            .unwrap()
    };
    assert_eq!(of("incident.created")["data"]["source"], "walk_up");
    assert_eq!(
        of("incident.created")["data"]["incident_number"],
        number.as_str()
    );
    assert_eq!(
        of("incident.status_changed")["data"]["incident_status"],
        "acknowledged"
    );
    assert!(
        got.iter()
            .all(|g| !g.1.contains("ana@example.com") && !g.1.contains("Ana Lopez"))
    );
    // Tenant isolation: b sees neither a's hook nor its log, nor can delete it.
    let hooks: Value = app
        .http
        .get(app.url("/api/v1/webhooks"))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hooks, json!([]));
    for res in [
        app.http
            .get(app.url(&format!("/api/v1/webhooks/{hook}/deliveries")))
            .bearer_auth(&app.b.api_key)
            .send()
            .await
            .unwrap(),
        app.http
            .delete(app.url(&format!("/api/v1/webhooks/{hook}")))
            .bearer_auth(&app.b.api_key)
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), 404);
    }
    server.abort();
}

both_backends!(
    the_fleet_console_shows_supplies_raised_conditions_filters_and_only_the_partners_own,
    the_console_device_page_lists_every_incident_marked_its_forecasts_and_alert_history,
);

/// A logged-in console session: (cookie, csrf).
pub(crate) async fn console_login(app: &TestApp, email: &str) -> (String, String) {
    fn cookie(res: &reqwest::Response, name: &str) -> String {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .and_then(|v| v.split(';').next())
            .and_then(|v| v.split_once('='))
            .map(|(_, v)| v.to_string())
            .unwrap()
    }
    fn csrf(html: &str) -> String {
        let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
        html[at..].split('"').next().unwrap().to_string()
    }
    let page = app
        .http
        .get(app.url("/console/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = cookie(&page, "sa_login_csrf");
    let token = csrf(&page.text().await.unwrap());
    let res = app
        .http
        .post(app.url("/console/login"))
        .header("cookie", format!("sa_login_csrf={login_cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={}&csrf={token}",
            email.replace('@', "%40"),
            crate::helpers::PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = cookie(&res, "sa_session");
    let html = app
        .http
        .get(app.url("/console/fleet"))
        .header("cookie", format!("sa_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (session, csrf(&html))
}

pub(crate) async fn console_get(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .header("cookie", format!("sa_session={session}"))
        .send()
        .await
        .unwrap()
}

async fn the_fleet_console_shows_supplies_raised_conditions_filters_and_only_the_partners_own(
    b: Backend,
) {
    let app = spawn_app_with(b, |c| c.webhook_allow_private = true).await;
    let store = app.store.store.clone();
    let credential = agent(&*store, app.a.partner_id).await;
    assert_eq!(set_contract(&app, &app.a.api_key).await, 200);
    let t = t0();
    let mut quiet = reading(t - Duration::hours(1), vec![toner(80)], vec![]);
    quiet.identity.serial = "SN-200".into();
    send(
        &app,
        &credential,
        vec![
            quiet,
            reading(t - Duration::hours(2), vec![toner(40)], vec![]),
            reading(t - Duration::hours(1), vec![toner(12)], vec![]),
        ],
    )
    .await;
    let (session, csrf) = console_login(&app, &app.a.admin_email).await;
    let html = console_get(&app, &session, "/console/fleet")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("SN-200") && html.contains("SN-100"), "{html}");
    assert!(html.contains("<meter"), "supply bars");
    assert!(html.contains("value=\"12\""), "the toner's bar at 12 %");
    assert!(html.contains("automatic order SR-"), "the order is shown");
    let html = console_get(&app, &session, "/console/fleet?attention=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("SN-100") && !html.contains(">SN-200<"),
        "needs attention only"
    );
    let customer = app.a.device.customer_id;
    let html = console_get(
        &app,
        &session,
        &format!("/console/fleet?customer={customer}"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains(">SN-200<"));
    let html = console_get(&app, &session, "/console/incidents")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"<span class="badge automatic" title="Ordered by the fleet policies"#)
            && html.contains(">automatic order</span>"),
        "automatic incidents are marked: {html}"
    );

    // A webhook added in the console: its secret once, then listed with its delivery log.
    let res = app
        .http
        .post(app.url("/console/fleet/webhooks"))
        .header("cookie", format!("sa_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={csrf}&url=http%3A%2F%2F127.0.0.1%3A9%2Fhook&events=device.silent&events=alert.raised"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("whsec_"), "secret shown once");
    assert!(html.contains("http://127.0.0.1:9/hook"), "listed");
    assert!(
        html.contains("(alert.raised, device.silent)"),
        "with its events"
    );
    let hooks: Value = app
        .http
        .get(app.url("/api/v1/webhooks"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hooks[0]["events"], json!(["alert.raised", "device.silent"]));
    let res = app
        .http
        .post(app.url("/console/fleet/webhooks"))
        .header("cookie", format!("sa_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&url=ftp%3A%2F%2Fx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);

    // The billing CSV download.
    let res = console_get(
        &app,
        &session,
        &format!("/console/fleet/billing.csv?customer={customer}&from=2026-02-01&to=2026-03-01"),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.contains("SN-100"), "{csv}");

    // Tenant isolation: b's console shows none of a's devices, hooks or billing.
    let (b_session, _) = console_get_b(&app).await;
    let html = console_get(&app, &b_session, "/console/fleet")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("SN-200") && !html.contains("127.0.0.1:9/hook"),
        "{html}"
    );
    let res = console_get(
        &app,
        &b_session,
        &format!("/console/fleet/billing.csv?customer={customer}&from=2026-02-01&to=2026-03-01"),
    )
    .await;
    assert_eq!(res.status(), 404);
    // A technician may look but not add hooks.
    let (tech, tech_csrf) = console_login(&app, &app.a.tech_email).await;
    let res = app
        .http
        .post(app.url("/console/fleet/webhooks"))
        .header("cookie", format!("sa_session={tech}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf={tech_csrf}&url=http%3A%2F%2F127.0.0.1%3A9%2Fx"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

async fn console_get_b(app: &TestApp) -> (String, String) {
    console_login(app, &app.b.admin_email).await
}

/// Issue 13 item 7: the device page shows all the device's incidents (service and supply, walk-up
/// and automatic, each marked), its supply forecasts (percent, days left, date) and its alert
/// history, server-rendered (no script); another partner sees none of it, and a device only the
/// first partner has is 404 for the other.
async fn the_console_device_page_lists_every_incident_marked_its_forecasts_and_alert_history(
    b: Backend,
) {
    let app = spawn_app(b).await;
    let store = app.store.store.clone();
    let credential = agent(&*store, app.a.partner_id).await;
    assert_eq!(set_contract(&app, &app.a.api_key).await, 200);
    let t = t0();
    let failure = alert(
        30,
        "subunitUnrecoverableFailure",
        "critical",
        "field_service",
    );
    let mut other = reading(t - Duration::hours(1), vec![toner(80)], vec![]);
    other.identity.serial = "SN-200".into();
    let mut failing = reading(t, vec![toner(20)], vec![failure]);
    failing.status.errors = vec!["serviceRequested".into()];
    // The toner falls 20 points in 26 hours: about a day left, so it is ordered; the last reading
    // reports a fuser failure (alert row and the bit serviceRequested, as a real device does), which
    // raises one service incident.
    send(
        &app,
        &credential,
        vec![
            other,
            reading(t - Duration::hours(26), vec![toner(40)], vec![]),
            reading(t - Duration::hours(13), vec![toner(30)], vec![]),
        ],
    )
    .await;
    send(&app, &credential, vec![failing]).await;
    let res = app
        .http
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&app.a.api_key)
        .header("Idempotency-Key", "device-page-walk-up")
        .json(&json!({
            "device_serial": SERIAL, "kind": "service", "issue_code": "paper_jam",
            "description": "paper jam in tray 2", "supplies": [],
            "contact": {"name": "Ana Lopez", "email": "ana@example.com"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let walk_up = res.json::<Value>().await.unwrap()["number"]
        .as_str()
        .unwrap()
        .to_string();
    let list = incidents(&app, &app.a.api_key).await;
    let automatic: Vec<(String, String)> = list
        .iter()
        .filter(|i| i["source"] == "automatic")
        .map(|i| {
            (
                i["number"].as_str().unwrap().to_string(),
                i["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        automatic.len(),
        2,
        "an order and an alert incident: {list:?}"
    );

    let (session, _) = console_login(&app, &app.a.admin_email).await;
    let res = console_get(&app, &session, &format!("/console/devices/{SERIAL}")).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script"), "a page without JavaScript");
    let section = |id: &str| -> String {
        let start = html
            .find(&format!("<h2 id=\"{id}\">"))
            .unwrap_or_else(|| panic!("section {id}: {html}"));
        let rest = &html[start..];
        let end = rest[4..].find("<h2").map_or(rest.len(), |e| e + 4);
        rest[..end].to_string()
    };
    let list = section("incidents");
    let row = |number: &str| -> String {
        let at = list
            .find(&format!(">{number}</a>"))
            .unwrap_or_else(|| panic!("{number} listed: {list}"));
        list[at..].split("</tr>").next().unwrap().to_string()
    };
    let walk_up_row = row(&walk_up);
    assert!(
        walk_up_row.contains("service") && walk_up_row.contains("class=\"badge walk-up\""),
        "{walk_up_row}"
    );
    for (number, kind) in &automatic {
        let r = row(number);
        assert!(
            r.contains(kind.as_str()) && r.contains("class=\"badge automatic\""),
            "{r}"
        );
    }
    assert!(
        list.contains(">automatic order</span>"),
        "the order says what it is: {list}"
    );

    let forecasts = section("forecasts");
    assert!(forecasts.contains("Black Toner"), "{forecasts}");
    assert!(
        forecasts.contains("value=\"20\""),
        "the level bar: {forecasts}"
    );
    let page = app
        .http
        .get(app.url("/api/v1/fleet/devices"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let supply = page["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["serial"] == SERIAL)
        .map(|d| d["supplies"][0].clone())
        .unwrap();
    let days = supply["days_left"].as_f64().expect("a prediction");
    let date = &supply["predicted_date"].as_str().unwrap()[..10];
    assert!(
        forecasts.contains(&format!(">{days:.1}<"))
            && forecasts.contains(&format!(
                "empty on {}",
                platform::i18n::Locale::En
                    .date(chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap())
            )),
        "days left {days:.1} and the date {date} as the API says: {forecasts}"
    );
    assert!(
        forecasts.contains("<td class=\"nowrap\">empty on"),
        "the date does not wrap: {forecasts}"
    );

    let history = section("alerts");
    assert!(history.contains("printer alert"), "{history}");
    assert!(history.contains("supply low"), "{history}");
    assert!(history.contains("subunitUnrecoverableFailure"), "{history}");
    for (number, _) in &automatic {
        assert!(
            history.contains(&format!(">{number}</a>")),
            "{number}: {history}"
        );
    }

    // Partner b: its own SN-100 shows none of a's incidents, forecasts or alerts; a's SN-200 is 404.
    let (session_b, _) = console_get_b(&app).await;
    let res = console_get(&app, &session_b, &format!("/console/devices/{SERIAL}")).await;
    assert_eq!(res.status(), 200);
    let html_b = res.text().await.unwrap();
    assert!(!html_b.contains(&walk_up), "{html_b}");
    for (number, _) in &automatic {
        assert!(!html_b.contains(number.as_str()), "{html_b}");
    }
    assert!(!html_b.contains("Black Toner") && !html_b.contains("id=\"alerts\""));
    let res = console_get(&app, &session_b, "/console/devices/SN-200").await;
    assert_eq!(res.status(), 404);
    let res = console_get(&app, &session, "/console/devices/SN-200").await;
    assert_eq!(res.status(), 200, "a's agent-found device has its page");
}
