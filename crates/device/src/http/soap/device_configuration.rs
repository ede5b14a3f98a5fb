//! Device Configuration (`/webservices/office/device_configuration/1`).
//!
//! GetDeviceInformationRequest answers an `Information` element holding escaped XML with the paths
//! ../shared/eip/README.md lists: `device/serial|model|mac|name` (read from the recording through
//! `printer::interpret`, the name from sysName), `display/canvasSize/width|height` (the panel size
//! the emulator runs with) and the rest of `display`, `version/eipSoftware`,
//! `version/EIPBrowserInfo` and `style/generation`. VoidRequest (the capabilities probe) is
//! acknowledged with an empty VoidResponse.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use printer::snmp::{Oid, Value};

use super::super::AppState;
use super::{DEVICE_CONFIGURATION_NS, DEVICE_CONFIGURATION_PATH, Service, xml_escape};

const SERVICE: Service = Service {
    path: DEVICE_CONFIGURATION_PATH,
    ns: DEVICE_CONFIGURATION_NS,
    name: "Device Configuration",
};

/// The EIP software version the emulator reports (`version/eipSoftware`).
pub const EIP_SOFTWARE_VERSION: (u32, u32, u32) = (3, 7, 0);
/// The device generation the emulator reports (`style/generation`).
pub const GENERATION: u32 = 9;
/// The panel browser the emulator reports (`version/EIPBrowserInfo`).
pub const BROWSER: (&str, &str) = ("WebKit", "534.34");

/// What the panel looks like: the app's drawing area in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Display {
    pub width: u32,
    pub height: u32,
}

impl Display {
    /// Diagonal of the physical screen in inches: 7" for panels up to 800 px wide, else 10.1".
    fn diagonal_inches(self) -> f64 {
        if self.width <= 800 { 7.0 } else { 10.1 }
    }

    fn dpi(self) -> u32 {
        let px = f64::from(self.width).hypot(f64::from(self.height));
        (px / self.diagonal_inches()).round() as u32
    }

    fn aspect_ratio(self) -> String {
        fn gcd(a: u32, b: u32) -> u32 {
            if b == 0 { a } else { gcd(b, a % b) }
        }
        let g = gcd(self.width, self.height).max(1);
        format!("{}:{}", self.width / g, self.height / g)
    }
}

fn text_at(snapshot: &[printer::snmp::VarBind], oid: &str) -> Option<String> {
    let oid: Oid = oid.parse().ok()?;
    snapshot
        .iter()
        .find(|vb| vb.oid == oid)
        .and_then(|vb| match &vb.value {
            Value::OctetString(b) => std::str::from_utf8(b).ok().map(str::to_owned),
            _ => None,
        })
        .filter(|s| !s.is_empty())
}

fn el(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", xml_escape(value))
}

/// The inner document of GetDeviceInformation (unescaped).
pub fn device_information_xml(mib: &crate::mib::Mib, display: Display) -> String {
    let snapshot = mib.snapshot();
    let id = printer::interpret(&snapshot).identity;
    let mut device = String::new();
    for (name, value) in [
        ("serial", id.serial),
        ("model", id.model),
        ("mac", id.mac),
        ("name", text_at(&snapshot, "1.3.6.1.2.1.1.5.0")),
    ] {
        if let Some(v) = value {
            device.push_str(&el(name, &v));
        }
    }
    let (major, minor, revision) = EIP_SOFTWARE_VERSION;
    format!(
        "<DeviceInformation><device>{device}</device>\
         <display><canvasSize><width>{}</width><height>{}</height></canvasSize>\
         <dpi>{}</dpi><bitdepth>24</bitdepth><colorspace>RGB</colorspace>\
         <physical><size>{}</size><aspectRatio>{}</aspectRatio></physical></display>\
         <version><eipSoftware><majorVersion>{major}</majorVersion><minorVersion>{minor}</minorVersion>\
         <revision>{revision}</revision></eipSoftware>\
         <EIPBrowserInfo><BrowserType>{}</BrowserType><BrowserVersion>{}</BrowserVersion></EIPBrowserInfo></version>\
         <style><generation>{GENERATION}</generation></style></DeviceInformation>",
        display.width,
        display.height,
        display.dpi(),
        display.diagonal_inches(),
        display.aspect_ratio(),
        BROWSER.0,
        BROWSER.1,
    )
}

pub(crate) async fn handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ns = SERVICE.ns;
    super::answer(
        &state.config.soap_log,
        SERVICE,
        &headers,
        &body,
        |op| match op.name.as_str() {
            "GetInterfaceVersionRequest" => {
                Ok(super::interface_version(ns, "InterfaceVersion", (1, 0, 0)))
            }
            "GetDeviceInformationRequest" => {
                let (width, height) = state.config.panel_size;
                Ok(super::information(
                    ns,
                    "GetDeviceInformationResponse",
                    &device_information_xml(&state.config.mib, Display { width, height }),
                ))
            }
            "VoidRequest" => Ok(format!("<VoidResponse xmlns=\"{ns}\"/>")),
            _ => Err(super::unknown(
                op,
                SERVICE,
                &[
                    "GetInterfaceVersionRequest",
                    "GetDeviceInformationRequest",
                    "VoidRequest",
                ],
            )),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_figures_follow_the_canvas() {
        let small = Display {
            width: 800,
            height: 480,
        };
        assert_eq!((small.dpi(), small.aspect_ratio()), (133, "5:3".to_owned()));
        let big = Display {
            width: 1024,
            height: 600,
        };
        assert_eq!((big.dpi(), big.aspect_ratio()), (118, "128:75".to_owned()));
    }
}
