//! The sources a dbt project declares, and the warehouse relation each
//! stands for. A change names a dataset as the data platform does
//! (`raw.raw_orders`); models name it `{{ source('ecom', 'raw_orders') }}`.
//! The project's `sources:` entries are what ties the two together.

use serde::Serialize;

use super::yaml::{self, Map, Node, Scalar};
use crate::schema::names_match;

/// One source table: its name in models (`ecom.raw_orders`) and the
/// relation dbt renders it to (`[database.]schema.identifier`: the schema
/// defaults to the source's name, the identifier to the table's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct SourceTable {
    pub name: String,
    pub relation: String,
    /// The property file that declares it.
    pub path: String,
}

/// The source table a `sources:` table entry declares: its `name` scalar
/// (where it is written) and the relation it stands for.
pub(crate) fn declared<'n>(source: &Map, table: &'n Node) -> Option<(&'n Scalar, String)> {
    let table = table.map()?;
    let name = table.get("name")?.scalar()?;
    let source_name = source.get_str("name")?;
    let schema = source.get_str("schema").unwrap_or(source_name);
    let identifier = table.get_str("identifier").unwrap_or(&name.value);
    let relation = match source.get_str("database") {
        Some(database) => format!("{database}.{schema}.{identifier}"),
        None => format!("{schema}.{identifier}"),
    };
    Some((name, relation))
}

/// Every source table the property files among `files` (path, text)
/// declare. Files that are not YAML, or do not parse, declare nothing:
/// their problems are the rewrite's to report.
pub fn source_tables<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<SourceTable> {
    let mut found = Vec::new();
    for (path, text) in files {
        if !(path.ends_with(".yml") || path.ends_with(".yaml")) || !text.contains("sources") {
            continue;
        }
        let Ok(documents) = yaml::parse(text) else {
            continue;
        };
        for top in documents.iter().filter_map(Node::map) {
            for source in top.get("sources").map_or(&[][..], Node::items).iter().filter_map(Node::map) {
                let Some(source_name) = source.get_str("name") else {
                    continue;
                };
                for table in source.get("tables").map_or(&[][..], Node::items) {
                    if let Some((name, relation)) = declared(source, table) {
                        found.push(SourceTable { name: format!("{source_name}.{}", name.value), relation, path: path.to_string() });
                    }
                }
            }
        }
    }
    found
}

/// The source names under which models read `dataset`, when the change
/// names it by its warehouse relation (`raw.raw_orders` is read as
/// `ecom.raw_orders`). Empty when the dataset is itself a source's name, or
/// one bare word (which a model or seed may as well be).
pub fn source_names(dataset: &str, sources: &[SourceTable]) -> Vec<String> {
    if !dataset.contains('.') || sources.iter().any(|s| names_match(dataset, &s.name) || names_match(&s.name, dataset)) {
        return Vec::new();
    }
    let mut names: Vec<String> = Vec::new();
    for source in sources.iter().filter(|s| names_match(&s.relation, dataset) || names_match(dataset, &s.relation)) {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&source.name)) {
            names.push(source.name.clone());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: &str = "version: 2
sources:
  - name: ecom
    schema: raw
    tables:
      - name: raw_orders
      - name: customers
        identifier: raw_customers
  - name: billing
    database: lake
    tables:
      - name: invoices
";

    #[test]
    fn a_relation_is_read_through_the_source_that_declares_it() {
        let sources = source_tables([("models/sources.yml", SOURCES), ("models/orders.sql", "select 1")]);
        let relations: Vec<(&str, &str)> = sources.iter().map(|s| (s.name.as_str(), s.relation.as_str())).collect();
        assert_eq!(relations, [("ecom.raw_orders", "raw.raw_orders"), ("ecom.customers", "raw.raw_customers"), ("billing.invoices", "lake.billing.invoices")]);
        assert_eq!(source_names("raw.raw_orders", &sources), ["ecom.raw_orders"]);
        assert_eq!(source_names("warehouse.raw.raw_customers", &sources), ["ecom.customers"]);
        assert_eq!(source_names("billing.invoices", &sources), Vec::<String>::new(), "the source's own name needs no other");
        assert_eq!(source_names("lake.billing.invoices", &sources), Vec::<String>::new());
        assert_eq!(source_names("raw_orders", &sources), Vec::<String>::new(), "one bare word may be a model or seed");
        assert_eq!(source_names("staging.raw_orders", &sources), Vec::<String>::new());
    }

    #[test]
    fn files_that_do_not_parse_declare_nothing() {
        assert!(source_tables([("models/bad.yml", "sources: [\n  - name: x")]).is_empty());
        assert!(source_tables([("models/x.yml", "sources: 3")]).is_empty());
    }
}
