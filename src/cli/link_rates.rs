//! `orbsim link-rates`: the data-rate-against-elevation figure of the link presets.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use orbsim::link::{LinkError, PRESET_NAMES, Site, elevation_grid_deg, preset_rate_vs_elevation};
use orbsim::report::figures;

#[derive(Args, Debug)]
pub struct LinkRatesArgs {
    /// Output file stem: writes STEM.png and STEM.svg.
    #[arg(long, default_value = "output/link_rates")]
    pub out: PathBuf,
    /// Satellite altitude, km.
    #[arg(long = "altitude-km", default_value_t = 500.0)]
    pub altitude_km: f64,
    /// Ground site latitude, degrees (default Chengdu).
    #[arg(long, default_value_t = 30.67, allow_negative_numbers = true)]
    pub lat: f64,
    /// Ground site longitude, degrees.
    #[arg(long, default_value_t = 104.07, allow_negative_numbers = true)]
    pub lon: f64,
    /// Ground site height, m.
    #[arg(long = "alt-m", default_value_t = 500.0, allow_negative_numbers = true)]
    pub alt_m: f64,
    /// Name of the site in the figure.
    #[arg(long = "site-name", default_value = "Chengdu")]
    pub site_name: String,
}

pub fn run(args: LinkRatesArgs) -> Result<(), CliError> {
    if !(args.altitude_km.is_finite() && (150.0..=50_000.0).contains(&args.altitude_km)) {
        return Err(CliError::Input(format!("--altitude-km: {} is outside 150–50,000 km", args.altitude_km)));
    }
    orbsim::ground::validate_site(args.lat, args.lon, args.alt_m).map_err(|e| {
        let (field, message) = e.split_once(": ").unwrap_or(("", &e));
        let option = match field {
            "lat_deg" => "--lat",
            "lon_deg" => "--lon",
            _ => "--alt-m",
        };
        CliError::Input(format!("{option}: {message}"))
    })?;
    for suffix in [".png", ".svg"] {
        let mut name = args.out.clone().into_os_string();
        name.push(suffix);
        super::check_output_file("--out", std::path::Path::new(&name))?;
    }
    let site = Site::new(args.lat, args.lon, args.alt_m / 1000.0);
    let elevations = elevation_grid_deg();
    let curves = PRESET_NAMES
        .iter()
        .filter(|n| !n.contains("isl"))
        .map(|&name| Ok((name, preset_rate_vs_elevation(name, Some(&site), args.altitude_km, &elevations)?)))
        .collect::<Result<Vec<_>, LinkError>>()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let files = figures::link_rates(&site, &args.site_name, args.altitude_km, &elevations, &curves, &args.out)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    super::console::out_line(&format!("wrote {} and {}", files.png.display(), files.svg.display()))
}
