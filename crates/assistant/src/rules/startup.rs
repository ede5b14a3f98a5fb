//! Starting the weblet (its effective settings and entitlements) and reading the device report it
//! collected over WS-SNMP.

use printer::DeviceReport;
use proto::AppConfiguration;
use serde::{Deserialize, Serialize};

use super::{FieldError, RuleError};
use crate::service::{DeviceContext, Services};

/// What the weblet needs to start.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Startup {
    pub device: StartupDevice,
    pub settings: EffectiveSettings,
    pub entitlements: EntitlementView,
    /// The OID subtrees to collect through WS-SNMP (GetNext walks) for the device report.
    pub subtrees: Vec<String>,
    pub demo: bool,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StartupDevice {
    pub serial: String,
    pub tenant: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EffectiveSettings {
    pub snmp_community: String,
    pub logo_url: Option<String>,
    pub permissions: proto::Permissions,
    pub tabs: proto::Tabs,
    pub language: String,
    pub help_desk_text: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntitlementView {
    pub service: bool,
    pub supplies: bool,
}

/// What the weblet is told of the configuration. The logo is the image the gallery fetched and
/// checked when the partner saved it, as a `data:` URI (at most 10 KB): the device's browser
/// never fetches a partner-given URL (a `Url` logo sealed before the gallery fetched them is
/// left out).
///
/// `language` is the one chosen for the device (`DeviceContext::locale`: the configuration's,
/// else the device's, else English).
pub fn effective_settings(
    config: &AppConfiguration,
    language: platform::i18n::Locale,
) -> EffectiveSettings {
    EffectiveSettings {
        snmp_community: config.snmp_community.expose().to_string(),
        logo_url: config.logo.as_ref().and_then(proto::Logo::data_uri),
        permissions: config.permissions,
        tabs: config.tabs,
        language: language.code().to_string(),
        help_desk_text: config.help_desk_text.clone(),
    }
}

/// The navigation override: a tab the partner switched off is hidden by the weblet, and its pages
/// and App API endpoints are refused (403) with a sentence in the configured language.
pub fn check_tab(
    device: &DeviceContext,
    config: &AppConfiguration,
    tab: proto::Tab,
) -> Result<(), RuleError> {
    if config.tabs.shows(tab) {
        return Ok(());
    }
    let key = match tab {
        proto::Tab::Service => "panel-tab-off-service",
        proto::Tab::Supplies => "panel-tab-off-supplies",
        proto::Tab::Meters => "panel-tab-off-meters",
    };
    Err(RuleError::Forbidden(device.locale(Some(config)).t(key)))
}

/// A value as the device's WS-SNMP service returned it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CollectedVarbind {
    pub oid: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub value: String,
}

/// At most this many values in one report.
pub const MAX_VARBINDS: usize = 5_000;

impl Services {
    /// The device's effective settings and today's entitlements.
    pub async fn startup(
        &self,
        device: &DeviceContext,
        sealed_config: Option<&str>,
    ) -> Result<Startup, RuleError> {
        let config = self.open_config(sealed_config)?;
        // Demo Mode too: the device's own contracts (rules::demo).
        let e = self.gallery.entitlements(device, self.clock.now()).await?;
        let today = self.today();
        let entitlements = EntitlementView {
            service: e.service_on(today),
            supplies: e.supplies_on(today),
        };
        Ok(Startup {
            device: StartupDevice {
                serial: device.serial.clone(),
                tenant: device.tenant.clone(),
            },
            settings: effective_settings(&config, device.locale(Some(&config))),
            entitlements,
            subtrees: printer::interpret::subtrees()
                .iter()
                .map(ToString::to_string)
                .collect(),
            demo: device.demo,
        })
    }
}

/// Interprets what the weblet collected, with the same code as `device read`. In Demo Mode too:
/// the demo shows the device's own supplies and meters (rules::demo).
pub fn interpret_collected(varbinds: &[CollectedVarbind]) -> Result<DeviceReport, RuleError> {
    if varbinds.len() > MAX_VARBINDS {
        return Err(RuleError::BadRequest(format!(
            "at most {MAX_VARBINDS} values in one report"
        )));
    }
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(varbinds.len());
    for (i, vb) in varbinds.iter().enumerate() {
        match (
            vb.oid.parse::<printer::snmp::Oid>(),
            printer::wssnmp::parse(&vb.type_name, &vb.value),
        ) {
            (Ok(oid), Ok(value)) => parsed.push(printer::snmp::VarBind::new(oid, value)),
            (Err(e), _) => errors.push(FieldError::new(
                &format!("varbinds[{i}].oid"),
                e.to_string(),
            )),
            (_, Err(e)) => errors.push(FieldError::new(
                &format!("varbinds[{i}].value"),
                e.to_string(),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(RuleError::Invalid(errors));
    }
    Ok(printer::interpret(&parsed))
}
