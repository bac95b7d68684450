//! SQL inside Python, Java and Scala string literals.
//!
//! A small lexer per language finds string literals (skipping comments and
//! everything else), decodes escapes, masks interpolations with placeholders,
//! and joins literals concatenated with `+` (or adjacent, in Python). A joined
//! literal that reads like a SQL statement becomes a fragment; edits inside it
//! map back into the literal.

use super::{Fragment, FragmentBuilder};

#[derive(Clone, Copy, PartialEq)]
enum Host {
    Python,
    Java,
    Scala,
}

pub fn python(text: &str) -> Vec<Fragment> {
    Lexer::new(text, Host::Python).fragments()
}

pub fn java(text: &str) -> Vec<Fragment> {
    Lexer::new(text, Host::Java).fragments()
}

pub fn scala(text: &str) -> Vec<Fragment> {
    Lexer::new(text, Host::Scala).fragments()
}

/// One piece of a literal's value.
enum Part {
    /// Bytes copied from the file at this range.
    Verbatim(usize, usize),
    /// Text that stands for what is at this file offset (a decoded escape).
    Synthetic(String, usize),
    /// A value computed by the host code at this file offset.
    Placeholder(usize),
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    host: Host,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, host: Host) -> Self {
        Lexer { text, bytes: text.as_bytes(), host, pos: 0 }
    }

    fn fragments(mut self) -> Vec<Fragment> {
        let mut found = Vec::new();
        while self.pos < self.bytes.len() {
            let start = self.pos;
            if let Some(parts) = self.literal_at_pos() {
                let parts = self.concatenation(parts);
                if self.host == Host::Python && is_docstring(self.text, start) {
                    continue;
                }
                let mut builder = FragmentBuilder::default();
                for part in parts {
                    match part {
                        Part::Verbatim(start, end) => builder.verbatim(&self.text[start..end], start),
                        Part::Synthetic(text, at) => builder.synthetic(&text, at),
                        Part::Placeholder(at) => builder.placeholder(at),
                    }
                }
                if looks_like_sql(builder.sql()) {
                    found.push(builder.finish());
                }
            } else if !self.skip_comment() {
                self.pos += utf8_len(self.bytes[self.pos]);
            }
        }
        found
    }

    /// After a literal: more literals joined by `+` (or adjacency in Python),
    /// with placeholders for the non-literal operands of `+`.
    fn concatenation(&mut self, mut parts: Vec<Part>) -> Vec<Part> {
        loop {
            let save = self.pos;
            self.skip_space_and_comments();
            let plus = self.bytes.get(self.pos) == Some(&b'+');
            if plus {
                self.pos += 1;
                self.skip_space_and_comments();
            }
            if let Some(more) = self.literal_at_pos() {
                if plus || self.host == Host::Python {
                    parts.extend(more);
                    continue;
                }
            } else if plus {
                let at = self.pos;
                if self.skip_operand() {
                    // `"... " + table + " ..."`: go on only if another `+` follows.
                    let after = self.pos;
                    self.skip_space_and_comments();
                    if self.bytes.get(self.pos) == Some(&b'+') {
                        parts.push(Part::Placeholder(at));
                        self.pos = after;
                        continue;
                    }
                    parts.push(Part::Placeholder(at));
                    return parts;
                }
            }
            self.pos = save;
            return parts;
        }
    }

    /// Skips an identifier, attribute chain or call (`a.b(c)[0]`).
    fn skip_operand(&mut self) -> bool {
        let start = self.pos;
        loop {
            while self.pos < self.bytes.len() && (self.bytes[self.pos].is_ascii_alphanumeric() || matches!(self.bytes[self.pos], b'_' | b'.' | b'$')) {
                self.pos += 1;
            }
            match self.bytes.get(self.pos) {
                Some(b'(' | b'[') if self.pos > start => {
                    if !self.skip_balanced() {
                        return false;
                    }
                }
                _ => break,
            }
        }
        self.pos > start
    }

    fn skip_balanced(&mut self) -> bool {
        let mut depth = 0usize;
        while self.pos < self.bytes.len() {
            if self.literal_at_pos().is_some() {
                continue;
            }
            match self.bytes[self.pos] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.pos += 1;
                        return true;
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        false
    }

    fn skip_space_and_comments(&mut self) {
        loop {
            while self.pos < self.bytes.len() && (self.bytes[self.pos].is_ascii_whitespace() || (self.host == Host::Python && self.bytes[self.pos] == b'\\')) {
                self.pos += 1;
            }
            if !self.skip_comment() {
                return;
            }
        }
    }

    fn skip_comment(&mut self) -> bool {
        let rest = &self.bytes[self.pos..];
        let line_comment = match self.host {
            Host::Python => rest.starts_with(b"#"),
            Host::Java | Host::Scala => rest.starts_with(b"//"),
        };
        if line_comment {
            self.pos += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            return true;
        }
        if self.host != Host::Python && rest.starts_with(b"/*") {
            self.pos += self.text[self.pos + 2..].find("*/").map_or(rest.len(), |i| i + 4);
            return true;
        }
        false
    }

    /// If a string literal starts at the cursor, consumes it and returns its parts.
    fn literal_at_pos(&mut self) -> Option<Vec<Part>> {
        let (prefix_len, prefix) = self.string_prefix()?;
        let quote_at = self.pos + prefix_len;
        let triple = self.bytes[quote_at..].starts_with(b"\"\"\"") || self.bytes[quote_at..].starts_with(b"'''");
        let quote = self.bytes[quote_at];
        if quote == b'\'' && self.host != Host::Python {
            // A char literal in Java and Scala (or a Scala symbol): skip it.
            return None;
        }
        let content_start = quote_at + if triple { 3 } else { 1 };
        let style = self.style(&prefix, triple);
        let (parts, end) = self.content(content_start, quote, triple, style)?;
        self.pos = end;
        Some(parts)
    }

    /// The length and text of the literal prefix at the cursor (`f`, `rb`, `s`,
    /// ...) when a quote follows it; `(0, "")` for a bare quote.
    fn string_prefix(&self) -> Option<(usize, String)> {
        let b = *self.bytes.get(self.pos)?;
        if b == b'"' || b == b'\'' {
            return Some((0, String::new()));
        }
        if !(b.is_ascii_alphabetic() || b == b'_') {
            return None;
        }
        // Only at the start of a word.
        if self.pos > 0 && (self.bytes[self.pos - 1].is_ascii_alphanumeric() || self.bytes[self.pos - 1] == b'_') {
            return None;
        }
        let len = self.bytes[self.pos..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
        let next = self.bytes.get(self.pos + len)?;
        if *next != b'"' && *next != b'\'' {
            return None;
        }
        let prefix = self.text[self.pos..self.pos + len].to_ascii_lowercase();
        let valid = match self.host {
            Host::Python => matches!(prefix.as_str(), "r" | "u" | "f" | "b" | "rb" | "br" | "fr" | "rf"),
            Host::Scala => *next == b'"',
            Host::Java => false,
        };
        valid.then_some((len, prefix))
    }

    fn style(&self, prefix: &str, triple: bool) -> Style {
        match self.host {
            Host::Python => Style { escapes: !prefix.contains('r'), braces: if prefix.contains('f') { Braces::FString } else { Braces::Format }, dollar: false, margin: false },
            Host::Java => Style { escapes: true, braces: Braces::None, dollar: false, margin: false },
            Host::Scala => Style { escapes: !triple && prefix != "raw", braces: Braces::None, dollar: !prefix.is_empty(), margin: triple },
        }
    }

    /// Scans a literal's content from `start`; returns its parts and the offset
    /// just past the closing quote, or `None` when it never closes.
    fn content(&self, start: usize, quote: u8, triple: bool, style: Style) -> Option<(Vec<Part>, usize)> {
        let bytes = self.bytes;
        let mut parts = Vec::new();
        let mut run = start;
        let mut i = start;
        let flush = |parts: &mut Vec<Part>, run: usize, i: usize| {
            if i > run {
                parts.push(Part::Verbatim(run, i));
            }
        };
        // stripMargin applies only when the literal is followed by it.
        let margin = style.margin && self.closing(start, quote, triple).is_some_and(|end| self.text[end..].trim_start().starts_with(".stripMargin"));
        let mut line_start = true;
        while i < bytes.len() {
            let b = bytes[i];
            if b == quote && (!triple || bytes[i..].starts_with(&[quote; 3])) {
                flush(&mut parts, run, i);
                return Some((parts, i + if triple { 3 } else { 1 }));
            }
            if b == b'\n' && !triple {
                return None;
            }
            if margin && line_start && b == b'|' {
                flush(&mut parts, run, i);
                parts.push(Part::Synthetic(" ".into(), i));
                i += 1;
                run = i;
                line_start = false;
                continue;
            }
            if b == b'\n' {
                line_start = true;
            } else if !b.is_ascii_whitespace() {
                line_start = false;
            }
            if let Some((part, end)) = self.part_at(i, quote, style).ok()? {
                flush(&mut parts, run, i);
                parts.push(part);
                i = end;
                run = i;
                continue;
            }
            i += utf8_len(b);
        }
        None
    }

    /// What stands at `i` inside a literal besides its own text (an escape,
    /// an interpolation, a parameter), as a part, with the offset past it.
    fn part_at(&self, i: usize, quote: u8, style: Style) -> Result<Option<(Part, usize)>, Unclosed> {
        let bytes = self.bytes;
        let b = bytes[i];
        if b == b'\\' && (style.escapes || bytes.get(i + 1) == Some(&quote)) {
            let (decoded, len) = if style.escapes { decode_escape(&self.text[i..]) } else { (self.text[i..i + 2].to_string(), 2) };
            return Ok(Some((Part::Synthetic(decoded, i), i + len)));
        }
        if style.dollar && b == b'$' {
            return self.interpolation(i).map(Some);
        }
        if b == b'{' && style.braces != Braces::None {
            if bytes.get(i + 1) == Some(&b'{') && style.braces == Braces::FString {
                return Ok(Some((Part::Synthetic("{".into(), i), i + 2)));
            }
            let field_end = if style.braces == Braces::FString {
                matching_brace(bytes, i)
            } else {
                // str.format fields: {}, {0}, {name}.
                let len = bytes[i + 1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
                (bytes.get(i + 1 + len) == Some(&b'}')).then_some(i + len + 2)
            };
            if let Some(end) = field_end {
                return Ok(Some((Part::Placeholder(i), end)));
            }
        }
        if b == b'}' && style.braces == Braces::FString && bytes.get(i + 1) == Some(&b'}') {
            return Ok(Some((Part::Synthetic("}".into(), i), i + 2)));
        }
        if b == b'%' && self.host == Host::Python {
            // DB-API parameters: %s, %d, %(name)s.
            let rest = &bytes[i + 1..];
            let len = if rest.starts_with(b"(") {
                rest.iter().position(|&c| c == b')').filter(|&p| rest.get(p + 1).is_some_and(u8::is_ascii_alphabetic)).map(|p| p + 3)
            } else if rest.first().is_some_and(|c| matches!(c, b's' | b'd' | b'f')) {
                Some(2)
            } else {
                None
            };
            if let Some(len) = len {
                return Ok(Some((Part::Placeholder(i), i + len)));
            }
        }
        Ok(None)
    }

    /// Scala's `$$`, `${expr}` or `$name` at `i`, with the offset past it.
    fn interpolation(&self, i: usize) -> Result<(Part, usize), Unclosed> {
        let bytes = self.bytes;
        match bytes.get(i + 1) {
            Some(b'$') => Ok((Part::Synthetic("$".into(), i), i + 2)),
            Some(b'{') => Ok((Part::Placeholder(i), matching_brace(bytes, i + 1).ok_or(Unclosed)?)),
            _ => {
                let mut end = i + 1;
                while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
                    end += 1;
                }
                Ok((Part::Placeholder(i), end))
            }
        }
    }

    /// The offset just past the closing quote of a literal starting at `start`.
    fn closing(&self, start: usize, quote: u8, triple: bool) -> Option<usize> {
        if triple {
            let q = if quote == b'"' { "\"\"\"" } else { "'''" };
            return self.text[start..].find(q).map(|i| start + i + 3);
        }
        None
    }
}

/// An interpolation that never closes, and so neither does its literal.
struct Unclosed;

#[derive(Clone, Copy, PartialEq)]
enum Braces {
    None,
    FString,
    Format,
}

#[derive(Clone, Copy)]
struct Style {
    escapes: bool,
    braces: Braces,
    dollar: bool,
    margin: bool,
}

/// Decodes the escape sequence at the start of `s` (which begins with `\`).
fn decode_escape(s: &str) -> (String, usize) {
    let mut chars = s.chars();
    chars.next();
    let Some(c) = chars.next() else {
        return ("\\".into(), 1);
    };
    let decoded = match c {
        'n' => "\n".to_string(),
        't' => "\t".to_string(),
        'r' => "\r".to_string(),
        '0' => "\0".to_string(),
        '\n' => String::new(),
        'u' if s.len() >= 6 && s[2..6].chars().all(|c| c.is_ascii_hexdigit()) => {
            let code = u32::from_str_radix(&s[2..6], 16).ok().and_then(char::from_u32).unwrap_or('\u{fffd}');
            return (code.to_string(), 6);
        }
        other => other.to_string(),
    };
    (decoded, 1 + c.len_utf8())
}

/// The offset just past the `}` matching the `{` at `open`, skipping strings.
/// Interpolations longer than `MAX_INTERPOLATION` bytes are not looked for,
/// so unbalanced input cannot make the scan quadratic.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    const MAX_INTERPOLATION: usize = 4096;
    let mut depth = 0usize;
    let mut i = open;
    let mut quote: Option<u8> = None;
    while i < bytes.len().min(open + MAX_INTERPOLATION) {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                b'\n' => return None,
                _ => {}
            },
        }
        i += 1;
    }
    None
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// True when the Python literal at `start` is a docstring: the first
/// statement of the module, or of a `def` or `class` body. It documents the
/// code ("Create temp table to capture ..."); it is never a query.
fn is_docstring(text: &str, start: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..start];
    if !indent.trim().is_empty() {
        return false;
    }
    // The lines before it that hold code (comments dropped, roughly: a `#`
    // inside a string on a header line is rare).
    let mut code = text[..line_start].lines().rev().map(|l| l.split('#').next().unwrap_or("")).filter(|l| !l.trim().is_empty());
    let Some(previous) = code.next() else {
        return true;
    };
    if !previous.trim_end().ends_with(':') {
        return false;
    }
    // The body's header starts where its brackets open (it may span lines,
    // `def f(\n  a,\n):`).
    let mut open = 0isize;
    for line in std::iter::once(previous).chain(code).take(64) {
        open += line
            .bytes()
            .map(|b| match b {
                b'(' | b'[' | b'{' => 1,
                b')' | b']' | b'}' => -1,
                _ => 0,
            })
            .sum::<isize>();
        if open >= 0 {
            let header = line.trim_start();
            return line.len() - header.len() < indent.len() && ["def ", "async def ", "class "].iter().any(|k| header.starts_with(k));
        }
    }
    false
}

/// True when `text` reads like a SQL statement: it starts with a statement
/// keyword and has the keyword that such a statement needs (`SELECT ...
/// FROM`, `INSERT INTO`, ...), so prose like "Select a file" is not SQL.
pub fn looks_like_sql(text: &str) -> bool {
    let mut words = text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').filter(|w| !w.is_empty()).map(|w| w.to_ascii_uppercase());
    let Some(first) = words.next() else {
        return false;
    };
    let needs: &[&str] = match first.as_str() {
        "SELECT" => &["FROM"],
        "WITH" => &["AS"],
        "INSERT" => &["INTO", "OVERWRITE"],
        "UPDATE" => &["SET"],
        "DELETE" => &["FROM", "WHERE"],
        "MERGE" => &["INTO", "USING"],
        "CREATE" | "REPLACE" => &["TABLE", "VIEW"],
        "DROP" | "ALTER" | "TRUNCATE" => &["TABLE", "VIEW"],
        _ => return false,
    };
    words.take(4096).any(|w| needs.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(fragments: Vec<Fragment>) -> Vec<String> {
        fragments.into_iter().map(|f| f.sql).collect()
    }

    #[test]
    fn python_triple_quoted_f_string_with_interpolations() {
        let text = "q = f\"\"\"\nSELECT a, {col}\nFROM `proj.ds.t` WHERE d = '{{x}}'\n\"\"\"\nprint('Select a file')";
        assert_eq!(sqls(python(text)), vec!["\nSELECT a, __ripple_1\nFROM `proj.ds.t` WHERE d = '{x}'\n"]);
    }

    #[test]
    fn python_positions_map_into_the_literal() {
        let text = "spark.sql(\"SELECT amount FROM orders\")";
        let f = &python(text)[0];
        let at = f.sql.find("amount").unwrap();
        assert_eq!(&text[f.map.host_offset(at)..][..6], "amount");
    }

    #[test]
    fn python_adjacent_and_plus_concatenation_with_parameters() {
        let text = "cur.execute(\"SELECT id FROM t \"\n  \"WHERE a = %s \" + table + \" AND b = %(b)s\")";
        assert_eq!(sqls(python(text)), vec!["SELECT id FROM t WHERE a = __ripple_1 __ripple_2 AND b = __ripple_3"]);
    }

    #[test]
    fn java_concatenation_escapes_and_text_blocks() {
        let text = "// SELECT x FROM commented\nString q = \"SELECT \\\"a\\\" \" +\n  \"FROM t WHERE c = '\\n'\";\nString b = \"\"\"\n  INSERT INTO t2 SELECT * FROM t\n  \"\"\"; char c = '\"';";
        assert_eq!(
            sqls(java(text)),
            vec!["SELECT \"a\" FROM t WHERE c = '\n'", "  INSERT INTO t2 SELECT * FROM t\n  "]
                .into_iter()
                .map(|s| if s.starts_with("  INSERT") { format!("\n{s}") } else { s.to_string() })
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn scala_interpolation_and_strip_margin() {
        let text = "spark.sql(s\"\"\"\n   |SELECT id, $col\n   |FROM db.t WHERE ts > '${since}'\"\"\".stripMargin)";
        assert_eq!(sqls(scala(text)), vec!["\n    SELECT id, __ripple_1\n    FROM db.t WHERE ts > '__ripple_2'"]);
    }

    #[test]
    fn docstrings_are_not_sql() {
        let text = r#""""Create the table of the module."""
import x

def f(
    a,
):
    """Create temp table to capture last modified dates."""
    q = """CREATE TABLE t AS SELECT a FROM s"""

class C:  # comment
    '''Select the rows from the table.'''
    if x:
        "SELECT b FROM s2"
"#;
        assert_eq!(sqls(python(text)), vec!["CREATE TABLE t AS SELECT a FROM s", "SELECT b FROM s2"]);
    }

    #[test]
    fn prose_is_not_sql() {
        assert!(!looks_like_sql("Select a file to upload"));
        assert!(looks_like_sql("  select *\n from t"));
        assert!(looks_like_sql("WITH x AS (SELECT 1) SELECT * FROM x"));
    }
}
