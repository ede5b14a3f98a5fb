use crate::helpers::*;
use assistant::mail::{Language, MailError, MailSettings, MailTransport, render};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

const API_KEY: &str = "SG.test-key-123";

/// One request as the fake SendGrid saw it.
struct Seen {
    method: Method,
    path: String,
    auth: Option<String>,
    content_type: Option<String>,
    body: Value,
}

#[derive(Clone)]
pub struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<VecDeque<(StatusCode, Value)>>>,
}

async fn handle(
    State(fake): State<Fake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    fake.seen.lock().unwrap().push(Seen {
        method,
        path: uri.path().to_string(),
        auth: header("authorization"),
        content_type: header("content-type"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let (status, body) = fake
        .answers
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or((StatusCode::IM_A_TEAPOT, json!({})));
    (
        status,
        if body.is_null() {
            String::new()
        } else {
            body.to_string()
        },
    )
}

/// A local HTTP server answering with `answers` in turn; returns its base URL.
pub async fn fake_sendgrid(answers: Vec<(StatusCode, Value)>) -> (String, Fake) {
    let fake = Fake {
        seen: Arc::default(),
        answers: Arc::new(Mutex::new(answers.into())),
    };
    let app = Router::new().fallback(handle).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

fn client(base_url: &str) -> Arc<dyn MailTransport> {
    MailSettings::parse_with_env(
        &format!("sendgrid://?key_env=TEST_SENDGRID_KEY&base_url={base_url}&timeout_secs=10"),
        |name| (name == "TEST_SENDGRID_KEY").then(|| API_KEY.to_string()),
    )
    .unwrap()
    .build()
    .unwrap()
}

fn check_request(seen: &Seen) {
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.path, "/v3/mail/send");
    assert_eq!(seen.auth.as_deref(), Some("Bearer SG.test-key-123"));
    assert!(
        seen.content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        seen.content_type
    );
    let b = &seen.body;
    assert_eq!(b["personalizations"][0]["to"][0]["email"], CONTACT_EMAIL);
    assert_eq!(b["personalizations"][0]["to"][0]["name"], CONTACT_NAME);
    assert_eq!(b["from"]["email"], "support@acme.example");
    assert_eq!(b["from"]["name"], "Acme Support");
    assert!(
        b["subject"]
            .as_str()
            .unwrap()
            .starts_with("SR-2026-000123: your service request for XRX9A1234567"),
        "{}",
        b["subject"]
    );
    assert_eq!(b["content"][0]["type"], "text/plain");
    assert_eq!(b["content"][1]["type"], "text/html");
    let text = b["content"][0]["value"].as_str().unwrap();
    let html = b["content"][1]["value"].as_str().unwrap();
    for needle in [NUMBER, "24 Nov 2026, 09:05 UTC", SERIAL, MODEL, "Paper jam"] {
        assert!(
            text.contains(needle) && html.contains(needle),
            "{needle} missing"
        );
    }
}

#[tokio::test]
async fn sendgrid_posts_typed_body_and_classifies_202_429_500_400() {
    let (base, fake) = fake_sendgrid(vec![
        (StatusCode::ACCEPTED, Value::Null),
        (StatusCode::TOO_MANY_REQUESTS, json!({"errors":[{"message":"too many requests"}]})),
        (StatusCode::INTERNAL_SERVER_ERROR, json!({"errors":[{"message":"internal"}]})),
        (
            StatusCode::BAD_REQUEST,
            json!({"errors":[{"message":"Does not contain a valid address: ana.lopez@example.com","field":"personalizations.0.to"}]}),
        ),
    ])
    .await;
    let sendgrid = client(&base);
    let message = render(&service("It jams", Language::En), &from()).unwrap();

    sendgrid.send(&message).await.unwrap();
    let e429 = sendgrid.send(&message).await.unwrap_err();
    assert!(
        matches!(&e429, MailError::Transient(t) if t.contains("429")),
        "{e429:?}"
    );
    let e500 = sendgrid.send(&message).await.unwrap_err();
    assert!(
        matches!(&e500, MailError::Transient(t) if t.contains("500")),
        "{e500:?}"
    );
    let e400 = sendgrid.send(&message).await.unwrap_err();
    let MailError::Permanent(text) = &e400 else {
        panic!("400 must be permanent: {e400:?}");
    };
    assert!(
        text.contains("400") && text.contains("Does not contain a valid address"),
        "{text}"
    );
    assert!(text.contains("personalizations.0.to"), "{text}");
    assert!(!text.contains(CONTACT_EMAIL), "address leaked: {text}");

    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    for s in seen.iter() {
        check_request(s);
        assert!(
            s.body.get("attachments").is_none(),
            "no logo, no attachments"
        );
    }
}

#[tokio::test]
async fn sendgrid_sends_an_inline_logo_as_attachment_with_content_id() {
    let (base, fake) = fake_sendgrid(vec![(StatusCode::ACCEPTED, Value::Null)]).await;
    let message = render(&with_inline_logo(service("x", Language::En)), &from()).unwrap();
    client(&base).send(&message).await.unwrap();
    let seen = fake.seen.lock().unwrap();
    check_request(&seen[0]);
    let att = &seen[0].body["attachments"][0];
    assert_eq!(att["content_id"], "logo");
    assert_eq!(att["disposition"], "inline");
    assert_eq!(att["type"], "image/png");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(att["content"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, PNG);
    assert!(
        seen[0].body["content"][1]["value"]
            .as_str()
            .unwrap()
            .contains("cid:logo")
    );
}

#[tokio::test]
async fn sendgrid_unreachable_is_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let message = render(&service("x", Language::En), &from()).unwrap();
    let err = client(&format!("http://127.0.0.1:{port}"))
        .send(&message)
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}
