//! The storage suite: every test runs against SQLite and PostgreSQL.

use crate::helpers::{Backend, both_backends, seed, t0, test_store};
use chrono::Duration;
use manager::domain::*;
use manager::storage::*;

fn contact() -> Contact {
    Contact {
        name: ContactName::parse("Ana Lopez").unwrap(),
        email: EmailAddress::parse("ana@example.com").unwrap(),
        phone: Some(PhoneNumber::parse("+49 30 1234567").unwrap()),
    }
}

fn service(serial: &str, text: &str) -> NewIncident {
    NewIncident {
        device_serial: DeviceSerial::parse(serial).unwrap(),
        kind: IncidentKind::Service,
        issue_code: Some(IssueCode::parse("paper_jam").unwrap()),
        description: FreeText::parse(text).unwrap(),
        supplies: vec![],
        contact: contact(),
    }
}

fn idem(key: &str, hash: &str) -> Idempotency {
    Idempotency {
        key: key.into(),
        request_hash: hash.into(),
    }
}

fn read(
    serial: &str,
    at: chrono::DateTime<chrono::Utc>,
    value: i64,
    replacement: bool,
) -> NewMeterRead {
    NewMeterRead {
        device_serial: DeviceSerial::parse(serial).unwrap(),
        read_at: at,
        source: MeterSource::WalkUp,
        meter_replacement: replacement,
        meters: vec![MeterValue {
            id: "total".into(),
            name: "Total".into(),
            value,
        }],
    }
}

both_backends!(
    incidents_get_year_numbers_in_sequence_and_round_trip,
    same_idempotency_key_replays_and_other_body_conflicts,
    concurrent_identical_creates_make_one_incident,
    contact_details_are_encrypted_at_rest,
    status_changes_follow_lifecycle_and_keep_history,
    device_incidents_since_and_search_filters_and_paging,
    meter_reads_refuse_rollback_unless_replacement,
    meter_read_is_idempotent,
    retention_removes_contacts_of_incidents_closed_long_ago,
    partners_never_see_each_others_data,
    users_and_sessions,
    incident_numbers_count_per_partner,
    meter_read_numbers_count_per_partner_and_survive_a_replay,
);

async fn incidents_get_year_numbers_in_sequence_and_round_trip(b: Backend) {
    let t = test_store(b).await;
    let (p, _) = seed(&*t.store, "Acme", "SN-1").await;
    let a = t
        .store
        .create_incident(p, &idem("k1", "h1"), &service("SN-1", "jam in tray 2"))
        .await
        .unwrap();
    let b2 = t
        .store
        .create_incident(p, &idem("k2", "h2"), &service("sn-1", "again"))
        .await
        .unwrap();
    assert!(!a.is_replay());
    let (a, b2) = (a.into_inner(), b2.into_inner());
    assert_eq!(a.number.to_string(), "SR-2026-000001");
    assert_eq!(b2.number.to_string(), "SR-2026-000002");
    assert_eq!(a.status, IncidentStatus::Open);
    assert_eq!(a.created_at, t0());
    let got = t.store.get_incident(p, &a.number).await.unwrap().unwrap();
    assert_eq!(got, a);
    assert_eq!(got.description, "jam in tray 2");
    assert_eq!(
        got.contact.as_ref().unwrap().email.expose(),
        "ana@example.com"
    );
    // Supply incidents keep what was requested.
    let mut s = service("SN-1", "");
    s.kind = IncidentKind::Supply;
    s.issue_code = None;
    s.supplies = vec![SupplyItem {
        description: "Black Toner".into(),
        part_number: Some("TN-1".into()),
        colorant: Some("black".into()),
        level_percent: Some(3),
    }];
    let sup = t
        .store
        .create_incident(p, &idem("k3", "h3"), &s)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sup.supplies, s.supplies);
    assert_eq!(sup.kind, IncidentKind::Supply);
    // An unknown device is refused.
    let err = t
        .store
        .create_incident(p, &idem("k4", "h4"), &service("NOPE", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound("device")), "{err:?}");
}

async fn same_idempotency_key_replays_and_other_body_conflicts(b: Backend) {
    let t = test_store(b).await;
    let (p, _) = seed(&*t.store, "Acme", "SN-1").await;
    let first = t
        .store
        .create_incident(p, &idem("same", "hash-a"), &service("SN-1", "a"))
        .await
        .unwrap();
    let again = t
        .store
        .create_incident(p, &idem("same", "hash-a"), &service("SN-1", "a"))
        .await
        .unwrap();
    assert!(again.is_replay());
    assert_eq!(first.into_inner().id, again.into_inner().id);
    let other = t
        .store
        .create_incident(p, &idem("same", "hash-b"), &service("SN-1", "b"))
        .await;
    assert!(
        matches!(other, Err(StoreError::IdempotencyMismatch)),
        "{other:?}"
    );
    let (all, total) = t
        .store
        .search_incidents(p, &IncidentFilter::default(), 0, 50)
        .await
        .unwrap();
    assert_eq!((all.len(), total), (1, 1));
}

async fn concurrent_identical_creates_make_one_incident(b: Backend) {
    let t = test_store(b).await;
    let (p, _) = seed(&*t.store, "Acme", "SN-1").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = t.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_incident(p, &idem("race", "same-hash"), &service("SN-1", "race"))
                .await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    let mut new = 0;
    for task in tasks {
        let created = task.await.unwrap().unwrap();
        if !created.is_replay() {
            new += 1;
        }
        ids.insert(created.into_inner().id);
    }
    assert_eq!(new, 1, "exactly one create is new");
    assert_eq!(ids.len(), 1, "all callers got the same incident");
    let (_, total) = t
        .store
        .search_incidents(p, &IncidentFilter::default(), 0, 50)
        .await
        .unwrap();
    assert_eq!(total, 1);
}

async fn contact_details_are_encrypted_at_rest(b: Backend) {
    let t = test_store(b).await;
    let (p, _) = seed(&*t.store, "Acme", "SN-1").await;
    let inc = t
        .store
        .create_incident(p, &idem("k", "h"), &service("SN-1", "x"))
        .await
        .unwrap()
        .into_inner();
    let raw = t.store.raw_contact_columns(&inc.number).await.unwrap();
    assert_eq!(raw.len(), 3);
    for (col, plain) in raw
        .iter()
        .zip(["Ana Lopez", "ana@example.com", "+49 30 1234567"])
    {
        let col = col.as_deref().unwrap();
        assert_eq!(
            manager::crypto::KeyRing::key_id_of(col).as_deref(),
            Some("test1"),
            "key id stored in the value: {col}"
        );
        assert!(!col.contains(plain) && !col.contains("ana") && !col.contains("1234567"));
    }
}

async fn status_changes_follow_lifecycle_and_keep_history(b: Backend) {
    let t = test_store(b).await;
    let (p, _) = seed(&*t.store, "Acme", "SN-1").await;
    let inc = t
        .store
        .create_incident(p, &idem("k", "h"), &service("SN-1", "x"))
        .await
        .unwrap()
        .into_inner();
    let n = inc.number;
    let bad = t
        .store
        .change_status(p, &n, IncidentStatus::Resolved, "tech@a", "skip")
        .await;
    assert!(
        matches!(bad, Err(StoreError::InvalidTransition { .. })),
        "{bad:?}"
    );
    for (i, s) in [
        IncidentStatus::Acknowledged,
        IncidentStatus::Dispatched,
        IncidentStatus::Resolved,
        IncidentStatus::Closed,
    ]
    .into_iter()
    .enumerate()
    {
        t.clock.advance(Duration::minutes(10));
        let got = t
            .store
            .change_status(p, &n, s, "tech@acme", &format!("step {i}"))
            .await
            .unwrap();
        assert_eq!(got.status, s);
    }
    let closed = t.store.get_incident(p, &n).await.unwrap().unwrap();
    assert_eq!(closed.closed_at, Some(t0() + Duration::minutes(40)));
    let h = t.store.incident_history(p, &n).await.unwrap();
    assert_eq!(h.len(), 5);
    assert_eq!((h[0].from, h[0].to), (None, IncidentStatus::Open));
    assert_eq!(h[4].from, Some(IncidentStatus::Resolved));
    assert_eq!(h[4].to, IncidentStatus::Closed);
    assert_eq!(h[4].actor, "tech@acme");
    assert_eq!(h[4].comment, "step 3");
    assert_eq!(h[4].at, t0() + Duration::minutes(40));
    let after_close = t
        .store
        .change_status(p, &n, IncidentStatus::Cancelled, "x", "")
        .await;
    assert!(matches!(
        after_close,
        Err(StoreError::InvalidTransition { .. })
    ));
}

async fn device_incidents_since_and_search_filters_and_paging(b: Backend) {
    let t = test_store(b).await;
    let (p, d1) = seed(&*t.store, "Acme", "SN-1").await;
    let d2 = t
        .store
        .create_device(
            p,
            &NewDevice {
                customer_id: d1.customer_id,
                serial: DeviceSerial::parse("SN-2").unwrap(),
                model: Label::parse("M", 10).unwrap(),
                location: Label::parse("L", 10).unwrap(),
            },
        )
        .await
        .unwrap();
    for i in 0..5 {
        t.clock.set(t0() + Duration::days(i));
        t.store
            .create_incident(p, &idem(&format!("a{i}"), "h"), &service("SN-1", "x"))
            .await
            .unwrap();
    }
    let mut s = service("SN-2", "");
    s.kind = IncidentKind::Supply;
    t.store
        .create_incident(p, &idem("b", "h"), &s)
        .await
        .unwrap();
    let recent = t
        .store
        .list_device_incidents(p, &d1.serial, t0() + Duration::days(3))
        .await
        .unwrap();
    assert_eq!(recent.len(), 2);
    assert!(recent[0].created_at > recent[1].created_at, "newest first");
    assert!(
        recent.iter().all(|i| i.contact.is_none()),
        "lists do not carry contact details"
    );
    let f = IncidentFilter {
        device: Some(d2.serial.clone()),
        ..Default::default()
    };
    let (list, total) = t.store.search_incidents(p, &f, 0, 10).await.unwrap();
    assert_eq!((list.len(), total), (1, 1));
    let f = IncidentFilter {
        kind: Some(IncidentKind::Service),
        ..Default::default()
    };
    let (page1, total) = t.store.search_incidents(p, &f, 0, 2).await.unwrap();
    let (page3, _) = t.store.search_incidents(p, &f, 4, 2).await.unwrap();
    assert_eq!((page1.len(), page3.len(), total), (2, 1, 5));
    assert_ne!(page1[0].number, page3[0].number);
    let f = IncidentFilter {
        from: Some(t0() + Duration::days(1)),
        to: Some(t0() + Duration::days(3)),
        customer_id: Some(d1.customer_id),
        status: Some(IncidentStatus::Open),
        ..Default::default()
    };
    let (_, total) = t.store.search_incidents(p, &f, 0, 10).await.unwrap();
    assert_eq!(total, 2);
}

async fn meter_reads_refuse_rollback_unless_replacement(b: Backend) {
    let t = test_store(b).await;
    let (p, d) = seed(&*t.store, "Acme", "SN-1").await;
    let h = |k: &str| idem(k, k);
    t.store
        .record_meter_read(p, &h("r1"), &read("SN-1", t0(), 1000, false))
        .await
        .unwrap();
    let back = t
        .store
        .record_meter_read(
            p,
            &h("r2"),
            &read("SN-1", t0() + Duration::days(1), 999, false),
        )
        .await;
    match back {
        Err(StoreError::MeterRollback {
            meter_id,
            previous,
            value,
        }) => {
            assert_eq!((meter_id.as_str(), previous, value), ("total", 1000, 999));
        }
        other => panic!("expected rollback error, got {other:?}"),
    }
    // A read dated before an existing one may not exceed it.
    let above = t
        .store
        .record_meter_read(
            p,
            &h("r3"),
            &read("SN-1", t0() - Duration::days(1), 1500, false),
        )
        .await;
    assert!(
        matches!(above, Err(StoreError::MeterAboveLater { .. })),
        "{above:?}"
    );
    t.store
        .record_meter_read(
            p,
            &h("r4"),
            &read("SN-1", t0() + Duration::days(1), 1000, false),
        )
        .await
        .unwrap();
    t.store
        .record_meter_read(
            p,
            &h("r5"),
            &read("SN-1", t0() + Duration::days(2), 5, true),
        )
        .await
        .unwrap();
    t.store
        .record_meter_read(
            p,
            &h("r6"),
            &read("SN-1", t0() + Duration::days(3), 10, false),
        )
        .await
        .unwrap();
    let reads = t
        .store
        .list_meter_reads(p, &d.serial, t0() - Duration::days(30), 100)
        .await
        .unwrap();
    let values: Vec<i64> = reads.iter().map(|r| r.meters[0].value).collect();
    assert_eq!(
        values,
        vec![1000, 1000, 5, 10],
        "oldest first, refused reads not stored"
    );
    assert!(reads[2].meter_replacement);
    let since = t
        .store
        .list_meter_reads(p, &d.serial, t0() + Duration::days(2), 100)
        .await
        .unwrap();
    assert_eq!(since.len(), 2);
}

async fn meter_read_is_idempotent(b: Backend) {
    let t = test_store(b).await;
    let (p, d) = seed(&*t.store, "Acme", "SN-1").await;
    let a = t
        .store
        .record_meter_read(p, &idem("m", "h"), &read("SN-1", t0(), 10, false))
        .await
        .unwrap();
    let again = t
        .store
        .record_meter_read(p, &idem("m", "h"), &read("SN-1", t0(), 10, false))
        .await
        .unwrap();
    assert!(!a.is_replay() && again.is_replay());
    assert_eq!(a.into_inner(), again.into_inner());
    let other = t
        .store
        .record_meter_read(p, &idem("m", "h2"), &read("SN-1", t0(), 11, false))
        .await;
    assert!(matches!(other, Err(StoreError::IdempotencyMismatch)));
    assert_eq!(
        t.store
            .list_meter_reads(p, &d.serial, t0(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn retention_removes_contacts_of_incidents_closed_long_ago(b: Backend) {
    let t = test_store(b).await;
    let (p, _) = seed(&*t.store, "Acme", "SN-1").await;
    let mut numbers = vec![];
    for k in ["old", "recent", "open"] {
        numbers.push(
            t.store
                .create_incident(p, &idem(k, k), &service("SN-1", k))
                .await
                .unwrap()
                .into_inner()
                .number,
        );
    }
    let close = |n| {
        let store = t.store.clone();
        async move {
            for s in [
                IncidentStatus::Acknowledged,
                IncidentStatus::Dispatched,
                IncidentStatus::Resolved,
                IncidentStatus::Closed,
            ] {
                store.change_status(p, &n, s, "t", "").await.unwrap();
            }
        }
    };
    close(numbers[0]).await; // closed at t0
    t.clock.set(t0() + Duration::days(60));
    close(numbers[1]).await; // closed at t0 + 60 days
    t.clock.set(t0() + Duration::days(91));
    let job = manager::retention::RetentionJob {
        store: t.store.clone(),
        clock: t.clock.clone(),
        keep_days: 90,
    };
    assert_eq!(job.run_once().await.unwrap(), 1);
    assert_eq!(
        job.run_once().await.unwrap(),
        0,
        "second run finds nothing new"
    );
    let old = t.store.get_incident(p, &numbers[0]).await.unwrap().unwrap();
    assert!(old.contact.is_none());
    assert_eq!(old.description, "old", "the incident itself stays");
    assert_eq!(
        t.store.raw_contact_columns(&numbers[0]).await.unwrap(),
        vec![None, None, None]
    );
    assert!(
        t.store
            .get_incident(p, &numbers[1])
            .await
            .unwrap()
            .unwrap()
            .contact
            .is_some()
    );
    assert!(
        t.store
            .get_incident(p, &numbers[2])
            .await
            .unwrap()
            .unwrap()
            .contact
            .is_some()
    );
}

async fn partners_never_see_each_others_data(b: Backend) {
    let t = test_store(b).await;
    let (pa, da) = seed(&*t.store, "Acme", "SN-SHARED").await;
    let (pb, _) = seed(&*t.store, "Bolt", "SN-SHARED").await;
    let inc = t
        .store
        .create_incident(pa, &idem("k", "h"), &service("SN-SHARED", "a's"))
        .await
        .unwrap()
        .into_inner();
    t.store
        .record_meter_read(pa, &idem("m", "h"), &read("SN-SHARED", t0(), 10, false))
        .await
        .unwrap();
    assert!(
        t.store
            .get_incident(pb, &inc.number)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        t.store
            .incident_history(pb, &inc.number)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .list_device_incidents(pb, &da.serial, t0() - Duration::days(1))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        t.store
            .search_incidents(pb, &IncidentFilter::default(), 0, 10)
            .await
            .unwrap()
            .1,
        0
    );
    assert!(
        t.store
            .list_meter_reads(pb, &da.serial, t0() - Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let change = t
        .store
        .change_status(pb, &inc.number, IncidentStatus::Acknowledged, "b", "")
        .await;
    assert!(matches!(change, Err(StoreError::NotFound("incident"))));
    // The same idempotency key in another partner is another request.
    let b_inc = t
        .store
        .create_incident(pb, &idem("k", "h"), &service("SN-SHARED", "b's"))
        .await
        .unwrap();
    assert!(!b_inc.is_replay());
    assert_ne!(b_inc.into_inner().id, inc.id);
    assert_eq!(t.store.list_customers(pb).await.unwrap().len(), 1);
    assert_eq!(t.store.list_devices(pb).await.unwrap()[0].partner_id, pb);
    // A partner cannot add a device to another partner's customer.
    let steal = t
        .store
        .create_device(
            pb,
            &NewDevice {
                customer_id: da.customer_id,
                serial: DeviceSerial::parse("X").unwrap(),
                model: Label::parse("M", 10).unwrap(),
                location: Label::parse("L", 10).unwrap(),
            },
        )
        .await;
    assert!(
        matches!(steal, Err(StoreError::NotFound("customer"))),
        "{steal:?}"
    );
}

async fn users_and_sessions(b: Backend) {
    let t = test_store(b).await;
    let (p, _) = seed(&*t.store, "Acme", "SN-1").await;
    let u = t
        .store
        .create_user(p, "Admin@Acme.example", "$argon2id$x", Role::PartnerAdmin)
        .await
        .unwrap();
    assert_eq!(u.email, "admin@acme.example");
    let dup = t
        .store
        .create_user(p, "admin@acme.example", "h", Role::Technician)
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))));
    assert_eq!(
        t.store
            .find_user_by_email("ADMIN@acme.example")
            .await
            .unwrap()
            .unwrap()
            .id,
        u.id
    );
    t.store
        .create_session("tok", u.id, "csrf", t0() + Duration::hours(1))
        .await
        .unwrap();
    let s = t.store.find_session("tok").await.unwrap().unwrap();
    assert_eq!((s.user.id, s.csrf_token.as_str()), (u.id, "csrf"));
    t.clock.advance(Duration::hours(2));
    assert!(
        t.store.find_session("tok").await.unwrap().is_none(),
        "expired"
    );
    t.store.delete_session("tok").await.unwrap();
    let key_id = t
        .store
        .create_api_key(p, &Label::parse("assistant", 50).unwrap(), "hash1")
        .await
        .unwrap();
    assert!(!key_id.is_nil());
    assert_eq!(t.store.partner_for_api_key("hash1").await.unwrap(), Some(p));
    assert_eq!(t.store.partner_for_api_key("other").await.unwrap(), None);
}

/// Each partner's numbers start at 000001 and count on their own, so no partner can estimate
/// another's volume from its own numbers.
async fn incident_numbers_count_per_partner(b: Backend) {
    let t = test_store(b).await;
    let (pa, _) = seed(&*t.store, "Acme", "SN-A").await;
    let (pb, _) = seed(&*t.store, "Bolt", "SN-B").await;
    let create = |p, key: &'static str, serial: &'static str| {
        let store = t.store.clone();
        async move {
            store
                .create_incident(p, &idem(key, key), &service(serial, key))
                .await
                .unwrap()
                .into_inner()
                .number
                .to_string()
        }
    };
    assert_eq!(create(pa, "a1", "SN-A").await, "SR-2026-000001");
    assert_eq!(create(pb, "b1", "SN-B").await, "SR-2026-000001");
    assert_eq!(create(pa, "a2", "SN-A").await, "SR-2026-000002");
    assert_eq!(create(pb, "b2", "SN-B").await, "SR-2026-000002");
    assert_eq!(create(pb, "b3", "SN-B").await, "SR-2026-000003");
    // The same number names each partner's own incident.
    let a = t
        .store
        .get_incident(pa, &IncidentNumber::parse("SR-2026-000001").unwrap())
        .await
        .unwrap()
        .unwrap();
    let b1 = t
        .store
        .get_incident(pb, &IncidentNumber::parse("SR-2026-000001").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (a.description.as_str(), b1.description.as_str()),
        ("a1", "b1")
    );
}

/// Meter reads get `MR-YYYY-NNNNNN` numbers from their own per-partner counter (incidents keep
/// theirs); a replayed read answers with the number it got the first time.
async fn meter_read_numbers_count_per_partner_and_survive_a_replay(b: Backend) {
    let t = test_store(b).await;
    let (pa, _) = seed(&*t.store, "Acme", "SN-A").await;
    let (pb, _) = seed(&*t.store, "Bolt", "SN-B").await;
    let record = |p, key: &'static str, serial: &'static str, day: i64| {
        let store = t.store.clone();
        async move {
            store
                .record_meter_read(
                    p,
                    &idem(key, key),
                    &read(serial, t0() + Duration::days(day), 10 + day, false),
                )
                .await
                .unwrap()
                .into_inner()
                .number
                .to_string()
        }
    };
    assert_eq!(record(pa, "a1", "SN-A", 0).await, "MR-2026-000001");
    assert_eq!(record(pb, "b1", "SN-B", 0).await, "MR-2026-000001");
    assert_eq!(record(pa, "a2", "SN-A", 1).await, "MR-2026-000002");
    // An incident does not take a meter read number, nor the other way round.
    let incident = t
        .store
        .create_incident(pa, &idem("i1", "i1"), &service("SN-A", "jam"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(incident.number.to_string(), "SR-2026-000001");
    assert_eq!(record(pa, "a3", "SN-A", 2).await, "MR-2026-000003");
    // The replay of a2 answers with a2's number.
    assert_eq!(record(pa, "a2", "SN-A", 1).await, "MR-2026-000002");
    let listed: Vec<String> = t
        .store
        .list_meter_reads(pa, &DeviceSerial::parse("SN-A").unwrap(), t0(), 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.number.to_string())
        .collect();
    assert_eq!(
        listed,
        ["MR-2026-000001", "MR-2026-000002", "MR-2026-000003"]
    );
}
