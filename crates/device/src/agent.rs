//! The SNMP v2c agent over UDP: answers GET, GETNEXT and GETBULK from the [`Mib`] in lexicographic OID
//! order. A wrong community gets no answer (as real agents do) and is counted; a malformed packet is
//! dropped and counted; nothing a packet holds can make it panic.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use printer::snmp::message::{VERSION_2C, encoded_varbind, error_status};
use printer::snmp::{Message, Pdu, PduKind, VarBind};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::mib::Mib;

/// What the agent has seen, for tests, benchmarks and the operator.
#[derive(Debug, Default)]
pub struct AgentStats {
    pub answered: AtomicU64,
    pub wrong_community: AtomicU64,
    pub malformed: AtomicU64,
    pub unsupported: AtomicU64,
}

impl AgentStats {
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }
    pub fn wrong_community(&self) -> u64 {
        self.wrong_community.load(Ordering::Relaxed)
    }
    pub fn malformed(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }
}

/// Largest response the agent sends (the largest UDP payload over IPv4).
pub const MAX_RESPONSE_BYTES: usize = 65_507;
/// GETBULK answers hold at most this many variable bindings.
pub const MAX_BULK_VARBINDS: usize = 2_048;

pub struct Agent {
    mib: Arc<Mib>,
    community: Vec<u8>,
    stats: Arc<AgentStats>,
    max_response_bytes: usize,
}

impl Agent {
    pub fn new(mib: Arc<Mib>, community: &str) -> Self {
        Self {
            mib,
            community: community.as_bytes().to_vec(),
            stats: Arc::default(),
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }

    /// Limits responses to `bytes` (to emulate agents with small buffers).
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes.max(64);
        self
    }

    pub fn stats(&self) -> Arc<AgentStats> {
        self.stats.clone()
    }

    /// The answer to one datagram, or `None` when the agent stays silent.
    pub fn handle(&self, datagram: &[u8]) -> Option<Vec<u8>> {
        let Ok(request) = Message::decode(datagram) else {
            self.stats.malformed.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        if request.version != VERSION_2C {
            self.stats.unsupported.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        if request.community != self.community {
            self.stats.wrong_community.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let pdu = &request.pdu;
        let reply = |error_status: i32, error_index: i32, varbinds: Vec<VarBind>| Message {
            version: VERSION_2C,
            community: request.community.clone(),
            pdu: Pdu {
                kind: PduKind::Response,
                request_id: pdu.request_id,
                error_status,
                error_index,
                varbinds,
            },
        };
        let oids: Vec<_> = pdu.varbinds.iter().map(|vb| vb.oid.clone()).collect();
        let answer = match pdu.kind {
            PduKind::Get => reply(
                0,
                0,
                oids.iter()
                    .map(|o| VarBind::new(o.clone(), self.mib.get(o)))
                    .collect(),
            ),
            PduKind::GetNext => reply(0, 0, oids.iter().map(|o| self.mib.next(o)).collect()),
            PduKind::GetBulk => {
                let non_repeaters = usize::try_from(pdu.error_status.max(0)).unwrap_or(0);
                let max_repetitions = usize::try_from(pdu.error_index.max(0)).unwrap_or(0);
                let varbinds =
                    self.mib
                        .bulk(&oids, non_repeaters, max_repetitions, MAX_BULK_VARBINDS);
                return Some(self.fit(reply(0, 0, Vec::new()), varbinds, true));
            }
            PduKind::Set => reply(error_status::NOT_WRITABLE, 1, pdu.varbinds.clone()),
            PduKind::Response | PduKind::Trap | PduKind::Report | PduKind::Inform => {
                self.stats.unsupported.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        let varbinds = answer.pdu.varbinds.clone();
        Some(self.fit(
            Message {
                pdu: Pdu {
                    varbinds: Vec::new(),
                    ..answer.pdu
                },
                ..answer
            },
            varbinds,
            false,
        ))
    }

    /// Encodes `shell` with `varbinds`, keeping within the size limit: GETBULK answers are cut short
    /// (RFC 3416 4.2.3); any other answer that does not fit becomes tooBig with no bindings.
    fn fit(&self, shell: Message, varbinds: Vec<VarBind>, may_truncate: bool) -> Vec<u8> {
        self.stats.answered.fetch_add(1, Ordering::Relaxed);
        // Headroom for the length bytes of the three enclosing sequences.
        let overhead = shell.encode().len() + 12;
        let mut encoded = Vec::with_capacity(varbinds.len());
        let mut size = overhead;
        for vb in &varbinds {
            let e = encoded_varbind(vb);
            if size + e.len() > self.max_response_bytes {
                if may_truncate && !encoded.is_empty() {
                    break;
                }
                let too_big = Message {
                    pdu: Pdu {
                        error_status: error_status::TOO_BIG,
                        error_index: 0,
                        ..shell.pdu.clone()
                    },
                    ..shell
                };
                return too_big.encode();
            }
            size += e.len();
            encoded.push(e);
        }
        shell.encode_with(&encoded)
    }

    /// Serves on `socket` with `workers` tasks until the returned handles are aborted.
    pub fn serve(self: Arc<Self>, socket: UdpSocket, workers: usize) -> Vec<JoinHandle<()>> {
        let socket = Arc::new(socket);
        (0..workers.max(1))
            .map(|_| {
                let socket = socket.clone();
                let agent = self.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65_536];
                    loop {
                        let (n, peer) = match socket.recv_from(&mut buf).await {
                            Ok(x) => x,
                            Err(e) => {
                                // ICMP errors from earlier sends surface here on some systems; keep serving.
                                tracing::debug!(error = %e, "snmp recv");
                                continue;
                            }
                        };
                        if let Some(answer) = agent.handle(&buf[..n])
                            && let Err(e) = socket.send_to(&answer, peer).await
                        {
                            tracing::debug!(error = %e, %peer, "snmp send");
                        }
                    }
                })
            })
            .collect()
    }
}

/// Binds `addr` and serves; returns the bound address, the stats and the worker handles.
pub async fn spawn(
    agent: Agent,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, Arc<AgentStats>, Vec<JoinHandle<()>>)> {
    let socket = UdpSocket::bind(addr).await?;
    let local = socket.local_addr()?;
    let stats = agent.stats();
    let handles = Arc::new(agent).serve(socket, 2);
    Ok((local, stats, handles))
}

#[cfg(test)]
mod tests {
    use super::*;
    use printer::snmp::{Value, oid};
    use proptest::prelude::*;

    fn agent() -> Agent {
        let mib = Mib::new(vec![
            VarBind::new(
                oid("1.3.6.1.2.1.1.1.0"),
                Value::OctetString(b"Test device".to_vec()),
            ),
            VarBind::new(oid("1.3.6.1.2.1.1.3.0"), Value::TimeTicks(42)),
        ]);
        Agent::new(Arc::new(mib), "public")
    }

    fn request(kind: PduKind, community: &str, oids: &[&str], status: i32, index: i32) -> Vec<u8> {
        Message {
            version: VERSION_2C,
            community: community.as_bytes().to_vec(),
            pdu: Pdu {
                kind,
                request_id: 7,
                error_status: status,
                error_index: index,
                varbinds: oids.iter().map(|o| VarBind::null(oid(o))).collect(),
            },
        }
        .encode()
    }

    #[test]
    fn wrong_community_is_silent_and_counted() {
        let a = agent();
        assert!(
            a.handle(&request(
                PduKind::Get,
                "private",
                &["1.3.6.1.2.1.1.1.0"],
                0,
                0
            ))
            .is_none()
        );
        assert_eq!(a.stats().wrong_community(), 1);
    }

    #[test]
    fn get_next_and_bulk_answer_in_order() {
        let a = agent();
        let answer = Message::decode(
            &a.handle(&request(PduKind::GetBulk, "public", &["1.3"], 0, 10))
                .expect("answer"),
        )
        .expect("decodes");
        let vbs = answer.pdu.varbinds;
        assert_eq!(vbs.len(), 3);
        assert_eq!(vbs[0].oid, oid("1.3.6.1.2.1.1.1.0"));
        assert_eq!(vbs[1].value, Value::TimeTicks(42));
        assert_eq!(vbs[2].value, Value::EndOfMibView);
        assert_eq!(answer.pdu.request_id, 7);
    }

    #[test]
    fn set_is_refused_as_not_writable() {
        let a = agent();
        let answer = Message::decode(
            &a.handle(&request(
                PduKind::Set,
                "public",
                &["1.3.6.1.2.1.1.1.0"],
                0,
                0,
            ))
            .expect("answer"),
        )
        .expect("decodes");
        assert_eq!(answer.pdu.error_status, error_status::NOT_WRITABLE);
    }

    #[test]
    fn small_buffers_cut_bulk_and_refuse_big_gets() {
        let a = agent().with_max_response_bytes(80);
        let bulk = Message::decode(
            &a.handle(&request(PduKind::GetBulk, "public", &["1.3"], 0, 10))
                .expect("answer"),
        )
        .expect("decodes");
        assert!(
            bulk.pdu.error_status == 0 && bulk.pdu.varbinds.len() < 3,
            "{bulk:?}"
        );
        let get = Message::decode(
            &a.handle(&request(
                PduKind::Get,
                "public",
                &[
                    "1.3.6.1.2.1.1.1.0",
                    "1.3.6.1.2.1.1.3.0",
                    "1.3.6.1.2.1.1.1.0",
                ],
                0,
                0,
            ))
            .expect("answer"),
        )
        .expect("decodes");
        assert_eq!(get.pdu.error_status, error_status::TOO_BIG);
    }

    proptest! {
        #[test]
        fn arbitrary_datagrams_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let a = agent();
            let _ = a.handle(&bytes);
        }

        #[test]
        fn any_bulk_parameters_are_safe(non_rep in any::<i32>(), max_rep in any::<i32>()) {
            let a = agent();
            let answer = a.handle(&request(PduKind::GetBulk, "public", &["1.3", "1.3.6.1.2.1.1.1.0"], non_rep, max_rep));
            prop_assert!(answer.is_some());
        }
    }
}
