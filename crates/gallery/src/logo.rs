//! The partner's logo: an https URL, or an uploaded PNG, JPEG or SVG of at most 10 KB.
//! SVG is accepted only when it carries nothing active: no script, no event handlers, no
//! `javascript:` URLs, no external references, no foreignObject, no DOCTYPE (entities).

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

pub use proto::config::MAX_LOGO_BYTES;

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
        if kind == ImageType::Svg {
            check_svg(bytes)?;
        }
        Ok(Self::Image {
            kind,
            bytes: bytes.to_vec(),
        })
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

    fn svg(body: &str) -> Vec<u8> {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg">{body}</svg>"#).into_bytes()
    }

    #[test]
    fn png_jpeg_and_clean_svg_are_accepted_by_their_bytes() {
        let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 100]].concat();
        assert!(matches!(
            Logo::from_upload(&png),
            Ok(Logo::Image {
                kind: ImageType::Png,
                ..
            })
        ));
        let jpeg = [[0xFF, 0xD8, 0xFF, 0xE0].as_slice(), &[0u8; 100]].concat();
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
        let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0u8; MAX_LOGO_BYTES]].concat();
        assert_eq!(
            Logo::from_upload(&png),
            Err(LogoError::TooLarge {
                size: MAX_LOGO_BYTES + 8
            })
        );
        let exactly = [
            b"\x89PNG\r\n\x1a\n".as_slice(),
            &vec![0u8; MAX_LOGO_BYTES - 8],
        ]
        .concat();
        assert!(Logo::from_upload(&exactly).is_ok());
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
