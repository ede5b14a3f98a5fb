use assistant::mail::{MailSettings, SmtpTls};
use secrecy::ExposeSecret;

fn parse(s: &str) -> Result<MailSettings, String> {
    MailSettings::parse_with_env(s, |name| match name {
        "SG_KEY" => Some("SG.secret".into()),
        "EMPTY" => Some(" ".into()),
        _ => None,
    })
    .map_err(|e| e.to_string())
}

#[test]
fn folder_setting_takes_a_path() {
    let MailSettings::Folder(p) = parse("folder:/var/mail/out").unwrap() else {
        panic!()
    };
    assert_eq!(p.to_str(), Some("/var/mail/out"));
    assert!(parse("folder:").unwrap_err().contains("needs a directory"));
}

#[test]
fn smtp_setting_parses_credentials_port_tls_and_defaults() {
    let MailSettings::Smtp(s) =
        parse("smtp://mailer:p%40ss%3Aw@mail.example.com:2525?tls=starttls").unwrap()
    else {
        panic!()
    };
    assert_eq!(s.host, "mail.example.com");
    assert_eq!(s.port(), 2525);
    assert_eq!(s.tls, SmtpTls::StartTls);
    let (user, pass) = s.credentials.as_ref().unwrap();
    assert_eq!(user, "mailer");
    assert_eq!(pass.expose_secret(), "p@ss:w");
    assert!(!format!("{s:?}").contains("p@ss"), "password in Debug");

    let MailSettings::Smtp(s) = parse("smtp://mail.example.com?tls=tls").unwrap() else {
        panic!()
    };
    assert_eq!((s.port(), s.credentials.is_none()), (465, true));
    let MailSettings::Smtp(s) = parse("smtp://127.0.0.1?tls=none").unwrap() else {
        panic!()
    };
    assert_eq!(s.port(), 25);
}

#[test]
fn smtp_setting_errors_name_what_is_wrong() {
    assert!(
        parse("smtp://host")
            .unwrap_err()
            .contains("tls=none|starttls|tls")
    );
    assert!(
        parse("smtp://host?tls=ssl")
            .unwrap_err()
            .contains("\"ssl\"")
    );
    assert!(
        parse("smtp://host?tls=none&colour=red")
            .unwrap_err()
            .contains("\"colour\"")
    );
    assert!(
        parse("smtp://?tls=none")
            .unwrap_err()
            .contains("needs a host")
    );
    assert!(
        parse("smtp://user@host?tls=tls")
            .unwrap_err()
            .contains("without a password")
    );
    assert!(
        parse("smtp://host?tls=none&timeout_secs=0")
            .unwrap_err()
            .contains("timeout_secs")
    );
    assert!(
        parse("smtp://host?tls=none&ca_file=/x.pem")
            .unwrap_err()
            .contains("ca_file")
    );
}

#[test]
fn sendgrid_setting_reads_the_key_from_the_named_variable_only() {
    let MailSettings::SendGrid(s) = parse("sendgrid://?key_env=SG_KEY").unwrap() else {
        panic!()
    };
    assert_eq!(s.api_key.expose_secret(), "SG.secret");
    assert_eq!(s.base_url, "https://api.sendgrid.com");
    assert!(!format!("{s:?}").contains("SG.secret"), "key in Debug");
    let MailSettings::SendGrid(s) =
        parse("sendgrid://?key_env=SG_KEY&base_url=http://127.0.0.1:9999/").unwrap()
    else {
        panic!()
    };
    assert_eq!(s.base_url, "http://127.0.0.1:9999");

    assert!(
        parse("sendgrid://?key_env=NOPE")
            .unwrap_err()
            .contains("NOPE is not set")
    );
    assert!(
        parse("sendgrid://?key_env=EMPTY")
            .unwrap_err()
            .contains("EMPTY is empty")
    );
    assert!(
        parse("sendgrid://?key=SG.x")
            .unwrap_err()
            .contains("never given on the command line")
    );
    assert!(parse("sendgrid://").unwrap_err().contains("key_env"));
    assert!(
        parse("sendgrid://?key_env=SG_KEY&base_url=ftp://x")
            .unwrap_err()
            .contains("base_url")
    );
}

#[test]
fn unknown_kind_is_named() {
    let e = parse("ftp://x").unwrap_err();
    assert!(e.contains("\"ftp\"") && e.contains("folder:PATH"), "{e}");
}

#[test]
fn build_fails_with_a_clear_error_for_an_unreadable_ca_file() {
    let s = parse("smtp://host?tls=starttls&ca_file=/nonexistent/ca.pem").unwrap();
    let e = s.build().err().unwrap().to_string();
    assert!(e.contains("/nonexistent/ca.pem"), "{e}");
}
