//! dbt projects as a whole: what dbt's own files say about the datasets
//! (the schemas a project knows, property files rewritten with the SQL),
//! beside the models' SQL that `source/` reads.

mod casts;
mod diff;
mod edits;
mod expression;
mod names;
mod outputs;
mod project;
mod properties;
mod sources;
pub(crate) mod yaml;

pub use casts::{model_outputs, ModelOutput};
pub use outputs::RenamedOutputs;
pub use project::{project_paths, project_schema, Origin, ProjectFile, ProjectPaths, ProjectSchema, SchemaConflict, TableOrigin};
pub use properties::{rewrite_properties, rewrite_properties_with};
pub use sources::{source_names, source_tables, SourceTable};
