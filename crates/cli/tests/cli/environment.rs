//! The `SA_` variables stand for their options: each is given in the environment only (no
//! option on the command line), and the service does what the option would make it do.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use platform::credential::SigningKeyring;
use serde_json::json;

use crate::{Running, bin, free_base_port, run};

/// Starts `ARGS` with `envs` and returns it with the first URL printed on a line with `marker`.
fn start(args: &[&str], envs: &[(&str, String)], cwd: &Path, marker: &str) -> (Running, String) {
    let mut cmd = bin();
    cmd.args(args)
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for name in [
        "SA_TLS_CERT",
        "SA_TLS_KEY",
        "SA_CA_CERT",
        "SA_GALLERY_URL",
        "SA_GALLERY_API_KEY",
    ] {
        cmd.env_remove(name);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if line.contains(marker)
            && let Some(url) = line.split_whitespace().find(|w| w.starts_with("http"))
        {
            let url = url.to_string();
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return (running, url);
        }
    }
    panic!("{args:?} did not print {marker:?}");
}

fn curl(args: &[&str]) -> (u16, String) {
    let (_, text, err) = run(Command::new("curl")
        .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(args));
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), format!("{body}{err}"))
}

/// One console login as a browser makes it; returns the status and Retry-After.
async fn login(base: &str, email: &str, password: &str) -> (u16, Option<u64>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let page = http
        .get(format!("{base}/console/login"))
        .send()
        .await
        .expect("login page");
    let csrf = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("sa_login_csrf="))
        .and_then(|v| v.split(';').next())
        .expect("csrf cookie")
        .to_string();
    let res = http
        .post(format!("{base}/console/login"))
        .header("cookie", format!("sa_login_csrf={csrf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={password}&csrf={csrf}",
            email.replace('@', "%40")
        ))
        .send()
        .await
        .expect("login");
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (res.status().as_u16(), retry_after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_variables_stand_for_their_options() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path().join("cwd");
    std::fs::create_dir(&cwd).expect("cwd");
    let dev = platform::ops::tls::dev_certificate(dir.path()).expect("certificate");
    let (ca, cert, key) = (
        dev.ca.display().to_string(),
        dev.tls.cert.display().to_string(),
        dev.tls.key.display().to_string(),
    );
    let base = free_base_port();

    // The gallery: SA_GALLERY_LISTEN, SA_GALLERY_DATABASE_URL, SA_GALLERY_SIGNING_KEYS,
    // SA_GALLERY_API_KEY and SA_TLS_CERT/SA_TLS_KEY.
    let signing = SigningKeyring::generate("envsig").expect("keys").to_spec();
    let gallery_db = dir.path().join("env-gallery.db");
    let (gallery, url) = start(
        &["serve", "gallery"],
        &[
            ("SA_GALLERY_LISTEN", format!("127.0.0.1:{}", base + 1)),
            (
                "SA_GALLERY_DATABASE_URL",
                format!("sqlite:{}", gallery_db.display()),
            ),
            ("SA_GALLERY_SIGNING_KEYS", signing),
            ("SA_GALLERY_API_KEY", "sag_from-the-environment".into()),
            ("SA_TLS_CERT", cert.clone()),
            ("SA_TLS_KEY", key.clone()),
        ],
        &cwd,
        "App Gallery on",
    );
    assert!(
        url.starts_with("https://") && url.ends_with(&format!(":{}", base + 1)),
        "{url}"
    );
    assert!(
        gallery_db.exists(),
        "the gallery's database is where SA_GALLERY_DATABASE_URL says"
    );
    let (status, keys) = curl(&["--cacert", &ca, &format!("{url}/api/keys")]);
    assert_eq!(status, 200, "{keys}");
    assert!(
        keys.contains("envsig"),
        "signing keys from SA_GALLERY_SIGNING_KEYS: {keys}"
    );

    // gallery install: SA_GALLERY_URL, SA_CA_CERT and SA_GALLERY_API_KEY reach that gallery.
    let (ok, _, err) = run(bin()
        .args(["gallery", "install", "--device", "http://127.0.0.1:9"])
        .args(["--serial", "XRX0000000001", "--admin-password", "pw"])
        .env("SA_GALLERY_URL", &url)
        .env("SA_CA_CERT", &ca)
        .env("SA_GALLERY_API_KEY", "sag_from-the-environment"));
    assert!(!ok, "nothing is published, so the install fails");
    assert!(
        err.contains("the gallery answered HTTP 404")
            || err.contains("the gallery answered HTTP 4"),
        "SA_GALLERY_URL over HTTPS trusted through SA_CA_CERT, key accepted: {err}"
    );
    assert!(
        !err.contains("HTTP 401"),
        "SA_GALLERY_API_KEY was sent: {err}"
    );
    drop(gallery);

    // The manager over HTTPS on SA_MANAGER_LISTEN, data from SA_MANAGER_DATABASE_URL and
    // SA_MANAGER_DATA_KEYS_FILE.
    let data = [
        (
            "SA_MANAGER_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("env-manager.db").display()),
        ),
        (
            "SA_MANAGER_DATA_KEYS_FILE",
            dir.path().join("env-manager.keys").display().to_string(),
        ),
    ];
    let (manager, url) = start(
        &["serve", "manager"],
        &[
            data[0].clone(),
            data[1].clone(),
            ("SA_MANAGER_LISTEN", format!("127.0.0.1:{base}")),
            ("SA_TLS_CERT", cert),
            ("SA_TLS_KEY", key),
        ],
        &cwd,
        "manager listening on",
    );
    assert!(
        url.starts_with("https://") && url.ends_with(&format!(":{base}")),
        "{url}"
    );
    let (status, body) = curl(&[
        "--cacert",
        &ca,
        &format!("https://localhost:{base}/healthz"),
    ]);
    assert_eq!(status, 200, "{body}");
    drop(manager);

    let manager_cmd = |args: &[&str]| {
        let (ok, out, err) = run(bin().arg("manager").args(args).envs(data.clone()));
        assert!(ok, "{args:?}: {err}");
        out.trim().to_string()
    };
    manager_cmd(&["tenant", "add", "--name", "Acme"]);
    let customer = manager_cmd(&["customer", "add", "--partner", "Acme", "--name", "C"]);
    manager_cmd(&[
        "device",
        "add",
        "--partner",
        "Acme",
        "--customer",
        &customer,
        "--serial",
        "SN-ENV",
        "--model",
        "M",
    ]);
    let api_key = manager_cmd(&["api-key", "add", "--partner", "Acme"]);
    manager_cmd(&[
        "notification-email",
        "add",
        "--partner",
        "Acme",
        "--address",
        "desk@acme.example",
    ]);
    manager_cmd(&[
        "user",
        "add",
        "--partner",
        "Acme",
        "--email",
        "a@acme.example",
    ]);

    // Login limits, webhooks and mail from the environment.
    let mail = dir.path().join("env-mail");
    let mut envs = data.to_vec();
    envs.extend([
        ("SA_MANAGER_LOGIN_ATTEMPTS", "1".to_string()),
        ("SA_MANAGER_LOGIN_WINDOW_SECS", "7".to_string()),
        ("SA_MANAGER_WEBHOOK_ALLOW_PRIVATE", "true".to_string()),
        ("SA_MANAGER_MAIL", format!("folder:{}", mail.display())),
        (
            "SA_MANAGER_MAIL_FROM",
            "Env Desk <env-desk@acme.example>".into(),
        ),
    ]);
    let (_manager, base_url) = start(
        &[
            "serve",
            "manager",
            "--insecure-http",
            "--listen",
            "127.0.0.1:0",
        ],
        &envs,
        &cwd,
        "manager listening on",
    );
    assert_eq!(
        login(&base_url, "a@acme.example", "wrong-password-1")
            .await
            .0,
        401
    );
    let (status, retry_after) = login(&base_url, "a@acme.example", "wrong-password-2").await;
    assert_eq!(
        status, 429,
        "SA_MANAGER_LOGIN_ATTEMPTS=1: the second attempt is refused"
    );
    assert!(
        retry_after.is_some_and(|s| s <= 7),
        "SA_MANAGER_LOGIN_WINDOW_SECS=7: Retry-After {retry_after:?}"
    );

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let hook = http
        .post(format!("{base_url}/api/v1/webhooks"))
        .bearer_auth(&api_key)
        .json(&json!({"url": "http://127.0.0.1:9/hook"}))
        .send()
        .await
        .expect("webhook")
        .status();
    assert_eq!(
        hook, 201,
        "SA_MANAGER_WEBHOOK_ALLOW_PRIVATE lets a loopback receiver in"
    );

    let res = http
        .post(format!("{base_url}/api/v1/incidents"))
        .bearer_auth(&api_key)
        .header("Idempotency-Key", "env-1")
        .json(&json!({
            "device_serial": "SN-ENV",
            "kind": "service",
            "issue_code": "paper_jam",
            "description": "jam",
            "contact": {"name": "Ana Lopez", "email": "ana@example.com"}
        }))
        .send()
        .await
        .expect("incident");
    assert_eq!(res.status(), 201);
    let deadline = Instant::now() + Duration::from_secs(40);
    let message = loop {
        let found = std::fs::read_dir(&mail)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
            .find_map(|e| std::fs::read_to_string(e.path()).ok());
        if let Some(text) = found {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no mail in SA_MANAGER_MAIL's folder within 40 s"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(
        message.contains("env-desk@acme.example") && message.contains("desk@acme.example"),
        "sent from SA_MANAGER_MAIL_FROM: {message}"
    );
    let left: Vec<_> = std::fs::read_dir(&cwd).expect("cwd").flatten().collect();
    assert!(
        left.is_empty(),
        "no default file in the working directory: {left:?}"
    );
}
