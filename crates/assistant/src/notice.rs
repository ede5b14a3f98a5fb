//! The partner's notice about a refused submission: the App API acknowledged it, then the
//! Services Manager refused it for good (a bug: the App API checks what the manager checks). The
//! person at the panel walked away believing help is on the way, so the partner's support address
//! (from the app configuration) is told, once, through the outbox like a confirmation. The notice
//! names the submission, device and reason, never the person's contact details (erased when the
//! refusal is recorded; the reason is scrubbed of anything address-like).

use lettre::Message;
use lettre::message::header::HeaderValue;
use lettre::message::{Mailbox, SinglePart};

use crate::rules::Payload;
use crate::store::{Submission, SubmissionKind};

/// The notice for `s`, refused with `reason`, to the partner's support address in `payload`.
pub fn build(
    s: &Submission,
    payload: &Payload,
    reason: &str,
    from: &Mailbox,
) -> Result<Message, String> {
    let to = payload
        .support_email
        .as_deref()
        .ok_or("no partner support address")?;
    let to: Mailbox = to
        .parse()
        .map_err(|_| "the partner support address is not valid".to_string())?;
    let what = match s.kind {
        SubmissionKind::ServiceIncident => "fault report",
        SubmissionKind::SupplyIncident => "supply request",
        SubmissionKind::MeterRead => "meter read",
    };
    let reason = crate::mail::scrub_addresses(reason);
    let text = format!(
        "A {what} from device {serial} was accepted at the panel, and then refused by your Services Manager.\n\
         The person at the device was told it had been received, so please follow it up with the site.\n\n\
         Reference: {reference}\n\
         Device: {serial}\n\
         Submitted: {created}\n\
         Refused because: {reason}\n\n\
         This is a fault in the Support Assistant (it should have refused the request at the panel); the \
         submission stays in its outbox in state \"refused\".\n",
        serial = s.device_serial,
        reference = s.reference,
        created = s.created_at.to_rfc3339(),
    );
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(format!(
            "Refused {what} {} from device {}",
            s.reference, s.device_serial
        ))
        .message_id(None)
        .raw_header(HeaderValue::new(
            platform::mail::headers::REFERENCE,
            s.reference.clone(),
        ))
        .singlepart(SinglePart::plain(text))
        .map_err(|e| e.to_string())
}
