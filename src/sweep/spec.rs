//! The sweep file: a base scenario, a grid of field-path overrides and a replication count,
//! read strictly and turned into a run list. `scenarios/sweeps/README.md` documents it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::RngExt;
use serde::Deserialize;
use toml::{Spanned, Table, Value};

use super::SweepError;
use super::hash::{Fnv128, hash_bytes};
use super::overrides::{FieldPath, apply, resolve_paths, value_text};
use crate::engine::rng_stream;
use crate::scenario::parse_scenario;

/// More runs than this is almost certainly a mistyped grid; split such a study into
/// several sweeps.
pub const MAX_RUNS: u64 = 10_000_000;

fn one() -> u64 {
    1
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SweepFile {
    name: String,
    #[serde(default)]
    description: String,
    base: String,
    #[serde(default = "one")]
    seed: u64,
    #[serde(default = "one")]
    replications: u64,
    #[serde(default)]
    grid: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    labels: BTreeMap<String, Spanned<Vec<String>>>,
}

/// One swept field: its path and the values it takes, in the order written.
#[derive(Debug, Clone)]
pub struct Axis {
    /// The grid key as written, e.g. `fleet.shells[0].planes`; names the `sweep.csv` column.
    pub key: String,
    /// The parsed path.
    pub path: FieldPath,
    /// The values, with file paths made absolute (relative ones are relative to the sweep
    /// file).
    pub values: Vec<Value>,
    /// One label per value: from `[labels]`, else the value as written, compactly
    /// (`sweep.csv` cells and chart labels).
    pub labels: Vec<String>,
}

/// A file the sweep depends on, hashed for the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// What references it: `sweep`, `base`, `base:<field path>` or `grid:<key>`.
    pub role: String,
    /// The path as written where it is referenced (machine-independent).
    pub path: String,
    /// Content hash (see [`super::hash`]).
    pub hash: String,
}

/// A validated sweep: the base scenario's table and the grid, ready to build variants.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The sweep file as given.
    pub file: PathBuf,
    /// Names the output folder `output/sweeps/<name>/`.
    pub name: String,
    /// One line for reports.
    pub description: String,
    /// The base scenario file, resolved.
    pub base: PathBuf,
    /// Every run's seed derives from this and the run id only ([`run_seed`]).
    pub seed: u64,
    /// Runs per variant, each with its own seed.
    pub replications: u64,
    /// The grid, in the order of the sweep file.
    pub axes: Vec<Axis>,
    /// Every file the sweep reads, in a fixed order.
    pub inputs: Vec<Input>,
    /// One hash over every input's contents: shards with equal hashes ran the same sweep.
    pub hash: String,
    base_table: Table,
}

/// One run: which variant, which replication, which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSpec {
    /// 0 … total runs − 1.
    pub run_id: u64,
    /// Index into the Cartesian product of the grid.
    pub variant: u64,
    /// 0 … replications − 1.
    pub replication: u64,
    /// The scenario seed of this run.
    pub seed: u64,
}

/// The seed of run `run_id`: a function of the sweep seed and the run id only, so a run
/// gives the same result alone, in any shard or in the whole sweep, on any thread count.
/// Replications of one variant get unrelated seeds; so do equal replications of
/// different variants (the sweep does not use common random numbers). Seeds have 63 bits
/// so that each run's scenario can be written as a TOML file (TOML integers are signed).
pub fn run_seed(sweep_seed: u64, run_id: u64) -> u64 {
    rng_stream(sweep_seed, run_id, "sweep.run-seed").random::<u64>() >> 1
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// Reads and checks a sweep file: the fields, the base scenario, every grid key and value
/// (each value alone on the base must parse as a scenario) and the run count. Whole
/// variants are validated by the runner, which loads them.
pub fn load_sweep(path: &Path) -> Result<Sweep, SweepError> {
    let invalid = |line_col: Option<(usize, usize)>, message: String| SweepError::Invalid {
        file: path.to_path_buf(),
        line_col,
        message,
    };
    let text = crate::input::read_to_string(path).map_err(|e| invalid(None, format!("cannot read: {e}")))?;
    let at = |span: std::ops::Range<usize>| Some(line_col(&text, span.start));
    let de = toml::Deserializer::parse(&text)
        .map_err(|e| invalid(e.span().map(|s| line_col(&text, s.start)), e.message().trim().to_string()))?;
    let file: SweepFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let prefix = if field == "." { String::new() } else { format!("{field}: ") };
        invalid(inner.span().map(|s| line_col(&text, s.start)), format!("{prefix}{}", inner.message().trim()))
    })?;

    if file.name.trim().is_empty() || file.name.contains(['/', '\\']) {
        return Err(invalid(
            None,
            "name: must be a non-empty name without slashes (it names the output folder)".into(),
        ));
    }
    if file.replications == 0 {
        return Err(invalid(None, "replications: must be at least 1".into()));
    }
    // Absolute, because variant scenarios are written elsewhere (a temporary folder).
    let dir = std::path::absolute(path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
        .map_err(|e| invalid(None, format!("cannot resolve the sweep file's folder: {e}")))?;
    let dir = dir.as_path();
    let base = if Path::new(&file.base).is_absolute() { PathBuf::from(&file.base) } else { dir.join(&file.base) };
    let base_text = crate::input::read_to_string(&base)
        .map_err(|e| invalid(None, format!("base: cannot read scenario {}: {e}", base.display())))?;
    // The base must be a well-formed scenario on its own: its errors then point into it.
    parse_scenario(&base, &base_text).map_err(|e| invalid(None, format!("base: {e}")))?;
    let mut base_table: Table = base_text.parse().map_err(|e| invalid(None, format!("base: {e}")))?;

    let mut inputs = vec![
        Input {
            role: "sweep".into(),
            path: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            hash: hash_bytes(text.as_bytes()),
        },
        Input { role: "base".into(), path: file.base.clone(), hash: hash_bytes(base_text.as_bytes()) },
    ];
    let mut found: Vec<(String, String, PathBuf)> = Vec::new();
    let base_dir = base.parent().unwrap_or(Path::new(".")).to_path_buf();
    for (k, v) in base_table.iter_mut() {
        resolve_paths(k, v, &base_dir, &mut |written, resolved| {
            found.push(("base".into(), written.to_string(), resolved.to_path_buf()))
        });
    }

    // The grid, in the order written (the map sorts keys; the value spans keep the order).
    let mut entries: Vec<(String, Spanned<Value>)> = file.grid.into_iter().collect();
    entries.sort_by_key(|(_, v)| v.span().start);
    let mut labels = file.labels;
    let mut axes = Vec::new();
    for (key, spanned) in entries {
        let span = spanned.span();
        let fail = |m: String| invalid(at(span.clone()), format!("grid.\"{key}\": {m}"));
        let path = FieldPath::parse(&key).map_err(&fail)?;
        if path.segments.len() == 1 && ["seed", "name"].contains(&path.leaf()) {
            return Err(fail(format!(
                "`{}` is set by the sweep for every run (seeds derive from the sweep seed and the run id; use `replications`)",
                path.leaf()
            )));
        }
        let Value::Array(written) = spanned.into_inner() else {
            return Err(fail("must be a list of values, e.g. [12, 24, 36]".into()));
        };
        if written.is_empty() {
            return Err(fail("is an empty list: give at least one value".into()));
        }
        for (i, v) in written.iter().enumerate() {
            if written[..i].contains(v) {
                return Err(fail(format!("the value {} is listed twice", value_text(v))));
            }
        }
        let mut values = written.clone();
        for v in &mut values {
            resolve_paths(path.leaf(), v, dir, &mut |w, resolved| {
                found.push((format!("grid:{key}"), w.to_string(), resolved.to_path_buf()))
            });
        }
        let value_labels = match labels.remove(&key) {
            Some(l) => {
                let l_span = l.span();
                let l = l.into_inner();
                let bad = |m: String| invalid(at(l_span.clone()), format!("labels.\"{key}\": {m}"));
                if l.len() != values.len() {
                    return Err(bad(format!("gives {} labels for {} values", l.len(), values.len())));
                }
                for (i, s) in l.iter().enumerate() {
                    if s.trim().is_empty() || l[..i].contains(s) {
                        return Err(bad(format!("label `{s}` is empty or repeated")));
                    }
                }
                l
            }
            None => written.iter().map(value_text).collect(),
        };
        // Each value alone on the base must make a well-formed scenario: this attributes a
        // wrong path, type or unit to its grid entry before anything runs.
        for (v, label) in values.iter().zip(&value_labels) {
            let mut t = base_table.clone();
            apply(&mut t, &path, v.clone()).map_err(&fail)?;
            let variant_text = toml::to_string(&t).map_err(|e| fail(e.to_string()))?;
            parse_scenario(&base, &variant_text).map_err(|e| {
                let field = if e.path.is_empty() { String::new() } else { format!("{}: ", e.path) };
                if e.message.starts_with("unknown field") {
                    fail(format!("not a scenario field: {field}{}", e.message))
                } else {
                    fail(format!("value `{label}` does not fit the scenario: {field}{}", e.message))
                }
            })?;
        }
        axes.push(Axis { key, path, values, labels: value_labels });
    }
    if let Some((key, l)) = labels.into_iter().next() {
        return Err(invalid(at(l.span()), format!("labels.\"{key}\": labels a key that is not in [grid]")));
    }
    if axes.is_empty() && file.replications == 1 {
        return Err(invalid(None, "grid: nothing to sweep: give [grid] entries or replications > 1".into()));
    }
    let variants = axes.iter().try_fold(1u64, |acc, a| acc.checked_mul(a.values.len() as u64));
    let total = variants.and_then(|v| v.checked_mul(file.replications));
    if total.is_none_or(|t| t > MAX_RUNS) {
        return Err(invalid(None, format!("grid × replications gives more than {MAX_RUNS} runs: split the sweep")));
    }

    // A file referenced by several values is hashed once per role.
    let mut seen = std::collections::HashSet::new();
    for (role, written, resolved) in found {
        if !seen.insert((role.clone(), resolved.clone())) {
            continue;
        }
        let bytes = crate::input::read(&resolved)
            .map_err(|e| invalid(None, format!("{role}: cannot read {}: {e}", resolved.display())))?;
        inputs.push(Input { role, path: written, hash: hash_bytes(&bytes) });
    }
    let mut h = Fnv128::default();
    for i in &inputs {
        h.field(i.role.as_bytes());
        h.field(i.hash.as_bytes());
    }

    Ok(Sweep {
        file: path.to_path_buf(),
        name: file.name,
        description: file.description,
        base,
        seed: file.seed,
        replications: file.replications,
        axes,
        inputs,
        hash: h.hex(),
        base_table,
    })
}

impl Sweep {
    /// Variants: the size of the grid's Cartesian product (1 without a grid).
    pub fn variants(&self) -> u64 {
        self.axes.iter().map(|a| a.values.len() as u64).product()
    }

    /// Runs: variants × replications.
    pub fn total_runs(&self) -> u64 {
        self.variants() * self.replications
    }

    /// Run `run_id`. Runs are numbered variant by variant, replications innermost:
    /// `run_id = variant · replications + replication`; variants enumerate the grid like
    /// nested loops in the order the keys are written, the last key fastest.
    pub fn run(&self, run_id: u64) -> RunSpec {
        RunSpec {
            run_id,
            variant: run_id / self.replications,
            replication: run_id % self.replications,
            seed: run_seed(self.seed, run_id),
        }
    }

    /// Which value of each axis variant `v` takes.
    pub fn choice(&self, v: u64) -> Vec<usize> {
        let mut rest = v;
        let mut idx = vec![0; self.axes.len()];
        for (k, a) in self.axes.iter().enumerate().rev() {
            let n = a.values.len() as u64;
            idx[k] = (rest % n) as usize;
            rest /= n;
        }
        idx
    }

    /// The labels of variant `v`'s values, one per axis.
    pub fn labels(&self, v: u64) -> Vec<String> {
        self.choice(v).iter().zip(&self.axes).map(|(&i, a)| a.labels[i].clone()).collect()
    }

    /// `key = label, …` for messages.
    pub fn describe(&self, v: u64) -> String {
        if self.axes.is_empty() {
            return "the base scenario".into();
        }
        self.labels(v).iter().zip(&self.axes).map(|(l, a)| format!("{} = {l}", a.key)).collect::<Vec<_>>().join(", ")
    }

    /// The scenario of variant `v` with `seed`, as TOML text with absolute file paths (so
    /// it can be written anywhere). Its name is `<sweep>-variant-<v>`.
    pub fn variant_text(&self, v: u64, seed: u64) -> Result<String, SweepError> {
        let mut t = self.base_table.clone();
        for (axis, &i) in self.axes.iter().zip(&self.choice(v)) {
            apply(&mut t, &axis.path, axis.values[i].clone()).map_err(|m| SweepError::Invalid {
                file: self.file.clone(),
                line_col: None,
                message: format!("grid.\"{}\": {m}", axis.key),
            })?;
        }
        t.insert("name".into(), Value::String(format!("{}-variant-{v}", self.name)));
        t.insert("seed".into(), Value::Integer(seed as i64));
        toml::to_string(&t).map_err(|e| SweepError::Invalid {
            file: self.file.clone(),
            line_col: None,
            message: format!("variant {v}: cannot write its scenario: {e}"),
        })
    }
}
