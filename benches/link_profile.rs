//! Cost of building one rate profile for a typical LEO pass (`cargo bench --bench
//! link_profile`). The geometry closure is the synthetic pass of the profile tests (a few
//! trigonometric calls, comparable to interpolating a cached SGP4 track), so the time is
//! the profile builder's own work plus its geometry calls.

#[path = "../tests/link_geometry/mod.rs"]
mod link_geometry;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use link_geometry::Pass;
use orbsim::link::{LinkBudget, LinkConfig, Site};
use orbsim::time::UtcTime;

fn budget(preset: &str, site: Site) -> LinkBudget {
    let config = LinkConfig { preset: Some(preset.to_string()), ..LinkConfig::default() };
    LinkBudget::for_site(&config.resolve("bench").unwrap(), &site).unwrap()
}

fn profiles(c: &mut Criterion) {
    let tca = UtcTime::from_calendar(2025, 11, 13, 3, 30, 0);
    let singapore = Site::new(1.35, 103.82, 0.032);
    let chengdu = Site::new(30.67, 104.07, 0.502);
    let cases = [
        ("x-band-downlink Singapore 70° pass", budget("x-band-downlink", singapore), 70.0),
        ("s-band-high-rate-uplink Chengdu 45° pass", budget("s-band-high-rate-uplink", chengdu), 45.0),
        ("ka-band-downlink Singapore 88° pass", budget("ka-band-downlink", singapore), 88.0),
    ];
    for (name, budget, max_el) in &cases {
        let pass = Pass::new(500.0, *max_el, 0.0, tca);
        let steps = budget.rate_profile(pass.start, pass.tca, pass.end, |t| pass.look(t)).steps().len();
        c.bench_function(&format!("rate_profile: {name} ({steps} steps)"), |b| {
            b.iter(|| {
                let p = budget
                    .rate_profile(black_box(pass.start), black_box(pass.tca), black_box(pass.end), |t| pass.look(t));
                black_box(p.deliverable_bytes())
            })
        });
    }
    let pass = Pass::new(500.0, 70.0, 0.0, tca);
    let mid_rise = pass.start.plus_nanos(100_000_000_000);
    c.bench_function("geometry closure alone", |b| b.iter(|| black_box(pass.look(black_box(mid_rise)))));
    let config = LinkConfig { preset: Some("x-band-downlink".into()), ..LinkConfig::default() };
    let params = config.resolve("bench").unwrap();
    c.bench_function("LinkBudget::for_site (atmosphere table)", |b| {
        b.iter(|| LinkBudget::for_site(black_box(&params), black_box(&singapore)).unwrap())
    });
}

criterion_group!(benches, profiles);
criterion_main!(benches);
