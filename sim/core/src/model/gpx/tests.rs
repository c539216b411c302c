use super::*;

const TIMED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>drive</name><trkseg>
    <trkpt lat="49.1666" lon="-123.1336"><ele>10</ele><time>2025-01-01T00:00:00Z</time></trkpt>
    <trkpt lat="49.1750" lon="-123.1365"><ele>8.5</ele><time>2025-01-01T00:01:00.500Z</time></trkpt>
    <trkpt lat="49.1750" lon="-123.1200"><ele>6</ele><time>2025-01-01T00:03:00Z</time></trkpt>
  </trkseg></trk>
</gpx>
"#;

#[test]
fn a_timed_track_gets_its_speeds_from_the_times() {
    let w = waypoints(TIMED.as_bytes(), None).unwrap();
    assert_eq!(w.len(), 3);
    assert_eq!(
        (w[0].latitude, w[0].longitude, w[0].altitude_m),
        (49.1666, -123.1336, 10.0)
    );
    assert_eq!(w[1].altitude_m, 8.5);
    // About 955 m in 60 s.
    assert!((w[0].speed_mps - 15.9).abs() < 0.2, "{}", w[0].speed_mps);
    assert!(
        w[1].speed_mps > 9.0 && w[1].speed_mps < 11.0,
        "{}",
        w[1].speed_mps
    );
    assert_eq!(w[2].speed_mps, 0.0, "the last point starts no leg");
    crate::model::track::check(&w, false).unwrap();
}

#[test]
fn a_route_without_times_takes_the_default_speed_or_names_the_point() {
    let gpx = r#"<gpx version="1.0"><rte>
<rtept lat="1" lon="2"/>
<rtept lat="1.01" lon="2"><speed>4.5</speed></rtept>
<rtept lat="1.02" lon="2"/>
</rte></gpx>"#;
    let w = waypoints(gpx.as_bytes(), Some(12.0)).unwrap();
    assert_eq!(
        w.iter().map(|w| w.speed_mps).collect::<Vec<_>>(),
        [12.0, 4.5, 12.0]
    );
    let e = waypoints(gpx.as_bytes(), None).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1));
    assert!(e.message.starts_with("point 1: no speed"), "{e}");
}

#[test]
fn errors_name_the_place() {
    let e = waypoints(b"<gpx>\n<trk><trkseg><trkpt lat=\"x\" lon=\"1\"/>", None).unwrap_err();
    assert_eq!((e.line, e.column), (2, 14));
    assert!(e.message.contains("lat: expected a number"), "{e}");
    let e = waypoints(b"<kml/>", None).unwrap_err();
    assert!(e.message.contains("not a GPX document"), "{e}");
    let e = waypoints(b"<gpx>\n  <trk></wrong>", None).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.starts_with("not XML"), "{e}");
    let e = waypoints(b"<gpx></gpx>", None).unwrap_err();
    assert!(e.message.contains("no track or route points"), "{e}");
    let e = waypoints(
        b"<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><time>yesterday</time></trkpt></trkseg></trk></gpx>",
        None,
    )
    .unwrap_err();
    assert!(e.message.starts_with("time:"), "{e}");
    assert!(waypoints(&[0xff, 0xfe], None)
        .unwrap_err()
        .message
        .contains("UTF-8"));
}
