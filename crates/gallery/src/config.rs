//! The app configuration a partner admin sets per device; it travels sealed (see [`crate::seal`]).

use crate::logo::Logo;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("SNMP community string must be 1 to 32 printable ASCII characters without spaces")]
    Community,
    #[error("language {0:?} is not a language tag such as \"en\" or \"de-CH\"")]
    Language(String),
    #[error("help-desk text is {0} characters long; at most {HELP_DESK_MAX} are allowed")]
    HelpDeskTooLong(usize),
    #[error("no tab would show: enable at least one tab")]
    NoTabs,
    #[error(transparent)]
    Logo(#[from] crate::logo::LogoError),
}

pub const HELP_DESK_MAX: usize = 2000;

/// The SNMP v1/v2c read community the app sends through WS-SNMP. Debug hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SnmpCommunity(String);

impl SnmpCommunity {
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        if !input.is_empty() && input.len() <= 32 && input.chars().all(|c| c.is_ascii_graphic()) {
            Ok(Self(input.to_owned()))
        } else {
            Err(ConfigError::Community)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Default for SnmpCommunity {
    fn default() -> Self {
        Self("public".into())
    }
}

impl fmt::Debug for SnmpCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SnmpCommunity([redacted])")
    }
}

impl std::str::FromStr for SnmpCommunity {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SnmpCommunity {
    type Error = ConfigError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SnmpCommunity> for String {
    fn from(value: SnmpCommunity) -> String {
        value.0
    }
}

/// A BCP 47-style language tag (`en`, `de-CH`, `pt-BR`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let mut parts = input.split('-');
        let primary = parts.next().unwrap_or_default();
        let primary_ok =
            (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
        let rest_ok = parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if primary_ok && rest_ok {
            Ok(Self(input.to_owned()))
        } else {
            Err(ConfigError::Language(input.chars().take(40).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Language {
    fn default() -> Self {
        Self("en".into())
    }
}

impl TryFrom<String> for Language {
    type Error = ConfigError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Language> for String {
    fn from(value: Language) -> String {
        value.0
    }
}

/// Which workflows the customer may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Permissions {
    pub create_service_incidents: bool,
    pub create_supply_incidents: bool,
    pub submit_meters: bool,
}

impl Default for Permissions {
    fn default() -> Self {
        Self {
            create_service_incidents: true,
            create_supply_incidents: true,
            submit_meters: true,
        }
    }
}

/// Whether a confirmation e-mail goes out, per workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ConfirmationEmail {
    pub service_incident: bool,
    pub supply_incident: bool,
    pub meter_submission: bool,
}

impl Default for ConfirmationEmail {
    fn default() -> Self {
        Self {
            service_incident: true,
            supply_incident: true,
            meter_submission: true,
        }
    }
}

/// Which tabs the panel app shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Tabs {
    pub incidents: bool,
    pub report_fault: bool,
    pub request_supplies: bool,
    pub meters: bool,
    pub help: bool,
}

impl Default for Tabs {
    fn default() -> Self {
        Self {
            incidents: true,
            report_fault: true,
            request_supplies: true,
            meters: true,
            help: true,
        }
    }
}

/// Per-device app configuration. Missing fields take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct AppConfiguration {
    /// SNMP v1/v2c read community ("public" by default).
    #[schema(value_type = String, example = "public")]
    pub snmp_community: SnmpCommunity,
    #[schema(value_type = Option<Object>)]
    pub logo: Option<Logo>,
    pub permissions: Permissions,
    pub confirmation_email: ConfirmationEmail,
    pub tabs: Tabs,
    pub help_desk_text: String,
    #[schema(value_type = String, example = "en")]
    pub language: Language,
}

impl AppConfiguration {
    /// Checks what the types alone do not (lengths, the logo's content).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let chars = self.help_desk_text.chars().count();
        if chars > HELP_DESK_MAX {
            return Err(ConfigError::HelpDeskTooLong(chars));
        }
        let t = self.tabs;
        if !(t.incidents || t.report_fault || t.request_supplies || t.meters || t.help) {
            return Err(ConfigError::NoTabs);
        }
        if let Some(logo) = &self.logo {
            logo.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_public_community_english_and_everything_on() {
        let config: AppConfiguration = serde_json::from_str("{}").expect("parse");
        assert_eq!(config.snmp_community.expose(), "public");
        assert_eq!(config.language.as_str(), "en");
        assert!(config.permissions.submit_meters && config.tabs.help);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn bad_fields_are_named_in_the_error() {
        let err = serde_json::from_str::<AppConfiguration>(r#"{"snmp_community":"has space"}"#)
            .expect_err("community");
        assert!(err.to_string().contains("SNMP community"), "{err}");
        let err = serde_json::from_str::<AppConfiguration>(r#"{"language":"English"}"#)
            .expect_err("language");
        assert!(err.to_string().contains("language"), "{err}");
        let config = AppConfiguration {
            help_desk_text: "x".repeat(HELP_DESK_MAX + 1),
            ..Default::default()
        };
        assert_eq!(config.validate(), Err(ConfigError::HelpDeskTooLong(2001)));
    }

    #[test]
    fn community_string_is_hidden_from_debug() {
        let config = AppConfiguration {
            snmp_community: "t0p-secret".parse().expect("community"),
            ..Default::default()
        };
        assert!(!format!("{config:?}").contains("t0p-secret"));
    }
}
