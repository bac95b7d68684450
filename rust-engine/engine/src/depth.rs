//! How deep a syntax tree can get, judged from its tokens before it is
//! parsed.
//!
//! `sqlparser` builds a chain of infix or postfix operators (`a | b | c`,
//! `x::INT::INT`, `a IS NULL IS NULL`, `SELECT .. UNION SELECT ..`) in a
//! loop, without recursing, but the tree it returns nests one level per
//! operator. Walking that tree (our resolver, `sqlparser`'s visitor, its
//! `Display`) and even dropping it recurse once per level, so a long enough
//! chain overflows the stack: natively the process aborts, and in
//! WebAssembly the instance traps. `sqlparser`'s recursion limit does not
//! help, since the parser itself never recursed.
//!
//! Nesting the parser does recurse for (parentheses, subqueries, prefix
//! operators such as unary `-` and `NOT`) is bounded by its recursion limit,
//! [`RECURSION_LIMIT`]. Everything else is bounded here: every token that can
//! start an infix or postfix node, or wrap a query or a table in a loop,
//! counts, and a statement whose count is over [`MAX_OPERATORS`] is not
//! parsed. The count over-approximates on purpose (a `*` in `SELECT *`
//! counts, so does every `=`): missing a construct crashes, counting too
//! much only sends a gigantic statement to the token scan.
//!
//! A few constructs count [`HEAVY`], since each of their levels takes far
//! more stack, and real SQL chains a handful at most: a table operator
//! (`t PIVOT (...) PIVOT (...)`), whose every level is walked as a whole
//! table factor, and `DIV`, for which `sqlparser`'s MySQL dialect clones
//! the whole left operand (recursively, one level per `DIV` before it). Set operations
//! (`UNION ALL`, chained by the thousand in generated SQL) count one: the
//! resolver walks their chain in a loop.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// Nesting the parser recurses for (parentheses, subqueries, prefix
/// operators) deeper than this is refused by the parser.
pub(crate) const RECURSION_LIMIT: usize = 64;

/// A statement whose operators ([`weight`]) add up to more than this is not
/// parsed: its tree could be too deep to walk or drop.
/// Measured safe on the smallest stack the engine runs on (the 2 MiB of the
/// WebAssembly package and of Rust's test threads), with every construct, in
/// `tests/hostile.rs` and `packages/engine/test/hostile.test.js`.
pub(crate) const MAX_OPERATORS: usize = 4_000;

/// What a table operator or a `DIV` counts for, out of [`MAX_OPERATORS`].
pub(crate) const HEAVY: usize = 64;

/// What a token counts for: 1 when it can add a level to the tree without
/// the parser recursing (an operator, infix, postfix or prefix, a keyword
/// operator, a set operation), [`HEAVY`] for a table operator or `DIV`, 0
/// otherwise.
pub(crate) fn weight(token: &Token) -> usize {
    match token {
        Token::Word(word) if word.quote_style.is_some() => 0,
        Token::Word(word) if HEAVY_KEYWORDS.contains(&word.keyword) => HEAVY,
        Token::Word(word) => usize::from(DEEPENING_KEYWORDS.contains(&word.keyword)),
        // Names, literals and punctuation that only separate or close.
        Token::EOF
        | Token::Number(..)
        | Token::Char(_)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::TripleSingleQuotedString(_)
        | Token::TripleDoubleQuotedString(_)
        | Token::DollarQuotedString(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_)
        | Token::TripleSingleQuotedByteStringLiteral(_)
        | Token::TripleDoubleQuotedByteStringLiteral(_)
        | Token::SingleQuotedRawStringLiteral(_)
        | Token::DoubleQuotedRawStringLiteral(_)
        | Token::TripleSingleQuotedRawStringLiteral(_)
        | Token::TripleDoubleQuotedRawStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::QuoteDelimitedStringLiteral(_)
        | Token::NationalQuoteDelimitedStringLiteral(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_)
        | Token::Placeholder(_)
        | Token::Whitespace(_)
        | Token::Comma
        | Token::SemiColon
        | Token::LParen
        | Token::RParen
        | Token::RBracket
        | Token::LBrace
        | Token::RBrace
        // `a.b.c` and `f(x).a.b` are one flat node, however long.
        | Token::Period => 0,
        // Every operator sign, including ones no dialect reads as an infix
        // operator today: a new `sqlparser` may.
        _ => 1,
    }
}

/// Keywords that make an infix or postfix node (`a IS NULL`, `x COLLATE c`,
/// `t AT TIME ZONE z`, `a NOT LIKE b`) or a set operation.
const DEEPENING_KEYWORDS: &[Keyword] = &[
    Keyword::AND,
    Keyword::OR,
    Keyword::XOR,
    Keyword::NOT,
    Keyword::IS,
    Keyword::NOTNULL,
    Keyword::IN,
    Keyword::BETWEEN,
    Keyword::OVERLAPS,
    Keyword::LIKE,
    Keyword::ILIKE,
    Keyword::RLIKE,
    Keyword::REGEXP,
    Keyword::MATCH,
    Keyword::GLOB,
    Keyword::SIMILAR,
    Keyword::MEMBER,
    Keyword::OPERATOR,
    Keyword::MOD,
    Keyword::COLLATE,
    Keyword::AT,
    Keyword::UNION,
    Keyword::EXCEPT,
    Keyword::INTERSECT,
    Keyword::MINUS,
];

/// Table operators, which wrap the table before them, and `DIV`.
const HEAVY_KEYWORDS: &[Keyword] = &[Keyword::PIVOT, Keyword::UNPIVOT, Keyword::MATCH_RECOGNIZE, Keyword::DIV];

/// What the tokens of `tokens` count for, out of [`MAX_OPERATORS`].
pub(crate) fn operators<'a>(tokens: impl IntoIterator<Item = &'a Token>) -> usize {
    tokens.into_iter().map(weight).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::GenericDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn count(sql: &str) -> usize {
        operators(&Tokenizer::new(&GenericDialect {}, sql).tokenize().unwrap())
    }

    #[test]
    fn every_operator_counts_and_names_do_not() {
        assert_eq!(count("SELECT a.b.c, f(x).y, 'str', 1 FROM t"), 0);
        assert_eq!(count("a | b & c ^ d"), 3);
        assert_eq!(count("x::INT -> 'k' ->> 'j'"), 3);
        assert_eq!(count("x COLLATE c AT TIME ZONE 'UTC'"), 2);
        assert_eq!(count("a[1][2]"), 2);
        assert_eq!(count("- NOT a IS NULL"), 3);
        assert_eq!(count("SELECT 1 UNION SELECT 2 EXCEPT SELECT 3"), 2);
        assert_eq!(count("t PIVOT (x FOR y IN (1))"), HEAVY + 1);
        // A quoted word is a name, whatever it spells.
        assert_eq!(count("\"AND\" + `OR`"), 1);
    }
}
