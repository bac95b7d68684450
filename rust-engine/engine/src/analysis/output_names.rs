//! The names dialects give unaliased SELECT items that are not a bare
//! column (`SELECT sum(amount) FROM t`).
//!
//! Where the name comes from the item's text (DuckDB's `sum(amount)`,
//! PostgreSQL's `amount` for `amount::int`), a
//! rename inside the item renames the output column too, and a downstream
//! reader of it breaks. The analysis reports such names as the output's
//! name, so verification sees the change; the rewrite keeps them with an
//! alias. The rules and their sources are in docs/engine.md ("Names and
//! output aliases").

use sqlparser::ast::{BinaryOperator, CastKind, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, UnaryOperator, Value};

use sqlparser::keywords::ALL_KEYWORDS;

use crate::{Dialect, ExpressionNames};

/// The output name of an unaliased item that is not a bare column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ItemName {
    /// Not taken from any column's name (a function's name, a position's):
    /// a rename leaves it as it is.
    Fixed,
    /// Taken from the text: the name, when Ripple can reproduce it.
    Text(Option<String>),
}

/// `expr`'s output name in `dialect`.
pub(crate) fn item_name(dialect: Dialect, expr: &Expr) -> ItemName {
    match dialect.expression_names() {
        ExpressionNames::Generated => ItemName::Fixed,
        ExpressionNames::OperandName => operand_name(dialect, expr),
        ExpressionNames::Rendered => ItemName::Text(duckdb(expr)),
        ExpressionNames::Unknown => ItemName::Text(None),
    }
}

/// PostgreSQL's `FigureColname`: a column's name (as the dialect stores
/// it), through casts, parentheses and subscripts; anything else is named
/// after a function, a keyword (`case`) or `?column?`.
fn operand_name(dialect: Dialect, expr: &Expr) -> ItemName {
    let stored = |ident: &Ident| match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => dialect.fold(&ident.value),
    };
    match expr {
        Expr::Identifier(ident) => ItemName::Text(Some(stored(ident))),
        Expr::CompoundIdentifier(idents) => ItemName::Text(idents.last().map(stored)),
        Expr::Cast { expr, .. } | Expr::Nested(expr) => operand_name(dialect, expr),
        Expr::CompoundFieldAccess { root, access_chain } => match access_chain.last() {
            // `(o.customer).city` is named `city`, a field: no column's name.
            Some(sqlparser::ast::AccessExpr::Dot(_)) => ItemName::Fixed,
            _ => operand_name(dialect, root),
        },
        _ => ItemName::Fixed,
    }
}

/// DuckDB names an expression as it prints it: functions in lowercase,
/// operations in parentheses (`(a + b)`), names unquoted when plain. Only
/// the forms whose printing was checked against DuckDB are reproduced;
/// others (`coalesce` prints as `COALESCE`, `substring` as
/// `main."substring"`, casts with their normalised type) are not.
fn duckdb(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(ident) => plain(ident),
        Expr::CompoundIdentifier(idents) => Some(idents.iter().map(plain).collect::<Option<Vec<_>>>()?.join(".")),
        Expr::Nested(inner) => duckdb(inner),
        Expr::Value(value) => match &value.value {
            Value::Number(n, false) => Some(n.clone()),
            Value::SingleQuotedString(s) if !s.contains('\'') => Some(format!("'{s}'")),
            _ => None,
        },
        Expr::BinaryOp { left, op, right } => {
            let op = match op {
                BinaryOperator::Plus => "+",
                BinaryOperator::Minus => "-",
                BinaryOperator::Multiply => "*",
                BinaryOperator::Divide => "/",
                BinaryOperator::StringConcat => "||",
                BinaryOperator::Eq => "=",
                BinaryOperator::Lt => "<",
                BinaryOperator::Gt => ">",
                BinaryOperator::LtEq => "<=",
                BinaryOperator::GtEq => ">=",
                _ => return None,
            };
            Some(format!("({} {op} {})", duckdb(left)?, duckdb(right)?))
        }
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => Some(format!("-({})", duckdb(expr)?)),
        Expr::Function(function) => duckdb_call(function),
        Expr::Cast { kind: CastKind::Cast | CastKind::DoubleColon, .. } => None,
        _ => None,
    }
}

/// Functions DuckDB prints under their own lowercase name.
const DUCKDB_PLAIN_FUNCTIONS: [&str; 13] = ["sum", "avg", "min", "max", "count", "round", "abs", "upper", "lower", "length", "date_trunc", "median", "any_value"];

fn duckdb_call(function: &Function) -> Option<String> {
    let [name] = function.name.0.as_slice() else {
        return None;
    };
    let name = name.as_ident().filter(|i| i.quote_style.is_none())?.value.to_ascii_lowercase();
    if !DUCKDB_PLAIN_FUNCTIONS.contains(&name.as_str()) || function.over.is_some() || function.filter.is_some() || !function.within_group.is_empty() {
        return None;
    }
    let FunctionArguments::List(FunctionArgumentList { duplicate_treatment, args, clauses }) = &function.args else {
        return None;
    };
    if !clauses.is_empty() {
        return None;
    }
    let distinct = match duplicate_treatment {
        None => "",
        Some(sqlparser::ast::DuplicateTreatment::Distinct) => "DISTINCT ",
        Some(sqlparser::ast::DuplicateTreatment::All) => return None,
    };
    if let ([FunctionArg::Unnamed(FunctionArgExpr::Wildcard)], "count", "") = (args.as_slice(), name.as_str(), distinct) {
        return Some("count_star()".into());
    }
    let args = args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => duckdb(e),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(format!("{name}({distinct}{})", args.join(", ")))
}

/// A name DuckDB prints without quotes. DuckDB quotes some keywords and
/// not others (`sum("value")` but `sum(date)`), so no keyword is taken.
fn plain(ident: &Ident) -> Option<String> {
    let mut chars = ident.value.chars();
    let first = chars.next()?;
    let simple = (first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    let keyword = ALL_KEYWORDS.binary_search(&ident.value.to_ascii_uppercase().as_str()).is_ok();
    (simple && !keyword).then(|| ident.value.clone())
}
