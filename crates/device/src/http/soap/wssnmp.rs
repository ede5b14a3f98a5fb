//! WS-SNMP (`/webservices/SNMP/1`): SNMP through SOAP, answered from the recording.
//!
//! GetRequest and GetNextRequest carry `SNMPVersion` (2c), `SNMPv2cData/communityString` (must be
//! the device's read community, else an `AuthenticationFailure` fault) and one `OID`; the answer
//! holds `OID`, `Type` and `returnValue` (written as `snmp_text` describes). SetRequest carries one
//! `theOID` element per value (`OID`, `Type`, `setValue`); the device grants no write community, so
//! a well-formed SetRequest with the read community is refused with a `ReadOnly` fault and nothing
//! changes. GetInterfaceVersionRequest answers `Version/MajorVersion|MinorVersion|Revision`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;
use printer::snmp::{Oid, Value};

use super::super::{AppState, snmp_text};
use super::{Element, Fault, FaultCode, SNMP_NS, SNMP_PATH, Service, xml_escape};

const SERVICE: Service = Service {
    path: SNMP_PATH,
    ns: SNMP_NS,
    name: "WS-SNMP",
};

/// Checks `SNMPVersion` and the community string of a request.
fn check_version_and_community(op: &Element, community: &str) -> Result<(), Fault> {
    let version = op.child("SNMPVersion").ok_or_else(|| {
        Fault::new(
            FaultCode::MissingVersion,
            "the request has no SNMPVersion (it must be 2c)",
        )
    })?;
    if version.text.trim() != "2c" {
        return Err(Fault::new(
            FaultCode::UnsupportedVersion,
            format!(
                "SNMPVersion {:?} is not supported; WS-SNMP speaks 2c",
                version.text.trim()
            ),
        ));
    }
    let given = op
        .child("SNMPv2cData")
        .and_then(|d| d.child("communityString"))
        .ok_or_else(|| {
            Fault::new(
                FaultCode::MissingCommunity,
                "the request has no SNMPv2cData/communityString",
            )
        })?;
    if given.text.trim() != community {
        return Err(Fault::new(
            FaultCode::AuthenticationFailure,
            "the community string does not match the device's SNMP read community",
        ));
    }
    Ok(())
}

fn parse_oid(el: &Element) -> Result<Oid, Fault> {
    let text = el.text.trim();
    if text.is_empty() {
        return Err(Fault::new(
            FaultCode::MissingOid,
            "the OID element is empty",
        ));
    }
    text.trim_start_matches('.')
        .parse::<Oid>()
        .map_err(|e| Fault::new(FaultCode::InvalidOid, format!("the OID is not valid: {e}")))
}

/// The OID of a Get or GetNext request, after checking version and community.
pub fn request_oid(op: &Element, community: &str) -> Result<Oid, Fault> {
    check_version_and_community(op, community)?;
    let mut oids = op.children_named("OID");
    let oid = oids
        .next()
        .ok_or_else(|| Fault::new(FaultCode::MissingOid, "the request carries no OID"))?;
    if oids.next().is_some() {
        return Err(Fault::new(
            FaultCode::InvalidOid,
            "the request carries more than one OID; send one per request",
        ));
    }
    parse_oid(oid)
}

/// The values of a SetRequest (`theOID` elements), after checking version and community.
pub fn set_values(op: &Element, community: &str) -> Result<Vec<(Oid, Value)>, Fault> {
    check_version_and_community(op, community)?;
    let mut out = Vec::new();
    for the in op.children_named("theOID") {
        let oid = the
            .child("OID")
            .ok_or_else(|| Fault::new(FaultCode::MissingOid, "a theOID element has no OID"))
            .and_then(parse_oid)?;
        let type_name = the.child("Type").map(|t| t.text.trim()).unwrap_or("");
        let text = the
            .child("setValue")
            .map(|t| t.text.as_str())
            .ok_or_else(|| {
                Fault::new(
                    FaultCode::InvalidValue,
                    format!("theOID {oid} has no setValue"),
                )
            })?;
        let value = snmp_text::parse(type_name, text)
            .map_err(|e| Fault::new(FaultCode::InvalidValue, format!("theOID {oid}: {e}")))?;
        out.push((oid, value));
    }
    if out.is_empty() {
        return Err(Fault::new(
            FaultCode::MissingOid,
            "the SetRequest carries no theOID element",
        ));
    }
    Ok(out)
}

fn varbind_answer(element: &str, oid: &Oid, value: &Value) -> String {
    let (type_name, text) = snmp_text::format(value);
    format!(
        "<{element} xmlns=\"{SNMP_NS}\"><OID>{oid}</OID><Type>{type_name}</Type>\
         <returnValue>{}</returnValue></{element}>",
        xml_escape(&text)
    )
}

pub(crate) async fn handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let community = state.config.community.as_str();
    super::answer(
        &state.config.soap_log,
        SERVICE,
        &headers,
        &body,
        |op| match op.name.as_str() {
            "GetInterfaceVersionRequest" => {
                Ok(super::interface_version(SNMP_NS, "Version", (1, 0, 0)))
            }
            "GetRequest" => {
                let oid = request_oid(op, community)?;
                let value = state.config.mib.get(&oid);
                Ok(varbind_answer("GetResponse", &oid, &value))
            }
            "GetNextRequest" => {
                let oid = request_oid(op, community)?;
                let vb = state.config.mib.next(&oid);
                Ok(varbind_answer("GetNextResponse", &vb.oid, &vb.value))
            }
            "SetRequest" => {
                let values = set_values(op, community)?;
                Err(Fault::new(
                    FaultCode::ReadOnly,
                    format!(
                        "SetRequest refused: the community string is the device's read-only community; \
                         nothing was written ({} value{})",
                        values.len(),
                        if values.len() == 1 { "" } else { "s" }
                    ),
                ))
            }
            _ => Err(super::unknown(
                op,
                SERVICE,
                &[
                    "GetInterfaceVersionRequest",
                    "GetRequest",
                    "GetNextRequest",
                    "SetRequest",
                ],
            )),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::{SOAP11_NS, envelope::operation, parse_xml};
    use super::*;

    proptest::proptest! {
        #[test]
        fn arbitrary_request_content_never_panics(inner in "[<>/a-zA-Z0-9:=\"&;# .-]{0,200}") {
            let xml = format!(
                "<s:Envelope xmlns:s=\"{SOAP11_NS}\"><s:Body><GetRequest xmlns=\"{SNMP_NS}\">{inner}</GetRequest></s:Body></s:Envelope>"
            );
            if let Ok(root) = parse_xml(xml.as_bytes())
                && let Ok((_, op)) = operation(root, SNMP_NS)
            {
                let _ = request_oid(&op, "public");
                let _ = set_values(&op, "public");
            }
        }
    }
}
