//! Meter history as a server-rendered SVG line chart (no JavaScript). Text is XML-escaped here,
//! because the chart is inserted into the page unescaped.

use crate::storage::MeterRead;
use std::collections::BTreeMap;
use std::fmt::Write;

pub use platform::escape::xml_escape;

/// A meter's name and its (time, value) points.
type Series<'a> = (&'a str, Vec<(i64, i64)>);

const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

/// One line per meter; x is time, y is the value (from 0).
pub fn meter_chart(reads: &[MeterRead]) -> String {
    let (w, h, left, right, top, bottom) = (720.0_f64, 260.0_f64, 70.0, 170.0, 15.0, 30.0);
    let mut series: BTreeMap<&str, Series<'_>> = BTreeMap::new();
    for r in reads {
        for m in &r.meters {
            series
                .entry(m.id.as_str())
                .or_insert((m.name.as_str(), vec![]))
                .1
                .push((r.read_at.timestamp(), m.value));
        }
    }
    let t_min = reads
        .iter()
        .map(|r| r.read_at.timestamp())
        .min()
        .unwrap_or(0);
    let t_max = reads
        .iter()
        .map(|r| r.read_at.timestamp())
        .max()
        .unwrap_or(0);
    let v_max = series
        .values()
        .flat_map(|(_, p)| p.iter().map(|(_, v)| *v))
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let x = |t: i64| {
        if t_max == t_min {
            left + plot_w / 2.0
        } else {
            left + plot_w * (t - t_min) as f64 / (t_max - t_min) as f64
        }
    };
    let y = |v: i64| top + plot_h * (1.0 - v as f64 / v_max as f64);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="Meter history">"#
    );
    let _ = write!(
        svg,
        r##"<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>"##
    );
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" font-size="11" text-anchor="end">{v_max}</text>"#,
        left - 4.0,
        top + 10.0
    );
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" font-size="11" text-anchor="end">0</text>"#,
        left - 4.0,
        top + plot_h
    );
    if let (Some(first), Some(last)) = (reads.first(), reads.last()) {
        let _ = write!(
            svg,
            r#"<text x="{left}" y="{}" font-size="11">{}</text>"#,
            h - 8.0,
            first.read_at.format("%Y-%m-%d")
        );
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>"#,
            left + plot_w,
            h - 8.0,
            last.read_at.format("%Y-%m-%d")
        );
    }
    for (i, (id, (name, points))) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
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
                r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{color}"><title>{}: {v}</title></circle>"#,
                x(*t),
                y(*v),
                xml_escape(name)
            );
        }
        let ly = top + 14.0 * (i as f64 + 1.0);
        let _ = write!(
            svg,
            r#"<text x="{}" y="{ly}" font-size="11" fill="{color}">{} ({})</text>"#,
            left + plot_w + 8.0,
            xml_escape(name),
            xml_escape(id)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DeviceSerial, MeterSource};
    use crate::storage::MeterValue;

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
        let svg = meter_chart(&[read(0, 100), read(1, 200), read(2, 300)]);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }
}
