//! The weblet's texts as JavaScript. The weblet (plain ES5 on the device's old WebKit, no build
//! step) shows some texts before or without the assistant (starting, the assistant cannot be
//! reached, the app is not set up), so it carries them itself: `weblet/strings.js` is generated
//! from every language's `weblet.ftl` by [`weblet_strings_js`], and the test
//! `weblet_strings_js_is_generated_from_the_catalogues` fails when the committed file differs
//! (`SA_WRITE_WEBLET_STRINGS=1 cargo test -p platform weblet_strings` rewrites it). One
//! catalogue, one copy that cannot drift.

use super::Locale;
use super::catalogue::sources;
use fluent_syntax::ast;

/// Where `weblet.ftl` sits in [`super::FILES`].
const WEBLET_FILE: usize = 4;

/// `weblet/strings.js`: `var SA_STRINGS = { "en": { "id": "text", … }, "de": … };`. Variables
/// are written `{$name}` (the weblet's `tr(id, {name: value})` fills them in); only plain text and
/// variables are allowed (an error names any other Fluent construct). Non-ASCII characters are
/// `\uXXXX` escapes, so the file reads the same whatever charset the device assumes.
pub fn weblet_strings_js() -> Result<String, String> {
    let mut out = String::from(
        "/* Generated from crates/platform/locales/<lang>/weblet.ftl by\n \
         * platform::i18n::weblet_strings_js. Do not edit: change the .ftl files and run\n \
         * SA_WRITE_WEBLET_STRINGS=1 cargo test -p platform weblet_strings */\n\
         var SA_STRINGS = {\n",
    );
    for (i, l) in Locale::ALL.into_iter().enumerate() {
        let source = sources(l)[WEBLET_FILE];
        let resource = fluent_syntax::parser::parse(source)
            .map_err(|(_, errors)| format!("{l}/weblet.ftl: {errors:?}"))?;
        out.push_str(&format!("  \"{}\": {{\n", l.code()));
        let mut entries = Vec::new();
        for entry in &resource.body {
            let ast::Entry::Message(m) = entry else {
                continue;
            };
            let Some(value) = &m.value else {
                return Err(format!("{l}/weblet.ftl: {} has no value", m.id.name));
            };
            let mut text = String::new();
            for element in &value.elements {
                match element {
                    ast::PatternElement::TextElement { value } => text.push_str(value),
                    ast::PatternElement::Placeable {
                        expression:
                            ast::Expression::Inline(ast::InlineExpression::VariableReference { id }),
                    } => {
                        text.push_str("{$");
                        text.push_str(id.name);
                        text.push('}');
                    }
                    ast::PatternElement::Placeable { .. } => {
                        return Err(format!(
                            "{l}/weblet.ftl: {} uses more than text and {{ $variables }}",
                            m.id.name
                        ));
                    }
                }
            }
            entries.push(format!(
                "    {}: {}",
                js_string(m.id.name),
                js_string(&text)
            ));
        }
        out.push_str(&entries.join(",\n"));
        out.push_str(if i + 1 < Locale::ALL.len() {
            "\n  },\n"
        } else {
            "\n  }\n"
        });
    }
    out.push_str("};\n");
    Ok(out)
}

/// A double-quoted JavaScript string literal with only ASCII in it.
fn js_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            ' '..='~' => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn weblet_strings_js_is_generated_from_the_catalogues() {
        let expected = weblet_strings_js().expect("the weblet catalogues are plain text");
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../weblet/strings.js");
        if std::env::var_os("SA_WRITE_WEBLET_STRINGS").is_some() {
            std::fs::write(&path, &expected).expect("write weblet/strings.js");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == expected,
            "weblet/strings.js differs from the weblet.ftl catalogues; regenerate it with \
             SA_WRITE_WEBLET_STRINGS=1 cargo test -p platform weblet_strings"
        );
    }

    #[test]
    fn js_strings_are_ascii_with_escapes() {
        assert_eq!(js_string("Démarrage…"), "\"D\\u00e9marrage\\u2026\"");
        assert_eq!(js_string("a \"b\" \\"), "\"a \\\"b\\\" \\\\\"");
        assert_eq!(js_string("😀"), "\"\\ud83d\\ude00\"");
    }
}
