//! Retention: contact details of incidents closed (or cancelled) more than N days ago are removed.

use crate::clock::Clock;
use crate::storage::{Storage, StoreError};
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_KEEP_DAYS: u32 = 90;

#[derive(Clone)]
pub struct RetentionJob {
    pub store: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub keep_days: u32,
}

impl RetentionJob {
    /// Removes what is due now; returns how many incidents lost their contact details.
    pub async fn run_once(&self) -> Result<u64, StoreError> {
        let cutoff = self.clock.now() - chrono::Duration::days(i64::from(self.keep_days));
        self.store.remove_expired_contacts(cutoff).await
    }

    /// Runs every `every` until the task is dropped.
    pub async fn run_forever(self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match self.run_once().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(incidents = n, "retention: removed contact details"),
                Err(e) => tracing::warn!(error = %e, "retention run failed"),
            }
        }
    }
}
