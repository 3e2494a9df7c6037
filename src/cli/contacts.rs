//! `orbsim contacts`: the contact plan (passes turned into rate profiles by a link budget),
//! as CSV, streamed in time order with bounded memory.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::CliError;
use super::geometry::{GeometryArgs, SHARD_HELP, report_shard, warn_retired, write_table_shard};
use super::sweep::choose_shard;
use orbsim::access::passes::stream_search;
use orbsim::contact::{GroundContactRecords, Node};
use orbsim::link::{LinkConfig, PRESET_NAMES};
use orbsim::progress::Progress;
use orbsim::report::tables::{CONTACTS_HEADER, contact_row, write_contact_rows};
use orbsim::report::write_atomically;
use orbsim::sweep::table_shards::push_time_key;

#[derive(Args, Debug)]
pub struct ContactsArgs {
    #[command(flatten)]
    pub geometry: GeometryArgs,
    /// Link preset to start from (s-band-ttc-uplink, s-band-high-rate-uplink, x-band-downlink,
    /// ka-band-uplink, ka-band-downlink, optical-ground).
    #[arg(long, value_name = "PRESET")]
    pub link: String,
    /// Override one link parameter, e.g. `--set required_margin_db=4` or
    /// `--set symbol_rate_msps=10`. Repeatable; values are TOML (numbers, "strings").
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub overrides: Vec<String>,
    /// Seed for random draws (cloud blockage of optical links).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output CSV file (written atomically); standard output if absent. With --shard, the
    /// folder the shard's own folder goes in.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_name = "INDEX/COUNT", help = SHARD_HELP)]
    pub shard: Option<String>,
}

/// Builds the link configuration from `--link` and `--set` options.
pub fn link_from_options(preset: &str, overrides: &[String]) -> Result<LinkConfig, CliError> {
    let mut table = toml::Table::new();
    table.insert("preset".into(), toml::Value::String(preset.to_string()));
    for item in overrides {
        let (key, value) =
            item.split_once('=').ok_or_else(|| CliError::Input(format!("--set {item}: expected FIELD=VALUE")))?;
        let key = key.trim();
        // Parse the value as TOML; a bare word that is not TOML is taken as a string.
        let parsed: toml::Value = toml::from_str::<toml::Table>(&format!("v = {}", value.trim()))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.trim().to_string()));
        table.insert(key.to_string(), parsed);
    }
    LinkConfig::from_toml(&table, "--link").map_err(|e| CliError::Input(e.to_string()))
}

pub fn run(args: ContactsArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let shard = choose_shard(args.shard.as_deref())?;
    // A shard's --out is the folder its part goes into; otherwise it is the table's file.
    if let (None, Some(path)) = (&shard, &args.out) {
        super::check_output_file("--out", path)?;
    }
    let config = link_from_options(&args.link, &args.overrides)?;
    let params = config.resolve("--link").map_err(|e| CliError::Input(e.to_string()))?;
    if !params.is_ground_link() {
        return Err(CliError::Input(format!(
            "--link: `{}` is an inter-satellite link; ground contacts need one of {}",
            args.link,
            PRESET_NAMES.iter().filter(|p| !p.contains("isl")).copied().collect::<Vec<_>>().join(", ")
        )));
    }
    let inputs = args.geometry.load()?;
    let links = [params];
    let records = GroundContactRecords::new(&links, &inputs.stations, inputs.window.start, args.seed)
        .map_err(|e| CliError::Input(e.to_string()))?;
    let bar = args.geometry.bars();
    bar.begin("contacts", inputs.window.duration_s().ceil() as u64, "s of the window");
    if let Some(shard) = shard {
        let dir = args
            .out
            .as_deref()
            .ok_or_else(|| CliError::Input("--shard: give --out DIR for the shard's folder".into()))?;
        let mut extra = vec![args.link.clone(), args.seed.to_string()];
        extra.extend(args.overrides.iter().cloned());
        let hash = args.geometry.inputs_hash("contacts", &extra)?;
        let (folder, count, retirements) = write_table_shard(
            &inputs,
            shard,
            dir,
            "contacts",
            CONTACTS_HEADER,
            hash,
            &records,
            |c, key| {
                push_time_key(key, c.start);
                key.push(c.kind as u8);
                key.extend_from_slice(&c.link.to_be_bytes());
                for node in [c.from, c.to] {
                    let (variant, index) = match node {
                        Node::Station(i) => (0u8, i),
                        Node::Satellite(i) => (1u8, i),
                    };
                    key.push(variant);
                    key.extend_from_slice(&index.to_be_bytes());
                }
            },
            |row, c| contact_row(row, c, &inputs.satellites, &inputs.stations),
            &bar,
        )?;
        bar.end();
        if !args.geometry.quiet {
            report_shard(&inputs, (&folder, count, &retirements), "contacts", shard, dir, started);
        }
        return Ok(());
    }
    let (mut count, mut bytes) = (0usize, 0u128);
    let mut retirements = Vec::new();
    let write = |out: &mut dyn std::io::Write| {
        writeln!(out, "{CONTACTS_HEADER}")?;
        retirements = stream_search(
            &inputs.satellites,
            &|_| true,
            &inputs.stations,
            inputs.window,
            &records,
            &|searched_s| bar.set_position(searched_s as u64),
            |block| {
                count += block.len();
                bytes += block.iter().map(|c| c.deliverable_bytes as u128).sum::<u128>();
                write_contact_rows(out, &block, &inputs.satellites, &inputs.stations)
            },
        )?;
        Ok(())
    };
    match &args.out {
        Some(path) => write_atomically(path, write).map_err(|e| CliError::Failed(e.to_string()))?,
        None => super::console::out_with(write)?,
    }
    bar.end();
    if !args.geometry.quiet {
        warn_retired(&inputs.satellites, &retirements);
        super::console::err_line(&format!(
            "{count} contacts of {} satellites over {} stations, {:.3} TB deliverable, in {:.2} s",
            inputs.satellites.len(),
            inputs.stations.len(),
            bytes as f64 / 1e12,
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}
