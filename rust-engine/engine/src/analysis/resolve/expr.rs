//! Expressions, walked with `sqlparser`'s visitor: each name is resolved
//! in one scope, and each subquery handed back to the resolver with a child
//! scope (how correlated subqueries see their outer scope).

use std::collections::HashSet;
use std::ops::ControlFlow;

use sqlparser::ast::{AccessExpr, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Query, Value, ValueWithSpan, Visit, Visitor};

use crate::analysis::ColumnSource;

use super::scope::{Clause, Ctes, Scope};
use super::{part_value, Resolver};

impl Resolver<'_> {
    pub(super) fn walk(&mut self, expr: &Expr, scope: &Scope, ctes: &Ctes, clause: Clause) -> Vec<ColumnSource> {
        self.walk_node(expr, scope, ctes, clause)
    }

    /// Resolves every name in any syntax node, returning the source columns read.
    pub(super) fn walk_node<N: Visit + ?Sized>(&mut self, node: &N, scope: &Scope, ctes: &Ctes, clause: Clause) -> Vec<ColumnSource> {
        let mut walker = ExprWalker { resolver: self, scope, ctes, clause, nested: 0, sources: Vec::new(), skip: HashSet::new(), lambdas: Vec::new(), exists: false };
        let _ = node.visit(&mut walker);
        walker.sources
    }
}

/// Walks an expression (or any node), resolving its names in one scope and
/// handing each subquery to the resolver with a child scope.
pub(super) struct ExprWalker<'r, 'a, 's, 'p> {
    resolver: &'r mut Resolver<'a>,
    scope: &'s Scope<'p>,
    ctes: &'s Ctes,
    clause: Clause,
    /// Depth inside subqueries the resolver already handled.
    nested: usize,
    sources: Vec<ColumnSource>,
    /// Positions of identifiers already resolved as part of a larger name.
    /// Where names already resolved as part of a longer one start: a set,
    /// since a name of thousands of parts puts thousands here.
    skip: HashSet<(u64, u64)>,
    lambdas: Vec<String>,
    /// The next subquery is an EXISTS subquery.
    exists: bool,
}

impl ExprWalker<'_, '_, '_, '_> {
    fn resolve(&mut self, parts: &[&Ident]) {
        if parts.len() == 1 && self.lambdas.iter().any(|l| l.eq_ignore_ascii_case(&parts[0].value)) {
            return;
        }
        if let Some(first) = parts.first() {
            if self.skip.contains(&(first.span.start.line, first.span.start.column)) {
                return;
            }
        }
        let sources = self.resolver.resolve(parts, self.scope, self.clause);
        self.sources.extend(sources);
    }

    fn skip(&mut self, ident: &Ident) {
        self.skip.insert((ident.span.start.line, ident.span.start.column));
    }
}

impl Visitor for ExprWalker<'_, '_, '_, '_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if self.nested == 0 {
            let exists = std::mem::take(&mut self.exists);
            self.resolver.in_exists += usize::from(exists);
            self.resolver.unnamed_outputs += 1;
            let columns = self.resolver.query(query, Some(self.scope), self.ctes);
            self.resolver.unnamed_outputs -= 1;
            self.resolver.in_exists -= usize::from(exists);
            if !exists {
                self.sources.extend(columns.into_iter().flat_map(|c| c.sources));
            }
        }
        self.nested += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.nested -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if self.nested > 0 {
            return ControlFlow::Continue(());
        }
        match expr {
            Expr::Exists { .. } => self.exists = true,
            Expr::Identifier(ident) => self.resolve(&[ident]),
            Expr::Value(ValueWithSpan { value: Value::Placeholder(p), span }) if self.resolver.dialect.positional_columns() => {
                if let Some(n) = p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                    let sources = self.resolver.positional(n, *span, self.scope);
                    self.sources.extend(sources);
                }
            }
            Expr::CompoundIdentifier(idents) => {
                let parts: Vec<&Ident> = idents.iter().collect();
                self.resolve(&parts);
            }
            Expr::CompoundFieldAccess { root, access_chain } => {
                // `t.col.field[0].x`: the name up to the first subscript.
                let mut parts = field_path(root);
                for access in access_chain {
                    match (access, parts.as_mut()) {
                        (AccessExpr::Dot(Expr::Identifier(ident)), Some(parts)) => parts.push(ident),
                        // A field after a subscript (`arr[0].x`) is no column.
                        (AccessExpr::Dot(Expr::Identifier(ident)), None) => self.skip(ident),
                        (_, Some(_)) => {
                            let path = parts.take().unwrap_or_default();
                            self.resolve(&path);
                            path.into_iter().for_each(|ident| self.skip(ident));
                        }
                        (_, None) => {}
                    }
                }
                if let Some(path) = parts {
                    self.resolve(&path);
                    path.into_iter().for_each(|ident| self.skip(ident));
                }
            }
            Expr::Function(function) => {
                let name = function.name.0.last().map(part_value).unwrap_or_default();
                if let FunctionArguments::List(list) = &function.args {
                    for arg in &list.args {
                        if let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(ident))) = arg {
                            if is_date_part_argument(&name, &ident.value) {
                                self.skip(ident);
                            }
                        }
                    }
                }
            }
            Expr::Lambda(lambda) => {
                self.lambdas.extend(lambda.params.iter().map(|p| p.name.value.clone()));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The name parts of a column and field path, also through PostgreSQL's
/// parentheses around a composite value (`((o.customer).address).city`).
fn field_path(expr: &Expr) -> Option<Vec<&Ident>> {
    match expr {
        Expr::Identifier(ident) => Some(vec![ident]),
        Expr::CompoundIdentifier(idents) => Some(idents.iter().collect()),
        Expr::Nested(inner) => field_path(inner),
        Expr::CompoundFieldAccess { root, access_chain } => {
            let mut parts = field_path(root)?;
            for access in access_chain {
                match access {
                    AccessExpr::Dot(Expr::Identifier(ident)) => parts.push(ident),
                    _ => return None,
                }
            }
            Some(parts)
        }
        _ => None,
    }
}

/// Date parts written as bare words in date functions (`DATE_TRUNC(d, MONTH)`)
/// are not columns.
fn is_date_part_argument(function: &str, word: &str) -> bool {
    const FUNCTIONS: &[&str] = &[
        "DATEADD",
        "DATEDIFF",
        "DATEPART",
        "DATETIME_ADD",
        "DATETIME_DIFF",
        "DATETIME_SUB",
        "DATETIME_TRUNC",
        "DATE_ADD",
        "DATE_DIFF",
        "DATE_PART",
        "DATE_SUB",
        "DATE_TRUNC",
        "LAST_DAY",
        "TIMESTAMPADD",
        "TIMESTAMPDIFF",
        "TIMESTAMP_ADD",
        "TIMESTAMP_DIFF",
        "TIMESTAMP_SUB",
        "TIMESTAMP_TRUNC",
        "TIME_ADD",
        "TIME_DIFF",
        "TIME_SUB",
        "TIME_TRUNC",
        "TRUNC",
        "WEEK",
    ];
    const PARTS: &[&str] = &[
        "D",
        "DATE",
        "DAY",
        "DAYOFWEEK",
        "DAYOFYEAR",
        "DAYS",
        "DD",
        "DW",
        "FRIDAY",
        "HH",
        "HOUR",
        "HOURS",
        "ISOWEEK",
        "ISOYEAR",
        "MI",
        "MICROSECOND",
        "MILLISECOND",
        "MINUTE",
        "MINUTES",
        "MM",
        "MON",
        "MONDAY",
        "MONTH",
        "MONTHS",
        "NANOSECOND",
        "QUARTER",
        "SATURDAY",
        "SECOND",
        "SECONDS",
        "SS",
        "SUNDAY",
        "THURSDAY",
        "TUESDAY",
        "WEDNESDAY",
        "WEEK",
        "WEEKDAY",
        "WEEKS",
        "WK",
        "Y",
        "YEAR",
        "YEARS",
        "YY",
        "YYYY",
    ];
    FUNCTIONS.contains(&function.to_ascii_uppercase().as_str()) && PARTS.contains(&word.to_ascii_uppercase().as_str())
}
