//! How a property file's strings name models, sources and columns:
//! `ref(...)`/`source(...)` calls inside a value, the header of a CSV
//! fixture, and a SQL expression's tokens.

use std::ops::Range;

use crate::schema::names_match;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    Ref,
    Source,
}

/// A `ref('pkg', 'model')` or `source('src', 'table')` written in a value,
/// with its leading quoted arguments (what is inside the quotes, and where).
#[derive(Debug)]
pub(crate) struct Call {
    pub kind: CallKind,
    pub args: Vec<(String, Range<usize>)>,
}

impl Call {
    /// The argument that names the table: a ref's model (its last
    /// positional argument; the first is a package when there are two), a
    /// source's table.
    pub fn table_arg(&self) -> Option<&(String, Range<usize>)> {
        match (self.kind, self.args.len()) {
            (CallKind::Ref, 1 | 2) | (CallKind::Source, 2) => self.args.last(),
            _ => None,
        }
    }

    /// True when the call names `dataset` as the SQL rewrite reads dbt: a
    /// ref by its model, the dataset's last part (`ref('stg_orders')` names
    /// `analytics.stg_orders`); a source as `src.table`, matched by suffix,
    /// or by its table alone when the dataset is one bare name.
    pub fn names(&self, dataset: &str) -> bool {
        let Some((table, _)) = self.table_arg() else {
            return false;
        };
        match self.kind {
            CallKind::Ref => last_part(dataset).eq_ignore_ascii_case(table),
            CallKind::Source => names_match(dataset, &format!("{}.{table}", self.args[0].0)) || (!dataset.contains('.') && dataset.eq_ignore_ascii_case(table)),
        }
    }
}

pub(crate) fn last_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Every `ref(...)` and `source(...)` call in `value`, in order. Only
/// calls whose first argument is a quoted string count; keyword arguments
/// (`v=2`) end the arguments read.
pub(crate) fn calls(value: &str) -> Vec<Call> {
    let bytes = value.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &value[at..];
        let kind = if rest.starts_with("ref") {
            Some((CallKind::Ref, 3))
        } else if rest.starts_with("source") {
            Some((CallKind::Source, 6))
        } else {
            None
        };
        let boundary = at == 0 || !is_word_byte(bytes[at - 1]) && bytes[at - 1] != b'.';
        let Some((kind, len)) = kind.filter(|_| boundary) else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let mut i = skip_spaces(value, at + len);
        at += len;
        if bytes.get(i) != Some(&b'(') {
            continue;
        }
        i = skip_spaces(value, i + 1);
        let mut args = Vec::new();
        while let Some(&q) = bytes.get(i).filter(|&&b| b == b'\'' || b == b'"') {
            let Some(close) = value[i + 1..].find(q as char) else {
                break;
            };
            let inner = i + 1..i + 1 + close;
            args.push((value[inner.clone()].to_string(), inner.clone()));
            i = skip_spaces(value, inner.end + 1);
            if bytes.get(i) != Some(&b',') {
                break;
            }
            i = skip_spaces(value, i + 1);
        }
        if !args.is_empty() {
            at = i;
            found.push(Call { kind, args });
        }
    }
    found
}

fn skip_spaces(text: &str, mut i: usize) -> usize {
    while text.as_bytes().get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The column names of a CSV fixture's header (its first non-empty line),
/// each with its range in `csv` (inside its quotes when quoted).
pub(crate) fn csv_header(csv: &str) -> Vec<(String, Range<usize>)> {
    let start = csv.len() - csv.trim_start().len();
    let end = csv[start..].find('\n').map_or(csv.len(), |n| start + n);
    let mut names = Vec::new();
    let mut field_start = start;
    for field in csv[start..end].split(',') {
        let lead = field.len() - field.trim_start().len();
        let trimmed = field.trim();
        let (inner_off, inner) = match trimmed.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(inner) => (lead + 1, inner),
            None => (lead, trimmed),
        };
        let s = field_start + inner_off;
        names.push((inner.to_string(), s..s + inner.len()));
        field_start += field.len() + 1;
    }
    names
}

/// Words (identifier characters) and single other characters: the units
/// in which an expression's old and new text are compared, so an edit
/// replaces whole names.
pub(crate) fn tokens(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let mut end = i + c.len_utf8();
        if c.is_alphanumeric() || c == '_' {
            while let Some(&(j, d)) = chars.peek().filter(|(_, d)| d.is_alphanumeric() || *d == '_') {
                end = j + d.len_utf8();
                chars.next();
            }
        }
        out.push(i..end);
    }
    out
}

/// True when `word` is written in `text` as a whole name (case-insensitive).
pub(crate) fn mentions(text: &str, word: &str) -> bool {
    tokens(text).into_iter().any(|t| text[t].eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_read_refs_sources_packages_and_versions() {
        let value = "{{ ref('stg_orders') }} and ref(\"pkg\", \"m\", v=2) source('ecom', 'raw_orders') myref('x') x.ref('y')";
        let calls = calls(value);
        assert_eq!(calls.len(), 3);
        assert_eq!(&value[calls[0].table_arg().unwrap().1.clone()], "stg_orders");
        assert_eq!(calls[1].table_arg().unwrap().0, "m");
        assert!(calls[2].names("raw.ecom.raw_orders") && calls[2].names("raw_orders") && !calls[2].names("other.raw_orders"));
        assert!(calls[0].names("analytics.stg_orders") && calls[0].names("STG_ORDERS"));
    }

    #[test]
    fn csv_headers_keep_positions_inside_quotes() {
        let csv = "\n id, \"order_id\" ,amount\n1,2,3\n";
        let header = csv_header(csv);
        let names: Vec<&str> = header
            .iter()
            .map(|(n, r)| {
                assert_eq!(&csv[r.clone()], n);
                n.as_str()
            })
            .collect();
        assert_eq!(names, ["id", "order_id", "amount"]);
    }
}
