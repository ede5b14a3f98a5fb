//! The device's EIP web services, SOAP over HTTP POST, in SOAP 1.1 and 1.2 (see [`envelope`]):
//!
//! - Device Configuration (`/webservices/office/device_configuration/1`, [`device_configuration`]):
//!   GetInterfaceVersionRequest, GetDeviceInformationRequest, VoidRequest.
//! - Session (`/webservices/office/cuisession/1`, [`session`]): GetInterfaceVersionRequest,
//!   GetSessionInformationRequest, ExitApplicationRequest, SetSessionParametersRequest.
//! - WS-SNMP (`/webservices/SNMP/1`, [`wssnmp`]): GetInterfaceVersionRequest, GetRequest,
//!   GetNextRequest, SetRequest.
//!
//! The requests are read by [`xml`]; what the answers hold follows ../shared/eip/README.md (element
//! names and nesting of the real device). Every request whose envelope could be read is noted in
//! the [`SoapLog`] (service, version, operation, SOAPAction, Content-Type), so tests can see what a
//! client sent.

pub mod device_configuration;
pub mod envelope;
pub mod session;
pub mod wssnmp;
pub mod xml;

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

pub use envelope::{Fault, FaultCode, SOAP11_NS, SOAP12_NS, SoapVersion};
pub use platform::escape::xml_escape;
pub use xml::{Element, XmlError, parse_xml};

pub const DEVICE_CONFIGURATION_PATH: &str = "/webservices/office/device_configuration/1";
pub const SESSION_PATH: &str = "/webservices/office/cuisession/1";
pub const SNMP_PATH: &str = "/webservices/SNMP/1";
pub const DEVICE_CONFIGURATION_NS: &str =
    "http://www.xerox.com/webservices/office/device_configuration/1";
pub const SESSION_NS: &str = "http://www.xerox.com/webservices/office/cuisession/1";
pub const SNMP_NS: &str = "http://www.xerox.com/webservices/SNMP/1";

/// One SOAP request the device read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The service's path.
    pub path: &'static str,
    pub version: SoapVersion,
    /// The operation's local name, e.g. `GetNextRequest`.
    pub operation: String,
    /// The `SOAPAction` header as sent (with its quotes), if any.
    pub soap_action: Option<String>,
    pub content_type: String,
}

/// The last [`SoapLog::CAPACITY`] SOAP requests (no values, no community strings).
#[derive(Debug, Default)]
pub struct SoapLog {
    entries: Mutex<VecDeque<Exchange>>,
}

impl SoapLog {
    pub const CAPACITY: usize = 4096;

    fn push(&self, e: Exchange) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() == Self::CAPACITY {
            entries.pop_front();
        }
        entries.push_back(e);
    }

    /// A copy of what is kept, oldest first.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

/// A service: where it is and its namespace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Service {
    pub path: &'static str,
    pub ns: &'static str,
    pub name: &'static str,
}

fn header_text(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Reads a request of `service` and answers it in the version it was asked in: `handle` gets the
/// operation element and returns the content of the answer's Body, or a fault.
pub(crate) fn answer(
    log: &SoapLog,
    service: Service,
    headers: &HeaderMap,
    body: &Result<Bytes, BytesRejection>,
    handle: impl FnOnce(&Element) -> Result<String, Fault>,
) -> Response {
    let hint = envelope::version_hint(headers);
    let read = envelope::check_content_type(headers)
        .map_err(|f| (None, f))
        .and_then(|()| {
            body.as_ref().map_err(|e| {
                (
                    None,
                    Fault::new(
                        FaultCode::NotXml,
                        format!("the request body cannot be read: {}", e.body_text()),
                    ),
                )
            })
        })
        .and_then(|bytes| {
            parse_xml(bytes).map_err(|e| (None, Fault::new(FaultCode::NotXml, e.to_string())))
        })
        .and_then(|root| envelope::operation(root, service.ns));
    let (version, op) = match read {
        Ok(x) => x,
        Err((version, fault)) => return fault.into_response(version.unwrap_or(hint), service.ns),
    };
    log.push(Exchange {
        path: service.path,
        version,
        operation: op.name.clone(),
        soap_action: header_text(headers, "soapaction"),
        content_type: header_text(headers, header::CONTENT_TYPE).unwrap_or_default(),
    });
    match handle(&op) {
        Ok(content) => envelope::respond(version, StatusCode::OK, None, &content),
        Err(fault) => fault.into_response(version, service.ns),
    }
}

/// The fault for an operation the service does not offer.
pub(crate) fn unknown(op: &Element, service: Service, offered: &[&str]) -> Fault {
    Fault::new(
        FaultCode::UnknownOperation,
        format!(
            "unknown operation {} for the {} service; it offers {}",
            op.name,
            service.name,
            offered.join(", ")
        ),
    )
}

/// A GetInterfaceVersionResponse; `element` is `InterfaceVersion` (Device Configuration, Session)
/// or `Version` (WS-SNMP).
pub(crate) fn interface_version(
    ns: &str,
    element: &str,
    (major, minor, revision): (u32, u32, u32),
) -> String {
    format!(
        "<GetInterfaceVersionResponse xmlns=\"{ns}\"><{element}><MajorVersion>{major}</MajorVersion>\
         <MinorVersion>{minor}</MinorVersion><Revision>{revision}</Revision></{element}></GetInterfaceVersionResponse>"
    )
}

/// An answer whose payload is escaped XML in an `Information` element.
pub(crate) fn information(ns: &str, response: &str, inner_xml: &str) -> String {
    format!(
        "<{response} xmlns=\"{ns}\"><Information>{}</Information></{response}>",
        xml_escape(inner_xml)
    )
}
