//! Objects printed byte for byte as `kubectl get -o yaml` prints them.
//!
//! kubectl turns an object into JSON and that into YAML with go-yaml v2 (through
//! sigs.k8s.io/yaml): keys in go-yaml's natural order (`a2` before `a10`, other characters
//! before letters), numbers as go-yaml reads them back from the JSON text, block style two
//! spaces deep with sequences not indented under their key, and each string in the first
//! style that keeps it a string: plain, unless it would read back as something else (`"true"`,
//! `"0755"`, `"2026-01-01T00:00:00Z"`, `""`: double quotes) or plain YAML cannot hold it
//! (`': x'`: single quotes); text with line breaks as a literal block (`|-`). Long plain and
//! quoted strings are folded at spaces past column 80, as go-yaml's emitter (a port of
//! libyaml's) folds them. Reading it back with any YAML 1.1 reader (PyYAML) gives the same
//! strings, where serde's YAML left timestamps bare and PyYAML read them as datetimes.

use std::cmp::Ordering;

use serde_json::Value;

/// go-yaml's `best_width`: plain and quoted text is folded at a space past this column.
const WIDTH: usize = 80;
/// go-yaml's `best_indent`.
const INDENT: usize = 2;
/// Keys longer than this are not simple keys for libyaml (see `Emitter::key`).
const SIMPLE_KEY_MAX: usize = 128;

/// Appends `value` as one entry of a block sequence whose `-` is at column 0 (the `items` of
/// a `List`), as kubectl prints it there.
pub fn write_sequence_entry(value: &Value, out: &mut String) {
    let mut emitter = Emitter::new(out);
    emitter.entry(&Node::sorted(value), 0);
    emitter.line_end();
}

/// `value` as a YAML document, as kubectl prints a single object.
pub fn document(value: &Value) -> String {
    whole(&Node::sorted(value))
}

/// `value` as a YAML document written as kubectl's go-yaml writes one, except that mappings
/// keep the order `value` serializes them in (a report's fields in their logical order).
pub fn document_in_order(value: &impl serde::Serialize) -> Result<String, serde_json::Error> {
    document_from_json(&serde_json::to_string(value)?)
}

/// JSON text as a YAML document, its mappings' members in the order the text has them.
pub fn document_from_json(text: &str) -> Result<String, serde_json::Error> {
    Ok(whole(&serde_json::from_str::<Node>(text)?))
}

fn whole(node: &Node) -> String {
    let mut out = String::new();
    let mut emitter = Emitter::new(&mut out);
    match node {
        Node::Mapping(members) if !members.is_empty() => emitter.mapping(members, 0),
        Node::Sequence(items) if !items.is_empty() => emitter.sequence(items, 0),
        other => emitter.node(other, 0, false),
    }
    emitter.line_end();
    out
}

/// A value to write, its mappings' members in the order they are written.
enum Node {
    Null,
    Bool(bool),
    /// The number as go-yaml prints it.
    Number(String),
    String(String),
    Sequence(Vec<Node>),
    Mapping(Vec<(String, Node)>),
}

impl Node {
    /// A JSON value with its keys in go-yaml's order, as kubectl prints objects.
    fn sorted(value: &Value) -> Node {
        match value {
            Value::Null => Node::Null,
            Value::Bool(flag) => Node::Bool(*flag),
            Value::Number(number) => Node::Number(yaml_number(&number.to_string())),
            Value::String(text) => Node::String(text.clone()),
            Value::Array(items) => Node::Sequence(items.iter().map(Node::sorted).collect()),
            Value::Object(map) => Node::Mapping(
                sorted(map)
                    .into_iter()
                    .map(|(key, value)| (key.to_string(), Node::sorted(value)))
                    .collect(),
            ),
        }
    }
}

/// Reads JSON text into a `Node`, keeping each object's members in the text's order.
impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Node, E> {
        Ok(Node::Bool(flag))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Node, E> {
        Ok(Node::Number(yaml_number(&number.to_string())))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Node, E> {
        Ok(Node::Number(yaml_number(&number.to_string())))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Node, E> {
        let text = serde_json::Number::from_f64(number).map(|n| n.to_string());
        Ok(text.map_or(Node::Null, |t| Node::Number(yaml_number(&t))))
    }

    fn visit_str<E>(self, text: &str) -> Result<Node, E> {
        Ok(Node::String(text.to_string()))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Sequence(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, Node>()? {
            members.push(member);
        }
        Ok(Node::Mapping(members))
    }
}

/// The emitter's state, as libyaml keeps it.
struct Emitter<'a> {
    out: &'a mut String,
    column: usize,
    /// The last character written is whitespace (or nothing is written on this line).
    whitespace: bool,
    /// Only indentation has been written on this line.
    indention: bool,
}

/// How a string is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

impl<'a> Emitter<'a> {
    /// At the start of a line, nothing written on it yet.
    fn new(out: &'a mut String) -> Emitter<'a> {
        Emitter {
            out,
            column: 0,
            whitespace: true,
            indention: true,
        }
    }

    /// One sequence entry (`- ` and the value) at `indent`.
    fn entry(&mut self, node: &Node, indent: usize) {
        self.write_indent(indent);
        self.indicator("-", true, false, true);
        self.node(node, indent, false);
    }

    fn sequence(&mut self, items: &[Node], indent: usize) {
        for item in items {
            self.entry(item, indent);
        }
    }

    fn mapping(&mut self, members: &[(String, Node)], indent: usize) {
        for (key, node) in members {
            self.write_indent(indent);
            self.key(key, indent);
            self.node(node, indent, true);
        }
    }

    /// A key: a simple key (`key:`), or, past libyaml's length for one, the explicit form
    /// (`? key` and `:` on the next line).
    fn key(&mut self, key: &str, indent: usize) {
        if key.len() <= SIMPLE_KEY_MAX && !key.contains(is_break) {
            self.string(key, indent + INDENT, true);
            self.indicator(":", false, false, false);
        } else {
            self.indicator("?", true, false, true);
            self.string(key, indent + INDENT, false);
            self.write_indent(indent);
            self.indicator(":", true, false, true);
        }
    }

    /// A value inside a collection at `indent`; `in_mapping` when it is a mapping's value.
    fn node(&mut self, node: &Node, indent: usize, in_mapping: bool) {
        let inner = indent + INDENT;
        match node {
            Node::Mapping(members) if members.is_empty() => self.flow_empty("{", "}"),
            Node::Sequence(items) if items.is_empty() => self.flow_empty("[", "]"),
            Node::Mapping(members) => self.mapping(members, inner),
            // A sequence right after its key is not indented under it.
            Node::Sequence(items) if in_mapping && !self.indention => self.sequence(items, indent),
            Node::Sequence(items) => self.sequence(items, inner),
            Node::String(text) => self.string(text, inner, false),
            Node::Null => self.plain("null", inner, false),
            Node::Bool(flag) => self.plain(if *flag { "true" } else { "false" }, inner, false),
            Node::Number(text) => self.plain(text, inner, false),
        }
    }

    fn flow_empty(&mut self, open: &str, close: &str) {
        self.indicator(open, true, true, false);
        self.indicator(close, false, false, false);
    }

    /// A string in the style go-yaml picks for it; `indent` is where folded lines start.
    fn string(&mut self, text: &str, indent: usize, key: bool) {
        match style_of(text, key) {
            Style::Plain => self.plain(text, indent, !key),
            Style::Single => self.single_quoted(text, indent, !key),
            Style::Double => self.double_quoted(text, indent, !key),
            Style::Literal => self.literal(text, indent),
        }
    }

    fn plain(&mut self, text: &str, indent: usize, breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if breaks && !spaces && self.column > WIDTH && !next_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn single_quoted(&mut self, text: &str, indent: usize, breaks: bool) {
        self.indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let (mut spaces, mut after_break) = (false, false);
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let inner = i > 0 && i + 1 < chars.len() && chars[i + 1] != ' ';
                if breaks && !spaces && self.column > WIDTH && inner {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !after_break && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                after_break = true;
            } else {
                if after_break {
                    self.write_indent(indent);
                }
                after_break = false;
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn double_quoted(&mut self, text: &str, indent: usize, breaks: bool) {
        self.indicator("\"", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !printable(c) || is_break(c) || c == '\u{feff}' || c == '"' || c == '\\' {
                self.put('\\');
                let escaped = escape(c);
                for e in escaped.chars() {
                    self.put(e);
                }
                spaces = false;
            } else if c == ' ' {
                if breaks && !spaces && self.column > WIDTH && i > 0 && i + 1 < chars.len() {
                    self.write_indent(indent);
                    if chars[i + 1] == ' ' {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, text: &str, indent: usize) {
        self.indicator("|", true, false, false);
        if text.starts_with(|c| c == ' ' || is_break(c)) {
            self.indicator(&INDENT.to_string(), false, false, false);
        }
        let chars: Vec<char> = text.chars().collect();
        let chomp = match chars.as_slice() {
            [] => Some("-"),
            [.., last] if !is_break(*last) => Some("-"),
            [_] => Some("+"),
            [.., before, _] if is_break(*before) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }

    /// libyaml's `write_indicator`.
    fn indicator(
        &mut self,
        text: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in text.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// libyaml's `write_indent`: a new line unless this one holds only indentation so far,
    /// then spaces up to `indent`.
    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    /// Ends the document's last line.
    fn line_end(&mut self) {
        if self.column > 0 {
            self.put_break();
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    /// A line break of the text: `\n` as itself, the others (U+2028, U+2029) kept as they are.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }
}

/// go-yaml's `keyList.Less` for string keys: letters compare as characters and after any
/// other character; runs of digits compare as numbers.
fn key_order(a: &str, b: &str) -> Ordering {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            continue;
        }
        let (a_letter, b_letter) = (a[i].is_alphabetic(), b[i].is_alphabetic());
        if a_letter && b_letter {
            return a[i].cmp(&b[i]);
        }
        if a_letter || b_letter {
            return if b_letter {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut a_number, mut b_number) = (0i64, 0i64);
        if a[i] == '0' || b[i] == '0' {
            let nonzero_before = a[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|&c| c != '0');
            if nonzero_before {
                (a_number, b_number) = (1, 1);
            }
        }
        let digits = |chars: &[char], mut number: i64| {
            let mut end = i;
            while let Some(d) = chars.get(end).and_then(|c| c.to_digit(10)) {
                number = number.wrapping_mul(10).wrapping_add(i64::from(d));
                end += 1;
            }
            (number, end)
        };
        let (a_number, a_end) = digits(&a, a_number);
        let (b_number, b_end) = digits(&b, b_number);
        if a_number != b_number {
            return a_number.cmp(&b_number);
        }
        if a_end != b_end {
            return a_end.cmp(&b_end);
        }
        return a[i].cmp(&b[i]);
    }
    a.len().cmp(&b.len())
}

/// A map's members in go-yaml's key order. An insertion sort: the order is go-yaml's, not
/// guaranteed total for odd keys, and the standard sorts may panic on such an order.
fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&str, &Value)> {
    let mut members: Vec<(&str, &Value)> = Vec::with_capacity(map.len());
    for (key, value) in map {
        let at = members
            .iter()
            .position(|(other, _)| key_order(key, other) == Ordering::Less)
            .unwrap_or(members.len());
        members.insert(at, (key.as_str(), value));
    }
    members
}

/// How go-yaml writes a string: its encoder asks for a literal block when the text has a
/// line break, plain when the text read back plain is still this string, else double
/// quotes; the emitter then falls back where the text does not allow the style asked for.
fn style_of(text: &str, key: bool) -> Style {
    let asked = if text.contains('\n') {
        Style::Literal
    } else if reads_back_as_string(text) {
        Style::Plain
    } else {
        Style::Double
    };
    let allowed = analyze(text);
    let mut style = asked;
    if key && allowed.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!allowed.plain || (text.is_empty() && key)) {
        style = Style::Single;
    }
    if style == Style::Single && !allowed.single {
        style = Style::Double;
    }
    if style == Style::Literal && (!allowed.block || key) {
        style = Style::Double;
    }
    style
}

/// The styles libyaml's `analyze_scalar` allows for a text, in block context.
struct Allowed {
    plain: bool,
    single: bool,
    block: bool,
    multiline: bool,
}

fn analyze(text: &str) -> Allowed {
    if text.is_empty() {
        return Allowed {
            plain: true,
            single: true,
            block: false,
            multiline: false,
        };
    }
    let chars: Vec<char> = text.chars().collect();
    let mut block_indicators = text.starts_with("---") || text.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars.get(i + 1).is_none_or(|&n| n == ' ' || n == '\t');
        let first = i == 0;
        let last = i + 1 == chars.len();
        match c {
            '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
            | '@' | '`'
                if first =>
            {
                block_indicators = true
            }
            '?' | ':' if first => block_indicators |= followed_by_whitespace,
            '-' if first => block_indicators |= followed_by_whitespace,
            ':' => block_indicators |= followed_by_whitespace,
            '#' => block_indicators |= preceded_by_whitespace,
            _ => {}
        }
        if !printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            (previous_space, previous_break) = (true, false);
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            (previous_space, previous_break) = (false, true);
        } else {
            (previous_space, previous_break) = (false, false);
        }
        preceded_by_whitespace = c == ' ' || c == '\t' || is_break(c);
    }
    let mut allowed = Allowed {
        plain: true,
        single: true,
        block: true,
        multiline: line_breaks,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        allowed.plain = false;
    }
    if trailing_space {
        allowed.block = false;
    }
    if break_space {
        allowed.plain = false;
        allowed.single = false;
    }
    if space_break || special {
        allowed = Allowed {
            plain: false,
            single: false,
            block: false,
            ..allowed
        };
    }
    if line_breaks || block_indicators {
        allowed.plain = false;
    }
    allowed
}

/// go-yaml's `is_printable` (a tab is not).
fn printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        && c != '\u{feff}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// The escape after `\` in a double-quoted string.
fn escape(c: char) -> String {
    match c {
        '\0' => "0".into(),
        '\u{7}' => "a".into(),
        '\u{8}' => "b".into(),
        '\t' => "t".into(),
        '\n' => "n".into(),
        '\u{b}' => "v".into(),
        '\u{c}' => "f".into(),
        '\r' => "r".into(),
        '\u{1b}' => "e".into(),
        '"' => "\"".into(),
        '\\' => "\\".into(),
        '\u{85}' => "N".into(),
        '\u{a0}' => "_".into(),
        '\u{2028}' => "L".into(),
        '\u{2029}' => "P".into(),
        c if u32::from(c) <= 0xff => format!("x{:02X}", u32::from(c)),
        c if u32::from(c) <= 0xffff => format!("u{:04X}", u32::from(c)),
        c => format!("U{:08X}", u32::from(c)),
    }
}

/// Whether go-yaml reads the text, written plain, back as this string (its `resolve`): not
/// null, a boolean, a number, a timestamp or a base-60 float, as YAML 1.1 spells them.
fn reads_back_as_string(text: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    if SPECIAL.contains(&text) {
        return false;
    }
    match text.as_bytes().first() {
        Some(b'.') => !is_float(text),
        Some(b'0'..=b'9' | b'+' | b'-') => {
            let plain = text.replace('_', "");
            !(is_timestamp(text) || is_go_int(&plain) || is_float(&plain) || is_base60_float(text))
        }
        _ => true,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint` would accept it (any size, which only
/// decides int versus float: both read back as a number).
fn is_go_int(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    let (digits, radix) = if let Some(hex) = lower.strip_prefix("0x") {
        (hex, 16)
    } else if let Some(octal) = lower.strip_prefix("0o") {
        (octal, 8)
    } else if let Some(binary) = lower.strip_prefix("0b") {
        (binary, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))
}

/// go-yaml's `yamlStyleFloat`: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => digits(fraction),
        Some((whole, fraction)) => digits(whole) && (fraction.is_empty() || digits(fraction)),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`, which go-yaml quotes for older readers.
fn is_base60_float(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (body, fraction) = match unsigned.split_once('.') {
        Some((body, fraction)) => (body, Some(fraction)),
        None => (unsigned, None),
    };
    let mut parts = body.split(':');
    let head = parts.next().unwrap_or("");
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
        && head.chars().all(|c| c.is_ascii_digit() || c == '_');
    let sixties: Vec<&str> = parts.collect();
    let sixties_ok = !sixties.is_empty()
        && sixties.iter().all(|p| {
            let b = p.as_bytes();
            match b {
                [d] => d.is_ascii_digit(),
                [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
                _ => false,
            }
        });
    let fraction_ok = fraction.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'));
    head_ok && sixties_ok && fraction_ok
}

/// go-yaml's `parseTimestamp`: `2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00` (also with `t`)
/// or `2006-1-2 15:4:5.999999999`, with Go's `time.Parse` range checks.
fn is_timestamp(text: &str) -> bool {
    let mut rest = text.as_bytes();
    let Some(year) = take_digits(&mut rest, 4, 4) else {
        return false;
    };
    let date = take(&mut rest, b'-')
        .then(|| take_digits(&mut rest, 1, 2))
        .flatten()
        .filter(|_| take(&mut rest, b'-'))
        .and_then(|month| Some((month, take_digits(&mut rest, 1, 2)?)));
    let Some((month, day)) = date else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    let zoned = match rest.first() {
        None => return true,
        Some(b'T' | b't') => true,
        Some(b' ') => false,
        Some(_) => return false,
    };
    rest = &rest[1..];
    let clock = take_digits(&mut rest, 1, 2)
        .filter(|_| take(&mut rest, b':'))
        .and_then(|h| Some((h, take_digits(&mut rest, 1, 2)?)))
        .filter(|_| take(&mut rest, b':'))
        .and_then(|(h, m)| Some((h, m, take_digits(&mut rest, 1, 2)?)));
    let Some((hour, minute, second)) = clock else {
        return false;
    };
    if hour > 23 || minute > 59 || second > 59 {
        return false;
    }
    if matches!(rest, [b'.' | b',', d, ..] if d.is_ascii_digit()) {
        rest = &rest[1..];
        while rest.first().is_some_and(u8::is_ascii_digit) {
            rest = &rest[1..];
        }
    }
    if !zoned {
        return rest.is_empty();
    }
    match rest {
        [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') <= 24
                && (m1 - b'0') * 10 + (m2 - b'0') <= 60
        }
        _ => false,
    }
}

/// Takes `expected` from the front of `rest`.
fn take(rest: &mut &[u8], expected: u8) -> bool {
    match rest.split_first() {
        Some((&first, tail)) if first == expected => {
            *rest = tail;
            true
        }
        _ => false,
    }
}

/// Takes `min..=max` digits (as many as there are) from the front of `rest`.
fn take_digits(rest: &mut &[u8], min: usize, max: usize) -> Option<u32> {
    let count = rest
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if count < min {
        return None;
    }
    let (digits, tail) = rest.split_at(count);
    *rest = tail;
    Some(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A number as go-yaml prints it after reading kubectl's JSON text of it back: an integer as
/// it is, a float in Go's shortest `%g` form (`1e+21`, `1.5e-07`, `1.234567e+06`).
fn yaml_number(json_text: &str) -> String {
    let go_text = crate::output::kubectl_json::go_number(json_text);
    if let Ok(integer) = go_text.parse::<i64>() {
        return integer.to_string();
    }
    if go_text.parse::<u64>().is_ok() {
        return go_text;
    }
    match go_text.parse::<f64>() {
        Ok(float) if float.is_finite() => go_g(float),
        _ => go_text,
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`.
fn go_g(value: f64) -> String {
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if value < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{fraction}e{exponent_sign}{:02}",
            exponent.unsigned_abs()
        );
    }
    format!("{sign}{}", value.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(value: Value) -> String {
        let mut out = String::new();
        write_sequence_entry(&value, &mut out);
        out
    }

    #[test]
    fn strings_are_quoted_where_go_yaml_quotes_them() {
        let cases = [
            ("plain", "plain"),
            ("2026-01-01T00:00:00Z", "\"2026-01-01T00:00:00Z\""),
            ("2026-1-2", "\"2026-1-2\""),
            ("2026-13-01", "2026-13-01"),
            ("1796607244219376515", "\"1796607244219376515\""),
            ("0755", "\"0755\""),
            ("1e3", "\"1e3\""),
            ("0x1F", "\"0x1F\""),
            ("1_000", "\"1_000\""),
            ("12:30", "\"12:30\""),
            ("true", "\"true\""),
            ("yes", "\"yes\""),
            ("y", "\"y\""),
            ("off", "\"off\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("", "\"\""),
            (".5", "\".5\""),
            (".x", ".x"),
            ("-", "'-'"),
            ("- a", "'- a'"),
            ("a: b", "'a: b'"),
            ("a:b", "a:b"),
            ("a #b", "'a #b'"),
            ("a#b", "a#b"),
            ("*star", "'*star'"),
            ("it's", "it's"),
            ("'quoted'", "'''quoted'''"),
            (" lead", "' lead'"),
            ("trail ", "'trail '"),
            ("tab\there", "\"tab\\there\""),
            ("snow\u{2603}man", "snow\u{2603}man"),
            ("emoji \u{1f600}", "\"emoji \\U0001F600\""),
            ("one\ntwo", "|-\n    one\n    two"),
            ("one\n", "|\n    one"),
            ("one\n\n", "|+\n    one\n"),
            ("  indented\nx", "|2-\n      indented\n    x"),
            ("trailing \nx", "\"trailing \\nx\""),
        ];
        for (text, printed) in cases {
            assert_eq!(
                entry(json!({"k": text})),
                format!("- k: {printed}\n"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn keys_follow_go_yaml_natural_order() {
        let mut keys = vec!["b", "a10", "a2", "A", "_x", "f:spec", ".", "k:{}", "a"];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(
            keys,
            [".", "_x", "A", "a", "a2", "a10", "b", "f:spec", "k:{}"]
        );
    }

    #[test]
    fn collections_nest_as_kubectl_prints_them() {
        let value = json!({
            "metadata": {"labels": {"a": "1"}, "name": "n1"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}], "empty": {}},
            "list": [[1, 2], {}, []],
            "numbers": [1, 1.5, 1e21, 1.5e-7, 1234567.5, 12345678901u64, -3],
        });
        assert_eq!(
            entry(value),
            "- list:\n  - - 1\n    - 2\n  - {}\n  - []\n  metadata:\n    labels:\n      a: \"1\"\n    name: n1\n  numbers:\n  - 1\n  - 1.5\n  - 1e+21\n  - 1.5e-07\n  - 1.2345675e+06\n  - 12345678901\n  - -3\n  status:\n    conditions:\n    - status: \"True\"\n      type: Ready\n    empty: {}\n"
        );
    }

    #[test]
    fn long_text_is_folded_past_column_80() {
        let words = "word ".repeat(30);
        let text = words.trim_end();
        let printed = entry(json!({"message": text}));
        let lines: Vec<&str> = printed.lines().collect();
        assert!(lines.len() > 1, "{printed}");
        assert!(lines[1].starts_with("    word"), "{printed}");
        assert!(
            lines[0].len() > WIDTH && lines[0].len() <= WIDTH + 5,
            "{printed}"
        );
        let quoted = entry(json!({"message": format!("a: {text}")}));
        assert!(quoted.starts_with("- message: 'a: word"), "{quoted}");
        assert!(
            quoted
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("    word")),
            "{quoted}"
        );
    }

    #[test]
    fn a_document_is_a_top_level_mapping() {
        assert_eq!(document(&json!({"b": [1], "a": {}})), "a: {}\nb:\n- 1\n");
    }
}
