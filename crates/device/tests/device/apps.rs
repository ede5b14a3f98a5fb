//! Installing apps from the gallery, listing them, serving their files and configuration.

use crate::helpers::*;

const APP: &str = "support-assistant";

async fn problem(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let ct = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(ct, "application/problem+json", "errors are problem+json");
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["status"], status);
    (status, body["detail"].as_str().unwrap_or("").to_owned())
}

async fn listed(app: &TestApp) -> Vec<serde_json::Value> {
    app.client
        .get(format!("{}/api/apps", app.url))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON array")
}

#[tokio::test]
async fn install_with_admin_credentials_stores_serves_and_lists_the_app() {
    let app = spawn_app().await;
    let body = install_body(APP, "1.2.0", &weblet(APP, "1.2.0"));
    let response = install(&app, Some(ADMIN_PASSWORD), &body).await;
    assert_eq!(response.status(), 201);
    let answer: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(
        answer,
        serde_json::json!({"installed": true, "app_id": APP, "version": "1.2.0"})
    );

    assert_eq!(
        listed(&app).await,
        vec![serde_json::json!({"app_id": APP, "version": "1.2.0"})]
    );

    let dir = app.data_dir.path().join("apps").join(APP);
    assert!(dir.join("www/index.html").is_file());
    assert!(dir.join("www/js/app.js").is_file());
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).expect("config.json"))
            .expect("JSON");
    assert_eq!(stored["sealed_config"], body["sealed_config"]);
    assert_eq!(stored["credential"], body["credential"]);
    assert_eq!(stored["version"], "1.2.0");

    let js = app
        .client
        .get(format!("{}/apps/{APP}/js/app.js", app.url))
        .send()
        .await
        .expect("file");
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/javascript")
    );
    assert_eq!(js.text().await.expect("text"), "var x = 1;");
    let root = app
        .client
        .get(format!("{}/apps/{APP}/", app.url))
        .send()
        .await
        .expect("root");
    assert_eq!(root.status(), 303);
    assert_eq!(
        root.headers()["location"],
        format!("/apps/{APP}/index.html").as_str()
    );

    let config: serde_json::Value = app
        .client
        .get(format!("{}/api/apps/{APP}/config", app.url))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        config,
        serde_json::json!({
            "app_id": APP,
            "version": "1.2.0",
            "sealed_config": body["sealed_config"],
            "credential": body["credential"],
        })
    );
    let none = app
        .client
        .get(format!("{}/api/apps/other-app/config", app.url))
        .send()
        .await
        .expect("404");
    assert_eq!(problem(none).await.0, 404);
}

#[tokio::test]
async fn a_new_version_replaces_the_old_one() {
    let app = spawn_app().await;
    let first = install(
        &app,
        Some(ADMIN_PASSWORD),
        &install_body(APP, "1.2.0", &weblet(APP, "1.2.0")),
    )
    .await;
    assert_eq!(first.status(), 201);
    let m = manifest(APP, "1.3.0");
    let v2 = zip_of(&[
        ("manifest.json", m.as_bytes()),
        ("index.html", b"v2"),
        ("img/icon.png", b"png"),
    ]);
    let second = install(&app, Some(ADMIN_PASSWORD), &install_body(APP, "1.3.0", &v2)).await;
    assert_eq!(second.status(), 201);
    assert_eq!(
        listed(&app).await,
        vec![serde_json::json!({"app_id": APP, "version": "1.3.0"})]
    );
    let gone = app
        .client
        .get(format!("{}/apps/{APP}/js/app.js", app.url))
        .send()
        .await
        .expect("file");
    assert_eq!(gone.status(), 404, "files of the old version are gone");
    let index = app
        .client
        .get(format!("{}/apps/{APP}/index.html", app.url))
        .send()
        .await
        .expect("file");
    assert_eq!(index.text().await.expect("text"), "v2");
    let mut leftovers: Vec<_> = std::fs::read_dir(app.data_dir.path().join("apps"))
        .expect("apps dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        leftovers,
        vec![APP.to_owned()],
        "no staging or old directories remain"
    );

    // What an interrupted install leaves is removed when the device starts again.
    std::fs::create_dir_all(app.data_dir.path().join("apps/.staging-0011/www")).expect("mkdir");
    let _router = device::http::router(device::http::HttpState::with_password_hash(
        app.mib.clone(),
        COMMUNITY,
        "unused",
        app.data_dir.path(),
    ));
    leftovers = std::fs::read_dir(app.data_dir.path().join("apps"))
        .expect("apps dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, vec![APP.to_owned()]);
}

#[tokio::test]
async fn install_without_or_with_wrong_credentials_is_401_and_stores_nothing() {
    let app = spawn_app().await;
    let body = install_body(APP, "1.2.0", &weblet(APP, "1.2.0"));
    for password in [None, Some("wrong"), Some("")] {
        let response = install(&app, password, &body).await;
        assert_eq!(response.status(), 401, "{password:?}");
        assert!(response.headers().get("www-authenticate").is_some());
        let (_, detail) = problem(response).await;
        assert!(detail.contains("credentials"), "{detail}");
    }
    let other_user = app
        .client
        .post(format!("{}/api/apps/install", app.url))
        .basic_auth("root", Some(ADMIN_PASSWORD))
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(other_user.status(), 401, "only the user admin");
    assert!(listed(&app).await.is_empty());
    assert!(!app.data_dir.path().join("apps").join(APP).exists());
}

#[tokio::test]
async fn bad_packages_and_fields_are_refused_with_a_reason() {
    let app = spawn_app().await;
    let good = weblet(APP, "1.2.0");
    let m = manifest(APP, "1.2.0");
    let mut cases: Vec<(serde_json::Value, &str)> = vec![
        (install_body("Support Assistant", "1.2.0", &good), "app_id"),
        (install_body("../etc", "1.2.0", &good), "app_id"),
        (install_body(APP, "latest", &good), "semantic version"),
        (
            install_body(APP, "1.2.0", b"not a zip at all"),
            "not a readable zip",
        ),
        (
            install_body(APP, "1.2.0", &zip_of(&[("index.html", b"x")])),
            "no manifest.json",
        ),
        (
            install_body(APP, "1.2.0", &zip_of(&[("manifest.json", b"{not json")])),
            "manifest.json is not valid",
        ),
        (install_body(APP, "1.3.0", &good), "says version \"1.2.0\""),
        (
            install_body("other-app", "1.2.0", &weblet(APP, "1.2.0")),
            "names app \"support-assistant\"",
        ),
        (
            install_body(APP, "1.2.0", &zip_of(&[("manifest.json", m.as_bytes())])),
            "entry page \"index.html\" is not in the package",
        ),
        (
            install_body(
                APP,
                "1.2.0",
                &zip_of(&[
                    ("manifest.json", m.as_bytes()),
                    ("index.html", b"x"),
                    ("../../evil.html", b"x"),
                ]),
            ),
            "unsafe path",
        ),
        (
            install_body(
                APP,
                "1.2.0",
                &zip_of(&[
                    ("manifest.json", m.as_bytes()),
                    ("index.html", b"x"),
                    ("/etc/cron.d/x", b"x"),
                ]),
            ),
            "unsafe path",
        ),
    ];
    let mut not_base64 = install_body(APP, "1.2.0", &good);
    not_base64["package_b64"] = "%%% not base64 %%%".into();
    cases.push((not_base64, "not standard base64"));
    let mut no_credential = install_body(APP, "1.2.0", &good);
    no_credential["credential"] = "".into();
    cases.push((no_credential, "credential is missing"));
    cases.push((serde_json::json!({"app_id": APP}), "install JSON"));

    for (body, words) in cases {
        let response = install(&app, Some(ADMIN_PASSWORD), &body).await;
        let (status, detail) = problem(response).await;
        assert_eq!(status, 400, "{detail}");
        assert!(detail.contains(words), "{detail:?} should say {words:?}");
    }
    assert!(listed(&app).await.is_empty());
    assert!(!app.data_dir.path().join("evil.html").exists());
    assert!(!app.data_dir.path().join("apps/evil.html").exists());
}

#[tokio::test]
async fn an_oversized_package_is_refused() {
    let app = spawn_app().await;
    let mut body = install_body(APP, "1.2.0", &weblet(APP, "1.2.0"));
    body["package_b64"] = "A"
        .repeat(device::http::apps::MAX_PACKAGE_BYTES / 3 * 4 + 8)
        .into();
    let response = install(&app, Some(ADMIN_PASSWORD), &body).await;
    let (status, detail) = problem(response).await;
    assert_eq!(status, 413);
    assert!(detail.contains("at most 8388608 are allowed"), "{detail}");

    body["package_b64"] = "A".repeat(12 * 1024 * 1024).into();
    let response = install(&app, Some(ADMIN_PASSWORD), &body).await;
    let (status, detail) = problem(response).await;
    assert_eq!(status, 413);
    assert!(detail.contains("request is larger than"), "{detail}");
    assert!(listed(&app).await.is_empty());
}

#[tokio::test]
async fn paths_outside_the_app_are_refused() {
    let app = spawn_app().await;
    let r = install(
        &app,
        Some(ADMIN_PASSWORD),
        &install_body(APP, "1.2.0", &weblet(APP, "1.2.0")),
    )
    .await;
    assert_eq!(r.status(), 201);
    std::fs::write(app.data_dir.path().join("secret.txt"), "top secret").expect("write");
    for path in [
        format!("/apps/{APP}/../config.json"),
        format!("/apps/{APP}/%2e%2e/config.json"),
        format!("/apps/{APP}/..%2fconfig.json"),
        format!("/apps/{APP}/js/..%2f..%2fconfig.json"),
        format!("/apps/{APP}/%2e%2e/%2e%2e/%2e%2e/secret.txt"),
        format!("/apps/{APP}/..%5c..%5cconfig.json"),
        format!("/apps/{APP}//etc/passwd"),
        format!("/apps/{APP}/%2fetc%2fpasswd"),
        "/apps/..%2f..%2fsecret.txt/x".to_owned(),
        "/apps/%2e%2e/secret.txt".to_owned(),
        format!("/apps/{APP}/js"),
    ] {
        let (status, text) = raw_get(&app, &path).await;
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(
            !text.contains("top secret") && !text.contains("sealed_config"),
            "{path} leaked: {text}"
        );
    }
    let (ok, _) = raw_get(&app, &format!("/apps/{APP}/js/app.js")).await;
    assert_eq!(ok, 200);
}

#[tokio::test]
async fn the_app_configuration_is_only_for_callers_on_the_device() {
    // Without the caller's address (a router served without connect info) the answer is 403.
    let app = spawn_app().await;
    let r = install(
        &app,
        Some(ADMIN_PASSWORD),
        &install_body(APP, "1.2.0", &weblet(APP, "1.2.0")),
    )
    .await;
    assert_eq!(r.status(), 201);
    let router = device::http::router(device::http::HttpState::with_password_hash(
        app.mib.clone(),
        COMMUNITY,
        "unused",
        app.data_dir.path(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let response = app
        .client
        .get(format!("http://{addr}/api/apps/{APP}/config"))
        .send()
        .await
        .expect("answer");
    let (status, detail) = problem(response).await;
    task.abort();
    assert_eq!(status, 403);
    assert!(detail.contains("loopback"), "{detail}");
}
