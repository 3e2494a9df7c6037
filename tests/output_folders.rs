//! `report::write_folder_atomically` over generated folder states: whatever stands at the
//! output path (nothing, an empty folder, an earlier run, foreign files, a link, a file)
//! and whatever leftovers of killed runs lie beside it, a call either replaces the folder
//! with exactly the new files and removes every leftover, or leaves what was there
//! untouched (refused, or the filling failed), never a mix.

use std::path::Path;

use orbsim::report::{WriteError, write_atomically, write_folder_atomically};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Existing {
    Nothing,
    EmptyFolder,
    EarlierRun,
    Foreign,
    Link,
    File,
}

fn existing() -> impl Strategy<Value = Existing> {
    prop_oneof![
        Just(Existing::Nothing),
        Just(Existing::EmptyFolder),
        Just(Existing::EarlierRun),
        Just(Existing::Foreign),
        Just(Existing::Link),
        Just(Existing::File),
    ]
}

/// Every entry under `dir` (recursively, links not followed) with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            out.push((format!("{name}/"), Vec::new()));
            out.extend(snapshot(&e.path()).into_iter().map(|(n, b)| (format!("{name}/{n}"), b)));
        } else if t.is_symlink() {
            out.push((format!("{name}@"), Vec::new()));
        } else {
            out.push((name, std::fs::read(e.path()).unwrap()));
        }
    }
    out.sort();
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_folder_is_replaced_whole_or_left_alone(
        state in existing(),
        partial_leftovers in 0usize..3,
        old_leftovers in 0usize..2,
        new_files in prop::collection::vec("[a-z]{1,8}\\.(csv|json|png)", 1..6),
        fail_after in prop::option::of(0usize..6),
    ) {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        match state {
            Existing::Nothing => {}
            Existing::EmptyFolder => std::fs::create_dir(&out).unwrap(),
            Existing::EarlierRun => {
                std::fs::create_dir(&out).unwrap();
                std::fs::write(out.join("summary.json"), "{}").unwrap();
                std::fs::write(out.join("passes.csv"), "old").unwrap();
            }
            Existing::Foreign => {
                std::fs::create_dir(&out).unwrap();
                std::fs::write(out.join("summary.json"), "{}").unwrap();
                std::fs::write(out.join("notes.txt"), "mine").unwrap();
            }
            Existing::Link => std::os::unix::fs::symlink(root.path(), &out).unwrap(),
            Existing::File => std::fs::write(&out, "a file").unwrap(),
        }
        for i in 0..partial_leftovers {
            let d = root.path().join(format!(".out.k{i}.partial"));
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join("passes.csv"), "half").unwrap();
        }
        for i in 0..old_leftovers {
            std::fs::create_dir(root.path().join(format!(".out.k{i}.old"))).unwrap();
        }
        let before = snapshot(&out);
        let before_link = std::fs::symlink_metadata(&out).ok().map(|m| m.file_type());

        let result = write_folder_atomically(&out, |dir| {
            for (i, name) in new_files.iter().enumerate() {
                if fail_after == Some(i) {
                    return Err(WriteError { path: dir.join(name), source: std::io::Error::other("disk full") });
                }
                write_atomically(&dir.join(name), |w| w.write_all(name.as_bytes()))?;
            }
            Ok(())
        });

        let refused = matches!(state, Existing::Foreign | Existing::Link | Existing::File);
        let failed = fail_after.is_some_and(|k| k < new_files.len());
        prop_assert_eq!(result.is_ok(), !refused && !failed);
        let siblings: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "out")
            .collect();
        if result.is_ok() {
            let mut expected: Vec<(String, Vec<u8>)> =
                new_files.iter().map(|n| (n.clone(), n.as_bytes().to_vec())).collect();
            expected.sort();
            expected.dedup();
            prop_assert_eq!(snapshot(&out), expected);
            prop_assert!(siblings.is_empty(), "leftovers remain: {:?}", siblings);
        } else {
            prop_assert_eq!(snapshot(&out), before);
            prop_assert_eq!(std::fs::symlink_metadata(&out).ok().map(|m| m.file_type()), before_link);
            prop_assert!(
                siblings.iter().all(|n| !n.ends_with(".partial") || n.starts_with(".out.k")),
                "a failed fill leaves no staging folder: {:?}", siblings
            );
        }
    }
}

#[test]
fn writing_a_file_removes_its_own_leftover_temporaries_only() {
    let dir = tempfile::tempdir().unwrap();
    let leftovers = [".x.csv.abc123.tmp", ".x.csv.tmp4242"];
    let others = [".x.csv.b.abc123.tmp", ".y.csv.abc123.tmp", ".x.csv.abc123.tmp.keep"];
    for n in leftovers.iter().chain(&others) {
        std::fs::write(dir.path().join(n), "left by a killed run").unwrap();
    }
    write_atomically(&dir.path().join("x.csv"), |w| w.write_all(b"new")).unwrap();
    let mut names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected: Vec<String> = others.iter().map(|s| s.to_string()).chain(["x.csv".to_string()]).collect();
    expected.sort();
    assert_eq!(names, expected);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("x.csv")).unwrap().permissions().mode();
        assert_ne!(mode & 0o044, 0, "an output is readable by others as File::create makes it (umask permitting)");
    }
}
