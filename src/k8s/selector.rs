//! Label selectors on the client side: parsed once, the way the API server parses them, into
//! requirements that every user of `-l` reads. `list` and `delete` send the text on once it
//! parsed; `group-snap` narrows it to the matchLabels a GroupVolumeSnapshot can hold. One
//! parser means one set of rules: a selector cannot pass one command and fail another.

use crate::error::{Error, Result};
use crate::k8s::names::{check_label_key, check_label_value};

/// What one requirement asks of a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `KEY=VALUE` or `KEY==VALUE`.
    Equals,
    /// `KEY!=VALUE`.
    NotEquals,
    /// `KEY in (V1,V2)`.
    In,
    /// `KEY notin (V1,V2)`.
    NotIn,
    /// `KEY`.
    Exists,
    /// `!KEY`.
    DoesNotExist,
    /// `KEY>N` or `KEY<N`.
    Compare,
}

/// One comma-separated term of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
    /// The term as the user wrote it (trimmed), for messages that point at it.
    pub text: String,
}

/// A parsed label selector. An empty or blank selector parses to no requirements (it selects
/// everything, as the API server reads it); commands that must not select everything say so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub text: String,
    pub requirements: Vec<Requirement>,
}

impl Selector {
    /// Parses `text` as the API server would, or says in one usage line what is wrong.
    pub fn parse(text: &str) -> Result<Selector> {
        let terms = split_terms(text);
        let requirements = match terms.iter().all(|t| t.trim().is_empty()) && terms.len() == 1 {
            true => Ok(Vec::new()),
            false => terms.iter().map(|t| requirement(t.trim())).collect(),
        };
        match requirements {
            Ok(requirements) => Ok(Selector {
                text: text.to_string(),
                requirements,
            }),
            Err(reason) => Err(Error::Usage(format!(
                "-l/--selector {text:?} is not a valid label selector ({reason}); write comma-separated KEY=VALUE, KEY!=VALUE, KEY, !KEY, KEY in (V1,V2) or KEY notin (V1,V2)"
            ))),
        }
    }

    /// The selector as matchLabels, in the order written (the first label names a group by
    /// default). Everything matchLabels cannot express is a usage error naming the term:
    /// STORK would accept such a GroupVolumeSnapshot and then fail its pre-checks forever,
    /// visible only in Events.
    pub fn match_labels(&self) -> Result<Vec<(String, String)>> {
        let selector = &self.text;
        let refuse = |term: &str, what: &str| {
            let term = match term == selector.trim() {
                true => String::new(),
                false => format!(" in {term:?}"),
            };
            Error::Usage(format!(
                "selector {selector:?} uses {what}{term}; STORK's GroupVolumeSnapshot selects PVCs by matchLabels only (-l KEY=VALUE[,KEY=VALUE...])"
            ))
        };
        if self.requirements.is_empty() {
            return Err(Error::Usage(format!(
                "selector {selector:?} has an empty term; write -l KEY=VALUE[,KEY=VALUE...]"
            )));
        }
        if self
            .requirements
            .iter()
            .any(|r| matches!(r.op, Op::In | Op::NotIn))
        {
            return Err(refuse(
                selector.trim(),
                "a set-based requirement (`in`/`notin`)",
            ));
        }
        let mut labels: Vec<(String, String)> = Vec::new();
        for requirement in &self.requirements {
            let what = match requirement.op {
                Op::Equals => None,
                Op::NotEquals => Some("`!=`"),
                Op::Compare => Some("a comparison (`>`/`<`)"),
                Op::Exists | Op::DoesNotExist => Some("an existence check"),
                Op::In | Op::NotIn => Some("a set-based requirement (`in`/`notin`)"),
            };
            if let Some(what) = what {
                return Err(refuse(&requirement.text, what));
            }
            // A selector may name any label, pxsnap's own managed-by included (which --label
            // may not set).
            let (key, value) = (&requirement.key, &requirement.values[0]);
            match labels.iter().find(|(k, _)| k == key) {
                Some((_, earlier)) if earlier != value => {
                    return Err(Error::Usage(format!(
                        "selector {selector:?} asks for {key}={earlier} and {key}={value}; no PVC can match both"
                    )));
                }
                Some(_) => {}
                None => labels.push((key.clone(), value.clone())),
            }
        }
        Ok(labels)
    }
}

/// The terms of a selector: split at the commas outside `( … )`.
fn split_terms(selector: &str) -> Vec<&str> {
    let mut depth = 0;
    let mut start = 0;
    let mut terms = Vec::new();
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&selector[start..]);
    terms
}

/// One requirement: an (in)equality, a comparison, an existence check, or a set.
fn requirement(term: &str) -> std::result::Result<Requirement, String> {
    let make = |key: &str, op: Op, values: Vec<String>| Requirement {
        key: key.to_string(),
        op,
        values,
        text: term.to_string(),
    };
    if term.is_empty() {
        return Err("empty term".to_string());
    }
    if let Some(key) = term.strip_prefix('!') {
        check_label_key(key.trim())?;
        return Ok(make(key.trim(), Op::DoesNotExist, Vec::new()));
    }
    for (token, op) in [
        ("!=", Op::NotEquals),
        ("==", Op::Equals),
        ("=", Op::Equals),
        (">", Op::Compare),
        ("<", Op::Compare),
    ] {
        if let Some((key, value)) = term.split_once(token) {
            let (key, value) = (key.trim(), value.trim());
            check_label_key(key)?;
            match op {
                Op::Compare if value.parse::<i64>().is_err() => {
                    return Err(format!("{token} needs an integer, not {value:?}"));
                }
                Op::Compare => {}
                _ => check_label_value(value)?,
            }
            return Ok(make(key, op, vec![value.to_string()]));
        }
    }
    let (key, rest) = term
        .split_once(char::is_whitespace)
        .map_or((term, ""), |(k, r)| (k, r.trim()));
    check_label_key(key)?;
    if rest.is_empty() {
        return Ok(make(key, Op::Exists, Vec::new()));
    }
    let (op, values) = [("notin", Op::NotIn), ("in", Op::In)]
        .iter()
        .find_map(|(word, op)| Some((*op, rest.strip_prefix(word)?)))
        .and_then(|(op, v)| Some((op, v.trim().strip_prefix('(')?.strip_suffix(')')?)))
        .ok_or_else(|| format!("cannot parse {term:?}"))?;
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    values.iter().try_for_each(|v| check_label_value(v))?;
    Ok(make(key, op, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(text: &str) -> Vec<(String, Op, Vec<String>)> {
        Selector::parse(text)
            .expect("parses")
            .requirements
            .into_iter()
            .map(|r| (r.key, r.op, r.values))
            .collect()
    }

    #[test]
    fn every_form_the_api_server_takes_parses() {
        let s = |v: &[&str]| v.iter().map(|v| v.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ops("app=a, tier==db,x!=y,!gone,here,env in (a, b),zone notin (c),n>3"),
            vec![
                ("app".into(), Op::Equals, s(&["a"])),
                ("tier".into(), Op::Equals, s(&["db"])),
                ("x".into(), Op::NotEquals, s(&["y"])),
                ("gone".into(), Op::DoesNotExist, s(&[])),
                ("here".into(), Op::Exists, s(&[])),
                ("env".into(), Op::In, s(&["a", "b"])),
                ("zone".into(), Op::NotIn, s(&["c"])),
                ("n".into(), Op::Compare, s(&["3"])),
            ]
        );
        assert_eq!(ops(""), vec![]);
        assert_eq!(ops("  "), vec![]);
    }

    #[test]
    fn malformed_selectors_are_one_usage_line() {
        for bad in [
            ",",
            "a=b,",
            "a b c",
            "n>x",
            "a in (b",
            "-bad=x",
            "a=-b",
            "env in (a,-b)",
        ] {
            let err = Selector::parse(bad).expect_err(bad).to_string();
            assert!(
                err.contains("is not a valid label selector"),
                "{bad}: {err}"
            );
            assert!(!err.contains('\n'), "{bad}: {err}");
        }
    }

    #[test]
    fn match_labels_refuses_what_a_group_cannot_hold() {
        let refusal = |text: &str| {
            Selector::parse(text)
                .expect("parses")
                .match_labels()
                .expect_err(text)
                .to_string()
        };
        assert!(refusal("n>3").contains("uses a comparison (`>`/`<`)"));
        assert!(refusal("a=b,c=d,a=e").contains("asks for a=b and a=e"));
        assert!(refusal("").contains("has an empty term"));
    }
}
