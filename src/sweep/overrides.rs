//! Field-path overrides on a scenario's TOML, before it is parsed.
//!
//! A sweep varies scenario fields by path (`fleet.shells[0].planes`, `stations.file`). The
//! overrides are applied to the base scenario's `toml::Table`, so every field a scenario
//! file can hold can be swept without this module knowing the scenario's types; the
//! scenario parser then checks names, types and units with its usual field-path errors.

use std::fmt;
use std::path::Path;

use toml::{Table, Value};

/// One step of a field path: a key, then zero or more array indices (`shells[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The table key.
    pub key: String,
    /// Indices into the array under `key`, outermost first.
    pub indices: Vec<usize>,
}

/// A path to a field of a scenario file: dot-separated keys, each optionally followed by
/// `[index]` into an array (of tables), e.g. `fleet.shells[0].planes`. Keys are bare TOML
/// keys (letters, digits, `_`, `-`), which is all a scenario uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    /// The segments, from the top level down; never empty.
    pub segments: Vec<Segment>,
}

impl FieldPath {
    /// Parses a path; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        if text.trim().is_empty() {
            return Err("an empty field path".into());
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(format!("`{part}` is not a field name (expected e.g. `fleet.shells[0].planes`)"));
            }
            let mut indices = Vec::new();
            while !rest.is_empty() {
                let close = rest.find(']').filter(|_| rest.starts_with('['));
                let index = close.and_then(|c| rest[1..c].parse::<usize>().ok());
                match (close, index) {
                    (Some(c), Some(i)) => {
                        indices.push(i);
                        rest = &rest[c + 1..];
                    }
                    _ => return Err(format!("`{part}`: expected `[index]` with a whole number after `{key}`")),
                }
            }
            segments.push(Segment { key: key.to_string(), indices });
        }
        Ok(FieldPath { segments })
    }

    /// The last key: a short name for the field in labels (`planes`, `chunk_size`).
    pub fn leaf(&self) -> &str {
        &self.segments[self.segments.len() - 1].key
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(&s.key)?;
            for idx in &s.indices {
                write!(f, "[{idx}]")?;
            }
        }
        Ok(())
    }
}

/// Sets the field at `path` to `value` in a scenario table.
///
/// A value that exists is replaced (a table too, as a whole: `upload.loss = { model =
/// "none" }` must not keep the base's `packet_error_rate`); a missing key is added to its
/// table, and missing tables on the way are created (the scenario parser rejects any name
/// that is not a scenario field, so a misspelt section cannot slip through). Arrays are
/// never created or extended: an index past the end is an error, because a half-specified
/// satellite shell or station is never what a sweep means.
pub fn apply(root: &mut Table, path: &FieldPath, value: Value) -> Result<(), String> {
    let mut table = root;
    let mut walked = String::new();
    let last = path.segments.len() - 1;
    for (n, seg) in path.segments.iter().enumerate() {
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(&seg.key);
        if seg.indices.is_empty() {
            if n == last {
                table.insert(seg.key.clone(), value);
                return Ok(());
            }
            let entry = table.entry(seg.key.clone()).or_insert_with(|| Value::Table(Table::new()));
            table = match entry {
                Value::Table(t) => t,
                other => return Err(format!("`{walked}` is {}, not a table", describe(other))),
            };
            continue;
        }
        let Some(mut slot) = table.get_mut(&seg.key) else {
            return Err(format!("`{walked}` is not in the base scenario, so `{walked}[…]` has no element to set"));
        };
        for (k, &i) in seg.indices.iter().enumerate() {
            let Value::Array(items) = slot else {
                return Err(format!("`{walked}` is {}, not an array", describe(slot)));
            };
            let len = items.len();
            let Some(item) = items.get_mut(i) else {
                return Err(format!(
                    "`{walked}` has {len} element{} in the base scenario, so there is no `[{i}]`",
                    if len == 1 { "" } else { "s" }
                ));
            };
            walked.push_str(&format!("[{i}]"));
            slot = item;
            if n == last && k == seg.indices.len() - 1 {
                *slot = value;
                return Ok(());
            }
        }
        table = match slot {
            Value::Table(t) => t,
            other => return Err(format!("`{walked}` is {}, not a table", describe(other))),
        };
    }
    unreachable!("the last segment returns")
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// Whether a key holds a file path: `file` or a name ending in `_file` (the scenario's
/// convention for every field that names a file).
pub fn is_path_key(key: &str) -> bool {
    key == "file" || key.ends_with("_file")
}

/// Makes every file path under `value` absolute, resolving relative ones against `dir`.
/// `key` is the key `value` is stored under (a path itself when it is a path key). Calls
/// `found` with each path, resolved, in document order, so that the caller can hash the
/// files a sweep depends on.
pub fn resolve_paths(key: &str, value: &mut Value, dir: &Path, found: &mut dyn FnMut(&str, &Path)) {
    match value {
        Value::String(s) if is_path_key(key) => {
            let p = Path::new(s.as_str());
            let resolved = if p.is_absolute() { p.to_path_buf() } else { dir.join(p) };
            found(s, &resolved);
            *s = resolved.to_string_lossy().into_owned();
        }
        Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                resolve_paths(k, v, dir, found);
            }
        }
        Value::Array(items) => {
            for v in items {
                resolve_paths(key, v, dir, found);
            }
        }
        _ => {}
    }
}

/// A value as a short, single-line text: strings without quotes, numbers as Rust prints
/// them (`3700000`, `0.000001`), anything else as inline TOML. Used for `sweep.csv` cells
/// and chart labels when the sweep gives no label.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => format!("{f}"),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        // Inline TOML, on one line.
        Value::Array(_) | Value::Table(_) => v.to_string().split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        text.parse().unwrap()
    }

    #[test]
    fn paths_parse_and_print_back() {
        for text in ["fleet.shells[0].planes", "model.chunk_size", "a[1][2].b", "links.uplink.rate_bps"] {
            assert_eq!(FieldPath::parse(text).unwrap().to_string(), text);
        }
        for bad in ["", "a..b", "a[x]", "a[1", "a b", "a]"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(FieldPath::parse("fleet.shells[0].planes").unwrap().leaf(), "planes");
    }

    #[test]
    fn overrides_replace_and_add() {
        let mut t = table("[fleet]\n[[fleet.shells]]\nplanes = 10\n[stations]\nfile = \"a.csv\"\nantennas = 2\n");
        apply(&mut t, &FieldPath::parse("fleet.shells[0].planes").unwrap(), Value::Integer(12)).unwrap();
        apply(&mut t, &FieldPath::parse("fleet.shells[0].phasing").unwrap(), Value::Integer(1)).unwrap();
        apply(&mut t, &FieldPath::parse("upload.scheduling").unwrap(), Value::String("round-robin".into())).unwrap();
        let stations = table("file = \"b.csv\"\nnames = []\n");
        apply(&mut t, &FieldPath::parse("stations").unwrap(), Value::Table(stations)).unwrap();
        assert_eq!(t["fleet"]["shells"][0]["planes"].as_integer(), Some(12));
        assert_eq!(t["fleet"]["shells"][0]["phasing"].as_integer(), Some(1));
        assert_eq!(t["upload"]["scheduling"].as_str(), Some("round-robin"));
        assert_eq!(t["stations"]["file"].as_str(), Some("b.csv"));
        assert_eq!(t["stations"].get("antennas"), None, "a table replaces the table");
    }

    #[test]
    fn missing_array_elements_and_non_tables_are_errors() {
        let mut t = table("name = \"x\"\n[fleet]\n[[fleet.shells]]\nplanes = 10\n");
        let err = apply(&mut t, &FieldPath::parse("fleet.shells[1].planes").unwrap(), Value::Integer(1)).unwrap_err();
        assert!(err.contains("1 element") && err.contains("[1]"), "{err}");
        let err = apply(&mut t, &FieldPath::parse("fleet.tle[0].file").unwrap(), Value::Integer(1)).unwrap_err();
        assert!(err.contains("fleet.tle"), "{err}");
        let err = apply(&mut t, &FieldPath::parse("name.first").unwrap(), Value::Integer(1)).unwrap_err();
        assert!(err.contains("a string, not a table"), "{err}");
    }

    #[test]
    fn paths_resolve_against_the_given_folder() {
        let mut v = Value::Table(table("[stations]\nfile = \"s.csv\"\n[[fleet.tle]]\nfile = \"/abs/t.tle\"\n"));
        let mut seen = Vec::new();
        resolve_paths("", &mut v, Path::new("/base"), &mut |w, p| seen.push((w.to_string(), p.to_path_buf())));
        assert_eq!(v["stations"]["file"].as_str(), Some("/base/s.csv"));
        assert_eq!(v["fleet"]["tle"][0]["file"].as_str(), Some("/abs/t.tle"));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn values_print_compactly() {
        assert_eq!(value_text(&Value::Float(3.7e6)), "3700000");
        assert_eq!(value_text(&Value::Float(1e-6)), "0.000001");
        assert_eq!(value_text(&Value::String("1 MiB".into())), "1 MiB");
        let t: Table = "a = 1\nb = [\"x\"]\n".parse().unwrap();
        assert_eq!(value_text(&Value::Table(t)), "{ a = 1, b = [\"x\"] }");
    }
}
