use std::time::Duration;

use assistant::ops::OpsSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TEST_DEVICE_HEADER, problem, spawn_app};

const LIMIT: usize = 64 * 1024;

#[tokio::test]
async fn default_body_limit_is_64_kib() {
    assert_eq!(OpsSettings::default().body_limit, LIMIT);
}

#[tokio::test]
async fn body_at_the_limit_is_accepted() {
    let app = spawn_app(OpsSettings::default()).await;
    let res = app
        .client
        .post(app.url("/api/echo"))
        .header(TEST_DEVICE_HEADER, "dev-1")
        .body(vec![b'a'; LIMIT])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), format!("{LIMIT} bytes"));
    app.stop().await;
}

#[tokio::test]
async fn body_over_the_limit_is_413_problem_json() {
    let app = spawn_app(OpsSettings::default()).await;
    let res = app
        .client
        .post(app.url("/api/echo"))
        .header(TEST_DEVICE_HEADER, "dev-1")
        .body(vec![b'a'; LIMIT + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body = problem(res).await;
    assert!(
        body["detail"].as_str().unwrap().contains("65536 bytes"),
        "{body}"
    );
    app.stop().await;
}

/// Without a Content-Length the limit is enforced while the body is read.
#[tokio::test]
async fn chunked_body_over_the_limit_is_413_problem_json() {
    let app = spawn_app(OpsSettings::default()).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/echo HTTP/1.1\r\nHost: {}\r\n{TEST_DEVICE_HEADER}: dev-1\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 8 * 1024];
    // 10 chunks of 8 KiB = 80 KiB; the server may answer (and stop reading) before the end.
    for _ in 0..10 {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answer within 10 s")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains("\"status\":413"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn request_over_the_timeout_is_503_problem_json() {
    let settings = OpsSettings {
        request_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let app = spawn_app(settings).await;
    let res = app.get_as("dev-1", "/api/slow").await;
    assert_eq!(res.status(), 503);
    let body = problem(res).await;
    assert_eq!(
        body["type"],
        "https://support-assistant.dev/problems/request-timeout"
    );
    // A fast route on the same app is unaffected.
    assert_eq!(
        app.get_as("dev-1", "/api/devices/X1/echo").await.status(),
        200
    );
    app.stop().await;
}
