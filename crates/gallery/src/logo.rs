//! The partner's logo: an https URL, or an uploaded PNG, JPEG or SVG of at most 10 KB and at most
//! 247 px wide and 72 px high (the vendor's logo size).
//! SVG is accepted only when it carries nothing active: no script, no event handlers, no
//! `javascript:` URLs, no external references, no foreignObject, no DOCTYPE (entities).
//!
//! A URL is fetched once, here, when the partner saves the configuration ([`LogoFetcher`]); the
//! image found is checked like an upload and stored with the URL it came from. The device's
//! browser and the e-mail clients only ever get those stored bytes (a `data:` URI on the panel,
//! an inline CID part in the e-mail), so no partner-given URL is fetched by a device, and a logo
//! that cannot be fetched is said at once, in the gallery ("no logo found at …").

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

pub use proto::config::{LOGO_MAX_HEIGHT, LOGO_MAX_WIDTH, MAX_LOGO_BYTES};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoError {
    #[error("logo is {size} bytes; at most {MAX_LOGO_BYTES} bytes are allowed")]
    TooLarge { size: usize },
    #[error("logo is not PNG, JPEG or SVG")]
    UnsupportedType,
    #[error("logo URL must be an https:// URL with a host: {0}")]
    NotHttps(String),
    #[error("logo data is not base64")]
    NotBase64,
    #[error("logo says it is {declared} but its bytes are {actual}")]
    TypeMismatch {
        declared: &'static str,
        actual: &'static str,
    },
    #[error("SVG logo contains a <script> element")]
    SvgScript,
    #[error("SVG logo contains a <foreignObject> element")]
    SvgForeignObject,
    #[error("SVG logo has an event handler attribute {0:?}")]
    SvgEventHandler(String),
    #[error("SVG logo contains a javascript: URL")]
    SvgJavascriptUrl,
    #[error("SVG logo refers to something outside itself: {0:?}")]
    SvgExternalReference(String),
    #[error("SVG logo has a DOCTYPE or processing instruction, which is not allowed")]
    SvgDoctype,
    #[error("SVG logo is not well-formed SVG: {0}")]
    SvgMalformed(String),
    #[error(
        "logo is {width}×{height} px; at most {LOGO_MAX_WIDTH} px wide and {LOGO_MAX_HEIGHT} px high are allowed"
    )]
    Dimensions { width: u64, height: u64 },
    #[error("logo image has no readable size ({0})")]
    NoSize(&'static str),
    #[error("no logo found at {url}: {why}")]
    NotFound { url: String, why: String },
}

pub use proto::config::{ImageType, Logo, LogoWire};

/// Building a logo from what a partner admin gives, with every check (the ones proto does when
/// reading, and the SVG content checks that need an XML parser).
pub trait LogoInput: Sized {
    fn from_url(input: &str) -> Result<Self, LogoError>;
    /// Checks an uploaded file: size first, then type by its bytes, then SVG content.
    fn from_upload(bytes: &[u8]) -> Result<Self, LogoError>;
}

impl LogoInput for Logo {
    fn from_url(input: &str) -> Result<Self, LogoError> {
        let url = reqwest::Url::parse(input.trim())
            .map_err(|_| LogoError::NotHttps(input.chars().take(80).collect()))?;
        if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) {
            return Err(LogoError::NotHttps(input.chars().take(80).collect()));
        }
        Ok(Self::Url(url.to_string()))
    }

    fn from_upload(bytes: &[u8]) -> Result<Self, LogoError> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge { size: bytes.len() });
        }
        let kind = ImageType::sniff(bytes).ok_or(LogoError::UnsupportedType)?;
        let size = match kind {
            ImageType::Svg => {
                check_svg(bytes)?;
                svg_size(bytes)
            }
            ImageType::Png => Some(png_size(bytes).ok_or(LogoError::NoSize("no PNG IHDR"))?),
            ImageType::Jpeg => Some(jpeg_size(bytes).ok_or(LogoError::NoSize("no JPEG frame"))?),
        };
        if let Some((width, height)) = size
            && (width > u64::from(LOGO_MAX_WIDTH) || height > u64::from(LOGO_MAX_HEIGHT))
        {
            return Err(LogoError::Dimensions { width, height });
        }
        Ok(Self::Image {
            kind,
            bytes: bytes.to_vec(),
            source: None,
        })
    }
}

/// Width and height from a PNG's IHDR chunk (always the first chunk).
fn png_size(bytes: &[u8]) -> Option<(u64, u64)> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let word = |at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(|b| u64::from(u32::from_be_bytes(b)))
    };
    Some((word(16)?, word(20)?))
}

/// Width and height from a JPEG's start-of-frame segment (SOF0–SOF15 but DHT, JPG, DAC).
fn jpeg_size(bytes: &[u8]) -> Option<(u64, u64)> {
    let u16_at = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u64::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let mut i = 2;
    // Each segment moves `i` forward by at least 2, so this ends within the file.
    while i + 1 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if (0xD0..=0xD9).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            return Some((u16_at(i + 7)?, u16_at(i + 5)?));
        }
        i += 2 + usize::try_from(u16_at(i + 2)?).ok()?;
    }
    None
}

/// The root element's `width` and `height` when both are given in px (or without a unit); an
/// SVG without them scales into the logo's box.
fn svg_size(bytes: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut reader = quick_xml::Reader::from_str(text);
    let root = loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => break e.into_owned(),
            Event::Eof => return None,
            _ => {}
        }
    };
    let length = |name: &str| {
        let value = root.try_get_attribute(name).ok()??;
        let value = value.value.to_string();
        let number = value.trim().trim_end_matches("px").trim();
        let n: f64 = number.parse().ok()?;
        (n.is_finite() && n >= 0.0).then(|| n.ceil() as u64)
    };
    Some((length("width")?, length("height")?))
}

/// How long fetching a logo may take, all in all.
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Fetches a partner's logo URL once, when the configuration is saved, with care for a URL
/// that points inside our network (SSRF): https only; the host name is resolved here and
/// every address it gives must be public (not loopback, private, link-local, CGNAT, multicast,
/// documentation or reserved), and the connection goes to those addresses only (no second
/// lookup a DNS rebinding could change); no proxy; no redirects (a redirect's target would need
/// the same checks; the partner gives the image's own URL); at most 5 s and 10 KB read.
#[derive(Clone, Default)]
pub struct LogoFetcher {
    /// Lets the URL's host be a loopback or private address: for tests, whose logo server
    /// listens on 127.0.0.1. Never set by `serve gallery` or the demo.
    pub allow_private: bool,
    /// CA certificates trusted besides the system's and `--ca-cert`'s (tests: their server's).
    pub extra_roots: Vec<reqwest::Certificate>,
}

impl std::fmt::Debug for LogoFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogoFetcher")
            .field("allow_private", &self.allow_private)
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

/// Whether an address is on the public internet: `platform::net`'s one rule (RFC 6890
/// special-purpose ranges are not), shared with the manager's webhooks.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    platform::net::not_public(ip).is_none()
}

impl LogoFetcher {
    /// The logo at `input` (an https URL), checked like an upload, with `source` = the URL.
    pub async fn fetch(&self, input: &str) -> Result<Logo, LogoError> {
        let Logo::Url(text) = Logo::from_url(input)? else {
            return Err(LogoError::NotHttps(input.chars().take(80).collect()));
        };
        let not_found = |why: String| LogoError::NotFound {
            url: text.chars().take(200).collect(),
            why,
        };
        let url = reqwest::Url::parse(&text).map_err(|e| not_found(e.to_string()))?;
        let port = url.port_or_known_default().unwrap_or(443);
        let (domain, addrs) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (None, vec![std::net::SocketAddr::new(ip.into(), port)]),
            Some(url::Host::Ipv6(ip)) => (None, vec![std::net::SocketAddr::new(ip.into(), port)]),
            Some(url::Host::Domain(d)) => {
                let found = tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((d, port)))
                    .await
                    .map_err(|_| not_found("its host name did not resolve in time".into()))?
                    .map_err(|e| not_found(format!("its host name does not resolve ({e})")))?;
                (Some(d.to_string()), found.collect::<Vec<_>>())
            }
            None => return Err(not_found("it has no host".into())),
        };
        if addrs.is_empty() {
            return Err(not_found("its host name has no address".into()));
        }
        if !self.allow_private
            && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip()))
        {
            return Err(not_found(format!(
                "its host is a private or local address ({}), not a public one",
                bad.ip()
            )));
        }
        let mut builder = platform::ops::client::builder()
            .https_only(true)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT);
        if let Some(domain) = &domain {
            builder = builder.resolve_to_addrs(domain, &addrs);
        }
        for root in &self.extra_roots {
            builder = builder.add_root_certificate(root.clone());
        }
        let client = builder.build().map_err(|e| not_found(e.to_string()))?;
        let mut response = client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "image/png, image/jpeg, image/svg+xml",
            )
            .send()
            .await
            .map_err(|e| not_found(format!("it cannot be fetched ({e})")))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(not_found(format!(
                "it redirects (HTTP {}); give the image's own URL",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(not_found(format!(
                "the server answered HTTP {}",
                status.as_u16()
            )));
        }
        let declared = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let declared = match declared.as_str() {
            "image/png" => ImageType::Png,
            "image/jpeg" => ImageType::Jpeg,
            "image/svg+xml" => ImageType::Svg,
            other => {
                return Err(not_found(format!(
                    "it is {:?}, not a PNG, JPEG or SVG image",
                    other.chars().take(60).collect::<String>()
                )));
            }
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_LOGO_BYTES as u64)
        {
            return Err(LogoError::TooLarge {
                size: usize::try_from(response.content_length().unwrap_or(u64::MAX))
                    .unwrap_or(usize::MAX),
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| not_found(format!("reading it failed ({e})")))?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_LOGO_BYTES {
                return Err(LogoError::TooLarge { size: bytes.len() });
            }
        }
        match Logo::from_upload(&bytes)? {
            Logo::Image { kind, .. } if kind != declared => Err(LogoError::TypeMismatch {
                declared: declared.media_type(),
                actual: kind.media_type(),
            }),
            Logo::Image { kind, bytes, .. } => Ok(Logo::Image {
                kind,
                bytes,
                source: Some(text.clone()),
            }),
            Logo::Url(_) => Err(LogoError::UnsupportedType),
        }
    }

    /// The configuration with a `Url` logo replaced by the image fetched from it.
    pub async fn resolve(
        &self,
        mut config: proto::AppConfiguration,
    ) -> Result<proto::AppConfiguration, LogoError> {
        if let Some(Logo::Url(url)) = &config.logo {
            config.logo = Some(self.fetch(url).await?);
        }
        Ok(config)
    }
}

/// Re-runs every check on a logo (e.g. one read from JSON, or after the size limit changes).
pub fn check(logo: &Logo) -> Result<(), LogoError> {
    match logo {
        Logo::Url(url) => Logo::from_url(url).map(|_| ()),
        Logo::Image { bytes, .. } => Logo::from_upload(bytes).map(|_| ()),
    }
}

fn squash(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn check_css(css: &str) -> Result<(), LogoError> {
    let css = squash(css);
    if css.contains("javascript:") {
        return Err(LogoError::SvgJavascriptUrl);
    }
    if css.contains("@import") {
        return Err(LogoError::SvgExternalReference("@import".into()));
    }
    for (i, _) in css.match_indices("url(") {
        let target = css[i + 4..].trim_start_matches(['"', '\'']);
        if !target.starts_with('#') {
            return Err(LogoError::SvgExternalReference(
                css[i..].chars().take(60).collect(),
            ));
        }
    }
    Ok(())
}

fn check_element(element: &BytesStart<'_>, depth: usize) -> Result<bool, LogoError> {
    let name = element.local_name().into_inner().to_ascii_lowercase();
    if depth == 0 && name != "svg" {
        return Err(LogoError::SvgMalformed(format!(
            "root element is <{name}>, not <svg>"
        )));
    }
    match name.as_str() {
        "script" => return Err(LogoError::SvgScript),
        "foreignobject" => return Err(LogoError::SvgForeignObject),
        _ => {}
    }
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|e| LogoError::SvgMalformed(e.to_string()))?;
        let key = attribute.key.local_name().into_inner().to_ascii_lowercase();
        if key.starts_with("on") {
            return Err(LogoError::SvgEventHandler(key));
        }
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| LogoError::SvgMalformed(e.to_string()))?;
        let squashed = squash(&value);
        if squashed.contains("javascript:") {
            return Err(LogoError::SvgJavascriptUrl);
        }
        if matches!(key.as_str(), "href" | "src") && !squashed.starts_with('#') {
            return Err(LogoError::SvgExternalReference(
                value.chars().take(60).collect(),
            ));
        }
        check_css(&value)?;
    }
    Ok(name == "style")
}

fn check_svg(bytes: &[u8]) -> Result<(), LogoError> {
    let text = std::str::from_utf8(bytes).map_err(|_| LogoError::UnsupportedType)?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut in_style = false;
    let mut saw_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| LogoError::SvgMalformed(e.to_string()))?;
        match event {
            Event::Start(element) => {
                in_style = check_element(&element, depth)?;
                saw_root = true;
                depth += 1;
            }
            Event::Empty(element) => {
                check_element(&element, depth)?;
                saw_root = true;
            }
            Event::End(_) => {
                in_style = false;
                depth = depth.saturating_sub(1);
            }
            Event::Text(text) if in_style => check_css(&text.xml_content(XmlVersion::Implicit1_0))?,
            Event::CData(text) if in_style => {
                check_css(&text.xml_content(XmlVersion::Implicit1_0))?
            }
            Event::GeneralRef(_) if in_style => {
                return Err(LogoError::SvgMalformed(
                    "character references inside <style> are not allowed".into(),
                ));
            }
            Event::DocType(_) | Event::PI(_) => return Err(LogoError::SvgDoctype),
            Event::Eof => break,
            _ => {}
        }
    }
    if saw_root {
        Ok(())
    } else {
        Err(LogoError::SvgMalformed("no <svg> element".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG_OK: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#036"/></linearGradient></defs>
  <style>.a { fill: url(#g); }</style>
  <rect class="a" width="10" height="10" fill="url(#g)"/><use xlink:href="#g"/>
</svg>"##;

    /// A PNG's signature and IHDR of `width` × `height`, then `extra` zero bytes.
    fn png(width: u32, height: u32, extra: usize) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        png.extend_from_slice(&width.to_be_bytes());
        png.extend_from_slice(&height.to_be_bytes());
        png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        png.extend(std::iter::repeat_n(0u8, extra));
        png
    }

    /// A JPEG's SOI, an APP0 segment and a baseline SOF0 of `width` × `height`.
    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46];
        jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
        jpeg.extend_from_slice(&height.to_be_bytes());
        jpeg.extend_from_slice(&width.to_be_bytes());
        jpeg.extend_from_slice(&[3; 10]);
        jpeg
    }

    fn svg(body: &str) -> Vec<u8> {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg">{body}</svg>"#).into_bytes()
    }

    #[test]
    fn png_jpeg_and_clean_svg_are_accepted_by_their_bytes() {
        let png = png(247, 72, 100);
        assert!(matches!(
            Logo::from_upload(&png),
            Ok(Logo::Image {
                kind: ImageType::Png,
                ..
            })
        ));
        let jpeg = jpeg(200, 50);
        assert!(matches!(
            Logo::from_upload(&jpeg),
            Ok(Logo::Image {
                kind: ImageType::Jpeg,
                ..
            })
        ));
        assert!(matches!(
            Logo::from_upload(SVG_OK.as_bytes()),
            Ok(Logo::Image {
                kind: ImageType::Svg,
                ..
            })
        ));
    }

    #[test]
    fn a_logo_over_10_kb_is_rejected() {
        let big = png(247, 72, MAX_LOGO_BYTES);
        assert_eq!(
            Logo::from_upload(&big),
            Err(LogoError::TooLarge { size: big.len() })
        );
        let exactly = png(247, 72, MAX_LOGO_BYTES - png(1, 1, 0).len());
        assert_eq!(exactly.len(), MAX_LOGO_BYTES);
        assert!(Logo::from_upload(&exactly).is_ok());
    }

    #[test]
    fn a_logo_larger_than_247_by_72_px_is_rejected() {
        assert_eq!(
            Logo::from_upload(&png(248, 72, 0)),
            Err(LogoError::Dimensions {
                width: 248,
                height: 72
            })
        );
        assert_eq!(
            Logo::from_upload(&jpeg(247, 73)),
            Err(LogoError::Dimensions {
                width: 247,
                height: 73
            })
        );
        assert!(Logo::from_upload(&jpeg(247, 72)).is_ok());
        let wide = br#"<svg xmlns="http://www.w3.org/2000/svg" width="600px" height="72"/>"#;
        assert_eq!(
            Logo::from_upload(wide),
            Err(LogoError::Dimensions {
                width: 600,
                height: 72
            })
        );
        let fits = br#"<svg xmlns="http://www.w3.org/2000/svg" width="247" height="72"/>"#;
        assert!(Logo::from_upload(fits).is_ok());
        assert_eq!(
            Logo::from_upload(b"\x89PNG\r\n\x1a\n0000"),
            Err(LogoError::NoSize("no PNG IHDR"))
        );
    }

    #[test]
    fn only_public_addresses_are_fetched_from() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public(private.parse().expect("ip")), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] {
            assert!(is_public(public.parse().expect("ip")), "{public}");
        }
    }

    #[test]
    fn a_logo_of_the_wrong_type_is_rejected() {
        assert_eq!(
            Logo::from_upload(b"GIF89a......"),
            Err(LogoError::UnsupportedType)
        );
        assert_eq!(
            Logo::from_upload(b"<html><body/></html>"),
            Err(LogoError::UnsupportedType)
        );
        assert_eq!(
            Logo::from_upload(&[0u8, 1, 2, 3]),
            Err(LogoError::UnsupportedType)
        );
        // Declared PNG, actually JPEG.
        let jpeg = crate::b64::std_encode(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2]);
        let err = serde_json::from_str::<Logo>(&format!(
            r#"{{"media_type":"image/png","data":"{jpeg}"}}"#
        ))
        .expect_err("mismatch");
        assert!(err.to_string().contains("bytes are image/jpeg"), "{err}");
    }

    #[test]
    fn a_script_inside_an_svg_is_rejected() {
        assert_eq!(
            Logo::from_upload(&svg("<script>alert(1)</script>")),
            Err(LogoError::SvgScript)
        );
        assert_eq!(
            Logo::from_upload(&svg("<g><SCRIPT xlink:href='#x'/></g>")),
            Err(LogoError::SvgScript)
        );
    }

    #[test]
    fn svg_event_handlers_javascript_urls_and_external_references_are_rejected() {
        assert_eq!(
            Logo::from_upload(&svg(r#"<rect onload="x()"/>"#)),
            Err(LogoError::SvgEventHandler("onload".into()))
        );
        assert_eq!(
            Logo::from_upload(&svg(r#"<a href=" java&#x09;script:alert(1)"><rect/></a>"#)),
            Err(LogoError::SvgJavascriptUrl)
        );
        assert!(matches!(
            Logo::from_upload(&svg(r#"<image href="https://evil.example/x.png"/>"#)),
            Err(LogoError::SvgExternalReference(_))
        ));
        assert!(matches!(
            Logo::from_upload(&svg(r#"<rect style="fill:url(https://x.example/a)"/>"#)),
            Err(LogoError::SvgExternalReference(_))
        ));
        assert!(matches!(
            Logo::from_upload(&svg("<style>@import 'https://x.example/a.css';</style>")),
            Err(LogoError::SvgExternalReference(_))
        ));
        assert_eq!(
            Logo::from_upload(&svg("<foreignObject><div/></foreignObject>")),
            Err(LogoError::SvgForeignObject)
        );
        assert_eq!(
            Logo::from_upload(
                br#"<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>"#
            ),
            Err(LogoError::SvgDoctype)
        );
    }

    #[test]
    fn logo_urls_must_be_https() {
        assert!(Logo::from_url("https://partner.example/logo.png").is_ok());
        assert!(matches!(
            Logo::from_url("http://partner.example/logo.png"),
            Err(LogoError::NotHttps(_))
        ));
        assert!(matches!(
            Logo::from_url("javascript:alert(1)"),
            Err(LogoError::NotHttps(_))
        ));
    }

    #[test]
    fn logo_json_round_trips() {
        let logo = Logo::from_upload(SVG_OK.as_bytes()).expect("svg");
        let json = serde_json::to_string(&logo).expect("json");
        assert_eq!(serde_json::from_str::<Logo>(&json).expect("back"), logo);
    }
}
