//! The one entitlement client: reads a device's entitlements from the App Gallery, caches them
//! for the max-age the gallery gives, revalidates with If-None-Match afterwards, and — when the
//! gallery is down (no answer, or 5xx) — answers with the last value it had rather than refuse
//! the person at the device.

use chrono::{DateTime, Duration, Utc};
use proto::{DeviceEntitlements, DeviceSerial, Entitlements};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, thiserror::Error)]
pub enum EntitlementError {
    /// The gallery could not be reached (or failed) and nothing is cached.
    #[error("the App Gallery did not answer about entitlements: {0}")]
    Unavailable(String),
    #[error("the App Gallery answered {status}: {body}")]
    Status { status: u16, body: String },
}

/// Where a read came from (so callers and tests can tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Served from the cache without asking (within max-age).
    Cache,
    /// The gallery answered 304 Not Modified.
    Revalidated,
    /// The gallery sent the document.
    Fetched,
    /// The gallery does not know the device: no entitlements.
    Unknown,
    /// The gallery is down: the last value it gave.
    LastKnown,
}

#[derive(Clone)]
struct CacheEntry {
    etag: Option<String>,
    fresh_until: DateTime<Utc>,
    value: Entitlements,
    /// The device's current configuration version, as the same document said.
    configuration_version: Option<u64>,
}

pub struct EntitlementClient {
    base_url: String,
    /// Sent when the caller gives no token of its own (an API key of the gallery).
    token: Option<SecretString>,
    http: reqwest::Client,
    cache: Mutex<HashMap<DeviceSerial, CacheEntry>>,
}

impl EntitlementClient {
    /// A client that sends `token` (an API key of the gallery, or a device credential).
    pub fn new(base_url: &str, token: SecretString) -> Self {
        let mut c = Self::without_token(base_url);
        c.token = Some(token);
        c
    }

    /// A client whose callers pass a token each time (the device's own credential).
    pub fn without_token(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: None,
            http: crate::ops::client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// With the client's own token.
    pub async fn get(
        &self,
        serial: &DeviceSerial,
        now: DateTime<Utc>,
    ) -> Result<(DeviceEntitlements, Source), EntitlementError> {
        let token = self.token.as_ref().map(|t| t.expose_secret().to_string());
        self.get_with(serial, token.as_deref(), now).await
    }

    /// With `token` (or the client's own when `None`).
    pub async fn get_with(
        &self,
        serial: &DeviceSerial,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(DeviceEntitlements, Source), EntitlementError> {
        let doc = |entitlements, configuration_version| DeviceEntitlements {
            serial: serial.clone(),
            entitlements,
            configuration_version,
        };
        let cached = self.cache.lock().ok().and_then(|c| c.get(serial).cloned());
        if let Some(c) = &cached
            && now < c.fresh_until
        {
            return Ok((doc(c.value.clone(), c.configuration_version), Source::Cache));
        }
        let mut request = self.http.get(format!(
            "{}/api/devices/{serial}/entitlements",
            self.base_url
        ));
        let own = self.token.as_ref().map(|t| t.expose_secret());
        if let Some(token) = token.or(own) {
            request = request.bearer_auth(token);
        }
        if let Some(etag) = cached.as_ref().and_then(|c| c.etag.clone()) {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let response = match request.send().await {
            Ok(r) if !r.status().is_server_error() => r,
            failed => {
                if let Some(c) = cached {
                    tracing::warn!("App Gallery unreachable; using the last known entitlements");
                    return Ok((doc(c.value, c.configuration_version), Source::LastKnown));
                }
                return Err(EntitlementError::Unavailable(match failed {
                    Ok(r) => format!("HTTP {}", r.status()),
                    Err(e) => e.to_string(),
                }));
            }
        };
        let status = response.status();
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_max_age)
            .unwrap_or(0);
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (value, version, source) = if status == reqwest::StatusCode::NOT_MODIFIED {
            match cached {
                Some(c) => (c.value, c.configuration_version, Source::Revalidated),
                None => {
                    return Err(EntitlementError::Unavailable(
                        "304 without a cached copy".into(),
                    ));
                }
            }
        } else if status == reqwest::StatusCode::NOT_FOUND {
            (Entitlements::default(), None, Source::Unknown)
        } else if status.is_success() {
            let d = response
                .json::<DeviceEntitlements>()
                .await
                .map_err(|e| EntitlementError::Unavailable(e.to_string()))?;
            (d.entitlements, d.configuration_version, Source::Fetched)
        } else {
            let body = response.text().await.unwrap_or_default();
            return Err(EntitlementError::Status {
                status: status.as_u16(),
                body: body.chars().take(500).collect(),
            });
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(
                serial.clone(),
                CacheEntry {
                    etag,
                    fresh_until: now + Duration::seconds(max_age),
                    value: value.clone(),
                    configuration_version: version,
                },
            );
        }
        Ok((doc(value, version), source))
    }
}

impl EntitlementClient {
    /// Puts a value in the cache as if the gallery had sent it, fresh until `fresh_until`
    /// (a warm start, or a test of what happens when the gallery is down).
    pub fn prime(&self, serial: &DeviceSerial, value: Entitlements, fresh_until: DateTime<Utc>) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(
                serial.clone(),
                CacheEntry {
                    etag: None,
                    fresh_until,
                    value,
                    configuration_version: None,
                },
            );
        }
    }
}

fn parse_max_age(header: &str) -> Option<i64> {
    header
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_gallery_that_is_down_gives_the_last_known_value_or_an_error() {
        // Nothing listens on port 1: the gallery is down.
        let client = EntitlementClient::without_token("http://127.0.0.1:1");
        let serial = DeviceSerial::parse("XRX1").unwrap();
        let now = Utc::now();
        let err = client.get_with(&serial, Some("t"), now).await.unwrap_err();
        assert!(matches!(err, EntitlementError::Unavailable(_)), "{err}");
        let today = now.date_naive();
        let known = Entitlements {
            service: Some(proto::Contract::new(today, today + Duration::days(30)).unwrap()),
            supplies: None,
        };
        client.prime(&serial, known.clone(), now - Duration::hours(1));
        let (doc, source) = client.get_with(&serial, Some("t"), now).await.unwrap();
        assert_eq!(source, Source::LastKnown);
        assert_eq!(doc.entitlements, known);
        assert_eq!(doc.serial, serial);
        client.prime(&serial, known.clone(), now + Duration::hours(1));
        let (_, source) = client.get_with(&serial, Some("t"), now).await.unwrap();
        assert_eq!(source, Source::Cache);
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(parse_max_age("private, max-age=300"), Some(300));
        assert_eq!(parse_max_age("no-cache"), None);
    }
}
