//! Supply forecasts (issue 13, part 1): days until a supply runs out (a consumed supply becomes
//! empty) or a waste receptacle becomes full, from the history of its level.
//!
//! Pure: the caller passes the points and the current time. The time only turns the date into
//! "days left": [`fit`] is the part that does not go stale (stored per supply when readings are
//! evaluated), [`Fit::at`] the forecast at a given time. The rules:
//! - A point's value is the percentage left (`level * 100 / max_capacity`) when the capacity is
//!   known, else the raw level. RFC 3805 special levels (-1 other, -2 unknown, -3 "some
//!   remaining") carry no amount and are skipped. For a receptacle the level is the space left
//!   (RFC 3805 prtMarkerSuppliesLevel; shared/printers/CONTRACT.md), so both classes run out when
//!   the value reaches 0.
//! - A rise of more than [`REPLACEMENT_JUMP`] of the scale (100 %, or the highest raw level
//!   seen) between two points is a replacement (a new cartridge, an emptied receptacle): only
//!   the points since the last replacement count. Smaller rises are noise.
//! - The rate is the least-squares slope over those points; "not enough data" until there are
//!   [`MIN_POINTS`] points spanning [`MIN_SPAN_HOURS`] hours (a partner's policy may ask for another
//!   span: `forecast_min_history_minutes`, e.g. the demo's accelerated devices).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// At least this many usable points of the current cartridge before forecasting.
pub const MIN_POINTS: usize = 3;
/// The current cartridge's points must span at least this many hours.
pub const MIN_SPAN_HOURS: i64 = 24;
/// A rise by more than this share of the scale starts a new cartridge.
pub const REPLACEMENT_JUMP: f64 = 0.10;
/// Forecasts further out than this (a near-flat slope) are reported as not decreasing.
pub const MAX_DAYS: f64 = 3650.0;

/// One reading of a supply's level, as the agent reported it (prtMarkerSupplies .8/.9).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelPoint {
    pub at: DateTime<Utc>,
    pub level: Option<i64>,
    pub max_capacity: Option<i64>,
}

impl LevelPoint {
    /// The amount left in a comparable unit (percent when the capacity is known), `None` for the
    /// special values (-1 other, -2 unknown, -3 some remaining) and missing levels.
    fn value(&self) -> Option<(f64, bool)> {
        let level = self.level.filter(|l| *l >= 0)?;
        match self.max_capacity {
            Some(max) if max > 0 => Some(((level.min(max) as f64) * 100.0 / max as f64, true)),
            _ => Some((level as f64, false)),
        }
    }
}

/// What the supply runs towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunsOut {
    /// A consumed supply (toner, ink, drum …) becomes empty.
    Empty,
    /// A receptacle (waste toner, waste ink) becomes full.
    Full,
}

impl RunsOut {
    /// From the supply's class as `printer::interpret` names it (`consumed` | `receptacle`).
    pub fn for_class(class: &str) -> Self {
        if class == "receptacle" {
            RunsOut::Full
        } else {
            RunsOut::Empty
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Forecast {
    /// Too few usable points (or too short a span) since the last replacement.
    NotEnoughData { points: usize, span_hours: i64 },
    /// The level is not falling (idle device): no date to predict.
    NotDecreasing,
    /// Runs out (`until`) on `date`, `days_left` from now (0 when the date is past).
    Predicted {
        until: RunsOut,
        days_left: f64,
        date: DateTime<Utc>,
        /// Units (percent when the capacity is known) used per day.
        rate_per_day: f64,
        /// The fitted amount left at the last point.
        level_now: f64,
    },
}

impl Forecast {
    pub fn days_left(&self) -> Option<f64> {
        match self {
            Forecast::Predicted { days_left, .. } => Some(*days_left),
            _ => None,
        }
    }
    pub fn date(&self) -> Option<DateTime<Utc>> {
        match self {
            Forecast::Predicted { date, .. } => Some(*date),
            _ => None,
        }
    }
}

/// Forecasts one supply from its level history (any order) at time `now`, with the default
/// minimum span of [`MIN_SPAN_HOURS`].
pub fn forecast(points: &[LevelPoint], until: RunsOut, now: DateTime<Utc>) -> Forecast {
    forecast_with(points, until, now, Duration::hours(MIN_SPAN_HOURS))
}

/// As [`forecast`], predicting once the current cartridge's points span at least `min_span`.
pub fn forecast_with(
    points: &[LevelPoint],
    until: RunsOut,
    now: DateTime<Utc>,
    min_span: Duration,
) -> Forecast {
    fit(points, min_span).at(until, now)
}

/// What a forecast says apart from the time it is asked at and what the supply runs towards: the
/// fit of a history does not go stale, only "days left" does. So it can be computed when readings
/// arrive, stored (`fleet_supply_forecasts`, see [`super::devices`]) and turned into a
/// [`Forecast`] at any `now` ([`Fit::at`]); `forecast_with` is exactly `fit(…).at(…)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fit {
    /// Too few usable points (or too short a span) since the last replacement.
    NotEnoughData { points: usize, span_hours: i64 },
    /// The level is not falling.
    NotDecreasing,
    /// Runs out on `date`.
    Predicted {
        date: DateTime<Utc>,
        rate_per_day: f64,
        level_now: f64,
    },
}

impl Fit {
    /// The forecast at `now` of a supply that runs out `until`: days left until the predicted
    /// date (0 when it is past).
    pub fn at(&self, until: RunsOut, now: DateTime<Utc>) -> Forecast {
        match *self {
            Fit::NotEnoughData { points, span_hours } => {
                Forecast::NotEnoughData { points, span_hours }
            }
            Fit::NotDecreasing => Forecast::NotDecreasing,
            Fit::Predicted {
                date,
                rate_per_day,
                level_now,
            } => Forecast::Predicted {
                until,
                days_left: ((date - now).num_milliseconds() as f64 / 86_400_000.0).max(0.0),
                date,
                rate_per_day,
                level_now,
            },
        }
    }
}

/// The fit of one supply's level history (any order), predicting once the current cartridge's
/// points span at least `min_span`. Depends on neither the time nor the class: see [`Fit::at`].
pub fn fit(points: &[LevelPoint], min_span: Duration) -> Fit {
    let mut usable: Vec<(DateTime<Utc>, f64, bool)> = points
        .iter()
        .filter_map(|p| p.value().map(|(v, pct)| (p.at, v, pct)))
        .collect();
    usable.sort_by_key(|(at, _, _)| *at);
    // One unit per series: when the capacity is known anywhere, keep only percentages.
    if usable.iter().any(|(_, _, pct)| *pct) {
        usable.retain(|(_, _, pct)| *pct);
    }
    let scale = if usable.first().is_some_and(|(_, _, pct)| *pct) {
        100.0
    } else {
        usable.iter().map(|(_, v, _)| *v).fold(0.0, f64::max)
    };
    let jump = scale * REPLACEMENT_JUMP;
    // The current cartridge: the points after the last rise bigger than the jump.
    let mut start = 0;
    for i in 1..usable.len() {
        if usable[i].1 - usable[i - 1].1 > jump {
            start = i;
        }
    }
    let current = &usable[start..];
    let span = match (current.first(), current.last()) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => Duration::zero(),
    };
    let span_hours = span.num_hours();
    if current.len() < MIN_POINTS || span < min_span {
        return Fit::NotEnoughData {
            points: current.len(),
            span_hours,
        };
    }
    // Least squares of value over days since the cartridge's first point.
    let t0 = current[0].0;
    let xs: Vec<f64> = current
        .iter()
        .map(|(at, _, _)| (*at - t0).num_milliseconds() as f64 / 86_400_000.0)
        .collect();
    let ys: Vec<f64> = current.iter().map(|(_, v, _)| *v).collect();
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    if sxx <= 0.0 {
        return Fit::NotEnoughData {
            points: current.len(),
            span_hours,
        };
    }
    let slope = sxy / sxx;
    let last_x = xs[xs.len() - 1];
    let level_now = (my + slope * (last_x - mx)).clamp(0.0, scale.max(0.0));
    if slope >= 0.0 || (level_now > 0.0 && level_now / -slope > MAX_DAYS) {
        return Fit::NotDecreasing;
    }
    let rate = -slope;
    let last_at = current[current.len() - 1].0;
    let days_from_last = level_now / rate;
    let date = last_at + Duration::milliseconds((days_from_last * 86_400_000.0).round() as i64);
    Fit::Predicted {
        date,
        rate_per_day: rate,
        level_now,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: f64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single().unwrap()
            + Duration::milliseconds((day * 86_400_000.0) as i64)
    }

    fn p(day: f64, level: i64) -> LevelPoint {
        LevelPoint {
            at: t(day),
            level: Some(level),
            max_capacity: Some(1000),
        }
    }

    fn predicted(f: &Forecast) -> (f64, DateTime<Utc>, f64) {
        match f {
            Forecast::Predicted {
                days_left,
                date,
                rate_per_day,
                ..
            } => (*days_left, *date, *rate_per_day),
            other => panic!("expected a prediction, got {other:?}"),
        }
    }

    #[test]
    fn steady_use_predicts_the_day_it_runs_empty() {
        // 1000 → 500 over 10 days: 5 % a day, 50 % left on day 10 → empty on day 20.
        let pts: Vec<_> = (0..=10).map(|d| p(d as f64, 1000 - 50 * d)).collect();
        let f = forecast(&pts, RunsOut::Empty, t(10.0));
        let (days, date, rate) = predicted(&f);
        assert!((rate - 5.0).abs() < 1e-9, "rate {rate}");
        assert!((days - 10.0).abs() < 1e-6, "days {days}");
        assert_eq!(date, t(20.0));
        // Asked two days later, the same date and two days fewer.
        let (later, _, _) = predicted(&forecast(&pts, RunsOut::Empty, t(12.0)));
        assert!((later - 8.0).abs() < 1e-6);
    }

    #[test]
    fn a_replacement_starts_a_new_cartridge() {
        // Old cartridge falls 10 %/day to 10 %, then a new one at 100 % falls 2 %/day.
        let mut pts: Vec<_> = (0..=9).map(|d| p(d as f64, 1000 - 100 * d)).collect();
        pts.extend((10..=15).map(|d| p(d as f64, 1000 - 20 * (d - 10))));
        let f = forecast(&pts, RunsOut::Empty, t(15.0));
        let (days, date, rate) = predicted(&f);
        assert!((rate - 2.0).abs() < 1e-9, "rate {rate}");
        // 90 % left on day 15 at 2 %/day → 45 days.
        assert!((days - 45.0).abs() < 1e-6, "days {days}");
        assert_eq!(date, t(60.0));
        // Right after the replacement there is not enough of the new cartridge yet.
        let f = forecast(&pts[..11], RunsOut::Empty, t(10.0));
        assert!(
            matches!(f, Forecast::NotEnoughData { points: 1, .. }),
            "{f:?}"
        );
    }

    #[test]
    fn special_values_are_skipped() {
        let mut pts: Vec<_> = (0..=10).map(|d| p(d as f64, 1000 - 50 * d)).collect();
        for (day, special) in [(2.5, -3), (4.5, -2), (6.5, -1)] {
            pts.push(LevelPoint {
                at: t(day),
                level: Some(special),
                max_capacity: Some(1000),
            });
        }
        pts.push(LevelPoint {
            at: t(7.5),
            level: None,
            max_capacity: Some(1000),
        });
        let (days, date, _) = predicted(&forecast(&pts, RunsOut::Empty, t(10.0)));
        assert!((days - 10.0).abs() < 1e-6);
        assert_eq!(date, t(20.0));
        // Only special values: nothing to forecast from.
        let only: Vec<_> = (0..10).map(|d| p(d as f64, -3)).collect();
        assert_eq!(
            forecast(&only, RunsOut::Empty, t(10.0)),
            Forecast::NotEnoughData {
                points: 0,
                span_hours: 0
            }
        );
    }

    #[test]
    fn noise_is_averaged_not_taken_for_replacements() {
        // 4 %/day with ±3 % noise (rises of up to 6 points are below the 10-point jump).
        let noise = [3, -3, 2, -2, 3, -3, 1, -1, 3, -3, 2, -2, 0, 3, -3, 2, -2, 1];
        let pts: Vec<_> = noise
            .iter()
            .enumerate()
            .map(|(d, n)| p(d as f64, 900 - 40 * d as i64 + 10 * n))
            .collect();
        let (days, _, rate) = predicted(&forecast(&pts, RunsOut::Empty, t(17.0)));
        assert!((rate - 4.0).abs() < 0.3, "rate {rate}");
        // True level on day 17: 90 - 68 = 22 % → about 5.5 days.
        assert!((days - 5.5).abs() < 1.0, "days {days}");
    }

    #[test]
    fn too_little_data_says_so() {
        assert!(matches!(
            forecast(&[], RunsOut::Empty, t(0.0)),
            Forecast::NotEnoughData { points: 0, .. }
        ));
        // Two points: too few.
        let two = [p(0.0, 900), p(3.0, 800)];
        assert!(matches!(
            forecast(&two, RunsOut::Empty, t(3.0)),
            Forecast::NotEnoughData { points: 2, .. }
        ));
        // Enough points, too short a span (6 hours).
        let short: Vec<_> = (0..7).map(|h| p(h as f64 / 24.0, 900 - h)).collect();
        assert!(matches!(
            forecast(&short, RunsOut::Empty, t(1.0)),
            Forecast::NotEnoughData {
                points: 7,
                span_hours: 6
            }
        ));
    }

    #[test]
    fn a_shorter_minimum_span_predicts_from_minutes_of_history() {
        // An accelerated device (the demo): 10 % per minute, read every 20 s for 2 minutes.
        let start = t(0.0);
        let fast: Vec<_> = (0..7)
            .map(|i| LevelPoint {
                at: start + Duration::seconds(20 * i),
                level: Some(900 - 33 * i),
                max_capacity: Some(1000),
            })
            .collect();
        let now = start + Duration::minutes(2);
        assert!(matches!(
            forecast(&fast, RunsOut::Empty, now),
            Forecast::NotEnoughData { points: 7, .. }
        ));
        let f = forecast_with(&fast, RunsOut::Empty, now, Duration::minutes(2));
        let (days, date, _) = predicted(&f);
        // About 70 % left at 10 % a minute: empty in about 7 minutes.
        let minutes = (date - now).num_seconds() as f64 / 60.0;
        assert!((6.0..8.0).contains(&minutes), "{minutes}");
        assert!(days < 0.01, "{days}");
        assert!(matches!(
            forecast_with(&fast[..6], RunsOut::Empty, now, Duration::minutes(2)),
            Forecast::NotEnoughData { points: 6, .. }
        ));
    }

    #[test]
    fn idle_device_is_not_decreasing() {
        let flat: Vec<_> = (0..10).map(|d| p(d as f64, 700)).collect();
        assert_eq!(
            forecast(&flat, RunsOut::Empty, t(10.0)),
            Forecast::NotDecreasing
        );
    }

    #[test]
    fn waste_receptacle_forecasts_the_day_it_is_full() {
        // Space left falls 1 %/day from 60 %: full 60 days after day 0.
        let pts: Vec<_> = (0..=20)
            .map(|d| LevelPoint {
                at: t(d as f64),
                level: Some(600 - 10 * d),
                max_capacity: Some(1000),
            })
            .collect();
        match forecast(&pts, RunsOut::for_class("receptacle"), t(20.0)) {
            Forecast::Predicted {
                until,
                days_left,
                date,
                ..
            } => {
                assert_eq!(until, RunsOut::Full);
                assert!((days_left - 40.0).abs() < 1e-6);
                assert_eq!(date, t(60.0));
            }
            other => panic!("{other:?}"),
        }
        // Emptied (space jumps back to 100 %): the forecast starts over.
        let mut emptied = pts.clone();
        emptied.push(p(21.0, 1000));
        assert!(matches!(
            forecast(&emptied, RunsOut::Full, t(21.0)),
            Forecast::NotEnoughData { points: 1, .. }
        ));
    }

    #[test]
    fn unknown_capacity_uses_the_raw_level_and_past_dates_give_zero_days() {
        let pts: Vec<_> = (0..=4)
            .map(|d| LevelPoint {
                at: t(d as f64),
                level: Some(100 - 10 * d),
                max_capacity: Some(-2),
            })
            .collect();
        // 60 units left on day 4 at 10/day → day 10; asked on day 30 → 0 days left.
        let (days, date, _) = predicted(&forecast(&pts, RunsOut::Empty, t(30.0)));
        assert_eq!(days, 0.0);
        assert_eq!(date, t(10.0));
    }
}
