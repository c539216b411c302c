//! GNSS over AT on the model's receiver (`model::gnss`): Sierra's
//! !GPSTRACK / !GPSEND / !GPSSTATUS / !GPSLOC and Qualcomm's $GPS_START /
//! $GPS_STOP, which start the same session the NMEA port streams from.
//!
//! No verbatim 9x15 transcript of !GPSSTATUS or !GPSLOC is public; their
//! layouts follow Sierra's AT command reference for MC/EM modules and are
//! guessed in detail.

use super::parse::Kind;
use super::{Cme, Cx, Outcome};
use crate::model::calendar::DateTime;
use crate::model::gnss::{FixState, Holder};

/// `!GPSTRACK=<fixtype>,<maxtime>,<maxdist>,<fixcount>,<fixrate>`:
/// fix type 1-3 (standalone, MS-based, MS-assisted), max time 0-255 s,
/// max distance in metres, fix count 0-1000 (1000 = continuous), rate in
/// seconds.
fn track_args_ok(kind: &Kind) -> bool {
    let Kind::Set(a) = kind else { return false };
    if a.len() != 5 {
        return false;
    }
    let n: Vec<Option<u32>> = a.iter().map(|x| x.num()).collect();
    matches!(n[0], Some(1..=3))
        && matches!(n[1], Some(0..=255))
        && n[2].is_some()
        && matches!(n[3], Some(0..=1000))
        && matches!(n[4], Some(1..))
}

fn stamp(t: DateTime) -> String {
    format!(
        "{} {:02} {:02} {} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.weekday, t.hour, t.minute, t.second
    )
}

/// `49 Deg 9 Min 59.98 Sec N`.
fn dms(v: f64, pos: char, neg: char) -> String {
    let h = if v < 0.0 { neg } else { pos };
    let v = v.abs();
    let deg = v.trunc();
    let min = ((v - deg) * 60.0).trunc();
    let sec = ((v - deg) * 60.0 - min) * 60.0;
    format!("{deg} Deg {min} Min {sec:.2} Sec {h}")
}

pub(super) fn handle(name: &str, kind: &Kind, cx: &mut Cx<'_>) -> Option<Outcome> {
    let r = match (name, kind) {
        ("!GPSTRACK", Kind::Test) => Ok(vec![
            "!GPSTRACK: (1-3),(0-255),(0-4294967280),(0-1000),(1-65535)".into(),
        ]),
        ("!GPSTRACK", k) => {
            if !track_args_ok(k) {
                return Some(Err(Cme::IncorrectParameters.into()));
            }
            cx.dev.gnss_start(Holder::At, cx.now);
            Ok(vec![])
        }
        ("!GPSEND", Kind::Set(a)) if a.len() == 1 && a[0].num() == Some(0) => {
            cx.dev.gnss.stop(Holder::At);
            Ok(vec![])
        }
        ("!GPSEND", Kind::Test) => Ok(vec!["!GPSEND: (0)".into()]),
        ("!GPSEND", _) => Err(Cme::IncorrectParameters.into()),
        ("$GPS_START", Kind::Exec) => {
            cx.dev.gnss_start(Holder::At, cx.now);
            Ok(vec![])
        }
        ("$GPS_STOP", Kind::Exec) => {
            cx.dev.gnss.stop(Holder::At);
            Ok(vec![])
        }
        ("!GPSSTATUS", Kind::Read | Kind::Exec) => Ok(status(cx)),
        ("!GPSLOC", Kind::Read | Kind::Exec) => Ok(location(cx)),
        _ => return None,
    };
    Some(r)
}

fn status(cx: &Cx<'_>) -> Vec<String> {
    let g = &cx.dev.gnss;
    let now = stamp(cx.dev.clock(cx.now).utc());
    let last = match (g.last_fix, g.state) {
        (Some(_), FixState::Fixed) => "SUCCESS",
        (Some(_), _) => "FAIL",
        (None, _) => "NONE",
    };
    let session = match g.state {
        FixState::Off => "NONE",
        FixState::Acquiring { .. } | FixState::Fixed => "ACTIVE",
    };
    let fix_time = g
        .last_fix
        .map(|t| stamp(cx.dev.clock(t).utc()))
        .unwrap_or_else(|| now.clone());
    vec![
        format!("Current time: {now}"),
        String::new(),
        format!("{fix_time} Last Fix Status    = {last}"),
        format!("{now} Fix Session Status = {session}"),
    ]
}

fn location(cx: &Cx<'_>) -> Vec<String> {
    let fix = cx
        .dev
        .gnss
        .last_epoch
        .filter(|_| cx.dev.gnss.state == FixState::Fixed)
        .and_then(|e| e.fix.map(|p| (e.at, p)));
    let Some((at, p)) = fix else {
        return vec!["Not Available".into()];
    };
    vec![
        format!("Lat: {}", dms(p.latitude, 'N', 'S')),
        format!("Lon: {}", dms(p.longitude, 'E', 'W')),
        format!("Time: {} (GPS)", stamp(cx.dev.clock(at).utc())),
        "LocUncAngle: 0.0 deg  LocUncA: 5.0 m  LocUncP: 5.0 m  HEPE: 7.071 m".into(),
        "2D Fix".into(),
        format!("Altitude: {:.0} m  LocUncVe: 8.0 m", p.altitude_m),
        format!(
            "Heading: {:.1} deg  VelHoriz: {:.1} m/s  VelVert: 0.0 m/s",
            p.course_deg, p.speed_mps
        ),
    ]
}
