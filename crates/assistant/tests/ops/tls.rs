use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use assistant::ops::OpsSettings;
use assistant::ops::tls::dev_certificate;

use crate::helpers::spawn_app_with;

/// Runs `openssl s_client` with `args` against `addr`; returns (success, stdout + stderr).
async fn s_client(addr: SocketAddr, ca: &std::path::Path, args: &[&str]) -> (bool, String) {
    let mut cmd = tokio::process::Command::new("openssl");
    cmd.arg("s_client")
        .arg("-connect")
        .arg(addr.to_string())
        .arg("-servername")
        .arg("localhost")
        .arg("-CAfile")
        .arg(ca)
        .arg("-verify_return_error")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(20), cmd.output())
        .await
        .expect("openssl s_client finishes within 20 s")
        .expect("openssl is installed (Debian package openssl)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn dev_certificate_is_generated_once_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let first = dev_certificate(dir.path()).unwrap();
    assert!(first.generated);
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        assert!(dir.path().join(f).is_file(), "{f} written");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the key is readable by its owner only");
    }
    let ca_before = std::fs::read(&first.ca).unwrap();
    let second = dev_certificate(dir.path()).unwrap();
    assert!(!second.generated, "the files of the first start are reused");
    assert_eq!(std::fs::read(&second.ca).unwrap(), ca_before);
}

#[tokio::test]
async fn tls_1_2_and_1_3_clients_trusting_the_generated_ca_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dev_certificate(dir.path()).unwrap();
    let app = spawn_app_with(OpsSettings::default(), Some(dev.tls.clone()), Some(&dev.ca)).await;

    for (version, name) in [
        (reqwest::tls::Version::TLS_1_2, "1.2"),
        (reqwest::tls::Version::TLS_1_3, "1.3"),
    ] {
        let client = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(&std::fs::read(&dev.ca).unwrap()).unwrap(),
            )
            .tls_version_min(version)
            .tls_version_max(version)
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let res = client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("TLS {name} client: {e:?}"));
        assert_eq!(res.status(), 200, "TLS {name}");
    }

    // The same with OpenSSL, which also says which version it negotiated.
    for (flag, protocol) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let (ok, text) = s_client(app.addr, &dev.ca, &[flag]).await;
        assert!(ok, "openssl {flag} failed:\n{text}");
        assert!(
            text.contains(&format!("Protocol: {protocol}"))
                || text.contains(&format!("Protocol  : {protocol}"))
                || text.contains(&format!(", {protocol},")),
            "openssl {flag} did not report {protocol}:\n{text}"
        );
        assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_certificate_that_does_not_exist_is_named_in_the_error() {
    let missing = assistant::ops::TlsSettings {
        cert: "/nonexistent/cert.pem".into(),
        key: "/nonexistent/key.pem".into(),
    };
    let err = assistant::ops::tls::bind("127.0.0.1:0".parse().unwrap(), Some(missing))
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("/nonexistent/cert.pem"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_listener_bound_by_the_caller_serves_https() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dev_certificate(dir.path()).unwrap();
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listener =
        assistant::ops::tls::Listener::from_tokio(socket, Some(dev.tls.clone())).unwrap();
    assert!(listener.is_tls());
    let addr = listener.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = axum::Router::new().route("/hello", axum::routing::get(|| async { "hello" }));
    let task = tokio::spawn(listener.serve(app, async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&dev.ca).unwrap()).unwrap(),
        )
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let res = client
        .get(format!("https://localhost:{}/hello", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "hello");
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(15), task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
