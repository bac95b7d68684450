//! The types a dbt model's SQL gives its output columns: a column whose
//! item is a `CAST` (`cast(amount as numeric)`, `amount::numeric`,
//! `safe_cast`) has the cast's type. `ripple check` compares them between
//! two versions of a model, so a model that retypes a column by casting it
//! is a change. Other items' types are not known from the SQL alone.

use sqlparser::ast::{Expr, Query, SelectItem, SetExpr, Spanned, Statement};
use sqlparser::parser::Parser;

use crate::source::{fragments, Language};
use crate::{Dialect, LineIndex, Location};

/// One item of a model's final SELECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOutput {
    /// The type it is cast to, as the SQL writes it; `None` when the item
    /// is no cast.
    pub data_type: Option<String>,
    /// The line of the model's file the item is written on.
    pub line: u64,
}

/// The items of the final SELECT of the model whose file is `text`, in
/// order; `None` when it does not parse, or when an item is a `*` (the
/// items then do not line up with the output columns).
pub fn model_outputs(text: &str, dialect: Dialect) -> Option<Vec<ModelOutput>> {
    let fragment = fragments(Language::Dbt, text).pop()?;
    let parser_dialect = dialect.parser_dialect();
    let statements = Parser::new(parser_dialect.as_ref()).with_recursion_limit(crate::depth::RECURSION_LIMIT).try_with_sql(&fragment.sql).ok()?.parse_statements().ok()?;
    let Some(Statement::Query(query)) = statements.last() else {
        return None;
    };
    let select = first_select(query)?;
    let (in_fragment, in_file) = (LineIndex::new(&fragment.sql), LineIndex::new(text));
    let line = |at: sqlparser::tokenizer::Location| {
        let offset = in_fragment.offset(&fragment.sql, Location::from(at));
        in_file.location(text, fragment.map.host_offset(offset)).line
    };
    select
        .projection
        .iter()
        .map(|item| {
            let expr = match item {
                SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => expr,
                _ => return None,
            };
            Some(ModelOutput { data_type: cast_type(expr), line: line(item.span().start) })
        })
        .collect()
}

/// The SELECT whose items name a query's columns: a set operation's first.
fn first_select(query: &Query) -> Option<&sqlparser::ast::Select> {
    let mut body = query.body.as_ref();
    loop {
        match body {
            SetExpr::Select(select) => return Some(select),
            SetExpr::Query(inner) => body = inner.body.as_ref(),
            SetExpr::SetOperation { left, .. } => body = left.as_ref(),
            _ => return None,
        }
    }
}

fn cast_type(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Cast { data_type, .. } => Some(data_type.to_string()),
        Expr::Nested(inner) => cast_type(inner),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_give_types_and_lines() {
        let sql = "{{ config(materialized='table') }}\nselect\n  id,\n  cast(amount as numeric(10, 2)) as amount,\n  created_at::date as day\nfrom {{ ref('raw_orders') }}\n";
        let outputs = model_outputs(sql, Dialect::Postgres).unwrap();
        let types: Vec<Option<&str>> = outputs.iter().map(|o| o.data_type.as_deref()).collect();
        assert_eq!(types, vec![None, Some("NUMERIC(10,2)"), Some("DATE")]);
        assert_eq!(outputs.iter().map(|o| o.line).collect::<Vec<_>>(), vec![3, 4, 5]);
    }

    #[test]
    fn a_star_leaves_the_items_unknown() {
        assert_eq!(model_outputs("select *, 1 as x from {{ ref('a') }}", Dialect::Generic), None);
    }
}
