//! The rules' error ([`RuleError`]) mapped once to an HTTP status and an RFC 9457 problem+json body.
//! The App API answers with it; the panel pages use [`RuleError::status`] for their own answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use proto::Problem;

use crate::error::RuleError;

impl RuleError {
    pub fn status(&self) -> StatusCode {
        match self {
            RuleError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            RuleError::Forbidden(_) => StatusCode::FORBIDDEN,
            RuleError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RuleError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            RuleError::Conflict(_) | RuleError::Conflicting(_) => StatusCode::CONFLICT,
            RuleError::NotFound(_) => StatusCode::NOT_FOUND,
            RuleError::UnknownDevice(_) => StatusCode::FORBIDDEN,
            RuleError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            RuleError::Unavailable(_) => StatusCode::BAD_GATEWAY,
            RuleError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            RuleError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

impl IntoResponse for RuleError {
    fn into_response(self) -> Response {
        if let RuleError::TooMany(limited) = self {
            return limited.into_response();
        }
        let status = self.status();
        if let RuleError::Internal(reason) = &self {
            tracing::error!(%reason, "internal error");
        }
        let (slug, title) = match &self {
            RuleError::Unauthorized(_) => {
                ("unauthorized", "The device credential was not accepted")
            }
            RuleError::Forbidden(_) => ("not-allowed", "Not allowed for this device"),
            RuleError::BadRequest(_) => ("bad-request", "The request is not valid"),
            RuleError::Invalid(_) => ("invalid-fields", "Some fields are not valid"),
            RuleError::Conflict(_) => ("conflict", "Conflict"),
            RuleError::Conflicting(_) => ("conflict", "Some fields conflict with earlier ones"),
            RuleError::NotFound(_) => ("not-found", "Not found"),
            RuleError::UnknownDevice(_) => (
                "device-not-registered",
                "This device is not registered with your service partner",
            ),
            RuleError::Refused(_) => ("refused", "Not accepted by your service partner"),
            RuleError::Unavailable(_) => ("unavailable", "A service did not answer"),
            RuleError::Internal(_) => ("internal", "Internal error"),
            RuleError::TooMany(_) => ("rate-limited", "Too many requests"),
        };
        let mut body = Problem::new(status.as_u16(), slug, title, self.detail());
        if let RuleError::Invalid(errors) | RuleError::Conflicting(errors) = &self {
            body.field = errors.first().map(|e| e.field.clone());
            body.errors = errors.clone();
        }
        platform::ops::problem_response(&body)
    }
}
