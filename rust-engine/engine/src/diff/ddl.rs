//! `CREATE TABLE` statements, parsed with `sqlparser` in the dialect given.
//! Other statements of the file (`CREATE SCHEMA`, `INSERT`) are skipped
//! unparsed. A statement is parsed under the engine's usual bounds: its
//! nesting under the parser's recursion limit, its operators (a `DEFAULT`
//! or `CHECK` expression's) under [`MAX_OPERATORS`], or it is an error.
//! DDL declares no renames; those of a DDL file are only ever inferred.

use sqlparser::ast::{ObjectNamePart, Statement};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::model::{ColumnDef, TableDef};
use super::read::Source;
use crate::depth::{self, MAX_OPERATORS, RECURSION_LIMIT};
use crate::{Dialect, EngineError, Location};

pub(crate) fn read(source: &Source, dialect: Dialect) -> Result<Vec<TableDef>, EngineError> {
    let parser_dialect = dialect.parser_dialect();
    let error = |at: Location, message: String| EngineError::InvalidSchemaFile { path: source.path.to_string(), line: at.line.max(1), column: at.column.max(1), message };
    let tokens = Tokenizer::new(parser_dialect.as_ref(), source.text).tokenize_with_location().map_err(|e| error(e.location.into(), format!("invalid SQL: {}", e.message)))?;
    let mut tables = Vec::new();
    for statement in tokens.split(|t| t.token == Token::SemiColon) {
        if !creates_table(statement) {
            continue;
        }
        let start: Location = statement.iter().find(|t| !matches!(t.token, Token::Whitespace(_))).map_or(Location { line: 1, column: 1 }, |t| t.span.start.into());
        if depth::operators(statement.iter().map(|t| &t.token)) > MAX_OPERATORS {
            return Err(error(start, format!("the statement has more than {MAX_OPERATORS} operators; not read")));
        }
        let parsed = Parser::new(parser_dialect.as_ref()).with_recursion_limit(RECURSION_LIMIT).with_tokens_with_locations(statement.to_vec()).parse_statement();
        let create = match parsed {
            Ok(Statement::CreateTable(create)) => create,
            Ok(_) => continue,
            Err(e) => {
                let (message, at) = parser_error(e);
                return Err(error(at.unwrap_or(start), format!("invalid SQL: {message}")));
            }
        };
        let parts: Vec<&sqlparser::ast::Ident> = create
            .name
            .0
            .iter()
            .filter_map(|p| match p {
                ObjectNamePart::Identifier(ident) => Some(ident),
                ObjectNamePart::Function(_) => None,
            })
            .collect();
        let line = parts.first().map_or(start.line, |i| i.span.start.line);
        let name = parts.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join(".");
        let columns = create.columns.iter().map(|c| ColumnDef::new(c.name.value.clone(), Some(c.data_type.to_string()), c.name.span.start.line.max(1))).collect();
        tables.push(TableDef { name, renamed_from: None, line, columns });
    }
    Ok(tables)
}

/// Whether a statement's tokens start `CREATE [OR REPLACE] [TEMP...] TABLE`.
fn creates_table(tokens: &[TokenWithSpan]) -> bool {
    let mut words = tokens.iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).map(|t| match &t.token {
        Token::Word(w) => Some(w.keyword),
        _ => None,
    });
    if words.next() != Some(Some(Keyword::CREATE)) {
        return false;
    }
    // Modifiers before TABLE (`OR REPLACE`, `TEMPORARY`, `EXTERNAL`,
    // `TRANSIENT`, ...) are a few words at most.
    words.take(6).map_while(|w| w).any(|k| k == Keyword::TABLE)
}

/// A parser error's message and, when it says one, its location.
fn parser_error(error: ParserError) -> (String, Option<Location>) {
    let text = match error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => return (format!("nested more than {RECURSION_LIMIT} levels deep"), None),
    };
    if let Some((message, at)) = text.rsplit_once(" at Line: ") {
        if let Some((line, column)) = at.split_once(", Column: ") {
            if let (Ok(line), Ok(column)) = (line.parse::<u64>(), column.parse::<u64>()) {
                return (message.to_string(), (line > 0).then_some(Location { line, column }));
            }
        }
    }
    (text, None)
}
