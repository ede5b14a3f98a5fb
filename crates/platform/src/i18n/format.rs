//! Numbers and dates as each language writes them. The symbols and patterns are CLDR's (the
//! Unicode Common Locale Data Repository, which browsers and ICU use): decimal and grouping
//! separators, Spanish's minimum of two grouping digits (`1234` but `12.345`), the percent sign's
//! spacing, the medium date pattern with its abbreviated month names, a 24-hour clock. English is
//! written the British way (`29 Nov 2026`, `14:05`): the service partners are European.

use super::Locale;
use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

const NBSP: char = '\u{a0}';
const NNBSP: char = '\u{202f}';

struct Symbols {
    decimal: char,
    group: char,
    /// CLDR `minimumGroupingDigits`: the integer part is grouped only from this many digits
    /// above the first group (2 for Spanish: `1234`, `12.345`).
    min_grouping: usize,
    /// What stands between a number and `%` (nothing, or a no-break space).
    percent_gap: Option<char>,
    months: [&'static str; 12],
}

fn symbols(l: Locale) -> &'static Symbols {
    const EN: Symbols = Symbols {
        decimal: '.',
        group: ',',
        min_grouping: 1,
        percent_gap: None,
        months: [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec",
        ],
    };
    const DE: Symbols = Symbols {
        decimal: ',',
        group: '.',
        min_grouping: 1,
        percent_gap: Some(NBSP),
        months: [
            "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
            "Dez.",
        ],
    };
    const FR: Symbols = Symbols {
        decimal: ',',
        group: NNBSP,
        min_grouping: 1,
        percent_gap: Some(NNBSP),
        months: [
            "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
            "nov.", "déc.",
        ],
    };
    const IT: Symbols = Symbols {
        decimal: ',',
        group: '.',
        min_grouping: 1,
        percent_gap: None,
        months: [
            "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
        ],
    };
    const ES: Symbols = Symbols {
        decimal: ',',
        group: '.',
        min_grouping: 2,
        percent_gap: Some(NBSP),
        months: [
            "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
        ],
    };
    match l {
        Locale::En => &EN,
        Locale::De => &DE,
        Locale::Fr => &FR,
        Locale::It => &IT,
        Locale::Es => &ES,
    }
}

impl Locale {
    /// A whole number with the language's grouping: `1,234,567` (en), `1.234.567` (de, it, es),
    /// `1 234 567` (fr, narrow no-break spaces), `1234` (es: four digits stay ungrouped).
    pub fn integer(self, n: i64) -> String {
        let s = symbols(self);
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        out.push_str(&group(&digits, s));
        out
    }

    /// A number with at most `max_fraction` decimals (trailing zeros dropped), e.g. `1,234.5` /
    /// `1.234,5`.
    pub fn number(self, n: f64, max_fraction: usize) -> String {
        if !n.is_finite() {
            return n.to_string();
        }
        let s = symbols(self);
        let text = format!("{:.*}", max_fraction, n.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let frac = frac.trim_end_matches('0');
        let mut out = String::new();
        if n < 0.0 && (int != "0" || !frac.is_empty()) {
            out.push('-');
        }
        out.push_str(&group(int, s));
        if !frac.is_empty() {
            out.push(s.decimal);
            out.push_str(frac);
        }
        out
    }

    /// A percentage: `45%` (en, it), `45 %` (de, es: no-break space; fr: narrow no-break space).
    pub fn percent(self, n: u32) -> String {
        match symbols(self).percent_gap {
            Some(gap) => format!("{n}{gap}%"),
            None => format!("{n}%"),
        }
    }

    /// CLDR's medium date: `29 Nov 2026` (en), `29.11.2026` (de), `29 nov. 2026` (fr),
    /// `29 nov 2026` (it, es).
    pub fn date(self, d: NaiveDate) -> String {
        let month = symbols(self).months[d.month0() as usize];
        match self {
            Locale::De => format!("{:02}.{:02}.{}", d.day(), d.month(), d.year()),
            _ => format!("{} {month} {}", d.day(), d.year()),
        }
    }

    /// A 24-hour time, `14:05`.
    pub fn time(self, t: DateTime<Utc>) -> String {
        format!("{:02}:{:02}", t.hour(), t.minute())
    }

    /// The medium date and time in UTC: `29 Nov 2026, 14:05 UTC` (fr without the comma, as
    /// CLDR's French pattern).
    pub fn date_time_utc(self, t: DateTime<Utc>) -> String {
        let sep = if self == Locale::Fr { " " } else { ", " };
        format!("{}{sep}{} UTC", self.date(t.date_naive()), self.time(t))
    }
}

/// Groups the ASCII digits of an integer part by three with the language's separator.
fn group(digits: &str, s: &Symbols) -> String {
    if digits.len() < 4 + s.min_grouping - 1 {
        return digits.to_string();
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    let first = digits.len() % 3;
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (i + 3 - first).is_multiple_of(3) {
            out.push(s.group);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn integers_are_grouped_as_each_language_writes_them() {
        assert_eq!(Locale::En.integer(1_234_567), "1,234,567");
        assert_eq!(Locale::De.integer(1_234_567), "1.234.567");
        assert_eq!(Locale::Fr.integer(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(Locale::It.integer(1_234), "1.234");
        assert_eq!(Locale::Es.integer(1_234), "1234");
        assert_eq!(Locale::Es.integer(12_345), "12.345");
        assert_eq!(Locale::En.integer(999), "999");
        assert_eq!(Locale::En.integer(-1_000), "-1,000");
        assert_eq!(Locale::En.integer(0), "0");
        assert_eq!(Locale::De.integer(100_000), "100.000");
    }

    #[test]
    fn decimals_use_the_languages_separator_and_drop_trailing_zeros() {
        assert_eq!(Locale::En.number(1234.5, 2), "1,234.5");
        assert_eq!(Locale::De.number(1234.5, 2), "1.234,5");
        assert_eq!(Locale::Fr.number(0.25, 2), "0,25");
        assert_eq!(Locale::It.number(3.0, 2), "3");
        assert_eq!(Locale::Es.number(-0.001, 2), "0");
    }

    #[test]
    fn percent_signs_are_spaced_per_language() {
        assert_eq!(Locale::En.percent(45), "45%");
        assert_eq!(Locale::De.percent(45), "45\u{a0}%");
        assert_eq!(Locale::Fr.percent(45), "45\u{202f}%");
        assert_eq!(Locale::It.percent(45), "45%");
        assert_eq!(Locale::Es.percent(45), "45\u{a0}%");
    }

    #[test]
    fn dates_follow_the_cldr_medium_pattern() {
        let t = Utc.with_ymd_and_hms(2026, 3, 7, 9, 5, 0).unwrap();
        assert_eq!(Locale::En.date_time_utc(t), "7 Mar 2026, 09:05 UTC");
        assert_eq!(Locale::De.date_time_utc(t), "07.03.2026, 09:05 UTC");
        assert_eq!(Locale::Fr.date_time_utc(t), "7 mars 2026 09:05 UTC");
        assert_eq!(Locale::It.date(t.date_naive()), "7 mar 2026");
        assert_eq!(Locale::Es.date(t.date_naive()), "7 mar 2026");
    }
}
