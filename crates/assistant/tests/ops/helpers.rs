use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use assistant::ops::{self, DeviceKey, OpsSettings, ReadinessCheck, TlsSettings};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The header the stand-in for the App API's authentication reads the device from.
pub const TEST_DEVICE_HEADER: &str = "x-test-device";

/// A running app: a few stand-in API routes plus `ops::routes`, wrapped in `ops::layers`.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    /// Flip to make `/readyz` fail.
    pub ready: Arc<AtomicBool>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get_as(&self, device: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(TEST_DEVICE_HEADER, device)
            .send()
            .await
            .unwrap()
    }

    /// Stops the server and waits for it, surfacing a serve error.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(15), task)
                .await
                .expect("server stops within its grace period")
                .unwrap()
                .unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Stand-in for the lead's authentication layer: the device named in a header becomes the
/// `DeviceKey` request extension.
async fn fake_auth(mut req: Request, next: Next) -> Response {
    if let Some(device) = req
        .headers()
        .get(TEST_DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        let key = DeviceKey(device.to_string());
        req.extensions_mut().insert(key);
    }
    next.run(req).await
}

pub fn api_routes() -> Router {
    Router::new()
        .route(
            "/api/devices/{serial}/echo",
            get(
                |UrlPath(serial): UrlPath<String>| async move { format!("hello {}", serial.len()) },
            ),
        )
        .route(
            "/api/echo",
            post(|body: Bytes| async move { format!("{} bytes", body.len()) }),
        )
        .route(
            "/api/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/api/cached",
            get(|| async { ([(axum::http::header::CACHE_CONTROL, "max-age=60")], "logo") }),
        )
}

pub async fn spawn_app(settings: OpsSettings) -> TestApp {
    spawn_app_with(settings, None, None).await
}

pub async fn spawn_app_with(
    settings: OpsSettings,
    tls: Option<TlsSettings>,
    ca: Option<&Path>,
) -> TestApp {
    let ready = Arc::new(AtomicBool::new(true));
    let flag = ready.clone();
    let check: ReadinessCheck = Arc::new(move || {
        let ok = flag.load(Ordering::SeqCst);
        Box::pin(async move {
            if ok {
                Ok(())
            } else {
                Err("the database does not answer: connection refused".to_string())
            }
        })
    });
    let app = ops::layers(api_routes().merge(ops::routes(check)), &settings)
        .layer(middleware::from_fn(fake_auth));
    let (tx, rx) = oneshot::channel();
    let is_tls = tls.is_some();
    let (addr, task) = ops::serve_bound(app, "127.0.0.1:0".parse().unwrap(), tls, async {
        let _ = rx.await;
    })
    .await
    .unwrap();
    let mut client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .no_proxy();
    if let Some(ca) = ca {
        client = client.add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap(),
        );
    }
    let base = if is_tls {
        format!("https://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    TestApp {
        addr,
        base,
        client: client.build().unwrap(),
        ready,
        shutdown: Some(tx),
        task: Some(task),
    }
}

/// A problem+json body, checked for the RFC 9457 members.
pub async fn problem(res: reqwest::Response) -> serde_json::Value {
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "problem+json content type"
    );
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    for member in ["type", "title", "detail"] {
        assert!(body[member].is_string(), "member {member} in {body}");
    }
    body
}
