//! Sample confirmations, message parsing, and a real SMTP server (aiosmtpd) for the tests.

use assistant::mail::{
    Branding, Confirmation, Contact, ContactName, DeviceInfo, DeviceSerial, EmailAddress,
    IncidentNumber, InlineLogo, Language, Logo, LogoMime, Mailbox, Number, PhoneNumber,
    RequestDetails, SupplyLine,
};
use chrono::{TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CONTACT_NAME: &str = "Ana López";
pub const CONTACT_EMAIL: &str = "ana.lopez@example.com";
pub const CONTACT_PHONE: &str = "+49 30 1234567";
pub const SERIAL: &str = "XRX9A1234567";
pub const MODEL: &str = "AltaLink C8055";
pub const NUMBER: &str = "SR-2026-000123";
pub const REFERENCE: &str = "ref-7f3a2c";
/// A tiny PNG (1x1) for the inline logo.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

pub fn contact() -> Contact {
    Contact {
        name: ContactName::parse(CONTACT_NAME).unwrap(),
        email: EmailAddress::parse(CONTACT_EMAIL).unwrap(),
        phone: Some(PhoneNumber::parse(CONTACT_PHONE).unwrap()),
    }
}

pub fn service(description: &str, language: Language) -> Confirmation {
    Confirmation {
        contact: contact(),
        number: Some(Number::Incident(IncidentNumber::parse(NUMBER).unwrap())),
        reference: REFERENCE.into(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 5, 0).unwrap(),
        device: DeviceInfo {
            serial: DeviceSerial::parse(SERIAL).unwrap(),
            model: MODEL.into(),
            location: Some("Building 2, 3rd floor".into()),
        },
        request: RequestDetails::Service {
            issue: "Paper jam".into(),
            description: description.into(),
        },
        branding: Branding {
            title: "Acme Print Services support".into(),
            logo: None,
        },
        language,
    }
}

pub fn supply(language: Language) -> Confirmation {
    let mut c = service("", language);
    c.request = RequestDetails::Supply {
        supplies: vec![
            SupplyLine {
                description: "Black Toner Cartridge".into(),
                part_number: Some("006R01697".into()),
                colorant: Some("black".into()),
                level_percent: Some(4),
            },
            SupplyLine {
                description: "Waste Toner Container".into(),
                part_number: None,
                colorant: None,
                level_percent: None,
            },
        ],
    };
    c
}

pub fn with_inline_logo(mut c: Confirmation) -> Confirmation {
    c.branding.logo = Some(Logo::Inline(
        InlineLogo::new(PNG.to_vec(), LogoMime::Png).unwrap(),
    ));
    c
}

pub fn from() -> Mailbox {
    "Acme Support <support@acme.example>".parse().unwrap()
}

/// Parsed view of an RFC 5322 message.
pub struct Parsed {
    pub subject: String,
    pub to: String,
    pub from: String,
    pub text: String,
    pub html: String,
    pub text_parts: usize,
    pub html_parts: usize,
    /// (content id, mime type, bytes)
    pub inline: Vec<(Option<String>, String, Vec<u8>)>,
    pub content_type: String,
}

pub fn parse_message(bytes: &[u8]) -> Parsed {
    use mail_parser::{MessageParser, MimeHeaders};
    let m = MessageParser::default()
        .parse(bytes)
        .expect("a parseable message");
    let ct = m.content_type().expect("a content type");
    Parsed {
        subject: m.subject().unwrap_or_default().to_string(),
        to: m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string(),
        from: m
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string(),
        text: m.body_text(0).unwrap_or_default().replace("\r\n", "\n"),
        html: m.body_html(0).unwrap_or_default().replace("\r\n", "\n"),
        text_parts: m
            .parts
            .iter()
            .filter(|p| p.is_content_type("text", "plain"))
            .count(),
        html_parts: m
            .parts
            .iter()
            .filter(|p| p.is_content_type("text", "html"))
            .count(),
        inline: m
            .attachments()
            .map(|a| {
                let ct = a.content_type().unwrap();
                (
                    a.content_id().map(str::to_string),
                    format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()),
                    a.contents().to_vec(),
                )
            })
            .collect(),
        content_type: format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()),
    }
}

/// Everything a confirmation must show, in both parts.
pub fn assert_shows_service_confirmation(p: &Parsed) {
    for part in [&p.text, &p.html] {
        for needle in [
            NUMBER,
            "24 Nov 2026, 09:05 UTC",
            SERIAL,
            MODEL,
            "Building 2, 3rd floor",
            "Paper jam",
            CONTACT_EMAIL,
            CONTACT_PHONE,
            REFERENCE,
        ] {
            assert!(part.contains(needle), "{needle:?} missing in:\n{part}");
        }
    }
    assert!(p.text.contains(CONTACT_NAME));
    assert!(p.html.contains("Ana L&#243;pez") || p.html.contains(CONTACT_NAME));
}

/// A real SMTP server (aiosmtpd) on 127.0.0.1, killed when dropped.
pub struct SmtpServer {
    pub port: u16,
    _child: Child,
}

pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/smtp_server.py")
}

impl SmtpServer {
    /// `args` go to tests/mail/smtp_server.py, e.g. `["--save", dir]` or `["--reject-rcpt", "451"]`.
    pub async fn start(args: &[&str]) -> SmtpServer {
        let mut child = Command::new("python3")
            .arg(script())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs (aiosmtpd: scripts/install-test-deps.sh)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(port) = line.strip_prefix("PORT ") {
                    return port.trim().parse::<u16>().unwrap();
                }
            }
            panic!("SMTP server exited before announcing its port");
        })
        .await
        .expect("SMTP server announces its port within 10 s");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        SmtpServer {
            port,
            _child: child,
        }
    }
}

/// Waits (bounded) until `dir` holds `n` files ending in `.eml`, and returns them sorted.
pub async fn wait_for_eml(dir: &Path, n: usize) -> Vec<PathBuf> {
    for _ in 0..100 {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        if files.len() >= n {
            files.sort();
            return files;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} .eml files in {} after 10 s", dir.display());
}

/// A development CA and a certificate for 127.0.0.1 signed by it, as PEM files in `dir`.
pub struct TestPki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn make_pki(dir: &Path) -> TestPki {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, SanType,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Mail test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();

    let pki = TestPki {
        ca: dir.join("ca.pem"),
        cert: dir.join("leaf.pem"),
        key: dir.join("leaf.key"),
    };
    std::fs::write(&pki.ca, ca_cert.pem()).unwrap();
    std::fs::write(&pki.cert, cert.pem()).unwrap();
    std::fs::write(&pki.key, key.serialize_pem()).unwrap();
    pki
}
