//! A small typed HTTP client for the Services Manager's REST API (used by the App Service),
//! speaking only `proto` types, so its callers need not depend on the manager.

use chrono::{DateTime, SecondsFormat, Utc};
use proto::Problem;
use proto::manager::{
    CreateIncidentRequest, DeviceView, IDEMPOTENCY_KEY, IncidentView, MeterReadView,
    RecordMeterReadRequest,
};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The manager could not be reached or did not answer in time: safe to retry with the same
    /// idempotency key.
    #[error("manager unreachable: {0}")]
    Transport(#[from] reqwest::Error),
    /// The manager refused the request; `problem` says why (and which field).
    #[error("manager answered {status}: {}", problem.detail)]
    Problem {
        status: StatusCode,
        problem: Box<Problem>,
    },
}

impl ClientError {
    /// Worth retrying later (transport failures and 5xx), as opposed to a refusal.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Transport(_) => true,
            ClientError::Problem { status, .. } => {
                status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS
            }
        }
    }
}

#[derive(Clone)]
pub struct ManagerClient {
    base: String,
    api_key: SecretString,
    http: reqwest::Client,
}

impl std::fmt::Debug for ManagerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagerClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl ManagerClient {
    /// `base` such as `http://127.0.0.1:8081` (no trailing path).
    pub fn new(base: &str, api_key: SecretString) -> Result<Self, ClientError> {
        let http = crate::ops::client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self::with_http(base, api_key, http))
    }

    pub fn with_http(base: &str, api_key: SecretString, http: reqwest::Client) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            api_key,
            http,
        }
    }

    async fn parse<T: DeserializeOwned>(res: reqwest::Response) -> Result<T, ClientError> {
        let status = res.status();
        if status.is_success() {
            return Ok(res.json().await?);
        }
        let text = res.text().await?;
        let problem = serde_json::from_str(&text).unwrap_or_else(|_| {
            Problem::new(
                status.as_u16(),
                "upstream",
                status.canonical_reason().unwrap_or("Error"),
                text.chars().take(500).collect::<String>(),
            )
        });
        Err(ClientError::Problem {
            status,
            problem: Box::new(problem),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates an incident. Retrying with the same `idempotency_key` and request never
    /// creates a second incident.
    pub async fn create_incident(
        &self,
        idempotency_key: &str,
        req: &CreateIncidentRequest,
    ) -> Result<IncidentView, ClientError> {
        self.post("/api/v1/incidents", idempotency_key, req).await
    }

    /// A device's incidents created at or after `since`, newest first.
    pub async fn list_device_incidents(
        &self,
        serial: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentView>, ClientError> {
        self.get(&format!(
            "/api/v1/devices/{}/incidents?since={}",
            path_segment(serial),
            since.to_rfc3339_opts(SecondsFormat::Millis, true)
        ))
        .await
    }

    /// A device as the partner registered it (model, location, customer).
    pub async fn get_device(&self, serial: &str) -> Result<DeviceView, ClientError> {
        self.get(&format!("/api/v1/devices/{}", path_segment(serial)))
            .await
    }

    pub async fn get_incident(&self, number: &str) -> Result<IncidentView, ClientError> {
        self.get(&format!("/api/v1/incidents/{}", path_segment(number)))
            .await
    }

    /// The partner's own ticket number of an incident (help-desk override); `None` until its help
    /// desk set one.
    pub async fn ticket_reference(&self, number: &str) -> Result<Option<String>, ClientError> {
        let path = format!(
            "/api/v1/incidents/{}/ticket-reference",
            path_segment(number)
        );
        match self.get::<proto::manager::TicketReference>(&path).await {
            Ok(t) => Ok(Some(t.reference)),
            Err(ClientError::Problem { status, .. }) if status == StatusCode::NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Records a meter read; idempotent like `create_incident`.
    pub async fn record_meter_read(
        &self,
        serial: &str,
        idempotency_key: &str,
        req: &RecordMeterReadRequest,
    ) -> Result<MeterReadView, ClientError> {
        let path = format!("/api/v1/devices/{}/meter-reads", path_segment(serial));
        self.post(&path, idempotency_key, req).await
    }

    pub async fn list_meter_reads(
        &self,
        serial: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<MeterReadView>, ClientError> {
        self.get(&format!(
            "/api/v1/devices/{}/meter-reads?since={}",
            path_segment(serial),
            since.to_rfc3339_opts(SecondsFormat::Millis, true)
        ))
        .await
    }

    /// A GET with the partner's API key, its answer parsed by [`Self::parse`].
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(self.api_key.expose_secret())
            .send()
            .await?;
        Self::parse(res).await
    }

    /// An idempotent POST of `body` with the partner's API key.
    async fn post<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        idempotency_key: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(self.api_key.expose_secret())
            .header(IDEMPOTENCY_KEY, idempotency_key)
            .json(body)
            .send()
            .await?;
        Self::parse(res).await
    }
}

/// Keeps only characters that are safe in a path segment (serials and numbers are plain ASCII).
fn path_segment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32 & 0xFF)
            }
        })
        .collect()
}
