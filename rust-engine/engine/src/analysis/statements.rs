//! Splits a fragment into statements and analyses each. A statement that
//! does not parse never stops the fragment: it is reported, scanned token by
//! token, and parsing resumes after it.

use std::ops::Range;


use sqlparser::ast::{Expr, Ident, Statement};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Tokenizer};

use super::{fallback, ExpressionOutput, resolve, spans::Spans, Options, Output, ReferenceKind, Severity};
use crate::source::Fragment;
use crate::{LineIndex, Location};

use crate::depth::{MAX_OPERATORS, RECURSION_LIMIT};

/// A reference found in a fragment, its span in the fragment's SQL.
#[derive(Debug, Clone)]
pub(crate) struct FoundRef {
    pub kind: ReferenceKind,
    pub table: Option<String>,
    pub column: Option<String>,
    pub path: Vec<String>,
    pub via: Option<String>,
    pub span: Range<usize>,
    pub resolved: bool,
    pub write: bool,
    pub candidates: Vec<String>,
}

/// One statement of a fragment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    pub range: Range<usize>,
    pub writes: Vec<String>,
    pub outputs: Vec<Output>,
    pub references: Vec<FoundRef>,
    /// Spans of column names selected bare (`SELECT o.amount`): the name of
    /// the output column too.
    pub bare_outputs: Vec<Range<usize>>,
    /// Unaliased items named after their text.
    pub expression_outputs: Vec<ExpressionOutput>,
    pub parsed: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct FoundDiagnostic {
    pub severity: Severity,
    pub message: String,
    pub at: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub statements: Vec<Found>,
    pub diagnostics: Vec<FoundDiagnostic>,
}

pub(crate) fn analyze_fragment(fragment: &Fragment, options: Options) -> Findings {
    let sql = fragment.sql.as_str();
    let lines = LineIndex::new(sql);
    let spans = Spans::new(sql, &lines);
    let dialect = options.dialect.parser_dialect();
    let mut findings = Findings::default();

    let raw = match Tokenizer::new(dialect.as_ref(), sql).tokenize_with_location() {
        Ok(mut tokens) => {
            normalize(&mut tokens);
            tokens
        }
        Err(e) => {
            let at = spans.offset(e.location.into());
            findings.diagnostics.push(FoundDiagnostic {
                severity: Severity::Error,
                message: e.message,
                at,
            });
            if let Some(statement) = fallback::scan_text(sql) {
                findings.statements.push(statement);
            }
            return findings;
        }
    };

    // The tokens move into one parser over the whole fragment; the splitter
    // keeps what it needs of them. After a statement the parser cannot read,
    // it is moved to the next one (rebuilding it would copy the rest of the
    // tokens each time, quadratic on files full of errors).
    let tokens: Vec<Lite> = raw.iter().map(Lite::of).collect();
    let mut resolver = resolve::Resolver::new(&spans, &tokens, options.schema, options.dialect);
    let mut parser = Parser::new(dialect.as_ref())
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(raw);
    let mut expect_delimiter = false;
    // The scripting blocks open around the parser: where each starts, and
    // the variables it declares.
    let mut blocks: Vec<(Block, usize, Vec<Ident>)> = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {
            expect_delimiter = false;
        }
        let first = parser.index();
        let next = parser.peek_token();
        if next.token == Token::EOF {
            break;
        }
        // A block's header, middle or footer: the statements between them
        // are parsed one by one, so one the parser cannot read is scanned
        // alone, not with its whole block.
        if !expect_delimiter && may_be_block_part(&tokens, first, !blocks.is_empty()) {
            let open = blocks.last().map(|(block, ..)| *block);
            if let Ok(Some(part)) = parser.maybe_parse(|p| block_part(p, open)) {
                let range = spans.token_range(&tokens[first..parser.index()]);
                let declared: Vec<Ident> = part.variables.into_iter().filter(|name| resolver.declare(name)).collect();
                if let Some(condition) = &part.condition {
                    findings.statements.push(resolver.condition(condition, range.clone()));
                }
                expect_delimiter = matches!(part.step, Step::Close | Step::Control);
                match part.step {
                    Step::Open(block) => blocks.push((block, range.start, declared)),
                    Step::Middle(Some(block)) => {
                        if let Some(top) = blocks.last_mut() {
                            top.0 = block;
                        }
                    }
                    Step::Close => {
                        for name in blocks.pop().map(|(.., declared)| declared).unwrap_or_default() {
                            resolver.forget(&name);
                        }
                    }
                    Step::Middle(None) | Step::Control => {}
                }
                continue;
            }
        }
        let end = statement_end(&tokens, first);
        let mut missing_delimiter = false;
        let parsed = if operator_count(&tokens[first..end]) > MAX_OPERATORS {
            Err(format!("statement has more than {MAX_OPERATORS} operators; analysed token by token"))
        } else if expect_delimiter {
            Err(error_message(parser.expected::<()>("end of statement", next).unwrap_err()).0)
        } else {
            parser.parse_statement().map_err(|e| {
                let (message, at) = error_message(e);
                findings.diagnostics.push(FoundDiagnostic {
                    severity: Severity::Error,
                    message,
                    at: at.map_or_else(|| spans.token_start(&tokens, parser.index()), |l| spans.offset(l)),
                });
                String::new()
            })
        };
        // A statement must end at `;` or the end: a valid prefix followed by
        // more text is a statement the parser could not read as a whole.
        let parsed = parsed.and_then(|statement| {
            let after = parser.peek_token();
            if matches!(after.token, Token::SemiColon | Token::EOF) {
                Ok(statement)
            } else if let Some(next) = next_statement(&tokens, first, parser.index()) {
                // `)` then `#fail` then `ASSERT ...` on the next line: the
                // statement is whole and the next one starts; only the `;`
                // between them is missing (bigquery-etl's checks files).
                findings.diagnostics.push(FoundDiagnostic {
                    severity: Severity::Warning,
                    message: "statement does not end with `;` before the next statement".to_string(),
                    at: spans.token_start(&tokens, next),
                });
                missing_delimiter = true;
                Ok(statement)
            } else {
                let (message, at) = error_message(parser.expected::<()>("end of statement", after).unwrap_err());
                findings.diagnostics.push(FoundDiagnostic {
                    severity: Severity::Error,
                    message,
                    at: at.map_or_else(|| spans.token_start(&tokens, parser.index()), |l| spans.offset(l)),
                });
                Err(String::new())
            }
        });
        // The operators were counted up to the end the splitter found. A
        // parser that read further (a block the splitter does not know) may
        // have built a tree whose depth nobody checked: it is then leaked,
        // not dropped, since dropping it recurses once per level. Never seen;
        // the leak is bounded by the text.
        let parsed = parsed.and_then(|statement| {
            if parser.index() > end && operator_count(&tokens[first..parser.index()]) > MAX_OPERATORS {
                std::mem::forget(statement);
                return Err(format!("statement has more than {MAX_OPERATORS} operators; analysed token by token"));
            }
            Ok(statement)
        });
        match parsed {
            Ok(statement) => {
                let last = parser.index();
                let range = spans.token_range(&tokens[first..last]);
                let start = range.start;
                findings.statements.push(resolver.statement(&statement, range));
                note_dynamic_sql(&statement, start, &mut findings);
                expect_delimiter = !missing_delimiter;
            }
            Err(message) => {
                let range = spans.token_range(&tokens[first..end]);
                if !message.is_empty() {
                    // At the statement's first word, not the space before it.
                    findings.diagnostics.push(FoundDiagnostic { severity: Severity::Error, message, at: range.start });
                }
                findings.statements.push(scan(sql, range, dialect.as_ref(), resolver.variables()));
                while parser.index() < end {
                    parser.next_token();
                }
                while parser.index() > end {
                    parser.prev_token();
                }
                expect_delimiter = false;
            }
        }
    }
    if let Some((block, at, _)) = blocks.last() {
        findings.diagnostics.push(FoundDiagnostic {
            severity: Severity::Error,
            message: format!("{} block is not closed", block.name()),
            at: *at,
        });
    }
    findings
}

/// A scripting block whose statements are parsed one by one.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Block {
    /// `IF ... THEN`, then `ELSEIF ... THEN`, `ELSE`, until `END IF`.
    If,
    /// `LOOP`, `WHILE ... DO` or `FOR ... IN ... DO`, until `END LOOP`,
    /// `END WHILE` or `END FOR`.
    Loop,
    /// `REPEAT`, until `UNTIL ... END REPEAT`.
    Repeat,
    /// `BEGIN`, or a procedure's body, until `END`.
    Begin,
    /// A `BEGIN` block's `EXCEPTION WHEN ... THEN` handlers, until `END`.
    Handlers,
}

impl Block {
    fn name(self) -> &'static str {
        match self {
            Block::If => "IF",
            Block::Loop => "loop",
            Block::Repeat => "REPEAT",
            Block::Begin | Block::Handlers => "BEGIN",
        }
    }
}

/// What a block part does to the blocks open around it.
enum Step {
    Open(Block),
    /// Between two statement lists of one block; the block may change kind.
    Middle(Option<Block>),
    Close,
    /// `BREAK`, `LEAVE`, `CONTINUE`, `ITERATE`: a statement of its own.
    Control,
}

struct BlockPart {
    step: Step,
    /// The loop or branch condition, or a FOR loop's query.
    condition: Option<Expr>,
    /// Names the part declares: a FOR loop's variable, a procedure's parameters.
    variables: Vec<Ident>,
}

/// Reads a scripting block's header, middle or footer at a statement's
/// start (`open` is the innermost open block). An error means there is none
/// there (the caller rewinds).
fn block_part(p: &mut Parser, open: Option<Block>) -> Result<BlockPart, ParserError> {
    let part = |step, condition, variables| Ok(BlockPart { step, condition, variables });
    let mut token = p.next_token();
    // A label names a loop or block for BREAK/LEAVE (`outer: LOOP`).
    let labelled = matches!(token.token, Token::Word(_)) && p.peek_token().token == Token::Colon;
    if labelled {
        p.next_token();
        token = p.next_token();
    }
    let Token::Word(word) = &token.token else { return p.expected("a block", token) };
    if word.quote_style.is_some() || labelled && !["LOOP", "WHILE", "FOR", "REPEAT", "BEGIN"].iter().any(|k| is_word(word, k)) {
        return p.expected("a block", token);
    }
    let loop_body = |p: &mut Parser| {
        if p.parse_keyword(Keyword::DO) || parse_word(p, "LOOP") {
            Ok(())
        } else {
            p.expected("DO", p.peek_token())
        }
    };
    match (word.value.to_ascii_uppercase().as_str(), open) {
        ("LOOP", _) => part(Step::Open(Block::Loop), None, Vec::new()),
        ("REPEAT", _) => part(Step::Open(Block::Repeat), None, Vec::new()),
        ("WHILE", _) => {
            let condition = p.parse_expr()?;
            loop_body(p)?;
            part(Step::Open(Block::Loop), Some(condition), Vec::new())
        }
        ("FOR", _) => {
            let variable = p.parse_identifier()?;
            p.expect_keyword_is(Keyword::IN)?;
            let query = p.parse_expr()?;
            // Snowflake's `FOR i IN 1 TO 10 DO`.
            if p.parse_keyword(Keyword::TO) {
                p.parse_expr()?;
            }
            loop_body(p)?;
            part(Step::Open(Block::Loop), Some(query), vec![variable])
        }
        ("IF", _) => {
            let condition = p.parse_expr()?;
            p.expect_keyword_is(Keyword::THEN)?;
            part(Step::Open(Block::If), Some(condition), Vec::new())
        }
        // `BEGIN;` and `BEGIN TRANSACTION` start transactions.
        ("BEGIN", _) => match p.peek_token().token {
            Token::SemiColon | Token::EOF => p.expected("a block", p.peek_token()),
            Token::Word(w) if matches!(w.keyword, Keyword::TRANSACTION | Keyword::WORK | Keyword::TRAN | Keyword::ISOLATION | Keyword::READ) => {
                p.expected("a block", p.peek_token())
            }
            _ => part(Step::Open(Block::Begin), None, Vec::new()),
        },
        ("CREATE", _) => {
            // `CREATE [OR REPLACE] [TEMP] PROCEDURE [IF NOT EXISTS] name(params) [OPTIONS(...)] BEGIN`
            let _ = p.parse_keywords(&[Keyword::OR, Keyword::REPLACE]);
            let _ = p.parse_one_of_keywords(&[Keyword::TEMP, Keyword::TEMPORARY]);
            p.expect_keyword_is(Keyword::PROCEDURE)?;
            let _ = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
            p.parse_object_name(false)?;
            let mut parameters = Vec::new();
            p.expect_token(&Token::LParen)?;
            if !p.consume_token(&Token::RParen) {
                loop {
                    // BigQuery's mode is optional: `(out STRING)` names `out`.
                    let name = match p.maybe_parse(|p| p.parse_procedure_param())? {
                        Some(param) => param.name,
                        None => {
                            let name = p.parse_identifier()?;
                            p.parse_data_type()?;
                            name
                        }
                    };
                    parameters.push(name);
                    if !p.consume_token(&Token::Comma) {
                        p.expect_token(&Token::RParen)?;
                        break;
                    }
                }
            }
            p.maybe_parse_options(Keyword::OPTIONS)?;
            p.expect_keyword_is(Keyword::BEGIN)?;
            part(Step::Open(Block::Begin), None, parameters)
        }
        ("ELSEIF", Some(Block::If)) => {
            let condition = p.parse_expr()?;
            p.expect_keyword_is(Keyword::THEN)?;
            part(Step::Middle(None), Some(condition), Vec::new())
        }
        ("ELSE", Some(Block::If)) => part(Step::Middle(None), None, Vec::new()),
        ("EXCEPTION", Some(Block::Begin)) => {
            exception_handler(p)?;
            part(Step::Middle(Some(Block::Handlers)), None, Vec::new())
        }
        ("WHEN", Some(Block::Handlers)) => {
            p.prev_token();
            exception_handler(p)?;
            part(Step::Middle(None), None, Vec::new())
        }
        ("UNTIL", Some(Block::Repeat)) => {
            let condition = p.parse_expr()?;
            p.expect_keyword_is(Keyword::END)?;
            if !parse_word(p, "REPEAT") {
                return p.expected("REPEAT", p.peek_token());
            }
            if let Token::Word(_) = p.peek_token().token {
                p.parse_identifier()?;
            }
            part(Step::Close, Some(condition), Vec::new())
        }
        ("END", Some(block)) => {
            let closes = match block {
                Block::If => p.parse_keyword(Keyword::IF),
                Block::Loop => p.parse_one_of_keywords(&[Keyword::WHILE, Keyword::FOR]).is_some() || parse_word(p, "LOOP"),
                Block::Begin | Block::Handlers => {
                    let at_end = |t: Token| matches!(t, Token::SemiColon | Token::EOF);
                    at_end(p.peek_token().token) || matches!(p.peek_token().token, Token::Word(_)) && at_end(p.peek_nth_token(1).token)
                }
                Block::Repeat => false,
            };
            if !closes {
                return p.expected("the end of the block", p.peek_token());
            }
            // The block's label, if any (`END LOOP outer`).
            if let Token::Word(_) = p.peek_token().token {
                p.parse_identifier()?;
            }
            part(Step::Close, None, Vec::new())
        }
        ("BREAK" | "LEAVE" | "CONTINUE" | "ITERATE", Some(_)) => {
            // An optional label.
            if let Token::Word(_) = p.peek_token().token {
                p.parse_identifier()?;
            }
            part(Step::Control, None, Vec::new())
        }
        _ => p.expected("a block", token.clone()),
    }
}

/// `[EXCEPTION] WHEN ERROR [OR ...] THEN`, after `EXCEPTION` if any.
fn exception_handler(p: &mut Parser) -> Result<(), ParserError> {
    p.expect_keyword_is(Keyword::WHEN)?;
    loop {
        p.parse_identifier()?;
        if !p.parse_keyword(Keyword::OR) {
            break;
        }
    }
    p.expect_keyword_is(Keyword::THEN)
}

/// Consumes the word `upper` (one `sqlparser` has no keyword for).
fn parse_word(p: &mut Parser, upper: &str) -> bool {
    if matches!(&p.peek_token().token, Token::Word(w) if is_word(w, upper)) {
        p.next_token();
        return true;
    }
    false
}

/// True when the statement at `first` may be a block's header, middle or
/// footer (checked on the light tokens, so other statements cost nothing),
/// with a condition small enough to walk.
fn may_be_block_part(tokens: &[Lite], first: usize, in_block: bool) -> bool {
    let Some(mut start) = (first..tokens.len()).find(|&i| tokens[i].kind != Kind::Space) else { return false };
    // A label (`outer: LOOP`): the block starts after it.
    if let Some(colon) = next_significant(tokens, start).filter(|&j| tokens[j].kind == Kind::Colon) {
        match next_significant(tokens, colon) {
            Some(after) if matches!(tokens[start].kind, Kind::Other | Kind::Keyword(_)) => start = after,
            _ => return false,
        }
    }
    match tokens[start].kind {
        Kind::Keyword(Keyword::IF | Keyword::WHILE | Keyword::FOR | Keyword::ELSEIF | Keyword::UNTIL) => {
            operator_count(&tokens[start..header_end(tokens, start)]) <= MAX_OPERATORS
        }
        Kind::Block | Kind::Keyword(Keyword::BEGIN | Keyword::CREATE) => true,
        Kind::Keyword(Keyword::ELSE | Keyword::EXCEPTION | Keyword::WHEN | Keyword::END | Keyword::CONTINUE) => in_block,
        // BREAK, LEAVE, ITERATE
        Kind::Other => in_block,
        _ => false,
    }
}

/// Where a block header that starts at `first` can end at the latest: its
/// `THEN`, `DO`, `LOOP` or `END` (outside parentheses and CASE), or the
/// statement's end. Its operators are counted before it is parsed.
fn header_end(tokens: &[Lite], first: usize) -> usize {
    let mut parens = 0usize;
    let mut cases = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(first + 1) {
        match token.kind {
            Kind::Open => parens += 1,
            Kind::Close => parens = parens.saturating_sub(1),
            Kind::Semicolon | Kind::End => return i,
            _ if parens > 0 => {}
            Kind::Keyword(Keyword::CASE) => cases += 1,
            Kind::Keyword(Keyword::END) if cases > 0 => cases -= 1,
            Kind::Keyword(Keyword::THEN | Keyword::DO | Keyword::END) | Kind::Block if cases == 0 => return i,
            _ => {}
        }
    }
    tokens.len()
}

/// `sqlparser` reads `<<` and `>>` only in some dialects, and a `>>` that
/// closes two nested type parameters (`ARRAY<STRUCT<a INT64>>`) only in some
/// places. Bit shifts become `*` (same operands, so the same names), and a
/// `>>` inside type parameters becomes two `>`. A word right after a `.` is
/// a name part, never a keyword (`assert.null(x)`, `mozfun.assert.true(x)`),
/// and `DROP SNAPSHOT TABLE` reads as `DROP TABLE`.
fn normalize(tokens: &mut Vec<TokenWithSpan>) {
    let mut generics = 0usize;
    let mut previous_word = false;
    let mut i = 0;
    while i < tokens.len() {
        let opens_generic = previous_word && tokens[i].token == Token::Lt;
        match &tokens[i].token {
            Token::Lt if opens_generic => generics += 1,
            Token::Gt if generics > 0 => generics -= 1,
            Token::ShiftLeft => tokens[i].token = Token::Mul,
            Token::ShiftRight if generics >= 2 => {
                generics -= 2;
                let span = tokens[i].span;
                let mut middle = span.start;
                middle.column += 1;
                tokens[i] = TokenWithSpan::new(Token::Gt, Span::new(span.start, middle));
                tokens.insert(i + 1, TokenWithSpan::new(Token::Gt, Span::new(middle, span.end)));
                i += 1;
            }
            Token::ShiftRight => tokens[i].token = Token::Mul,
            _ => {}
        }
        // BigQuery typed array literals, `ARRAY<T>[...]`, parse as plain
        // `[...]` once the type (which names no column) is blanked out.
        if previous_word && tokens[i].token == Token::Lt && is_word_at(tokens, i.wrapping_sub(1), "ARRAY") {
            if let Some(close) = matching_angle(tokens, i) {
                let after = tokens[close + 1..].iter().find(|t| !matches!(t.token, Token::Whitespace(_)));
                if after.is_some_and(|t| t.token == Token::LBracket) {
                    for token in &mut tokens[i - 1..=close] {
                        token.token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
                    }
                    generics = generics.saturating_sub(1);
                }
            }
        }
        pipe_syntax(tokens, i);
        // BigQuery's `DROP SNAPSHOT TABLE t` drops the table `t` like `DROP TABLE t`.
        if is_word_at(tokens, i, "SNAPSHOT") && previous_significant(tokens, i).is_some_and(|p| is_word_at(tokens, p, "DROP")) {
            if let Some(next) = next_significant_token(tokens, i) {
                if is_word_at(tokens, next, "TABLE") {
                    tokens[i].token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
                }
            }
        }
        if i > 0 && tokens[i - 1].token == Token::Period {
            if let Token::Word(word) = &mut tokens[i].token {
                word.keyword = Keyword::NoKeyword;
            }
        }
        previous_word = matches!(&tokens[i].token, Token::Word(w) if w.quote_style.is_none()
            && ["ARRAY", "STRUCT", "MAP", "RANGE", "TABLE"].iter().any(|k| w.value.eq_ignore_ascii_case(k)));
        i += 1;
    }
}

/// BigQuery pipe operators `sqlparser` lacks, rewritten at token `i` into
/// ones it reads that name the same columns: `|> WINDOW` is the old name of
/// `|> EXTEND`; `|> DISTINCT` keeps the columns it gets and names none, so it
/// is left out; `GROUP AND ORDER BY` groups by the same names as `GROUP BY`.
fn pipe_syntax(tokens: &mut [TokenWithSpan], i: usize) {
    let blank = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    if tokens[i].token == Token::VerticalBarRightAngleBracket {
        let Some(next) = next_significant_token(tokens, i) else { return };
        if is_word_at(tokens, next, "DISTINCT") {
            tokens[i].token = blank.clone();
            tokens[next].token = blank;
        } else if is_word_at(tokens, next, "WINDOW") {
            if let Token::Word(word) = &mut tokens[next].token {
                word.keyword = Keyword::EXTEND;
            }
        }
    } else if is_word_at(tokens, i, "GROUP") {
        let Some(and) = next_significant_token(tokens, i).filter(|&j| is_word_at(tokens, j, "AND")) else { return };
        let Some(order) = next_significant_token(tokens, and).filter(|&j| is_word_at(tokens, j, "ORDER")) else { return };
        if next_significant_token(tokens, order).is_some_and(|j| is_word_at(tokens, j, "BY")) {
            tokens[and].token = blank.clone();
            tokens[order].token = blank;
        }
    }
}

fn previous_significant(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    (0..i).rev().find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
}

fn next_significant_token(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    (i + 1..tokens.len()).find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
}

fn is_word(word: &sqlparser::tokenizer::Word, upper: &str) -> bool {
    word.quote_style.is_none() && word.value.eq_ignore_ascii_case(upper)
}

fn is_word_at(tokens: &[TokenWithSpan], i: usize, upper: &str) -> bool {
    matches!(tokens.get(i).map(|t| &t.token), Some(Token::Word(w)) if is_word(w, upper))
}

/// The index of the `>` closing the `<` at `open`, or of the `>>` closing
/// it and the one inside it (`ARRAY<STRUCT<a INT64>>`, not split yet).
fn matching_angle(tokens: &[TokenWithSpan], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.token {
            Token::Lt => depth += 1,
            Token::Gt => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            Token::ShiftRight if depth >= 2 => {
                depth -= 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            Token::SemiColon | Token::EOF => return None,
            _ => {}
        }
    }
    None
}

/// The message of a parser error and, when it has one, its location.
fn error_message(error: ParserError) -> (String, Option<Location>) {
    let text = match error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => {
            return (format!("statement is nested more than {RECURSION_LIMIT} levels deep; analysed token by token"), None)
        }
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

/// The index just past the statement starting at `first`: its top-level `;`
/// (outside parentheses and BEGIN/IF/LOOP/CASE ... END blocks) or the end.
pub(crate) fn statement_end(tokens: &[Lite], first: usize) -> usize {
    let mut parens = 0usize;
    let mut blocks = 0usize;
    let mut i = first;
    while i < tokens.len() {
        match tokens[i].kind {
            Kind::Open => parens += 1,
            Kind::Close => parens = parens.saturating_sub(1),
            Kind::Semicolon if parens == 0 && blocks == 0 => return i,
            Kind::End => return i,
            _ if parens > 0 => {}
            Kind::Keyword(Keyword::BEGIN | Keyword::CASE) => blocks += 1,
            // Only at a statement's start: `REPEAT(s, 3)` is a function.
            Kind::Keyword(Keyword::WHILE | Keyword::FOR) | Kind::Block if is_statement_start(tokens, first, i) => blocks += 1,
            Kind::Keyword(Keyword::IF)
                if next_significant(tokens, i).is_some_and(|j| tokens[j].kind != Kind::Open) && is_statement_start(tokens, first, i) =>
            {
                blocks += 1
            }
            // An END no block of this statement opened closes the block
            // around it: the statement lacks its `;`.
            Kind::Keyword(Keyword::END) if blocks == 0 && !is_statement_start(tokens, first, i) => return i,
            Kind::Keyword(Keyword::END) => {
                blocks = blocks.saturating_sub(1);
                // END IF / END LOOP / END WHILE / END FOR / END REPEAT close one block.
                if let Some(j) = next_significant(tokens, i) {
                    if matches!(tokens[j].kind, Kind::Keyword(Keyword::IF | Keyword::WHILE | Keyword::FOR) | Kind::Block) {
                        i = j;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    tokens.len()
}

/// Where the statement after the one parsed from `first` to `next` starts,
/// when one does: a statement keyword first on a later line.
fn next_statement(tokens: &[Lite], first: usize, next: usize) -> Option<usize> {
    let last = (first..next).rev().find(|&i| tokens[i].kind != Kind::Space)?;
    let start = (next..tokens.len()).find(|&i| tokens[i].kind != Kind::Space)?;
    let starts = tokens[start].span.start.line > tokens[last].span.end.line
        && matches!(
            tokens[start].kind,
            Kind::Keyword(
                Keyword::SELECT
                    | Keyword::WITH
                    | Keyword::INSERT
                    | Keyword::UPDATE
                    | Keyword::DELETE
                    | Keyword::MERGE
                    | Keyword::CREATE
                    | Keyword::DROP
                    | Keyword::ALTER
                    | Keyword::TRUNCATE
                    | Keyword::ASSERT
                    | Keyword::DECLARE
                    | Keyword::CALL
                    | Keyword::EXECUTE
            )
        );
    starts.then_some(start)
}

/// True when the token at `i` starts a statement: it is first, or follows a
/// `;`, `THEN`, `ELSE`, `DO`, `LOOP` or `BEGIN`.
fn is_statement_start(tokens: &[Lite], first: usize, i: usize) -> bool {
    let mut before = tokens[first..i].iter().enumerate().rev().filter(|(_, t)| t.kind != Kind::Space);
    let mut i = i;
    // After a label (`outer: LOOP`), where the label starts.
    if let (Some((_, colon)), Some((label, _))) = (before.next(), before.next()) {
        if colon.kind == Kind::Colon {
            i = first + label;
        }
    }
    match tokens[first..i].iter().rev().find(|t| t.kind != Kind::Space).map(|t| t.kind) {
        None | Some(Kind::Semicolon | Kind::Block) => true,
        Some(Kind::Keyword(keyword)) => matches!(keyword, Keyword::THEN | Keyword::ELSE | Keyword::DO | Keyword::BEGIN),
        _ => false,
    }
}

fn next_significant(tokens: &[Lite], i: usize) -> Option<usize> {
    (i + 1..tokens.len()).find(|&j| tokens[j].kind != Kind::Space)
}

/// What `tokens` count for, out of [`MAX_OPERATORS`]: how many levels they
/// can add to a syntax tree without the parser recursing (`depth.rs`).
pub(crate) fn operator_count(tokens: &[Lite]) -> usize {
    tokens.iter().map(|t| t.weight).sum()
}

/// What the statement splitter needs of a token; the tokens themselves move
/// into the parser.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lite {
    pub kind: Kind,
    pub span: Span,
    /// What it counts for, out of [`MAX_OPERATORS`] (`depth.rs`).
    pub weight: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Space,
    Semicolon,
    Colon,
    Comma,
    Open,
    Close,
    End,
    /// An operator that nests expressions one level deeper.
    Operator,
    Keyword(Keyword),
    /// `LOOP` and `REPEAT`, which open blocks but are not keywords in `sqlparser`.
    Block,
    Other,
}

impl Lite {
    pub(crate) fn of(token: &TokenWithSpan) -> Lite {
        let kind = match &token.token {
            Token::Whitespace(_) => Kind::Space,
            Token::SemiColon => Kind::Semicolon,
            Token::Colon => Kind::Colon,
            Token::Comma => Kind::Comma,
            Token::LParen => Kind::Open,
            Token::RParen => Kind::Close,
            Token::EOF => Kind::End,
            Token::Plus | Token::Minus | Token::Mul | Token::Div | Token::Mod | Token::StringConcat => Kind::Operator,
            Token::Eq | Token::Neq | Token::Lt | Token::Gt | Token::LtEq | Token::GtEq => Kind::Operator,
            Token::Word(w) if w.quote_style.is_none() && matches!(w.keyword, Keyword::AND | Keyword::OR) => Kind::Operator,
            Token::Word(w) if is_word(w, "LOOP") || is_word(w, "REPEAT") => Kind::Block,
            Token::Word(w) if w.quote_style.is_none() && w.keyword != Keyword::NoKeyword => Kind::Keyword(w.keyword),
            _ => Kind::Other,
        };
        Lite { kind, span: token.span, weight: crate::depth::weight(&token.token) }
    }
}

/// The token-level scan of a statement the parser could not read. Its text
/// is tokenized again: the parser owns the fragment's tokens.
fn scan(sql: &str, range: Range<usize>, dialect: &dyn sqlparser::dialect::Dialect, variables: &std::collections::HashSet<String>) -> Found {
    let text = &sql[range.clone()];
    let lines = LineIndex::new(text);
    match Tokenizer::new(dialect, text).tokenize_with_location() {
        Ok(tokens) => fallback::scan_tokens(&tokens, &|l| range.start + lines.offset(text, l), range.clone(), variables),
        Err(_) => {
            let mut found = fallback::scan_text(text).unwrap_or_default();
            for r in &mut found.references {
                r.span = range.start + r.span.start..range.start + r.span.end;
            }
            found.range = range;
            found
        }
    }
}

/// SQL built at run time (`EXECUTE IMMEDIATE`) cannot be analysed: say so.
fn note_dynamic_sql(statement: &Statement, at: usize, findings: &mut Findings) {
    if matches!(statement, Statement::Execute { .. }) {
        findings.diagnostics.push(FoundDiagnostic {
            severity: Severity::Warning,
            message: "dynamic SQL (EXECUTE) cannot be analysed".to_string(),
            at,
        });
    }
}
