//! The confirmation e-mail's HTML in Chromium: 300 characters without a space in every value
//! stay inside the window at the panel's narrow size, in every language.

use crate::harness::{browser, horizontal_overflow, panel_size, screenshot};
use assistant::mail::{
    Branding, Confirmation, Contact, ContactName, DeviceInfo, DeviceSerial, EmailAddress,
    IncidentNumber, Language, Number, PhoneNumber, RequestDetails, SupplyLine, render_html,
};
use chrono::{TimeZone, Utc};

fn confirmation(long: &str, language: Language, supplies: bool) -> Confirmation {
    Confirmation {
        contact: Contact {
            name: ContactName::parse(&"N".repeat(100)).expect("name"),
            email: EmailAddress::parse(&format!("{}@example.com", "e".repeat(60))).expect("email"),
            phone: Some(PhoneNumber::parse("+49 30 1234567").expect("phone")),
        },
        number: Some(Number::Incident(
            IncidentNumber::parse("SR-2026-000123").expect("number"),
        )),
        reference: "REF-S-0123456789".into(),
        created_at: Utc
            .with_ymd_and_hms(2026, 11, 24, 9, 5, 0)
            .single()
            .expect("time"),
        device: DeviceInfo {
            serial: DeviceSerial::parse("XRX9C934E4A7B21").expect("serial"),
            model: long.into(),
            location: Some(long.into()),
        },
        request: if supplies {
            RequestDetails::Supply {
                supplies: vec![SupplyLine {
                    description: long.into(),
                    part_number: Some(long.into()),
                    colorant: Some(long.into()),
                    level_percent: Some(4),
                }],
            }
        } else {
            RequestDetails::Service {
                issue: long.into(),
                description: long.into(),
            }
        },
        branding: Branding {
            title: long.into(),
            logo: None,
        },
        language,
    }
}

#[tokio::test]
async fn the_email_wraps_300_unbroken_characters_at_480_px_in_every_language() {
    let b = browser().await;
    let dir = tempfile::tempdir().expect("dir");
    let long = "W".repeat(300);
    for size in [(800, 480), (480, 800)] {
        panel_size(&b.client, size).await;
        for language in Language::ALL {
            for supplies in [false, true] {
                let html = render_html(&confirmation(&long, language, supplies)).expect("html");
                let file = dir.path().join(format!("{language}-{supplies}.html"));
                std::fs::write(&file, html).expect("write");
                b.client
                    .goto(&format!("file://{}", file.display()))
                    .await
                    .expect("open the e-mail");
                assert_eq!(
                    horizontal_overflow(&b.client).await,
                    None,
                    "{language}, supplies {supplies}, {size:?}: the e-mail scrolls sideways"
                );
            }
            if size == (800, 480) {
                screenshot(&b.client, &format!("mail-{language}-800x480")).await;
            }
        }
    }
    let _ = b.client.close().await;
}
