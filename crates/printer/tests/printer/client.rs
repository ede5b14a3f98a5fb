//! The client against agents that misbehave in the ways real devices do: refusing GETBULK, losing a
//! packet, returning OIDs that do not increase, never ending a walk. The peers here are small UDP
//! responders written for each fault; the well-behaved peers are net-snmp and snmpsim (crates/cli tests).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use printer::snmp::message::{VERSION_2C, error_status};
use printer::snmp::{
    Client, ClientConfig, Message, Oid, Pdu, PduKind, SnmpError, Value, VarBind, oid,
};
use tokio::net::UdpSocket;

/// Spawns a responder: `answer(request, count)` returns the response PDU's varbinds and error-status,
/// or None to stay silent.
async fn responder<F>(answer: F) -> (SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(&Pdu, usize) -> Option<(i32, Vec<VarBind>)> + Send + 'static,
{
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let addr = socket.local_addr().expect("addr");
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        for _ in 0..10_000 {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                continue;
            };
            let Ok(req) = Message::decode(&buf[..n]) else {
                continue;
            };
            let k = seen.fetch_add(1, Ordering::SeqCst);
            if let Some((status, varbinds)) = answer(&req.pdu, k) {
                let resp = Message {
                    version: VERSION_2C,
                    community: req.community.clone(),
                    pdu: Pdu {
                        kind: PduKind::Response,
                        request_id: req.pdu.request_id,
                        error_status: status,
                        error_index: 0,
                        varbinds,
                    },
                };
                let _ = socket.send_to(&resp.encode(), peer).await;
            }
        }
    });
    (addr, count)
}

async fn client(addr: SocketAddr) -> Client {
    let mut cfg = ClientConfig::new(addr, "public");
    cfg.timeout = Duration::from_millis(150);
    cfg.retries = 1;
    cfg.max_walk_varbinds = 500;
    Client::connect(cfg).await.expect("client")
}

/// A table of five rows under 1.3.6.1.2.1.43.11.1.1.9.1.
fn next_in_table(o: &Oid) -> VarBind {
    let table: Vec<Oid> = (1..=5)
        .map(|i| oid(&format!("1.3.6.1.2.1.43.11.1.1.9.1.{i}")))
        .collect();
    match table.iter().find(|t| *t > o) {
        Some(t) => VarBind::new(
            t.clone(),
            Value::Integer(i32::try_from(t.arcs()[12]).unwrap_or(0) * 10),
        ),
        None => VarBind::new(o.clone(), Value::EndOfMibView),
    }
}

#[tokio::test]
async fn falls_back_to_getnext_when_getbulk_is_refused() {
    let (addr, _) = responder(|pdu, _| match pdu.kind {
        PduKind::GetBulk => Some((error_status::GEN_ERR, pdu.varbinds.clone())),
        PduKind::GetNext => Some((
            0,
            pdu.varbinds
                .iter()
                .map(|vb| next_in_table(&vb.oid))
                .collect(),
        )),
        _ => None,
    })
    .await;
    let c = client(addr).await;
    let got = c
        .walk(&[oid("1.3.6.1.2.1.43.11.1.1.9")])
        .await
        .expect("walk");
    assert_eq!(got.len(), 5);
    assert_eq!(got[4].value, Value::Integer(50));
}

#[tokio::test]
async fn falls_back_to_getnext_when_getbulk_is_ignored() {
    let (addr, _) = responder(|pdu, _| match pdu.kind {
        PduKind::GetNext => Some((
            0,
            pdu.varbinds
                .iter()
                .map(|vb| next_in_table(&vb.oid))
                .collect(),
        )),
        _ => None,
    })
    .await;
    let got = client(addr)
        .await
        .walk(&[oid("1.3.6.1.2.1.43.11.1.1.9")])
        .await
        .expect("walk");
    assert_eq!(got.len(), 5);
}

#[tokio::test]
async fn a_lost_answer_is_retried() {
    let (addr, count) = responder(|pdu, k| {
        (k > 0).then(|| {
            (
                0,
                pdu.varbinds
                    .iter()
                    .map(|vb| VarBind::new(vb.oid.clone(), Value::Integer(7)))
                    .collect(),
            )
        })
    })
    .await;
    let got = client(addr)
        .await
        .get(&[oid("1.3.6.1.2.1.1.7.0")])
        .await
        .expect("answer after a retry");
    assert_eq!(got[0].value, Value::Integer(7));
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn silence_after_all_retries_is_no_answer() {
    let (addr, count) = responder(|_, _| None).await;
    let err = client(addr)
        .await
        .get(&[oid("1.3.6.1.2.1.1.1.0")])
        .await
        .expect_err("silence");
    assert!(matches!(err, SnmpError::NoAnswer { .. }), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 2, "one try and one retry");
}

#[tokio::test]
async fn non_increasing_oids_stop_the_walk_with_a_clear_error() {
    let (addr, _) = responder(|pdu, _| {
        // Always answers the same OID: a broken agent that would loop forever.
        Some((
            0,
            pdu.varbinds
                .iter()
                .map(|_| VarBind::new(oid("1.3.6.1.2.1.43.11.1.1.9.1.1"), Value::Integer(1)))
                .collect(),
        ))
    })
    .await;
    let err = client(addr)
        .await
        .walk(&[oid("1.3.6.1.2.1.43.11.1.1.9")])
        .await
        .expect_err("must stop");
    assert!(matches!(err, SnmpError::NonIncreasing { .. }), "{err}");
    assert!(err.to_string().contains("OIDs must increase"), "{err}");
}

#[tokio::test]
async fn a_device_that_stops_answering_mid_walk_is_a_clear_error_not_no_device() {
    // Answers the first GETBULK with the first row only, then never again.
    let (addr, count) = responder(|pdu, k| {
        (k == 0)
            .then(|| {
                (
                    0,
                    vec![VarBind::new(
                        oid("1.3.6.1.2.1.43.11.1.1.9.1.1"),
                        Value::Integer(10),
                    )],
                )
            })
            .filter(|_| pdu.kind == PduKind::GetBulk)
    })
    .await;
    let err = client(addr)
        .await
        .walk(&[oid("1.3.6.1.2.1.43.11.1.1.9")])
        .await
        .expect_err("cut short");
    assert!(
        matches!(err, SnmpError::StoppedAnswering { values: 1, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("stopped answering in the middle of a walk"),
        "{err}"
    );
    assert_eq!(
        count.load(Ordering::SeqCst),
        3,
        "the answer, a try and a retry"
    );
}

#[tokio::test]
async fn an_endless_walk_is_stopped() {
    let (addr, _) = responder(|pdu, _| {
        // Always more rows inside the subtree: 1.3.6.1.2.1.43.1.K, K growing without end.
        let k = pdu
            .varbinds
            .first()
            .and_then(|vb| vb.oid.arcs().get(8).copied())
            .unwrap_or(0);
        let reps = u32::try_from(pdu.error_index.max(1)).unwrap_or(1);
        Some((
            0,
            (1..=reps)
                .map(|i| {
                    VarBind::new(
                        oid(&format!("1.3.6.1.2.1.43.1.{}", k + i)),
                        Value::Integer(1),
                    )
                })
                .collect(),
        ))
    })
    .await;
    let err = client(addr)
        .await
        .walk(&[oid("1.3.6.1.2.1.43")])
        .await
        .expect_err("must stop");
    assert!(
        matches!(err, SnmpError::EndlessWalk { limit: 500, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("endless walk"), "{err}");
}

#[tokio::test]
async fn several_subtrees_travel_in_one_getbulk() {
    let (addr, count) = responder(|pdu, _| {
        assert_eq!(pdu.kind, PduKind::GetBulk);
        let n = pdu.varbinds.len();
        let reps = usize::try_from(pdu.error_index).unwrap_or(0);
        let mut cursors: Vec<Oid> = pdu.varbinds.iter().map(|v| v.oid.clone()).collect();
        let mut out = Vec::new();
        for _ in 0..reps {
            for c in cursors.iter_mut().take(n) {
                let vb = if c.starts_with(&oid("1.3.6.1.2.1.43.11.1.1.9")) {
                    next_in_table(c)
                } else {
                    VarBind::new(oid("1.3.6.1.2.1.43.11.1.1.9.1.1"), Value::Integer(10))
                };
                *c = vb.oid.clone();
                out.push(vb);
            }
        }
        Some((0, out))
    })
    .await;
    let got = client(addr)
        .await
        .walk(&[oid("1.3.6.1.2.1.1"), oid("1.3.6.1.2.1.43.11.1.1.9")])
        .await
        .expect("walk");
    assert_eq!(got.len(), 5);
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "both subtrees in one round trip"
    );
}
