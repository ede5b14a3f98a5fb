//! The administrator at the panel: login, logout, idle timeout, rate limit, and what the Session
//! service reports.

use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn walk_up_user_until_the_admin_logs_in_and_again_after_logout() {
    let app = spawn_app().await;
    assert!(!session_is_admin(&app).await);

    let form = app
        .client
        .get(format!("{}/login", app.url))
        .send()
        .await
        .expect("login page");
    assert_eq!(form.status(), 200);
    assert!(
        form.text()
            .await
            .expect("html")
            .contains("type=\"password\"")
    );

    let response = login(&app, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 303);
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(!set_cookie.contains(ADMIN_PASSWORD));
    let cookie = session_cookie(&response).expect("sa_device_session");
    assert!(
        cookie.len() > "sa_device_session=".len() + 32,
        "a long random token"
    );

    assert!(session_is_admin(&app).await);
    let (_, panel) = get_panel(&app, Some(&cookie)).await;
    assert!(panel.contains("Administrator logged in") && panel.contains("action=\"/logout\""));
    let (_, anonymous_panel) = get_panel(&app, None).await;
    assert!(
        anonymous_panel.contains("href=\"/login\""),
        "without the cookie the panel offers login"
    );

    let out = app
        .client
        .post(format!("{}/logout", app.url))
        .header("Cookie", &cookie)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 303);
    let cleared = out
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(!session_is_admin(&app).await);
    let (_, panel) = get_panel(&app, Some(&cookie)).await;
    assert!(
        panel.contains("href=\"/login\""),
        "the old token no longer works"
    );
}

#[tokio::test]
async fn wrong_password_is_refused_and_no_session_starts() {
    let app = spawn_app().await;
    let response = login(&app, "guess").await;
    assert_eq!(response.status(), 401);
    assert!(session_cookie(&response).is_none());
    assert!(
        response
            .text()
            .await
            .expect("html")
            .contains("Wrong password")
    );
    assert!(!session_is_admin(&app).await);
}

#[tokio::test]
async fn session_ends_after_five_idle_minutes_and_activity_keeps_it() {
    let app = spawn_app().await;
    let cookie = session_cookie(&login(&app, ADMIN_PASSWORD).await).expect("cookie");

    app.clock.advance(chrono::Duration::seconds(4 * 60));
    let (_, panel) = get_panel(&app, Some(&cookie)).await;
    assert!(
        panel.contains("Administrator logged in"),
        "still within 5 minutes; this request is activity"
    );
    app.clock.advance(chrono::Duration::seconds(4 * 60));
    assert!(
        session_is_admin(&app).await,
        "4 idle minutes since the last activity"
    );

    app.clock.advance(chrono::Duration::seconds(60));
    assert!(
        !session_is_admin(&app).await,
        "5 idle minutes end the session"
    );
    let (_, panel) = get_panel(&app, Some(&cookie)).await;
    assert!(panel.contains("href=\"/login\""));
}

#[tokio::test]
async fn idle_timeout_is_configurable() {
    let app = spawn_app_with(|s| s.with_session_idle_timeout(Duration::from_secs(30))).await;
    let _cookie = session_cookie(&login(&app, ADMIN_PASSWORD).await).expect("cookie");
    app.clock.advance(chrono::Duration::seconds(29));
    assert!(session_is_admin(&app).await);
    app.clock.advance(chrono::Duration::seconds(1));
    assert!(!session_is_admin(&app).await);
}

#[tokio::test]
async fn five_failures_a_minute_block_even_the_right_password_until_the_minute_passes() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(login(&app, "wrong").await.status(), 401);
    }
    let blocked = login(&app, ADMIN_PASSWORD).await;
    assert_eq!(blocked.status(), 429);
    assert!(blocked.headers().get("retry-after").is_some());
    assert!(session_cookie(&blocked).is_none());
    assert!(
        blocked
            .text()
            .await
            .expect("html")
            .contains("Too many failed logins")
    );

    // The same limit guards the install API's Basic credentials.
    let install = install(
        &app,
        Some(ADMIN_PASSWORD),
        &install_body("sa", "1.0.0", &weblet("sa", "1.0.0")),
    )
    .await;
    assert_eq!(install.status(), 429);

    app.clock.advance(chrono::Duration::seconds(61));
    let ok = login(&app, ADMIN_PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert!(session_cookie(&ok).is_some());
}
