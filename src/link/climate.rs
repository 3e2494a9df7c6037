//! Per-site climate inputs for the ITU-R attenuation method, read from a compact global grid.
//!
//! The full ITU-R maps behind the `itur` package are about 170 MB. The slant-path method
//! (see [`super::atmosphere`]) needs only nine numbers per site, all at the 1 % time
//! percentage, so `data/atmosphere/itur_climate_grid.bin` (≈ 455 KiB, generated from `itur`
//! 0.4.0 by `tools/fixtures/itur_atmosphere.py`; format in `data/atmosphere/README.md`)
//! samples them on a 0.75° (rain rate) and 1.5° (everything else) grid, read here with
//! bilinear interpolation. The interpolation is the main approximation of the atmosphere
//! model: at the validation stations it moves the rain rate by about 2 %.

use std::sync::OnceLock;

use super::LinkError;

const GRID_BYTES: &[u8] = include_bytes!("../../data/atmosphere/itur_climate_grid.bin");

/// A ground site: geodetic latitude and longitude in degrees (east positive), height above
/// mean sea level in kilometres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Site {
    /// Geodetic latitude, degrees north.
    pub lat_deg: f64,
    /// Longitude, degrees east (any range; wrapped).
    pub lon_deg: f64,
    /// Height above mean sea level, km.
    pub alt_km: f64,
}

impl Site {
    /// A site from latitude and longitude (degrees) and height (km).
    pub fn new(lat_deg: f64, lon_deg: f64, alt_km: f64) -> Self {
        Site { lat_deg, lon_deg, alt_km }
    }

    /// Checks the site is on Earth and below 8 km (the water-vapour and pressure models
    /// assume a surface station); `path` names the site in errors.
    pub fn validate(&self, path: &str) -> Result<(), LinkError> {
        let bad = |field: &str, message: &str| Err(LinkError::invalid(format!("{path}.{field}"), message));
        if !(self.lat_deg.is_finite() && (-90.0..=90.0).contains(&self.lat_deg)) {
            return bad("lat_deg", "must be between -90 and 90");
        }
        if !self.lon_deg.is_finite() {
            return bad("lon_deg", "must be a finite number");
        }
        if !(self.alt_km.is_finite() && (-0.5..=8.0).contains(&self.alt_km)) {
            return bad("alt_km", "must be between -0.5 and 8 km");
        }
        Ok(())
    }
}

/// The climate numbers the attenuation formulas take at one site, with the ITU-R
/// recommendation that defines each. Statistics are "exceeded for 1 % of an average year"
/// unless said otherwise: P.618-13 uses 1 % for gases and clouds whenever p ≤ 1 %.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteClimate {
    /// Rain rate exceeded 0.01 % of the year, mm/h (P.837-7).
    pub r001_mm_per_h: f64,
    /// Rain height: 0 °C isotherm + 0.36 km, km above sea level (P.839-4).
    pub rain_height_km: f64,
    /// Annual mean surface temperature, K (P.1510-1).
    pub temperature_k: f64,
    /// Surface pressure from the standard atmosphere at the site's height, hPa (P.835-6).
    pub pressure_hpa: f64,
    /// Surface water-vapour density at the site's height, g/m³ (P.836-6).
    pub rho_g_per_m3: f64,
    /// Integrated water-vapour content above the site, kg/m² (P.836-6).
    pub vapour_kg_per_m2: f64,
    /// Total columnar content of cloud liquid water reduced to 0 °C, kg/m² (P.840-7).
    pub lred_kg_per_m2: f64,
    /// Wet term of the surface refractivity exceeded 50 % of the year, N-units (P.453-13).
    pub nwet_50: f64,
    /// Probability of a non-zero cloud liquid-water column, percent (P.840-7 log-normal
    /// coefficient Pclw); the basis of the optical cloud-blockage probability.
    pub cloud_liquid_probability_percent: f64,
}

impl SiteClimate {
    /// Interpolates the committed climate grid at `site`. Water vapour is scaled from sea
    /// level to the site's height with the P.836-6 scale height, as itur does per map node.
    pub fn at(site: &Site) -> SiteClimate {
        let g = grid();
        let (lat, lon) = (site.lat_deg, site.lon_deg);
        let scale_height = g.value(Field::VapourScaleHeight, lat, lon);
        let height_factor = (-site.alt_km / scale_height).exp();
        SiteClimate {
            r001_mm_per_h: g.value(Field::R001, lat, lon),
            rain_height_km: g.value(Field::RainHeight, lat, lon),
            temperature_k: g.value(Field::Temperature, lat, lon),
            pressure_hpa: standard_pressure_hpa(site.alt_km),
            rho_g_per_m3: g.value(Field::Rho0, lat, lon) * height_factor,
            vapour_kg_per_m2: g.value(Field::Vapour0, lat, lon) * height_factor,
            lred_kg_per_m2: g.value(Field::Lred, lat, lon),
            nwet_50: g.value(Field::Nwet50, lat, lon),
            cloud_liquid_probability_percent: g.value(Field::CloudLiquidProbability, lat, lon),
        }
    }

    /// Probability, 0–1, that a cloud blocks an optical ground link at this site at a
    /// random instant.
    ///
    /// Derivation: optical links do not fade gracefully in cloud, they break: a liquid
    /// water path of 0.01 kg/m² already has an optical depth near 1.5 (≈ 6.5 dB) at
    /// 1.55 µm, and thicker clouds block completely. The probability of any liquid cloud
    /// in the column is the P.840-7 coefficient Pclw, which is what this returns. It
    /// counts liquid water only: thin ice cloud (cirrus) also degrades lasers, so this is a
    /// lower bound on blockage (Chengdu ≈ 0.61, Singapore ≈ 0.82, Svalbard ≈ 0.41,
    /// Kashgar ≈ 0.15). It is a zenith, whole-year figure: no elevation or seasonal
    /// dependence.
    pub fn cloud_blockage_probability(&self) -> f64 {
        (self.cloud_liquid_probability_percent / 100.0).clamp(0.0, 1.0)
    }
}

/// Pressure of the ITU-R P.835-6 mean annual global reference atmosphere at `alt_km`
/// (valid in the troposphere, below 11 km geopotential height), hPa.
pub fn standard_pressure_hpa(alt_km: f64) -> f64 {
    let h_p = 6356.766 * alt_km / (6356.766 + alt_km);
    1013.25 * (288.15 / (288.15 - 6.5 * h_p)).powf(-34.1632 / 6.5)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    R001,
    RainHeight,
    Temperature,
    Rho0,
    Vapour0,
    VapourScaleHeight,
    Lred,
    Nwet50,
    CloudLiquidProbability,
}

const FIELD_NAMES: [(&str, Field); 9] = [
    ("r001_mm_per_h", Field::R001),
    ("rain_height_km", Field::RainHeight),
    ("temperature_k", Field::Temperature),
    ("rho0_g_per_m3", Field::Rho0),
    ("vapour0_kg_per_m2", Field::Vapour0),
    ("vapour_scale_height_km", Field::VapourScaleHeight),
    ("lred_kg_per_m2", Field::Lred),
    ("nwet_50", Field::Nwet50),
    ("cloud_liquid_probability_percent", Field::CloudLiquidProbability),
];

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Linear,
    Log,
    Sqrt,
}

struct GridField {
    field: Field,
    wide: bool,
    encoding: Encoding,
    offset: f64,
    scale: f64,
    lat0: f64,
    dlat: f64,
    nlat: usize,
    lon0: f64,
    dlon: f64,
    nlon: usize,
    data: &'static [u8],
}

impl GridField {
    fn node(&self, i: usize, j: usize) -> f64 {
        let k = i * self.nlon + j;
        let q = if self.wide {
            u16::from_le_bytes([self.data[2 * k], self.data[2 * k + 1]]) as f64
        } else {
            self.data[k] as f64
        };
        let x = self.offset + self.scale * q;
        match self.encoding {
            Encoding::Linear => x,
            Encoding::Log => x.exp(),
            Encoding::Sqrt => x * x,
        }
    }

    /// Bilinear interpolation between the four surrounding nodes (the generator's
    /// `bilinear`, operation for operation).
    fn interpolate(&self, lat_deg: f64, lon_deg: f64) -> f64 {
        let fi = ((lat_deg - self.lat0) / self.dlat).clamp(0.0, (self.nlat - 1) as f64);
        let lon = (lon_deg + 180.0).rem_euclid(360.0) - 180.0;
        let fj = ((lon - self.lon0) / self.dlon).clamp(0.0, (self.nlon - 1) as f64);
        let i = (fi.floor() as usize).min(self.nlat - 2);
        let j = (fj.floor() as usize).min(self.nlon - 2);
        let (u, w) = (fi - i as f64, fj - j as f64);
        self.node(i, j) * (1.0 - u) * (1.0 - w)
            + self.node(i + 1, j) * u * (1.0 - w)
            + self.node(i, j + 1) * (1.0 - u) * w
            + self.node(i + 1, j + 1) * u * w
    }
}

struct ClimateGrid {
    fields: Vec<GridField>,
}

impl ClimateGrid {
    fn value(&self, field: Field, lat_deg: f64, lon_deg: f64) -> f64 {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .expect("climate grid field present (checked at load)")
            .interpolate(lat_deg, lon_deg)
    }
}

fn grid() -> &'static ClimateGrid {
    static GRID: OnceLock<ClimateGrid> = OnceLock::new();
    GRID.get_or_init(|| parse_grid(GRID_BYTES).unwrap_or_else(|e| panic!("embedded climate grid: {e}")))
}

fn parse_grid(bytes: &'static [u8]) -> Result<ClimateGrid, String> {
    let marker = b"\ndata\n";
    let split = bytes.windows(marker.len()).position(|w| w == marker).ok_or("no `data` line")?;
    let header = std::str::from_utf8(&bytes[..split]).map_err(|e| e.to_string())?;
    let mut payload = &bytes[split + marker.len()..];
    let mut fields = Vec::new();
    for line in header.lines().filter(|l| l.starts_with("field ")) {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() != 12 {
            return Err(format!("bad field line `{line}`"));
        }
        let field = FIELD_NAMES
            .iter()
            .find(|(n, _)| *n == t[1])
            .map(|(_, f)| *f)
            .ok_or_else(|| format!("unknown field `{}`", t[1]))?;
        let num = |i: usize| t[i].parse::<f64>().map_err(|e| format!("`{line}`: {e}"));
        let count = |i: usize| t[i].parse::<usize>().map_err(|e| format!("`{line}`: {e}"));
        let wide = match t[2] {
            "u8" => false,
            "u16" => true,
            other => return Err(format!("unknown dtype `{other}`")),
        };
        let encoding = match t[3] {
            "linear" => Encoding::Linear,
            "log" => Encoding::Log,
            "sqrt" => Encoding::Sqrt,
            other => return Err(format!("unknown encoding `{other}`")),
        };
        let (nlat, nlon) = (count(8)?, count(11)?);
        let len = nlat * nlon * if wide { 2 } else { 1 };
        if payload.len() < len || nlat < 2 || nlon < 2 {
            return Err(format!("field `{}` truncated", t[1]));
        }
        let (data, rest) = payload.split_at(len);
        payload = rest;
        fields.push(GridField {
            field,
            wide,
            encoding,
            offset: num(4)?,
            scale: num(5)?,
            lat0: num(6)?,
            dlat: num(7)?,
            nlat,
            lon0: num(9)?,
            dlon: num(10)?,
            nlon,
            data,
        });
    }
    for (name, f) in FIELD_NAMES {
        if !fields.iter().any(|g| g.field == f) {
            return Err(format!("field `{name}` missing"));
        }
    }
    if !payload.is_empty() {
        return Err("trailing bytes".into());
    }
    Ok(ClimateGrid { fields })
}

/// Raw grid values at a point, by field name, for the decoding test against the generator.
#[doc(hidden)]
pub fn grid_value_for_test(name: &str, lat_deg: f64, lon_deg: f64) -> Option<f64> {
    let field = FIELD_NAMES.iter().find(|(n, _)| *n == name)?.1;
    Some(grid().value(field, lat_deg, lon_deg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_loads_and_is_small() {
        assert!(GRID_BYTES.len() < 500_000);
        assert_eq!(grid().fields.len(), 9);
    }

    #[test]
    fn standard_pressure() {
        assert!((standard_pressure_hpa(0.0) - 1013.25).abs() < 1e-9);
        // itur's P.835-6 value at Chengdu's 0.502 km: 954.3840 hPa.
        assert!((standard_pressure_hpa(0.502) - 954.3840038).abs() < 1e-6);
    }

    #[test]
    fn site_validation_names_the_field() {
        let err = Site::new(91.0, 0.0, 0.0).validate("stations.x").unwrap_err();
        assert_eq!(err.to_string(), "stations.x.lat_deg: must be between -90 and 90");
        assert!(Site::new(30.0, 104.0, 0.5).validate("s").is_ok());
    }
}
