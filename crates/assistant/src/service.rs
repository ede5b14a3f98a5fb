//! What the rules need to run (the [`Services`]), and who is calling: the verified device
//! ([`DeviceContext`]), its partner's Services Manager ([`ManagerDirectory`]), the gallery link
//! (credential keys, revocations, entitlements) and the sealed app configuration. The use cases
//! themselves are in [`crate::rules`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::credential::PublicKeys;
use platform::entitlement::EntitlementClient;
use platform::keyring::Keyring as SealingKeyring;
use platform::manager_client::ManagerClient;
use proto::{AppConfiguration, Claims, Entitlements, RevocationList};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::RwLock;

use crate::clock::Clock;
// The rules' error under the name this file has always used for it.
use crate::error::RuleError as ApiError;
use crate::store::OutboxStore;
use crate::worker::Delivery;

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
    /// The device's own language: the one of ours its panel browser asks for (`Accept-Language`
    /// of the weblet's requests); the EIP device information has no language element.
    pub device_language: Option<platform::i18n::Locale>,
}

impl DeviceContext {
    /// The language to speak to this device: its app configuration's, else the device's own,
    /// else English (`platform::i18n::Locale::negotiate`).
    pub fn locale(&self, config: Option<&proto::AppConfiguration>) -> platform::i18n::Locale {
        platform::i18n::Locale::negotiate(
            config.and_then(|c| c.language.as_ref()).map(|l| l.as_str()),
            self.device_language.map(|l| l.code()),
        )
    }
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
            device_language: None,
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
