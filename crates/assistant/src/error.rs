//! The rules' one error type. It says what went wrong in words for the person at the panel; it
//! knows nothing of HTTP: `crate::problem` maps it once to a status and a problem+json body (the
//! App API), and `crate::ui` shows it as a page with that status.

/// One wrong field (the shared `proto::FieldProblem`).
pub use proto::FieldProblem as FieldError;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
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

impl RuleError {
    /// The text shown to a person.
    pub fn detail(&self) -> String {
        match self {
            RuleError::Invalid(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.detail))
                .collect::<Vec<_>>()
                .join("; "),
            RuleError::Internal(_) => "Something went wrong on our side. Please try again.".into(),
            other => other.to_string(),
        }
    }
}
