//! Living data (`device serve --simulate-usage`): every tick some pages print, so counters rise,
//! toner falls and waste receptacles fill, and meter submissions and low-supply states change over
//! time. Only values the recording has are changed, each keeping its SNMP type; special levels
//! (-1 other, -2 unknown, -3 some remaining) stay as they are. A seed makes a run repeatable.
//!
//! Per tick: 1 to 20 pages, some of them colour on a colour device.
//! - prtMarkerLifeCount and prtMarkerPowerOnCount rise by the pages.
//! - Xerox lifetime billing meters (1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.N): total (1) by the pages,
//!   black (34) and colour (33) by their share, so total = black + colour stays true when it was;
//!   printed black (7) and colour (29) likewise.
//! - sysUpTime advances by the interval.
//! - prtMarkerSuppliesLevel: black toner falls with every page, colour toners with colour pages (a
//!   full cartridge lasts about 2000 of its pages); supplies without a colorant (drums, fuser,
//!   waste toner container, whose level is the remaining space) about 20000 pages. Never below 0.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use printer::snmp::{Oid, Value};

use crate::mib::Mib;

const LIFE_COUNT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1];
const POWER_ON_COUNT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 5, 1, 1];
const SYS_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const XEROX_LIFETIME: &[u32] = &[1, 3, 6, 1, 4, 1, 253, 8, 53, 13, 2, 1, 6, 1, 20];
const SUPPLIES: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1];
const COLORANT_VALUE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 12, 1, 1, 4];
const COL_COLORANT: u32 = 3;
const COL_MAX: u32 = 8;
const COL_LEVEL: u32 = 9;
const TONER_LIFE_PAGES: f64 = 2000.0;
const PART_LIFE_PAGES: f64 = 20000.0;

/// A tiny xorshift64 generator: deterministic for a seed, no dependency.
#[derive(Debug, Clone)]
pub struct XorShift64(u64);

impl XorShift64 {
    pub fn new(seed: u64) -> Self {
        // xorshift must not start at 0; mix the seed so nearby seeds diverge at once.
        let s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        Self(if s == 0 { 0x2545_F491_4F6C_DD1D } else { s })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn fraction(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What one tick printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    pub pages: u32,
    pub black: u32,
    pub colour: u32,
}

/// The usage simulation's state.
#[derive(Debug, Clone)]
pub struct Simulation {
    rng: XorShift64,
    interval: Duration,
}

/// Adds `delta` keeping the value's type: counters wrap as SNMP counters do, gauges and integers
/// saturate, and nothing goes below 0.
fn add(value: &Value, delta: i64) -> Option<Value> {
    let clamp_u32 = |v: i64| u32::try_from(v.clamp(0, i64::from(u32::MAX))).unwrap_or(u32::MAX);
    Some(match value {
        Value::Integer(v) => {
            let n = (i64::from(*v) + delta).clamp(0, i64::from(i32::MAX));
            Value::Integer(i32::try_from(n).unwrap_or(i32::MAX))
        }
        Value::Counter32(v) => Value::Counter32(v.wrapping_add(clamp_u32(delta))),
        Value::Gauge32(v) => Value::Gauge32(clamp_u32(i64::from(*v) + delta)),
        Value::TimeTicks(v) => Value::TimeTicks(v.wrapping_add(clamp_u32(delta))),
        Value::Counter64(v) => Value::Counter64(v.wrapping_add(delta.max(0).unsigned_abs())),
        _ => return None,
    })
}

fn bump(m: &mut BTreeMap<Oid, Value>, oid: &Oid, delta: i64) {
    if let Some(v) = m.get_mut(oid)
        && let Some(new) = add(v, delta)
    {
        *v = new;
    }
}

fn arcs(a: &[u32]) -> Option<Oid> {
    Oid::from_arcs(a.to_vec()).ok()
}

impl Simulation {
    pub fn new(seed: u64, interval: Duration) -> Self {
        Self {
            rng: XorShift64::new(seed),
            interval,
        }
    }

    /// Whole units used for `amount` (the fraction decided at random, so small rates still move).
    fn units(&mut self, amount: f64) -> i64 {
        let whole = amount.floor();
        let extra = if self.rng.fraction() < amount - whole {
            1
        } else {
            0
        };
        whole as i64 + extra
    }

    /// One tick of printing.
    pub fn step(&mut self, mib: &Mib) -> Tick {
        mib.update(|m| self.step_in(m))
    }

    fn step_in(&mut self, m: &mut BTreeMap<Oid, Value>) -> Tick {
        let (Some(colorants), Some(supplies), Some(xerox)) =
            (arcs(COLORANT_VALUE), arcs(SUPPLIES), arcs(XEROX_LIFETIME))
        else {
            return Tick {
                pages: 0,
                black: 0,
                colour: 0,
            };
        };
        let colour_name = |m: &BTreeMap<Oid, Value>, key: &Oid| -> Option<String> {
            m.get(key)
                .and_then(Value::as_bytes)
                .map(|b| String::from_utf8_lossy(b).trim().to_ascii_lowercase())
        };
        let has_colour = m.contains_key(&xerox.child(&[33]))
            || m.range(colorants.clone()..)
                .take_while(|(k, _)| k.starts_with(&colorants))
                .any(|(k, _)| colour_name(m, k).is_some_and(|c| c != "black"));

        let pages = 1 + self.rng.below(20) as u32;
        let colour = if has_colour {
            self.rng.below(u64::from(pages) + 1) as u32
        } else {
            0
        };
        let black = pages - colour;
        let (p, b, c) = (i64::from(pages), i64::from(black), i64::from(colour));

        for (oid, delta) in [
            (arcs(LIFE_COUNT), p),
            (arcs(POWER_ON_COUNT), p),
            (Some(xerox.child(&[1])), p),
            (Some(xerox.child(&[34])), b),
            (Some(xerox.child(&[33])), c),
            (Some(xerox.child(&[7])), b),
            (Some(xerox.child(&[29])), c),
        ] {
            if let Some(oid) = oid {
                bump(m, &oid, delta);
            }
        }
        if let Some(up) = arcs(SYS_UPTIME) {
            let hundredths = i64::try_from(self.interval.as_millis() / 10).unwrap_or(i64::MAX);
            bump(m, &up, hundredths);
        }

        let level_col = supplies.child(&[COL_LEVEL]);
        let rows: Vec<Vec<u32>> = m
            .range(level_col.clone()..)
            .take_while(|(k, _)| k.starts_with(&level_col))
            .filter_map(|(k, _)| k.suffix_after(&level_col).map(<[u32]>::to_vec))
            .collect();
        for row in rows {
            let level_oid = level_col.child(&row);
            let level = m.get(&level_oid).and_then(Value::as_i64).unwrap_or(-1);
            let max = m
                .get(&supplies.child(&[COL_MAX]).child(&row))
                .and_then(Value::as_i64)
                .unwrap_or(-1);
            if level <= 0 || max <= 0 {
                continue;
            }
            let colorant_index = m
                .get(&supplies.child(&[COL_COLORANT]).child(&row))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let colorant = row.first().and_then(|dev| {
                u32::try_from(colorant_index)
                    .ok()
                    .filter(|i| *i > 0)
                    .and_then(|i| colour_name(m, &colorants.child(&[*dev, i])))
            });
            let (relevant, life) = match colorant.as_deref() {
                Some("black") => (p, TONER_LIFE_PAGES),
                Some(_) => (c, TONER_LIFE_PAGES),
                None => (p, PART_LIFE_PAGES),
            };
            let used = self.units(relevant as f64 * max as f64 / life);
            if used > 0 {
                bump(m, &level_oid, -used.min(level));
            }
        }
        Tick {
            pages,
            black,
            colour,
        }
    }
}

/// Runs the simulation on `mib` every `interval` (at least 10 ms) until the task is aborted.
pub fn spawn(mib: Arc<Mib>, interval: Duration, seed: u64) -> tokio::task::JoinHandle<()> {
    let interval = interval.max(Duration::from_millis(10));
    tokio::spawn(async move {
        let mut sim = Simulation::new(seed, interval);
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let tick = sim.step(&mib);
            tracing::debug!(
                pages = tick.pages,
                colour = tick.colour,
                "simulated printing"
            );
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use printer::snmp::oid;

    fn fixture(name: &str) -> Mib {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(name);
        Mib::new(printer::snmprec::read_file(&path).unwrap())
    }

    fn int(m: &Mib, o: &str) -> i64 {
        m.get(&oid(o)).as_i64().unwrap()
    }

    const TOTAL: &str = "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.1";
    const BLACK: &str = "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.34";
    const COLOUR: &str = "1.3.6.1.4.1.253.8.53.13.2.1.6.1.20.33";
    const LIFE: &str = "1.3.6.1.2.1.43.10.2.1.4.1.1";
    const LEVEL: &str = "1.3.6.1.2.1.43.11.1.1.9.1.";

    #[test]
    fn pages_raise_counters_consistently_and_keep_types() {
        let m = fixture("xerox-altalink-c8055-meters.snmprec");
        let before = m.snapshot();
        let (life0, total0) = (int(&m, LIFE), int(&m, TOTAL));
        let mut sim = Simulation::new(7, Duration::from_secs(5));
        let mut printed = 0i64;
        for _ in 0..50 {
            let t = sim.step(&m);
            assert_eq!(t.black + t.colour, t.pages);
            assert!((1..=20).contains(&t.pages));
            printed += i64::from(t.pages);
            assert_eq!(int(&m, TOTAL), int(&m, BLACK) + int(&m, COLOUR));
        }
        assert_eq!(int(&m, LIFE), life0 + printed);
        assert_eq!(int(&m, TOTAL), total0 + printed);
        assert_eq!(
            int(&m, "1.3.6.1.2.1.1.3.0"),
            9_123_456 + 50 * 500,
            "sysUpTime advances by the interval"
        );
        let after = m.snapshot();
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b.oid, a.oid);
            assert_eq!(b.value.type_name(), a.value.type_name(), "{}", b.oid);
        }
    }

    #[test]
    fn levels_fall_never_below_zero_and_specials_stay() {
        let m = fixture("xerox-altalink-c8055-meters.snmprec");
        let mut sim = Simulation::new(1, Duration::from_secs(5));
        let mut previous: Vec<i64> = (1..=12).map(|i| int(&m, &format!("{LEVEL}{i}"))).collect();
        for _ in 0..3000 {
            sim.step(&m);
            let now: Vec<i64> = (1..=12).map(|i| int(&m, &format!("{LEVEL}{i}"))).collect();
            for (p, n) in previous.iter().zip(&now) {
                assert!(n <= p && *n >= 0, "{p} -> {n}");
            }
            previous = now;
        }
        // Black toner (index 1) and the waste container's remaining space (10) ran out.
        assert_eq!(int(&m, &format!("{LEVEL}1")), 0);
        assert_eq!(int(&m, &format!("{LEVEL}10")), 0);

        let special = fixture("special-values.snmprec");
        let before = special.snapshot();
        let mut sim = Simulation::new(1, Duration::from_secs(5));
        for _ in 0..20 {
            sim.step(&special);
        }
        for i in 1..=6 {
            let o = oid(&format!("{LEVEL}{i}"));
            let was = before.iter().find(|vb| vb.oid == o).unwrap();
            assert_eq!(special.get(&o), was.value, "level {i} must not move");
        }
        assert!(
            int(&special, &format!("{LEVEL}7")) < 400,
            "staples are used"
        );
    }

    #[test]
    fn same_seed_same_run_other_seed_other_run() {
        let run = |seed| {
            let m = fixture("xerox-altalink-c8055-meters.snmprec");
            let mut sim = Simulation::new(seed, Duration::from_secs(1));
            for _ in 0..20 {
                sim.step(&m);
            }
            m.snapshot()
        };
        assert_eq!(run(42), run(42));
        assert_ne!(run(42), run(43));
    }

    #[tokio::test(start_paused = true)]
    async fn spawn_ticks_on_its_interval() {
        let m = Arc::new(fixture("xerox-altalink-c8055-meters.snmprec"));
        let life0 = int(&m, LIFE);
        let task = spawn(m.clone(), Duration::from_secs(5), 3);
        tokio::time::sleep(Duration::from_millis(4900)).await;
        assert_eq!(int(&m, LIFE), life0, "nothing before the first interval");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(int(&m, LIFE) > life0);
        task.abort();
    }
}
