//! dbt projects as a whole: what dbt's own files say about the datasets
//! (property files today), beside the models' SQL that `source/` reads.

mod diff;
mod edits;
mod expression;
mod names;
mod outputs;
mod properties;
mod yaml;

pub use outputs::RenamedOutputs;
pub use properties::{rewrite_properties, rewrite_properties_with};
