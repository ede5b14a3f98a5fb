//! The SOAP envelope in both versions the device is asked in, and its HTTP binding.
//!
//! - SOAP 1.1 (`http://schemas.xmlsoap.org/soap/envelope/`): answers are `text/xml; charset=utf-8`;
//!   a fault is `faultcode` (`soap:Client`, `soap:VersionMismatch`) + `faultstring` + `detail`, with
//!   HTTP 500 (SOAP 1.1 section 6.2).
//! - SOAP 1.2 (`http://www.w3.org/2003/05/soap-envelope`): answers are
//!   `application/soap+xml; charset=utf-8` (RFC 3902); a fault is `Code/Value` (`env:Sender`,
//!   `env:VersionMismatch`) + `Reason/Text xml:lang="en"` + `Detail`, with HTTP 400 for `Sender`
//!   and 500 otherwise (SOAP 1.2 Part 2, 7.5.2.2).
//!
//! A request is read as the version of its Envelope's namespace, whatever its Content-Type:
//! `text/xml` (what the vendor's library sends for both versions), `application/soap+xml` (with
//! any `charset` / `action` parameter) or `application/xml`. The answer, fault or not, is in the
//! version asked. Before the envelope is known (unreadable body, unknown envelope namespace) the
//! Content-Type decides: `application/soap+xml` means 1.2, anything else 1.1. An Envelope in
//! another namespace gets a `VersionMismatch` fault; in SOAP 1.2 it carries the `Upgrade` header
//! block naming both envelopes this device speaks (SOAP 1.2 Part 1, 5.4.7).
//!
//! Every fault carries `detail/ErrorCode` (`Detail/ErrorCode` in 1.2) with a stable code in the
//! service's namespace, which an app finds by local name in either version.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::xml::Element;
use platform::escape::xml_escape;

pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";

/// The SOAP version of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoapVersion {
    V11,
    V12,
}

impl SoapVersion {
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::V11 => SOAP11_NS,
            SoapVersion::V12 => SOAP12_NS,
        }
    }

    /// The Content-Type of an answer in this version.
    pub fn content_type(self) -> &'static str {
        match self {
            SoapVersion::V11 => "text/xml; charset=utf-8",
            SoapVersion::V12 => "application/soap+xml; charset=utf-8",
        }
    }

    fn from_namespace(ns: Option<&str>) -> Option<Self> {
        match ns {
            Some(SOAP11_NS) => Some(SoapVersion::V11),
            Some(SOAP12_NS) => Some(SoapVersion::V12),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SoapVersion::V11 => "1.1",
            SoapVersion::V12 => "1.2",
        }
    }
}

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
    InvalidValue,
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
            FaultCode::InvalidValue => "InvalidValue",
            FaultCode::ReadOnly => "ReadOnly",
        }
    }
}

/// A SOAP fault to answer. Every fault of these services is the sender's (a SOAP 1.1 `Client`,
/// SOAP 1.2 `Sender` fault) except a version mismatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: FaultCode,
    pub message: String,
}

impl Fault {
    pub fn new(code: FaultCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn status(&self, version: SoapVersion) -> StatusCode {
        match (version, self.code) {
            (SoapVersion::V12, c) if c != FaultCode::VersionMismatch => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The Fault element and its HTTP status, in `version`.
    pub fn into_response(self, version: SoapVersion, service_ns: &str) -> Response {
        let detail = format!(
            "<ErrorCode xmlns=\"{service_ns}\">{}</ErrorCode>",
            self.code.as_str()
        );
        let mismatch = self.code == FaultCode::VersionMismatch;
        let body = match version {
            SoapVersion::V11 => format!(
                "<soap:Fault><faultcode>soap:{}</faultcode><faultstring>{}</faultstring>\
                 <detail>{detail}</detail></soap:Fault>",
                if mismatch {
                    "VersionMismatch"
                } else {
                    "Client"
                },
                xml_escape(&self.message)
            ),
            SoapVersion::V12 => format!(
                "<env:Fault><env:Code><env:Value>env:{}</env:Value></env:Code>\
                 <env:Reason><env:Text xml:lang=\"en\">{}</env:Text></env:Reason>\
                 <env:Detail>{detail}</env:Detail></env:Fault>",
                if mismatch {
                    "VersionMismatch"
                } else {
                    "Sender"
                },
                xml_escape(&self.message)
            ),
        };
        let header = (mismatch && version == SoapVersion::V12).then(|| {
            format!(
                "<env:Upgrade><env:SupportedEnvelope qname=\"ns1:Envelope\" xmlns:ns1=\"{SOAP12_NS}\"/>\
                 <env:SupportedEnvelope qname=\"ns2:Envelope\" xmlns:ns2=\"{SOAP11_NS}\"/></env:Upgrade>"
            )
        });
        let status = self.status(version);
        respond(version, status, header.as_deref(), &body)
    }
}

/// A whole SOAP message in `version` with `body_content` in its Body.
pub fn respond(
    version: SoapVersion,
    status: StatusCode,
    header: Option<&str>,
    body_content: &str,
) -> Response {
    let prefix = match version {
        SoapVersion::V11 => "soap",
        SoapVersion::V12 => "env",
    };
    let header = header
        .map(|h| format!("<{prefix}:Header>{h}</{prefix}:Header>"))
        .unwrap_or_default();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <{prefix}:Envelope xmlns:{prefix}=\"{}\">{header}<{prefix}:Body>{body_content}</{prefix}:Body></{prefix}:Envelope>",
        version.namespace()
    );
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(version.content_type()),
        )],
        xml,
    )
        .into_response()
}

/// The media type of a request, lower-case, without parameters.
fn media_type(headers: &HeaderMap) -> (String, String) {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    (mime, ct)
}

/// The version to answer in before the envelope is read: what the Content-Type says.
pub fn version_hint(headers: &HeaderMap) -> SoapVersion {
    if media_type(headers).0 == "application/soap+xml" {
        SoapVersion::V12
    } else {
        SoapVersion::V11
    }
}

/// Refuses a request whose Content-Type is not one SOAP travels in.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), Fault> {
    let (mime, ct) = media_type(headers);
    if matches!(
        mime.as_str(),
        "text/xml" | "application/xml" | "application/soap+xml"
    ) {
        Ok(())
    } else {
        Err(Fault::new(
            FaultCode::NotSoap,
            format!(
                "Content-Type must be text/xml (SOAP 1.1 or 1.2) or application/soap+xml (SOAP 1.2), not {ct:?}"
            ),
        ))
    }
}

/// The version of the envelope and its operation: the first element in the Envelope's Body, which
/// must be in `service_ns`.
pub fn operation(
    envelope: Element,
    service_ns: &str,
) -> Result<(SoapVersion, Element), (Option<SoapVersion>, Fault)> {
    if envelope.name != "Envelope" {
        return Err((
            None,
            Fault::new(
                FaultCode::NotSoap,
                format!(
                    "the request is not a SOAP envelope: its root element is <{}>, not <Envelope>",
                    envelope.name
                ),
            ),
        ));
    }
    let Some(version) = SoapVersion::from_namespace(envelope.ns.as_deref()) else {
        return Err((
            None,
            Fault::new(
                FaultCode::VersionMismatch,
                format!(
                    "the Envelope is in namespace {:?}; this device speaks SOAP 1.1 ({SOAP11_NS}) and SOAP 1.2 ({SOAP12_NS})",
                    envelope.ns.unwrap_or_default()
                ),
            ),
        ));
    };
    let fail = |f: Fault| (Some(version), f);
    let env_ns = version.namespace();
    let body = envelope
        .children
        .into_iter()
        .find(|c| c.name == "Body" && c.ns.as_deref() == Some(env_ns))
        .ok_or_else(|| {
            fail(Fault::new(
                FaultCode::NotSoap,
                "the SOAP Envelope has no Body",
            ))
        })?;
    let op = body.children.into_iter().next().ok_or_else(|| {
        fail(Fault::new(
            FaultCode::UnknownOperation,
            "the SOAP Body is empty: it names no operation",
        ))
    })?;
    if op.ns.as_deref() != Some(service_ns) {
        return Err(fail(Fault::new(
            FaultCode::UnknownOperation,
            format!(
                "operation {} in namespace {:?} is not offered here; this service's namespace is {service_ns}",
                op.name,
                op.ns.as_deref().unwrap_or("")
            ),
        )));
    }
    Ok((version, op))
}

#[cfg(test)]
mod tests {
    use super::super::xml::parse_xml;
    use super::*;

    fn op_of(xml: &str) -> Result<(SoapVersion, Element), (Option<SoapVersion>, FaultCode)> {
        let root = parse_xml(xml.as_bytes()).map_err(|_| (None, FaultCode::NotXml))?;
        operation(root, "urn:x").map_err(|(v, f)| (v, f.code))
    }

    #[test]
    fn both_envelopes_are_read_and_others_are_a_version_mismatch() {
        let v11 = format!(
            "<s:Envelope xmlns:s=\"{SOAP11_NS}\"><s:Body><Op xmlns=\"urn:x\"/></s:Body></s:Envelope>"
        );
        let v12 = format!(
            "<e:Envelope xmlns:e=\"{SOAP12_NS}\"><e:Header/><e:Body><Op xmlns=\"urn:x\"/></e:Body></e:Envelope>"
        );
        assert_eq!(
            op_of(&v11).map(|(v, o)| (v, o.name)),
            Ok((SoapVersion::V11, "Op".into()))
        );
        assert_eq!(
            op_of(&v12).map(|(v, o)| (v, o.name)),
            Ok((SoapVersion::V12, "Op".into()))
        );
        assert_eq!(
            op_of("<e:Envelope xmlns:e=\"http://www.w3.org/2001/12/soap-envelope\"/>").err(),
            Some((None, FaultCode::VersionMismatch))
        );
        // A SOAP 1.2 Envelope with a SOAP 1.1 Body has no Body of its own version.
        let mixed = format!(
            "<e:Envelope xmlns:e=\"{SOAP12_NS}\" xmlns:s=\"{SOAP11_NS}\"><s:Body><Op xmlns=\"urn:x\"/></s:Body></e:Envelope>"
        );
        assert_eq!(
            op_of(&mixed).err(),
            Some((Some(SoapVersion::V12), FaultCode::NotSoap))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_inside_an_envelope_never_panics(inner in "[<>/a-zA-Z0-9:=\"&;# .-]{0,200}", v12 in proptest::bool::ANY) {
            let ns = if v12 { SOAP12_NS } else { SOAP11_NS };
            let xml = format!("<s:Envelope xmlns:s=\"{ns}\"><s:Body>{inner}</s:Body></s:Envelope>");
            if let Ok(root) = parse_xml(xml.as_bytes()) {
                let _ = operation(root, "urn:x");
            }
        }
    }
}
