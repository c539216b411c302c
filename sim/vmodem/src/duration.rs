//! Durations on the command line: "10m", "90s", "1h30m", "250ms".

use std::time::Duration;

pub fn parse(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}`: expected a duration such as 90s, 10m, 1h30m or 250ms");
    let mut total: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let ms_per = match &rest[..unit] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit..];
        total = n
            .checked_mul(ms_per)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    Ok(Duration::from_millis(total))
}

#[cfg(test)]
mod tests {
    use super::parse;
    use std::time::Duration;

    #[test]
    fn units_add_up() {
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("2s500ms"), Ok(Duration::from_millis(2500)));
    }

    #[test]
    fn nonsense_is_refused() {
        for t in ["", "10", "m", "10x", "-5s", "99999999999999999999h"] {
            assert!(parse(t).is_err(), "{t}");
        }
    }
}
