//! The `manager …` administration commands and the `serve manager` options they prepare for,
//! each checked by its effect: what a command stores is what a later command or the running
//! manager shows.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Running, bin, run};

const PASSWORD: &str = "a technician's long password";

/// `support-assistant manager ARGS DATA`: its stdout, trimmed; fails the test when it fails.
fn manager(args: &[&str], data: &[String]) -> String {
    let (ok, out, err) = run(bin().arg("manager").args(args).args(data));
    assert!(ok, "manager {args:?}: {err}");
    out.trim().to_string()
}

fn sqlite(dir: &Path) -> Vec<String> {
    vec![
        "--database".into(),
        format!("sqlite://{}", dir.join("db").join("manager.db").display()),
        "--data-keys-file".into(),
        dir.join("keys").join("manager.keys").display().to_string(),
    ]
}

/// `serve manager` on a free loopback port, in `cwd`; returns it with its base URL.
fn serve(cwd: &Path, data: &[String], extra: &[&str]) -> (Running, String) {
    let mut child = bin()
        .current_dir(cwd)
        .args([
            "serve",
            "manager",
            "--listen",
            "127.0.0.1:0",
            "--insecure-http",
        ])
        .args(data)
        .args(extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve manager starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let running = Running(child);
    std::thread::spawn(move || {
        use std::io::BufRead;
        for _ in std::io::BufReader::new(stderr).lines() {}
    });
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(rest) = line.split("manager listening on ").nth(1) {
            let url = rest.split_whitespace().next().expect("url").to_string();
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return (running, url);
        }
    }
    panic!("serve manager did not print its URL");
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Logs in at the console as a browser does: the login page's CSRF cookie (returned with its
/// whole Set-Cookie header), then the form; returns that header and the session cookie.
async fn login(base: &str, email: &str) -> (String, Option<String>) {
    let http = http();
    let page = http
        .get(format!("{base}/console/login"))
        .send()
        .await
        .expect("login page");
    let header = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sa_login_csrf="))
        .expect("login csrf cookie")
        .to_string();
    let csrf = header
        .trim_start_matches("sa_login_csrf=")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    let res = http
        .post(format!("{base}/console/login"))
        .header("cookie", format!("sa_login_csrf={csrf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={}&csrf={csrf}",
            email.replace('@', "%40"),
            PASSWORD.replace(' ', "+").replace('\'', "%27")
        ))
        .send()
        .await
        .expect("login");
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("sa_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    (header, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_admin_commands_do_what_their_options_say() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path().join("cwd");
    for sub in ["cwd", "db", "keys"] {
        std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
    }
    let data = sqlite(dir.path());
    let manager = |args: &[&str]| {
        let (ok, out, err) = run(bin()
            .current_dir(&cwd)
            .arg("manager")
            .args(args)
            .args(&data));
        assert!(ok, "manager {args:?}: {err}");
        out.trim().to_string()
    };

    // tenant add --name, tenant list.
    let partner = manager(&["tenant", "add", "--name", "Acme Options"]);
    assert!(uuid::Uuid::parse_str(&partner).is_ok(), "{partner}");
    manager(&["tenant", "add", "--name", "Other Partner"]);
    let listed = manager(&["tenant", "list"]);
    assert!(
        listed.contains(&format!("{partner}\tAcme Options")),
        "{listed}"
    );
    assert!(listed.contains("\tOther Partner"), "{listed}");

    // customer add and device add: the device is the partner's, with its model and location.
    let customer = manager(&[
        "customer",
        "add",
        "--partner",
        "Acme Options",
        "--name",
        "Head Office",
    ]);
    let serial = manager(&[
        "device",
        "add",
        "--partner",
        &partner,
        "--customer",
        &customer,
        "--serial",
        "XRX0PT10N5001",
        "--model",
        "AltaLink C8155",
        "--location",
        "Floor 3, copy room",
    ]);
    assert_eq!(serial, "XRX0PT10N5001");
    let key = manager(&[
        "api-key",
        "add",
        "--partner",
        "Acme Options",
        "--name",
        "options test",
    ]);
    let other_key = manager(&["api-key", "add", "--partner", "Other Partner"]);

    // user add --role technician --password-stdin.
    let mut child = bin()
        .current_dir(&cwd)
        .args(["manager", "user", "add", "--partner", "Acme Options"])
        .args([
            "--email",
            "tech@acme.example",
            "--role",
            "technician",
            "--password-stdin",
        ])
        .args(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    let out = child.wait_with_output().expect("user add ends");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains("user tech@acme.example (technician) created"),
        "{printed}"
    );
    assert!(
        !printed.contains("password:"),
        "no password printed with --password-stdin"
    );

    // agent add / list / revoke.
    let added = manager(&[
        "agent",
        "add",
        "--partner",
        "Acme Options",
        "--customer",
        "Head Office",
        "--name",
        "Basement site",
    ]);
    let agent = added
        .lines()
        .find_map(|l| l.strip_prefix("agent "))
        .expect("agent id")
        .to_string();
    let listed = manager(&["agent", "list", "--partner", "Acme Options"]);
    assert!(
        listed.contains(&agent) && listed.contains("Basement site"),
        "{listed}"
    );
    assert!(listed.contains("Head Office"), "{listed}");
    assert!(manager(&["agent", "list", "--partner", "Other Partner"]).is_empty());
    let revoked = manager(&[
        "agent",
        "revoke",
        "--partner",
        "Acme Options",
        "--agent",
        &agent,
    ]);
    assert_eq!(revoked, format!("agent {agent} revoked"));
    let listed = manager(&["agent", "list", "--partner", "Acme Options"]);
    assert!(listed.contains("revoked"), "{listed}");

    // notification-email add / list / remove.
    let id = manager(&[
        "notification-email",
        "add",
        "--partner",
        "Acme Options",
        "--address",
        "ops@acme.example",
        "--language",
        "fr",
        "--event",
        "incident.created",
        "--event",
        "order.created",
    ]);
    let listed = manager(&["notification-email", "list", "--partner", "Acme Options"]);
    assert!(
        listed.contains(&format!(
            "{id}\tops@acme.example\tfr\tincident.created,order.created"
        )),
        "{listed}"
    );
    assert!(manager(&["notification-email", "list", "--partner", "Other Partner"]).is_empty());
    manager(&[
        "notification-email",
        "remove",
        "--partner",
        "Acme Options",
        "--id",
        &id,
    ]);
    assert!(manager(&["notification-email", "list", "--partner", "Acme Options"]).is_empty());

    // --database and --data-keys-file: everything is where they say, nothing in the working
    // directory.
    assert!(dir.path().join("db/manager.db").exists());
    let keys = std::fs::read_to_string(dir.path().join("keys/manager.keys")).expect("keys");
    assert!(
        keys.starts_with("k1="),
        "a KEYID=BASE64URL line: {}",
        keys.len()
    );

    // serve manager on the same data, with --secure-cookies: the device and the technician.
    let (_server, base) = serve(&cwd, &data, &["--secure-cookies"]);
    let device: Value = http()
        .get(format!("{base}/api/v1/devices/XRX0PT10N5001"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("device")
        .json()
        .await
        .expect("JSON");
    assert_eq!(device["model"], "AltaLink C8155", "{device}");
    assert_eq!(device["location"], "Floor 3, copy room", "{device}");
    assert_eq!(device["customer_id"], customer.as_str(), "{device}");
    let status = http()
        .get(format!("{base}/api/v1/devices/XRX0PT10N5001"))
        .bearer_auth(&other_key)
        .send()
        .await
        .expect("device")
        .status();
    assert_eq!(status, 404, "another partner's key does not see the device");
    let (csrf_cookie, session) = login(&base, "tech@acme.example").await;
    assert!(
        csrf_cookie.ends_with("; Secure"),
        "--secure-cookies: {csrf_cookie}"
    );
    let session = session.expect("the technician logs in with the password given on stdin");
    let users = http()
        .get(format!("{base}/console/users"))
        .header("cookie", format!("sa_session={session}"))
        .send()
        .await
        .expect("users page")
        .status();
    assert_eq!(users, 403, "a technician may not manage users");

    let left: Vec<_> = std::fs::read_dir(&cwd).expect("cwd").flatten().collect();
    assert!(
        left.is_empty(),
        "nothing in the working directory: {left:?}"
    );
}

/// An incident with contact details, created through the API of a running manager.
async fn incident(base: &str, key: &str, serial: &str, n: u32) -> String {
    let created: Value = http()
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(key)
        .header("Idempotency-Key", format!("retention-{n}"))
        .json(&json!({
            "device_serial": serial,
            "kind": "service",
            "issue_code": "paper_jam",
            "description": "jam",
            "contact": {"name": "Ana Lopez", "email": "ana@example.com"}
        }))
        .send()
        .await
        .expect("incident")
        .json()
        .await
        .expect("JSON");
    created["number"].as_str().expect("number").to_string()
}

/// An incident with contact details, created and cancelled.
async fn closed_incident(base: &str, key: &str, serial: &str, n: u32) -> String {
    let number = incident(base, key, serial, n).await;
    let res = http()
        .post(format!("{base}/api/v1/incidents/{number}/status"))
        .bearer_auth(key)
        .json(&json!({"status": "cancelled", "actor": "test"}))
        .send()
        .await
        .expect("status");
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    number
}

async fn contact(base: &str, key: &str, number: &str) -> Value {
    let incident: Value = http()
        .get(format!("{base}/api/v1/incidents/{number}"))
        .bearer_auth(key)
        .send()
        .await
        .expect("incident")
        .json()
        .await
        .expect("JSON");
    incident["contact"].clone()
}

/// `manager retention --days N` removes the contact details of incidents closed more than N days
/// ago (`--days 1` none of one closed now, `--days 0` it); `serve manager --retention-days 0` does
/// the same at its start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_days_of_the_command_and_of_the_server_remove_old_contacts() {
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["db", "keys"] {
        std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
    }
    let data = sqlite(dir.path());
    manager(&["tenant", "add", "--name", "Acme"], &data);
    let customer = manager(
        &["customer", "add", "--partner", "Acme", "--name", "C"],
        &data,
    );
    manager(
        &[
            "device",
            "add",
            "--partner",
            "Acme",
            "--customer",
            &customer,
        ]
        .into_iter()
        .chain(["--serial", "XRX0RETENT10N", "--model", "M"])
        .collect::<Vec<_>>(),
        &data,
    );
    let key = manager(&["api-key", "add", "--partner", "Acme"], &data);

    // The command: --days 1 keeps the contact of an incident closed now, --days 0 removes it.
    let (server, base) = serve(dir.path(), &data, &[]);
    let first = closed_incident(&base, &key, "XRX0RETENT10N", 1).await;
    assert_eq!(contact(&base, &key, &first).await["name"], "Ana Lopez");
    drop(server);
    let kept = manager(&["retention", "--days", "1"], &data);
    assert_eq!(kept, "0 incident(s) lost their contact details");
    let removed = manager(&["retention", "--days", "0"], &data);
    assert_eq!(removed, "1 incident(s) lost their contact details");

    // The server: with the default (90 days) the new incident keeps its contact over a restart;
    // with --retention-days 0 it is removed when the server starts.
    let (server, base) = serve(dir.path(), &data, &[]);
    let second = closed_incident(&base, &key, "XRX0RETENT10N", 2).await;
    drop(server);
    let (server, base) = serve(dir.path(), &data, &[]);
    assert_eq!(contact(&base, &key, &second).await["name"], "Ana Lopez");
    drop(server);
    let (_server, base) = serve(dir.path(), &data, &["--retention-days", "0"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !contact(&base, &key, &second).await.is_null() {
        assert!(
            Instant::now() < deadline,
            "the contact is still there after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `--data-keys-file`: the first line encrypts, every line decrypts. After a new key is put
/// first, an incident stored before still shows its contact; one stored after shows it with the
/// new key alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_keys_file_first_line_encrypts_and_every_line_decrypts() {
    use secrecy::ExposeSecret;
    let dir = tempfile::tempdir().expect("tempdir");
    for sub in ["db", "keys"] {
        std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
    }
    let data = sqlite(dir.path());
    let file = dir.path().join("keys").join("manager.keys");
    manager(&["tenant", "add", "--name", "Acme"], &data);
    let customer = manager(
        &["customer", "add", "--partner", "Acme", "--name", "C"],
        &data,
    );
    manager(
        &[
            "device",
            "add",
            "--partner",
            "Acme",
            "--customer",
            &customer,
        ]
        .into_iter()
        .chain(["--serial", "XRX0R0TATE001", "--model", "M"])
        .collect::<Vec<_>>(),
        &data,
    );
    let key = manager(&["api-key", "add", "--partner", "Acme"], &data);
    let (server, base) = serve(dir.path(), &data, &[]);
    let before = incident(&base, &key, "XRX0R0TATE001", 1).await;
    drop(server);

    let old = std::fs::read_to_string(&file).expect("key file");
    let new = manager::crypto::KeyRing::generate_line("k2");
    std::fs::write(&file, format!("{}{old}", new.expose_secret())).expect("rotate");
    let (server, base) = serve(dir.path(), &data, &[]);
    assert_eq!(
        contact(&base, &key, &before).await["name"],
        "Ana Lopez",
        "the old key still decrypts"
    );
    let after = incident(&base, &key, "XRX0R0TATE001", 2).await;
    drop(server);

    std::fs::write(&file, new.expose_secret()).expect("only the new key");
    let (_server, base) = serve(dir.path(), &data, &[]);
    assert_eq!(
        contact(&base, &key, &after).await["name"],
        "Ana Lopez",
        "the first line encrypted the new incident's contact"
    );
}

/// `--pg-schema` (and `SA_MANAGER_PG_SCHEMA`): the commands work in the schema they are given,
/// and another schema of the same database does not see what was added.
#[test]
fn manager_commands_keep_their_tables_in_the_pg_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let suffix = format!("{}_{nanos}", std::process::id());
    let (one, two) = (format!("sa_opt_a_{suffix}"), format!("sa_opt_b_{suffix}"));
    let _cleanup = DropSchemas(vec![one.clone(), two.clone()]);
    let data = |schema: &str| -> Vec<String> {
        vec![
            "--database".into(),
            "postgres://postgres@127.0.0.1:5432/test".into(),
            "--data-keys-file".into(),
            dir.path().join("keys").display().to_string(),
            "--pg-schema".into(),
            schema.into(),
        ]
    };
    let partner = manager(&["tenant", "add", "--name", "Schema One"], &data(&one));
    let customer = manager(
        &["customer", "add", "--partner", &partner, "--name", "C"],
        &data(&one),
    );
    manager(
        &[
            "device",
            "add",
            "--partner",
            &partner,
            "--customer",
            &customer,
        ]
        .into_iter()
        .chain(["--serial", "XRX0SCHEMA001", "--model", "M"])
        .collect::<Vec<_>>(),
        &data(&one),
    );
    let key = manager(&["api-key", "add", "--partner", &partner], &data(&one));
    let added = manager(
        &["agent", "add", "--partner", &partner, "--customer", "C"],
        &data(&one),
    );
    let agent = added
        .lines()
        .find_map(|l| l.strip_prefix("agent "))
        .expect("agent id")
        .to_string();
    assert!(manager(&["agent", "list", "--partner", &partner], &data(&one)).contains(&agent));
    manager(
        &["agent", "revoke", "--partner", &partner, "--agent", &agent],
        &data(&one),
    );
    let id = manager(
        &[
            "notification-email",
            "add",
            "--partner",
            &partner,
            "--address",
            "a@b.example",
        ],
        &data(&one),
    );
    assert!(
        manager(
            &["notification-email", "list", "--partner", &partner],
            &data(&one)
        )
        .contains(&id)
    );
    manager(
        &[
            "notification-email",
            "remove",
            "--partner",
            &partner,
            "--id",
            &id,
        ],
        &data(&one),
    );
    manager(&["retention", "--days", "0"], &data(&one));
    assert!(manager(&["tenant", "list"], &data(&one)).contains("Schema One"));
    let (ok, out, err) = run(bin()
        .args([
            "manager",
            "user",
            "add",
            "--partner",
            &partner,
            "--email",
            "u@one.example",
        ])
        .args(data(&one)));
    assert!(ok && out.contains("u@one.example"), "{err}");

    // serve manager --pg-schema: the API key and device of that schema.
    let (server, base) = serve(dir.path(), &data(&one), &[]);
    let (_, text, _) = run(Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .args(["-H", &format!("Authorization: Bearer {key}")])
        .arg(format!("{base}/api/v1/devices/XRX0SCHEMA001")));
    let status: u16 = text.trim().parse().unwrap_or(0);
    assert_eq!(status, 200, "serve manager --pg-schema {one}");
    drop(server);

    // The other schema is another manager: empty.
    manager(&["tenant", "add", "--name", "Schema Two"], &data(&two));
    let listed = manager(&["tenant", "list"], &data(&two));
    assert!(
        listed.contains("Schema Two") && !listed.contains("Schema One"),
        "{listed}"
    );
    // SA_MANAGER_PG_SCHEMA stands for --pg-schema.
    let mut without = data(&one);
    without.truncate(4);
    let (ok, out, err) = run(bin()
        .args(["manager", "tenant", "list"])
        .args(&without)
        .env("SA_MANAGER_PG_SCHEMA", &two));
    assert!(ok, "{err}");
    assert!(
        out.contains("Schema Two") && !out.contains("Schema One"),
        "{out}"
    );
}

/// Drops the test's schemas when the test ends, however it ends.
struct DropSchemas(Vec<String>);

impl Drop for DropSchemas {
    fn drop(&mut self) {
        for schema in &self.0 {
            let _ = Command::new("psql")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    "test",
                    "-q",
                    "-c",
                ])
                .arg(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .output();
        }
    }
}
