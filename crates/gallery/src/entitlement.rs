//! Entitlements: per device serial, a service contract and/or a supplies contract, each with an
//! inclusive start and end date. The assistant reads them over HTTP through
//! [`EntitlementClient`], which honours the gallery's ETag and max-age.

use crate::domain::DeviceSerial;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

pub use proto::entitlement::{Contract, DeviceEntitlements, EntitlementError, Entitlements};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("could not reach the gallery: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the gallery answered {status}: {body}")]
    Status { status: u16, body: String },
}

struct CacheEntry {
    etag: Option<String>,
    fresh_until: DateTime<Utc>,
    value: DeviceEntitlements,
}

/// Reads entitlements from the gallery, caching them for the max-age the gallery gives and
/// revalidating with If-None-Match afterwards.
pub struct EntitlementClient {
    base_url: String,
    token: secrecy::SecretString,
    http: reqwest::Client,
    cache: Mutex<HashMap<DeviceSerial, CacheEntry>>,
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
}

impl EntitlementClient {
    /// `token` is an API key of the gallery, or the device's credential.
    pub fn new(base_url: &str, token: secrecy::SecretString) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
            http: reqwest::Client::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub async fn get(
        &self,
        serial: &DeviceSerial,
        now: DateTime<Utc>,
    ) -> Result<(DeviceEntitlements, Source), ClientError> {
        use secrecy::ExposeSecret;
        let cached = self.cache.lock().ok().and_then(|c| {
            c.get(serial)
                .map(|e| (e.etag.clone(), e.fresh_until, e.value.clone()))
        });
        if let Some((_, fresh_until, value)) = &cached
            && now < *fresh_until
        {
            return Ok((value.clone(), Source::Cache));
        }
        let mut request = self
            .http
            .get(format!(
                "{}/api/devices/{serial}/entitlements",
                self.base_url
            ))
            .bearer_auth(self.token.expose_secret());
        if let Some((Some(etag), _, _)) = &cached {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let response = request.send().await?;
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
        let (value, source) = if status == reqwest::StatusCode::NOT_MODIFIED {
            match cached {
                Some((_, _, value)) => (value, Source::Revalidated),
                None => {
                    return Err(ClientError::Status {
                        status: 304,
                        body: "304 without a cached copy".into(),
                    });
                }
            }
        } else if status.is_success() {
            (
                response.json::<DeviceEntitlements>().await?,
                Source::Fetched,
            )
        } else {
            let body = response.text().await.unwrap_or_default();
            return Err(ClientError::Status {
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
                },
            );
        }
        Ok((value, source))
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

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(parse_max_age("private, max-age=300"), Some(300));
        assert_eq!(parse_max_age("no-cache"), None);
    }
}
