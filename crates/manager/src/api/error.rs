//! The API's one error type, mapped once to an HTTP status and an RFC 9457 problem+json body.

use super::types::{FieldProblem, Problem};
use crate::storage::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldProblem>),
    /// Well-formed values that conflict with what is stored (a meter below its previous read).
    #[error("the request conflicts with what is stored")]
    StateConflict(Vec<FieldProblem>),
    #[error("{detail}")]
    BadRequest {
        field: Option<String>,
        detail: String,
    },
    #[error("a valid API key is required (Authorization: Bearer KEY)")]
    Unauthorized,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The device a request names is not in the partner's fleet: 404 with the field named
    /// (`proto::manager::unknown_device`), the same for incidents and meter reads.
    #[error("no such device in this partner's fleet")]
    UnknownDevice,
    #[error("{0}")]
    Conflict(String),
    #[error("the Idempotency-Key was already used with a different request body")]
    IdempotencyMismatch,
    #[error("status cannot change from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    #[error("internal error")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::IdempotencyMismatch => ApiError::IdempotencyMismatch,
            StoreError::InvalidTransition { from, to } => ApiError::InvalidTransition {
                from: from.to_string(),
                to: to.to_string(),
            },
            // A meter below the read before it (or above the one after it) conflicts with the
            // reads already stored, not with the request's form: 409, the meter named.
            StoreError::MeterRollback {
                meter_id,
                previous,
                value,
            } => ApiError::StateConflict(vec![proto::manager::meter_below_previous(
                &meter_id, previous, value,
            )]),
            e @ StoreError::MeterAboveLater { .. } => ApiError::StateConflict(vec![FieldProblem {
                field: "meters".into(),
                detail: e.to_string(),
            }]),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) | ApiError::UnknownDevice => StatusCode::NOT_FOUND,
            ApiError::Conflict(_)
            | ApiError::StateConflict(_)
            | ApiError::IdempotencyMismatch
            | ApiError::InvalidTransition { .. } => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (slug, field, errors) = match self {
            ApiError::Validation(errs) => (
                "validation",
                errs.first().map(|e| e.field.clone()),
                errs.clone(),
            ),
            ApiError::StateConflict(errs) => (
                "conflict",
                errs.first().map(|e| e.field.clone()),
                errs.clone(),
            ),
            ApiError::UnknownDevice => {
                let e = proto::manager::unknown_device();
                ("unknown-device", Some(e.field.clone()), vec![e])
            }
            ApiError::BadRequest { field, .. } => ("bad-request", field.clone(), vec![]),
            ApiError::Unauthorized => ("unauthorized", None, vec![]),
            ApiError::NotFound(_) => ("not-found", None, vec![]),
            ApiError::Conflict(_) => ("conflict", None, vec![]),
            ApiError::IdempotencyMismatch => (
                "idempotency-key-reused",
                Some("Idempotency-Key".into()),
                vec![],
            ),
            ApiError::InvalidTransition { .. } => {
                ("invalid-status-change", Some("status".into()), vec![])
            }
            ApiError::Internal(_) => ("internal", None, vec![]),
        };
        let detail = match self {
            ApiError::Validation(errs) | ApiError::StateConflict(errs) => errs
                .iter()
                .map(|e| format!("{}: {}", e.field, e.detail))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        Problem {
            field,
            errors,
            ..Problem::new(
                status.as_u16(),
                slug,
                status.canonical_reason().unwrap_or("Error"),
                detail,
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(msg) = &self {
            // Storage errors carry no contact details (those are encrypted before the SQL layer).
            tracing::error!(error = %msg, "request failed");
        }
        let status = self.status();
        let mut res = platform::ops::problem_response(&self.problem());
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}
