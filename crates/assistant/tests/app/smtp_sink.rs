//! A real SMTP server on loopback for the exactly-once tests, misbehaving on purpose:
//! `Delay` answers the end of DATA only after a pause; `DropFirstAfterData` reads each message's
//! DATA and then drops the connection without a reply the first time it sees that message.
//!
//! A message counts as received only when the server answered 250 to the end of its DATA (RFC
//! 5321 §6.1: only then does the server take responsibility for it). Messages are told apart by
//! the `X-Support-Reference` header the renderer adds. Shared with the CLI tests (`#[path]`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Wait this long before answering 250 to the end of DATA.
    Delay(Duration),
    /// The first time a message is seen: read it all, then close without answering.
    DropFirstAfterData,
    /// Refuse every recipient for good, with a reply that quotes it and other addresses the way
    /// real servers do (case changed, in brackets, the local part alone).
    RejectRcpt,
}

#[derive(Default)]
struct Seen {
    received: HashMap<String, usize>,
    dropped: HashSet<String>,
    /// Every message answered 250: its recipients and its DATA.
    messages: Vec<(Vec<String>, String)>,
}

pub struct SmtpSink {
    pub port: u16,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    pub async fn start(mode: Mode) -> Self {
        Self::start_on(0, mode).await
    }

    /// On a given port (a mail server coming back after an outage).
    pub async fn start_on(port: u16, mode: Mode) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let shared = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let seen = shared.clone();
                tokio::spawn(async move {
                    let _ = session(socket, mode, seen).await;
                });
            }
        });
        Self { port, seen, task }
    }

    /// Messages answered 250, by reference.
    pub fn received(&self) -> HashMap<String, usize> {
        self.seen.lock().expect("lock").received.clone()
    }

    /// The messages answered 250: recipients and DATA text.
    #[allow(dead_code)]
    pub fn messages(&self) -> Vec<(Vec<String>, String)> {
        self.seen.lock().expect("lock").messages.clone()
    }

    /// How many messages were dropped unanswered.
    pub fn dropped(&self) -> usize {
        self.seen.lock().expect("lock").dropped.len()
    }

    /// The transport setting for this server.
    pub fn url(&self, timeout_secs: u64) -> String {
        format!(
            "smtp://127.0.0.1:{}?tls=none&timeout_secs={timeout_secs}",
            self.port
        )
    }
}

async fn session(socket: TcpStream, mode: Mode, seen: Arc<Mutex<Seen>>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP ready\r\n").await?;
    let mut line = String::new();
    let mut recipients = Vec::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.trim_end().to_ascii_uppercase();
        if verb.starts_with("RCPT") {
            recipients.push(
                line.trim_end()
                    .split_once(':')
                    .map(|(_, a)| a.trim().trim_matches(['<', '>']).to_string())
                    .unwrap_or_default(),
            );
        }
        if verb.starts_with("EHLO") {
            write
                .write_all(b"250-sink greets you\r\n250 8BITMIME\r\n")
                .await?;
        } else if verb.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if verb.starts_with("DATA") {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut reference = String::from("-");
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
                if let Some(r) = line.strip_prefix("X-Support-Reference:") {
                    reference = r.trim().to_string();
                }
            }
            match mode {
                Mode::Delay(d) => tokio::time::sleep(d).await,
                Mode::DropFirstAfterData => {
                    if seen.lock().expect("lock").dropped.insert(reference.clone()) {
                        // The whole message arrived; the reply never leaves.
                        return Ok(());
                    }
                }
                Mode::RejectRcpt => {}
            }
            {
                let mut seen = seen.lock().expect("lock");
                *seen.received.entry(reference).or_default() += 1;
                seen.messages
                    .push((std::mem::take(&mut recipients), std::mem::take(&mut data)));
            }
            write.write_all(b"250 2.0.0 queued\r\n").await?;
        } else if verb.starts_with("RCPT") && matches!(mode, Mode::RejectRcpt) {
            let address = line
                .trim_end()
                .split_once(':')
                .map(|(_, a)| a.trim().trim_matches(['<', '>']).to_string())
                .unwrap_or_default();
            let local = address.split('@').next().unwrap_or_default().to_string();
            let reply = format!(
                "550 5.1.1 <{}> unknown; user {local} (\"{local}@\") not here, ask postmaster@relay.example\r\n",
                address.to_uppercase()
            );
            write.write_all(reply.as_bytes()).await?;
        } else {
            // HELO, MAIL, RCPT, RSET, NOOP: all fine.
            write.write_all(b"250 OK\r\n").await?;
        }
    }
}
