use crate::helpers::*;
use assistant::mail::{Language, MailError, MailSettings, MailTransport, render};
use std::sync::Arc;

fn transport(url: &str) -> Arc<dyn MailTransport> {
    MailSettings::parse_with_env(url, |_| None)
        .unwrap()
        .build()
        .unwrap()
}

#[tokio::test]
async fn smtp_delivers_text_and_html_with_number_date_and_data_to_a_real_server() {
    let inbox = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(&["--save", inbox.path().to_str().unwrap()]).await;
    let smtp = transport(&format!("smtp://127.0.0.1:{}?tls=none", server.port));
    let message = render(
        &with_inline_logo(service("Jams in tray 2", Language::En)),
        &from(),
    )
    .unwrap();
    smtp.send(&message).await.unwrap();

    let files = wait_for_eml(inbox.path(), 1).await;
    let p = parse_message(&std::fs::read(&files[0]).unwrap());
    assert_eq!(p.content_type, "multipart/alternative");
    assert_eq!((p.text_parts, p.html_parts), (1, 1));
    assert_eq!(p.to, CONTACT_EMAIL);
    assert!(
        p.subject
            .starts_with("SR-2026-000123: your service request")
    );
    assert_shows_service_confirmation(&p);
    assert!(p.text.contains("Jams in tray 2") && p.html.contains("Jams in tray 2"));
    assert_eq!(p.inline.len(), 1, "logo travels as inline attachment");
}

#[tokio::test]
async fn smtp_5xx_on_rcpt_is_permanent_and_the_error_hides_the_address() {
    let server = SmtpServer::start(&["--reject-rcpt", "550"]).await;
    let smtp = transport(&format!("smtp://127.0.0.1:{}?tls=none", server.port));
    let message = render(&service("x", Language::En), &from()).unwrap();
    let err = smtp.send(&message).await.unwrap_err();
    let MailError::Permanent(text) = &err else {
        panic!("expected Permanent, got {err:?}");
    };
    assert!(
        text.contains("550") || text.contains("no such mailbox"),
        "{text}"
    );
    assert!(!text.contains(CONTACT_EMAIL), "address leaked: {text}");
}

#[tokio::test]
async fn smtp_451_on_rcpt_is_transient() {
    let server = SmtpServer::start(&["--reject-rcpt", "451"]).await;
    let smtp = transport(&format!("smtp://127.0.0.1:{}?tls=none", server.port));
    let message = render(&service("x", Language::En), &from()).unwrap();
    let err = smtp.send(&message).await.unwrap_err();
    assert!(
        matches!(&err, MailError::Transient(t) if !t.contains(CONTACT_EMAIL)),
        "{err:?}"
    );
}

#[tokio::test]
async fn smtp_replies_to_data_are_classified_4xx_transient_5xx_permanent() {
    let message = render(&supply(Language::En), &from()).unwrap();
    let busy = SmtpServer::start(&["--reject-data", "452"]).await;
    let err = transport(&format!("smtp://127.0.0.1:{}?tls=none", busy.port))
        .send(&message)
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    let policy = SmtpServer::start(&["--reject-data", "554"]).await;
    let err = transport(&format!("smtp://127.0.0.1:{}?tls=none", policy.port))
        .send(&message)
        .await
        .unwrap_err();
    assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
}

#[tokio::test]
async fn smtp_connection_refused_is_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let smtp = transport(&format!("smtp://127.0.0.1:{port}?tls=none&timeout_secs=5"));
    let message = render(&service("x", Language::En), &from()).unwrap();
    let err = smtp.send(&message).await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn smtp_starttls_with_a_trusted_ca_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let server = SmtpServer::start(&[
        "--save",
        inbox.to_str().unwrap(),
        "--starttls",
        pki.cert.to_str().unwrap(),
        pki.key.to_str().unwrap(),
    ])
    .await;
    let smtp = transport(&format!(
        "smtp://127.0.0.1:{}?tls=starttls&ca_file={}",
        server.port,
        pki.ca.display()
    ));
    smtp.send(&render(&service("over TLS", Language::En), &from()).unwrap())
        .await
        .unwrap();
    let files = wait_for_eml(&inbox, 1).await;
    let p = parse_message(&std::fs::read(&files[0]).unwrap());
    assert!(p.text.contains("over TLS"));
    assert_shows_service_confirmation(&p);
}

#[tokio::test]
async fn smtp_starttls_refuses_an_untrusted_certificate_as_transient() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let server = SmtpServer::start(&[
        "--save",
        dir.path().to_str().unwrap(),
        "--starttls",
        pki.cert.to_str().unwrap(),
        pki.key.to_str().unwrap(),
    ])
    .await;
    // No ca_file: the development CA is not trusted.
    let smtp = transport(&format!(
        "smtp://127.0.0.1:{}?tls=starttls&timeout_secs=10",
        server.port
    ));
    let err = smtp
        .send(&render(&service("x", Language::En), &from()).unwrap())
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| e
            .unwrap()
            .path()
            .extension()
            .is_none_or(|x| x != "eml")),
        "nothing may be delivered over an untrusted connection"
    );
}

#[tokio::test]
async fn smtp_implicit_tls_with_a_trusted_ca_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let server = SmtpServer::start(&[
        "--save",
        inbox.to_str().unwrap(),
        "--tls",
        pki.cert.to_str().unwrap(),
        pki.key.to_str().unwrap(),
    ])
    .await;
    let smtp = transport(&format!(
        "smtp://127.0.0.1:{}?tls=tls&ca_file={}",
        server.port,
        pki.ca.display()
    ));
    smtp.send(&render(&supply(Language::De), &from()).unwrap())
        .await
        .unwrap();
    let files = wait_for_eml(&inbox, 1).await;
    let p = parse_message(&std::fs::read(&files[0]).unwrap());
    assert!(p.subject.contains("Ihre Verbrauchsmaterialanfrage"));
}

#[tokio::test]
async fn smtp_login_over_starttls_delivers_and_a_wrong_password_is_permanent() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let server = SmtpServer::start(&[
        "--save",
        inbox.to_str().unwrap(),
        "--starttls",
        pki.cert.to_str().unwrap(),
        pki.key.to_str().unwrap(),
        "--auth",
        "mailer",
        "s3cret:pw",
    ])
    .await;
    let message = render(&service("with login", Language::En), &from()).unwrap();
    let url = |password: &str| {
        format!(
            "smtp://mailer:{password}@127.0.0.1:{}?tls=starttls&ca_file={}",
            server.port,
            pki.ca.display()
        )
    };
    transport(&url("s3cret%3Apw")).send(&message).await.unwrap();
    let files = wait_for_eml(&inbox, 1).await;
    assert!(
        parse_message(&std::fs::read(&files[0]).unwrap())
            .text
            .contains("with login")
    );

    let err = transport(&url("Wr0ngPa55"))
        .send(&message)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, MailError::Permanent(t) if t.contains("535")),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains("Wr0ngPa55"),
        "password in error: {err}"
    );
}

#[tokio::test]
async fn smtp_without_login_is_refused_permanently_where_the_server_requires_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let server = SmtpServer::start(&[
        "--save",
        dir.path().to_str().unwrap(),
        "--starttls",
        pki.cert.to_str().unwrap(),
        pki.key.to_str().unwrap(),
        "--auth",
        "mailer",
        "pw",
    ])
    .await;
    let err = transport(&format!(
        "smtp://127.0.0.1:{}?tls=starttls&ca_file={}",
        server.port,
        pki.ca.display()
    ))
    .send(&render(&service("x", Language::En), &from()).unwrap())
    .await
    .unwrap_err();
    assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
}

#[tokio::test]
async fn smtp_server_that_never_answers_fails_transiently_within_the_timeout() {
    // Accepts connections and says nothing, not even the greeting.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let smtp = transport(&format!("smtp://127.0.0.1:{port}?tls=none&timeout_secs=1"));
    let started = std::time::Instant::now();
    let err = smtp
        .send(&render(&service("x", Language::En), &from()).unwrap())
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "a silent server must not hold the sender: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn smtp_starttls_never_falls_back_to_plain_text_when_the_server_offers_no_starttls() {
    let inbox = tempfile::tempdir().unwrap();
    // A plain server that does not offer STARTTLS (as if an attacker stripped it).
    let server = SmtpServer::start(&["--save", inbox.path().to_str().unwrap()]).await;
    let smtp = transport(&format!(
        "smtp://127.0.0.1:{}?tls=starttls&timeout_secs=5",
        server.port
    ));
    let err = smtp
        .send(&render(&service("x", Language::En), &from()).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("STARTTLS"), "{err}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        std::fs::read_dir(inbox.path()).unwrap().count(),
        0,
        "the message went out unencrypted"
    );
}
