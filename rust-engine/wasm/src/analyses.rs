//! The analyses made most recently, so that `rewrite` of a file `analyze` or
//! `rewrite` has just read, with the same options, does not parse it again. Callers analyse a
//! file, then rewrite it, often for many changes: the backend's agent reads a
//! consumer and proposes its patch; the browser's live preview rewrites every
//! consumer on each edit of the change. Half of a rewrite's time was
//! analysing the original text again.
//!
//! An analysis is reused only for the same path, text, language, dialect and
//! schema (compared in full, not by hash alone), so a hit gives exactly what
//! analysing again would. `analyze` itself always analyses (and its
//! benchmark against the native engine measures the analysis).
//!
//! The cache is bounded by everything it holds, estimated in bytes
//! (`heap.rs`): each entry's path, text and analysis, and each schema once,
//! however many entries share it (a caller passes the same schema with every
//! file). The oldest entries go first; an entry that alone would take more
//! than a quarter of the bound is not kept. The cache is dropped with the
//! instance (a panic's fresh instance starts empty).

use std::cell::RefCell;
use std::collections::hash_map::DefaultHasher;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::mem::size_of;
use std::rc::Rc;

use ripple_engine::{Dialect, FileAnalysis, Language, Schema};

use crate::heap;

/// At most this many bytes are kept. 400 typical consumer files are about
/// 1 MiB of text, and their analyses about ten times that.
const MAX_BYTES: usize = 48 << 20;
const MAX_ENTRIES: usize = 4096;

pub struct Input<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub language: Language,
    pub dialect: Dialect,
    pub schema: Option<&'a Schema>,
}

struct Entry {
    hash: u64,
    path: String,
    text: String,
    language: Language,
    dialect: Dialect,
    schema: Option<Rc<Schema>>,
    analysis: Rc<FileAnalysis>,
    /// What the entry holds, but its schema (counted in `Analyses::schemas`).
    bytes: usize,
}

impl Entry {
    fn matches(&self, hash: u64, input: &Input) -> bool {
        self.hash == hash && self.language == input.language && self.dialect == input.dialect && self.path == input.path && self.schema.as_deref() == input.schema && self.text == input.text
    }
}

struct Analyses {
    entries: VecDeque<Entry>,
    /// The schemas the entries hold, each once, with its size.
    schemas: Vec<(Rc<Schema>, usize)>,
    /// The entries' bytes and the schemas'.
    bytes: usize,
    limit: usize,
}

impl Analyses {
    fn new(limit: usize) -> Self {
        Analyses { entries: VecDeque::new(), schemas: Vec::new(), bytes: 0, limit }
    }

    fn recall(&self, input: &Input) -> Option<Rc<FileAnalysis>> {
        let hash = hash(input);
        self.entries.iter().rev().find(|e| e.matches(hash, input)).map(|e| e.analysis.clone())
    }

    fn remember(&mut self, input: &Input, analysis: Rc<FileAnalysis>) {
        let hash = hash(input);
        if self.entries.iter().any(|e| e.matches(hash, input)) {
            return;
        }
        let bytes = size_of::<Entry>() + input.path.len() + input.text.len() + heap::bytes(&*analysis);
        let shared = input.schema.and_then(|schema| self.schemas.iter().find(|(s, _)| s.tables.len() == schema.tables.len() && **s == *schema));
        let (schema, schema_bytes) = match (input.schema, shared) {
            (None, _) => (None, 0),
            (Some(_), Some((schema, _))) => (Some(schema.clone()), 0),
            (Some(schema), None) => {
                let schema = Rc::new(schema.clone());
                let bytes = heap::bytes(&*schema);
                (Some(schema), bytes)
            }
        };
        if bytes + schema_bytes > self.limit / 4 {
            return;
        }
        if let (Some(schema), true) = (&schema, schema_bytes > 0) {
            self.schemas.push((schema.clone(), schema_bytes));
        }
        self.bytes += bytes + schema_bytes;
        let entry = Entry { hash, path: input.path.to_string(), text: input.text.to_string(), language: input.language, dialect: input.dialect, schema, analysis, bytes };
        self.entries.push_back(entry);
        while self.bytes > self.limit || self.entries.len() > MAX_ENTRIES {
            let Some(oldest) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= oldest.bytes;
            drop(oldest);
            // A schema no entry holds any more (only this list does) goes too.
            let bytes = &mut self.bytes;
            self.schemas.retain(|(schema, size)| {
                let held = Rc::strong_count(schema) > 1;
                if !held {
                    *bytes -= size;
                }
                held
            });
        }
    }
}

thread_local! {
    static ANALYSES: RefCell<Analyses> = RefCell::new(Analyses::new(MAX_BYTES));
}

fn hash(input: &Input) -> u64 {
    let mut hasher = DefaultHasher::new();
    input.path.hash(&mut hasher);
    input.text.hash(&mut hasher);
    hasher.finish()
}

/// The analysis of `input` kept from an earlier call, if any.
pub fn recall(input: &Input) -> Option<Rc<FileAnalysis>> {
    ANALYSES.with_borrow(|analyses| analyses.recall(input))
}

/// Keeps the analysis of `input` for the calls after this one.
pub fn remember(input: &Input, analysis: Rc<FileAnalysis>) {
    ANALYSES.with_borrow_mut(|analyses| analyses.remember(input, analysis));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ripple_engine::{ColumnSchema, Options, TableSchema};

    /// What the cache holds, counted again from scratch.
    fn held(analyses: &Analyses) -> usize {
        let entries: usize = analyses.entries.iter().map(|e| size_of::<Entry>() + e.path.len() + e.text.len() + heap::bytes(&*e.analysis)).sum();
        let mut schemas: Vec<&Rc<Schema>> = analyses.entries.iter().filter_map(|e| e.schema.as_ref()).collect();
        schemas.sort_by_key(|s| Rc::as_ptr(s));
        schemas.dedup_by_key(|s| Rc::as_ptr(s));
        entries + schemas.iter().map(|s| heap::bytes(&***s)).sum::<usize>()
    }

    /// A schema of `tables` tables of 50 columns: about 4 KiB a table.
    fn schema(tables: usize, tag: usize) -> Schema {
        let columns: Vec<ColumnSchema> = (0..50).map(|c| ColumnSchema { name: format!("column_{c}_{tag}"), data_type: Some("STRUCT<a INT64, b STRING>".into()) }).collect();
        Schema { tables: (0..tables).map(|t| (format!("proj.ds.table_{t}"), TableSchema { columns: columns.clone() })).collect() }
    }

    fn analysis(text: &str) -> Rc<FileAnalysis> {
        Rc::new(ripple_engine::analyze("q.sql", Language::Sql, text, Options { dialect: Dialect::BigQuery, schema: None }))
    }

    fn keep(analyses: &mut Analyses, path: &str, text: &str, schema: Option<&Schema>, analysis: &Rc<FileAnalysis>) {
        let input = Input { path, text, language: Language::Sql, dialect: Dialect::BigQuery, schema };
        analyses.remember(&input, analysis.clone());
    }

    #[test]
    fn the_bound_counts_schemas_and_analyses_not_only_text() {
        // Small texts with big schemas, each different: counting the text
        // alone, all 200 would be kept (about 30 MiB of schemas).
        let limit = 4 << 20;
        let mut analyses = Analyses::new(limit);
        let small = analysis("SELECT 1");
        for i in 0..200 {
            keep(&mut analyses, &format!("q{i}.sql"), "SELECT 1", Some(&schema(40, i)), &small);
            assert_eq!(analyses.bytes, held(&analyses));
            assert!(analyses.bytes <= limit, "{} bytes held", analyses.bytes);
        }
        assert!(analyses.entries.len() < 40, "{} entries", analyses.entries.len());
        // Big analyses count too: 2,000 references a file.
        let text = format!("SELECT {} FROM t", vec!["a"; 2_000].join(", "));
        let wide = analysis(&text);
        for i in 0..200 {
            keep(&mut analyses, &format!("wide{i}.sql"), &text, None, &wide);
            assert_eq!(analyses.bytes, held(&analyses));
            assert!(analyses.bytes <= limit, "{} bytes held", analyses.bytes);
        }
        assert!(analyses.entries.len() < 100, "{} entries", analyses.entries.len());
    }

    #[test]
    fn one_schema_shared_by_many_files_is_counted_once() {
        let limit = 4 << 20;
        let mut analyses = Analyses::new(limit);
        let shared = schema(20, 0);
        let one = analysis("SELECT column_1_0 FROM proj.ds.table_1");
        for i in 0..100 {
            // A copy each time, as each call from JS reads its own.
            keep(&mut analyses, &format!("q{i}.sql"), "SELECT column_1_0 FROM proj.ds.table_1", Some(&shared.clone()), &one);
        }
        assert_eq!(analyses.entries.len(), 100);
        assert_eq!(analyses.schemas.len(), 1);
        assert_eq!(analyses.bytes, held(&analyses));
        // A schema bigger than a quarter of the bound is never kept.
        let big = schema(400, 1);
        assert!(heap::bytes(&big) > limit / 4);
        keep(&mut analyses, "big.sql", "SELECT 1", Some(&big), &one);
        assert_eq!(analyses.entries.len(), 100);
    }
}
