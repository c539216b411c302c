//! GPX 1.0/1.1 tracks as GNSS waypoints: the points of the first track
//! (`trk/trkseg/trkpt`), else of the first route (`rte/rtept`). Each
//! point's `lat`, `lon` and `ele`; the speed of the leg that starts at a
//! point is its `<speed>` (GPX 1.0), else the distance to the next point
//! over the time between their `<time>`s, else the caller's default. The
//! caller reads the file; this takes its bytes.

use super::calendar::DateTime;
use super::track::{leg_metres, Waypoint, MAX_WAYPOINTS};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A GPX file that cannot be a track: where (1-based line and column of
/// the byte) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct GpxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for GpxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// One point as the file gives it.
struct Point {
    wp: Waypoint,
    time: Option<i64>,
    speed: Option<f64>,
    at: usize,
}

/// The element whose text is being read.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Ele,
    Time,
    Speed,
}

/// The waypoints of the GPX document `bytes`; legs without a speed of
/// their own run at `default_speed_mps` (an error names the first such
/// point if there is none).
pub fn waypoints(bytes: &[u8], default_speed_mps: Option<f64>) -> Result<Vec<Waypoint>, GpxError> {
    let at = |pos: usize, message: String| place(bytes, pos, message);
    let text =
        std::str::from_utf8(bytes).map_err(|e| at(e.valid_up_to(), "not UTF-8 text".into()))?;
    let mut r = Reader::from_str(text);
    let (mut track, mut route) = (Vec::new(), Vec::new());
    // The list the current point goes to, and the point being read.
    let mut list: Option<bool> = None;
    let mut point: Option<Point> = None;
    let mut field: Option<Field> = None;
    let mut seen_gpx = false;
    loop {
        let pos = r.buffer_position() as usize;
        let ev = r
            .read_event()
            .map_err(|e| at(r.error_position() as usize, format!("not XML: {e}")))?;
        match ev {
            Event::Start(e) | Event::Empty(e) if !seen_gpx => {
                if e.local_name().as_ref() != b"gpx" {
                    return Err(at(pos, "not a GPX document (no <gpx> element)".into()));
                }
                seen_gpx = true;
            }
            Event::Start(e) => match e.local_name().as_ref() {
                b"trkpt" | b"rtept" => {
                    let is_track = e.local_name().as_ref() == b"trkpt";
                    list = Some(is_track);
                    point = Some(start_point(&e, pos).map_err(|m| at(pos, m))?);
                }
                b"ele" => field = Some(Field::Ele),
                b"time" => field = Some(Field::Time),
                b"speed" => field = Some(Field::Speed),
                _ => field = None,
            },
            Event::Empty(e) => {
                if matches!(e.local_name().as_ref(), b"trkpt" | b"rtept") {
                    let p = start_point(&e, pos).map_err(|m| at(pos, m))?;
                    push(
                        if e.local_name().as_ref() == b"trkpt" {
                            &mut track
                        } else {
                            &mut route
                        },
                        p,
                    )
                    .map_err(|m| at(pos, m))?;
                }
            }
            Event::Text(t) => {
                let (Some(f), Some(p)) = (field, point.as_mut()) else {
                    continue;
                };
                let v = t.decode().map_err(|e| at(pos, e.to_string()))?;
                let v = v.trim();
                match f {
                    Field::Ele => p.wp.altitude_m = number(v, "ele").map_err(|m| at(pos, m))?,
                    Field::Speed => p.speed = Some(number(v, "speed").map_err(|m| at(pos, m))?),
                    Field::Time => {
                        let t =
                            DateTime::parse(v.split('.').next().unwrap_or(v).trim_end_matches('Z'))
                                .map_err(|m| at(pos, format!("time: {m}")))?;
                        p.time = Some(t.to_unix());
                    }
                }
            }
            Event::End(e) => {
                field = None;
                if matches!(e.local_name().as_ref(), b"trkpt" | b"rtept") {
                    if let (Some(p), Some(is_track)) = (point.take(), list) {
                        push(if is_track { &mut track } else { &mut route }, p)
                            .map_err(|m| at(pos, m))?;
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_gpx {
        return Err(at(0, "not a GPX document (no <gpx> element)".into()));
    }
    let points = if track.is_empty() { route } else { track };
    if points.is_empty() {
        return Err(at(bytes.len(), "no track or route points".into()));
    }
    with_speeds(points, default_speed_mps).map_err(|(pos, m)| at(pos, m))
}

fn push(list: &mut Vec<Point>, p: Point) -> Result<(), String> {
    if list.len() == MAX_WAYPOINTS {
        return Err(format!("more than {MAX_WAYPOINTS} points"));
    }
    list.push(p);
    Ok(())
}

fn number(v: &str, what: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{what}: expected a number, not {v:?}"))
}

fn start_point(e: &BytesStart<'_>, at: usize) -> Result<Point, String> {
    let attr = |name: &str| -> Result<f64, String> {
        let a = e
            .try_get_attribute(name)
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("a point without {name}"))?;
        let v = std::str::from_utf8(&a.value).map_err(|err| err.to_string())?;
        number(v.trim(), name)
    };
    Ok(Point {
        wp: Waypoint {
            latitude: attr("lat")?,
            longitude: attr("lon")?,
            altitude_m: 0.0,
            speed_mps: 0.0,
        },
        time: None,
        speed: None,
        at,
    })
}

/// Each leg's speed: the point's own, from the times, or the default.
fn with_speeds(points: Vec<Point>, default: Option<f64>) -> Result<Vec<Waypoint>, (usize, String)> {
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let next = points.get(i + 1);
        let timed = next.and_then(|n| {
            let dt = n.time? - p.time?;
            (dt > 0).then(|| leg_metres(&p.wp, &n.wp) / dt as f64)
        });
        let speed = match (p.speed, timed, default, next) {
            (Some(s), ..) => s,
            (None, Some(s), ..) => s,
            (None, None, Some(d), _) => d,
            // The last point starts no leg.
            (None, None, None, None) => 0.0,
            (None, None, None, Some(_)) => {
                return Err((
                    p.at,
                    format!(
                        "point {}: no speed for the leg from it (give <time> on both points, <speed>, or speed-mps)",
                        i + 1
                    ),
                ))
            }
        };
        out.push(Waypoint {
            speed_mps: speed,
            ..p.wp.clone()
        });
    }
    Ok(out)
}

/// `message` at byte `pos` of `bytes`, as line and column.
fn place(bytes: &[u8], pos: usize, message: String) -> GpxError {
    let pos = pos.min(bytes.len());
    let before = &bytes[..pos];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = pos
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    GpxError {
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests;
