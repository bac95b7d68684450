//! dbt projects as a whole: what a project knows of its tables' columns.

mod project;

pub use project::{before_change, project_schema, Origin, ProjectFile, ProjectSchema, SchemaConflict, TableOrigin};
