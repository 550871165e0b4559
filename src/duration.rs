//! Strict durations for `--timeout` and `--hook-timeout`.
//!
//! Strict on purpose: `--timeout 5` (seconds? minutes?) is refused rather than guessed, the way
//! kubectl refuses `--timeout=5`.

use std::time::Duration;

/// Parses `500ms`, `30s`, `5m`, `1h` and sums of them (`1m30s`). A bare number, an unknown unit,
/// or zero is an error message for clap to print as a usage error.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let bad =
        || format!("invalid duration {raw:?}: use a number with a unit, e.g. 30s, 5m, 1h, 1m30s");
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

/// Renders a duration the way people read it in a table: `850ms`, `2.4s`, `3m12s`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        0..1000 => format!("{ms}ms"),
        1000..60_000 => format!("{:.1}s", d.as_secs_f64()),
        _ => format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000),
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
