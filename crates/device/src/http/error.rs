//! Errors of the device's JSON API (`/api/...`), mapped once to an HTTP status and an
//! RFC 9457 `application/problem+json` body. (SOAP services answer SOAP faults instead: see `soap`.)

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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

    fn title(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "Unauthorized",
            ApiError::TooManyAttempts { .. } => "Too many failed logins",
            ApiError::BadRequest(_) => "Bad request",
            ApiError::PackageTooLarge { .. } => "Package too large",
            ApiError::RequestTooLarge { .. } => "Request too large",
            ApiError::NotFound(_) => "Not found",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::Internal(_) => "Internal error",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "device API request failed");
        }
        let body = serde_json::json!({
            "type": "about:blank",
            "title": self.title(),
            "status": status.as_u16(),
            "detail": self.to_string(),
        });
        let mut response = (status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
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
