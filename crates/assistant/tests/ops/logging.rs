use std::io::Write;
use std::sync::{Arc, Mutex};

use assistant::ops::OpsSettings;
use assistant::ops::logging::{self, redact};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::helpers::spawn_app;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// The server runs on this test's current-thread runtime, so the thread's default subscriber
/// sees every event of every request.
#[tokio::test]
async fn request_logs_are_json_with_route_status_latency_and_no_personal_data() {
    let buffer = Buffer::default();
    let subscriber = logging::subscriber(true, EnvFilter::new("trace"), buffer.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = spawn_app(OpsSettings::default()).await;
    let res = app
        .client
        .get(app.url("/api/devices/SERIAL-4711/echo?email=ada%40example.com&name=Ada+Lovelace"))
        .header(crate::helpers::TEST_DEVICE_HEADER, "dev-1")
        .header("x-contact-phone", "+41 79 555 12 34")
        .header("authorization", "Bearer secret-device-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .post(app.url("/api/echo"))
        .header(crate::helpers::TEST_DEVICE_HEADER, "dev-1")
        .body(r#"{"contact":{"name":"Ada Lovelace","email":"ada@example.com"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    tracing::info!(email = %redact("ada@example.com"), "contact received");
    app.stop().await;

    let text = buffer.text();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let response_line = |route: &str| {
        lines
            .iter()
            .find(|l| l["message"] == "response" && l["route"] == route)
            .unwrap_or_else(|| panic!("a response line for {route} in {text}"))
    };
    let get = response_line("/api/devices/{serial}/echo");
    assert_eq!(get["status"], 200);
    assert_eq!(get["method"], "GET");
    assert!(get["latency_ms"].as_f64().unwrap() >= 0.0);
    let post = response_line("/api/echo");
    assert_eq!(post["method"], "POST");

    for secret in [
        "ada@example.com",
        "ada%40example.com",
        "Ada Lovelace",
        "Ada+Lovelace",
        "SERIAL-4711",
        "555 12 34",
        "secret-device-token",
        "x-contact-phone",
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} leaked into the logs:\n{text}"
        );
    }
    assert!(text.contains("[redacted]"), "{text}");
}
