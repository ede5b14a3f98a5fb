//! The App API's errors, mapped once to an HTTP status and an RFC 9457 problem+json body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use proto::Problem;

/// One wrong field (the shared `proto::FieldProblem`).
pub use proto::FieldProblem as FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    /// Not allowed for this device; the text says why, in words for the person at the panel.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("some fields are not valid")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// A service the answer depends on did not answer.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
    #[error(transparent)]
    TooMany(crate::ops::RateLimited),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unavailable(_) => StatusCode::BAD_GATEWAY,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// The text shown to a person.
    pub fn detail(&self) -> String {
        match self {
            ApiError::Invalid(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.detail))
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Internal(_) => "Something went wrong on our side. Please try again.".into(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::TooMany(limited) = self {
            return limited.into_response();
        }
        let status = self.status();
        if let ApiError::Internal(reason) = &self {
            tracing::error!(%reason, "internal error");
        }
        let (slug, title) = match &self {
            ApiError::Unauthorized(_) => ("unauthorized", "The device credential was not accepted"),
            ApiError::Forbidden(_) => ("not-allowed", "Not allowed for this device"),
            ApiError::BadRequest(_) => ("bad-request", "The request is not valid"),
            ApiError::Invalid(_) => ("invalid-fields", "Some fields are not valid"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Unavailable(_) => ("unavailable", "A service did not answer"),
            ApiError::Internal(_) => ("internal", "Internal error"),
            ApiError::TooMany(_) => ("rate-limited", "Too many requests"),
        };
        let mut body = Problem::new(status.as_u16(), slug, title, self.detail());
        if let ApiError::Invalid(errors) = &self {
            body.field = errors.first().map(|e| e.field.clone());
            body.errors = errors.clone();
        }
        let mut res = (status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(proto::problem::PROBLEM_JSON),
        );
        res
    }
}
