//! Session (`/webservices/office/cuisession/1`).
//!
//! GetSessionInformationRequest answers an `Information` element holding escaped XML: `username`
//! (`guest` for the walk-up user, the administrator's name while an administrator session is active
//! on the panel), `qualifiedUsername`, `from` (the administrator's e-mail address when the device
//! knows one; absent for a walk-up user) and `roles/authorized/role` (`xeSystemAdministrator` for
//! the administrator; none for a walk-up user). ExitApplicationRequest and
//! SetSessionParametersRequest are acknowledged.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;

use super::super::AppState;
use super::{SESSION_NS, SESSION_PATH, Service, xml_escape};

const SERVICE: Service = Service {
    path: SESSION_PATH,
    ns: SESSION_NS,
    name: "Session",
};

/// The walk-up user's name.
pub const GUEST: &str = "guest";
/// The role of a device administrator.
pub const ADMIN_ROLE: &str = "xeSystemAdministrator";

/// Who is at the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PanelUser<'a> {
    WalkUp,
    Administrator {
        name: &'a str,
        email: Option<&'a str>,
    },
}

/// The inner document of GetSessionInformation (unescaped).
pub fn session_information_xml(user: PanelUser<'_>) -> String {
    match user {
        PanelUser::WalkUp => format!(
            "<SessionInformation><username>{GUEST}</username><qualifiedUsername>{GUEST}</qualifiedUsername>\
             <roles><authorized/></roles></SessionInformation>"
        ),
        PanelUser::Administrator { name, email } => {
            let name = xml_escape(name);
            let from = email
                .map(|e| format!("<from>{}</from>", xml_escape(e)))
                .unwrap_or_default();
            format!(
                "<SessionInformation><username>{name}</username><qualifiedUsername>{name}</qualifiedUsername>\
                 {from}<roles><authorized><role>{ADMIN_ROLE}</role></authorized></roles></SessionInformation>"
            )
        }
    }
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
            "GetSessionInformationRequest" => {
                let admin = state.sessions.admin_active(
                    state.config.clock.instant(),
                    state.config.session_idle_timeout,
                );
                let user = if admin {
                    PanelUser::Administrator {
                        name: crate::http::auth::ADMIN_USER,
                        email: state.config.admin_email.as_deref(),
                    }
                } else {
                    PanelUser::WalkUp
                };
                Ok(super::information(
                    ns,
                    "GetSessionInformationResponse",
                    &session_information_xml(user),
                ))
            }
            "ExitApplicationRequest" => Ok(format!("<ExitApplicationResponse xmlns=\"{ns}\"/>")),
            "SetSessionParametersRequest" => {
                Ok(format!("<SetSessionParametersResponse xmlns=\"{ns}\"/>"))
            }
            _ => Err(super::unknown(
                op,
                SERVICE,
                &[
                    "GetInterfaceVersionRequest",
                    "GetSessionInformationRequest",
                    "ExitApplicationRequest",
                    "SetSessionParametersRequest",
                ],
            )),
        },
    )
}
