//! Console login attempts in the storage (one suite for SQLite and PostgreSQL), and the
//! console's bound on concurrent password checks.

use crate::helpers::{Backend, both_backends, spawn_app_with, t0, test_store};
use chrono::Duration;
use manager::storage::{LoginLimit, LoginReservation};

both_backends!(
    attempts_are_reserved_per_key_until_the_limit_and_refused_ones_count_nothing,
    a_window_that_has_passed_starts_over,
    a_success_forgets_the_account_and_gives_the_address_its_attempt_back,
    concurrent_reservations_never_exceed_the_limit,
    rows_of_windows_that_have_passed_are_pruned,
    concurrent_logins_beyond_the_password_check_permits_are_answered_429,
);

fn limit(attempts: u32) -> LoginLimit {
    LoginLimit {
        attempts,
        window: Duration::minutes(15),
    }
}

fn keys(account: &str, address: &str) -> Vec<String> {
    vec![account.to_string(), address.to_string()]
}

async fn attempts_are_reserved_per_key_until_the_limit_and_refused_ones_count_nothing(b: Backend) {
    let t = test_store(b).await;
    let s = &t.store;
    for i in 0..3 {
        let at = t0() + Duration::minutes(i);
        let r = s
            .reserve_login_attempt(&keys("acc:a", "ip:1"), at, limit(3))
            .await
            .unwrap();
        assert_eq!(r, LoginReservation::Reserved, "attempt {i}");
    }
    let at = t0() + Duration::minutes(5);
    let r = s
        .reserve_login_attempt(&keys("acc:a", "ip:2"), at, limit(3))
        .await
        .unwrap();
    assert_eq!(
        r,
        LoginReservation::Blocked {
            retry_after: Duration::minutes(10)
        },
        "the account is used up; the lock ends 15 minutes after its first attempt"
    );
    // The address is used up too: another account from it is refused.
    let r = s
        .reserve_login_attempt(&keys("acc:b", "ip:1"), at, limit(3))
        .await
        .unwrap();
    assert!(matches!(r, LoginReservation::Blocked { .. }));
    // The refused attempts counted nothing: acc:b and ip:2 still have all their attempts.
    for _ in 0..3 {
        let r = s
            .reserve_login_attempt(&keys("acc:b", "ip:2"), at, limit(3))
            .await
            .unwrap();
        assert_eq!(r, LoginReservation::Reserved);
    }
}

async fn a_window_that_has_passed_starts_over(b: Backend) {
    let t = test_store(b).await;
    let s = &t.store;
    for _ in 0..2 {
        s.reserve_login_attempt(&keys("acc:a", "ip:1"), t0(), limit(2))
            .await
            .unwrap();
    }
    let locked = t0() + Duration::minutes(15) - Duration::seconds(1);
    assert!(matches!(
        s.reserve_login_attempt(&keys("acc:a", "ip:1"), locked, limit(2))
            .await
            .unwrap(),
        LoginReservation::Blocked { .. }
    ));
    let after = t0() + Duration::minutes(15);
    for _ in 0..2 {
        assert_eq!(
            s.reserve_login_attempt(&keys("acc:a", "ip:1"), after, limit(2))
                .await
                .unwrap(),
            LoginReservation::Reserved
        );
    }
}

async fn a_success_forgets_the_account_and_gives_the_address_its_attempt_back(b: Backend) {
    let t = test_store(b).await;
    let s = &t.store;
    for _ in 0..2 {
        s.reserve_login_attempt(&keys("acc:a", "ip:1"), t0(), limit(2))
            .await
            .unwrap();
    }
    s.settle_login_success("acc:a", "ip:1").await.unwrap();
    // The account starts afresh; the address has one attempt left (one of two was the success).
    assert_eq!(
        s.reserve_login_attempt(&keys("acc:a", "ip:1"), t0(), limit(2))
            .await
            .unwrap(),
        LoginReservation::Reserved
    );
    assert!(matches!(
        s.reserve_login_attempt(&keys("acc:c", "ip:1"), t0(), limit(2))
            .await
            .unwrap(),
        LoginReservation::Blocked { .. }
    ));
}

async fn concurrent_reservations_never_exceed_the_limit(b: Backend) {
    let t = test_store(b).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let s = t.store.clone();
        // One account, many addresses: only the account's count can stop them.
        tasks.spawn(async move {
            s.reserve_login_attempt(&keys("acc:a", &format!("ip:{i}")), t0(), limit(5))
                .await
                .unwrap()
        });
    }
    let mut reserved = 0;
    while let Some(r) = tasks.join_next().await {
        if r.unwrap() == LoginReservation::Reserved {
            reserved += 1;
        }
    }
    assert_eq!(reserved, 5);
}

async fn rows_of_windows_that_have_passed_are_pruned(b: Backend) {
    let t = test_store(b).await;
    let s = &t.store;
    s.reserve_login_attempt(&keys("acc:a", "ip:1"), t0(), limit(5))
        .await
        .unwrap();
    s.reserve_login_attempt(
        &keys("acc:b", "ip:1"),
        t0() + Duration::minutes(10),
        limit(5),
    )
    .await
    .unwrap();
    // Rows whose window began at or before the cut-off go: acc:a and ip:1 (it began at t0).
    assert_eq!(
        s.prune_login_attempts(t0() - Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(s.prune_login_attempts(t0()).await.unwrap(), 2);
    assert_eq!(
        s.prune_login_attempts(t0() + Duration::minutes(10))
            .await
            .unwrap(),
        1
    );
}

/// One password-check permit, a high attempt limit and the real argon2 cost: of 40 concurrent
/// logins some find the permit taken and are answered 429 with Retry-After at once (without a
/// bound they would all be checked, each holding ~19 MiB).
async fn concurrent_logins_beyond_the_password_check_permits_are_answered_429(b: Backend) {
    let app = spawn_app_with(b, |c| {
        c.password_cost = manager::auth::PasswordCost::Default;
        c.password_checks = 1;
        c.login_attempts = 1000;
    })
    .await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let http = app.http.clone();
        let base = app.base.clone();
        tasks.spawn(async move {
            crate::console::try_login_at(&http, &base, &format!("nobody{i}@acme.example"), "x")
                .await
        });
    }
    let mut statuses = vec![];
    while let Some(res) = tasks.join_next().await {
        let res = res.unwrap();
        let retry = res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        statuses.push((res.status().as_u16(), retry));
    }
    assert!(
        statuses.iter().all(|(s, _)| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .any(|(s, r)| *s == 429 && r.as_deref() == Some("1")),
        "busy checks answered 429, Retry-After: 1: {statuses:?}"
    );
    assert!(statuses.iter().any(|(s, _)| *s == 401), "{statuses:?}");
}
