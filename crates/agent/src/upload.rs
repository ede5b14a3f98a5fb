//! Store-and-forward: sends the queue to the manager in batches until it is empty or the manager
//! cannot take more now. A batch leaves the queue only after the manager's 200.

use std::time::Duration;

use proto::fleet::{
    BatchReceipt, MAX_BATCH_READINGS, MAX_BATCH_READINGS_BYTES, ReadingBatch, ReadingOutcome,
};
use serde::Serialize;

use crate::credential::Enrolment;
use crate::queue::Queue;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(
        "the manager refused the agent's credential (was the agent revoked?); the readings stay queued"
    )]
    Refused,
    #[error(
        "the manager cannot be reached or failed ({0}); the readings stay queued and are sent later"
    )]
    Unavailable(String),
    #[error(transparent)]
    Local(#[from] anyhow::Error),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UploadStats {
    pub batches: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

pub fn client() -> anyhow::Result<reqwest::Client> {
    Ok(platform::ops::client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .build()?)
}

/// Uploads until the queue is empty.
pub async fn drain(
    http: &reqwest::Client,
    enrolment: &Enrolment,
    queue: &Queue,
    batch_size: usize,
) -> Result<UploadStats, UploadError> {
    let mut stats = UploadStats::default();
    let url = format!(
        "{}/api/v1/agents/readings",
        enrolment.manager.trim_end_matches('/')
    );
    let batch_size = batch_size.clamp(1, MAX_BATCH_READINGS);
    while let Some(batch) = queue
        .next_batch(batch_size, MAX_BATCH_READINGS_BYTES)
        .await?
    {
        let body = ReadingBatch {
            batch_id: batch.batch_id,
            agent_version: crate::VERSION.to_string(),
            readings: batch.readings,
        };
        let res = http
            .post(&url)
            .bearer_auth(&enrolment.credential)
            .header("X-Agent-Version", crate::VERSION)
            .json(&body)
            .send()
            .await
            .map_err(|e| UploadError::Unavailable(e.to_string()))?;
        let status = res.status();
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(UploadError::Refused);
        }
        if !status.is_success() {
            let text = res.text().await.unwrap_or_default();
            return Err(UploadError::Unavailable(format!(
                "HTTP {status}: {}",
                text.chars().take(300).collect::<String>()
            )));
        }
        let receipt: BatchReceipt = res
            .json()
            .await
            .map_err(|e| UploadError::Unavailable(format!("unreadable answer: {e}")))?;
        for r in &receipt.results {
            if r.outcome == ReadingOutcome::Rejected || r.detail.is_some() {
                tracing::warn!(reading = %r.reading_id, outcome = ?r.outcome,
                    detail = r.detail.as_deref().unwrap_or(""), "the manager did not take all of a reading");
            }
        }
        queue.delivered(batch.batch_id, chrono::Utc::now()).await?;
        stats.batches += 1;
        stats.stored += u64::from(receipt.stored);
        stats.duplicates += u64::from(receipt.duplicates);
        stats.rejected += u64::from(receipt.rejected);
        tracing::info!(batch = %batch.batch_id, stored = receipt.stored, duplicates = receipt.duplicates,
            rejected = receipt.rejected, "batch delivered");
    }
    Ok(stats)
}
