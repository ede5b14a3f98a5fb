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

/// The settings the weblet runs with; `language` is the one chosen for the device
/// (`DeviceContext::locale`: the configuration's, else the device's, else English).
pub fn effective_settings(
    config: &AppConfiguration,
    language: platform::i18n::Locale,
) -> EffectiveSettings {
    let logo_url = match &config.logo {
        Some(proto::Logo::Url(u)) => Some(u.clone()),
        Some(proto::Logo::Image { kind, bytes }) => {
            use base64::Engine as _;
            Some(format!(
                "data:{};base64,{}",
                kind.media_type(),
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ))
        }
        None => None,
    };
    EffectiveSettings {
        snmp_community: config.snmp_community.expose().to_string(),
        logo_url,
        permissions: config.permissions,
        tabs: config.tabs,
        language: language.code().to_string(),
        help_desk_text: config.help_desk_text.clone(),
    }
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
        let entitlements = if device.demo {
            EntitlementView {
                service: true,
                supplies: true,
            }
        } else {
            let e = self.gallery.entitlements(device, self.clock.now()).await?;
            let today = self.today();
            EntitlementView {
                service: e.service_on(today),
                supplies: e.supplies_on(today),
            }
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

/// Interprets what the weblet collected, with the same code as `device read`.
pub fn interpret_collected(
    device: &DeviceContext,
    varbinds: &[CollectedVarbind],
) -> Result<DeviceReport, RuleError> {
    if device.demo {
        return Ok(super::demo::report());
    }
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
