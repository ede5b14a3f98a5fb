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
    /// Well-formed fields that conflict with what the Services Manager holds (a meter below its
    /// previous read): 409 with the fields named, as the manager answers it.
    #[error("some fields conflict with what is stored")]
    Conflicting(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// The device is known to the gallery (it has a credential) but not to its partner's Services
    /// Manager, so nothing sent from it can be handled.
    #[error(
        "This device is not registered with your service partner, so requests from it cannot be handled yet. Please ask your service partner to add device {0} to their fleet."
    )]
    UnknownDevice(String),
    /// The Services Manager refused the request for a reason that names no field; nothing was
    /// acknowledged.
    #[error("The request was not accepted by your service partner: {0}")]
    Refused(String),
    /// A service the answer depends on did not answer.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
    #[error(transparent)]
    TooMany(crate::ops::RateLimited),
}

impl RuleError {
    /// The text shown to a person at the panel, in `l`: the reasons the rules give are already
    /// in the device's language (they come from the catalogues); the fixed ones of this type are
    /// translated here (`errors.ftl`, `rule-*`); a service's own technical words stay out.
    pub fn detail_in(&self, l: platform::i18n::Locale) -> String {
        match self {
            RuleError::UnknownDevice(serial) => l.t1("rule-unknown-device", "serial", serial),
            RuleError::Refused(reason) => l.t1("rule-refused", "reason", reason),
            RuleError::Unavailable(_) => l.t("rule-unavailable"),
            RuleError::Internal(_) => l.t("rule-internal"),
            other => other.detail(),
        }
    }

    /// The text in the App API's problem+json `detail` (English for the fixed texts).
    pub fn detail(&self) -> String {
        match self {
            RuleError::Invalid(errors) | RuleError::Conflicting(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.detail))
                .collect::<Vec<_>>()
                .join("; "),
            RuleError::Internal(_) => "Something went wrong on our side. Please try again.".into(),
            other => other.to_string(),
        }
    }
}
