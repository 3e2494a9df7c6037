//! The architecture as a test: every module of the library sits on a layer of the pipeline
//! (ARCHITECTURE.md), may import only modules on lower layers, and no two source files
//! import each other, directly or round a loop. Reads `src/` as text: a `crate::a::b` path
//! anywhere in a file (in a `use`, or written inline) is an import of whatever file
//! defines `a::b`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's top-level modules from the bottom of the pipeline up. A module may import
/// those on lower layers only (modules on one layer do not import each other).
const LAYERS: &[&[&str]] = &[
    // Physical constants and Earth models.
    &["constants"],
    // Foundations: quantities, numerics, reference frames, sorted merges, reading input
    // files, reporting progress.
    &["units", "numeric", "merge", "frames", "input", "progress"],
    // What exists: satellites, stations, link physics; and the event engine.
    &["orbit", "ground", "link", "engine"],
    // Geometry: passes, inter-satellite windows, eclipses.
    &["access"],
    // The contact plan every mission model reads.
    &["contact"],
    // Mission models.
    &["mission"],
    // The scenario file, which composes every stage's section.
    &["scenario"],
    // One run, then its files, then many runs, then the command line.
    &["pipeline"],
    &["report"],
    &["sweep"],
    &["cli"],
];

/// Imports that break the layering today, each with the work that removes it. The test
/// fails when one is fixed but still listed, so the list can only shrink.
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a source file: `src/a/b.rs` and `src/a/b/mod.rs` are `["a", "b"]`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src_dir()).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_string());
    }
    parts
}

/// The source text with comments removed, so a path named in documentation is no import.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path a file names through `crate::` (or, in the binary, `orbsim::`), with `use crate::a::{b, c::d}` groups
/// expanded one level (enough to tell which files are named).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    // The binary's `cli` names the library as `orbsim::`.
    let mut paths = paths_after(code, "crate::");
    paths.extend(paths_after(code, "orbsim::"));
    paths
}

fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while let Some(found) = code[i..].find(prefix) {
        let start = i + found;
        i = start + prefix.len();
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue; // e.g. `orbsim_crate::`
        }
        let mut path = Vec::new();
        let mut j = i;
        loop {
            let end = code[j..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(code.len(), |e| j + e);
            if end == j {
                break;
            }
            path.push(code[j..end].to_string());
            if code[end..].starts_with("::{") {
                // A group: each member extends the path.
                let close = code[end..].find('}').map_or(code.len(), |c| end + c);
                for member in code[end + 3..close].split(',') {
                    let member: Vec<String> = member
                        .trim()
                        .split("::")
                        .map(|s| s.trim().trim_start_matches('{').to_string())
                        .filter(|s| !s.is_empty())
                        .collect();
                    let mut full = path.clone();
                    full.extend(member);
                    paths.push(full);
                }
                j = close;
                path.clear();
                break;
            }
            if code[end..].starts_with("::") {
                j = end + 2;
            } else {
                break;
            }
        }
        if !path.is_empty() {
            paths.push(path);
        }
        i = j.max(i);
    }
    paths
}

/// The file that defines the longest prefix of `path` that is a module.
fn file_of(path: &[String], files: &BTreeMap<Vec<String>, PathBuf>) -> Option<PathBuf> {
    (1..=path.len()).rev().find_map(|n| files.get(&path[..n]).cloned())
}

struct Tree {
    /// Module path → file.
    files: BTreeMap<Vec<String>, PathBuf>,
    /// File → files it imports through `crate::` or `super::`.
    imports: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
}

fn read_tree() -> Tree {
    let mut all = Vec::new();
    rust_files(&src_dir(), &mut all);
    let files: BTreeMap<Vec<String>, PathBuf> = all
        .iter()
        .filter(|f| !f.ends_with("main.rs") && !f.ends_with("lib.rs"))
        .map(|f| (module_path(f), f.clone()))
        .collect();
    let mut imports = BTreeMap::new();
    for (module, file) in &files {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let mut targets = BTreeSet::new();
        for path in crate_paths(&code) {
            if let Some(target) = file_of(&path, &files) {
                targets.insert(target);
            }
        }
        // `super::x` in module a::b names a::x (a file's module is its folder for mod.rs).
        if let Some((_, parent)) = module.split_last() {
            for piece in code.split("super::").skip(1) {
                let names: Vec<&str> = match piece.strip_prefix('{') {
                    Some(group) => group[..group.find('}').unwrap_or(group.len())].split(',').collect(),
                    None => vec![piece],
                };
                for name in names {
                    let name: String =
                        name.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                    let mut path = parent.to_vec();
                    path.push(name);
                    if let Some(target) = file_of(&path, &files) {
                        targets.insert(target);
                    }
                }
            }
        }
        targets.remove(file);
        imports.insert(file.clone(), targets);
    }
    Tree { files, imports }
}

fn relative(file: &Path) -> String {
    file.strip_prefix(src_dir()).unwrap_or(file).display().to_string()
}

fn layer_of(top: &str) -> usize {
    LAYERS.iter().position(|layer| layer.contains(&top)).unwrap_or_else(|| {
        panic!("module `{top}` is on no layer: add it to LAYERS in tests/layering.rs (and to ARCHITECTURE.md)")
    })
}

fn top_module(file: &Path) -> String {
    module_path(file).first().cloned().unwrap_or_default()
}

#[test]
fn no_module_imports_a_higher_layer() {
    let tree = read_tree();
    let mut upward: BTreeSet<(String, String)> = BTreeSet::new();
    let mut report = Vec::new();
    for (file, targets) in &tree.imports {
        let from = top_module(file);
        for target in targets {
            let to = top_module(target);
            if from != to && layer_of(&to) >= layer_of(&from) {
                upward.insert((from.clone(), to.clone()));
                if !KNOWN_UPWARD.iter().any(|&(f, t, _)| f == from && t == to) {
                    report.push(format!(
                        "{} imports {} (`{to}` is not below `{from}`)",
                        relative(file),
                        relative(target)
                    ));
                }
            }
        }
    }
    assert!(report.is_empty(), "imports against the layering:\n{}", report.join("\n"));
    for (from, to, why) in KNOWN_UPWARD {
        assert!(
            upward.contains(&(from.to_string(), to.to_string())),
            "`{from}` no longer imports `{to}` ({why}): remove it from KNOWN_UPWARD"
        );
    }
}

#[test]
fn no_files_import_each_other() {
    let tree = read_tree();
    // Tarjan's strongly connected components over the file graph.
    struct State<'a> {
        imports: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        cycles: Vec<Vec<&'a PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.imports[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.cycles.push(component);
            }
        }
    }
    let mut state = State {
        imports: &tree.imports,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        cycles: Vec::new(),
    };
    for file in tree.imports.keys() {
        if !state.index.contains_key(file) {
            visit(&mut state, file);
        }
    }
    let cycles: Vec<String> =
        state.cycles.iter().map(|c| c.iter().map(|f| relative(f)).collect::<Vec<_>>().join(" ↔ ")).collect();
    assert!(cycles.is_empty(), "files that import each other:\n{}", cycles.join("\n"));
}

#[test]
fn the_reader_sees_known_imports() {
    // Guards the text reader itself: edges that exist today must be found, or the two
    // tests above would pass on a reader that sees nothing.
    let tree = read_tree();
    let file = |p: &str| src_dir().join(p);
    let imports = |from: &str, to: &str| tree.imports[&file(from)].contains(&file(to));
    assert!(imports("pipeline.rs", "mission/rollout.rs"));
    assert!(imports("link/profile.rs", "link/budget.rs"), "super:: imports");
    assert!(imports("report/run.rs", "report/summary.rs"), "super:: group imports");
    assert!(imports("access/passes.rs", "frames.rs"));
    assert!(imports("cli/run.rs", "pipeline.rs"), "the binary's orbsim:: imports");
    assert!(tree.files.len() > 50);
}
