//! An async SNMP v2c client: GET, GETNEXT, GETBULK with timeouts and retries, and a walk of several
//! subtrees at once (one GETBULK carries a cursor per subtree), falling back to GETNEXT for agents that
//! refuse GETBULK.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::UdpSocket;

use super::message::{Message, Pdu, PduKind, VERSION_2C, Value, VarBind, error_status};
use super::oid::Oid;

/// How to reach an agent.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub target: SocketAddr,
    pub community: String,
    /// How long to wait for each answer.
    pub timeout: Duration,
    /// How many times to send a request again after a timeout.
    pub retries: u32,
    /// max-repetitions of GETBULK requests (halved when the agent answers tooBig).
    pub max_repetitions: u32,
    /// A walk stops with [`SnmpError::EndlessWalk`] after this many variable bindings.
    pub max_walk_varbinds: usize,
}

impl ClientConfig {
    pub fn new(target: SocketAddr, community: impl Into<String>) -> Self {
        Self {
            target,
            community: community.into(),
            timeout: Duration::from_millis(1000),
            retries: 1,
            max_repetitions: 25,
            max_walk_varbinds: 20_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnmpError {
    #[error(
        "no answer from {target} within {timeout_ms} ms (is the device on, and is the community string right?)"
    )]
    NoAnswer {
        target: SocketAddr,
        timeout_ms: u128,
    },
    #[error("cannot resolve {0:?}: {1}")]
    Resolve(String, String),
    #[error("network error talking to {target}: {source}")]
    Io {
        target: SocketAddr,
        source: std::io::Error,
    },
    #[error("the agent at {target} answered with error-status {status} at variable {index}")]
    Agent {
        target: SocketAddr,
        status: i32,
        index: i32,
    },
    #[error(
        "the agent at {target} returned OID {received} after {previous} while walking {root}: OIDs must increase"
    )]
    NonIncreasing {
        target: SocketAddr,
        root: Oid,
        previous: Oid,
        received: Oid,
    },
    #[error(
        "walking {root} at {target} returned more than {limit} values; stopped (endless walk?)"
    )]
    EndlessWalk {
        target: SocketAddr,
        root: Oid,
        limit: usize,
    },
    #[error("the agent at {target} answered a request with no variable bindings")]
    EmptyResponse { target: SocketAddr },
    #[error(
        "the agent at {target} stopped answering in the middle of a walk (after {values} values, no answer within {timeout_ms} ms); nothing of this walk is used"
    )]
    StoppedAnswering {
        target: SocketAddr,
        values: usize,
        timeout_ms: u128,
    },
}

/// One SNMP v2c session with one agent.
pub struct Client {
    socket: UdpSocket,
    cfg: ClientConfig,
    next_request_id: AtomicI32,
    requests_sent: AtomicU64,
}

/// At most this many subtrees travel in one request (keeps requests and answers a sane size).
const MAX_CURSORS_PER_REQUEST: usize = 32;

/// Resolves "HOST[:PORT]" (default port 161).
pub async fn resolve_target(target: &str) -> Result<SocketAddr, SnmpError> {
    let with_port = if target.parse::<SocketAddr>().is_ok()
        || target
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.contains(':') && p.parse::<u16>().is_ok())
    {
        target.to_string()
    } else {
        format!("{target}:161")
    };
    let mut addrs = tokio::net::lookup_host(&with_port)
        .await
        .map_err(|e| SnmpError::Resolve(target.to_string(), e.to_string()))?;
    addrs
        .next()
        .ok_or_else(|| SnmpError::Resolve(target.to_string(), "no address".to_string()))
}

impl Client {
    pub async fn connect(cfg: ClientConfig) -> Result<Self, SnmpError> {
        let target = cfg.target;
        let io = |source| SnmpError::Io { target, source };
        let bind: SocketAddr = if target.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(bind).await.map_err(io)?;
        socket.connect(target).await.map_err(io)?;
        // Request ids start at a value derived from the local port so parallel clients differ.
        let seed = socket
            .local_addr()
            .map(|a| i32::from(a.port()))
            .unwrap_or(1);
        Ok(Self {
            socket,
            cfg,
            next_request_id: AtomicI32::new(seed.wrapping_mul(7919) & 0x3FFF_FFFF),
            requests_sent: AtomicU64::new(0),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Requests sent so far, retries included: the round trips a walk cost.
    pub fn requests_sent(&self) -> u64 {
        self.requests_sent.load(Ordering::Relaxed)
    }

    pub async fn get(&self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        self.request(PduKind::Get, 0, 0, oids)
            .await
            .map(|p| p.varbinds)
    }

    pub async fn get_next(&self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        self.request(PduKind::GetNext, 0, 0, oids)
            .await
            .map(|p| p.varbinds)
    }

    pub async fn get_bulk(
        &self,
        non_repeaters: i32,
        max_repetitions: i32,
        oids: &[Oid],
    ) -> Result<Vec<VarBind>, SnmpError> {
        self.request(PduKind::GetBulk, non_repeaters, max_repetitions, oids)
            .await
            .map(|p| p.varbinds)
    }

    /// Sends one request and waits for its response, retrying after each timeout. Answers that do not
    /// match (another request id, garbage) are ignored. An error-status other than noError is returned as
    /// [`SnmpError::Agent`].
    async fn request(
        &self,
        kind: PduKind,
        status: i32,
        index: i32,
        oids: &[Oid],
    ) -> Result<Pdu, SnmpError> {
        let pdu = self.exchange(kind, status, index, oids).await?;
        if pdu.error_status != error_status::NO_ERROR {
            return Err(SnmpError::Agent {
                target: self.cfg.target,
                status: pdu.error_status,
                index: pdu.error_index,
            });
        }
        Ok(pdu)
    }

    async fn exchange(
        &self,
        kind: PduKind,
        status: i32,
        index: i32,
        oids: &[Oid],
    ) -> Result<Pdu, SnmpError> {
        let target = self.cfg.target;
        let request_id = self.next_request_id.fetch_add(1, Ordering::Relaxed) & 0x7FFF_FFFF;
        let msg = Message {
            version: VERSION_2C,
            community: self.cfg.community.as_bytes().to_vec(),
            pdu: Pdu {
                kind,
                request_id,
                error_status: status,
                error_index: index,
                varbinds: oids.iter().cloned().map(VarBind::null).collect(),
            },
        };
        let bytes = msg.encode();
        let mut buf = vec![0u8; 65_536];
        for _attempt in 0..=self.cfg.retries {
            self.requests_sent.fetch_add(1, Ordering::Relaxed);
            self.socket
                .send(&bytes)
                .await
                .map_err(|source| SnmpError::Io { target, source })?;
            let deadline = tokio::time::Instant::now() + self.cfg.timeout;
            loop {
                let received =
                    match tokio::time::timeout_at(deadline, self.socket.recv(&mut buf)).await {
                        Err(_elapsed) => break,
                        // ICMP port unreachable surfaces as ConnectionRefused: the same as silence to the user.
                        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                            tokio::time::sleep_until(deadline).await;
                            break;
                        }
                        Ok(Err(source)) => return Err(SnmpError::Io { target, source }),
                        Ok(Ok(n)) => n,
                    };
                let Ok(answer) = Message::decode(&buf[..received]) else {
                    continue;
                };
                if answer.pdu.kind == PduKind::Response && answer.pdu.request_id == request_id {
                    return Ok(answer.pdu);
                }
            }
        }
        Err(SnmpError::NoAnswer {
            target,
            timeout_ms: self.cfg.timeout.as_millis(),
        })
    }

    /// Walks every subtree in `roots` and returns what it found, sorted by OID. Subtrees travel together:
    /// one GETBULK carries the cursor of each unfinished subtree.
    pub async fn walk(&self, roots: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        let target = self.cfg.target;
        let mut cursors: Vec<Cursor> = roots
            .iter()
            .map(|r| Cursor {
                root: r.clone(),
                last: r.clone(),
                done: false,
            })
            .collect();
        let mut found: Vec<VarBind> = Vec::new();
        let mut bulk = true;
        let mut max_reps = self.cfg.max_repetitions.max(1);
        let mut answered_once = false;
        loop {
            let active: Vec<usize> = cursors
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.done)
                .map(|(i, _)| i)
                .take(MAX_CURSORS_PER_REQUEST)
                .collect();
            if active.is_empty() {
                break;
            }
            let oids: Vec<Oid> = active.iter().map(|i| cursors[*i].last.clone()).collect();
            let kind = if bulk {
                PduKind::GetBulk
            } else {
                PduKind::GetNext
            };
            let reps = if bulk {
                i32::try_from(max_reps).unwrap_or(i32::MAX)
            } else {
                0
            };
            let pdu = match self.exchange(kind, 0, reps, &oids).await {
                Ok(p) => p,
                Err(SnmpError::NoAnswer { .. }) if bulk && !answered_once => {
                    // Some agents drop GETBULK silently: try GETNEXT once before giving up.
                    bulk = false;
                    continue;
                }
                Err(SnmpError::NoAnswer { timeout_ms, .. }) if answered_once => {
                    // It answered before: not "no device here" but a walk cut short.
                    return Err(SnmpError::StoppedAnswering {
                        target,
                        values: found.len(),
                        timeout_ms,
                    });
                }
                Err(e) => return Err(e),
            };
            answered_once = true;
            match pdu.error_status {
                error_status::NO_ERROR => {}
                error_status::TOO_BIG if bulk && max_reps > 1 => {
                    max_reps /= 2;
                    continue;
                }
                _ if bulk => {
                    bulk = false;
                    continue;
                }
                status => {
                    return Err(SnmpError::Agent {
                        target,
                        status,
                        index: pdu.error_index,
                    });
                }
            }
            if pdu.varbinds.is_empty() {
                return Err(SnmpError::EmptyResponse { target });
            }
            for (k, vb) in pdu.varbinds.into_iter().enumerate() {
                let cursor = &mut cursors[active[k % active.len()]];
                if cursor.done {
                    continue;
                }
                if vb.value == Value::EndOfMibView
                    || !vb.oid.starts_with(&cursor.root)
                    || vb.oid == cursor.root && vb.value.is_exception()
                {
                    cursor.done = true;
                    continue;
                }
                if vb.oid <= cursor.last {
                    return Err(SnmpError::NonIncreasing {
                        target,
                        root: cursor.root.clone(),
                        previous: cursor.last.clone(),
                        received: vb.oid,
                    });
                }
                cursor.last = vb.oid.clone();
                found.push(vb);
                if found.len() > self.cfg.max_walk_varbinds {
                    return Err(SnmpError::EndlessWalk {
                        target,
                        root: cursor.root.clone(),
                        limit: self.cfg.max_walk_varbinds,
                    });
                }
            }
        }
        found.sort_by(|a, b| a.oid.cmp(&b.oid));
        found.dedup_by(|a, b| a.oid == b.oid);
        Ok(found)
    }
}

struct Cursor {
    root: Oid,
    last: Oid,
    done: bool,
}
