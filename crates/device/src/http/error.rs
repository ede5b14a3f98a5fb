//! Errors of the device's JSON API (`/api/...`), mapped once to an HTTP status and the one
//! RFC 9457 body, [`proto::Problem`]. (SOAP services answer SOAP faults instead: see `soap`.)

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::Problem;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the administrator's credentials (HTTP Basic, user \"admin\") are missing or wrong")]
    Unauthorized,
    #[error("too many failed administrator logins; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("{0}")]
    BadRequest(String),
    #[error("the package is {size} bytes; at most {max} are allowed")]
    PackageTooLarge { size: usize, max: usize },
    #[error(
        "the request is larger than {max_body} bytes (a package may be at most {max_package} bytes)"
    )]
    RequestTooLarge { max_body: usize, max_package: usize },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("the device could not complete the request: {0}")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PackageTooLarge { .. } | ApiError::RequestTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem `type` slug and title.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Unauthorized => ("unauthorized", "Unauthorized"),
            ApiError::TooManyAttempts { .. } => ("rate-limited", "Too many failed logins"),
            ApiError::BadRequest(_) => ("bad-request", "Bad request"),
            ApiError::PackageTooLarge { .. } => ("package-too-large", "Package too large"),
            ApiError::RequestTooLarge { .. } => ("body-too-large", "Request too large"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Forbidden(_) => ("forbidden", "Forbidden"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "device API request failed");
        }
        let (slug, title) = self.kind();
        let problem = Problem::new(status.as_u16(), slug, title, self.to_string());
        let mut response = platform::ops::problem_response(&problem);
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"device\", charset=\"UTF-8\""),
                );
            }
            ApiError::TooManyAttempts { retry_after_secs } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        response
    }
}
