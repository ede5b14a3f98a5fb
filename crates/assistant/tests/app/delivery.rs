use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn manager_outage_answers_202_and_delivers_once_it_is_back() {
    let mut sys = start_system().await;
    sys.manager.stop();
    let panel = sys.panel(SERIAL_A);
    let (status, body) = panel
        .post(
            "/api/v1/service-incidents",
            Some("k-outage"),
            serde_json::json!({"issue_code": "noise", "contact": contact()}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert!(body["incident_number"].is_null());
    let reference = body["reference"].as_str().expect("reference").to_string();
    assert!(reference.starts_with("REF-"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    sys.manager.restart().await;
    // The worker's backoff starts at 1 s; wake it up sooner by nothing: it retries on its own.
    let panel = sys.panel(SERIAL_A);
    eventually("delivery after the outage", || async {
        let (_, list) = panel.get("/api/v1/incidents").await;
        list.as_array().map(Vec::len) == Some(1)
    })
    .await;
    // Once, not twice.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, list) = panel.get("/api/v1/incidents").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let dir = sys.assistant.mail_dir.clone();
    eventually("the confirmation e-mail with the number", || {
        let dir = dir.clone();
        async move {
            std::fs::read_dir(&dir)
                .map(|d| d.count() == 1)
                .unwrap_or(false)
        }
    })
    .await;
}

#[tokio::test]
async fn no_contact_details_stay_in_the_assistant_database_after_delivery() {
    let sys = start_system().await;
    let panel = sys.panel(SERIAL_A);
    for i in 0..3 {
        let (status, _) = panel
            .post(
                "/api/v1/service-incidents",
                Some(&format!("k{i}")),
                serde_json::json!({"issue_code": "noise", "contact": contact()}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let store = sys.assistant.state.services.store.clone();
    eventually("every submission done", || {
        let store = store.clone();
        async move {
            store
                .counts()
                .await
                .map(|c| {
                    c.iter()
                        .all(|(s, n)| *s == assistant::store::SubmissionState::Done || *n == 0)
                })
                .unwrap_or(false)
        }
    })
    .await;
    // The database files, WAL included, hold no trace of the contact (it was also only ever sealed).
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{suffix}", sys.assistant.db_path.display()));
        if let Ok(b) = std::fs::read(&p) {
            bytes.extend(b);
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    for needle in [
        "Erika",
        "Mustermann",
        "erika.mustermann@example.org",
        "1234567",
    ] {
        assert!(
            !text.contains(needle),
            "{needle} found in the assistant's database"
        );
    }
}
