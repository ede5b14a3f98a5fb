//! Security headers, as their own middleware.
//!
//! Every service sends the same set: a Content-Security-Policy, `nosniff`, `no-referrer`,
//! `no-store` unless the route set its own Cache-Control, and Strict-Transport-Security when it
//! is served over TLS. The policy's directives other than `frame-ancestors` are the service's
//! ([`DEFAULT_POLICY`] unless it passes its own, e.g. the consoles allow inline styles); who
//! may frame the pages is a list of origins from the configuration (`frame-ancestors`), or
//! nobody (and then also `X-Frame-Options: DENY`).

use std::fmt;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// An origin allowed to frame the assistant's pages: `scheme://host[:port]`, parsed once so that
/// nothing from the configuration can add directives to the Content-Security-Policy.
#[derive(Clone, PartialEq, Eq)]
pub struct FrameAncestor(String);

/// Why a frame-ancestor origin was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameAncestorError {
    #[error("frame ancestor {0:?} must start with http:// or https://")]
    Scheme(String),
    #[error(
        "frame ancestor {0:?} must be an origin: scheme://host[:port] without path, query or spaces"
    )]
    NotAnOrigin(String),
}

impl FrameAncestor {
    pub fn parse(origin: &str) -> Result<Self, FrameAncestorError> {
        let raw = origin.trim();
        let origin = raw.to_ascii_lowercase();
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .ok_or_else(|| FrameAncestorError::Scheme(raw.to_string()))?;
        let (host, port) = match rest.rsplit_once(':') {
            // An IPv6 literal such as [::1] has colons inside its brackets.
            Some((h, p)) if !p.contains(']') => (h, Some(p)),
            _ => (rest, None),
        };
        let host_ok = !host.is_empty()
            && (host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                || (host.starts_with('[')
                    && host.ends_with(']')
                    && host[1..host.len() - 1]
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')));
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.parse::<u16>().is_ok());
        if host_ok && port_ok {
            Ok(Self(origin))
        } else {
            Err(FrameAncestorError::NotAnOrigin(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FrameAncestor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for FrameAncestor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The policy for a service that serves only its own JSON and fragments: everything from
/// itself, plugins, `<base>` and foreign form targets off.
pub const DEFAULT_POLICY: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'";

/// HSTS value: one year (RFC 6797), sent only over TLS.
pub const HSTS: &str = "max-age=31536000";

/// The headers added to every response, computed once.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    fixed: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    /// `hsts` adds Strict-Transport-Security (only meaningful when served over TLS).
    pub fn new(frame_ancestors: &[FrameAncestor], hsts: bool) -> Self {
        Self::with_policy(DEFAULT_POLICY, frame_ancestors, hsts)
    }

    /// Like [`Self::new`] with the service's own policy directives (`policy` must not contain
    /// `frame-ancestors`: that one is built from `frame_ancestors`).
    pub fn with_policy(policy: &str, frame_ancestors: &[FrameAncestor], hsts: bool) -> Self {
        let ancestors = if frame_ancestors.is_empty() {
            "'none'".to_string()
        } else {
            frame_ancestors
                .iter()
                .map(FrameAncestor::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let csp = format!(
            "{}; frame-ancestors {ancestors}",
            policy.trim().trim_end_matches(';')
        );
        let mut fixed = Vec::new();
        // FrameAncestor only admits header-safe characters, so this cannot fail; if it ever
        // did, the strictest policy is sent instead of none.
        let csp = HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(
            "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        ));
        fixed.push((header::CONTENT_SECURITY_POLICY, csp));
        fixed.push((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
        fixed.push((
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ));
        if frame_ancestors.is_empty() {
            // Older browsers that ignore frame-ancestors; it cannot express a list of origins,
            // so it is only sent when nobody may frame the pages.
            fixed.push((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")));
        }
        if hsts {
            fixed.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            ));
        }
        Self { fixed }
    }

    /// Adds the headers; a response that set its own Cache-Control keeps it, every other one
    /// gets `no-store` (answers carry a device's own data and must not be cached on the way).
    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.fixed {
            headers.insert(name.clone(), value.clone());
        }
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// Middleware: `axum::middleware::from_fn_with_state(Arc::new(SecurityHeaders::new(..)), security_headers)`.
pub async fn security_headers(
    State(headers): State<Arc<SecurityHeaders>>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    headers.apply(res.headers_mut());
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ancestor_accepts_origins() {
        for ok in [
            "https://panel.example.com",
            "http://127.0.0.1:8080",
            "https://[::1]:8443",
            "HTTPS://Panel.Example.com",
        ] {
            assert!(FrameAncestor::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn frame_ancestor_refuses_anything_that_could_inject_a_directive() {
        for bad in [
            "panel.example.com",
            "https://a.example; script-src *",
            "https://a.example/path",
            "https://a.example b.example",
            "https://",
            "https://a.example:99999",
            "javascript:alert(1)",
        ] {
            assert!(FrameAncestor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn x_frame_options_only_without_an_ancestor_list() {
        let mut h = HeaderMap::new();
        SecurityHeaders::new(&[], false).apply(&mut h);
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        assert!(
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .ends_with("frame-ancestors 'none'")
        );
        assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY));

        let mut h = HeaderMap::new();
        let list = [FrameAncestor::parse("https://panel.example").unwrap()];
        SecurityHeaders::new(&list, true).apply(&mut h);
        assert!(!h.contains_key(header::X_FRAME_OPTIONS));
        assert!(
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .ends_with("frame-ancestors https://panel.example")
        );
        assert_eq!(h[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    }

    #[test]
    fn own_cache_control_is_kept() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=60"),
        );
        SecurityHeaders::new(&[], false).apply(&mut h);
        assert_eq!(h[header::CACHE_CONTROL], "max-age=60");
    }
}
