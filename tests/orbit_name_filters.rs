//! `--name` filters over several orbit files: a filter must match a satellite somewhere in
//! the set (not in every file), and the satellites kept are exactly those whose name
//! contains some filter. Generated cases: random splits of a real TLE file into several
//! files, filters drawn from the names (and some that match nothing), checked against a
//! direct oracle.

mod common;

use std::path::PathBuf;

use orbsim::orbit::{OrbitError, load_orbit_files};
use proptest::prelude::*;

/// (name, two element lines) of every satellite of a real file.
fn records() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(common::repo("data/tle/active_2026-03-19/guowang_hulianwang.tle")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    lines.chunks(3).map(|c| (c[0].trim().to_string(), format!("{}\n{}\n", c[1], c[2]))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn a_filter_needs_to_match_somewhere_in_the_set(
        file_of in prop::collection::vec(0usize..3, 168),
        picks in prop::collection::vec((0usize..168, 0usize..12, 1usize..8), 1..4),
        miss in prop::bool::weighted(0.2),
    ) {
        let all = records();
        let dir = tempfile::tempdir().unwrap();
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut names_in_files = Vec::new();
        for f in 0..3 {
            let chosen: Vec<&(String, String)> =
                all.iter().enumerate().filter(|(i, _)| file_of[i % file_of.len()] == f).map(|(_, r)| r).collect();
            if chosen.is_empty() {
                continue;
            }
            let path = dir.path().join(format!("f{f}.tle"));
            let text: String = chosen.iter().map(|(n, l)| format!("{n}\n{l}")).collect();
            std::fs::write(&path, text).unwrap();
            paths.push(path);
            names_in_files.extend(chosen.iter().map(|(n, _)| n.clone()));
        }
        // Substrings of names present in some file, varied in case; optionally one that matches nothing.
        let mut filters: Vec<String> = picks
            .iter()
            .map(|&(i, start, len)| {
                let name = &names_in_files[i % names_in_files.len()];
                let chars: Vec<char> = name.chars().collect();
                let s = start.min(chars.len() - 1);
                let e = (s + len).min(chars.len());
                let sub: String = chars[s..e].iter().collect();
                if i % 2 == 0 { sub.to_lowercase() } else { sub }
            })
            .collect();
        if miss {
            filters.push("no-such-satellite".into());
        }
        let result = load_orbit_files(&paths, &filters, false);
        let lowered: Vec<String> = filters.iter().map(|f| f.to_lowercase()).collect();
        let hit = |n: &str| lowered.iter().any(|f| n.to_lowercase().contains(f.as_str()));
        if miss {
            let unmatched = matches!(result, Err(OrbitError::NoMatchInSet { .. }) | Err(OrbitError::NoMatch { .. }));
            prop_assert!(unmatched, "expected an unmatched-filter error");
        } else {
            let files = result.unwrap();
            let kept: Vec<String> = files.iter().flat_map(|f| f.satellites.iter().map(|s| s.name.clone())).collect();
            let expected: Vec<String> = names_in_files.iter().filter(|n| hit(n)).cloned().collect();
            prop_assert_eq!(kept, expected);
        }
    }
}

#[test]
fn two_files_two_filters_each_matching_one_file() {
    let dir = common::repo("data/tle/active_2026-03-19");
    let paths = [dir.join("scs01_three_body_computing.tle"), dir.join("starcloud1.tle")];
    let files = load_orbit_files(&paths, &["SCS-01 A".into(), "STARCLOUD".into()], false).unwrap();
    assert_eq!(files[0].satellites.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["SCS-01 A"]);
    assert_eq!(files[1].satellites.len(), 1);
}
