//! The command line as a user meets it: logs written to a file.

use crate::harness::tempdir;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// stderr redirected to a file carries no ANSI colour codes.
#[test]
fn a_log_file_has_no_colour_codes() {
    let dir = tempdir("cli-colour");
    let log_path = dir.path().join("stderr.log");
    let link = dir.path().join("qmi");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmodem"))
        .args(["run", "--transport", "pty", "--link"])
        .arg(&link)
        .env_remove("NO_COLOR")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start vmodem");
    let t0 = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&log_path).unwrap();
        // The boot's state records are logged at INFO through tracing.
        if text.contains("\"booted\"") || t0.elapsed() > Duration::from_secs(10) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains(" INFO "), "no tracing output: {text}");
    assert!(!text.contains('\u{1b}'), "colour codes in a file: {text:?}");
}
