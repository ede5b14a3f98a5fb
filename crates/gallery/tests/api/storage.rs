//! One storage suite, run against SQLite and PostgreSQL.

use crate::helpers::{Backend, TestDb, t0};
use chrono::{Duration, NaiveDate};
use gallery::domain::{AppId, DeviceSerial, Tenant};
use gallery::entitlement::{Contract, Entitlements};
use gallery::storage::{CredentialRecord, Device, Installation, Store, StoreError, StoredVersion};
use semver::Version;
use uuid::Uuid;

fn serial(s: &str) -> DeviceSerial {
    DeviceSerial::parse(s).expect("serial")
}

fn device(s: &str) -> Device {
    Device {
        serial: serial(s),
        tenant: Tenant::parse("partner-a.cust-1").expect("tenant"),
        auto_update: true,
    }
}

fn app() -> AppId {
    AppId::parse("support-assistant").expect("app")
}

fn stored_version(v: &str) -> StoredVersion {
    StoredVersion {
        app_id: app(),
        version: Version::parse(v).expect("version"),
        manifest_json: "{}".into(),
        package: vec![1, 2, 3, 0, 255],
        sha256: "ab".into(),
        published_at: t0(),
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("day")
}

async fn devices_are_stored_and_updated(store: std::sync::Arc<dyn Store>) {
    assert_eq!(store.device(&serial("D1")).await.expect("read"), None);
    store.put_device(&device("D1"), t0()).await.expect("put");
    let mut changed = device("D1");
    changed.auto_update = false;
    store.put_device(&changed, t0()).await.expect("put again");
    assert_eq!(
        store.device(&serial("D1")).await.expect("read"),
        Some(changed)
    );
}

async fn api_keys_are_found_by_hash(store: std::sync::Arc<dyn Store>) {
    assert!(!store.api_key_hash_exists("h1").await.expect("read"));
    store.add_api_key_hash("h1", "ci", t0()).await.expect("add");
    store
        .add_api_key_hash("h1", "ci", t0())
        .await
        .expect("add twice is fine");
    assert!(store.api_key_hash_exists("h1").await.expect("read"));
}

async fn configuration_needs_a_device_and_keeps_the_latest_blob(store: std::sync::Arc<dyn Store>) {
    assert!(matches!(
        store.put_configuration(&serial("NOPE"), "blob", t0()).await,
        Err(StoreError::NotFound(_))
    ));
    store.put_device(&device("D1"), t0()).await.expect("put");
    store
        .put_configuration(&serial("D1"), "blob-1", t0())
        .await
        .expect("put");
    store
        .put_configuration(&serial("D1"), "blob-2", t0())
        .await
        .expect("put");
    assert_eq!(
        store
            .configuration(&serial("D1"))
            .await
            .expect("read")
            .as_deref(),
        Some("blob-2")
    );
}

async fn entitlement_dates_round_trip(store: std::sync::Arc<dyn Store>) {
    store.put_device(&device("D1"), t0()).await.expect("put");
    let entitlements = Entitlements {
        service: Some(Contract::new(day(2026, 1, 1), day(2026, 12, 31)).expect("c")),
        supplies: None,
    };
    store
        .put_entitlements(&serial("D1"), &entitlements, t0())
        .await
        .expect("put");
    assert_eq!(
        store.entitlements(&serial("D1")).await.expect("read"),
        Some(entitlements)
    );
    let both = Entitlements {
        service: None,
        supplies: Some(Contract::new(day(2028, 2, 29), day(2029, 2, 28)).expect("c")),
    };
    store
        .put_entitlements(&serial("D1"), &both, t0())
        .await
        .expect("replace");
    assert_eq!(
        store.entitlements(&serial("D1")).await.expect("read"),
        Some(both)
    );
}

async fn versions_are_unique_sorted_and_keep_their_bytes(store: std::sync::Arc<dyn Store>) {
    for v in ["1.10.0", "1.2.0", "1.9.1"] {
        store.add_version(&stored_version(v)).await.expect("add");
    }
    assert!(matches!(
        store.add_version(&stored_version("1.2.0")).await,
        Err(StoreError::Conflict(_))
    ));
    let versions: Vec<String> = store
        .versions(&app())
        .await
        .expect("list")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(versions, ["1.2.0", "1.9.1", "1.10.0"]);
    let read = store
        .version(&app(), &Version::parse("1.9.1").expect("v"))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(read, stored_version("1.9.1"));
}

async fn installations_and_revocations(store: std::sync::Arc<dyn Store>) {
    store.put_device(&device("D1"), t0()).await.expect("put");
    let id = Uuid::from_u128(42);
    let credential = CredentialRecord {
        id,
        serial: serial("D1"),
        tenant: Tenant::parse("partner-a.cust-1").expect("tenant"),
        app_id: app(),
        key_id: "sig1".into(),
        issued_at: t0(),
        expires_at: t0() + Duration::days(30),
        revoked_at: None,
    };
    let installation = Installation {
        serial: serial("D1"),
        app_id: app(),
        version: Version::parse("1.0.0").expect("v"),
        credential_id: id,
        installed_at: t0(),
    };
    store
        .record_installation(&credential, &installation)
        .await
        .expect("record");
    assert_eq!(
        store.installations(&serial("D1")).await.expect("list"),
        [installation]
    );
    assert_eq!(store.credential(id).await.expect("read"), Some(credential));
    assert!(
        store
            .revoked_credentials(t0())
            .await
            .expect("list")
            .is_empty()
    );
    assert!(store.revoke_credential(id, t0()).await.expect("revoke"));
    assert!(
        !store
            .revoke_credential(Uuid::from_u128(1), t0())
            .await
            .expect("revoke")
    );
    assert_eq!(store.revoked_credentials(t0()).await.expect("list"), [id]);
    // Once expired, it no longer needs to be on the list.
    assert!(
        store
            .revoked_credentials(t0() + Duration::days(30))
            .await
            .expect("list")
            .is_empty()
    );
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::TestDb::new(super::Backend::Sqlite).await;
                    super::$name(db.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::TestDb::new(super::Backend::Postgres).await;
                    super::$name(db.store.clone()).await;
                }
            )*
        }
    };
}

both_backends!(
    devices_are_stored_and_updated,
    api_keys_are_found_by_hash,
    configuration_needs_a_device_and_keeps_the_latest_blob,
    entitlement_dates_round_trip,
    versions_are_unique_sorted_and_keep_their_bytes,
    installations_and_revocations,
);
