//! What a statement needs to run on its own, outside the program it belongs
//! to: the bind parameters the program fills in ([`parameters`]), and, for a
//! statement that writes, the query whose rows it writes ([`query_part`]),
//! which can run alone without writing anything.

use std::ops::Range;

use sqlparser::ast::{Query, SelectFlavor, SetExpr, Statement};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Span;

use super::spans::Spans;
use super::tokens::{Kind, Lite};
use crate::Dialect;

/// A bind parameter found in a fragment, its span in the fragment's SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FoundParameter {
    /// As written: `?`, `$1`, `:day`, `@day`, `%s`, `%(day)s`.
    pub text: String,
    pub span: Range<usize>,
}

/// The statement's bind parameters, in the order they are written, from
/// its `placeholders` (every placeholder value the parser read, with its
/// span; [`Resolver::placeholders`](super::resolve::Resolver::placeholders)).
/// Which forms a dialect reads as placeholders is `sqlparser`'s choice,
/// plus two that [`normalize`](super::tokens::normalize) makes placeholders
/// of first: BigQuery's `@name` (a word there) and psycopg's `%s` and
/// `%(name)s` (an operator, elsewhere). Snowflake's `$1` names a column by
/// its position, not a parameter.
pub(super) fn parameters(placeholders: Vec<(String, Span)>, spans: &Spans, dialect: Dialect) -> Vec<FoundParameter> {
    let positional_column = |text: &str| dialect.positional_columns() && text.strip_prefix('$').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let mut found: Vec<FoundParameter> = placeholders
        .into_iter()
        .filter(|(text, span)| span.start.line > 0 && !positional_column(text))
        .map(|(text, span)| FoundParameter { text, span: spans.offset(span.start.into())..spans.offset(span.end.into()) })
        .collect();
    // The walk goes through the tree, not the text: `LIMIT ?` is visited
    // after the WHERE clause written before it.
    found.sort_by_key(|p| (p.span.start, p.span.end));
    found.dedup();
    found
}

/// The query a statement that writes takes its rows from, when it has one:
/// `INSERT ... SELECT` (and `INSERT OVERWRITE`), `CREATE TABLE ... AS`,
/// `CREATE [MATERIALIZED] VIEW ... AS`.
///
/// `MERGE`, `UPDATE` and `DELETE` have none: what they write depends on the
/// target's own rows (the rows matched, SET expressions over the target's
/// columns), so no query of theirs produces what they would write, and
/// running their source or filter alone would compare something else.
///
/// With it, whether the statement writes the query's rows by position (an
/// INSERT): the query's output names then write nothing.
pub(super) fn written_query(statement: &Statement) -> Option<(&Query, bool)> {
    match statement {
        Statement::Insert(insert) => insert.source.as_deref().map(|q| (q, true)),
        Statement::CreateTable(create) => create.query.as_deref().map(|q| (q, false)),
        Statement::CreateView(create) => Some((&create.query, false)),
        _ => None,
    }
}

/// The token range of `query`, the query part of the statement the parser
/// just read (from token `first` to its current position), or `None` when
/// it cannot be told exactly. The query starts at its first keyword (the
/// `SELECT` or `WITH` on the left edge of its tree), after as many `(` as
/// the tree has parenthesized queries on that edge; where it ends (before
/// `ON CONFLICT`, `RETURNING`, `WITH NO SCHEMA BINDING`...) is the parser's
/// to say, not a guess: it reads the query again from its start, and the
/// range is taken only when it reads one that starts the same way. The
/// parser is left where it was.
///
/// Nothing here recurses once per level of the tree (the trees of long
/// operator chains are as deep as the engine allows, `depth.rs`): the left
/// edge is followed in a loop, and the query read again is compared by its
/// left edge alone, never as a whole.
pub(super) fn query_part(parser: &mut Parser, tokens: &[Lite], first: usize, query: &Query) -> Option<Range<usize>> {
    let after = parser.index();
    let (start, parentheses) = left_edge(query)?;
    let at = (first..after.min(tokens.len())).find(|&i| tokens[i].kind != Kind::Space && tokens[i].span.start == start)?;
    // The `(` of the parenthesized queries, right before the first keyword.
    let mut begin = at;
    for _ in 0..parentheses {
        begin = (first..begin).rev().find(|&i| tokens[i].kind != Kind::Space).filter(|&i| tokens[i].kind == Kind::Open)?;
    }
    move_to(parser, begin);
    let read = parser.parse_query().ok().filter(|again| left_edge(again) == Some((start, parentheses)) && parser.index() <= after);
    let end = parser.index().min(tokens.len());
    // Dropped here, before the parser moves on: as deep as `query`, whose
    // drop is already known to fit the stack.
    let found = read.map(|_| begin..end);
    move_to(parser, after);
    found
}

/// Where the query's first keyword starts, and how many parenthesized
/// queries open before it; `None` when it starts otherwise (`VALUES`,
/// `TABLE t`, DuckDB's `FROM t SELECT ...`).
fn left_edge(query: &Query) -> Option<(sqlparser::tokenizer::Location, usize)> {
    let mut query = query;
    let mut parentheses = 0;
    loop {
        if let Some(with) = &query.with {
            return Some((with.with_token.0.span.start, parentheses));
        }
        let mut body = query.body.as_ref();
        loop {
            match body {
                SetExpr::SetOperation { left, .. } => body = left,
                SetExpr::Query(inner) => {
                    parentheses += 1;
                    query = inner;
                    break;
                }
                SetExpr::Select(select) if select.flavor != SelectFlavor::FromFirst => {
                    let start = select.select_token.0.span.start;
                    return (start.line > 0).then_some((start, parentheses));
                }
                _ => return None,
            }
        }
    }
}

/// Moves the parser to token `index`: the start of a token (not a space),
/// or just past one, as the parser itself leaves it.
fn move_to(parser: &mut Parser, index: usize) {
    while parser.index() > index {
        parser.prev_token();
    }
    while parser.index() < index {
        parser.next_token();
    }
}
