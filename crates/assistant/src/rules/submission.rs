//! Accepting a submission: written to the outbox (the acknowledgement: from then on it survives a
//! crash), then delivered to the Services Manager within the acknowledgement deadline if it can be.
//! A retry with the same idempotency key returns the first answer.

use chrono::{DateTime, Utc};
use proto::AppConfiguration;
use proto::manager::ContactBody;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{MeterInput, RuleError, SupplyPick};
use crate::service::{DeviceContext, Services};
use crate::store::{Inserted, NewSubmission, Submission, SubmissionKind, SubmissionState};
use crate::worker::{Outcome, Refusal};

/// The answer to an accepted submission.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Accepted {
    pub reference: String,
    /// Known when the Services Manager answered within the deadline.
    pub incident_number: Option<String>,
    pub created_at: DateTime<Utc>,
    /// `delivered` (in the Services Manager) or `accepted` (safely queued; the number follows by e-mail).
    pub status: String,
}

/// What the payload of a submission holds: everything but the contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    pub language: String,
    pub title: String,
    pub model: Option<String>,
    #[serde(default)]
    pub issue_code: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub supplies: Vec<SupplyPick>,
    #[serde(default)]
    pub meters: Vec<MeterInput>,
    /// The partner's logo from the app configuration: an https URL or a data: URL (at most 10 KB).
    #[serde(default)]
    pub logo: Option<String>,
    /// The partner's support address from the app configuration (a role address): told if the
    /// Services Manager refuses this submission after it was acknowledged.
    #[serde(default)]
    pub support_email: Option<String>,
    /// The help-desk override of the app configuration: the confirmation e-mail shows the
    /// partner's own ticket number instead of the incident number.
    #[serde(default)]
    pub help_desk_override: bool,
}

/// The payload fields every submission takes from the app configuration.
pub fn payload_base(
    config: &AppConfiguration,
    model: Option<String>,
    language: platform::i18n::Locale,
) -> Payload {
    Payload {
        language: language.code().to_string(),
        title: "Support Assistant".into(),
        model,
        issue_code: None,
        description: String::new(),
        supplies: Vec::new(),
        meters: Vec::new(),
        logo: super::startup::effective_settings(config, language).logo_url,
        support_email: config.support_email.clone(),
        help_desk_override: config.help_desk_override,
    }
}

impl Services {
    /// Writes an accepted submission to the outbox (the acknowledgement), then tries to deliver it
    /// within the deadline. A retry with the same key returns the first answer.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit(
        &self,
        device: &DeviceContext,
        kind: SubmissionKind,
        idempotency_key: Option<&str>,
        payload: Payload,
        contact: Option<ContactBody>,
        send_mail: bool,
    ) -> Result<Accepted, RuleError> {
        let key = idempotency_key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                RuleError::BadRequest(
                    "the Idempotency-Key header is required (a fresh random value per submission)"
                        .into(),
                )
            })?;
        // The same rule as the Services Manager's (`proto::schema::idempotency_key`).
        if key.len() > proto::manager::limits::IDEMPOTENCY_KEY
            || !key.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(RuleError::BadRequest(
                "the Idempotency-Key must be 1 to 255 printable ASCII characters".into(),
            ));
        }
        if key.len() > 128 || key.chars().any(|c| c.is_control()) {
            return Err(RuleError::BadRequest(
                "the Idempotency-Key header must be at most 128 printable characters".into(),
            ));
        }
        let now = self.clock.now();
        if device.demo {
            return Ok(super::demo::accepted(kind, now));
        }
        // The manager must know where to send this before we promise anything.
        self.managers.for_tenant(&device.tenant)?;
        let payload_json =
            serde_json::to_value(&payload).map_err(|e| RuleError::Internal(e.to_string()))?;
        let hash = {
            let mut h = Sha256::new();
            h.update(kind.as_str().as_bytes());
            h.update(payload_json.to_string().as_bytes());
            if let Some(c) = &contact {
                h.update(serde_json::to_string(c).unwrap_or_default().as_bytes());
            }
            hex::encode(h.finalize())
        };
        let contact_sealed = match &contact {
            Some(c) => Some(
                self.contact_keys
                    .seal(c)
                    .map_err(|e| RuleError::Internal(format!("sealing the contact: {e}")))?,
            ),
            None => None,
        };
        let id = Uuid::now_v7();
        let new = NewSubmission {
            id,
            reference: reference_for(kind, id),
            device_serial: device.serial.clone(),
            tenant: device.tenant.clone(),
            kind,
            idempotency_key: key.to_string(),
            request_hash: hash,
            payload: payload_json,
            contact_sealed,
            send_mail: send_mail && contact.is_some(),
            created_at: now,
            lease_until: Some(
                now + chrono::Duration::from_std(self.delivery.lease)
                    .unwrap_or(chrono::Duration::seconds(30)),
            ),
        };
        let submission = match self.store.insert(new).await {
            Ok(Inserted::New(s)) => s,
            Ok(Inserted::Existing(s)) => return Ok(accepted(&s)),
            Err(crate::store::StoreError::IdempotencyConflict(k)) => {
                return Err(RuleError::Conflict(format!(
                    "the Idempotency-Key {k:?} was already used for a different submission"
                )));
            }
            Err(e) => return Err(RuleError::Internal(e.to_string())),
        };
        // Acknowledged: from here on the submission survives a crash. Deliver now, but answer by the deadline.
        let waiter = self.delivery.clone().deliver_now(submission.clone());
        match tokio::time::timeout(self.ack_deadline, waiter).await {
            Ok(Ok(Outcome::Delivered(number))) => Ok(Accepted {
                reference: submission.reference,
                incident_number: Some(number),
                created_at: now,
                status: "delivered".into(),
            }),
            Ok(Ok(Outcome::Refused(refusal))) => {
                // The manager refused it while the person still waits: not acknowledged after
                // all. The row goes (under our claim), and the person learns why.
                let withdrawn = match submission.claim {
                    Some(claim) => self.store.withdraw(submission.id, claim.token).await,
                    None => Ok(false),
                };
                if !matches!(withdrawn, Ok(true)) {
                    tracing::error!(reference = %submission.reference, "a refused submission could not be withdrawn; it stays in the outbox");
                }
                Err(refused(device, &refusal))
            }
            _ => Ok(accepted(&submission)),
        }
    }
}

/// The manager's refusal in the rules' words: the device not in the partner's fleet, or the
/// fields the manager named (by the same `proto` rules, e.g. a meter below its previous read).
fn refused(device: &DeviceContext, refusal: &Refusal) -> RuleError {
    match refusal.problem.as_deref() {
        Some(p) if proto::manager::names_unknown_device(p) => {
            RuleError::UnknownDevice(device.serial.clone())
        }
        // 409: the values conflict with what the manager holds (a meter below its previous read).
        Some(p) if p.status == 409 && !p.errors.is_empty() => {
            RuleError::Conflicting(p.errors.clone())
        }
        Some(p) if !p.errors.is_empty() => RuleError::Invalid(p.errors.clone()),
        Some(p) => RuleError::Refused(p.detail.clone()),
        None => RuleError::Refused(refusal.reason.clone()),
    }
}

fn accepted(s: &Submission) -> Accepted {
    let delivered = matches!(s.state, SubmissionState::Delivered | SubmissionState::Done)
        && s.incident_number.is_some();
    Accepted {
        reference: s.reference.clone(),
        incident_number: s.incident_number.clone(),
        created_at: s.created_at,
        status: if delivered { "delivered" } else { "accepted" }.into(),
    }
}

/// A short reference a person can quote: `REF-` and 10 characters of the id.
pub fn reference_for(kind: SubmissionKind, id: Uuid) -> String {
    let prefix = match kind {
        SubmissionKind::ServiceIncident => "SV",
        SubmissionKind::SupplyIncident => "SU",
        SubmissionKind::MeterRead => "MR",
    };
    let hex = id.simple().to_string();
    format!("REF-{prefix}-{}", hex[hex.len() - 10..].to_uppercase())
}
