use std::ops::ControlFlow;

use serde::Serialize;
use sqlparser::ast::{
    FromTable, ObjectName, ObjectNamePart, Query, Statement, TableFactor, TableObject, Visit,
    Visitor,
};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::analysis::statements::{operator_count, statement_end, Lite};
use crate::depth::{MAX_OPERATORS, RECURSION_LIMIT};
use crate::{Dialect, EngineError, Location};

/// The tables one statement reads and writes, and where the statement is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct StatementTables {
    /// The statement's first character.
    pub start: Location,
    /// Just past the statement's last character (exclusive).
    pub end: Location,
    /// Tables the statement reads, as qualified as the SQL writes them, in
    /// order of first appearance. CTE names are not tables and are left out.
    pub reads: Vec<String>,
    /// Tables the statement creates or changes (INSERT, UPDATE, DELETE,
    /// MERGE, CREATE TABLE / VIEW targets).
    pub writes: Vec<String>,
}

/// Parses `sql` in `dialect` and lists, for each statement, the tables it
/// reads and writes.
pub fn tables(sql: &str, dialect: Dialect) -> Result<Vec<StatementTables>, EngineError> {
    let parser_dialect = dialect.parser_dialect();
    let tokens = Tokenizer::new(parser_dialect.as_ref(), sql)
        .tokenize_with_location()
        .map_err(|e| syntax_error(&e.message, e.location.into()))?;
    let mut parser = Parser::new(parser_dialect.as_ref())
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens.clone());
    let lite: Vec<Lite> = tokens.iter().map(Lite::of).collect();

    // The statement loop of `Parser::parse_statements`, keeping each
    // statement's token range so it can be located in the source.
    let mut result = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            break;
        }
        if !result.is_empty() && !ends_statement(&tokens, parser.index()) {
            return Err(parse_error(parser.expected::<()>("end of statement", next).unwrap_err(), &parser, &tokens));
        }
        let first = parser.index();
        // Operator chains nest one tree level per operator without the parser
        // recursing, and walking (or dropping) a tree that deep would
        // overflow the stack (`depth.rs`); `analyze` scans such statements.
        let too_deep = || syntax_error(&format!("statement has more than {MAX_OPERATORS} operators, too deep to read"), next.span.start.into());
        if operator_count(&lite[first..statement_end(&lite, first)]) > MAX_OPERATORS {
            return Err(too_deep());
        }
        let statement = parser.parse_statement().map_err(|e| parse_error(e, &parser, &tokens))?;
        // As in `analyze`: a parser that read past the counted end built a
        // tree nobody measured; it is leaked rather than dropped.
        if operator_count(&lite[first..parser.index()]) > MAX_OPERATORS {
            std::mem::forget(statement);
            return Err(too_deep());
        }
        let (start, end) = token_range(&tokens[first..parser.index()]);
        result.push(statement_tables(&statement, start, end));
    }
    Ok(result)
}

/// True when the last significant token before `index` is a `;`.
fn ends_statement(tokens: &[TokenWithSpan], index: usize) -> bool {
    tokens[..index]
        .iter()
        .rev()
        .find(|t| !matches!(t.token, Token::Whitespace(_)))
        .is_some_and(|t| t.token == Token::SemiColon)
}

/// The start of the first and the end of the last significant token.
fn token_range(tokens: &[TokenWithSpan]) -> (Location, Location) {
    let mut significant = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF));
    let first = significant.next();
    let last = significant.next_back().or(first);
    match (first, last) {
        (Some(first), Some(last)) => (first.span.start.into(), last.span.end.into()),
        _ => (Location { line: 1, column: 1 }, Location { line: 1, column: 1 }),
    }
}

fn statement_tables(statement: &Statement, start: Location, end: Location) -> StatementTables {
    let mut visitor = RelationCollector::default();
    let _ = statement.visit(&mut visitor);

    let writes: Vec<String> = write_targets(statement).into_iter().map(table_name).collect();
    // Each write target was also visited as a relation once; take that one
    // occurrence out so `INSERT INTO t SELECT ... FROM t` still reads `t`.
    let mut relations = visitor.relations;
    for target in &writes {
        if let Some(i) = relations.iter().position(|r| r == target) {
            relations.remove(i);
        }
    }
    let reads = relations
        .into_iter()
        .filter(|name| !visitor.cte_names.iter().any(|cte| cte.eq_ignore_ascii_case(name)));
    StatementTables {
        start,
        end,
        reads: unique(reads),
        writes: unique(writes.into_iter()),
    }
}

fn factor_name(factor: &TableFactor) -> Option<&ObjectName> {
    match factor {
        TableFactor::Table { name, .. } => Some(name),
        _ => None,
    }
}

fn write_targets(statement: &Statement) -> Vec<&ObjectName> {
    match statement {
        Statement::Insert(insert) => match &insert.table {
            TableObject::TableName(name) => vec![name],
            _ => vec![],
        },
        Statement::CreateTable(create) => vec![&create.name],
        Statement::CreateView(create) => vec![&create.name],
        Statement::Update(update) => factor_name(&update.table.relation).into_iter().collect(),
        Statement::Merge(merge) => factor_name(&merge.table).into_iter().collect(),
        Statement::Delete(delete) => {
            if !delete.tables.is_empty() {
                delete.tables.iter().collect()
            } else {
                let from = match &delete.from {
                    FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from) => from,
                };
                from.first()
                    .and_then(|t| factor_name(&t.relation))
                    .into_iter()
                    .collect()
            }
        }
        _ => vec![],
    }
}

/// Quotes removed, parts joined by `.`.
fn table_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => ident.value.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn unique(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

#[derive(Default)]
struct RelationCollector {
    relations: Vec<String>,
    cte_names: Vec<String>,
}

impl Visitor for RelationCollector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            self.cte_names
                .extend(with.cte_tables.iter().map(|cte| cte.alias.name.value.clone()));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        self.relations.push(table_name(relation));
        ControlFlow::Continue(())
    }
}

fn syntax_error(message: &str, at: Location) -> EngineError {
    EngineError::Syntax {
        message: message.to_string(),
        line: at.line,
        column: at.column,
    }
}

/// `sqlparser` puts the location in the message text (`... at Line: 3,
/// Column: 7`); take it out into fields. Errors without one (recursion
/// limit) point at the token the parser stopped on, and errors at the end of
/// input (whose token has no location) point just past the last token.
fn parse_error(error: ParserError, parser: &Parser, tokens: &[TokenWithSpan]) -> EngineError {
    let end_of_input = || token_range(tokens).1;
    let located = |message: &str, at: Location| {
        syntax_error(message, if at.line == 0 { end_of_input() } else { at })
    };
    let text = match &error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m.clone(),
        ParserError::RecursionLimitExceeded => "statement is nested too deeply".to_string(),
    };
    if let Some((message, at)) = text.rsplit_once(" at Line: ") {
        if let Some((line, column)) = at.split_once(", Column: ") {
            if let (Ok(line), Ok(column)) = (line.parse(), column.parse()) {
                return located(message, Location { line, column });
            }
        }
    }
    located(&text, parser.peek_token().span.start.into())
}
