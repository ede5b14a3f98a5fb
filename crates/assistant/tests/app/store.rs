//! One suite for the outbox on both databases.

use std::sync::Arc;
use std::time::Duration;

use assistant::store::{
    Inserted, NewSubmission, OutboxStore, PgStore, SqliteStore, StoreError, Submission,
    SubmissionKind, SubmissionState,
};
use chrono::{TimeZone, Utc};
use uuid::Uuid;

fn pg_url() -> String {
    std::env::var("DATABASE_URL_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database of each kind (PostgreSQL: a database of its own, dropped with the guard).
pub enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Db::Postgres(name) = self {
            let name = name.clone();
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&pg_url()).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut c)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

pub async fn open(kind: &str) -> (Arc<dyn OutboxStore>, Db, String) {
    if kind == "sqlite" {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        (
            Arc::new(SqliteStore::open(&url).await.expect("sqlite")),
            Db::Sqlite(dir),
            url,
        )
    } else {
        use sqlx::Connection;
        let name = format!("assistant_t_{}", Uuid::new_v4().simple());
        let mut c = sqlx::PgConnection::connect(&pg_url())
            .await
            .expect("PostgreSQL at DATABASE_URL_PG");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut c)
            .await
            .expect("create database");
        let base = pg_url();
        let url = format!(
            "{}/{name}",
            base.rsplit_once('/').map(|(b, _)| b).unwrap_or(&base)
        );
        (
            Arc::new(PgStore::open(&url).await.expect("postgres")),
            Db::Postgres(name),
            url,
        )
    }
}

fn new(key: &str, hash: &str) -> NewSubmission {
    let id = Uuid::now_v7();
    NewSubmission {
        id,
        reference: format!("REF-{}", id.simple()),
        device_serial: "XRX1".into(),
        tenant: "acme".into(),
        kind: SubmissionKind::ServiceIncident,
        idempotency_key: key.into(),
        request_hash: hash.into(),
        payload: serde_json::json!({"language": "en", "title": "t", "model": null}),
        contact_sealed: Some("sealed-contact".into()),
        send_mail: true,
        created_at: t0(),
        lease_until: None,
    }
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .expect("time")
}

async fn claim(store: &dyn OutboxStore, at: chrono::DateTime<Utc>) -> Vec<Submission> {
    store
        .claim_due(at, Duration::from_secs(30), 10)
        .await
        .expect("claim")
}

fn token(s: &Submission) -> Uuid {
    s.claim.expect("claimed").token
}

async fn lifecycle(kind: &str) {
    let (store, _db, _) = open(kind).await;
    let first = match store.insert(new("k1", "h1")).await.expect("insert") {
        Inserted::New(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(first.state, SubmissionState::Accepted);
    assert!(
        matches!(store.insert(new("k1", "h1")).await.expect("again"), Inserted::Existing(s) if s.id == first.id)
    );
    assert!(matches!(
        store.insert(new("k1", "other")).await,
        Err(StoreError::IdempotencyConflict(_))
    ));
    let now = first.created_at;
    let claimed = claim(store.as_ref(), now).await;
    assert_eq!(claimed.len(), 1);
    assert!(claim(store.as_ref(), now).await.is_empty(), "leased");
    let t = token(&claimed[0]);
    assert!(
        store
            .retry_later(first.id, t, now + chrono::Duration::seconds(5), "down")
            .await
            .expect("retry")
    );
    assert!(claim(store.as_ref(), now).await.is_empty(), "not due yet");
    let later = now + chrono::Duration::seconds(6);
    let again = claim(store.as_ref(), later).await;
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    assert!(
        !store
            .record_delivery(first.id, t, "SR-2026-000001")
            .await
            .expect("stale token"),
        "the first claim's token no longer moves the row"
    );
    assert!(
        store
            .record_delivery(first.id, token(&again[0]), "SR-2026-000001")
            .await
            .expect("delivered")
    );
    let s = store.get(first.id).await.expect("get").expect("row");
    assert_eq!(
        (
            s.state,
            s.incident_number.as_deref(),
            s.contact_sealed.is_some()
        ),
        (SubmissionState::Delivered, Some("SR-2026-000001"), true)
    );
    assert!(
        claim(store.as_ref(), later).await.is_empty(),
        "delivered, and the claim is kept for the mail step"
    );
    assert!(store.record_mail_sent(first.id, later).await.expect("sent"));
    assert!(
        !store.record_mail_sent(first.id, later).await.expect("sent"),
        "recorded once"
    );
    let s = store.get(first.id).await.expect("get").expect("row");
    assert_eq!(
        (s.state, s.contact_sealed),
        (SubmissionState::Done, None),
        "contact deleted once done"
    );
    let failing = match store.insert(new("k2", "h2")).await.expect("insert") {
        Inserted::New(s) => s,
        other => panic!("{other:?}"),
    };
    let c = claim(store.as_ref(), later).await;
    assert!(
        store
            .record_refusal(failing.id, token(&c[0]), "refused", false)
            .await
            .expect("refuse")
    );
    let s = store.get(failing.id).await.expect("get").expect("row");
    assert_eq!(
        (s.state, s.contact_sealed, s.last_error.as_deref()),
        (SubmissionState::Refused, None, Some("refused"))
    );
    // Done and refused rows are never claimed again, however late.
    assert!(
        claim(store.as_ref(), later + chrono::Duration::days(1))
            .await
            .is_empty()
    );
}

/// A send whose lease ran out is still recorded once it completed, and then no other worker
/// can claim the row: a completed send is never repeated.
async fn completed_send_after_the_lease_ran_out(kind: &str) {
    let (store, _db, _) = open(kind).await;
    let s = match store.insert(new("k1", "h1")).await.expect("insert") {
        Inserted::New(s) => s,
        other => panic!("{other:?}"),
    };
    let now = t0();
    let c = claim(store.as_ref(), now).await;
    assert!(
        store
            .record_delivery(s.id, token(&c[0]), "SR-2026-000009")
            .await
            .expect("delivery")
    );
    // Renewal works while the lease holds, not after it ran out.
    let renewed = store
        .renew(
            s.id,
            token(&c[0]),
            now + chrono::Duration::seconds(10),
            Duration::from_secs(30),
        )
        .await
        .expect("renew");
    assert_eq!(
        renewed.map(|c| c.until),
        Some(now + chrono::Duration::seconds(40))
    );
    let expired = now + chrono::Duration::seconds(41);
    assert_eq!(
        store
            .renew(s.id, token(&c[0]), expired, Duration::from_secs(30))
            .await
            .expect("renew"),
        None
    );
    // Another worker takes it over; the first one's send completes and is recorded anyway.
    let taken = claim(store.as_ref(), expired).await;
    assert_eq!(taken.len(), 1);
    assert!(store.record_mail_sent(s.id, expired).await.expect("sent"));
    // The new holder cannot renew before its own send, so it never sends.
    assert_eq!(
        store
            .renew(s.id, token(&taken[0]), expired, Duration::from_secs(30))
            .await
            .expect("renew"),
        None
    );
    assert!(
        claim(store.as_ref(), expired + chrono::Duration::days(1))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn completed_send_after_the_lease_ran_out_is_not_repeated_sqlite() {
    completed_send_after_the_lease_ran_out("sqlite").await;
}

#[tokio::test]
async fn completed_send_after_the_lease_ran_out_is_not_repeated_postgres() {
    completed_send_after_the_lease_ran_out("postgres").await;
}

#[tokio::test]
async fn outbox_lifecycle_sqlite() {
    lifecycle("sqlite").await;
}

#[tokio::test]
async fn outbox_lifecycle_postgres() {
    lifecycle("postgres").await;
}

/// Two instances claiming from one PostgreSQL outbox at once never get the same submission.
#[tokio::test]
async fn concurrent_claims_are_disjoint_on_postgres() {
    let (store, _db, url) = open("postgres").await;
    let other: Arc<dyn OutboxStore> = Arc::new(PgStore::open(&url).await.expect("second instance"));
    for i in 0..200 {
        store
            .insert(new(&format!("k{i}"), "h"))
            .await
            .expect("insert");
    }
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
        .single()
        .expect("time");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let (a, b) = tokio::join!(
            store.claim_due(now, Duration::from_secs(60), 7),
            other.claim_due(now, Duration::from_secs(60), 7)
        );
        for s in a.expect("a").into_iter().chain(b.expect("b")) {
            assert!(seen.insert(s.id), "{} claimed twice", s.reference);
        }
    }
    assert_eq!(seen.len(), 200);
}

/// The per-device token bucket on PostgreSQL is one for every instance: two stores on one
/// database, taking at once, let `burst` requests through in all.
#[tokio::test]
async fn shared_rate_limit_holds_across_two_instances_on_postgres() {
    let (store, _db, url) = open("postgres").await;
    let other: Arc<dyn OutboxStore> = Arc::new(PgStore::open(&url).await.expect("second instance"));
    store.share_rate_limit(10, 0.001);
    other.share_rate_limit(10, 0.001);
    let mut through = 0;
    for _ in 0..15 {
        let (a, b) = tokio::join!(store.take_rate_token("XRX1"), other.take_rate_token("XRX1"));
        for taken in [a, b] {
            match taken.expect("take").expect("shared on PostgreSQL") {
                Ok(()) => through += 1,
                Err(wait) => assert!(wait > Duration::from_secs(60), "{wait:?}"),
            }
        }
    }
    assert_eq!(through, 10);
    assert!(matches!(
        store.take_rate_token("XRX2").await.expect("take"),
        Some(Ok(()))
    ));
    // SQLite keeps limits in the process.
    let (lite, _ldb, _) = open("sqlite").await;
    lite.share_rate_limit(10, 0.001);
    assert!(lite.take_rate_token("XRX1").await.expect("take").is_none());
}

/// The shared buckets are swept: a bucket idle for longer than a full refill is deleted (it is the
/// same as none), so the table holds about the keys seen within one refill time, not every key
/// ever seen.
#[tokio::test]
async fn idle_rate_buckets_are_swept_on_postgres() {
    let (store, _db, url) = open("postgres").await;
    // Full again 1 ms after a take.
    store.share_rate_limit(1, 1000.0);
    for i in 0..300 {
        let taken = store
            .take_rate_token(&format!("ip:10.0.{}.{}", i / 256, i % 256))
            .await
            .expect("take");
        assert!(matches!(taken, Some(Ok(()))));
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    let pg = PgStore::open(&url).await.expect("pg");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rate_buckets")
        .fetch_one(pg.pool())
        .await
        .expect("count");
    assert!(
        rows <= 80,
        "{rows} buckets kept of 300 keys: at most one sweep interval's worth"
    );
    assert!(rows >= 1, "the latest keys are kept");
}

/// The per-address limit (requests without a device credential) holds across two assistant
/// instances on one PostgreSQL: `burst` requests in all, not per instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_per_address_limit_holds_across_two_assistants_on_postgres() {
    use crate::helpers::*;
    let (_store, _db, url) = open("postgres").await;
    let manager = start_manager().await;
    let gallery = start_gallery().await;
    let limit = Some(assistant::ops::RateLimitSettings {
        burst: 6,
        per_second: 0.001,
    });
    let a = start_assistant_limited(&manager, &gallery, Some(&url), limit).await;
    let b = start_assistant_limited(&manager, &gallery, Some(&url), limit).await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..16 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        // No credential: counted against the address.
        let res = http
            .get(format!("{base}/api/v1/incidents"))
            .send()
            .await
            .expect("request");
        statuses.push(res.status().as_u16());
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        limited,
        16 - 6,
        "6 answered in all (401), the rest 429: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    // A verified device is counted on its own bucket, not its address's.
    let panel_credential = gallery.credential(SERIAL_A);
    let res = http
        .get(format!("{}/api/v1/service-issues", a.base))
        .bearer_auth(&panel_credential)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
}
