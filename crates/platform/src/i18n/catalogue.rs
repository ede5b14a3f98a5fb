//! The compiled-in Fluent catalogues and the lookup every service uses.

use super::Locale;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::memoizer::MemoizerKind;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The files of each language's catalogue, in `crates/platform/locales/<lang>/`: `errors` (the
/// problem texts a person reads), `mail` (the confirmation e-mail and the manager's notifications),
/// `panel` (the panel pages), `console` (the partner console), `weblet` (what the weblet itself
/// shows; copied into `weblet/strings.js` by `weblet_strings_js`, a test keeps the copy equal).
pub const FILES: &[&str] = &[
    "errors.ftl",
    "mail.ftl",
    "panel.ftl",
    "console.ftl",
    "weblet.ftl",
];

macro_rules! language {
    ($lang:literal) => {
        [
            include_str!(concat!("../../locales/", $lang, "/errors.ftl")),
            include_str!(concat!("../../locales/", $lang, "/mail.ftl")),
            include_str!(concat!("../../locales/", $lang, "/panel.ftl")),
            include_str!(concat!("../../locales/", $lang, "/console.ftl")),
            include_str!(concat!("../../locales/", $lang, "/weblet.ftl")),
        ]
    };
}

/// Every language's sources, in [`FILES`] order.
pub(super) fn sources(l: Locale) -> [&'static str; 5] {
    match l {
        Locale::En => language!("en"),
        Locale::De => language!("de"),
        Locale::Fr => language!("fr"),
        Locale::It => language!("it"),
        Locale::Es => language!("es"),
    }
}

struct Catalogue {
    bundles: Vec<(Locale, FluentBundle<FluentResource>)>,
}

/// Numbers placed into a message (`{ $count }`) are written the language's way.
fn number_formatter<M: MemoizerKind, const L: usize>(v: &FluentValue, _: &M) -> Option<String> {
    let FluentValue::Number(n) = v else {
        return None;
    };
    let locale = Locale::ALL[L];
    if n.value.fract() == 0.0 && n.value.abs() < 9.0e15 {
        Some(locale.integer(n.value as i64))
    } else {
        Some(locale.number(n.value, n.options.maximum_fraction_digits.unwrap_or(3)))
    }
}

fn bundle(l: Locale) -> FluentBundle<FluentResource> {
    let id = l
        .code()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // The text goes into HTML and e-mail, not into mixed-direction UI: no FSI/PDI marks.
    bundle.set_use_isolating(false);
    bundle.set_formatter(Some(match l {
        Locale::En => number_formatter::<_, 0>,
        Locale::De => number_formatter::<_, 1>,
        Locale::Fr => number_formatter::<_, 2>,
        Locale::It => number_formatter::<_, 3>,
        Locale::Es => number_formatter::<_, 4>,
    }));
    for (file, source) in FILES.iter().zip(sources(l)) {
        let resource = match FluentResource::try_new(source.to_string()) {
            Ok(r) => r,
            Err((r, errors)) => {
                tracing::error!(locale = l.code(), file, ?errors, "catalogue does not parse");
                r
            }
        };
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(locale = l.code(), file, ?errors, "catalogue entries clash");
        }
    }
    bundle
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue {
        bundles: Locale::ALL.into_iter().map(|l| (l, bundle(l))).collect(),
    })
}

impl Catalogue {
    fn format(&self, l: Locale, id: &str, args: &Args) -> Option<String> {
        let bundle = &self.bundles.iter().find(|(b, _)| *b == l)?.1;
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&args.0), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                locale = l.code(),
                id,
                ?errors,
                "message formatted with errors"
            );
        }
        Some(text.into_owned())
    }
}

/// The variables given to a message.
#[derive(Default)]
pub struct Args<'a>(FluentArgs<'a>);

impl<'a> Args<'a> {
    pub fn new() -> Self {
        Self(FluentArgs::new())
    }
    /// A text variable (`{ $name }`).
    pub fn text(mut self, name: &'a str, value: impl Into<Cow<'a, str>>) -> Self {
        self.0.set(name, FluentValue::String(value.into()));
        self
    }
    /// A number variable: selects plural forms and is written the language's way.
    pub fn number(mut self, name: &'a str, value: i64) -> Self {
        self.0.set(name, FluentValue::from(value));
        self
    }
}

/// The message `id` in `l`.
pub fn t(l: Locale, id: &str) -> String {
    t_args(l, id, &Args::new())
}

/// The message `id` in `l` when that language has it (no fallback, nothing logged): for
/// labels of values that may or may not have one.
pub fn lookup(l: Locale, id: &str) -> Option<String> {
    catalogue().format(l, id, &Args::new())
}

/// The message `id` in `l` with variables. Missing in `l`: the English text (and a warning);
/// missing in English too: `[missing: id]`.
pub fn t_args(l: Locale, id: &str, args: &Args) -> String {
    let catalogue = catalogue();
    if let Some(text) = catalogue.format(l, id, args) {
        return text;
    }
    tracing::warn!(
        locale = l.code(),
        id,
        "message missing in this language; English shown"
    );
    catalogue
        .format(Locale::En, id, args)
        .unwrap_or_else(|| format!("[missing: {id}]"))
}

/// What is wrong with a set of catalogues (English is the reference): a file that does not parse,
/// a message missing in a language or present only there, a message that uses a variable the
/// English one does not have (the code passes only those), a term or message reference that does
/// not resolve. Empty when all is well.
pub fn check(catalogues: &[(Locale, Vec<&str>)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut parsed: Vec<(Locale, Entries)> = Vec::new();
    for (l, files) in catalogues {
        let mut entries = Entries::default();
        for (i, source) in files.iter().enumerate() {
            let file = FILES.get(i).copied().unwrap_or("?");
            let resource = match fluent_syntax::parser::parse(*source) {
                Ok(r) => r,
                Err((r, errors)) => {
                    for e in errors {
                        problems.push(format!("{l}/{file}: syntax error {e:?}"));
                    }
                    r
                }
            };
            entries.add(&resource, &format!("{l}/{file}"), &mut problems);
        }
        parsed.push((*l, entries));
    }
    let Some((_, english)) = parsed.iter().find(|(l, _)| *l == Locale::En) else {
        problems.push("no English catalogue".into());
        return problems;
    };
    for (l, entries) in &parsed {
        for id in english.messages.keys() {
            if !entries.messages.contains_key(id) {
                problems.push(format!("{l}: message {id} is missing"));
            }
        }
        for (id, used) in &entries.messages {
            let Some(en_used) = english.messages.get(id) else {
                problems.push(format!("{l}: message {id} is not in English"));
                continue;
            };
            for var in used.variables.difference(&en_used.variables) {
                problems.push(format!(
                    "{l}: message {id} uses ${var}, which English does not (unknown variable)"
                ));
            }
            for var in en_used.variables.difference(&used.variables) {
                problems.push(format!("{l}: message {id} does not show ${var}"));
            }
            for m in &used.messages {
                if !entries.messages.contains_key(m) {
                    problems.push(format!("{l}: message {id} refers to unknown message {m}"));
                }
            }
            for term in &used.terms {
                if !entries.terms.contains(term) {
                    problems.push(format!("{l}: message {id} refers to unknown term -{term}"));
                }
            }
        }
    }
    problems
}

/// The problems of the catalogues compiled into this binary.
pub fn check_compiled() -> Vec<String> {
    let catalogues: Vec<(Locale, Vec<&str>)> = Locale::ALL
        .into_iter()
        .map(|l| (l, sources(l).to_vec()))
        .collect();
    check(&catalogues)
}

#[derive(Default)]
struct Uses {
    variables: BTreeSet<String>,
    messages: BTreeSet<String>,
    terms: BTreeSet<String>,
}

#[derive(Default)]
struct Entries {
    messages: BTreeMap<String, Uses>,
    terms: BTreeSet<String>,
}

impl Entries {
    fn add(&mut self, resource: &ast::Resource<&str>, file: &str, problems: &mut Vec<String>) {
        for entry in &resource.body {
            match entry {
                ast::Entry::Message(m) => {
                    let mut uses = Uses::default();
                    if let Some(p) = &m.value {
                        pattern(p, &mut uses);
                    } else {
                        problems.push(format!("{file}: message {} has no value", m.id.name));
                    }
                    for a in &m.attributes {
                        pattern(&a.value, &mut uses);
                    }
                    if self.messages.insert(m.id.name.to_string(), uses).is_some() {
                        problems.push(format!("{file}: message {} defined twice", m.id.name));
                    }
                }
                ast::Entry::Term(t) => {
                    self.terms.insert(t.id.name.to_string());
                }
                ast::Entry::Junk { content } => {
                    problems.push(format!("{file}: cannot parse {content:?}"));
                }
                _ => {}
            }
        }
    }
}

fn pattern(p: &ast::Pattern<&str>, uses: &mut Uses) {
    for e in &p.elements {
        if let ast::PatternElement::Placeable { expression } = e {
            expr(expression, uses);
        }
    }
}

fn expr(e: &ast::Expression<&str>, uses: &mut Uses) {
    match e {
        ast::Expression::Select { selector, variants } => {
            inline(selector, uses);
            for v in variants {
                pattern(&v.value, uses);
            }
        }
        ast::Expression::Inline(i) => inline(i, uses),
    }
}

fn inline(i: &ast::InlineExpression<&str>, uses: &mut Uses) {
    match i {
        ast::InlineExpression::VariableReference { id } => {
            uses.variables.insert(id.name.to_string());
        }
        ast::InlineExpression::MessageReference { id, .. } => {
            uses.messages.insert(id.name.to_string());
        }
        ast::InlineExpression::TermReference { id, arguments, .. } => {
            uses.terms.insert(id.name.to_string());
            // A term's own parameters are local to it, not variables the code passes.
            let _ = arguments;
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                inline(a, uses);
            }
            for a in &arguments.named {
                inline(&a.value, uses);
            }
        }
        ast::InlineExpression::Placeable { expression } => expr(expression, uses),
        ast::InlineExpression::StringLiteral { .. }
        | ast::InlineExpression::NumberLiteral { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_with_the_same_variables() {
        let problems = check_compiled();
        assert!(
            problems.is_empty(),
            "catalogue problems:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn the_check_finds_a_missing_message_an_unknown_variable_and_bad_syntax() {
        let en = "hello = Hello { $name }\nbye = Bye\n";
        let de = "hello = Hallo { $nmae }\n";
        let fr = "hello = Bonjour { $name }\nbye = Au revoir { -brand }\nextra = x\n= broken\n";
        let problems = check(&[
            (Locale::En, vec![en]),
            (Locale::De, vec![de]),
            (Locale::Fr, vec![fr]),
        ]);
        let has = |s: &str| problems.iter().any(|p| p.contains(s));
        assert!(has("de: message bye is missing"), "{problems:?}");
        assert!(has("de: message hello uses $nmae"), "{problems:?}");
        assert!(has("de: message hello does not show $name"), "{problems:?}");
        assert!(has("fr: message extra is not in English"), "{problems:?}");
        assert!(
            has("fr: message bye refers to unknown term -brand"),
            "{problems:?}"
        );
        assert!(has("fr/errors.ftl: cannot parse"), "{problems:?}");
    }

    #[test]
    fn every_message_formats_without_errors_in_every_language() {
        // Every message, given every variable its English text uses, formats without a
        // resolver error (an unknown message, term or function would be one).
        let catalogue = catalogue();
        for (l, bundle) in &catalogue.bundles {
            for source in sources(*l) {
                let Ok(resource) = fluent_syntax::parser::parse(source) else {
                    panic!("{l} does not parse");
                };
                for entry in &resource.body {
                    let ast::Entry::Message(m) = entry else {
                        continue;
                    };
                    let mut uses = Uses::default();
                    if let Some(p) = &m.value {
                        pattern(p, &mut uses);
                    }
                    let mut args = FluentArgs::new();
                    for v in &uses.variables {
                        args.set(v.clone(), FluentValue::from(2));
                    }
                    let pattern = bundle.get_message(m.id.name).and_then(|m| m.value());
                    let Some(pattern) = pattern else {
                        panic!("{l}: {} has no value", m.id.name)
                    };
                    let mut errors = Vec::new();
                    bundle.format_pattern(pattern, Some(&args), &mut errors);
                    assert!(errors.is_empty(), "{l}: {}: {errors:?}", m.id.name);
                }
            }
        }
    }

    #[test]
    fn a_number_in_a_message_is_written_the_languages_way() {
        let args = Args::new().number("max", 2000);
        let text = |l| t_args(l, "error-description-too-long", &args);
        assert!(
            text(Locale::En).contains("at most 2,000 characters"),
            "{}",
            text(Locale::En)
        );
        assert!(
            text(Locale::De).contains("höchstens 2.000 Zeichen"),
            "{}",
            text(Locale::De)
        );
        assert!(
            text(Locale::Fr).contains("au plus 2\u{202f}000"),
            "{}",
            text(Locale::Fr)
        );
        assert!(
            text(Locale::Es).contains("máximo 2000 caracteres"),
            "{}",
            text(Locale::Es)
        );
    }

    #[test]
    fn a_missing_message_falls_back_to_english_then_shows_its_id() {
        assert_eq!(
            t(Locale::De, "no-such-message"),
            "[missing: no-such-message]"
        );
    }
}
