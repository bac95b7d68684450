//! SQL that a change spec or a schema carries: `replace_table` mappings
//! (expressions) and column types. Whoever may create a migration writes
//! them, and they end up inside the compatibility view's DDL (which the
//! backend runs as it is, every statement of it) and inside consumers'
//! code. So each is parsed as exactly one expression, or one data type, of
//! the dialect it is written in, and written back from the parsed form:
//! never copied as given. Anything else (`1 FROM t; DROP TABLE x; SELECT 1`,
//! a trailing `;`, a comment hiding the rest of a line) is refused.
//!
//! Each is also checked against the depth it will have inside the view, not
//! only alone: the view's `CREATE VIEW`, its query and the parentheses or
//! `CAST` around the expression or type nest it [`VIEW_NESTING`] levels
//! down, and the view is read back under the same [`RECURSION_LIMIT`] as any
//! statement. A mapping nested 62 levels deep read alone, but its view did
//! not (found by the `change` fuzz target).

use std::fmt::Display;
use std::ops::ControlFlow;

use sqlparser::ast::{DataType, Expr, ObjectNamePart, Query, Visit, Visitor};
use sqlparser::keywords::ALL_KEYWORDS;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::depth::{self, MAX_OPERATORS, RECURSION_LIMIT};
use crate::Dialect;

/// How many levels of parser recursion the compatibility view adds around a
/// mapping or a type it writes: the statement, its query, and the
/// parentheses (expression) or `CAST` (type) around it. Measured for every
/// dialect in `compat.rs`'s tests, which also check that the deepest
/// mapping and type accepted still read back inside the view.
pub(crate) const VIEW_NESTING: usize = 3;

/// How deep a mapping or a type may nest read alone, so that the view
/// holding it stays within [`RECURSION_LIMIT`].
pub(crate) const SPEC_RECURSION_LIMIT: usize = RECURSION_LIMIT - VIEW_NESTING;

/// `text` as one expression of `dialect`, without subqueries. The error says
/// what is wrong, and where in `text` (line and column, 1-based).
pub(crate) fn expression(text: &str, dialect: Dialect) -> Result<Expr, String> {
    // Read back as the view writes it: `(SELECT.a & b)` reads as a subquery,
    // though `SELECT.a & b` alone is one expression in BigQuery (found by the
    // `change` fuzz target).
    let expr = match parse_exactly_one(text, dialect, "expression", |p: &mut Parser| p.parse_expr(), spelled)? {
        Expr::Nested(inner) if !is_bare(&inner) => *inner,
        expr => expr,
    };
    // A mapping stands for a column of the new table. A subquery would let
    // the view (run with the backend's rights) expose any table it can read.
    struct FindQuery;
    impl Visitor for FindQuery {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            ControlFlow::Break(())
        }
    }
    if expr.visit(&mut FindQuery).is_break() {
        return Err("must not hold a subquery: a mapping reads the new table's columns only".to_string());
    }
    Ok(expr)
}

/// How a mapping is written where it stands for a column (a select item of
/// the view, an expression in a consumer's code): in parentheses unless it
/// is one call or one name that does not start with a keyword, since some
/// text reads as one expression alone but not as a select item (`a.:b` in
/// DuckDB; `MINUS(038)` after `*,` in Snowflake, whose trailing comma ends
/// the select list before a set operation; both found by the `change` fuzz
/// target). [`expression`] checks that this form reads back.
pub(crate) fn spelled(expr: &Expr) -> String {
    if is_bare(expr) {
        expr.to_string()
    } else {
        format!("({expr})")
    }
}

fn is_bare(expr: &Expr) -> bool {
    let first = match expr {
        Expr::Identifier(ident) => Some(ident),
        Expr::CompoundIdentifier(parts) => parts.first(),
        Expr::Function(function) => match function.name.0.first() {
            Some(ObjectNamePart::Identifier(ident)) => Some(ident),
            _ => None,
        },
        _ => None,
    };
    // Any keyword, not only the ones some dialect reserves: which words end
    // a select list differs by dialect and `sqlparser` version.
    first.is_some_and(|ident| ident.quote_style.is_some() || ALL_KEYWORDS.binary_search(&ident.value.to_ascii_uppercase().as_str()).is_err())
}

/// `text` as one data type of `dialect`.
pub(crate) fn data_type(text: &str, dialect: Dialect) -> Result<DataType, String> {
    parse_exactly_one(text, dialect, "data type", |p: &mut Parser| p.parse_data_type(), |t: &DataType| t.to_string())
}

/// What `written` (a mapping as [`spelled`] writes it) adds to the
/// operators of the statement holding it, out of [`MAX_OPERATORS`].
pub(crate) fn operators(written: &str, dialect: Dialect) -> usize {
    let parser_dialect = dialect.parser_dialect();
    // It was written from a parsed expression, so it tokenizes; if it ever did
    // not, it counts as too many.
    Tokenizer::new(parser_dialect.as_ref(), written).tokenize().map_or(MAX_OPERATORS + 1, |tokens| depth::operators(&tokens))
}

/// Parses all of `text` as one `what`, and checks that writing the result
/// out (with `write`) reads back as the same thing: what is written is the
/// parsed form, so it must not say anything else (a string escaped one way
/// in the input and written another, say). Returns the tree read back from
/// what is written, which is what the view's readers get.
///
/// The two trees are compared through their written forms: `sqlparser`'s
/// derived `==` recurses once per level and overflowed a 2 MiB stack on a
/// chain of 4,000 operators (debug build), where writing it did not.
/// Writing is not quite one-to-one, so the text's tree and the one read
/// back may differ where both write the same; the checks that matter
/// (exactly one `what`, no subquery) are made on the one read back.
fn parse_exactly_one<T: Display>(text: &str, dialect: Dialect, what: &str, parse: impl Fn(&mut Parser) -> Result<T, ParserError>, write: impl Fn(&T) -> String) -> Result<T, String> {
    let parsed = parse_whole(text, dialect, what, &parse)?;
    let written = write(&parsed);
    match parse_whole(&written, dialect, what, &parse) {
        Ok(again) if again.to_string() == written => Ok(again),
        _ => Err(format!("cannot be written back as the same {what} in {dialect} SQL (it would read `{written}`)")),
    }
}

fn parse_whole<T>(text: &str, dialect: Dialect, what: &str, parse: &impl Fn(&mut Parser) -> Result<T, ParserError>) -> Result<T, String> {
    let parser_dialect = dialect.parser_dialect();
    let tokens = Tokenizer::new(parser_dialect.as_ref(), text).tokenize_with_location().map_err(|e| format!("{} at line {}, column {}", e.message, e.location.line, e.location.column))?;
    // The same bound as for consumers' statements: a long operator chain
    // builds a tree too deep to walk or drop (`depth.rs`).
    if depth::operators(tokens.iter().map(|t| &t.token)) > MAX_OPERATORS {
        return Err(format!("has more than {MAX_OPERATORS} operators"));
    }
    let mut parser = Parser::new(parser_dialect.as_ref()).with_recursion_limit(SPEC_RECURSION_LIMIT).with_tokens_with_locations(tokens);
    let value = parse(&mut parser).map_err(|e| parser_message(e, what))?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        let at = next.span.start;
        return Err(format!("must be exactly one {what} of {dialect} SQL, but `{}` at line {}, column {} follows it", next.token, at.line, at.column));
    }
    Ok(value)
}

/// `sqlparser`'s message without its prefix, its position said our way.
fn parser_message(error: ParserError, what: &str) -> String {
    let message = match error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => {
            return format!(
                "is nested more than {SPEC_RECURSION_LIMIT} levels deep (the compatibility view holds it \
                 {VIEW_NESTING} levels down, and no statement may nest more than {RECURSION_LIMIT})"
            )
        }
    };
    let message = match message.rsplit_once(" at Line: ").and_then(|(m, at)| Some((m, at.split_once(", Column: ")?))) {
        Some((m, (line, column))) => format!("{m} at line {line}, column {column}"),
        None => message,
    };
    format!("does not read as one {what}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_expression_is_written_from_its_parsed_form() {
        let expr = expression("timestamp_millis(ts_ms)  -- ms since epoch", Dialect::BigQuery).unwrap();
        assert_eq!(expr.to_string(), "timestamp_millis(ts_ms)");
        assert_eq!(expression("amount_cents/100", Dialect::Postgres).unwrap().to_string(), "amount_cents / 100");
    }

    #[test]
    fn anything_but_one_expression_is_refused_with_where() {
        let refused = |text: &str| expression(text, Dialect::Postgres).unwrap_err();
        assert_eq!(refused("1 FROM t; DROP TABLE x; SELECT 1"), "must be exactly one expression of postgres SQL, but `FROM` at line 1, column 3 follows it");
        assert!(refused("a;").contains("`;` at line 1, column 2"));
        assert!(refused("").starts_with("does not read as one expression: Expected: an expression, found: EOF"), "{}", refused(""));
        assert_eq!(refused("(SELECT secret FROM users)"), "must not hold a subquery: a mapping reads the new table's columns only");
        assert_eq!(refused("'unterminated"), "Unterminated string literal at line 1, column 1");
        assert_eq!(refused(&vec!["a"; 5_000].join(" | ")), "has more than 4000 operators");
    }

    #[test]
    fn a_chain_at_the_operator_cap_is_checked_on_a_small_stack() {
        // Comparing the parsed and read-back trees with `==` recursed once
        // per operator and overflowed this stack (debug build).
        let checked =
            std::thread::Builder::new().stack_size(2 << 20).spawn(|| expression(&vec!["a"; MAX_OPERATORS + 1].join(" + "), Dialect::Postgres).map(|e| e.to_string().len())).unwrap().join().unwrap();
        assert_eq!(checked, Ok(4 * MAX_OPERATORS + 1));
    }

    #[test]
    fn a_call_or_name_starting_with_a_keyword_is_written_in_parentheses() {
        assert!(ALL_KEYWORDS.windows(2).all(|w| w[0] < w[1]), "sorted for binary search");
        let spelled = |text: &str| spelled(&expression(text, Dialect::Snowflake).unwrap());
        assert_eq!(spelled("timestamp_millis(ts_ms)"), "timestamp_millis(ts_ms)");
        assert_eq!(spelled("ds.f(x)"), "ds.f(x)");
        assert_eq!(spelled("\"minus\".a"), "\"minus\".a");
        assert_eq!(spelled("MINUS(038)"), "(MINUS(038))");
        assert_eq!(spelled("coalesce(a, b)"), "(coalesce(a, b))");
        assert_eq!(spelled("a + 1"), "(a + 1)");
    }

    #[test]
    fn one_data_type_is_written_from_its_parsed_form() {
        assert_eq!(data_type("numeric(10, 2)", Dialect::Postgres).unwrap().to_string(), "NUMERIC(10,2)");
        assert_eq!(data_type("STRUCT<a INT64, b ARRAY<STRING>>", Dialect::BigQuery).unwrap().to_string(), "STRUCT<a INT64, b ARRAY<STRING>>");
        assert!(data_type("INT) AS x FROM t; DROP TABLE x; --", Dialect::Postgres).unwrap_err().contains("`)` at line 1, column 4"));
        assert!(data_type("", Dialect::Postgres).is_err());
    }
}
