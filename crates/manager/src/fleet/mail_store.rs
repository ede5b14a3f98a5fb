//! Storage of e-mail notifications (issue 13): the partner's notification addresses (sealed with
//! the contact-details key ring) and the mail outbox, on both backends (one trait,
//! [`MailNotifyStorage`], implemented once by the generic `SqlStore`). Every query of the API takes the
//! partner id.
//!
//! Exactly once across instances: a sender claims ONE row at a time (compare-and-set on
//! `lease_until` with a fresh `claim_token`), sends it within a third of the lease, and records a
//! sent message by `id` alone (`sent_at IS NULL`), so a send that completed counts even if its
//! lease ran out; failures are recorded only under the sender's token, so a sender whose lease
//! ran out cannot move the row any more.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules_store::{AttemptOutcome, event_id_of, events_of};
use crate::crypto::KeyRing;
use crate::domain::EmailAddress;
use crate::storage::sql::Columns;
use crate::storage::{Result, SqlStore, StoreError, from_ms, ms, uuid};
use platform::sql::RowsAffected;
use sqlx::Row;

/// A notification address as the API shows it to its partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecipientView {
    pub id: Uuid,
    /// The address (the partner's own; stored encrypted).
    pub address: String,
    /// The language of the e-mails: en, de, fr, it or es.
    pub language: String,
    /// The event types it receives; empty means all.
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// One event to e-mail to one address, claimed by a sender.
#[derive(Clone)]
pub struct MailItem {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub recipient_id: Uuid,
    /// Decrypted; never logged.
    pub address: EmailAddress,
    pub language: String,
    pub event_type: String,
    pub body: String,
    pub attempts: u32,
    pub claim_token: String,
}

impl std::fmt::Debug for MailItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailItem")
            .field("id", &self.id)
            .field("recipient_id", &self.recipient_id)
            .field("address", &"[redacted]")
            .field("event_type", &self.event_type)
            .field("attempts", &self.attempts)
            .finish()
    }
}

/// One notification e-mail, for the partner's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MailView {
    pub id: Uuid,
    pub recipient_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    /// pending, sent or failed
    pub state: String,
    pub sent_at: Option<DateTime<Utc>>,
    /// The last failure (addresses scrubbed).
    pub last_error: Option<String>,
}

#[async_trait::async_trait]
pub trait MailNotifyStorage: Send + Sync + 'static {
    async fn create_recipient(
        &self,
        partner_id: Uuid,
        address: &EmailAddress,
        language: &str,
        events: &[String],
    ) -> Result<RecipientView>;
    async fn list_recipients(&self, partner_id: Uuid) -> Result<Vec<RecipientView>>;
    /// Removes an address; what it had not received yet is not sent.
    async fn delete_recipient(&self, partner_id: Uuid, id: Uuid) -> Result<()>;
    /// One outbox row per address of the partner that wants `event_type` (the row id is derived
    /// from the event and the address, so queueing the same event again adds nothing).
    async fn enqueue_mail(
        &self,
        partner_id: Uuid,
        event_id: Uuid,
        event_type: &str,
        body: &str,
    ) -> Result<u64>;
    /// Claims one due row until `lease_until` under `token`, or none.
    async fn claim_mail(&self, lease_until: DateTime<Utc>, token: &str)
    -> Result<Option<MailItem>>;
    /// The mail server accepted the message: recorded by id alone (see the module comment).
    async fn mail_sent(&self, id: Uuid) -> Result<bool>;
    /// An attempt failed: retry at a time or give up; only under `token`.
    async fn mail_not_sent(
        &self,
        id: Uuid,
        token: &str,
        error: &str,
        outcome: AttemptOutcome,
    ) -> Result<bool>;
    /// The partner's notification e-mails, newest first.
    async fn list_mail(&self, partner_id: Uuid, limit: u32) -> Result<Vec<MailView>>;
}

/// A `notification_recipients` row, its address unsealed.
fn recipient(keys: &KeyRing, r: &impl Columns) -> Result<RecipientView> {
    let id = r.text("id")?;
    Ok(RecipientView {
        address: keys.decrypt(&r.text("address")?, &format!("{id}:recipient"))?,
        id: uuid(&id)?,
        language: r.text("language")?,
        events: events_of(&r.text("events")?),
        created_at: from_ms(r.int("created_at")?)?,
    })
}

#[async_trait::async_trait]
impl<DB> MailNotifyStorage for SqlStore<DB>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
{
    async fn create_recipient(
        &self,
        partner_id: Uuid,
        address: &EmailAddress,
        language: &str,
        events: &[String],
    ) -> Result<RecipientView> {
        let id = self.ctx.ids.new_id().to_string();
        let sealed = self
            .ctx
            .keys
            .encrypt(address.expose(), &format!("{id}:recipient"))?;
        sqlx::query(
            "INSERT INTO notification_recipients (id, partner_id, address, language, events, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(partner_id.to_string())
        .bind(sealed)
        .bind(language)
        .bind(events.join(","))
        .bind(ms(self.ctx.clock.now()))
        .execute(&self.writer)
        .await?;
        let r = sqlx::query(
            "SELECT id, address, language, events, created_at FROM notification_recipients WHERE id = $1",
        )
        .bind(&id)
        .fetch_one(&self.writer)
        .await?;
        recipient(&self.ctx.keys, &r)
    }

    async fn list_recipients(&self, partner_id: Uuid) -> Result<Vec<RecipientView>> {
        let rows = sqlx::query(
            "SELECT id, address, language, events, created_at FROM notification_recipients \
             WHERE partner_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
        )
        .bind(partner_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| recipient(&self.ctx.keys, r)).collect()
    }

    async fn delete_recipient(&self, partner_id: Uuid, id: Uuid) -> Result<()> {
        let now = ms(self.ctx.clock.now());
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE notification_recipients SET deleted_at = $1 WHERE id = $2 AND partner_id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .bind(partner_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound("notification address"));
        }
        sqlx::query(
            "UPDATE mail_outbox SET failed_at = $1, last_error = 'the address was removed' \
             WHERE recipient_id = $2 AND sent_at IS NULL AND failed_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn enqueue_mail(
        &self,
        partner_id: Uuid,
        event_id: Uuid,
        event_type: &str,
        body: &str,
    ) -> Result<u64> {
        let rows = sqlx::query(
            "SELECT id, events FROM notification_recipients WHERE partner_id = $1 AND deleted_at IS NULL",
        )
        .bind(partner_id.to_string())
        .fetch_all(&self.pool)
        .await?;
        let now = ms(self.ctx.clock.now());
        let mut n = 0;
        for r in rows {
            let recipient: String = r.try_get("id")?;
            let events = events_of(&r.try_get::<String, _>("events")?);
            if !events.is_empty() && !events.iter().any(|e| e == event_type) {
                continue;
            }
            let digest =
                <sha2::Sha256 as sha2::Digest>::digest(format!("{event_id}/mail/{recipient}"));
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
            n += sqlx::query(
                "INSERT INTO mail_outbox (id, partner_id, recipient_id, event_type, body, created_at, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(partner_id.to_string())
            .bind(&recipient)
            .bind(event_type)
            .bind(body)
            .bind(now)
            .execute(&self.writer)
            .await?
            .rows_affected();
        }
        Ok(n)
    }

    async fn claim_mail(
        &self,
        lease_until: DateTime<Utc>,
        token: &str,
    ) -> Result<Option<MailItem>> {
        let now = ms(self.ctx.clock.now());
        let candidates = sqlx::query(
            "SELECT id FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL \
             AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
             ORDER BY next_attempt_at, id LIMIT 8",
        )
        .bind(now)
        .fetch_all(&self.writer)
        .await?;
        for c in candidates {
            let id: String = c.try_get("id")?;
            // Compare-and-set: of two senders, one takes the row.
            let taken = sqlx::query(
                "UPDATE mail_outbox SET lease_until = $1, claim_token = $2 WHERE id = $3 \
                 AND sent_at IS NULL AND failed_at IS NULL AND (lease_until IS NULL OR lease_until <= $4)",
            )
            .bind(ms(lease_until))
            .bind(token)
            .bind(&id)
            .bind(now)
            .execute(&self.writer)
            .await?
            .rows_affected();
            if taken == 0 {
                continue;
            }
            let r = sqlx::query(
                "SELECT o.id, o.partner_id, o.recipient_id, o.event_type, o.body, o.attempts, r.address, r.language \
                 FROM mail_outbox o JOIN notification_recipients r ON r.id = o.recipient_id WHERE o.id = $1",
            )
            .bind(&id)
            .fetch_one(&self.writer)
            .await?;
            let recipient: String = r.try_get("recipient_id")?;
            let sealed: String = r.try_get("address")?;
            let address = self
                .ctx
                .keys
                .decrypt(&sealed, &format!("{recipient}:recipient"))?;
            let address = EmailAddress::parse(&address)
                .map_err(|_| StoreError::Corrupt("notification address".into()))?;
            return Ok(Some(MailItem {
                id: uuid(&id)?,
                partner_id: uuid(&r.try_get::<String, _>("partner_id")?)?,
                recipient_id: uuid(&recipient)?,
                address,
                language: r.try_get("language")?,
                event_type: r.try_get("event_type")?,
                body: r.try_get("body")?,
                attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                claim_token: token.to_string(),
            }));
        }
        Ok(None)
    }

    async fn mail_sent(&self, id: Uuid) -> Result<bool> {
        let now = ms(self.ctx.clock.now());
        let n = sqlx::query(
            "UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, lease_until = NULL, claim_token = NULL, \
             last_error = NULL WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL",
        )
        .bind(now)
        .bind(id.to_string())
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn mail_not_sent(
        &self,
        id: Uuid,
        token: &str,
        error: &str,
        outcome: AttemptOutcome,
    ) -> Result<bool> {
        let now = ms(self.ctx.clock.now());
        let (next, failed) = match outcome {
            AttemptOutcome::RetryAt(t) => (ms(t), None),
            AttemptOutcome::GiveUp | AttemptOutcome::Delivered => (now, Some(now)),
        };
        let error: String = error.chars().take(500).collect();
        let n = sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $1, failed_at = $2, last_error = $3, \
             lease_until = NULL, claim_token = NULL WHERE id = $4 AND claim_token = $5 AND sent_at IS NULL AND failed_at IS NULL",
        )
        .bind(next)
        .bind(failed)
        .bind(error)
        .bind(id.to_string())
        .bind(token)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn list_mail(&self, partner_id: Uuid, limit: u32) -> Result<Vec<MailView>> {
        let rows = sqlx::query(
            "SELECT id, recipient_id, event_type, body, created_at, attempts, sent_at, failed_at, last_error \
             FROM mail_outbox WHERE partner_id = $1 ORDER BY created_at DESC, id LIMIT $2",
        )
        .bind(partner_id.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                let event_id = event_id_of(&body)?;
                let sent_at = r
                    .try_get::<Option<i64>, _>("sent_at")?
                    .map(from_ms)
                    .transpose()?;
                let state = if sent_at.is_some() {
                    "sent"
                } else if r.try_get::<Option<i64>, _>("failed_at")?.is_some() {
                    "failed"
                } else {
                    "pending"
                };
                Ok(MailView {
                    id: uuid(&r.try_get::<String, _>("id")?)?,
                    recipient_id: uuid(&r.try_get::<String, _>("recipient_id")?)?,
                    event_id,
                    event_type: r.try_get("event_type")?,
                    created_at: from_ms(r.try_get("created_at")?)?,
                    attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    state: state.into(),
                    sent_at,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }
}
