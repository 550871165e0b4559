//! Strict durations for `--timeout` and `--hook-timeout`.
//!
//! Strict on purpose: `--timeout 5` (seconds? minutes?) is refused rather than guessed, the way
//! kubectl refuses `--timeout=5`.

use std::time::Duration;

/// Parses `500ms`, `30s`, `5m`, `1h`, `7d` and sums of them (`1m30s`). A bare number, an unknown
/// unit, or zero is an error message for clap to print as a usage error. Days exist for
/// retention (`--older-than 30d`); a day is 24h, as in kubectl's AGE.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let bad = || {
        format!("invalid duration {raw:?}: use a number with a unit, e.g. 30s, 5m, 1h, 7d, 1m30s")
    };
    let mut total = Duration::ZERO;
    let mut rest = raw.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let amount: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            _ => return Err(bad()),
        };
        let part = unit
            .checked_mul(u32::try_from(amount).map_err(|_| bad())?)
            .ok_or_else(bad)?;
        total = total.checked_add(part).ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    if total.is_zero() {
        return Err(format!("invalid duration {raw:?}: must be more than zero"));
    }
    Ok(total)
}

/// The shortest `--hook-timeout`: opening an exec session is a round trip through the API
/// server and the kubelet, and a post command given less than that would time out before it
/// started on every attempt, leaving its pod frozen.
pub const MIN_HOOK_TIMEOUT: Duration = Duration::from_secs(1);

/// `--hook-timeout`: a duration of at least [`MIN_HOOK_TIMEOUT`].
pub fn parse_hook_timeout(raw: &str) -> Result<Duration, String> {
    let timeout = parse_duration(raw)?;
    if timeout < MIN_HOOK_TIMEOUT {
        return Err(format!(
            "{raw:?} is too short: a command needs time to start over the exec API; use at least {}s",
            MIN_HOOK_TIMEOUT.as_secs()
        ));
    }
    Ok(timeout)
}

/// Renders a duration the way people read it in a table: `850ms`, `2.4s`, `3m12s`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0..1000 => format!("{ms}ms"),
        1000..60_000 => format!("{:.1}s", d.as_secs_f64()),
        _ => format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// An object's age the way kubectl's AGE column prints it (`45s`, `12m`, `3h`, `5d`): more
/// precision while it is young (`2m30s`, `5h12m`, `3d4h`), less as it grows old. Clock skew of a
/// second reads as `0s`; a timestamp further in the future is `<invalid>`, as in kubectl.
pub fn age(seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;
    let with_rest = |big: i64, big_unit: &str, small: i64, small_unit: &str| {
        if small == 0 {
            format!("{big}{big_unit}")
        } else {
            format!("{big}{big_unit}{small}{small_unit}")
        }
    };
    match seconds {
        ..-1 => "<invalid>".to_string(),
        -1..0 => "0s".to_string(),
        0..120 => format!("{seconds}s"),
        _ if seconds < 10 * MINUTE => with_rest(seconds / MINUTE, "m", seconds % MINUTE, "s"),
        _ if seconds < 3 * HOUR => format!("{}m", seconds / MINUTE),
        _ if seconds < 8 * HOUR => with_rest(seconds / HOUR, "h", seconds % HOUR / MINUTE, "m"),
        _ if seconds < 2 * DAY => format!("{}h", seconds / HOUR),
        _ if seconds < 8 * DAY => with_rest(seconds / DAY, "d", seconds % DAY / HOUR, "h"),
        _ if seconds < 2 * YEAR => format!("{}d", seconds / DAY),
        _ if seconds < 8 * YEAR => with_rest(seconds / YEAR, "y", seconds % YEAR / DAY, "d"),
        _ => format!("{}y", seconds / YEAR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_units_and_sums() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("1d12h"), Ok(Duration::from_secs(36 * 3600)));
    }

    #[test]
    fn age_reads_like_kubectl() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (45, "45s"),
            (119, "119s"),
            (120, "2m"),
            (150, "2m30s"),
            (599, "9m59s"),
            (600, "10m"),
            (12 * 60 + 59, "12m"),
            (179 * 60, "179m"),
            (3 * 3600, "3h"),
            (5 * 3600 + 12 * 60, "5h12m"),
            (8 * 3600 + 59 * 60, "8h"),
            (47 * 3600, "47h"),
            (2 * 86_400, "2d"),
            (3 * 86_400 + 4 * 3600, "3d4h"),
            (5 * 86_400, "5d"),
            (8 * 86_400 + 5 * 3600, "8d"),
            (400 * 86_400, "400d"),
            (730 * 86_400, "2y"),
            (731 * 86_400, "2y1d"),
            (9 * 365 * 86_400, "9y"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(age(seconds), expected, "{seconds}s");
        }
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for bad in [
            "",
            "5",
            "s",
            "5x",
            "1.5s",
            "-1s",
            "5 m",
            "0s",
            "99999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn human_rendering() {
        assert_eq!(human(Duration::from_millis(850)), "850ms");
        assert_eq!(human(Duration::from_millis(2400)), "2.4s");
        assert_eq!(human(Duration::from_secs(192)), "3m12s");
    }
}
