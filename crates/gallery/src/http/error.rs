//! The one error type at the HTTP boundary, each variant mapped once to a status and an
//! RFC 9457 problem body (`proto::Problem`).

use crate::service::ServiceError;
use crate::storage::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use platform::credential::CredentialError;
use proto::Problem;

/// Errors at the HTTP boundary, each mapped once to a status and an RFC 9457 body.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("device credential rejected: {0}")]
    Credential(#[from] CredentialError),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but against a rule the OpenAPI schema cannot state (RFC 9110 §15.5.21).
    #[error("{0}")]
    Unprocessable(String),
    #[error("internal error")]
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        ServiceError::from(err).into()
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Invalid(msg) => Self::BadRequest(msg),
            ServiceError::Unprocessable(msg) => Self::Unprocessable(msg),
            ServiceError::NotFound(msg) => Self::NotFound(msg),
            ServiceError::Conflict(msg) => Self::Conflict(msg),
            ServiceError::NotAllowed(msg) => Self::Forbidden(msg),
            ServiceError::Internal(msg) => Self::Internal(msg),
        }
    }
}

impl From<crate::domain::DomainError> for ApiError {
    fn from(err: crate::domain::DomainError) -> Self {
        Self::BadRequest(err.to_string())
    }
}

impl ApiError {
    /// The status and the problem `type` slug (see `proto::problem`).
    fn kind(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Credential(_) => (StatusCode::UNAUTHORIZED, "credential-rejected"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable-content"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, slug) = self.kind();
        let title = match self {
            Self::Credential(_) => "Device credential rejected",
            _ => status.canonical_reason().unwrap_or("Error"),
        };
        Problem::new(status.as_u16(), slug, title, self.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let mut response = platform::ops::problem_response(&self.problem());
        if matches!(self, Self::Unauthorized | Self::Credential(_)) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
