use crate::helpers::*;

#[tokio::test]
async fn startup_names_settings_entitlements_and_subtrees() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (status, body) = panel
        .post("/api/v1/startup", None, serde_json::json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["device"]["serial"], SERIAL_A);
    assert_eq!(body["settings"]["snmp_community"], "public");
    assert_eq!(body["entitlements"]["service"], true);
    assert_eq!(body["entitlements"]["supplies"], true);
    assert!(
        body["subtrees"]
            .as_array()
            .expect("subtrees")
            .iter()
            .any(|s| s == "1.3.6.1.2.1.43.11.1.1.9")
    );
}

#[tokio::test]
async fn device_report_uses_the_same_interpretation_as_device_read() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let recording = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/xerox-altalink-c8055-meters.snmprec");
    let varbinds = printer::snmprec::read_file(&recording).expect("fixture");
    let collected: Vec<serde_json::Value> = varbinds
        .iter()
        .map(|vb| {
            let (t, v) = printer::wssnmp::format(&vb.value);
            serde_json::json!({"oid": vb.oid.to_string(), "type": t, "value": v})
        })
        .collect();
    let (status, body) = panel
        .post(
            "/api/v1/device-report",
            None,
            serde_json::json!({ "varbinds": collected }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let expected = serde_json::to_value(printer::interpret(&varbinds)).expect("json");
    assert_eq!(body, expected);
    let (status, body) = panel
        .post(
            "/api/v1/device-report",
            None,
            serde_json::json!({"varbinds": [{"oid": "1.3.x", "type": "INTEGER", "value": "1"}]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "varbinds[0].oid");
}

#[tokio::test]
async fn service_incident_end_to_end() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let (status, body) = panel
        .post(
            "/api/v1/service-incidents",
            Some("k-service-1"),
            serde_json::json!({"issue_code": "paper_jam", "description": "Jams in tray 2 <b>every</b> time", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let number = body["incident_number"]
        .as_str()
        .expect("number")
        .to_string();
    assert!(number.starts_with("SR-"), "{number}");
    // In the manager, with the contact.
    let client = manager::client::ManagerClient::new(
        &sys.manager.base,
        secrecy::SecretString::from(sys.manager.api_key.clone()),
    )
    .expect("client");
    let incident = client
        .get_incident(&number)
        .await
        .expect("incident is in the manager");
    assert_eq!(incident.issue_code.as_deref(), Some("paper_jam"));
    assert_eq!(
        incident.contact.as_ref().map(|c| c.email.as_str()),
        Some("erika.mustermann@example.org")
    );
    // On the panel's list, without anybody's contact details.
    let (status, list) = panel.get("/api/v1/incidents?kind=service").await;
    assert_eq!(status, 200);
    let list = list.as_array().expect("list").clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["number"], number.as_str());
    assert!(
        list[0]
            .get("contact")
            .is_none_or(serde_json::Value::is_null),
        "no contact on the panel: {}",
        list[0]
    );
    // The confirmation e-mail with number, date and data.
    let dir = sys.assistant.mail_dir.clone();
    eventually("the confirmation e-mail", || {
        let dir = dir.clone();
        async move {
            std::fs::read_dir(&dir)
                .map(|d| d.count() == 1)
                .unwrap_or(false)
        }
    })
    .await;
    let mail = std::fs::read_dir(&dir)
        .expect("dir")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let text = String::from_utf8_lossy(&std::fs::read(mail).expect("eml")).to_string();
    assert!(text.contains(&number), "number in the mail");
    assert!(text.contains("erika.mustermann@example.org"));
    // Model and location as the partner registered the device in the Services Manager.
    assert!(
        text.contains("for XRX9A1234567 (AltaLink C8055)") || text.contains("AltaLink C8055"),
        "model in the mail:\n{text}"
    );
    assert!(text.contains("3rd floor"), "location in the mail:\n{text}");
    assert!(!text.contains("()"), "an empty model in brackets:\n{text}");
}

#[tokio::test]
async fn supply_incident_with_two_supplies() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let supplies = serde_json::json!([
        {"index": "1.1", "description": "Black Toner", "part_number": "006R01697", "colorant": "black", "percent": 28},
        {"index": "1.3", "description": "Magenta Toner", "part_number": "006R01699", "colorant": "magenta", "percent": 8}
    ]);
    let (status, body) = panel
        .post(
            "/api/v1/supply-incidents",
            Some("k-supply-1"),
            serde_json::json!({"supplies": supplies, "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, list) = panel.get("/api/v1/incidents?kind=supply").await;
    assert_eq!(list[0]["supplies"].as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["supplies"][1]["part_number"], "006R01699");
}

#[tokio::test]
async fn meter_reads_reach_the_manager() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    let meters = serde_json::json!([{"id": "total-impressions", "name": "Total impressions", "value": 284711}, {"id": "black-impressions", "name": "Black impressions", "value": 181255}]);
    let (status, body) = panel
        .post(
            "/api/v1/meter-reads",
            Some("k-meters-1"),
            serde_json::json!({ "meters": meters, "contact": contact() }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // A number a person can quote, counted per partner, not the read's UUID.
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(
        body["incident_number"],
        format!("MR-{year}-000001"),
        "{body}"
    );
    let client = manager::client::ManagerClient::new(
        &sys.manager.base,
        secrecy::SecretString::from(sys.manager.api_key.clone()),
    )
    .expect("client");
    let reads = client
        .list_meter_reads(SERIAL_A, chrono::Utc::now() - chrono::Duration::days(1))
        .await
        .expect("reads");
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].meters.len(), 2);
    // The person left an e-mail address: a confirmation with the meters goes out.
    let dir = sys.assistant.mail_dir.clone();
    eventually("the meter confirmation", || {
        let dir = dir.clone();
        async move {
            std::fs::read_dir(&dir)
                .map(|d| d.count() == 1)
                .unwrap_or(false)
        }
    })
    .await;
    let mail = std::fs::read_dir(&dir)
        .expect("dir")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let text = String::from_utf8_lossy(&std::fs::read(mail).expect("eml")).to_string();
    assert!(
        text.contains("Your meter reads") && text.contains("284,711"),
        "{text}"
    );
    assert!(text.contains(&format!("MR-{year}-000001")), "{text}");
    assert!(text.contains("3rd floor"), "location in the mail:\n{text}");
}

/// The device reports its meters with English names; the confirmation names them in the
/// language of the app configuration, as the panel does.
#[tokio::test]
async fn the_meter_confirmation_names_the_meters_in_the_configured_language() {
    let sys = start_system().await;
    let config = gallery::config::AppConfiguration {
        language: Some("de".parse().expect("language")),
        ..Default::default()
    };
    let panel = sys.panel_with(SERIAL_A, &config);
    let meters = serde_json::json!([
        {"id": "total-impressions", "name": "Total impressions", "value": 284711},
        {"id": "vendor-special", "name": "Special counter", "value": 12}
    ]);
    let (status, body) = panel
        .post(
            "/api/v1/meter-reads",
            Some("k-meters-de"),
            serde_json::json!({ "meters": meters, "contact": contact() }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let dir = sys.assistant.mail_dir.clone();
    eventually("the meter confirmation", || {
        let dir = dir.clone();
        async move {
            std::fs::read_dir(&dir)
                .map(|d| d.count() == 1)
                .unwrap_or(false)
        }
    })
    .await;
    let mail = std::fs::read_dir(&dir)
        .expect("dir")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let raw = String::from_utf8_lossy(&std::fs::read(mail).expect("eml")).to_string();
    // Quoted-printable soft line breaks joined, so a name is found whole.
    let text = raw.replace("=\r\n", "").replace("=\n", "");
    assert!(text.contains("Drucke gesamt"), "{text}");
    assert!(!text.contains("Total impressions"), "{text}");
    // A meter we have no words for keeps the device's own name.
    assert!(text.contains("Special counter"), "{text}");
}

#[tokio::test]
async fn common_issues_are_listed_in_the_device_language() {
    let sys = start_system().await;
    let (status, body) = sys
        .panel(SERIAL_A)
        .get("/api/v1/service-issues?lang=de")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(7));
    assert_eq!(body[0]["label"], "Papierstau");
}

#[tokio::test]
async fn demo_mode_answers_from_fake_data_and_sends_nothing() {
    let sys = start_system().await;
    let mut panel = sys.panel(SERIAL_A);
    panel.demo = true;
    let (status, body) = panel
        .post(
            "/api/v1/service-incidents",
            Some("k-demo"),
            serde_json::json!({"issue_code": "noise", "description": "", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "demo");
    let (_, list) = panel.get("/api/v1/incidents").await;
    assert!(
        list[0]["description"]
            .as_str()
            .expect("text")
            .starts_with("DEMO")
    );
    panel.demo = false;
    let (_, list) = panel.get("/api/v1/incidents").await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "nothing reached the manager"
    );
    assert!(
        std::fs::read_dir(&sys.assistant.mail_dir)
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "no mail"
    );
}

#[tokio::test]
async fn openapi_document_is_3_1_and_lists_every_route() {
    let sys = start_system().await;
    let doc: serde_json::Value = reqwest::get(format!("{}/openapi.json", sys.assistant.base))
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/startup",
        "/api/v1/device-report",
        "/api/v1/incidents",
        "/api/v1/service-issues",
        "/api/v1/service-incidents",
        "/api/v1/supply-incidents",
        "/api/v1/meter-reads",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(
        doc["components"]["securitySchemes"]
            .get("device_credential")
            .is_some()
    );
}
