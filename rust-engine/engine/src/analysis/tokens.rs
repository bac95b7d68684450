//! The fragment's tokens as the statement splitter sees them: [`Lite`]
//! tokens (the tokens themselves move into the parser), the splitter that
//! finds where each statement ends, and [`normalize`], which rewrites what
//! `sqlparser` cannot read into what it can before anything is parsed.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Whitespace, Word};

use crate::{depth, Dialect};

/// What the statement splitter needs of a token; the tokens themselves move
/// into the parser.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lite {
    pub kind: Kind,
    pub span: Span,
    /// What it counts for, out of [`MAX_OPERATORS`](depth::MAX_OPERATORS) (`depth.rs`).
    pub weight: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
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
    pub fn of(token: &TokenWithSpan) -> Lite {
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
        Lite { kind, span: token.span, weight: depth::weight(&token.token) }
    }
}

pub(super) fn is_word(word: &Word, upper: &str) -> bool {
    word.quote_style.is_none() && word.value.eq_ignore_ascii_case(upper)
}

/// What `tokens` count for, out of [`MAX_OPERATORS`](depth::MAX_OPERATORS):
/// how many levels they can add to a syntax tree without the parser
/// recursing (`depth.rs`).
pub(super) fn operator_count(tokens: &[Lite]) -> usize {
    tokens.iter().map(|t| t.weight).sum()
}

/// The index just past the statement starting at `first`: its top-level `;`
/// (outside parentheses and BEGIN/IF/LOOP/CASE ... END blocks) or the end.
pub(super) fn statement_end(tokens: &[Lite], first: usize) -> usize {
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
            Kind::Keyword(Keyword::IF) if next_significant(tokens, i).is_some_and(|j| tokens[j].kind != Kind::Open) && is_statement_start(tokens, first, i) => blocks += 1,
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
pub(super) fn next_statement(tokens: &[Lite], first: usize, next: usize) -> Option<usize> {
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

pub(super) fn next_significant(tokens: &[Lite], i: usize) -> Option<usize> {
    (i + 1..tokens.len()).find(|&j| tokens[j].kind != Kind::Space)
}

/// `sqlparser` reads `<<` and `>>` only in some dialects, and a `>>` that
/// closes two nested type parameters (`ARRAY<STRUCT<a INT64>>`) only in some
/// places. Bit shifts become `*` (same operands, so the same names), and a
/// `>>` inside type parameters becomes two `>`. A word right after a `.` is
/// a name part, never a keyword (`assert.null(x)`, `mozfun.assert.true(x)`),
/// and `DROP SNAPSHOT TABLE` reads as `DROP TABLE`. Pipe operators
/// `sqlparser` lacks are rewritten in the dialects with pipe syntax.
pub(super) fn normalize(tokens: &mut Vec<TokenWithSpan>, dialect: Dialect) {
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
                        token.token = Token::Whitespace(Whitespace::Space);
                    }
                    generics = generics.saturating_sub(1);
                }
            }
        }
        if dialect.pipe_syntax() {
            pipe_operator(tokens, i);
        }
        placeholder(tokens, i, dialect);
        group_and_order(tokens, i);
        // BigQuery's `DROP SNAPSHOT TABLE t` drops the table `t` like `DROP TABLE t`.
        if is_word_at(tokens, i, "SNAPSHOT") && previous_significant(tokens, i).is_some_and(|p| is_word_at(tokens, p, "DROP")) {
            if let Some(next) = next_significant_token(tokens, i) {
                if is_word_at(tokens, next, "TABLE") {
                    tokens[i].token = Token::Whitespace(Whitespace::Space);
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

/// Bind parameters `sqlparser` reads as something else, made placeholders
/// at token `i`: BigQuery's `@name` (a word that starts with `@`; `@@name`
/// is a system variable), and psycopg's `%s` and `%(name)s` (a modulo
/// operator), written without spaces and where no operand comes before, so
/// `a %s` stays `a % s`.
fn placeholder(tokens: &mut [TokenWithSpan], i: usize, dialect: Dialect) {
    let adjacent = |a: usize, b: usize| tokens[a].span.end == tokens[b].span.start;
    match &tokens[i].token {
        Token::Word(w) if dialect == Dialect::BigQuery && w.quote_style.is_none() && w.value.starts_with('@') && !w.value.starts_with("@@") && w.value.len() > 1 => {
            tokens[i].token = Token::Placeholder(w.value.clone());
        }
        Token::Mod if !follows_operand(tokens, i) => {
            let word = |j: usize, upper: &str| tokens.get(j).is_some_and(|t| matches!(&t.token, Token::Word(w) if w.quote_style.is_none() && (upper.is_empty() || w.value == upper)));
            let (text, last) = if word(i + 1, "s") && adjacent(i, i + 1) {
                ("%s".to_string(), i + 1)
            } else if tokens.get(i + 1).is_some_and(|t| t.token == Token::LParen)
                && word(i + 2, "")
                && tokens.get(i + 3).is_some_and(|t| t.token == Token::RParen)
                && word(i + 4, "s")
                && (i..i + 4).all(|j| adjacent(j, j + 1))
            {
                let Token::Word(name) = &tokens[i + 2].token else { return };
                (format!("%({})s", name.value), i + 4)
            } else {
                return;
            };
            let span = Span::new(tokens[i].span.start, tokens[last].span.end);
            tokens[i] = TokenWithSpan::new(Token::Placeholder(text), span);
            for token in &mut tokens[i + 1..=last] {
                token.token = Token::Whitespace(Whitespace::Space);
            }
        }
        _ => {}
    }
}

/// True when the token before `i` ends an operand (a name, a literal, a
/// `)`): a `%` at `i` is then the modulo operator.
fn follows_operand(tokens: &[TokenWithSpan], i: usize) -> bool {
    let Some(p) = previous_significant(tokens, i) else {
        return false;
    };
    match &tokens[p].token {
        Token::Word(w) => w.quote_style.is_some() || w.keyword == Keyword::NoKeyword,
        Token::RParen | Token::RBracket | Token::Number(..) | Token::Placeholder(_) => true,
        Token::SingleQuotedString(_) | Token::DoubleQuotedString(_) | Token::NationalStringLiteral(_) | Token::EscapedStringLiteral(_) => true,
        _ => false,
    }
}

/// BigQuery pipe operators `sqlparser` lacks, rewritten at token `i` into
/// ones it reads that name the same columns: `|> WINDOW` is the old name of
/// `|> EXTEND`; `|> DISTINCT` keeps the columns it gets and names none, so it
/// is left out.
fn pipe_operator(tokens: &mut [TokenWithSpan], i: usize) {
    if tokens[i].token != Token::VerticalBarRightAngleBracket {
        return;
    }
    let Some(next) = next_significant_token(tokens, i) else {
        return;
    };
    if is_word_at(tokens, next, "DISTINCT") {
        tokens[i].token = Token::Whitespace(Whitespace::Space);
        tokens[next].token = Token::Whitespace(Whitespace::Space);
    } else if is_word_at(tokens, next, "WINDOW") {
        if let Token::Word(word) = &mut tokens[next].token {
            word.keyword = Keyword::EXTEND;
        }
    }
}

/// Pipe syntax's `|> AGGREGATE ... GROUP AND ORDER BY` groups by the same
/// names as `GROUP BY`. Read so in every dialect, as before pipe syntax was
/// a dialect's: elsewhere it is no valid SQL, and reading it as GROUP BY
/// loses no name.
fn group_and_order(tokens: &mut [TokenWithSpan], i: usize) {
    if !is_word_at(tokens, i, "GROUP") {
        return;
    }
    let Some(and) = next_significant_token(tokens, i).filter(|&j| is_word_at(tokens, j, "AND")) else {
        return;
    };
    let Some(order) = next_significant_token(tokens, and).filter(|&j| is_word_at(tokens, j, "ORDER")) else {
        return;
    };
    if next_significant_token(tokens, order).is_some_and(|j| is_word_at(tokens, j, "BY")) {
        tokens[and].token = Token::Whitespace(Whitespace::Space);
        tokens[order].token = Token::Whitespace(Whitespace::Space);
    }
}

fn previous_significant(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    (0..i).rev().find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
}

fn next_significant_token(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    (i + 1..tokens.len()).find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
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
