//! Splits a fragment into statements and analyses each. A statement that
//! does not parse never stops the fragment: it is reported, scanned token by
//! token, and parsing resumes after it.

use sqlparser::ast::{Ident, Statement};
use sqlparser::dialect::Dialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::blocks::{self, Block, Step};
use super::found::Found;
use super::resolve::Resolver;
use super::runnable;
use super::spans::Spans;
use super::tokens::{self, Lite};
use super::{fallback, Options, Severity};
use crate::depth::{MAX_OPERATORS, RECURSION_LIMIT};
use crate::source::Fragment;
use crate::{LineIndex, Location};

#[derive(Debug, Clone)]
pub(super) struct FoundDiagnostic {
    pub severity: Severity,
    pub message: String,
    pub at: usize,
}

#[derive(Debug, Default)]
pub(super) struct Findings {
    pub statements: Vec<Found>,
    pub diagnostics: Vec<FoundDiagnostic>,
}

pub(super) fn analyze_fragment(fragment: &Fragment, options: Options) -> Findings {
    let sql = fragment.sql.as_str();
    let lines = LineIndex::new(sql);
    let spans = Spans::new(sql, &lines);
    let dialect = options.dialect.parser_dialect();
    let raw = match Tokenizer::new(dialect.as_ref(), sql).tokenize_with_location() {
        Ok(mut raw) => {
            tokens::normalize(&mut raw, options.dialect);
            raw
        }
        Err(e) => {
            let mut findings = Findings::default();
            findings.diagnostics.push(FoundDiagnostic { severity: Severity::Error, message: e.message, at: spans.offset(e.location.into()) });
            findings.statements.extend(fallback::scan_text(sql));
            return findings;
        }
    };
    // The tokens move into one parser over the whole fragment; the splitter
    // keeps what it needs of them. After a statement the parser cannot read,
    // it is moved to the next one (rebuilding it would copy the rest of the
    // tokens each time, quadratic on files full of errors).
    let tokens: Vec<Lite> = raw.iter().map(Lite::of).collect();
    let reader = Reader {
        sql,
        spans: &spans,
        tokens: &tokens,
        resolver: Resolver::new(&spans, &tokens, options.schema, options.dialect),
        parser: Parser::new(dialect.as_ref()).with_recursion_limit(RECURSION_LIMIT).with_tokens_with_locations(raw),
        dialect: dialect.as_ref(),
        findings: Findings::default(),
        expect_delimiter: false,
        blocks: Vec::new(),
    };
    reader.read()
}

/// Reads a fragment's statements, one at a time, with one parser.
struct Reader<'a> {
    sql: &'a str,
    spans: &'a Spans<'a>,
    tokens: &'a [Lite],
    resolver: Resolver<'a>,
    parser: Parser<'a>,
    dialect: &'a dyn Dialect,
    findings: Findings,
    /// Set after a whole statement or a block's footer: only a `;` may
    /// follow.
    expect_delimiter: bool,
    /// The scripting blocks open around the parser: each one, where it
    /// starts, and the variables it declares.
    blocks: Vec<(Block, usize, Vec<Ident>)>,
}

impl Reader<'_> {
    fn read(mut self) -> Findings {
        loop {
            while self.parser.consume_token(&Token::SemiColon) {
                self.expect_delimiter = false;
            }
            let first = self.parser.index();
            let next = self.parser.peek_token();
            if next.token == Token::EOF {
                break;
            }
            // A block's header, middle or footer: the statements between them
            // are parsed one by one, so one the parser cannot read is scanned
            // alone, not with its whole block.
            if !self.expect_delimiter && blocks::may_be_part(self.tokens, first, !self.blocks.is_empty()) && self.block_part(first) {
                continue;
            }
            self.statement(first, next);
        }
        if let Some((block, at, _)) = self.blocks.last() {
            self.findings.diagnostics.push(FoundDiagnostic { severity: Severity::Error, message: format!("{} block is not closed", block.name()), at: *at });
        }
        self.findings
    }

    /// The parser's position, within the tokens: reading an optional clause
    /// at the end of the input can take it past the end (Snowflake's
    /// `CREATE TABLE ... AS WITH ... SELECT`), where slicing would panic.
    fn position(&self) -> usize {
        self.parser.index().min(self.tokens.len())
    }

    /// Reads the block part at `first`, when there is one.
    fn block_part(&mut self, first: usize) -> bool {
        let open = self.blocks.last().map(|(block, ..)| *block);
        let Ok(Some(part)) = self.parser.maybe_parse(|p| blocks::part(p, open)) else {
            return false;
        };
        let range = self.spans.token_range(&self.tokens[first..self.position()]);
        let declared: Vec<Ident> = part.variables.into_iter().filter(|name| self.resolver.declare(name)).collect();
        if let Some(condition) = &part.condition {
            self.findings.statements.push(self.resolver.condition(condition, range.clone()));
        }
        self.expect_delimiter = matches!(part.step, Step::Close | Step::Control);
        match part.step {
            Step::Open(block) => self.blocks.push((block, range.start, declared)),
            Step::Middle(Some(block)) => {
                if let Some(top) = self.blocks.last_mut() {
                    top.0 = block;
                }
            }
            Step::Close => {
                for name in self.blocks.pop().map(|(.., declared)| declared).unwrap_or_default() {
                    self.resolver.forget(&name);
                }
            }
            Step::Middle(None) | Step::Control => {}
        }
        true
    }

    /// The statement at `first`, whose first token is `next`: resolved when
    /// it parses, scanned token by token when not.
    fn statement(&mut self, first: usize, next: TokenWithSpan) {
        let end = tokens::statement_end(self.tokens, first);
        match self.parse(first, end, next) {
            Ok((statement, missing_delimiter)) => {
                let range = self.spans.token_range(&self.tokens[first..self.position()]);
                let start = range.start;
                let query = runnable::written_query(&statement).and_then(|(query, by_position)| Some((runnable::query_part(&mut self.parser, self.tokens, first, query)?, by_position)));
                let mut found = self.resolver.statement(&statement, range);
                found.parameters = runnable::parameters(self.resolver.placeholders(&statement), self.spans, self.resolver.dialect());
                found.query = query.map(|(tokens, by_position)| (self.spans.token_range(&self.tokens[tokens]), by_position));
                self.findings.statements.push(found);
                note_dynamic_sql(&statement, start, &mut self.findings);
                self.expect_delimiter = !missing_delimiter;
            }
            Err(message) => self.skip(first, end, message),
        }
    }

    /// Parses the statement at `first`, which the splitter ends at `end`,
    /// and says whether it lacks its `;` before the next statement. An
    /// error's message is empty when a diagnostic already says why.
    fn parse(&mut self, first: usize, end: usize, next: TokenWithSpan) -> Result<(Statement, bool), String> {
        let too_many = || format!("statement has more than {MAX_OPERATORS} operators; analysed token by token");
        if tokens::operator_count(&self.tokens[first..end]) > MAX_OPERATORS {
            return Err(too_many());
        }
        if self.expect_delimiter {
            return Err(error_message(self.parser.expected::<()>("end of statement", next).unwrap_err()).0);
        }
        let parsed = self.parser.parse_statement();
        let statement = parsed.map_err(|e| self.error(e))?;
        let missing_delimiter = self.ends(first)?;
        // The operators were counted up to the end the splitter found. A
        // parser that read further (a block the splitter does not know) may
        // have built a tree whose depth nobody checked: it is then leaked,
        // not dropped, since dropping it recurses once per level. Never seen;
        // the leak is bounded by the text.
        if self.position() > end && tokens::operator_count(&self.tokens[first..self.position()]) > MAX_OPERATORS {
            std::mem::forget(statement);
            return Err(too_many());
        }
        Ok((statement, missing_delimiter))
    }

    /// Whether the statement just parsed lacks its `;` before the next
    /// statement. It must end at `;` or the end: a valid prefix followed by
    /// more text is a statement the parser could not read as a whole.
    fn ends(&mut self, first: usize) -> Result<bool, String> {
        let after = self.parser.peek_token();
        if matches!(after.token, Token::SemiColon | Token::EOF) {
            return Ok(false);
        }
        if let Some(next) = tokens::next_statement(self.tokens, first, self.position()) {
            // `)` then `#fail` then `ASSERT ...` on the next line: the
            // statement is whole and the next one starts; only the `;`
            // between them is missing (bigquery-etl's checks files).
            self.findings.diagnostics.push(FoundDiagnostic {
                severity: Severity::Warning,
                message: "statement does not end with `;` before the next statement".to_string(),
                at: self.spans.token_start(self.tokens, next),
            });
            return Ok(true);
        }
        let error = self.parser.expected::<()>("end of statement", after).unwrap_err();
        Err(self.error(error))
    }

    /// Reports a parser error where it says, or else where the parser
    /// stopped; the empty message it returns adds no other diagnostic.
    fn error(&mut self, error: ParserError) -> String {
        let (message, at) = error_message(error);
        let at = at.map_or_else(|| self.spans.token_start(self.tokens, self.parser.index()), |l| self.spans.offset(l));
        self.findings.diagnostics.push(FoundDiagnostic { severity: Severity::Error, message, at });
        String::new()
    }

    /// A statement that did not parse, from `first` to `end`: reported
    /// with `message` (unless empty), scanned token by token, and the parser
    /// moved to its end.
    fn skip(&mut self, first: usize, end: usize, message: String) {
        let range = self.spans.token_range(&self.tokens[first..end]);
        if !message.is_empty() {
            // At the statement's first word, not the space before it.
            self.findings.diagnostics.push(FoundDiagnostic { severity: Severity::Error, message, at: range.start });
        }
        self.findings.statements.push(fallback::scan(self.sql, range, self.dialect, self.resolver.variables()));
        while self.parser.index() < end {
            self.parser.next_token();
        }
        while self.parser.index() > end {
            self.parser.prev_token();
        }
        self.expect_delimiter = false;
    }
}

/// The message of a parser error and, when it has one, its location.
fn error_message(error: ParserError) -> (String, Option<Location>) {
    let text = match error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => return (format!("statement is nested more than {RECURSION_LIMIT} levels deep; analysed token by token"), None),
    };
    if let Some((message, at)) = text.rsplit_once(" at Line: ") {
        if let Some((line, column)) = at.split_once(", Column: ") {
            if let (Ok(line), Ok(column)) = (line.parse::<u64>(), column.parse::<u64>()) {
                if line > 0 {
                    return (message.to_string(), Some(Location { line, column }));
                }
                return (message.to_string(), None);
            }
        }
    }
    (text, None)
}

/// SQL built at run time (`EXECUTE IMMEDIATE`) cannot be analysed: say so.
fn note_dynamic_sql(statement: &Statement, at: usize, findings: &mut Findings) {
    if matches!(statement, Statement::Execute { .. }) {
        findings.diagnostics.push(FoundDiagnostic { severity: Severity::Warning, message: "dynamic SQL (EXECUTE) cannot be analysed".to_string(), at });
    }
}
