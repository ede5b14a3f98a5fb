//! Builds the confirmation e-mail of a delivered submission.

use proto::manager::{ContactBody, DeviceView};

use crate::mail::{
    Branding, Confirmation, Contact, ContactName, DeviceInfo, DeviceSerial, EmailAddress, Language,
    Number, PhoneNumber, RequestDetails, SupplyLine,
};
use crate::rules::Payload;
use crate::store::{Submission, SubmissionKind};

/// The confirmation of `s`. The device's model and location come from the Services Manager's
/// record of it (`device`, the partner's own register, the one place that knows the location);
/// without one, the model the submission carried, if any.
pub fn build(
    s: &Submission,
    payload: &Payload,
    contact: &ContactBody,
    device: Option<&DeviceView>,
) -> Result<Confirmation, String> {
    let err = |what: &str, e: crate::mail::ParseError| format!("{what}: {}", e.0);
    let contact = Contact {
        name: ContactName::parse(&contact.name).map_err(|e| err("name", e))?,
        email: EmailAddress::parse(&contact.email).map_err(|e| err("e-mail", e))?,
        phone: contact
            .phone
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()
            .map_err(|e| err("phone", e))?,
    };
    let language = Language::negotiate(Some(&payload.language), None);
    let request = match s.kind {
        SubmissionKind::MeterRead => RequestDetails::Meters {
            meters: payload
                .meters
                .iter()
                .map(|m| {
                    (
                        platform::i18n::meter_name(language, &m.id, &m.name),
                        u64::try_from(m.value).unwrap_or(0),
                    )
                })
                .collect(),
        },
        SubmissionKind::SupplyIncident => RequestDetails::Supply {
            supplies: payload
                .supplies
                .iter()
                .map(|p| SupplyLine {
                    description: p.description.clone(),
                    part_number: p.part_number.clone(),
                    colorant: p.colorant.clone(),
                    level_percent: p.percent,
                })
                .collect(),
        },
        _ => RequestDetails::Service {
            issue: payload
                .issue_code
                .as_deref()
                .and_then(|c| crate::issues::label(c, language.code()))
                .unwrap_or_else(|| {
                    crate::issues::label("other", language.code()).unwrap_or_default()
                }),
            description: payload.description.clone(),
        },
    };
    Ok(Confirmation {
        contact,
        number: s.incident_number.as_deref().and_then(Number::parse),
        reference: s.reference.clone(),
        created_at: s.created_at,
        device: DeviceInfo {
            serial: DeviceSerial::parse(&s.device_serial).map_err(|e| err("serial", e))?,
            model: device
                .map(|d| d.model.clone())
                .filter(|m| !m.trim().is_empty())
                .or_else(|| payload.model.clone())
                .unwrap_or_default(),
            location: device
                .map(|d| d.location.clone())
                .filter(|l| !l.trim().is_empty()),
        },
        request,
        branding: Branding {
            title: payload.title.clone(),
            logo: payload.logo.as_deref().and_then(logo),
        },
        language,
    })
}

/// The configured logo for the e-mail: an https URL as it is, a data: URL as an inline (CID) image.
fn logo(value: &str) -> Option<crate::mail::Logo> {
    use base64::Engine as _;
    if let Some(rest) = value.strip_prefix("data:") {
        let (mime, data) = rest.split_once(";base64,")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .ok()?;
        let mime = crate::mail::LogoMime::parse(mime).ok()?;
        return crate::mail::InlineLogo::new(bytes, mime)
            .ok()
            .map(crate::mail::Logo::Inline);
    }
    crate::mail::LogoUrl::parse(value)
        .ok()
        .map(crate::mail::Logo::Url)
}
