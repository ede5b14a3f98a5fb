use std::sync::atomic::Ordering;

use assistant::ops::OpsSettings;

use crate::helpers::{problem, spawn_app};

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let app = spawn_app(OpsSettings::default()).await;
    app.ready.store(false, Ordering::SeqCst);
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200, "liveness does not depend on readiness");
    app.stop().await;
}

#[tokio::test]
async fn readyz_is_503_with_the_reason_while_the_check_fails() {
    let app = spawn_app(OpsSettings::default()).await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    app.ready.store(false, Ordering::SeqCst);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body = problem(res).await;
    assert_eq!(
        body["detail"],
        "the database does not answer: connection refused"
    );

    app.ready.store(true, Ordering::SeqCst);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200, "ready again once the check passes");
    app.stop().await;
}
