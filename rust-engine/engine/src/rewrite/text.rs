//! Reading names and their surroundings in a consumer's file, for edits that
//! change only the characters that must change.

use std::ops::Range;

/// One part of a written name (`proj`, `ds`, `orders` in `` `proj.ds`.orders ``):
/// where its text sits, without quotes, and the quote around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamePart {
    pub inner: Range<usize>,
    pub quote: Option<char>,
}

/// How a name is written: its parts, and whether one quoted token holds
/// several of them (BigQuery's `` `proj.ds.orders` ``).
#[derive(Debug, Clone)]
pub(crate) struct WrittenName {
    pub parts: Vec<NamePart>,
    pub grouped: bool,
}

/// Reads the name written at `range` of `text`. Host-language escapes of
/// quotes (`\"orders\"` in a Java string) count as the quotes themselves.
/// `None` when the text is not a plain dotted name.
pub(crate) fn read_name(text: &str, range: Range<usize>) -> Option<WrittenName> {
    let s = text.get(range.clone())?;
    let bytes = s.as_bytes();
    let mut parts = Vec::new();
    let mut grouped = false;
    let mut i = 0;
    loop {
        // An escaped quote in a host string: `\"`.
        let escaped = bytes.get(i) == Some(&b'\\') && matches!(bytes.get(i + 1), Some(b'"' | b'`' | b'\''));
        let open = if escaped { i + 1 } else { i };
        match bytes.get(open) {
            Some(&q @ (b'"' | b'`' | b'[')) => {
                let close = if q == b'[' { b']' } else { q };
                let body = open + 1;
                let end = body + bytes[body..].iter().position(|&b| b == close)?;
                let end_inner = if escaped && bytes[end - 1] == b'\\' { end - 1 } else { end };
                let inner = &s[body..end_inner];
                if q == b'`' && inner.contains('.') {
                    grouped = true;
                    let mut at = body;
                    for piece in inner.split('.') {
                        parts.push(NamePart { inner: range.start + at..range.start + at + piece.len(), quote: Some('`') });
                        at += piece.len() + 1;
                    }
                } else {
                    parts.push(NamePart { inner: range.start + body..range.start + end_inner, quote: Some(q as char) });
                }
                i = end + 1;
            }
            Some(_) => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'$' | b'-') || bytes[i] >= 0x80) {
                    i += 1;
                }
                if i == start {
                    return None;
                }
                parts.push(NamePart { inner: range.start + start..range.start + i, quote: None });
            }
            None => return None,
        }
        match bytes.get(i) {
            None => break,
            Some(b'.') => i += 1,
            Some(_) => return None,
        }
    }
    Some(WrittenName { parts, grouped })
}

/// True for a name that needs no quotes in any dialect.
pub(crate) fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The name written just before `.` at `at` (the qualifier of a column
/// written `o.amount` or `ds.orders.amount`), with its range.
pub(crate) fn qualifier_before(text: &str, at: usize) -> Option<(Range<usize>, WrittenName)> {
    let bytes = text.as_bytes();
    if at == 0 || bytes[at - 1] != b'.' {
        return None;
    }
    let end = at - 1;
    let mut start = end;
    // Walk back over name characters, quoted parts and dots.
    loop {
        match bytes.get(start.checked_sub(1)?) {
            Some(&q @ (b'"' | b'`' | b']')) => {
                let open = if q == b']' { b'[' } else { q };
                let i = bytes[..start - 1].iter().rposition(|&b| b == open)?;
                start = if i > 0 && bytes[i - 1] == b'\\' { i - 1 } else { i };
            }
            Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$') || *b >= 0x80 => {
                while start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || matches!(bytes[start - 1], b'_' | b'$') || bytes[start - 1] >= 0x80) {
                    start -= 1;
                }
            }
            _ => return None,
        }
        if start > 0 && bytes[start - 1] == b'.' {
            start -= 1;
            continue;
        }
        break;
    }
    if start == end {
        return None;
    }
    let name = read_name(text, start..end)?;
    Some((start..end, name))
}

/// The significant token after `at`, skipping spaces and comments: a word
/// (letters, digits, `_`) or one run of operator characters.
pub(crate) fn next_token(text: &str, at: usize) -> &str {
    let rest = skip_space(text, at);
    let s = &text[rest..];
    let len = token_len(s);
    &s[..len]
}

/// The significant token ending before `at`.
pub(crate) fn previous_token(text: &str, at: usize) -> &str {
    let s = text[..at].trim_end();
    let bytes = s.as_bytes();
    let mut start = s.len();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    if start == 0 {
        return "";
    }
    if word(bytes[start - 1]) {
        while start > 0 && word(bytes[start - 1]) {
            start -= 1;
        }
    } else {
        while start > 0 && is_operator(bytes[start - 1]) {
            start -= 1;
        }
        if start == s.len() {
            start -= 1;
            while !s.is_char_boundary(start) {
                start -= 1;
            }
        }
    }
    &s[start..]
}

fn skip_space(text: &str, mut at: usize) -> usize {
    loop {
        let s = &text[at..];
        let trimmed = s.trim_start();
        at += s.len() - trimmed.len();
        if trimmed.starts_with("--") {
            at += trimmed.find('\n').unwrap_or(trimmed.len());
        } else if trimmed.starts_with("/*") {
            at += trimmed.find("*/").map_or(trimmed.len(), |i| i + 2);
        } else {
            return at;
        }
    }
}

fn token_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        return 0;
    };
    let run = |pred: fn(u8) -> bool| bytes.iter().position(|&b| !pred(b)).unwrap_or(bytes.len());
    if first.is_ascii_alphanumeric() || first == b'_' {
        run(|b| b.is_ascii_alphanumeric() || b == b'_')
    } else if is_operator(first) {
        run(is_operator)
    } else {
        s.chars().next().map_or(0, char::len_utf8)
    }
}

fn is_operator(b: u8) -> bool {
    matches!(b, b'=' | b'<' | b'>' | b'!' | b'+' | b'-' | b'*' | b'/' | b'|' | b'%')
}

/// Whole-word occurrences of `word` in `text[range]`, ignoring case, outside
/// SQL comments and string literals.
pub(crate) fn find_words(text: &str, range: Range<usize>, word: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut found = Vec::new();
    let mut i = range.start;
    while i < range.end {
        let s = &text[i..range.end];
        if s.starts_with("--") {
            i += s.find('\n').unwrap_or(s.len());
        } else if s.starts_with("/*") {
            i += s.find("*/").map_or(s.len(), |e| e + 2);
        } else if let Some(literal) = s.strip_prefix('\'') {
            i += 1 + literal.find('\'').map_or(literal.len(), |e| e + 1);
        } else if is_word(bytes[i]) {
            let len = s.bytes().position(|b| !is_word(b)).unwrap_or(s.len());
            if s[..len].eq_ignore_ascii_case(word) && (i == 0 || !is_word(bytes[i - 1])) {
                found.push(i);
            }
            i += len;
        } else {
            i += s.chars().next().map_or(1, char::len_utf8);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Vec<&str> {
        read_name(text, 0..text.len()).unwrap().parts.iter().map(|p| &text[p.inner.clone()]).collect()
    }

    #[test]
    fn names_are_read_part_by_part_in_every_quoting_style() {
        assert_eq!(parts("proj.ds.orders"), ["proj", "ds", "orders"]);
        assert_eq!(parts("`proj.ds.orders`"), ["proj", "ds", "orders"]);
        assert_eq!(parts("`my-proj`.ds.`orders`"), ["my-proj", "ds", "orders"]);
        assert_eq!(parts("\"Ds\".\"Orders\""), ["Ds", "Orders"]);
        assert_eq!(parts("\\\"ds\\\".\\\"orders\\\""), ["ds", "orders"]);
        assert!(read_name("shop', 'orders", 0..14).is_none());
    }

    #[test]
    fn qualifiers_and_neighbouring_tokens() {
        let sql = "select `p.ds`.orders.amount, o.id from t o where o.id >= 3";
        let at = sql.find("amount").unwrap();
        let (range, name) = qualifier_before(sql, at).unwrap();
        assert_eq!(&sql[range], "`p.ds`.orders");
        assert_eq!(name.parts.len(), 3);
        let id = sql.rfind("id").unwrap();
        assert_eq!(next_token(sql, id + 2), ">=");
        assert_eq!(previous_token(sql, id - 2), "where");
        assert_eq!(find_words("amount -- amount\n 'amount' AMOUNT amounts", 0..41, "amount"), [0, 27]);
    }
}
