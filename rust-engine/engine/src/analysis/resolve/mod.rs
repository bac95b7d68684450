//! Name resolution: every column reference resolved to the table it comes
//! from, through aliases, CTEs, derived tables, joins, set operations,
//! UNNEST/LATERAL/FLATTEN, struct paths and correlated subqueries, and the
//! lineage of each output column.
//!
//! As in SQLGlot, scopes are data (`scope.rs`: relations, output aliases,
//! USING columns) and the resolver answers questions about them
//! (`lookup.rs`). The walk follows the query's scopes by hand: statements
//! (`statement.rs`), queries (`query.rs`, pipe syntax in `pipe.rs`) and
//! FROM items (`from.rs`); expressions are walked with `sqlparser`'s
//! visitor (`expr.rs`), which hands every subquery back to the resolver so
//! it gets a scope of its own.

mod expr;
mod from;
mod lookup;
mod pipe;
mod query;
mod scope;
mod statement;

use std::collections::HashSet;
use std::ops::Range;

use sqlparser::ast::{AccessExpr, Expr, Ident, ObjectName, ObjectNamePart, Statement, TableAlias};

use super::found::{Found, FoundRef};
use super::spans::Spans;
use super::tokens::Lite;
use super::{ColumnSource, ExpressionOutput, Output};
use crate::source::PLACEHOLDER_PREFIX;
use crate::{Dialect, Schema};

/// Resolves the names of a fragment's statements, one statement at a time,
/// and keeps what lasts between them: the scripting variables declared.
pub(in crate::analysis) struct Resolver<'a> {
    spans: &'a Spans<'a>,
    dialect: Dialect,
    schema: Option<&'a Schema>,
    /// Scripting variables (DECLARE), lowercase: never columns.
    variables: HashSet<String>,
    references: Vec<FoundRef>,
    bare_outputs: Vec<Range<usize>>,
    expression_outputs: Vec<ExpressionOutput>,
    /// The fragment's tokens, where SELECT lists are split into items.
    tokens: &'a [Lite],
    writes: Vec<String>,
    /// Inside `EXISTS (SELECT * ...)`, whose star reads no column.
    in_exists: usize,
    /// Inside a query whose output columns nobody reads by name: a
    /// subquery in an expression, an INSERT's rows.
    unnamed_outputs: usize,
}

impl<'a> Resolver<'a> {
    pub fn new(spans: &'a Spans<'a>, tokens: &'a [Lite], schema: Option<&'a Schema>, dialect: Dialect) -> Self {
        Resolver {
            spans,
            dialect,
            schema,
            variables: HashSet::new(),
            references: Vec::new(),
            bare_outputs: Vec::new(),
            expression_outputs: Vec::new(),
            tokens,
            writes: Vec::new(),
            in_exists: 0,
            unnamed_outputs: 0,
        }
    }

    /// The dialect the statements are written in.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The scripting variables declared so far.
    pub fn variables(&self) -> &HashSet<String> {
        &self.variables
    }

    /// Declares a scripting variable (a FOR loop's, a procedure parameter)
    /// for a block; false when it already was one.
    pub fn declare(&mut self, name: &Ident) -> bool {
        self.variables.insert(name.value.to_ascii_lowercase())
    }

    /// Ends a block's variable.
    pub fn forget(&mut self, name: &Ident) {
        self.variables.remove(&name.value.to_ascii_lowercase());
    }

    /// The statement at `range`: its references, writes and output columns.
    pub fn statement(&mut self, statement: &Statement, range: Range<usize>) -> Found {
        let columns = self.statement_columns(statement);
        let outputs = columns.into_iter().map(|c| Output { name: c.name, sources: dedup(c.sources) }).collect();
        self.found(range, outputs)
    }

    /// The statement at `range`, with what the resolver recorded since the
    /// last one.
    fn found(&mut self, range: Range<usize>, outputs: Vec<Output>) -> Found {
        Found {
            range,
            writes: std::mem::take(&mut self.writes),
            outputs,
            references: std::mem::take(&mut self.references),
            bare_outputs: std::mem::take(&mut self.bare_outputs),
            expression_outputs: std::mem::take(&mut self.expression_outputs),
            parsed: true,
            // The statement's reader adds them: it needs the parser and the statement.
            parameters: Vec::new(),
            query: None,
        }
    }

    /// Runs `f` without recording references (a pass whose results are only
    /// needed for their columns).
    fn muted<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let references = self.references.len();
        let writes = self.writes.len();
        let result = f(self);
        self.references.truncate(references);
        self.writes.truncate(writes);
        result
    }

    fn push(&mut self, reference: FoundRef) {
        self.references.push(reference);
    }
}

fn alias_name(alias: &Option<TableAlias>) -> Option<String> {
    alias.as_ref().map(|a| a.name.value.clone())
}

fn part_value(part: &ObjectNamePart) -> String {
    match part {
        ObjectNamePart::Identifier(ident) => ident.value.clone(),
        other => other.to_string(),
    }
}

/// A table name as the SQL writes it: quotes removed, parts joined by `.`.
fn object_name(name: &ObjectName) -> String {
    name.0.iter().map(part_value).collect::<Vec<_>>().join(".")
}

fn last_ident(name: &ObjectName) -> Option<&Ident> {
    name.0.last().and_then(ObjectNamePart::as_ident)
}

fn output_name(expr: &Expr) -> Option<String> {
    let name = match expr {
        Expr::Identifier(ident) => Some(ident.value.clone()),
        Expr::CompoundIdentifier(idents) => idents.last().map(|i| i.value.clone()),
        Expr::CompoundFieldAccess { access_chain, .. } => match access_chain.last() {
            Some(AccessExpr::Dot(Expr::Identifier(ident))) => Some(ident.value.clone()),
            _ => None,
        },
        Expr::Nested(inner) => output_name(inner),
        _ => None,
    };
    name.filter(|n| !n.contains(PLACEHOLDER_PREFIX))
}

fn dedup(mut sources: Vec<ColumnSource>) -> Vec<ColumnSource> {
    let mut seen = HashSet::new();
    sources.retain(|s| seen.insert((s.table.to_ascii_lowercase(), s.column.to_ascii_lowercase())));
    sources
}
