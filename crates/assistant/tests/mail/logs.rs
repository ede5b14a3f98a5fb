//! Privacy: whatever the transports log, success or failure, names the reference and never a
//! contact detail, even when a server echoes the recipient's address in its error.

use crate::helpers::*;
use crate::sendgrid::fake_sendgrid;
use assistant::mail::{FolderTransport, Language, MailSettings, MailTransport, render};
use axum::http::StatusCode;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn transports_log_the_reference_and_no_contact_detail() {
    let logs = Capture::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let message = render(
        &with_inline_logo(service("call me back", Language::En)),
        &from(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();

    FolderTransport::new(dir.path())
        .unwrap()
        .send(&message)
        .await
        .unwrap();

    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let ok = SmtpServer::start(&["--save", inbox.to_str().unwrap()]).await;
    let rejecting = SmtpServer::start(&["--reject-rcpt", "550"]).await;
    for port in [ok.port, rejecting.port] {
        let smtp =
            MailSettings::parse_with_env(&format!("smtp://127.0.0.1:{port}?tls=none"), |_| None)
                .unwrap()
                .build()
                .unwrap();
        let _ = smtp.send(&message).await;
    }

    let (base, _fake) = fake_sendgrid(vec![
        (StatusCode::ACCEPTED, serde_json::Value::Null),
        (
            StatusCode::BAD_REQUEST,
            json!({"errors":[{"message":"invalid address ana.lopez@example.com","field":"personalizations.0.to"}]}),
        ),
    ])
    .await;
    let sendgrid =
        MailSettings::parse_with_env(&format!("sendgrid://?key_env=K&base_url={base}"), |_| {
            Some("SG.k".into())
        })
        .unwrap()
        .build()
        .unwrap();
    sendgrid.send(&message).await.unwrap();
    assert!(sendgrid.send(&message).await.is_err());

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for transport in ["folder", "smtp", "sendgrid"] {
        assert!(
            text.lines()
                .any(|l| l.contains(REFERENCE) && l.contains(&format!("transport=\"{transport}\""))),
            "no {transport} line with the reference in:\n{text}"
        );
    }
    assert!(
        text.contains("[redacted]"),
        "server errors are logged, scrubbed:\n{text}"
    );
    for secret in [
        CONTACT_NAME,
        "López",
        CONTACT_EMAIL,
        "ana.lopez",
        CONTACT_PHONE,
        "1234567",
        "call me back",
    ] {
        assert!(!text.contains(secret), "{secret:?} in logs:\n{text}");
    }
}
