//! Edits of a YAML file: byte ranges and their replacements, applied to the
//! original text as the SQL rewrite applies its own, each also recorded as
//! what YAML will read afterwards, so the result is verified by reading it
//! again.

use std::collections::BTreeMap;
use std::ops::Range;

use super::yaml::{self, Map, Node, Scalar, Style};

/// A byte range (of the file or of a value) and what replaces it.
pub(crate) type Edit = (Range<usize>, String);

#[derive(Default)]
pub(crate) struct Edits {
    /// Edits of the file.
    pub file: Vec<Edit>,
    /// Scalar id → its value, and the edits of that value.
    values: BTreeMap<usize, (String, Vec<Edit>)>,
    /// Map id → an entry added to it (key, value).
    inserted: BTreeMap<usize, (String, String)>,
}

impl Edits {
    /// Replaces the whole of a scalar's value with `new`, in the scalar's
    /// own quoting (a plain scalar that `new` cannot be written in is
    /// single-quoted).
    pub fn replace_scalar(&mut self, text: &str, scalar: &Scalar, new: &str) -> bool {
        // A quoted scalar's span must run from its quote to its closing quote.
        let raw = &text[scalar.span.clone()];
        let quoted = |q: char| raw.len() >= 2 && raw.starts_with(q) && raw.ends_with(q);
        if scalar.style == Style::Single && !quoted('\'') || scalar.style == Style::Double && !quoted('"') {
            return false;
        }
        let (range, content) = match scalar.style {
            Style::Plain if is_plain(new) => (scalar.span.clone(), new.to_string()),
            Style::Plain => (scalar.span.clone(), format!("'{}'", new.replace('\'', "''"))),
            Style::Single => (scalar.span.start + 1..scalar.span.end - 1, new.replace('\'', "''")),
            Style::Double => (scalar.span.start + 1..scalar.span.end - 1, escape_double(new)),
            // A block scalar's value ends with its line break; only its
            // first line is replaced, which holds the whole of a name.
            Style::Block => {
                let len = scalar.value.trim_end_matches('\n').len();
                return self.replace_in_scalar(text, scalar, 0..len, new);
            }
        };
        self.file.push((range, content));
        self.values.entry(scalar.id).or_insert_with(|| (scalar.value.clone(), Vec::new())).1.push((0..scalar.value.len(), new.to_string()));
        true
    }

    /// Replaces `range` of a scalar's value with `new`, where that part is
    /// written in the file as it reads. False (nothing edited) otherwise,
    /// or when `new` cannot be written in the scalar's quoting.
    pub fn replace_in_scalar(&mut self, text: &str, scalar: &Scalar, range: Range<usize>, new: &str) -> bool {
        if new.contains('\n') {
            return false;
        }
        let Some(raw) = yaml::raw_range(text, scalar, range.clone()) else {
            return false;
        };
        let content = match scalar.style {
            Style::Single => new.replace('\'', "''"),
            Style::Double => escape_double(new),
            Style::Plain | Style::Block => new.to_string(),
        };
        self.file.push((raw, content));
        self.values.entry(scalar.id).or_insert_with(|| (scalar.value.clone(), Vec::new())).1.push((range, new.to_string()));
        true
    }

    /// Adds `key: value` to a block mapping, on a line of its own after
    /// the entry `after`, at that entry's indentation. False when the
    /// mapping is written inline (`{...}`) or the entry does not end its line.
    pub fn insert_after(&mut self, text: &str, map: &Map, after: &(Node, Node), key: &str, value: &str) -> bool {
        let (Some(k), Some(v)) = (after.0.scalar(), after.1.scalar()) else {
            return false;
        };
        if map.flow || self.inserted.contains_key(&map.id) || v.style == Style::Block {
            return false;
        }
        let line_start = text[..k.span.start].rfind('\n').map_or(0, |i| i + 1);
        // The key's column: the line holds only spaces and `- ` before it.
        let before = &text[line_start..k.span.start];
        if !before.chars().all(|c| c == ' ' || c == '-') {
            return false;
        }
        let line_end = text[v.span.end..].find('\n').map_or(text.len(), |i| v.span.end + i);
        let line_end = if text[..line_end].ends_with('\r') { line_end - 1 } else { line_end };
        let newline = if text[line_end..].starts_with("\r\n") { "\r\n" } else { "\n" };
        let indent = " ".repeat(before.chars().count());
        let written = if is_plain(value) { value.to_string() } else { format!("\"{}\"", escape_double(value)) };
        self.file.push((line_end..line_end, format!("{newline}{indent}{key}: {written}")));
        self.inserted.insert(map.id, (key.to_string(), value.to_string()));
        true
    }

    pub fn is_empty(&self) -> bool {
        self.file.is_empty()
    }

    /// The file's edits in the order they stand in the file.
    pub fn sorted(&self) -> Vec<Edit> {
        let mut edits = self.file.clone();
        edits.sort_by_key(|(r, _)| (r.start, r.end));
        edits
    }

    /// The edited text; an error when two edits overlap.
    pub fn apply(&self, text: &str) -> Result<String, String> {
        let edits = self.sorted();
        for pair in edits.windows(2) {
            if pair[0].0.end > pair[1].0.start || pair[0].0 == pair[1].0 {
                return Err(format!("two edits overlap at byte {}; edit by hand", pair[1].0.start));
            }
        }
        let mut out = String::with_capacity(text.len() + 64);
        let mut at = 0;
        for (range, content) in &edits {
            out.push_str(&text[at..range.start]);
            out.push_str(content);
            at = range.end;
        }
        out.push_str(&text[at..]);
        Ok(out)
    }

    /// Reads the edited text again: it must be valid YAML of the same shape,
    /// each edited value reading as intended and every other as before.
    pub fn verify(&self, before: &[Node], edited: &str) -> Result<(), String> {
        let after = yaml::parse(edited).map_err(|e| format!("the edited file is not valid YAML (line {}, column {}: {})", e.line, e.column, e.message))?;
        if before.len() != after.len() {
            return Err("the edited file has another number of YAML documents".into());
        }
        before.iter().zip(&after).try_for_each(|(b, a)| self.same(b, a))
    }

    fn same(&self, before: &Node, after: &Node) -> Result<(), String> {
        match (before, after) {
            (Node::Scalar(b), Node::Scalar(a)) => {
                let expected = self.expected(b);
                if a.value != expected {
                    return Err(format!("a value reads `{}` where `{expected}` was meant", a.value));
                }
                Ok(())
            }
            (Node::Seq { items: b, .. }, Node::Seq { items: a, .. }) if a.len() == b.len() => b.iter().zip(a).try_for_each(|(b, a)| self.same(b, a)),
            (Node::Map(b), Node::Map(a)) => {
                let mut entries: Vec<&(Node, Node)> = a.entries.iter().collect();
                if let Some((key, value)) = self.inserted.get(&b.id) {
                    let at = entries.iter().position(|(k, v)| k.str() == Some(key) && v.str() == Some(value));
                    match at {
                        Some(at) if b.get(key).is_none() => entries.remove(at),
                        _ => return Err(format!("the added `{key}: {value}` does not read as written")),
                    };
                }
                if entries.len() != b.entries.len() {
                    return Err("a mapping gained or lost an entry".into());
                }
                b.entries.iter().zip(entries).try_for_each(|((bk, bv), (ak, av))| self.same(bk, ak).and_then(|()| self.same(bv, av)))
            }
            (Node::Alias { .. }, Node::Alias { .. }) => Ok(()),
            _ => Err("the structure of the file changed".into()),
        }
    }

    /// What a scalar should read after the edits.
    fn expected(&self, scalar: &Scalar) -> String {
        let Some((value, replaced)) = self.values.get(&scalar.id) else {
            return scalar.value.clone();
        };
        let mut replaced = replaced.clone();
        replaced.sort_by_key(|(r, _)| r.start);
        let mut out = String::new();
        let mut at = 0;
        for (range, new) in replaced {
            out.push_str(value.get(at..range.start).unwrap_or_default());
            out.push_str(&new);
            at = range.end.max(at);
        }
        out.push_str(value.get(at..).unwrap_or_default());
        out
    }
}

/// A name YAML reads as itself when written bare: letters, digits, `_`,
/// `.` and `$`, starting with a letter or `_` (so never a number or a bool).
pub(crate) fn is_plain(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '$'))
        && !matches!(text.to_ascii_lowercase().as_str(), "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n")
}

fn escape_double(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
