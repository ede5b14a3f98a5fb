//! Entitlements: per device serial, a service contract and/or a supplies contract, each with an
//! inclusive start and end date. The assistant reads them over HTTP through
//! [`EntitlementClient`], which honours the gallery's ETag and max-age.

use crate::domain::DeviceSerial;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntitlementError {
    #[error("{kind} contract ends on {ends_on}, before it starts on {starts_on}")]
    EndsBeforeStart {
        kind: &'static str,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
    },
}

/// A contract runs from `starts_on` to `ends_on`, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contract {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl Contract {
    pub fn new(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<Self, EntitlementError> {
        let contract = Self { starts_on, ends_on };
        contract.check("the")?;
        Ok(contract)
    }

    fn check(&self, kind: &'static str) -> Result<(), EntitlementError> {
        if self.ends_on < self.starts_on {
            return Err(EntitlementError::EndsBeforeStart {
                kind,
                starts_on: self.starts_on,
                ends_on: self.ends_on,
            });
        }
        Ok(())
    }

    /// True on every day from the start date to the end date, both included.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

/// What a device is entitled to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entitlements {
    pub service: Option<Contract>,
    pub supplies: Option<Contract>,
}

impl Entitlements {
    pub fn validate(&self) -> Result<(), EntitlementError> {
        if let Some(c) = &self.service {
            c.check("service")?;
        }
        if let Some(c) = &self.supplies {
            c.check("supplies")?;
        }
        Ok(())
    }

    pub fn service_on(&self, day: NaiveDate) -> bool {
        self.service.is_some_and(|c| c.covers(day))
    }

    pub fn supplies_on(&self, day: NaiveDate) -> bool {
        self.supplies.is_some_and(|c| c.covers(day))
    }
}

/// The entitlement document the gallery serves for one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceEntitlements {
    #[schema(value_type = String)]
    pub serial: DeviceSerial,
    #[serde(flatten)]
    pub entitlements: Entitlements,
}

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

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn a_contract_covers_its_first_and_last_day_and_nothing_outside() {
        let c = Contract::new(day(2026, 1, 1), day(2026, 12, 31)).expect("contract");
        assert!(!c.covers(day(2025, 12, 31)));
        assert!(c.covers(day(2026, 1, 1)));
        assert!(c.covers(day(2026, 6, 15)));
        assert!(c.covers(day(2026, 12, 31)));
        assert!(!c.covers(day(2027, 1, 1)));
    }

    #[test]
    fn a_one_day_contract_covers_exactly_that_day() {
        let c = Contract::new(day(2028, 2, 29), day(2028, 2, 29)).expect("contract");
        assert!(c.covers(day(2028, 2, 29)));
        assert!(!c.covers(day(2028, 2, 28)));
        assert!(!c.covers(day(2028, 3, 1)));
    }

    #[test]
    fn a_contract_ending_before_it_starts_is_rejected() {
        let err = Entitlements {
            service: None,
            supplies: Some(Contract {
                starts_on: day(2026, 5, 2),
                ends_on: day(2026, 5, 1),
            }),
        }
        .validate()
        .expect_err("invalid");
        assert!(
            err.to_string()
                .contains("supplies contract ends on 2026-05-01"),
            "{err}"
        );
    }

    #[test]
    fn service_and_supplies_are_independent() {
        let e = Entitlements {
            service: Some(Contract::new(day(2026, 1, 1), day(2026, 6, 30)).expect("c")),
            supplies: Some(Contract::new(day(2026, 7, 1), day(2026, 12, 31)).expect("c")),
        };
        assert!(e.service_on(day(2026, 6, 30)) && !e.supplies_on(day(2026, 6, 30)));
        assert!(!e.service_on(day(2026, 7, 1)) && e.supplies_on(day(2026, 7, 1)));
        assert!(!Entitlements::default().service_on(day(2026, 7, 1)));
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(parse_max_age("private, max-age=300"), Some(300));
        assert_eq!(parse_max_age("no-cache"), None);
    }
}
