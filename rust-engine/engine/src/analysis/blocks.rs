//! Scripting blocks (`IF ... THEN`, `LOOP`, `BEGIN ... END`, ...) read
//! part by part: the statements between a block's header, middles and
//! footer are parsed one by one, so one the parser cannot read is scanned
//! alone, not with its whole block.

use sqlparser::ast::{Expr, Ident};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::tokens::{is_word, next_significant, operator_count, Kind, Lite};
use crate::depth::MAX_OPERATORS;

/// A scripting block whose statements are parsed one by one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Block {
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
    pub fn name(self) -> &'static str {
        match self {
            Block::If => "IF",
            Block::Loop => "loop",
            Block::Repeat => "REPEAT",
            Block::Begin | Block::Handlers => "BEGIN",
        }
    }
}

/// What a block part does to the blocks open around it.
pub(super) enum Step {
    Open(Block),
    /// Between two statement lists of one block; the block may change kind.
    Middle(Option<Block>),
    Close,
    /// `BREAK`, `LEAVE`, `CONTINUE`, `ITERATE`: a statement of its own.
    Control,
}

pub(super) struct BlockPart {
    pub step: Step,
    /// The loop or branch condition, or a FOR loop's query.
    pub condition: Option<Expr>,
    /// Names the part declares: a FOR loop's variable, a procedure's parameters.
    pub variables: Vec<Ident>,
}

/// Reads a scripting block's header, middle or footer at a statement's
/// start (`open` is the innermost open block). An error means there is none
/// there (the caller rewinds).
pub(super) fn part(p: &mut Parser, open: Option<Block>) -> Result<BlockPart, ParserError> {
    let mut token = p.next_token();
    // A label names a loop or block for BREAK/LEAVE (`outer: LOOP`).
    let labelled = matches!(token.token, Token::Word(_)) && p.peek_token().token == Token::Colon;
    if labelled {
        p.next_token();
        token = p.next_token();
    }
    let Token::Word(word) = &token.token else {
        return p.expected("a block", token);
    };
    if word.quote_style.is_some() || labelled && !["LOOP", "WHILE", "FOR", "REPEAT", "BEGIN"].iter().any(|k| is_word(word, k)) {
        return p.expected("a block", token);
    }
    let part = |step| Ok(BlockPart { step, condition: None, variables: Vec::new() });
    match (word.value.to_ascii_uppercase().as_str(), open) {
        ("LOOP", _) => part(Step::Open(Block::Loop)),
        ("REPEAT", _) => part(Step::Open(Block::Repeat)),
        ("WHILE", _) => while_header(p),
        ("FOR", _) => for_header(p),
        ("IF", _) => conditional(p, Step::Open(Block::If)),
        ("BEGIN", _) => begin(p),
        ("CREATE", _) => procedure(p),
        ("ELSEIF", Some(Block::If)) => conditional(p, Step::Middle(None)),
        ("ELSE", Some(Block::If)) => part(Step::Middle(None)),
        ("EXCEPTION", Some(Block::Begin)) => {
            exception_handler(p)?;
            part(Step::Middle(Some(Block::Handlers)))
        }
        ("WHEN", Some(Block::Handlers)) => {
            p.prev_token();
            exception_handler(p)?;
            part(Step::Middle(None))
        }
        ("UNTIL", Some(Block::Repeat)) => until(p),
        ("END", Some(block)) => end(p, block),
        ("BREAK" | "LEAVE" | "CONTINUE" | "ITERATE", Some(_)) => {
            label(p)?;
            part(Step::Control)
        }
        _ => p.expected("a block", token.clone()),
    }
}

/// `IF cond THEN` or `ELSEIF cond THEN`, after its keyword.
fn conditional(p: &mut Parser, step: Step) -> Result<BlockPart, ParserError> {
    let condition = p.parse_expr()?;
    p.expect_keyword_is(Keyword::THEN)?;
    Ok(BlockPart { step, condition: Some(condition), variables: Vec::new() })
}

/// `WHILE cond DO`, after `WHILE`.
fn while_header(p: &mut Parser) -> Result<BlockPart, ParserError> {
    let condition = p.parse_expr()?;
    loop_body(p)?;
    Ok(BlockPart { step: Step::Open(Block::Loop), condition: Some(condition), variables: Vec::new() })
}

/// `FOR x IN (query) DO`, after `FOR`: `x` is a variable until the loop ends.
fn for_header(p: &mut Parser) -> Result<BlockPart, ParserError> {
    let variable = p.parse_identifier()?;
    p.expect_keyword_is(Keyword::IN)?;
    let query = p.parse_expr()?;
    // Snowflake's `FOR i IN 1 TO 10 DO`.
    if p.parse_keyword(Keyword::TO) {
        p.parse_expr()?;
    }
    loop_body(p)?;
    Ok(BlockPart { step: Step::Open(Block::Loop), condition: Some(query), variables: vec![variable] })
}

/// The `DO` (or Snowflake's `LOOP`) that starts a loop's body.
fn loop_body(p: &mut Parser) -> Result<(), ParserError> {
    if p.parse_keyword(Keyword::DO) || parse_word(p, "LOOP") {
        Ok(())
    } else {
        p.expected("DO", p.peek_token())
    }
}

/// A `BEGIN` block, after `BEGIN`; `BEGIN;` and `BEGIN TRANSACTION` start
/// transactions instead.
fn begin(p: &mut Parser) -> Result<BlockPart, ParserError> {
    match p.peek_token().token {
        Token::SemiColon | Token::EOF => p.expected("a block", p.peek_token()),
        Token::Word(w) if matches!(w.keyword, Keyword::TRANSACTION | Keyword::WORK | Keyword::TRAN | Keyword::ISOLATION | Keyword::READ) => p.expected("a block", p.peek_token()),
        _ => Ok(BlockPart { step: Step::Open(Block::Begin), condition: None, variables: Vec::new() }),
    }
}

/// `CREATE [OR REPLACE] [TEMP] PROCEDURE [IF NOT EXISTS] name(params)
/// [OPTIONS(...)] BEGIN`, after `CREATE`: its parameters are variables
/// until the body ends.
fn procedure(p: &mut Parser) -> Result<BlockPart, ParserError> {
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
    Ok(BlockPart { step: Step::Open(Block::Begin), condition: None, variables: parameters })
}

/// `UNTIL cond END REPEAT [label]`, after `UNTIL`.
fn until(p: &mut Parser) -> Result<BlockPart, ParserError> {
    let condition = p.parse_expr()?;
    p.expect_keyword_is(Keyword::END)?;
    if !parse_word(p, "REPEAT") {
        return p.expected("REPEAT", p.peek_token());
    }
    label(p)?;
    Ok(BlockPart { step: Step::Close, condition: Some(condition), variables: Vec::new() })
}

/// The footer that closes `block` (`END IF`, `END LOOP [label]`, ...),
/// after `END`.
fn end(p: &mut Parser, block: Block) -> Result<BlockPart, ParserError> {
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
    label(p)?;
    Ok(BlockPart { step: Step::Close, condition: None, variables: Vec::new() })
}

/// The label a footer or a `BREAK` may name (`END LOOP outer`).
fn label(p: &mut Parser) -> Result<(), ParserError> {
    if let Token::Word(_) = p.peek_token().token {
        p.parse_identifier()?;
    }
    Ok(())
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
pub(super) fn may_be_part(tokens: &[Lite], first: usize, in_block: bool) -> bool {
    let Some(mut start) = (first..tokens.len()).find(|&i| tokens[i].kind != Kind::Space) else {
        return false;
    };
    // A label (`outer: LOOP`): the block starts after it.
    if let Some(colon) = next_significant(tokens, start).filter(|&j| tokens[j].kind == Kind::Colon) {
        match next_significant(tokens, colon) {
            Some(after) if matches!(tokens[start].kind, Kind::Other | Kind::Keyword(_)) => start = after,
            _ => return false,
        }
    }
    match tokens[start].kind {
        Kind::Keyword(Keyword::IF | Keyword::WHILE | Keyword::FOR | Keyword::ELSEIF | Keyword::UNTIL) => operator_count(&tokens[start..header_end(tokens, start)]) <= MAX_OPERATORS,
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
