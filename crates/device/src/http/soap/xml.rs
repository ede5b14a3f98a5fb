//! The XML reader for SOAP requests (and the tests' reader of answers): a whole document into an
//! [`Element`] tree with namespaces resolved. No DTDs, bounded depth and size; text and CDATA
//! joined, character and the five predefined entity references resolved. Attributes are not kept:
//! no request of these services needs one.

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// Nesting deeper than this is refused (no SOAP request here needs more than a handful of levels).
const MAX_DEPTH: usize = 32;
/// Elements beyond this are refused.
const MAX_ELEMENTS: usize = 1024;

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the request is not well-formed XML: {0}")]
pub struct XmlError(pub String);

/// An element of a parsed document: namespace, local name, children and text.
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

    /// The first direct child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The first element with this local name anywhere below (document order), as an EIP client
    /// finds answer elements: by local name, ignoring prefixes and nesting.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|c| {
            if c.name == name {
                Some(c)
            } else {
                c.find(name)
            }
        })
    }

    /// Every element with this local name below, in document order.
    pub fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            c.find_all(name, out);
        }
    }

    /// The element at a path of local names below this one (`"display/canvasSize/width"`).
    pub fn path(&self, path: &str) -> Option<&Element> {
        path.split('/').try_fold(self, |el, name| el.child(name))
    }
}

fn not_xml(why: impl std::fmt::Display) -> XmlError {
    XmlError(why.to_string())
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
pub fn parse_xml(body: &[u8]) -> Result<Element, XmlError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_text_and_references() -> Result<(), XmlError> {
        let el = parse_xml(
            br#"<?xml version="1.0"?><s:Envelope xmlns:s="urn:s"><s:Body><GetRequest xmlns="urn:x"><OID> 1.3&#46;6 </OID><c><![CDATA[a<b]]>&amp;</c></GetRequest></s:Body></s:Envelope>"#,
        )?;
        assert_eq!(el.ns.as_deref(), Some("urn:s"));
        let op = el.path("Body/GetRequest").expect("the operation");
        assert_eq!(op.ns.as_deref(), Some("urn:x"));
        assert_eq!(op.child("OID").map(|o| o.text.as_str()), Some(" 1.3.6 "));
        assert_eq!(el.find("c").map(|o| o.text.as_str()), Some("a<b&"));
        let mut all = Vec::new();
        el.find_all("OID", &mut all);
        assert_eq!(all.len(), 1);
        Ok(())
    }

    #[test]
    fn refuses_broken_xml_and_dtds() {
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
            assert!(parse_xml(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse_xml(deep.as_bytes()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_parser(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_xml(&bytes);
        }
    }
}
