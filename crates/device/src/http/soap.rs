//! The device's EIP web services, SOAP 1.1 over HTTP POST (`Content-Type: text/xml`):
//!
//! - Device Configuration (`/webservices/office/device_configuration/1`): GetInterfaceVersionRequest,
//!   GetDeviceInformationRequest (an `Information` element holding escaped XML: serial number, model,
//!   MAC address, firmware, read from the recording through `printer::interpret`).
//! - Session (`/webservices/office/cuisession/1`): GetSessionInformationRequest (the walk-up user, or
//!   the administrator while an administrator session is active on the panel), ExitApplicationRequest.
//! - WS-SNMP (`/webservices/SNMP/1`): GetRequest, GetNextRequest (SNMPVersion 2c, the device's read
//!   community, one OID); SetRequest is refused: the emulator is read-only. Values are written as
//!   `snmp_text` describes.
//!
//! Every service also answers GetInterfaceVersionRequest. A request the service cannot take gets a
//! SOAP fault with HTTP 500 (SOAP 1.1, section 6.2): `faultcode` `soap:Client` (or
//! `soap:VersionMismatch` for an Envelope in another namespace), a `faultstring` saying what is
//! wrong, and `detail/ErrorCode` with a stable code an app can test (e.g. `AuthenticationFailure`
//! when the community string does not match).

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use printer::snmp::Oid;
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::AppState;
use super::snmp_text;

pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const DEVICE_CONFIGURATION_PATH: &str = "/webservices/office/device_configuration/1";
pub const SESSION_PATH: &str = "/webservices/office/cuisession/1";
pub const SNMP_PATH: &str = "/webservices/SNMP/1";
pub const DEVICE_CONFIGURATION_NS: &str =
    "http://www.xerox.com/webservices/office/device_configuration/1";
pub const SESSION_NS: &str = "http://www.xerox.com/webservices/office/cuisession/1";
pub const SNMP_NS: &str = "http://www.xerox.com/webservices/SNMP/1";

/// Nesting deeper than this is refused (no SOAP request here needs more than a handful of levels).
const MAX_DEPTH: usize = 32;
/// Elements beyond this are refused.
const MAX_ELEMENTS: usize = 1024;

/// Stable codes in `detail/ErrorCode` of a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    NotXml,
    NotSoap,
    VersionMismatch,
    UnknownOperation,
    MissingVersion,
    UnsupportedVersion,
    MissingCommunity,
    AuthenticationFailure,
    MissingOid,
    InvalidOid,
    ReadOnly,
}

impl FaultCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultCode::NotXml => "MalformedXml",
            FaultCode::NotSoap => "NotSoapEnvelope",
            FaultCode::VersionMismatch => "VersionMismatch",
            FaultCode::UnknownOperation => "UnknownOperation",
            FaultCode::MissingVersion => "MissingSNMPVersion",
            FaultCode::UnsupportedVersion => "UnsupportedSNMPVersion",
            FaultCode::MissingCommunity => "MissingCommunityString",
            FaultCode::AuthenticationFailure => "AuthenticationFailure",
            FaultCode::MissingOid => "MissingOID",
            FaultCode::InvalidOid => "InvalidOID",
            FaultCode::ReadOnly => "ReadOnly",
        }
    }
}

/// A SOAP fault to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    pub message: String,
}

impl Fault {
    fn new(code: FaultCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn into_response(self, service_ns: &str) -> Response {
        let faultcode = if self.code == FaultCode::VersionMismatch {
            "soap:VersionMismatch"
        } else {
            "soap:Client"
        };
        let body = format!(
            "<soap:Fault><faultcode>{faultcode}</faultcode><faultstring>{}</faultstring>\
             <detail><ErrorCode xmlns=\"{service_ns}\">{}</ErrorCode></detail></soap:Fault>",
            xml_escape(&self.message),
            self.code.as_str()
        );
        xml_response(StatusCode::INTERNAL_SERVER_ERROR, &body)
    }
}

/// Escapes text for element content and attribute values (CR too, so it survives parsing).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

fn xml_response(status: StatusCode, body_content: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soap:Envelope xmlns:soap=\"{SOAP_ENV_NS}\"><soap:Body>{body_content}</soap:Body></soap:Envelope>"
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        )],
        xml,
    )
        .into_response()
}

/// An element of a parsed request: namespace, local name, children and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    /// Direct children with this local name (any namespace: SOAP parameters are often unqualified).
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
}

fn not_xml(why: impl std::fmt::Display) -> Fault {
    Fault::new(
        FaultCode::NotXml,
        format!("the request is not well-formed XML: {why}"),
    )
}

fn resolve_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

/// Parses a whole XML document into its root element. No DTDs, bounded depth and size.
pub fn parse_xml(body: &[u8]) -> Result<Element, Fault> {
    let text = std::str::from_utf8(body).map_err(|e| not_xml(format!("not UTF-8 ({e})")))?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(not_xml)?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(n.0.to_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(prefix) => {
                return Err(not_xml(format!(
                    "namespace prefix {prefix:?} is not declared"
                )));
            }
        };
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(not_xml("more than one root element"));
            }
            Event::Start(e) => {
                count += 1;
                if stack.len() >= MAX_DEPTH || count > MAX_ELEMENTS {
                    return Err(not_xml("the document is nested too deeply or too large"));
                }
                stack.push(Element {
                    ns,
                    name: e.local_name().as_ref().to_owned(),
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(not_xml("the document is too large"));
                }
                let el = Element {
                    ns,
                    name: e.local_name().as_ref().to_owned(),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| not_xml("unexpected end tag"))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err(not_xml("text outside the root element")),
                }
            }
            Event::CData(t) => match stack.last_mut() {
                Some(el) => el.text.push_str(&t.xml10_content()),
                None => return Err(not_xml("CDATA outside the root element")),
            },
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(not_xml)? {
                    Some(c) => c,
                    None => {
                        let name = r.xml10_content();
                        resolve_entity(&name)
                            .ok_or_else(|| not_xml(format!("unknown entity &{name};")))?
                    }
                };
                match stack.last_mut() {
                    Some(el) => el.text.push(c),
                    None => return Err(not_xml("a reference outside the root element")),
                }
            }
            Event::DocType(_) => {
                return Err(not_xml("a SOAP message must not contain a DTD"));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(not_xml(format!("element <{}> is not closed", open.name)));
    }
    root.ok_or_else(|| not_xml("the body holds no XML element"))
}

/// The operation element of a SOAP 1.1 request: the first element in the Envelope's Body.
pub fn operation(envelope: Element, service_ns: &str) -> Result<Element, Fault> {
    if envelope.name != "Envelope" {
        return Err(Fault::new(
            FaultCode::NotSoap,
            format!(
                "the request is not a SOAP envelope: its root element is <{}>, not <Envelope>",
                envelope.name
            ),
        ));
    }
    if envelope.ns.as_deref() != Some(SOAP_ENV_NS) {
        return Err(Fault::new(
            FaultCode::VersionMismatch,
            format!(
                "the Envelope is in namespace {:?}; this service speaks SOAP 1.1 ({SOAP_ENV_NS})",
                envelope.ns.unwrap_or_default()
            ),
        ));
    }
    let body = envelope
        .children
        .into_iter()
        .find(|c| c.name == "Body" && c.ns.as_deref() == Some(SOAP_ENV_NS))
        .ok_or_else(|| Fault::new(FaultCode::NotSoap, "the SOAP Envelope has no Body"))?;
    let op = body.children.into_iter().next().ok_or_else(|| {
        Fault::new(
            FaultCode::UnknownOperation,
            "the SOAP Body is empty: it names no operation",
        )
    })?;
    if op.ns.as_deref() != Some(service_ns) {
        return Err(Fault::new(
            FaultCode::UnknownOperation,
            format!(
                "operation {} in namespace {:?} is not offered here; this service's namespace is {service_ns}",
                op.name,
                op.ns.as_deref().unwrap_or("")
            ),
        ));
    }
    Ok(op)
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Fault> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if matches!(
        mime.as_str(),
        "text/xml" | "application/xml" | "application/soap+xml"
    ) {
        Ok(())
    } else {
        Err(Fault::new(
            FaultCode::NotSoap,
            format!("Content-Type must be text/xml for SOAP 1.1, not {ct:?}"),
        ))
    }
}

fn request_operation(
    headers: &HeaderMap,
    body: &Result<Bytes, BytesRejection>,
    service_ns: &str,
) -> Result<Element, Fault> {
    check_content_type(headers)?;
    let body = body.as_ref().map_err(|e| {
        Fault::new(
            FaultCode::NotXml,
            format!("the request body cannot be read: {}", e.body_text()),
        )
    })?;
    operation(parse_xml(body)?, service_ns)
}

fn unknown(op: &Element, service: &str, offered: &[&str]) -> Fault {
    Fault::new(
        FaultCode::UnknownOperation,
        format!(
            "unknown operation {} for the {service} service; it offers {}",
            op.name,
            offered.join(", ")
        ),
    )
}

fn ok(inner: &str) -> Response {
    xml_response(StatusCode::OK, inner)
}

fn interface_version(ns: &str) -> Response {
    ok(&format!(
        "<GetInterfaceVersionResponse xmlns=\"{ns}\"><Version><MajorVersion>1</MajorVersion>\
         <MinorVersion>0</MinorVersion><Revision>0</Revision></Version></GetInterfaceVersionResponse>"
    ))
}

fn answer(result: Result<Response, Fault>, ns: &str) -> Response {
    result.unwrap_or_else(|f| f.into_response(ns))
}

/// The firmware version from sysDescr: Xerox's `SS` (system software) field, or a field named
/// `firmware`, after the model name.
pub fn firmware_from_sys_descr(sys_descr: &str) -> Option<String> {
    let (_, fields) = sys_descr.split_once(';')?;
    fields.split(',').map(str::trim).find_map(|f| {
        let (key, value) = f.split_once(' ')?;
        let value = value.trim();
        (matches!(key, "SS" | "firmware" | "Firmware" | "FW") && !value.is_empty())
            .then(|| value.to_owned())
    })
}

/// The inner document of GetDeviceInformation (unescaped).
pub fn device_information_xml(mib: &crate::mib::Mib) -> String {
    let snapshot = mib.snapshot();
    let report = printer::interpret(&snapshot);
    let id = report.identity;
    let text_of = |oid: &str| -> Option<String> {
        let oid: Oid = oid.parse().ok()?;
        snapshot
            .iter()
            .find(|vb| vb.oid == oid)
            .and_then(|vb| match &vb.value {
                printer::snmp::Value::OctetString(b) => {
                    std::str::from_utf8(b).ok().map(str::to_owned)
                }
                _ => None,
            })
            .filter(|s| !s.is_empty())
    };
    let firmware = id.sys_descr.as_deref().and_then(firmware_from_sys_descr);
    let fields = [
        ("serialNumber", id.serial),
        ("model", id.model),
        ("macAddress", id.mac),
        ("firmwareVersion", firmware),
        ("name", text_of("1.3.6.1.2.1.1.5.0")),
        ("location", text_of("1.3.6.1.2.1.1.6.0")),
    ];
    let mut xml = String::from("<DeviceInformation><device>");
    for (name, value) in fields {
        if let Some(v) = value {
            xml.push_str(&format!("<{name}>{}</{name}>", xml_escape(&v)));
        }
    }
    xml.push_str("</device></DeviceInformation>");
    xml
}

pub(crate) async fn device_configuration(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ns = DEVICE_CONFIGURATION_NS;
    let result = request_operation(&headers, &body, ns).and_then(|op| match op.name.as_str() {
        "GetInterfaceVersionRequest" => Ok(interface_version(ns)),
        "GetDeviceInformationRequest" => Ok(ok(&format!(
            "<GetDeviceInformationResponse xmlns=\"{ns}\"><Information>{}</Information></GetDeviceInformationResponse>",
            xml_escape(&device_information_xml(&state.config.mib))
        ))),
        _ => Err(unknown(
            &op,
            "Device Configuration",
            &["GetInterfaceVersionRequest", "GetDeviceInformationRequest"],
        )),
    });
    answer(result, ns)
}

/// The inner document of GetSessionInformation (unescaped).
pub fn session_information_xml(admin: bool) -> String {
    let (user, kind) = if admin {
        (super::auth::ADMIN_USER, "administrator")
    } else {
        ("guest", "walkup")
    };
    format!(
        "<SessionInformation><userName>{user}</userName><userType>{kind}</userType>\
         <isAdministrator>{admin}</isAdministrator></SessionInformation>"
    )
}

pub(crate) async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ns = SESSION_NS;
    let result = request_operation(&headers, &body, ns).and_then(|op| match op.name.as_str() {
        "GetInterfaceVersionRequest" => Ok(interface_version(ns)),
        "GetSessionInformationRequest" => {
            let admin = state.sessions.admin_active(
                state.config.clock.now(),
                state.config.session_idle_timeout,
            );
            Ok(ok(&format!(
                "<GetSessionInformationResponse xmlns=\"{ns}\"><Information>{}</Information></GetSessionInformationResponse>",
                xml_escape(&session_information_xml(admin))
            )))
        }
        "ExitApplicationRequest" => Ok(ok(&format!(
            "<ExitApplicationResponse xmlns=\"{ns}\"/>"
        ))),
        _ => Err(unknown(
            &op,
            "Session",
            &[
                "GetInterfaceVersionRequest",
                "GetSessionInformationRequest",
                "ExitApplicationRequest",
            ],
        )),
    });
    answer(result, ns)
}

/// The OID of a WS-SNMP request, after checking version and community.
fn snmp_request_oid(op: &Element, community: &str) -> Result<Oid, Fault> {
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
    let text = oid.text.trim();
    if text.is_empty() {
        return Err(Fault::new(
            FaultCode::MissingOid,
            "the OID element is empty",
        ));
    }
    text.parse::<Oid>()
        .map_err(|e| Fault::new(FaultCode::InvalidOid, format!("the OID is not valid: {e}")))
}

fn snmp_answer(element: &str, oid: &Oid, value: &printer::snmp::Value) -> Response {
    let (type_name, text) = snmp_text::format(value);
    ok(&format!(
        "<{element} xmlns=\"{SNMP_NS}\"><OID>{oid}</OID><Type>{type_name}</Type>\
         <returnValue>{}</returnValue></{element}>",
        xml_escape(&text)
    ))
}

pub(crate) async fn snmp(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ns = SNMP_NS;
    let community = state.config.community.as_str();
    let result = request_operation(&headers, &body, ns).and_then(|op| match op.name.as_str() {
        "GetInterfaceVersionRequest" => Ok(interface_version(ns)),
        "GetRequest" => {
            let oid = snmp_request_oid(&op, community)?;
            let value = state.config.mib.get(&oid);
            Ok(snmp_answer("GetResponse", &oid, &value))
        }
        "GetNextRequest" => {
            let oid = snmp_request_oid(&op, community)?;
            let vb = state.config.mib.next(&oid);
            Ok(snmp_answer("GetNextResponse", &vb.oid, &vb.value))
        }
        "SetRequest" => {
            snmp_request_oid(&op, community)?;
            Err(Fault::new(
                FaultCode::ReadOnly,
                "SetRequest refused: this device is a read-only emulator",
            ))
        }
        _ => Err(unknown(
            &op,
            "WS-SNMP",
            &["GetInterfaceVersionRequest", "GetRequest", "GetNextRequest"],
        )),
    });
    answer(result, ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_text_and_references() -> Result<(), Fault> {
        let el = parse_xml(
            br#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetRequest xmlns="urn:x"><OID> 1.3&#46;6 </OID><c><![CDATA[a<b]]>&amp;</c></GetRequest></s:Body></s:Envelope>"#,
        )?;
        assert_eq!(el.ns.as_deref(), Some(SOAP_ENV_NS));
        let op = operation(el, "urn:x")?;
        assert_eq!(op.name, "GetRequest");
        assert_eq!(op.child("OID").map(|o| o.text.as_str()), Some(" 1.3.6 "));
        assert_eq!(op.child("c").map(|o| o.text.as_str()), Some("a<b&"));
        Ok(())
    }

    #[test]
    fn refuses_broken_xml_dtds_and_other_envelopes() {
        for bad in [
            &b"not xml"[..],
            b"<a><b></a>",
            b"<a>",
            b"<a/><b/>",
            b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            b"<p:a/>",
            b"\xff\xfe",
            b"",
        ] {
            assert_eq!(
                parse_xml(bad).map_err(|f| f.code),
                Err(FaultCode::NotXml),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let soap12 =
            parse_xml(br#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"/>"#);
        assert_eq!(
            soap12
                .and_then(|e| operation(e, "urn:x"))
                .map_err(|f| f.code),
            Err(FaultCode::VersionMismatch)
        );
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse_xml(deep.as_bytes()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_parser(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            if let Ok(root) = parse_xml(&bytes) {
                let _ = operation(root, SNMP_NS);
            }
        }

        #[test]
        fn arbitrary_text_inside_an_envelope_never_panics(inner in "[<>/a-zA-Z0-9:=\"&;# .-]{0,200}") {
            let xml = format!("<s:Envelope xmlns:s=\"{SOAP_ENV_NS}\"><s:Body>{inner}</s:Body></s:Envelope>");
            if let Ok(root) = parse_xml(xml.as_bytes()) {
                let _ = operation(root, SNMP_NS).map(|op| snmp_request_oid(&op, "public"));
            }
        }
    }

    #[test]
    fn firmware_is_the_system_software_field() {
        assert_eq!(
            firmware_from_sys_descr("Xerox AltaLink C8055; SS 103.002.010.35900, NC 103.002.35900")
                .as_deref(),
            Some("103.002.010.35900")
        );
        assert_eq!(
            firmware_from_sys_descr("Acme OfficeJet 9000; firmware 4.1.7").as_deref(),
            Some("4.1.7")
        );
        assert_eq!(firmware_from_sys_descr("KONICA MINOLTA bizhub C250i"), None);
    }
}
