//! Binding sample values to a statement's parameters, so a query written for
//! a program (`WHERE day = @day`) can run on its own, as validation runs it.
//!
//! Each placeholder the analysis finds is replaced by a literal of the
//! dialect, and nothing else changes (one edit per placeholder, through the
//! rewrite's edit machinery). A placeholder without a value is an error
//! naming it and where it is: never a guess.

use serde_json::Value;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::analysis::{analyze_sql, Parameter};
use crate::rewrite::apply_edits;
use crate::{Dialect, EngineError, Options};

/// `sql` with each bind parameter replaced by a literal of `dialect` for its
/// value in `values`:
///
/// - an array binds by position: `?` and `%s` take its values in the order
///   they are written, across the whole text; `$1`, `?1` and `:1` take the
///   first value;
/// - an object binds by name: `:day`, `@day`, `$day` and `%(day)s` take
///   `values.day` (names are matched exactly).
///
/// Values are JSON scalars: a string becomes a string literal (quoted and
/// escaped as the dialect reads strings), a number a number literal (in
/// parentheses when negative, so `a - ?` cannot become a `--` comment), a
/// boolean `TRUE` or `FALSE`, null `NULL`. Dates and timestamps are given as
/// strings (`"2024-05-01"`) and bind as string literals, which the
/// warehouses cast where they are compared with a date (write
/// `CAST(@day AS DATE)` where one is not).
///
/// Errors: `bind_parameter` naming the placeholder, its line and column, for
/// a placeholder without a value, a value that is a list or an object, or
/// values of the wrong shape (an array for `:day`); `syntax` for SQL that
/// does not parse, whose parameters cannot be told.
pub fn bind_parameters(sql: &str, dialect: Dialect, values: &Value) -> Result<String, EngineError> {
    let analysis = analyze_sql(sql, Options { dialect, schema: None });
    if let Some(error) = not_parsed(&analysis) {
        return Err(error);
    }
    let mut next = 0usize;
    let mut edits = Vec::new();
    for parameter in analysis.statements.iter().flat_map(|s| &s.parameters) {
        let value = value_of(parameter, values, &mut next).map_err(|message| bind_error(parameter, message))?;
        let literal = literal(value, dialect).map_err(|message| bind_error(parameter, message))?;
        edits.push((parameter.span.clone(), padded(sql, parameter.span.clone(), literal)));
    }
    if edits.is_empty() {
        return Ok(sql.to_string());
    }
    let bound = apply_edits(sql, edits)?;
    // The literals were checked one by one; the whole is checked too, so a
    // literal that changed how the statement reads is an error, not a
    // statement that runs something else.
    let again = analyze_sql(&bound, Options { dialect, schema: None });
    let left = again.statements.iter().flat_map(|s| &s.parameters).next();
    if not_parsed(&again).is_some() || left.is_some() || again.statements.len() != analysis.statements.len() {
        let first = analysis.statements.iter().flat_map(|s| &s.parameters).next().expect("edits were made");
        return Err(bind_error(first, "the SQL with the values bound does not read as the statement did".into()));
    }
    Ok(bound)
}

/// The `syntax` error of the first statement that did not parse (or of a
/// file that was not read at all), when there is one.
fn not_parsed(analysis: &crate::FileAnalysis) -> Option<EngineError> {
    let error = |message: String, line: u64, column: u64| EngineError::Syntax { message, line, column };
    let diagnostic = |at: crate::Location| analysis.diagnostics.iter().find(|d| d.severity == crate::analysis::Severity::Error && (d.line, d.column) >= (at.line, at.column));
    if analysis.statements.is_empty() {
        return analysis.diagnostics.iter().find(|d| d.severity == crate::analysis::Severity::Error).map(|d| error(d.message.clone(), d.line, d.column));
    }
    let statement = analysis.statements.iter().find(|s| !s.parsed)?;
    let what = "the statement does not parse, so its parameters cannot be told";
    Some(match diagnostic(statement.start) {
        Some(d) => error(format!("{what} ({})", d.message), d.line, d.column),
        None => error(what.to_string(), statement.start.line, statement.start.column),
    })
}

fn bind_error(parameter: &Parameter, message: String) -> EngineError {
    EngineError::BindParameter { parameter: parameter.text.clone(), line: parameter.start.line, column: parameter.start.column, message }
}

/// The value `parameter` binds to; `next` counts the values taken in order.
fn value_of<'v>(parameter: &Parameter, values: &'v Value, next: &mut usize) -> Result<&'v Value, String> {
    match (values, &parameter.name, parameter.number) {
        (Value::Object(named), Some(name), _) => named.get(name).ok_or_else(|| format!("no value named `{name}`")),
        (Value::Array(list), None, Some(number)) => {
            let index = (number as usize).checked_sub(1).ok_or("parameters are numbered from 1")?;
            list.get(index).ok_or_else(|| format!("no value at position {number} (the values are {})", list.len()))
        }
        (Value::Array(list), None, None) => {
            *next += 1;
            list.get(*next - 1).ok_or_else(|| format!("no value at position {next} (the values are {})", list.len()))
        }
        (Value::Array(_), Some(_), _) => Err("it is named: give the values as an object".into()),
        (Value::Object(_), None, _) => Err("it is not named: give the values as an array".into()),
        (other, ..) => Err(format!("the values must be an array or an object, not {}", kind(other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The literal of `dialect` for a JSON scalar.
fn literal(value: &Value, dialect: Dialect) -> Result<String, String> {
    match value {
        Value::Null => Ok("NULL".into()),
        Value::Bool(true) => Ok("TRUE".into()),
        Value::Bool(false) => Ok("FALSE".into()),
        Value::Number(n) => {
            let text = n.to_string();
            Ok(if text.starts_with('-') { format!("({text})") } else { text })
        }
        Value::String(s) => string_literal(s, dialect),
        other => Err(format!("its value is {}: only strings, numbers, booleans and null bind", kind(other))),
    }
}

/// A string literal of `dialect`, checked by reading it back with the
/// dialect's tokenizer: the literal must be one string token holding
/// exactly `value`.
fn string_literal(value: &str, dialect: Dialect) -> Result<String, String> {
    let parser = dialect.parser_dialect();
    // Hive reads backslash escapes, and `sqlparser`'s Hive dialect does not:
    // no literal both would read alike.
    if dialect == Dialect::Hive && value.contains('\\') {
        return Err("a string with a backslash cannot be written for hive".into());
    }
    let mut literal = String::with_capacity(value.len() + 2);
    literal.push('\'');
    for c in value.chars() {
        match c {
            '\'' if parser.supports_string_literal_backslash_escape() => literal.push_str("\\'"),
            '\'' => literal.push_str("''"),
            '\\' if parser.supports_string_literal_backslash_escape() => literal.push_str("\\\\"),
            '\n' if parser.supports_string_literal_backslash_escape() => literal.push_str("\\n"),
            '\r' if parser.supports_string_literal_backslash_escape() => literal.push_str("\\r"),
            '\t' if parser.supports_string_literal_backslash_escape() => literal.push_str("\\t"),
            c => literal.push(c),
        }
    }
    literal.push('\'');
    match Tokenizer::new(parser.as_ref(), &literal).tokenize().as_deref() {
        Ok([Token::SingleQuotedString(read)]) if read == value => Ok(literal),
        _ => Err(format!("its value cannot be written as a {} string literal", dialect.name())),
    }
}

/// The literal for the placeholder at `span`, with a space on a side where
/// it would otherwise run into a word or a quote (`LIMIT?` must not become
/// `LIMIT5`, nor `N?` the `N'...'` of a national string).
fn padded(sql: &str, span: std::ops::Range<usize>, literal: String) -> String {
    let joins = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '@' | '\'' | '"' | '`'));
    let before = if joins(sql[..span.start].chars().next_back()) { " " } else { "" };
    let after = if joins(sql[span.end..].chars().next()) { " " } else { "" };
    format!("{before}{literal}{after}")
}
