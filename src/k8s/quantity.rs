//! Kubernetes resource quantities (`10Gi`, `500M`, `1.5Ti`, `2e9`) as exact byte counts.
//!
//! `k8s_openapi`'s `Quantity` is only the string, and comparing sizes as strings or floats gets
//! `1Gi` vs `1000Mi` or `1.1Gi` wrong; `--size` must be compared exactly, so the grammar of
//! `resource.Quantity` is parsed here into whole bytes (rounded up, as Kubernetes rounds a
//! fractional byte request).

/// Parses a quantity into bytes. Negative, empty or out-of-range quantities are an error
/// message naming the input.
pub fn parse_bytes(raw: &str) -> Result<u128, String> {
    let bad =
        || format!("invalid size {raw:?}: use a Kubernetes quantity such as 10Gi, 500Mi or 20G");
    let text = raw.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(bad());
    }
    let digits: u128 = format!("{whole}{fraction}").parse().map_err(|_| bad())?;
    let (numerator, denominator) = suffix_ratio(suffix).ok_or_else(bad)?;
    let scale = 10u128
        .checked_pow(u32::try_from(fraction.len()).map_err(|_| bad())?)
        .ok_or_else(bad)?;
    let scaled = digits.checked_mul(numerator).ok_or_else(bad)?;
    let divisor = scale.checked_mul(denominator).ok_or_else(bad)?;
    Ok(scaled.div_ceil(divisor))
}

/// The multiplier of a suffix as a fraction: binary SI, decimal SI, or a decimal exponent.
fn suffix_ratio(suffix: &str) -> Option<(u128, u128)> {
    let binary = |power: u32| Some((1u128 << (10 * power), 1));
    let decimal = |power: u32| Some((10u128.checked_pow(power)?, 1));
    match suffix {
        "" => Some((1, 1)),
        "Ki" => binary(1),
        "Mi" => binary(2),
        "Gi" => binary(3),
        "Ti" => binary(4),
        "Pi" => binary(5),
        "Ei" => binary(6),
        "m" => Some((1, 1000)),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        _ => {
            let exponent = suffix.strip_prefix(['e', 'E'])?;
            let (negative, magnitude) = match exponent.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, exponent.strip_prefix('+').unwrap_or(exponent)),
            };
            if magnitude.is_empty() || !magnitude.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let power = 10u128.checked_pow(magnitude.parse().ok()?)?;
            Some(if negative { (1, power) } else { (power, 1) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_decimal_suffixes() {
        assert_eq!(parse_bytes("10Gi"), Ok(10 * 1024 * 1024 * 1024));
        assert_eq!(parse_bytes("500M"), Ok(500_000_000));
        assert_eq!(parse_bytes("1k"), Ok(1000));
        assert_eq!(parse_bytes("1Ki"), Ok(1024));
        assert_eq!(parse_bytes("2Ti"), Ok(2 << 40));
        assert_eq!(parse_bytes("1E"), Ok(10u128.pow(18)));
        assert_eq!(parse_bytes("123"), Ok(123));
    }

    #[test]
    fn fractions_and_exponents_are_exact_and_round_up() {
        assert_eq!(parse_bytes("1.5Gi"), Ok(3 * 512 * 1024 * 1024));
        assert_eq!(parse_bytes("0.5Ki"), Ok(512));
        assert_eq!(parse_bytes("2e9"), Ok(2_000_000_000));
        assert_eq!(parse_bytes("2E+3"), Ok(2000));
        assert_eq!(parse_bytes("15e-1"), Ok(2));
        assert_eq!(parse_bytes("500m"), Ok(1));
        assert_eq!(parse_bytes(".5k"), Ok(500));
    }

    #[test]
    fn binary_and_decimal_compare_correctly() {
        let gib = parse_bytes("1Gi").expect("1Gi");
        assert!(parse_bytes("1000Mi").expect("1000Mi") < gib);
        assert!(parse_bytes("1G").expect("1G") < gib);
        assert!(parse_bytes("1074M").expect("1074M") > gib);
    }

    #[test]
    fn refuses_what_is_not_a_quantity() {
        for bad in [
            "", "Gi", "10GB", "10 Gi", "-1Gi", "1.2.3", "ten", "1e", "1e99", "1Zi",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
