//! How many bytes a value holds, its own and on the heap: what the analyses
//! cache (`analyses.rs`) counts against its bound. An estimate from lengths
//! and capacities; allocator overhead is not counted.

use std::mem::size_of;

use ripple_engine::analysis::{ColumnSource, Diagnostic, Output, Reference, StatementAnalysis, TableRead, TableWrite};
use ripple_engine::{ColumnSchema, FileAnalysis, Schema, TableSchema};

/// The bytes a value holds on the heap (its own size is counted by whoever
/// holds it, inline).
pub trait Heap {
    fn heap(&self) -> usize;
}

/// The bytes `value` holds in all: its own size and its heap.
pub fn bytes<T: Heap>(value: &T) -> usize {
    size_of::<T>() + value.heap()
}

impl Heap for String {
    fn heap(&self) -> usize {
        self.capacity()
    }
}

impl<T: Heap> Heap for Option<T> {
    fn heap(&self) -> usize {
        self.as_ref().map_or(0, Heap::heap)
    }
}

impl<T: Heap> Heap for Vec<T> {
    fn heap(&self) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(Heap::heap).sum::<usize>()
    }
}

impl Heap for Schema {
    fn heap(&self) -> usize {
        // A hash map's table: each slot a key and a value, plus a control byte.
        self.tables.capacity() * (size_of::<(String, TableSchema)>() + 1) + self.tables.iter().map(|(name, table)| name.heap() + table.columns.heap()).sum::<usize>()
    }
}

impl Heap for ColumnSchema {
    fn heap(&self) -> usize {
        self.name.heap() + self.data_type.heap()
    }
}

impl Heap for FileAnalysis {
    fn heap(&self) -> usize {
        self.path.heap() + self.statements.heap() + self.diagnostics.heap()
    }
}

impl Heap for StatementAnalysis {
    fn heap(&self) -> usize {
        self.reads.heap() + self.writes.heap() + self.outputs.heap() + self.references.heap()
    }
}

impl Heap for TableRead {
    fn heap(&self) -> usize {
        self.table.heap() + self.columns.heap()
    }
}

impl Heap for TableWrite {
    fn heap(&self) -> usize {
        self.table.heap()
    }
}

impl Heap for Output {
    fn heap(&self) -> usize {
        self.name.heap() + self.sources.heap()
    }
}

impl Heap for ColumnSource {
    fn heap(&self) -> usize {
        self.table.heap() + self.column.heap()
    }
}

impl Heap for Reference {
    fn heap(&self) -> usize {
        self.table.heap() + self.column.heap() + self.path.heap() + self.via.heap() + self.candidates.heap()
    }
}

impl Heap for Diagnostic {
    fn heap(&self) -> usize {
        self.message.heap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ripple_engine::{Dialect, Language, Options};

    #[test]
    fn an_analysis_counts_at_least_its_strings() {
        let analysis = ripple_engine::analyze("models/q.sql", Language::Sql, "SELECT o.amount, o.customer_id FROM proj.ds.orders o", Options { dialect: Dialect::BigQuery, schema: None });
        let strings: usize = analysis.statements[0].references.iter().map(|r| r.column.as_ref().map_or(0, String::len)).sum();
        assert!(bytes(&analysis) > size_of::<FileAnalysis>() + strings + 3 * size_of::<Reference>());
        let schema = Schema::from_json(r#"{"tables": {"proj.ds.orders": {"columns": [{"name": "amount", "type": "NUMERIC"}]}}}"#).unwrap();
        assert!(bytes(&schema) > "proj.ds.orders".len() + "amount".len() + "NUMERIC".len());
    }
}
