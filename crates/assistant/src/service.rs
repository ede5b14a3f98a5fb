//! The business rules of the App Service, shared by the JSON App API and the panel pages:
//! who may do what (credential, entitlements, permissions), turning what the device says into
//! supplies and meters, and accepting submissions into the outbox.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::credential::PublicKeys;
use platform::entitlement::EntitlementClient;
use platform::keyring::Keyring as SealingKeyring;
use platform::manager_client::ManagerClient;
use proto::manager::{
    ContactBody, CreateIncidentRequest, IncidentView, MeterValueBody, RecordMeterReadRequest,
};
use proto::{AppConfiguration, Claims, Entitlements, RevocationList};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::{ApiError, FieldError};
use crate::store::{
    Inserted, NewSubmission, OutboxStore, Submission, SubmissionKind, SubmissionState,
};
use crate::worker::{Delivery, Outcome};

/// The verified device behind a request.
#[derive(Debug, Clone)]
pub struct DeviceContext {
    pub serial: String,
    pub tenant: String,
    pub app_id: String,
    /// The credential as presented (forwarded to the gallery to read this device's entitlements).
    pub credential: SecretString,
    /// Demo Mode: fixed fake data, nothing leaves the assistant.
    pub demo: bool,
}

/// How to reach each partner's Services Manager (the API key scopes every call to that partner).
#[derive(Clone, Default)]
pub struct ManagerDirectory(pub HashMap<String, ManagerClient>);

impl ManagerDirectory {
    pub fn for_tenant(&self, tenant: &str) -> Result<&ManagerClient, ApiError> {
        self.0.get(tenant).ok_or_else(|| {
            ApiError::Unavailable(format!(
                "no Services Manager is configured for partner {tenant:?}"
            ))
        })
    }
}

/// Everything the rules need. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn OutboxStore>,
    pub managers: ManagerDirectory,
    pub gallery: Arc<GalleryLink>,
    /// Opens the sealed app configuration (the key is shared with the gallery).
    pub config_keys: Arc<SealingKeyring>,
    /// Seals contact details at rest in the outbox (the assistant's own key).
    pub contact_keys: Arc<SealingKeyring>,
    pub clock: Arc<dyn Clock>,
    pub delivery: Arc<Delivery>,
    /// How long a request waits for the Services Manager before answering 202 with a reference.
    pub ack_deadline: Duration,
}

/// The gallery as the assistant sees it: public keys and revocations (to verify credentials offline),
/// and entitlements (read with the device's own credential through the one entitlement client:
/// cached by ETag and max-age, the last known value when the gallery is down).
pub struct GalleryLink {
    pub base_url: Option<String>,
    pub public_keys: RwLock<PublicKeys>,
    pub revocations: RwLock<RevocationList>,
    http: reqwest::Client,
    entitlements: Option<EntitlementClient>,
}

impl GalleryLink {
    pub fn new(base_url: Option<String>, public_keys: PublicKeys) -> Self {
        let base_url = base_url.map(|b| b.trim_end_matches('/').to_string());
        Self {
            entitlements: base_url.as_deref().map(EntitlementClient::without_token),
            base_url,
            public_keys: RwLock::new(public_keys),
            revocations: RwLock::new(RevocationList::default()),
            http: platform::ops::client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Verifies a device credential offline.
    pub async fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, ApiError> {
        let keys = self.public_keys.read().await;
        let revoked = self.revocations.read().await;
        platform::credential::verify(token, &keys, &revoked, now, None)
            .map_err(|e| ApiError::Unauthorized(e.to_string()))
    }

    /// Fetches the revocation list (called periodically).
    pub async fn refresh_revocations(&self) -> Result<(), String> {
        let Some(base) = &self.base_url else {
            return Ok(());
        };
        let list: RevocationList = self
            .http
            .get(format!("{base}/api/credentials/revoked"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        *self.revocations.write().await = list;
        Ok(())
    }

    /// The device's current configuration version at the gallery, through the entitlement
    /// client (same cache and fallback); `None` when there is no gallery or it never answered.
    pub async fn configuration_version(
        &self,
        serial: &proto::DeviceSerial,
        credential: &str,
        now: DateTime<Utc>,
    ) -> Option<u64> {
        let client = self.entitlements.as_ref()?;
        match client.get_with(serial, Some(credential), now).await {
            Ok((doc, _)) => doc.configuration_version,
            Err(e) => {
                tracing::warn!(error = %e, "configuration version unknown; not checked");
                None
            }
        }
    }

    /// This device's entitlements, from the cache while fresh, else from the gallery
    /// (If-None-Match); the last known value when the gallery is down.
    pub async fn entitlements(
        &self,
        device: &DeviceContext,
        now: DateTime<Utc>,
    ) -> Result<Entitlements, ApiError> {
        let Some(client) = &self.entitlements else {
            return Err(ApiError::Unavailable(
                "no App Gallery is configured to read entitlements from".into(),
            ));
        };
        let serial = proto::DeviceSerial::parse(&device.serial)
            .map_err(|e| ApiError::BadRequest(format!("device serial: {e}")))?;
        client
            .get_with(&serial, Some(device.credential.expose_secret()), now)
            .await
            .map(|(doc, _)| doc.entitlements)
            .map_err(|e| ApiError::Unavailable(e.to_string()))
    }
}

/// A contact as the person typed it.
#[derive(Clone, Deserialize, Serialize, Default, utoipa::ToSchema)]
pub struct ContactInput {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
}

impl std::fmt::Debug for ContactInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactInput([redacted])")
    }
}

impl ContactInput {
    /// Checks by the Services Manager's own rules, so nothing acknowledged is refused later.
    pub fn check(&self, prefix: &str, errors: &mut Vec<FieldError>) -> Option<ContactBody> {
        let mut ok = true;
        if let Err(e) = proto::ContactName::parse(&self.name) {
            errors.push(FieldError::new(&format!("{prefix}name"), &e.0));
            ok = false;
        }
        if let Err(e) = proto::EmailAddress::parse(&self.email) {
            errors.push(FieldError::new(&format!("{prefix}email"), &e.0));
            ok = false;
        }
        let phone = self
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if let Some(p) = phone
            && let Err(e) = proto::PhoneNumber::parse(p)
        {
            errors.push(FieldError::new(&format!("{prefix}phone"), &e.0));
            ok = false;
        }
        ok.then(|| ContactBody {
            name: self.name.trim().to_string(),
            email: self.email.trim().to_string(),
            phone: phone.map(str::to_string),
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ServiceRequest {
    pub issue_code: String,
    #[serde(default)]
    pub description: String,
    pub contact: ContactInput,
}

/// A supply the person picked from the device report.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SupplyPick {
    pub index: String,
    pub description: String,
    #[serde(default)]
    pub part_number: Option<String>,
    #[serde(default)]
    pub colorant: Option<String>,
    #[serde(default)]
    pub percent: Option<u8>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SupplyRequestInput {
    pub supplies: Vec<SupplyPick>,
    pub contact: ContactInput,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MeterInput {
    pub id: String,
    pub name: String,
    pub value: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MeterSubmissionInput {
    pub meters: Vec<MeterInput>,
    /// For the confirmation e-mail, when the person wants one.
    #[serde(default)]
    pub contact: Option<ContactInput>,
}

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
}

impl Services {
    /// Opens the sealed app configuration the weblet sent.
    pub fn open_config(&self, sealed: Option<&str>) -> Result<AppConfiguration, ApiError> {
        let sealed = sealed.ok_or_else(|| {
            ApiError::BadRequest(
                "the sealed app configuration (X-App-Config header) is missing".into(),
            )
        })?;
        let opened = platform::sealed_config::open(&self.config_keys, sealed).map_err(|e| {
            ApiError::BadRequest(format!("the app configuration cannot be opened: {e}"))
        })?;
        Ok(opened.config)
    }

    /// The sealed configuration a device sent is its own (serial and tenant of its credential)
    /// and not older than the one the gallery now holds for it (learned with the entitlements:
    /// cached for their max-age, the last known value while the gallery is down; unknown means
    /// no check). An unbound blob from before binding counts as version 0.
    pub async fn check_configuration(
        &self,
        claims: &Claims,
        sealed: &str,
        credential: &str,
    ) -> Result<(), ApiError> {
        const REINSTALL: &str =
            "Re-install the Support Assistant app on this device from the App Gallery.";
        let opened = platform::sealed_config::open(&self.config_keys, sealed).map_err(|e| {
            ApiError::BadRequest(format!("the app configuration cannot be opened: {e}"))
        })?;
        let version = match &opened.binding {
            Some(b) if b.serial != claims.serial || b.tenant != claims.tenant => {
                return Err(ApiError::Forbidden(format!(
                    "This app configuration was sealed for device {}, not for this device ({}). {REINSTALL}",
                    b.serial, claims.serial
                )));
            }
            Some(b) => b.version,
            None => 0,
        };
        let current = self
            .gallery
            .configuration_version(&claims.serial, credential, self.clock.now())
            .await;
        if let Some(current) = current
            && version < current
        {
            return Err(ApiError::Conflict(format!(
                "This app configuration (version {version}) is older than the one the App Gallery holds for this device (version {current}). {REINSTALL}"
            )));
        }
        Ok(())
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }

    /// The device's incidents of the last 30 days, contact details removed (the panel is shared).
    pub async fn recent_incidents(
        &self,
        device: &DeviceContext,
    ) -> Result<Vec<IncidentView>, ApiError> {
        if device.demo {
            return Ok(crate::demo::incidents(self.clock.now()));
        }
        let since = self.clock.now() - chrono::Duration::days(30);
        let client = self.managers.for_tenant(&device.tenant)?;
        let mut list = client
            .list_device_incidents(&device.serial, since)
            .await
            .map_err(|e| {
                ApiError::Unavailable(format!("the Services Manager did not answer: {e}"))
            })?;
        for i in &mut list {
            i.contact = None;
        }
        Ok(list)
    }

    pub async fn check_service_allowed(
        &self,
        device: &DeviceContext,
        config: &AppConfiguration,
    ) -> Result<(), ApiError> {
        if !config.permissions.create_service_incidents {
            return Err(ApiError::Forbidden(
                "Reporting faults from this device is switched off by your service partner.".into(),
            ));
        }
        if device.demo {
            return Ok(());
        }
        let e = self.gallery.entitlements(device, self.clock.now()).await?;
        if !e.service_on(self.today()) {
            return Err(ApiError::Forbidden(
                "This device is not under a service contract today, so faults cannot be reported here. Please call your service partner.".into(),
            ));
        }
        Ok(())
    }

    pub async fn check_supplies_allowed(
        &self,
        device: &DeviceContext,
        config: &AppConfiguration,
    ) -> Result<(), ApiError> {
        if !config.permissions.create_supply_incidents {
            return Err(ApiError::Forbidden(
                "Requesting supplies from this device is switched off by your service partner."
                    .into(),
            ));
        }
        if device.demo {
            return Ok(());
        }
        let e = self.gallery.entitlements(device, self.clock.now()).await?;
        if !e.supplies_on(self.today()) {
            return Err(ApiError::Forbidden(
                "This device is not under a supplies contract, so supplies cannot be requested here. Please order them from your service partner.".into(),
            ));
        }
        Ok(())
    }

    pub fn check_meters_allowed(&self, config: &AppConfiguration) -> Result<(), ApiError> {
        if !config.permissions.submit_meters {
            return Err(ApiError::Forbidden(
                "Submitting meter reads from this device is switched off by your service partner."
                    .into(),
            ));
        }
        Ok(())
    }

    /// Validates a service request without sending it (the wizard's steps use this too).
    pub fn validate_service(
        &self,
        req: &ServiceRequest,
        language: &str,
    ) -> Result<ContactBody, ApiError> {
        let mut errors = Vec::new();
        if crate::issues::label(&req.issue_code, language).is_none() {
            errors.push(FieldError::new(
                "issue_code",
                "pick one of the common issues",
            ));
        }
        check_text(&req.description, "description", &mut errors);
        let contact = req.contact.check("contact.", &mut errors);
        match contact {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(ApiError::Invalid(errors)),
        }
    }

    pub fn validate_supplies(&self, req: &SupplyRequestInput) -> Result<ContactBody, ApiError> {
        let mut f = proto::problem::Fields::default();
        if req.supplies.is_empty() {
            f.push("supplies", "pick at least one supply");
        }
        // The Services Manager's own rules (count, lengths, control characters, levels), so
        // nothing acknowledged here is refused there.
        proto::manager::check_supplies(&supply_items(&req.supplies), &mut f);
        let mut errors = f.0;
        let contact = req.contact.check("contact.", &mut errors);
        match contact {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(ApiError::Invalid(errors)),
        }
    }

    pub fn validate_meters(
        &self,
        req: &MeterSubmissionInput,
    ) -> Result<Option<ContactBody>, ApiError> {
        let mut f = proto::problem::Fields::default();
        // The Services Manager's own rules: 1–200 meters, ids and names, no negative value,
        // no id twice.
        proto::manager::check_meters(&meter_bodies(&req.meters), &mut f);
        let mut errors = f.0;
        let contact = match &req.contact {
            Some(c) if !(c.name.trim().is_empty() && c.email.trim().is_empty()) => {
                c.check("contact.", &mut errors)
            }
            _ => None,
        };
        if errors.is_empty() {
            Ok(contact)
        } else {
            Err(ApiError::Invalid(errors))
        }
    }

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
    ) -> Result<Accepted, ApiError> {
        let key = idempotency_key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                ApiError::BadRequest(
                    "the Idempotency-Key header is required (a fresh random value per submission)"
                        .into(),
                )
            })?;
        if key.len() > 128 || key.chars().any(|c| c.is_control()) {
            return Err(ApiError::BadRequest(
                "the Idempotency-Key header must be at most 128 printable characters".into(),
            ));
        }
        let now = self.clock.now();
        if device.demo {
            return Ok(crate::demo::accepted(kind, now));
        }
        // The manager must know where to send this before we promise anything.
        self.managers.for_tenant(&device.tenant)?;
        let payload_json =
            serde_json::to_value(&payload).map_err(|e| ApiError::Internal(e.to_string()))?;
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
                    .map_err(|e| ApiError::Internal(format!("sealing the contact: {e}")))?,
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
                return Err(ApiError::Conflict(format!(
                    "the Idempotency-Key {k:?} was already used for a different submission"
                )));
            }
            Err(e) => return Err(ApiError::Internal(e.to_string())),
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
            _ => Ok(accepted(&submission)),
        }
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

/// Free text by the Services Manager's rule (`proto::FreeText`: at most 2000 characters, line
/// breaks and tabs but no other control characters).
fn check_text(text: &str, field: &str, errors: &mut Vec<FieldError>) {
    if let Err(e) = proto::FreeText::parse(text) {
        errors.push(FieldError::new(field, e.0));
    }
}

/// The request the Services Manager gets for an incident submission.
pub fn incident_request(
    s: &Submission,
    payload: &Payload,
    contact: ContactBody,
) -> CreateIncidentRequest {
    let supply = s.kind == SubmissionKind::SupplyIncident;
    CreateIncidentRequest {
        device_serial: s.device_serial.clone(),
        kind: if supply { "supply" } else { "service" }.into(),
        issue_code: if supply {
            None
        } else {
            payload.issue_code.clone()
        },
        description: payload.description.clone(),
        supplies: supply_items(&payload.supplies),
        contact,
    }
}

/// The picks as the Services Manager's supply items.
fn supply_items(picks: &[SupplyPick]) -> Vec<proto::manager::SupplyItem> {
    picks
        .iter()
        .map(|p| proto::manager::SupplyItem {
            description: p.description.clone(),
            part_number: p.part_number.clone(),
            colorant: p.colorant.clone(),
            level_percent: p.percent,
        })
        .collect()
}

/// The meters as the Services Manager's meter values.
fn meter_bodies(meters: &[MeterInput]) -> Vec<MeterValueBody> {
    meters
        .iter()
        .map(|m| MeterValueBody {
            id: m.id.clone(),
            name: m.name.clone(),
            value: m.value,
        })
        .collect()
}

pub fn meter_request(s: &Submission, payload: &Payload) -> RecordMeterReadRequest {
    RecordMeterReadRequest {
        read_at: s.created_at,
        source: "walk_up".into(),
        meter_replacement: false,
        meters: payload
            .meters
            .iter()
            .map(|m| MeterValueBody {
                id: m.id.clone(),
                name: m.name.clone(),
                value: m.value,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> DeviceContext {
        DeviceContext {
            serial: "XRX1".into(),
            tenant: "acme".into(),
            app_id: "support-assistant".into(),
            credential: SecretString::from("token".to_string()),
            demo: false,
        }
    }

    #[tokio::test]
    async fn an_unreachable_gallery_falls_back_to_the_last_known_entitlements() {
        // Nothing listens on port 1: the gallery is down.
        let link = GalleryLink::new(Some("http://127.0.0.1:1".into()), PublicKeys::default());
        let now = Utc::now();
        let err = link
            .entitlements(&device(), now)
            .await
            .expect_err("nothing cached yet");
        assert!(matches!(err, ApiError::Unavailable(_)), "{err}");
        let today = now.date_naive();
        let contract =
            proto::Contract::new(today, today + chrono::Duration::days(30)).expect("contract");
        let known = Entitlements {
            service: Some(contract),
            supplies: None,
        };
        let serial = proto::DeviceSerial::parse("XRX1").expect("serial");
        link.entitlements
            .as_ref()
            .expect("a gallery is configured")
            .prime(&serial, known.clone(), now - chrono::Duration::hours(1));
        assert_eq!(
            link.entitlements(&device(), now).await.expect("stale copy"),
            known
        );
    }
}
