use crate::helpers::*;
use assistant::mail::{MeterReadNumber, Number};

fn meters(language: Language) -> assistant::mail::Confirmation {
    let mut c = service("", language);
    c.number = Some(Number::MeterRead(
        MeterReadNumber::parse("MR-2026-000042").unwrap(),
    ));
    c.request = RequestDetails::Meters {
        meters: vec![
            ("Total impressions".into(), 1_234_567),
            ("Black impressions".into(), 812),
        ],
    };
    c
}
use assistant::mail::{
    Language, Logo, LogoUrl, RequestDetails, render, render_html, render_text, subject,
};

#[test]
fn subject_names_number_serial_and_model() {
    let c = service("It jams in tray 2.", Language::En);
    assert_eq!(
        subject(&c),
        "SR-2026-000123: your service request for XRX9A1234567 (AltaLink C8055)"
    );
    assert_eq!(
        subject(&supply(Language::En)),
        "SR-2026-000123: your supply request for XRX9A1234567 (AltaLink C8055)"
    );
}

#[test]
fn subject_uses_the_reference_while_no_number_is_known() {
    let mut c = service("x", Language::En);
    c.number = None;
    assert!(subject(&c).starts_with("ref-7f3a2c: your service request for XRX9A1234567"));
    let text = render_text(&c).unwrap();
    assert!(!text.contains("Incident number:"));
    assert!(text.contains("The incident number will follow"));
}

#[test]
fn subject_keeps_a_model_with_line_breaks_on_one_line() {
    let mut c = service("x", Language::En);
    c.device.model = "AltaLink\r\nBcc: victim@example.org".into();
    let s = subject(&c);
    assert!(!s.contains('\n') && !s.contains('\r'), "{s:?}");
    let bytes = render(&c, &from()).unwrap().formatted();
    let headers = String::from_utf8_lossy(&bytes);
    let head = headers.split("\r\n\r\n").next().unwrap();
    assert!(
        !head.lines().any(|l| l.starts_with("Bcc:")),
        "header injected:\n{head}"
    );
}

#[test]
fn message_is_multipart_alternative_with_text_and_html_showing_all_incident_data() {
    let c = service("It jams in tray 2.\nEvery morning.", Language::En);
    let message = render(&c, &from()).unwrap();
    let p = parse_message(&message.formatted());
    assert_eq!(p.content_type, "multipart/alternative");
    assert_eq!((p.text_parts, p.html_parts), (1, 1));
    assert_eq!(p.to, CONTACT_EMAIL);
    assert_eq!(p.from, "support@acme.example");
    assert_eq!(
        p.subject,
        "SR-2026-000123: your service request for XRX9A1234567 (AltaLink C8055)"
    );
    assert_shows_service_confirmation(&p);
    assert!(p.text.contains("It jams in tray 2.\nEvery morning."));
    assert!(p.html.contains("It jams in tray 2.\nEvery morning."));
}

#[test]
fn supply_confirmation_lists_every_supply_with_part_number_colorant_and_level() {
    let c = supply(Language::En);
    let p = parse_message(&render(&c, &from()).unwrap().formatted());
    for part in [&p.text, &p.html] {
        for needle in [
            "Black Toner Cartridge",
            "006R01697",
            "black",
            "4%",
            "Waste Toner Container",
            "Supplies",
            "SR-2026-000123",
        ] {
            assert!(part.contains(needle), "{needle:?} missing in:\n{part}");
        }
    }
}

#[test]
fn html_escapes_an_xss_payload_in_every_user_supplied_field() {
    let payload = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;
    let mut c = service(payload, Language::En);
    c.device.model = payload.into();
    c.device.location = Some(payload.into());
    c.branding.title = payload.into();
    if let RequestDetails::Service { issue, .. } = &mut c.request {
        *issue = payload.into();
    }
    let html = render_html(&c).unwrap();
    assert!(!html.contains("<script"), "unescaped script tag:\n{html}");
    assert!(!html.contains("<img src=x"), "unescaped img tag:\n{html}");
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
    // The plain-text part carries the text as typed (no markup there to inject into).
    assert!(render_text(&c).unwrap().contains(payload));
}

#[test]
fn supply_fields_are_escaped_too() {
    let mut c = supply(Language::En);
    if let RequestDetails::Supply { supplies } = &mut c.request {
        supplies[0].description = "<b>Toner</b>".into();
        supplies[0].part_number = Some("\"><svg onload=alert(1)>".into());
    }
    let html = render_html(&c).unwrap();
    assert!(!html.contains("<b>Toner"));
    assert!(!html.contains("<svg onload"));
}

#[test]
fn german_confirmation_has_german_labels_and_date() {
    let c = service("Papierstau", Language::De);
    let message = render(&c, &from()).unwrap();
    let p = parse_message(&message.formatted());
    assert_eq!(
        p.subject,
        "SR-2026-000123: Ihre Serviceanfrage für XRX9A1234567 (AltaLink C8055)"
    );
    for part in [&p.text, &p.html] {
        for needle in [
            "Vorgangsnummer",
            "Erstellt am",
            "24.11.2026, 09:05 UTC",
            "Seriennummer",
            "Modell",
            "Standort",
            "Beschreibung",
            "Telefon",
        ] {
            assert!(part.contains(needle), "{needle:?} missing in:\n{part}");
        }
        assert!(!part.contains("Incident number"));
    }
    assert!(p.html.contains("lang=\"de\""));
    let supply = parse_message(&render(&supply(Language::De), &from()).unwrap().formatted());
    assert!(supply.subject.contains("Ihre Verbrauchsmaterialanfrage"));
    assert!(supply.text.contains("Artikelnummer") && supply.text.contains("Füllstand"));
    // The device's colorant ("black") in German.
    assert!(supply.text.contains("Schwarz"), "{}", supply.text);
    assert!(!supply.text.contains("black"), "{}", supply.text);
}

#[test]
fn language_tags_pick_one_of_the_five_languages_else_english() {
    assert_eq!(Language::from_tag("de-AT"), Some(Language::De));
    assert_eq!(Language::from_tag("EN_gb"), Some(Language::En));
    assert_eq!(Language::from_tag("fr"), Some(Language::Fr));
    assert_eq!(Language::from_tag("pt"), None);
    assert_eq!(Language::negotiate(Some("pt"), None), Language::En);
}

/// Every language: subject, headings and labels from its own catalogue, its date, no missing
/// message, the `lang` attribute set.
#[test]
fn every_language_renders_its_own_texts_and_date() {
    let expect = [
        (
            Language::En,
            "your service request for",
            "Serial number",
            "24 Nov 2026, 09:05 UTC",
        ),
        (
            Language::De,
            "Ihre Serviceanfrage für",
            "Seriennummer",
            "24.11.2026, 09:05 UTC",
        ),
        (
            Language::Fr,
            "votre demande d’intervention pour",
            "Numéro de série",
            "24 nov. 2026 09:05 UTC",
        ),
        (
            Language::It,
            "la sua richiesta di assistenza per",
            "Numero di serie",
            "24 nov 2026, 09:05 UTC",
        ),
        (
            Language::Es,
            "su solicitud de servicio para",
            "Número de serie",
            "24 nov 2026, 09:05 UTC",
        ),
    ];
    for (lang, subject_text, serial_label, date) in expect {
        for kind in [service("x", lang), supply(lang), meters(lang)] {
            let p = parse_message(&render(&kind, &from()).unwrap().formatted());
            for part in [&p.text, &p.html] {
                assert!(!part.contains("[missing"), "{lang}: {part}");
                assert!(
                    part.contains(serial_label),
                    "{lang}: {serial_label:?} in\n{part}"
                );
                assert!(part.contains(date), "{lang}: {date:?} in\n{part}");
            }
            assert!(p.html.contains(&format!("lang=\"{}\"", lang.code())));
        }
        let p = parse_message(&render(&service("x", lang), &from()).unwrap().formatted());
        assert!(p.subject.contains(subject_text), "{lang}: {}", p.subject);
        assert!(
            p.subject.ends_with("XRX9A1234567 (AltaLink C8055)"),
            "{}",
            p.subject
        );
    }
}

/// A meter read is confirmed under its `MR-` number with its own label, and its counts are
/// written the language's way.
#[test]
fn meter_confirmation_shows_its_mr_number_and_counts_per_language() {
    let p = parse_message(&render(&meters(Language::En), &from()).unwrap().formatted());
    assert!(
        p.subject
            .starts_with("MR-2026-000042: your meter reads for XRX9A1234567")
    );
    for part in [&p.text, &p.html] {
        for needle in [
            "Confirmation number",
            "MR-2026-000042",
            "1,234,567",
            "Total impressions",
        ] {
            assert!(part.contains(needle), "{needle:?} missing in:\n{part}");
        }
        assert!(!part.contains("Incident number"), "{part}");
    }
    let de = parse_message(&render(&meters(Language::De), &from()).unwrap().formatted());
    assert!(de.text.contains("1.234.567") && de.text.contains("Bestätigungsnummer"));
}

/// A device the Services Manager has no model or location for says so in words, and the
/// subject has no empty brackets.
#[test]
fn unknown_model_and_location_read_not_given() {
    let mut c = service("x", Language::En);
    c.device.model = String::new();
    c.device.location = None;
    let p = parse_message(&render(&c, &from()).unwrap().formatted());
    assert_eq!(
        p.subject,
        "SR-2026-000123: your service request for XRX9A1234567"
    );
    assert!(p.text.contains("Model: not given") && p.text.contains("Location: not given"));
}

/// 300 characters without a space in any value wrap inside the message: every table is laid
/// out fixed and every value cell may break anywhere (checked in Chromium by
/// `tests/browser`'s e-mail test where a browser is available).
#[test]
fn long_unbroken_values_are_allowed_to_wrap_in_the_html() {
    let long = "A".repeat(300);
    let mut c = service(&long, Language::En);
    c.device.model = long.clone();
    c.device.location = Some(long.clone());
    let html = render_html(&c).unwrap();
    assert_eq!(
        html.matches("<table").count(),
        html.matches("table-layout:fixed").count()
    );
    for cell in html.split("<td").skip(1) {
        if cell.contains(&long) {
            let style = cell.split('>').next().unwrap();
            assert!(style.contains("overflow-wrap:anywhere"), "{style}");
            assert!(style.contains("word-break:break-word"), "{style}");
        }
    }
    assert!(html.contains("overflow-wrap:anywhere;word-break:break-word\">AAAA"));
}

#[test]
fn inline_logo_is_a_cid_attachment_referenced_by_the_html() {
    let c = with_inline_logo(service("x", Language::En));
    let p = parse_message(&render(&c, &from()).unwrap().formatted());
    assert!(p.html.contains("src=\"cid:logo\""), "{}", p.html);
    assert_eq!(p.inline.len(), 1);
    let (cid, mime, bytes) = &p.inline[0];
    assert_eq!(
        cid.as_deref().map(|s| s.trim_matches(['<', '>'])),
        Some("logo")
    );
    assert_eq!(mime, "image/png");
    assert_eq!(bytes.as_slice(), PNG);
    assert_eq!((p.text_parts, p.html_parts), (1, 1));
}

#[test]
fn logo_url_must_be_https_and_is_shown_as_is() {
    assert!(LogoUrl::parse("http://acme.example/logo.png").is_err());
    assert!(LogoUrl::parse("javascript:alert(1)").is_err());
    let mut c = service("x", Language::En);
    c.branding.logo = Some(Logo::Url(
        LogoUrl::parse("https://acme.example/logo.png?a=1&b=2").unwrap(),
    ));
    let html = render_html(&c).unwrap();
    assert!(
        html.contains("https://acme.example/logo.png?a=1&#38;b=2")
            || html.contains("https://acme.example/logo.png?a=1&amp;b=2"),
        "{html}"
    );
}

#[test]
fn debug_output_redacts_the_contact() {
    let c = service("call me on my private number 0170 999", Language::En);
    let debug = format!("{c:?}");
    for secret in [CONTACT_NAME, CONTACT_EMAIL, CONTACT_PHONE, "0170 999"] {
        assert!(!debug.contains(secret), "{secret:?} in {debug}");
    }
    assert!(debug.contains("[redacted]"));
    assert!(debug.contains(REFERENCE));
}

#[test]
fn from_without_a_name_gets_the_branding_title() {
    let c = service("x", Language::En);
    let bytes = render(&c, &"support@acme.example".parse().unwrap())
        .unwrap()
        .formatted();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("From: \"Acme Print Services support\" <support@acme.example>"),
        "{text}"
    );
}
