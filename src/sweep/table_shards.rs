//! The shards of a table (passes, contacts) computed on several machines, and their merge
//! into the table one machine writes.
//!
//! A table shard is a folder `shard-<i>-of-<N>/` holding `rows.bin` and `manifest.json`.
//! `rows.bin` is the shard's CSV rows, already formatted, in table order, each preceded by
//! its sort key as bytes that compare like the key (so the merge needs neither the inputs
//! nor the formatting code): `[key length: u8][key][row length: u32 LE][row]`. Merging is a
//! k-way merge on the keys that copies rows, so the result is byte for byte the table an
//! unsharded run writes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Shard;
use super::hash::Fnv128;
use super::manifest::ShardInfo;
use crate::report::tables::CsvRow;

/// The `format` of table shard manifests this version writes and reads.
pub const TABLE_SHARD_FORMAT: &str = "orbsim-table-shard/1";
/// A table shard's rows file.
pub const ROWS_FILE: &str = "rows.bin";
pub use super::manifest::MANIFEST_FILE;

/// `manifest.json` of a table shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableShardManifest {
    /// [`TABLE_SHARD_FORMAT`].
    pub format: String,
    /// What the table is (`passes`, `contacts`): names the merged file.
    pub table: String,
    /// Hash over the command's options and input files: equal hashes, same computation.
    pub inputs_hash: String,
    /// The orbsim version that wrote it.
    pub orbsim_version: String,
    /// Which shard of how many, and how shards were assigned.
    pub shard: ShardInfo,
    /// The table's header line (without its newline).
    pub header: String,
    /// Rows in this shard.
    pub rows: u64,
    /// Content hash of the rows file: catches a truncated or edited copy.
    pub rows_hash: String,
}

/// Writes a table shard's rows file (see the module documentation), hashing as it goes.
pub struct ShardRowsWriter<W: Write> {
    out: W,
    hash: Fnv128,
    rows: u64,
}

impl<W: Write> ShardRowsWriter<W> {
    /// A writer of rows into `out`.
    pub fn new(out: W) -> Self {
        ShardRowsWriter { out, hash: Fnv128::default(), rows: 0 }
    }

    /// Formats `items` in parallel and appends them with their keys, in the order given.
    pub fn write<T: Sync>(
        &mut self,
        items: &[T],
        key: impl Fn(&T, &mut Vec<u8>) + Sync,
        row: impl Fn(&mut CsvRow, &T) + Sync,
    ) -> std::io::Result<()> {
        use rayon::prelude::*;
        for block in items.chunks(1 << 16) {
            let chunks: Vec<Vec<u8>> = block
                .par_chunks(4096)
                .map(|chunk| {
                    let mut bytes = Vec::new();
                    let mut key_bytes = Vec::new();
                    for item in chunk {
                        key_bytes.clear();
                        key(item, &mut key_bytes);
                        let mut line = CsvRow::default();
                        row(&mut line, item);
                        line.end_row();
                        let line = line.into_bytes();
                        bytes.push(key_bytes.len() as u8);
                        bytes.extend_from_slice(&key_bytes);
                        bytes.extend_from_slice(&(line.len() as u32).to_le_bytes());
                        bytes.extend_from_slice(&line);
                    }
                    bytes
                })
                .collect();
            for chunk in chunks {
                self.hash.update(&chunk);
                self.out.write_all(&chunk)?;
            }
            self.rows += block.len() as u64;
        }
        Ok(())
    }

    /// Rows written and the rows file's hash; flushes.
    pub fn finish(mut self) -> std::io::Result<(u64, String)> {
        self.out.flush()?;
        Ok((self.rows, self.hash.hex()))
    }
}

/// Appends the bytes of a UTC time that compare like the time.
pub fn push_time_key(key: &mut Vec<u8>, t: crate::time::UtcTime) {
    key.extend_from_slice(&((t.unix_nanos() as u64) ^ (1 << 63)).to_be_bytes());
}

/// The folder of `shard` under `dir`.
pub fn shard_dir(dir: &Path, shard: Shard) -> PathBuf {
    dir.join(shard.dir_name())
}

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum TableMergeError {
    /// The shards given are not one complete, consistent set (bad input).
    #[error("{0}")]
    Shards(String),
    /// A shard's file could not be read, or the merged table not written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Whether `dir` holds table shards (rather than a sweep's).
pub fn holds_table_shards(dir: &Path) -> bool {
    let is_table_shard = |d: &Path| {
        crate::input::read(&d.join(MANIFEST_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v.get("format").and_then(|f| f.as_str()) == Some(TABLE_SHARD_FORMAT))
    };
    is_table_shard(dir) || super::shard::shard_subfolders(dir).iter().any(|d| is_table_shard(d))
}

/// The shard folders among `dirs`: each is a shard folder or holds `shard-*` folders.
fn shard_folders(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in dirs {
        if dir.join(MANIFEST_FILE).is_file() {
            out.push(dir.clone());
            continue;
        }
        out.extend(super::shard::shard_subfolders(dir));
    }
    out
}

/// The shards of one table, checked: every shard exactly once, all from the same inputs.
pub struct TableShards {
    shards: Vec<(TableShardManifest, PathBuf)>,
}

impl TableShards {
    /// The manifest of shard 0 (the table's name, header, shard count).
    pub fn manifest(&self) -> &TableShardManifest {
        &self.shards[0].0
    }
}

/// Finds the shards in `dirs` (shard folders, or folders holding them) and checks that they
/// are every shard of one table exactly once.
pub fn check_table_shards(dirs: &[PathBuf]) -> Result<TableShards, TableMergeError> {
    let folders = shard_folders(dirs);
    if folders.is_empty() {
        let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(TableMergeError::Shards(format!("{}: no shard folders (shard-*-of-*) found", names.join(", "))));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TableMergeError::Io { path, source }
    };
    let mut shards: Vec<(TableShardManifest, PathBuf)> = Vec::new();
    for folder in &folders {
        let path = folder.join(MANIFEST_FILE);
        let bytes = crate::input::read(&path).map_err(io(&path))?;
        let manifest: TableShardManifest = serde_json::from_slice(&bytes)
            .map_err(|e| TableMergeError::Shards(format!("{}: not a table shard manifest ({e})", path.display())))?;
        if manifest.format != TABLE_SHARD_FORMAT {
            return Err(TableMergeError::Shards(format!(
                "{}: format `{}`, expected `{TABLE_SHARD_FORMAT}`",
                path.display(),
                manifest.format
            )));
        }
        shards.push((manifest, folder.clone()));
    }
    shards.sort_by_key(|(m, _)| m.shard.index);
    let (first, first_dir) = (&shards[0].0, &shards[0].1);
    for (m, dir) in &shards {
        if m.orbsim_version != first.orbsim_version {
            return Err(TableMergeError::Shards(format!(
                "{} was written by orbsim {} but {} by orbsim {}",
                first_dir.display(),
                first.orbsim_version,
                dir.display(),
                m.orbsim_version
            )));
        }
        if m.inputs_hash != first.inputs_hash || m.table != first.table || m.header != first.header {
            return Err(TableMergeError::Shards(format!(
                "{} and {} come from different runs (inputs hash {} vs {})",
                first_dir.display(),
                dir.display(),
                first.inputs_hash,
                m.inputs_hash
            )));
        }
        if m.shard.count != first.shard.count {
            return Err(TableMergeError::Shards(format!(
                "{} is one of {} shards but {} is one of {}",
                dir.display(),
                m.shard.count,
                first_dir.display(),
                first.shard.count
            )));
        }
    }
    let count = first.shard.count;
    let indices: Vec<u64> = shards.iter().map(|(m, _)| m.shard.index).collect();
    if indices != (0..count).collect::<Vec<_>>() {
        let missing: Vec<String> = (0..count).filter(|i| !indices.contains(i)).map(|i| i.to_string()).collect();
        let problem = if missing.is_empty() {
            "a shard is given twice".to_string()
        } else {
            format!("shard {} missing", missing.join(", "))
        };
        return Err(TableMergeError::Shards(format!("{count} shards expected: {problem}")));
    }
    Ok(TableShards { shards })
}

/// Writes the merged table (header and rows) of checked shards to `out`; returns the rows
/// written. Fails if a rows file does not match its manifest.
pub fn merge_table_shards(table: &TableShards, out: &mut dyn Write) -> Result<u64, TableMergeError> {
    let shards = &table.shards;
    let first = table.manifest();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TableMergeError::Io { path, source }
    };

    struct Reader {
        input: BufReader<std::fs::File>,
        path: PathBuf,
        hash: Fnv128,
        rows: u64,
        key: Vec<u8>,
        line: Vec<u8>,
    }
    impl Reader {
        /// Reads the next record; false at the end of the file.
        fn next(&mut self) -> std::io::Result<bool> {
            if self.input.fill_buf()?.is_empty() {
                return Ok(false);
            }
            let mut len = [0u8; 1];
            self.input.read_exact(&mut len)?;
            self.key.resize(len[0] as usize, 0);
            self.input.read_exact(&mut self.key)?;
            let mut line_len = [0u8; 4];
            self.input.read_exact(&mut line_len)?;
            self.line.resize(u32::from_le_bytes(line_len) as usize, 0);
            self.input.read_exact(&mut self.line)?;
            self.hash.update(&len);
            self.hash.update(&self.key);
            self.hash.update(&line_len);
            self.hash.update(&self.line);
            self.rows += 1;
            Ok(true)
        }
    }
    let mut readers = Vec::with_capacity(shards.len());
    for (_, dir) in shards {
        let path = dir.join(ROWS_FILE);
        let file = std::fs::File::open(&path).map_err(io(&path))?;
        readers.push(Reader {
            input: BufReader::with_capacity(1 << 20, file),
            path,
            hash: Fnv128::default(),
            rows: 0,
            key: Vec::new(),
            line: Vec::new(),
        });
    }
    let damaged = |path: &Path, e: std::io::Error| {
        TableMergeError::Shards(format!("{}: damaged rows file ({e}); rerun that shard", path.display()))
    };
    let out_error = |source| TableMergeError::Io { path: PathBuf::from("merged output"), source };
    writeln!(out, "{}", first.header).map_err(out_error)?;
    // Heap of (key, shard): equal keys cannot come from two shards (each row belongs to one
    // satellite, and each satellite to one shard).
    let mut heap: BinaryHeap<Reverse<(Vec<u8>, usize)>> = BinaryHeap::new();
    for (i, r) in readers.iter_mut().enumerate() {
        if r.next().map_err(|e| damaged(&r.path, e))? {
            heap.push(Reverse((r.key.clone(), i)));
        }
    }
    let mut written = 0u64;
    while let Some(mut top) = heap.peek_mut() {
        let i = top.0.1;
        let r = &mut readers[i];
        out.write_all(&r.line).map_err(out_error)?;
        written += 1;
        if r.next().map_err(|e| damaged(&r.path, e))? {
            top.0.0.clear();
            top.0.0.extend_from_slice(&r.key);
        } else {
            drop(PeekMut::pop(top));
        }
    }
    for ((m, _), r) in shards.iter().zip(&readers) {
        if r.rows != m.rows || r.hash.hex() != m.rows_hash {
            return Err(TableMergeError::Shards(format!(
                "{}: {} rows with hash {}, but its manifest says {} rows with hash {}; rerun that shard",
                r.path.display(),
                r.rows,
                r.hash.hex(),
                m.rows,
                m.rows_hash
            )));
        }
    }
    out.flush().map_err(out_error)?;
    Ok(written)
}
