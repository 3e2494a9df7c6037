//! The pass example of Skyfield's documentation (ISS over Bluffton, Ohio, above 30°), whose
//! printed event times Skyfield's own CI checks. They are truncated to whole seconds, so
//! the tolerance here is 1.5 s; the refined Skyfield fixtures test to tighter limits.

use orbsim::access::{Window, find_passes};
use orbsim::frames::Geodetic;
use orbsim::ground::GroundStation;
use orbsim::orbit::Satellite;
use orbsim::orbit::tle::parse_lines;
use orbsim::time::UtcTime;

#[test]
fn iss_over_bluffton_above_30_degrees() {
    let (id, _, elements) = parse_lines(
        "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082",
        "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473",
    )
    .unwrap();
    let sat = Satellite::new("ISS (ZARYA)".into(), Some(id), elements).unwrap();
    let station = GroundStation {
        name: "Bluffton".into(),
        site: Geodetic { lat_deg: 40.8939, lon_deg: -83.8917, alt_km: 0.0 },
        min_elevation_deg: 30.0,
        azimuth_mask: None,
    };
    let window = Window {
        start: UtcTime::parse("2014-01-23T00:00:00Z").unwrap(),
        end: UtcTime::parse("2014-01-24T00:00:00Z").unwrap(),
    };
    let found = find_passes(&[sat], &[station], window, &|| {});
    let expected = [
        ("2014-01-23T06:25:37Z", "2014-01-23T06:26:58Z", "2014-01-23T06:28:19Z"),
        ("2014-01-23T12:54:56Z", "2014-01-23T12:56:27Z", "2014-01-23T12:57:58Z"),
    ];
    assert_eq!(found.passes.len(), 2, "{:#?}", found.passes);
    for (pass, (aos, tca, los)) in found.passes.iter().zip(expected) {
        for (got, want) in [(pass.aos, aos), (pass.tca, tca), (pass.los, los)] {
            let want = UtcTime::parse(want).unwrap();
            let dt = got.seconds_since(want);
            assert!((-0.5..1.5).contains(&dt), "{got} vs Skyfield {want}");
        }
        assert!(!pass.cut_start && !pass.cut_end);
    }
}
