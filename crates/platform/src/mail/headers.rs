//! Headers the renderer adds so transports can name and log a message without reading
//! personal data: the message's reference, the creation time and the incident number.

use lettre::Message;
use lettre::message::header::HeaderName;

pub const REFERENCE: HeaderName = HeaderName::new_from_ascii_str("X-Support-Reference");
pub const CREATED_AT: HeaderName = HeaderName::new_from_ascii_str("X-Support-Created-At");
pub const INCIDENT_NUMBER: HeaderName = HeaderName::new_from_ascii_str("X-Support-Incident");

/// The message's reference (never personal data), or `"-"` for a message without one.
pub fn reference(message: &Message) -> String {
    message
        .headers()
        .get_raw("X-Support-Reference")
        .map(str::to_string)
        .unwrap_or_else(|| "-".to_string())
}

/// Replaces every recipient address of `message` in `text` (e.g. a server's error reply)
/// with `[redacted]`, so errors can be logged.
pub fn scrub(message: &Message, text: &str) -> String {
    let mut out = text.to_string();
    for to in message.envelope().to() {
        let address = to.to_string();
        if address.is_empty() {
            continue;
        }
        let lower = out.to_lowercase();
        let needle = address.to_lowercase();
        // Replace case-insensitively, walking matches from the end so indices stay valid.
        let starts: Vec<usize> = lower.match_indices(&needle).map(|(i, _)| i).collect();
        if lower.len() != out.len() {
            // Lower-casing changed byte lengths (non-ASCII): fall back to exact matches.
            out = out.replace(&address, "[redacted]");
            continue;
        }
        for start in starts.into_iter().rev() {
            out.replace_range(start..start + needle.len(), "[redacted]");
        }
    }
    out
}
