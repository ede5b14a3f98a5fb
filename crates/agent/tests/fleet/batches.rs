//! Batch size: the agent's batches stay within what the manager takes (`proto::fleet`'s batch
//! limits, one place for both), and a `--batch-size` the manager would refuse is refused at the
//! command line.

use proto::fleet::{FleetIdentity, FleetSupply, Reading, SupplyClass, SupplyStatus};
use uuid::Uuid;

use crate::helpers::*;

#[test]
fn a_batch_size_the_manager_would_refuse_is_refused() {
    for bad in ["0", "1001", "many"] {
        let (success, _, err) = run(bin().args([
            "agent",
            "run",
            "--once",
            "--target",
            "127.0.0.1",
            "--batch-size",
            bad,
        ]));
        assert!(!success, "--batch-size {bad}");
        assert!(err.contains("a batch holds 1 to 1000 readings"), "{err}");
    }
}

/// A reading of about 9 KiB of JSON (20 supplies with long descriptions).
fn big_reading(i: usize) -> Reading {
    Reading {
        reading_id: Uuid::now_v7(),
        read_at: chrono::Utc::now(),
        address: format!("127.0.0.1:{}", 2000 + i),
        identity: FleetIdentity {
            serial: format!("BIG-{i:04}"),
            model: Some("Big printer".into()),
            ..Default::default()
        },
        status: Default::default(),
        supplies: (1..=20)
            .map(|k| FleetSupply {
                index: format!("1.{k}"),
                description: format!("Supply {k} {}", "é".repeat(140)),
                part_number: Some("006R01509".into()),
                kind: "toner".into(),
                class: SupplyClass::Consumed,
                colorant: Some("black".into()),
                max_capacity: Some(100),
                level: Some(50),
                percent: Some(50),
                status: SupplyStatus::Ok,
            })
            .collect(),
        meters: vec![],
        alerts: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_big_readings_go_up_in_batches_the_manager_takes() {
    let s = system();
    let readings: Vec<Reading> = (0..1000).map(big_reading).collect();
    let bytes: usize = readings
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap().len())
        .sum();
    assert!(
        bytes > proto::fleet::MAX_BATCH_READINGS_BYTES,
        "the test needs more than one batch's bytes: {bytes}"
    );
    {
        let queue = agent::queue::Queue::open(&s.agent_dir(), 100_000)
            .await
            .unwrap();
        let items: Vec<(Reading, String, bool)> = readings
            .iter()
            .map(|r| (r.clone(), "public".to_string(), false))
            .collect();
        queue.push_many(&items).await.unwrap();
    }
    let (success, out, err) =
        run(s
            .agent()
            .args(["agent", "run", "--upload-only", "--target", "127.0.0.1"]));
    assert!(success, "{out}\n{err}");
    // 1000 readings fit one batch by count, not by bytes: several batches, each one the manager
    // took, every reading stored once.
    let batches: usize = out
        .split("uploaded ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        batches >= bytes.div_ceil(proto::fleet::MAX_BATCH_READINGS_BYTES),
        "{out}\n{err}"
    );
    assert!(
        out.contains("batches: 1000 stored, 0 already there, 0 refused; 0 readings queued"),
        "{out}\n{err}"
    );
    for i in [0, 999] {
        let stored = s.get(&format!("/api/v1/devices/BIG-{i:04}/readings")).await;
        assert_eq!(stored.as_array().unwrap().len(), 1, "BIG-{i:04}");
        assert_eq!(
            stored[0]["supplies"][19]["description"],
            readings[i].supplies[19].description
        );
    }
}
