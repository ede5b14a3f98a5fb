//! Meter history as server-rendered SVG small multiples (no JavaScript). Text is XML-escaped here,
//! because the chart is inserted into the page unescaped.

use crate::storage::MeterRead;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;

pub use platform::escape::xml_escape;

/// A meter's name (in the page's language) and its (time, value) points.
type Series = (String, Vec<(i64, i64)>);

/// Fourteen clearly different colours (d3's category10 without its grey and olive, then darker
/// and deeper tones of d3's category20b), so the meters of a full MFD (the AltaLink reports 11)
/// never share one.
pub const COLORS: [&str; 14] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#000000",
];

/// Chart width and the parts of one meter's panel (all in SVG units).
const WIDTH: f64 = 720.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 20.0;
const TITLE_H: f64 = 20.0;
const PLOT_H: f64 = 70.0;
const AXIS_H: f64 = 26.0;
const PANEL_H: f64 = TITLE_H + PLOT_H + AXIS_H;
/// Where a meter's title starts, and the longest title drawn in full: longer ones end with "…"
/// (the full text is its tooltip). 44 characters of the widest glyph ("W", up to 1.25 em at 12 px bold in DejaVu Sans)
/// still fit the chart's width.
const TITLE_X: f64 = 4.0;
const TITLE_CHARS: usize = 44;
#[cfg(test)]
const WIDEST_GLYPH: f64 = 1.25 * 12.0;

/// One small chart per meter, stacked, sharing the time axis: each meter has its own y scale
/// (its lowest to its highest value), because a device's counters differ by orders of magnitude
/// (a total of 1 200 000 next to a colour counter of 300): on one shared scale the small ones lie
/// flat on 0, and a log scale is hard to read. Each panel's title (the meter's name, never clipped)
/// replaces a legend; colours differ for up to fourteen meters.
pub fn meter_chart(reads: &[MeterRead], label: &str) -> String {
    let l = super::lang();
    let mut series: BTreeMap<&str, Series> = BTreeMap::new();
    for r in reads {
        for m in &r.meters {
            series
                .entry(m.id.as_str())
                .or_insert_with(|| (platform::i18n::meter_name(l, &m.id, &m.name), vec![]))
                .1
                .push((r.read_at.timestamp(), m.value));
        }
    }
    let t_min = reads.iter().map(|r| r.read_at).min();
    let t_max = reads.iter().map(|r| r.read_at).max();
    let h = PANEL_H * series.len().max(1) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let (t0, t1) = (
        t_min.map(|t| t.timestamp()).unwrap_or(0),
        t_max.map(|t| t.timestamp()).unwrap_or(0),
    );
    let x = |t: i64| {
        if t1 == t0 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * (t - t0) as f64 / (t1 - t0) as f64
        }
    };
    let x_labels = time_labels(t_min, t_max);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h}" viewBox="0 0 {WIDTH} {h}" role="img" aria-label="{}">"#,
        xml_escape(label)
    );
    for (i, (id, (name, points))) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let top = PANEL_H * i as f64;
        let plot_top = top + TITLE_H;
        let v_min = points.iter().map(|(_, v)| *v).min().unwrap_or(0);
        let v_max = points.iter().map(|(_, v)| *v).max().unwrap_or(0);
        let y = |v: i64| {
            if v_max == v_min {
                plot_top + PLOT_H / 2.0
            } else {
                plot_top + PLOT_H * (1.0 - (v - v_min) as f64 / (v_max - v_min) as f64)
            }
        };
        // The name and its id when both fit; else the name alone (the id stays in the tooltip);
        // else the name shortened.
        let title = format!("{name} ({id})");
        let shown: String = if title.chars().count() <= TITLE_CHARS {
            title.clone()
        } else if name.chars().count() <= TITLE_CHARS {
            name.clone()
        } else {
            name.chars().take(TITLE_CHARS - 1).chain(['…']).collect()
        };
        let _ = write!(
            svg,
            r#"<g class="meter"><text x="{TITLE_X}" y="{}" font-size="12" font-weight="bold" fill="{color}"><title>{}</title>{}</text>"#,
            top + 14.0,
            xml_escape(&title),
            xml_escape(&shown)
        );
        let _ = write!(
            svg,
            r##"<rect x="{LEFT}" y="{plot_top}" width="{plot_w}" height="{PLOT_H}" fill="none" stroke="#999"/>"##
        );
        let y_labels: Vec<(f64, i64)> = if v_max == v_min {
            vec![(plot_top + PLOT_H / 2.0 + 4.0, v_max)]
        } else {
            vec![(plot_top + 10.0, v_max), (plot_top + PLOT_H, v_min)]
        };
        for (ly, v) in y_labels {
            let _ = write!(
                svg,
                r#"<text class="y" x="{}" y="{ly}" font-size="11" text-anchor="end">{}</text>"#,
                LEFT - 4.0,
                l.integer(v)
            );
        }
        let pts: Vec<String> = points
            .iter()
            .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            pts.join(" ")
        );
        for (t, v) in points {
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{color}"><title>{}: {}</title></circle>"#,
                x(*t),
                y(*v),
                xml_escape(name),
                l.integer(*v)
            );
        }
        let axis_y = plot_top + PLOT_H + 16.0;
        for (t, anchor, label) in &x_labels {
            let _ = write!(
                svg,
                r#"<text class="x" x="{:.1}" y="{axis_y}" font-size="11" text-anchor="{anchor}">{label}</text>"#,
                x(*t)
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// The time axis labels (time, text-anchor, text): the first and the last read, by day, or by
/// minute when both fall on one day; one label when they are the same moment. Never two equal.
fn time_labels(
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
) -> Vec<(i64, &'static str, String)> {
    let (Some(first), Some(last)) = (first, last) else {
        return vec![];
    };
    for format in ["%Y-%m-%d", "%Y-%m-%d %H:%M"] {
        let (a, b) = (
            first.format(format).to_string(),
            last.format(format).to_string(),
        );
        if a != b {
            return vec![
                (first.timestamp(), "start", a),
                (last.timestamp(), "end", b),
            ];
        }
    }
    vec![(
        first.timestamp(),
        "middle",
        first.format("%Y-%m-%d %H:%M").to_string(),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DeviceSerial, MeterSource};
    use crate::storage::MeterValue;

    /// The chart with the English label.
    fn meter_chart_en(reads: &[MeterRead]) -> String {
        meter_chart(reads, "Meter history")
    }

    #[test]
    fn chart_draws_a_line_per_meter_and_escapes_names() {
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let read = |days: i64, v: i64| MeterRead {
            id: uuid::Uuid::nil(),
            number: crate::domain::MeterReadNumber::new(2026, 1).unwrap(),
            device_serial: DeviceSerial::parse("X").unwrap(),
            read_at: t + chrono::Duration::days(days),
            source: MeterSource::Automatic,
            meter_replacement: false,
            meters: vec![
                MeterValue {
                    id: "1".into(),
                    name: "<script>x</script>".into(),
                    value: v,
                },
                MeterValue {
                    id: "2".into(),
                    name: "Color".into(),
                    value: v / 2,
                },
            ],
            created_at: t,
        };
        let svg = meter_chart_en(&[read(0, 100), read(1, 200), read(2, 300)]);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    fn reads_of(meters: &[(&str, &str, i64, i64)], at: &[i64]) -> Vec<MeterRead> {
        // meters: (id, name, first value, step per read); at: seconds after t.
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        at.iter()
            .enumerate()
            .map(|(n, secs)| MeterRead {
                id: uuid::Uuid::nil(),
                number: crate::domain::MeterReadNumber::new(2026, 1).unwrap(),
                device_serial: DeviceSerial::parse("X").unwrap(),
                read_at: t + chrono::Duration::seconds(*secs),
                source: MeterSource::Automatic,
                meter_replacement: false,
                meters: meters
                    .iter()
                    .map(|(id, name, first, step)| MeterValue {
                        id: (*id).into(),
                        name: (*name).into(),
                        value: first + step * n as i64,
                    })
                    .collect(),
                created_at: t,
            })
            .collect()
    }

    fn attr_values<'a>(svg: &'a str, element: &str, attr: &str) -> Vec<&'a str> {
        svg.split(&format!("<{element} "))
            .skip(1)
            .filter_map(|e| {
                let at = e.find(&format!(" {attr}=\""))? + attr.len() + 3;
                e[at..].split('"').next()
            })
            .collect()
    }

    fn texts_of_class(svg: &str, class: &str) -> Vec<String> {
        svg.split(&format!("<text class=\"{class}\""))
            .skip(1)
            .filter_map(|e| Some(e[e.find('>')? + 1..e.find("</text>")?].to_string()))
            .collect()
    }

    const DAY: i64 = 86_400;

    #[test]
    fn the_eleven_meters_of_an_altalink_get_eleven_different_colours() {
        let ids = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"];
        let meters: Vec<_> = ids.iter().map(|id| (*id, "Meter", 10, 1)).collect();
        let svg = meter_chart_en(&reads_of(&meters, &[0, DAY]));
        let strokes = attr_values(&svg, "polyline", "stroke");
        assert_eq!(strokes.len(), 11);
        let distinct: std::collections::HashSet<_> = strokes.iter().collect();
        assert_eq!(distinct.len(), 11, "{strokes:?}");
    }

    #[test]
    fn a_name_that_fits_is_shown_whole_without_its_id_rather_than_cut() {
        // 40 characters: with " (vendor-life-count)" it would be cut; the name alone fits.
        let name = "Lifetime impressions (vendor MIB) abcdef";
        let svg = meter_chart_en(&reads_of(&[("vendor-life-count", name, 10, 1)], &[0, DAY]));
        let title = svg.split("font-weight=\"bold\"").nth(1).unwrap();
        let shown = &title[title.find("</title>").unwrap() + 8..title.find("</text>").unwrap()];
        assert_eq!(shown, name);
        assert!(svg.contains(&format!("<title>{name} (vendor-life-count)</title>")));
    }

    #[test]
    fn a_small_counter_uses_its_own_full_height_beside_a_large_one() {
        let svg = meter_chart_en(&reads_of(
            &[("101", "Total", 1_200_000, 5_000), ("112", "Colour", 10, 5)],
            &[0, DAY, 2 * DAY],
        ));
        assert_eq!(svg.matches("<g class=\"meter\">").count(), 2);
        // The colour counter (10 → 20) spans its panel from bottom to top, not a flat line at 0.
        let colour = svg.split("<g class=\"meter\">").nth(2).unwrap();
        let ys: Vec<f64> = attr_values(colour, "circle", "cy")
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        let span = ys.iter().cloned().fold(f64::MIN, f64::max)
            - ys.iter().cloned().fold(f64::MAX, f64::min);
        assert!(
            (span - PLOT_H).abs() < 0.5,
            "colour counter spans {span} of {PLOT_H}"
        );
        assert_eq!(texts_of_class(colour, "y"), vec!["20", "10"]);
    }

    #[test]
    fn long_meter_names_are_shortened_with_the_full_name_as_tooltip() {
        let long = "B".repeat(300);
        let svg = meter_chart_en(&reads_of(&[("1", &long, 1, 1)], &[0, DAY]));
        let title = svg.split("font-weight=\"bold\"").nth(1).unwrap();
        let shown = &title[title.find("</title>").unwrap() + 8..title.find("</text>").unwrap()];
        assert_eq!(shown.chars().count(), TITLE_CHARS);
        assert!(shown.ends_with('…'));
        assert!(
            TITLE_X + WIDEST_GLYPH * TITLE_CHARS as f64 <= WIDTH,
            "fits the width"
        );
        assert!(svg.contains(&format!("<title>{long} (1)</title>")));
    }

    #[test]
    fn time_labels_are_never_two_equal() {
        let days = meter_chart_en(&reads_of(&[("1", "Total", 1, 1)], &[0, 3 * DAY]));
        let labels = texts_of_class(&days, "x");
        assert_eq!(labels, vec!["2023-11-14", "2023-11-17"]);
        let same_day = meter_chart_en(&reads_of(&[("1", "Total", 1, 1)], &[0, 3_600]));
        let labels = texts_of_class(&same_day, "x");
        assert_eq!(labels.len(), 2);
        assert_ne!(labels[0], labels[1], "{labels:?}");
        let one = meter_chart_en(&reads_of(&[("1", "Total", 1, 1)], &[0]));
        assert_eq!(texts_of_class(&one, "x").len(), 1);
    }
}
