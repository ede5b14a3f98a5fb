//! A contact as the person typed it, checked by the Services Manager's own rules.

use proto::manager::ContactBody;
use serde::{Deserialize, Serialize};

use super::FieldError;

/// A contact as the person typed it.
#[derive(Clone, Deserialize, Serialize, Default, utoipa::ToSchema)]
pub struct ContactInput {
    #[schema(schema_with = proto::manager::schemas::contact_name)]
    pub name: String,
    #[schema(schema_with = proto::manager::schemas::email)]
    pub email: String,
    #[serde(default)]
    #[schema(schema_with = proto::manager::schemas::phone)]
    pub phone: Option<String>,
}

impl std::fmt::Debug for ContactInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactInput([redacted])")
    }
}

impl ContactInput {
    /// Checks by the Services Manager's own rules, so nothing acknowledged is refused later.
    pub fn check(&self, prefix: &str, errors: &mut Vec<FieldError>) -> Option<ContactBody> {
        let mut ok = true;
        if let Err(e) = proto::ContactName::parse(&self.name) {
            errors.push(FieldError::new(&format!("{prefix}name"), &e.0));
            ok = false;
        }
        if let Err(e) = proto::EmailAddress::parse(&self.email) {
            errors.push(FieldError::new(&format!("{prefix}email"), &e.0));
            ok = false;
        }
        let phone = self
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        if let Some(p) = phone
            && let Err(e) = proto::PhoneNumber::parse(p)
        {
            errors.push(FieldError::new(&format!("{prefix}phone"), &e.0));
            ok = false;
        }
        ok.then(|| ContactBody {
            name: self.name.trim().to_string(),
            email: self.email.trim().to_string(),
            phone: phone.map(str::to_string),
        })
    }
}
