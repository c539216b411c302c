//! A GNSS track: waypoints the receiver moves along, each with the speed
//! of the leg that starts there. A scenario step or `vmodem ctl fault`
//! sets one (the `gnss-track` fault); without one the receiver stays at
//! the profile's position.

use super::gnss::Position;
use crate::time::Instant;
use serde::{Deserialize, Serialize};

/// Mean Earth radius, metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// At most this many waypoints: a bound on what a scenario may load.
pub const MAX_WAYPOINTS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Waypoint {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub altitude_m: f64,
    /// Speed on the leg to the next waypoint, m/s.
    #[serde(default)]
    pub speed_mps: f64,
}

/// A track being followed since `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub waypoints: Vec<Waypoint>,
    pub looped: bool,
    pub start: Instant,
}

/// Why a track cannot be followed.
pub fn check(waypoints: &[Waypoint], looped: bool) -> Result<(), String> {
    if waypoints.is_empty() || waypoints.len() > MAX_WAYPOINTS {
        return Err(format!(
            "gnss-track: expected 1 to {MAX_WAYPOINTS} waypoints, not {}",
            waypoints.len()
        ));
    }
    for (i, w) in waypoints.iter().enumerate() {
        if !(-90.0..=90.0).contains(&w.latitude) || !(-180.0..=180.0).contains(&w.longitude) {
            return Err(format!(
                "gnss-track: waypoint {i}: expected latitude -90..90 and longitude -180..180"
            ));
        }
        if !super::profile::limits::ALTITUDE_M.contains(&w.altitude_m) {
            return Err(format!("gnss-track: waypoint {i}: altitude-m out of range"));
        }
        // Up to a jet's speed; a moving leg needs a speed above zero.
        if !(0.0..=340.0).contains(&w.speed_mps) {
            return Err(format!(
                "gnss-track: waypoint {i}: expected speed-mps from 0 to 340"
            ));
        }
        let last = i + 1 == waypoints.len();
        if w.speed_mps == 0.0 && (!last || looped) && waypoints.len() > 1 {
            return Err(format!(
                "gnss-track: waypoint {i}: a leg needs speed-mps above 0"
            ));
        }
    }
    Ok(())
}

/// Great-circle distance between two waypoints, metres.
pub(super) fn leg_metres(a: &Waypoint, b: &Waypoint) -> f64 {
    leg(a, b).0
}

/// Great-circle distance (metres) and initial bearing (degrees).
fn leg(a: &Waypoint, b: &Waypoint) -> (f64, f64) {
    let (p1, p2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dp = p2 - p1;
    let dl = (b.longitude - a.longitude).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    let dist = 2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (dist, y.atan2(x).to_degrees().rem_euclid(360.0))
}

impl Track {
    /// Where the receiver is at `at`.
    pub fn position(&self, at: Instant) -> Position {
        let w = &self.waypoints;
        let still = |p: &Waypoint| Position {
            latitude: p.latitude,
            longitude: p.longitude,
            altitude_m: p.altitude_m,
            speed_mps: 0.0,
            course_deg: 0.0,
        };
        let n = w.len();
        let legs = if self.looped { n } else { n - 1 };
        if legs == 0 {
            return still(&w[0]);
        }
        let times: Vec<(f64, f64, f64)> = (0..legs)
            .map(|i| {
                let (d, c) = leg(&w[i], &w[(i + 1) % n]);
                (d / w[i].speed_mps, d, c)
            })
            .collect();
        let total: f64 = times.iter().map(|t| t.0).sum();
        let mut t = at.since(self.start).as_secs_f64();
        if self.looped && total > 0.0 {
            t %= total;
        } else if t >= total {
            return still(&w[n - 1]);
        }
        for (i, &(dt, _, course)) in times.iter().enumerate() {
            if t < dt {
                let (a, b) = (&w[i], &w[(i + 1) % n]);
                let f = t / dt;
                // Linear between waypoints: legs of a track are short.
                let mut dlon = b.longitude - a.longitude;
                if dlon.abs() > 180.0 {
                    dlon -= 360.0 * dlon.signum();
                }
                let lon = a.longitude + dlon * f;
                return Position {
                    latitude: a.latitude + (b.latitude - a.latitude) * f,
                    longitude: (lon + 540.0).rem_euclid(360.0) - 180.0,
                    altitude_m: a.altitude_m + (b.altitude_m - a.altitude_m) * f,
                    speed_mps: a.speed_mps,
                    course_deg: course,
                };
            }
            t -= dt;
        }
        still(&w[n - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wp(lat: f64, lon: f64, v: f64) -> Waypoint {
        Waypoint {
            latitude: lat,
            longitude: lon,
            altitude_m: 0.0,
            speed_mps: v,
        }
    }

    #[test]
    fn moves_along_legs_at_their_speed_then_stops() {
        // One minute of latitude is one nautical mile (~1853 m here).
        let w = vec![wp(49.0, -123.0, 10.0), wp(49.0 + 1.0 / 60.0, -123.0, 0.0)];
        check(&w, false).unwrap();
        let tr = Track {
            waypoints: w,
            looped: false,
            start: Instant::from_millis(1000),
        };
        let p = tr.position(Instant::from_millis(1000 + 92_000));
        assert!((p.latitude - (49.0 + 0.5 / 60.0)).abs() < 0.0002, "{p:?}");
        assert_eq!(p.speed_mps, 10.0);
        assert!(p.course_deg.abs() < 0.01 || (p.course_deg - 360.0).abs() < 0.01);
        let end = tr.position(Instant::from_millis(1000 + 400_000));
        assert_eq!((end.latitude, end.speed_mps), (49.0 + 1.0 / 60.0, 0.0));
    }

    #[test]
    fn a_loop_comes_back() {
        let w = vec![wp(0.0, 0.0, 100.0), wp(0.0, 0.01, 100.0)];
        let tr = Track {
            waypoints: w,
            looped: true,
            start: Instant::ZERO,
        };
        let lap = 2.0 * leg(&tr.waypoints[0], &tr.waypoints[1]).0 / 100.0;
        let p = tr.position(Instant::from_millis((lap * 1000.0) as u64 + 1));
        assert!(p.longitude.abs() < 1e-5, "{p:?}");
    }

    #[test]
    fn bad_tracks_are_refused() {
        assert!(check(&[], false).is_err());
        assert!(check(&[wp(91.0, 0.0, 1.0)], false).is_err());
        assert!(check(&[wp(0.0, 0.0, 0.0), wp(0.0, 1.0, 0.0)], false).is_err());
        assert!(check(&[wp(0.0, 0.0, f64::NAN)], false).is_err());
        assert!(check(&[wp(0.0, 0.0, 0.0)], false).is_ok());
    }
}
