//! Quantities with units as scenario files write them: data sizes (`5027783488 B`,
//! `5.03 GB`, `4.68 GiB`, `1 MiB`), bit rates (`10 Mbps`, `2.5 Mbit/s`), byte rates
//! (`500 MB/s`), durations (`90s`, `7d`, see [`crate::time::parse_duration`]), power
//! (`60 W`, `1.2 kW`) and energy (`400 Wh`).
//!
//! Decimal prefixes are powers of 1000 and binary prefixes powers of 1024, as IEC 80000-13
//! says: `5.03 GB` is 5,030,000,000 bytes and `4.68 GiB` is 5,025,111,736 bytes. A bare
//! number in a TOML file is taken in the base unit (bytes, bit/s, byte/s, seconds, W, Wh) only
//! where the field name says so; strings must carry a unit.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// Why a quantity string was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{text}` is not {what} (expected e.g. {example})")]
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
        if bytes > 9.0e18 {
            return Err(err());
        }
        Ok(Bytes(bytes.round() as u64))
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
        Ok(BitRate(bps))
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
        Ok(ByteRate(size.0 as f64))
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
        parse_electrical(text, "W", "a power", "60 W, 1.2 kW").map(Watts)
    }
}

/// Energy in watt-hours, written `"400 Wh"`, `"1.2 kWh"` (prefixes m, k, M).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct WattHours(pub f64);

impl WattHours {
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        parse_electrical(text, "Wh", "an energy", "400 Wh, 1.2 kWh").map(WattHours)
    }
}

/// A duration in nanoseconds, written `90s`, `30m`, `12h`, `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub i64);

impl Duration {
    pub fn parse(text: &str) -> Result<Self, UnitError> {
        crate::time::parse_duration(text).map(Duration).map_err(|e| UnitError {
            text: text.to_string(),
            what: if matches!(e, crate::time::TimeError::NegativeDuration(_)) {
                "a duration (it is negative)"
            } else {
                "a duration"
            },
            example: "90s, 30m, 12h, 7d",
        })
    }

    pub fn seconds(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

/// Deserialises from a string with a unit, or a bare non-negative number in the base unit.
macro_rules! deserialize_quantity {
    ($ty:ident, $from_number:expr) => {
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
                        return Err(serde::de::Error::custom(format!("{v} must be a non-negative number")));
                    }
                    Ok($from_number(v))
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

deserialize_quantity!(Bytes, |v: f64| Bytes(v.round() as u64));
deserialize_quantity!(BitRate, BitRate);
deserialize_quantity!(ByteRate, ByteRate);
deserialize_quantity!(Duration, |v: f64| Duration((v * 1e9).round() as i64));
deserialize_quantity!(Watts, Watts);
deserialize_quantity!(WattHours, WattHours);

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
        for bad in ["", "5", "5 GQ", "five GB", "GB", "-1 MB", "1e30 B"] {
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
    }
}
