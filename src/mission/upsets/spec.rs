//! The scenario sections of the upsets model: `[upsets]`, the environment and the memory's
//! protection (written and validated by [`crate::access::radiation`]), and `[scrub]`, how
//! the satellites find and handle corrupted chunks.

use serde::Deserialize;

use crate::access::radiation::{self, UpsetEnvironment, UpsetSpec};
use crate::mission::FieldError;
use crate::units::Duration;

/// What a satellite holding a detected, unrepaired corrupted chunk does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServicePolicy {
    /// It answers nothing until the chunk is repaired.
    #[default]
    StopServing,
    /// It keeps answering, and its answers are marked degraded.
    Degraded,
}

impl ServicePolicy {
    pub fn name(self) -> &'static str {
        match self {
            ServicePolicy::StopServing => "stop-serving",
            ServicePolicy::Degraded => "degraded",
        }
    }
}

/// The `[scrub]` section as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrubSpec {
    /// Every chunk is read and its hash checked once per period.
    pub period: Duration,
    #[serde(default)]
    pub policy: ServicePolicy,
}

/// `[upsets]` and `[scrub]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct UpsetConfig {
    pub environment: UpsetEnvironment,
    pub scrub_period_ns: i64,
    pub policy: ServicePolicy,
}

/// Validates the two sections: `[scrub]` is required with `[upsets]`, and means nothing
/// without it.
pub fn validate(upsets: Option<&UpsetSpec>, scrub: Option<&ScrubSpec>) -> Result<Option<UpsetConfig>, FieldError> {
    let Some(spec) = upsets else {
        return match scrub {
            Some(_) => Err(FieldError::new("scrub", "needs an [upsets] section (the scrubber finds upsets)")),
            None => Ok(None),
        };
    };
    let environment = radiation::validate(spec, "upsets").map_err(|e| FieldError::new(e.path, e.message))?;
    let Some(scrub) = scrub else {
        return Err(FieldError::new("scrub", "is required with [upsets]: give its period (e.g. period = \"1h\")"));
    };
    if scrub.period.0 <= 0 {
        return Err(FieldError::new("scrub.period", "must be longer than zero"));
    }
    Ok(Some(UpsetConfig { environment, scrub_period_ns: scrub.period.0, policy: scrub.policy }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(text: &str) -> ScrubSpec {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn scrub_reads_with_its_default_policy() {
        let s = scrub("period = \"6h\"");
        assert_eq!((s.period.0, s.policy), (6 * 3_600_000_000_000, ServicePolicy::StopServing));
        assert_eq!(scrub("period = \"1h\"\npolicy = \"degraded\"").policy, ServicePolicy::Degraded);
        let unknown = toml::from_str::<ScrubSpec>("period = \"1h\"\npolicy = \"ignore\"").unwrap_err();
        assert!(unknown.to_string().contains("unknown variant"), "{unknown}");
    }

    #[test]
    fn sections_are_checked_together() {
        let upsets = UpsetSpec::default();
        assert_eq!(validate(None, None), Ok(None));
        let config = validate(Some(&upsets), Some(&scrub("period = \"1h\""))).unwrap().unwrap();
        assert_eq!(config.scrub_period_ns, 3_600_000_000_000);
        let error = |u: Option<&UpsetSpec>, s: Option<&ScrubSpec>| validate(u, s).unwrap_err().to_string();
        assert!(error(Some(&upsets), None).starts_with("scrub: is required with [upsets]"));
        assert!(error(None, Some(&scrub("period = \"1h\""))).starts_with("scrub: needs an [upsets] section"));
        assert_eq!(error(Some(&upsets), Some(&scrub("period = \"0s\""))), "scrub.period: must be longer than zero");
        let negative = UpsetSpec { rate_per_bit_day: -1.0, ..UpsetSpec::default() };
        assert!(error(Some(&negative), Some(&scrub("period = \"1h\""))).starts_with("upsets.rate_per_bit_day:"));
    }
}
