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

/// Serves a one-route app with `limits` on 127.0.0.1:0; returns its address and a stopper.
async fn serve_with_limits(
    limits: assistant::ops::ServerLimits,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listener = assistant::ops::Listener::from_tokio(socket, None)
        .unwrap()
        .with_limits(limits);
    let addr = listener.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = axum::Router::new().route("/hello", axum::routing::get(|| async { "hello" }));
    tokio::spawn(listener.serve(app, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

/// Reads until the server closes the connection (or `within` passes): what it sent.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    let mut all = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&all).into_owned()),
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_client_that_does_not_finish_its_request_head_is_disconnected() {
    let (addr, _stop) = serve_with_limits(assistant::ops::ServerLimits {
        header_read_timeout: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow, Duration::from_secs(10)).await;
    let answer = answer.expect("the server closes a connection whose head never ends");
    assert!(!answer.contains("hello"), "{answer}");

    // A client that sends its head in time is served.
    let mut fine = tokio::net::TcpStream::connect(addr).await.unwrap();
    fine.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut fine, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_until_one_ends() {
    let (addr, _stop) = serve_with_limits(assistant::ops::ServerLimits {
        max_connections: 1,
        header_read_timeout: Duration::from_secs(30),
    })
    .await;
    let ask = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut first = tokio::net::TcpStream::connect(addr).await.unwrap();
    first.write_all(ask).await.unwrap();
    let mut buf = [0u8; 512];
    let n = first.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    // The first connection is kept alive: a second one is closed without an answer.
    let mut second = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = second.write_all(ask).await;
    let answer = read_until_closed(&mut second, Duration::from_secs(10))
        .await
        .expect("the connection over the cap is closed");
    assert_eq!(answer, "", "no answer over the cap");

    // Once the first one is gone, a new connection is served.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut next = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = next
            .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await;
        let answer = read_until_closed(&mut next, Duration::from_secs(10))
            .await
            .unwrap_or_default();
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the permit of a closed connection comes back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
