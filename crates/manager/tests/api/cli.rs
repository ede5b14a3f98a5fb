//! The set-up commands, run as the binary runs them.

use manager::cli::*;

fn data(dir: &std::path::Path) -> DataArgs {
    DataArgs {
        database: format!("sqlite://{}", dir.join("m.db").display()),
        pg_schema: None,
        data_keys_file: dir.join("keys"),
    }
}

#[tokio::test]
async fn tenant_customer_device_and_api_key_commands_set_up_a_partner() {
    let dir = tempfile::tempdir().unwrap();
    run(ManagerCommand::Tenant(TenantCommand::Add {
        name: "Acme".into(),
        data: data(dir.path()),
    }))
    .await
    .unwrap();
    let store = open_store(&data(dir.path())).await.unwrap();
    let partners = store.list_partners().await.unwrap();
    assert_eq!(partners.len(), 1);
    run(ManagerCommand::Customer(CustomerCommand::Add {
        partner: "Acme".into(),
        name: "Contoso".into(),
        data: data(dir.path()),
    }))
    .await
    .unwrap();
    let customer = store.list_customers(partners[0].id).await.unwrap()[0].id;
    run(ManagerCommand::Device(DeviceCommand::Add {
        partner: partners[0].id.to_string(),
        customer,
        serial: "sn-9".into(),
        model: "M".into(),
        location: "L".into(),
        data: data(dir.path()),
    }))
    .await
    .unwrap();
    assert_eq!(
        store.list_devices(partners[0].id).await.unwrap()[0]
            .serial
            .as_str(),
        "SN-9"
    );
    run(ManagerCommand::ApiKey(ApiKeyCommand::Add {
        partner: "Acme".into(),
        name: "app".into(),
        data: data(dir.path()),
    }))
    .await
    .unwrap();
    let unknown = run(ManagerCommand::ApiKey(ApiKeyCommand::Add {
        partner: "Nobody".into(),
        name: "x".into(),
        data: data(dir.path()),
    }))
    .await;
    assert!(unknown.unwrap_err().to_string().contains("no partner"));
    // The key file was created once, readable only by its owner, and is reused.
    let keys = std::fs::read_to_string(dir.path().join("keys")).unwrap();
    assert!(
        keys.starts_with("k1="),
        "the key spec names its key: {keys}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
