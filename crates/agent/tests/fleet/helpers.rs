use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use device::fleet::{Fleet, FleetSpec};
use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary the workspace build made (`SA_BIN`, see scripts/test.sh).
pub fn bin() -> Command {
    let path = std::env::var("SA_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target/debug/support-assistant"));
    assert!(
        path.exists(),
        "{} is missing: cargo build -p support-assistant and export SA_BIN",
        path.display()
    );
    Command::new(path)
}

pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn ok(cmd: &mut Command) -> String {
    let (success, out, err) = run(cmd);
    assert!(success, "{cmd:?} failed:\n{out}\n{err}");
    out
}

/// A child process killed when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A recording of a device that answers SNMP but is no printer (no Printer-MIB).
const ROUTER: &str = "1.3.6.1.2.1.1.1.0|4|Linux edge-router 6.1\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10\n\
1.3.6.1.2.1.1.5.0|4|edge-router\n1.3.6.1.2.1.2.2.1.6.2|4x|0a0000000001\n1.3.6.1.2.1.25.3.2.1.3.1|4|Intel CPU\n";

/// Recordings dir: the shared recordings, the project fixtures, and a router.
pub fn recordings(dir: &Path) -> usize {
    let mut n = 0;
    for src in [
        root().join("../shared/printers/recordings"),
        root().join("fixtures"),
    ] {
        for e in std::fs::read_dir(&src).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "snmprec") {
                std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
                n += 1;
            }
        }
    }
    std::fs::write(dir.join("zz-router.snmprec"), ROUTER).unwrap();
    n
}

/// A loopback /24 of its own for this test run, so parallel tests do not meet.
pub fn base_address() -> Ipv4Addr {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let seed = std::process::id().wrapping_mul(2_654_435_761) ^ nanos;
    Ipv4Addr::new(
        127,
        64 + (seed % 64) as u8,
        ((seed / 64) % 250) as u8 + 1,
        1,
    )
}

pub const SNMP_PORT: u16 = 1161;

pub async fn fleet(dir: &Path) -> Fleet {
    device::fleet::start(FleetSpec {
        recordings: device::fleet::read_dir(dir).unwrap(),
        copies: 1,
        base_address: base_address(),
        port: SNMP_PORT,
        ports: false,
        community: "public".into(),
        step: None,
        seed: 1,
    })
    .await
    .unwrap()
}

/// The /24 the fleet lives in.
pub fn sweep(fleet: &Fleet) -> String {
    let ip = match fleet.devices[0].addr.ip() {
        std::net::IpAddr::V4(ip) => ip,
        other => panic!("{other}"),
    };
    let o = ip.octets();
    format!("{}.{}.{}.0/24", o[0], o[1], o[2])
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A manager (the binary) with a partner, a customer, an API key and an enrolled agent.
pub struct System {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub manager: Option<Running>,
    pub api_key: String,
    pub agent_id: String,
}

impl System {
    pub fn manager_cmd(&self) -> Command {
        manager_cmd(self.dir.path())
    }

    pub fn start_manager(&mut self) {
        self.manager = None;
        let mut cmd = self.manager_cmd();
        cmd.args([
            "serve",
            "manager",
            "--listen",
            &format!("127.0.0.1:{}", self.port),
            "--insecure-http",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        self.manager = Some(Running(cmd.spawn().unwrap()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the manager did not start");
    }

    /// Stops the manager at once (SIGKILL).
    pub fn kill_manager(&mut self) {
        self.manager = None;
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn agent_dir(&self) -> PathBuf {
        self.dir.path().join("agent")
    }

    pub fn agent(&self) -> Command {
        let mut c = bin();
        c.env("SA_AGENT_DATA_DIR", self.agent_dir())
            .env("NO_COLOR", "1");
        c
    }

    /// GET with the partner's API key.
    pub async fn get(&self, path: &str) -> Value {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", self.url()))
            .bearer_auth(&self.api_key)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    pub fn status(&self) -> Value {
        serde_json::from_str(&ok(self.agent().args(["agent", "status", "--json"]))).unwrap()
    }
}

fn manager_cmd(dir: &Path) -> Command {
    let mut c = bin();
    c.env(
        "SA_MANAGER_DATABASE_URL",
        format!("sqlite://{}", dir.join("manager.db").display()),
    )
    .env("SA_MANAGER_DATA_KEYS_FILE", dir.join("manager.keys"));
    c
}

pub fn system() -> System {
    let dir = tempfile::tempdir().unwrap();
    let m = || manager_cmd(dir.path());
    ok(m().args(["manager", "tenant", "add", "--name", "Acme"]));
    ok(m().args([
        "manager",
        "customer",
        "add",
        "--partner",
        "Acme",
        "--name",
        "Site A",
    ]));
    let api_key = ok(m().args([
        "manager",
        "api-key",
        "add",
        "--partner",
        "Acme",
        "--name",
        "tests",
    ]))
    .trim()
    .to_string();
    let added = ok(m().args([
        "manager",
        "agent",
        "add",
        "--partner",
        "Acme",
        "--customer",
        "Site A",
        "--name",
        "HQ",
    ]));
    let agent_id = added
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("agent ")
        .to_string();
    let token = added.lines().last().unwrap().trim().to_string();
    let mut s = System {
        port: free_port(),
        dir,
        manager: None,
        api_key,
        agent_id,
    };
    s.start_manager();
    let out = ok(s
        .agent()
        .args(["agent", "enroll", "--manager", &s.url(), "--token", &token]));
    assert!(out.contains("mode 0600"), "{out}");
    s
}

/// A TCP proxy in front of the manager that can hold back the manager's answers (the agent then
/// waits for an answer to a batch the manager has already stored: the moment to kill it).
pub struct Proxy {
    pub port: u16,
    pub hold: Arc<AtomicBool>,
}

pub fn proxy(upstream: u16) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = Arc::new(AtomicBool::new(false));
    let h = hold.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            let (mut c1, mut s1) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = c1.read(&mut buf) {
                    if n == 0 || s1.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
            let (mut s2, mut c2, hold) = (server, client, h.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = s2.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if hold.load(Ordering::SeqCst) {
                        continue; // swallowed: the agent never hears back
                    }
                    if c2.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    Proxy { port, hold }
}
