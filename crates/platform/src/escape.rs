//! Escaping text for HTML and XML (element content and quoted attribute values): the one
//! escaper for every service (the pages, the manager's SVG, the device emulator's SOAP answers and
//! panel). Tab and line feed stay, carriage return becomes `&#13;` (so it survives an XML parser's
//! line-end normalisation), other control characters are dropped (XML 1.0 does not allow them).

/// `& < > " '` escaped, `\r` as `&#13;`, control characters other than tab and line feed dropped.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// HTML uses the same escaping.
pub fn html_escape(s: &str) -> String {
    xml_escape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped_and_controls_dropped() {
        assert_eq!(
            xml_escape("<a href=\"x\">O'Brien & co</a>\u{7}"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Brien &amp; co&lt;/a&gt;"
        );
        assert_eq!(html_escape("plain"), "plain");
        assert_eq!(xml_escape("a\tb\r\nc\u{0}"), "a\tb&#13;\nc");
    }
}
