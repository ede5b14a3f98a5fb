use crate::helpers::*;
use assistant::mail::{FolderTransport, Language, MailSettings, MailTransport, render};

#[tokio::test]
async fn folder_writes_one_parseable_eml_named_by_date_and_reference() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("mail");
    let transport = MailSettings::parse_with_env(&format!("folder:{}", outbox.display()), |_| None)
        .unwrap()
        .build()
        .unwrap();
    let message = render(&service("Jams daily", Language::En), &from()).unwrap();
    transport.send(&message).await.unwrap();

    let names: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["20261124T090500Z-ref-7f3a2c-SR-2026-000123.eml".to_string()],
        "no temp files left behind"
    );
    let bytes = std::fs::read(outbox.join(&names[0])).unwrap();
    assert_eq!(bytes, message.formatted());
    let p = parse_message(&bytes);
    assert_shows_service_confirmation(&p);
    assert!(p.text.contains("Jams daily"));
}

#[tokio::test]
async fn folder_sending_the_same_confirmation_again_replaces_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FolderTransport::new(dir.path()).unwrap();
    let c = service("x", Language::En);
    transport.send(&render(&c, &from()).unwrap()).await.unwrap();
    transport.send(&render(&c, &from()).unwrap()).await.unwrap();
    let mut pending = c.clone();
    pending.number = None;
    transport
        .send(&render(&pending, &from()).unwrap())
        .await
        .unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "20261124T090500Z-ref-7f3a2c-SR-2026-000123.eml".to_string(),
            "20261124T090500Z-ref-7f3a2c.eml".to_string(),
        ]
    );
}

#[tokio::test]
async fn folder_keeps_a_hostile_reference_inside_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join("inner");
    let transport = FolderTransport::new(&inner).unwrap();
    let mut c = service("x", Language::En);
    c.reference = "../../etc/passwd".into();
    transport.send(&render(&c, &from()).unwrap()).await.unwrap();
    let names: Vec<String> = std::fs::read_dir(&inner)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1);
    assert!(
        !names[0].contains('/') && !names[0].contains(".."),
        "{names:?}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written outside"
    );
}

#[tokio::test]
async fn folder_that_cannot_be_written_is_a_transient_error() {
    let dir = tempfile::tempdir().unwrap();
    let transport = FolderTransport::new(dir.path().join("mail")).unwrap();
    // Replace the directory with a file: writing into it must fail.
    std::fs::remove_dir(dir.path().join("mail")).unwrap();
    std::fs::write(dir.path().join("mail"), b"not a directory").unwrap();
    let err = transport
        .send(&render(&service("x", Language::En), &from()).unwrap())
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}
