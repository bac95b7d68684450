//! Exact byte spans of names, fixed at one place from the source text.
//!
//! `sqlparser`'s spans have gaps: a backquoted `` `proj.ds.tbl` `` is split
//! into three identifiers that each carry the whole token's span, and an
//! unquoted hyphenated BigQuery name (`my-project.ds.t`) becomes one
//! identifier whose span covers only its first word. Every span the analysis
//! reports goes through [`Spans`], which measures names in the text itself.

use std::ops::Range;

use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};
use sqlparser::keywords::Keyword;

use super::tokens::{Kind, Lite};

use crate::{LineIndex, Location};

pub(crate) struct Spans<'a> {
    pub sql: &'a str,
    lines: &'a LineIndex,
}

impl<'a> Spans<'a> {
    pub fn new(sql: &'a str, lines: &'a LineIndex) -> Self {
        Spans { sql, lines }
    }

    pub fn offset(&self, location: Location) -> usize {
        self.lines.offset(self.sql, location)
    }

    /// The byte offset where the token at `index` starts (the end of the
    /// text for the end of input).
    pub fn token_start(&self, tokens: &[Lite], index: usize) -> usize {
        match tokens.get(index) {
            Some(t) if t.span.start.line > 0 => self.offset(t.span.start.into()),
            _ => self.sql.trim_end().len(),
        }
    }

    /// From the first to the end of the last significant token.
    pub fn token_range(&self, tokens: &[Lite]) -> Range<usize> {
        let mut significant = tokens.iter().filter(|t| !matches!(t.kind, Kind::Space | Kind::End | Kind::Semicolon));
        let Some(first) = significant.next() else {
            return 0..0;
        };
        let last = significant.next_back().unwrap_or(first);
        self.offset(first.span.start.into())..self.offset(last.span.end.into())
    }

    /// The exact span of a single identifier, quotes included.
    pub fn ident(&self, ident: &Ident) -> Option<Range<usize>> {
        if ident.span.start.line == 0 {
            return None;
        }
        let start = self.offset(ident.span.start.into());
        let rest = &self.sql[start..];
        match ident.quote_style {
            Some(open) => {
                let close = closing_quote(open);
                let body = rest.get(open.len_utf8()..)?;
                let mut end = 0;
                let bytes = body.as_bytes();
                while end < bytes.len() {
                    if body[end..].starts_with(close) {
                        // A doubled quote is an escaped quote.
                        if body[end + close.len_utf8()..].starts_with(close) {
                            end += 2 * close.len_utf8();
                            continue;
                        }
                        return Some(start..start + open.len_utf8() + end + close.len_utf8());
                    }
                    // By characters: a byte step would slice inside one
                    // (`"é"` panicked; found by the `change` fuzz target).
                    end += body[end..].chars().next().map_or(1, char::len_utf8);
                }
                None
            }
            None => {
                let len = ident.value.len();
                match rest.get(..len) {
                    Some(text) if text.eq_ignore_ascii_case(&ident.value) => Some(start..start + len),
                    // Unquoted but written differently (rare dialect quirks):
                    // fall back to the parser's own end.
                    _ => Some(start..self.offset(ident.span.end.into()).max(start)),
                }
            }
        }
    }

    /// The exact span of each part of a dotted name. Parts split out of
    /// one quoted token (`` `proj.ds.tbl` ``) get their piece of it.
    pub fn parts(&self, idents: &[&Ident]) -> Vec<Option<Range<usize>>> {
        let mut spans = Vec::with_capacity(idents.len());
        let mut i = 0;
        while i < idents.len() {
            let ident = idents[i];
            // The parts sharing this part's token.
            let group = idents[i..].iter().take_while(|other| other.span == ident.span && other.quote_style == ident.quote_style).count().max(1);
            let whole = self.ident(ident);
            if group == 1 || ident.quote_style.is_none() {
                spans.extend(std::iter::repeat_n(whole, group));
            } else {
                spans.extend(self.split_quoted(whole, group));
            }
            i += group;
        }
        spans
    }

    /// The span of a whole object name, from its first to its last token,
    /// quotes included.
    pub fn name(&self, name: &ObjectName) -> Option<Range<usize>> {
        let mut idents = name.0.iter().filter_map(ObjectNamePart::as_ident);
        let first = self.ident(idents.next()?)?;
        let last = idents.next_back().and_then(|i| self.ident(i)).unwrap_or(first.clone());
        Some(first.start..last.end.max(first.end))
    }

    /// Splits a quoted token holding `parts` dot-separated names into the
    /// span of each name (without quotes).
    fn split_quoted(&self, whole: Option<Range<usize>>, parts: usize) -> Vec<Option<Range<usize>>> {
        let Some(whole) = whole else {
            return vec![None; parts];
        };
        let inner = whole.start + 1..whole.end - 1;
        let text = &self.sql[inner.clone()];
        let mut pieces = Vec::with_capacity(parts);
        let mut start = inner.start;
        for piece in text.split('.') {
            pieces.push(Some(start..start + piece.len()));
            start += piece.len() + 1;
        }
        if pieces.len() == parts {
            pieces
        } else {
            vec![Some(whole); parts]
        }
    }
}

fn closing_quote(open: char) -> char {
    match open {
        '[' => ']',
        other => other,
    }
}

/// Keywords that end a SELECT list.
const AFTER_SELECT_LIST: [Keyword; 14] = [
    Keyword::FROM,
    Keyword::INTO,
    Keyword::WHERE,
    Keyword::GROUP,
    Keyword::HAVING,
    Keyword::QUALIFY,
    Keyword::WINDOW,
    Keyword::ORDER,
    Keyword::LIMIT,
    Keyword::UNION,
    Keyword::EXCEPT,
    Keyword::INTERSECT,
    Keyword::FETCH,
    Keyword::OFFSET,
];

impl Spans<'_> {
    /// The extent of each item of the SELECT list whose `SELECT` keyword
    /// starts at `select`: from the items' first to their last character,
    /// split at commas outside parentheses. `None` when the split does not
    /// give `count` items (a list this reading does not follow).
    pub fn select_items(&self, tokens: &[Lite], select: Location, count: usize) -> Option<Vec<Range<usize>>> {
        let key = |t: &Lite| (t.span.start.line, t.span.start.column);
        let at = tokens.binary_search_by_key(&(select.line, select.column), key).ok()?;
        let mut i = self.after_select_modifiers(tokens, at + 1);
        let mut items = Vec::new();
        let (mut depth, mut first, mut last) = (0usize, None, None);
        while let Some(token) = tokens.get(i) {
            match token.kind {
                Kind::Open => depth += 1,
                Kind::Close if depth == 0 => break,
                Kind::Close => depth -= 1,
                Kind::Comma if depth == 0 => {
                    items.push(self.offset(first?)..self.offset(last?));
                    (first, last) = (None, None);
                    i += 1;
                    continue;
                }
                Kind::Semicolon | Kind::End => break,
                Kind::Keyword(k) if depth == 0 && AFTER_SELECT_LIST.contains(&k) => break,
                _ => {}
            }
            if token.kind != Kind::Space {
                first = first.or(Some(token.span.start.into()));
                last = Some(token.span.end.into());
            }
            i += 1;
        }
        items.push(self.offset(first?)..self.offset(last?));
        (items.len() == count).then_some(items)
    }

    /// Past `DISTINCT`, `DISTINCT ON (...)`, `ALL`, `TOP n` and BigQuery's
    /// `AS STRUCT` / `AS VALUE` after `SELECT`.
    fn after_select_modifiers(&self, tokens: &[Lite], i: usize) -> usize {
        let significant = |mut j: usize| {
            while tokens.get(j).is_some_and(|t| t.kind == Kind::Space) {
                j += 1;
            }
            j
        };
        let kind = |j: usize| tokens.get(j).map(|t| t.kind);
        // Past one token, or a parenthesised group when it opens one.
        let past = |j: usize| {
            if kind(j) != Some(Kind::Open) {
                return j + 1;
            }
            let mut depth = 0usize;
            for (k, t) in tokens.iter().enumerate().skip(j) {
                match t.kind {
                    Kind::Open => depth += 1,
                    Kind::Close if depth <= 1 => return k + 1,
                    Kind::Close => depth -= 1,
                    _ => {}
                }
            }
            tokens.len()
        };
        let mut i = significant(i);
        match kind(i) {
            Some(Kind::Keyword(Keyword::DISTINCT)) => {
                i = significant(i + 1);
                if kind(i) == Some(Kind::Keyword(Keyword::ON)) {
                    i = significant(past(significant(i + 1)));
                }
            }
            Some(Kind::Keyword(Keyword::ALL)) => i = significant(i + 1),
            Some(Kind::Keyword(Keyword::TOP)) => i = significant(past(significant(i + 1))),
            Some(Kind::Keyword(Keyword::AS)) if matches!(kind(significant(i + 1)), Some(Kind::Keyword(Keyword::STRUCT | Keyword::VALUE))) => {
                i = significant(significant(i + 1) + 1);
            }
            _ => {}
        }
        i
    }
}
