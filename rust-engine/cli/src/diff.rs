//! `ripple diff`: the change between two versions of a dataset's schema.

use std::path::Path;
use std::process::ExitCode;

use ripple_engine::{diff_schemas, Dialect, DiffOptions, SchemaFormat};

use crate::files::{print_json, read};
use crate::Usage;

pub(crate) fn diff(old: &Path, new: &Path, dialect: Option<Dialect>, table: Option<String>, format: Option<SchemaFormat>) -> Result<ExitCode, Usage> {
    let (old_text, new_text) = (read(old)?, read(new)?);
    let (old_path, new_path) = (old.display().to_string(), new.display().to_string());
    let options = DiffOptions { format, dialect, table };
    let diff = diff_schemas((&old_path, &old_text), (&new_path, &new_text), &options).map_err(|e| Usage(e.to_string()))?;
    print_json(&diff)?;
    Ok(ExitCode::SUCCESS)
}
