//! The app configuration a partner admin sets per device in the App Gallery; it travels sealed
//! to the device and the assistant opens it.

use crate::ids::{DeviceSerial, Language, PartnerId, SnmpCommunity};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Characters of the help-desk text.
pub const HELP_DESK_MAX: usize = 2000;
/// Bytes of an uploaded logo.
pub const MAX_LOGO_BYTES: usize = 10 * 1024;

/// What a sealed app configuration is bound to: one device of one partner, at one version.
///
/// It travels in the clear in front of the sealed blob and is the blob's associated data
/// ([`ConfigBinding::associated_data`]), so it cannot be changed without the blob failing to
/// open. The assistant refuses a configuration whose serial or tenant is not the device
/// credential's, and one whose version is older than the gallery's current one for the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigBinding {
    pub serial: DeviceSerial,
    pub tenant: PartnerId,
    /// Counts up from 1 each time the gallery stores a new configuration for the device.
    pub version: u64,
}

impl ConfigBinding {
    /// The associated data of the sealed blob: a fixed label, then serial, tenant and version,
    /// one per line (none of them can contain a line break).
    pub fn associated_data(&self) -> String {
        format!(
            "sa-app-config\n{}\n{}\n{}",
            self.serial, self.tenant, self.version
        )
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    HelpDeskTooLong(usize),
    NoTabs,
    /// The logo's checks failed; the text says which.
    Logo(String),
    /// The partner's support address is not an e-mail address; the text says why.
    SupportEmail(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HelpDeskTooLong(n) => write!(
                f,
                "help-desk text is {n} characters long; at most {HELP_DESK_MAX} are allowed"
            ),
            Self::NoTabs => f.write_str("no tab would show: enable at least one tab"),
            Self::Logo(why) => f.write_str(why),
            Self::SupportEmail(why) => write!(f, "support e-mail address {why}"),
        }
    }
}

impl std::error::Error for ConfigError {}

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

/// The navigation override: which tabs the panel app shows. A tab switched off is hidden on the
/// panel and its pages and App API endpoints are refused for the device (`Tabs::shows`).
///
/// The vendor's setting chooses among Service, Supplies and Meters; `help` shows the partner's
/// help-desk text (`AppConfiguration::help_desk_text`) as a fourth tab when there is one.
/// Configurations stored before carried `incidents`, `report_fault` and `request_supplies`;
/// those fields are ignored when read (the tabs they meant are on by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Tabs {
    /// The Services tab: the device's service incidents and "Report a problem".
    pub service: bool,
    /// The Supplies tab: supply incidents and requesting supplies.
    pub supplies: bool,
    /// The Meters tab: the billing meters and sending them.
    pub meters: bool,
    /// The Help tab with the help-desk text (shown only when the text is not empty).
    pub help: bool,
}

impl Default for Tabs {
    fn default() -> Self {
        Self {
            service: true,
            supplies: true,
            meters: true,
            help: true,
        }
    }
}

/// One of the panel's workflow tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Service,
    Supplies,
    Meters,
}

impl Tabs {
    /// Whether `tab` shows (and its endpoints answer) on this device.
    pub fn shows(&self, tab: Tab) -> bool {
        match tab {
            Tab::Service => self.service,
            Tab::Supplies => self.supplies,
            Tab::Meters => self.meters,
        }
    }
}

/// Largest logo the panel's bar and the e-mail show: 247 px wide, 72 px high (the vendor's size).
pub const LOGO_MAX_WIDTH: u32 = 247;
/// See [`LOGO_MAX_WIDTH`].
pub const LOGO_MAX_HEIGHT: u32 = 72;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageType {
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/svg+xml")]
    Svg,
}

impl ImageType {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Svg => "image/svg+xml",
        }
    }

    /// The type by the file's first bytes (PNG and JPEG signatures, SVG text).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(Self::Png);
        }
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(Self::Jpeg);
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let text = text.trim_start_matches('\u{feff}').trim_start();
        (text.starts_with('<') && text.contains("<svg")).then_some(Self::Svg)
    }
}

/// The partner's logo: a PNG, JPEG or SVG of at most 10 KB, or (as input only) an https URL.
///
/// Reading one (serde) checks the size, the scheme and that the bytes are what the media type
/// says. The App Gallery, where logos come in, fetches a `Url` once when the configuration is
/// saved and stores the image it found (`Image` with `source` = the URL), after checking its
/// size, type, dimensions (at most [`LOGO_MAX_WIDTH`] × [`LOGO_MAX_HEIGHT`]) and that an SVG
/// carries nothing active (`gallery::logo`). So a stored configuration holds image bytes, and
/// neither the device's browser nor an e-mail client ever fetches a partner-given URL; the
/// assistant ignores a `Url` logo (one sealed before the gallery fetched them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "LogoWire", into = "LogoWire")]
pub enum Logo {
    Url(String),
    Image {
        kind: ImageType,
        bytes: Vec<u8>,
        /// The https URL the gallery fetched the image from, if it came from one.
        source: Option<String>,
    },
}

/// The JSON form: `{"url": "https://…"}` or
/// `{"media_type": "image/png", "data": "<base64>", "source_url": "https://…"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LogoWire {
    Url {
        url: String,
    },
    Image {
        media_type: ImageType,
        data: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source_url: Option<String>,
    },
}

impl Logo {
    /// An `https://` URL with a host and no spaces or control characters.
    pub fn url(input: &str) -> Result<Self, ConfigError> {
        let s = input.trim();
        let bad = || {
            ConfigError::Logo(format!(
                "logo URL must be an https:// URL with a host: {}",
                s.chars().take(80).collect::<String>()
            ))
        };
        let rest = s
            .get(..8)
            .filter(|p| p.eq_ignore_ascii_case("https://"))
            .map(|_| &s[8..])
            .ok_or_else(bad)?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        Ok(Self::Url(s.to_string()))
    }

    /// Image bytes: at most [`MAX_LOGO_BYTES`], PNG, JPEG or SVG by their first bytes.
    pub fn image(bytes: &[u8]) -> Result<Self, ConfigError> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(ConfigError::Logo(format!(
                "logo is {} bytes; at most {MAX_LOGO_BYTES} bytes are allowed",
                bytes.len()
            )));
        }
        let kind = ImageType::sniff(bytes)
            .ok_or_else(|| ConfigError::Logo("logo is not PNG, JPEG or SVG".into()))?;
        Ok(Self::Image {
            kind,
            bytes: bytes.to_vec(),
            source: None,
        })
    }

    /// The https URL the logo was (or is to be) fetched from, if any.
    pub fn source_url(&self) -> Option<&str> {
        match self {
            Self::Url(url) => Some(url),
            Self::Image { source, .. } => source.as_deref(),
        }
    }

    /// A `data:` URI for an `<img src>`; `None` for a URL the gallery has not fetched.
    pub fn data_uri(&self) -> Option<String> {
        match self {
            Self::Url(_) => None,
            image => Some(image.src()),
        }
    }

    /// A `data:` URI or the https URL, for an `<img src>`.
    pub fn src(&self) -> String {
        match self {
            Self::Url(url) => url.clone(),
            Self::Image { kind, bytes, .. } => {
                format!(
                    "data:{};base64,{}",
                    kind.media_type(),
                    crate::b64::encode(bytes)
                )
            }
        }
    }
}

impl TryFrom<LogoWire> for Logo {
    type Error = ConfigError;
    fn try_from(wire: LogoWire) -> Result<Self, Self::Error> {
        match wire {
            LogoWire::Url { url } => Logo::url(&url),
            LogoWire::Image {
                media_type,
                data,
                source_url,
            } => {
                let bytes = crate::b64::decode(&data)
                    .ok_or_else(|| ConfigError::Logo("logo data is not base64".into()))?;
                let source = source_url
                    .map(|u| Logo::url(&u).map(|_| u.trim().to_string()))
                    .transpose()?;
                match Logo::image(&bytes)? {
                    Logo::Image { kind, .. } if kind != media_type => {
                        Err(ConfigError::Logo(format!(
                            "logo says it is {} but its bytes are {}",
                            media_type.media_type(),
                            kind.media_type()
                        )))
                    }
                    Logo::Image { kind, bytes, .. } => Ok(Logo::Image {
                        kind,
                        bytes,
                        source,
                    }),
                    url => Ok(url),
                }
            }
        }
    }
}

impl From<Logo> for LogoWire {
    fn from(logo: Logo) -> Self {
        match logo {
            Logo::Url(url) => LogoWire::Url { url },
            Logo::Image {
                kind,
                bytes,
                source,
            } => LogoWire::Image {
                media_type: kind,
                data: crate::b64::encode(&bytes),
                source_url: source,
            },
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
    /// The help-desk override: the confirmation of a service or supply request shows the
    /// partner's own ticket number (set by its help desk through the Services Manager's
    /// `PUT /api/v1/incidents/{number}/ticket-reference`) instead of the incident number.
    pub help_desk_override: bool,
    /// The language of the panel and the e-mails (`en`, `de`, `fr`, `it`, `es`; a region such as
    /// `de-CH` counts as its language). Not set: the device's own language, else English.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "de")]
    pub language: Option<Language>,
    /// The partner's support address (a role address, not a person's): told by e-mail when a
    /// submission the assistant acknowledged is refused by the Services Manager afterwards.
    #[schema(example = "support@partner.example")]
    pub support_email: Option<String>,
}

impl AppConfiguration {
    /// Checks what the types alone do not (lengths, at least one tab). The gallery adds its
    /// SVG content checks on top.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let chars = self.help_desk_text.chars().count();
        if chars > HELP_DESK_MAX {
            return Err(ConfigError::HelpDeskTooLong(chars));
        }
        let t = self.tabs;
        if !(t.service || t.supplies || t.meters || (t.help && !self.help_desk_text.is_empty())) {
            return Err(ConfigError::NoTabs);
        }
        if let Some(address) = &self.support_email {
            crate::EmailAddress::parse(address).map_err(|e| ConfigError::SupportEmail(e.0))?;
        }
        match &self.logo {
            Some(Logo::Url(u)) => Logo::url(u).map(|_| ()),
            Some(Logo::Image { bytes, .. }) => Logo::image(bytes).map(|_| ()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_public_community_the_devices_language_and_everything_on() {
        let config: AppConfiguration = serde_json::from_str("{}").expect("parse");
        assert_eq!(config.snmp_community.expose(), "public");
        assert_eq!(config.language, None, "no language: the device's");
        assert!(!serde_json::to_string(&config).unwrap().contains("language"));
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
    fn the_navigation_override_names_service_supplies_and_meters() {
        let config: AppConfiguration =
            serde_json::from_str(r#"{"tabs":{"supplies":false}}"#).expect("parse");
        assert!(config.tabs.shows(Tab::Service) && config.tabs.shows(Tab::Meters));
        assert!(!config.tabs.shows(Tab::Supplies));
        // The fields of before are ignored: their tabs are on by default.
        let old: AppConfiguration = serde_json::from_str(
            r#"{"tabs":{"incidents":false,"report_fault":false,"request_supplies":true}}"#,
        )
        .expect("old");
        assert_eq!(old.tabs, Tabs::default());
        let none = AppConfiguration {
            tabs: Tabs {
                service: false,
                supplies: false,
                meters: false,
                help: true,
            },
            ..Default::default()
        };
        assert_eq!(
            none.validate(),
            Err(ConfigError::NoTabs),
            "help without text"
        );
    }

    #[test]
    fn a_fetched_logo_keeps_the_url_it_came_from() {
        let png = b"\x89PNG\r\n\x1a\n0000";
        let json = format!(
            r#"{{"media_type":"image/png","data":"{}","source_url":"https://p.example/l.png"}}"#,
            crate::b64::encode(png)
        );
        let logo: Logo = serde_json::from_str(&json).expect("logo");
        assert_eq!(logo.source_url(), Some("https://p.example/l.png"));
        assert!(
            logo.data_uri()
                .is_some_and(|u| u.starts_with("data:image/png;base64,"))
        );
        assert_eq!(
            serde_json::from_str::<Logo>(&serde_json::to_string(&logo).unwrap()).unwrap(),
            logo
        );
        let url = Logo::url("https://p.example/l.png").expect("url");
        assert_eq!(url.data_uri(), None, "a URL is never handed to a browser");
    }

    #[test]
    fn community_string_is_hidden_from_debug() {
        let config = AppConfiguration {
            snmp_community: "t0p-secret".parse().expect("community"),
            ..Default::default()
        };
        assert!(!format!("{config:?}").contains("t0p-secret"));
    }

    #[test]
    fn logos_round_trip_and_are_checked_when_read() {
        let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
        let logo = Logo::image(&png).unwrap();
        let json = serde_json::to_string(&logo).unwrap();
        assert!(json.contains("image/png"), "{json}");
        assert_eq!(serde_json::from_str::<Logo>(&json).unwrap(), logo);
        let lie = json.replace("image/png", "image/jpeg");
        assert!(serde_json::from_str::<Logo>(&lie).is_err());
        assert!(Logo::url("http://x.example/a.png").is_err());
        assert!(Logo::url("https:///a.png").is_err());
        assert!(Logo::url("https://x.example/a.png").is_ok());
        assert!(Logo::image(&vec![b'<'; MAX_LOGO_BYTES + 1]).is_err());
        assert_eq!(
            logo.src(),
            format!("data:image/png;base64,{}", crate::b64::encode(&png))
        );
    }
}
