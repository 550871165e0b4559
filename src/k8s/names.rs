//! Names and labels as the API server validates them, checked on the client side so that a typo
//! is one usage line (exit 2) before any request, and before anything is frozen, instead of a
//! 422 from the API server after.

/// A name argument or flag: refused when empty or not a DNS-1123 subdomain, which no object
/// pxsnap reads or creates can be named otherwise. `flag` names the argument in the one
/// usage line (exit 2) given before any request, instead of the API server's error after.
pub fn check_name(flag: &str, name: &str) -> crate::error::Result<()> {
    match name.is_empty() {
        true => Err(crate::error::Error::Usage(format!(
            "{flag} is empty: give the name of an object"
        ))),
        false => parse_object_name(name)
            .map(drop)
            .map_err(|reason| crate::error::Error::Usage(format!("{flag}: {reason}"))),
    }
}

/// An object name (`--name`): a DNS-1123 subdomain, as the API server requires.
pub fn parse_object_name(raw: &str) -> Result<String, String> {
    if is_dns_subdomain(raw) {
        Ok(raw.to_string())
    } else {
        Err(format!(
            "{raw:?} is not a valid object name: use at most 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
        ))
    }
}

/// A namespace name: a DNS-1123 label (no dots, at most 63 characters), as the API server
/// requires.
pub fn parse_namespace_name(raw: &str) -> Result<String, String> {
    if is_dns_subdomain(raw) && raw.len() <= 63 && !raw.contains('.') {
        Ok(raw.to_string())
    } else {
        Err(format!(
            "{raw:?} is not a valid namespace name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
        ))
    }
}

fn is_dns_subdomain(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !s.is_empty()
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && edge(s.chars().next())
        && edge(s.chars().last())
}

fn is_label_value(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    s.is_empty()
        || (s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && edge(s.chars().next())
            && edge(s.chars().last()))
}

/// A label key: `[prefix/]name`, the prefix a DNS subdomain.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(is_dns_subdomain);
    if !prefix_ok || !is_label_value(name) || name.is_empty() {
        return Err(format!(
            "label key {key:?} is not valid: [prefix/]name, name up to 63 letters, digits, '-', '_', '.'"
        ));
    }
    Ok(())
}

pub fn check_label_value(value: &str) -> Result<(), String> {
    match is_label_value(value) {
        true => Ok(()),
        false => Err(format!(
            "label value {value:?} is not valid: up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric"
        )),
    }
}
