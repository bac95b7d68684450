//! A change whose dataset no file names. Every file is then `unaffected`,
//! which reads as "nothing to do" when the likelier story is a dataset named
//! in a way the files do not use (a dbt source named by its warehouse
//! relation, `raw.raw_orders`, where the files write
//! `source('ecom', 'raw_orders')`). Said as a warning, with the names the
//! files do use that look closest.

use serde::Serialize;

use crate::analysis::{FileAnalysis, ReferenceKind};
use crate::schema::names_match;
use crate::source::Language;

/// The names closest to the dataset, at most this many.
const CLOSEST: usize = 3;

/// The warning that no file names the change's dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct UnmatchedDataset {
    pub dataset: String,
    /// Names the files use for tables that look closest to the dataset,
    /// as they write them (`source('ecom', 'raw_orders')`), closest first.
    pub closest: Vec<String>,
    pub message: String,
}

/// `None` when some file names `dataset` (as a table, a `ref()` or a
/// `source()`); otherwise the warning. `texts` are the files' texts, in the
/// order of `analyses`.
pub fn unmatched_dataset(dataset: &str, analyses: &[(&FileAnalysis, &str)]) -> Option<UnmatchedDataset> {
    let mut names: Vec<(String, String)> = Vec::new();
    for (analysis, text) in analyses {
        for r in analysis.statements.iter().flat_map(|s| &s.references).filter(|r| r.kind == ReferenceKind::Table) {
            let Some(table) = r.table.as_deref() else {
                continue;
            };
            if names_match(dataset, table) || names_match(table, dataset) {
                return None;
            }
            let written = match analysis.language {
                // The call as written, `source('ecom', 'raw_orders')`, not the table it renders to.
                Language::Dbt => dbt_call(text, r.span.clone()).unwrap_or_else(|| table.to_string()),
                _ => table.to_string(),
            };
            if !names.iter().any(|(t, _)| t.eq_ignore_ascii_case(table)) {
                names.push((table.to_string(), written));
            }
        }
    }
    let mut ranked: Vec<(usize, String)> = names.into_iter().map(|(table, written)| (distance(dataset, &table), written)).collect();
    ranked.sort();
    let limit = dataset.rsplit('.').next().unwrap_or(dataset).len().div_ceil(2).max(2);
    let closest: Vec<String> = ranked.into_iter().filter(|(d, _)| *d <= limit).take(CLOSEST).map(|(_, w)| w).collect();
    let message = match closest.as_slice() {
        [] => format!("no file names `{dataset}` (as a table, ref() or source()); check the change's dataset"),
        some => format!("no file names `{dataset}` (as a table, ref() or source()); the closest names the files use: {}", some.join(", ")),
    };
    Some(UnmatchedDataset { dataset: dataset.to_string(), closest, message })
}

/// How far `table` is from `dataset`: the edit distance of their last parts,
/// lowercase, then of the rest (`raw.raw_orders` is close to
/// `ecom.raw_orders`).
fn distance(dataset: &str, table: &str) -> usize {
    let split = |s: &str| {
        let s = s.to_ascii_lowercase();
        match s.rsplit_once('.') {
            Some((rest, last)) => (last.to_string(), rest.to_string()),
            None => (s, String::new()),
        }
    };
    let ((a, a_rest), (b, b_rest)) = (split(dataset), split(table));
    let last = strsim::levenshtein(&a, &b);
    // The rest counts for little: a schema is often written differently.
    last * 4 + usize::from(!a_rest.is_empty() && !b_rest.is_empty() && a_rest != b_rest)
}

/// The `ref(...)` or `source(...)` call around `span` in a dbt file.
fn dbt_call(text: &str, span: std::ops::Range<usize>) -> Option<String> {
    // A `{{ ... }}` call is short: looking back further, for each table of a
    // large file, would scan the file again and again.
    let mut from = span.start.saturating_sub(4096);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let open = from + text.get(from..span.start)?.rfind("{{")?;
    let close = open + text.get(open..)?.find("}}")?;
    (close >= span.start).then(|| text[open + 2..close].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Dialect, Options};

    fn run(dataset: &str, files: &[(&str, &str)]) -> Option<UnmatchedDataset> {
        let options = Options { dialect: Dialect::DuckDb, schema: None };
        let analyses: Vec<FileAnalysis> = files.iter().map(|(path, text)| analyze(path, Language::detect(path, text).unwrap(), text, options)).collect();
        let pairs: Vec<(&FileAnalysis, &str)> = analyses.iter().zip(files).map(|(a, (_, t))| (a, *t)).collect();
        unmatched_dataset(dataset, &pairs)
    }

    #[test]
    fn a_named_dataset_is_no_warning_and_a_dbt_source_by_its_relation_is() {
        let model = "select * from {{ source('ecom', 'raw_orders') }} join {{ ref('stg_customers') }} using (id)";
        assert_eq!(run("ecom.raw_orders", &[("models/stg_orders.sql", model)]), None);
        assert_eq!(run("stg_customers", &[("models/stg_orders.sql", model)]), None);
        let warning = run("raw.raw_orders", &[("models/stg_orders.sql", model)]).unwrap();
        assert_eq!(warning.closest, ["source('ecom', 'raw_orders')"]);
        assert!(warning.message.contains("the closest names the files use: source('ecom', 'raw_orders')"), "{}", warning.message);
        // Nothing alike: the warning says so without candidates.
        let warning = run("finance.invoices", &[("q.sql", "select a from sales.orders")]).unwrap();
        assert!(warning.closest.is_empty());
    }
}
