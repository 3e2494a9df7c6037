//! Every run leaves `report.html`: one self-contained page with the headline, the tables and
//! every figure as inline SVG. Headless Chromium (Debian's `chromium`, installed by
//! `.ci/run`) must load it without errors and see the figures. Without Chromium the
//! browser half is skipped, unless `ORBSIM_REQUIRE_CHROMIUM=1` (set in CI) makes it fail.

mod common;

use std::process::Command;

use common::*;

fn chromium() -> Option<std::path::PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
}

#[test]
fn the_report_is_self_contained_and_renders_in_chromium() {
    let dir = scratch("report");
    let out = orbsim(&[
        "run",
        repo("scenarios/qwen3-scs01.toml").to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // The headline element itself, not any "43" on the page (SVG coordinates contain many).
    assert!(
        html.contains("<div>ground passes used<b>43</b></div>"),
        "the headline shows the 43 passes (regression guard on the fitted default scenario)"
    );
    assert!(html.contains("<div>passes per ground-fed satellite<b>43</b></div>"));
    let figures = html.matches("<figure").count();
    assert!(figures >= 4, "{figures} figures");
    assert_eq!(html.matches("<svg").count(), figures);
    // Nothing to fetch: no external scripts, styles, fonts or images.
    for needle in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] {
        assert!(!html.contains(needle), "external reference {needle}");
    }
    // Every other file of the run is linked from the page's file list.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name != "report.html" {
            assert!(html.contains(&format!("<a href=\"{name}\">{name}</a>")), "{name} is not linked");
        }
    }
    // Every figure file exists as a valid PNG and SVG too.
    for name in ["pass_timeline", "upload_progress", "ground_tracks", "uplink_rate"] {
        let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000, "{name}.png");
        let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>") && svg.len() > 1_000, "{name}.svg");
    }

    let Some(browser) = chromium() else {
        assert!(std::env::var("ORBSIM_REQUIRE_CHROMIUM").is_err(), "Chromium is required but not installed");
        eprintln!("skipping the browser check: no Chromium");
        return;
    };
    let profile = dir.join("chromium-profile");
    let dom = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", dir.join("report.html").display()))
        .output()
        .expect("run chromium");
    let dom_text = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.status.success(), "chromium failed: {}", String::from_utf8_lossy(&dom.stderr));
    // The page's load handler counts the SVG figures the browser parsed.
    assert!(
        dom_text.contains(&format!("data-figures=\"{figures}\"")),
        "the browser did not see the figures: {}",
        &dom_text[..dom_text.len().min(400)]
    );
}
