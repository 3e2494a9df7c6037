//! Quantities with units as scenario files write them: data sizes (`5027783488 B`,
//! `5.03 GB`, `4.68 GiB`, `1 MiB`), bit rates (`10 Mbps`, `2.5 Mbit/s`), byte rates
//! (`500 MB/s`), durations (`90s`, `7d`, see [`crate::time::parse_duration`]), power
//! (`60 W`, `1.2 kW`) and energy (`400 Wh`).
//!
//! Decimal prefixes are powers of 1000 and binary prefixes powers of 1024, as IEC 80000-13
//! says: `5.03 GB` is 5,030,000,000 bytes and `4.68 GiB` is 5,025,111,736 bytes. A bare
//! number in a TOML file is taken in the base unit (bytes, bit/s, byte/s, seconds, W, Wh) only
//! where the field name says so; strings must carry a unit.
//!
//! Every quantity has a ceiling far above anything physical, so that sums and products of
//! them stay exact and finite: data sizes up to 1 PB ([`MAX_BYTES`]), bit rates up to
//! 1 Pbit/s, byte rates up to 1 PB/s, power up to 1 MW, energy up to 1 GWh, durations up to
//! 100 years ([`crate::time::MAX_DURATION_NS`]). Fields narrow these further with
//! [`check_range`], the one range check every scenario field uses.
//!
//! Error messages echo what the user wrote through [`quoted`]: escaped and shortened, so a
//! message stays one line of bounded length whatever the input was.

use std::fmt;
use std::ops::RangeInclusive;

use serde::{Deserialize, Deserializer};

/// User values echoed in errors are quoted by the time crate's helper, which every layer
/// shares (times are parsed below this module).
pub use crate::time::quoted;

/// A message made safe to print as one line of at most `max_chars` characters: control
/// characters escaped, the tail cut with an ellipsis. The last guard for messages that embed
/// text from elsewhere (a parser's own message, a file name).
pub fn one_line(message: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    for c in message.chars() {
        let piece: String = if c.is_control() { c.escape_debug().collect() } else { c.to_string() };
        let n = piece.chars().count();
        if count + n > max_chars.saturating_sub(1) {
            out.push('…');
            return out;
        }
        out.push_str(&piece);
        count += n;
    }
    out
}

/// A number as range errors print it: compact for huge or tiny magnitudes (`1e308`, not 309
/// digits).
pub trait RangeValue: PartialOrd + Copy {
    fn show(&self) -> String;
    /// False for infinities and NaN, which no range admits.
    fn finite(&self) -> bool {
        true
    }
}

impl RangeValue for f64 {
    fn finite(&self) -> bool {
        self.is_finite()
    }

    fn show(&self) -> String {
        let a = self.abs();
        if a == 0.0 || (1e-4..1e15).contains(&a) || !a.is_finite() { format!("{self}") } else { format!("{self:e}") }
    }
}

macro_rules! integer_range_value {
    ($($t:ty),*) => {$(
        impl RangeValue for $t {
            fn show(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
integer_range_value!(u32, u64, i64, usize);

/// The range check of every numeric scenario field: `value` must lie in `range` (a float
/// must also be finite; NaN lies in no range). The error states the range and `unit`
/// (e.g. `" km"`, `"°"`, `""`), and the caller prefixes the field path.
pub fn check_range<T: RangeValue>(value: T, range: RangeInclusive<T>, unit: &str) -> Result<T, String> {
    if value.finite() && range.contains(&value) {
        Ok(value)
    } else {
        Err(format!("{} is outside {}…{}{unit}", value.show(), range.start().show(), range.end().show()))
    }
}

/// The largest data size accepted: 1 PB.
pub const MAX_BYTES: u64 = 1_000_000_000_000_000;
/// The largest bit rate accepted: 1 Pbit/s.
pub const MAX_BIT_RATE: f64 = 1e15;
/// The largest byte rate accepted: 1 PB/s.
pub const MAX_BYTE_RATE: f64 = 1e15;
/// The largest power accepted: 1 MW.
pub const MAX_WATTS: f64 = 1e6;
/// The largest energy accepted: 1 GWh.
pub const MAX_WATT_HOURS: f64 = 1e9;

/// Why a quantity string was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} is not {what} (expected e.g. {example})", quoted(text))]
pub struct UnitError {
    pub text: String,
    pub what: &'static str,
    pub example: &'static str,
}

fn split_number(text: &str) -> Option<(f64, &str)> {
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '_'
                || ((c == 'e' || c == 'E') && i > 0)
                || ((c == '-' || c == '+') && (i == 0 || t[..i].ends_with(['e', 'E']))))
        })
        .map_or(t.len(), |(i, _)| i);
    let number: String = t[..end].chars().filter(|&c| c != '_').collect();
    let value: f64 = number.parse().ok()?;
    value.is_finite().then_some((value, t[end..].trim()))
}

fn prefix_multiplier(prefix: &str) -> Option<f64> {
    Some(match prefix {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024.0f64.powi(2),
        "Gi" => 1024.0f64.powi(3),
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        _ => return None,
    })
}

/// A whole number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub u64);

impl Bytes {
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        let err = || UnitError {
            text: text.to_string(),
            what: "a data size",
            example: "5027783488 B, 5.03 GB, 4.68 GiB, 1 MiB",
        };
        let (value, unit) = split_number(text).ok_or_else(err)?;
        let prefix = unit
            .strip_suffix("bytes")
            .or_else(|| unit.strip_suffix("byte"))
            .or_else(|| unit.strip_suffix('B'))
            .ok_or_else(err)?;
        let bytes = value * prefix_multiplier(prefix.trim()).ok_or_else(err)?;
        if bytes < 0.0 {
            return Err(UnitError { text: text.to_string(), what: "a size (it is negative)", example: "1 MiB" });
        }
        Bytes::from_base(bytes).ok_or(UnitError {
            text: text.to_string(),
            what: "a data size of at most 1 PB",
            example: "5.03 GB, 1 MiB",
        })
    }

    /// A size from a non-negative number of bytes, `None` above [`MAX_BYTES`].
    fn from_base(bytes: f64) -> Option<Self> {
        (bytes <= MAX_BYTES as f64).then(|| Bytes(bytes.round() as u64))
    }
}

impl fmt::Display for Bytes {
    /// `5.03 GB (5027783488 B)`-style: decimal units, three significant figures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0 as f64;
        let (v, u) = if b >= 1e12 {
            (b / 1e12, "TB")
        } else if b >= 1e9 {
            (b / 1e9, "GB")
        } else if b >= 1e6 {
            (b / 1e6, "MB")
        } else if b >= 1e3 {
            (b / 1e3, "kB")
        } else {
            return write!(f, "{} B", self.0);
        };
        write!(f, "{v:.3} {u}")
    }
}

/// A bit rate in bits per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct BitRate(pub f64);

impl BitRate {
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        let err =
            || UnitError { text: text.to_string(), what: "a bit rate", example: "10 Mbps, 2.5 Mbit/s, 800 kbit/s" };
        let (value, unit) = split_number(text).ok_or_else(err)?;
        let prefix = unit
            .strip_suffix("bps")
            .or_else(|| unit.strip_suffix("bit/s"))
            .or_else(|| unit.strip_suffix("b/s"))
            .ok_or_else(err)?;
        let bps = value * prefix_multiplier(prefix.trim()).ok_or_else(err)?;
        if bps < 0.0 {
            return Err(UnitError { text: text.to_string(), what: "a bit rate (it is negative)", example: "10 Mbps" });
        }
        BitRate::from_base(bps).ok_or(UnitError {
            text: text.to_string(),
            what: "a bit rate of at most 1 Pbit/s",
            example: "10 Mbps, 100 Gbps",
        })
    }

    fn from_base(bps: f64) -> Option<Self> {
        (bps <= MAX_BIT_RATE).then_some(BitRate(bps))
    }
}

/// A byte rate (throughput of on-board storage, hashing, decompression) in bytes per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct ByteRate(pub f64);

impl ByteRate {
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        let err = || UnitError { text: text.to_string(), what: "a byte rate", example: "500 MB/s, 1.2 GiB/s" };
        let (value, unit) = split_number(text).ok_or_else(err)?;
        let per_second = unit.strip_suffix("/s").ok_or_else(err)?;
        let size = Bytes::parse(&format!("{value} {per_second}")).map_err(|_| err())?;
        ByteRate::from_base(size.0 as f64).ok_or_else(err)
    }

    fn from_base(per_second: f64) -> Option<Self> {
        (per_second <= MAX_BYTE_RATE).then_some(ByteRate(per_second))
    }
}

/// Decimal prefixes that make sense for electrical units: milli to mega.
fn electrical_prefix(prefix: &str) -> Option<f64> {
    Some(match prefix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        _ => return None,
    })
}

/// Parses `"<number> <prefix><unit>"` for an electrical unit; negative values are errors.
fn parse_electrical(text: &str, unit: &str, what: &'static str, example: &'static str) -> Result<f64, UnitError> {
    let err = |what| UnitError { text: text.to_string(), what, example };
    let (value, rest) = split_number(text).ok_or_else(|| err(what))?;
    let prefix = rest.strip_suffix(unit).ok_or_else(|| err(what))?;
    let value = value * electrical_prefix(prefix.trim()).ok_or_else(|| err(what))?;
    if value < 0.0 {
        return Err(err(match unit {
            "W" => "a power (it is negative)",
            _ => "an energy (it is negative)",
        }));
    }
    Ok(value)
}

/// Power in watts, written `"60 W"`, `"1.2 kW"` (prefixes m, k, M).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Watts(pub f64);

impl Watts {
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        let w = parse_electrical(text, "W", "a power", "60 W, 1.2 kW")?;
        Watts::from_base(w).ok_or(UnitError {
            text: text.to_string(),
            what: "a power of at most 1 MW",
            example: "60 W",
        })
    }

    fn from_base(w: f64) -> Option<Self> {
        (w <= MAX_WATTS).then_some(Watts(w))
    }
}

/// Energy in watt-hours, written `"400 Wh"`, `"1.2 kWh"` (prefixes m, k, M).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct WattHours(pub f64);

impl WattHours {
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        let wh = parse_electrical(text, "Wh", "an energy", "400 Wh, 1.2 kWh")?;
        WattHours::from_base(wh).ok_or(UnitError {
            text: text.to_string(),
            what: "an energy of at most 1 GWh",
            example: "400 Wh",
        })
    }

    fn from_base(wh: f64) -> Option<Self> {
        (wh <= MAX_WATT_HOURS).then_some(WattHours(wh))
    }
}

/// A duration in nanoseconds, written `90s`, `30m`, `12h`, `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub i64);

impl Duration {
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        crate::time::parse_duration(text).map(Duration).map_err(|e| UnitError {
            text: text.to_string(),
            what: match e {
                crate::time::TimeError::NegativeDuration(_) => "a duration (it is negative)",
                crate::time::TimeError::DurationTooLong(_) => "a duration of at most 100 years",
                _ => "a duration",
            },
            example: "90s, 30m, 12h, 7d",
        })
    }

    fn from_base(seconds: f64) -> Option<Self> {
        let ns = seconds * 1e9;
        (ns <= crate::time::MAX_DURATION_NS as f64).then(|| Duration(ns.round() as i64))
    }

    pub fn seconds(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

/// Deserialises from a string with a unit, or a bare non-negative number in the base unit
/// (within the same ceiling as the string form).
macro_rules! deserialize_quantity {
    ($ty:ident, $ceiling:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    Int(i64),
                    Float(f64),
                    Text(String),
                }
                let number = |v: f64| -> Result<Self, D::Error> {
                    if !v.is_finite() || v < 0.0 {
                        return Err(serde::de::Error::custom(format!("{} must be a non-negative number", v.show())));
                    }
                    $ty::from_base(v).ok_or_else(|| {
                        serde::de::Error::custom(format!("{} is more than the {} supported", v.show(), $ceiling))
                    })
                };
                match Raw::deserialize(d)? {
                    Raw::Int(v) => number(v as f64),
                    Raw::Float(v) => number(v),
                    Raw::Text(t) => $ty::parse(&t).map_err(serde::de::Error::custom),
                }
            }
        }
    };
}

deserialize_quantity!(Bytes, "1 PB");
deserialize_quantity!(BitRate, "1 Pbit/s");
deserialize_quantity!(ByteRate, "1 PB/s");
deserialize_quantity!(Duration, "100 years");
deserialize_quantity!(Watts, "1 MW");
deserialize_quantity!(WattHours, "1 GWh");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_and_energy() {
        assert_eq!(Watts::parse("60 W").unwrap(), Watts(60.0));
        assert_eq!(Watts::parse("1.5kW").unwrap(), Watts(1500.0));
        assert_eq!(Watts::parse("250 mW").unwrap(), Watts(0.25));
        assert_eq!(WattHours::parse("400 Wh").unwrap(), WattHours(400.0));
        assert_eq!(WattHours::parse("2 kWh").unwrap(), WattHours(2000.0));
        assert_eq!(Watts::parse("-5 W").unwrap_err().what, "a power (it is negative)");
        for bad in ["", "W", "5", "5 Wh", "five W", "5 GW", "5 KiW"] {
            assert!(Watts::parse(bad).is_err(), "{bad}");
        }
        assert!(WattHours::parse("5 W").is_err());
        #[derive(serde::Deserialize)]
        struct Load {
            power: Watts,
            battery: WattHours,
        }
        let load: Load = toml::from_str("power = 60\nbattery = \"1.2 kWh\"").unwrap();
        assert_eq!((load.power, load.battery), (Watts(60.0), WattHours(1200.0)));
        assert!(toml::from_str::<Load>("power = -1\nbattery = 1").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(Bytes::parse("5027783488 B").unwrap(), Bytes(5_027_783_488));
        assert_eq!(Bytes::parse("5.03 GB").unwrap(), Bytes(5_030_000_000));
        assert_eq!(Bytes::parse("4.68 GiB").unwrap(), Bytes(5_025_111_736));
        assert_eq!(Bytes::parse("1 MiB").unwrap(), Bytes(1_048_576));
        assert_eq!(Bytes::parse("64B").unwrap(), Bytes(64));
        assert_eq!(Bytes::parse("2 kB").unwrap(), Bytes(2000));
        assert_eq!(Bytes::parse("1_000 bytes").unwrap(), Bytes(1000));
        for bad in ["", "5", "5 GQ", "five GB", "GB", "-1 MB", "1e30 B", "1.1 PB", "18446744073709551615 B"] {
            assert!(Bytes::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(BitRate::parse("10 Mbps").unwrap(), BitRate(1e7));
        assert_eq!(BitRate::parse("2.5 Mbit/s").unwrap(), BitRate(2.5e6));
        assert_eq!(BitRate::parse("800 kbit/s").unwrap(), BitRate(8e5));
        assert!(BitRate::parse("10 MB/s").is_err());
        assert_eq!(ByteRate::parse("500 MB/s").unwrap(), ByteRate(5e8));
        assert_eq!(ByteRate::parse("1 GiB/s").unwrap(), ByteRate(1_073_741_824.0));
        assert!(ByteRate::parse("500 Mbps").is_err());
    }

    #[test]
    fn from_toml() {
        #[derive(Deserialize)]
        struct T {
            a: Bytes,
            b: Bytes,
            c: Duration,
            d: BitRate,
        }
        let t: T = toml::from_str("a = 1024\nb = \"4 MiB\"\nc = \"2m\"\nd = \"1 Mbps\"").unwrap();
        assert_eq!((t.a, t.b, t.c, t.d), (Bytes(1024), Bytes(4 << 20), Duration(120_000_000_000), BitRate(1e6)));
        assert!(toml::from_str::<T>("a = -1\nb = \"1 B\"\nc = \"1s\"\nd = \"1 bps\"").is_err());
        for bare in ["a = 18446744073709551615", "a = 1e300", "a = inf", "a = nan"] {
            let text = format!("{bare}\nb = \"1 B\"\nc = \"1s\"\nd = \"1 bps\"");
            assert!(toml::from_str::<T>(&text).is_err(), "{bare}");
        }
        let text = "a = 1\nb = \"1 B\"\nc = 1e300\nd = \"1 bps\"";
        assert!(toml::from_str::<T>(text).is_err());
    }

    #[test]
    fn magnitudes_above_the_ceilings_are_rejected() {
        assert!(Watts::parse("1e300 W").is_err() && Watts::parse("1 MW").is_ok());
        assert!(WattHours::parse("2000 MWh").is_err() && WattHours::parse("400 Wh").is_ok());
        assert!(BitRate::parse("2 Pbps").is_err() && BitRate::parse("100 Gbps").is_ok());
        assert!(ByteRate::parse("2 PB/s").is_err());
        assert!(Duration::parse("101 weeks").is_ok() && Duration::parse("36600d").is_err());
    }

    #[test]
    fn echoed_values_are_one_short_line() {
        assert_eq!(quoted("a\nb\r"), "`a\\nb\\r`");
        let long = "x".repeat(15_000);
        assert_eq!(quoted(&long).chars().count(), 40 + 3);
        let e = Bytes::parse(&format!("{long}\n GB")).unwrap_err().to_string();
        assert!(!e.contains('\n') && e.len() < 200, "{e}");
        assert_eq!(one_line("a\nb", 300), "a\\nb");
        assert_eq!(one_line(&long, 10).chars().count(), 10);
    }

    #[test]
    fn range_check_states_the_range_compactly() {
        assert_eq!(check_range(5.0, 0.0..=10.0, " km"), Ok(5.0));
        assert_eq!(check_range(1e308, 0.0..=10.0, " km").unwrap_err(), "1e308 is outside 0…10 km");
        assert!(check_range(f64::NAN, 0.0..=10.0, "").is_err());
        assert!(check_range(f64::INFINITY, 0.0..=f64::MAX, "").is_err());
        assert_eq!(check_range(0u32, 1..=4, "").unwrap_err(), "0 is outside 1…4");
    }
}
