//! The token-level scan of statements the parser cannot read: every name
//! that could be a table (after FROM, JOIN, INTO, ...) or a column (any
//! other name that is not a keyword or a function) is reported, unresolved,
//! so impact analysis never misses a consumer because of syntax.

use std::collections::HashSet;
use std::ops::Range;

use sqlparser::dialect::Dialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::found::{Found, FoundRef};
use crate::source::PLACEHOLDER_PREFIX;
use crate::{LineIndex, Location};

enum Lex {
    Word { value: String, quoted: bool, span: Range<usize> },
    Dot,
    Comma,
    Open,
    Close,
    Other,
}

/// The token-level scan of a statement the parser could not read. Its text
/// is tokenized again: the parser owns the fragment's tokens.
pub(super) fn scan(sql: &str, range: Range<usize>, dialect: &dyn Dialect, variables: &HashSet<String>) -> Found {
    let text = &sql[range.clone()];
    let lines = LineIndex::new(text);
    match Tokenizer::new(dialect, text).tokenize_with_location() {
        Ok(tokens) => scan_tokens(&tokens, &|l| range.start + lines.offset(text, l), range.clone(), variables),
        Err(_) => {
            let mut found = scan_text(text).unwrap_or_default();
            for r in &mut found.references {
                r.span = range.start + r.span.start..range.start + r.span.end;
            }
            found.range = range;
            found
        }
    }
}

/// Scans `tokens`; `offset` gives the byte offset of a token location.
fn scan_tokens(tokens: &[TokenWithSpan], offset: &dyn Fn(Location) -> usize, range: Range<usize>, variables: &HashSet<String>) -> Found {
    let lexemes = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .map(|t| match &t.token {
            Token::Word(w) => Lex::Word { value: w.value.clone(), quoted: w.quote_style.is_some(), span: offset(t.span.start.into())..offset(t.span.end.into()) },
            Token::Period => Lex::Dot,
            Token::Comma => Lex::Comma,
            Token::LParen => Lex::Open,
            Token::RParen => Lex::Close,
            _ => Lex::Other,
        })
        .collect::<Vec<_>>();
    classify(&lexemes, range, variables)
}

/// For text the tokenizer rejects (an unterminated string, say): names are
/// found with a plain character scan that skips quoted strings.
pub(super) fn scan_text(sql: &str) -> Option<Found> {
    let bytes = sql.as_bytes();
    let mut lexemes = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_alphanumeric() || bytes[i] >= 0x80) {
                i += 1;
            }
            lexemes.push(Lex::Word { value: sql[start..i].to_string(), quoted: false, span: start..i });
            continue;
        }
        match b {
            b'`' | b'"' => {
                // Unterminated, the name runs to the end (which may be any character).
                let close = sql[i + 1..].find(b as char).map(|e| i + 1 + e);
                let end = close.map_or(bytes.len(), |c| c + 1);
                let value = sql[i + 1..close.unwrap_or(bytes.len())].to_string();
                lexemes.push(Lex::Word { value, quoted: true, span: i..end });
                i = end;
                continue;
            }
            b'\'' => {
                i = sql[i + 1..].find('\'').map_or(bytes.len(), |e| i + 1 + e + 1);
                lexemes.push(Lex::Other);
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |e| i + e);
                continue;
            }
            b'@' | b'$' | b':' => {
                // Parameters (`@day`, `$1`, `:name`) are not names of the data.
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                lexemes.push(Lex::Other);
                continue;
            }
            b'.' => lexemes.push(Lex::Dot),
            b',' => lexemes.push(Lex::Comma),
            b'(' => lexemes.push(Lex::Open),
            b')' => lexemes.push(Lex::Close),
            c if c.is_ascii_whitespace() => {}
            _ => lexemes.push(Lex::Other),
        }
        i += 1;
    }
    let trimmed = sql.trim();
    if trimmed.is_empty() {
        return None;
    }
    let start = sql.len() - sql.trim_start().len();
    Some(classify(&lexemes, start..start + trimmed.len(), &HashSet::new()))
}

/// What the scan knows at a lexeme: where a table name may come next.
#[derive(Default)]
struct Classifier {
    references: Vec<FoundRef>,
    writes: Vec<String>,
    /// After FROM (and its commas) or JOIN/INTO/...: the next name is a table.
    expect_table: bool,
    in_from_list: bool,
    write_target: bool,
    /// After a table name, a bare word is its alias.
    alias_next: bool,
    previous_upper: String,
}

fn classify(lexemes: &[Lex], range: Range<usize>, variables: &HashSet<String>) -> Found {
    let mut scan = Classifier::default();
    let mut i = 0;
    while i < lexemes.len() {
        match &lexemes[i] {
            Lex::Word { value, quoted, .. } => {
                let upper = value.to_ascii_uppercase();
                if !quoted && is_keyword(&upper) {
                    scan.keyword(upper);
                    i += 1;
                } else {
                    i = scan.name(lexemes, i, variables);
                }
                continue;
            }
            Lex::Comma if scan.in_from_list => scan.expect_table = true,
            Lex::Open | Lex::Close => {
                // `FROM (SELECT ...)`: the subquery's own FROM comes later.
                scan.expect_table = false;
            }
            _ => {}
        }
        scan.previous_upper.clear();
        scan.alias_next = false;
        i += 1;
    }
    Found::scanned(range, scan.writes, scan.references)
}

impl Classifier {
    fn keyword(&mut self, upper: String) {
        match upper.as_str() {
            "FROM" | "JOIN" | "USING" => {
                self.expect_table = true;
                self.in_from_list = upper == "FROM";
                // DELETE FROM t: t is written.
                self.write_target = upper == "FROM" && self.previous_upper == "DELETE";
            }
            "INTO" | "UPDATE" | "TABLE" | "OVERWRITE" => {
                self.expect_table = true;
                self.in_from_list = false;
                self.write_target = self.previous_upper != "DELETE";
            }
            "AS" | "ON" | "WHERE" | "GROUP" | "ORDER" | "HAVING" | "LIMIT" | "SELECT" | "UNION" | "SET" | "WHEN" | "QUALIFY" | "WINDOW" => {
                self.in_from_list = false;
                self.expect_table = false;
            }
            _ => {}
        }
        self.previous_upper = upper;
    }

    /// The dotted name (word (. word)*) starting at lexeme `i`: a table, a
    /// column candidate, or neither. Returns the index after it.
    fn name(&mut self, lexemes: &[Lex], i: usize, variables: &HashSet<String>) -> usize {
        let mut parts = vec![&lexemes[i]];
        let mut j = i + 1;
        while matches!(lexemes.get(j), Some(Lex::Dot)) && matches!(lexemes.get(j + 1), Some(Lex::Word { .. })) {
            parts.push(&lexemes[j + 1]);
            j += 2;
        }
        let names: Vec<(&str, Range<usize>)> = parts
            .iter()
            .filter_map(|l| match l {
                Lex::Word { value, span, .. } => Some((value.as_str(), span.clone())),
                _ => None,
            })
            .collect();
        let is_call = matches!(lexemes.get(j), Some(Lex::Open));
        let after_as = self.previous_upper == "AS" || std::mem::take(&mut self.alias_next) && names.len() == 1;
        let variable = names.len() == 1 && variables.contains(&names[0].0.to_ascii_lowercase());
        let placeholder = names.iter().any(|(n, _)| n.starts_with(PLACEHOLDER_PREFIX));
        let joined = |names: &[(&str, Range<usize>)]| names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(".");
        if self.expect_table && !is_call {
            if !placeholder {
                let table = joined(&names);
                if self.write_target && !self.writes.contains(&table) {
                    self.writes.push(table.clone());
                }
                let span = names[0].1.start..names[names.len() - 1].1.end;
                self.references.push(FoundRef { resolved: false, ..FoundRef::table(table, span, self.write_target) });
            }
            self.expect_table = false;
            // An alias may follow; then a comma continues a FROM list.
            self.alias_next = true;
        } else if !is_call && !after_as && !placeholder && !variable {
            let (column, span) = names[names.len() - 1].clone();
            let qualifier = joined(&names[..names.len() - 1]);
            self.references.push(FoundRef::unresolved((!qualifier.is_empty()).then_some(qualifier), column.to_string(), span, Vec::new()));
        }
        self.previous_upper.clear();
        j
    }
}

/// Words that are SQL syntax, never table or column names.
fn is_keyword(upper: &str) -> bool {
    KEYWORDS.binary_search(&upper).is_ok()
}

// Sorted, for binary search.
const KEYWORDS: &[&str] = &[
    "ALL",
    "ALTER",
    "AND",
    "ANTI",
    "ANY",
    "ARRAY",
    "AS",
    "ASC",
    "ASSERT",
    "BEGIN",
    "BETWEEN",
    "BREAK",
    "BY",
    "CALL",
    "CASE",
    "CAST",
    "CLUSTER",
    "COLLATE",
    "CONTINUE",
    "CREATE",
    "CROSS",
    "CURRENT",
    "DECLARE",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DO",
    "DROP",
    "ELSE",
    "ELSEIF",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXECUTE",
    "EXISTS",
    "EXPLODE",
    "FALSE",
    "FETCH",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FROM",
    "FULL",
    "FUNCTION",
    "GROUP",
    "HAVING",
    "IF",
    "ILIKE",
    "IMMEDIATE",
    "IN",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAST",
    "LATERAL",
    "LEAVE",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOOP",
    "MATCHED",
    "MERGE",
    "NATURAL",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "OVERWRITE",
    "PARTITION",
    "PRECEDING",
    "QUALIFY",
    "RANGE",
    "RECURSIVE",
    "REPEAT",
    "REPLACE",
    "RETURN",
    "RETURNS",
    "RIGHT",
    "ROW",
    "ROWS",
    "SELECT",
    "SEMI",
    "SET",
    "SOME",
    "STRUCT",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TOP",
    "TRUE",
    "TRUNCATE",
    "UNBOUNDED",
    "UNION",
    "UNNEST",
    "UNTIL",
    "UPDATE",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WHILE",
    "WINDOW",
    "WITH",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }
}
