//! Localisation: one Fluent catalogue per language (`crates/platform/locales/<lang>/*.ftl`,
//! compiled into the binary), the language negotiation every service uses, and numbers and dates
//! written the way each language writes them.
//!
//! - [`Locale`]: the five languages we ship (English, German, French, Italian, Spanish).
//!   [`Locale::negotiate`] picks one for the panel and the e-mail (the app configuration's
//!   language, else the device's, else English); [`Locale::from_accept_language`] for the
//!   console (RFC 9110 §12.5.4 weights).
//! - [`t`] / [`t_args`]: a message in a language. A message missing in a language falls back to
//!   English (a warning is logged); one missing in English too shows as `[missing: id]`. The test
//!   `every_language_has_every_message_with_the_same_variables` keeps both from happening.
//! - [`Locale::number`], [`Locale::date`], [`Locale::date_time`]: CLDR's patterns for the five
//!   languages (grouping and decimal separators, medium dates), written out here rather than
//!   pulling a full ICU data set into every service. Numbers given to a message as arguments are
//!   formatted the same way.

mod catalogue;
mod format;
mod weblet;

pub use catalogue::{Args, FILES, check, check_compiled, lookup, t, t_args};
pub use weblet::weblet_strings_js;

use std::fmt;

/// A language we have a catalogue for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    De,
    Fr,
    It,
    Es,
}

impl Locale {
    pub const ALL: [Locale; 5] = [Self::En, Self::De, Self::Fr, Self::It, Self::Es];

    /// The primary language subtag (`en`, `de`, ...), also the catalogue's folder name.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
            Self::It => "it",
            Self::Es => "es",
        }
    }

    /// The language's own name, for a language picker.
    pub fn endonym(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::De => "Deutsch",
            Self::Fr => "Français",
            Self::It => "Italiano",
            Self::Es => "Español",
        }
    }

    /// The locale of a language tag such as `de`, `de-CH`, `fr_FR` or `ES` (by its primary subtag,
    /// RFC 5646 §2.1: case does not matter); `None` for a language we have no catalogue for.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The language of the panel and the confirmation e-mail: the app configuration's language
    /// when it is one we have, else the device's own, else English.
    pub fn negotiate(configured: Option<&str>, device: Option<&str>) -> Self {
        configured
            .and_then(Self::from_tag)
            .or_else(|| device.and_then(Self::from_tag))
            .unwrap_or_default()
    }

    /// The best of our languages for a browser's `Accept-Language` header (RFC 9110 §12.5.4):
    /// ranges by descending weight (`q`, default 1; `q=0` means "not this one"), the first that
    /// names one of ours wins; `*` or nothing usable gives English.
    pub fn from_accept_language(header: &str) -> Self {
        Self::preferred(header).unwrap_or_default()
    }

    /// The best of our languages that an `Accept-Language` header names, `None` when it names
    /// none of ours (so a caller can fall back to something else before English).
    pub fn preferred(header: &str) -> Option<Self> {
        let mut ranges: Vec<(u16, usize, &str)> = header
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.split(';');
                let range = pieces.next()?.trim();
                if range.is_empty() {
                    return None;
                }
                let mut q = 1000u16;
                for p in pieces {
                    let p = p.trim();
                    if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                        q = parse_qvalue(v)?;
                    }
                }
                Some((q, i, range))
            })
            .filter(|(q, _, _)| *q > 0)
            .collect();
        // Highest weight first; equal weights keep the header's order.
        ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        ranges
            .into_iter()
            .find_map(|(_, _, range)| Self::from_tag(range))
    }
}

/// An RFC 9110 qvalue (`0`, `0.5`, `1.000`) in thousandths; `None` when malformed.
fn parse_qvalue(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u16 = match int {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    let q = int * 1000 + frac;
    (q <= 1000).then_some(q)
}

impl Locale {
    /// The message `id` in this language (for templates: `{{ lang.t("panel-send") }}`).
    pub fn t(self, id: &str) -> String {
        t(self, id)
    }

    /// The message `id` with one text variable.
    pub fn t1(self, id: &str, name: &str, value: &str) -> String {
        t_args(self, id, &Args::new().text(name, value.to_string()))
    }

    /// The message `id` with one number variable (plural forms, the language's digits).
    pub fn tn(self, id: &str, name: &str, n: i64) -> String {
        t_args(self, id, &Args::new().number(name, n))
    }
}

/// A billing meter's name in `l`: the catalogue's `meter-<id>` for the meters `printer` knows
/// (the same id on every vendor: `total-impressions`, `black-copies`, ...), else `name`, the
/// text the device report carried (a meter we have no words for keeps the device's own).
pub fn meter_name(l: Locale, id: &str, name: &str) -> String {
    lookup(l, &format!("meter-{id}")).unwrap_or_else(|| name.to_string())
}

/// A supply's colorant in `l`: the catalogue's `colorant-<value>` for the Printer-MIB's usual
/// values (`prtMarkerColorantValue`, RFC 3805: lowercase English names such as `black`,
/// `light cyan`), else the value as the device gave it.
pub fn colorant_name(l: Locale, value: &str) -> String {
    let key = value.trim().to_lowercase().replace([' ', '_'], "-");
    lookup(l, &format!("colorant-{key}")).unwrap_or_else(|| value.to_string())
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_meter_is_named_in_the_language_an_unknown_one_keeps_the_devices_name() {
        assert_eq!(
            meter_name(Locale::De, "total-impressions", "Total impressions"),
            "Drucke gesamt"
        );
        assert_eq!(
            meter_name(Locale::En, "black-copies", "Black copied impressions"),
            "Black copied impressions"
        );
        assert_eq!(
            meter_name(Locale::Fr, "vendor-special", "Special counter"),
            "Special counter"
        );
    }

    #[test]
    fn a_usual_colorant_is_named_in_the_language_another_keeps_the_devices_word() {
        assert_eq!(colorant_name(Locale::De, "black"), "Schwarz");
        assert_eq!(colorant_name(Locale::Fr, "light cyan"), "cyan clair");
        assert_eq!(colorant_name(Locale::En, "yellow"), "yellow");
        assert_eq!(colorant_name(Locale::It, "chartreuse"), "chartreuse");
    }

    #[test]
    fn every_meter_id_of_the_printer_crate_has_a_name_in_every_language() {
        // The ids `printer::interpret` gives its meters (Xerox, Konica Minolta, HP, Printer-MIB).
        for id in [
            "total-impressions",
            "black-impressions",
            "color-impressions",
            "black-copies",
            "color-copies",
            "black-prints",
            "color-prints",
            "scans-email",
            "scans-network",
            "color-large-impressions",
            "black-large-impressions",
            "total-large-impressions",
            "marker-life-count",
            "power-on-impressions",
            "duplex-sheets",
            "scans",
            "total-pages",
            "black-pages",
        ] {
            for l in Locale::ALL {
                assert!(
                    lookup(l, &format!("meter-{id}")).is_some(),
                    "meter-{id} in {l}"
                );
            }
        }
    }

    #[test]
    fn a_tag_names_its_locale_by_the_primary_subtag() {
        assert_eq!(Locale::from_tag("de-CH"), Some(Locale::De));
        assert_eq!(Locale::from_tag("fr_FR"), Some(Locale::Fr));
        assert_eq!(Locale::from_tag("ES"), Some(Locale::Es));
        assert_eq!(Locale::from_tag(" it "), Some(Locale::It));
        assert_eq!(Locale::from_tag("pt-BR"), None);
        assert_eq!(Locale::from_tag(""), None);
    }

    #[test]
    fn the_configured_language_wins_then_the_devices_then_english() {
        assert_eq!(Locale::negotiate(Some("it"), Some("de")), Locale::It);
        assert_eq!(Locale::negotiate(Some("pt"), Some("de-AT")), Locale::De);
        assert_eq!(Locale::negotiate(None, Some("fr")), Locale::Fr);
        assert_eq!(Locale::negotiate(None, Some("ja")), Locale::En);
        assert_eq!(Locale::negotiate(None, None), Locale::En);
    }

    #[test]
    fn accept_language_weights_decide_and_q_zero_refuses() {
        assert_eq!(
            Locale::from_accept_language("de-DE,de;q=0.9,en;q=0.8"),
            Locale::De
        );
        assert_eq!(Locale::from_accept_language("en;q=0.5, fr"), Locale::Fr);
        assert_eq!(
            Locale::from_accept_language("pt-BR, es;q=0.7, it;q=0.7"),
            Locale::Es
        );
        assert_eq!(Locale::from_accept_language("fr;q=0, it;q=0.1"), Locale::It);
        assert_eq!(Locale::from_accept_language("ja, *;q=0.5"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
        assert_eq!(Locale::from_accept_language("de;q=2, fr;q=0.3"), Locale::Fr);
        assert_eq!(Locale::from_accept_language("de;q=0.1234, es"), Locale::Es);
        assert_eq!(Locale::preferred("ja, *;q=0.5"), None);
        assert_eq!(Locale::preferred("ja, it;q=0.2"), Some(Locale::It));
    }
}
