//! E-mail notifications and webhook targets (issue 13 items 4 and 6), on both backends: the
//! partner's addresses over the API, events e-mailed through the mail outbox to a real SMTP
//! server on loopback (two senders: each message once), and the SSRF rules of webhooks.

use crate::helpers::{Backend, TestApp, both_backends, spawn_app, spawn_app_with};
use manager::fleet::mail::{MailConfig, MailNotifier};
use manager::fleet::notify::Notifier;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[path = "../../../assistant/tests/app/smtp_sink.rs"]
#[allow(dead_code)]
mod smtp_sink;
use smtp_sink::{Mode, SmtpSink};

both_backends!(
    notification_addresses_are_checked_listed_and_kept_to_their_partner,
    two_senders_email_each_notification_exactly_once_in_the_addresses_language,
    a_mail_server_outage_is_retried_and_each_notification_still_sent_once,
    webhooks_to_internal_addresses_are_refused_at_registration_and_at_delivery,
    partner_admins_manage_notification_addresses_in_the_console_and_technicians_only_see_them,
);

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn add_address(app: &TestApp, address: &str, language: &str, events: Value) -> String {
    let res = post(
        app,
        &app.a.api_key,
        "/api/v1/notification-emails",
        json!({"address": address, "language": language, "events": events}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

/// A walk-up incident of partner a (its contact is what must never reach a notification).
async fn walk_up_incident(app: &TestApp, description: &str) -> String {
    let res = app
        .http
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&app.a.api_key)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({
            "device_serial": "SN-100",
            "kind": "service",
            "issue_code": "paper_jam",
            "description": description,
            "contact": {"name": "Ana Lopez", "email": "ana@example.com", "phone": "+4930123456"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let v: Value = res.json().await.unwrap();
    v["number"].as_str().unwrap().to_string()
}

fn mailer(app: &TestApp, sink: &SmtpSink) -> MailNotifier {
    let transport = platform::mail::MailSettings::parse_with_env(&sink.url(10), |_| None)
        .unwrap()
        .build()
        .unwrap();
    MailNotifier::new(
        app.store.store.clone(),
        app.store.clock.clone(),
        MailConfig {
            transport,
            from: "Acme Services <services@acme.example>".parse().unwrap(),
        },
    )
}

/// The subject and plain text of a message as the SMTP server got it.
fn decoded(data: &str) -> (String, String) {
    let m = mail_parser::MessageParser::default()
        .parse(data.as_bytes())
        .unwrap();
    (
        m.subject().unwrap_or_default().to_string(),
        m.body_text(0).unwrap_or_default().into_owned(),
    )
}

async fn mail_log(app: &TestApp) -> Vec<Value> {
    app.http
        .get(app.url("/api/v1/notification-emails-log"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The `address` column as stored.
async fn stored_addresses(app: &TestApp, b: Backend) -> Vec<String> {
    let sql = "SELECT address FROM notification_recipients";
    match b {
        Backend::Sqlite => {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect(&app.store.url)
                .await
                .unwrap();
            let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows.into_iter().map(|r| r.0).collect()
        }
        Backend::Postgres => {
            let schema = app.store.pg_schema().unwrap().to_string();
            let opts: sqlx::postgres::PgConnectOptions = app.store.url.parse().unwrap();
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_with(opts.options([("search_path", schema.as_str())]))
                .await
                .unwrap();
            let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows.into_iter().map(|r| r.0).collect()
        }
    }
}

async fn notification_addresses_are_checked_listed_and_kept_to_their_partner(b: Backend) {
    let app = spawn_app(b).await;
    // Bad input: each field named, nothing stored.
    let res = post(
        &app,
        &app.a.api_key,
        "/api/v1/notification-emails",
        json!({"address": "not an address", "language": "xx", "events": ["nope"]}),
    )
    .await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["address", "language", "events"], "{p}");
    let id = add_address(
        &app,
        "dispatch@acme.example",
        "de",
        json!(["order.created"]),
    )
    .await;
    let list: Value = app
        .http
        .get(app.url("/api/v1/notification-emails"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["address"], "dispatch@acme.example");
    assert_eq!(list[0]["language"], "de");
    assert_eq!(list[0]["events"], json!(["order.created"]));
    // Stored encrypted: the address is not in the database as text.
    let stored = stored_addresses(&app, b).await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains("dispatch") && !stored[0].contains("acme.example"));
    // Partner b neither sees nor removes it.
    let other: Value = app
        .http
        .get(app.url("/api/v1/notification-emails"))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other, json!([]));
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/notification-emails/{id}")))
        .bearer_auth(&app.b.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/notification-emails/{id}")))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // Without an API key: 401. The OpenAPI document names the paths and the payloads.
    let res = app
        .http
        .get(app.url("/api/v1/notification-emails"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
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
        "/api/v1/notification-emails",
        "/api/v1/notification-emails/{id}",
        "/api/v1/notification-emails-log",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    for schema in ["CreateRecipientRequest", "RecipientView", "MailView"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}

async fn two_senders_email_each_notification_exactly_once_in_the_addresses_language(b: Backend) {
    let app = spawn_app(b).await;
    add_address(&app, "dispatch@acme.example", "en", json!([])).await;
    add_address(
        &app,
        "leitstelle@acme.example",
        "de",
        json!(["incident.status_changed"]),
    )
    .await;
    let mut numbers = Vec::new();
    for i in 0..5 {
        numbers.push(walk_up_incident(&app, &format!("jam {i}")).await);
    }
    let res = post(
        &app,
        &app.a.api_key,
        &format!("/api/v1/incidents/{}/status", numbers[0]),
        json!({"status": "acknowledged", "actor": "Tom"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    // Partner b's address gets nothing of a's.
    let res = post(
        &app,
        &app.b.api_key,
        "/api/v1/notification-emails",
        json!({"address": "b@bolt.example"}),
    )
    .await;
    assert_eq!(res.status(), 201);

    // 6 events for the English address, 1 for the German one: 7 messages. The server answers
    // each after 200 ms, so the two senders overlap.
    let sink = SmtpSink::start(Mode::Delay(Duration::from_millis(200))).await;
    let one = mailer(&app, &sink);
    let two = mailer(&app, &sink);
    let (a, b2) = tokio::join!(one.run_once(50), two.run_once(50));
    assert_eq!(a.unwrap() + b2.unwrap(), 7);
    // Nothing left for a third run.
    assert_eq!(mailer(&app, &sink).run_once(50).await.unwrap(), 0);
    let received = sink.received();
    assert_eq!(received.len(), 7, "{received:?}");
    assert!(
        received.values().all(|n| *n == 1),
        "each once: {received:?}"
    );

    let messages = sink.messages();
    let to = |who: &str| -> Vec<&String> {
        messages
            .iter()
            .filter(|(rcpt, _)| rcpt.iter().any(|r| r == who))
            .map(|(_, data)| data)
            .collect()
    };
    assert_eq!(to("dispatch@acme.example").len(), 6);
    let german = to("leitstelle@acme.example");
    assert_eq!(german.len(), 1);
    let (subject, text) = decoded(german[0]);
    assert_eq!(
        subject,
        format!("{}: der Vorgang ist jetzt Angenommen", numbers[0])
    );
    assert!(text.contains("Gerät: SN-100"), "{text}");
    assert!(to("b@bolt.example").is_empty());
    for (_, data) in &messages {
        let (subject, text) = decoded(data);
        assert!(
            subject.contains("SR-") && text.contains("SN-100"),
            "{subject} {text}"
        );
        for secret in ["ana@example.com", "Ana Lopez", "4930123456"] {
            assert!(!data.contains(secret), "no contact details: {secret}");
        }
    }
    let log = mail_log(&app).await;
    assert_eq!(log.len(), 7);
    assert!(
        log.iter()
            .all(|m| m["state"] == "sent" && m["attempts"] == 1)
    );
    // The console's list of them speaks the page's language: the state in words, the time as
    // every console date (the API above keeps its codes).
    let (session, _) = crate::fleet_rules::console_login(&app, &app.a.admin_email).await;
    let html = app
        .http
        .get(app.url("/console/notifications"))
        .header("cookie", format!("sa_session={session}"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<td>gesendet</td>"), "{html}");
    assert!(!html.contains("<td>sent</td>"), "{html}");
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        !html.contains(&format!("<td class=\"nowrap\">{year}-")),
        "{html}"
    );
}

async fn a_mail_server_outage_is_retried_and_each_notification_still_sent_once(b: Backend) {
    let app = spawn_app(b).await;
    add_address(
        &app,
        "dispatch@acme.example",
        "fr",
        json!(["incident.created"]),
    )
    .await;
    walk_up_incident(&app, "jam").await;
    walk_up_incident(&app, "toner").await;
    // Nobody listens on the port: a temporary failure, retried after the backoff.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = MailNotifier::new(
        app.store.store.clone(),
        app.store.clock.clone(),
        MailConfig {
            transport: platform::mail::MailSettings::parse_with_env(
                &format!("smtp://127.0.0.1:{port}?tls=none&timeout_secs=2"),
                |_| None,
            )
            .unwrap()
            .build()
            .unwrap(),
            from: "Acme <services@acme.example>".parse().unwrap(),
        },
    );
    assert_eq!(down.run_once(10).await.unwrap(), 0);
    let log = mail_log(&app).await;
    assert!(
        log.iter()
            .all(|m| m["state"] == "pending" && m["attempts"] == 1 && m["last_error"].is_string()),
        "{log:?}"
    );
    assert!(
        log.iter()
            .all(|m| !m["last_error"].as_str().unwrap().contains("dispatch@")),
        "no address in errors"
    );
    // Back up on the same port; not due before the backoff (30 s) has passed.
    let sink = SmtpSink::start_on(port, Mode::Delay(Duration::ZERO)).await;
    let up = mailer(&app, &sink);
    assert_eq!(up.run_once(10).await.unwrap(), 0);
    app.store.clock.advance(chrono::Duration::seconds(31));
    let other = mailer(&app, &sink);
    let (x, y) = tokio::join!(up.run_once(10), other.run_once(10));
    assert_eq!(x.unwrap() + y.unwrap(), 2);
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert!(received.values().all(|n| *n == 1));
    for (_, data) in sink.messages() {
        let (subject, text) = decoded(&data);
        assert!(
            subject.contains("nouvel incident pour l’appareil SN-100"),
            "{subject}"
        );
        assert!(text.contains("Incident créé"), "{text}");
    }
    let log = mail_log(&app).await;
    assert!(
        log.iter()
            .all(|m| m["state"] == "sent" && m["attempts"] == 2)
    );
}

async fn webhooks_to_internal_addresses_are_refused_at_registration_and_at_delivery(b: Backend) {
    // Without --webhook-allow-private: every internal target is refused with the reason.
    let app = spawn_app(b).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/hook",
        "http://192.168.1.20/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0:9/hook",
        "http://[::ffff:127.0.0.1]:9/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
    ] {
        let res = post(
            &app,
            &app.a.api_key,
            "/api/v1/webhooks",
            json!({"url": url}),
        )
        .await;
        assert_eq!(res.status(), 422, "{url}");
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], "url", "{url}: {p}");
    }
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
    assert_eq!(hooks, json!([]));

    // A hook registered while private targets were allowed (or whose name resolves elsewhere
    // now: DNS rebinding) is checked again at delivery, after resolution: a sender without the
    // permission never connects.
    let allowed = spawn_app_with(b, |c| c.webhook_allow_private = true).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    let server = tokio::spawn(async move {
        let app = axum::Router::new().fallback(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { "ok" }
        });
        let _ = axum::serve(listener, app).await;
    });
    for url in [
        format!("http://localhost:{port}/by-name"),
        format!("http://127.0.0.1:{port}/by-address"),
    ] {
        let res = post(
            &allowed,
            &allowed.a.api_key,
            "/api/v1/webhooks",
            json!({"url": url}),
        )
        .await;
        assert_eq!(res.status(), 201, "{url}");
    }
    walk_up_incident(&allowed, "jam").await;
    let store = allowed.store.store.clone();
    let clock = allowed.store.clock.clone();
    let strict = Notifier::new(store.clone(), clock.clone());
    assert_eq!(strict.run_once().await.unwrap(), 0);
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "never connected"
    );
    let hooks: Vec<Value> = allowed
        .http
        .get(allowed.url("/api/v1/webhooks"))
        .bearer_auth(&allowed.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for h in &hooks {
        let log: Value = allowed
            .http
            .get(allowed.url(&format!(
                "/api/v1/webhooks/{}/deliveries",
                h["id"].as_str().unwrap()
            )))
            .bearer_auth(&allowed.a.api_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let error = log[0]["error"].as_str().unwrap_or_default();
        assert!(error.contains("loopback"), "{}: {error}", h["url"]);
    }
    // With the permission the same deliveries go through (after the backoff).
    clock.advance(chrono::Duration::seconds(31));
    let open = Notifier::new(store, clock).allow_private(true);
    assert_eq!(open.run_once().await.unwrap(), 2);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    server.abort();
}

async fn console_post(app: &TestApp, session: &str, path: &str, body: String) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("cookie", format!("sa_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn partner_admins_manage_notification_addresses_in_the_console_and_technicians_only_see_them(
    b: Backend,
) {
    use crate::fleet_rules::{console_get, console_login};
    let app = spawn_app(b).await;
    let (session, csrf) = console_login(&app, &app.a.admin_email).await;
    // A bad address: the page again, 422, the reason (in the page's language); nothing stored.
    let res = console_post(
        &app,
        &session,
        "/console/notifications",
        format!("csrf={csrf}&address=nope&language=de"),
    )
    .await;
    assert_eq!(res.status(), 422);
    let why = platform::i18n::t(platform::i18n::Locale::En, "console-notif-bad-address");
    assert!(res.text().await.unwrap().contains(&why), "{why}");
    let res = console_post(
        &app,
        &session,
        "/console/notifications",
        format!(
            "csrf={csrf}&address=ops%40acme.example&language=it&events=order.created&events=alert.raised"
        ),
    )
    .await;
    assert_eq!(res.status(), 303);
    let html = console_get(&app, &session, "/console/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("ops@acme.example"), "listed");
    assert!(
        html.contains("alert.raised, order.created"),
        "with its events"
    );
    let list: Value = app
        .http
        .get(app.url("/api/v1/notification-emails"))
        .bearer_auth(&app.a.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["language"], "it");
    let id = list[0]["id"].as_str().unwrap().to_string();
    // Without the form's token: refused.
    let res = console_post(
        &app,
        &session,
        &format!("/console/notifications/{id}/delete"),
        "csrf=wrong".into(),
    )
    .await;
    assert_ne!(res.status(), 303);
    // A technician sees the list but cannot change it.
    let (tech, tech_csrf) = console_login(&app, &app.a.tech_email).await;
    let html = console_get(&app, &tech, "/console/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("ops@acme.example") && !html.contains("Add an address"));
    let res = console_post(
        &app,
        &tech,
        &format!("/console/notifications/{id}/delete"),
        format!("csrf={tech_csrf}"),
    )
    .await;
    assert_eq!(res.status(), 403);
    // Partner b's admin sees nothing of a's and cannot remove it.
    let (other, other_csrf) = console_login(&app, &app.b.admin_email).await;
    let html = console_get(&app, &other, "/console/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("ops@acme.example"));
    let res = console_post(
        &app,
        &other,
        &format!("/console/notifications/{id}/delete"),
        format!("csrf={other_csrf}"),
    )
    .await;
    assert_eq!(res.status(), 404);
    // The admin removes it.
    let res = console_post(
        &app,
        &session,
        &format!("/console/notifications/{id}/delete"),
        format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(res.status(), 303);
    let html = console_get(&app, &session, "/console/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("ops@acme.example"));
}
