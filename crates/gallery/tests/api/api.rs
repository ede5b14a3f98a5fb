//! The HTTP API, through the real server.

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_on, t0};
use chrono::Duration;
use gallery::config::AppConfiguration;
use gallery::credential::{self, PublicKeySet, PublicKeys, RevocationList};
use gallery::domain::DeviceSerial;
use gallery::entitlement::{EntitlementClient, Source};
use secrecy::SecretString;
use serde_json::{Value, json};

async fn get_with(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json")["status"],
        "ok"
    );
}

#[tokio::test]
async fn openapi_document_is_3_1_and_lists_the_api() {
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
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in [
        "/api/devices/{serial}/entitlements",
        "/api/devices/{serial}/configuration",
        "/api/devices/{serial}/install",
        "/api/devices/{serial}/configuration/sealed",
        "/api/devices/{serial}/updates",
        "/api/credentials/{id}/revoke",
        "/api/keys",
        "/healthz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["scheme"], "bearer");
    assert_eq!(schemes["device_credential"]["scheme"], "bearer");
}

#[tokio::test]
async fn admin_endpoints_reject_missing_and_wrong_api_keys_with_problem_json() {
    let app = spawn_app().await;
    let url = app.url("/api/devices/D1");
    let body = json!({ "tenant": "p" });
    let missing = app
        .http
        .put(&url)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let wrong = app
        .http
        .put(&url)
        .bearer_auth("sag_not-a-key")
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    let problem: Value = wrong.json().await.expect("json");
    assert_eq!(problem["status"], 401);
}

#[tokio::test]
async fn bad_serials_and_unknown_devices_are_named_in_the_error() {
    let app = spawn_app().await;
    let bad = get_with(&app, "/api/devices/has%20space/configuration", &app.api_key).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.expect("text").contains("device serial"));
    let unknown = get_with(&app, "/api/devices/NOPE/configuration", &app.api_key).await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.expect("text").contains("device NOPE"));
}

#[tokio::test]
async fn configuration_is_validated_sealed_and_read_back() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let default: AppConfiguration = get_with(&app, "/api/devices/D1/configuration", &app.api_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(default, AppConfiguration::default());

    let body = json!({
        "snmp_community": "fleet-ro",
        "permissions": { "submit_meters": false },
        "help_desk_text": "Call 555-0100",
        "language": "de-CH"
    });
    let response = app
        .http
        .put(app.url("/api/devices/D1/configuration"))
        .bearer_auth(&app.api_key)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    let opened: AppConfiguration = crate::helpers::open_config(
        &app.state.sealing,
        answer["sealed_config"].as_str().expect("blob"),
    )
    .expect("unseal");
    assert_eq!(opened.snmp_community.expose(), "fleet-ro");
    let binding =
        platform::sealed_config::binding_of(answer["sealed_config"].as_str().expect("blob"))
            .expect("the blob is bound");
    assert_eq!(
        (
            binding.serial.as_str(),
            binding.tenant.as_str(),
            binding.version
        ),
        ("D1", "partner-a", 1),
        "bound to the device, its tenant and the first version"
    );
    assert!(!opened.permissions.submit_meters);
    assert!(opened.permissions.create_service_incidents);
    assert_eq!(
        opened.language.as_ref().expect("a language").as_str(),
        "de-CH"
    );
    let read: AppConfiguration = get_with(&app, "/api/devices/D1/configuration", &app.api_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read, opened);
}

#[tokio::test]
async fn a_logo_with_script_is_refused_with_a_clear_error() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let svg = gallery::b64::std_encode(
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#,
    );
    let response = app
        .http
        .put(app.url("/api/devices/D1/configuration"))
        .bearer_auth(&app.api_key)
        .json(&json!({ "logo": { "media_type": "image/svg+xml", "data": svg } }))
        .send()
        .await
        .expect("request");
    // Well-formed, but against a rule no schema can state: 422, as on the admin page.
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.expect("json");
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("<script>"),
        "{problem}"
    );
}

async fn put_entitlements(app: &TestApp, serial: &str, body: Value) -> reqwest::Response {
    app.http
        .put(app.url(&format!("/api/devices/{serial}/entitlements")))
        .bearer_auth(&app.api_key)
        .json(&body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn entitlements_are_cacheable_with_etag_and_max_age() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let body = json!({ "service": { "starts_on": "2026-01-01", "ends_on": "2026-12-31" } });
    assert_eq!(put_entitlements(&app, "D1", body).await.status(), 204);

    let first = get_with(&app, "/api/devices/D1/entitlements", &app.api_key).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "private, max-age=300");
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let doc: Value = first.json().await.expect("json");
    assert_eq!(doc["serial"], "D1");
    assert_eq!(doc["service"]["ends_on"], "2026-12-31");
    assert!(doc["supplies"].is_null());

    let again = app
        .http
        .get(app.url("/api/devices/D1/entitlements"))
        .bearer_auth(&app.api_key)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());

    let changed = json!({ "supplies": { "starts_on": "2026-01-01", "ends_on": "2026-01-01" } });
    assert_eq!(put_entitlements(&app, "D1", changed).await.status(), 204);
    let after = app
        .http
        .get(app.url("/api/devices/D1/entitlements"))
        .bearer_auth(&app.api_key)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"], etag.as_str());
}

#[tokio::test]
async fn misspelt_fields_are_refused_by_name() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let response = put_entitlements(
        &app,
        "D1",
        json!({ "servce": { "starts_on": "2026-02-01", "ends_on": "2026-03-01" } }),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("unknown field(s) servce")
    );
    let response = app
        .http
        .put(app.url("/api/devices/D1/configuration"))
        .bearer_auth(&app.api_key)
        .json(&json!({ "permissions": { "submit_meter": false } }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("unknown field(s) permissions.submit_meter")
    );
}

#[tokio::test]
async fn entitlements_ending_before_they_start_are_refused() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let response = put_entitlements(
        &app,
        "D1",
        json!({ "service": { "starts_on": "2026-02-01", "ends_on": "2026-01-31" } }),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("ends on 2026-01-31")
    );
}

#[tokio::test]
async fn the_entitlement_client_caches_then_revalidates_then_refetches() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let body = json!({ "service": { "starts_on": "2026-01-01", "ends_on": "2026-12-31" } });
    put_entitlements(&app, "D1", body).await;
    let client = EntitlementClient::new(&app.address, SecretString::from(app.api_key.clone()));
    let serial = DeviceSerial::parse("D1").expect("serial");
    let (doc, source) = client.get(&serial, t0()).await.expect("get");
    assert_eq!(source, Source::Fetched);
    let today = t0().date_naive();
    assert!(doc.entitlements.service_on(today));
    assert!(!doc.entitlements.supplies_on(today));
    let (_, source) = client
        .get(&serial, t0() + Duration::seconds(299))
        .await
        .expect("get");
    assert_eq!(source, Source::Cache);
    let (_, source) = client
        .get(&serial, t0() + Duration::seconds(300))
        .await
        .expect("get");
    assert_eq!(source, Source::Revalidated);
    put_entitlements(&app, "D1", json!({})).await;
    let (doc, source) = client
        .get(&serial, t0() + Duration::seconds(601))
        .await
        .expect("get");
    assert_eq!(source, Source::Fetched);
    assert!(!doc.entitlements.service_on(today));
}

async fn public_keys(app: &TestApp) -> PublicKeys {
    let set: PublicKeySet = app
        .http
        .get(app.url("/api/keys"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    PublicKeys::from_set(&set).expect("keys")
}

async fn revocations(app: &TestApp) -> RevocationList {
    app.http
        .get(app.url("/api/credentials/revoked"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn install_issues_a_credential_that_verifies_offline_and_carries_package_and_config() {
    let app = spawn_app().await;
    app.register("D1", "partner-a.cust-7", false).await;
    app.publish("1.0.0").await;
    app.publish("1.1.0").await;
    let bundle = app.install("D1").await;
    assert_eq!(bundle.app_id, "support-assistant");
    assert_eq!(bundle.version, "1.1.0");
    let package = gallery::package::Package::open(
        gallery::b64::std_decode(&bundle.package_b64).expect("base64"),
    )
    .expect("package");
    assert_eq!(package.manifest.version.to_string(), "1.1.0");
    assert_eq!(package.sha256(), bundle.package_sha256);
    let config: AppConfiguration =
        crate::helpers::open_config(&app.state.sealing, &bundle.sealed_config).expect("unseal");
    assert_eq!(config.snmp_community.expose(), "public");

    let (keys, revoked) = credential::fetch_trust(&app.address).await.expect("trust");
    assert_eq!(keys, public_keys(&app).await);
    let serial = DeviceSerial::parse("D1").expect("serial");
    let claims = credential::verify(
        &bundle.credential,
        &keys,
        &revoked,
        t0() + Duration::days(1),
        Some(&serial),
    )
    .expect("verifies offline");
    assert_eq!(claims.id, bundle.credential_id);
    assert_eq!(
        claims.id,
        uuid::Uuid::from_u128(1),
        "ids come from the id source"
    );
    assert_eq!(claims.tenant.as_str(), "partner-a.cust-7");
    assert_eq!(claims.expires_at(), t0() + Duration::days(365));
}

#[tokio::test]
async fn install_without_a_published_version_says_so() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let response = app
        .http
        .post(app.url("/api/devices/D1/install"))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("no released version")
    );
}

#[tokio::test]
async fn a_device_credential_reads_its_own_entitlements_until_revoked_or_expired() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    app.register("D2", "partner-a", false).await;
    app.publish("1.0.0").await;
    let bundle = app.install("D1").await;

    let own = get_with(&app, "/api/devices/D1/entitlements", &bundle.credential).await;
    assert_eq!(own.status(), 200);
    let other = get_with(&app, "/api/devices/D2/entitlements", &bundle.credential).await;
    assert_eq!(other.status(), 401);
    assert!(
        other
            .text()
            .await
            .expect("text")
            .contains("belongs to device D1, not to device D2")
    );

    app.clock.set(t0() + Duration::days(365));
    let expired = get_with(&app, "/api/devices/D1/entitlements", &bundle.credential).await;
    assert_eq!(expired.status(), 401);
    assert!(expired.text().await.expect("text").contains("expired"));
    app.clock.set(t0());

    let revoke = app
        .http
        .post(app.url(&format!("/api/credentials/{}/revoke", bundle.credential_id)))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .expect("request");
    assert_eq!(revoke.status(), 204);
    assert!(revocations(&app).await.is_revoked(&bundle.credential_id));
    let revoked = get_with(&app, "/api/devices/D1/entitlements", &bundle.credential).await;
    assert_eq!(revoked.status(), 401);
    assert!(revoked.text().await.expect("text").contains("revoked"));
}

#[tokio::test]
async fn a_device_pulls_its_sealed_configuration_again_after_a_change() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    app.publish("1.0.0").await;
    let bundle = app.install("D1").await;
    let first = get_with(
        &app,
        "/api/devices/D1/configuration/sealed",
        &bundle.credential,
    )
    .await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().expect("etag").to_owned();
    let body: Value = first.json().await.expect("json");
    assert_eq!(body["sealed_config"], bundle.sealed_config.as_str());
    assert_eq!(body["key_id"], "seal1");
    let unchanged = app
        .http
        .get(app.url("/api/devices/D1/configuration/sealed"))
        .bearer_auth(&bundle.credential)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(unchanged.status(), 304);
    app.http
        .put(app.url("/api/devices/D1/configuration"))
        .bearer_auth(&app.api_key)
        .json(&json!({ "snmp_community": "changed" }))
        .send()
        .await
        .expect("request");
    let changed = app
        .http
        .get(app.url("/api/devices/D1/configuration/sealed"))
        .bearer_auth(&bundle.credential)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(changed.status(), 200);
    let body: Value = changed.json().await.expect("json");
    let config: AppConfiguration = crate::helpers::open_config(
        &app.state.sealing,
        body["sealed_config"].as_str().expect("blob"),
    )
    .expect("unseal");
    assert_eq!(config.snmp_community.expose(), "changed");
}

#[tokio::test]
async fn publishing_the_same_version_twice_is_a_conflict() {
    let app = spawn_app().await;
    app.publish("1.0.0").await;
    let package =
        gallery::package::Package::build(&crate::helpers::fixture_weblet()).expect("build");
    let response = app
        .http
        .post(app.url("/api/apps/support-assistant/versions"))
        .bearer_auth(&app.api_key)
        .body(package.bytes)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 409);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("already published")
    );
}

#[tokio::test]
async fn a_package_that_is_not_a_zip_is_refused() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/api/apps/support-assistant/versions"))
        .bearer_auth(&app.api_key)
        .body("not a zip")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .expect("text")
            .contains("not a valid zip")
    );
}

#[tokio::test]
async fn devices_that_opted_in_get_compatible_updates_and_others_are_only_offered_them() {
    let app = spawn_app().await;
    app.register("AUTO", "partner-a", true).await;
    app.register("MANUAL", "partner-a", false).await;
    app.publish("1.0.0").await;
    let auto = app.install("AUTO").await;
    let manual = app.install("MANUAL").await;
    app.publish("1.1.0").await;
    app.publish("2.0.0").await;

    let updates: Value = get_with(&app, "/api/devices/AUTO/updates", &auto.credential)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(updates[0]["installed"], "1.0.0");
    assert_eq!(updates[0]["latest"], "2.0.0");
    assert_eq!(
        updates[0]["update"],
        json!({ "action": "auto_update", "version": "1.1.0" })
    );

    let updates: Value = get_with(&app, "/api/devices/MANUAL/updates", &manual.credential)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        updates[0]["update"],
        json!({ "action": "available", "version": "2.0.0", "reason": "not_opted_in" })
    );

    // The device downloads the update with its credential.
    let package = get_with(
        &app,
        "/api/apps/support-assistant/versions/1.1.0/package?serial=AUTO",
        &auto.credential,
    )
    .await;
    assert_eq!(package.status(), 200);
    let bytes = package.bytes().await.expect("bytes").to_vec();
    let package = gallery::package::Package::open(bytes).expect("package");
    assert_eq!(package.manifest.version.to_string(), "1.1.0");
}

#[tokio::test]
async fn the_whole_flow_works_on_postgresql_too() {
    let app = spawn_app_on(Backend::Postgres).await;
    app.register("PG1", "partner-a", true).await;
    app.publish("1.0.0").await;
    let bundle = app.install("PG1").await;
    let body = json!({ "service": { "starts_on": "2026-11-24", "ends_on": "2026-11-24" } });
    assert_eq!(put_entitlements(&app, "PG1", body).await.status(), 204);
    let doc: Value = get_with(&app, "/api/devices/PG1/entitlements", &bundle.credential)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(doc["service"]["starts_on"], "2026-11-24");
}

#[tokio::test]
async fn configurations_sealed_before_binding_are_bound_once_at_start() {
    let app = spawn_app().await;
    app.register("D1", "partner-a", false).await;
    let serial = gallery::domain::DeviceSerial::parse("D1").expect("serial");
    let config = AppConfiguration {
        help_desk_text: "old blob".into(),
        ..Default::default()
    };
    let unbound = app.state.sealing.seal(&config).expect("seal");
    gallery::storage::Store::put_configuration(app.state.store.as_ref(), &serial, &unbound, t0())
        .await
        .expect("store");
    let bound = gallery::service::bind_stored_configurations(&app.state)
        .await
        .expect("bind");
    assert_eq!(bound, 1);
    let blob = gallery::storage::Store::configuration(app.state.store.as_ref(), &serial)
        .await
        .expect("read")
        .expect("stored");
    let binding = platform::sealed_config::binding_of(&blob).expect("bound now");
    assert_eq!(binding.version, 1);
    assert_eq!(
        crate::helpers::open_config(&app.state.sealing, &blob).expect("opens"),
        config
    );
    let again = gallery::service::bind_stored_configurations(&app.state)
        .await
        .expect("bind");
    assert_eq!(again, 0, "only once");
}
